"""The File menu and the project's lifecycle: one core Project, its file and its autosave.

The shell owns a single QUndoStack for the window's whole life; switching projects clears
it, so views and editors connect to it once. "Dirty" means the stack is not at its clean index
(QUndoStack.resetClean marks a recovered project dirty without any command on the stack).

Opening a project file never applies its labels to a video that is not the one they were
made on: the video's cheap file fingerprint (size and a hash of its ends) is compared
before the video is opened, and a mismatch asks the user what to do.

Every question goes through `questions.choose()` (and file names through QFileDialog), so
tests patch one function and never block on a modal dialog.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from tracknet_studio.core import Project
from tracknet_studio.core.project import new_project_for
from tracknet_studio.formats import Autosaver, FormatError, load_project, save_project
from tracknet_studio.formats.autosave import find_recovery, recovery_dir, recovery_path_for
from tracknet_studio.formats.project_file import SUFFIX

from . import label_io, places, questions
from .player import Player
from .recent import RecentFiles
from .shell import Shell

VIDEO_PATTERNS = "*.mp4 *.m4v *.mov *.mkv *.webm *.avi *.ts *.mts *.m2ts"
VIDEO_FILTER = f"Videos ({VIDEO_PATTERNS});;All files (*)"
OPEN_FILTER = (
    f"Videos and projects ({VIDEO_PATTERNS} *{SUFFIX});;Videos ({VIDEO_PATTERNS});;"
    f"Projects (*{SUFFIX});;All files (*)"
)
PROJECT_FILTER = f"TrackNet Studio projects (*{SUFFIX});;All files (*)"
AUTOSAVE_KEY = "autosave/enabled"
RECOVERY_DIR_KEY = "autosave/recovery_dir"  # where unsaved projects autosave (tests: tmp)
LAST_PROJECT_KEY = "project/last"
AUTOSAVE_DELAY_S = 0.5  # plus one write: far inside the promised 2 s from edit to disk

SAVE, DISCARD, CANCEL, RECOVER = questions.SAVE, questions.DISCARD, questions.CANCEL, "Recover"
OPEN_READ_ONLY, LOCATE = "Open Read-Only", "Locate Video…"


@dataclass
class _PendingOpen:
    """A project waiting for its video to finish opening."""

    project: Project
    path: Path | None
    dirty: bool
    read_only: bool = False
    recovery_path: Path | None = None


class ProjectController(QObject):
    """The File menu's handlers and the project they open, save and autosave."""

    state_changed = Signal()  # dirty flag, path or read-only changed: the title follows
    _autosave_error = Signal(str)  # from the autosave thread, delivered in the UI thread

    def __init__(self, shell: Shell, player: Player, actions: dict[str, QAction]) -> None:
        super().__init__(shell)
        self.shell = shell
        self.window = shell.window  # the parent of this controller's dialogs
        self.player = player
        self._actions = actions
        self.settings = shell.settings
        self.undo_stack = undo_stack = shell.undo_stack
        self.recent = RecentFiles(self.settings)
        self.path: Path | None = None
        self.read_only = False  # labels shown, but the file is never overwritten
        self.autosaver: Autosaver | None = None
        self._pending: _PendingOpen | None = None
        undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._autosave_error.connect(self._show_autosave_error)
        player.video_opened.connect(self.on_video_ready)
        player.open_failed.connect(lambda _path: self.on_video_failed())
        autosave = actions["file.autosave"]
        autosave.setCheckable(True)
        autosave.setChecked(self.autosave_enabled)
        self.recent_menu = QMenu("Open &Recent", self.window)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()

    @property
    def project(self) -> Project | None:
        """The project on screen (the shell's; None before any video or project is opened)."""
        return self.shell.project

    # ================================================================= state

    @property
    def dirty(self) -> bool:
        return self.project is not None and not self.undo_stack.isClean()

    def before_open_video(self) -> bool:
        """The window is about to open a video. For a plain video (a new project) ask about
        unsaved changes first; False means the user cancelled."""
        if not self.confirm_discard("opening another video"):
            return False
        self._pending = None  # a project still waiting for its video is abandoned
        return True

    @property
    def display_name(self) -> str:
        if self.path is not None:
            return self.path.name
        if self.project is not None and self.project.video_path:
            return Path(self.project.video_path).name
        return "Untitled"

    def title(self, app_title: str) -> str:
        if self.project is None:
            return app_title
        flags = " [read-only]" if self.read_only else ""
        return f"{app_title} — {self.display_name}{'*' if self.dirty else ''}{flags}"

    @property
    def recovery_folder(self) -> Path:
        value = self.settings.value(RECOVERY_DIR_KEY)
        return Path(str(value)) if value else recovery_dir()

    @property
    def autosave_enabled(self) -> bool:
        return _as_bool(self.settings.value(AUTOSAVE_KEY, True))

    def set_autosave_enabled(self, enabled: bool) -> None:
        self.settings.setValue(AUTOSAVE_KEY, bool(enabled))
        if enabled:
            self._start_autosave(self.autosaver.recovery_path if self.autosaver else None)
            if self.dirty and self.autosaver is not None:
                self.autosaver.notify_changed()  # what changed while it was off
        else:
            self._stop_autosave(keep_file=True)

    # ================================================================= switching projects

    def set_project(
        self,
        project: Project | None,
        path: Path | None = None,
        *,
        dirty: bool = False,
        read_only: bool = False,
        recovery_path: Path | None = None,
    ) -> None:
        """Make `project` the window's project: fresh undo history, autosave, title."""
        self._stop_autosave(keep_file=False)
        self.shell.project = project  # before the signal: autosave and title read it
        self.path = path
        self.read_only = read_only
        self.undo_stack.clear()
        if dirty:
            self.undo_stack.resetClean()
        else:
            self.undo_stack.setClean()
        if project is not None:
            self._start_autosave(recovery_path)
        self.shell.set_project(project)
        self.state_changed.emit()

    def confirm_discard(self, doing: str = "continuing") -> bool:
        """The unsaved-changes prompt: True when it is fine to drop the current project."""
        if not self.dirty:
            return True
        answer = questions.choose(
            self.window,
            "Unsaved changes",
            f"Save the changes to {self.display_name} before {doing}?",
            (SAVE, DISCARD, CANCEL),
            informative="Discarded changes cannot be recovered.",
            icon=QMessageBox.Icon.Warning,
        )
        if answer == SAVE:
            return self.save()
        return answer == DISCARD

    def close_project(self) -> None:
        """The window closes (after confirm_discard): nothing of this session is left to recover."""
        self._stop_autosave(keep_file=False)
        self.shell.project = None
        self.path = None
        self.undo_stack.clear()

    # ================================================================= video hooks

    def on_video_ready(self, info: Any) -> None:
        """The window finished opening a video: attach the waiting project or start a new one."""
        pending, self._pending = self._pending, None
        self.recent.add(info.path)
        if pending is None:
            self.set_project(new_project_for(info))
            return
        project = pending.project
        if len(project.labels) != info.frame_count:
            project = _resized(project, info.frame_count)
        if not pending.read_only:
            project.video_path = str(Path(info.path).resolve())
            project.fingerprint = getattr(info, "fingerprint", project.fingerprint)
        self.set_project(
            project,
            pending.path,
            dirty=pending.dirty,
            read_only=pending.read_only,
            recovery_path=pending.recovery_path,
        )
        frame = project.view.get("frame")
        if isinstance(frame, int):
            self.player.seek(frame)
        speed = project.view.get("speed")
        if isinstance(speed, (int, float)):
            self.player.set_speed(float(speed))

    def on_video_failed(self) -> None:
        """The video of a waiting project failed to open: the project is not opened."""
        self._pending = None

    # ================================================================= opening

    def open_file(self, path: Path | str) -> bool:
        """Open a project or a video (a new project), by the file's extension."""
        path = Path(path)
        if path.suffix.lower() == SUFFIX:
            return self.open_project(path)
        return self.open_video(path)

    def open_video(self, path: Path | str) -> bool:
        """Start opening a video as a new project (after the unsaved-changes prompt); the
        current video stays until the new one is ready. False when cancelled or when the
        file could not even be started (the error is shown)."""
        if not self.before_open_video():
            return False
        started = self.player.load(path)
        if not started:
            self.on_video_failed()
        return started

    def open_dialog(self) -> None:
        paths = self.recent.paths()
        start = str(paths[0].parent) if paths else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open", start, OPEN_FILTER)
        if path:
            self.open_file(Path(path))

    def open_untitled(self, project: Project) -> bool:
        """Open a prepared project on its video, untitled and unchanged (Save asks where)."""
        if not self.confirm_discard("opening another project"):
            return False
        base = Path(project.video_path).parent if project.video_path else Path()
        return self._open_with_video(_PendingOpen(project, None, dirty=False), base)

    def mark_clean(self) -> None:
        """The project as it is now counts as unchanged (a scene set up for the user): no
        undo history, nothing to save, no recovery file."""
        self.undo_stack.clear()
        self.undo_stack.setClean()
        if self.autosaver is not None:
            self.autosaver.saved()

    # ----- the recent files menu
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()  # drops files that no longer exist
        for i, path in enumerate(paths, start=1):
            action = self.recent_menu.addAction(f"&{i % 10} {path.name}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.setData(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_file(p))
        if paths:
            self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear Menu")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self._clear_recent)

    def _clear_recent(self) -> None:
        self.recent.clear()
        self._fill_recent_menu()

    # ----- labels in and out (ui/label_io.py)
    def import_labels_dialog(self) -> None:
        label_io.import_labels_dialog(self.shell)

    def export_labels_dialog(self) -> None:
        label_io.export_labels_dialog(self.shell)

    def toggle_autosave(self) -> None:
        self.set_autosave_enabled(self._actions["file.autosave"].isChecked())

    def open_project_dialog(self) -> None:
        start = str(self.path.parent) if self.path else ""
        name, _ = QFileDialog.getOpenFileName(self.window, "Open Project", start, PROJECT_FILTER)
        if name:
            self.open_project(Path(name))

    def open_project(self, path: Path, *, recover: bool | None = None) -> bool:
        """Open a project file: its recovery file, its video (checked), then its labels.

        `recover` answers the recovery question in advance (None: ask when there is one).
        Returns False when nothing was opened (cancelled, or an error that was shown).
        """
        path = Path(path).resolve()
        if not self.confirm_discard("opening another project"):
            return False
        recovery = self._newer_recovery(path)
        source = path
        if recovery is not None:
            if recover is None:
                recover = self._ask_recover(recovery, path.name)
            if recover:
                source = recovery
            else:
                _unlink(recovery)
        try:
            project = load_project(source).project
        except FormatError as exc:
            self.shell.show_error("Cannot open project", str(exc))
            return False
        return self._open_with_video(
            _PendingOpen(project, path, dirty=source != path, recovery_path=None), path.parent
        )

    def _open_with_video(self, pending: _PendingOpen, base: Path) -> bool:
        video = _video_path(pending.project, base)
        while True:
            if video is None or not video.is_file():
                video = self._locate_video(pending.project, video, "The project's video is missing")
                if video is None:
                    return False
                pending.dirty = True  # the new video path must be saved
            verdict = self._check_fingerprint(pending.project, video)
            if verdict == "ok":
                break
            if verdict == OPEN_READ_ONLY:
                pending.read_only = True
                break
            if verdict == LOCATE:
                located = self._locate_video(pending.project, video, "Locate the project's video")
                if located is None:
                    return False
                video, pending.dirty = located, True
                continue
            return False
        self._pending = pending
        started = self.player.load(video)
        if not started:
            self.on_video_failed()
        return started

    def _check_fingerprint(self, project: Project, video: Path) -> str:
        """ "ok", or the user's answer to the mismatch warning."""
        expected = project.fingerprint
        if not expected:
            return "ok"
        from tracknet_studio.video.packet_index import file_fingerprint

        try:
            size, digest = file_fingerprint(video)
        except OSError:
            return "ok"  # the video's own open reports an unreadable file
        if expected.get("size") == size and expected.get("hash") == digest:
            return "ok"
        return questions.choose(
            self.window,
            "Video does not match",
            f"{video.name} is not the video this project was labeled on "
            "(its size or content changed).",
            (OPEN_READ_ONLY, LOCATE, CANCEL),
            informative=(
                "Labels belong to exact frames: applied to another video they would mark the "
                "wrong frames. Open read-only to look without saving, or locate the original."
            ),
            icon=QMessageBox.Icon.Warning,
        )

    def _locate_video(self, project: Project, last: Path | None, title: str) -> Path | None:
        hint = Path(project.video_path).name if project.video_path else "the video"
        start = str(last.parent) if last is not None and last.parent.is_dir() else ""
        name, _ = QFileDialog.getOpenFileName(self.window, f"{title}: {hint}", start, VIDEO_FILTER)
        return Path(name) if name else None

    # ================================================================= saving

    def save(self) -> bool:
        """Save to the project's file (asking for one the first time); False if not saved."""
        if self.project is None:
            return False
        if self.path is None or self.read_only:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        if self.project is None:
            return False
        start = str(self.path) if self.path else _default_name(self.project)
        name, _ = QFileDialog.getSaveFileName(self.window, "Save Project As", start, PROJECT_FILTER)
        if not name:
            return False
        path = Path(name)
        if path.suffix.lower() != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        """Write the project atomically; on failure say why and keep it dirty."""
        if self.project is None:
            return False
        path = Path(path).resolve()
        self.project.view.update(self._view_state())
        try:
            save_project(self.project, path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.shell.show_error(
                "Cannot save project",
                f"The project could not be saved to {path}:\n{reason}.\n\n"
                "Nothing was lost: the project is still open with all its changes. "
                "Try Save As to another folder.",
            )
            return False
        if path != self.path or self.read_only:
            self.path, self.read_only = path, False
            self._stop_autosave(keep_file=False)
            self._start_autosave(None)
        elif self.autosaver is not None:
            self.autosaver.saved()
        self.undo_stack.setClean()
        self.settings.setValue(LAST_PROJECT_KEY, str(path))
        self.recent.add(path)
        self.state_changed.emit()
        self.shell.say(f"Saved {path}")
        return True

    def _view_state(self) -> dict[str, Any]:
        return {"frame": int(self.player.current_frame), "speed": float(self.player.speed)}

    # ================================================================= autosave and recovery

    def _start_autosave(self, recovery_path: Path | None) -> None:
        if self.project is None or self.read_only or not self.autosave_enabled:
            return
        if self.autosaver is not None:
            return
        target = recovery_path or recovery_path_for(
            self.path, None if self.path else self.recovery_folder
        )
        self.autosaver = Autosaver(
            self.project,
            target,
            delay_s=AUTOSAVE_DELAY_S,
            on_error=lambda exc: self._autosave_error.emit(f"{target}: {exc}"),
        )

    def _stop_autosave(self, *, keep_file: bool) -> None:
        saver, self.autosaver = self.autosaver, None
        if saver is None:
            return
        if keep_file:
            saver.close(flush=True)
        else:
            saver.saved()  # drops the pending write and the recovery file
            saver.close(flush=False)

    def _on_clean_changed(self, clean: bool) -> None:
        # Undone back to the saved state: the recovery file would only repeat the project.
        if clean and self.autosaver is not None and self.path is not None:
            self.autosaver.saved()
        self.state_changed.emit()

    def _show_autosave_error(self, text: str) -> None:
        self.shell.say(f"Autosave failed: {text}", 10_000)

    def flush_autosave(self) -> None:
        """Write what is pending now (tests and the crash benchmark use it)."""
        if self.autosaver is not None:
            self.autosaver.flush()

    def _newer_recovery(self, path: Path) -> Path | None:
        recovery = find_recovery(path)
        if recovery is None:
            return None
        try:
            if path.exists() and recovery.stat().st_mtime < path.stat().st_mtime:
                return None  # the project was saved after it: nothing newer to offer
        except OSError:
            return None
        return recovery

    def _ask_recover(self, recovery: Path, name: str) -> bool:
        video = _recovered_video(recovery)
        on = f" (on {video})" if video else ""
        answer = questions.choose(
            self.window,
            "Recover unsaved changes?",
            f"{name}{on} has autosaved changes that were never saved "
            "(the program did not close normally).",
            (RECOVER, DISCARD),
            informative="Recover opens them (unsaved); Discard deletes them.",
        )
        return answer == RECOVER

    def check_startup_recovery(self) -> bool:
        """At start-up: offer what the last session left unsaved. True when something opened."""
        last = self.settings.value(LAST_PROJECT_KEY)
        if last:
            path = Path(str(last))
            if path.exists() and self._newer_recovery(path) is not None:
                return self.open_project(path)
        recovery = find_recovery(None, self.recovery_folder)
        if recovery is None:
            return False
        if not self._ask_recover(recovery, "An untitled project"):
            _unlink(recovery)
            return False
        try:
            project = load_project(recovery).project
        except FormatError as exc:
            self.shell.show_error("Cannot recover project", str(exc))
            return False
        pending = _PendingOpen(project, None, dirty=True, recovery_path=recovery)
        return self._open_with_video(pending, recovery.parent)


# ===================================================================== helpers


def _recovered_video(recovery: Path) -> str:
    """The name of the video a recovery file's project labels ("" when it cannot tell)."""
    try:
        project = load_project(recovery).project
    except (FormatError, OSError):
        return ""
    return Path(project.video_path).name if project.video_path else ""


def _resized(project: Project, n_frames: int) -> Project:
    return Project(
        labels=project.labels.resized(n_frames),
        video_path=project.video_path,
        fingerprint=project.fingerprint,
        predictions={n: t.resized(n_frames) for n, t in project.predictions.items()},
        review=project.review,
        view=project.view,
    )


def _video_path(project: Project, base: Path) -> Path | None:
    if not project.video_path:
        return None
    video = Path(project.video_path)
    return video if video.is_absolute() else base / video


def _default_name(project: Project) -> str:
    """Beside the video, unless that is not the user's folder (the demo lives in the app's
    data): then in the user's documents."""
    stem = Path(project.video_path).stem if project.video_path else "untitled"
    return str(places.suggest(project.video_path, stem + SUFFIX, places.DOCUMENTS).path)


def _as_bool(value: object) -> bool:
    # QSettings' INI backend hands booleans back as the strings "true"/"false".
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
