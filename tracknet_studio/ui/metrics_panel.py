"""The metrics panel: a prediction layer against the labels, by tracknet.metrics.

Each frame's outcome and the counts come from `tracknet.metrics.frame_outcomes` — the one
metrics implementation, shared with training and `tracknet-studio evaluate` — so the
panel's numbers are the numbers a training run reports.
Frames compared: those the labels have a label for, inside the chosen range; an occluded
label without a position is left out (there is nothing to measure against).

Below the numbers, the distance between prediction and label over time (where both have a
ball) with the tolerance as a line; clicking a point seeks to its frame. The per-frame
outcome goes to the timeline as a strip (`outcomes_changed`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)
from tracknet.metrics import OUTCOMES, Counts

from tracknet_studio.core import Project
from tracknet_studio.inference.compare import (
    DEFAULT_TOLERANCE,
    Comparison,
    compare,
)

from .timeline import OUTCOME_COLORS

REFRESH_MS = 150  # edits arrive in bursts (a drag): recompute once they pause
RangeProvider = Callable[[], "tuple[int, int] | None"]


class MetricsPanel(QWidget):
    """Choose a layer, tolerance, space and range; read the metrics; click the error plot."""

    seek_requested = Signal(int)
    outcomes_changed = Signal(object)  # every frame's outcome code, or None (nothing compared)
    _project_edited = Signal()  # a track was edited (from any thread): compare again soon

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metricsPanel")
        self.project: Project | None = None
        self.frame_size: tuple[int, int] | None = None
        self.comparison: Comparison | None = None
        self.range_provider: RangeProvider = lambda: None
        self._range_used: tuple[int, int] | None = None
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._project_edited.connect(self._refresh_timer.start)
        # The in/out range has no signal of its own: look at it now and then while it is used.
        self._range_timer = QTimer(self, interval=500)
        self._range_timer.timeout.connect(self._check_range)
        self._build()

    # ----- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("metricsLayer")
        self.tolerance = QDoubleSpinBox()
        self.tolerance.setObjectName("metricsTolerance")
        self.tolerance.setRange(0.5, 200.0)
        self.tolerance.setDecimals(1)
        self.tolerance.setSingleStep(1.0)
        self.tolerance.setSuffix(" px")
        self.tolerance.setValue(DEFAULT_TOLERANCE)
        self.space_combo = QComboBox()
        self.space_combo.setObjectName("metricsSpace")
        self.space_combo.addItem("original video", "original")
        self.space_combo.addItem("input 288×512", "input")
        self.range_combo = QComboBox()
        self.range_combo.setObjectName("metricsRange")
        self.range_combo.addItem("whole video", "video")
        self.range_combo.addItem("in–out range", "in_out")
        for combo in (self.layer_combo, self.space_combo, self.range_combo):
            combo.currentIndexChanged.connect(self.refresh)
        self.tolerance.valueChanged.connect(self._refresh_timer.start)
        self.range_combo.currentIndexChanged.connect(self._follow_range_choice)
        choices = QFormLayout()
        choices.addRow("Prediction layer:", self.layer_combo)
        row = QHBoxLayout()
        row.addWidget(self.tolerance)
        row.addWidget(QLabel("in"))
        row.addWidget(self.space_combo, 1)
        choices.addRow("Tolerance:", row)
        choices.addRow("Frames:", self.range_combo)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("errorPlot")
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("left", "error (px)")
        self.plot.setLabel("bottom", "frame")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.error_curve = pg.PlotDataItem(pen=pg.mkPen("#ff9f1c", width=1), connect="finite")
        self.error_points = pg.ScatterPlotItem(size=5, pen=None, hoverable=True, tip=None)
        self.error_points.sigClicked.connect(self._on_points_clicked)
        self.tolerance_line = pg.InfiniteLine(
            DEFAULT_TOLERANCE, angle=0, pen=pg.mkPen("#e74c3c", style=Qt.PenStyle.DashLine)
        )
        for item in (self.error_curve, self.error_points, self.tolerance_line):
            self.plot.addItem(item)
        self.plot.setMinimumHeight(140)
        column = QVBoxLayout(self)
        column.addLayout(choices)
        column.addWidget(self._build_numbers())
        self.protocol = QLabel()
        self.protocol.setObjectName("metricsProtocol")
        self.protocol.setWordWrap(True)
        self.protocol.setStyleSheet("color: gray")
        column.addWidget(self.protocol)
        column.addWidget(self.plot, 1)

    def _build_numbers(self) -> QWidget:
        """The four ratios in two rows, then the five counts, each titled in the colour the
        timeline's outcome strip gives it."""
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 4, 0, 4)
        self.values: dict[str, QLabel] = {}
        ratios = (("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"),
                  ("accuracy", "Accuracy"))  # fmt: skip
        for i, (name, title) in enumerate(ratios):
            row, col = divmod(i, 2)
            grid.addWidget(QLabel(title + ":"), row, 5 * col, 1, 2)
            grid.addWidget(self._value(name), row, 5 * col + 2, 1, 3)
        for i, outcome in enumerate(OUTCOMES):
            title = QLabel(outcome.name)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            red, green, blue = OUTCOME_COLORS[i]
            title.setStyleSheet(f"color: rgb({red}, {green}, {blue}); font-weight: bold")
            grid.addWidget(title, 2, 2 * i, 1, 2)
            grid.addWidget(self._value(outcome.value, centre=True), 3, 2 * i, 1, 2)
        return box

    def _value(self, name: str, centre: bool = False) -> QLabel:
        value = QLabel("–")
        value.setObjectName(f"metric_{name}")
        align = Qt.AlignmentFlag.AlignCenter if centre else Qt.AlignmentFlag.AlignLeft
        value.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        value.setStyleSheet("font-weight: bold")
        self.values[name] = value
        return value

    # ----- inputs ------------------------------------------------------------------------
    def set_project(self, project: Project | None, frame_size: tuple[int, int] | None) -> None:
        """Compare within `project` (None: nothing); `frame_size` is the video's (w, h)."""
        if self.project is not None:
            self.project.remove_listener(self._on_project_changed)
        self.project, self.frame_size = project, frame_size
        if project is not None:
            project.add_listener(self._on_project_changed)
        self._fill_layers()
        self.refresh()

    def _on_project_changed(self, layer: str, frames: object) -> None:
        if layer:  # track edits only; the rest (review, view state) changes no number
            self._project_edited.emit()

    def _fill_layers(self) -> None:
        names = list(self.project.predictions) if self.project is not None else []
        current = self.layer_combo.currentText()
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems(names)
        if current in names:
            self.layer_combo.setCurrentText(current)
        elif names:
            self.layer_combo.setCurrentIndex(len(names) - 1)  # the newest run
        self.layer_combo.blockSignals(False)

    def select(self, layer: str | None = None, tolerance: float | None = None,
               space: str | None = None, in_out: bool | None = None) -> None:  # fmt: skip
        """Set any of the choices at once (one refresh), as a user would in the widgets."""
        widgets = (self.layer_combo, self.tolerance, self.space_combo, self.range_combo)
        for widget in widgets:
            widget.blockSignals(True)
        if layer is not None:
            self.layer_combo.setCurrentText(layer)
        if tolerance is not None:
            self.tolerance.setValue(tolerance)
        if space is not None:
            self.space_combo.setCurrentIndex(self.space_combo.findData(space))
        if in_out is not None:
            self.range_combo.setCurrentIndex(1 if in_out else 0)
        for widget in widgets:
            widget.blockSignals(False)
        self._follow_range_choice()
        self.refresh()

    def _follow_range_choice(self) -> None:
        if self.range_combo.currentData() == "in_out":
            self._range_timer.start()
        else:
            self._range_timer.stop()

    def _check_range(self) -> None:
        if self.range_provider() != self._range_used:
            self.refresh()

    # ----- output ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute everything from the current choices."""
        if self.project is not None and set(self.project.predictions) != set(
            self.layer_combo.itemText(i) for i in range(self.layer_combo.count())
        ):
            self._fill_layers()
        self.comparison = self._compare()
        self._show(self.comparison)
        codes = (
            None
            if self.comparison is None or self.project is None
            else self.comparison.outcome_codes(self.project.n_frames)
        )
        self.outcomes_changed.emit(codes)

    def _compare(self) -> Comparison | None:
        project, name = self.project, self.layer_combo.currentText()
        if project is None or name not in project.predictions:
            return None
        space = self.space_combo.currentData()
        if space == "input" and self.frame_size is None:
            return None
        self._range_used = self.range_provider()
        start, stop = (0, project.n_frames)
        if self.range_combo.currentData() == "in_out" and self._range_used is not None:
            start, stop = self._range_used
        tolerance = self.tolerance.value()
        self.tolerance_line.setValue(tolerance)
        return compare(
            project.labels, project.predictions[name], tolerance=tolerance, space=space,
            original_size=self.frame_size, start=start, stop=stop,
        )  # fmt: skip

    def _show(self, comparison: Comparison | None) -> None:
        self._frame_axis()
        if comparison is None:
            for label in self.values.values():
                label.setText(UNDEFINED)
            self.protocol.setText("Run a model (Model > Run Model…) to compare its layer.")
            self.error_curve.setData([], [])
            self.error_points.setData([])
            return
        counts = comparison.counts
        for name, value in counts.metrics().items():
            defined = _defined(counts)[name]
            self.values[name].setText(f"{value:.3f}" if defined else UNDEFINED)
        for name, value in counts.as_dict().items():
            self.values[name].setText(str(value))
        space = self.space_combo.currentText()
        self.protocol.setText(
            f"{len(comparison.frames)} labelled frames; tolerance {self.tolerance.value():g} px"
            f" in {space} pixels; ball = visibility 1, 2, 3 (tracknet.metrics)"
            + _why_undefined(counts)
        )
        measured = np.isfinite(comparison.error)
        frames, error = comparison.frames[measured], comparison.error[measured]
        # The curve breaks where a frame has no error (a miss); the points are what clicks.
        self.error_curve.setData(comparison.frames.astype(float), comparison.error)
        brushes = [
            pg.mkBrush("#2ecc71" if e <= self.tolerance.value() else "#e74c3c") for e in error
        ]
        self.error_points.setData(
            x=frames.astype(float), y=error, data=frames.tolist(), brush=brushes
        )

    def _frame_axis(self) -> None:
        """The error plot spans the frames compared (this video's, not the last one's)."""
        start, stop = 0, 1
        if self.project is not None:
            start, stop = 0, max(1, self.project.n_frames)
            if self.range_combo.currentData() == "in_out" and self._range_used is not None:
                start, stop = self._range_used
        self.plot.setXRange(start, stop, padding=0.02)

    def _on_points_clicked(self, _item: object, points: list, *_args: object) -> None:
        if len(points):
            self.seek_requested.emit(int(points[0].data()))

    def numbers(self) -> dict[str, str]:
        """What the panel shows, by metric name (for tests and screenshots)."""
        return {name: label.text() for name, label in self.values.items()}


UNDEFINED = "—"  # a ratio of nothing: 0.000 would read as "the model is useless"


def _defined(counts: Counts) -> dict[str, bool]:
    """Which ratios have a denominator: precision needs a prediction, recall a labelled
    ball, F1 both, accuracy a frame."""
    predicted = counts.tp + counts.fp1 + counts.fp2 > 0
    labelled_ball = counts.tp + counts.fn > 0
    return {"precision": predicted, "recall": labelled_ball,
            "f1": predicted and labelled_ball, "accuracy": counts.total > 0}  # fmt: skip


def _why_undefined(counts: Counts) -> str:
    if counts.total == 0:
        return (f". {UNDEFINED}: no labelled frame in these frames to compare with; label some "
                "(click the ball, or File > Import Labels) and the numbers follow")  # fmt: skip
    defined = _defined(counts)
    if not defined["recall"]:
        return f". {UNDEFINED}: no labelled frame here shows the ball"
    if not defined["precision"]:
        return f". {UNDEFINED}: the layer finds no ball in the labelled frames"
    return ""
