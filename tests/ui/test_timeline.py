"""The timeline: seeking, hover readout, the state strip, partial refresh, prediction layers."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from tracknet_studio.core import LABELS, Project, Source, Track
from tracknet_studio.core.frame_states import DisplayWindow, FrameState, frame_states
from tracknet_studio.ui import timeline as timeline_module
from tracknet_studio.ui.timeline import STATE_COLORS, TimelineWidget
from tracknet_studio.ui.undo import push_track_update

from ._project_support import place

pytestmark = pytest.mark.ui

N = 200


def make_project(n: int = N) -> Project:
    """Human 0-49, imported 50-99, interpolated 100-119, unlabeled 120-199 where a model
    predicts 150-199; the prediction follows the labels except far off at frame 30."""
    t = np.arange(n, dtype=np.float64)
    x, y = 100 + t, 50 + (t % 40)
    labels = Track(n)
    for frames, source in (
        (np.arange(0, 50), Source.HUMAN),
        (np.arange(50, 100), Source.IMPORTED),
        (np.arange(100, 120), Source.INTERPOLATED),
    ):
        labels.set_points(frames, x[frames], y[frames], source=source)
    predicted = np.r_[0:120, 150:n]
    prediction = Track(n)
    prediction.set_points(predicted, x[predicted] + 1, y[predicted], source=Source.MODEL)
    prediction.update([30], x=x[30] + 50)
    return Project(labels=labels, predictions={"tracknet": prediction})


@pytest.fixture
def project() -> Project:
    return make_project()


@pytest.fixture
def timeline(qtbot, project: Project) -> TimelineWidget:
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 320)
    widget.set_project(project)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_all()
    return widget


def widget_point(timeline: TimelineWidget, plot, frame: float) -> QPoint:
    """Where, on the graphics viewport, `frame` lies inside `plot` (vertically centred)."""
    vb = plot.getViewBox()
    (_, _), (y0, y1) = vb.viewRange()
    scene = vb.mapViewToScene(QPointF(frame, (y0 + y1) / 2))
    return timeline.graphics.mapFromScene(scene)


def rgba(state: FrameState) -> list[int]:
    return [*STATE_COLORS[state], 255]


def test_frame_states_cover_every_kind(project: Project) -> None:
    states = frame_states(project.labels, project.predictions.values())
    assert states[10] == FrameState.HUMAN
    assert states[30] == FrameState.DISAGREEMENT  # 50 px from the label
    assert states[60] == FrameState.IMPORTED
    assert states[110] == FrameState.INTERPOLATED
    assert states[130] == FrameState.UNLABELED
    assert states[160] == FrameState.MODEL  # no label, but a prediction
    only = frame_states(project.labels, project.predictions.values(), [30, 130])
    assert only.tolist() == [FrameState.DISAGREEMENT, FrameState.UNLABELED]
    loose = frame_states(project.labels, project.predictions.values(), tolerance=60)
    assert loose[30] == FrameState.HUMAN


@pytest.mark.parametrize("plot_name", ["x_plot", "y_plot", "strip_plot"])
def test_click_seeks_to_the_frame_under_the_mouse(
    qtbot, timeline: TimelineWidget, plot_name: str
) -> None:
    point = widget_point(timeline, getattr(timeline, plot_name), 123.2)
    with qtbot.waitSignal(timeline.seek_requested) as signal:
        qtbot.mouseClick(timeline.graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert signal.args == [123]
    assert timeline.current_frame == 123
    assert all(cursor.value() == 123 for cursor in timeline.cursors)


def test_drag_along_the_strip_scrubs(qtbot, timeline: TimelineWidget) -> None:
    viewport = timeline.graphics.viewport()
    seeks: list[int] = []
    timeline.seek_requested.connect(seeks.append)
    start, end = (widget_point(timeline, timeline.strip_plot, f) for f in (40, 90))
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for fraction in (0.3, 0.6, 1.0):
        point = start + (end - start) * fraction
        move = QMouseEvent(
            QMouseEvent.Type.MouseMove,
            QPointF(point),
            viewport.mapToGlobal(QPointF(point)),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        qtbot.wait(15)  # pyqtgraph drops mouse moves closer than 10 ms apart
        QApplication.sendEvent(viewport, move)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    assert seeks and seeks[-1] == 90
    assert len(set(seeks)) >= 2  # it followed the mouse, not only the release


def test_hover_shows_readout(qtbot, timeline: TimelineWidget) -> None:
    viewport = timeline.graphics.viewport()
    point = widget_point(timeline, timeline.x_plot, 30)
    with qtbot.waitSignal(timeline.hovered) as signal:
        qtbot.mouseMove(viewport, point)
    assert signal.args == [30]
    text = timeline.readout.text()
    assert text.startswith("frame 30  [disagreement]")
    assert "labels: x 130.00 y 80.00 visible human" in text
    assert "tracknet: x 180.00 y 80.00 visible model" in text
    assert "unlabeled" in timeline.show_readout(130)


def test_strip_colours_match_states_frame_by_frame(timeline: TimelineWidget) -> None:
    window = timeline.display_window
    assert window.bin == 1  # 200 frames across 900 px: one column per frame
    image = timeline.strip.main_rgba[:, 0, :]
    problems = timeline.strip.problem_rgba[:, 0, 3]
    assert problems[30 - window.start] == 255
    assert np.count_nonzero(problems) == 1
    for frame, state in [
        (10, FrameState.HUMAN),
        (30, FrameState.DISAGREEMENT),
        (60, FrameState.IMPORTED),
        (110, FrameState.INTERPOLATED),
        (130, FrameState.UNLABELED),
        (160, FrameState.MODEL),
    ]:
        assert image[frame - window.start].tolist() == rgba(state), frame


def test_zoomed_out_strip_shows_majority_and_marks_disagreement(qtbot) -> None:
    n = 20_000
    labels = Track(n)
    labels.set_points(np.arange(n), np.full(n, 5.0), np.full(n, 5.0))
    labels.clear(np.arange(10_000, 12_000))  # a break between rallies
    labels.clear([777])  # one unlabeled frame among human ones
    prediction = Track(n)
    prediction.set_points([5555], [500.0], [5.0], source=Source.MODEL)  # one outlier
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.set_track(labels, {"model": prediction})
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_all()
    window = widget.display_window
    assert window.bin > 16 and window.n_columns == widget.strip.main_rgba.shape[0]

    def column(frame: int) -> int:
        return (frame - window.start) // window.bin

    main = widget.strip.main_rgba[:, 0, :]
    assert main[column(777)].tolist() == rgba(FrameState.HUMAN)  # outvoted when zoomed out
    assert main[column(11_000)].tolist() == rgba(FrameState.UNLABELED)
    alpha = widget.strip.problem_rgba[:, 0, 3]
    assert np.flatnonzero(alpha).tolist() == [column(5555)]
    assert 0 < alpha[column(5555)] < 255  # one frame in a column: faint, not solid


def test_zoomed_out_curves_survive_gaps(qtbot) -> None:
    """pyqtgraph's own peak downsampling turns any bin holding a NaN into a gap."""
    n = 50_000
    labels = Track(n)
    frames = np.arange(0, n, 2)  # every other frame has no ball
    labels.set_points(frames, frames.astype(float), np.full(frames.size, 9.0))
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(500, 300)
    widget.set_track(labels)
    widget.show_all()
    _, ys = widget.curve_items(LABELS)[0].getData()
    assert widget.display_window.bin > 1
    assert np.isfinite(ys).all()
    assert ys.max() >= n - 2 - widget.display_window.bin


