"""docs/screenshot-jobs.png: the jobs dock following a real local training job.

The dataset is the model tests' easy synthetic one (4 clips featurized by entrypoints/featurize.py);
the job is LocalBackend's entrypoints/train.py subprocess, so the log and the curves are real. The
view is frozen once the given number of epochs is plotted, while the job still runs.

Run under X like the other screenshots (see scripts/screenshot), so the window has the
application's style and an active palette:

    Xvfb :97 -screen 0 1280x800x24 &
    DISPLAY=:97 QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshot_jobs.py [EPOCHS_SHOWN]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = Path(tempfile.mkdtemp(prefix="tn-shot-"))
os.environ["TRACKNET_STUDIO_DATA_DIR"] = str(ROOT / "data")  # never the user's job list
os.environ["TRACKNET_STUDIO_CONFIG_DIR"] = str(ROOT / "config")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from screenshot_support import capture_screen  # noqa: E402

from tracknet_studio.cloud.jobs import JobStore  # noqa: E402
from tracknet_studio.cloud.local_backend import LocalBackend  # noqa: E402
from tracknet_studio.synthetic import ClipSpec, generate_clip  # noqa: E402
from tracknet_studio.synthetic.model_suite import featurize  # noqa: E402
from tracknet_studio.ui.app import create_application  # noqa: E402
from tracknet_studio.ui.cloud_jobs import JOBS_FILE_KEY  # noqa: E402
from tracknet_studio.ui.main_window import MainWindow  # noqa: E402

# The model tests' tiny-training settings (F1 reaches 1.0 in ~150 CPU steps).
HYPERPARAMETERS = {
    "epochs": 12,
    "height": 96,
    "width": 160,
    "arch-kwargs": {"base": 8},
    "batch-size": 8,
    "lr": 0.01,
    "crop": "48x80",
    "crop-ball": 1.0,
    "hflip": 0,
    "jitter": 0,
    "steps-per-epoch": 15,
    "workers": 0,
    "threads": 2,
    "device": "cpu",
}


def spin(app: QApplication, seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


def labelled_clip(video: Path, frames: int, seed: int, **options: float) -> None:
    """A small synthetic clip and its label table beside it."""
    spec = ClipSpec(width=320, height=180, frames=frames, seed=seed, players=0, **options)
    generate_clip(spec, video).write_label_table(video.with_suffix(".csv"))


def main(epochs_shown: int) -> None:
    clips = ROOT / "clips"
    labelled_clip(clips / "rally0.mp4", frames=48, seed=0)  # the clip on screen
    for i in range(4):  # the tiny dataset the job trains on
        labelled_clip(ROOT / "ds" / "clips" / f"clip{i}.mp4", 40, i, noise=0.0, ball_radius=6.0)
    data = ROOT / "ds" / "data"
    featurize(ROOT / "ds" / "clips", data, val_fraction=0.25)
    store = JobStore(ROOT / "data" / "jobs.json")

    app = create_application(sys.argv[:1])
    settings = QSettings(str(ROOT / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(JOBS_FILE_KEY, str(store.path))
    settings.setValue("autosave/recovery_dir", str(ROOT / "recovery"))
    window = MainWindow(settings=settings)
    window.setGeometry(0, 0, 1280, 800)
    window.show()
    window.files.open_video(clips / "rally0.mp4")
    window.cloud.local = backend = LocalBackend(store, ROOT / "work", sys.executable)
    panel = window.cloud.ensure_panel()
    panel._timer.setInterval(1000)
    record = backend.start_training(data, hyperparameters=HYPERPARAMETERS)
    panel.add_job(record)

    deadline = time.time() + 300
    while time.time() < deadline:
        spin(app, 0.05)
        done = not panel.record(record.name).active and not panel.polling
        if done or len(panel.metric_points(record.name)["train:loss"]) >= epochs_shown:
            break
    panel._timer.stop()  # freeze the view at this moment of the run
    spin(app, 1.0)
    points = panel.metric_points(record.name)["train:loss"]
    print(panel.record(record.name).status, f"{len(points)} epochs plotted")
    capture_screen(window, str(REPO / "docs" / "screenshot-jobs.png"))
    panel.shutdown()
    backend.stop(record.name)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
