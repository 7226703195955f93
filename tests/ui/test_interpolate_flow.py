"""Edit > Interpolate Gaps in the window: over the in/out range, selected rows, or all gaps."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt

from tracknet_studio.core import Source

from .conftest import wait_for_frame

pytestmark = pytest.mark.ui

KEYS = (0, 10, 20, 30)


@pytest.fixture
def win(open_window, qtbot):
    """Human keyframes at 0, 10, 20, 30 on a straight line; a human "no ball" at 25."""
    window = open_window
    qtbot.waitUntil(lambda: window.project is not None, timeout=5000)
    labels = window.project.labels
    keys = np.array(KEYS)
    labels.set_points(keys, 10.0 + 2.0 * keys, 50.0 + keys)
    window.undo_stack.clear()
    return window


def snapshot(win):
    return win.project.labels.columns()


def assert_keyframes_untouched(win) -> None:
    labels = win.project.labels
    keys = np.array(KEYS)
    assert (labels.source[keys] == Source.HUMAN).all()
    assert labels.x[keys].tolist() == (10.0 + 2.0 * keys).tolist()


def test_interpolate_over_the_in_out_range_is_one_undo_step(win, qtbot):
    for frame, key in ((3, Qt.Key.Key_I), (12, Qt.Key.Key_O)):
        win.player.seek(frame)
        wait_for_frame(qtbot, win, frame)
        qtbot.keyClick(win.view, key)
    assert win.editing.edit_range() == (3, 13) and "3–12" in win.editing.range_label.text()
    before = snapshot(win)
    qtbot.keyClick(win.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    labels = win.project.labels
    filled = np.flatnonzero(labels.source == Source.INTERPOLATED).tolist()
    assert filled == [3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert labels.x[5] == pytest.approx(20.0) and labels.y[12] == pytest.approx(62.0)
    assert_keyframes_untouched(win)
    assert win.undo_stack.count() == 1
    win.undo_stack.undo()
    after_undo = snapshot(win)
    assert all(np.array_equal(before[c], after_undo[c], equal_nan=True) for c in before)


def test_interpolate_all_gaps_leaves_human_frames_alone(win, qtbot):
    win.project.labels.set_no_ball([25])  # a human says: no ball here
    win.undo_stack.clear()
    qtbot.keyClick(win.view, Qt.Key.Key_X)  # no range: everything
    qtbot.keyClick(win.view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    labels = win.project.labels
    filled = np.flatnonzero(labels.source == Source.INTERPOLATED)
    assert filled.tolist() == [f for f in range(1, 20) if f not in KEYS]
    assert labels.source[25] == Source.HUMAN and np.isnan(labels.x[25])  # gap 21..29 blocked
    assert_keyframes_untouched(win)
    assert win.undo_stack.count() == 1
    qtbot.keyClick(win.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not (labels.source == Source.INTERPOLATED).any()


def test_interpolate_over_the_selected_table_rows(win, qtbot):
    table = win.editing.track_table
    model = table.model()
    selection = QItemSelection(model.index(10, 0), model.index(20, model.columnCount() - 1))
    table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert win.editing.edit_range() == (10, 21)
    assert win.editing.interpolate_gaps("linear") == 9
    filled = np.flatnonzero(win.project.labels.source == Source.INTERPOLATED)
    assert filled.tolist() == list(range(11, 20))


def test_nothing_to_fill_pushes_nothing(win, qtbot):
    win.editing.interpolate_gaps("linear")
    count = win.undo_stack.count()
    assert win.editing.interpolate_gaps("linear") == 0
    assert win.undo_stack.count() == count and "No gaps" in win.statusBar().currentMessage()
