"""Fine-tuning a model on a few hundred labels, the whole loop: shared by
`tracknet-studio finetune` and the window's Model > Fine-tune on Labels….

1. the labels of each clip are cut to a frame range, and the last `holdout` of its labelled
   frames, in time order, are held out (neighbouring frames are near copies: a random split
   would leak them into training);
2. entrypoints/featurize.py writes the training and the held-out frames as two datasets;
3. entrypoints/train.py (the very script of the SageMaker training job) fine-tunes
   `init` within a time budget, keeping the epoch that does best on the held-out frames;
4. the held-out F1 (4 px at the 512x288 input, the field's protocol) is measured before and
   after with the app's own predictor, and the model folder is written to `output`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cloud.bundle import entrypoints_dir
from ..core.track import Track, Visibility
from .base import predict_track
from .methods import make_predictor

# What fine-tuning on a few hundred labels uses: the shipped weights' crops and
# augmentations at a lower learning rate, short epochs so the best one can be kept.
RECIPE = ["--batch-size", "16", "--optimizer", "adamw", "--lr", "1e-3", "--crop", "64x128",
          "--crop-ball", "0.85", "--hflip", "0.5", "--jitter", "0.5", "--steps-per-epoch", "40",
          "--epochs", "1000", "--val-every", "1", "--workers", "1"]  # fmt: skip
TOLERANCE = 4.0
CONTEXT = 15  # frames predicted on either side of the held-out ones (not counted)
MIN_LABELS = 20
Say = Callable[[str], None]
# (seconds trained, seconds budgeted); may raise to stop the run (the window's Cancel).
Progress = Callable[[float, float], None]


class FinetuneError(ValueError):
    """Labels or a model that fine-tuning cannot use, in words for the user."""


@dataclass(frozen=True)
class LabelledClip:
    """One video with its labels, cut to a frame range and split in time."""

    name: str
    video: Path
    labels: Track
    train_frames: np.ndarray
    heldout_frames: np.ndarray


@dataclass(frozen=True)
class FinetuneResult:
    before: float  # held-out F1 of the initial model
    after: float  # ... and of the fine-tuned one
    minutes: float
    model: Path
    kept_initial: bool = False  # the fine-tuned one did worse: `model` is the initial one


def labelled_clip(
    video: Path, labels: Track, frames: tuple[int | None, int | None] | None, holdout: float
) -> LabelledClip:
    """`labels` cut to `frames` (start, stop) and split in time; refuses too few labels."""
    labelled = labels.labeled_frames()
    start, stop = frames or (None, None)
    labelled = labelled[(labelled >= (start or 0)) & (labelled < (stop or len(labels)))]
    if len(labelled) < MIN_LABELS:
        raise FinetuneError(
            f"{video.name}: {len(labelled)} labelled frames; fine-tuning needs {MIN_LABELS}+"
        )
    cut = round(len(labelled) * (1 - holdout))
    return LabelledClip(video.stem, video, labels, labelled[:cut], labelled[cut:])


def finetune(
    clips: Sequence[LabelledClip],
    init: Path,
    output: Path,
    *,
    minutes: float,
    device: str = "auto",
    threads: int | None = None,
    work: Path | None = None,
    say: Say = print,
    progress: Progress | None = None,
) -> FinetuneResult:
    """Run the loop (see the module) and write the model folder to `output`."""
    if not init.exists():
        raise FinetuneError(f"no model at {init}")
    with tempfile.TemporaryDirectory(prefix="tracknet-finetune-") as scratch:
        folder = work or Path(scratch)
        for split in ("train", "heldout"):
            _featurize(clips, split, folder)
        before = heldout_f1(clips, init, device)
        say(f"held-out F1 before: {before:.3f} ({init})")
        started = time.monotonic()
        _train(clips, init, folder, minutes, device, threads, say, progress)
        trained = (time.monotonic() - started) / 60
        after = heldout_f1(clips, folder / "run" / "model", device)
        # Early stopping with the initial model as a candidate: on a few hundred labels a
        # run can overfit and do worse on the held-out frames than where it started (a
        # pickleball clip, 40 labels: 0.95 before, 0.00 after); then the initial one stays.
        kept_initial = after < before
        if kept_initial:
            _write_initial(init, output)
        else:
            shutil.copytree(folder / "run" / "model", output, dirs_exist_ok=True)
    result = FinetuneResult(before, after, trained, output, kept_initial)
    say(f"held-out F1 after: {after:.3f} ({result.minutes:.1f} min of training); "
        f"wrote {output}")  # fmt: skip
    if kept_initial:
        say(f"the fine-tuned model did worse on the held-out frames than the initial one "
            f"({after:.3f} < {before:.3f}): {output} holds the initial model; label more "
            "frames (whole rallies) or train longer")  # fmt: skip
    return result


def _write_initial(init: Path, output: Path) -> None:
    """The initial model as a model folder (init may be a folder, an archive, the shipped
    weights)."""
    from tracknet.modelfile import load_model, save_model

    model, config = load_model(init, "cpu")
    save_model(output, model, config)


def _train(
    clips: Sequence[LabelledClip], init: Path, folder: Path, minutes: float, device: str,
    threads: int | None, say: Say, progress: Progress | None,
) -> None:  # fmt: skip
    """entrypoints/train.py in a subprocess, its lines passed to `say`; stopped when `progress`
    raises (and the exception goes on)."""
    command = [sys.executable, str(entrypoints_dir() / "train.py"),
               "--train", str(folder / "data-train"), "--validation", str(folder / "data-heldout"),
               "--out", str(folder / "run"), "--init", str(init),
               "--time-budget", str(minutes * 60), "--device", device, *RECIPE]  # fmt: skip
    if threads:
        command += ["--threads", str(threads)]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:
            say(line.rstrip())
            if progress is not None:
                progress(min(time.monotonic() - started, minutes * 60), minutes * 60)
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.wait() != 0:
        raise FinetuneError(f"training failed (exit status {process.returncode}); see its log")


def _featurize(clips: Sequence[LabelledClip], split: str, work: Path) -> None:
    """Videos with the split's labels as `Frame,Visibility,X,Y`, then entrypoints/featurize.py."""
    source = work / f"input-{split}"
    source.mkdir(parents=True, exist_ok=True)
    for clip in clips:
        frames = clip.train_frames if split == "train" else clip.heldout_frames
        target = source / f"{clip.name}{clip.video.suffix}"
        if not target.exists():
            target.symlink_to(clip.video.resolve())
        (source / f"{clip.name}.csv").write_text(label_table(clip.labels, frames))
    command = [sys.executable, str(entrypoints_dir() / "featurize.py"), "--input", str(source),
               "--output", str(work / f"data-{split}"), "--val-fraction", "0"]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def label_table(labels: Track, frames: np.ndarray) -> str:
    """The frames' labels as entrypoints/featurize.py reads them (`Frame,Visibility,X,Y`, 0-3)."""
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


def heldout_f1(clips: Sequence[LabelledClip], weights: Path, device: str) -> float:
    """F1 of `weights` (method model) over every clip's held-out frames."""
    from tracknet.metrics import Counts, evaluate

    from ..video import VideoReader

    predictor = make_predictor("model", weights, device)
    predictor.load()
    total = Counts()
    for clip in clips:
        frames = clip.heldout_frames
        with VideoReader(clip.video, cache_mb=16) as reader:
            size = (reader.width, reader.height)
            # The frames around give the tracker its run-up (a flight needs a few hits
            # before it is believed): as in a prediction of the whole video. Only the
            # held-out frames' labels are counted.
            start = max(0, int(frames[0]) - CONTEXT)
            stop = min(reader.frame_count, int(frames[-1]) + 1 + CONTEXT)
            track = predict_track(reader, predictor, start, stop)
        truth = clip.labels
        total += evaluate(
            track.has_ball[frames], np.stack([track.x[frames], track.y[frames]], axis=1),
            truth.visibility[frames], np.stack([truth.x[frames], truth.y[frames]], axis=1),
            tolerance=TOLERANCE, space="input", original_size=size,
        )  # fmt: skip
    return total.f1
