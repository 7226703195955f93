"""What the window shows before any video is open: where to start.

Recent projects and videos (each with a thumbnail of its first frame, read off the UI
thread), Open Video, Open Demo, and the three keys that matter first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.formats.project_file import SUFFIX as PROJECT_SUFFIX

from .cloud_tasks import run_quietly

THUMBNAIL = QSize(192, 108)
SHOWN = Qt.ItemDataRole.UserRole + 1  # an entry's picture has arrived
HINT = "Space plays  ·  ← → step one frame  ·  click the ball to place it  ·  F1 lists every key"


class WelcomeView(QWidget):
    """Start here: recent files, Open Video, Open Demo."""

    open_requested = Signal(object)  # a recent file's Path
    open_video_clicked = Signal()
    open_demo_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeView")
        title = QLabel("<h2>TrackNet Studio</h2>Track a small, fast ball in broadcast video: "
                       "label it, train a model on it, review the model's trajectory.")  # fmt: skip
        title.setWordWrap(True)
        self.open_video = QPushButton("Open Video…")
        self.open_video.setObjectName("welcomeOpenVideo")
        self.open_video.clicked.connect(self.open_video_clicked)
        self.open_demo = QPushButton("Open Demo")
        self.open_demo.setObjectName("welcomeOpenDemo")
        self.open_demo.setToolTip("A built-in tennis rally with labels and a model's prediction")
        self.open_demo.clicked.connect(self.open_demo_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_video)
        buttons.addWidget(self.open_demo)
        buttons.addStretch(1)
        self.recent = QListWidget()
        self.recent.setObjectName("welcomeRecent")
        self.recent.setViewMode(QListWidget.ViewMode.IconMode)
        self.recent.setIconSize(THUMBNAIL)
        self.recent.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.recent.setMovement(QListWidget.Movement.Static)
        self.recent.setSpacing(8)
        self.recent.setWordWrap(True)
        self.recent.itemActivated.connect(lambda item: self.open_requested.emit(_path(item)))
        self.recent_title = QLabel("<b>Recent</b>")
        hint = QLabel(HINT)
        hint.setObjectName("welcomeHint")
        hint.setStyleSheet("color: gray")
        column = QVBoxLayout(self)
        column.setContentsMargins(48, 32, 48, 24)
        column.addWidget(title)
        column.addLayout(buttons)
        column.addSpacing(12)
        column.addWidget(self.recent_title)
        column.addWidget(self.recent, 1)
        column.addWidget(hint)

    def set_recent(self, paths: list[Path]) -> None:
        """List `paths` (newest first); their thumbnails arrive as they are read."""
        self.recent.clear()
        self.recent_title.setVisible(bool(paths))
        self.recent.setVisible(bool(paths))
        blank = QPixmap(THUMBNAIL)
        blank.fill(Qt.GlobalColor.black)
        for path in paths:
            item = QListWidgetItem(QIcon(blank), path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.recent.addItem(item)
            run_quietly(lambda _report, p=path: first_frame(p),
                        lambda rgb, i=item: self._show_thumbnail(i, rgb),
                        lambda _exc: None)  # fmt: skip

    def _show_thumbnail(self, item: QListWidgetItem, rgb: np.ndarray | None) -> None:
        if rgb is None or self.recent.row(item) < 0:
            return  # no picture, or the list was refilled meanwhile
        height, width, _ = rgb.shape
        image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        item.setIcon(QIcon(QPixmap.fromImage(image.copy())))
        item.setData(SHOWN, True)

    def thumbnails_shown(self) -> int:
        """How many entries show their picture (tests)."""
        return sum(1 for i in range(self.recent.count()) if self.recent.item(i).data(SHOWN))


def first_frame(path: Path) -> np.ndarray | None:
    """A thumbnail-sized RGB picture of a video's (or a project's video's) first frame."""
    import cv2

    from tracknet_studio.formats import load_project
    from tracknet_studio.video import VideoReader

    if path.suffix.lower() == PROJECT_SUFFIX:
        video = load_project(path).project.video_path
        if not video:
            return None
        path = Path(video)
    with VideoReader(path, cache_mb=8) as reader:
        frame = reader.frame(0)
    height, width = frame.shape[:2]
    scale = min(THUMBNAIL.width() / width, THUMBNAIL.height() / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.ascontiguousarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))


def _path(item: QListWidgetItem) -> Path:
    return Path(item.data(Qt.ItemDataRole.UserRole))
