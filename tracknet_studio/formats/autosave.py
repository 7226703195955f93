"""Autosave and crash recovery, without Qt, shared by the window, the CLI and the tests.

`Autosaver.notify_changed()` is cheap and may be called on every edit. The first change after
a write schedules the next write `delay_s` later on a background thread; changes in between
join that write. This bounds the time from an edit to the disk by delay_s plus one write
(a few hundred ms for 650,000 frames), even while edits keep coming; a plain debounce that
waits for quiet would never save during a long editing burst.

The recovery file lives next to the project (`.<name>.recovery`), or for a project that was
never saved in the user data folder. An explicit save removes it (`saved()`); a recovery file
found at the next start (`find_recovery`) means the last session ended without saving.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from os import PathLike
from pathlib import Path

from tracknet_studio.core import paths

from ..core.project import Project
from .atomic import atomic_write_bytes
from .project_file import dumps_project

log = logging.getLogger(__name__)

RECOVERY_SUFFIX = ".recovery"
DEFAULT_DELAY_S = 0.5


def recovery_dir() -> Path:
    """Where recovery files of never-saved projects go."""
    return paths.data_dir() / "recovery"


def recovery_path_for(
    project_path: str | PathLike[str] | None, data_dir: str | PathLike[str] | None = None
) -> Path:
    """The recovery file of a project file, or a fresh one for an unsaved project."""
    if project_path is not None:
        p = Path(project_path)
        return p.with_name(f".{p.name}{RECOVERY_SUFFIX}")
    folder = Path(data_dir) if data_dir is not None else recovery_dir()
    return (
        folder
        / f"untitled-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}{RECOVERY_SUFFIX}"
    )


def find_recovery(
    project_path: str | PathLike[str] | None = None, data_dir: str | PathLike[str] | None = None
) -> Path | None:
    """A recovery file left by a session that did not save: for `project_path`, or else the
    newest one of an unsaved project. None when there is nothing to recover."""
    if project_path is not None:
        candidate = recovery_path_for(project_path)
        return candidate if candidate.exists() else None
    folder = Path(data_dir) if data_dir is not None else recovery_dir()
    if not folder.is_dir():
        return None
    found = sorted(folder.glob(f"untitled-*{RECOVERY_SUFFIX}"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


class Autosaver:
    """Writes `snapshot()` to `recovery_path` at most `delay_s` after a change, atomically.

    `snapshot` returns the bytes to write and runs on the background thread; the default
    serialises the project, whose tracks are read under their locks so a write never holds
    half an edit. `on_error(exc)` hears failed writes (the next change retries).
    """

    def __init__(
        self,
        project: Project,
        recovery_path: str | PathLike[str],
        *,
        delay_s: float = DEFAULT_DELAY_S,
        snapshot: Callable[[], bytes] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        watch: bool = True,
    ) -> None:
        self.project = project
        self.recovery_path = Path(recovery_path)
        self.delay_s = delay_s
        self._snapshot = snapshot or (lambda: dumps_project(self.project))
        self._on_error = on_error
        self._cond = threading.Condition()
        # Held while a recovery file is written or removed, so saved() cannot be undone by
        # a write that was already under way.
        self._file_lock = threading.Lock()
        self._due: float | None = None  # monotonic time of the next write, None when clean
        self._generation = 0  # counts changes, so a write knows if it covered the last one
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="autosave", daemon=True)
        self._thread.start()
        self._listener = None
        if watch:
            self._listener = lambda _name, _frames: self.notify_changed()
            project.add_listener(self._listener)

    @property
    def dirty(self) -> bool:
        with self._cond:
            return self._due is not None

    def notify_changed(self) -> None:
        """Note a change; a write follows within `delay_s` (plus the write itself)."""
        with self._cond:
            self._generation += 1
            if self._due is None:
                self._due = time.monotonic() + self.delay_s
                self._cond.notify()

    def flush(self) -> None:
        """Write now, on the calling thread, if anything changed since the last write."""
        with self._cond:
            if self._due is None:
                return
            generation = self._generation
        self._write(generation)

    def saved(self) -> None:
        """The user saved the project explicitly: drop the recovery file and the pending write."""
        with self._file_lock:
            with self._cond:
                self._due = None
                self._generation += 1
            with contextlib.suppress(FileNotFoundError):
                self.recovery_path.unlink()

    def close(self, *, flush: bool = True) -> None:
        """Stop the thread; with `flush`, write what is pending first."""
        if self._listener is not None:
            with contextlib.suppress(ValueError):
                self.project.remove_listener(self._listener)
            self._listener = None
        if flush:
            self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def __enter__(self) -> Autosaver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (self._due is None or time.monotonic() < self._due):
                    timeout = None if self._due is None else self._due - time.monotonic()
                    self._cond.wait(timeout)
                if self._closed:
                    return
                generation = self._generation
            self._write(generation)

    def _write(self, generation: int) -> None:
        try:
            data = self._snapshot()
            with self._file_lock:
                with self._cond:
                    if self._due is None:  # saved() ran meanwhile: the recovery is obsolete
                        return
                atomic_write_bytes(self.recovery_path, data)
        except Exception as exc:  # a failed autosave must not kill the app; retry later
            log.warning("autosave to %s failed: %s", self.recovery_path, exc)
            if self._on_error is not None:
                self._on_error(exc)
            with self._cond:
                self._due = time.monotonic() + max(self.delay_s, 1.0)
            return
        with self._cond:
            if self._generation == generation:
                self._due = None  # nothing changed while writing
            elif self._due is not None:
                self._due = time.monotonic() + self.delay_s
