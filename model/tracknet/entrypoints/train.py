"""Train a TrackNet model: the SageMaker training entry point, and the local one.

SageMaker (hyperparameters arrive as command-line arguments):
  data     SM_CHANNEL_TRAIN and SM_CHANNEL_VALIDATION (featurized datasets; the "train"
           split of the first and the "val" split of the second, or every clip of a channel
           whose manifest has no such split), or one SM_CHANNEL_DATASET with both splits
  output   SM_MODEL_DIR (weights, config.json, code/ for the endpoint), SM_OUTPUT_DATA_DIR
           (history.json)
  devices  SM_NUM_GPUS, SM_HOSTS, SM_CURRENT_HOST: one process per GPU on every host under
           DistributedDataParallel; when SageMaker already started torchrun (RANK and
           WORLD_SIZE set) its environment is used as it is
  resume   /opt/ml/checkpoints when it exists (SageMaker syncs it with S3 for spot
           training): the newest checkpoint there is loaded and training goes on at the
           next epoch

  init     SM_CHANNEL_INIT (optional): a model to start from (a model folder, model.tar.gz
           or checkpoint in the channel), as --init does locally

Locally:
  python entrypoints/train.py --data DIR --out DIR [--arch fasttracknet]
      [--epochs N] [--tar] [--init MODEL]
  writes the model to DIR/model (and DIR/model.tar.gz with --tar), checkpoints to
  DIR/checkpoints (or --checkpoint-dir), history to DIR/output. --init starts from a
  trained model's weights (fine-tuning): its architecture and input size are kept, and an
  --arch, --height, --width or --frames-in that contradicts them is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

import torch

import tracknet
from tracknet.config import ModelConfig
from tracknet.dataset import Augment, ClipData, load_clips
from tracknet.modelfile import ModelFileError, load_model
from tracknet.networks import default_arch_kwargs
from tracknet.train_options import add_training_arguments
from tracknet.training import METRIC_DEFINITIONS, TrainOptions, setup_distributed, train

HERE = Path(__file__).resolve().parent
# `--init shipped`: the weights the application ships, where this script runs from a checkout.
# What the network's shape is made of, as the argument that sets each: with --init these
# come from the initial model, and one given on the command line must agree with it.
SHAPE_ARGUMENTS = {"arch": "--arch", "frames_in": "--frames-in", "height": "--height",
                   "width": "--width"}  # fmt: skip
SHAPE_DEFAULTS = {"arch": "fasttracknet", "frames_in": 3, "height": 288, "width": 512}
SAGEMAKER_CHECKPOINTS = Path("/opt/ml/checkpoints")
DEFAULT_PORT = 29500


def _channel(variable: str) -> list[Path] | None:
    """A SageMaker input channel as a list of one folder (None when it is not set)."""
    value = os.environ.get(variable)
    return [Path(value)] if value else None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Train a TrackNet model on a featurized dataset.")
    env = os.environ.get
    data = p.add_argument_group("data and output (SageMaker's SM_* variables are the defaults)")
    data.add_argument(
        "--data",
        type=Path,
        default=env("SM_CHANNEL_DATASET"),
        help="one featurized dataset with train and val splits",
    )
    # Several folders are one dataset: their clips together (e.g. synthetic and real ones).
    data.add_argument("--train", type=Path, nargs="+", default=_channel("SM_CHANNEL_TRAIN"))
    data.add_argument(
        "--validation", type=Path, nargs="+", default=_channel("SM_CHANNEL_VALIDATION")
    )
    data.add_argument("--out", type=Path, help="local output folder (model, checkpoints, logs)")
    data.add_argument("--model-dir", type=Path, default=env("SM_MODEL_DIR"))
    data.add_argument("--output-data-dir", type=Path, default=env("SM_OUTPUT_DATA_DIR"))
    data.add_argument(
        "--checkpoint-dir",
        type=Path,
        help="default: /opt/ml/checkpoints when it exists, else OUT/checkpoints",
    )
    data.add_argument("--tar", action="store_true", help="also write model.tar.gz beside the model")

    add_training_arguments(p)
    fit = p.add_argument_group("SageMaker")
    fit.add_argument(
        "--print-metric-definitions",
        action="store_true",
        help="print the SageMaker metric regexes as JSON and exit",
    )
    return p.parse_args(argv)


def model_config(args: argparse.Namespace, initial: ModelConfig | None = None) -> ModelConfig:
    """The configuration, with every network argument spelled out: a model file must not
    depend on defaults that a later version of the code may change. With an `initial`
    model, its shape is kept (a contradicting shape argument is refused)."""
    if initial is not None:
        _check_shape(args, initial)
        threshold = initial.threshold if args.threshold is None else args.threshold
        return initial.with_changes(threshold=threshold)
    shape = {k: getattr(args, k) or SHAPE_DEFAULTS[k] for k in SHAPE_ARGUMENTS}
    kwargs = {**default_arch_kwargs(shape["arch"]), **args.arch_kwargs}
    if args.width_mult != 1.0:
        kwargs["base"] = max(1, round(kwargs["base"] * args.width_mult))
    return ModelConfig(
        arch=shape["arch"],
        frames_in=shape["frames_in"],
        frames_out=args.frames_out or shape["frames_in"],
        height=shape["height"],
        width=shape["width"],
        threshold=0.5 if args.threshold is None else args.threshold,
        arch_kwargs=kwargs,
    )


def _check_shape(args: argparse.Namespace, initial: ModelConfig) -> None:
    for name, flag in SHAPE_ARGUMENTS.items():
        wanted, have = getattr(args, name), getattr(initial, name)
        if wanted is not None and wanted != have:
            raise SystemExit(
                f"--init {args.init}: the model is {initial.arch} at "
                f"{initial.height}x{initial.width}, {initial.frames_in} frames in; "
                f"{flag} {wanted} asks for another network: leave {flag} out to fine-tune it"
            )
    if args.arch_kwargs or args.width_mult != 1.0:
        raise SystemExit(f"--init {args.init}: --arch-kwargs and --width-mult change the "
                         "network's layers; they cannot apply to a model that exists")  # fmt: skip


def initial_model(args: argparse.Namespace) -> tuple[dict, ModelConfig] | None:
    """The weights and configuration --init names (None without --init)."""
    if not args.init:
        return None
    if args.init == "shipped":  # the app's weights, not the model package's
        raise SystemExit("--init shipped: give the weights' folder, or run `tracknet-studio "
                         "train --init shipped`, which knows where the app keeps them")  # fmt: skip
    path = Path(args.init)
    if path.is_dir() and (path / "model.tar.gz").is_file():  # a SageMaker input channel
        path = path / "model.tar.gz"
    try:
        model, config = load_model(path)
    except (FileNotFoundError, ModelFileError) as error:
        raise SystemExit(f"--init {args.init}: cannot load a model from {path}: {error}") from None
    return model.state_dict(), config


def train_options(args: argparse.Namespace) -> TrainOptions:
    return TrainOptions(
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        weight_decay=args.weight_decay,
        seed=args.seed,
        val_every=args.val_every,
        workers=args.workers,
        threads=args.threads,
        amp=not args.no_amp,
        cpu_bf16=args.cpu_bf16,
        tolerance=args.tolerance,
        steps_per_epoch=args.steps_per_epoch,
        time_budget=args.time_budget,
        augment=Augment(hflip=args.hflip, jitter=args.jitter, mixup=args.mixup, still=args.still),
        crop=args.crop,
        crop_ball=args.crop_ball,
        static_repeat=args.static_repeat,
        calibrate_threshold=args.threshold is None,
    )


def resolve_paths(args: argparse.Namespace) -> dict[str, Path | None]:
    """Where data comes from and output goes, SageMaker's places or local ones."""
    out = args.out
    model_dir = args.model_dir or (out / "model" if out else None)
    if model_dir is None:
        raise SystemExit("no output: give --out DIR (or run where SM_MODEL_DIR is set)")
    if args.checkpoint_dir:
        checkpoints = args.checkpoint_dir
    elif SAGEMAKER_CHECKPOINTS.is_dir():
        checkpoints = SAGEMAKER_CHECKPOINTS
    else:
        checkpoints = out / "checkpoints" if out else None
    output = args.output_data_dir or (out / "output" if out else None)
    return {"model": model_dir, "checkpoints": checkpoints, "output": output}


