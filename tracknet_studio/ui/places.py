"""Where the window suggests writing a file: beside the video, unless that folder is not
the user's to write (the app's own data, a read-only or shared folder), then one of the
user's standard folders, said in words so the user knows where the file went."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from tracknet_studio.core.paths import data_dir

DOCUMENTS = QStandardPaths.StandardLocation.DocumentsLocation
VIDEOS = QStandardPaths.StandardLocation.MoviesLocation


@dataclass(frozen=True)
class Place:
    """A suggested file, and why it is not beside the video (empty when it is)."""

    path: Path
    note: str = ""


def suggest(video: Path | str | None, name: str, kind: QStandardPaths.StandardLocation) -> Place:
    """`name` beside `video` when the user may write there, else in the user's `kind` folder."""
    if video:
        folder = Path(video).resolve().parent
        if _users(folder):
            return Place(folder / name)
    home = Path(QStandardPaths.writableLocation(kind) or Path.home())
    where = "the app's own data folder" if video and _in_app_data(Path(video)) else (
        "a folder you cannot write to")  # fmt: skip
    note = f"The video is in {where}: suggesting {home} instead." if video else ""
    return Place(home / name, note)


def _users(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK) and not _in_app_data(folder)


def _in_app_data(path: Path) -> bool:
    try:
        path.resolve().relative_to(data_dir().resolve())
    except ValueError:
        return False
    return True
