"""Clips whose every frame shows its own number (video.framecode): what frame-exactness is
checked against, in every container and codec the reader meets, by the tests and
bench/bench_exact.py."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tracknet_studio.video.framecode import draw_frame_number


@dataclass(frozen=True)
class Clip:
    """A generated clip whose frame n shows the frame code n."""

    path: Path
    frame_count: int
    timestamps: np.ndarray  # seconds from the first frame, as written
    width: int
    height: int


# name -> (file suffix, container format, codec, codec options, variable frame rate)
CLIP_KINDS: dict[str, tuple[str, str | None, str, dict[str, str], bool]] = {
    # B-frames and an open GOP: leading B-frames after each I-frame reference the GOP before.
    "mp4": (
        ".mp4",
        None,
        "libx264",
        {"x264-params": "keyint=12:min-keyint=12:scenecut=0:bframes=3:open-gop=1"},
        False,
    ),
    "mov": (".mov", None, "libx264", {"x264-params": "keyint=12:scenecut=0:bframes=2"}, False),
    "mkv": (".mkv", None, "libx264", {"x264-params": "keyint=12:scenecut=0:bframes=2"}, False),
    "ts": (".ts", "mpegts", "libx264", {"x264-params": "keyint=12:scenecut=0:bframes=2"}, False),
    "webm": (
        ".webm",
        None,
        "libvpx-vp9",
        {"g": "12", "deadline": "realtime", "cpu-used": "8"},
        False,
    ),
    "vfr_mp4": (".mp4", None, "libx264", {"x264-params": "keyint=12:scenecut=0:bframes=2"}, True),
    # Keyframes 2 s apart, as broadcasts have them: seeks are slow, a scrubbing proxy is made.
    "long_gop_mp4": (
        ".mp4",
        None,
        "libx264",
        {"x264-params": "keyint=60:min-keyint=60:scenecut=0:bframes=2"},
        False,
    ),
    "avi": (".avi", None, "mpeg4", {"g": "12", "bf": "2"}, False),
    "mpg": (".mpg", "mpeg", "mpeg2video", {"g": "12", "bf": "2"}, False),
    # Not frame-exact by nature (the reader refuses them with a clear message): AVI stores
    # no presentation timestamps for H.264 B-frames, a raw stream stores none at all.
    "avi_h264": (".avi", None, "libx264", {"x264-params": "keyint=12:scenecut=0:bframes=2"}, False),
    "h264_raw": (".h264", "h264", "libx264", {"x264-params": "keyint=12:bframes=2"}, False),
}

CLIP_WIDTH, CLIP_HEIGHT, CLIP_FRAMES, CLIP_FPS = 192, 108, 72, 30


def numbered_image(n: int, width: int = CLIP_WIDTH, height: int = CLIP_HEIGHT) -> np.ndarray:
    """A frame with smooth moving content (so the codec works normally) and its code."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = (x * 255 // width + 4 * n) % 256
    img[..., 1] = (y * 255 // height) % 256
    img[..., 2] = 96
    bx = (7 * n) % (width - 20)
    img[height - 30 : height - 10, bx : bx + 20] = (250, 220, 40)
    draw_frame_number(img, n)
    return img


def write_numbered_clip(
    path: Path,
    kind: str,
    frame_count: int = CLIP_FRAMES,
    width: int = CLIP_WIDTH,
    height: int = CLIP_HEIGHT,
    container_options: dict[str, str] | None = None,
) -> Clip:
    _suffix, fmt, codec, options, vfr = CLIP_KINDS[kind]
    # Irregular gaps of 20-60 ms for VFR, seeded so every run writes the same file.
    gaps_ms = (
        np.random.default_rng(7).integers(20, 61, frame_count)
        if vfr
        else np.full(frame_count, 1000 // CLIP_FPS)
    )
    pts_ms = np.concatenate([[0], np.cumsum(gaps_ms[:-1])])
    with av.open(str(path), "w", format=fmt, options=container_options or {}) as container:
        stream = container.add_stream(codec, rate=CLIP_FPS, options=dict(options))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if vfr:
            stream.codec_context.time_base = Fraction(1, 1000)
        for n in range(frame_count):
            frame = av.VideoFrame.from_ndarray(numbered_image(n, width, height), format="rgb24")
            if vfr:
                frame.pts, frame.time_base = int(pts_ms[n]), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    timestamps = pts_ms / 1000.0 if vfr else np.arange(frame_count) / CLIP_FPS
    return Clip(path, frame_count, timestamps, width, height)
