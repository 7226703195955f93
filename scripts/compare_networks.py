"""TrackNetV2 against the fast network: one recipe, one dataset, the same held-out clips.

    scripts/compare_networks [--work DIR] [--arch NAME ...] [--score-only]

Trains each network with `RECIPE` on the synthetic suite's training clips (featurized as
for the shipped weights), keeps the best validated epoch, then predicts the held-out test
clips with the shared streaming predictor (sliding window and tracker, both networks at
the same threshold and runtime) and scores them with the shared metrics. A run whose
model is already in WORK/<arch> is not trained again, so TrackNetV2's long CPU run can be
made once and scored later. The table goes to docs/model-comparison.md, the figures to
docs/model-comparison.json (printed by bench/bench_model.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
from model_suite import ROOT, featurize, generate_suite, score_held_out  # noqa: E402
from tracknet.modelfile import load_model  # noqa: E402
from tracknet.networks import count_parameters  # noqa: E402
from train_shipped_weights import OPTIONS as SHIPPED  # noqa: E402
from train_shipped_weights import TRAIN, command_line, run_streaming  # noqa: E402

ARCHES = ("fasttracknet", "tracknetv2")
# One recipe for both: the shipped weights' with batch 16, not 32, and 14 epochs, not 30.
# With bf16 autocast TrackNetV2 then costs ~3.2 s a step on this 2-core CPU instead of ~26 s
# (fp32, batch 32), so its 1400 steps fit in a working session. Validation every 7 epochs
# because TrackNetV2 needs ~6 min for one pass over the validation clips at 288x512.
OPTIONS = {k: v for k, v in SHIPPED.items() if k != "--arch"} | {
    "--batch-size": "16",
    "--epochs": "14",
    "--val-every": "7",
}
RECIPE = command_line(OPTIONS)
# Both networks are scored by torch with bf16 autocast (TrackNetV2 measured 1.6x faster
# than ONNX Runtime that way here); the same runtime for both keeps the comparison fair.
SCORING = {"runtime": "torch", "bf16": True}
DOCS = ROOT / "docs"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", type=Path, default=ROOT / "build" / "compare")
    p.add_argument("--suite", type=Path, default=ROOT / "build" / "model-suite")
    p.add_argument("--arch", nargs="+", choices=ARCHES, default=list(ARCHES))
    p.add_argument("--frames", type=int, default=300, help="frames per synthetic clip")
    p.add_argument("--score-only", action="store_true", help="never train; score what exists")
    return p.parse_args()


def train_if_needed(arch: str, args: argparse.Namespace) -> Path | None:
    run_dir = args.work / arch
    if (run_dir / "model" / "config.json").is_file():
        return run_dir
    if args.score_only:
        print(f"{arch}: no trained model in {run_dir}, skipped")
        return None
    command = [sys.executable, str(TRAIN), "--data", str(args.suite / "dataset"),
               "--out", str(run_dir), "--arch", arch, *RECIPE]  # fmt: skip
    print(" ".join(command), flush=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "train.log").write_text(run_streaming(command))
    return run_dir


def score(arch: str, run_dir: Path, test_videos: list[Path]) -> dict:
    """Held-out figures of one run, cached beside it (TrackNetV2 takes ~20 min to score)."""
    cached = run_dir / "held_out.json"
    if cached.is_file():
        return json.loads(cached.read_text())
    held_out = score_held_out(run_dir / "model", test_videos, **SCORING)
    model, config = load_model(run_dir / "model", "cpu")
    history = json.loads((run_dir / "output" / "history.json").read_text())
    validated = [e for e in history if e.get("val")]
    best = max(validated, key=lambda e: e["val"]["f1"]) if validated else None
    result = {
        "arch": arch,
        "params": count_parameters(model),
        "threshold": config.threshold,
        "train_minutes": sum(e["seconds"] for e in history) / 60,
        "steps": len(history) * int(OPTIONS["--steps-per-epoch"]),
        "best_epoch": best["epoch"] if best else None,
        "val_f1": best["val"]["f1"] if best else None,
        "input": held_out.input_space.as_dict() | {"f1": held_out.input_space.f1},
        "original": held_out.original_space.as_dict() | {"f1": held_out.original_space.f1},
        "frames": held_out.frames,
        "score_seconds": held_out.seconds,
        "lines": held_out.lines(4.0),
    }
    cached.write_text(json.dumps(result, indent=1))
    return result


def write_report(results: dict[str, dict], args: argparse.Namespace) -> None:
    recipe = " ".join(RECIPE)
    rows = [
        "| network | parameters | training | best epoch (val F1) | held-out F1, 4 px input "
        "| held-out F1, 4 px original | precision | recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for arch, r in results.items():
        tp, fp = r["input"]["tp"], r["input"]["fp1"] + r["input"]["fp2"]
        recall = tp / max(tp + r["input"]["fn"], 1)
        rows.append(
            f"| {arch} | {r['params'] / 1e6:.2f} M | {r['steps']} steps, "
            f"{r['train_minutes']:.0f} min | {r['best_epoch']} ({r['val_f1']:.4f}) | "
            f"**{r['input']['f1']:.4f}** | {r['original']['f1']:.4f} | "
            f"{tp / max(tp + fp, 1):.4f} | {recall:.4f} |"
        )
    verdict = ""
    if set(results) == set(ARCHES):
        gap = 100 * (results["tracknetv2"]["input"]["f1"] - results["fasttracknet"]["input"]["f1"])
        within = "within" if gap <= 1.0 else "NOT within"
        verdict = (
            f"\nTrackNetV2 minus the fast network: {gap:+.2f} F1 points at 4 px in input "
            f"space: the fast network is {within} one point of TrackNetV2.\n"
        )
    counts = "\n".join(f"{arch}:\n" + "\n".join(r["lines"]) for arch, r in results.items())
    # What happened to a run that the figures do not say (a stop and resume, say).
    notes = [
        f"- {arch}: {(args.work / arch / 'NOTE.md').read_text().strip()}"
        for arch in results
        if (args.work / arch / "NOTE.md").is_file()
    ]
    text = f"""# TrackNetV2 against the fast network on the synthetic benchmark

