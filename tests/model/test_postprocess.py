"""Blob finding at sub-pixel accuracy, blob choice, and the constant-acceleration tracker."""

from __future__ import annotations

import numpy as np
import pytest
from tracknet.postprocess import BallTracker, Blob, detect_batch, find_blobs


def _gaussian(height: int, width: int, x: float, y: float, sigma: float = 1.5) -> np.ndarray:
    rows, cols = np.indices((height, width), dtype=np.float64)
    return np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * sigma**2)).astype(np.float32)


@pytest.mark.parametrize(("x", "y"), [(20.3, 11.7), (33.5, 5.25), (7.9, 18.1)])
def test_weighted_centroid_is_sub_pixel_accurate(x: float, y: float) -> None:
    heat = _gaussian(24, 48, x, y)
    (blob,) = find_blobs(heat, 0.5)
    assert blob.x == pytest.approx(x, abs=0.1)
    assert blob.y == pytest.approx(y, abs=0.1)
    assert blob.peak == pytest.approx(float(heat.max()))
    # Rounding to the brightest pixel would be off by up to half a pixel each way.
    assert np.hypot(blob.x - x, blob.y - y) < 0.15


def test_blobs_come_largest_first_and_nothing_below_threshold() -> None:
    heat = np.zeros((30, 60), np.float32)
    heat[5:7, 5:7] = 0.9  # 4 px
    heat[20:25, 40:45] = 0.6  # 25 px, dimmer but larger
    heat[0, 59] = 0.4  # below the threshold
    blobs = find_blobs(heat, 0.5)
    assert [b.area for b in blobs] == [25, 4]
    assert (blobs[0].x, blobs[0].y) == (42.0, 22.0)
    assert find_blobs(np.zeros((5, 5), np.float32), 0.5) == []


def test_detect_batch_takes_the_largest_blob_per_map() -> None:
    maps = np.zeros((2, 20, 20), np.float32)
    maps[0, 2:4, 2:4] = 1.0
    maps[0, 10:15, 10:15] = 1.0
    found, xy = detect_batch(maps, 0.5)
    assert found.tolist() == [True, False]
    assert xy[0].tolist() == [12.0, 12.0] and np.isnan(xy[1]).all()


def _blob(x: float, y: float, area: int = 5, peak: float = 0.9) -> Blob:
    return Blob(x=x, y=y, area=area, peak=peak)


def test_tracker_prefers_the_candidate_nearest_constant_acceleration() -> None:
    tracker = BallTracker()
    # A ball under gravity: y = 10 + 2 t + t^2 -> 10, 13, 18, then 25 expected at t = 3.
    for t, y in enumerate([10.0, 13.0, 18.0]):
        tracker.update(t, [_blob(100 + 5 * t, y)])
    assert tracker.expected(3) == pytest.approx((115.0, 25.0))
    # A larger false blob near the constant-velocity guess (y = 23) and the true one at 25.
    decoy, ball = _blob(115, 21, area=40), _blob(115, 25.5, area=3)
    assert tracker.update(3, [decoy, ball]) is ball


def test_tracker_takes_the_largest_blob_without_history_and_after_a_gap() -> None:
    tracker = BallTracker(max_gap=4)
    small, large = _blob(10, 10, area=3), _blob(200, 100, area=12)
    assert tracker.update(0, [small, large]) is large
    tracker.update(1, [_blob(202, 100)])
    # Ten frames later the history is stale: the largest blob wins again.
    assert tracker.expected(11) is None
    assert tracker.update(11, [_blob(200, 100, area=2), _blob(20, 20, area=9)]).area == 9


def test_tracker_restarts_when_every_candidate_is_far_from_the_prediction() -> None:
    tracker = BallTracker(gate=30)
    for t in range(3):
        tracker.update(t, [_blob(10 * t, 50)])
    far_small, far_large = _blob(300, 50, area=2), _blob(400, 200, area=8)
    assert tracker.update(3, [far_small, far_large]) is far_large
    assert tracker.expected(4) == pytest.approx((400, 200))
    assert tracker.update(5, []) is None


def test_a_clearly_hotter_ball_takes_the_tracker_from_a_weak_slow_false_track() -> None:
    # What held-out clip test00 showed: a ball-yellow shirt at heat 0.5 jittering in place,
    # and the real ball 50 px away at 0.95, nearer the shirt's prediction than the gate.
    tracker = BallTracker(gate=80, override=0.2)
    for t, x in enumerate([250.0, 253.0, 249.0, 252.0]):
        tracker.update(t, [_blob(x, 60, area=20, peak=0.5)])
    shirt, ball = _blob(251, 61, area=20, peak=0.5), _blob(290, 95, area=18, peak=0.95)
    assert tracker.update(4, [shirt, ball]) is ball
    # The new history follows the ball, although the shirt is still there.
    assert tracker.update(5, [_blob(251, 60, peak=0.5), _blob(289, 92, peak=0.95)]).x == 289


def test_a_little_more_heat_does_not_take_the_tracker_off_a_ball_in_flight() -> None:
    tracker = BallTracker(override=0.2)
    for t in range(3):
        tracker.update(t, [_blob(100 + 8 * t, 50, peak=0.6)])
    ball, brighter_decoy = _blob(124, 50, peak=0.6), _blob(140, 80, peak=0.75)
    assert tracker.update(3, [brighter_decoy, ball]) is ball
