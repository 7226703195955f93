"""A deterministic Predictor for tests: the true track with known perturbations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from tracknet_studio.inference import FramePrediction


class TrackPredictor:
    """Answers from a known track: frame -> (x, y) or None (no ball), plus offsets.

    `offsets` maps frames to an (dx, dy) added to the truth; `missed` frames answer no ball
    and `invented` frames answer a ball at the given place although the truth has none.
    Every frame is read from the stream, so the reading path is exercised too.
    """

    name = "stub"

    def __init__(
        self,
        truth: Mapping[int, tuple[float, float] | None],
        offsets: Mapping[int, tuple[float, float]] | None = None,
        missed: Iterable[int] = (),
        invented: Mapping[int, tuple[float, float]] | None = None,
        confidence: float = 0.75,
    ) -> None:
        self.truth, self.offsets = dict(truth), dict(offsets or {})
        self.missed, self.invented = set(missed), dict(invented or {})
        self.confidence = confidence
        self.frames_seen: list[tuple[int, tuple[int, ...]]] = []

    def predict(
        self, frames: Iterable[np.ndarray], *, start: int, original_size: tuple[int, int],
        progress=None,
    ) -> Iterator[FramePrediction]:  # fmt: skip
        for i, image in enumerate(frames):
            frame = start + i
            self.frames_seen.append((frame, image.shape))
            point = self._answer(frame)
            if point is None:
                yield FramePrediction(frame, np.nan, np.nan, 0.1, False)
            else:
                yield FramePrediction(frame, point[0], point[1], self.confidence, True)

    def _answer(self, frame: int) -> tuple[float, float] | None:
        if frame in self.invented:
            return self.invented[frame]
        point = self.truth.get(frame)
        if point is None or frame in self.missed:
            return None
        dx, dy = self.offsets.get(frame, (0.0, 0.0))
        return point[0] + dx, point[1] + dy


class ArrayReader:
    """A reader over frames held in memory (what predict_track needs of VideoReader)."""

    def __init__(self, n: int, width: int = 64, height: int = 36) -> None:
        self.frame_count, self.width, self.height = n, width, height
        self.read: list[int] = []

    def frame(self, n: int, keep_before: int = 0) -> np.ndarray:
        self.read.append(n)
        return np.full((self.height, self.width, 3), n % 256, np.uint8)
