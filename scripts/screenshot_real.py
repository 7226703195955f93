"""A screenshot of the auto-track on a real clip: the clip's labels from the real set
(tests/data/real) as rings, Model > Auto-track's layer as crosses with its trail. Run under X
(see scripts/screenshot), with ../shared/data present:

    Xvfb :97 -screen 0 1280x800x24 &
    DISPLAY=:97 QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshot_real.py \
        1_03_04 48 docs/screenshot-autotrack-badminton.png [ZOOM]
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPointF, QTimer
from screenshot_support import capture_screen, demo_window

from tracknet_studio.core import Source
from tracknet_studio.inference.real_set import load_clips

name, frame, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
zoom = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
clip = next(c for c in load_clips() if c.name == name)
app, window, _demo, _csv = demo_window("real")
state: dict[str, bool] = {}


def on_project(project) -> None:
    if project is None or state.get("filled"):
        return
    state["filled"] = True
    frames, visibility, xy = clip.labels()
    project.labels.update(frames, x=xy[:, 0], y=xy[:, 1], visibility=visibility,
                          source=Source.HUMAN)  # fmt: skip
    window.undo_stack.clear()
    task = window.prediction.auto_track()
    task.succeeded.connect(lambda _track: QTimer.singleShot(300, show))


def show() -> None:
    window.editing.overlay_settings = replace(window.editing.overlay_settings, trail_length=25)
    window.player.seek(frame)
    if zoom:
        QTimer.singleShot(600, zoom_on_ball)
    QTimer.singleShot(1600, capture)


def zoom_on_ball() -> None:
    labels = window.project.labels
    view = window.view
    view.fit_to_window()
    view.zoom_by(zoom)
    x, y = float(labels.x[frame]), float(labels.y[frame])
    if not np.isfinite(x):
        return
    ball = view.video_to_widget(QPointF(x, y))
    centre = view.rect().center()
    view.pan_by(centre.x() - ball.x(), centre.y() - ball.y())


def capture() -> None:
    capture_screen(window, out)
    state["done"] = True
    app.exit(0)


window.shell.project_changed.connect(on_project)
QTimer.singleShot(0, lambda: window.files.open_video(clip.video_path()))
QTimer.singleShot(240_000, lambda: (print("timed out", file=sys.stderr), app.exit(1)))
sys.exit(app.exec() or (0 if state.get("done") else 1))
