"""`tracknet-studio demo`: write a synthetic broadcast-like clip and its exact ball track."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ..synthetic import SPORTS, ClipSpec, generate_clip
from ._common import ProgressBar

_FORMS = ("tennis-a", "tennis-b", "badminton")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="generate a synthetic clip with its exact ball track")
    d = ClipSpec()
    p.add_argument("-o", "--output", type=Path, required=True, help="video to write (.mp4)")
    p.add_argument("--track", type=Path, help="ball track CSV to write")
    p.add_argument(
        "--form",
        choices=_FORMS,
        default="tennis-a",
        help="CSV form (tennis keeps hard/occluded and hit/bounce; default %(default)s)",
    )
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--width", type=int, default=d.width)
    p.add_argument("--height", type=int, default=d.height)
    p.add_argument("--fps", type=float, default=d.fps)
    p.add_argument("--frames", type=int, default=d.frames)
    p.add_argument("--sport", choices=SPORTS, default=d.sport)
    p.add_argument("--speed", type=float, default=d.speed, help="shot speed factor")
    p.add_argument("--players", type=int, choices=(0, 1, 2), default=d.players)
    p.add_argument("--ball-radius", type=float, help="ball radius in px near the camera")
    p.add_argument("--noise", type=float, default=d.noise, help="camera noise, 0 = clean")
    p.add_argument("--crf", type=int, default=d.crf, help="x264 quality (lower is better)")
    p.add_argument(
        "--keyframe-interval",
        type=int,
        default=d.keyframe_interval,
        help="frames between keyframes",
    )
    p.add_argument(
        "--frame-numbers",
        action="store_true",
        help="draw each frame's number as machine-readable blocks",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        spec = ClipSpec(
            width=args.width,
            height=args.height,
            fps=args.fps,
            frames=args.frames,
            sport=args.sport,
            speed=args.speed,
            players=args.players,
            ball_radius=args.ball_radius,
            noise=args.noise,
            crf=args.crf,
            keyframe_interval=args.keyframe_interval,
            seed=args.seed,
        )
    except ValueError as e:
        print(f"tracknet-studio demo: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    bar = ProgressBar(spec.frames, enabled=not args.quiet)
    try:
        track = generate_clip(
            spec,
            args.output,
            args.track,
            frame_numbers=args.frame_numbers,
            track_form=args.form,
            progress=bar,
        )
        bar.finish(spec.frames)
    except OSError as e:
        print(
            f"tracknet-studio demo: cannot write {e.filename or args.output}: {e.strerror}",
            file=sys.stderr,
        )
        return 1
    elapsed = time.perf_counter() - started
    counts = np.bincount(track.visibility, minlength=4)
    events = np.bincount(track.event, minlength=3)
    print(
        f"{args.output}: {spec.frames} frames {spec.width}x{spec.height} @ {spec.fps:g} fps, "
        f"{spec.sport}, seed {spec.seed}, {spec.frames / elapsed:.0f} frames/s"
    )
    print(
        f"ball: visible {counts[1]}, hard {counts[2]}, occluded {counts[3]}, "
        f"none/out of frame {counts[0]}; hits {events[1]}, bounces {events[2]}"
    )
    if args.track:
        print(f"track: {args.track} ({args.form})")
    return 0
