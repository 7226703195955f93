"""Opening files: errors in a dialog, recent files, drag and drop, the open progress."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from tracknet_studio.ui.recent import MAX_RECENT, RecentFiles

from .conftest import shown_number, wait_for_frame

pytestmark = pytest.mark.ui


def wait_for_open(qtbot, window, path: Path) -> None:
    qtbot.waitUntil(
        lambda: window.player.source is not None and window.player.source.path == path,
        timeout=10_000,
    )
    wait_for_frame(qtbot, window, 0)


def test_broken_file_shows_the_engines_message_and_keeps_the_video(
    open_window, qtbot, tmp_path, message_boxes
):
    window = open_window
    window.player.seek(5)
    wait_for_frame(qtbot, window, 5)
    title = window.windowTitle()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video at all" * 100)
    window.files.open_video(broken)
    qtbot.waitUntil(lambda: len(message_boxes) == 1, timeout=10_000)
    heading, text = message_boxes[0]
    assert heading == "Cannot open video"
    assert "broken.mp4" in text and "Traceback" not in text
    assert not window.player.progress_bar.isVisible()
    # The previous video is still there and still works.
    assert window.windowTitle() == title
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    wait_for_frame(qtbot, window, 6)
    assert str(broken) not in [str(p) for p in window.files.recent.paths()]


def test_missing_file_on_an_empty_window(window, qtbot, tmp_path, message_boxes):
    window.files.open_video(tmp_path / "nowhere.mp4")
    qtbot.waitUntil(lambda: len(message_boxes) == 1, timeout=10_000)
    assert "nowhere.mp4" in message_boxes[0][1]
    # Still usable: keys do nothing harmful, and a good file opens afterwards.
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    assert window.player.source is None and not window.player.playing


def test_open_dialog_opens_the_chosen_file(window, qtbot, ui_clip, monkeypatch):
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(ui_clip.path), ""))
    )
    qtbot.keyClick(window.view, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    wait_for_open(qtbot, window, ui_clip.path)


def test_recent_files_menu(window, qtbot, ui_clip, make_clip):
    other = make_clip("mkv", frame_count=24)
    for path in (ui_clip.path, other.path):
        window.files.open_video(path)
        wait_for_open(qtbot, window, path)
    assert window.files.recent.paths() == [other.path.resolve(), ui_clip.path.resolve()]
    window.files.recent_menu.aboutToShow.emit()
    entries = [a for a in window.files.recent_menu.actions() if a.data()]
    assert [Path(a.data()) for a in entries] == window.files.recent.paths()
    entries[1].trigger()
    wait_for_open(qtbot, window, ui_clip.path.resolve())
    assert window.files.recent.paths()[0] == ui_clip.path.resolve()


def test_recent_files_are_capped_and_drop_missing_files(settings, tmp_path):
    recent = RecentFiles(settings)
    files = []
    for i in range(MAX_RECENT + 3):
        path = tmp_path / f"clip{i}.mp4"
        path.write_bytes(b"x")
        files.append(path)
        recent.add(path)
    recent.add(files[5])  # reopening moves it to the top without duplicating it
    paths = recent.paths()
    assert len(paths) == MAX_RECENT
    assert paths[0] == files[5].resolve()
    assert paths[1] == files[-1].resolve()
    files[-1].unlink()
    assert files[-1].resolve() not in recent.paths()
    assert len(RecentFiles(settings).paths()) == MAX_RECENT - 1  # persisted


def test_drop_a_video_file_opens_it(window, qtbot, ui_clip):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(ui_clip.path))])
    pos = QPoint(window.width() // 2, window.height() // 2)
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, actions, mime, buttons, mods)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), actions, mime, buttons, mods)
    QApplication.sendEvent(window, drop)
    wait_for_open(qtbot, window, ui_clip.path)
    assert shown_number(window) == 0


def test_drag_without_files_is_refused(window):
    mime = QMimeData()
    mime.setText("not a file")
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_progress_bar_shows_while_opening(window, qtbot, ui_clip):
    window.files.open_video(ui_clip.path)
    assert window.player.progress_bar.isVisible()
    wait_for_open(qtbot, window, ui_clip.path)
    assert not window.player.progress_bar.isVisible()


def test_demo_is_prepared_off_the_ui_thread_then_opened(window, qtbot, ui_clip, monkeypatch):
    import threading

    import tracknet_studio.synthetic as synthetic

    threads = []

    def fake_demo(progress=None):
        threads.append(threading.current_thread())
        progress(1, 2)
        return ui_clip.path, ui_clip.path.with_suffix(".csv")

    monkeypatch.setattr(synthetic, "ensure_demo_clip", fake_demo)
    window.demo.open()
    wait_for_open(qtbot, window, ui_clip.path)
    assert threads and threads[0] is not threading.main_thread()


class FailingProvider:
    """Opens fine (reporting progress first) but cannot decode frames 5 and up."""

    def __init__(self, path, *, on_ready, on_frame, on_error, on_progress=None):
        from tracknet_studio.video.reader import VideoError

        from .test_playback import FakeInfo

        self.info = FakeInfo(Path(path), frame_count=20, fps=25.0)
        self._on_frame, self._on_error, self._error = on_frame, on_error, VideoError
        on_progress(0.5)
        on_ready(self.info)

    def request(self, n: int) -> None:
        import numpy as np

        from tracknet_studio.video.framecode import draw_frame_number

        if n >= 5:
            self._on_error(self._error(self.info.path, f"frame {n}: corrupt packet"))
            return
        image = np.zeros((self.info.height, self.info.width, 3), np.uint8)
        draw_frame_number(image, n)
        self._on_frame(n, image)

    def cached(self, n: int) -> None:
        return None

    def set_direction(self, direction: int) -> None:
        pass

    def close(self) -> None:
        pass


def test_decode_error_mid_file_is_reported_and_the_window_stays_usable(
    make_window, qtbot, tmp_path, message_boxes
):
    window = make_window(provider_factory=FailingProvider)
    progress: list[int] = []
    window.player.progress_bar.valueChanged.connect(progress.append)
    window.files.open_video(tmp_path / "bad-middle.mp4")
    wait_for_frame(qtbot, window, 0)
    assert 500 in progress  # the open progress reached the status bar
    window.player.seek(4)
    wait_for_frame(qtbot, window, 4)
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: len(message_boxes) == 1)
    title, text = message_boxes[0]
    assert title == "Video error"
    assert text == f"{tmp_path / 'bad-middle.mp4'}: frame 5: corrupt packet"
    assert shown_number(window) == 4  # the last good frame stays on screen
    qtbot.keyClick(window.view, Qt.Key.Key_Left)
    wait_for_frame(qtbot, window, 3)
