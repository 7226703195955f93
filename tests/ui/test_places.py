"""Where the window suggests files go (issue 23.7): the video's folder when it is the
user's, else the user's documents or videos folder, and it says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QDialog, QFileDialog

from tracknet_studio.core.paths import data_dir
from tracknet_studio.ui import export_dialog

pytestmark = pytest.mark.ui


def record_dialog(monkeypatch, kind: str) -> list[str]:
    """QFileDialog.<kind> answers "cancelled" and records the folder or file it offered."""
    offered: list[str] = []

    def fake(parent=None, caption="", start="", *args, **kwargs):
        offered.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, kind, staticmethod(fake))
    return offered


@pytest.fixture
def app_data_window(window, ui_clip, qtbot):
    """The window on a video inside the app's data folder, as the demo clip is."""
    folder = data_dir() / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    video = Path(shutil.copy(ui_clip.path, folder / "demo.mp4"))
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000):
        window.files.open_video(video)
    return window


def documents() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation))


def test_import_labels_opens_in_the_videos_folder(open_window, ui_clip, monkeypatch) -> None:
    offered = record_dialog(monkeypatch, "getOpenFileName")
    open_window.action_by_id["file.import"].trigger()
    assert offered == [str(ui_clip.path.resolve().parent)]


def test_export_labels_offers_a_name_beside_the_video(open_window, ui_clip, monkeypatch) -> None:
    offered = record_dialog(monkeypatch, "getSaveFileName")
    open_window.action_by_id["file.export"].trigger()
    assert Path(offered[0]) == ui_clip.path.resolve().parent / f"{ui_clip.path.stem}-labels.csv"


def test_the_demo_saves_and_exports_into_the_users_folders(app_data_window, monkeypatch) -> None:
    window = app_data_window
    offered = record_dialog(monkeypatch, "getSaveFileName")
    window.action_by_id["file.save_as"].trigger()
    window.action_by_id["file.export"].trigger()
    assert Path(offered[0]) == documents() / "demo.tnproj"
    assert Path(offered[1]) == documents() / "demo-labels.csv"
    assert "app's own data folder" in window.statusBar().toolTip()


def test_export_video_falls_back_to_the_videos_folder_and_says_so(
    app_data_window, monkeypatch
) -> None:
    shown: dict = {}

    def exec_(dialog) -> int:
        shown["path"] = dialog.path.text()
        shown["note"] = dialog.place_note.text() if dialog.place_note.isVisibleTo(dialog) else ""
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(export_dialog.ExportVideoDialog, "exec", exec_)
    app_data_window.action_by_id["file.export_video"].trigger()
    videos = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    assert Path(shown["path"]) == Path(videos) / "demo-overlay.mp4"
    assert "app's own data folder" in shown["note"] and videos in shown["note"]
