"""Overlay video export: the source video with the ball overlay burned in, as H.264.

The source is decoded in order (one seek at most, to the keyframe before the range), each
frame gets the same primitives the window paints (`overlay.overlay_items`), rasterized here
with OpenCV, and is encoded on a thread of its own so decoding, drawing and encoding overlap
(PyAV releases the GIL while it encodes).

Frames stay in YUV 4:2:0, the encoder's format: only the bounding box of the frame's
primitives is converted to RGB, drawn on, and written back, and only where a pixel changed,
so the rest of the picture passes through untouched and a frame without a ball costs nothing
but the encode.

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
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import cv2
import numpy as np

from tracknet_studio.core import LABELS, Track
from tracknet_studio.core.paths import remove_stale_partials
from tracknet_studio.video.overlay import (
    HasLayers,
    Marker,
    OverlaySettings,
    Primitive,
    Shape,
    TrailSegment,
    overlay_items,
)
from tracknet_studio.video.packet_index import PacketIndex
from tracknet_studio.video.reader import VideoError, VideoReader

Progress = Callable[[int, int], None]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1: pixel columns/rows x0..x1-1, y0..y1-1

_SUBPIXEL_BITS = 4  # OpenCV draws at 1/16 pixel precision with shift=4
_SUBPIXEL = 1 << _SUBPIXEL_BITS
_HALO_ALPHA = 0.55  # the dark outline under a marker, as the window paints it
_MIN_RADIUS = 3.0  # output pixels: a marker stays visible in a downscaled export
_DOT_RADIUS = 1.5  # the exact-position dot at a marker's centre
_ENCODE_QUEUE = 6  # frames waiting for the encoder thread: enough to ride out jitter
_INFO_FONT = cv2.FONT_HERSHEY_SIMPLEX
_INFO_PAD = 6


@dataclass(frozen=True)
class ExportSettings:
    """What to export and how. `stop` is exclusive; None means the end of the video.

    `layers` names the layers to draw ("labels" for the label layer); None draws them all.
    `output_size` is (width, height), both even (4:2:0 chroma); None keeps the source size.
    `info_box` draws the frame number, its time and the ball's speed in source pixels per
    frame (from the first drawn layer, labels first, with a ball in this frame and the last).
    """

    start: int = 0
    stop: int | None = None
    layers: frozenset[str] | None = None
    trail_length: int = 15
    output_size: tuple[int, int] | None = None
    crf: int = 20
    preset: str = "veryfast"
    info_box: bool = False

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

    def overlay_settings(self) -> OverlaySettings:
        wanted = self.settings.layers
        hidden = frozenset() if wanted is None else frozenset(_layer_names(self.layers)) - wanted
        return OverlaySettings(trail_length=self.settings.trail_length, hidden_layers=hidden)


def _layer_names(layers: HasLayers | Mapping[str, Track]) -> list[str]:
    if isinstance(layers, Mapping):
        return list(layers)
    return [LABELS, *layers.predictions]


# ----------------------------------------------------------------------------- pipeline
def _export(plan: _Plan, partial: Path, progress: Progress | None) -> tuple[int, bool]:
    try:
        output = av.open(str(partial), mode="w")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(partial, f"cannot be written ({exc})") from exc
    encoder: _Encoder | None = None
    audio: _AudioCopy | None = None
    try:
        time_base = plan.index.time_base  # the source stream's
        video = _add_video_stream(output, plan, time_base, plan.rate)
        audio = _AudioCopy.open(plan, output)
        encoder = _Encoder(output, video, audio)
        encoder.start()
        done = _feed(plan, encoder, time_base, progress)
        encoder.finish()
        encoder = None
        return done, audio is not None
    except av.error.FFmpegError as exc:
        raise VideoError(plan.source, f"export failed ({exc})") from exc
    finally:
        if encoder is not None:
            encoder.abort()
        if audio is not None:
            audio.close()
        output.close()


def _feed(plan: _Plan, encoder: _Encoder, time_base: Fraction, progress: Progress | None) -> int:
    """Decode, draw and hand each frame of the range to the encoder; returns frames handed."""
    total = plan.stop - plan.start
    first_pts = int(plan.index.pts[plan.start])
    overlay = plan.overlay_settings()
    width, height = plan.out_size
    done = 0
    for n, frame in _decoded_frames(plan):
        pts = int(frame.pts) - first_pts
        frame = frame.reformat(width=width, height=height, format="yuv420p")
        items = overlay_items(plan.layers, n, overlay, plan.src_size)
        info = _info_lines(plan, n) if plan.settings.info_box else None
        if items or info:
            # Copies the picture only if the decoder still holds it as a reference.
            frame.make_writable()
            draw_on_i420(_plane_arrays(frame), items, plan.scale, info)
        frame.pts, frame.time_base = pts, time_base
        # The source's I/P/B choice would otherwise force x264's frame types.
        frame.pict_type = av.video.frame.PictureType.NONE
        encoder.put(frame)
        done += 1
        if progress is not None:
            progress(done, total)
    return done


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


class _Encoder(threading.Thread):
    """Encodes and muxes frames on its own thread; audio is interleaved by time as it goes."""

    def __init__(
        self,
        output: av.container.OutputContainer,
        stream: av.video.stream.VideoStream,
        audio: _AudioCopy | None,
    ) -> None:
        super().__init__(name="export-encoder", daemon=True)
        self._output, self._stream, self._audio = output, stream, audio
        self._queue: queue.Queue[av.VideoFrame | None] = queue.Queue(_ENCODE_QUEUE)
        self._cancelled = threading.Event()
        self.error: BaseException | None = None

    def put(self, frame: av.VideoFrame) -> None:
        while True:
            self._raise_if_failed()
            try:
                self._queue.put(frame, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        """Flush the encoder, write the rest of the audio and wait for the thread."""
        self.put(None)  # type: ignore[arg-type]
        self.join()
        self._raise_if_failed()

    def abort(self) -> None:
        self._cancelled.set()
        self.join()

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error
        if not self.is_alive() and not self._cancelled.is_set() and self._queue.qsize():
            raise RuntimeError("the encoder thread stopped")

    def run(self) -> None:
        try:
            while not self._cancelled.is_set():
                try:
                    frame = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                self._encode(frame)
                if frame is None:
                    if self._audio is not None:
                        self._audio.mux_until(self._output, None)
                    return
        except BaseException as exc:  # handed to the feeding thread, which raises it
            self.error = exc

    def _encode(self, frame: av.VideoFrame | None) -> None:
        for packet in self._stream.encode(frame):
            if self._audio is not None and packet.pts is not None:
                self._audio.mux_until(self._output, float(packet.pts * packet.time_base))
            self._output.mux(packet)


# ----------------------------------------------------------------------------- drawing
def draw_overlay(
    rgb: np.ndarray,
    items: Sequence[Primitive],
    scale: tuple[float, float] = (1.0, 1.0),
    *,
    origin: tuple[int, int] = (0, 0),
) -> None:
    """Draw overlay primitives (video pixels) on an RGB image, in place, like the window.

    A video pixel (x, y) lands at (x * sx - ox, y * sy - oy) of `rgb`, where `origin` (ox,
    oy) lets a caller pass a crop of a bigger picture. Anti-aliased, each primitive
    alpha-blended with its own opacity: trails under markers, dark halos under markers.
    """
    for item in items:
        if isinstance(item, TrailSegment):
            _draw_segment(rgb, item, scale, origin)
        else:
            _draw_marker(rgb, item, scale, origin)


def _mean_scale(scale: tuple[float, float]) -> float:
    return (scale[0] + scale[1]) / 2


def _thickness(width: float, scale: tuple[float, float]) -> int:
    # OpenCV's anti-aliased strokes come out about a pixel wider than asked: round down.
    return max(1, math.floor(width * _mean_scale(scale)))


def _marker_radius(marker: Marker, scale: tuple[float, float]) -> float:
    return max(marker.radius * _mean_scale(scale), _MIN_RADIUS)


def _fixed(x: float, y: float, scale: tuple[float, float], origin: tuple[int, int]) -> tuple:
    """A video point as OpenCV fixed-point image coordinates.

    Video coordinates put the origin at the top-left corner of the top-left pixel (as the
    window does); OpenCV puts pixel centres on integers, hence the half pixel.
    """
    return (
        round((x * scale[0] - 0.5 - origin[0]) * _SUBPIXEL),
        round((y * scale[1] - 0.5 - origin[1]) * _SUBPIXEL),
    )


def _draw_segment(
    rgb: np.ndarray, seg: TrailSegment, scale: tuple[float, float], origin: tuple[int, int]
) -> None:
    thickness = _thickness(seg.width, scale)
    p0 = _fixed(seg.x0, seg.y0, scale, origin)
    p1 = _fixed(seg.x1, seg.y1, scale, origin)

    def paint(img: np.ndarray, shift: tuple[int, int]) -> None:
        a, b = _moved(p0, shift), _moved(p1, shift)
        cv2.line(img, a, b, seg.colour, thickness, cv2.LINE_AA, _SUBPIXEL_BITS)

    _blend(rgb, _points_box([p0, p1], thickness), seg.alpha, paint)


def _draw_marker(
    rgb: np.ndarray, marker: Marker, scale: tuple[float, float], origin: tuple[int, int]
) -> None:
    centre = _fixed(marker.x, marker.y, scale, origin)
    radius = _marker_radius(marker, scale)
    width = _thickness(marker.line_width, scale)
    box = _points_box([centre], width + 2 + radius)
    for colour, alpha, thickness in (
        ((0, 0, 0), _HALO_ALPHA * marker.alpha, width + 2),
        (marker.colour, marker.alpha, width),
    ):
        _blend(rgb, box, alpha, _shape_painter(marker.shape, centre, radius, colour, thickness))
    dot = round(_DOT_RADIUS * _SUBPIXEL)

    def paint_dot(img: np.ndarray, shift: tuple[int, int]) -> None:
        c = _moved(centre, shift)
        cv2.circle(img, c, dot, marker.colour, -1, cv2.LINE_AA, _SUBPIXEL_BITS)

    _blend(rgb, box, marker.alpha, paint_dot)


def _shape_painter(
    shape: Shape, centre: tuple, radius: float, colour: tuple, thickness: int
) -> Callable[[np.ndarray, tuple[int, int]], None]:
    r = round(radius * _SUBPIXEL)
    d = round(radius * 0.75 * _SUBPIXEL)

    def paint(img: np.ndarray, shift: tuple[int, int]) -> None:
        cx, cy = _moved(centre, shift)
        if shape is Shape.RING:
            cv2.circle(img, (cx, cy), r, colour, thickness, cv2.LINE_AA, _SUBPIXEL_BITS)
            return
        for a, b in (((-d, -d), (d, d)), ((-d, d), (d, -d))):
            p, q = (cx + a[0], cy + a[1]), (cx + b[0], cy + b[1])
            cv2.line(img, p, q, colour, thickness, cv2.LINE_AA, _SUBPIXEL_BITS)

    return paint


def _moved(point: tuple, shift: tuple[int, int]) -> tuple[int, int]:
    return (point[0] - shift[0] * _SUBPIXEL, point[1] - shift[1] * _SUBPIXEL)


def _points_box(points: Sequence[tuple], reach: float) -> Box:
    """The pixels within `reach` of fixed-point `points`, with a pixel for anti-aliasing."""
    xs = [p[0] / _SUBPIXEL for p in points]
    ys = [p[1] / _SUBPIXEL for p in points]
    pad = reach + 2
    return (
        math.floor(min(xs) - pad),
        math.floor(min(ys) - pad),
        math.ceil(max(xs) + pad) + 1,
        math.ceil(max(ys) + pad) + 1,
    )


def _blend(
    rgb: np.ndarray,
    box: Box,
    alpha: float,
    paint: Callable[[np.ndarray, tuple[int, int]], None],
) -> None:
    """Paint opaquely on a copy of `box`, then mix the copy in at `alpha`.

    Pixels the painting left alone blend with themselves, so they stay exactly as they were.
    """
    alpha = min(max(alpha, 0.0), 1.0)
    x0, y0, x1, y1 = _clip(box, rgb.shape)
    if alpha <= 0 or x0 >= x1 or y0 >= y1:
        return
    patch = rgb[y0:y1, x0:x1]
    painted = np.ascontiguousarray(patch)
    painted = painted.copy() if painted is patch else painted
    paint(painted, (x0, y0))
    cv2.addWeighted(painted, alpha, patch, 1.0 - alpha, 0.0, dst=painted)
    patch[...] = painted


def _clip(box: Box, shape: tuple[int, ...]) -> Box:
    x0, y0, x1, y1 = box
    height, width = shape[:2]
    return max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)


def _item_box(item: Primitive, scale: tuple[float, float]) -> Box:
    """The pixels (after scaling) that drawing `item` may touch."""
    if isinstance(item, TrailSegment):
        ends = [_fixed(item.x0, item.y0, scale, (0, 0)), _fixed(item.x1, item.y1, scale, (0, 0))]
        return _points_box(ends, _thickness(item.width, scale))
    reach = _thickness(item.line_width, scale) + 2 + _marker_radius(item, scale)
    return _points_box([_fixed(item.x, item.y, scale, (0, 0))], reach)


def draw_info_box(
    rgb: np.ndarray, lines: Sequence[str], *, origin: tuple[int, int] = (0, 0)
) -> None:
    """Text lines on a translucent dark panel at the picture's top-left corner, in place."""
    box = info_box_rect(lines)
    x0, y0, x1, y1 = box
    shifted = (x0 - origin[0], y0 - origin[1], x1 - origin[0], y1 - origin[1])
    cx0, cy0, cx1, cy1 = _clip(shifted, rgb.shape)
    if cx0 < cx1 and cy0 < cy1:
        panel = rgb[cy0:cy1, cx0:cx1]
        panel[...] = (panel.astype(np.uint16) * 2 // 5).astype(np.uint8)
    line_height = _info_line_height()
    for i, text in enumerate(lines):
        baseline = (
            x0 + _INFO_PAD - origin[0],
            y0 + _INFO_PAD + (i + 1) * line_height - 5 - origin[1],
        )
        cv2.putText(rgb, text, baseline, _INFO_FONT, 0.5, (255, 255, 255), 1, cv2.LINE_AA)


def _info_line_height() -> int:
    (_, h), baseline = cv2.getTextSize("Ag", _INFO_FONT, 0.5, 1)
    return h + baseline + 4


def info_box_rect(lines: Sequence[str]) -> Box:
    width = max((cv2.getTextSize(t, _INFO_FONT, 0.5, 1)[0][0] for t in lines), default=0)
    height = len(lines) * _info_line_height()
    return (8, 8, 8 + width + 2 * _INFO_PAD, 8 + height + 2 * _INFO_PAD)


def _info_lines(plan: _Plan, n: int) -> list[str]:
    pts, time_base = plan.index.pts, plan.index.time_base
    seconds = float((pts[n] - pts[0]) * time_base)
    speed = _speed(plan, n)
    speed_text = "-" if speed is None else f"{speed:.1f} px/frame"
    return [f"frame {n}", f"time {seconds:.3f} s", f"speed {speed_text}"]


def _speed(plan: _Plan, n: int) -> float | None:
    """Ball speed in video pixels per frame, from the first drawn layer with a ball at n-1, n."""
    tracks = (
        plan.layers
        if isinstance(plan.layers, Mapping)
        else {LABELS: plan.layers.labels, **plan.layers.predictions}
    )
    wanted = plan.settings.layers
    for name, track in tracks.items():
        if (wanted is not None and name not in wanted) or not 1 <= n < len(track):
            continue
        if track.has_ball[n] and track.has_ball[n - 1]:
            return float(np.hypot(track.x[n] - track.x[n - 1], track.y[n] - track.y[n - 1]))
    return None


def draw_on_yuv420(
    yuv: np.ndarray,
    items: Sequence[Primitive],
    scale: tuple[float, float],
    info: Sequence[str] | None = None,
) -> None:
    """Draw on a packed I420 picture ((h * 3 / 2, w) uint8, as PyAV gives it), in place.

    Only the boxes around what is drawn go through RGB (one per group of overlapping
    primitives, so a ball far from the info box does not drag the whole frame along), and
    only pixels the drawing changed are written back (chroma per 2x2 block): the rest of
    the picture stays bit-exact.
    """
    if not yuv.flags.c_contiguous:
        raise ValueError("the I420 picture must be one contiguous array")
    height, width = yuv.shape[0] * 2 // 3, yuv.shape[1]
    draw_on_i420(_i420_planes(yuv, width, height), items, scale, info)


def draw_on_i420(
    planes: Sequence[np.ndarray],
    items: Sequence[Primitive],
    scale: tuple[float, float],
    info: Sequence[str] | None = None,
) -> None:
    """`draw_on_yuv420` on the three planes (Y, U, V) of a 4:2:0 picture, in place."""
    for box, members in _groups([_item_box(item, scale) for item in items]):
        _draw_region(planes, box, [items[i] for i in members], scale, None)
    if info:
        _draw_region(planes, info_box_rect(info), [], scale, info)


def _plane_arrays(frame: av.VideoFrame) -> list[np.ndarray]:
    """Writable views of a yuv420p frame's planes (rows are padded to line_size)."""
    views = []
    for plane in frame.planes:
        rows = np.frombuffer(plane, np.uint8)[: plane.height * plane.line_size]
        views.append(rows.reshape(plane.height, plane.line_size)[:, : plane.width])
    return views


def _groups(boxes: list[Box]) -> list[tuple[Box, list[int]]]:
    """Boxes merged into groups whose union boxes do not overlap; members keep their order."""
    groups: list[tuple[Box, list[int]]] = []
    for i, box in enumerate(boxes):
        members = [i]
        changed = True
        while changed:  # a grown box may now reach groups it missed before
            changed = False
            for group in list(groups):
                if _overlap(group[0], box):
                    groups.remove(group)
                    box, members = _union(group[0], box), group[1] + members
                    changed = True
        groups.append((box, sorted(members)))
    return groups


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _draw_region(
    planes: Sequence[np.ndarray],
    box: Box,
    items: Sequence[Primitive],
    scale: tuple[float, float],
    info: Sequence[str] | None,
) -> None:
    height, width = planes[0].shape
    x0, y0, x1, y1 = _clip(box, (height, width))
    # Whole chroma blocks: even corners.
    x0, y0, x1, y1 = x0 & ~1, y0 & ~1, min(x1 + (x1 & 1), width), min(y1 + (y1 & 1), height)
    if x0 >= x1 or y0 >= y1:
        return
    crop = [p[y0 // s : y1 // s, x0 // s : x1 // s] for p, s in zip(planes, (1, 2, 2), strict=True)]
    packed = np.concatenate([c.ravel() for c in crop]).reshape(-1, x1 - x0)
    before = cv2.cvtColor(packed, cv2.COLOR_YUV2RGB_I420)
    rgb = before.copy()
    draw_overlay(rgb, items, scale, origin=(x0, y0))
    if info:
        draw_info_box(rgb, info, origin=(x0, y0))
    _write_back(crop, before, rgb)


def _i420_planes(yuv: np.ndarray, width: int, height: int) -> list[np.ndarray]:
    flat = yuv.reshape(-1)
    luma = width * height
    chroma = luma // 4
    return [
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2),
    ]


def _write_back(crop: list[np.ndarray], before: np.ndarray, after: np.ndarray) -> None:
    """Copy the drawn pixels, converted back to I420, into the crop of the planes."""
    changed = _changed_mask(before, after)
    h, w = changed.shape
    new = cv2.cvtColor(after, cv2.COLOR_RGB2YUV_I420).reshape(-1)
    y_new = new[: h * w].reshape(h, w)
    u_new = new[h * w : h * w * 5 // 4].reshape(h // 2, w // 2)
    v_new = new[h * w * 5 // 4 :].reshape(h // 2, w // 2)
    # A chroma sample changes when any of its 2x2 pixels did (area mean > 0).
    block = cv2.resize(changed, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    np.copyto(crop[0], y_new, where=changed.view(bool))
    np.copyto(crop[1], u_new, where=block > 0)
    np.copyto(crop[2], v_new, where=block > 0)


def _changed_mask(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """1 where any channel differs, else 0, as uint8 (OpenCV does this ~10x faster than
    numpy's any over the channel axis)."""
    diff = cv2.absdiff(before, after)
    r, g, b = cv2.split(diff)
    return cv2.threshold(cv2.max(cv2.max(r, g), b), 0, 1, cv2.THRESH_BINARY)[1]
