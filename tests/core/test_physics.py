"""The ball's speed limit that trails obey, and that it is the tracker's own."""

from __future__ import annotations

import numpy as np
import pytest

from tracknet_studio.core.physics import MAX_STEP_OF_DIAGONAL, max_ball_step, plausible_steps


def test_the_limit_is_a_tenth_of_the_diagonal_per_frame():
    assert max_ball_step((1280, 720)) == pytest.approx(0.1 * np.hypot(1280, 720))


def test_steps_are_judged_per_frame_between_the_points():
    frames = np.array([0, 1, 2, 5])
    xs = np.array([0.0, 100.0, 400.0, 700.0])
    ys = np.zeros(4)
    limit = max_ball_step((1280, 720))  # ~147 px
    assert limit < 300 < 3 * limit
    # 100 in 1 frame: fine; 300 in 1 frame: too far; 300 over 3 frames: fine.
    assert plausible_steps(frames, xs, ys, (1280, 720)).tolist() == [True, False, True]
    assert plausible_steps(frames, xs, ys, None).all()


def test_the_core_limit_is_the_trackers_gate():
    tracking = pytest.importorskip("tracknet.tracking")
    assert tracking.TrackerSettings().max_step == MAX_STEP_OF_DIAGONAL
