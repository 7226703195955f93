"""Metrics against cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from tracknet.metrics import (
    NOT_COUNTED,
    OUTCOMES,
    Counts,
    Outcome,
    count_frames,
    describe,
    evaluate,
    evaluate_tracks,
    frame_outcomes,
)

NAN = float("nan")


def test_every_category_of_a_single_frame() -> None:
    codes = frame_outcomes(
        [True, True, True, False, False, True],
        [(10, 10), (10, 10), (10, 10), (NAN, NAN), (NAN, NAN), (10, 10)],
        [1, 2, 0, 3, 0, 3],
        [(13, 14), (13, 14.1), (NAN, NAN), (10, 10), (NAN, NAN), (NAN, NAN)],
        tolerance=5,
        ignore_classes={3},
    )
    expected = [Outcome.TP, Outcome.FP1, Outcome.FP2, None, Outcome.TN, None]  # distance 5: TP
    assert [OUTCOMES[c] if c != NOT_COUNTED else None for c in codes] == expected
    assert Counts.from_codes(codes) == Counts(tp=1, fp1=1, fp2=1, fn=0, tn=1)
    missed = frame_outcomes([False], [(NAN, NAN)], [1], [(10, 10)])
    assert OUTCOMES[missed[0]] is Outcome.FN


def test_metrics_of_hand_counted_frames() -> None:
    counts = Counts(tp=6, fp1=1, fp2=1, fn=2, tn=10)
    assert counts.total == 20
    assert counts.accuracy == pytest.approx(16 / 20)
    assert counts.precision == pytest.approx(6 / 8)
    assert counts.recall == pytest.approx(6 / 8)
    assert counts.f1 == pytest.approx(0.75)
    assert Counts().f1 == 0.0 and Counts().precision == 0.0
    assert (counts + Counts(tp=1)).tp == 7


# A 1280x720 video: one input pixel (512x288) is 2.5 original pixels each way.
PRED_VISIBLE = [True, True, True, False, False, True, True]
PRED_XY = [(100, 100), (100, 100), (50, 50), (NAN, NAN), (NAN, NAN), (10, 10), (0, 0)]
TRUE_VIS = [1, 2, 0, 1, 0, 3, 1]
TRUE_XY = [(103, 104), (108, 100), (0, 0), (7, 7), (0, 0), (10, 10), (20, 0)]
# Distances in original pixels: 5, 8, -, -, -, 0, 20  ->  in input pixels: 2, 3.2, 0, 8.


def test_tolerance_in_original_space() -> None:
    counts = evaluate(PRED_VISIBLE, PRED_XY, TRUE_VIS, TRUE_XY, tolerance=6, space="original")
    # frame 0 TP (5 <= 6), 1 FP1 (8), 2 FP2, 3 FN, 4 TN, 5 TP (occluded counts), 6 FP1 (20)
    assert counts == Counts(tp=2, fp1=2, fp2=1, fn=1, tn=1)


def test_tolerance_in_input_space() -> None:
    counts = evaluate(
        PRED_VISIBLE, PRED_XY, TRUE_VIS, TRUE_XY,
        tolerance=4, space="input", original_size=(1280, 720),
    )  # fmt: skip
    # in input pixels: 2 TP, 3.2 TP, 0 TP, 8 FP1
    assert counts == Counts(tp=3, fp1=1, fp2=1, fn=1, tn=1)
    with pytest.raises(ValueError, match="original video size"):
        evaluate(PRED_VISIBLE, PRED_XY, TRUE_VIS, TRUE_XY, space="input")


def test_visibility_classes_that_count_as_ball() -> None:
    # Occluded frames as "no ball": frame 5's prediction becomes a false positive.
    as_no_ball = evaluate(
        PRED_VISIBLE, PRED_XY, TRUE_VIS, TRUE_XY, tolerance=6, ball_classes={1, 2}
    )
    assert as_no_ball == Counts(tp=1, fp1=2, fp2=2, fn=1, tn=1)
    # Occluded frames ignored: frame 5 leaves every count.
    ignored = evaluate(PRED_VISIBLE, PRED_XY, TRUE_VIS, TRUE_XY, tolerance=6, ignore_classes={3})
    assert ignored == Counts(tp=1, fp1=2, fp2=1, fn=1, tn=1)
    assert "ignored" in describe(4, "input", ignore_classes={3})


def test_a_ball_frame_without_position_is_an_error() -> None:
    with pytest.raises(ValueError, match="no finite position"):
        evaluate([False], [(NAN, NAN)], [1], [(NAN, NAN)])


def test_tracks_as_mappings() -> None:
    truth = {0: (1, 10.0, 10.0), 1: (0, 0.0, 0.0), 2: (1, 30.0, 30.0)}
    predicted = {0: (11.0, 10.0), 1: (5.0, 5.0)}  # frame 2 missing: no ball predicted
    counts = evaluate_tracks(predicted, truth, tolerance=4)
    assert counts == Counts(tp=1, fp2=1, fn=1)
    assert counts.as_dict() == {"tp": 1, "fp1": 0, "fp2": 1, "fn": 1, "tn": 0}
    assert np.isclose(counts.metrics()["recall"], 0.5)


def test_count_frames_measures_in_the_given_space() -> None:
    counts = count_frames([True, True], [(0, 0), (0, 0)], [1, 1], [(3, 4), (3, 4.5)], 5.0)
    assert counts == Counts(tp=1, fp1=1)
