"""Painting the overlay primitives (tracknet_studio.video.overlay) with QPainter.

`OverlayWidget` is a transparent child laid over the video view: it follows the view's size,
lets every mouse event through to the view, and paints the markers, trails and the
magnifier in widget coordinates through the view's video->widget transform. Markers keep a
minimum size on screen so they stay visible when a long shot is zoomed out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QTransform
from PySide6.QtWidgets import QWidget

from tracknet_studio.video.overlay import Marker, Primitive, Shape, TrailSegment

from .magnifier import Magnifier
from .video_view import VideoView

MIN_SCREEN_RADIUS = 5.0  # px on screen, whatever the zoom
MIN_SCREEN_WIDTH = 1.25


def qcolor(rgb: tuple[int, int, int], alpha: float) -> QColor:
    colour = QColor(*rgb)
    colour.setAlphaF(min(max(alpha, 0.0), 1.0))
    return colour


def paint_primitives(
    painter: QPainter, items: Sequence[Primitive], transform: QTransform, scale: float
) -> None:
    """Paint `items` (video pixels) onto a painter in widget pixels (`transform` maps them)."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for item in items:
        if isinstance(item, TrailSegment):
            _paint_segment(painter, item, transform, scale)
        else:
            _paint_marker(painter, item, transform, scale)


def _pen(rgb: tuple[int, int, int], alpha: float, width: float) -> QPen:
    pen = QPen(qcolor(rgb, alpha), width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def _paint_segment(
    painter: QPainter, seg: TrailSegment, transform: QTransform, scale: float
) -> None:
    painter.setPen(_pen(seg.colour, seg.alpha, max(seg.width * scale, MIN_SCREEN_WIDTH)))
    painter.drawLine(transform.map(QPointF(seg.x0, seg.y0)), transform.map(QPointF(seg.x1, seg.y1)))


def _paint_marker(painter: QPainter, marker: Marker, transform: QTransform, scale: float) -> None:
    centre = transform.map(QPointF(marker.x, marker.y))
    radius = max(marker.radius * scale, MIN_SCREEN_RADIUS)
    width = max(marker.line_width * scale, MIN_SCREEN_WIDTH)
    # A thin dark halo under the colour keeps the marker readable on bright backgrounds.
    halo = _pen((0, 0, 0), 0.55 * marker.alpha, width + 2)
    colour = _pen(marker.colour, marker.alpha, width)
    for pen in (halo, colour):
        painter.setPen(pen)
        if marker.shape is Shape.RING:
            painter.drawEllipse(centre, radius, radius)
        else:
            d = radius * 0.75
            painter.drawLine(centre + QPointF(-d, -d), centre + QPointF(d, d))
            painter.drawLine(centre + QPointF(-d, d), centre + QPointF(d, -d))
    # The exact position: one small dot, so sub-pixel placement can be judged.
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(qcolor(marker.colour, marker.alpha))
    painter.drawEllipse(centre, 1.5, 1.5)
    painter.setBrush(Qt.BrushStyle.NoBrush)


class OverlayWidget(QWidget):
    """Transparent layer over a VideoView; `items_for` gives the primitives to paint."""

    def __init__(self, view: VideoView, items_for: Callable[[], Sequence[Primitive]]) -> None:
        super().__init__(view)
        self.view = view
        self._items_for = items_for
        self.magnifier = Magnifier()
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setGeometry(view.rect())
        view.installEventFilter(self)
        view.view_changed.connect(self.update)
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view:
            kind = event.type()
            if kind == QEvent.Type.Resize:
                self.setGeometry(self.view.rect())
            elif kind == QEvent.Type.MouseMove and self.magnifier.enabled:
                self.magnifier.cursor = event.position()  # type: ignore[attr-defined]
                self.update()
            elif kind == QEvent.Type.Leave:
                self.magnifier.cursor = None
                self.update()
        return False

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.view.has_frame():
            return
        items = self._items_for()
        painter = QPainter(self)
        paint_primitives(painter, items, self.view.video_transform(), self.view.scale)
        self.magnifier.paint(
            painter,
            self.view,
            self.rect(),
            lambda p, transform, scale: paint_primitives(p, items, transform, scale),
        )
        painter.end()
