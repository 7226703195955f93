"""Train the shipped weights (tracknet_studio/resources/weights/): synthetic clips plus real
footage.

    scripts/train_shipped_weights [--work DIR] [--budget SECONDS] [--frames N] [--synthetic-only]

1. generates the synthetic benchmark's training clips (benchmark_specs("train")) and its
   held-out test clips (benchmark_specs("test"): other seeds, speeds, colours, and a sport
   training never sees);
2. featurizes the training clips with entrypoints/featurize.py (1 in 8 clips for
   validation);
3. real footage (scripts/real_pretraining.py, needs ../shared/data): the real labelled
   set's dev clips with their hand labels, every other real video pseudo-labelled by the
   auto-track where it is confident, two dev clips held out to validate, the test split's
   videos never touched; featurized the same way;
4. trains the fast network with entrypoints/train.py on the CPU within the time
   budget, keeping the epoch that does best on the synthetic and real validation clips together;
5. scores the result on the synthetic held-out clips and on the real test clips with the
   app's own predictors and the shared metrics, and writes the weights plus a README with
   those figures to tracknet_studio/resources/weights/<name>/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import textwrap
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

HERE = Path(__file__).resolve().parent

import torch  # noqa: E402

from tracknet_studio.synthetic.model_suite import featurize, generate_suite, score_held_out  # noqa: E402

ROOT = HERE.parent
from real_pretraining import MIN_BELIEF  # noqa: E402
from tracknet.modelfile import load_model, save_model  # noqa: E402

NAME = "fasttracknet"
DESTINATION = ROOT / "tracknet_studio" / "resources" / "weights" / NAME
TRAIN = ROOT / "model" / "tracknet" / "entrypoints" / "train.py"
# The recipe, kept here so the README states exactly what produced the weights.
OPTIONS: dict[str, str | bool] = {
    "--arch": "fasttracknet",
    "--batch-size": "32",
    "--optimizer": "adamw",
    "--lr": "5e-3",
    "--crop": "64x128",
    "--crop-ball": "0.85",
    "--hflip": "0.5",
    "--jitter": "0.8",
    "--mixup": "0.1",
    "--steps-per-epoch": "100",
    "--epochs": "30",
    "--val-every": "3",
    "--workers": "1",
    "--threads": "1",
    "--seed": "0",
    "--cpu-bf16": True,
}


def command_line(options: dict[str, str | bool]) -> list[str]:
    """train.py arguments from {option: value}; True is a flag without a value."""
    return [part for k, v in options.items() for part in ((k,) if v is True else (k, str(v)))]


RECIPE = command_line(OPTIONS)
PSEUDO_THRESHOLDS = [0.005, 0.01, 0.015, 0.02, 0.03, 0.04]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, default=ROOT / "build" / "model-suite")
    p.add_argument("--budget", type=float, default=30 * 60, help="seconds of training")
    p.add_argument("--frames", type=int, default=300, help="frames per synthetic clip")
    p.add_argument("--dest", type=Path, default=DESTINATION)
    p.add_argument("--min-belief", type=float, default=MIN_BELIEF, help="pseudo-label threshold")
    p.add_argument("--synthetic-only", action="store_true", help="no real footage")
    p.add_argument(
        "--skip-training",
        action="store_true",
        help="reuse WORK/run: score it, write the weights and README",
    )
    return p.parse_args()


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    generate_suite("train", args.work / "videos-train", args.frames)
    test_videos = generate_suite("test", args.work / "videos-test", args.frames)
    featurize(args.work / "videos-train", args.work / "dataset", val_fraction=0.125)
    train, validation = [args.work / "dataset"], [args.work / "dataset"]
    real = None if args.synthetic_only else prepare_real(args)
    if real is not None:
        train.append(args.work / "dataset-real-train")
        validation.append(args.work / "dataset-real-val")
    run_dir = args.work / "run"
    if not args.skip_training:
        shutil.rmtree(run_dir, ignore_errors=True)
        command = [sys.executable, str(TRAIN), "--train", *map(str, train),
                   "--validation", *map(str, validation), "--out", str(run_dir),
                   "--time-budget", str(args.budget), *RECIPE]  # fmt: skip
        print(" ".join(command), flush=True)
        (run_dir / "train.log").parent.mkdir(parents=True, exist_ok=True)
        (run_dir / "train.log").write_text(run_streaming(command))
    log = (run_dir / "train.log").read_text()
    history = json.loads((run_dir / "output" / "history.json").read_text())
    train_seconds = sum(epoch["seconds"] for epoch in history)
    # entrypoints/train.py set the threshold to the best on the validation clips, and says how.
    calibration = json.loads((run_dir / "output" / "threshold.json").read_text())
    sweep = {float(t): f1 for t, f1 in calibration["validation_f1"].items()}
    model, config = load_model(run_dir / "model", "cpu")
    save_model(args.dest, model, config.with_changes(threshold=calibration["threshold"]))
    held_out = score_held_out(args.dest, test_videos)
    real_lines = score_real(args.dest) if real is not None else []
    epoch_lines = [line for line in log.splitlines() if line.startswith("epoch=")]
    write_readme(args, held_out, train_seconds, epoch_lines, sweep, real, real_lines)
    for line in [*held_out.lines(4.0), *real_lines]:
        print(line)
    print(f"done in {time.monotonic() - started:.0f} s -> {args.dest}")
    return 0


def prepare_real(args: argparse.Namespace) -> dict | None:
    """Real training and validation datasets (see scripts/real_pretraining.py); None when
    ../shared/data is not here. Returns what the README says about them."""
    from real_pretraining import SHARED, pseudo_label_quality, real_videos, write_inputs

    if not SHARED.is_dir():
        print(f"no real footage at {SHARED}: training on synthetic clips only", flush=True)
        return None
    videos, validation = real_videos()
    quality = pseudo_label_quality(videos, PSEUDO_THRESHOLDS)
    print("\n".join(quality), flush=True)
    inputs = {split: args.work / f"real-{split}" for split in ("train", "val")}
    for folder in inputs.values():
        shutil.rmtree(folder, ignore_errors=True)
    counts = write_inputs(videos, validation, inputs["train"], inputs["val"], args.min_belief)
    for split, folder in inputs.items():
        dataset = args.work / f"dataset-real-{split}"
        shutil.rmtree(dataset, ignore_errors=True)
        featurize(folder, dataset, val_fraction=0.0)
    return {"videos": [v.name for v in videos], "validation": [c.name for c in validation],
            "quality": quality, "counts": counts}  # fmt: skip


def score_real(weights: Path) -> list[str]:
    """bench/bench_real.py's table for the real test clips, methods model and fused."""
    from bench_real import print_table, run_clip, summarise

    from tracknet_studio.inference.methods import make_predictor
    from tracknet_studio.inference.real_set import load_clips

    results = []
    for method in ("model", "fused"):
        predictor = make_predictor(method, weights, device="cpu")
        predictor.load()
        results += [run_clip(c, method, predictor) for c in load_clips() if c.split == "test"]
    text = StringIO()
    with redirect_stdout(text):
        print_table(results)
        summarise(results)
    return text.getvalue().strip().splitlines()


