"""The training loss and validation F1 of a training run, epoch by epoch: one plot pair for
the jobs dock and the fine-tuning window, fed with the rows of cloud.jobs.parse_metrics (the
metric lines entrypoints/train.py prints, under the names SageMaker uses)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

LOSS_METRIC = "train:loss"
F1_METRIC = "validation:f1"


def curves(rows: list[dict[str, float]]) -> dict[str, list[tuple[float, float]]]:
    """(epoch, value) pairs of the loss and the F1; a row without an epoch counts as its
    position."""
    points: dict[str, list[tuple[float, float]]] = {LOSS_METRIC: [], F1_METRIC: []}
    for index, row in enumerate(rows):
        epoch = float(row.get("epoch", index))
        for key, series in points.items():
            if key in row:
                series.append((epoch, float(row[key])))
    return points


class TrainingCurves(pg.GraphicsLayoutWidget):
    """Loss on the left, F1 (0-1) on the right; an optional dashed baseline on the F1 plot
    (say, the F1 before fine-tuning). pyqtgraph's dark background, like the timeline."""

    def __init__(self, f1_title: str = "Validation F1") -> None:
        super().__init__()
        self.loss_plot = self.addPlot(row=0, col=0, title="Training loss")
        self.f1_plot = self.addPlot(row=0, col=1, title=f1_title)
        for plot in (self.loss_plot, self.f1_plot):
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.3)
        self.f1_plot.setYRange(0, 1)
        self.loss_plot.getAxis("left").setWidth(56)  # losses like 0.0035 lost their ticks
        self.loss_curve = self.loss_plot.plot(
            pen=pg.mkPen("#4aa3df", width=2), symbol="o", symbolSize=5, symbolBrush="#4aa3df"
        )
        self.f1_curve = self.f1_plot.plot(
            pen=pg.mkPen("#2ecc71", width=2), symbol="o", symbolSize=5, symbolBrush="#2ecc71"
        )
        dashed = pg.mkPen("#e67e22", style=Qt.PenStyle.DashLine)
        self.baseline = pg.InfiniteLine(angle=0, pen=dashed)
        self.baseline_label = pg.TextItem(color="#e67e22", anchor=(0, 1))
        for item in (self.baseline, self.baseline_label):
            item.hide()
            self.f1_plot.addItem(item)

    def show_rows(self, rows: list[dict[str, float]]) -> None:
        points = curves(rows)
        for curve, key in ((self.loss_curve, LOSS_METRIC), (self.f1_curve, F1_METRIC)):
            curve.setData([p[0] for p in points[key]], [p[1] for p in points[key]])

    def mark_baseline(self, value: float, label: str) -> None:
        self.baseline.setValue(value)
        self.baseline_label.setText(label)
        self.baseline_label.setPos(0, value)
        self.baseline.show()
        self.baseline_label.show()
