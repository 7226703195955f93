"""The auto-track as a Predictor: the ball from motion alone, no model and no torch.

tracknet.motion finds what moves like a ball; tracknet.tracking links it into trajectories
and says "no ball" where nothing moves like one. The same tracker post-processes the
network's heatmaps (LocalPredictor), so every method answers under the same physics.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized

import numpy as np

from .base import FramePrediction, Progress

AUTO_TRACK_NAME = "auto-track"


class MotionPredictor:
    """Predicts the ball from motion: broadcast rally shots with a still camera."""

    name = AUTO_TRACK_NAME

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
        candidates = MotionDetector().detect(frames, start=start)
        points = PhysicsTracker(original_size).track(candidates)
        for done, point in enumerate(points, start=1):
            yield FramePrediction(
                frame=point.index,
                x=point.x,
                y=point.y,
                confidence=point.confidence,
                visible=point.visible,
            )
            if progress is not None:
                progress(done, total)
