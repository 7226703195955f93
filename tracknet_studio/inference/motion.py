"""The auto-track as a Predictor: the ball from motion alone, no model and no torch.

tracknet.motion finds what moves like a ball; tracknet.tracking links it into trajectories
and says "no ball" where nothing moves like one. The same tracker post-processes the
network's heatmaps (LocalPredictor), so every method answers under the same physics.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized

import numpy as np

from .base import FramePrediction, Progress, reported

AUTO_TRACK_NAME = "auto-track"
# Above this share of frames with a moving camera, differencing sees the whole picture move
# and the auto-track's answers are poor (the handheld volleyball clip of the real set: 0.79).
MOVING_CAMERA_SHARE = 0.3


class MotionPredictor:
    """Predicts the ball from motion: broadcast rally shots with a still camera."""

    name = AUTO_TRACK_NAME

    def __init__(self) -> None:
        self.notes: list[str] = []  # what the last run found worth telling the user

    def load(self) -> None:
        """Nothing to load; here so every predictor can be prepared the same way."""

    def describe(self) -> str:
        return "motion, no model"

    def predict(
        self,
        frames: Iterable[np.ndarray],
        *,
        start: int,
        original_size: tuple[int, int],
        progress: Progress | None = None,
    ) -> Iterator[FramePrediction]:
        from tracknet.motion import MotionDetector
        from tracknet.tracking import PhysicsTracker

        total = len(frames) if isinstance(frames, Sized) else 0
        detector = MotionDetector()
        self.notes = []
        points = PhysicsTracker(original_size).track(detector.detect(frames, start=start))
        answers = (FramePrediction(p.index, p.x, p.y, p.confidence, p.visible) for p in points)
        yield from reported(answers, total, progress)
        if detector.camera_moving_share > MOVING_CAMERA_SHARE:
            self.notes.append(
                f"the camera moves in {detector.camera_moving_share:.0%} of the frames: the "
                "auto-track expects a still camera (a broadcast rally shot) and is unreliable "
                "here; a trained model does better on such clips"
            )
