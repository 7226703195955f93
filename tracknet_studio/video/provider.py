"""Frames served from a worker thread, with prefetch in the direction of play. No Qt.

The UI asks for a frame with :meth:`FrameProvider.request`, which never blocks: a cached
frame comes back at once, otherwise the worker decodes it and calls ``on_frame``. When the
worker has nothing to do it fills the cache ahead of the position in the direction of play
(and a small window on both sides while paused, so stepping back is instant). All callbacks
run on the worker thread; the UI layer marshals them to its own thread.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tracknet_studio.video.frame_cache import FrameCache
from tracknet_studio.video.proxy import ScrubProxy, proxy_folder, proxy_size, wants_proxy
from tracknet_studio.video.reader import VideoError, VideoReader
from tracknet_studio.video.threads import lower_thread_priority

log = logging.getLogger(__name__)

# Prefetch windows in frames: ahead while playing, each side while paused. Both are capped
# to a share of the cache so prefetching never evicts the frames around the position.
PLAY_WINDOW = 90
PAUSED_WINDOW = 12
_WINDOW_CACHE_SHARE = 0.6
# The scrubbing proxy is built only while the provider has nothing to do; it looks again
# this often (seconds) while the provider is busy or playing.
_PROXY_IDLE_POLL = 0.05


@dataclass(frozen=True)
class VideoInfo:
    """What the UI needs to know about an opened video."""

    path: Path
    frame_count: int
    fps: float
    width: int
    height: int
    duration: float
    codec: str
    timestamps: np.ndarray
    is_vfr: bool
    fingerprint: dict

    @classmethod
    def from_reader(cls, reader: VideoReader) -> VideoInfo:
        return cls(
            path=reader.path,
            frame_count=reader.frame_count,
            fps=reader.fps,
            width=reader.width,
            height=reader.height,
            duration=reader.duration,
            codec=reader.codec,
            timestamps=reader.timestamps,
            is_vfr=reader.is_vfr,
            fingerprint=dict(reader.fingerprint),
        )


# Providers not closed yet. A thread still inside FFmpeg or OpenCV when the process exits
# aborts it ("terminate called without an active exception"): they are closed first.
_OPEN: weakref.WeakSet[FrameProvider] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for provider in list(_OPEN):
        provider.close()


class _Cancelled(Exception):
    """Raised inside the index build when the provider closes meanwhile."""


class FrameProvider:
    """Opens a :class:`VideoReader` on its own thread and serves its frames without blocking."""

    def __init__(
        self,
        path: Path | str,
        *,
        cache_mb: int = 512,
        on_ready: Callable[[VideoInfo], None],
        on_frame: Callable[[int, np.ndarray], None],
        on_error: Callable[[Exception], None],
        on_progress: Callable[[float], None] | None = None,
        proxy_root: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.info: VideoInfo | None = None
        self._cache_mb = cache_mb
        self._on_ready = on_ready
        self._on_frame = on_frame
        self._on_error = on_error
        self._on_progress = on_progress
        self._cond = threading.Condition()
        self._cache: FrameCache | None = None
        self._pending: int | None = None
        self._position = 0
        self._direction = 0
        self._closing = False
        self._failed: set[int] = set()  # frames that failed in prefetch: not retried
        self._busy = False  # the worker is decoding (the proxy build waits meanwhile)
        self._proxy_root = proxy_root
        self.proxy: ScrubProxy | None = None  # for videos whose seeks are slow
        self._proxy_stop = threading.Event()
        self._proxy_thread: threading.Thread | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"FrameProvider({self.path.name})", daemon=True
        )
        _OPEN.add(self)
        self._thread.start()

    # ------------------------------------------------------------ caller's side
    def request(self, n: int) -> np.ndarray | None:
        """Frame ``n`` if cached; else None, and ``on_frame(n, frame)`` follows.

        A newer request supersedes an older one that the worker has not started yet.
        """
        info = self.info
        if info is not None and not 0 <= n < info.frame_count:
            raise IndexError(f"frame {n} outside 0..{info.frame_count - 1}")
        cache = self._cache
        frame = cache.get(n) if cache is not None else None
        with self._cond:
            self._position = n
            self._pending = None if frame is not None else n
            self._cond.notify()
        return frame

    def cached(self, n: int) -> np.ndarray | None:
        cache = self._cache
        return cache.peek(n) if cache is not None else None

    def preview(self, n: int) -> np.ndarray | None:
        """Frame n's proxy picture at the video's size, to show until the exact frame is
        decoded; None where the video has no proxy (yet) or it has not reached frame n."""
        proxy, info = self.proxy, self.info
        small = proxy.frame(n) if proxy is not None and info is not None else None
        if small is None or info is None:
            return None
        return cv2.resize(small, (info.width, info.height), interpolation=cv2.INTER_LINEAR)

    def set_direction(self, direction: int) -> None:
        """+1 playing forward, -1 playing backward, 0 paused: steers prefetch."""
        with self._cond:
            self._direction = (direction > 0) - (direction < 0)
            self._cond.notify()

    def close(self) -> None:
        """Stop the worker and wait for it (an index build stops at its next progress step)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._proxy_stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()
        if self._proxy_thread is not None:
            self._proxy_thread.join()
        _OPEN.discard(self)

    def __enter__(self) -> FrameProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ worker's side
    def _run(self) -> None:
        reader = self._open()
        if reader is None:
            return
        try:
            while True:
                with self._cond:
                    job, prefetch = self._next_job(reader)
                    while not self._closing and job is None and prefetch is None:
                        self._cond.wait()
                        job, prefetch = self._next_job(reader)
                    if self._closing:
                        return
                    self._pending = None
                    self._busy = True
                try:
                    if job is not None:
                        self._serve(reader, job)
                    elif prefetch is not None:
                        self._prefetch(reader, prefetch, self._window(reader))
                finally:
                    self._busy = False
        except Exception as e:  # a bug must reach the UI, not die silently in a thread
            log.exception("frame provider for %s stopped", self.path)
            self._on_error(e)
        finally:
            reader.close()

    def _open(self) -> VideoReader | None:
        try:
            reader = VideoReader(self.path, cache_mb=self._cache_mb, progress=self._progress)
        except _Cancelled:
            return None
        except Exception as e:
            self._on_error(e)
            return None
        self.info = VideoInfo.from_reader(reader)
        self._cache = reader.cache
        self._start_proxy(reader)
        self._on_ready(self.info)
        return reader

    # ------------------------------------------------------------ the scrubbing proxy
    def _start_proxy(self, reader: VideoReader) -> None:
        """Open the video's proxy where seeks are slow, and build what it lacks."""
        if not wants_proxy(reader.timestamps, reader.keyframes):
            return
        self.proxy = ScrubProxy(proxy_folder(reader.fingerprint, self._proxy_root),
                                reader.frame_count)  # fmt: skip
        if self.proxy.complete:
            return
        self._proxy_thread = threading.Thread(
            target=self._build_proxy, name=f"ScrubProxy({self.path.name})", daemon=True
        )
        self._proxy_thread.start()

    def _build_proxy(self) -> None:
        proxy, info = self.proxy, self.info
        assert proxy is not None and info is not None
        lower_thread_priority(19)
        try:
            with VideoReader(self.path, cache_mb=8) as reader:
                proxy.build(lambda n: reader.frame(n, keep_before=0),
                            proxy_size(info.width, info.height), stop=self._proxy_stop,
                            wait=self._wait_until_idle)  # fmt: skip
        except Exception:  # the proxy is a convenience: scrubbing works without it
            log.exception("the scrubbing proxy of %s could not be built", self.path)

    def _wait_until_idle(self) -> None:
        """Hold the proxy build while the worker decodes or the video plays."""
        while (self._busy or self._direction != 0) and not self._proxy_stop.is_set():
            self._proxy_stop.wait(_PROXY_IDLE_POLL)

    def _progress(self, fraction: float) -> None:
        if self._closing:
            raise _Cancelled
        if self._on_progress is not None:
            self._on_progress(fraction)

    def _next_job(self, reader: VideoReader) -> tuple[int | None, int | None]:
        """(requested frame, frame to prefetch); called with the lock held."""
        if self._pending is not None:
            return self._pending, None
        return None, self._prefetch_target(reader)

    def _serve(self, reader: VideoReader, n: int) -> None:
        try:
            frame = reader.frame(n)
        except (VideoError, IndexError) as e:
            self._on_error(e)
            return
        with self._cond:
            # Any later request, even one answered from the cache, makes this one stale.
            superseded = self._position != n
            if self._pending == n:
                self._pending = None
        if not superseded:
            self._on_frame(n, frame)

    def _prefetch(self, reader: VideoReader, n: int, window: int) -> None:
        # Reaching a frame behind the decoder means a seek and decoding a stretch of the
        # GOP: keep the whole stretch within the window, not just the target.
        try:
            reader.frame(n, keep_before=window)
        except (VideoError, IndexError) as e:
            log.debug("prefetch of frame %d failed: %s", n, e)
            self._failed.add(n)

    def _window(self, reader: VideoReader) -> int:
        """Frames to prefetch on each side (paused) or ahead (playing), within the budget."""
        frames_in_budget = int(reader.cache.max_bytes * _WINDOW_CACHE_SHARE) // max(
            reader.width * reader.height * 3, 1
        )
        if self._direction == 0:
            return min(PAUSED_WINDOW, frames_in_budget // 2)
        return min(PLAY_WINDOW, frames_in_budget)

    def _prefetch_target(self, reader: VideoReader) -> int | None:
        """The nearest uncached frame in the window around the position, if any."""
        pos, direction = self._position, self._direction
        width = self._window(reader)
        if direction == 0:
            offsets = [o for k in range(1, width + 1) for o in (k, -k)]
        else:
            offsets = [direction * k for k in range(1, width + 1)]
        window = [pos + o for o in (0, *offsets) if 0 <= pos + o < reader.frame_count]
        missing = [n for n in reader.cache.touch(window) if n not in self._failed]
        return missing[0] if missing else None
