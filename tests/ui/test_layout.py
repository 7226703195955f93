"""The window's layout (issue 23.5): sized to the screen, every table column in view, the
reviewed box visible on every row, the timeline's key outside its plots."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStyleFactory

from tracknet_studio.ui.app import dark_palette
from tracknet_studio.ui.main_window import SCREEN_SHARE, MainWindow
from tracknet_studio.ui.resources import style_sheet
from tracknet_studio.ui.track_table import REVIEWED

pytestmark = pytest.mark.ui


def test_a_first_start_fills_most_of_the_screen(qtbot, settings) -> None:
    window = MainWindow(settings=settings)  # no saved geometry: the first start
    qtbot.addWidget(window)
    area = window.screen().availableGeometry()
    assert window.width() == int(area.width() * SCREEN_SHARE)
    assert window.height() == int(area.height() * SCREEN_SHARE)
    assert area.contains(window.geometry())


def test_every_column_of_the_track_table_is_in_view(window, ui_clip, qtbot) -> None:
    window.resize(1500, 920)
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000):
        window.files.open_video(ui_clip.path)
    table = window.editing.track_table
    qtbot.waitUntil(lambda: table.isVisible())
    qtbot.wait(50)  # the dock's new width is laid out
    assert table.horizontalScrollBar().maximum() == 0
    header = table.horizontalHeader()
    assert all(header.sectionSize(c) >= 20 for c in range(header.count()))


def test_the_reviewed_box_shows_on_alternate_rows(open_window, qtbot) -> None:
    table = open_window.editing.track_table
    table.setStyle(QStyleFactory.create("Fusion"))  # the application's look (ui/app.py)
    table.setPalette(dark_palette())
    table.setStyleSheet(style_sheet())
    table.resize(600, 300)
    image = table.viewport().grab().toImage()
    cell = table.visualRect(table.model().index(1, REVIEWED))  # an alternate (shaded) row
    light = [
        QColor(image.pixel(x, y)).lightness()
        for x in range(cell.left(), min(cell.right(), cell.left() + 30))
        for y in range(cell.top(), cell.bottom())
    ]
    background = QColor(image.pixel(cell.right() - 2, cell.center().y())).lightness()
    assert max(light) - background > 80  # the box's border stands out from the row


def test_the_timeline_key_names_layers_and_strip_colours_outside_the_plots(open_window) -> None:
    window = open_window
    project = window.project
    project.add_prediction("model", project.labels.copy())
    timeline = window.editing.timeline
    text = timeline.legend.text()
    for name in ("labels", "model", "human", "imported", "interpolated", "unlabeled",
                 "disagreement"):  # fmt: skip
        assert name in text, name
    assert timeline.x_plot.legend is None  # nothing drawn over the curves
    timeline.set_outcomes(np.zeros(project.n_frames, np.uint8))
    assert "FP1" in timeline.legend.text()
