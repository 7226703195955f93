"""Issue 23.8: a "Saved" message, the editing modes in the status bar, and a question
before quitting while a model run, an export or a fine-tuning is still running."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from tracknet_studio.ui import tasks

from ._project_support import install_answers

pytestmark = pytest.mark.ui


def test_saving_says_saved(open_window, tmp_path) -> None:
    assert open_window.files.save_to(tmp_path / "p.tnproj")
    assert open_window.statusBar().toolTip() == f"Saved {tmp_path / 'p.tnproj'}"


def test_the_modes_show_in_the_status_bar(open_window, qtbot) -> None:
    label = open_window.editing.mode_label
    assert not label.isVisibleTo(open_window)
    qtbot.keyClick(open_window.view, Qt.Key.Key_A)
    assert label.isVisibleTo(open_window) and label.text() == "Advance after click"
    qtbot.keyClick(open_window.view, Qt.Key.Key_M)
    assert label.text() == "Advance after click · Magnifier"
    qtbot.keyClick(open_window.view, Qt.Key.Key_A)
    qtbot.keyClick(open_window.view, Qt.Key.Key_M)
    assert not label.isVisibleTo(open_window)


def test_quitting_during_a_run_asks_and_stopping_cancels_it(open_window, qtbot, monkeypatch):
    window = open_window
    started, release = threading.Event(), threading.Event()

    def work(report):
        started.set()
        while not release.wait(0.01):
            report(1, 2)  # raises Cancelled once the task is cancelled

    ignore = lambda _result: None  # noqa: E731
    task = tasks.run_in_background(
        window, "Running the model", work, on_success=ignore, on_failure=ignore
    )
    assert started.wait(5)
    answers = install_answers(monkeypatch)
    answers.queue.append("Cancel")
    window.close()
    assert window.isVisible() and task.running
    assert "Running the model is still running" in answers.asked[-1][1]
    answers.queue.append("Stop and Quit")
    window.close()
    assert not window.isVisible()
    assert task.cancelled and not task.running
    release.set()


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_task_whose_window_is_gone_stops_quietly(qtbot) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    started, reported = threading.Event(), threading.Event()
    steps: list[int] = []

    def work(report):
        started.set()
        for step in range(1000):
            steps.append(step)
            report(step, 1000)  # raises Cancelled once nobody listens
            reported.set()
            threading.Event().wait(0.005)

    task = tasks.BackgroundTask(work, parent, "Running the model")
    thread = task._thread
    task.start()
    assert started.wait(5) and reported.wait(5)
    parent.deleteLater()  # the window closes under the running task
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5000)
    assert len(steps) < 1000  # it stopped instead of running on for nobody
