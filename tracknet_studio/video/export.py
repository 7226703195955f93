"""Overlay video export: the source video with the ball overlay burned in, as H.264.

The source is decoded in order (one seek at most, to the keyframe before the range), each
frame gets the same primitives the window paints (`overlay.overlay_items`), rasterised by
raster.py with OpenCV, and is encoded on the caller's thread while the next frames are
decoded and drawn on a thread of its own. That thread runs at a lower priority: x264 is the
bottleneck and takes the CPU whenever it can, and the overlay is drawn in the gaps it leaves
(bench/bench_export.py measures what that buys against a plain decode + encode).

Frames stay in YUV 4:2:0, the encoder's format: only the boxes around the frame's
primitives are converted to RGB, drawn on, and written back, and only where a pixel changed
(the info box and legend are drawn in the planes themselves), so the rest of the picture
passes through untouched and a frame without a ball costs nothing but the encode.

Timing follows the source: every output frame keeps its source timestamp in the source's
time base (variable frame rate preserved), shifted so the first exported frame is at 0. An
exported range therefore starts at 0 like any standalone clip; frame k of the output is
frame `start + k` of the source. The source's first audio stream is copied packet for packet
(no re-encode) over the same span, when the output container can hold its codec.

The file is written beside `output` under a temporary name and renamed at the end; an
exception, including one raised by the progress callback to cancel, removes it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from tracknet_studio.core import LABELS, Track
from tracknet_studio.core.paths import remove_stale_partials
from tracknet_studio.video.overlay import (
    HasLayers,
    LegendEntry,
    OverlaySettings,
    legend_entries,
    overlay_items,
)
from tracknet_studio.video.packet_index import PacketIndex
from tracknet_studio.video.raster import (
    draw_on_i420,
    plane_arrays,
)
from tracknet_studio.video.reader import VideoError, VideoReader
from tracknet_studio.video.threads import Ahead

Progress = Callable[[int, int], None]

# Drawn frames waiting for the encoder: the drawing thread banks them in x264's gaps
# (a queue of 16 720p frames beat one of 6 in same-run A/Bs), within a memory budget.
_FEED_BYTES = 24 << 20
_FEED_FRAMES = (6, 24)
_FEEDER_NICENESS = 10  # how far below the encoder decoding and drawing run


@dataclass(frozen=True)
class ExportSettings:
    """What to export and how. `stop` is exclusive; None means the end of the video.

    `layers` names the layers to draw ("labels" for the label layer); None draws them all.
    `output_size` is (width, height), both even (4:2:0 chroma); None keeps the source size.
    `info_box` draws the frame number, its time and the ball's speed in source pixels per
    frame (from the first drawn layer, labels first, with a ball in this frame and the last).
    `legend` draws what each marker colour means (label sources, prediction layers), for
    viewers who never saw the app.
    """

    start: int = 0
    stop: int | None = None
    layers: frozenset[str] | None = None
    trail_length: int = 15
    output_size: tuple[int, int] | None = None
    crf: int = 20
    preset: str = "veryfast"
    info_box: bool = False
    legend: bool = False

    def __post_init__(self) -> None:
        if self.start < 0:
            raise ValueError(f"start must be >= 0, got {self.start}")
        if self.stop is not None and self.stop <= self.start:
            raise ValueError(f"empty frame range {self.start}:{self.stop}")
        if self.trail_length < 0:
            raise ValueError(f"trail_length must be >= 0, got {self.trail_length}")
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be within 0..51, got {self.crf}")
        if self.output_size is not None:
            width, height = self.output_size
            if width <= 0 or height <= 0 or width % 2 or height % 2:
                raise ValueError(f"output size must be positive and even, got {width}x{height}")


@dataclass(frozen=True)
class ExportResult:
    frames: int  # frames written
    seconds: float  # wall time of the export
    path: Path
    audio: bool = False  # the source's audio was copied


def export_video(
    source: Path,
    output: Path,
    layers: HasLayers | Mapping[str, Track],
    settings: ExportSettings,
    *,
    progress: Progress | None = None,
) -> ExportResult:
    """Write `source` with the overlay of `layers` burned in to `output` (H.264, MP4/MOV/MKV).

    `progress(done, total)` is called after each frame; raising from it cancels the export.
    Raises VideoError when the source cannot be read or the output cannot be written.
    """
    started = time.monotonic()
    source, output = Path(source), Path(output)
    with VideoReader(source, cache_mb=1) as reader:  # validates the file, numbers its frames
        index = reader._index  # same package: the pts of each frame, in source ticks
        src_size = (reader.width, reader.height)
        frame_count = reader.frame_count
        rate = Fraction(reader.fps).limit_denominator(1001) if reader.fps > 0 else Fraction(30)
    stop = frame_count if settings.stop is None else min(settings.stop, frame_count)
    if settings.start >= stop:
        raise ValueError(f"frame range {settings.start}:{stop} is outside the video's frames")
    out_size = settings.output_size or _even_size(src_size)
    plan = _Plan(source, index, settings.start, stop, src_size, out_size, rate, settings, layers)
    if output.exists() and output.resolve() == source.resolve():
        raise ValueError(f"{output}: the export would overwrite its own source")
    if not output.parent.is_dir():
        raise VideoError(output, f"cannot be written: no folder {output.parent}")
    # What an export killed before its rename left (its pid is in the name) goes first.
    remove_stale_partials(output.parent, f".{output.stem}.partial-", output.suffix)
    partial = output.with_name(f".{output.stem}.partial-{os.getpid()}{output.suffix}")
    try:
        frames, audio = _export(plan, partial, progress)
        os.replace(partial, output)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return ExportResult(frames, time.monotonic() - started, output, audio)


def _even_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    return max(2, width - width % 2), max(2, height - height % 2)


@dataclass(frozen=True)
class _Plan:
    source: Path
    index: PacketIndex
    start: int
    stop: int
    src_size: tuple[int, int]
    out_size: tuple[int, int]
    rate: Fraction  # nominal frame rate: a hint for the encoder; timestamps rule
    settings: ExportSettings
    layers: HasLayers | Mapping[str, Track]

    @property
    def scale(self) -> tuple[float, float]:
        return (self.out_size[0] / self.src_size[0], self.out_size[1] / self.src_size[1])

    def legend(self) -> list[LegendEntry]:
        """The legend of the layers drawn, from the labels of the frames exported."""
        tracks = _tracks(self.layers)
        wanted = self.settings.layers
        drawn = [n for n in tracks if wanted is None or n in wanted]
        sources = np.empty(0, np.int8)
        if LABELS in drawn:
            labels, frames = tracks[LABELS], slice(self.start, self.stop)
            sources = labels.source[frames][labels.has_ball[frames]]
        return legend_entries(sources, [n for n in drawn if n != LABELS])

    def overlay_settings(self) -> OverlaySettings:
        wanted = self.settings.layers
        hidden = frozenset() if wanted is None else frozenset(_layer_names(self.layers)) - wanted
        return OverlaySettings(trail_length=self.settings.trail_length, hidden_layers=hidden)


def _layer_names(layers: HasLayers | Mapping[str, Track]) -> list[str]:
    return list(_tracks(layers))


def _tracks(layers: HasLayers | Mapping[str, Track]) -> Mapping[str, Track]:
    """Every layer by name, labels first."""
    if isinstance(layers, Mapping):
        return layers
    return {LABELS: layers.labels, **layers.predictions}


# ----------------------------------------------------------------------------- pipeline
def _export(plan: _Plan, partial: Path, progress: Progress | None) -> tuple[int, bool]:
    try:
        output = av.open(str(partial), mode="w")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(partial, f"cannot be written ({exc})") from exc
    audio: _AudioCopy | None = None
    try:
        video = _add_video_stream(output, plan, plan.index.time_base, plan.rate)
        audio = _AudioCopy.open(plan, output)
        done = 0
        # Decoded and drawn below the encoder (see the module docstring); the caller's
        # thread, which encodes, keeps its own priority.
        with Ahead(lambda: _drawn_frames(plan), feed_depth(*plan.out_size),
                   name="export-feeder", niceness=_FEEDER_NICENESS) as frames:  # fmt: skip
            for frame in frames:
                _encode(output, video, audio, frame)
                done += 1
                if progress is not None:
                    progress(done, plan.stop - plan.start)
        _encode(output, video, audio, None)  # flush the encoder
        if audio is not None:
            audio.mux_until(output, None)
        return done, audio is not None
    except av.error.FFmpegError as exc:
        raise VideoError(plan.source, f"export failed ({exc})") from exc
    finally:
        if audio is not None:
            audio.close()
        output.close()


def _encode(
    output: av.container.OutputContainer,
    stream: av.video.stream.VideoStream,
    audio: _AudioCopy | None,
    frame: av.VideoFrame | None,
) -> None:
    """Encode one frame (None: flush) and mux its packets, audio interleaved by time."""
    for packet in stream.encode(frame):
        if audio is not None and packet.pts is not None:
            audio.mux_until(output, float(packet.pts * packet.time_base))
        output.mux(packet)


def feed_depth(width: int, height: int) -> int:
    """How many drawn frames may wait for the encoder: what fits the budget, within limits."""
    fitting = _FEED_BYTES // (width * height * 3 // 2)
    return min(max(fitting, _FEED_FRAMES[0]), _FEED_FRAMES[1])


def _drawn_frames(plan: _Plan) -> Iterator[av.VideoFrame]:
    """Each frame of the range decoded, scaled, drawn on and timed for the encoder."""
    first_pts = int(plan.index.pts[plan.start])
    overlay = plan.overlay_settings()
    legend = plan.legend() if plan.settings.legend else []
    width, height = plan.out_size
    for n, frame in _decoded_frames(plan):
        pts = int(frame.pts) - first_pts
        frame = frame.reformat(width=width, height=height, format="yuv420p")
        items = overlay_items(plan.layers, n, overlay, plan.src_size)
        info = _info_lines(plan, n) if plan.settings.info_box else None
        if items or info or legend:
            # Copies the picture only if the decoder still holds it as a reference.
            frame.make_writable()
            draw_on_i420(plane_arrays(frame), items, plan.scale, info, legend)
        frame.pts, frame.time_base = pts, plan.index.time_base
        # The source's I/P/B choice would otherwise force x264's frame types.
        frame.pict_type = av.video.frame.PictureType.NONE
        yield frame


def _decoded_frames(plan: _Plan) -> Iterator[tuple[int, av.VideoFrame]]:
    """Frames start..stop-1 as (number, frame), numbered by the packet index like the reader."""
    keys = plan.index.keyframes
    pos = int(np.searchsorted(keys, plan.start, side="right")) - 1
    key = int(keys[pos]) if pos >= 0 else 0
    frames = _decode_from(plan, key)
    first = next(frames, None)
    if first is not None and first[0] > plan.start:
        # The demuxer landed past the keyframe (MPEG-TS does): decode from the very start.
        frames.close()
        frames = _decode_from(plan, 0)
        first = next(frames, None)
    if first is None:
        return
    yield first
    yield from frames


def _decode_from(plan: _Plan, key: int) -> Iterator[tuple[int, av.VideoFrame]]:
    pts = plan.index.pts
    with av.open(str(plan.source)) as container:
        stream = container.streams[plan.index.stream_index]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = decoder_threads(os.cpu_count() or 1)
        if key > 0:
            container.seek(int(pts[key]), stream=stream, backward=True)
        last = -1
        for packet in container.demux(stream):
            for frame in packet.decode():
                n = _frame_number(pts, frame.pts)
                # Leading frames of an open GOP after a seek (n < key) may be broken.
                if n is None or n < max(key, plan.start) or n <= last:
                    continue
                if n >= plan.stop:
                    return
                last = n
                yield n, frame


def decoder_threads(cpus: int) -> int:
    """Threads for decoding the source: a quarter of the cores, at least one.

    The encoder is the bottleneck and wants every core; a decoder with frame threads of its
    own costs it more CPU than it saves (on 2 cores a single decoding thread made exports
    2-5 % faster on every clip of the bench, VP9 1080p included).
    """
    return max(1, cpus // 4)


def _frame_number(pts: np.ndarray, frame_pts: int | None) -> int | None:
    if frame_pts is None:
        return None
    n = int(np.searchsorted(pts, frame_pts))
    return n if n < len(pts) and pts[n] == frame_pts else None


def _add_video_stream(
    output: av.container.OutputContainer, plan: _Plan, time_base: Fraction, rate: Fraction
) -> av.video.stream.VideoStream:
    options = {"crf": str(plan.settings.crf), "preset": plan.settings.preset}
    stream = output.add_stream("libx264", rate=rate, options=options)
    stream.width, stream.height = plan.out_size
    stream.pix_fmt = "yuv420p"
    # The source's own time base: every source pts is representable, so VFR survives.
    stream.codec_context.time_base = time_base
    stream.time_base = time_base
    return stream


class _AudioCopy:
    """The source's first audio stream, remuxed over the exported span, shifted like video."""

    def __init__(
        self,
        container: av.container.InputContainer,
        source: av.audio.stream.AudioStream,
        target: av.stream.Stream,
        span: tuple[float, float | None],
    ) -> None:
        self._container = container
        self._time_base = Fraction(source.time_base)
        self._target = target
        start, end = span
        # The span in audio ticks: packets from `_offset` to `_end` are copied, moved back
        # by `_offset` so they line up with the video, which starts at 0.
        self._offset = round(start / self._time_base)
        self._end = None if end is None else round(end / self._time_base)
        self._done = False
        if start > 0:
            container.seek(self._offset, stream=source, backward=True)
        self._packets = container.demux(source)
        self._pending: av.Packet | None = None

    @classmethod
    def open(cls, plan: _Plan, output: av.container.OutputContainer) -> _AudioCopy | None:
        container = av.open(str(plan.source))
        try:
            sources = list(container.streams.audio)
            if not sources or sources[0].codec_context.name not in output.supported_codecs:
                container.close()
                return None
            target = output.add_stream_from_template(sources[0])
            return cls(container, sources[0], target, _span_seconds(plan))
        except BaseException:
            container.close()
            raise

    def mux_until(self, output: av.container.OutputContainer, seconds: float | None) -> None:
        """Mux the audio packets that start before `seconds` on the output clock (None: all
        that remain of the span)."""
        while not self._done:
            packet = self._pending or next(self._packets, None)
            self._pending = None
            if packet is None:
                self._done = True
                return
            if packet.pts is None or packet.pts < self._offset:
                continue  # before the exported span (the seek lands a little early)
            if self._end is not None and packet.pts >= self._end:
                self._done = True
                return
            if seconds is not None and (packet.pts - self._offset) * self._time_base >= seconds:
                self._pending = packet
                return
            packet.pts -= self._offset
            if packet.dts is not None:
                packet.dts -= self._offset
            packet.stream = self._target
            output.mux(packet)

    def close(self) -> None:
        self._container.close()


