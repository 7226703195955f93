"""Frame-exact random access to a video file.

A :class:`VideoReader` numbers frames by the packet index (presentation timestamps in
order), seeks to the keyframe at or before a target and decodes forward to its exact pts,
and keeps recently decoded frames in a byte-bounded cache.

Threading: a reader is owned by one thread at a time. Its decoder state is not
thread-safe; only :attr:`VideoReader.cache` may be read from other threads.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import av
import av.error
import av.logging
import numpy as np

from tracknet_studio.video.frame_cache import FrameCache
from tracknet_studio.video.packet_index import (
    PacketIndex,
    build_index,
    default_index_dir,
    file_fingerprint,
)

# A seek costs about as much as decoding a few frames (demuxer reset, decoder pipeline
# refill with frame threads), so keep decoding forward when the keyframe is that close.
_FORWARD_SLACK = 4
# Keyframes tried before a target when the demuxer lands too late (MPEG-TS), before
# falling back to decoding from the start of the file.
_SEEK_RETRIES = 3
# Frames decoded on the way to a target are kept for this many frames before it, so a few
# steps back cost no decoding. They are kept as the decoder gave them (YUV) and converted
# to RGB (~2 ms a frame at 720p) only when asked for: a seek converts just its target.
# The provider asks for more when it fills a backward window. Never more than this share
# of the cache.
DEFAULT_KEEP_BEFORE = 12
_WAYPOINT_CACHE_SHARE = 0.5
# Deviation from the median frame interval (in time-base ticks and as a fraction) above
# which a file counts as variable frame rate; containers round pts to their time base.
_VFR_TICKS = 2
_VFR_FRACTION = 0.02


_OUT_OF_ORDER = (
    "stores no presentation timestamps for its B-frames (H.264 in AVI?), so frames "
    "cannot be numbered exactly; remux it into MP4 or MKV"
)


class VideoError(Exception):
    """A video cannot be opened or a frame cannot be decoded; the message says which."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class VideoReader:
    """Frame-exact reader of one video stream. Owned by one thread at a time.

    ``frame(n)`` returns a read-only ``(height, width, 3)`` uint8 RGB array; copy it before
    drawing on it.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        cache_mb: int = 512,
        progress: Callable[[float], None] | None = None,
        index_cache_dir: Path | str | None = None,
    ) -> None:
        self.path = Path(path)
        self.cache = FrameCache(cache_mb * 1024 * 1024)
        # Decoded frames kept on the way to a target, not converted yet (see above).
        self._held: OrderedDict[int, av.VideoFrame] = OrderedDict()
        self.index_built = False  # True when this open had to demux the file
        self._container: av.container.InputContainer | None = None
        size, digest = self._fingerprint_file()
        self._container, stream = self._open_stream()
        try:
            self._index = self._load_or_build_index(
                size, digest, Path(index_cache_dir or default_index_dir()), progress
            )
            self._describe(stream)
        except BaseException:
            self.close()
            raise
        self.fingerprint = {"size": size, "hash": digest, "frame_count": self.frame_count}
        self._frames: Iterator[av.VideoFrame] | None = None
        self._last_index: int | None = None  # last frame the decoder produced
        self._valid_from = 0  # frames before this index may be broken (open-GOP leaders)
        self._skip_before_pts = int(self._index.pts[0])  # see _decode_packets

    # ----------------------------------------------------------------- opening
    def _fingerprint_file(self) -> tuple[int, str]:
        if not self.path.exists():
            raise VideoError(self.path, "file does not exist")
        if not self.path.is_file():
            raise VideoError(self.path, "not a file")
        try:
            return file_fingerprint(self.path)
        except OSError as e:
            raise VideoError(self.path, f"cannot be read: {e.strerror or e}") from e

    def _open_stream(self) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
        try:
            container = av.open(str(self.path), mode="r")
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as e:
            reason = _ffmpeg_says(self.path) or _reason(e)
            raise VideoError(self.path, f"not a readable video file ({reason})") from e
        try:
            stream = self._pick_stream(container)
            stream.thread_type = "AUTO"  # frame threads: ~2x throughput on 2 cores
        except BaseException:
            container.close()
            raise
        return container, stream

    def _pick_stream(self, container: av.container.InputContainer) -> av.video.stream.VideoStream:
        # Cover art in music files is a one-picture "video" stream: not a video.
        videos = [s for s in container.streams.video if not _is_cover_picture(s)]
        if not videos:
            kinds = sorted({s.type for s in container.streams if not _is_cover_picture(s)})
            has = f"only {', '.join(kinds)} streams" if kinds else "no streams"
            if len(videos) < len(container.streams.video):
                has += " and a cover picture"
            raise VideoError(self.path, f"contains no video stream ({has})")
        stream = videos[0]
        codec = stream.codec_context
        if codec is None or not _has_decoder(codec.name):
            raise VideoError(self.path, f"unsupported video codec {_codec_label(stream)!r}")
        return stream

    def _load_or_build_index(
        self,
        size: int,
        digest: str,
        index_dir: Path,
        progress: Callable[[float], None] | None,
    ) -> PacketIndex:
        index_file = index_dir / f"{digest}-{size}.npz"
        index = PacketIndex.load(index_file)
        if index is None:
            index = self._build_index(size, progress)
            self.index_built = True
            # A read-only cache folder only costs a rebuild next time.
            with contextlib.suppress(OSError):
                index.save(index_file)
        elif progress is not None:
            progress(1.0)
        if index.frame_count == 0 and index.untimed_packets:
            raise VideoError(
                self.path,
                "video packets carry no timestamps (a raw elementary stream?), so frames "
                "cannot be numbered exactly; remux it into MP4 or MKV",
            )
        if index.frame_count == 0:
            raise VideoError(self.path, "contains no video frames")
        if (
            self._container.format.name == "avi"
            and self._stream_has_b_frames()
            and index.pts_rise_in_decode_order
        ):
            raise VideoError(self.path, _OUT_OF_ORDER)
        return index

    def _stream_has_b_frames(self) -> bool:
        assert self._container is not None
        return bool(self._container.streams.video[0].codec_context.has_b_frames)

    def _build_index(self, size: int, progress: Callable[[float], None] | None) -> PacketIndex:
        # A container of its own: seeking back to the start is unreliable in some formats.
        container, stream = self._open_stream()
        try:
            return build_index(container, stream, size, progress)
        except av.error.FFmpegError as e:
            raise VideoError(self.path, f"cannot be read ({_reason(e)})") from e
        finally:
            container.close()

    def _describe(self, stream: av.video.stream.VideoStream) -> None:
        index = self._index
        self._stream = stream
        self.frame_count = index.frame_count
        self.width = int(stream.codec_context.width)
        self.height = int(stream.codec_context.height)
        self.codec = stream.codec_context.name
        ticks = index.pts - index.pts[0]
        self.timestamps = (ticks * float(index.time_base)).astype(np.float64)
        self.timestamps.flags.writeable = False
        intervals = np.diff(ticks)
        if len(intervals):
            median = float(np.median(intervals))
            tolerance = max(_VFR_TICKS, _VFR_FRACTION * median)
            self.is_vfr = bool(np.any(np.abs(intervals - median) > tolerance))
            last_duration = median * float(index.time_base)
        else:
            self.is_vfr = False
            rate = stream.average_rate or stream.guessed_rate
            last_duration = 1.0 / float(rate) if rate else 0.0
        self.duration = float(self.timestamps[-1] + last_duration)
        self.fps = self.frame_count / self.duration if self.duration > 0 else 0.0

    # ------------------------------------------------------------------ queries
    def timestamp(self, n: int) -> float:
        """Seconds from the first frame to frame ``n``."""
        self._check_range(n)
        return float(self.timestamps[n])

    def index_at_time(self, t: float) -> int:
        """The frame on screen at ``t`` seconds: the last one whose timestamp is <= t."""
        n = int(np.searchsorted(self.timestamps, t + 1e-9, side="right")) - 1
        return min(max(n, 0), self.frame_count - 1)

    def keyframe_before(self, n: int) -> int:
        """The last keyframe at or before frame ``n`` (0 when the index lists none)."""
        keys = self._index.keyframes
        pos = int(np.searchsorted(keys, n, side="right")) - 1
        return int(keys[pos]) if pos >= 0 else 0

    @property
    def keyframes(self) -> np.ndarray:
        return self._index.keyframes

    @property
    def truncated(self) -> bool:
        """The container announces more frames than its packets hold."""
        return self._index.header_frames > self.frame_count

    def _check_range(self, n: int) -> None:
        if 0 <= n < self.frame_count:
            return
        if self.truncated and self.frame_count <= n < self._index.header_frames:
            raise VideoError(
                self.path,
                f"frame {n} lies past the end of the truncated file "
                f"(only {self.frame_count} of {self._index.header_frames} frames present)",
            )
        raise IndexError(f"frame {n} outside 0..{self.frame_count - 1} of {self.path}")

    # ----------------------------------------------------------------- decoding
    def frame(self, n: int, *, keep_before: int = DEFAULT_KEEP_BEFORE) -> np.ndarray:
        """Frame ``n`` as a read-only (height, width, 3) uint8 RGB array.

        Frames decoded on the way to ``n`` are cached too, up to ``keep_before`` of them
        (bounded by half the cache).
        """
        self._check_range(n)
        cached = self.cache.get(n)
        if cached is not None:
            return cached
        if self._container is None:
            raise VideoError(self.path, "reader is closed")
        held = self._held.pop(n, None)
        if held is not None:  # decoded on the way to an earlier target: only convert it
            rgb = held.to_ndarray(format="rgb24")
            self.cache.put(n, rgb)
            return rgb
        keep_from = max(0, n - min(keep_before, self._waypoint_budget()))
        # Frames before keep_from are wanted only as references (see _decode_packets).
        # Packets the decoder already holds were judged by an earlier bar, which lay at or
        # before an earlier target, so frame n itself was never skipped.
        self._skip_before_pts = int(self._index.pts[keep_from])
        try:
            if self._can_continue_to(n):
                return self._decode_until(n, keep_from=keep_from)
            return self._seek_and_decode(n, keep_from)
        except av.error.FFmpegError as e:
            self._forget_position()
            raise VideoError(self.path, f"frame {n} cannot be decoded ({_reason(e)})") from e

    def _can_continue_to(self, n: int) -> bool:
        """Decoding forward from the current position is no dearer than a seek."""
        last = self._last_index
        if last is None or self._frames is None or not last < n or n < self._valid_from:
            return False
        return self.keyframe_before(n) <= last + _FORWARD_SLACK

    def _seek_and_decode(self, n: int, keep_from: int) -> np.ndarray:
        keys = self._index.keyframes
        pos = int(np.searchsorted(keys, n, side="right")) - 1
        for attempt in range(_SEEK_RETRIES):
            if pos - attempt < 0:
                break
            key = int(keys[pos - attempt])
            if self._seek_to_keyframe(key):
                return self._decode_until(n, keep_from=max(keep_from, key))
        # The demuxer kept landing late: decode from the very start of the file.
        self._restart_from_beginning()
        return self._decode_until(n, keep_from=keep_from)

    def _seek_to_keyframe(self, key: int) -> bool:
        """Seek so decoding starts at or before frame ``key``; False if it landed late."""
        assert self._container is not None
        self._seek_container(int(self._index.pts[key]))
        self._frames = self._decode_packets()
        self._valid_from = key
        for frame in self._frames:
            index = self._index_of(frame)
            if index is None:
                continue
            self._frames = itertools.chain([frame], self._frames)
            self._last_index = None
            # A first frame after `key` means the demuxer skipped past it (MPEG-TS).
            return index <= key
        self._forget_position()
        return False

    def _seek_container(self, pts: int) -> None:
        assert self._container is not None
        self._container.seek(pts, stream=self._stream, backward=True)

    def _restart_from_beginning(self) -> None:
        assert self._container is not None
        self._container.close()
        self._container, self._stream = self._open_stream()
        self._frames = self._decode_packets()
        self._valid_from = 0
        self._last_index = None

    def _decode_packets(self) -> Iterator[av.VideoFrame]:
        """Decode the stream from the demuxer's position, skipping what nobody will see.

        Packets shown before ``_skip_before_pts`` are decoded only if other frames refer to
        them: non-reference frames (most B-frames) are skipped there, which cuts a long
        seek's decoding by about a third. Set per packet, so it never hides a wanted frame.
        """
        assert self._container is not None
        codec = self._stream.codec_context
        for packet in self._container.demux(self._stream):
            skip = packet.pts is not None and packet.pts < self._skip_before_pts
            mode = "NONREF" if skip else "DEFAULT"
            if codec.skip_frame != mode:
                codec.skip_frame = mode
            yield from codec.decode(packet)

    def _decode_until(self, n: int, keep_from: int) -> np.ndarray:
        """Decode forward to frame ``n``, caching frames from ``keep_from`` on."""
        assert self._frames is not None
        for frame in self._frames:
            index = self._index_of(frame)
            if index is None:
                continue
            if index >= self._valid_from:
                if self._last_index is not None and index <= self._last_index:
                    self._forget_position()
                    raise VideoError(
                        self.path,
                        f"frames come out of timestamp order near frame {index}, so frames "
                        "cannot be numbered exactly; remux it into MP4 or MKV",
                    )
                self._last_index = index
            if index > n:
                break
            if index >= keep_from and index >= self._valid_from:
                if index == n:
                    rgb = frame.to_ndarray(format="rgb24")
                    self.cache.put(n, rgb)
                    return rgb
                if index not in self.cache:
                    self._hold(index, frame, n - keep_from)
        self._forget_position()
        raise VideoError(self.path, f"frame {n} cannot be decoded (missing or corrupt data)")

    def _hold(self, index: int, frame: av.VideoFrame, limit: int) -> None:
        """Keep a frame decoded on the way, unconverted; at most `limit` of them."""
        self._held[index] = frame
        self._held.move_to_end(index)
        while len(self._held) > max(limit, 0):
            self._held.popitem(last=False)

    def kept(self) -> list[int]:
        """The frames that need no decoding: cached, or kept on the way to a target."""
        return sorted({*self.cache.indices(), *self._held})

    def forget_frames(self) -> None:
        """Drop every decoded frame kept (the next request of any frame decodes it)."""
        self.cache.clear()
        self._held.clear()

    def _index_of(self, frame: av.VideoFrame) -> int | None:
        pts = frame.pts
        if pts is None:
            return None
        index = int(np.searchsorted(self._index.pts, pts))
        if index < self.frame_count and self._index.pts[index] == pts:
            return index
        return None

    def _waypoint_budget(self) -> int:
        frame_bytes = self.width * self.height * 3
        return int(self.cache.max_bytes * _WAYPOINT_CACHE_SHARE) // max(frame_bytes, 1)

    def _forget_position(self) -> None:
        self._frames = None
        self._last_index = None

    # ---------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Release the file and the cached frames (memory returns at once, not at GC)."""
        self.forget_frames()
        if self._container is not None:
            self._container.close()
            self._container = None
        self._frames = None
        _return_freed_memory()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"VideoReader({str(self.path)!r}, {self.width}x{self.height}, {self.codec}, "
            f"{self.frame_count} frames, {self.fps:.3f} fps)"
        )


def _return_freed_memory() -> None:
    """Hand freed frame memory back to the OS (glibc keeps it in per-thread arenas).

    Frames are allocated on the decoding thread; without this, closing a video leaves
    its cache's worth of memory mapped until the next video happens to reuse it.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _is_cover_picture(stream: av.stream.Stream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _has_decoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "r")
    except (av.error.FFmpegError, ValueError):
        return False
    return True


def _codec_label(stream: av.video.stream.VideoStream) -> str:
    codec = stream.codec_context
    return codec.name if codec is not None and codec.name else "unknown to FFmpeg"


def _ffmpeg_says(path: Path) -> str | None:
    """FFmpeg's own last error line for a file it refuses to open, e.g. "Picture size
    60000x60000 is invalid" where the error code alone reads "Device or resource busy".
    Its log is off by default (and stays off while decoding): it is only read here, by
    opening the refused file once more."""
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture() as logs, contextlib.suppress(Exception):
            av.open(str(path), mode="r").close()
    finally:
        av.logging.set_level(previous)
    lines = [text.strip() for level, _name, text in logs if level <= av.logging.ERROR]
    return lines[-1] if lines else None


def _reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__