def run_streaming(command: list[str]) -> str:
    """Run `command`, echoing its output as it comes; returns the output."""
    lines = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as p:
        assert p.stdout is not None
        for line in p.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    if p.returncode:
        raise SystemExit(f"training failed with exit status {p.returncode}")
    return "".join(lines)


def write_readme(
    args: argparse.Namespace,
    held_out,
    train_seconds: float,
    epochs: list[str],
    sweep: dict[float, float],
    real: dict | None,
    real_lines: list[str],
) -> None:
    import platform

    from tracknet.networks import count_parameters

    model, config = load_model(args.dest, "cpu")
    f1 = held_out.input_space.f1
    goal = f"met ({f1:.4f})" if f1 >= 0.95 else f"not met: {f1:.4f}"
    size = sum(p.stat().st_size for p in args.dest.iterdir() if p.name != "README.md")
    sources = "synthetic clips and real footage" if real else "synthetic clips only"
    text = f"""# {NAME}: the fast network, trained on {sources}

These weights let the demo, `tracknet-studio predict` and the window's Run Model work out of
the box, and are where `tracknet-studio finetune --init shipped` starts.
{_summary(real)}

## What
- network: `{config.arch}` {dict(config.arch_kwargs) or ""}, {count_parameters(model):,}
  parameters, {config.frames_in} frames in, {config.frames_out} out, input
  {config.width}x{config.height}, threshold {config.threshold}; files {size / 1024:.0f} KiB
  (`model.safetensors` + `config.json`, loaded by `tracknet.modelfile.load_model`).

## How
- synthetic data: `benchmark_specs("train", frames={args.frames})` - 24 clips of six sports
  (hard and clay tennis, badminton, pickleball, indoor and sand volleyball) at 512x288 up to
  1920x1080, featurized by `entrypoints/featurize.py` (JPEG 90 at 512x288); 3 clips held out
  for validation by clip.
{_real_section(real, args.min_belief)}
- training: `scripts/train_shipped_weights` -> `entrypoints/train.py {" ".join(RECIPE)}
  --time-budget {args.budget:.0f}` on the CPU ({platform.processor() or platform.machine()},
  torch {torch.__version__}, one torch thread plus one loader process: on a shared 2-core
  machine more threads oversubscribe the cores and measured 10-50x slower steps):
  {train_seconds / 60:.1f} minutes. Weighted focal-style BCE on r=2.5 px discs; random
  64x128 crops, 85% of them placed on the ball (the network is fully convolutional; small
  crops train many times faster on a CPU and raise the share of ball pixels), flips,
  colour jitter, whole-clip mixup; AdamW with warm-up and cosine decay; the best
  validated epoch (synthetic and real validation clips together).
- threshold: {config.threshold}, the best of a sweep on the validation clips (F1 without
  the tracker: {", ".join(f"{t} -> {f:.4f}" for t, f in sweep.items())}).

## Held-out figures: real footage
{_real_figures(real_lines)}

## Held-out figures: synthetic
`benchmark_specs("test", frames={args.frames})`: 8 clips, other seeds, slower and faster
balls, stronger colour variation, and grass tennis, which training never saw; predicted
with `tracknet.predict.Predictor` (sliding window, per-frame nearest tracker) over the
decoded videos, {held_out.frames} frames:

```
{chr(10).join(held_out.lines(4.0))}
```

The goal of F1 >= 0.95 at 4 px (input space) is {goal}.

Training log (one line per epoch):

```
{chr(10).join(epochs)}
```
"""
    (args.dest / "README.md").write_text(text)


