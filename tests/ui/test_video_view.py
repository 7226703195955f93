"""Zoom toward the cursor, pan, fit and 1:1, and the widget <-> video pixel mapping."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from .conftest import wait_for_frame

pytestmark = pytest.mark.ui


def close_to(a: QPointF, b: QPointF, tol: float = 1e-6) -> bool:
    return abs(a.x() - b.x()) < tol and abs(a.y() - b.y()) < tol


def wheel(view, pos: QPoint, notches: int) -> None:
    """Turn the mouse wheel over `pos` (qtbot has no wheel helper)."""
    event = QWheelEvent(
        QPointF(pos),
        QPointF(view.mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view, event)


def test_mapping_round_trips_with_sub_pixel_precision(open_window):
    view = open_window.view
    view.set_zoom(3.7, QPointF(10, 20))
    p = QPointF(123.25, 45.5)
    assert close_to(view.video_to_widget(view.widget_to_video(p)), p)
    v = QPointF(17.125, 33.75)
    assert close_to(view.widget_to_video(view.video_to_widget(v)), v)
    mapped = view.video_transform().map(v)
    assert close_to(mapped, view.video_to_widget(v))


def test_fit_centres_the_whole_video(open_window, ui_clip):
    view = open_window.view
    assert view.fit_mode
    top_left = view.video_to_widget(QPointF(0, 0))
    bottom_right = view.video_to_widget(QPointF(ui_clip.width, ui_clip.height))
    # Touches two opposite edges, centred along the other axis.
    assert top_left.x() >= -1e-6 and top_left.y() >= -1e-6
    assert bottom_right.x() <= view.width() + 1e-6 and bottom_right.y() <= view.height() + 1e-6
    fits_width = abs(bottom_right.x() - top_left.x() - view.width()) < 1e-6
    fits_height = abs(bottom_right.y() - top_left.y() - view.height()) < 1e-6
    assert fits_width or fits_height
    assert abs((top_left.x() + bottom_right.x()) / 2 - view.width() / 2) < 1e-6
    assert abs((top_left.y() + bottom_right.y()) / 2 - view.height() / 2) < 1e-6


def test_wheel_zoom_keeps_the_point_under_the_cursor(open_window):
    view = open_window.view
    cursor = QPoint(view.width() // 3, view.height() // 4)
    under = view.widget_to_video(QPointF(cursor))
    scale = view.scale
    wheel(view, cursor, 2)
    assert view.scale == pytest.approx(scale * 1.25**2)
    assert close_to(view.widget_to_video(QPointF(cursor)), under)
    wheel(view, cursor, -3)
    assert view.scale == pytest.approx(scale * 1.25**-1)
    assert close_to(view.widget_to_video(QPointF(cursor)), under)
    assert not view.fit_mode


def test_middle_drag_and_ctrl_drag_pan(open_window, qtbot):
    view = open_window.view
    before = view.offset
    qtbot.mousePress(view, Qt.MouseButton.MiddleButton, pos=QPoint(100, 100))
    qtbot.mouseMove(view, QPoint(130, 90))
    qtbot.mouseRelease(view, Qt.MouseButton.MiddleButton, pos=QPoint(130, 90))
    assert close_to(view.offset, before + QPointF(30, -10))
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, ctrl, QPoint(50, 50))
    qtbot.mouseMove(view, QPoint(40, 70))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, ctrl, QPoint(40, 70))
    assert close_to(view.offset, before + QPointF(20, 10))
    # A plain left drag does not pan: left clicks are kept for placing the ball.
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    qtbot.mouseMove(view, QPoint(90, 90))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(90, 90))
    assert close_to(view.offset, before + QPointF(20, 10))


def test_zoom_and_pan_stay_put_while_stepping(open_window, qtbot):
    window = open_window
    view = window.view
    wheel(view, QPoint(40, 60), 3)
    view.pan_by(-25, 12)
    scale, offset = view.scale, view.offset
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_End):
        qtbot.keyClick(view, key)
    wait_for_frame(qtbot, window, window.player.slider.maximum())
    assert view.scale == scale and close_to(view.offset, offset)


def test_fit_key_and_actual_size(open_window, qtbot):
    view = open_window.view
    fitted = view.scale
    wheel(view, QPoint(10, 10), 4)
    qtbot.keyClick(view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert view.scale == 1.0
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.fit_mode and view.scale == pytest.approx(fitted)
    # Fit follows the window size.
    open_window.resize(900, 700)
    qtbot.waitUntil(lambda: view.scale > fitted)
    assert view.fit_mode


def test_zoom_actions_zoom_about_the_centre(open_window, qtbot):
    view = open_window.view
    centre = QPointF(view.width() / 2, view.height() / 2)
    under = view.widget_to_video(centre)
    scale = view.scale
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.scale == pytest.approx(scale * 1.25)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.scale == pytest.approx(scale / 1.25)
    assert close_to(view.widget_to_video(centre), under)


def test_painted_pixels_match_the_frame_at_the_mapped_position(window):
    from tracknet_studio.ui.video_view import VideoView

    view: VideoView = window.view
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    view.set_frame(frame)
    view.set_zoom(4.0, QPointF(0, 0))  # magnified: pixels are drawn sharp, not blended
    view.pan_by(7, 5)
    painted = view.grab().toImage()
    for x, y in [(0, 0), (39, 29), (17, 11), (3, 25)]:
        p = view.video_to_widget(QPointF(x + 0.5, y + 0.5))
        color = painted.pixelColor(int(p.x()), int(p.y()))
        assert (color.red(), color.green(), color.blue()) == tuple(frame[y, x])
    # Outside the video: the dark background.
    corner = painted.pixelColor(2, 2)
    assert (corner.red(), corner.green(), corner.blue()) == (18, 18, 20)
