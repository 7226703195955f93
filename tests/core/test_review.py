"""Review queue: each finder on a hand-made track, navigation, and accept/reject semantics."""

from __future__ import annotations

import numpy as np
import pytest

from tracknet_studio.core import review
from tracknet_studio.core.review import (
    Problem,
    ReviewQueue,
    ReviewSettings,
    accept_prediction,
    accept_predictions,
    find_accelerations,
    find_disagreements,
    find_jumps,
    find_low_confidence,
    find_problems,
    find_unlabeled,
    find_visibility_flips,
    reject_prediction,
)
from tracknet_studio.core.track import Event, Source, Track, Visibility


def steady_track(n: int = 20, source: Source = Source.HUMAN) -> Track:
    """A ball moving 5 px/frame right on every frame."""
    t = np.arange(n, dtype=float)
    track = Track(n)
    track.set_points(np.arange(n), 100 + 5 * t, 300 + 0 * t, source=source)
    return track


def prediction_of(labels: Track, confidence: float = 0.9) -> Track:
    """A prediction layer equal to the labels, with one confidence everywhere."""
    pred = Track(len(labels))
    frames = np.arange(len(labels))
    pred.set_points(frames, labels.x, labels.y, source=Source.MODEL, confidence=confidence)
    return pred


def test_find_unlabeled() -> None:
    track = Track(6)
    track.set_points([1, 2], [1.0, 2.0], [1.0, 2.0])
    track.set_no_ball([4])
    np.testing.assert_array_equal(find_unlabeled(track), [0, 3, 5])


def test_find_low_confidence() -> None:
    pred = Track(5)
    pred.set_points(
        [0, 1, 2], [1.0] * 3, [1.0] * 3, source=Source.MODEL, confidence=[0.2, 0.8, 0.5]
    )
    pred.update([3], visibility=Visibility.NO_BALL, source=Source.MODEL, confidence=0.1)
    np.testing.assert_array_equal(find_low_confidence(pred, 0.5), [0, 3])


def test_find_disagreements() -> None:
    labels = steady_track(8)
    pred = prediction_of(labels)
    pred.set_points(
        [2, 5], [labels.x[2] + 12, labels.x[5] + 3], [300.0, 300.0], source=Source.MODEL
    )
    pred.set_no_ball([6], source=Source.MODEL)  # the model misses a labeled ball
    labels.clear([7])  # unlabeled frames are not disagreements
    np.testing.assert_array_equal(find_disagreements(labels, pred, 10.0), [2, 6])


def test_find_jumps_flags_the_frame_reached_too_fast() -> None:
    track = steady_track(12)
    track.set_points([6], [track.x[6] + 200], [300.0])  # one outlier: in and out jumps
    track.clear([9, 10])  # 3 frames * 5 px over a gap stays slow
    np.testing.assert_array_equal(find_jumps(track, 100.0), [6, 7])


def test_find_accelerations_skips_tagged_hits() -> None:
    t = np.arange(20, dtype=float)
    x = np.where(t <= 10, 100 + 40 * t, 500 - 40 * (t - 10))  # reversal at frame 10
    track = Track(20)
    track.set_points(np.arange(20), x, np.full(20, 300.0))
    np.testing.assert_array_equal(find_accelerations(track, 50.0), [10])
    track.set_event([10], Event.HIT)
    assert len(find_accelerations(track, 50.0)) == 0


def test_find_visibility_flips() -> None:
    track = steady_track(20)
    track.set_no_ball([3])  # visible -> none -> visible: a flip
    track.set_no_ball([7, 8])  # two frames: a flip
    track.set_no_ball([12, 13, 14, 15])  # four frames: the ball may really be gone
    track.set_no_ball([18, 19])  # no ball after it
    np.testing.assert_array_equal(find_visibility_flips(track, 3), [3, 7, 8])
    track.clear([6])  # unlabeled before the run: not a flip any more
    np.testing.assert_array_equal(find_visibility_flips(track, 3), [3])


def test_find_problems_combines_reasons_and_respects_the_enabled_set() -> None:
    labels = steady_track(10)
    pred = prediction_of(labels, confidence=0.9)
    labels.clear([0])
    pred.set_points([0, 4], [100.0, 400.0], [300.0, 300.0], source=Source.MODEL, confidence=0.2)
    reasons = find_problems(labels, pred, ReviewSettings())
    assert Problem(int(reasons[0])) == Problem.UNLABELED | Problem.LOW_CONFIDENCE
    assert Problem.DISAGREEMENT in Problem(int(reasons[4]))
    assert Problem.JUMP in Problem(int(reasons[4]))  # in the prediction layer
    # LOW_CONFIDENCE is not raised where a person labeled the frame.
    assert Problem.LOW_CONFIDENCE not in Problem(int(reasons[4]))
    only = find_problems(labels, pred, ReviewSettings(enabled=Problem.UNLABELED))
    np.testing.assert_array_equal(np.flatnonzero(only), [0])
    quiet = ReviewSettings(check_prediction_motion=False, enabled=Problem.JUMP)
    assert not find_problems(labels, pred, quiet).any()


