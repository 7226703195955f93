"""Fixtures for driving the real main window offscreen."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from tracknet_studio.ui import questions
from tracknet_studio.ui.main_window import MainWindow
from tracknet_studio.video.framecode import read_frame_number

UI_CLIP_FRAMES = 40


@pytest.fixture(autouse=True)
def _qt_garbage_collected_here(qtbot) -> None:
    """Before each UI test, collect what earlier tests left on this (the UI) thread, then
    freeze the survivors so later collections stay quick. Left for later, Python collects
    it in whichever thread allocates next: twice a background task of a later test did,
    destroying a closed window's menu on its worker thread while the UI thread was
    deleting Qt objects, and both waited forever (gdb: the worker "Garbage-collecting" in
    botocore's loader, the UI thread in QObject::~QObject on a Qt mutex)."""
    qtbot.wait(0)  # the deleteLater()s of the last test's widgets first
    gc.collect()
    gc.freeze()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Settings in a temporary file: tests never touch the user's real settings (nor its
    autosave folder)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("autosave/recovery_dir", str(tmp_path / "recovery"))
    return settings


@pytest.fixture(autouse=True)
def _project_questions_never_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """A project question nobody scripted (say the unsaved-changes prompt when pytest-qt
    closes an edited window) answers Discard instead of waiting for a click forever."""

    def discard(parent, title, text, choices, **kwargs):
        return "Discard" if "Discard" in choices else choices[-1]

    monkeypatch.setattr(questions, "choose", discard)


@pytest.fixture(autouse=True)
def _message_boxes_never_block(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """A message box nobody expected fails the test with its text instead of blocking the
    run forever on a modal loop (tests that expect boxes use `message_boxes`)."""
    shown: list[tuple[str, str, str]] = []

    def recorder(kind: str):
        def box(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok

        return staticmethod(box)

    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, recorder(kind))
    yield
    if shown and "message_boxes" not in request.fixturenames:
        pytest.fail(f"unexpected message box(es): {shown}")


@pytest.fixture
def make_window(qtbot, settings: QSettings) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(**kwargs: object) -> MainWindow:
        window = MainWindow(settings=kwargs.pop("settings", settings), **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.resize(640, 420)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        window.view.setFocus()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def window(make_window: Callable[..., MainWindow]) -> MainWindow:
    return make_window()


@pytest.fixture
def ui_clip(make_clip):
    """A small numbered H.264 clip with B-frames (shared fixture of tests/conftest.py)."""
    return make_clip("mp4", frame_count=UI_CLIP_FRAMES)


@pytest.fixture
def open_window(window: MainWindow, ui_clip, qtbot) -> MainWindow:
    """The window with the numbered clip open and frame 0 on screen."""
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000):
        assert window.files.open_video(ui_clip.path)
    return window


@pytest.fixture
def message_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record QMessageBox warnings instead of showing (and blocking on) them."""
    shown: list[tuple[str, str]] = []

    def record(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(record))
    return shown


def shown_number(window: MainWindow) -> int:
    """The frame number drawn into the image that is on screen."""
    array = window.view.current_array()
    assert array is not None, "no frame on screen"
    return read_frame_number(np.asarray(array))


def wait_for_frame(qtbot, window: MainWindow, n: int, timeout: int = 5000) -> None:
    """Wait until frame n is on screen, then check the pixels say n."""
    qtbot.waitUntil(lambda: window.player.displayed_frame == n, timeout=timeout)
    assert shown_number(window) == n
    assert window.player.current_frame == n