def load_data(args: argparse.Namespace) -> tuple[list[ClipData], list[ClipData]]:
    """Training and validation clips from --data, or --train and --validation (each folder
    gives its "train" or "val" split; a folder without that split, given as --train or
    --validation, gives all its clips)."""
    train_roots = args.train or ([args.data] if args.data else None)
    if train_roots is None:
        raise SystemExit("no data: give --data DIR (or set SM_CHANNEL_TRAIN / SM_CHANNEL_DATASET)")
    val_roots = args.validation or ([args.data] if args.data else train_roots)
    train_clips = [c for root in train_roots for c in load_clips(root, "train") or load_clips(root)]
    val_clips = []
    for root in val_roots:
        own = load_clips(root, "val")
        val_clips += own or (load_clips(root) if args.validation else [])
    return train_clips, val_clips


def write_serving_code(model_dir: Path) -> None:
    """code/inference.py, code/requirements.txt and code/tracknet: what the endpoint runs
    (and code/wheels, which its requirements.txt then installs from, when the source
    bundle brought them)."""
    code = model_dir / "code"
    code.mkdir(parents=True, exist_ok=True)
    shutil.copy2(HERE / "inference.py", code / "inference.py")
    shutil.copy2(HERE / "requirements.txt", code / "requirements.txt")
    if (HERE / "wheels").is_dir():  # a bundle for network isolation: the endpoint needs them too
        shutil.rmtree(code / "wheels", ignore_errors=True)
        shutil.copytree(HERE / "wheels", code / "wheels")
    package = Path(tracknet.__file__).resolve().parent
    shutil.rmtree(code / "tracknet", ignore_errors=True)
    shutil.copytree(package, code / "tracknet", ignore=shutil.ignore_patterns("__pycache__"))


