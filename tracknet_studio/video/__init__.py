"""Frame-exact decoding, the frame cache and prefetch, overlay drawing, video export. No Qt."""

from tracknet_studio.video.framecode import draw_frame_number, read_frame_number
from tracknet_studio.video.provider import FrameProvider, VideoInfo
from tracknet_studio.video.reader import VideoError, VideoReader

__all__ = [
    "FrameProvider",
    "VideoError",
    "VideoInfo",
    "VideoReader",
    "draw_frame_number",
    "read_frame_number",
]
