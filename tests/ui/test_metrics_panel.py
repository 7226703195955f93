"""The metrics panel: exact counts of a predictor with known mistakes (tracknet.metrics),
tolerance and space, the in/out range, the timeline's outcome strip, following label
edits, and a click on the error plot seeking to its frame."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from tracknet.metrics import OUTCOME_CODE, Outcome

from tracknet_studio.core import Visibility
from tracknet_studio.inference.compare import NOT_COMPARED, compare
from tracknet_studio.ui.prediction import RunSettings, run_model

from ._prediction_support import FRAMES, known_clip, open_with_labels, stub_with_mistakes

pytestmark = pytest.mark.ui
__all__ = ["known_clip"]  # a fixture, used by name


@pytest.fixture
def compared(window, known_clip, qtbot):
    """The window with labels, a layer from the stub, and the metrics panel on it."""
    open_with_labels(window, known_clip, qtbot)
    stub, mistakes = stub_with_mistakes(known_clip)
    run_model(window.shell, RunSettings(None, "cpu", 0, FRAMES, "model"), stub)
    qtbot.waitUntil(lambda: "model" in window.project.predictions, timeout=20_000)
    window.prediction.show_metrics_panel(True)
    panel = window.prediction.metrics_panel
    qtbot.waitUntil(lambda: panel.layer_combo.currentText() == "model")
    return window, panel, mistakes


def _counts(panel) -> dict[str, int]:
    return {k: int(panel.numbers()[k]) for k in ("tp", "fp1", "fp2", "fn", "tn")}


def test_the_panel_shows_the_exact_counts(compared, known_clip) -> None:
    _window, panel, _m = compared
    balls, empty = len(known_clip.ball_frames), len(known_clip.no_ball_frames)
    panel.select(tolerance=4.0, space="original")
    assert _counts(panel) == {"tp": balls - 2, "fp1": 1, "fp2": 1, "fn": 1, "tn": empty - 1}
    precision = (balls - 2) / (balls - 2 + 2)
    recall = (balls - 2) / (balls - 1)
    assert float(panel.numbers()["precision"]) == pytest.approx(precision, abs=5e-4)
    assert float(panel.numbers()["recall"]) == pytest.approx(recall, abs=5e-4)
    assert float(panel.numbers()["accuracy"]) == pytest.approx((FRAMES - 3) / FRAMES, abs=5e-4)
    # 3 px in a 320 px video is 4.8 px at the 512 px input: the near miss becomes FP1.
    panel.select(space="input")
    assert _counts(panel)["fp1"] == 2 and _counts(panel)["tp"] == balls - 3
    # 10 px off passes a 12 px tolerance.
    panel.select(tolerance=12.0, space="original")
    assert _counts(panel)["fp1"] == 0 and _counts(panel)["tp"] == balls - 1


def test_per_frame_outcomes_agree_with_the_counts_and_reach_the_timeline(compared) -> None:
    window, panel, m = compared
    panel.select(tolerance=4.0, space="original")
    comparison = panel.comparison
    codes = comparison.outcome_codes(FRAMES)
    assert codes[m.far] == OUTCOME_CODE[Outcome.FP1]
    assert codes[m.missed] == OUTCOME_CODE[Outcome.FN]
    assert codes[m.invented] == OUTCOME_CODE[Outcome.FP2]
    assert codes[m.near] == OUTCOME_CODE[Outcome.TP]
    per_outcome = {o.value: int((codes == OUTCOME_CODE[o]).sum()) for o in Outcome}
    assert per_outcome == comparison.counts.as_dict()
    assert np.array_equal(window.editing.timeline.outcome_codes, codes)
    assert window.editing.timeline.outcome_item.image.shape == (FRAMES, 1, 4)  # drawn per frame


def test_the_in_out_range_limits_the_frames(compared, known_clip) -> None:
    window, panel, m = compared
    window.editing.range_in, window.editing.range_out = m.far, m.far  # one frame: the far miss
    panel.select(in_out=True)
    assert _counts(panel) == {"tp": 0, "fp1": 1, "fp2": 0, "fn": 0, "tn": 0}
    codes = window.editing.timeline.outcome_codes
    assert (codes[np.arange(FRAMES) != m.far] == NOT_COMPARED).all()


def test_a_label_edit_updates_the_numbers(compared, qtbot) -> None:
    window, panel, m = compared
    panel.select(tolerance=4.0, space="original")
    fn_before = _counts(panel)["fn"]
    window.project.labels.set_no_ball([m.missed])  # the miss was right after all
    qtbot.waitUntil(lambda: _counts(panel)["fn"] == fn_before - 1, timeout=3000)
    assert _counts(panel)["tn"] >= 1
    # The panel's comparison is what a fresh one gives.
    fresh = compare(window.project.labels, window.project.predictions["model"])
    assert np.array_equal(panel.comparison.outcome_codes(FRAMES), fresh.outcome_codes(FRAMES))
    assert panel.comparison.counts == fresh.counts


def test_clicking_a_point_of_the_error_plot_seeks(compared, qtbot) -> None:
    window, panel, m = compared
    panel.select(tolerance=4.0, space="original")
    qtbot.waitUntil(lambda: panel.plot.isVisible() and panel.plot.width() > 50)
    panel.plot.getPlotItem().enableAutoRange()
    error = panel.comparison.error[panel.comparison.frames == m.far][0]
    view_box = panel.plot.getPlotItem().getViewBox()
    qtbot.wait(50)
    scene = view_box.mapViewToScene(QPointF(m.far, float(error)))
    widget_pos = panel.plot.mapFromScene(scene)
    assert window.player.current_frame != m.far
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(widget_pos))
    qtbot.waitUntil(lambda: window.player.current_frame == m.far, timeout=3000)


def test_compare_leaves_out_occluded_labels_without_a_position(known_clip) -> None:
    labels = known_clip.track.copy()
    frame = int(known_clip.ball_frames[0])
    labels.update([frame], visibility=Visibility.OCCLUDED, x=np.nan, y=np.nan)
    result = compare(labels, known_clip.track.copy())
    assert frame not in result.frames.tolist()
    assert result.counts.total == FRAMES - 1


# ----- issue 23.4: no labelled frame is "—" with a reason, not 0.000 -----------------------


def test_no_labelled_frame_shows_dashes_and_says_why(window, known_clip, qtbot) -> None:
    with qtbot.waitSignal(window.player.video_opened, timeout=10_000):
        window.files.open_video(known_clip.path)  # a new project: nothing labelled
    stub, _mistakes = stub_with_mistakes(known_clip)
    run_model(window.shell, RunSettings(None, "cpu", 0, FRAMES, "model"), stub)
    qtbot.waitUntil(lambda: "model" in window.project.predictions, timeout=20_000)
    panel = window.prediction.metrics_panel
    qtbot.waitUntil(lambda: panel.layer_combo.currentText() == "model")
    numbers = panel.numbers()
    assert [numbers[k] for k in ("precision", "recall", "f1", "accuracy")] == ["—"] * 4
    assert "no labelled frame" in panel.protocol.text()
    (first, last), _ = panel.plot.getViewBox().viewRange()
    assert first <= 0 and last >= FRAMES - 1  # this video's frames, not the last video's


def test_the_error_plot_follows_the_new_video(compared, make_clip, qtbot) -> None:
    window, panel, _mistakes = compared
    other = make_clip("mp4", frame_count=400)
    with qtbot.waitSignal(window.player.video_opened, timeout=10_000):
        window.files.open_video(other.path)
    (first, last), _ = panel.plot.getViewBox().viewRange()
    assert first <= 0 and 399 <= last < 450
