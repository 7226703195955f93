"""Start the application: the QApplication, its look, the main window, the first video."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from .main_window import APP_TITLE, MainWindow
from .resources import icon, style_sheet

ORGANIZATION = "TrackNet"


def dark_palette() -> QPalette:
    """A quiet dark palette: the video, not the chrome, should draw the eye."""
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: QColor(37, 38, 41),
        QPalette.ColorRole.WindowText: QColor(220, 220, 224),
        QPalette.ColorRole.Base: QColor(28, 29, 31),
        QPalette.ColorRole.AlternateBase: QColor(44, 45, 49),
        QPalette.ColorRole.ToolTipBase: QColor(50, 51, 55),
        QPalette.ColorRole.ToolTipText: QColor(230, 230, 230),
        QPalette.ColorRole.Text: QColor(220, 220, 224),
        QPalette.ColorRole.Button: QColor(48, 49, 53),
        QPalette.ColorRole.ButtonText: QColor(220, 220, 224),
        QPalette.ColorRole.Highlight: QColor(61, 133, 198),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(90, 160, 230),
    }
    for role, color in colors.items():
        palette.setColor(role, color)
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(disabled, role, QColor(110, 110, 115))
    return palette


def create_application(argv: Sequence[str]) -> QApplication:
    """The QApplication with the names QSettings files are kept under, and the dark look."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_TITLE)
    app = QApplication.instance() or QApplication(list(argv))
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(icon("tracknet-studio"))  # the desktop entry's icon too
    return app


def main(
    argv: Sequence[str] | None = None,
    *,
    file: Path | None = None,
    demo: bool = False,
    quit_after_first_frame: bool = False,
) -> int:
    """Show the window, open `file` (a video or project; or the demo clip, or what the last
    session left unsaved), run the event loop; the exit code."""
    app = create_application(sys.argv[:1] if argv is None else argv)
    window = MainWindow()
    if quit_after_first_frame:
        window.player.frame_shown.connect(lambda _n: _report_start_and_quit(app))
    window.show()
    if file is not None:
        # After the event loop starts, so an error dialog has a visible window to sit on.
        QTimer.singleShot(0, lambda: window.files.open_file(file))
    elif demo:
        QTimer.singleShot(0, window.demo.open)
    else:
        # What the last session left unsaved (it crashed, or was killed) is offered back.
        QTimer.singleShot(0, window.files.check_startup_recovery)
    return app.exec()


HEAVY_MODULES = ("torch", "boto3", "botocore", "sagemaker", "onnxruntime")


def _report_start_and_quit(app: QApplication) -> None:
    """The time since the process started, and the heavy modules already loaded (none
    should be: they are imported when a feature first needs them, off the UI thread)."""
    from tracknet_studio import STARTED

    loaded = [name for name in HEAVY_MODULES if name in sys.modules]
    print(f"first frame shown {time.monotonic() - STARTED:.2f} s after start; heavy modules "
          f"loaded: {', '.join(loaded) or 'none'}", flush=True)  # fmt: skip
    app.exit(0)  # not quit(): that closes the window, which may ask about running work
