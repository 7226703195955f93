"""Interpolation accuracy on real badminton trajectories, and fill throughput.

Accuracy: in each of the 29 hand-corrected rallies of ../shared/data (1280x720 px), hide
gaps of 3-8 frames inside runs of visible frames (seeded), fill them with each method and
measure the distance to the hidden truth. Throughput: fill every gap of a 650,000-frame
synthetic track with keyframes every few frames, and the review queue's recomputation and
next-problem step on a 650,000-frame track.

    .venv/bin/python bench/bench_interpolation.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from tracknet_studio.core.interpolate import BallisticSettings, Method, interpolate
from tracknet_studio.core.review import ReviewQueue
from tracknet_studio.core.track import Source, Track, Visibility

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRACKNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
RALLIES = "labels/tracknetv3-corrected/match*/corrected_csv/*_ball.csv"


def load_rallies(shared: Path = SHARED) -> list[np.ndarray]:
    """Each rally as rows of (frame, visibility 0/1, x, y); read with numpy, no format code."""
    return [np.loadtxt(p, delimiter=",", skiprows=1) for p in sorted(shared.glob(RALLIES))]


def hidden_gaps(visible: np.ndarray, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Gaps [a, b) of 3-8 frames inside visible runs, 2-9 known frames apart."""
    edges = np.diff(np.concatenate([[0], visible.astype(np.int8), [0]]))
    gaps = []
    for run_start, run_stop in zip(
        np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True
    ):
        a = run_start + int(rng.integers(2, 7))
        while True:
            b = a + int(rng.integers(3, 9))
            if b >= run_stop - 1:
                break
            gaps.append((a, b))
            a = b + int(rng.integers(2, 10))
    return gaps


def rally_errors(
    rally: np.ndarray,
    rng: np.random.Generator,
    method: Method,
    settings: BallisticSettings | None = None,
) -> np.ndarray:
    """Distances (px) between filled and true positions over the hidden frames of one rally."""
    visible = rally[:, 1] > 0
    x, y = rally[:, 2].astype(float), rally[:, 3].astype(float)
    n = len(rally)
    vis = np.where(visible, Visibility.VISIBLE, Visibility.NO_BALL)
    hidden = np.zeros(n, dtype=bool)
    for a, b in hidden_gaps(visible, rng):
        hidden[a:b] = True
    track = Track.from_columns(
        x=np.where(visible & ~hidden, x, np.nan),
        y=np.where(visible & ~hidden, y, np.nan),
        visibility=np.where(hidden, Visibility.UNLABELED, vis),
        source=np.where(hidden, Source.NONE, Source.HUMAN),
    )
    edit = interpolate(track, method, settings=settings)
    filled = edit.after.frames
    assert np.array_equal(filled, np.flatnonzero(hidden)), "every hidden frame is filled"
    return np.hypot(edit.after.values["x"] - x[filled], edit.after.values["y"] - y[filled])


def accuracy(
    rallies: list[np.ndarray],
    method: Method,
    seeds: int = 5,
    settings: BallisticSettings | None = None,
) -> np.ndarray:
    errors = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        errors += [rally_errors(r, rng, method, settings) for r in rallies]
    return np.concatenate(errors)


def synthetic_track(n_frames: int, key_every: int = 5) -> Track:
    """Parabolic flights of 40 frames with a hit between them; keyframes every few frames."""
    t = np.arange(n_frames)
    phase = t % 40
    x = 200 + 20 * phase + 0.1 * phase**2
    y = 600 - 30 * phase + 0.8 * phase**2
    key = (t % key_every == 0) | (phase == 0) | (phase == 39)
    return Track.from_columns(
        x=np.where(key, x, np.nan),
        y=np.where(key, y, np.nan),
        visibility=np.where(key, Visibility.VISIBLE, Visibility.UNLABELED),
        source=np.where(key, Source.HUMAN, Source.NONE),
    )


def throughput(n_frames: int = 650_000) -> dict[Method, tuple[float, int]]:
    track = synthetic_track(n_frames)
    result = {}
    for method in Method:
        best = np.inf
        for _ in range(3):
            began = time.perf_counter()
            edit = interpolate(track, method)
            best = min(best, time.perf_counter() - began)
        result[method] = (best, len(edit.frames))
    return result


def review_timing(n_frames: int = 650_000) -> tuple[float, float, int]:
    """Review-queue recomputation (all finders, labels + prediction) and one next_problem."""
    rng = np.random.default_rng(0)
    t = np.arange(n_frames)
    x, y = 640 + 300 * np.sin(t / 15), 360 + 200 * np.cos(t / 11)
    labels = Track.from_columns(
        x=x, y=y, visibility=np.full(n_frames, 1, np.int8), source=np.full(n_frames, 1, np.int8)
    )
    prediction = Track.from_columns(
        x=x + rng.normal(0, 4, n_frames),
        y=y + rng.normal(0, 4, n_frames),
        visibility=np.full(n_frames, 1, np.int8),
        source=np.full(n_frames, Source.MODEL, np.int8),
        confidence=rng.random(n_frames).astype(np.float32),
    )
    queue = ReviewQueue(labels, prediction)
    began = time.perf_counter()
    count = len(queue)
    recompute = time.perf_counter() - began
    began = time.perf_counter()
    for frame in range(0, n_frames, 65):
        queue.next_problem(frame)
    step = (time.perf_counter() - began) / len(range(0, n_frames, 65))
    return recompute, step, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="hiding patterns per rally")
    args = parser.parse_args()
    rallies = load_rallies()
    if rallies:
        print(f"accuracy on {len(rallies)} real rallies, {args.seeds} hiding seeds (px)")
        medians = {}
        for method in Method:
            err = accuracy(rallies, method, args.seeds)
            medians[method] = np.median(err)
            p95 = np.percentile(err, 95)
            print(
                f"  {method.value:<10} median {medians[method]:6.2f}  p95 {p95:6.2f}"
                f"  mean {err.mean():6.2f}  frames {len(err)}"
            )
        ratio = medians[Method.LINEAR] / medians[Method.BALLISTIC]
        print(f"  linear / ballistic median error: {ratio:.2f}x")
    else:
        print(f"no real rallies under {SHARED}; skipping accuracy")
    n = 650_000
    times = throughput(n)
    print(f"fill throughput on a {n:,}-frame track (keyframes every 5 frames)")
    for method, (seconds, filled) in times.items():
        rate = filled / seconds / 1e6
        print(f"  {method.value:<10} {seconds * 1000:7.1f} ms  {rate:6.2f} M frames/s filled")
    print(f"  ballistic / linear time: {times[Method.BALLISTIC][0] / times[Method.LINEAR][0]:.2f}x")
    recompute, step, count = review_timing(n)
    print(f"review queue on {n:,} frames (labels + noisy prediction, all finders)")
    print(f"  recompute after an edit {recompute * 1000:6.1f} ms, {count:,} problem frames")
    print(f"  next_problem            {step * 1e6:6.1f} us")


if __name__ == "__main__":
    main()