def write_archive(model_dir: Path, archive: Path) -> Path:
    """model.tar.gz with the model folder's contents at its root, as SageMaker packs it."""
    with tarfile.open(archive, "w:gz") as tar:
        for item in sorted(model_dir.iterdir()):
            tar.add(item, arcname=item.name)
    return archive


def distributed_plan() -> tuple[list[str], int, int]:
    """(hosts, processes per host, this host's index) from SageMaker's variables."""
    hosts = json.loads(os.environ.get("SM_HOSTS", "[]")) or [socket.gethostname()]
    current = os.environ.get("SM_CURRENT_HOST", hosts[0])
    per_host = max(int(os.environ.get("SM_NUM_GPUS", "0") or 0), 1)
    return hosts, per_host, hosts.index(current) if current in hosts else 0


def run_worker(local_rank: int, args: argparse.Namespace, per_host: int, node: int) -> None:
    """One training process; under spawn, sets torchrun's variables for its rank first."""
    if "RANK" not in os.environ or per_host > 1:
        os.environ["LOCAL_RANK"] = str(local_rank)
        os.environ["RANK"] = str(node * per_host + local_rank)
    ctx = setup_distributed(args.device)
    paths = resolve_paths(args)
    train_clips, val_clips = load_data(args)
    initial = initial_model(args)
    config = model_config(args, initial[1] if initial else None)
    result = train(
        config,
        train_clips,
        val_clips,
        train_options(args),
        initial_state=initial[0] if initial else None,
        model_dir=paths["model"],
        checkpoint_dir=paths["checkpoints"],
        output_dir=paths["output"],
        ctx=ctx,
    )
    if ctx.is_main and result.model_dir is not None:
        write_serving_code(paths["model"])
        if args.tar:
            archive = write_archive(paths["model"], paths["model"].parent / "model.tar.gz")
            print(f"wrote {archive}")
    if ctx.distributed:
        # Leave together, so no rank tears gloo down while rank 0 still writes the model.
        # Rank 1 once aborted in the teardown in CI (SIGABRT, "terminate called without an
        # active exception") after training had ended; staggering the ranks' exits by 5 s
        # either way did not provoke it again, so this narrows the race, not proven more.
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.print_metric_definitions:
        print(json.dumps(METRIC_DEFINITIONS, indent=1))
        return 0
    if "WORLD_SIZE" in os.environ:  # torchrun (or SageMaker's torch_distributed) started us
        run_worker(int(os.environ.get("LOCAL_RANK", "0")), args, 1, 0)
        return 0
    hosts, per_host, node = distributed_plan()
    world = len(hosts) * per_host
    if world == 1:
        run_worker(0, args, 1, 0)
        return 0
    os.environ.update(
        WORLD_SIZE=str(world),
        MASTER_ADDR=hosts[0],
        MASTER_PORT=os.environ.get("MASTER_PORT", str(DEFAULT_PORT)),
    )
    print(f"distributed: {len(hosts)} hosts x {per_host} processes, this host is #{node}")
    torch.multiprocessing.spawn(run_worker, args=(args, per_host, node), nprocs=per_host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