def _span_seconds(plan: _Plan) -> tuple[float, float | None]:
    """The exported frames' span on the source clock: start of the first, end of the last."""
    pts, time_base = plan.index.pts, plan.index.time_base
    start = float(pts[plan.start] * time_base)
    end = None if plan.stop >= len(pts) else float(pts[plan.stop] * time_base)
    return start, end


def _info_lines(plan: _Plan, n: int) -> list[str]:
    pts, time_base = plan.index.pts, plan.index.time_base
    seconds = float((pts[n] - pts[0]) * time_base)
    speed = _speed(plan, n)
    speed_text = "-" if speed is None else f"{speed:.1f} px/frame"
    return [f"frame {n}", f"time {seconds:.3f} s", f"speed {speed_text}"]


def _speed(plan: _Plan, n: int) -> float | None:
    """Ball speed in video pixels per frame, from the first drawn layer with a ball at n-1, n."""
    tracks = _tracks(plan.layers)
    wanted = plan.settings.layers
    for name, track in tracks.items():
        if (wanted is not None and name not in wanted) or not 1 <= n < len(track):
            continue
        if track.has_ball[n] and track.has_ball[n - 1]:
            return float(np.hypot(track.x[n] - track.x[n - 1], track.y[n] - track.y[n - 1]))
    return None
