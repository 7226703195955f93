"""The overlay video exporter: timing, frame exactness, drawing, audio, cancel, size."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from tracknet_studio.core import LABELS, Project, Source, Track, Visibility
from tracknet_studio.video import VideoError, VideoReader, read_frame_number
from tracknet_studio.video import export as export_module
from tracknet_studio.video.export import ExportSettings, export_video
from tracknet_studio.video.overlay import PREDICTION_COLOURS, SOURCE_COLOURS, overlay_items
from tracknet_studio.video.raster import draw_on_yuv420, draw_overlay, info_box_rect

GREY = 110
HUMAN = SOURCE_COLOURS[Source.HUMAN]
W, H, FRAMES, FPS = 320, 180, 24, 25


def decoded(path: Path) -> tuple[list[float], list[np.ndarray]]:
    """Every frame of the first video stream: (seconds, RGB array)."""
    times, images = [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            times.append(float(frame.pts * frame.time_base))
            images.append(frame.to_ndarray(format="rgb24"))
    return times, images


def straight_track(n: int, x0: float = 60.0, y0: float = 90.0, step: float = 8.0) -> Track:
    """A ball moving right by `step` px a frame, labelled by a person."""
    return Track.from_columns(
        n,
        x=x0 + step * np.arange(n),
        y=np.full(n, y0),
        visibility=np.full(n, Visibility.VISIBLE, np.int8),
        source=np.full(n, Source.HUMAN, np.int8),
    )


def write_grey_clip(path: Path, *, audio: bool = False) -> Path:
    """A flat grey clip (so marker colours are easy to check), optionally with AAC audio."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS, options={"crf": "10"})
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        sound = container.add_stream("aac", rate=44100) if audio else None
        image = np.full((H, W, 3), GREY, np.uint8)
        samples = 0
        for n in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = n, Fraction(1, FPS)
            container.mux(video.encode(frame))
            while sound is not None and samples < (n + 1) * 44100 // FPS:
                container.mux(sound.encode(_tone(samples)))
                samples += 1024
        container.mux(video.encode(None))
        if sound is not None:
            container.mux(sound.encode(None))
    return path


def _tone(start: int) -> av.AudioFrame:
    t = (start + np.arange(1024)) / 44100
    data = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
    frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="mono")
    frame.sample_rate, frame.pts = 44100, start
    return frame


@pytest.fixture(scope="module")
def grey_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_grey_clip(tmp_path_factory.mktemp("grey") / "grey.mp4")


@pytest.fixture(scope="module")
def grey_clip_with_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_grey_clip(tmp_path_factory.mktemp("grey") / "grey_audio.mp4", audio=True)


def source_times(path: Path) -> np.ndarray:
    with VideoReader(path) as reader:
        return np.array(reader.timestamps)


# ---------------------------------------------------------------- timing and frame order
@pytest.mark.parametrize("kind", ["mp4", "vfr_mp4", "ts"])
def test_export_keeps_frame_count_timestamps_and_order(
    make_clip: Callable[..., Any], tmp_path: Path, kind: str
) -> None:
    clip = make_clip(kind)
    out = tmp_path / "out.mp4"
    result = export_video(clip.path, out, {}, ExportSettings())
    times, images = decoded(out)
    assert result.frames == clip.frame_count == len(times)
    np.testing.assert_allclose(times, source_times(clip.path), atol=1e-6)
    assert [read_frame_number(img) for img in images[::7]] == list(range(clip.frame_count))[::7]


@pytest.mark.parametrize("kind", ["mp4", "vfr_mp4", "ts"])
def test_a_range_starts_at_zero_with_the_range_frames(
    make_clip: Callable[..., Any], tmp_path: Path, kind: str
) -> None:
    clip = make_clip(kind)
    start, stop = 17, 41  # 17 is no keyframe: the export seeks and decodes forward
    out = tmp_path / "range.mp4"
    result = export_video(clip.path, out, {}, ExportSettings(start=start, stop=stop))
    times, images = decoded(out)
    src = source_times(clip.path)
    assert result.frames == len(times) == stop - start
    np.testing.assert_allclose(times, src[start:stop] - src[start], atol=1e-6)
    assert [read_frame_number(img) for img in images] == list(range(start, stop))


