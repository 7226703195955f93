"""The built-in demo clip, generated on first use off the UI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal


class DemoWorker(QObject):
    """Generates the demo clip on a plain thread; the signals arrive in the UI thread."""

    done = Signal(object)  # the clip's Path
    failed = Signal(object)  # the exception
    progress = Signal(float)  # 0..1

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
