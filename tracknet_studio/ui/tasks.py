"""Long work off the UI thread, with a progress dialog and a Cancel button.

`run_in_background` runs `work(report)` on a worker thread. `report(done, total)` updates the
dialog and raises `Cancelled` once the user pressed Cancel, so work stops at its next report.
The result or the error comes back on the UI thread through queued signals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

Report = Callable[[int, int], None]


class Cancelled(Exception):
    """Raised inside the work when the user cancelled it."""


class BackgroundTask(QObject):
    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception; Cancelled when the user cancelled
    ended = Signal()

    def __init__(
        self, work: Callable[[Report], Any], parent: QObject | None = None, title: str = ""
    ) -> None:
        super().__init__(parent)
        self.title = title  # what the user would call it ("Running the model")
        self._work = work
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="background-task", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        """Started and not ended yet."""
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work ended (tests and shutdown only); True when it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _report(self, done: int, total: int) -> None:
        if self._cancel.is_set() or not self._emit(self.progressed, done, total):
            raise Cancelled  # cancelled, or nobody is left to hear about it

    def _run(self) -> None:
        try:
            result = self._work(self._report)
        except Exception as exc:  # every failure goes back to the UI thread
            self._emit(self.failed, Cancelled() if self._cancel.is_set() else exc)
        else:
            self._emit(self.succeeded, result)
        finally:
            self._emit(self.ended)

    def _emit(self, signal: Any, *args: Any) -> bool:
        """Send a signal from the worker; False once the task object was deleted (its
        window closed under it): the work then stops, as if cancelled."""
        try:
            signal.emit(*args)
        except RuntimeError:  # "Signal source has been deleted"
            self._cancel.set()
            return False
        return True


def run_in_background(
    parent: QWidget,
    title: str,
    work: Callable[[Report], Any],
    *,
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None],
    unit: str = "",
    detail: Callable[[], str] | None = None,
) -> BackgroundTask:
    """Start `work` with a modal-less progress dialog whose Cancel button stops it.

    With a `unit` ("frames") the dialog shows the rate of this run in it; `detail()`, read
    on each report, adds a line (what a cloud run has cost so far)."""
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setObjectName("taskProgress")
    dialog.setMinimumDuration(300)  # no flash for work that ends at once
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    task = BackgroundTask(work, parent, title)
    queued = Qt.ConnectionType.QueuedConnection
    rate = _Rate()

    def show_progress(done: int, total: int) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)
        text = f"{title}: {done} of {total}"
        per_second = rate.update(done)
        if unit and per_second is not None:
            text += f" · {per_second:.1f} {unit}/s"
        if detail is not None:
            text += f"\n{detail()}"
        dialog.setLabelText(text)

    task.progressed.connect(show_progress, queued)
    task.succeeded.connect(on_success, queued)
    task.failed.connect(on_failure, queued)
    task.ended.connect(dialog.close, queued)
    task.ended.connect(dialog.deleteLater, queued)
    task.ended.connect(task.deleteLater, queued)
    dialog.canceled.connect(task.cancel)
    task.start()
    return task


class _Rate:
    """Items per second since the first report (a resumed run starts above 0)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._first: tuple[float, int] | None = None

    def update(self, done: int) -> float | None:
        now = self._clock()
        if self._first is None:
            self._first = (now, done)
            return None
        started, done_then = self._first
        return (done - done_then) / (now - started) if now > started else None
