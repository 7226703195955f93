"""Timeline and track-table benchmark on a 650,000-frame track (a 3-hour match at 60 fps).

Figures, each beside a baseline measured in the same run on the same widget size:

1. timeline full repaint (`grab()`), showing the whole track, p50/p95; baseline: plain
   pyqtgraph drawing the same curves (every layer's x and y over time, all frames, with
   pyqtgraph's own peak downsampling and clip-to-view) and the same state strip as an
   image, at the same size (goal: under 50 ms and within 1.5x the baseline, which draws
   less: no cursor, no outcome strip, no dots for lone labels);
2. timeline zoom and pan (set the visible range, then repaint), over zoom levels from the
   whole match down to 100 frames, p50/p95, against the baseline doing the same (goal: no
   slower than the baseline);
3. edit-to-screen latency: an undoable edit of one label (QUndoStack push), the change
   notification, the timeline's coalesced refresh, and the event loop painting both the
   timeline and the track table showing that frame, p50/p95;
4. track table, one page down (scroll bar step, then repaint), p50/p95, beside the same
   table over a 1,000-frame track: equal times show the model reads only what is shown.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_timeline.py [--frames N] [--reps N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QWidget

from tracknet_studio.core import Project, Source, Track, Visibility
from tracknet_studio.core.frame_states import frame_states
from tracknet_studio.ui.timeline import _STATE_RGBA, TimelineWidget
from tracknet_studio.ui.track_table import TrackTableModel, TrackTableView
from tracknet_studio.ui.undo import push_track_update

WIDTH, HEIGHT = 1600, 320  # a timeline under a full-HD video
TABLE_SIZE = (700, 500)


# ------------------------------------------------------------------ data
def make_match(n_frames: int, seed: int = 0) -> Project:
    """Rallies of 4-30 s separated by 5-25 s breaks; a ball that flies, bounces, is hit.

    Labels: human in the first third, imported after, interpolated short holes, sprinkled
    "no ball" and occluded frames; unlabeled breaks. Two prediction layers with noise,
    confidence, dropouts and occasional outliers.
    """
    rng = np.random.default_rng(seed)
    rally = np.zeros(n_frames, dtype=bool)
    frame = 0
    while frame < n_frames:
        frame += int(rng.integers(300, 1500))  # break
        length = int(rng.integers(240, 1800))
        rally[frame : frame + length] = True
        frame += length
    t = np.arange(n_frames, dtype=np.float64)
    x = 640 + 420 * np.sin(t / 97.0) + 60 * np.sin(t / 13.0)
    y = 160 + 380 * np.abs(np.sin(t / 41.0))
    labels = Track(n_frames)
    frames = np.flatnonzero(rally)
    third = n_frames // 3
    human, imported = frames[frames < third], frames[frames >= third]
    labels.set_points(human, x[human], y[human], source=Source.HUMAN)
    labels.set_points(imported, x[imported], y[imported], source=Source.IMPORTED)
    holes = frames[rng.random(frames.size) < 0.03]
    labels.update(holes, source=Source.INTERPOLATED)
    labels.set_no_ball(frames[rng.random(frames.size) < 0.02])
    occluded = frames[rng.random(frames.size) < 0.01]
    labels.update(occluded, visibility=Visibility.OCCLUDED)
    predictions = {name: _prediction(x, y, frames, n_frames, rng) for name in ("v1", "v2")}
    return Project(labels=labels, predictions=predictions)


def _prediction(
    x: np.ndarray, y: np.ndarray, frames: np.ndarray, n: int, rng: np.random.Generator
) -> Track:
    seen = frames[rng.random(frames.size) > 0.05]
    noise = rng.normal(0, 3, (2, seen.size))
    outliers = rng.random(seen.size) < 0.005
    noise[:, outliers] += rng.normal(0, 200, (2, int(outliers.sum())))
    track = Track(n)
    track.set_points(
        seen,
        x[seen] + noise[0],
        y[seen] + noise[1],
        source=Source.MODEL,
        confidence=rng.uniform(0.2, 1.0, seen.size),
    )
    return track


# ------------------------------------------------------------------ timing
def timed(action: Callable[[], object], reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def report(name: str, times: list[float], baseline: list[float] | None = None) -> None:
    p50, p95 = summary(times)
    line = f"{name:<48} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms"
    if baseline is not None:
        b50, _ = summary(baseline)
        line += f"  ({p50 / b50:5.1f}x baseline p50 {b50:.2f} ms)"
    print(line)


def show(widget: QWidget, size: tuple[int, int]) -> None:
    widget.resize(*size)
    widget.show()
    QApplication.processEvents()


# ------------------------------------------------------------------ figures
def bench_timeline(project: Project, reps: int) -> list[str]:
    """The figures; returns the goals missed."""
    plain = _plain_pyqtgraph(project)
    baseline = timed(plain.grab, reps)
    report("plain pyqtgraph, same curves + strip (baseline)", baseline)
    plain_zoom = _zoom_times(plain, project.n_frames, reps, lambda w, a, b: w.x_plot.setXRange(
        a, b, padding=0))  # fmt: skip
    report("plain pyqtgraph set range + repaint (baseline)", plain_zoom)

    start = time.perf_counter()
    timeline = TimelineWidget()
    timeline.set_project(project)
    timeline.set_frame_size(1280, 720)
    show(timeline, (WIDTH, HEIGHT))
    print(f"{'timeline set_project + first show':<48} {(time.perf_counter() - start) * 1e3:.0f} ms")

    timeline.show_all()
    whole = timed(timeline.grab, reps)
    report("timeline repaint, whole match", whole, baseline)

    n = project.n_frames
    zoom = _zoom_times(timeline, n, reps, lambda w, a, b: w.set_visible_range(a, b))
    report("timeline set range (100..650k frames) + repaint", zoom, plain_zoom)
    missed = []
    if summary(whole)[0] > 1.5 * summary(baseline)[0]:
        missed.append("whole-match repaint over 1.5x plain pyqtgraph")
    if summary(whole)[0] > 50:
        missed.append("whole-match repaint over 50 ms")
    if summary(zoom)[0] > summary(plain_zoom)[0]:
        missed.append("zoom and pan slower than plain pyqtgraph")

    timeline.show_all()
    wheel = timed(lambda: _wheel_step(timeline), reps)
    report("timeline wheel-like zoom step + repaint", wheel, baseline)

    table_model, table = _table(project.labels, QUndoStack())
    bench_edit_latency(project, timeline, table, reps, baseline)
    table.close()
    del table_model
    return missed


def _zoom_times(
    widget: QWidget, n: int, reps: int, set_range: Callable[[QWidget, float, float], None]
) -> list[float]:
    """Set a visible range from 100 frames to the whole match, then repaint; same ranges
    for every widget measured (one seed)."""
    rng = np.random.default_rng(1)
    spans = iter(rng.permutation(np.geomspace(100, n, reps)))

    def zoom_and_paint() -> None:
        span = next(spans)
        first = rng.uniform(0, max(1.0, n - span))
        set_range(widget, first, first + span)
        widget.grab()

    return timed(zoom_and_paint, reps)


class _PlainTimeline(pg.GraphicsLayoutWidget):
    """The same picture drawn the plain pyqtgraph way: full-length curves and a full-length
    strip image, pyqtgraph deciding what to reduce."""

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.x_plot = self.addPlot(row=0, col=0)
        y_plot = self.addPlot(row=1, col=0)
        strip = self.addPlot(row=2, col=0)
        y_plot.setXLink(self.x_plot)
        strip.setXLink(self.x_plot)
        frames = np.arange(project.n_frames, dtype=np.float64)
        layers = {"labels": project.labels, **project.predictions}
        for plot, axis in ((self.x_plot, "x"), (y_plot, "y")):
            for track in layers.values():
                item = plot.plot(frames, track.column(axis), connect="finite")
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
        codes = frame_states(project.labels, project.predictions.values())
        rgba = _STATE_RGBA[codes][:, np.newaxis, :]
        strip.addItem(pg.ImageItem(rgba, axisOrder="col-major"))
        strip.setMaximumHeight(46)


def _plain_pyqtgraph(project: Project) -> _PlainTimeline:
    widget = _PlainTimeline(project)
    show(widget, (WIDTH, HEIGHT))
    return widget


def _wheel_step(timeline: TimelineWidget) -> None:
    first, last = timeline.visible_range()
    centre, half = (first + last) / 2, (last - first) / 2 * 0.85
    if half < 50:
        timeline.show_all()
    else:
        timeline.set_visible_range(centre - half, centre + half)
    timeline.grab()


def bench_edit_latency(
    project: Project,
    timeline: TimelineWidget,
    table: TrackTableView,
    reps: int,
    baseline: list[float],
) -> None:
    stack = QUndoStack()
    labels = project.labels
    human = np.flatnonzero(labels.source == Source.HUMAN)
    frames = iter(np.random.default_rng(2).choice(human, reps, replace=False).tolist())

    paints = {"timeline": 0, "table": 0}
    counters = [
        _PaintCounter(paints, "timeline", timeline.graphics.viewport()),
        _PaintCounter(paints, "table", table.viewport()),
    ]

    def edit_to_screen(zoomed: bool) -> float:
        frame = next(frames)
        if zoomed:
            timeline.set_visible_range(frame - 300, frame + 300)
        table.set_current_frame(frame)
        QApplication.processEvents()
        painted = paints.copy()
        start = time.perf_counter()
        x, y = float(labels.x[frame]) + 5, float(labels.y[frame])
        push_track_update(stack, labels, [frame], text="move", x=x, y=y)
        # The event loop runs the timeline's coalesced refresh, then paints the timeline and
        # the table on screen (the offscreen platform paints as a screen would); stop once
        # both have painted.
        while not all(paints[key] > painted[key] for key in paints):
            QApplication.processEvents()
            if time.perf_counter() - start > 2:
                raise RuntimeError("the edit was never painted")
        return (time.perf_counter() - start) * 1000

    timeline.show_all()
    whole = [edit_to_screen(False) for _ in range(reps // 2)]
    zoomed = [edit_to_screen(True) for _ in range(reps // 2)]
    report("edit -> refresh -> repaint, whole match", whole, baseline)
    report("edit -> refresh -> repaint, 600 frames shown", zoomed, baseline)
    del counters


class _PaintCounter(QObject):
    """Counts paint events a widget receives (installed as its event filter)."""

    def __init__(self, counts: dict[str, int], key: str, widget: QWidget) -> None:
        super().__init__(widget)
        self.counts, self.key = counts, key
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.counts[self.key] += 1
        return False


def _table(track: Track, stack: QUndoStack) -> tuple[TrackTableModel, TrackTableView]:
    model = TrackTableModel(track, stack)
    view = TrackTableView(model)
    show(view, TABLE_SIZE)
    return model, view


def _page_down_times(track: Track, reps: int, start_fraction: float) -> list[float]:
    """Page down through a table of `track` from `start_fraction` of its length."""
    _model, view = _table(track, QUndoStack())
    bar = view.verticalScrollBar()
    steps = min(reps, bar.maximum() // max(1, bar.pageStep()) - 1)
    bar.setValue(int(bar.maximum() * start_fraction))

    def page_down() -> None:
        bar.setValue(bar.value() + bar.pageStep())
        view.viewport().grab()

    times = timed(page_down, steps)
    view.close()
    return times


def bench_table(project: Project, reps: int) -> None:
    small = Track(1000)
    small.set_points(np.arange(1000), np.arange(1000.0), np.arange(1000.0))
    baseline = _page_down_times(small, reps, 0.0)
    report("table page down, 1,000-frame track (baseline)", baseline)
    big = _page_down_times(project.labels, reps, 1 / 3)
    report(f"table page down, {len(project.labels):,}-frame track", big, baseline)

    _model, view = _table(project.labels, QUndoStack())
    rows = iter(np.random.default_rng(3).integers(0, len(project.labels), reps).tolist())

    def jump() -> None:
        view.set_current_frame(next(rows))
        view.viewport().grab()

    report("table set_current_frame (random jump) + repaint", timed(jump, reps))
    view.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=650_000)
    parser.add_argument("--reps", type=int, default=60)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    start = time.perf_counter()
    project = make_match(args.frames)
    states = np.bincount(project.labels.source, minlength=len(Source))
    print(
        f"{args.frames:,} frames built in {time.perf_counter() - start:.1f} s; label sources "
        + ", ".join(f"{s.name.lower()} {states[s]:,}" for s in Source)
    )
    print(f"timeline {WIDTH}x{HEIGHT}, table {TABLE_SIZE[0]}x{TABLE_SIZE[1]}, {args.reps} reps")
    missed = bench_timeline(project, args.reps)
    bench_table(project, args.reps)
    del app
    if missed:
        print("FAILED: " + "; ".join(missed))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
