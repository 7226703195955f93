"""The window's project: a new one per video, the dirty title, Save / Save As, the prompts."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tracknet_studio.formats import load_project
from tracknet_studio.ui import project_controller

from ._project_support import Answers, file_dialog_returns, install_answers, place
from .conftest import UI_CLIP_FRAMES, wait_for_frame

pytestmark = pytest.mark.ui


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    return install_answers(monkeypatch)


def save_dialog_returns(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    return file_dialog_returns(monkeypatch, path)


def test_opening_a_video_creates_an_unsaved_project(open_window, ui_clip) -> None:
    window = open_window
    project = window.project
    assert project is not None
    assert len(project.labels) == UI_CLIP_FRAMES
    assert Path(project.video_path) == ui_clip.path.resolve()
    assert project.fingerprint and project.fingerprint["frame_count"] == UI_CLIP_FRAMES
    assert window.files.path is None and not window.files.dirty
    assert window.windowTitle() == f"TrackNet Studio — {ui_clip.path.name}"


def test_edit_marks_dirty_and_ctrl_s_saves_clean(
    open_window, qtbot, tmp_path, monkeypatch, ui_clip
) -> None:
    window = open_window
    place(window, 3)
    assert window.windowTitle().endswith("*")
    target = tmp_path / "rally"  # the suffix is added
    calls = save_dialog_returns(monkeypatch, target)
    qtbot.keyClick(window.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved = tmp_path / "rally.tnproj"
    assert calls and saved.is_file()
    assert window.windowTitle() == "TrackNet Studio — rally.tnproj"
    loaded = load_project(saved).project
    assert loaded.labels.equals(window.project.labels)
    assert loaded.labels.x[3] == 40.0

    # A second Ctrl+S writes to the same file without asking; undo back to clean is clean.
    place(window, 4)
    qtbot.keyClick(window.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert len(calls) == 1 and not window.files.dirty
    window.undo_stack.undo()
    assert window.windowTitle().endswith("*")
    window.undo_stack.redo()
    assert not window.windowTitle().endswith("*")


def test_save_as_moves_the_project_to_the_new_file(open_window, tmp_path, monkeypatch) -> None:
    window = open_window
    place(window, 1)
    save_dialog_returns(monkeypatch, tmp_path / "a.tnproj")
    assert window.files.save()
    place(window, 2)
    save_dialog_returns(monkeypatch, tmp_path / "b.tnproj")
    assert window.files.save_as()
    assert window.files.path == (tmp_path / "b.tnproj").resolve()
    assert load_project(tmp_path / "b.tnproj").project.labels.x[2] == 40.0
    assert not (load_project(tmp_path / "a.tnproj").project.labels.labeled[2])


def test_open_project_restores_labels_and_view(
    make_window, qtbot, ui_clip, tmp_path, monkeypatch
) -> None:
    first = make_window()
    with qtbot.waitSignal(first.player.frame_shown, timeout=10_000):
        first.files.open_video(ui_clip.path)
    place(first, 7, x=12.5, y=8.0)
    first.player.seek(7)
    wait_for_frame(qtbot, first, 7)
    first.player.set_speed(2.0)
    assert first.files.save_to(tmp_path / "p.tnproj")
    first.close()

    second = make_window()
    with qtbot.waitSignal(second.shell.project_changed, timeout=10_000):
        assert second.files.open_file(tmp_path / "p.tnproj")
    wait_for_frame(qtbot, second, 7)
    assert second.project.labels.x[7] == 12.5
    assert second.player.speed == 2.0
    assert second.windowTitle() == "TrackNet Studio — p.tnproj"
    assert second.undo_stack.count() == 0 and not second.files.dirty


def test_close_with_unsaved_changes_cancel_keeps_the_window(open_window, answers) -> None:
    window = open_window
    place(window, 3)
    answers.queue.append("Cancel")
    assert not window.close()
    assert window.isVisible() and window.project is not None
    assert answers.titles[-1] == "Unsaved changes"
    answers.queue.append("Discard")
    assert window.close()


def test_opening_another_video_asks_and_save_saves_first(
    open_window, ui_clip, answers, monkeypatch, tmp_path, qtbot
) -> None:
    window = open_window
    place(window, 3)
    answers.queue.append("Cancel")
    assert not window.files.open_video(ui_clip.path)
    assert window.project.labels.labeled[3]
    save_dialog_returns(monkeypatch, tmp_path / "kept.tnproj")
    answers.queue.append("Save")
    with qtbot.waitSignal(window.shell.project_changed, timeout=10_000):
        assert window.files.open_video(ui_clip.path)
    assert (tmp_path / "kept.tnproj").is_file()
    assert not window.project.labels.labeled[3]  # a fresh project for the video


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions, not root"
)
def test_save_into_read_only_folder_shows_error_and_stays_dirty(
    open_window, tmp_path, monkeypatch, message_boxes
) -> None:
    window = open_window
    place(window, 3)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        save_dialog_returns(monkeypatch, locked / "p.tnproj")
        assert not window.files.save()
    finally:
        locked.chmod(stat.S_IRWXU)
    title, text = message_boxes[-1]
    assert title == "Cannot save project"
    assert str(locked / "p.tnproj") in text
    assert window.files.dirty and window.windowTitle().endswith("*")
    assert window.project.labels.labeled[3]


def test_disk_full_or_bad_folder_keeps_everything(
    open_window, tmp_path, monkeypatch, message_boxes
) -> None:
    window = open_window
    place(window, 3)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    save_dialog_returns(monkeypatch, blocker / "p.tnproj")
    assert not window.files.save()
    assert message_boxes[-1][0] == "Cannot save project"
    assert str(blocker / "p.tnproj") in message_boxes[-1][1]

    def disk_full(project, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(project_controller, "save_project", disk_full)
    save_dialog_returns(monkeypatch, tmp_path / "p.tnproj")
    assert not window.files.save()
    assert "No space left on device" in message_boxes[-1][1]
    assert window.files.dirty and window.files.path is None
