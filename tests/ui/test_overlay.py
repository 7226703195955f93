"""The overlay painted over the video: the label marker where the label is, layer toggles."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from tracknet_studio.core import Source, Track
from tracknet_studio.video.overlay import PREDICTION_COLOURS, SOURCE_COLOURS

pytestmark = pytest.mark.ui


@pytest.fixture
def win(open_window, qtbot):
    window = open_window
    qtbot.waitUntil(lambda: window.project is not None, timeout=5000)
    window.resize(1100, 900)  # room for the docks and a usable view
    qtbot.waitUntil(lambda: window.view.height() > 300, timeout=2000)
    view = window.view
    view.set_zoom(3.0)
    view.pan_by(-view.offset.x(), -view.offset.y())  # video (0, 0) at the widget's corner
    return window


def colour_at(win, x: float, y: float) -> tuple[int, int, int]:
    """The painted colour at video point (x, y) (the view grab includes the overlay)."""
    p = win.view.video_to_widget(QPointF(x, y))
    assert win.view.rect().contains(round(p.x()), round(p.y()))
    c = win.view.grab().toImage().pixelColor(round(p.x()), round(p.y()))
    return c.red(), c.green(), c.blue()


def near(a, b, tol: int = 40) -> bool:
    return all(abs(int(u) - int(v)) <= tol for u, v in zip(a, b, strict=True))


def test_label_marker_is_painted_at_the_label_and_hides_with_its_layer(win, qtbot):
    win.project.labels.set_points([0], [30.0], [25.0])
    qtbot.wait(10)
    assert near(colour_at(win, 30.0, 25.0), SOURCE_COLOURS[Source.HUMAN])  # the centre dot
    qtbot.keyClick(win.view, Qt.Key.Key_L)
    assert not win.action_by_id["view.labels_layer"].isChecked()
    assert not near(colour_at(win, 30.0, 25.0), SOURCE_COLOURS[Source.HUMAN])
    qtbot.keyClick(win.view, Qt.Key.Key_L)
    assert near(colour_at(win, 30.0, 25.0), SOURCE_COLOURS[Source.HUMAN])


def test_prediction_layer_toggle_and_trail_toggle(win, qtbot):
    n = win.project.n_frames
    pred = Track(n)
    pred.set_points([0], [50.0], [20.0], source=Source.MODEL, confidence=1.0)
    win.project.add_prediction("model", pred)
    cross_arm = (50.0 + 2.0, 20.0 + 2.0)  # on the X's diagonal, inside its radius
    assert near(colour_at(win, *cross_arm), PREDICTION_COLOURS[0], tol=70)
    qtbot.keyClick(win.view, Qt.Key.Key_P)
    assert "model" in win.editing.overlay_settings.hidden_layers
    assert not near(colour_at(win, *cross_arm), PREDICTION_COLOURS[0], tol=70)
    qtbot.keyClick(win.view, Qt.Key.Key_P)
    assert "model" not in win.editing.overlay_settings.hidden_layers
    qtbot.keyClick(win.view, Qt.Key.Key_T)
    assert not win.editing.overlay_settings.show_trail
    assert all(not hasattr(i, "x0") for i in win.editing._overlay_items())


def test_overlay_items_follow_the_frame_on_screen(win, qtbot):
    labels = win.project.labels
    labels.set_points(np.arange(5), np.arange(5) * 4.0 + 10, np.full(5, 20.0))
    from .conftest import wait_for_frame

    win.player.seek(4)
    wait_for_frame(qtbot, win, 4)
    items = win.editing._overlay_items()
    markers = [i for i in items if hasattr(i, "radius") and not hasattr(i, "x0")]
    assert [(m.frame, m.x) for m in markers] == [(4, 26.0)]
    assert len(items) - len(markers) == 4  # trail segments back to frame 0
