"""Walking the review queue in the window: N / Shift+N, Enter, reject, accept all above c."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tracknet_studio.core import Source, Track

from .conftest import wait_for_frame

pytestmark = pytest.mark.ui

UNLABELED = (7, 15)
LOW_CONFIDENCE = 22
DISAGREEMENT = 30


def _path(n: int) -> tuple[np.ndarray, np.ndarray]:
    f = np.arange(n, dtype=float)
    return 20.0 + 5.0 * f, 100.0 + 0.05 * (f - 20.0) ** 2


@pytest.fixture
def win(open_window, qtbot):
    """Human labels on every frame but 7 and 15 (imported at 22), a prediction layer "model"
    along the same path: confidence 0.9, except 0.1 at frame 22; the label 30 px off at 30."""
    window = open_window
    qtbot.waitUntil(lambda: window.project is not None, timeout=5000)
    n = window.project.n_frames
    x, y = _path(n)
    frames = np.setdiff1d(np.arange(n), UNLABELED)
    label_x = x.copy()
    label_x[DISAGREEMENT] += 30.0
    window.project.labels.set_points(frames, label_x[frames], y[frames])
    # Imported, not human: a human label means someone already looked at the frame.
    window.project.labels.update([LOW_CONFIDENCE], source=Source.IMPORTED)
    confidence = np.full(n, 0.9, dtype=np.float32)
    confidence[LOW_CONFIDENCE] = 0.1
    prediction = Track(n)
    prediction.set_points(np.arange(n), x, y, source=Source.MODEL, confidence=confidence)
    window.project.add_prediction("model", prediction)
    window.undo_stack.clear()
    assert window.review.review_layer == "model"
    return window


def key(qtbot, win, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(win.view, k, modifier)


def test_n_and_shift_n_walk_the_problem_frames(win, qtbot):
    expected = [*UNLABELED, LOW_CONFIDENCE, DISAGREEMENT]
    assert win.review.review_queue.frames.tolist() == expected
    for frame in [*expected, UNLABELED[0]]:  # wraps around at the end
        key(qtbot, win, Qt.Key.Key_N)
        wait_for_frame(qtbot, win, frame)
    key(qtbot, win, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    wait_for_frame(qtbot, win, DISAGREEMENT)
    assert (
        "disagree" in win.review.review_label.text() and "30.0 px" in win.review.review_label.text()
    )
    key(qtbot, win, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    wait_for_frame(qtbot, win, LOW_CONFIDENCE)
    assert "low confidence (0.10)" in win.review.review_label.text()
    assert "Problem 3 of 4" in win.review.review_label.text()


def test_enter_accepts_and_moves_on_reject_marks_reviewed(win, qtbot):
    labels = win.project.labels
    key(qtbot, win, Qt.Key.Key_N)
    wait_for_frame(qtbot, win, 7)
    key(qtbot, win, Qt.Key.Key_Return)
    assert labels.source[7] == Source.MODEL and labels.reviewed[7]
    assert labels.x[7] == pytest.approx(_path(40)[0][7])
    assert labels.confidence[7] == pytest.approx(0.9)
    wait_for_frame(qtbot, win, 15)  # on to the next problem
    key(qtbot, win, Qt.Key.Key_R)
    assert labels.reviewed[15] and not labels.labeled[15]
    wait_for_frame(qtbot, win, LOW_CONFIDENCE)
    assert win.review.review_queue.frames.tolist() == [LOW_CONFIDENCE, DISAGREEMENT]
    assert win.undo_stack.count() == 2
    win.undo_stack.undo()
    win.undo_stack.undo()
    assert not labels.labeled[7] and not labels.reviewed[15]
    assert win.review.review_queue.frames.tolist() == [*UNLABELED, LOW_CONFIDENCE, DISAGREEMENT]


def test_enter_never_overwrites_a_human_label(win, qtbot):
    win.player.seek(DISAGREEMENT)
    wait_for_frame(qtbot, win, DISAGREEMENT)
    before = float(win.project.labels.x[DISAGREEMENT])
    key(qtbot, win, Qt.Key.Key_Return)
    assert win.project.labels.x[DISAGREEMENT] == before
    assert win.undo_stack.count() == 0


def test_accept_all_above_confidence_is_one_undo_step(win, qtbot, monkeypatch):
    from tracknet_studio.ui import review

    asked: list[tuple[int, int]] = []

    def answer(parent, start, stop, initial):
        asked.append((start, stop))
        return 0.5

    monkeypatch.setattr(review, "ask_min_confidence", answer)
    labels = win.project.labels
    key(qtbot, win, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert asked == [(0, 40)]
    assert all(labels.source[f] == Source.MODEL for f in UNLABELED)
    assert win.undo_stack.count() == 1
    assert labels.source[DISAGREEMENT] == Source.HUMAN  # human labels stay
    win.undo_stack.undo()
    assert not labels.labeled[list(UNLABELED)].any()


def test_accept_all_respects_the_in_out_range(win, qtbot, monkeypatch):
    from tracknet_studio.ui import review

    monkeypatch.setattr(review, "ask_min_confidence", lambda *a: 0.5)
    for frame, k in ((10, Qt.Key.Key_I), (20, Qt.Key.Key_O)):
        win.player.seek(frame)
        wait_for_frame(qtbot, win, frame)
        key(qtbot, win, k)
    assert win.editing.edit_range() == (10, 21)
    assert win.review.accept_predictions_above() == 1
    labels = win.project.labels
    assert labels.source[15] == Source.MODEL and not labels.labeled[7]
