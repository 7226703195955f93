"""The review queue: finding the frames a person should look at, and acting on predictions.

Each finder looks at whole columns at once and returns the sorted frame numbers where its
problem occurs. `ReviewQueue` merges the enabled finders into one sorted array and answers
"next / previous problem" by binary search, so walking a 650,000-frame track stays instant;
it recomputes lazily, on the first question after a track reports a change.

Accepting a prediction copies it into the label layer with source MODEL and `reviewed` set:
MODEL in the label layer always means "a prediction a person accepted" (the prediction
layers hold the raw ones), it keeps the model's confidence, and interpolation treats it
as a keyframe. Rejecting sets `reviewed` without copying anything. A reviewed frame leaves
the queue. Like interpolation, these return planned `TrackEdit`s of the label layer
(`track.apply(edit.after)` to do, `track.apply(edit.before)` to undo) and never overwrite
human labels.

Distances and limits are in pixels of the video and frames; the defaults suit 1280x720
footage (on the 29 badminton rallies of the test data, 99.9% of frame-to-frame speeds are
under 115 px/frame, and accelerations above 100 px/frame^2 are hits or label errors).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntFlag
from typing import Any

import numpy as np
import numpy.typing as npt

from .interpolate import fillable_mask, plan_edit
from .track import Event, Frames, Source, Track, TrackEdit, Visibility

BoolArray = npt.NDArray[np.bool_]


class Problem(IntFlag):
    """Why a frame is in the queue (a frame may have several reasons)."""

    UNLABELED = 1
    LOW_CONFIDENCE = 2
    DISAGREEMENT = 4  # prediction and label apart, or one sees a ball and the other none
    JUMP = 8
    ACCELERATION = 16
    VISIBILITY_FLIP = 32


ALL_PROBLEMS = Problem(sum(Problem))
DISAGREEMENT_PX = 10.0  # a prediction farther than this from its label disagrees with it


@dataclass(frozen=True)
class ReviewSettings:
    enabled: Problem = ALL_PROBLEMS
    min_confidence: float = 0.5  # predictions below it are LOW_CONFIDENCE
    tolerance_px: float = DISAGREEMENT_PX  # prediction-label distance above it disagrees
    max_speed: float = 120.0  # px/frame between frames with a ball
    max_accel: float = 100.0  # px/frame^2, except at hit and bounce events
    max_flip_frames: int = 3  # a no-ball run at most this long between two balls
    check_prediction_motion: bool = True  # run the motion finders on the prediction too


# ----- finders ---------------------------------------------------------------------------
def find_unlabeled(labels: Track) -> Frames:
    """Frames with no label at all (not even "no ball")."""
    return np.flatnonzero(~labels.labeled).astype(np.int64)


def find_low_confidence(prediction: Track, min_confidence: float) -> Frames:
    """Predicted frames whose confidence is below `min_confidence` (NaN counts as unknown)."""
    return np.flatnonzero(prediction.labeled & (prediction.confidence < min_confidence)).astype(
        np.int64
    )


def find_disagreements(labels: Track, prediction: Track, tolerance_px: float) -> Frames:
    """Frames where label and prediction disagree (see `disagree`)."""
    return np.flatnonzero(disagree(labels, prediction, tolerance_px)).astype(np.int64)


def disagree(
    labels: Track, prediction: Track, tolerance_px: float = DISAGREEMENT_PX, frames: Any = None
) -> np.ndarray:
    """Per frame (all, or `frames`): label and prediction more than `tolerance_px` apart,
    or one has a ball and the other says there is none. The one meaning of disagreement:
    the timeline's strip and the review queue both use it."""
    index = slice(None) if frames is None else np.asarray(frames, dtype=np.int64)
    label_ball, pred_ball = labels.has_ball[index], prediction.has_ball[index]
    distance = np.hypot(labels.x[index] - prediction.x[index],
                        labels.y[index] - prediction.y[index])  # fmt: skip
    apart = label_ball & pred_ball & (distance > tolerance_px)
    both_labelled = labels.labeled[index] & prediction.labeled[index]
    return apart | (both_labelled & (label_ball != pred_ball))


