"""The magnifier: a small inset near the cursor showing the video around it, enlarged.

A blurred, fast ball is a streak a few pixels wide; placing it precisely needs more zoom
than the whole view can have while keeping the rally in sight. The inset shows the video
pixels under the cursor at `factor` times the view's scale (at least `min_pixel_size`
screen pixels per video pixel, sharp, not smoothed), with a crosshair on the exact point a
click would place and the overlay's markers drawn at the same magnification.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QTransform

from .video_view import VideoView

INSET_SIZE = 168  # px on screen
CURSOR_GAP = 24  # px between the cursor and the inset's corner


class Magnifier:
    """State and painting of the inset; the overlay widget owns one."""

    def __init__(self, factor: float = 4.0, min_pixel_size: float = 8.0) -> None:
        self.enabled = False
        self.cursor: QPointF | None = None  # widget position of the mouse, None when away
        self.factor = factor
        self.min_pixel_size = min_pixel_size

    def pixel_size(self, view_scale: float) -> float:
        """Screen pixels per video pixel inside the inset."""
        return max(view_scale * self.factor, self.min_pixel_size)

    def inset_rect(self, cursor: QPointF, bounds: QRect) -> QRectF:
        """Below-right of the cursor, flipped to the other side near the widget's edges."""
        x = cursor.x() + CURSOR_GAP
        y = cursor.y() + CURSOR_GAP
        if x + INSET_SIZE > bounds.right():
            x = cursor.x() - CURSOR_GAP - INSET_SIZE
        if y + INSET_SIZE > bounds.bottom():
            y = cursor.y() - CURSOR_GAP - INSET_SIZE
        return QRectF(x, y, INSET_SIZE, INSET_SIZE)

    def paint(
        self,
        painter: QPainter,
        view: VideoView,
        bounds: QRect,
        paint_overlay: Callable[[QPainter, QTransform, float], None],
    ) -> None:
        """Paint the inset; `paint_overlay(painter, video_transform, scale)` adds the markers."""
        array = view.current_array()
        if not self.enabled or self.cursor is None or array is None:
            return

        centre = view.widget_to_video(self.cursor)
        pixel = self.pixel_size(view.scale)
        target = self.inset_rect(self.cursor, bounds)
        half = INSET_SIZE / 2 / pixel  # video pixels from the centre to the inset's edge
        # The video -> inset transform: the cursor's video point lands on the inset's centre.
        to_inset = QTransform(
            pixel, 0, 0, pixel, target.center().x() - centre.x() * pixel,
            target.center().y() - centre.y() * pixel,
        )  # fmt: skip
        painter.save()
        painter.setClipRect(target)
        painter.fillRect(target, QColor(18, 18, 20))
        crop, origin = _crop(array, centre, half)
        if crop is not None:
            image = QImage(crop.data, crop.shape[1], crop.shape[0], crop.strides[0],
                           QImage.Format.Format_RGB888)  # fmt: skip
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(
                to_inset.mapRect(QRectF(origin[0], origin[1], crop.shape[1], crop.shape[0])),
                image,
            )
        paint_overlay(painter, to_inset, pixel)
        _crosshair(painter, target.center())
        painter.restore()
        painter.setPen(QPen(QColor(230, 230, 235), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(target)


def _crop(
    array: np.ndarray, centre: QPointF, half: float
) -> tuple[np.ndarray | None, tuple[int, int]]:
    """The whole video pixels covering `half` around `centre`, and their top-left corner."""
    h, w = array.shape[:2]
    x0 = max(math.floor(centre.x() - half) - 1, 0)
    y0 = max(math.floor(centre.y() - half) - 1, 0)
    x1 = min(math.ceil(centre.x() + half) + 1, w)
    y1 = min(math.ceil(centre.y() + half) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None, (x0, y0)
    return np.ascontiguousarray(array[y0:y1, x0:x1]), (x0, y0)


def _crosshair(painter: QPainter, centre: QPointF) -> None:
    for colour, width in ((QColor(0, 0, 0, 160), 3.0), (QColor(255, 255, 255, 220), 1.0)):
        painter.setPen(QPen(colour, width))
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            painter.drawLine(centre + QPointF(dx * 4, dy * 4), centre + QPointF(dx * 12, dy * 12))
