"""The timeline under the video: the whole rally (or match) at a glance.

Two plots share the time axis, x over time above y over time (y inverted, as in the
picture), one curve per layer: the labels solid and light, each prediction layer dashed in
its own colour. Beneath them a strip is coloured by each frame's state (human, imported,
interpolated, model, unlabeled, prediction-label disagreement), drawn as one image. A cursor
line marks the current frame. Click anywhere, or drag along the strip, to seek; the wheel
zooms time, dragging a plot pans it; hovering reads out the frame's values.

Responsiveness at 650,000 frames. The curves and the strip are reduced to about one column
per screen pixel before pyqtgraph sees them: a column keeps the minimum and maximum of its
frames (the "peak" method) and the strip its most common state, plus a thin row whose
opacity shows the share of frames where a prediction disagrees with the label. pyqtgraph's own
`setDownsampling(mode="peak")` is not used because it takes max/min with NaN propagation:
any bin holding a single frame without a ball (NaN) vanishes, which erases most of a real
track when zoomed out. Here NaN-ignoring `fmin`/`fmax` keep every position, and a bin is a
gap only when all its frames are. Bin sizes are powers of two aligned to multiples of
themselves, so panning never makes the picture shimmer, and the reduced window extends one
screen beyond each side, so small pans redraw without recomputing. An edit recomputes only
the columns that hold the changed frames.
"""

from __future__ import annotations

import html
import math
import weakref
from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from tracknet_studio.core import LABELS, Project, Source, Track, Visibility
from tracknet_studio.core.frame_states import DisplayWindow, FrameState, frame_states

Frames = npt.NDArray[np.int64]


STATE_COLORS: dict[FrameState, tuple[int, int, int]] = {
    FrameState.HUMAN: (46, 204, 113),
    FrameState.IMPORTED: (52, 152, 219),
    FrameState.INTERPOLATED: (241, 196, 15),
    FrameState.MODEL: (155, 89, 182),
    FrameState.UNLABELED: (70, 70, 70),
    FrameState.DISAGREEMENT: (231, 76, 60),
}
_STATE_RGBA = np.array([(*STATE_COLORS[s], 255) for s in FrameState], dtype=np.uint8)
LABEL_PEN = pg.mkPen("#f0f0f0", width=1)
PREDICTION_COLORS = ("#ff9f1c", "#2ec4b6", "#ff5fa2", "#a78bfa", "#9ae65c")
CURSOR_PEN = pg.mkPen("#ffd400", width=1)
AXIS_WIDTH = 52  # the same left-axis width on every plot keeps their time axes aligned
STRIP_HEIGHT = 46
DOT_SIZE = 4  # px: a label alone among gaps
MAX_PARTIAL_COLUMNS = 64  # beyond this, recomputing the whole window is cheaper
# The metrics panel's per-frame outcome (codes in tracknet.metrics.Outcome order: TP, FP1,
# FP2, FN, TN; 255 = not compared), drawn as its own strip when a comparison is shown.
OUTCOME_COLORS = ((46, 204, 113), (255, 159, 28), (231, 76, 60), (155, 89, 182), (90, 90, 90))
OUTCOME_HEIGHT = 22
MAX_OUTCOME_COLUMNS = 8192  # longer videos are binned; a bin shows its worst outcome
_OUTCOME_RANK = np.zeros(256, np.uint8)  # worse outcomes win a bin: errors stay visible
_OUTCOME_RANK[[4, 0, 3, 2, 1]] = [1, 2, 3, 4, 5]  # TN < TP < FN < FP2 < FP1; 255 -> 0
_OUTCOME_RGBA = np.zeros((256, 4), np.uint8)  # code -> colour; 255 stays transparent
_OUTCOME_RGBA[: len(OUTCOME_COLORS)] = [(*c, 255) for c in OUTCOME_COLORS]