def _ball_motion(track: Track) -> tuple[Frames, np.ndarray, np.ndarray, np.ndarray]:
    """Frames with a ball, and the velocity (px/frame) from each to the next, with the gap."""
    frames = np.flatnonzero(track.has_ball).astype(np.int64)
    dt = np.diff(frames).astype(np.float64)
    vx = np.diff(track.x[frames]) / dt
    vy = np.diff(track.y[frames]) / dt
    return frames, vx, vy, dt


def find_jumps(track: Track, max_speed: float) -> Frames:
    """Frames the ball reaches faster than `max_speed` px/frame from the previous ball.

    Over unlabeled frames the speed is averaged, so a long gap is never a jump.
    """
    frames, vx, vy, _ = _ball_motion(track)
    fast = np.hypot(vx, vy) > max_speed
    return frames[1:][fast]


def find_accelerations(track: Track, max_accel: float) -> Frames:
    """Frames where the velocity changes faster than `max_accel` px/frame^2, except at
    frames carrying a hit or bounce event (where it is supposed to)."""
    frames, vx, vy, dt = _ball_motion(track)
    accel = np.hypot(np.diff(vx), np.diff(vy)) / ((dt[:-1] + dt[1:]) / 2)
    middle = frames[1:-1]
    sudden = (accel > max_accel) & (track.event[middle] == Event.NONE)
    return middle[sudden]


