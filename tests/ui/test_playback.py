"""The playback clock, and playback that skips frames instead of falling behind."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.ui.playback import PlaybackClock, frame_at
from tracknet_studio.video.framecode import draw_frame_number, read_frame_number


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


VFR = np.array([0.0, 0.02, 0.08, 0.10, 0.16, 0.20])


def test_frame_at_uses_timestamps_not_fps():
    assert frame_at(VFR, 0.0) == 0
    assert frame_at(VFR, 0.079) == 1
    assert frame_at(VFR, 0.08) == 2
    assert frame_at(VFR, 0.15) == 3
    assert frame_at(VFR, -1.0) == 0
    assert frame_at(VFR, 9.0) == 5


def test_clock_forward_follows_vfr_timestamps_and_speed():
    now = FakeTime()
    clock = PlaybackClock(VFR, now)
    clock.start(1, +1, speed=1.0)
    assert clock.target_frame() == 1
    now.t += 0.059  # video time 0.079
    assert clock.target_frame() == 1
    now.t += 0.002
    assert clock.target_frame() == 2
    clock.set_speed(2.0)  # no jump when the speed changes
    assert clock.target_frame() == 2
    now.t += 0.05  # +0.1 s of video
    assert clock.target_frame() == 4
    assert not clock.at_end()
    now.t += 1.0
    assert clock.target_frame() == 5 and clock.at_end()


def test_clock_backward_shows_the_start_frame_first_then_earlier_ones():
    now = FakeTime()
    clock = PlaybackClock(VFR, now)
    clock.start(3, -1, speed=0.5)
    assert clock.target_frame() == 3
    now.t += 0.03  # 0.015 s of video back: frame 3 lasts 0.06 s
    assert clock.target_frame() == 3
    now.t += 0.1  # 0.065 s back in all, from just under 0.16 -> 0.095
    assert clock.target_frame() == 2
    now.t += 1.0
    assert clock.target_frame() == 0 and clock.at_end()


def test_clock_rejects_bad_input():
    with pytest.raises(ValueError):
        PlaybackClock(np.array([]))
    with pytest.raises(ValueError):
        PlaybackClock(VFR).start(0, 0)


@dataclass(frozen=True)
class FakeInfo:
    path: Path
    frame_count: int
    fps: float
    width: int = 160
    height: int = 90
    codec: str = "fake"
    is_vfr: bool = False

    @property
    def timestamps(self) -> np.ndarray:
        return np.arange(self.frame_count) / self.fps


class SlowProvider:
    """A decoder that needs `delay` seconds per frame and caches nothing."""

    def __init__(self, path, *, on_ready, on_frame, on_error, on_progress=None, delay=0.1):
        self.info = FakeInfo(Path(path), frame_count=300, fps=30.0)
        self.delay = delay
        self._on_frame = on_frame
        self._wanted: int | None = None
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        on_ready(self.info)

    def request(self, n: int) -> None:
        with self._cond:
            self._wanted = n
            self._cond.notify()

    def cached(self, n: int) -> None:
        return None

    def set_direction(self, direction: int) -> None:
        pass

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._wanted is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                n, self._wanted = self._wanted, None
            time.sleep(self.delay)
            image = np.zeros((self.info.height, self.info.width, 3), np.uint8)
            draw_frame_number(image, n)
            self._on_frame(n, image)


@pytest.mark.ui
def test_slow_decoding_skips_frames_instead_of_falling_behind(make_window, qtbot, tmp_path):
    window = make_window(provider_factory=SlowProvider)
    shown: list[int] = []
    window.player.frame_shown.connect(shown.append)
    window.files.open_video(tmp_path / "slow.mp4")
    qtbot.waitUntil(lambda: shown == [0], timeout=3000)
    started = time.monotonic()
    window.player.toggle_play()
    qtbot.wait(700)
    clock_frame = window.player._clock.target_frame()
    elapsed = time.monotonic() - started
    window.player.toggle_play()
    assert shown == sorted(shown) and len(set(shown)) == len(shown)
    # The frame on screen trails the clock by about one decode (0.1 s = 3 frames), not more.
    assert clock_frame >= int(elapsed * 30) - 1
    assert clock_frame - shown[-1] <= 12  # loose: this machine may be busy
    assert window.player.dropped_frames == sum(b - a - 1 for a, b in pairwise(shown))
    assert window.player.dropped_frames > 0
    assert read_frame_number(window.view.current_array()) == window.player.displayed_frame