def test_next_and_previous_with_and_without_wrapping() -> None:
    labels = steady_track(30)
    labels.clear([4, 10, 25])
    queue = ReviewQueue(labels, settings=ReviewSettings(enabled=Problem.UNLABELED))
    assert queue.frames.tolist() == [4, 10, 25]
    assert queue.next_problem(0) == 4
    assert queue.next_problem(4) == 10
    assert queue.next_problem(25) == 4
    assert queue.next_problem(25, wrap=False) is None
    assert queue.previous_problem(10) == 4
    assert queue.previous_problem(11) == 10
    assert queue.previous_problem(4) == 25
    assert queue.previous_problem(4, wrap=False) is None
    assert queue.reasons(10) == Problem.UNLABELED
    assert queue.reasons(11) == Problem(0)


def test_queue_follows_track_changes_and_settings() -> None:
    labels = steady_track(30)
    queue = ReviewQueue(labels, settings=ReviewSettings(enabled=Problem.UNLABELED))
    assert queue.next_problem(0) is None
    labels.clear([7])
    assert queue.next_problem(0) == 7
    labels.apply(reject_prediction(labels, 7).after)  # reviewed frames leave the queue
    assert len(queue) == 0
    labels.set_no_ball([12])
    queue.enable(Problem.VISIBILITY_FLIP)
    assert queue.frames.tolist() == [12]
    queue.enable(Problem.VISIBILITY_FLIP, on=False)
    assert len(queue) == 0
    queue.close()
    labels.clear([20])
    assert len(queue) == 0  # closed: no longer listening


def test_queue_on_a_long_track_recomputes_only_after_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = 650_000
    labels = Track(n)
    labels.set_points(np.arange(0, n, 2), np.full(n // 2, 10.0), np.full(n // 2, 10.0))
    calls = []
    real = review.find_problems
    monkeypatch.setattr(review, "find_problems", lambda *a: calls.append(1) or real(*a))
    queue = ReviewQueue(labels)
    assert queue.next_problem(100_000) == 100_001
    assert queue.previous_problem(100_000) == 99_999
    assert queue.next_problem(n - 1) == 1
    assert len(calls) == 1  # one computation serves every question
    labels.set_points([100_001], [10.0], [10.0])
    assert queue.next_problem(100_000) == 100_003
    assert len(calls) == 2


def test_accept_copies_the_prediction_as_an_accepted_model_label() -> None:
    labels = Track(5)
    pred = Track(5)
    pred.set_points(
        [1, 2, 3], [10.0, 20.0, 30.0], [1.0, 2.0, 3.0], source=Source.MODEL, confidence=0.7
    )
    labels.set_points([2], [21.0], [2.0])  # human
    edit = accept_prediction(labels, pred, 1)
    np.testing.assert_array_equal(edit.frames, [1])
    assert labels.source[1] == Source.NONE  # planned, not applied
    labels.apply(edit.after)
    assert (labels.x[1], labels.y[1], labels.source[1]) == (10.0, 1.0, Source.MODEL)
    assert labels.reviewed[1] and labels.confidence[1] == pytest.approx(0.7)
    assert labels.visibility[1] == Visibility.VISIBLE
    assert len(accept_prediction(labels, pred, 2).frames) == 0  # human label kept
    assert len(accept_prediction(labels, pred, 4).frames) == 0  # nothing predicted
    labels.apply(edit.before)
    assert labels.source[1] == Source.NONE and not labels.reviewed[1]


def test_reject_marks_reviewed_without_copying() -> None:
    labels = Track(3)
    edit = reject_prediction(labels, 1)
    labels.apply(edit.after)
    assert labels.reviewed[1] and not labels.labeled[1]
    labels.apply(edit.before)
    assert not labels.reviewed[1]


def test_accept_all_above_a_confidence_over_a_range_is_one_edit() -> None:
    n = 12
    labels = Track(n)
    pred = Track(n)
    conf = np.array([0.9, 0.2, 0.9, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 0.9, 0.9])
    pred.set_points(
        np.arange(n), np.arange(n) * 10.0, np.ones(n), source=Source.MODEL, confidence=conf
    )
    labels.set_points([2], [1.0], [1.0], source=Source.HUMAN)
    labels.set_points([3], [1.0], [1.0], source=Source.IMPORTED)
    labels.set_points([4], [1.0], [1.0], source=Source.INTERPOLATED)
    labels.apply(reject_prediction(labels, 5).after)

    edit = accept_predictions(labels, pred, 0.8, start=1, stop=10)

    # 1 too unsure; 2 human; 3 imported; 5 rejected; 0, 10, 11 outside the range.
    np.testing.assert_array_equal(edit.frames, [4, 6, 7, 8, 9])
    labels.apply(edit.after)
    assert (labels.source[edit.frames] == Source.MODEL).all()
    np.testing.assert_array_equal(labels.x[edit.frames], pred.x[edit.frames])
    assert labels.x[2] == 1.0 and labels.source[2] == Source.HUMAN
    labels.validate()