def find_visibility_flips(track: Track, max_frames: int) -> Frames:
    """Frames of "no ball" runs of at most `max_frames` with a ball right before and after:
    a ball does not leave the picture for a frame or two."""
    no_ball = track.visibility == Visibility.NO_BALL
    edges = np.diff(np.concatenate([[0], no_ball.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    has_ball = track.has_ball
    inner = (starts > 0) & (stops < len(track))
    starts, stops = starts[inner], stops[inner]
    flip = (stops - starts <= max_frames) & has_ball[starts - 1] & has_ball[stops]
    starts, stops = starts[flip], stops[flip]
    lengths = stops - starts
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return (np.repeat(starts, lengths) + offsets).astype(np.int64)


def find_problems(
    labels: Track, prediction: Track | None, settings: ReviewSettings
) -> npt.NDArray[np.uint8]:
    """Each frame's problems as `Problem` bits (0 = fine), before review marks are applied.

    LOW_CONFIDENCE is left out where a person labeled the frame: they have looked at it.
    """
    reasons = np.zeros(len(labels), dtype=np.uint8)
    wanted = settings.enabled

    def mark(problem: Problem, frames: Frames) -> None:
        reasons[frames] |= np.uint8(problem)

    if Problem.UNLABELED in wanted:
        mark(Problem.UNLABELED, find_unlabeled(labels))
    motion_layers = [labels]
    if prediction is not None:
        if Problem.LOW_CONFIDENCE in wanted:
            low = find_low_confidence(prediction, settings.min_confidence)
            mark(Problem.LOW_CONFIDENCE, low[labels.source[low] != Source.HUMAN])
        if Problem.DISAGREEMENT in wanted:
            mark(
                Problem.DISAGREEMENT, find_disagreements(labels, prediction, settings.tolerance_px)
            )
        if settings.check_prediction_motion:
            motion_layers.append(prediction)
    for track in motion_layers:
        if Problem.JUMP in wanted:
            mark(Problem.JUMP, find_jumps(track, settings.max_speed))
        if Problem.ACCELERATION in wanted:
            mark(Problem.ACCELERATION, find_accelerations(track, settings.max_accel))
        if Problem.VISIBILITY_FLIP in wanted:
            mark(Problem.VISIBILITY_FLIP, find_visibility_flips(track, settings.max_flip_frames))
    return reasons


# ----- the queue -------------------------------------------------------------------------
class ReviewQueue:
    """The problem frames of a label layer (and optionally one prediction layer), in order.

    Listens to both tracks and recomputes on the next question after a change; call
    `close()` when done so the tracks drop their reference to the queue.
    """

    def __init__(
        self,
        labels: Track,
        prediction: Track | None = None,
        settings: ReviewSettings | None = None,
    ) -> None:
        if prediction is not None and len(prediction) != len(labels):
            raise ValueError(f"prediction has {len(prediction)} frames, labels have {len(labels)}")
        self._labels = labels
        self._prediction = prediction
        self._settings = settings or ReviewSettings()
        self._reasons = np.zeros(0, dtype=np.uint8)
        self._frames = np.zeros(0, dtype=np.int64)
        self._stale = True
        for track in self._tracks():
            track.add_listener(self._on_change)

    def _tracks(self) -> list[Track]:
        return [self._labels] if self._prediction is None else [self._labels, self._prediction]

    def _on_change(self, _frames: Frames) -> None:
        self._stale = True

    def close(self) -> None:
        for track in self._tracks():
            track.remove_listener(self._on_change)

    @property
    def settings(self) -> ReviewSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: ReviewSettings) -> None:
        self._settings = settings
        self._stale = True

    def enable(self, problem: Problem, on: bool = True) -> None:
        enabled = self._settings.enabled | problem if on else self._settings.enabled & ~problem
        self.settings = replace(self._settings, enabled=Problem(enabled))

    def _refresh(self) -> None:
        if self._stale:
            reasons = find_problems(self._labels, self._prediction, self._settings)
            reasons[self._labels.reviewed] = 0
            self._reasons = reasons
            self._frames = np.flatnonzero(reasons).astype(np.int64)
            self._stale = False

    # ----- questions ---------------------------------------------------------------------
    @property
    def frames(self) -> Frames:
        """All problem frames, sorted (read-only)."""
        self._refresh()
        view = self._frames.view()
        view.flags.writeable = False
        return view

    def __len__(self) -> int:
        return len(self.frames)

    def reasons(self, frame: int) -> Problem:
        """Why `frame` is in the queue (Problem(0) when it is not)."""
        self._refresh()
        return Problem(int(self._reasons[frame]))

    def next_problem(self, frame: int, wrap: bool = True) -> int | None:
        """The first problem frame after `frame`; wraps to the first one, or None."""
        frames = self.frames
        i = int(np.searchsorted(frames, frame, side="right"))
        if i < len(frames):
            return int(frames[i])
        return int(frames[0]) if wrap and len(frames) else None

    def previous_problem(self, frame: int, wrap: bool = True) -> int | None:
        """The last problem frame before `frame`; wraps to the last one, or None."""
        frames = self.frames
        i = int(np.searchsorted(frames, frame, side="left")) - 1
        if i >= 0:
            return int(frames[i])
        return int(frames[-1]) if wrap and len(frames) else None


# ----- acting on predictions -------------------------------------------------------------
def accept_prediction(labels: Track, prediction: Track, frame: int) -> TrackEdit:
    """Copy the prediction at `frame` into the labels (source MODEL, reviewed).

    Empty when the label is human or there is no prediction at that frame.
    """
    frames = np.array([frame], dtype=np.int64)
    keep = (labels.source[frames] != Source.HUMAN) & prediction.labeled[frames]
    return _copy_predictions(labels, prediction, frames[keep])


def accept_predictions(
    labels: Track,
    prediction: Track,
    min_confidence: float,
    *,
    start: int = 0,
    stop: int | None = None,
) -> TrackEdit:
    """Accept every prediction in `start..stop-1` with confidence >= `min_confidence`, as one edit.

    A bulk accept only fills frames nobody stands behind: unlabeled or interpolated labels
    that are not marked reviewed. Human, imported and earlier accepted labels stay, and so
    does every frame a person rejected.
    """
    stop = len(labels) if stop is None else stop
    window = slice(max(start, 0), min(stop, len(labels)))
    sure = prediction.labeled[window] & (prediction.confidence[window] >= min_confidence)
    open_label = fillable_mask(labels)[window] & ~labels.reviewed[window]
    frames = np.flatnonzero(sure & open_label).astype(np.int64) + window.start
    return _copy_predictions(labels, prediction, frames)


def reject_prediction(labels: Track, frame: int) -> TrackEdit:
    """Mark `frame` reviewed without copying anything, so it leaves the queue."""
    return plan_edit(labels, [frame], reviewed=True)


def _copy_predictions(labels: Track, prediction: Track, frames: Frames) -> TrackEdit:
    return plan_edit(
        labels,
        frames,
        x=prediction.x[frames],
        y=prediction.y[frames],
        visibility=prediction.visibility[frames],
        source=Source.MODEL,
        confidence=prediction.confidence[frames],
        reviewed=True,
    )
