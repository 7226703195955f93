"""The trackers on real broadcast footage: F1, speed and annotation effort per labelled clip.

For each clip of the real labelled set (tests/data/real, videos in ../shared/data) and each
method (`motion`: the auto-track, no model; `model`: the shipped weights; `fused`: both
candidate sources, one tracker), predict the labelled range through the app's own path
(VideoReader + predictor + predict_track) and count against the labels:

- F1, precision and recall at 4 px in the network's 512x288 input space (the field's
  protocol) and at 4 px in the video's own pixels (stricter on 1080p);
- frames per second against decoding the same frames to RGB in the same run;
- annotation effort: frames an annotator must still fix after the method (a ball missed,
  a ball where there is none, a ball more than the tolerance off), beside the frames the
  labeller placed by hand when the set was made;
- jumps: consecutive predicted frames further apart than a ball can fly (the trail breaks
  there), and drawn: trail segments the overlay would draw across such a jump (must be 0).

    .venv/bin/python bench/bench_real.py [--methods motion model fused] [--split dev test]

--weights MODEL scores another model in place of the shipped weights (methods model, fused).

With --finetune MINUTES, each test clip is also fine-tuned (`tracknet-studio finetune`, from
the shipped weights or --weights) on its first frames, at most 60 % of the clip and at most
N labelled frames for each N of --labels (default 200), and scored on the clip's last 40 %,
the protocol of the fine-tuning goal (F1 >= 0.9 within 15 minutes); a table of F1 against
the number of labels follows.

Exits 1 when a check fails: a drawn impossible segment, the auto-track slower than real
time, or its overall F1 below the floor measured when it was last improved (FLOORS).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tracknet.metrics import Counts, evaluate

from tracknet_studio.core import LABELS, Track
from tracknet_studio.core.physics import max_ball_step
from tracknet_studio.inference import predict_track
from tracknet_studio.inference.methods import METHODS, make_predictor
from tracknet_studio.inference.real_set import RealClip, load_clips, shared_data_missing
from tracknet_studio.video import VideoReader
from tracknet_studio.video.overlay import OverlaySettings, TrailSegment, overlay_items

TOLERANCE = 4.0
# Overall F1 (input space) below which the run fails: what the method scored on the whole
# set when it was last improved, less a margin for decoder and library differences.
FLOORS = {"motion": 0.68, "model": 0.78, "fused": 0.77}


@dataclass
class Result:
    clip: RealClip
    method: str
    counts_input: Counts
    counts_original: Counts
    seconds: float
    decode_seconds: float
    effort: int
    jumps: int
    drawn: int
    frames: int = field(init=False)

    def __post_init__(self) -> None:
        self.frames = self.clip.stop - self.clip.start


def prepared_predictor(method: str, weights: Path | None = None):
    predictor = make_predictor(method, weights, device="cpu")
    predictor.load()  # torch and the weights load before the clock starts
    return predictor


def decode_seconds(reader: VideoReader, start: int, stop: int) -> float:
    """Time to decode the range to RGB, the floor any method stands on."""
    started = time.perf_counter()
    for n in range(start, stop):
        reader.frame(n, keep_before=0)
    return time.perf_counter() - started


def run_clip(clip: RealClip, method: str, predictor) -> Result:
    frames, visibility, xy = clip.labels()
    with VideoReader(clip.video_path(), cache_mb=16) as reader:
        if reader.fingerprint != clip.fingerprint:
            raise SystemExit(f"{clip.video}: not the video the labels were made on")
        size = (reader.width, reader.height)
        raw = decode_seconds(reader, clip.start, clip.stop)
        started = time.perf_counter()
        track = predict_track(reader, predictor, clip.start, clip.stop)
        seconds = time.perf_counter() - started
    found = track.has_ball[frames]
    pred = np.stack([track.x[frames], track.y[frames]], axis=1)
    common = {"tolerance": TOLERANCE, "original_size": size}
    counts_input = evaluate(found, pred, visibility, xy, space="input", **common)
    counts_original = evaluate(found, pred, visibility, xy, space="original", **common)
    effort = counts_input.fp1 + counts_input.fp2 + counts_input.fn
    return Result(clip, method, counts_input, counts_original, seconds, raw, effort,
                  impossible_steps(track, size), drawn_impossible(track, size, frames))  # fmt: skip


def impossible_steps(track: Track, size: tuple[int, int]) -> int:
    """Consecutive frames with a ball further apart than a ball can fly in a frame."""
    has = track.has_ball
    both = has[:-1] & has[1:]
    steps = np.hypot(np.diff(track.x), np.diff(track.y))
    return int(np.count_nonzero(both & (steps > max_ball_step(size))))


def drawn_impossible(track: Track, size: tuple[int, int], frames: np.ndarray) -> int:
    """Trail segments the overlay draws (window and export alike) across such a jump."""
    limit = max_ball_step(size)
    settings = OverlaySettings(trail_length=1)
    count = 0
    for n in frames[1:]:
        for item in overlay_items({LABELS: track}, int(n), settings, size):
            if isinstance(item, TrailSegment):
                count += np.hypot(item.x1 - item.x0, item.y1 - item.y0) > limit
    return int(count)


def print_table(results: list[Result]) -> None:
    print(f"{'clip':32} {'sport':10} {'split':5} {'method':8} {'frames':>6} "
          f"{'F1in':>6} {'P':>5} {'R':>5} {'F1orig':>6} {'fps':>6} {'x dec':>6} "
          f"{'effort':>6} {'hand':>5} {'jumps':>5} {'drawn':>5}")  # fmt: skip
    for r in results:
        c = r.counts_input
        print(f"{r.clip.name[:32]:32} {r.clip.sport:10} {r.clip.split:5} {r.method:8} "
              f"{r.frames:6d} {c.f1:6.3f} {c.precision:5.2f} {c.recall:5.2f} "
              f"{r.counts_original.f1:6.3f} {r.frames / r.seconds:6.1f} "
              f"{r.decode_seconds / r.seconds:6.2f} {r.effort:6d} {r.clip.hand_placed:5d} "
              f"{r.jumps:5d} {r.drawn:5d}")  # fmt: skip


def summarise(results: list[Result]) -> dict[str, dict[str, float]]:
    """Per method: overall F1 (input and original), worst clip, speed, effort, per split."""
    by_method: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_method[r.method].append(r)
    summary = {}
    print()
    for method, rs in by_method.items():
        total_in = sum((r.counts_input for r in rs), Counts())
        total_orig = sum((r.counts_original for r in rs), Counts())
        frames = sum(r.frames for r in rs)
        seconds = sum(r.seconds for r in rs)
        decode = sum(r.decode_seconds for r in rs)
        worst = min(rs, key=lambda r: r.counts_input.f1)
        per_split = {
            split: sum((r.counts_input for r in rs if r.clip.split == split), Counts()).f1
            for split in sorted({r.clip.split for r in rs})
        }
        print(f"{method:6} overall F1 {total_in.f1:.3f} (P {total_in.precision:.3f}, "
              f"R {total_in.recall:.3f}) at 4 px input; {total_orig.f1:.3f} at 4 px original; "
              + ", ".join(f"{s} {f:.3f}" for s, f in per_split.items())
              + f"; worst clip {worst.clip.name} {worst.counts_input.f1:.3f}")  # fmt: skip
        print(f"       {frames / seconds:.1f} frames/s, {decode / seconds:.2f}x the speed of "
              f"decoding alone ({frames / decode:.1f} frames/s); effort "
              f"{sum(r.effort for r in rs)} of {frames} frames to fix "
              f"(labellers placed {sum(r.clip.hand_placed for r in rs)} by hand); "
              f"jumps {sum(r.jumps for r in rs)}, drawn {sum(r.drawn for r in rs)}")  # fmt: skip
        summary[method] = {"f1": total_in.f1, "worst": worst.counts_input.f1,
                           "fps": frames / seconds, "drawn": sum(r.drawn for r in rs)}  # fmt: skip
    return summary


def check(summary: dict[str, dict[str, float]], realtime_fps: float, whole_set: bool) -> list[str]:
    """What fails the run; the F1 floors hold for the whole set only (not one split)."""
    failures = []
    for method, s in summary.items():
        if s["drawn"]:
            failures.append(f"{method}: {s['drawn']} trail segments across impossible jumps")
        if whole_set and method in FLOORS and s["f1"] < FLOORS[method]:
            failures.append(f"{method}: F1 {s['f1']:.3f} below its floor {FLOORS[method]}")
    if "motion" in summary and summary["motion"]["fps"] < realtime_fps:
        failures.append(f"motion: {summary['motion']['fps']:.1f} frames/s, below real time")
    return failures


def finetuned(
    clip: RealClip, minutes: float, labels: int, work: Path, init: Path | None
) -> list[Result]:
    """Fine-tune on the clip's first frames (at most 60 % of it, at most `labels`), score
    its last 40 % with the initial model and the fine-tuned one."""
    test_start = clip.start + int(0.6 * (clip.stop - clip.start))
    cut = clip.start + min(test_start - clip.start, labels)
    # Named by the frames actually used: a count over 60 % of a short clip uses the same
    # frames as the last one, and a model already made on them (an earlier run) is reused.
    folder = work / f"{clip.name}-{cut - clip.start}"
    model = folder / "model"
    if not (model / "model.safetensors").is_file():
        train(clip, cut, folder, minutes, init)
    rest = RealClip(**{**clip.__dict__, "start": test_start})
    results = [run_clip(rest, f"ft{labels}-before", prepared_predictor("model", init))]
    for method in ("model", "fused"):
        results.append(run_clip(rest, f"ft{labels}-{method}", prepared_predictor(method, model)))
    return results


def train(clip: RealClip, cut: int, folder: Path, minutes: float, init: Path | None) -> None:
    """`tracknet-studio finetune` on the clip's labelled frames start..cut-1."""
    from tracknet_studio.cli import main as cli

    model = folder / "model"
    command = ["finetune", str(clip.video_path()), str(clip.labels_path), "-o", str(model),
               "--frames", f"{clip.start}:{cut}", "--minutes", str(minutes), "--device", "cpu",
               "--threads", "2", "--work", str(folder / "work")]  # fmt: skip
    if init is not None:
        command += ["--init", str(init)]
    started = time.perf_counter()
    if cli(command) != 0:
        raise SystemExit(f"fine-tuning on {clip.name} failed")
    print(f"{clip.name}: fine-tuned on frames {clip.start}:{cut} in "
          f"{(time.perf_counter() - started) / 60:.1f} min")  # fmt: skip


