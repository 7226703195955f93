"""Background calls without a progress dialog (polls, checks, stops), safely torn down.

`BackgroundTask` emits its result and then `ended` from the worker thread. Deleting the task
on `ended` with deleteLater can free it while the worker is still returning from that very
emit (a crash under load), so these tasks have no Qt parent: each is kept in `_RUNNING`
until its `ended` arrives in the UI thread, its thread is joined there (it is finishing,
the join is immediate), and only then is the last reference dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from .tasks import BackgroundTask, Report

_RUNNING: set[BackgroundTask] = set()


def run_quietly(
    work: Callable[[Report], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
) -> BackgroundTask:
    """Run `work` on a worker thread; the callbacks run in the UI thread."""
    task = BackgroundTask(work)
    queued = Qt.ConnectionType.QueuedConnection
    task.succeeded.connect(on_success, queued)
    task.failed.connect(on_failure, queued)
    task.ended.connect(lambda: _release(task), queued)
    _RUNNING.add(task)
    task.start()
    return task


def _release(task: BackgroundTask) -> None:
    task.wait(5.0)
    _RUNNING.discard(task)


def running() -> int:
    """How many quiet tasks have not ended yet (tests)."""
    return len(_RUNNING)
