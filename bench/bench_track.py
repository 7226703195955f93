"""Benchmark: load, save and convert a 650,000-frame track (3 hours at 60 fps). Goal: < 1 s each.

Each figure comes with a ratio against a baseline measured in the same run on the same data:
- project save/load vs np.save/np.load of the same columns (raw binary, no JSON);
- CSV write/read vs the csv module writing/reading the same rows (no checks);
- Ground Truth export/import of the whole match in the chunked form Ground Truth takes (jobs
  of at most 10 sequences of 2,000 frames) vs json.dumps/json.loads of the same SeqLabel
  documents (goal: at most 1.5x).

Run: .venv/bin/python bench/bench_track.py [--frames N]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tracknet_studio.core import Event, Project, Source, Track, Visibility
from tracknet_studio.formats.csv_tracks import format_csv, read_csv, write_csv
from tracknet_studio.formats.groundtruth import read_groundtruth
from tracknet_studio.formats.groundtruth_export import (
    MAX_SEQUENCE_FRAMES,
    MAX_SEQUENCES,
    seqlabel,
    split_sequences,
    write_groundtruth,
)
from tracknet_studio.formats.project_file import load_project, save_project

JOB_FRAMES = MAX_SEQUENCES * MAX_SEQUENCE_FRAMES  # the most one Ground Truth job takes
GT_GOAL = 1.5


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def realistic_track(n: int, seed: int = 0) -> Track:
    """Rallies of flight (80%), no-ball gaps, hits; positions like a 1280x720 broadcast."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = 640 + 500 * np.sin(t / 97.0) + rng.normal(0, 2, n)
    y = 360 + 250 * np.abs(np.sin(t / 41.0)) + rng.normal(0, 2, n)
    vis = np.where(rng.random(n) < 0.8, Visibility.VISIBLE, Visibility.NO_BALL).astype(np.int8)
    event = np.where(rng.random(n) < 0.01, Event.HIT, Event.NONE).astype(np.int8)
    x, y = np.round(x, 2), np.round(y, 2)
    track = Track(n)
    track.update(np.arange(n), x=x, y=y, visibility=vis, event=event, source=Source.IMPORTED)
    return track


def report(name: str, ours: float, base: float, base_name: str) -> float:
    flag = "ok" if ours < 1.0 else "OVER 1 s"
    print(
        f"{name:<28} {ours * 1000:8.1f} ms   {base_name:<26} {base * 1000:8.1f} ms   "
        f"ratio {ours / base:5.1f}x   {flag}"
    )
    return ours / base


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=650_000)
    n = parser.parse_args().frames
    labels = realistic_track(n)
    project = Project(labels=labels, video_path="match.mp4", fingerprint={"size": 1})
    cols = labels.columns()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        print(f"{n} frames, {int(labels.labeled.sum())} labeled\n")

        # project file vs raw np.save of the same columns
        proj = tmp / "p.tnproj"
        ours = best_of(lambda: save_project(project, proj))
        base = best_of(lambda: np.savez(tmp / "cols.npz", **cols))
        report("project save", ours, base, "np.savez columns")
        ours = best_of(lambda: load_project(proj))
        base = best_of(lambda: dict(np.load(tmp / "cols.npz")))
        report("project load", ours, base, "np.load columns")
        print(f"  project file {proj.stat().st_size / 1e6:.1f} MB")

        # CSV vs the csv module alone
        path = tmp / "t.csv"
        rows = [
            [f, int(v), x, y]
            for f, v, x, y in zip(
                range(n),
                cols["visibility"].tolist(),
                cols["x"].tolist(),
                cols["y"].tolist(),
                strict=True,
            )
        ]
        ours = best_of(lambda: write_csv(labels, path))
        base = best_of(lambda: csv.writer(io.StringIO()).writerows(rows))
        report("csv write (badminton)", ours, base, "csv.writer rows")
        text = path.read_text()
        ours = best_of(lambda: read_csv(path))
        base = best_of(lambda: list(csv.reader(io.StringIO(text))))
        report("csv read", ours, base, "csv.reader rows")

        # Ground Truth, chunked into jobs, vs json of the same documents
        jobs = np.array_split(np.arange(n), -(-n // JOB_FRAMES))
        folders = [tmp / "gt" / f"job{i:03d}" for i in range(len(jobs))]

        def export_all() -> None:
            for folder, frames in zip(folders, jobs, strict=True):
                write_groundtruth(labels, folder, frames=frames)

        docs = [seqlabel(labels, seq) for job in jobs for seq in split_sequences(job)]
        ours = best_of(export_all, repeat=1)
        base = best_of(lambda: [json.dumps(d, separators=(",", ":")) for d in docs], repeat=1)
        gt_ratios = [report("groundtruth export (jobs)", ours, base, "json.dumps SeqLabels")]
        texts = [json.dumps(d) for d in docs]
        ours = best_of(lambda: [read_groundtruth(f) for f in folders], repeat=1)
        base = best_of(lambda: [json.loads(t) for t in texts], repeat=1)
        gt_ratios.append(report("groundtruth import (jobs)", ours, base, "json.loads SeqLabels"))

        # convert = read one form + write another
        ours = best_of(lambda: save_project(Project(labels=read_csv(path)[0]), tmp / "c.tnproj"))
        base = best_of(lambda: format_csv(labels))
        report("convert csv -> project", ours, base, "format_csv alone")
    if max(gt_ratios) > GT_GOAL:
        print(f"FAILED: Ground Truth over {GT_GOAL}x the json baseline")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