Made by `scripts/compare_networks` ({time.strftime("%Y-%m-%d")}, {platform.machine()},
torch {torch.__version__}, CPU only). Both networks trained from scratch with one recipe on
`benchmark_specs("train", frames={args.frames})` (21 clips for training, 3 for validation,
split by clip), the best validated epoch kept, threshold as trained; then both predicted
the 8 held-out clips of `benchmark_specs("test", frames={args.frames})` (other seeds,
slower and faster balls, and grass tennis, which training never saw) through
`tracknet.predict.Predictor` (sliding window, tracker; torch with bf16 autocast for both).

Recipe: `model/train.py --arch ARCH {recipe}`
{verdict}
{chr(10).join(rows)}

Counts:

```
{counts}
```

{chr(10).join(notes)}

This recipe is shorter than the shipped weights' (batch 16 against 32, 1400 steps against
3000): it is what TrackNetV2 can be given on a 2-core CPU. A GPU run with the shipped
recipe would compare both networks at full length.
"""
    (DOCS / "model-comparison.md").write_text(text)
    figures = {a: {k: v for k, v in r.items() if k != "lines"} for a, r in results.items()}
    (DOCS / "model-comparison.json").write_text(json.dumps(figures, indent=1) + "\n")


def main() -> int:
    args = parse_args()
    generate_suite("train", args.suite / "videos-train", args.frames)
    test_videos = generate_suite("test", args.suite / "videos-test", args.frames)
    featurize(args.suite / "videos-train", args.suite / "dataset", val_fraction=0.125)
    results = {}
    for arch in ARCHES:
        if arch not in args.arch and not (args.work / arch / "held_out.json").is_file():
            continue
        run_dir = train_if_needed(arch, args)
        if run_dir is not None:
            results[arch] = score(arch, run_dir, test_videos)
            print("\n".join([arch, *results[arch]["lines"]]), flush=True)
    write_report(results, args)
    print(f"-> {DOCS / 'model-comparison.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
