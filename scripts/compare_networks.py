"""TrackNetV2 against the fast network: one recipe, one dataset, the same held-out clips.

    scripts/compare_networks [--recipe NAME ...] [--arch NAME ...] [--device cpu|cuda]
                             [--arch-kwargs JSON --label NAME] [--parallel] [--jobs N]
                             [--score-only] [--work DIR]

For each recipe in RECIPES and each network, trains on the synthetic suite's training
clips (featurized as for the shipped weights), keeps the best validated epoch, then
predicts the held-out test clips with the shared streaming predictor (sliding window and
tracker, both networks at the same threshold and runtime) and scores them with the shared
metrics. A run whose model is already in WORK/<recipe>/<run> is not trained again, and its
figures are cached beside it (held_out.json), so a long run can be made once and scored
later, or made on a GPU machine and copied back. A run is named after its network, or
`<arch>-<label>` for a variant of it (`--arch-kwargs`), which the report lists beside the
networks with its own distance to TrackNetV2.

The report, docs/model-comparison.md (figures in docs/model-comparison.json, printed by
bench/bench_model.py), has one section per recipe: from WORK where this machine has the
run, else as recorded in that JSON by an earlier run, here or elsewhere.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
from model_suite import ROOT, HeldOut, featurize, generate_suite, score_held_out  # noqa: E402
from tracknet.metrics import Counts  # noqa: E402
from tracknet.modelfile import load_model  # noqa: E402
from tracknet.networks import count_parameters  # noqa: E402
from train_shipped_weights import OPTIONS as SHIPPED  # noqa: E402
from train_shipped_weights import TRAIN, command_line, run_streaming  # noqa: E402

from tracknet_studio.synthetic import benchmark_specs  # noqa: E402

ARCHES = ("fasttracknet", "tracknetv2")
DOCS = ROOT / "docs"
RECORDED = DOCS / "model-comparison.json"
TOLERANCE = 4.0


@dataclass(frozen=True)
class Recipe:
    """model/train.py options shared by both networks, and why the recipe exists."""

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
# Both networks are scored by torch with bf16 autocast (on the CPU TrackNetV2 measured
# 1.6x faster than ONNX Runtime that way); the same runtime for both keeps it fair.
SCORING = {"runtime": "torch", "bf16": True}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, default=ROOT / "build" / "compare")
    p.add_argument("--suite", type=Path, default=ROOT / "build" / "model-suite")
    p.add_argument("--recipe", nargs="+", choices=RECIPES, default=["cpu"])
    p.add_argument("--arch", nargs="+", choices=ARCHES, default=list(ARCHES))
    p.add_argument("--arch-kwargs", default="", help="network arguments as JSON, for a variant")
    p.add_argument("--label", default="", help="names a variant's runs: <arch>-<label>")
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


def run_name(arch: str, args: argparse.Namespace) -> str:
    return f"{arch}-{args.label}" if args.label else arch


def train_command(recipe: str, arch: str, run_dir: Path, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, str(TRAIN), "--data", str(args.suite / "dataset"),
               "--out", str(run_dir), "--arch", arch, "--device", args.device,
               *command_line(RECIPES[recipe].options)]  # fmt: skip
    if args.arch_kwargs:
        command += ["--arch-kwargs", args.arch_kwargs]
    if args.workers:  # what is trained does not depend on it: each item seeds its own draws
        command += ["--workers", args.workers]
    if args.threads:
        command += ["--threads", args.threads]
    if args.cpu_bf16:
        command += ["--cpu-bf16"]
    if args.time_budget:
        command += ["--time-budget", str(args.time_budget)]
    return command


def train_missing(runs: list[tuple[str, str]], args: argparse.Namespace) -> None:
    """Train the runs that have no model yet: one after another, or all at once."""
    waiting = []
    for recipe, arch in runs:
        run_dir = args.work / recipe / run_name(arch, args)
        if (run_dir / "model" / "config.json").is_file():
            continue
        command = train_command(recipe, arch, run_dir, args)
        print(" ".join(command), flush=True)
        run_dir.mkdir(parents=True, exist_ok=True)
        if not args.parallel:
            (run_dir / "train.log").write_text(run_streaming(command))
            continue
        with (run_dir / "train.log").open("w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        waiting.append((f"{recipe}/{run_dir.name}", process, time.monotonic()))
    for name, process, started in waiting:
        status = process.wait()
        print(f"{name}: training ended ({status=}) after {time.monotonic() - started:.0f} s")
        if status:
            print((args.work / name / "train.log").read_text()[-3000:])


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"{platform.machine()} CPU"


def score(recipe: str, run_dir: Path, args: argparse.Namespace, test_videos: list[Path]) -> dict:
    """Held-out figures of one run, cached beside it (TrackNetV2 takes ~20 min on a CPU)."""
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
        "device": device_name(args.device),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "params": count_parameters(model),
        "threshold": config.threshold,
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
    recorded = json.loads(RECORDED.read_text()) if RECORDED.is_file() else {}
    results: dict[str, dict[str, dict]] = {}
    for recipe in RECIPES:
        runs = dict(recorded.get(recipe, {}))
        for cached in sorted((args.work / recipe).glob("*/held_out.json")):
            runs[cached.parent.name] = json.loads(cached.read_text())
        if runs:
            # The networks first, then their variants.
            results[recipe] = dict(
                sorted(runs.items(), key=lambda kv: (kv[0] not in ARCHES, kv[0]))
            )
    return results


def gap_to_tracknetv2(runs: dict[str, dict], name: str) -> float | None:
    """TrackNetV2's held-out F1 minus run `name`'s, in points (4 px, input space)."""
    if "tracknetv2" not in runs or name not in runs:
        return None
    return 100 * (runs["tracknetv2"]["input"]["f1"] - runs[name]["input"]["f1"])


def recipe_section(recipe: str, runs: dict[str, dict], args: argparse.Namespace) -> str:
    rows = [
        "| run | parameters | machine | training | best epoch (val F1) "
        "| held-out F1, 4 px input | held-out F1, 4 px original | precision | recall "
        "| TrackNetV2 minus this |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        gap = gap_to_tracknetv2(runs, name)
        tp, fp = r["input"]["tp"], r["input"]["fp1"] + r["input"]["fp2"]
        recall = tp / max(tp + r["input"]["fn"], 1)
        rows.append(
            f"| {name} | {r['params'] / 1e6:.2f} M | "
            f"{r.get('device', 'x86_64 CPU')} | "
            f"{r['steps']} steps, {r['train_minutes']:.1f} min | {r['best_epoch']} "
            f"({r['val_f1']:.4f}) | **{r['input']['f1']:.4f}** | {r['original']['f1']:.4f} | "
            f"{tp / max(tp + fp, 1):.4f} | {recall:.4f} | "
            f"{'' if gap is None or name == 'tracknetv2' else f'{gap:+.2f}'} |"
        )
    gap = gap_to_tracknetv2(runs, "fasttracknet")
    verdict = (
        f"TrackNetV2 minus the fast network: **{gap:+.2f}** F1 points at 4 px in input space: "
        f"the fast network is {'within' if gap <= 1.0 else 'NOT within'} one point of "
        "TrackNetV2.\n\n"
        if gap is not None
        else ""
    )
    counts = "\n".join(
        f"{name}:\n" + "\n".join(held_out_of(r).lines(TOLERANCE)) for name, r in runs.items()
    )
    notes = [
        f"- {name}: {(args.work / recipe / name / 'NOTE.md').read_text().strip()}"
        for name in runs
        if (args.work / recipe / name / "NOTE.md").is_file()
    ]
    return f"""## Recipe `{recipe}`: {RECIPES[recipe].about}

