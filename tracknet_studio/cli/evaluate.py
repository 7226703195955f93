"""`tracknet-studio evaluate PRED GT`: the field's per-frame metrics of a predicted track.

Both files are read with tracknet_studio.formats (any known CSV form, or a project file);
the counting is tracknet.metrics, the one implementation training and the app use too.
Frames count where GT has a label; a frame PRED does not mention predicts "no ball".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.track import Track
from ..formats.errors import FormatError
from ..formats.tracks import read_track
from ._common import image_size


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="TP/FP/FN counts and F1 of a predicted track")
    p.add_argument("pred", type=Path, help="predicted track (CSV or project)")
    p.add_argument("gt", type=Path, help="ground-truth track (CSV or project)")
    p.add_argument("--tolerance", type=float, default=4.0, help="pixels (default 4)")
    p.add_argument(
        "--space",
        choices=("input", "original"),
        default="input",
        help="measure the tolerance at the 512x288 network input (default: the field's "
        "protocol, and training's val_f1) or in the video's own pixels",
    )
    p.add_argument(
        "--size", type=image_size, metavar="WxH", help="the video's size (for --space input)"
    )
    p.add_argument("--video", type=Path, help="the video, for its size (for --space input)")
    p.add_argument(
        "--classes", type=_classes, default=(1, 2, 3),
        help="visibility classes that count as ball (default 1,2,3: visible, hard, occluded)",
    )  # fmt: skip
    p.add_argument("--ignore", type=_classes, default=(), help="classes left out of every count")
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.set_defaults(run=run)


def _classes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected classes like 1,2,3, got {text!r}") from None


def read_labels(path: Path) -> Track:
    """The track of any track file (a project's labels)."""
    read = read_track(path)
    assert read is not None  # the command line asks no questions
    return read.track


def run(args: argparse.Namespace) -> int:
    from tracknet.metrics import describe

    from ..inference.compare import compare

    try:
        pred, truth = read_labels(args.pred), read_labels(args.gt)
    except (FormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = args.size
    if args.space == "input" and size is None:
        if args.video is None:
            print(
                "error: the tolerance is measured at the 512x288 input (the field's protocol), "
                "which needs the video's size: give --video or --size WxH, or --space original",
                file=sys.stderr,
            )
            return 2
        from ..video import VideoReader

        with VideoReader(args.video, cache_mb=8) as reader:
            size = (reader.width, reader.height)
    comparison = compare(
        truth, pred, tolerance=args.tolerance, space=args.space, original_size=size,
        ball_classes=args.classes, ignore_classes=args.ignore,
    )  # fmt: skip
    frames, counts = comparison.frames, comparison.counts
    protocol = describe(args.tolerance, args.space, args.classes, args.ignore)
    if args.json:
        print(json.dumps({"protocol": protocol, "frames": len(frames), **counts.as_dict(),
                          **counts.metrics()}))  # fmt: skip
        return 0
    print(f"{len(frames)} labelled frames; {protocol}")
    print("  ".join(f"{k.upper()} {v}" for k, v in counts.as_dict().items()))
    print("  ".join(f"{k} {v:.4f}" for k, v in counts.metrics().items()))
    return 0
