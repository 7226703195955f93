"""A project as featurize.py's input, for Cloud > Featurize's "this project" choice."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tracknet_studio.core import Project
from tracknet_studio.formats.csv_tracks import CsvForm, write_csv


def project_dataset(project: Project | None, folder: Path) -> Path:
    """`folder` with <clip>.csv (Frame,Visibility,X,Y) beside a link to the project's video
    (a copy where links are not allowed): the layout featurize.py reads."""
    if project is None or not project.video_path:
        raise ValueError("Open a video (or a project) with labels first.")
    video = Path(project.video_path)
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / (video.stem + video.suffix.lower())
    if not link.exists():
        try:
            os.symlink(video, link)
        except OSError:
            shutil.copy2(video, link)
    write_csv(project.labels, folder / f"{video.stem}.csv", CsvForm.BADMINTON)
    return folder