def test_a_range_past_the_end_is_refused(make_clip: Callable[..., Any], tmp_path: Path) -> None:
    clip = make_clip("mp4")
    with pytest.raises(ValueError, match="outside"):
        export_video(clip.path, tmp_path / "o.mp4", {}, ExportSettings(start=clip.frame_count))
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- drawing
def ring_and_inside(image: np.ndarray, x: float, y: float, radius: float) -> tuple:
    """The pixel most like the label colour where the ring crosses the row right of the
    centre, and one inside above the centre (clear of the ring, the centre dot and the
    trail, which comes in from the left). x, y are continuous: pixel i spans [i, i+1)."""
    row, col = int(y), int(x + radius)
    candidates = image[row, col - 1 : col + 2].astype(int)
    on_ring = candidates[np.abs(candidates - np.array(HUMAN)).max(axis=1).argmin()]
    inside = image[int(y - radius * 0.45), int(x)].astype(int)
    return on_ring, inside


def towards(pixel: np.ndarray, colour: tuple[int, int, int]) -> float:
    """How far the pixel lies on the way from the grey background (0) to `colour` (1)."""
    direction = np.array(colour) - GREY
    return float(np.dot(pixel - GREY, direction) / np.dot(direction, direction))


def assert_mostly(pixel: np.ndarray, colour: tuple[int, int, int], share: float = 0.55) -> None:
    # A thin anti-aliased stroke rarely covers one pixel fully.
    assert towards(pixel, colour) >= share, (pixel, colour)


def assert_colour(pixel: np.ndarray, colour: tuple[int, int, int], tolerance: int = 40) -> None:
    assert np.abs(pixel - np.array(colour)).max() <= tolerance, (pixel, colour)


def test_the_label_ring_is_at_the_track_position(grey_clip: Path, tmp_path: Path) -> None:
    track = straight_track(FRAMES)
    out = tmp_path / "ring.mp4"
    export_video(grey_clip, out, {LABELS: track}, ExportSettings(trail_length=0))
    _, images = decoded(out)
    for n in (0, 9, 23):
        on_ring, inside = ring_and_inside(images[n], track.x[n], track.y[n], 7)
        assert_mostly(on_ring, HUMAN)
        assert towards(inside, HUMAN) < 0.15, inside  # H.264 bleeds colour a little
    # Far from the ball the picture is untouched.
    assert_colour(images[5][20, 300].astype(int), (GREY, GREY, GREY), tolerance=6)


def test_output_size_scales_the_picture_and_the_overlay(grey_clip: Path, tmp_path: Path) -> None:
    track = straight_track(FRAMES)
    out = tmp_path / "big.mp4"
    export_video(grey_clip, out, {LABELS: track}, ExportSettings(output_size=(640, 360)))
    _, images = decoded(out)
    assert images[0].shape == (360, 640, 3)
    n = 12
    on_ring, inside = ring_and_inside(images[n], 2 * track.x[n], 2 * track.y[n], 14)
    assert_mostly(on_ring, HUMAN)
    assert_colour(inside, (GREY, GREY, GREY), tolerance=12)  # twice the room inside


def test_only_the_chosen_layers_are_drawn(grey_clip: Path, tmp_path: Path) -> None:
    labels = straight_track(FRAMES, y0=50)
    model = straight_track(FRAMES, y0=130)
    project = Project(labels=labels, predictions={"model": model})
    out = tmp_path / "layers.mp4"
    settings = ExportSettings(layers=frozenset({"model"}), trail_length=0)
    export_video(grey_clip, out, project, settings)
    _, images = decoded(out)
    n = 10
    assert_colour(images[n][50, int(labels.x[n] + 7)].astype(int), (GREY,) * 3, tolerance=8)
    # The prediction cross: its arm passes through (x + d, y + d), d = 0.75 r.
    d = 7 * 0.75
    arm = images[n][int(130 + d), int(model.x[n] + d)].astype(int)
    assert_mostly(arm, PREDICTION_COLOURS[0], share=0.4)


def test_draw_overlay_blends_and_leaves_the_rest_alone() -> None:
    track = straight_track(5)
    image = np.full((H, W, 3), GREY, np.uint8)
    draw_overlay(image, overlay_items({LABELS: track}, 4))
    on_ring, inside = ring_and_inside(image, track.x[4], track.y[4], 7)
    assert_mostly(on_ring, HUMAN, share=0.6)
    assert_colour(inside, (GREY, GREY, GREY), tolerance=6)
    trail = image[90, round(track.x[2]) + 3].astype(int)  # an older, fainter trail segment
    assert not (trail == GREY).all() and not (trail == np.array(HUMAN)).all()
    assert (image[:60] == GREY).all() and (image[:, 200:] == GREY).all()


