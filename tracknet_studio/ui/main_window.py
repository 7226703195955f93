"""The main window: the composition of its controllers, and where their widgets go.

Each controller owns its state, its widgets and the handlers its rows of the action table
name (ui/actions.py resolves "controller.method"):

- `player` (ui/player.py): the video on screen, playback, stepping, speed, zoom;
- `files` (ui/project_controller.py): the File menu, the project, autosave and recovery;
- `editing` (ui/editing.py): labels on the frame, the overlay, the timeline, the table;
- `review` (ui/review.py): the review queue; `prediction` (ui/model_menu.py): the Model
  menu, metrics, video export; `cloud` and `cloud_menu` (ui/cloud_jobs.py,
  ui/cloud_actions.py): jobs and their dialogs; `help` (ui/help.py).

They share the `shell` (ui/shell.py: settings, undo stack, project, video, messages) and
the controllers made before them, never the window: the arrows run one way. The window
lays out the widgets, greys out the actions that cannot run, and decides when it may close.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.core import Project

from . import questions
from .actions import build_actions, enable_actions
from .cloud_actions import CloudController
from .cloud_jobs import CloudJobs
from .demo import DemoController
from .editing import EditingController
from .frame_source import ProviderFactory, default_provider_factory
from .help import APP_TITLE, HelpController
from .model_menu import PredictionController
from .player import Player
from .project_controller import ProjectController
from .resources import icon
from .review import ReviewController
from .shell import Shell
from .tasks import BackgroundTask
from .video_view import VideoView
from .welcome import WelcomeView

__all__ = ["APP_TITLE", "MainWindow"]

TIMELINE_MIN_HEIGHT = 280  # px: below this the x and y plots shrink to unreadable slivers
TIMELINE_SHARE = 0.33  # of the window's height; the video keeps the rest
SCREEN_SHARE = 0.92  # a first start fills this much of the screen (later: where it was left)
FALLBACK_SIZE = (1200, 780)  # without a screen (offscreen tests)
STOP_AND_QUIT = "Stop and Quit"
STOP_WAIT_S = 5.0  # a cancelled task stops within one frame or batch
TOOLBAR_ICONS = {
    "file.open": "open",
    "step.first": "first",
    "step.prev": "step-backward",
    "play.reverse": "play-reverse",
    "play.toggle": "play",
    "step.next": "step-forward",
    "step.last": "last",
    "view.fit": "fit",
    "view.actual": "actual-size",
}
TRANSPORT = ("step.first", "step.prev", "play.reverse", "play.toggle", "step.next", "step.last")


class MainWindow(QMainWindow):
    """The application window: controllers composed, their widgets laid out."""

    def __init__(
        self,
        settings: QSettings | None = None,
        provider_factory: ProviderFactory = default_provider_factory,
    ):
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.shell = Shell(self, settings if settings is not None else QSettings())
        self.view = VideoView(self)
        self.action_by_id, self.menus = build_actions(self)
        actions = self.action_by_id
        self.player = Player(self.shell, self.view, provider_factory, actions)
        self.files = ProjectController(self.shell, self.player, actions)
        self.editing = EditingController(self.shell, self.player, actions)
        self.review = ReviewController(self.shell, self.player, self.editing)
        self.prediction = PredictionController(self.shell, self.player, self.editing, actions)
        self.cloud = CloudJobs(self.shell, actions)
        self.cloud_menu = CloudController(self.shell, self.cloud)
        self.help = HelpController(self.shell, actions)
        self.demo = DemoController(
            self.shell, self.player, self.files, self.prediction, self.review
        )
        self._lay_out()
        self._docks_revealed = False
        self.files.state_changed.connect(self._update_title)
        self.shell.project_changed.connect(self._reveal_docks)
        for signal in (
            self.shell.project_changed,
            self.player.video_opened,
            self.editing.layers_changed,
        ):
            signal.connect(self._enable_actions)
        self._enable_actions()
        self.cloud.reattach()  # jobs an earlier session left running
        self.view.setFocus()
        self._restore_geometry()

    # ================================================================= what every part shares

    @property
    def project(self) -> Project | None:
        """The project on screen (None before any video or project is opened)."""
        return self.shell.project

    @property
    def undo_stack(self) -> QUndoStack:
        return self.shell.undo_stack

    @property
    def settings(self) -> QSettings:
        return self.shell.settings

    # ================================================================= layout

    def _lay_out(self) -> None:
        self._lay_out_centre()
        self._lay_out_toolbar()
        self._lay_out_status_bar()
        self._lay_out_menus()
        self._lay_out_docks()

    def _lay_out_centre(self) -> None:
        transport = QWidget()
        transport.setObjectName("transportBar")
        row = QHBoxLayout(transport)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.player.slider, 1)
        row.addWidget(self.player.time_label)
        video_page = QWidget()
        column = QVBoxLayout(video_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.view, 1)
        column.addWidget(transport)
        # Before any video: the welcome page; the video page from the first video on.
        self.welcome = WelcomeView()
        self.welcome.open_requested.connect(self.files.open_file)
        self.welcome.open_video_clicked.connect(self.files.open_dialog)
        self.welcome.open_demo_clicked.connect(self.demo.open)
        self.welcome.set_recent(self.files.recent.paths())
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(video_page)
        self.player.video_opened.connect(lambda _info: self.pages.setCurrentWidget(video_page))
        self.setCentralWidget(self.pages)

    def _lay_out_toolbar(self) -> None:
        bar = QToolBar("Transport", self)
        bar.setObjectName("transportToolbar")
        bar.setMovable(False)
        bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for action_id, name in TOOLBAR_ICONS.items():
            self.action_by_id[action_id].setIcon(icon(name))
        bar.addAction(self.action_by_id["file.open"])
        bar.addSeparator()
        for action_id in TRANSPORT:
            bar.addAction(self.action_by_id[action_id])
        bar.addSeparator()
        bar.addWidget(QLabel(" Speed "))
        bar.addWidget(self.player.speed_combo)
        bar.addSeparator()
        bar.addAction(self.action_by_id["view.fit"])
        bar.addAction(self.action_by_id["view.actual"])
        for button in bar.findChildren(QWidget):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.addToolBar(bar)
        self.toolbar = bar

    def _lay_out_status_bar(self) -> None:
        status = self.statusBar()
        status.addWidget(self.review.review_label, 1)
        status.addWidget(self.editing.range_label)
        status.addWidget(self.editing.mode_label)
        status.addPermanentWidget(self.player.progress_bar)
        for label in self.player.status_widgets():
            status.addPermanentWidget(label)

    def _lay_out_menus(self) -> None:
        file_menu, quit_action = self.menus["File"], self.action_by_id["file.quit"]
        file_menu.insertMenu(quit_action, self.files.recent_menu)
        file_menu.insertSeparator(quit_action)
        self.menus["Review"].addSeparator()
        self.menus["Review"].addMenu(self.review.review_layer_menu)

    def _lay_out_docks(self) -> None:
        timeline, table = self.editing.timeline_dock, self.editing.table_dock
        metrics = self.prediction.metrics_dock
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, timeline)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, table)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, metrics)
        self.tabifyDockWidget(table, metrics)
        self.resizeDocks([timeline], [230], Qt.Orientation.Vertical)
        # Every column of the table in view, no horizontal scrolling.
        self.resizeDocks(
            [table], [self.editing.track_table.fit_columns()], Qt.Orientation.Horizontal
        )
        # Hidden until there is a track to show; then shown once (a user's close sticks).
        for dock in (timeline, table, metrics):
            dock.hide()
        view_menu = self.menus["View"]
        view_menu.addSeparator()
        view_menu.addAction(timeline.toggleViewAction())
        view_menu.addAction(table.toggleViewAction())

    def _reveal_docks(self, project: Project | None) -> None:
        if project is None or self._docks_revealed:
            return
        self._docks_revealed = True
        timeline, table = self.editing.timeline_dock, self.editing.table_dock
        timeline.show()
        table.show()
        table.raise_()
        # Room for x, y and both strips to be read; the video keeps about three quarters.
        height = max(TIMELINE_MIN_HEIGHT, int(self.height() * TIMELINE_SHARE))
        self.resizeDocks([timeline], [height], Qt.Orientation.Vertical)
        width = self.editing.track_table.fit_columns()
        self.resizeDocks([table], [width], Qt.Orientation.Horizontal)

    def _enable_actions(self, *_: Any) -> None:
        project = self.shell.project
        video = project is not None and self.shell.video is not None
        enable_actions(
            self.action_by_id, video=video, prediction=video and bool(project.predictions)
        )

    # ================================================================= lifetime

    def _update_title(self) -> None:
        self.setWindowTitle(self.files.title(APP_TITLE))

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
            return
        screen = self.screen()
        if screen is None:
            self.resize(*FALLBACK_SIZE)
            return
        area = screen.availableGeometry()
        size = QSize(int(area.width() * SCREEN_SHARE), int(area.height() * SCREEN_SHARE))
        frame = QRect(QPoint(0, 0), size)
        frame.moveCenter(area.center())
        self.setGeometry(frame)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _first_local_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _first_local_file(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files.open_file(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Unsaved changes first, then work still running, then endpoints still billed.
        if not (
            self.files.confirm_discard("closing")
            and self._stop_running_work()
            and self.cloud_menu.close_ok()
        ):
            event.ignore()
            return
        self.files.close_project()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.player.close()
        super().closeEvent(event)

    def _stop_running_work(self) -> bool:
        """A model run, an export or a fine-tuning still running: quit only when the user
        says so, and then stop it (what it made so far is not kept)."""
        running = [task for task in self.findChildren(BackgroundTask) if task.running]
        if not running:
            return True
        names = ", ".join(task.title or "A task" for task in running)
        answer = questions.choose(
            self,
            "Work in progress",
            f"{names} {'is' if len(running) == 1 else 'are'} still running.",
            (STOP_AND_QUIT, questions.CANCEL),
            informative="Quitting stops it; nothing it made so far is kept.",
            icon=QMessageBox.Icon.Warning,
        )
        if answer != STOP_AND_QUIT:
            return False
        for task in running:
            task.cancel()
        for task in running:
            task.wait(STOP_WAIT_S)  # an export removes its partial file as it stops
        return True


def _first_local_file(mime: Any) -> Path | None:
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return Path(url.toLocalFile())
    return None
