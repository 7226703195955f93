"""Model > Fine-tune on Labels… in the real window: a real (tiny) run in the background on
the open project's labels (and another project's), plotted live, cancellable; the new model
becomes Run Model's choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from tracknet_studio.formats import save_project
from tracknet_studio.inference import finetune as finetune_module
from tracknet_studio.inference.finetune import FinetuneError
from tracknet_studio.ui.finetune_dialog import (
    FinetuneDialog,
    FinetuneRun,
    FinetuneSettings,
    project_clips,
    run_finetune,
)
from tracknet_studio.ui.prediction import WEIGHTS_KEY, RunModelDialog

from ._prediction_support import known_clip, open_with_labels

pytestmark = [pytest.mark.ui, pytest.mark.slow]
__all__ = ["known_clip"]  # a fixture, used by name
torch = pytest.importorskip("torch")


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    from tracknet.config import ModelConfig
    from tracknet.modelfile import save_model
    from tracknet.networks import build_network

    config = ModelConfig(arch="fasttracknet", height=96, width=160, arch_kwargs={"base": 4})
    return save_model(tmp_path / "tiny", build_network(config), config)


def test_finetune_from_the_menu_writes_a_model_that_run_model_offers(
    window, known_clip, qtbot, monkeypatch, tmp_path, tiny_model
) -> None:
    open_with_labels(window, known_clip, qtbot)
    output = tmp_path / "tuned"

    def accept(self: FinetuneDialog) -> QDialog.DialogCode:
        assert self.note.text().startswith("30 labelled frames in the whole video")
        self.init.setText(str(tiny_model))
        self.output.setText(str(output))
        self.minutes.setValue(0.05)
        # The device by what it is, the GPU first where there is one; a run gets its key.
        assert self.device.itemData(self.device.count() - 1) == "cpu"
        assert self.device.currentText().startswith("This computer's")
        assert self.settings().device == self.device.currentData()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(FinetuneDialog, "exec", accept)
    window.action_by_id["model.finetune"].trigger()  # the run goes on in the background
    run = window.findChild(FinetuneRun, "finetuneRun")
    assert run is not None and run.isVisible()
    qtbot.waitUntil(lambda: (output / "model.safetensors").is_file(), timeout=180_000)
    qtbot.waitUntil(lambda: "Held-out F1" in window.statusBar().toolTip(), timeout=60_000)
    assert window.settings.value(WEIGHTS_KEY) == str(output)
    # The run's window plotted what train.py reported, epoch by epoch, and says how it ended.
    epochs, losses = run.plots.loss_curve.getData()
    assert epochs is not None and len(epochs) >= 1 and all(loss > 0 for loss in losses)
    assert run.plots.f1_curve.getData()[0] is not None
    assert run.plots.baseline.isVisible()
    assert "before" in run.stage.text() and "after" in run.stage.text()
    run.reject()  # Close, now that it ended
    assert not run.isVisible()
    dialog = RunModelDialog(window, window.project, None, str(output))
    assert dialog.weights_choice.currentData() == "file"
    assert dialog.weights_path.text() == str(output)


def test_cancel_stops_the_run_and_writes_no_model(
    window, known_clip, qtbot, tmp_path, tiny_model
) -> None:
    open_with_labels(window, known_clip, qtbot)
    output = tmp_path / "never"
    run = run_finetune(window.shell, FinetuneSettings(tiny_model, output, 10.0, "cpu", None))
    assert run is not None
    # Training has started once the "before" figure came: cancel in the middle of it.
    qtbot.waitUntil(lambda: run.plots.baseline.isVisible(), timeout=120_000)
    run.reject()  # the Cancel button
    assert run.isVisible(), "the window stays to say the run was cancelled"
    qtbot.waitUntil(lambda: run.stage.text().startswith("Cancelled"), timeout=60_000)
    assert not output.exists()
    assert window.settings.value(WEIGHTS_KEY) != str(output)


def test_another_project_is_learned_from_too(
    window, known_clip, qtbot, monkeypatch, tmp_path, tiny_model
) -> None:
    open_with_labels(window, known_clip, qtbot)
    other = tmp_path / "other.tnproj"
    project = window.project.copy()
    project.video_path = str(known_clip.path)
    save_project(project, other)
    seen = []
    real_finetune = finetune_module.finetune

    def spy(clips, *args, **kwargs):
        seen.append([c.video for c in clips])
        return real_finetune(clips, *args, **kwargs)

    monkeypatch.setattr(finetune_module, "finetune", spy)
    output = tmp_path / "both"
    run_finetune(window.shell, FinetuneSettings(tiny_model, output, 0.05, "cpu", None, [other]))
    qtbot.waitUntil(lambda: (output / "model.safetensors").is_file(), timeout=180_000)
    assert seen == [[known_clip.path, known_clip.path]]


def test_a_project_that_cannot_be_used_is_named(tmp_path, known_clip) -> None:
    broken = tmp_path / "broken.tnproj"
    broken.write_text("{not json")
    with pytest.raises(FinetuneError, match=r"broken\.tnproj"):
        project_clips([broken])
