"""The video view: paints the current RGB frame with zoom and pan, and maps coordinates.

Navigation:
- mouse wheel: zoom toward the cursor (the video pixel under it stays under it);
- middle-button drag, or Ctrl + left drag: pan (plain left clicks are kept free for
  placing the ball in later issues);
- fit to window (F) follows resizes until the user zooms or pans; 1:1 shows video pixels.

Zoom and pan belong to the view, not to the frame, so stepping through frames keeps them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

BACKGROUND = QColor(18, 18, 20)
HINT_COLOR = QColor(150, 150, 160)
MIN_SCALE, MAX_SCALE = 0.02, 64.0
WHEEL_STEP = 1.25  # zoom factor per wheel notch (120 units of angle delta)


class VideoView(QWidget):
    """A widget that shows one RGB frame under a scale + offset transform."""

    # Emitted after zoom or pan change, with the new scale (1.0 = one video pixel per pixel).
    view_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self._image: QImage | None = None
        # The QImage reads this array's memory; holding it keeps that memory alive.
        self._array: np.ndarray | None = None
        # The frame in the raster engine's native format, made once per frame when painted:
        # scaling packed 24-bit RGB converts every pixel on every paint (about 5x slower).
        self._paint_image: QImage | None = None
        self._scale = 1.0
        self._offset = QPointF(0.0, 0.0)  # widget position of the video's top-left corner
        self._fit = True
        self._pan_anchor: QPointF | None = None
        self.hint = "Open a video (Ctrl+O) or drop one here"

    # -- frame --------------------------------------------------------------------------

    def set_frame(self, rgb: np.ndarray | None) -> None:
        """Show an (h, w, 3) uint8 RGB array; None clears the view. The array is not copied."""
        self._paint_image = None
        if rgb is None:
            self._image, self._array = None, None
            self.update()
            return
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an (h, w, 3) uint8 array, got {rgb.shape} {rgb.dtype}")
        if not rgb.flags.c_contiguous:
            rgb = np.ascontiguousarray(rgb)
        old_size = self.video_size()
        h, w = rgb.shape[:2]
        self._array = rgb
        self._image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)
        if self._fit or old_size != QSize(w, h):
            if old_size != QSize(w, h):
                self._fit = True
            self._apply_fit()
        self.update()

    def video_size(self) -> QSize:
        return QSize() if self._image is None else self._image.size()

    def has_frame(self) -> bool:
        return self._image is not None

    def current_array(self) -> np.ndarray | None:
        """The array on screen (tests read the frame's embedded number from it)."""
        return self._array

    # -- coordinates --------------------------------------------------------------------

    def widget_to_video(self, p: QPointF) -> QPointF:
        """Widget position -> video pixel coordinates (floats, origin at the top-left corner
        of the top-left pixel, so pixel (i, j) spans [i, i+1) x [j, j+1))."""
        return QPointF(
            (p.x() - self._offset.x()) / self._scale, (p.y() - self._offset.y()) / self._scale
        )

    def video_to_widget(self, p: QPointF) -> QPointF:
        """Video pixel coordinates -> widget position (floats)."""
        return QPointF(
            p.x() * self._scale + self._offset.x(), p.y() * self._scale + self._offset.y()
        )

    def video_transform(self) -> QTransform:
        """The transform from video pixels to widget pixels, for painting overlays."""
        return QTransform(self._scale, 0, 0, self._scale, self._offset.x(), self._offset.y())

    # -- zoom and pan -------------------------------------------------------------------

    @property
    def scale(self) -> float:
        return self._scale

    @property
    def offset(self) -> QPointF:
        return QPointF(self._offset)

    @property
    def fit_mode(self) -> bool:
        return self._fit

    def fit_to_window(self) -> None:
        self._fit = True
        self._apply_fit()
        self.update()

    def zoom_actual_size(self) -> None:
        """1:1 around the widget's centre."""
        self.set_zoom(1.0, self._centre())

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self._scale * factor, anchor)

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to `scale`, keeping the video point under `anchor` (widget coords) fixed."""
        anchor = self._centre() if anchor is None else anchor
        scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        under = self.widget_to_video(anchor)
        self._scale = scale
        self._offset = QPointF(anchor.x() - under.x() * scale, anchor.y() - under.y() * scale)
        self._fit = False
        self.update()
        self.view_changed.emit(self._scale)

    def pan_by(self, dx: float, dy: float) -> None:
        self._offset += QPointF(dx, dy)
        self._fit = False
        self.update()
        self.view_changed.emit(self._scale)

    def _centre(self) -> QPointF:
        return QPointF(self.width() / 2, self.height() / 2)

    def _apply_fit(self) -> None:
        size = self.video_size()
        if size.isEmpty() or self.width() <= 0 or self.height() <= 0:
            return
        self._scale = min(self.width() / size.width(), self.height() / size.height())
        self._offset = QPointF(
            (self.width() - size.width() * self._scale) / 2,
            (self.height() - size.height() * self._scale) / 2,
        )
        self.view_changed.emit(self._scale)

    # -- events -------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, 90)

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self._fit:
            self._apply_fit()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self._image is None:
            painter.setPen(HINT_COLOR)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.hint)
            return
        # Smooth when shrinking; sharp pixels when magnifying, as an annotator wants.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < 1.0)
        if self._paint_image is None:
            self._paint_image = self._image.convertToFormat(
                QImage.Format.Format_ARGB32_Premultiplied
            )
        size = self._image.size()
        target = QRectF(
            self._offset.x(),
            self._offset.y(),
            size.width() * self._scale,
            size.height() * self._scale,
        )
        painter.drawImage(target, self._paint_image, QRectF(self._image.rect()))
        painter.end()

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if notches == 0 or self._image is None:
            event.ignore()
            return
        self.zoom_by(WHEEL_STEP**notches, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._is_pan_press(event):
            self._pan_anchor = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_anchor is not None:
            delta = event.position() - self._pan_anchor
            self._pan_anchor = event.position()
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_anchor is not None:
            self._pan_anchor = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    @staticmethod
    def _is_pan_press(event: QMouseEvent) -> bool:
        button = event.button()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        return button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and ctrl
        )
