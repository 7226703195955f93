"""The first start (issue 23.9): a welcome page with recent files and their pictures, and a
demo that shows what the app is for: true labels, a model's layer, metrics, and the review
queue on the first disagreement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from inference.stubs import TrackPredictor
from PySide6.QtCore import Qt

from tracknet_studio.core import Source
from tracknet_studio.core.review import Problem
from tracknet_studio.formats import read_csv
from tracknet_studio.synthetic import ensure_demo_clip
from tracknet_studio.ui import prediction
from tracknet_studio.ui.main_window import MainWindow

pytestmark = pytest.mark.ui
FAR_OFF = 9  # px a stub's prediction is moved on one frame: a disagreement to find


def test_the_first_start_shows_the_welcome_page_with_recent_files(
    make_window, settings, ui_clip, make_clip, qtbot, tmp_path
) -> None:
    other = make_clip("mkv", frame_count=24)
    from tracknet_studio.ui.recent import RecentFiles

    recent = RecentFiles(settings)
    for path in (ui_clip.path, other.path):
        recent.add(path)
    window: MainWindow = make_window()
    welcome = window.welcome
    assert window.pages.currentWidget() is welcome
    names = [welcome.recent.item(i).text() for i in range(welcome.recent.count())]
    assert names == [other.path.name, ui_clip.path.name]
    qtbot.waitUntil(lambda: welcome.thumbnails_shown() == 2, timeout=10_000)
    assert "Space plays" in welcome.findChild(type(welcome.recent_title), "welcomeHint").text()
    item = welcome.recent.item(1)
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000):
        welcome.recent.itemActivated.emit(item)
    assert window.pages.currentWidget() is not welcome
    assert Path(window.project.video_path) == ui_clip.path.resolve()


def test_the_welcome_buttons_open_a_video_or_the_demo(window, qtbot, monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(window.files, "open_dialog", lambda: calls.append("video"))
    monkeypatch.setattr(window.demo, "open", lambda: calls.append("demo"))
    qtbot.mouseClick(window.welcome.open_video, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.welcome.open_demo, Qt.MouseButton.LeftButton)
    assert calls == ["video", "demo"]


@pytest.fixture
def demo_stub(monkeypatch) -> TrackPredictor:
    """The model the demo runs, replaced by the true track with one frame far off."""
    _video, csv = ensure_demo_clip()
    truth, _ = read_csv(csv)
    points = {
        int(f): (float(truth.x[f]), float(truth.y[f])) if truth.has_ball[f] else None
        for f in range(len(truth))
    }
    ball = np.flatnonzero(truth.has_ball)
    stub = TrackPredictor(points, offsets={int(ball[40]): (FAR_OFF * 3.0, 0.0)})
    monkeypatch.setattr(prediction, "make_predictor", lambda settings: stub)
    stub.far_frame = int(ball[40])  # type: ignore[attr-defined]
    return stub


def test_the_demo_opens_with_labels_a_model_layer_metrics_and_a_disagreement(
    window, qtbot, demo_stub
) -> None:
    window.demo.open()
    qtbot.waitUntil(lambda: window.project is not None and bool(window.project.predictions),
                    timeout=60_000)  # fmt: skip
    project = window.project
    labels = project.labels
    assert labels.has_ball.sum() > 100 and (labels.source[labels.labeled] == Source.IMPORTED).all()
    qtbot.waitUntil(lambda: window.player.displayed_frame == demo_stub.far_frame, timeout=10_000)
    assert window.review.review_queue.reasons(demo_stub.far_frame) & Problem.DISAGREEMENT
    assert "disagree" in window.review.review_label.text()
    panel = window.prediction.metrics_panel
    assert window.prediction.metrics_dock.isVisible()
    qtbot.waitUntil(lambda: panel.numbers()["f1"] not in ("—", "–"))  # compared, filled in
    assert window.editing.overlay_settings.show_trail
    assert not window.files.dirty  # the demo as it comes: nothing to save
    assert window.demo.scene_path().is_file()  # kept: the next demo opens at once


def test_the_kept_demo_opens_without_running_the_model_again(
    make_window, qtbot, demo_stub, monkeypatch
) -> None:
    first = make_window()
    first.demo.open()
    qtbot.waitUntil(lambda: first.project is not None and bool(first.project.predictions),
                    timeout=60_000)  # fmt: skip
    qtbot.waitUntil(lambda: first.demo.scene_path().is_file())
    first.close()
    monkeypatch.setattr(prediction, "make_predictor", lambda settings: pytest.fail("ran again"))
    second = make_window()
    second.demo.open()
    qtbot.waitUntil(lambda: second.project is not None and bool(second.project.predictions),
                    timeout=30_000)  # fmt: skip
    qtbot.waitUntil(lambda: second.player.displayed_frame == demo_stub.far_frame,
                    timeout=10_000)  # fmt: skip
    assert second.files.path is None and not second.files.dirty  # untitled: Save asks where
