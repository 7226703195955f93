"""The synthetic model benchmark on disk: generated clips, featurized data, held-out scoring.

Shared by scripts/train_shipped_weights.py and bench/bench_model.py. The suites are
`tracknet_studio.synthetic.benchmark_specs("train" | "test")`: fixed specs, so the same
clips come out on every machine and need not be stored in the repository.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tracknet.metrics import Counts, describe, evaluate

from tracknet_studio.synthetic import benchmark_specs, generate_clip

ROOT = Path(__file__).resolve().parents[1]
FEATURIZE = ROOT / "model" / "featurize.py"


def generate_suite(split: str, folder: Path, frames: int) -> list[Path]:
    """Videos `<split>NN.mp4` with canonical CSVs; clips already there are kept."""
    folder.mkdir(parents=True, exist_ok=True)
    videos = []
    specs = benchmark_specs(split, frames=frames)  # type: ignore[arg-type]
    for i, spec in enumerate(specs):
        video = folder / f"{split}{i:02d}.mp4"
        labels = video.with_suffix(".csv")
        if not (video.is_file() and labels.is_file()):
            started = time.monotonic()
            track = generate_clip(spec, video)
            track.write_label_table(labels)
            print(
                f"generated {video.name} ({spec.sport}, {spec.width}x{spec.height}, "
                f"{frames} frames) in {time.monotonic() - started:.1f} s",
                flush=True,
            )
        videos.append(video)
    return videos


def featurize(videos_dir: Path, out: Path, val_fraction: float) -> None:
    """Run model/featurize.py exactly as the processing container would."""
    if (out / "manifest.json").is_file():
        return
    subprocess.run(
        [
            sys.executable,
            str(FEATURIZE),
            "--input",
            str(videos_dir),
            "--output",
            str(out),
            "--val-fraction",
            str(val_fraction),
        ],
        check=True,
    )


def read_truth(labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """Visibility (N,) and xy (N, 2) of a canonical CSV."""
    table = np.loadtxt(labels, delimiter=",", skiprows=1, ndmin=2)
    vis = table[:, 1].astype(np.int64)
    xy = table[:, 2:4].copy()
    xy[vis <= 0] = np.nan
    return vis, xy


@dataclass
class HeldOut:
    """Held-out figures: counts in both tolerance spaces, and the prediction speed."""

    input_space: Counts
    original_space: Counts
    frames: int
    seconds: float

    def lines(self, tolerance: float) -> list[str]:
        out = []
        for name, counts, space in (
            ("input", self.input_space, "input"),
            ("original", self.original_space, "original"),
        ):
            m = counts.metrics()
            out.append(
                f"{name:>8}: F1 {m['f1']:.4f}  precision {m['precision']:.4f}  "
                f"recall {m['recall']:.4f}  accuracy {m['accuracy']:.4f}  "
                f"{counts.as_dict()}  ({describe(tolerance, space)})"  # type: ignore[arg-type]
            )
        return out


def score_held_out(
    weights: Path, videos: list[Path], tolerance: float = 4.0, **predictor_options
) -> HeldOut:
    """Predict every video with the shared streaming predictor and count against its CSV.

    `predictor_options` go to tracknet.predict.Predictor (runtime, bf16).
    """
    import av
    from tracknet.modelfile import load_model
    from tracknet.predict import Predictor

    model, config = load_model(weights, "cpu")
    predictor = Predictor(model, config, device="cpu", **predictor_options)
    total_input, total_original = Counts(), Counts()
    frames, started = 0, time.monotonic()
    for video in videos:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            size = (stream.codec_context.width, stream.codec_context.height)
            rgb = (f.to_ndarray(format="rgb24") for f in container.decode(stream))
            results = list(predictor.predict_frames(rgb))
        vis, xy = read_truth(video.with_suffix(".csv"))
        n = min(len(results), len(vis))
        found = np.array([r.visible for r in results[:n]], bool)
        pred = np.array([(r.x, r.y) if r.visible else (np.nan, np.nan) for r in results[:n]])
        frames += n
        common = {"tolerance": tolerance, "original_size": size}
        total_input += evaluate(found, pred, vis[:n], xy[:n], space="input", **common)
        total_original += evaluate(found, pred, vis[:n], xy[:n], space="original", **common)
    return HeldOut(total_input, total_original, frames, time.monotonic() - started)
