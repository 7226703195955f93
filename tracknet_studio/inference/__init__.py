"""Predictors behind one interface: the local model, the SageMaker endpoint."""

from .base import FramePrediction, Predictor, clamp_range, predict_track
from .local import DEFAULT_WEIGHTS, LocalPredictor, ModelUnavailable, available_devices

__all__ = [
    "DEFAULT_WEIGHTS",
    "FramePrediction",
    "LocalPredictor",
    "ModelUnavailable",
    "Predictor",
    "available_devices",
    "clamp_range",
    "predict_track",
]
