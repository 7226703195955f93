"""`tracknet-studio finetune VIDEO LABELS [VIDEO LABELS ...] -o MODEL_DIR`: adapt a model to
your footage from a few hundred labels, in minutes.

The whole loop in one command, so nobody has to build a dataset by hand:
1. the labels (any form the app reads) are cut to `--frames`, and the last `--holdout` of
   the labelled frames of each clip, in time order, are held out (neighbouring frames are
   near copies: a random split would leak them into training);
2. model/featurize.py writes the training and the held-out frames as two datasets;
3. model/train.py (the very script of the SageMaker training job) fine-tunes `--init` (the
   shipped weights by default) within `--minutes`, keeping the epoch that does best on the
   held-out frames;
4. the held-out F1 (4 px at the 512x288 input, the field's protocol) is measured before
   and after with the app's own predictor, and the model folder is written to MODEL_DIR,
   ready for `predict --weights` and the window's Run Model.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.track import Track, Visibility
from ..formats.errors import FormatError
from ._common import frame_range
from .evaluate import read_track
from .train import train_script

# What fine-tuning on a few hundred labels uses: the shipped weights' crops and
# augmentations at a lower learning rate, short epochs so the best one can be kept.
RECIPE = ["--batch-size", "16", "--optimizer", "adamw", "--lr", "1e-3", "--crop", "64x128",
          "--crop-ball", "0.85", "--hflip", "0.5", "--jitter", "0.5", "--steps-per-epoch", "40",
          "--epochs", "1000", "--val-every", "1", "--workers", "1"]  # fmt: skip
TOLERANCE = 4.0


@dataclass(frozen=True)
class LabelledClip:
    """One VIDEO LABELS pair, cut to its frame range and split in time."""

    name: str
    video: Path
    labels: Track
    train_frames: np.ndarray
    heldout_frames: np.ndarray


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("finetune", help="adapt a model to your footage from a few labels")
    p.add_argument("pairs", nargs="+", metavar="VIDEO LABELS", help="videos and their labels")
    p.add_argument("-o", "--output", type=Path, required=True, help="model folder to write")
    p.add_argument("--init", default="shipped", help="model to start from (default: shipped)")
    p.add_argument("--frames", type=frame_range, metavar="A:B", help="use labels of A..B-1 only")
    p.add_argument("--minutes", type=float, default=10.0, help="training time (default 10)")
    p.add_argument("--holdout", type=float, default=0.2, help="share held out (default 0.2)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--work", type=Path, help="keep the datasets and logs here")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if len(args.pairs) % 2:
        print("error: give VIDEO LABELS pairs", file=sys.stderr)
        return 2
    try:
        pairs = zip(args.pairs[::2], args.pairs[1::2], strict=True)
        clips = [_clip(Path(video), Path(labels), args) for video, labels in pairs]
    except (FormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    init = _init_path(args.init)
    if not init.exists():
        print(f"error: no model at {init}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tracknet-finetune-") as scratch:
        work = args.work or Path(scratch)
        return _finetune(clips, init, work, args)


def _finetune(clips: list[LabelledClip], init: Path, work: Path, args: argparse.Namespace) -> int:
    for split in ("train", "heldout"):
        _featurize(clips, split, work)
    before = _heldout_f1(clips, init, args.device)
    print(f"held-out F1 before: {before:.3f} ({init})")
    started = time.monotonic()
    command = [sys.executable, str(train_script()), "--train", str(work / "data-train"),
               "--validation", str(work / "data-heldout"), "--out", str(work / "run"),
               "--init", str(init), "--time-budget", str(args.minutes * 60),
               "--device", args.device, *RECIPE]  # fmt: skip
    if args.threads:
        command += ["--threads", str(args.threads)]
    if subprocess.call(command) != 0:
        print("error: training failed (see above)", file=sys.stderr)
        return 1
    after = _heldout_f1(clips, work / "run" / "model", args.device)
    minutes = (time.monotonic() - started) / 60
    shutil.copytree(work / "run" / "model", args.output, dirs_exist_ok=True)
    print(f"held-out F1 after: {after:.3f} ({minutes:.1f} min of training); wrote {args.output}")
    if after <= before:
        print("warning: fine-tuning did not improve the held-out frames: label more frames "
              "(whole rallies), or train longer", file=sys.stderr)  # fmt: skip
    return 0


def _clip(video: Path, labels_path: Path, args: argparse.Namespace) -> LabelledClip:
    if not video.is_file():
        raise ValueError(f"{video}: no such video")
    labels = read_track(labels_path)
    labelled = labels.labeled_frames()
    start, stop = args.frames or (None, None)
    labelled = labelled[(labelled >= (start or 0)) & (labelled < (stop or len(labels)))]
    if len(labelled) < 20:
        raise ValueError(f"{labels_path}: {len(labelled)} labelled frames; fine-tuning needs 20+")
    cut = round(len(labelled) * (1 - args.holdout))
    return LabelledClip(video.stem, video, labels, labelled[:cut], labelled[cut:])


def _init_path(init: str) -> Path:
    if init == "shipped":
        from ..inference.local import DEFAULT_WEIGHTS

        return DEFAULT_WEIGHTS
    return Path(init)


def _featurize(clips: list[LabelledClip], split: str, work: Path) -> None:
    """Videos with the split's labels as `Frame,Visibility,X,Y`, then model/featurize.py."""
    source = work / f"input-{split}"
    source.mkdir(parents=True, exist_ok=True)
    for clip in clips:
        frames = clip.train_frames if split == "train" else clip.heldout_frames
        target = source / f"{clip.name}{clip.video.suffix}"
        if not target.exists():
            target.symlink_to(clip.video.resolve())
        (source / f"{clip.name}.csv").write_text(_label_table(clip.labels, frames))
    featurize = train_script().with_name("featurize.py")
    command = [sys.executable, str(featurize), "--input", str(source),
               "--output", str(work / f"data-{split}"), "--val-fraction", "0"]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _label_table(labels: Track, frames: np.ndarray) -> str:
    rows = ["Frame,Visibility,X,Y"]
    for n in frames.tolist():
        vis = int(labels.visibility[n])
        x, y = float(labels.x[n]), float(labels.y[n])
        if vis > Visibility.NO_BALL and np.isfinite(x) and np.isfinite(y):
            rows.append(f"{n},{vis},{x:.3f},{y:.3f}")
        elif vis == Visibility.NO_BALL:
            rows.append(f"{n},0,0,0")
        # An occluded ball without a position says nothing to learn from: left unlabelled.
    return "\n".join(rows) + "\n"


def _heldout_f1(clips: list[LabelledClip], weights: Path, device: str) -> float:
    """F1 of `weights` (method model) over every clip's held-out frames."""
    from tracknet.metrics import Counts, evaluate

    from ..inference import predict_track
    from ..inference.methods import make_predictor
    from ..video import VideoReader

    predictor = make_predictor("model", weights, device)
    predictor.load()
    total = Counts()
    for clip in clips:
        frames = clip.heldout_frames
        with VideoReader(clip.video, cache_mb=16) as reader:
            size = (reader.width, reader.height)
            track = predict_track(reader, predictor, int(frames[0]), int(frames[-1]) + 1)
        truth = clip.labels
        total += evaluate(
            track.has_ball[frames], np.stack([track.x[frames], track.y[frames]], axis=1),
            truth.visibility[frames], np.stack([truth.x[frames], truth.y[frames]], axis=1),
            tolerance=TOLERANCE, space="input", original_size=size,
        )  # fmt: skip
    return total.f1