class _PeakCurve:
    """One curve (a layer's x or y) reduced to the window: per column its max then its min.

    A line needs two neighbours: a column with a value between two without (a label alone
    among gaps) would draw nothing, so such columns also get a dot (`dots`).
    """

    def __init__(
        self, item: pg.PlotDataItem, dots: pg.ScatterPlotItem, values: Callable[[], np.ndarray]
    ) -> None:
        self.item = item
        self.dots = dots
        self._values = values  # reads the live column (the track may be replaced)
        self._y = np.empty(0)

    def rebuild(self, window: DisplayWindow) -> None:
        values = self._values()
        if window.bin == 1:
            # One point per frame: views of the columns, nothing copied.
            frames = np.arange(window.start, window.stop, dtype=np.float64)
            shown = values[window.start : window.stop]
            self.item.setData(frames, shown, connect="finite")
            self._y = np.empty(0)
            self._set_dots(frames, shown, shown)
            return
        blocks = window.blocks(values, np.nan)
        self._y = np.column_stack([np.fmax.reduce(blocks, axis=1), np.fmin.reduce(blocks, axis=1)])
        self._set(window)

    def update_columns(self, window: DisplayWindow, columns: npt.NDArray[np.int64]) -> None:
        if window.bin == 1 or len(columns) > MAX_PARTIAL_COLUMNS:
            self.rebuild(window)
            return
        values = self._values()
        for column in columns.tolist():
            chunk = values[window.column_frames(column)]
            self._y[column] = (np.fmax.reduce(chunk), np.fmin.reduce(chunk))
        self._set(window)

    def _set(self, window: DisplayWindow) -> None:
        centres = window.column_centres()
        self.item.setData(np.repeat(centres, 2), self._y.ravel(), connect="finite")
        self._set_dots(centres, self._y[:, 0], self._y[:, 1])

    def _set_dots(self, x: np.ndarray, high: np.ndarray, low: np.ndarray) -> None:
        alone = isolated(high)
        self.dots.setData(
            np.concatenate([x[alone], x[alone]]), np.concatenate([high[alone], low[alone]])
        )


def isolated(values: np.ndarray) -> np.ndarray:
    """Where a value stands between two gaps (NaN or the ends): a line cannot show it."""
    finite = np.isfinite(values)
    before = np.concatenate([[False], finite[:-1]])
    after = np.concatenate([finite[1:], [False]])
    return finite & ~before & ~after


class _StateStrip:
    """Every frame's state code, shown reduced to the window as two image rows.

    The main row colours a column by its most common state, so a zoomed-out match reads as
    human / imported / model stretches and unlabeled breaks. The thin row above marks
    disagreement, its opacity growing with the share of disagreeing frames in the column: a
    few outliers per column would otherwise paint the whole zoomed-out strip red.
    """

    def __init__(self, main: pg.ImageItem, problems: pg.ImageItem) -> None:
        self.main_item, self.problem_item = main, problems
        self.codes = np.empty(0, dtype=np.uint8)
        self.main_rgba = np.empty((0, 1, 4), dtype=np.uint8)
        self.problem_rgba = np.empty((0, 1, 4), dtype=np.uint8)

    def rebuild(self, window: DisplayWindow) -> None:
        if window.n_columns == 0:
            self.main_item.clear()
            self.problem_item.clear()
            return
        blocks = window.blocks(self.codes, _PADDING_CODE)
        counts = np.stack([(blocks == state).sum(axis=1) for state in FrameState], axis=1)
        self.main_rgba, self.problem_rgba = _column_colours(counts)
        self._show(window)

    def update_columns(self, window: DisplayWindow, columns: npt.NDArray[np.int64]) -> None:
        if len(columns) > MAX_PARTIAL_COLUMNS or len(self.main_rgba) != window.n_columns:
            self.rebuild(window)
            return
        chunks = [self.codes[window.column_frames(c)] for c in columns.tolist()]
        counts = np.stack([np.bincount(chunk, minlength=len(FrameState)) for chunk in chunks])
        main, problems = _column_colours(counts)
        self.main_rgba[columns], self.problem_rgba[columns] = main, problems
        self._show(window)

    def _show(self, window: DisplayWindow) -> None:
        # Frame f is centred on x = f, so column c starts half a frame before its first frame.
        x, width = window.start - 0.5, window.n_columns * window.bin
        self.main_item.setImage(self.main_rgba, autoLevels=False)
        self.main_item.setRect(QRectF(x, 0.0, width, _MAIN_ROW_HEIGHT))
        self.problem_item.setImage(self.problem_rgba, autoLevels=False)
        self.problem_item.setRect(QRectF(x, 1.0 - _PROBLEM_ROW_HEIGHT, width, _PROBLEM_ROW_HEIGHT))


