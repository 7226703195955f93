"""The main window: a video view, transport controls, the menus built from the action table.

Frames come from a FrameSource (the video engine on its own thread). The UI thread only
asks for frames and paints the ones that arrive; it never waits for a decode. While playing,
a PlaybackClock says which frame belongs on screen now; frames that arrive too late for
their moment are skipped, and counted in `dropped_frames`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSlider,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.core import Project
from tracknet_studio.formats.project_file import SUFFIX as PROJECT_SUFFIX

from .actions import build_actions
from .cloud_actions import CloudMixin
from .dialogs import ShortcutsDialog
from .editing import EditingMixin
from .frame_source import FrameSource, ProviderFactory, default_provider_factory
from .model_menu import PredictionMixin
from .playback import SPEEDS, PlaybackClock
from .project_controller import ProjectController
from .recent import RecentFiles
from .resources import icon
from .review import ReviewMixin
from .shortcut_editor import ShortcutMixin
from .video_view import VideoView

APP_TITLE = "TrackNet Studio"
VIDEO_PATTERNS = "*.mp4 *.m4v *.mov *.mkv *.webm *.avi *.ts *.mts *.m2ts"
VIDEO_FILTER = f"Videos ({VIDEO_PATTERNS});;All files (*)"
OPEN_FILTER = (
    f"Videos and projects ({VIDEO_PATTERNS} *{PROJECT_SUFFIX});;Videos ({VIDEO_PATTERNS});;"
    f"Projects (*{PROJECT_SUFFIX});;All files (*)"
)
TICK_MS = 4  # the playback clock is sampled this often; frames are shown when due
BIG_STEP = 10
ZOOM_STEP = 1.25


def format_time(seconds: float, *, hours: bool = False) -> str:
    """12.3456 -> "00:12.346"; with hours -> "0:00:12.346"."""
    millis = round(max(seconds, 0.0) * 1000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    if hours:
        h, minutes = divmod(minutes, 60)
        return f"{h}:{minutes:02d}:{secs:02d}.{millis:03d}"
    return f"{minutes:02d}:{secs:02d}.{millis:03d}"


class _DemoWorker(QObject):
    """Generates the demo clip on a plain thread; the signals arrive in the UI thread."""

    done = Signal(object)
    failed = Signal(object)
    progress = Signal(float)

    def start(self) -> None:
        threading.Thread(target=self._run, name="demo-clip", daemon=True).start()

    def _run(self) -> None:
        try:
            from tracknet_studio.synthetic import ensure_demo_clip

            video, _track = ensure_demo_clip(progress=self._report)
        except Exception as exc:  # reported in a dialog, never as a traceback
            self.failed.emit(exc)
        else:
            self.done.emit(Path(video))

    def _report(self, done: int, total: int) -> None:
        self.progress.emit(done / max(total, 1))


class MainWindow(
    EditingMixin, ReviewMixin, ShortcutMixin, PredictionMixin, CloudMixin, QMainWindow
):
    """The application window. Public slots are the handlers named in the action table."""

    # Emitted each time a frame is painted (frame number); tests and benches wait on it.
    frame_shown = Signal(int)
    video_opened = Signal(object)  # VideoInfo
    # The window's project was replaced (opened, created for a new video, closed: None).
    # Views and editors rebind to `window.project`; `window.undo_stack` is the same object
    # for the window's whole life (cleared when the project changes).
    project_changed = Signal(object)

    def __init__(
        self,
        settings: QSettings | None = None,
        provider_factory: ProviderFactory = default_provider_factory,
    ):
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self._factory = provider_factory
        self.source: FrameSource | None = None
        self._pending: FrameSource | None = None
        self._clock: PlaybackClock | None = None
        self.current_frame = 0  # the frame asked for (shown as soon as it is decoded)
        self.displayed_frame: int | None = None  # the frame on screen
        self.dropped_frames = 0  # frames the clock passed that were never shown
        self._last_played = 0
        self.speed = 1.0
        self._shortcuts_dialog: ShortcutsDialog | None = None
        self._demo_worker: _DemoWorker | None = None
        self._error_open = False
        self.recent = RecentFiles(self.settings)
        self.undo_stack = QUndoStack(self)
        self.projects = ProjectController(self, self.settings, self.undo_stack)
        self.projects.project_changed.connect(self.project_changed)
        self.projects.state_changed.connect(self._update_title)

        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.view = VideoView(self)
        self.action_by_id, self.menus = build_actions(self)
        self._build_recent_menu()
        self._build_central()
        self._build_toolbar()
        self._build_status_bar()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._set_video_controls_enabled(False)
        autosave = self.action_by_id["file.autosave"]
        autosave.setCheckable(True)
        autosave.setChecked(self.projects.autosave_enabled)
        # Editing, review and rebinding (ui/editing.py, ui/review.py, ui/shortcut_editor.py).
        self._init_review()
        self._init_editing()
        self._init_predictions()  # ui/model_menu.py: Model menu, metrics dock
        self._init_shortcuts()
        self.project_changed.connect(self.set_editing_project)
        self._init_cloud()  # ui/cloud_actions.py: Cloud menu, jobs dock
        self.view.setFocus()
        self._restore_geometry()

    # ================================================================= construction

    def _build_central(self) -> None:
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("frameSlider")
        # No focus: the arrow keys and Space belong to the transport actions.
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.time_label = QLabel(format_time(0))
        self.time_label.setObjectName("timeCode")
        self.time_label.setMinimumWidth(90)
        transport = QWidget()
        transport.setObjectName("transportBar")
        row = QHBoxLayout(transport)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.view, 1)
        column.addWidget(transport)
        self.setCentralWidget(central)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Transport", self)
        bar.setObjectName("transportToolbar")
        bar.setMovable(False)
        bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        icons = {
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
        for action_id, name in icons.items():
            self.action_by_id[action_id].setIcon(icon(name))
        bar.addAction(self.action_by_id["file.open"])
        bar.addSeparator()
        for action_id in (
            "step.first",
            "step.prev",
            "play.reverse",
            "play.toggle",
            "step.next",
            "step.last",
        ):
            bar.addAction(self.action_by_id[action_id])
        bar.addSeparator()
        bar.addWidget(QLabel(" Speed "))
        self.speed_combo = QComboBox()
        self.speed_combo.setObjectName("speedCombo")
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_combo.setToolTip("Playback speed ([ slower, ] faster)")
        for speed in SPEEDS:
            self.speed_combo.addItem(f"{speed:g}×", speed)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.currentIndexChanged.connect(self._on_speed_chosen)
        bar.addWidget(self.speed_combo)
        bar.addSeparator()
        bar.addAction(self.action_by_id["view.fit"])
        bar.addAction(self.action_by_id["view.actual"])
        for button in bar.findChildren(QWidget):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.addToolBar(bar)
        self.toolbar = bar

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.frame_label = QLabel()
        self.frame_label.setObjectName("frameLabel")
        self.status_time_label = QLabel()
        self.fps_label = QLabel()
        self.resolution_label = QLabel()
        self.codec_label = QLabel()
        self.zoom_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("openProgress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setFormat("Opening… %p%")
        self.progress_bar.hide()
        status.addPermanentWidget(self.progress_bar)
        for label in (
            self.frame_label,
            self.status_time_label,
            self.fps_label,
            self.resolution_label,
            self.codec_label,
            self.zoom_label,
        ):
            status.addPermanentWidget(label)
        self.view.view_changed.connect(self._show_zoom)

    def _build_recent_menu(self) -> None:
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.menus["File"].insertMenu(self.action_by_id["file.quit"], self.recent_menu)
        self.menus["File"].insertSeparator(self.action_by_id["file.quit"])
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()  # drops files that no longer exist
        for i, path in enumerate(paths, start=1):
            action = self.recent_menu.addAction(f"&{i % 10} {path.name}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.setData(str(path))
            action.triggered.connect(self._open_recent_action)
        if paths:
            self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear Menu")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self._clear_recent)
        self.recent_menu.setEnabled(True)

    def _open_recent_action(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.open_file(Path(action.data()))

    def _clear_recent(self) -> None:
        self.recent.clear()
        self._fill_recent_menu()

    # ================================================================= opening

    def open_video_dialog(self) -> None:
        start = str(self.recent.paths()[0].parent) if self.recent.paths() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open", start, OPEN_FILTER)
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path | str) -> bool:
        """Open a project file or a video (a new project), by its extension."""
        return self.projects.open_file(Path(path))

    @property
    def project(self) -> Project | None:
        """The project on screen (None before any video or project is opened)."""
        return self.projects.project

    def open_video(self, path: Path | str) -> bool:
        """Start opening `path`; the current video stays until the new one is ready.

        Opening a video outside a project open starts a new project (after the
        unsaved-changes prompt). Returns False when the file could not even be started
        (the error is shown) or the user cancelled.
        """
        path = Path(path)
        if not self.projects.before_open_video():
            return False
        if self._pending is not None:
            self._pending.close()
            self._pending = None
        source = FrameSource(path, self._factory)
        # Always queued, even when a provider calls back on this thread (say from its
        # constructor): a callback must never run inside the call that caused it.
        queued = Qt.ConnectionType.QueuedConnection
        source.ready.connect(self._on_source_ready, queued)
        source.frame_ready.connect(self._on_frame_ready, queued)
        source.failed.connect(self._on_source_failed, queued)
        source.progress.connect(self._on_open_progress, queued)
        # Pending before it starts: a provider may call back before start() returns.
        self._pending = source
        try:
            source.start()
        except Exception as exc:  # the engine's message, shown without a traceback
            self._pending = None
            self.projects.on_video_failed()
            self._show_open_error(path, exc)
            return False
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.statusBar().showMessage(f"Opening {path.name}…")
        return True

    def open_demo(self) -> None:
        """Open the built-in demo clip, generating it first (off the UI thread) if needed."""
        worker = _DemoWorker()
        worker.done.connect(self._on_demo_ready)
        worker.failed.connect(lambda exc: self._show_error("Demo clip", str(exc)))
        worker.progress.connect(self._on_open_progress)
        self._demo_worker = worker
        self.progress_bar.setFormat("Preparing demo… %p%")
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.statusBar().showMessage("Generating the demo clip (first run only)…")
        worker.start()

    def _on_demo_ready(self, path: Path) -> None:
        self.progress_bar.setFormat("Opening… %p%")
        self.open_video(path)

    def _on_open_progress(self, fraction: float) -> None:
        self.progress_bar.setValue(round(fraction * 1000))

    def _on_source_ready(self, info: Any) -> None:
        source = self._sender_source()
        if source is None or source is not self._pending:
            return
        self._pending = None
        if self.source is not None:
            self.pause()
            self.source.close()
        self.source = source
        self._clock = PlaybackClock(np.asarray(info.timestamps))
        self.current_frame = 0
        self.displayed_frame = None
        self.dropped_frames = 0
        self.progress_bar.hide()
        self.statusBar().clearMessage()
        self.recent.add(source.path)
        self._fill_recent_menu()
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(info.frame_count - 1, 0))
        self.slider.setPageStep(max(1, round(info.fps or 10)))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._show_video_info(info)
        self._set_video_controls_enabled(True)
        self.view.fit_to_window()
        self.seek(0)
        self.projects.on_video_ready(info)
        self.video_opened.emit(info)

    def _on_source_failed(self, exc: BaseException) -> None:
        source = self._sender_source()
        if source is None:
            return
        if source is self._pending:
            self._pending = None
            source.close()
            self.progress_bar.hide()
            self.statusBar().clearMessage()
            self.projects.on_video_failed()
            self._show_open_error(source.path, exc)
        elif source is self.source:
            # A decode failure mid-file: stop playing, say so, keep the window usable, and
            # make the position agree with the frame still on screen.
            self.pause()
            if self.displayed_frame is not None:
                self.current_frame = self.displayed_frame
                self._show_position(self.displayed_frame)
            self._show_error("Video error", _message(source.path, exc))

    def _sender_source(self) -> FrameSource | None:
        sender = self.sender()
        return sender if isinstance(sender, FrameSource) else None

    def _show_open_error(self, path: Path, exc: BaseException) -> None:
        self._show_error("Cannot open video", _message(path, exc))

    def show_error(self, title: str, text: str) -> None:
        """A warning box (or, while one is open, a status message)."""
        self._show_error(title, text)

    def _show_error(self, title: str, text: str) -> None:
        self.progress_bar.hide()
        if self._error_open:
            # The modal box runs its own event loop, so more errors can arrive meanwhile
            # (say, from frames already in flight): one box at a time, the rest go below.
            self.statusBar().showMessage(text, 10_000)
            return
        self._error_open = True
        try:
            QMessageBox.warning(self, title, text)
        finally:
            self._error_open = False

    # ================================================================= drag and drop

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
        self.open_file(path)

    # ================================================================= frames

    def seek(self, n: int) -> None:
        """Go to frame n (clamped) and show it as soon as it is decoded."""
        if self.source is None or self._clock is None:
            return
        n = min(max(int(n), 0), self._clock.last_frame)
        self.current_frame = n
        self._show_position(n)
        frame = self.source.request(n)
        if frame is not None:
            self._display(n, frame)

    def _on_frame_ready(self, n: int, frame: np.ndarray) -> None:
        if self._sender_source() is not self.source or self.source is None:
            return
        if self.playing:
            # Show a late frame only if it is still newer than what is on screen and not
            # past the clock; otherwise it is skipped (the clock never waits).
            direction = self._clock.direction if self._clock else 1
            shown = self.displayed_frame if self.displayed_frame is not None else -direction
            ahead = (n - shown) * direction
            not_past = (self.current_frame - n) * direction >= 0
            if ahead > 0 and not_past:
                self._display(n, frame)
        elif n == self.current_frame:
            self._display(n, frame)

    def _display(self, n: int, frame: np.ndarray) -> None:
        if self.playing and self._clock is not None:
            # Frames the clock passed between the previous one shown and this one.
            jump = (n - self._last_played) * self._clock.direction
            self.dropped_frames += max(jump - 1, 0)
            self._last_played = n
        self.displayed_frame = n
        self.view.set_frame(frame)
        if self.playing:
            self._show_position(n)
        self.frame_shown.emit(n)

    # ================================================================= playback

    @property
    def playing(self) -> bool:
        return self._clock is not None and self._clock.running

    @property
    def play_direction(self) -> int:
        return 0 if self._clock is None else self._clock.direction

    def toggle_play(self) -> None:
        self._toggle(+1)

    def toggle_play_reverse(self) -> None:
        self._toggle(-1)

    def _toggle(self, direction: int) -> None:
        if self.playing and self.play_direction == direction:
            self.pause()
        else:
            self.play(direction)

    def play(self, direction: int = 1) -> None:
        if self.source is None or self._clock is None:
            return
        self.pause()  # switching direction starts again from the frame on screen
        # Paused, the frame asked for is where the user is (even if still decoding).
        start = self.current_frame
        at_edge = start == (self._clock.last_frame if direction > 0 else 0)
        if at_edge:  # playing from the end starts again from the other end
            start = 0 if direction > 0 else self._clock.last_frame
            self.seek(start)
        self._clock.start(start, direction, self.speed)
        # The start frame counts as shown if it is on screen; else it still has to be.
        self._last_played = start if self.displayed_frame == start else start - direction
        self.source.set_direction(direction)
        self._timer.start()
        self._update_play_icon()

    def pause(self) -> None:
        if self._clock is None or not self._clock.running:
            return
        self._clock.stop()
        self._timer.stop()
        if self.source is not None:
            self.source.set_direction(0)
        # Stay on what the user sees, not on a frame the clock asked for but never showed.
        if self.displayed_frame is not None and self.displayed_frame != self.current_frame:
            self.seek(self.displayed_frame)
        self._update_play_icon()

    def _tick(self) -> None:
        if self._clock is None or self.source is None:
            self._timer.stop()
            return
        at_end = self._clock.at_end()
        target = self._clock.target_frame()
        if target != self.current_frame:
            self.current_frame = target
            frame = self.source.request(target)
            if frame is not None:
                self._display(target, frame)
            else:
                self._display_newest_cached(target)
        if at_end and self.displayed_frame == target:
            self.pause()

    def _display_newest_cached(self, target: int) -> None:
        """While the target decodes, show the newest decoded frame between screen and clock."""
        if self.displayed_frame is None or self._clock is None:
            return
        direction = self._clock.direction
        for n in range(target - direction, self.displayed_frame, -direction):
            frame = self.source.cached(n) if self.source is not None else None
            if frame is not None:
                self._display(n, frame)
                return

    # ================================================================= stepping

    def _step(self, delta: int) -> None:
        if self.source is None:
            return
        self.pause()
        self.source.set_direction(1 if delta > 0 else -1)
        self.seek(self.current_frame + delta)

    def step_forward(self) -> None:
        self._step(1)

    def step_backward(self) -> None:
        self._step(-1)

    def step_forward_10(self) -> None:
        self._step(BIG_STEP)

    def step_backward_10(self) -> None:
        self._step(-BIG_STEP)

    def go_first(self) -> None:
        self.pause()
        self.seek(0)

    def go_last(self) -> None:
        if self._clock is not None:
            self.pause()
            self.seek(self._clock.last_frame)

    def go_to_frame_dialog(self) -> None:
        if self._clock is None:
            return
        self.pause()
        last = self._clock.last_frame
        n, ok = QInputDialog.getInt(
            self, "Go to Frame", f"Frame number (0–{last}):", self.current_frame, 0, last
        )
        if ok:
            self.seek(n)

    def _on_slider_moved(self, value: int) -> None:
        if self.source is not None and value != self.current_frame:
            self.pause()
            self.seek(value)

    # ================================================================= speed

    def set_speed(self, speed: float) -> None:
        self.speed = min(max(float(speed), SPEEDS[0]), SPEEDS[-1])
        if self._clock is not None:
            self._clock.set_speed(self.speed)
        nearest = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        self.speed_combo.blockSignals(True)
        self.speed_combo.setCurrentIndex(nearest)
        self.speed_combo.blockSignals(False)
        self.statusBar().showMessage(f"Speed {self.speed:g}×", 1500)

    def _on_speed_chosen(self, index: int) -> None:
        self.set_speed(SPEEDS[index])

    def speed_up(self) -> None:
        faster = [s for s in SPEEDS if s > self.speed + 1e-9]
        if faster:
            self.set_speed(faster[0])

    def speed_down(self) -> None:
        slower = [s for s in SPEEDS if s < self.speed - 1e-9]
        if slower:
            self.set_speed(slower[-1])

    def speed_reset(self) -> None:
        self.set_speed(1.0)

    # ================================================================= view

    def fit_to_window(self) -> None:
        self.view.fit_to_window()

    def zoom_actual_size(self) -> None:
        self.view.zoom_actual_size()

    def zoom_in(self) -> None:
        self.view.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.view.zoom_by(1 / ZOOM_STEP)

    # ================================================================= help

    def show_shortcuts(self) -> None:
        if self._shortcuts_dialog is None:
            self._shortcuts_dialog = ShortcutsDialog(self)
        self._shortcuts_dialog.show()
        self._shortcuts_dialog.raise_()

    def show_about(self) -> None:
        from tracknet_studio import __version__

        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>"
            "Frame-exact ball annotation, TrackNet training and review.<br>"
            "Licensed under the Apache License 2.0.",
        )

    # ================================================================= status

    def _show_video_info(self, info: Any) -> None:
        fps = f"{info.fps:.3g} fps" + (" (VFR)" if info.is_vfr else "")
        self.fps_label.setText(fps)
        self.resolution_label.setText(f"{info.width}×{info.height}")
        self.codec_label.setText(str(info.codec))

    def _show_position(self, n: int) -> None:
        if self._clock is None:
            return
        last = self._clock.last_frame
        hours = float(self._clock.timestamps[-1]) >= 3600
        t = format_time(float(self._clock.timestamps[n]), hours=hours)
        total = format_time(float(self._clock.timestamps[-1]), hours=hours)
        self.frame_label.setText(f"Frame {n} / {last}")
        self.status_time_label.setText(f"{t} / {total}")
        self.time_label.setText(t)
        if self.slider.value() != n:
            self.slider.blockSignals(True)
            self.slider.setValue(n)
            self.slider.blockSignals(False)

    def _show_zoom(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * 100:.0f}%")

    def _update_play_icon(self) -> None:
        forward = self.playing and self.play_direction > 0
        backward = self.playing and self.play_direction < 0
        self.action_by_id["play.toggle"].setIcon(icon("pause" if forward else "play"))
        self.action_by_id["play.reverse"].setIcon(icon("pause" if backward else "play-reverse"))

    def _set_video_controls_enabled(self, enabled: bool) -> None:
        # Actions stay enabled (their handlers do nothing without a video), so that every
        # shortcut is always live; only the widgets that would show nonsense are disabled.
        self.slider.setEnabled(enabled)

    # ================================================================= lifetime

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 780)

    def _update_title(self) -> None:
        self.setWindowTitle(self.projects.title(APP_TITLE))

    # ----- the File menu's project commands (handlers named in the action table)
    def open_project_dialog(self) -> None:
        self.projects.open_project_dialog()

    def save_project(self) -> bool:
        return self.projects.save()

    def save_project_as(self) -> bool:
        return self.projects.save_as()

    def import_labels_dialog(self) -> None:
        from .label_io import import_labels_dialog

        import_labels_dialog(self)

    def export_labels_dialog(self) -> None:
        from .label_io import export_labels_dialog

        export_labels_dialog(self)

    def toggle_autosave(self) -> None:
        self.projects.set_autosave_enabled(self.action_by_id["file.autosave"].isChecked())

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.projects.confirm_discard("closing"):
            event.ignore()
            return
        if not self._cloud_close_ok():  # an endpoint still billed: offer to delete it
            event.ignore()
            return
        self.projects.close_project()
        self._timer.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        for source in (self._pending, self.source):
            if source is not None:
                source.close()
        self._pending = self.source = None
        super().closeEvent(event)


def _message(path: Path, exc: BaseException) -> str:
    """The engine's message if it names the file already, else file + problem."""
    text = str(exc) or type(exc).__name__
    return text if str(path) in text or path.name in text else f"{path}: {text}"


def _first_local_file(mime: Any) -> Path | None:
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return Path(url.toLocalFile())
    return None
