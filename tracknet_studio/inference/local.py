"""The local model as a Predictor: tracknet.modelfile loads it, tracknet.predict runs it.

torch is imported when the model is first needed (`load()` or the first `predict`), so
building a LocalPredictor, listing devices or describing weights costs nothing. The window
calls `load()` on its worker thread, never on the UI thread.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator, Sized
from pathlib import Path
from typing import Any

import numpy as np

from .. import extras
from ..core.paths import cache_dir, resource_dir
from .base import FramePrediction, Progress, reported

SHIPPED_WEIGHTS = resource_dir() / "weights"
DEFAULT_WEIGHTS = SHIPPED_WEIGHTS / "fasttracknet"
DEVICES = ("auto", "cpu", "cuda")


class ModelUnavailable(RuntimeError):
    """No weights where they were looked for, or the model extra (torch) is missing."""


def model_extra_installed() -> bool:
    """Whether torch is importable (without importing it)."""
    return extras.installed("model")


def available_devices() -> list[str]:
    """The device choices that can work here: auto and cpu, and cuda when a GPU is seen.

    Never imports torch (seconds, and dialogs call this on the UI thread): torch's own answer
    when it is loaded already, else whether an NVIDIA driver is present."""
    devices = ["auto", "cpu"]
    torch = sys.modules.get("torch")
    if torch is not None:
        has_gpu = bool(torch.cuda.is_available())
    else:
        has_gpu = model_extra_installed() and nvidia_driver_present()
    return [*devices, "cuda"] if has_gpu else devices


def device_choices() -> list[tuple[str, str]]:
    """(device, words) for each local choice, the GPU first when there is one: what the
    window offers, saying which device a run will use ("GPU: NVIDIA L4 (CUDA)", "CPU")."""
    choices = [("cpu", "This computer's CPU")]
    if "cuda" in available_devices():
        choices.insert(0, ("cuda", f"This computer's GPU: {gpu_name()} (CUDA)"))
    return choices


NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")


def gpu_name(proc: Path | None = None) -> str:
    """The first NVIDIA GPU's name, without importing torch where it is not loaded yet;
    `proc` is the driver's folder of GPUs (Linux)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return str(torch.cuda.get_device_name(0))
    # Linux: the driver describes each GPU in a small text file ("Model: NVIDIA L4").
    for info in sorted((proc or NVIDIA_GPUS).glob("*/information")):
        with contextlib.suppress(OSError):
            for line in info.read_text(encoding="utf-8", errors="replace").splitlines():
                key, _, value = line.partition(":")
                if key.strip() == "Model" and value.strip():
                    return value.strip()
    return "NVIDIA GPU"


def nvidia_driver_present() -> bool:
    """An NVIDIA driver on this machine (Linux: its /proc entry; elsewhere nvidia-smi)."""
    import shutil

    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def describe_weights(path: Path) -> str:
    """What kind of model file `path` is, in words, for the Run Model dialog."""
    if path.is_dir():
        return "model folder"
    if path.name.endswith((".tar.gz", ".tgz")):
        return "training archive (model.tar.gz)"
    if path.suffix == ".safetensors":
        return "weights file"
    return "training checkpoint"


class LocalPredictor:
    """A trained network on this machine: the shipped weights, a folder, a model.tar.gz, a
    .safetensors file or a training checkpoint; `device` is auto, cpu or cuda."""

    def __init__(
        self,
        weights: Path | None = None,
        device: str = "auto",
        *,
        runtime: str = "auto",
        batch_size: int | None = None,
        fuse_motion: bool = False,
    ) -> None:
        self.fuse_motion = fuse_motion
        self.weights = Path(weights) if weights is not None else DEFAULT_WEIGHTS
        self.device = device
        self.runtime = runtime
        self.batch_size = batch_size
        self.name = f"local:{self.weights.name}"
        self._engine: Any = None  # tracknet.predict.Predictor once loaded

    def load(self) -> None:
        """Load the weights and pick the device and runtime (slow: torch, maybe ONNX)."""
        if self._engine is not None:
            return
        if not model_extra_installed():
            raise ModelUnavailable(extras.missing_message("model", "The network"))
        if not self.weights.exists():
            raise ModelUnavailable(f"no weights at {self.weights}")
        from tracknet.modelfile import load_model
        from tracknet.predict import Predictor as Engine

        model, config = load_model(self.weights, "cpu")
        self._engine = Engine(
            model, config, device=self.device, runtime=self.runtime,  # type: ignore[arg-type]
            batch_size=self.batch_size, onnx_file=self._onnx_export(),
        )  # fmt: skip

    def _onnx_export(self) -> Path | None:
        """The weights' ONNX export when ONNX Runtime may run them, made once in a child
        process and kept (tracknet.onnx_cache: exporting here would hold the GIL for a
        second and freeze the window); None where torch runs them or the child failed."""
        from tracknet.onnx_cache import export_in_child
        from tracknet.predict import onnxruntime_available, pick_device

        on_cpu = pick_device(self.device).type == "cpu"
        if self.runtime == "torch" or not on_cpu or not onnxruntime_available():
            return None
        return export_in_child(self.weights, cache_dir() / "onnx")

    @property
    def engine(self) -> Any:
        """The loaded tracknet.predict.Predictor (loads it first)."""
        self.load()
        return self._engine

    def describe(self) -> str:
        """e.g. "cpu, onnx" once loaded; the requested device before."""
        if self._engine is None:
            return self.device
        return f"{self._engine.device.type}, {self._engine.runtime}"

    def predict(
        self,
        frames: Iterable[np.ndarray],
        *,
        start: int,
        original_size: tuple[int, int],
        progress: Progress | None = None,
    ) -> Iterator[FramePrediction]:
        total = len(frames) if isinstance(frames, Sized) else 0
        engine = self.engine.predict_frames(
            frames, original_size=original_size, fuse_motion=self.fuse_motion
        )
        answers = (
            FramePrediction(start + a.index, float(a.x), float(a.y), float(a.confidence),
                            bool(a.visible))
            for a in engine
        )  # fmt: skip
        yield from reported(answers, total, progress)
