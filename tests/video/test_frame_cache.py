"""The frame cache: bounded by bytes, least recently used out first, windows kept by touch."""

from __future__ import annotations

import threading

import numpy as np

from tracknet_studio.video.frame_cache import FrameCache

FRAME_BYTES = 100 * 100 * 3


def frame(value: int) -> np.ndarray:
    return np.full((100, 100, 3), value, np.uint8)


def test_bounded_by_bytes_and_evicts_least_recently_used() -> None:
    cache = FrameCache(3 * FRAME_BYTES)
    for n in range(3):
        cache.put(n, frame(n))
    assert cache.get(0) is not None  # 0 is now the most recently used
    cache.put(3, frame(3))
    assert cache.indices() == [2, 0, 3]
    assert cache.nbytes == 3 * FRAME_BYTES


def test_touch_protects_a_window_and_reports_the_missing() -> None:
    cache = FrameCache(4 * FRAME_BYTES)
    for n in (10, 11, 12, 13):
        cache.put(n, frame(n))
    assert cache.touch([11, 14, 10, 15]) == [14, 15]
    cache.put(20, frame(20))
    cache.put(21, frame(21))
    assert sorted(cache.indices()) == [10, 11, 20, 21]  # 12 and 13 went, the window stayed


def test_frames_are_read_only_and_oversized_ones_are_not_kept() -> None:
    cache = FrameCache(FRAME_BYTES)
    cache.put(1, frame(1))
    assert not cache.get(1).flags.writeable
    cache.put(2, np.zeros((200, 200, 3), np.uint8))
    assert 2 not in cache and 1 in cache
    assert FrameCache(0).get(1) is None


def test_concurrent_use_keeps_the_byte_count_right() -> None:
    cache = FrameCache(5 * FRAME_BYTES)

    def hammer(offset: int) -> None:
        for n in range(200):
            cache.put(offset + n % 7, frame(n % 256))
            cache.get(offset + (n * 3) % 7)
            cache.touch([offset, offset + 1])

    threads = [threading.Thread(target=hammer, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.nbytes == len(cache) * FRAME_BYTES <= 5 * FRAME_BYTES
