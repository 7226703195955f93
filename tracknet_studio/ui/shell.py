"""What the parts of the window share, so that no part needs the window itself.

The window is a composition of controllers (player, files, editing, review, prediction,
cloud, help); each gets this shell and the controllers below it, never the window. The
shell holds the window widget (the parent of dialogs, the owner of the status bar), the
application's QSettings, the one undo stack, and two facts every part reads: the project
on screen (written by the files controller) and the open video (written by the player).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QWidget

from tracknet_studio.core import Project

STATUS_MS = 4000
MESSAGE_MARGIN = 16  # px QStatusBar keeps around its message


class Shell(QObject):
    """The window widget, settings, undo stack, project and video; errors and status text."""

    # The project on screen was replaced (opened, created for a new video, closed: None).
    project_changed = Signal(object)

    def __init__(self, window: QMainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        # One stack for the window's whole life: views connect once; a new project clears it.
        self.undo_stack = QUndoStack(window)
        self.project: Project | None = None
        self.video: Any = None  # the open video's VideoInfo, None before one is open
        self._error_open = False
        bar = window.statusBar()
        bar.messageChanged.connect(lambda text: text or bar.setToolTip(""))

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.project_changed.emit(project)

    def say(self, text: str, ms: int = STATUS_MS) -> None:
        """A message in the status bar (0 ms: until the next one). One too long for the room
        left of the bar's readouts ends in "…", and the bar's tooltip holds all of it."""
        bar = self.window.statusBar()
        bar.showMessage(text, ms)  # hides the bar's own left widgets: the room is known now
        readouts = [w.geometry().left() for w in bar.findChildren(QWidget) if w.isVisible()]
        room = min([bar.width(), *readouts]) - MESSAGE_MARGIN
        shown = bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(room, 0))
        if shown != text:
            bar.showMessage(shown, ms)
        bar.setToolTip(text)

    def show_error(self, title: str, text: str) -> None:
        """A warning box; while one is open, further errors go to the status bar."""
        if self._error_open:
            # The modal box runs its own event loop, so more errors can arrive meanwhile
            # (say, from frames already in flight): one box at a time, the rest go below.
            self.say(text, 10_000)
            return
        self._error_open = True
        try:
            QMessageBox.warning(self.window, title, text)
        finally:
            self._error_open = False

    def dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        """A closable, movable, floatable dock holding `widget`; the window places it."""
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        return dock
