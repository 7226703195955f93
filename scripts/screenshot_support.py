"""What the screenshot scripts share: a window on the demo clip with throwaway settings,
the clip's exact track as human labels, and a capture of the whole X screen."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from tracknet_studio.core import Project, Source
from tracknet_studio.formats import read_csv
from tracknet_studio.synthetic import ensure_demo_clip
from tracknet_studio.ui.app import create_application
from tracknet_studio.ui.main_window import MainWindow


def demo_window(name: str) -> tuple[QApplication, MainWindow, Path, Path]:
    """The application and a 1280x800 window; the demo clip and its track CSV."""
    app = create_application(sys.argv[:1])
    # A settings file of its own: a screenshot must not depend on (or change) the user's.
    settings = QSettings(f"/tmp/tracknet-screenshot-{name}.ini", QSettings.Format.IniFormat)
    settings.clear()
    settings.setValue("autosave/enabled", False)
    window = MainWindow(settings=settings)
    window.setGeometry(0, 0, 1280, 800)
    window.show()
    video, csv = ensure_demo_clip()
    return app, window, Path(video), Path(csv)


def label_with_truth(
    project: Project, csv: Path, columns: Sequence[str] = ("x", "y", "visibility", "event")
) -> int:
    """Write the demo track into the labels as human labels; returns the frames labelled."""
    truth, _report = read_csv(csv)
    n = min(len(truth), project.n_frames)
    cols = truth.columns()
    project.labels.update(np.arange(n), **{k: cols[k][:n] for k in columns}, source=Source.HUMAN)
    return n


def capture_screen(window: MainWindow, path: str) -> None:
    """The whole X screen (ImageMagick's import), with the video view focused."""
    window.view.setFocus()
    subprocess.run(["import", "-window", "root", path], check=True)
    print("wrote", path)
