"""The synthetic model benchmark on disk: generated clips, featurized data, held-out scoring.

Shared by scripts/train_shipped_weights.py, scripts/compare_networks.py, bench/bench_model.py
and the model tests. The suites are
`tracknet_studio.synthetic.benchmark_specs("train" | "test")`: fixed specs, so the same
clips come out on every machine and need not be stored in the repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tracknet import entrypoints
from tracknet.metrics import Counts, describe, evaluate

from .clip import ClipSpec, generate_clip
from .suite import benchmark_specs

FEATURIZE = entrypoints.folder() / "featurize.py"


def generate_suite(split: str, folder: Path, frames: int, jobs: int = 1) -> list[Path]:
    """Videos `<split>NN.mp4` with canonical CSVs; clips already there are kept.

    `jobs` > 1 renders that many clips at once (each clip is one process's work).
    """
    folder.mkdir(parents=True, exist_ok=True)
    specs = benchmark_specs(split, frames=frames)  # type: ignore[arg-type]
    videos = [folder / f"{split}{i:02d}.mp4" for i in range(len(specs))]
    missing = [
        (spec, video)
        for spec, video in zip(specs, videos, strict=True)
        if not (video.is_file() and video.with_suffix(".csv").is_file())
    ]
    with ProcessPoolExecutor(max(1, jobs)) as pool:
        for line in pool.map(_generate_one, [s for s, _ in missing], [v for _, v in missing]):
            print(line, flush=True)
    return videos


def _generate_one(spec: ClipSpec, video: Path) -> str:
    started = time.monotonic()
    track = generate_clip(spec, video)
    track.write_label_table(video.with_suffix(".csv"))
    return (
        f"generated {video.name} ({spec.sport}, {spec.width}x{spec.height}, "
        f"{spec.frames} frames) in {time.monotonic() - started:.1f} s"
    )


def featurize(videos_dir: Path, out: Path, val_fraction: float, shards: int = 1) -> None:
    """Run entrypoints/featurize.py exactly as the processing container would.

    `shards` > 1 runs that many at once, each told by its own SageMaker resource config
    that it is one of `shards` hosts: the container's sharding, used here for speed.
    """
    if list(out.glob("manifest*.json")):
        return
    command = [sys.executable, str(FEATURIZE), "--input", str(videos_dir),
               "--output", str(out), "--val-fraction", str(val_fraction)]  # fmt: skip
    if shards <= 1:
        subprocess.run(command, check=True)
        return
    hosts = [f"algo-{i + 1}" for i in range(shards)]
    with tempfile.TemporaryDirectory() as tmp:
        running = []
        for host in hosts:
            config = Path(tmp) / f"{host}.json"
            config.write_text(json.dumps({"hosts": hosts, "current_host": host}))
            running.append(subprocess.Popen([*command, "--resource-config", str(config)]))
        failed = [host for host, p in zip(hosts, running, strict=True) if p.wait()]
    if failed:
        raise RuntimeError(f"featurize failed on shard(s) {', '.join(failed)}")


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
    per_clip: dict[str, Counts] = field(default_factory=dict)  # input space, by video name

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
    weights: Path,
    videos: list[Path],
    tolerance: float = 4.0,
    device: str = "cpu",
    **predictor_options,
) -> HeldOut:
    """Predict every video with the shared streaming predictor and count against its CSV.

    `predictor_options` go to tracknet.predict.Predictor (runtime, bf16).
    """
    import av
    from tracknet.modelfile import load_model
    from tracknet.predict import Predictor

    model, config = load_model(weights, device)
    # The recorded synthetic comparisons were all scored with the per-frame nearest tracker.
    predictor_options.setdefault("tracker", "nearest")
    predictor = Predictor(model, config, device=device, **predictor_options)
    total_input, total_original = Counts(), Counts()
    per_clip: dict[str, Counts] = {}
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
        per_clip[video.stem] = evaluate(found, pred, vis[:n], xy[:n], space="input", **common)
        total_input += per_clip[video.stem]
        total_original += evaluate(found, pred, vis[:n], xy[:n], space="original", **common)
    return HeldOut(total_input, total_original, frames, time.monotonic() - started, per_clip)
