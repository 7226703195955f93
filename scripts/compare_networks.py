"""TrackNetV2 against the fast network: one recipe, one dataset, the same held-out clips.

    scripts/compare_networks [--recipe NAME ...] [--arch NAME ...] [--device cpu|cuda]
                             [--variant LABEL=JSON ...] [--seed N ...] [--parallel]
                             [--jobs N] [--score-only] [--work DIR]

For each recipe in RECIPES and each network, trains on the synthetic suite's training
clips (featurized as for the shipped weights), keeps the best validated epoch, then
predicts the held-out test clips with the shared streaming predictor (sliding window and
tracker, each network at the threshold its training chose, both at the same runtime) and
scores them with the shared metrics. A run whose model is already in WORK/<recipe>/<run>
is not trained again, and its figures are cached beside it (held_out.json), so a long run
can be made once and scored later, or made on a GPU machine and copied back. A run is
named after its network, or `<arch>-<label>` for a variant of it (`--variant
LABEL='{"base": 48}'`: network arguments as JSON), which the report lists beside the
networks with its own distance to TrackNetV2. `--seed 1 2` trains each run again from
other seeds (initial weights, window order, augmentation draws), named `<run>-seed<N>`;
the report then adds the mean over the seeds, since runs of one recipe differ by a point.
With --parallel every run trains at once, and is scored at once.

The report, docs/model-comparison.md (figures in docs/model-comparison.json, printed by
bench/bench_model.py), has one section per recipe: from WORK where this machine has the
run, else as recorded in that JSON by an earlier run, here or elsewhere. A NOTE.md beside
a run (how it really ran: machine, guards, what it showed) is copied into its record and
printed under the section, so it outlives WORK.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

import torch  # noqa: E402

from tracknet_studio.synthetic.model_suite import (  # noqa: E402
    HeldOut,
    featurize,
    generate_suite,
    score_held_out,
)

ROOT = HERE.parent
from tracknet.metrics import Counts  # noqa: E402
from tracknet.modelfile import load_model  # noqa: E402
from tracknet.networks import count_parameters  # noqa: E402
from tracknet.postprocess import BallTracker  # noqa: E402
from train_shipped_weights import OPTIONS as SHIPPED  # noqa: E402
from train_shipped_weights import TRAIN, command_line, run_streaming  # noqa: E402

from tracknet_studio.synthetic import benchmark_specs  # noqa: E402
from tracknet_studio.synthetic.comparison import (  # noqa: E402
    ARCHES,
    EARLIER_TRACKER,
    changed_arguments,
    gap_to_tracknetv2,
    report_order,
    tracker_of,
    verdict_line,
)

REPORT = "model-comparison"  # .md for people, .json for bench_model and later runs
TOLERANCE = 4.0
# The tracker that chose each frame's ball when a run was scored (EARLIER_TRACKER before
# 2026-12-06). Gaps are only taken between runs scored with the same one.
OVERRIDE = BallTracker().override
TRACKER = f"nearest, or hotter by {OVERRIDE}"


@dataclass(frozen=True)
class Recipe:
    """entrypoints/train.py options shared by both networks, and why the recipe exists."""

    options: dict[str, str | bool]
    about: str


# The shipped weights' options without the architecture, and without what only a
# one-thread CPU run needs (one loader process, one thread, bf16 autocast on the CPU).
_SHIPPED = {k: v for k, v in SHIPPED.items() if k != "--arch"}
_GPU = {k: v for k, v in _SHIPPED.items() if k not in ("--threads", "--cpu-bf16")} | {
    "--workers": "3"
}
RECIPES = {
    # Batch 16 and 14 epochs: with bf16 autocast TrackNetV2 costs ~3.2 s a step on the
    # 2-core CPU (fp32, batch 32: ~26 s), so 1400 steps fit in a working session.
    # Validation every 7 epochs: one pass over the validation clips takes TrackNetV2 ~6 min.
    "cpu": Recipe(
        _SHIPPED | {"--batch-size": "16", "--epochs": "14", "--val-every": "7"},
        "the shipped weights' recipe cut to what TrackNetV2 can be given on a 2-core CPU "
        "(batch 16, 1400 steps)",
    ),
    "gpu": Recipe(
        _GPU,
        "the shipped weights' recipe at full length (batch 32, 3000 steps of 64x128 crops) "
        "on a GPU, CUDA mixed precision",
    ),
    # Crops 2.25x wider and taller: at 64x128 the fast network's 1/8-resolution context
    # blocks (dilations up to 8, 64 input px) see mostly padding in training, and the
    # whole frame at prediction.
    "gpu-wide": Recipe(
        _GPU | {"--crop": "144x256", "--epochs": "15"},
        "144x256 crops, so that the context the networks see in training is closer to the "
        "whole frame they predict on; 1500 steps of 32 on a GPU, CUDA mixed precision",
    ),
}
RECIPES["gpu-wide-static"] = Recipe(
    RECIPES["gpu-wide"].options | {"--static-repeat": "5"},
    "as `gpu-wide`, with the training windows that end on a ball at rest listed 5 times "
    "(~17% of the windows instead of ~4%): the fast network missed resting balls",
)
RECIPES["gpu-wide-still"] = Recipe(
    RECIPES["gpu-wide"].options | {"--still": "0.15"},
    "as `gpu-wide`, with 15% of the training windows frozen on their newest frame (a ball "
    "at rest wherever a ball is labelled): the fast network missed resting balls",
)
RECIPES["cpu-still"] = Recipe(
    RECIPES["cpu"].options | {"--still": "0.15"},
    "as `cpu`, with 15% of the training windows frozen on their newest frame: "
    "`gpu-wide-still` for both networks, at a cost TrackNetV2 can be given on the 2-core CPU",
)
# Both networks are scored by torch with bf16 autocast (on the CPU TrackNetV2 measured
# 1.6x faster than ONNX Runtime that way); the same runtime for both keeps it fair.
SCORING = {"runtime": "torch", "bf16": True}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, default=ROOT / "build" / "compare")
    p.add_argument("--suite", type=Path, default=ROOT / "build" / "model-suite")
    p.add_argument("--docs", type=Path, default=ROOT / "docs", help="where the report goes")
    p.add_argument("--recipe", nargs="+", choices=RECIPES, default=["cpu"])
    p.add_argument("--arch", nargs="+", choices=ARCHES, default=list(ARCHES))
    p.add_argument(
        "--variant",
        action="append",
        type=variant,
        default=[],
        help="LABEL=JSON: a variant's network arguments; runs <arch>-<label>",
    )
    p.add_argument(
        "--seed",
        nargs="+",
        type=int,
        default=[0],
        help="train each run from these seeds; seed N>0 runs <run>-seed<N>",
    )
    p.add_argument("--device", default="cpu", help="training and scoring device: cpu, cuda")
    p.add_argument("--frames", type=int, default=300, help="frames per synthetic clip")
    p.add_argument("--jobs", type=int, default=1, help="clips generated/featurized at once")
    p.add_argument("--parallel", action="store_true", help="train every run at once")
    p.add_argument("--time-budget", type=float, help="seconds of training per run (a guard)")
    # How a run computes, not what it learns: loader processes, CPU threads, CPU autocast.
    p.add_argument("--workers", help="loader processes per run (the recipe's by default)")
    p.add_argument("--threads", help="torch CPU threads per run")
    p.add_argument("--cpu-bf16", action="store_true", help="bf16 autocast when on the CPU")
    p.add_argument("--score-only", action="store_true", help="never train; score what exists")
    return p.parse_args()


def variant(text: str) -> tuple[str, str]:
    """`LABEL=JSON` as (label, JSON), the JSON checked here rather than by train.py later."""
    label, _, kwargs = text.partition("=")
    try:
        if not label or not isinstance(json.loads(kwargs), dict):
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"not LABEL=JSON-object: {text!r}") from None
    return label, kwargs


@dataclass(frozen=True)
class Run:
    """One network (or a variant of it) trained with one recipe."""

    recipe: str
    arch: str
    label: str = ""
    arch_kwargs: str = ""
    seed: int = 0

    @property
    def name(self) -> str:
        name = f"{self.arch}-{self.label}" if self.label else self.arch
        return f"{name}-seed{self.seed}" if self.seed else name

    def folder(self, work: Path) -> Path:
        return work / self.recipe / self.name


def planned_runs(args: argparse.Namespace) -> list[Run]:
    variants = args.variant or [("", "")]
    return [
        Run(recipe, arch, label, kwargs, seed)
        for recipe in args.recipe
        for arch in args.arch
        for label, kwargs in variants
        for seed in args.seed
    ]


def train_command(run: Run, args: argparse.Namespace) -> list[str]:
    options = RECIPES[run.recipe].options | {"--seed": str(run.seed)}
    command = [sys.executable, str(TRAIN), "--data", str(args.suite / "dataset"),
               "--out", str(run.folder(args.work)), "--arch", run.arch, "--device", args.device,
               *command_line(options)]  # fmt: skip
    if run.arch_kwargs:
        command += ["--arch-kwargs", run.arch_kwargs]
    if args.workers:  # what is trained does not depend on it: each item seeds its own draws
        command += ["--workers", args.workers]
    if args.threads:
        command += ["--threads", args.threads]
    if args.cpu_bf16:
        command += ["--cpu-bf16"]
    if args.time_budget:
        command += ["--time-budget", str(args.time_budget)]
    return command


def train_missing(runs: list[Run], args: argparse.Namespace) -> None:
    """Train the runs that have no model yet: one after another, or all at once."""
    waiting = []
    for run in runs:
        run_dir = run.folder(args.work)
        if (run_dir / "model" / "config.json").is_file():
            continue
        command = train_command(run, args)
        print(" ".join(command), flush=True)
        run_dir.mkdir(parents=True, exist_ok=True)
        if not args.parallel:
            (run_dir / "train.log").write_text(run_streaming(command))
            continue
        with (run_dir / "train.log").open("w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        waiting.append((f"{run.recipe}/{run.name}", process, time.monotonic()))
    for name, process, started in waiting:
        status = process.wait()
        print(f"{name}: training ended ({status=}) after {time.monotonic() - started:.0f} s")
        if status:
            print((args.work / name / "train.log").read_text()[-3000:])


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"{platform.machine()} CPU"


def score(run: Run, args: argparse.Namespace, test_videos: list[Path]) -> dict:
    """Held-out figures of one run, cached beside it (TrackNetV2 takes ~20 min on a CPU)."""
    recipe, run_dir = run.recipe, run.folder(args.work)
    cached = run_dir / "held_out.json"
    if cached.is_file():
        return json.loads(cached.read_text())
    held_out = score_held_out(run_dir / "model", test_videos, TOLERANCE, args.device, **SCORING)
    model, config = load_model(run_dir / "model", "cpu")
    history = json.loads((run_dir / "output" / "history.json").read_text())
    validated = [e for e in history if e.get("val")]
    best = max(validated, key=lambda e: e["val"]["f1"]) if validated else None
    result = {
        "recipe": recipe,
        "arch": config.arch,
        "arch_kwargs": dict(config.arch_kwargs),
        "seed": run.seed,
        "device": device_name(args.device),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "params": count_parameters(model),
        "threshold": config.threshold,
        "tracker": TRACKER,
        "train_minutes": sum(e["seconds"] for e in history) / 60,
        "steps": len(history) * int(RECIPES[recipe].options["--steps-per-epoch"]),
        "best_epoch": best["epoch"] if best else None,
        "val_f1": best["val"]["f1"] if best else None,
        "input": counts_record(held_out.input_space),
        "original": counts_record(held_out.original_space),
        "per_clip": {name: counts_record(c) for name, c in held_out.per_clip.items()},
        "frames": held_out.frames,
        "score_seconds": held_out.seconds,
    }
    cached.write_text(json.dumps(result, indent=1))
    return result


def counts_record(counts: Counts) -> dict:
    return counts.as_dict() | {"f1": counts.f1}


def held_out_of(result: dict) -> HeldOut:
    """The HeldOut of a recorded result, for its printed lines."""
    spaces = [{k: v for k, v in result[s].items() if k != "f1"} for s in ("input", "original")]
    return HeldOut(*(Counts(**c) for c in spaces), result["frames"], result["score_seconds"])


def collect(args: argparse.Namespace) -> dict[str, dict[str, dict]]:
    """{recipe: {run: figures}}: this machine's runs over what was recorded before."""
    recorded_file = args.docs / f"{REPORT}.json"
    recorded = json.loads(recorded_file.read_text()) if recorded_file.is_file() else {}
    results: dict[str, dict[str, dict]] = {}
    for recipe in RECIPES:
        runs = dict(recorded.get(recipe, {}))
        for cached in sorted((args.work / recipe).glob("*/held_out.json")):
            runs[cached.parent.name] = json.loads(cached.read_text())
        # A run's NOTE.md (how it really ran) goes into its record: build/ does not last.
        for note in sorted((args.work / recipe).glob("*/NOTE.md")):
            if note.parent.name in runs:
                runs[note.parent.name]["note"] = note.read_text().strip()
        if runs:
            results[recipe] = dict(sorted(runs.items(), key=report_order))
    return results


