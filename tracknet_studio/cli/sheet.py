"""`tracknet-studio sheet VIDEO --track T.csv --frames A:B -o SHEET.png`: check labels by eye.

One enlarged crop per frame around its label, with a 10 px ruler in the video's own
coordinates and the label drawn as an open crosshair (tracknet_studio.video.contact_sheet);
`--full` draws whole frames with a 100 px grid instead, for finding a ball a label lost.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

from ..core.track import Track
from ..formats.errors import FormatError
from ..video import VideoError, VideoReader
from ..video.contact_sheet import contact_sheet, full_frame_sheet
from ._common import frame_range
from .evaluate import read_labels

MAX_FRAMES = 40  # a sheet stays readable; ask for another range for more


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sheet", help="a contact sheet of zoomed crops to check labels")
    p.add_argument("video", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="PNG or JPEG to write")
    p.add_argument("--track", type=Path, help="labels or predictions (CSV or project)")
    p.add_argument("--frames", type=frame_range, default=(0, 20), metavar="A:B")
    p.add_argument("--crop", type=int, default=80, help="crop side in video pixels (80)")
    p.add_argument("--zoom", type=int, default=3, help="enlargement (3)")
    p.add_argument("--columns", type=int, default=5)
    p.add_argument("--at", type=_point, metavar="X,Y", help="centre every crop here instead")
    p.add_argument("--full", action="store_true", help="whole frames with a 100 px grid")
    p.set_defaults(run=run)


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y, got {text!r}") from None
    return x, y


def run(args: argparse.Namespace) -> int:
    try:
        reader = VideoReader(args.video, cache_mb=64)
    except VideoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with reader:
        try:
            track = read_labels(args.track) if args.track else Track(reader.frame_count)
        except (FormatError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        start, stop = args.frames
        start, stop = max(start or 0, 0), min(stop or reader.frame_count, reader.frame_count)
        frames = list(range(start, stop))[:MAX_FRAMES]
        if not frames:
            print(f"error: no frames in {start}:{stop}", file=sys.stderr)
            return 2
        if args.full:
            sheet = full_frame_sheet(reader, track, frames, columns=min(args.columns, 2))
        else:
            sheet = contact_sheet(
                reader, track, frames, args.crop, args.zoom, args.columns, centre=args.at
            )
    if not cv2.imwrite(str(args.output), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
        print(f"error: could not write {args.output}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({len(frames)} frames)")
    return 0
