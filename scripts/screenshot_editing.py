"""Screenshot of the editing view: the demo clip, its track as labels, a perturbed copy as a
prediction layer, the trail, the timeline and the table. Run under X (see
scripts/screenshot); usage: `.venv/bin/python scripts/screenshot_editing.py OUT.png`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PySide6.QtCore import QPointF, QSettings, QTimer

from tracknet_studio.core import Source, Track
from tracknet_studio.core.interpolate import interpolate
from tracknet_studio.formats import read_csv
from tracknet_studio.synthetic import ensure_demo_clip
from tracknet_studio.ui.app import create_application
from tracknet_studio.ui.main_window import MainWindow

FRAME = 96  # the ball in flight
OUT = sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot-editing.png"

app = create_application(sys.argv[:1])
settings = QSettings("/tmp/tracknet-screenshot-editing.ini", QSettings.Format.IniFormat)
settings.clear()
settings.setValue("autosave/enabled", False)
window = MainWindow(settings=settings)
window.setGeometry(0, 0, 1280, 800)
window.show()
video, csv = ensure_demo_clip()
state = {"done": False}


def fill_project(project) -> None:
    truth, _report = read_csv(csv)
    n = min(len(truth), project.n_frames)
    frames = np.arange(n)
    cols = truth.columns()
    labels = project.labels
    labels.update(frames, **{k: cols[k][:n] for k in ("x", "y", "visibility", "event")},
                  source=Source.HUMAN)  # fmt: skip
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
    window.view.setFocus()
    subprocess.run(["import", "-window", "root", OUT], check=True)
    state["done"] = True
    app.quit()


def on_project(project) -> None:
    if project is None or state.get("filled"):
        return
    state["filled"] = True
    fill_project(project)
    window.seek(FRAME)
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


window.project_changed.connect(on_project)
QTimer.singleShot(0, lambda: window.open_video(video))
QTimer.singleShot(120_000, lambda: (print("timed out", file=sys.stderr), app.exit(1)))
sys.exit(app.exec() or (0 if state["done"] else 1))
