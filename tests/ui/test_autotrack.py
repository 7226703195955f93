"""Model > Auto-track (No Model) and the Run Model dialog's method, in the real window: the
auto-track layer appears, follows the ball, and its trail breaks at the camera cut."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from model.scenes import cut_clip_frames, write_clip
from PySide6.QtWidgets import QDialog

from tracknet_studio.core import Source
from tracknet_studio.ui import prediction
from tracknet_studio.ui.prediction import RunModelDialog
from tracknet_studio.video.overlay import OverlaySettings, TrailSegment, overlay_items

pytestmark = pytest.mark.ui
CUT = 20


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    frames, truth = cut_clip_frames(cut=CUT)
    return write_clip(tmp_path_factory.mktemp("cut") / "cut.mp4", frames), truth


def _open(window, path: Path, qtbot) -> None:
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000):
        assert window.files.open_video(path)


def test_auto_track_from_the_menu_adds_a_layer_whose_trail_breaks_at_the_cut(
    window, cut_clip, qtbot
) -> None:
    path, truth = cut_clip
    _open(window, path, qtbot)
    window.action_by_id["model.autotrack"].trigger()
    qtbot.waitUntil(lambda: "auto-track" in window.project.predictions, timeout=30_000)

    layer = window.project.predictions["auto-track"]
    found = np.flatnonzero(layer.has_ball)
    assert (layer.source[found] == Source.MODEL).all()
    assert len(found) >= 30  # of 40 frames; the two at the cut and the clip's ends have none
    errors = [math.dist((layer.x[f], layer.y[f]), truth[int(f)]) for f in found]
    assert max(errors) < 3.0
    assert not layer.has_ball[CUT - 1] and not layer.has_ball[CUT]

    # A trail long enough to reach back over the cut joins no point of one shot to the next:
    # it is the old flight's tail and the new flight, with a gap between.
    settings = OverlaySettings(trail_length=10)
    size = (window.player.source.info.width, window.player.source.info.height)
    trail = [i for i in overlay_items(window.project, CUT + 5, settings, size)
             if isinstance(i, TrailSegment)]  # fmt: skip
    assert any(s.frame < CUT for s in trail) and any(s.frame > CUT for s in trail)
    assert not any(s.frame - 1 < CUT <= s.frame for s in trail)
    for s in trail:
        assert math.dist((s.x0, s.y0), truth[s.frame - 1]) < 3.0
        assert math.dist((s.x1, s.y1), truth[s.frame]) < 3.0
    assert window.undo_stack.undoText() == "Run model into 'auto-track'"


def test_the_dialog_offers_the_auto_track_without_weights(
    window, cut_clip, qtbot, monkeypatch
) -> None:
    _open(window, cut_clip[0], qtbot)
    dialog = RunModelDialog(window, window.project, None)
    dialog.method.setCurrentIndex(dialog.method.findData("motion"))
    assert not dialog.weights_choice.isEnabled()
    assert not any(button.isEnabled() for button in dialog.browse_buttons)
    assert dialog.layer.text() == "auto-track"
    assert dialog.problem_text() == ""
    settings = dialog.settings()
    assert settings.method == "motion"
    assert type(prediction.make_predictor(settings)).__name__ == "MotionPredictor"
    dialog.method.setCurrentIndex(dialog.method.findData("fused"))
    assert dialog.layer.text() == "model" and dialog.weights_choice.isEnabled()

    monkeypatch.setattr(RunModelDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    monkeypatch.setattr(RunModelDialog, "settings", lambda self: settings)
    window.action_by_id["model.run"].trigger()
    qtbot.waitUntil(lambda: "auto-track" in window.project.predictions, timeout=30_000)
