"""Where a local run goes: the choices name the device (the GPU by its name) and put the
GPU first, the default, without importing torch."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tracknet_studio.inference import local


def test_the_gpu_is_named_from_the_driver_and_offered_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gpu = tmp_path / "0000:00:1e.0"
    gpu.mkdir()
    (gpu / "information").write_text("Model: \t\t NVIDIA L4\nIRQ:   42\n", encoding="utf-8")
    monkeypatch.setattr(local, "NVIDIA_GPUS", tmp_path)
    monkeypatch.setattr(local, "available_devices", lambda: ["auto", "cpu", "cuda"])
    monkeypatch.setitem(sys.modules, "torch", None)  # the driver's word, even on a GPU box
    assert local.device_choices() == [
        ("cuda", "This computer's GPU: NVIDIA L4 (CUDA)"),
        ("cpu", "This computer's CPU"),
    ]


def test_without_a_gpu_the_cpu_is_the_only_local_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "available_devices", lambda: ["auto", "cpu"])
    assert local.device_choices() == [("cpu", "This computer's CPU")]


def test_an_unreadable_driver_still_says_gpu(tmp_path: Path) -> None:
    assert local.gpu_name(tmp_path / "absent") == "NVIDIA GPU"
