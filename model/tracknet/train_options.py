"""The options of a training run, defined once: entrypoints/train.py (the SageMaker training
job's entry point) parses them, and `tracknet-studio train` offers the same ones and passes
them on. No torch here, so the command line can list them without loading it.
"""

from __future__ import annotations

import argparse
import json
import os

ARCHITECTURES = ("fasttracknet", "tracknetv2")  # tracknet.networks.NETWORKS's names


def crop_size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH, got {text!r}") from None
    if height % 8 or width % 8 or height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError("crop sizes must be positive multiples of 8")
    return height, width


def add_training_arguments(p: argparse.ArgumentParser, passing_on: bool = False) -> None:
    """The model and training options. `passing_on`: for a front end that hands them on
    to entrypoints/train.py as written: no defaults (only what was given is passed on)."""
    env = os.environ.get
    if passing_on:
        p = _PassingOn(p)  # type: ignore[assignment]
    model = p.add_argument_group("model")
    model.add_argument(
        "--init",
        default=env("SM_CHANNEL_INIT"),
        help="start from this model's weights (folder, model.tar.gz, checkpoint or 'shipped')",
    )
    model.add_argument("--arch", choices=ARCHITECTURES, default=None, help="fasttracknet")
    model.add_argument(
        "--width-mult",
        type=float,
        default=1.0,
        help="multiplies the architecture's base channel count",
    )
    model.add_argument(
        "--arch-kwargs",
        type=json.loads,
        default={},
        help="extra network arguments as JSON, e.g. '{\"quarter_blocks\": 3}'",
    )
    model.add_argument("--frames-in", type=int, default=None, help="default 3")
    model.add_argument("--frames-out", type=int, default=None, help="default: frames-in")
    model.add_argument("--height", type=int, default=None, help="default 288")
    model.add_argument("--width", type=int, default=None, help="default 512")
    model.add_argument(
        "--threshold",
        type=float,
        help="heatmap threshold; by default the best on the validation clips (0.5 while training)",
    )

    fit = p.add_argument_group("training")
    fit.add_argument("--epochs", type=int, default=30)
    fit.add_argument("--batch-size", type=int, default=8)
    fit.add_argument("--optimizer", choices=("adamw", "adadelta"), default="adamw")
    fit.add_argument("--lr", type=float, default=None, help="default: 2e-3 AdamW, 1.0 Adadelta")
    fit.add_argument("--weight-decay", type=float, default=1e-4)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--val-every", type=int, default=1)
    fit.add_argument("--workers", type=int, default=2)
    fit.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    fit.add_argument("--no-amp", action="store_true", help="full precision on GPUs too")
    fit.add_argument(
        "--cpu-bf16",
        action="store_true",
        help="bf16 autocast on the CPU (pays on CPUs with avx512_bf16 or AMX)",
    )
    fit.add_argument("--tolerance", type=float, default=4.0, help="px at the network input")
    fit.add_argument("--steps-per-epoch", type=int, default=None)
    fit.add_argument("--time-budget", type=float, default=None, help="seconds of training")
    fit.add_argument(
        "--crop",
        type=crop_size,
        default=None,
        metavar="HxW",
        help="train on random crops of this size (faster on CPUs)",
    )
    fit.add_argument("--crop-ball", type=float, default=0.7)
    fit.add_argument(
        "--static-repeat",
        type=int,
        default=1,
        help="list training windows with a ball at rest this many times",
    )
    fit.add_argument("--hflip", type=float, default=0.5, help="probability of a flip")
    fit.add_argument("--jitter", type=float, default=0.8, help="probability of colour jitter")
    fit.add_argument("--mixup", type=float, default=0.0, help="probability of whole-clip mixup")
    fit.add_argument(
        "--still",
        type=float,
        default=0.0,
        help="probability of a window frozen on one frame (teaches resting balls; with crops "
        "under ~144x256 it also teaches ball-coloured clutter: docs/model-variants.md)",
    )
    fit.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")


class _PassingOn:
    """Adds arguments to a parser without their defaults (argparse.SUPPRESS), so the
    namespace holds only the options given on the command line."""

    def __init__(self, parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        self.parser = parser

    def add_argument_group(self, *args, **kwargs) -> _PassingOn:
        return _PassingOn(self.parser.add_argument_group(*args, **kwargs))

    def add_argument(self, *args, **kwargs) -> argparse.Action:
        kwargs["default"] = argparse.SUPPRESS
        if "type" in kwargs:  # checked here, but handed on exactly as written
            kwargs["type"] = _checked_text(kwargs["type"])
        return self.parser.add_argument(*args, **kwargs)


def _checked_text(convert):
    def check(text: str) -> str:
        convert(text)
        return text

    check.__name__ = getattr(convert, "__name__", "value")  # argparse names it in errors
    return check