def test_refresh_after_edit_updates_only_those_columns(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 20_000
    project = make_project(n)
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(700, 300)
    widget.set_project(project)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_all()
    window = widget.display_window
    assert window.bin > 1
    before = widget.strip.main_rgba.copy()
    problems_before = widget.strip.problem_rgba.copy()
    computed: list[list[int]] = []
    original = timeline_module.frame_states

    def spy(labels, predictions, frames=None, tolerance=10.0):
        computed.append(np.asarray(frames).tolist())
        return original(labels, predictions, frames, tolerance)

    monkeypatch.setattr(timeline_module, "frame_states", spy)
    # Two label edits and one prediction edit: one refresh per layer, of those frames only.
    project.labels.set_points([5000], [1.0], [1.0])  # 100 px from the prediction there
    project.labels.set_points([5001], [1.0], [1.0])
    project.predictions["tracknet"].update([70], x=900.0)  # far from the label
    qtbot.waitUntil(lambda: len(computed) >= 2)
    assert sorted(computed) == [[70], [5000, 5001]]
    changed = np.flatnonzero((widget.strip.problem_rgba != problems_before).any(axis=(1, 2)))
    assert changed.tolist() == sorted((f - window.start) // window.bin for f in (70, 5000))
    assert (widget.strip.main_rgba == before).all()  # one frame never outvotes its column
    assert widget.state_codes[5000] == FrameState.DISAGREEMENT
    assert widget.state_codes[70] == FrameState.DISAGREEMENT


def test_refresh_redraws_the_edited_layer_curve(qtbot, timeline: TimelineWidget, project) -> None:
    project.labels.update([40], x=777.0)
    timeline.refresh_frames([40], LABELS)
    xs, ys = timeline.curve_items(LABELS)[0].getData()
    assert ys[np.searchsorted(xs, 40)] == 777.0
    project.labels.clear([45])  # a prediction remains there: the frame turns "model"
    timeline.refresh_frames([45])
    column = 45 - timeline.display_window.start
    assert timeline.strip.main_rgba[column, 0].tolist() == rgba(FrameState.MODEL)


def test_every_layer_has_its_own_curves(qtbot, timeline: TimelineWidget, project) -> None:
    assert timeline.layer_names == [LABELS, "tracknet"]
    label_pen = timeline.curve_items(LABELS)[0].opts["pen"]
    prediction_pen = timeline.curve_items("tracknet")[0].opts["pen"]
    assert label_pen.style() == Qt.PenStyle.SolidLine
    assert prediction_pen.style() == Qt.PenStyle.DashLine
    assert label_pen.color() != prediction_pen.color()
    _, ys = timeline.curve_items("tracknet")[1].getData()
    np.testing.assert_array_equal(ys, project.predictions["tracknet"].y[: len(ys)])

    second = Track(N)
    second.set_points([125], [300.0], [20.0], source=Source.MODEL)
    timeline.set_visible_range(100, 150)
    project.add_prediction("v2", second)
    qtbot.waitUntil(lambda: "v2" in timeline.layer_names)
    assert timeline.visible_range() == pytest.approx((100, 150))
    assert timeline.state_codes[125] == FrameState.MODEL
    assert "v2:" in timeline.show_readout(125)
    project.remove_prediction("v2")
    qtbot.waitUntil(lambda: "v2" not in timeline.layer_names)
    timeline.set_layer_visible("tracknet", False)
    assert not any(item.isVisible() for item in timeline.curve_items("tracknet"))


def test_wheel_zooms_time_only(qtbot, timeline: TimelineWidget) -> None:
    vb = timeline.x_plot.getViewBox()
    (x0, x1), y_before = vb.viewRange()
    point = widget_point(timeline, timeline.x_plot, 100)
    viewport = timeline.graphics.viewport()
    wheel = QWheelEvent(
        QPointF(point),
        viewport.mapToGlobal(QPointF(point)),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, wheel)
    (z0, z1), y_after = vb.viewRange()
    assert z1 - z0 < (x1 - x0) * 0.9
    assert z0 <= 100 <= z1
    assert y_after == y_before
    assert timeline.strip_plot.getViewBox().viewRange()[0] == [z0, z1]  # time axis shared


def test_set_current_frame_follows_off_screen(timeline: TimelineWidget) -> None:
    timeline.set_visible_range(0, 50)
    timeline.set_current_frame(20)
    assert timeline.visible_range() == pytest.approx((0, 50))
    timeline.set_current_frame(150)
    first, last = timeline.visible_range()
    assert first <= 150 <= last and last - first == pytest.approx(50)


def test_display_window_is_aligned_and_covers_the_view() -> None:
    window = DisplayWindow.covering(1000.0, 9000.0, 650_000, 500)
    assert window.bin == 16 and window.start % 16 == 0
    assert window.contains_view(1000, 9000, 650_000)
    assert DisplayWindow.covering(0, 100, 50, 500) == DisplayWindow(0, 50, 1)


def test_empty_timeline(qtbot) -> None:
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.set_project(None)
    widget.refresh_frames([1, 2])
    assert widget.n_frames == 0 and widget.show_readout(0) == ""


def test_edits_from_a_worker_thread_reach_the_widget_thread(qtbot, timeline, project) -> None:
    worker = threading.Thread(target=lambda: project.predictions["tracknet"].clear([160]))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: timeline.state_codes[160] == FrameState.UNLABELED)


def test_the_timeline_and_the_review_queue_mean_the_same_disagreement() -> None:
    """One meaning: too far apart, or a ball on one side and "no ball" on the other."""
    from tracknet_studio.core.review import find_disagreements

    labels, prediction = Track(6), Track(6)
    labels.set_points([0, 1, 2, 3], [10.0, 10.0, 10.0, 10.0], [10.0, 10.0, 10.0, 10.0])
    labels.set_no_ball([4])
    prediction.set_points([0, 1, 4], [12.0, 40.0, 10.0], [10.0, 10.0, 10.0])
    prediction.set_no_ball([2])
    states = frame_states(labels, [prediction])
    disagreeing = np.flatnonzero(states == FrameState.DISAGREEMENT).tolist()
    assert disagreeing == find_disagreements(labels, prediction, 10.0).tolist() == [1, 2, 4]


# ----- issue 23.1: the position plots always show the whole track ----------------------


def y_range(plot) -> tuple[float, float]:
    (_, _), (low, high) = plot.getViewBox().viewRange()
    return low, high


def test_the_plots_show_the_picture_and_labels_placed_after_opening(open_window, qtbot) -> None:
    window = open_window  # a 192x108 clip: nothing labelled yet
    timeline = window.editing.timeline
    for frame in range(5, 11):
        place(window, frame, x=150.0 + frame, y=90.0)
    qtbot.waitUntil(lambda: y_range(timeline.x_plot)[1] >= 192.0)
    x_low, x_high = y_range(timeline.x_plot)
    y_low, y_high = y_range(timeline.y_plot)
    assert x_low <= 0 and x_high >= 192 and y_low <= 0 and y_high >= 108


def test_an_imported_track_off_the_picture_widens_the_axes(open_window, qtbot) -> None:
    window = open_window
    timeline = window.editing.timeline
    frames = list(range(0, 20))
    push_track_update(window.undo_stack, window.project.labels, frames, text="import",
                      x=np.linspace(100, 1000, 20), y=np.linspace(-50, 600, 20),
                      visibility=1, source=Source.IMPORTED)  # fmt: skip
    qtbot.waitUntil(lambda: y_range(timeline.x_plot)[1] >= 1000.0)
    assert y_range(timeline.y_plot)[0] <= -50 and y_range(timeline.y_plot)[1] >= 600


def test_a_label_alone_among_gaps_is_drawn_as_a_dot(timeline: TimelineWidget) -> None:
    labels = Track(N)
    labels.set_points([3, 60, 61], [10.0, 20.0, 21.0], [5.0, 6.0, 7.0], source=Source.HUMAN)
    timeline.set_track(labels)
    x_dots, _y_dots = (curve.dots for curve in timeline._curves[LABELS])
    xs, ys = x_dots.getData()
    assert list(xs) == [3.0, 3.0] and list(ys) == [10.0, 10.0]  # frame 3; 60-61 is a line
    assert timeline_module.isolated(np.array([np.nan, 1.0, np.nan, 2.0, 3.0])).tolist() == [
        False, True, False, False, False,
    ]  # fmt: skip


def test_the_readout_clears_when_the_mouse_leaves(qtbot, timeline: TimelineWidget) -> None:
    from PySide6.QtCore import QEvent

    timeline.show_readout(30)
    assert timeline.readout.text().startswith("frame 30")
    QApplication.sendEvent(timeline.graphics.viewport(), QEvent(QEvent.Type.Leave))
    assert timeline.readout.text().strip() == ""


def test_the_x_and_y_plots_leave_room_for_their_end_labels(qtbot, timeline) -> None:
    qtbot.wait(20)  # laid out
    x_box = timeline.x_plot.getViewBox().sceneBoundingRect()
    y_box = timeline.y_plot.getViewBox().sceneBoundingRect()
    gap = y_box.top() - x_box.bottom()
    # The x axis ends at its lowest value and the inverted y axis starts at its lowest:
    # each end label reaches half a line beyond its plot.
    assert gap >= timeline.fontMetrics().height() - 1