`model/train.py --arch ARCH {" ".join(command_line(RECIPES[recipe].options))}`

{verdict}{chr(10).join(rows)}

{per_clip_table(runs, args.frames)}
```
{counts}
```
{chr(10).join(notes)}
"""


def per_clip_table(runs: dict[str, dict], frames: int) -> str:
    """Held-out F1 per test clip and network, where the runs recorded it."""
    if not all("per_clip" in r for r in runs.values()):
        return ""
    specs = benchmark_specs("test", frames=frames)
    header = "| clip | " + " | ".join(runs) + " |"
    rows = [header, "|---" * (len(runs) + 1) + "|"]
    for i, spec in enumerate(specs):
        name = f"test{i:02d}"
        cells = [f"{r['per_clip'][name]['f1']:.4f}" for r in runs.values()]
        rows.append(f"| {name} ({spec.sport}) | " + " | ".join(cells) + " |")
    return "Held-out F1 per clip (4 px, input space):\n\n" + "\n".join(rows) + "\n"


def write_report(results: dict[str, dict[str, dict]], args: argparse.Namespace) -> None:
    sections = "\n".join(recipe_section(r, runs, args) for r, runs in results.items())
    text = f"""# TrackNetV2 against the fast network on the synthetic benchmark

Made by `scripts/compare_networks`. Both networks are trained from scratch with one recipe
on `benchmark_specs("train", frames={args.frames})` (21 clips for training, 3 for
validation, split by clip), the best validated epoch kept, threshold as trained; then both
predict the 8 held-out clips of `benchmark_specs("test", frames={args.frames})` (other
seeds, slower and faster balls, and grass tennis, which training never saw) through
`tracknet.predict.Predictor` (sliding window, tracker; torch with bf16 autocast for both).
The goal: the fast network within one F1 point of TrackNetV2.

{sections}"""
    (DOCS / "model-comparison.md").write_text(text)
    RECORDED.write_text(json.dumps(results, indent=1) + "\n")


def main() -> int:
    args = parse_args()
    generate_suite("train", args.suite / "videos-train", args.frames, args.jobs)
    test_videos = generate_suite("test", args.suite / "videos-test", args.frames, args.jobs)
    featurize(args.suite / "videos-train", args.suite / "dataset", 0.125, args.jobs)
    runs = [(recipe, arch) for recipe in args.recipe for arch in args.arch]
    if not args.score_only:
        train_missing(runs, args)
    for recipe, arch in runs:
        run_dir = args.work / recipe / run_name(arch, args)
        if (run_dir / "model" / "config.json").is_file():
            result = score(recipe, run_dir, args, test_videos)
            print("\n".join([f"{recipe}/{run_dir.name}", *held_out_of(result).lines(TOLERANCE)]))
        else:
            print(f"{recipe}/{run_dir.name}: no trained model in {run_dir}")
    write_report(collect(args), args)
    print(f"-> {DOCS / 'model-comparison.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