def print_label_table(results: list[Result], counts: list[int], minutes: float) -> None:
    """Fine-tuned F1 (model / fused) per clip against the number of labelled frames."""
    print(
        f"\nF1 at 4 px (input space) on each test clip's last 40 %: the initial model "
        f"and fine-tuned for {minutes:g} min on N labelled frames (model / fused)"
    )
    by = {(r.clip.name, r.method): r.counts_input.f1 for r in results}
    names = sorted({r.clip.name for r in results if r.method.startswith("ft")})
    print(f"{'clip':34} {'before':>7} "
          + " ".join(f"{f'{n} labels':>14}" for n in counts))  # fmt: skip
    for name in names:
        cells = [f"{by[(name, f'ft{n}-model')]:.3f}/{by[(name, f'ft{n}-fused')]:.3f}".rjust(14)
                 for n in counts]  # fmt: skip
        print(f"{name[:34]:34} {by[(name, f'ft{counts[0]}-before')]:7.3f} " + " ".join(cells))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    p.add_argument("--split", nargs="+", default=["dev", "test"])
    p.add_argument("--clips", nargs="+", help="clip names (default: all)")
    p.add_argument("--finetune", type=float, metavar="MINUTES", help="also fine-tune test clips")
    p.add_argument("--labels", type=int, nargs="+", default=[200],
                   help="labelled frames to fine-tune on (each count a run)")  # fmt: skip
    p.add_argument("--weights", type=Path, help="model to score (default: the shipped weights)")
    p.add_argument("--work", type=Path, default=Path("build/bench-real"), help="fine-tune work")
    args = p.parse_args()
    missing = shared_data_missing()
    if missing:
        print(f"skipped: {missing}")
        return 0
    clips = [c for c in load_clips() if c.split in args.split]
    if args.clips:
        clips = [c for c in clips if c.name in args.clips]
    results = []
    for method in args.methods:
        predictor = prepared_predictor(method, args.weights)
        for clip in clips:
            results.append(run_clip(clip, method, predictor))
    if args.finetune:
        for clip in (c for c in clips if c.split == "test"):
            for labels in args.labels:
                results += finetuned(clip, args.finetune, labels, args.work, args.weights)
    print_table(results)
    summary = summarise(results)
    if args.finetune:
        print_label_table(results, args.labels, args.finetune)
    whole_set = not args.clips and {"dev", "test"} <= set(args.split)
    failures = check(summary, realtime_fps=30.0, whole_set=whole_set)
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
