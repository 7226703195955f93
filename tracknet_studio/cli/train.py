"""`tracknet-studio train --data DIR --out DIR`: train a model on a featurized dataset.

Runs model/train.py in a subprocess, the very script SageMaker's training container runs,
so a local run and a cloud run cannot drift apart. DIR is model/featurize.py's output;
the model lands in OUT/model (weights, config.json, code/ for an endpoint).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

# Options passed on to model/train.py unchanged: (flag, type, help).
_PASSED: tuple[tuple[str, type, str], ...] = (
    ("--init", str, "start from a model: folder, model.tar.gz, checkpoint or 'shipped'"),
    ("--arch", str, "network: fasttracknet (default) or tracknetv2"),
    ("--arch-kwargs", str, "network arguments as JSON, e.g. '{\"base\": 48}'"),
    ("--epochs", int, "epochs (default 30)"),
    ("--batch-size", int, "samples per step (default 8)"),
    ("--optimizer", str, "adamw (default) or adadelta"),
    ("--lr", float, "learning rate (default: 2e-3 AdamW, 1.0 Adadelta)"),
    ("--crop", str, "train on random HxW crops, e.g. 144x256 (faster on CPUs)"),
    ("--time-budget", float, "stop after this many seconds of training"),
    ("--steps-per-epoch", int, "steps per epoch (default: one pass over the data)"),
    ("--width-mult", float, "scale the network's channel counts"),
    ("--mixup", float, "probability of whole-clip mixup"),
    ("--device", str, "auto (default), cpu, cuda, mps"),
    ("--workers", int, "data loader processes (default 2)"),
    ("--seed", int, "random seed"),
    ("--checkpoint-dir", str, "where checkpoints go (default OUT/checkpoints)"),
)


def train_script() -> Path:
    """model/train.py beside the installed `tracknet` package (model/tracknet)."""
    import tracknet

    return Path(tracknet.__file__).resolve().parents[1] / "train.py"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a ball-tracking model on a featurized dataset")
    p.add_argument("--data", type=Path, required=True, help="model/featurize.py's output folder")
    p.add_argument("--out", type=Path, required=True, help="output folder (model, checkpoints)")
    for flag, kind, text in _PASSED:
        p.add_argument(flag, type=kind, help=text)
    p.add_argument("--tar", action="store_true", help="also write OUT/model.tar.gz")
    p.set_defaults(run=run)


def command_line(args: argparse.Namespace) -> list[str]:
    """The model/train.py invocation for these arguments."""
    command = [
        sys.executable,
        str(train_script()),
        "--data",
        str(args.data),
        "--out",
        str(args.out),
    ]
    for flag, _kind, _text in _PASSED:
        value = getattr(args, flag[2:].replace("-", "_"))
        if flag == "--init" and value == "shipped":
            from ..inference.local import DEFAULT_WEIGHTS

            value = DEFAULT_WEIGHTS  # where this installation keeps them
        if value is not None:
            command += [flag, str(value)]
    if args.tar:
        command.append("--tar")
    return command


def run(args: argparse.Namespace) -> int:
    if not args.data.is_dir():
        print(f"error: {args.data} is not a folder", file=sys.stderr)
        return 2
    return subprocess.call(command_line(args))
