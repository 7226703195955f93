"""Bad input raises VideoError with a message that names the file and the problem."""

from __future__ import annotations

from pathlib import Path

import av
import av.logging
import numpy as np
import pytest

from tracknet_studio.video.framecode import read_frame_number
from tracknet_studio.video.reader import VideoError, VideoReader


def expect_error(path: Path, match: str) -> VideoError:
    with pytest.raises(VideoError, match=match) as info:
        VideoReader(path)
    assert info.value.path == path
    assert str(path) in str(info.value)
    return info.value


def test_nonexistent_path(tmp_path: Path) -> None:
    expect_error(tmp_path / "missing.mp4", "does not exist")


def test_directory(tmp_path: Path) -> None:
    expect_error(tmp_path, "not a file")


def test_text_file_renamed_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are not the frames you are looking for\n" * 50)
    expect_error(path, "not a readable video")


def test_a_header_claiming_a_huge_picture_is_named_as_such(tmp_path: Path) -> None:
    """FFmpeg refuses it with EBUSY ("Device or resource busy"); the message says why."""
    path = tmp_path / "huge.y4m"
    path.write_bytes(b"YUV4MPEG2 W60000 H60000 F30:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(1000))
    error = expect_error(path, "Picture size 60000x60000 is invalid")
    assert "busy" not in str(error)
    assert av.logging.get_level() is None  # FFmpeg's log is off again for decoding


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mkv"
    path.write_bytes(b"")
    expect_error(path, "not a readable video")


def write_audio_only(path: Path, codec: str) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=44100)
        stream.layout = "stereo"
        samples = np.zeros((1, 2 * 1152 * 4), np.int16)  # packed s16 stereo
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate = 44100
        for converted in av.AudioResampler(
            format=stream.codec_context.format,
            layout="stereo",
            rate=44100,
            frame_size=stream.codec_context.frame_size or None,
        ).resample(frame):
            container.mux(stream.encode(converted))
        container.mux(stream.encode(None))


@pytest.mark.parametrize(("name", "codec"), [("song.m4a", "aac"), ("song.mp2", "mp2")])
def test_audio_only(tmp_path: Path, name: str, codec: str) -> None:
    path = tmp_path / name
    write_audio_only(path, codec)
    expect_error(path, "no video stream.*audio")


def test_audio_with_cover_picture(tmp_path: Path) -> None:
    # Music files carry cover art as a one-picture video stream; that is not a video.
    path = tmp_path / "song_with_cover.mp4"
    with av.open(str(path), "w") as container:
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "stereo"
        cover = container.add_stream("mjpeg", rate=1)
        cover.width, cover.height, cover.pix_fmt = 64, 64, "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic
        picture = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
        container.mux(cover.encode(picture))
        container.mux(cover.encode(None))
        samples = av.AudioFrame.from_ndarray(
            np.zeros((2, 1024), np.float32), format="fltp", layout="stereo"
        )
        samples.sample_rate = 44100
        container.mux(audio.encode(samples))
        container.mux(audio.encode(None))
    expect_error(path, "no video stream.*audio.*cover picture")


def test_zero_video_frames(tmp_path: Path) -> None:
    # A video track without a single packet beside an audio track that has some.
    path = tmp_path / "nothing.mkv"
    with av.open(str(path), "w") as container:
        video = container.add_stream("mpeg4", rate=30)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = container.add_stream("mp2", rate=44100)
        audio.layout = "stereo"
        samples = av.AudioFrame.from_ndarray(
            np.zeros((1, 2 * 1152), np.int16), format="s16", layout="stereo"
        )
        samples.sample_rate = 44100
        container.mux(audio.encode(samples))
        container.mux(audio.encode(None))
    expect_error(path, "no video frames")


def test_truncated_mp4_without_index_fails_to_open(make_clip, tmp_path: Path) -> None:
    # PyAV writes the moov atom last, so the first half of the file has no sample table.
    data = make_clip("mp4").path.read_bytes()
    path = tmp_path / "half.mp4"
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "not a readable video")


def test_truncated_faststart_mp4_decodes_what_exists(make_clip, tmp_path: Path) -> None:
    clip = make_clip("mp4", container_options={"movflags": "faststart"})
    data = clip.path.read_bytes()
    path = tmp_path / "half.mp4"
    path.write_bytes(data[: len(data) // 2])
    with VideoReader(path) as reader:
        assert reader.truncated
        assert 0 < reader.frame_count < clip.frame_count
        for n in (0, reader.frame_count // 2, 3):
            assert read_frame_number(reader.frame(n)) == n
        past_the_cut = clip.frame_count - 1
        with pytest.raises(VideoError, match=f"frame {past_the_cut}.*truncated") as info:
            reader.frame(past_the_cut)
        assert str(path) in str(info.value)


def test_unsupported_codec(make_clip, tmp_path: Path) -> None:
    # An AVI whose fourcc (in the stream header and the bitmap header) names no codec that
    # FFmpeg knows: the container opens, the codec does not.
    source = tmp_path / "mpeg4.avi"
    with av.open(str(source), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = source.read_bytes()
    assert data.count(b"FMP4") >= 1
    path = tmp_path / "unknown.avi"
    path.write_bytes(data.replace(b"FMP4", b"QQQQ"))
    expect_error(path, "unsupported video codec")


def test_raw_elementary_stream_has_no_timestamps(make_clip) -> None:
    expect_error(make_clip("h264_raw").path, "no timestamps")


def test_h264_b_frames_in_avi_are_refused(make_clip) -> None:
    expect_error(make_clip("avi_h264").path, "no presentation timestamps")


def test_corrupt_frame_is_named(make_clip, tmp_path: Path) -> None:
    clip = make_clip("webm")
    with av.open(str(clip.path)) as container:
        packets = [(p.pos, p.size) for p in container.demux(video=0) if p.size]
    data = bytearray(clip.path.read_bytes())
    pos, size = packets[30]  # not a keyframe (those are 0, 12, 24, 36, ...)
    data[pos + 4 : pos + size - 4] = b"\xff" * (size - 8)
    path = tmp_path / "corrupt.webm"
    path.write_bytes(bytes(data))
    with VideoReader(path, cache_mb=0) as reader:
        assert read_frame_number(reader.frame(29)) == 29
        with pytest.raises(VideoError, match="frame 30 cannot be decoded") as info:
            reader.frame(30)
        assert info.value.path == path
        # The reader stays usable: the next GOP decodes.
        assert read_frame_number(reader.frame(40)) == 40
        assert read_frame_number(reader.frame(5)) == 5
