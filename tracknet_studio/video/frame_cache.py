"""A least-recently-used cache of decoded frames bounded by bytes, not by frame count."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class FrameCache:
    """Frames by index, evicting the least recently used once ``max_bytes`` is exceeded.

    Thread-safe: the decoding thread fills it while another thread may look frames up.
    Stored arrays are made read-only so that no caller can alter a cached frame.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._frames

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, index: int) -> np.ndarray | None:
        with self._lock:
            frame = self._frames.get(index)
            if frame is not None:
                self._frames.move_to_end(index)
            return frame

    def peek(self, index: int) -> np.ndarray | None:
        """Look a frame up without making it recently used (for prefetch planning)."""
        with self._lock:
            return self._frames.get(index)

    def touch(self, indices: list[int]) -> list[int]:
        """Mark the cached ones of ``indices`` as used, the first most recently; return the
        missing ones in the given order.

        Prefetched frames are not looked at until the position reaches them, so plain LRU
        would evict them first; the provider touches its window to keep it.
        """
        missing = []
        with self._lock:
            for index in reversed(indices):
                if index in self._frames:
                    self._frames.move_to_end(index)
                else:
                    missing.append(index)
        missing.reverse()
        return missing

    def put(self, index: int, frame: np.ndarray) -> None:
        if frame.nbytes > self.max_bytes:
            return
        frame.flags.writeable = False
        with self._lock:
            old = self._frames.pop(index, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._frames[index] = frame
            self._bytes += frame.nbytes
            while self._bytes > self.max_bytes:
                _, evicted = self._frames.popitem(last=False)
                self._bytes -= evicted.nbytes

    def indices(self) -> list[int]:
        with self._lock:
            return list(self._frames)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0