_PADDING_CODE = 255  # fills the last column's missing frames; counts as no state
_MAIN_ROW_HEIGHT, _PROBLEM_ROW_HEIGHT = 0.72, 0.22  # fractions of the strip's height
_PROBLEM_RGB = STATE_COLORS[FrameState.DISAGREEMENT]


def _column_colours(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(main, problem) RGBA rows, shaped (columns, 1, 4), from per-column state counts."""
    main = _STATE_RGBA[counts.argmax(axis=1)]
    share = counts[:, FrameState.DISAGREEMENT] / np.maximum(1, counts.sum(axis=1))
    problems = np.zeros((len(counts), 4), dtype=np.uint8)
    problems[:, :3] = _PROBLEM_RGB
    # Any disagreement is visible (alpha 90); one frame in ten or more is fully opaque.
    alpha = np.where(share > 0, 90 + 165 * np.minimum(1.0, share * 10), 0)
    problems[:, 3] = alpha.astype(np.uint8)
    return main[:, np.newaxis, :], problems[:, np.newaxis, :]


class _TimeViewBox(pg.ViewBox):
    """A ViewBox that pans and zooms time only; a left click (or a strip drag) seeks."""

    def __init__(self, on_seek: Callable[[float], None], scrub: bool) -> None:
        super().__init__(enableMenu=False)
        self._on_seek = on_seek
        self._scrub = scrub
        self.setMouseEnabled(x=True, y=False)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_seek(self.mapSceneToView(ev.scenePos()).x())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self._scrub and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_seek(self.mapSceneToView(ev.scenePos()).x())
        else:
            super().mouseDragEvent(ev, axis)


class TimelineWidget(QWidget):
    """x and y over time for every layer, a state strip, a cursor; click to seek."""

    seek_requested = Signal(int)
    hovered = Signal(int)  # the frame under the mouse, for a status bar
    # Track listeners may run on a worker thread (predictions written in the background);
    # this signal carries their news to the widget's thread (a direct call on the same one).
    _layer_changed = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels: Track | None = None
        self._predictions: dict[str, Track] = {}
        self._project: Project | None = None
        self._project_listener: Callable[[str, Frames], None] | None = None
        self._frame_size: tuple[float, float] | None = None
        self._position_range: dict[str, tuple[float, float] | None] = {"x": None, "y": None}
        self._current = 0
        self._window = DisplayWindow(0, 0, 1)
        self._curves: dict[str, tuple[_PeakCurve, _PeakCurve]] = {}
        self._pending: dict[str, list[Frames]] = {}
        self._flush_timer = QTimer(self, singleShot=True, interval=0)
        self._flush_timer.timeout.connect(self._flush_pending)
        self._layer_changed.connect(self._on_project_changed)
        self._build()

    # ----- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("timelineReadout")
        self.readout.setFont(QFont("monospace", 9))
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Hovering rewrites it constantly: it must never resize the row (or the plots move).
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # The key to the curves and strips, above the plots: inside them it hid the curves.
        self.legend = QLabel(self)
        self.legend.setObjectName("timelineLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)  # wraps between entries on a narrow window
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.ci.setSpacing(0)
        self.x_plot = self._add_plot(0, "x (px)", scrub=False)
        self.y_plot = self._add_plot(1, "y (px)", scrub=False)
        # Row 2 is the metrics outcome strip (shown only with a comparison): the state strip,
        # which carries the time axis, stays at the bottom.
        self.strip_plot = self._add_plot(3, "state", scrub=True)
        self.y_plot.getViewBox().invertY(True)  # y grows downwards in the picture
        # Both position axes end at 0 where they meet (y runs downwards): room for the two
        # end labels, which otherwise print over each other.
        self.graphics.ci.layout.setRowSpacing(0, self.fontMetrics().height())
        for plot in (self.x_plot, self.y_plot):
            plot.hideAxis("bottom")
            plot.setXLink(self.strip_plot)
            # Time grid only: pyqtgraph's horizontal grid costs ~10 ms per repaint at this width.
            plot.showGrid(x=True, y=False, alpha=0.15)
        self.strip_plot.getAxis("left").setTicks([[]])
        self.strip_plot.setYRange(0, 1, padding=0)
        self.strip_plot.setMaximumHeight(STRIP_HEIGHT)
        self.strip_plot.setMinimumHeight(STRIP_HEIGHT)
        self.strip = _StateStrip(
            pg.ImageItem(axisOrder="col-major"), pg.ImageItem(axisOrder="col-major")
        )
        self.strip_plot.addItem(self.strip.main_item)
        self.strip_plot.addItem(self.strip.problem_item)
        self._build_outcome_strip()
        self.cursors = [
            pg.InfiniteLine(0, angle=90, pen=CURSOR_PEN, movable=False) for _ in range(3)
        ]
        for plot, cursor in zip(self.plots, self.cursors, strict=True):
            plot.addItem(cursor, ignoreBounds=True)
        self.strip_plot.getViewBox().sigXRangeChanged.connect(self._on_view_changed)
        self.strip_plot.getViewBox().sigResized.connect(self._on_view_changed)
        # Direct connection: the readout is O(1), so it needs no rate-limiting proxy.
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.viewport().installEventFilter(self)  # the mouse leaving clears it
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for line in (self.legend, self.readout):
            line.setContentsMargins(4, 0, 4, 0)
            layout.addWidget(line)
        layout.addWidget(self.graphics, 1)
        self.setMinimumHeight(160)

    def _build_outcome_strip(self) -> None:
        self.outcome_plot = self._add_plot(2, "", scrub=True)
        self.outcome_plot.setToolTip("Metrics outcome per frame: TP, FP1, FP2, FN, TN")
        self.outcome_plot.setXLink(self.strip_plot)
        self.outcome_plot.hideAxis("bottom")
        self.outcome_plot.getAxis("left").setTicks([[]])
        self.outcome_plot.setYRange(0, 1, padding=0)
        self.outcome_plot.setFixedHeight(OUTCOME_HEIGHT)
        self.outcome_item = pg.ImageItem(axisOrder="col-major")
        self.outcome_plot.addItem(self.outcome_item)
        # Always laid out (a row shown late is not given room by the graphics layout);
        # empty until the metrics panel compares a layer.
        self.outcome_codes: npt.NDArray[np.uint8] | None = None

    def set_outcomes(self, codes: npt.ArrayLike | None) -> None:
        """Show each frame's metrics outcome as a strip (codes 0-4 as TP, FP1, FP2, FN, TN;
        255 where not compared); None empties the strip."""
        if codes is None or self.n_frames == 0:
            self.outcome_codes = None
            self.outcome_item.clear()
            self._update_legend()
            return
        codes = np.asarray(codes, np.uint8)
        self.outcome_codes = codes
        bin_size = max(1, math.ceil(len(codes) / MAX_OUTCOME_COLUMNS))
        padded = np.full(-(-len(codes) // bin_size) * bin_size, 255, np.uint8)
        padded[: len(codes)] = codes
        blocks = padded.reshape(-1, bin_size)
        worst = np.take_along_axis(blocks, _OUTCOME_RANK[blocks].argmax(axis=1)[:, None], 1)
        rgba = _OUTCOME_RGBA[worst[:, 0]][:, np.newaxis, :]
        self.outcome_item.setImage(rgba, autoLevels=False)
        self.outcome_item.setRect(QRectF(-0.5, 0.0, len(worst) * bin_size, 1.0))
        self._update_legend()

    def _add_plot(self, row: int, label: str, scrub: bool) -> pg.PlotItem:
        plot = self.graphics.addPlot(row=row, col=0, viewBox=_TimeViewBox(self._seek_to, scrub))
        plot.setMenuEnabled(False)
        plot.hideButtons()
        axis = plot.getAxis("left")
        axis.setWidth(AXIS_WIDTH)
        axis.setLabel(label)
        axis.setTickDensity(0.5)  # the plots are short: fewer, legible ticks
        return plot

    @property
    def plots(self) -> tuple[pg.PlotItem, pg.PlotItem, pg.PlotItem]:
        return (self.x_plot, self.y_plot, self.strip_plot)

    # ----- what is shown -----------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return 0 if self._labels is None else len(self._labels)

    @property
    def current_frame(self) -> int:
        return self._current

    @property
    def state_codes(self) -> npt.NDArray[np.uint8]:
        """Every frame's `FrameState` (read-only)."""
        view = self.strip.codes.view()
        view.flags.writeable = False
        return view

    @property
    def display_window(self) -> DisplayWindow:
        return self._window

    def set_project(self, project: Project | None) -> None:
        """Show the project's labels and every prediction layer, and follow their edits."""
        if self._project is not None and self._project_listener is not None:
            self._project.remove_listener(self._project_listener)
        self._project, self._project_listener = project, None
        if project is None:
            self._set_layers(None, {})
            return
        self._project_listener = _weak_project_listener(self, project)
        project.add_listener(self._project_listener)
        self._set_layers(project.labels, dict(project.predictions))

    def set_track(
        self, track: Track | None, predictions: Mapping[str, Track] | None = None
    ) -> None:
        """Show one track (and optional predictions) without a project; the caller refreshes."""
        self.set_project(None)
        self._set_layers(track, dict(predictions or {}))

    def set_current_frame(self, frame: int) -> None:
        """Move the cursor; scroll the view when the frame is off screen."""
        self._current = int(frame)
        for cursor in self.cursors:
            cursor.setValue(self._current)
        first, last = self.visible_range()
        if not first <= self._current <= last:
            half = (last - first) / 2
            self.strip_plot.setXRange(self._current - half, self._current + half, padding=0)

    def set_frame_size(self, width: float, height: float) -> None:
        """Fix the position axes to the video's size (otherwise: the data's range)."""
        self._frame_size = (float(width), float(height))
        self._fit_position_axes()

    def visible_range(self) -> tuple[float, float]:
        (first, last), _ = self.strip_plot.getViewBox().viewRange()
        return first, last

    def set_visible_range(self, first: float, last: float) -> None:
        self.strip_plot.setXRange(first, last, padding=0)

    def show_all(self) -> None:
        self.set_visible_range(-0.5, max(1, self.n_frames) - 0.5)

    # ----- edits -------------------------------------------------------------------------
    def refresh_frames(self, frames: npt.ArrayLike, layer: str | None = None) -> None:
        """Redraw what `frames` touch now: their strip columns and the layer's curves.

        `layer` is the layer that changed (LABELS or a prediction name); None means any.
        """
        if self._labels is None:
            return
        changed = np.unique(np.asarray(frames, dtype=np.int64))
        changed = changed[(changed >= 0) & (changed < self.n_frames)]
        if changed.size == 0:
            return
        self.strip.codes[changed] = frame_states(self._labels, self._predictions.values(), changed)
        columns = self._window.columns_of(changed)
        if columns.size == 0:
            return  # nothing on screen changed; the next window rebuild reads the new values
        self.strip.update_columns(self._window, columns)
        names = self._curves if layer is None else [layer]
        for name in names:
            for curve in self._curves.get(name, ()):
                curve.update_columns(self._window, columns)

    def _on_project_changed(self, layer: str, frames: Frames) -> None:
        if not layer or self._project is None:
            return  # non-track state (review, view settings), or news from a project let go
        if set(self._project.predictions) != set(self._predictions):
            view = self.visible_range()
            self._set_layers(self._project.labels, dict(self._project.predictions))
            self.set_visible_range(*view)  # a layer came or went: keep the user's zoom
            return
        # Edits arrive one by one (a drag, a loop of accepts); draw once per event-loop turn.
        self._pending.setdefault(layer, []).append(np.asarray(frames, dtype=np.int64))
        self._flush_timer.start()

    def _flush_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for layer, chunks in pending.items():
            frames = np.concatenate(chunks)
            self.refresh_frames(frames, layer)
            frames = frames[(frames >= 0) & (frames < self.n_frames)]
            self._widen_position_axes(layer, frames)

    # ----- layers ------------------------------------------------------------------------
    def _set_layers(self, labels: Track | None, predictions: dict[str, Track]) -> None:
        for x_curve, y_curve in self._curves.values():
            for plot, curve in ((self.x_plot, x_curve), (self.y_plot, y_curve)):
                plot.removeItem(curve.item)
                plot.removeItem(curve.dots)
        self._curves = {}
        self._pending = {}
        self._labels, self._predictions = labels, predictions
        if labels is not None:
            self._add_layer(LABELS, LABEL_PEN)
            for i, name in enumerate(predictions):
                color = PREDICTION_COLORS[i % len(PREDICTION_COLORS)]
                self._add_layer(name, pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
        self._recompute_states()
        self._fit_position_axes()
        self._update_legend()
        if self.outcome_codes is not None and len(self.outcome_codes) != self.n_frames:
            self.set_outcomes(None)  # another video: the old comparison means nothing
        for vb in (plot.getViewBox() for plot in (*self.plots, self.outcome_plot)):
            vb.setLimits(xMin=-0.5, xMax=max(1, self.n_frames) - 0.5, minXRange=8)
        self._window = DisplayWindow(0, 0, 1)
        self.show_all()
        self._rebuild_window(force=True)

    def _add_layer(self, name: str, pen: QPen) -> None:
        def column(axis: str) -> Callable[[], np.ndarray]:
            return lambda: self._layer(name).column(axis)

        curves = []
        for plot, axis in ((self.x_plot, "x"), (self.y_plot, "y")):
            item = pg.PlotDataItem(pen=pen, name=name if axis == "x" else None)
            # The window is already reduced to about one point per pixel; see the module doc.
            item.setClipToView(False)
            dots = pg.ScatterPlotItem(size=DOT_SIZE, pen=None, brush=pg.mkBrush(pen.color()))
            if name == LABELS:
                item.setZValue(1)  # labels above predictions: the reference stays readable
                dots.setZValue(1)
            plot.addItem(item)
            plot.addItem(dots)
            curves.append(_PeakCurve(item, dots, column(axis)))
        self._curves[name] = (curves[0], curves[1])

    def _update_legend(self) -> None:
        """Each layer's line, then the strips' colours (the outcomes' with a comparison)."""
        entries = [_swatch("━", LABEL_PEN.color().name(), LABELS)] if self._labels else []
        for i, name in enumerate(self._predictions):
            entries.append(_swatch("╍", PREDICTION_COLORS[i % len(PREDICTION_COLORS)], name))
        entries.append("&nbsp;&nbsp;state:")
        entries += [_swatch("■", _hex(STATE_COLORS[s]), STATE_NAMES[s]) for s in FrameState]
        if self.outcome_codes is not None:
            entries.append("&nbsp;&nbsp;metrics:")
            pairs = zip(OUTCOME_NAMES, OUTCOME_COLORS, strict=True)
            entries += [_swatch("■", _hex(colour), name) for name, colour in pairs]
        self.legend.setText(" ".join(entries))

    @property
    def layer_names(self) -> list[str]:
        """The layers drawn, labels first."""
        return list(self._curves)

    def curve_items(self, layer: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        """The (x over time, y over time) curves of a layer, e.g. to restyle them."""
        x_curve, y_curve = self._curves[layer]
        return x_curve.item, y_curve.item

    def set_layer_visible(self, layer: str, visible: bool) -> None:
        """Show or hide a layer's curves (the strip still accounts for it)."""
        for curve in self._curves[layer]:
            curve.item.setVisible(visible)
            curve.dots.setVisible(visible)

    def _layer(self, name: str) -> Track:
        assert self._labels is not None
        return self._labels if name == LABELS else self._predictions[name]

    def _recompute_states(self) -> None:
        if self._labels is None:
            self.strip.codes = np.empty(0, dtype=np.uint8)
        else:
            self.strip.codes = frame_states(self._labels, self._predictions.values())

    def _fit_position_axes(self) -> None:
        """Show the whole picture and every position of every layer, even one outside the
        picture (a track imported from another video size): the plots are where an
        annotator spots glitches, so nothing may lie off them."""
        tracks = [t for t in (self._labels, *self._predictions.values()) if t is not None]
        for index, axis in enumerate(("x", "y")):
            frame = None if self._frame_size is None else (0.0, self._frame_size[index])
            spans = [_span(t.column(axis)) for t in tracks] + [frame]
            self._position_range[axis] = _union(spans)
        self._apply_position_ranges()

    def _widen_position_axes(self, layer: str, frames: Frames) -> None:
        """After an edit: widen an axis that no longer holds the edited values (never
        shrink it under the user while editing; a new project or layer set refits)."""
        track = self._layer(layer) if layer in self._curves else None
        if track is None:
            return
        widened = False
        for axis in ("x", "y"):
            current = self._position_range[axis]
            new = _union([current, _span(track.column(axis)[frames])])
            widened |= new != current
            self._position_range[axis] = new
        if widened:
            self._apply_position_ranges()

    def _apply_position_ranges(self) -> None:
        for plot, axis in ((self.x_plot, "x"), (self.y_plot, "y")):
            lo, hi = self._position_range[axis] or (0.0, 1.0)
            plot.setYRange(lo, hi, padding=0.03)

    # ----- view changes ------------------------------------------------------------------
    def _on_view_changed(self, *_args: object) -> None:
        self._rebuild_window(force=False)

    def _pixels(self) -> int:
        return max(1, int(self.strip_plot.getViewBox().width()))

    def _rebuild_window(self, force: bool) -> None:
        first, last = self.visible_range()
        n = self.n_frames
        window = DisplayWindow.covering(first, last, n, self._pixels())
        same_detail = window.bin == self._window.bin
        if not force and same_detail and self._window.contains_view(first, last, n):
            return  # the reduced window still covers the view at the right detail
        self._window = window
        self.strip.rebuild(window)
        for x_curve, y_curve in self._curves.values():
            x_curve.rebuild(window)
            y_curve.rebuild(window)

    # ----- mouse -------------------------------------------------------------------------
    def _seek_to(self, x: float) -> None:
        if self.n_frames == 0:
            return
        frame = min(max(round(x), 0), self.n_frames - 1)
        self.set_current_frame(frame)
        self.seek_requested.emit(frame)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        for plot in self.plots:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(scene_pos):
                frame = round(vb.mapSceneToView(scene_pos).x())
                if 0 <= frame < self.n_frames:
                    self.show_readout(frame)
                    self.hovered.emit(frame)
                return

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.readout.setText(" ")  # a value shown for no frame under the mouse is stale
        return super().eventFilter(watched, event)

    def show_readout(self, frame: int) -> str:
        """Write the values of `frame` in every layer into the readout line; returns it."""
        if self._labels is None or not 0 <= frame < self.n_frames:
            return ""
        state = FrameState(int(self.strip.codes[frame])).name.lower()
        parts = [f"frame {frame}  [{state}]", f"{LABELS}: {_describe(self._labels, frame)}"]
        parts += [f"{name}: {_describe(t, frame)}" for name, t in self._predictions.items()]
        text = "  |  ".join(parts)
        self.readout.setText(text)
        return text


STATE_NAMES: dict[FrameState, str] = {
    FrameState.HUMAN: "human",
    FrameState.IMPORTED: "imported",
    FrameState.INTERPOLATED: "interpolated",
    FrameState.MODEL: "model",
    FrameState.UNLABELED: "unlabeled",
    FrameState.DISAGREEMENT: "disagreement",
}
OUTCOME_NAMES = ("TP", "FP1", "FP2", "FN", "TN")


def _hex(rgb: tuple[int, int, int]) -> str:
    red, green, blue = rgb
    return f"#{red:02x}{green:02x}{blue:02x}"


def _swatch(glyph: str, colour: str, name: str) -> str:
    return f'<span style="color:{colour}">{glyph}</span>&nbsp;{html.escape(name)}'


def _span(values: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of the finite values, None when there are none."""
    finite = values[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else None


def _union(spans: list[tuple[float, float] | None]) -> tuple[float, float] | None:
    known = [s for s in spans if s is not None]
    if not known:
        return None
    return min(lo for lo, _ in known), max(hi for _, hi in known)


def _describe(track: Track, frame: int) -> str:
    visibility = Visibility(int(track.visibility[frame]))
    words = [visibility.name.lower().replace("_", " ")]
    x, y = float(track.x[frame]), float(track.y[frame])
    if math.isfinite(x):
        words.insert(0, f"x {x:.2f} y {y:.2f}")
    source = Source(int(track.source[frame]))
    if source != Source.NONE:
        words.append(source.name.lower())
    confidence = float(track.confidence[frame])
    if math.isfinite(confidence):
        words.append(f"conf {confidence:.2f}")
    return " ".join(words)


def _weak_project_listener(
    widget: TimelineWidget, project: Project
) -> Callable[[str, Frames], None]:
    """A project listener that does not keep the widget alive, and leaves once it is gone."""
    ref = weakref.ref(widget)

    def listener(layer: str, frames: Frames) -> None:
        target = ref()
        if target is None:
            project.remove_listener(listener)
            return
        target._layer_changed.emit(layer, frames)

    return listener