def recipe_section(recipe: str, runs: dict[str, dict], args: argparse.Namespace) -> str:
    rows = [
        "| run | arguments beside the defaults | parameters | machine | training "
        "| best epoch (val F1) | threshold | tracker | held-out F1, 4 px input "
        "| held-out F1, 4 px original | precision | recall | TrackNetV2 minus this |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        gap = gap_to_tracknetv2(runs, name)
        tp, fp = r["input"]["tp"], r["input"]["fp1"] + r["input"]["fp2"]
        recall = tp / max(tp + r["input"]["fn"], 1)
        rows.append(
            f"| {name} | {changed_arguments(r)} | {r['params'] / 1e6:.2f} M | "
            f"{r.get('device', 'x86_64 CPU')} | "
            f"{r['steps']} steps, {r['train_minutes']:.1f} min | {r['best_epoch']} "
            f"({r['val_f1']:.4f}) | {r.get('threshold', 0.5)} | {tracker_of(r)} | "
            f"**{r['input']['f1']:.4f}** | "
            f"{r['original']['f1']:.4f} | "
            f"{tp / max(tp + fp, 1):.4f} | {recall:.4f} | "
            f"{'' if gap is None or r['arch'] == 'tracknetv2' else f'{gap:+.2f}'} |"
        )
    verdict = verdict_line(runs)
    counts = "\n".join(
        f"{name}:\n" + "\n".join(held_out_of(r).lines(TOLERANCE)) for name, r in runs.items()
    )
    notes = [f"- {name}: {r['note']}" for name, r in runs.items() if r.get("note")]
    return f"""## Recipe `{recipe}`: {RECIPES[recipe].about}

`entrypoints/train.py --arch ARCH {" ".join(command_line(RECIPES[recipe].options))}`

{verdict}{chr(10).join(rows)}

{per_clip_table(runs, args.frames)}
```
{counts}
```
{chr(10).join(notes)}
"""


def per_clip_table(runs: dict[str, dict], frames: int) -> str:
    """Held-out F1 per run (rows) and test clip (columns), where the runs recorded it."""
    if not all("per_clip" in r for r in runs.values()):
        return ""
    clips = {f"test{i:02d}": spec.sport for i, spec in enumerate(benchmark_specs("test", frames))}
    rows = [
        "| run | " + " | ".join(f"{name} ({sport})" for name, sport in clips.items()) + " |",
        "|---" * (len(clips) + 1) + "|",
    ]
    for run, r in runs.items():
        rows.append(
            f"| {run} | " + " | ".join(f"{r['per_clip'][c]['f1']:.4f}" for c in clips) + " |"
        )
    return "Held-out F1 per clip (4 px, input space):\n\n" + "\n".join(rows) + "\n"


def write_report(results: dict[str, dict[str, dict]], args: argparse.Namespace) -> None:
    sections = "\n".join(recipe_section(r, runs, args) for r, runs in results.items())
    text = f"""# TrackNetV2 against the fast network on the synthetic benchmark

Made by `scripts/compare_networks`. Both networks are trained from scratch with one recipe
on `benchmark_specs("train", frames={args.frames})` (21 clips for training, 3 for
validation, split by clip), the best validated epoch kept with the threshold training chose
(the best on the validation clips for runs made since 2026-12-04 18:00; 0.5 for the runs
recorded before, the table's "threshold" column); then both predict the 8 held-out clips of
`benchmark_specs("test", frames={args.frames})` (other seeds, slower and faster balls,
and grass tennis, which training never saw) through
`tracknet.predict.Predictor` (sliding window, tracker; torch with bf16 autocast for both).
The "tracker" column says how each frame's ball was chosen among the heatmap's blobs:
`{EARLIER_TRACKER}` (runs scored before 2026-12-06) took the blob nearest the track's
constant-acceleration prediction; `{TRACKER}` takes that blob unless
another one's peak is higher by more than {OVERRIDE}, which keeps a weak,
slow false track from holding on while the real ball passes. Gaps are only taken between
runs scored with the same tracker.
A run named `<run>-seed<N>` is that run trained again from seed N (initial weights, window
order, augmentation draws): where a recipe has them, the fast network is judged by its mean
over its seeds against TrackNetV2's best seed, since one run differs from the next by more
than half a point and a poor TrackNetV2 run must not flatter it.
The goal: the fast network within one F1 point of TrackNetV2. `fasttracknet` is the fast
network as it is now; `fasttracknet-first` is its first layout (no full-resolution stem, no
blocks at 1/2: `full_res 0, full_res_stem false, half_blocks 0`), which the first shipped
weights used; other runs are variants, named by what they change.

{sections}"""
    (args.docs / f"{REPORT}.md").write_text(text)
    (args.docs / f"{REPORT}.json").write_text(json.dumps(results, indent=1) + "\n")


def main() -> int:
    args = parse_args()
    generate_suite("train", args.suite / "videos-train", args.frames, args.jobs)
    test_videos = generate_suite("test", args.suite / "videos-test", args.frames, args.jobs)
    featurize(args.suite / "videos-train", args.suite / "dataset", 0.125, args.jobs)
    runs = planned_runs(args)
    if not args.score_only:
        train_missing(runs, args)
    trained = [r for r in runs if (r.folder(args.work) / "model" / "config.json").is_file()]
    for run in runs:
        if run not in trained:
            print(f"{run.recipe}/{run.name}: no trained model in {run.folder(args.work)}")
    # Spawned, not forked: the parent may hold a CUDA context, which a fork cannot share.
    with ProcessPoolExecutor(
        max(1, len(trained)) if args.parallel else 1, multiprocessing.get_context("spawn")
    ) as pool:
        results = pool.map(score, trained, [args] * len(trained), [test_videos] * len(trained))
        for run, result in zip(trained, results, strict=True):
            print("\n".join([f"{run.recipe}/{run.name}", *held_out_of(result).lines(TOLERANCE)]))
    write_report(collect(args), args)
    print(f"-> {args.docs / REPORT}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
