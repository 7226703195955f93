"""A prediction against the labels: the one comparison the metrics panel, `tracknet-studio
evaluate` and the benches read their numbers from.

Frames compared: those the labels have a label for, inside the range; an occluded label
without a position is left out (there is nothing to measure against); a prediction
shorter than the labels says "no ball" where it has no frame. Each frame's outcome and the
counts come from `tracknet.metrics.frame_outcomes`, the metrics training reports too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from tracknet.metrics import (
    DEFAULT_BALL_CLASSES,
    NOT_COUNTED,
    Counts,
    Space,
    distance_scale,
    frame_outcomes,
)

from ..core.track import Track

# Per-frame outcome codes are tracknet.metrics' OUTCOME_CODE. Frames outside the comparison
# (unlabelled, out of range) share the code of uncounted frames.
NOT_COMPARED = NOT_COUNTED
DEFAULT_TOLERANCE = 4.0


@dataclass(frozen=True)
class Comparison:
    """A prediction layer against the labels over some frames."""

    frames: np.ndarray  # the frames compared (int64, ascending)
    outcomes: np.ndarray  # their outcome codes (uint8, OUTCOME_CODE)
    error: np.ndarray  # prediction-label distance in the chosen space; NaN unless both
    counts: Counts

    def outcome_codes(self, n_frames: int) -> np.ndarray:
        """Every frame's code, NOT_COMPARED outside `frames` (for the timeline strip)."""
        codes = np.full(n_frames, NOT_COMPARED, np.uint8)
        codes[self.frames] = self.outcomes
        return codes


def compare(
    labels: Track,
    prediction: Track,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    space: Space = "original",
    original_size: tuple[int, int] | None = None,
    start: int = 0,
    stop: int | None = None,
    ball_classes: Collection[int] = DEFAULT_BALL_CLASSES,
    ignore_classes: Collection[int] = (),
) -> Comparison:
    """Counts, per-frame outcomes and errors of `prediction` against `labels` in [start, stop).

    Vectorised (tracknet.metrics.frame_outcomes): about 0.1 s for a 650,000-frame match, so
    every change of a label or a setting simply compares again.
    """
    frames = labels.labeled_frames()
    frames = frames[(frames >= start) & (frames < (len(labels) if stop is None else stop))]
    truth_ball = np.isin(labels.visibility[frames], list(ball_classes))
    truth_xy = np.stack([labels.x[frames], labels.y[frames]], axis=1)
    measurable = ~truth_ball | np.isfinite(truth_xy).all(axis=1)
    frames, truth_ball, truth_xy = frames[measurable], truth_ball[measurable], truth_xy[measurable]
    # A prediction shorter than the labels says "no ball" where it has no frame.
    inside = frames < len(prediction)
    pred_ball = np.zeros(len(frames), bool)
    pred_xy = np.full((len(frames), 2), np.nan)
    pred_ball[inside] = prediction.has_ball[frames[inside]]
    pred_xy[inside] = np.stack([prediction.x[frames[inside]], prediction.y[frames[inside]]], 1)
    outcomes = frame_outcomes(
        pred_ball, pred_xy, labels.visibility[frames], truth_xy,
        tolerance=tolerance, space=space, original_size=original_size,
        ball_classes=ball_classes, ignore_classes=ignore_classes,
    )  # fmt: skip
    scale = distance_scale(space, original_size)
    delta = (pred_xy - truth_xy) * scale
    error = np.where(pred_ball & truth_ball, np.hypot(delta[:, 0], delta[:, 1]), np.nan)
    return Comparison(frames, outcomes, error, Counts.from_codes(outcomes))