def _summary(real: dict | None) -> str:
    if real is None:
        return ("They were trained on **synthetic** clips only: expect them to miss balls\n"
                "and to fire on ball-like things in real video; fine-tune them on a few\n"
                "hundred labels of your footage (`tracknet-studio finetune`).")  # fmt: skip
    return ("They have seen real broadcast footage (hand labels and the auto-track's\n"
            "confident flights) besides the synthetic clips; on a sport, court or camera\n"
            "they have not seen, fine-tune them on a few hundred labels of your footage\n"
            "(`tracknet-studio finetune`).")  # fmt: skip


def _real_section(real: dict | None, min_belief: float) -> str:
    if real is None:
        return "- real data: none (`--synthetic-only`, or ../shared/data was absent)."
    counts = real["counts"]
    videos = textwrap.fill(", ".join(real["videos"]), 88, subsequent_indent="  ")
    return f"""- real data (`scripts/real_pretraining.py`, videos from ../shared/data, split by
  whole video): {len(real["videos"])} videos trained on:
  {videos};
  {counts["hand"]} hand-labelled frames of the real set's dev clips and {counts["pseudo"]}
  pseudo-labelled frames where the auto-track follows a flight it believes in at least
  {min_belief} (gap fills and unsure frames left unlabelled); validation: the dev clips
  {", ".join(real["validation"])} ({counts["validation"]} hand-labelled frames); the test
  clips' videos are never used. What the belief threshold does to the pseudo-labels,
  measured on the dev clips' hand labels (4 px, input space):

```
{chr(10).join(real["quality"])}
```"""


def _real_figures(lines: list[str]) -> str:
    if not lines:
        return "Not measured: ../shared/data was absent when these weights were made."
    return f"""The real labelled set's test clips (whole videos never trained or validated on),
`bench/bench_real.py`'s protocol (F1 at 4 px in the 512x288 input space), methods `model`
(the network's blobs through the physics tracker) and `fused` (with the auto-track's):

```
{chr(10).join(lines)}
```"""


if __name__ == "__main__":
    sys.exit(main())
