"""The playback clock: which frame should be on screen now, from the video's own timestamps.

Kept free of widgets so its arithmetic is tested on its own. The clock never looks at what
was decoded: decoding that falls behind makes the window skip frames, never slow down.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
MIN_SPEED, MAX_SPEED = SPEEDS[0], SPEEDS[-1]


def frame_at(timestamps: np.ndarray, t: float) -> int:
    """The frame on screen at video time t: the last one whose timestamp is at or before t."""
    n = int(np.searchsorted(timestamps, t, side="right")) - 1
    return min(max(n, 0), len(timestamps) - 1)


class PlaybackClock:
    """Maps wall time since start, times speed, to a frame through the timestamps (VFR too).

    `now` is injectable so tests drive time by hand.
    """

    def __init__(self, timestamps: np.ndarray, now: Callable[[], float] = time.monotonic):
        if len(timestamps) == 0:
            raise ValueError("a clock needs at least one frame timestamp")
        self.timestamps = np.asarray(timestamps, dtype=np.float64)
        self._now = now
        self.direction = 0
        self.speed = 1.0
        self._origin_video_time = 0.0
        self._origin_wall = 0.0

    @property
    def running(self) -> bool:
        return self.direction != 0

    @property
    def last_frame(self) -> int:
        return len(self.timestamps) - 1

    def start(self, frame: int, direction: int, speed: float | None = None) -> None:
        """Run from `frame` (+1 forward, -1 backward)."""
        if direction not in (1, -1):
            raise ValueError(f"direction must be +1 or -1, not {direction}")
        if speed is not None:
            self.speed = speed
        self.direction = direction
        self._origin_video_time = self._frame_start_time(frame, direction)
        self._origin_wall = self._now()

    def stop(self) -> None:
        self.direction = 0

    def set_speed(self, speed: float) -> None:
        """Change speed without a jump: re-anchor the clock at the current video time."""
        if self.running:
            self._origin_video_time = self.video_time()
            self._origin_wall = self._now()
        self.speed = speed

    def video_time(self) -> float:
        elapsed = (self._now() - self._origin_wall) * self.speed
        return self._origin_video_time + self.direction * elapsed

    def target_frame(self) -> int:
        return frame_at(self.timestamps, self.video_time())

    def at_end(self) -> bool:
        """True once the clock has run past the last frame in its direction."""
        if self.direction > 0:
            return self.video_time() >= self._end_time()
        if self.direction < 0:
            return self.video_time() < self.timestamps[0]
        return False

    def _end_time(self) -> float:
        ts = self.timestamps
        last_duration = ts[-1] - ts[-2] if len(ts) > 1 else 1 / 30
        return float(ts[-1] + last_duration)

    def _frame_start_time(self, frame: int, direction: int) -> float:
        ts = self.timestamps
        frame = min(max(frame, 0), self.last_frame)
        if direction > 0:
            return float(ts[frame])
        # Backward, frame n owns (ts[n], ts[n+1]]; start just under its end so it shows first.
        end = ts[frame + 1] if frame + 1 < len(ts) else self._end_time()
        return float(np.nextafter(end, -np.inf))