def test_drawing_in_yuv_changes_only_the_drawn_pixels() -> None:
    rng = np.random.default_rng(1)
    yuv = rng.integers(16, 235, (H * 3 // 2, W), dtype=np.uint8)
    before = yuv.copy()
    track = straight_track(5)
    draw_on_yuv420(yuv, overlay_items({LABELS: track}, 4), (1.0, 1.0), ["frame 4"])
    changed_rows = np.flatnonzero((yuv[:H] != before[:H]).any(axis=1))
    assert changed_rows.size and changed_rows.max() < 110  # info box on top, ball at y=90
    right = max(info_box_rect(["frame 4"])[2], 150)  # the box keeps one width: numbers change
    assert (yuv[:H, right + 2 :] == before[:H, right + 2 :]).all()


def test_panels_darken_every_channel_and_write_white_text() -> None:
    """The panels are drawn straight in YUV: they must look as a black veil at 60 % and
    white text drawn in RGB would, on a saturated picture too."""
    import cv2

    colour = (200, 60, 30)
    rgb = np.full((H, W, 3), colour, np.uint8)
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    lines = ["frame 4", "time 0.160 s"]
    draw_on_yuv420(yuv, [], (1.0, 1.0), lines)
    out = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420).astype(int)
    x0, y0, x1, y1 = info_box_rect(lines)
    assert_colour(out[y1 - 3, x1 - 3], tuple(round(0.4 * c) for c in colour), tolerance=4)
    assert_colour(out[y1 + 3, x1 + 3], colour, tolerance=2)  # outside: untouched
    text = out[y0:y1, x0:x1]
    assert (text.min(axis=2) > 200).sum() >= 20  # white strokes, not tinted by the panel


def test_the_info_box_shows_up(grey_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "info.mp4"
    export_video(grey_clip, out, {LABELS: straight_track(FRAMES)}, ExportSettings(info_box=True))
    _, images = decoded(out)
    panel = images[3][10:60, 10:100]
    assert panel.min() < GREY // 2 and panel.max() > 200  # dark panel, white text


def test_the_legend_names_each_colour_in_the_bottom_left_corner(
    grey_clip: Path, tmp_path: Path
) -> None:
    from tracknet_studio.video.overlay import legend_entries

    labels = straight_track(FRAMES)
    model = straight_track(FRAMES)
    model.update(np.arange(FRAMES), source=Source.MODEL)
    entries = legend_entries(labels.source[labels.has_ball], ["model"])
    assert [e.name for e in entries] == ["label (by hand)", "model"]
    out = tmp_path / "legend.mp4"
    export_video(grey_clip, out, {LABELS: labels, "model": model}, ExportSettings(legend=True))
    _, images = decoded(out)
    height = images[3].shape[0]
    panel = images[3][height - 60 : height - 8, 8:160].astype(int)
    assert panel.min() < GREY // 2 and panel.max() > 200  # dark panel, white names
    for colour in (HUMAN, PREDICTION_COLOURS[0]):  # each marker drawn in its layer's colour
        distance = np.abs(panel - np.array(colour)).max(axis=2)
        assert distance.min() <= 40, colour
    plain = tmp_path / "plain.mp4"
    export_video(grey_clip, plain, {LABELS: labels}, ExportSettings())
    _, without = decoded(plain)
    assert np.abs(without[3][height - 40 : height - 8, 8:60].astype(int) - GREY).max() <= 6


# ------------------------------------------------------------------------ audio, cancel
def audio_streams(path: Path) -> list[tuple[str, float, float]]:
    """(codec, first packet's start, last packet's end) in seconds, per audio stream."""
    with av.open(str(path)) as container:
        result = []
        for stream in container.streams.audio:
            packets = [p for p in container.demux(stream) if p.pts is not None]
            start = min(float(p.pts * p.time_base) for p in packets)
            end = max(float((p.pts + p.duration) * p.time_base) for p in packets)
            result.append((stream.codec_context.name, start, end))
        return result


def test_audio_is_copied_when_present(grey_clip_with_audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "audio.mp4"
    result = export_video(grey_clip_with_audio, out, {}, ExportSettings())
    assert result.audio
    [(codec, start, end)] = audio_streams(out)
    assert codec == "aac" and end == pytest.approx(FRAMES / FPS, abs=0.05)
    assert start == pytest.approx(0, abs=0.03)


def test_a_range_copies_the_range_of_audio(grey_clip_with_audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "audio_range.mp4"
    export_video(grey_clip_with_audio, out, {}, ExportSettings(start=5, stop=15))
    [(_, start, end)] = audio_streams(out)
    # Moved back with the video: the range's sound starts at 0, like its first frame.
    assert start == pytest.approx(0, abs=1024 / 44100)
    assert end == pytest.approx(10 / FPS, abs=0.05)


def test_no_audio_stream_without_source_audio(grey_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "silent.mp4"
    assert not export_video(grey_clip, out, {}, ExportSettings()).audio
    assert audio_streams(out) == []


class Stop(Exception):
    pass


def test_cancel_from_progress_leaves_nothing(grey_clip: Path, tmp_path: Path) -> None:
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 6:
            raise Stop

    with pytest.raises(Stop):
        export_video(grey_clip, tmp_path / "out.mp4", {}, ExportSettings(), progress=progress)
    assert list(tmp_path.iterdir()) == []
    assert seen[0] == (1, FRAMES)
    assert not feeder_threads()  # stopped and joined, its decoder closed


def feeder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "export-feeder"]


def test_an_error_while_drawing_reaches_the_caller_and_leaves_nothing(
    grey_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = []

    def failing_draw(planes: Any, *args: Any) -> None:
        drawn.append(1)
        if len(drawn) == 5:
            raise RuntimeError("the raster broke")

    monkeypatch.setattr(export_module, "draw_on_i420", failing_draw)
    with pytest.raises(RuntimeError, match="the raster broke"):
        export_video(grey_clip, tmp_path / "out.mp4", {LABELS: straight_track(FRAMES)},
                     ExportSettings())  # fmt: skip
    assert list(tmp_path.iterdir()) == []
    assert not feeder_threads()


@pytest.mark.skipif(sys.platform != "linux", reason="threads have their own priority on Linux")
def test_decoding_and_drawing_run_below_the_encoding_thread(
    grey_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    drawing, encoding = set(), set()
    real_draw, real_encode = export_module.draw_on_i420, export_module._encode

    def draw(*args: Any) -> None:
        drawing.add(niceness())
        real_draw(*args)

    def encode(*args: Any) -> None:
        encoding.add((threading.get_ident(), niceness()))
        real_encode(*args)

    monkeypatch.setattr(export_module, "draw_on_i420", draw)
    monkeypatch.setattr(export_module, "_encode", encode)
    before = niceness()
    export_video(grey_clip, tmp_path / "out.mp4", {LABELS: straight_track(FRAMES)},
                 ExportSettings())  # fmt: skip
    assert encoding == {(threading.get_ident(), before)}  # the caller encodes, as it was
    assert drawing == {min(before + export_module._FEEDER_NICENESS, 19)}
    assert niceness() == before


def test_an_unwritable_output_raises_and_leaves_nothing(grey_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "out.mp4"
    with pytest.raises(VideoError, match="cannot be written"):
        export_video(grey_clip, out, {}, ExportSettings())
    assert list(tmp_path.iterdir()) == []


def test_the_source_is_never_overwritten(grey_clip: Path) -> None:
    with pytest.raises(ValueError, match="its own source"):
        export_video(grey_clip, grey_clip, {}, ExportSettings())
    assert len(decoded(grey_clip)[0]) == FRAMES


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="even"):
        ExportSettings(output_size=(641, 360))
    with pytest.raises(ValueError, match="empty"):
        ExportSettings(start=5, stop=5)
    with pytest.raises(ValueError, match="crf"):
        ExportSettings(crf=60)


def test_the_decoder_leaves_most_cores_to_the_encoder() -> None:
    from tracknet_studio.video.export import decoder_threads

    assert [decoder_threads(n) for n in (1, 2, 4, 8, 16)] == [1, 1, 1, 2, 4]


def test_the_frames_waiting_for_the_encoder_fit_a_memory_budget() -> None:
    from tracknet_studio.video.export import feed_depth

    assert feed_depth(1280, 720) == 18  # 24 MiB of 720p I420 frames
    assert feed_depth(1920, 1080) == 8
    assert feed_depth(3840, 2160) == 6  # at least a few, whatever the size
    assert feed_depth(320, 180) == 24  # at most a second or so
