"""Python's cyclic garbage collection, run on the UI thread only.

The collector runs in whichever thread happens to allocate when a generation fills up. When
that is a worker thread and the garbage holds Qt objects (the wrapper of a closed window's
menu caught in a reference cycle), Qt destroys them off the UI thread, which can deadlock
against the UI thread: seen in a full test run, a background task loading botocore's data
collected a menu while the UI thread was deleting another, and both waited forever. So the
automatic collector is switched off and the UI thread collects on a timer instead, the
generations the automatic one would have collected. Reference counting frees everything
else at once, as before.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500


class UiThreadGarbageCollector(QObject):
    """While it runs, cyclic garbage is collected by the thread that created it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Collect what is left here, and give collection back to the interpreter."""
        self._timer.stop()
        gc.collect()
        gc.enable()

    def collect_due(self) -> None:
        """Collect the oldest generation whose allocation count passed its threshold."""
        counts = gc.get_count()
        due = [g for g in range(3) if counts[g] > self._thresholds[g]]
        if due:
            gc.collect(max(due))


def collect_on_ui_thread(app: QObject) -> UiThreadGarbageCollector:
    """Start `app`'s collector (made on the UI thread, so its timer runs there); one per app."""
    collector = app.findChild(UiThreadGarbageCollector) or UiThreadGarbageCollector(app)
    collector.start()
    return collector
