"""Screenshots of the prediction features: the shipped model's trail over the labels, and
the metrics panel. The demo clip, its exact track as labels, and a real Model > Run Model
with the shipped weights (tracknet_studio/resources/weights/). Run under X (see scripts/screenshot):

    Xvfb :97 -screen 0 1280x800x24 &
    DISPLAY=:97 QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshot_predictions.py
"""

from __future__ import annotations

import sys
from dataclasses import replace

from PySide6.QtCore import QPointF, QTimer
from screenshot_support import capture_screen, demo_window, label_with_truth

from tracknet_studio.ui.prediction import RunSettings, run_model

FRAME = 96  # the ball in flight
TRAIL_FRAME = 26  # the ball rising after a bounce, its predicted trail behind it
TRAIL = "docs/screenshot-predictions.png"
METRICS = "docs/screenshot-metrics.png"

app, window, video, csv = demo_window("predictions")
state: dict[str, bool] = {}


def on_project(project) -> None:
    if project is None or state.get("filled"):
        return
    state["filled"] = True
    label_with_truth(project, csv, ("x", "y", "visibility"))
    window.undo_stack.clear()
    task = run_model(window.shell, RunSettings(None, "auto", 0, project.n_frames, "fasttracknet"))
    task.succeeded.connect(lambda _track: QTimer.singleShot(300, show_trail))


def show_trail() -> None:
    window.editing.overlay_settings = replace(window.editing.overlay_settings, trail_length=30)
    window.player.seek(TRAIL_FRAME)
    QTimer.singleShot(800, zoom_on_ball)
    QTimer.singleShot(1800, lambda: capture(TRAIL, show_metrics))


def zoom_on_ball() -> None:
    labels = window.project.labels
    view = window.view
    view.zoom_actual_size()
    view.zoom_by(2.0)  # close enough that the prediction's crosses stand apart from the rings
    at = QPointF(float(labels.x[TRAIL_FRAME]), float(labels.y[TRAIL_FRAME]))
    ball = view.video_to_widget(at)
    centre = view.rect().center()
    view.pan_by(centre.x() - ball.x(), centre.y() + 40 - ball.y())


def show_metrics() -> None:
    window.prediction.show_metrics_panel(True)
    window.prediction.metrics_panel.select(tolerance=4.0, space="input")
    window.view.fit_to_window()
    window.player.seek(FRAME)
    QTimer.singleShot(1500, lambda: capture(METRICS, lambda: app.exit(0)))


def capture(path: str, then) -> None:
    capture_screen(window, path)
    state[path] = True
    then()


window.shell.project_changed.connect(on_project)
QTimer.singleShot(0, lambda: window.files.open_video(video))
QTimer.singleShot(240_000, lambda: (print("timed out", file=sys.stderr), app.exit(1)))
sys.exit(app.exec() or (0 if state.get(METRICS) else 1))
