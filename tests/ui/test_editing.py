"""Editing on the frame in the real window: click, drag, keys, Delete, advance, undo/redo, docks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from tracknet_studio.core import Event, Source, Visibility

from .conftest import wait_for_frame

pytestmark = pytest.mark.ui


@pytest.fixture
def win(open_window, qtbot):
    """The window with the numbered clip open, its (empty) label layer ready to edit."""
    qtbot.waitUntil(lambda: open_window.editing.labels is not None, timeout=5000)
    return open_window


def click(qtbot, win, pos: QPoint) -> QPointF:
    """Left-click the video at widget position `pos`; returns the video point it maps to."""
    expected = win.view.widget_to_video(QPointF(pos))
    qtbot.mouseClick(win.view, Qt.MouseButton.LeftButton, pos=pos)
    return expected


def label_at(win, frame: int) -> tuple[float, float]:
    return float(win.editing.labels.x[frame]), float(win.editing.labels.y[frame])


def press(qtbot, win, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(win.view, key, modifier)


def test_click_places_a_human_label_at_the_mapped_position(win, qtbot):
    pos = QPoint(win.view.width() // 2 + 3, win.view.height() // 2 - 5)
    expected = click(qtbot, win, pos)
    assert label_at(win, 0) == pytest.approx((expected.x(), expected.y()), abs=1e-9)
    labels = win.editing.labels
    assert labels.visibility[0] == Visibility.VISIBLE and labels.source[0] == Source.HUMAN
    assert win.undo_stack.count() == 1


def test_click_when_zoomed_in_keeps_sub_pixel_precision(win, qtbot):
    view = win.view
    view.set_zoom(5.3, QPointF(view.width() / 2, view.height() / 2))
    pos = QPoint(view.width() // 2 + 2, view.height() // 2 + 1)
    expected = click(qtbot, win, pos)
    x, y = label_at(win, 0)
    assert (x, y) == pytest.approx((expected.x(), expected.y()), abs=1e-9)
    assert x != round(x) or y != round(y)  # a fraction of a video pixel, not snapped
    # Back on screen exactly where it was clicked.
    back = view.video_to_widget(QPointF(x, y))
    assert (back.x(), back.y()) == pytest.approx((pos.x(), pos.y()), abs=1e-6)


def test_clicks_outside_the_picture_place_nothing(win, qtbot):
    win.view.set_zoom(0.2, QPointF(0, 0))  # the picture shrinks into the top-left corner
    click(qtbot, win, QPoint(win.view.width() - 5, win.view.height() - 5))
    assert not win.editing.labels.labeled.any() and win.undo_stack.count() == 0


def test_drag_moves_the_ball_in_one_undo_step_and_undo_redo_restore(win, qtbot):
    view = win.view
    view.set_zoom(2.0, QPointF(view.width() / 2, view.height() / 2))
    start = QPoint(view.width() // 2, view.height() // 2)
    placed = click(qtbot, win, start)
    assert win.undo_stack.count() == 1
    # Grab the marker slightly off its centre: the ball moves with the cursor, no jump.
    grab = start + QPoint(2, 1)
    offset = placed - view.widget_to_video(QPointF(grab))
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=grab)
    assert label_at(win, 0) == pytest.approx((placed.x(), placed.y()))
    for step in (QPoint(10, 4), QPoint(25, 9), QPoint(31, -7)):
        qtbot.mouseMove(view, grab + step)
    end = grab + QPoint(40, -12)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)
    moved = view.widget_to_video(QPointF(end)) + offset
    assert label_at(win, 0) == pytest.approx((moved.x(), moved.y()), abs=1e-9)
    assert win.undo_stack.count() == 2  # the placing click, then the whole drag

    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert label_at(win, 0) == pytest.approx((placed.x(), placed.y()))
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not win.editing.labels.labeled[0]
    qtbot.keyClick(view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert label_at(win, 0) == pytest.approx((placed.x(), placed.y()))
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view, Qt.Key.Key_Z, shift_ctrl)
    assert label_at(win, 0) == pytest.approx((moved.x(), moved.y()))


def test_separate_drags_are_separate_steps(win, qtbot):
    view = win.view
    centre = QPoint(view.width() // 2, view.height() // 2)
    for dx in (0, 30):
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=centre + QPoint(dx, 0))
        qtbot.mouseMove(view, centre + QPoint(dx + 5, 5))
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=centre + QPoint(dx + 5, 5))
    assert win.undo_stack.count() == 2


def test_visibility_and_event_keys_and_delete(win, qtbot):
    labels = win.editing.labels
    placed = click(qtbot, win, QPoint(win.view.width() // 2, win.view.height() // 2))
    press(qtbot, win, Qt.Key.Key_2)
    assert labels.visibility[0] == Visibility.HARD
    assert label_at(win, 0) == pytest.approx((placed.x(), placed.y()))  # position kept
    press(qtbot, win, Qt.Key.Key_3)
    assert labels.visibility[0] == Visibility.OCCLUDED
    press(qtbot, win, Qt.Key.Key_1)
    assert labels.visibility[0] == Visibility.VISIBLE
    press(qtbot, win, Qt.Key.Key_H)
    assert labels.event[0] == Event.HIT
    press(qtbot, win, Qt.Key.Key_B)
    assert labels.event[0] == Event.BOUNCE
    press(qtbot, win, Qt.Key.Key_B)
    assert labels.event[0] == Event.NONE
    press(qtbot, win, Qt.Key.Key_0)
    assert labels.visibility[0] == Visibility.NO_BALL and np.isnan(labels.x[0])
    assert labels.source[0] == Source.HUMAN
    press(qtbot, win, Qt.Key.Key_Delete)
    assert not labels.labeled[0]
    steps = win.undo_stack.count()
    for _ in range(steps):
        win.undo_stack.undo()
    assert not labels.labeled[0] and labels.event[0] == Event.NONE


def test_visible_key_without_a_position_uses_the_cursor_or_explains(win, qtbot):
    labels = win.editing.labels
    win.editing._cursor = None
    press(qtbot, win, Qt.Key.Key_1)
    assert not labels.labeled[0] and "place" in win.statusBar().currentMessage()
    pos = QPoint(win.view.width() // 2, win.view.height() // 2)
    qtbot.mouseMove(win.view, pos)
    press(qtbot, win, Qt.Key.Key_2)
    expected = win.view.widget_to_video(QPointF(pos))
    assert labels.visibility[0] == Visibility.HARD
    assert label_at(win, 0) == pytest.approx((expected.x(), expected.y()))
    press(qtbot, win, Qt.Key.Key_Delete)
    press(qtbot, win, Qt.Key.Key_3)  # occluded may have no position
    assert labels.visibility[0] == Visibility.OCCLUDED


def test_advance_after_click(win, qtbot, settings):
    press(qtbot, win, Qt.Key.Key_A)
    assert win.action_by_id["edit.advance"].isChecked() and win.editing.advance_after_click
    centre = QPoint(win.view.width() // 2, win.view.height() // 2)
    click(qtbot, win, centre)
    wait_for_frame(qtbot, win, 1)
    click(qtbot, win, centre + QPoint(4, 0))
    wait_for_frame(qtbot, win, 2)
    assert win.editing.labels.labeled_frames().tolist() == [0, 1]
    assert settings.value("editing/advance_after_click") in (True, "true")
    press(qtbot, win, Qt.Key.Key_A)
    click(qtbot, win, centre)
    assert win.player.current_frame == 2


def test_docks_follow_the_window_and_seek_it(win, qtbot):
    timeline, table = win.editing.timeline, win.editing.track_table
    assert timeline.n_frames == win.editing.labels.n_frames
    assert table.model().rowCount() == win.editing.labels.n_frames
    timeline.seek_requested.emit(7)
    wait_for_frame(qtbot, win, 7)
    assert timeline.current_frame == 7 and table.currentIndex().row() == 7
    table.seek_requested.emit(3)
    wait_for_frame(qtbot, win, 3)
    assert timeline.current_frame == 3
    click(qtbot, win, QPoint(win.view.width() // 2, win.view.height() // 2))
    qtbot.waitUntil(lambda: timeline.state_codes[3] != timeline.state_codes[4], timeout=2000)


def test_magnifier_toggles_and_follows_the_cursor(win, qtbot):
    press(qtbot, win, Qt.Key.Key_M)
    magnifier = win.editing.overlay.magnifier
    assert magnifier.enabled
    pos = QPoint(40, 40)
    qtbot.mouseMove(win.view, pos)
    assert magnifier.cursor == QPointF(pos)
    inset = magnifier.inset_rect(QPointF(pos), win.editing.overlay.rect())
    before = win.view.grab().toImage()
    centre = inset.center().toPoint()
    press(qtbot, win, Qt.Key.Key_M)
    after = win.view.grab().toImage()
    assert not magnifier.enabled
    assert before.pixelColor(centre) != after.pixelColor(centre) or before != after
