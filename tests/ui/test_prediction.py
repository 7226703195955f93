"""Model > Run Model…: the dialog, a run in the background into a new prediction layer
(undoable, labels untouched), cancel, and the real local model on a tiny network."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from inference.stubs import TrackPredictor
from PySide6.QtWidgets import QDialog

from tracknet_studio.core import Source, Visibility
from tracknet_studio.ui import prediction
from tracknet_studio.ui.prediction import RunModelDialog, RunSettings, run_model

from ._prediction_support import FRAMES, known_clip, open_with_labels, stub_with_mistakes

pytestmark = pytest.mark.ui
__all__ = ["known_clip"]  # a fixture, used by name


def _wait_for_layer(window, name: str, qtbot) -> None:
    qtbot.waitUntil(lambda: name in window.project.predictions, timeout=20_000)


def test_run_model_from_the_menu_fills_a_layer_in_one_undo_step(
    window, known_clip, qtbot, monkeypatch
) -> None:
    open_with_labels(window, known_clip, qtbot)
    stub, mistakes = stub_with_mistakes(known_clip)
    monkeypatch.setattr(prediction, "make_predictor", lambda settings: stub)
    monkeypatch.setattr(RunModelDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    labels_before = window.project.labels.copy()

    window.action_by_id["model.run"].trigger()
    _wait_for_layer(window, "model", qtbot)

    layer = window.project.predictions["model"]
    assert [f for f, _shape in stub.frames_seen] == list(range(FRAMES))
    assert stub.frames_seen[0][1] == (180, 320, 3)  # frames from the video, full size
    assert (layer.source == Source.MODEL).all()
    assert np.isfinite(layer.confidence).all()
    assert layer.visibility[mistakes.missed] == Visibility.NO_BALL
    assert layer.x[mistakes.far] == pytest.approx(known_clip.track.x[mistakes.far] + 6)
    assert window.project.labels.equals(labels_before)  # the label layer is never touched
    assert window.files.dirty
    qtbot.waitUntil(lambda: not window.prediction.metrics_dock.isHidden())  # shown after a run

    window.undo_stack.undo()
    assert "model" not in window.project.predictions
    window.undo_stack.redo()
    assert window.project.predictions["model"] is layer


def test_a_second_run_gets_its_own_layer_name(window, known_clip, qtbot) -> None:
    open_with_labels(window, known_clip, qtbot)
    stub = TrackPredictor(known_clip.truth())
    settings = RunSettings(None, "cpu", 0, FRAMES, "model")
    run_model(window.shell, settings, stub)
    _wait_for_layer(window, "model", qtbot)
    run_model(window.shell, settings, stub)
    _wait_for_layer(window, "model 2", qtbot)


def test_the_dialog_offers_the_in_out_range_and_refuses_taken_names(
    window, known_clip, qtbot
) -> None:
    open_with_labels(window, known_clip, qtbot)
    window.project.add_prediction("model", known_clip.track.copy())
    dialog = RunModelDialog(window, window.project, (5, 12))
    qtbot.addWidget(dialog)
    assert dialog.layer.text() == "model 2"
    assert dialog.in_out_button.isChecked()
    assert dialog.run_on.currentData() in ("cpu", "cuda") and "cpu" in [
        dialog.run_on.itemData(i) for i in range(dialog.run_on.count())
    ]
    dialog.weights_choice.setCurrentIndex(1)
    dialog.weights_path.setText(str(known_clip.path.parent))  # an existing folder
    settings = dialog.settings()
    assert (settings.start, settings.stop, settings.layer) == (5, 12, "model 2")
    assert settings.weights == known_clip.path.parent
    dialog.layer.setText("model")
    assert "exists" in dialog.problem_text()
    dialog.whole.setChecked(True)
    assert (dialog.settings().start, dialog.settings().stop) == (0, FRAMES)


class _Blocking(TrackPredictor):
    """Answers one frame, then waits until the test lets it go on."""

    def __init__(self, truth) -> None:
        super().__init__(truth)
        self.answered_one, self.go_on = threading.Event(), threading.Event()

    def predict(self, frames, *, start, original_size, progress=None):
        for i, answer in enumerate(
            super().predict(frames, start=start, original_size=original_size)
        ):
            yield answer
            if i == 0:
                self.answered_one.set()
                self.go_on.wait(10)


def test_cancel_leaves_the_project_unchanged(window, known_clip, qtbot) -> None:
    open_with_labels(window, known_clip, qtbot)
    before = window.project.copy()
    stub = _Blocking(known_clip.truth())
    task = run_model(window.shell, RunSettings(None, "cpu", 0, FRAMES, "model"), stub)
    assert stub.answered_one.wait(10)
    with qtbot.waitSignal(task.failed, timeout=10_000):
        task.cancel()
        stub.go_on.set()
    qtbot.wait(50)  # let the queued failure handler run
    assert window.project.equals(before)
    assert window.undo_stack.count() == 0 and not window.files.dirty


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised tiny FastTrackNet: the real path runs, nothing is trained."""
    torch = pytest.importorskip("torch")  # the model extra; the other tests do without it
    from tracknet.config import ModelConfig
    from tracknet.modelfile import save_model
    from tracknet.networks import build_network

    config = ModelConfig(arch="fasttracknet", height=32, width=64, arch_kwargs={"base": 4})
    torch.manual_seed(2)
    return save_model(tmp_path_factory.mktemp("model") / "tiny", build_network(config), config)


def test_the_real_local_predictor_runs_in_the_window(window, known_clip, tiny_model, qtbot) -> None:
    open_with_labels(window, known_clip, qtbot)
    run_model(window.shell, RunSettings(tiny_model, "cpu", 4, 20, "tiny"))
    _wait_for_layer(window, "tiny", qtbot)
    layer = window.project.predictions["tiny"]
    labelled = np.flatnonzero(layer.visibility != Visibility.UNLABELED)
    assert labelled.tolist() == list(range(4, 20))
    assert np.isfinite(layer.confidence[4:20]).all()
    assert np.isnan(layer.confidence[:4]).all()


def test_the_layer_is_kept_when_the_project_is_saved(window, known_clip, qtbot, tmp_path) -> None:
    from tracknet_studio.formats.project_file import load_project

    open_with_labels(window, known_clip, qtbot)
    run_model(
        window.shell,
        RunSettings(None, "cpu", 0, FRAMES, "model"),
        TrackPredictor(known_clip.truth()),
    )
    _wait_for_layer(window, "model", qtbot)
    path = tmp_path / "rally.tnproj"
    assert window.files.save_to(path)
    saved = load_project(path).project
    assert saved.predictions["model"].equals(window.project.predictions["model"])
    assert saved.labels.equals(window.project.labels)
