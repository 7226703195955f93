"""Model > Fine-tune on Labels… in the real window: a real (tiny) run in the background on
the open project's labels; the new model becomes Run Model's choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from tracknet_studio.ui.finetune_dialog import FinetuneDialog
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
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(FinetuneDialog, "exec", accept)
    window.action_by_id["model.finetune"].trigger()  # the run goes on in the background
    qtbot.waitUntil(lambda: (output / "model.safetensors").is_file(), timeout=180_000)
    qtbot.waitUntil(lambda: "Held-out F1" in window.statusBar().currentMessage(), timeout=60_000)
    assert window.settings.value(WEIGHTS_KEY) == str(output)
    dialog = RunModelDialog(window, window.project, None, str(output))
    assert dialog.weights_choice.currentData() == "file"
    assert dialog.weights_path.text() == str(output)
