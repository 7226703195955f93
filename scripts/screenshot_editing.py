"""Screenshot of the editing view: the demo clip, its track as labels, a perturbed copy as a
prediction layer, the trail, the timeline and the table. Run under X (see
scripts/screenshot); usage: `.venv/bin/python scripts/screenshot_editing.py OUT.png`."""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtCore import QPointF, QTimer
from screenshot_support import capture_screen, demo_window, label_with_truth

from tracknet_studio.core import Source, Track
from tracknet_studio.core.interpolate import interpolate

FRAME = 96  # the ball in flight
OUT = sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot-editing.png"

app, window, video, csv = demo_window("editing")
state = {"done": False}


def fill_project(project) -> None:
    n = label_with_truth(project, csv)
    frames = np.arange(n)
    labels = project.labels
    # A stretch left for interpolation, so the strip and the overlay show interpolated frames.
    labels.clear(np.arange(80, 92))
    labels.apply(interpolate(labels, "ballistic").after)
    rng = np.random.default_rng(4)
    pred = Track(project.n_frames)
    ball = labels.has_ball[:n]
    f = frames[ball]
    conf = rng.uniform(0.35, 1.0, len(f)).astype(np.float32)
    noise = rng.normal(0, 3, (2, len(f)))
    pred.set_points(f, labels.x[f] + noise[0], labels.y[f] + noise[1], source=Source.MODEL,
                    confidence=conf)  # fmt: skip
    project.add_prediction("tracknet-v2", pred)
    window.undo_stack.clear()


def capture() -> None:
    capture_screen(window, OUT)
    state["done"] = True
    app.quit()


def on_project(project) -> None:
    if project is None or state.get("filled"):
        return
    state["filled"] = True
    fill_project(project)
    window.player.seek(FRAME)
    QTimer.singleShot(800, zoom_on_ball)
    QTimer.singleShot(1800, capture)


def zoom_on_ball() -> None:
    """1:1 with the ball a little right of centre, so the trail and its flight show."""
    labels = window.project.labels
    view = window.view
    view.zoom_actual_size()
    ball = view.video_to_widget(QPointF(float(labels.x[FRAME]), float(labels.y[FRAME])))
    centre = view.rect().center()
    view.pan_by(centre.x() + 120 - ball.x(), centre.y() + 60 - ball.y())


window.shell.project_changed.connect(on_project)
QTimer.singleShot(0, lambda: window.files.open_video(video))
QTimer.singleShot(120_000, lambda: (print("timed out", file=sys.stderr), app.exit(1)))
sys.exit(app.exec() or (0 if state["done"] else 1))
