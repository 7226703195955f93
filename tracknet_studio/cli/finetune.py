"""`tracknet-studio finetune VIDEO LABELS [VIDEO LABELS ...] -o MODEL_DIR`: adapt a model to
your footage from a few hundred labels, in minutes.

The loop (tracknet_studio.inference.finetune, shared with the window): the last `--holdout`
of each clip's labelled frames (in time) held out, the rest featurized and trained on from
`--init` (the shipped weights by default) within `--minutes`, held-out F1 before and after,
and a model folder that `predict --weights` and the window's Run Model accept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..formats.errors import FormatError
from ._common import frame_range
from .evaluate import read_labels


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("finetune", help="adapt a model to your footage from a few labels")
    p.add_argument("pairs", nargs="+", metavar="VIDEO LABELS", help="videos and their labels")
    p.add_argument("-o", "--output", type=Path, required=True, help="model folder to write")
    p.add_argument("--init", default="shipped", help="model to start from (default: shipped)")
    p.add_argument("--frames", type=frame_range, metavar="A:B", help="use labels of A..B-1 only")
    p.add_argument("--minutes", type=float, default=10.0, help="training time (default 10)")
    p.add_argument("--holdout", type=float, default=0.2, help="share held out (default 0.2)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--work", type=Path, help="keep the datasets and logs here")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..inference.finetune import FinetuneError, finetune, labelled_clip
    from ..inference.local import DEFAULT_WEIGHTS

    if len(args.pairs) % 2:
        print("error: give VIDEO LABELS pairs", file=sys.stderr)
        return 2
    try:
        clips = []
        for video, labels in zip(args.pairs[::2], args.pairs[1::2], strict=True):
            if not Path(video).is_file():
                raise FinetuneError(f"{video}: no such video")
            track = read_labels(Path(labels))
            clips.append(labelled_clip(Path(video), track, args.frames, args.holdout))
        init = DEFAULT_WEIGHTS if args.init == "shipped" else Path(args.init)
        result = finetune(clips, init, args.output, minutes=args.minutes, device=args.device,
                          threads=args.threads, work=args.work)  # fmt: skip
    except (FinetuneError, FormatError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if result.kept_initial:
        print("warning: fine-tuning made the held-out frames worse; the model written is the "
              "initial one", file=sys.stderr)  # fmt: skip
    elif result.after == result.before:
        print("warning: fine-tuning did not improve the held-out frames: label more frames "
              "(whole rallies), or train longer", file=sys.stderr)  # fmt: skip
    return 0
