"""The prediction methods, by name: one place that the window, the command line and the
benchmarks build a predictor from.

- motion: the auto-track, no model and no torch (tracknet.motion + tracknet.tracking);
- model: the network's heatmap blobs through the same physics tracker;
- fused: the network's and motion's candidates together, one tracker (the default where a
  model can run).
"""

from __future__ import annotations

from pathlib import Path

from .base import Predictor
from .local import DEFAULT_WEIGHTS, LocalPredictor, model_extra_installed
from .motion import MotionPredictor

METHODS = ("motion", "model", "fused")
METHOD_LABELS = {
    "motion": "Auto-track (no model)",
    "model": "Model",
    "fused": "Model + motion (fused)",
}


def default_method(weights: Path | None = None) -> str:
    """fused where the model can run (torch installed, weights present), else motion."""
    usable = model_extra_installed() and (weights or DEFAULT_WEIGHTS).exists()
    return "fused" if usable else "motion"


def make_predictor(
    method: str,
    weights: Path | None = None,
    device: str = "auto",
    runtime: str = "auto",
    batch_size: int | None = None,
) -> Predictor:
    """The predictor of `method` (see the module); weights None means the shipped ones."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: one of {', '.join(METHODS)}")
    if method == "motion":
        return MotionPredictor()
    return LocalPredictor(weights, device, runtime=runtime, batch_size=batch_size,
                          fuse_motion=method == "fused")  # fmt: skip
