"""The optional parts of the install, and the one message that says how to get each.

`pip install tracknet-studio` is the annotation app: open, step, label, import, export
labels and overlay videos, and the auto-track (no model). The `model` extra adds the
network (torch): Run Model with a model, fine-tuning, training. The `cloud` extra adds AWS
(boto3): SageMaker jobs, Ground Truth, S3. Finding whether one is installed never imports
it, so nothing heavy is loaded at start-up.
"""

from __future__ import annotations

import importlib.util

EXTRAS: dict[str, tuple[str, ...]] = {"model": ("torch",), "cloud": ("boto3",)}


class ExtraMissing(RuntimeError):
    """A feature was asked for whose extra is not installed; str() says how to install it."""


def installed(extra: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in EXTRAS[extra])


def missing_message(extra: str, feature: str) -> str:
    return (
        f"{feature} needs the {extra} extra, which is not installed: "
        f"pip install 'tracknet-studio[{extra}]'"
    )


def require(extra: str, feature: str) -> None:
    """Raise ExtraMissing (with the install command) unless `extra` is installed."""
    if not installed(extra):
        raise ExtraMissing(missing_message(extra, feature))
