"""How far a ball can move between frames: where a drawn trail must break.

A trail that joins two positions further apart than any ball can fly in the frames between
them draws a line across the court that never happened (a jump from the ball to a player or
a score overlay). The limit is the physics tracker's (`tracknet.tracking.TrackerSettings.
max_step`: a tenth of the frame diagonal per frame, a smash close to the camera), restated
here because the core imports nothing of the model package; a test keeps the two equal.
"""

from __future__ import annotations

import math

import numpy as np

MAX_STEP_OF_DIAGONAL = 0.1  # per frame; the same figure as the tracker's gate


def max_ball_step(frame_size: tuple[int, int]) -> float:
    """The longest step a ball can make in one frame, in pixels of a frame this size."""
    return MAX_STEP_OF_DIAGONAL * math.hypot(*frame_size)


def plausible_steps(
    frames: np.ndarray, xs: np.ndarray, ys: np.ndarray, frame_size: tuple[int, int] | None
) -> np.ndarray:
    """For each pair of consecutive points, whether a ball can make that step.

    `frames` are the points' frame numbers (increasing); without a frame size every step
    is plausible. Returns a bool array one shorter than the points.
    """
    if frame_size is None or len(frames) < 2:
        return np.ones(max(len(frames) - 1, 0), bool)
    steps = np.hypot(np.diff(xs), np.diff(ys))
    return steps <= max_ball_step(frame_size) * np.diff(frames)
