"""Without the model or cloud extra the window still works and says which extra a feature
needs; nothing heavy (torch, boto3) is loaded to show the first frame."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracknet_studio import extras
from tracknet_studio.ui.main_window import MainWindow

pytestmark = pytest.mark.ui


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch):
    def remove(*missing: str) -> None:
        real = extras.installed
        monkeypatch.setattr(extras, "installed", lambda extra: extra not in missing and real(extra))

    return remove


def test_cloud_features_say_which_extra_to_install(
    open_window: MainWindow, without, message_boxes: list[tuple[str, str]]
) -> None:
    window = open_window  # labeling jobs are sent from an open video
    without("cloud")
    for action in ("cloud.upload", "cloud.label", "cloud.import_labeling"):
        window.action_by_id[action].trigger()
    assert len(message_boxes) == 3
    for _title, text in message_boxes:
        assert "pip install 'tracknet-studio[cloud]'" in text
    assert window.cloud.tasks == []  # nothing was started


def test_model_features_say_which_extra_to_install(
    open_window: MainWindow, without, message_boxes: list[tuple[str, str]], qtbot
) -> None:
    without("model")
    open_window.action_by_id["model.finetune"].trigger()
    [(title, text)] = message_boxes
    assert title == "Fine-tune" and "pip install 'tracknet-studio[model]'" in text
    from tracknet_studio.inference.local import LocalPredictor, ModelUnavailable

    with pytest.raises(ModelUnavailable, match=r"tracknet-studio\[model\]"):
        LocalPredictor().load()


def test_the_first_frame_shows_without_torch_or_boto3(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env |= {f"TRACKNET_STUDIO_{name}_DIR": str(tmp_path / name) for name in ("DATA", "CONFIG")}
    done = subprocess.run(
        [sys.executable, "-m", "tracknet_studio", "--demo", "--quit-after-first-frame"],
        env=env, capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "first frame shown" in done.stdout
    assert done.stdout.strip().endswith("heavy modules loaded: none"), done.stdout


def test_the_run_model_dialog_opens_without_loading_torch() -> None:
    """It lists the devices; finding a GPU must not import torch on the UI thread (it froze
    the window for 3.4 s), nor listing endpoints boto3."""
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from tracknet_studio.core import Project, Track\n"
        "from tracknet_studio.ui.prediction import RunModelDialog\n"
        "dialog = RunModelDialog(None, Project(labels=Track(10)), None)\n"
        "print(dialog.run_on.count(), 'torch' in sys.modules, 'boto3' in sys.modules)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    choices, torch_loaded, boto3_loaded = done.stdout.split()
    assert int(choices) >= 1 and torch_loaded == "False" and boto3_loaded == "False"
