"""The field's per-frame detection metrics (formats.md, "Evaluation"); one implementation.

Per frame, with tolerance `tol`:
  TP  ball predicted, ball in truth, distance <= tol
  FP1 ball predicted, ball in truth, distance >  tol
  FP2 ball predicted, no ball in truth
  FN  no ball predicted, ball in truth
  TN  neither
accuracy = (TP+TN)/all, precision = TP/(TP+FP1+FP2), recall = TP/(TP+FN).

Which visibility classes count as "ball" (the label classes of the canonical CSV: 0 no
ball, 1 visible, 2 hard, 3 occluded): by default 1, 2 and 3, i.e. every frame whose label
has a position, which is how TrackNet draws its training targets. Pass `ball_classes`
to change it, and `ignore_classes` to leave frames out of every count (e.g. {3} to judge
only on balls a viewer can see). Always report the space and the classes with the numbers
(`describe()`).

Tolerance space: "original" measures distances in the video's pixels (WASB, TrackNetV5);
"input" in the 512x288 network input (TrackNetV3), i.e. x and y differences are scaled by
input/original size first; 4 px there is about 10 px of a 1280x720 video.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

Space = Literal["input", "original"]
DEFAULT_BALL_CLASSES: frozenset[int] = frozenset({1, 2, 3})
DEFAULT_INPUT_SIZE = (512, 288)


class Outcome(enum.Enum):
    TP = "tp"
    FP1 = "fp1"
    FP2 = "fp2"
    FN = "fn"
    TN = "tn"


# A frame's outcome code is its outcome's index here (the order of Counts' fields).
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
OUTCOME_CODE: dict[Outcome, int] = {outcome: i for i, outcome in enumerate(OUTCOMES)}
NOT_COUNTED = 255  # the code of a frame left out of every count (ignore_classes)


@dataclass(frozen=True)
class Counts:
    """Frames per outcome, and the metrics derived from them (0.0 where undefined)."""

    tp: int = 0
    fp1: int = 0
    fp2: int = 0
    fn: int = 0
    tn: int = 0

    @classmethod
    def from_codes(cls, codes: np.ndarray) -> Counts:
        """Counts of per-frame outcome codes (`frame_outcomes`); NOT_COUNTED ones skipped."""
        codes = np.asarray(codes, np.uint8)
        per_outcome = np.bincount(codes[codes < len(OUTCOMES)], minlength=len(OUTCOMES))
        return cls(*(int(n) for n in per_outcome))

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.tp, self.fp1, self.fp2, self.fn, self.tn)

    @property
    def total(self) -> int:
        return sum(self.as_tuple())

    @property
    def accuracy(self) -> float:
        return _ratio(self.tp + self.tn, self.total)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp1 + self.fp2)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return _ratio(2 * p * r, p + r)

    def as_dict(self) -> dict[str, int]:
        """The five counts by name (tp, fp1, fp2, fn, tn)."""
        return asdict(self)

    def metrics(self) -> dict[str, float]:
        """accuracy, precision, recall and f1 by name."""
        return {
            "accuracy": self.accuracy,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def distance_scale(
    space: Space,
    original_size: tuple[int, int] | None,
    input_size: tuple[int, int] = DEFAULT_INPUT_SIZE,
) -> tuple[float, float]:
    """Factors that turn original-pixel differences into differences in `space`."""
    if space == "original":
        return (1.0, 1.0)
    if space != "input":
        raise ValueError(f"space must be 'input' or 'original', got {space!r}")
    if original_size is None:
        raise ValueError("measuring in input space needs the original video size")
    return (input_size[0] / original_size[0], input_size[1] / original_size[1])


def evaluate(
    pred_visible: np.ndarray,
    pred_xy: np.ndarray,
    true_visibility: np.ndarray,
    true_xy: np.ndarray,
    **options: Any,
) -> Counts:
    """Counts over aligned per-frame arrays; the arguments are those of `frame_outcomes`."""
    return Counts.from_codes(
        frame_outcomes(pred_visible, pred_xy, true_visibility, true_xy, **options)
    )


def frame_outcomes(
    pred_visible: np.ndarray,
    pred_xy: np.ndarray,
    true_visibility: np.ndarray,
    true_xy: np.ndarray,
    *,
    tolerance: float = 4.0,
    space: Space = "original",
    original_size: tuple[int, int] | None = None,
    input_size: tuple[int, int] = DEFAULT_INPUT_SIZE,
    ball_classes: Collection[int] = DEFAULT_BALL_CLASSES,
    ignore_classes: Collection[int] = (),
) -> np.ndarray:
    """Each frame's outcome code (uint8: its index in OUTCOMES, NOT_COUNTED if ignored).

    pred_visible (N,) bool, pred_xy (N, 2), true_visibility (N,) int classes, true_xy (N, 2),
    coordinates in original pixels; sizes are (width, height). Vectorised: a whole match of
    650,000 frames takes milliseconds, so the app can recompute it on every change.
    """
    pred_visible = np.asarray(pred_visible, bool).reshape(-1)
    true_visibility = np.asarray(true_visibility, np.int64).reshape(-1)
    pred_xy = np.asarray(pred_xy, np.float64).reshape(-1, 2)
    true_xy = np.asarray(true_xy, np.float64).reshape(-1, 2)
    if not len(pred_visible) == len(pred_xy) == len(true_visibility) == len(true_xy):
        raise ValueError("prediction and truth arrays must have one row per frame")
    sx, sy = distance_scale(space, original_size, input_size)

    kept = ~np.isin(true_visibility, list(ignore_classes))
    truth_ball = np.isin(true_visibility, list(ball_classes)) & kept
    pred_ball = pred_visible & kept
    if not np.isfinite(true_xy[truth_ball]).all():
        raise ValueError("a frame labelled as ball has no finite position")
    if not np.isfinite(pred_xy[pred_ball]).all():
        raise ValueError("a frame predicted as ball has no finite position")

    both = pred_ball & truth_ball
    delta = (pred_xy - true_xy) * (sx, sy)
    close = np.zeros_like(both)
    close[both] = np.hypot(delta[both, 0], delta[both, 1]) <= tolerance
    codes = np.full(len(pred_visible), NOT_COUNTED, np.uint8)
    codes[both & close] = OUTCOME_CODE[Outcome.TP]
    codes[both & ~close] = OUTCOME_CODE[Outcome.FP1]
    codes[pred_ball & ~truth_ball] = OUTCOME_CODE[Outcome.FP2]
    codes[~pred_ball & truth_ball] = OUTCOME_CODE[Outcome.FN]
    codes[~pred_ball & ~truth_ball & kept] = OUTCOME_CODE[Outcome.TN]
    return codes


def count_frames(
    pred_visible: np.ndarray,
    pred_xy: np.ndarray,
    true_visibility: np.ndarray,
    true_xy: np.ndarray,
    tolerance: float = 4.0,
    ball_classes: Collection[int] = DEFAULT_BALL_CLASSES,
) -> Counts:
    """`evaluate` with both sides already in the space the tolerance is measured in."""
    return evaluate(
        pred_visible,
        pred_xy,
        true_visibility,
        true_xy,
        tolerance=tolerance,
        space="original",
        ball_classes=ball_classes,
    )


def evaluate_tracks(
    predicted: Mapping[int, tuple[float, float] | None],
    truth: Mapping[int, tuple[int, float, float]],
    **options: object,
) -> Counts:
    """Counts over the frames of `truth` (frame -> (visibility, x, y)).

    `predicted` maps frame -> (x, y) or None; a frame missing from it predicts no ball.
    Keyword options are those of `evaluate`.
    """
    frames = sorted(truth)
    pred_points = [predicted.get(frame) for frame in frames]
    pred_visible = np.array([p is not None for p in pred_points], bool)
    pred_xy = np.array([p if p is not None else (np.nan, np.nan) for p in pred_points], float)
    true_visibility = np.array([truth[f][0] for f in frames], np.int64)
    true_xy = np.array([truth[f][1:] for f in frames], float)
    return evaluate(pred_visible, pred_xy, true_visibility, true_xy, **options)  # type: ignore[arg-type]


def describe(
    tolerance: float,
    space: Space,
    ball_classes: Collection[int] = DEFAULT_BALL_CLASSES,
    ignore_classes: Collection[int] = (),
) -> str:
    """The protocol in words, to print beside the numbers."""
    text = f"tolerance {tolerance:g} px in {space} space; ball = visibility {sorted(ball_classes)}"
    if ignore_classes:
        text += f"; frames with visibility {sorted(ignore_classes)} ignored"
    return text
