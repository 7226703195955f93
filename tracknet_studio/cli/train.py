"""`tracknet-studio train --data DIR --out DIR [options]`: train a model on a featurized
dataset. Its options are entrypoints/train.py's own (tracknet.train_options, one definition),
checked here and passed on as written.

Runs entrypoints/train.py in a subprocess, the very script SageMaker's training container runs,
so a local run and a cloud run cannot drift apart. DIR is entrypoints/featurize.py's output;
the model lands in OUT/model (weights, config.json, code/ for an endpoint).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from tracknet.train_options import add_training_arguments

# Options that are this command's own; every other one is the training script's, passed on.
_OWN = {"data", "out", "validation", "tar", "run", "command"}


def train_script() -> Path:
    """The training job's script (entrypoints/train.py)."""
    from ..cloud.bundle import entrypoints_dir

    return entrypoints_dir() / "train.py"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a ball-tracking model on a featurized dataset")
    p.add_argument(
        "--data", type=Path, required=True, help="entrypoints/featurize.py's output folder"
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (model, checkpoints)")
    p.add_argument("--validation", type=Path, help="a second dataset to validate on")
    p.add_argument("--tar", action="store_true", help="also write OUT/model.tar.gz")
    add_training_arguments(p, passing_on=True)
    p.set_defaults(run=run)


def command_line(args: argparse.Namespace) -> list[str]:
    """The entrypoints/train.py invocation for these arguments."""
    command = [
        sys.executable,
        str(train_script()),
        "--data",
        str(args.data),
        "--out",
        str(args.out),
    ]
    for name, value in vars(args).items():
        if name in _OWN:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:  # a switch
            command.append(flag)
            continue
        if name == "init" and value == "shipped":
            from ..inference.local import DEFAULT_WEIGHTS

            value = DEFAULT_WEIGHTS  # where this installation keeps them
        command += [flag, str(value)]
    if args.validation:
        command += ["--validation", str(args.validation)]
    if args.tar:
        command.append("--tar")
    return command


def run(args: argparse.Namespace) -> int:
    if not args.data.is_dir():
        print(f"error: {args.data} is not a folder", file=sys.stderr)
        return 2
    return subprocess.call(command_line(args))
