"""Add (or replace) one clip's labels in the real labelled set (tests/data/real).

    .venv/bin/python scripts/add_real_labels.py VIDEO LABELS.csv --sport tennis --split dev \
        --hand-placed 69 [--notes "..."]

VIDEO is a path under ../shared/data; LABELS.csv is `Frame,Visibility,X,Y` (classes 0-3)
for a contiguous range, checked frame by frame on contact sheets (`tracknet-studio sheet`).
The table is checked (contiguous, classes, positions inside the frame), rewritten in the
set's form and recorded in clips.json with the video's fingerprint.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tracknet_studio.inference.real_set import LABELS, SHARED, RealClip, load_clips, save_clips
from tracknet_studio.video import VideoReader


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("video", help="path under ../shared/data")
    p.add_argument("labels", type=Path)
    p.add_argument("--sport", required=True)
    p.add_argument("--split", choices=("dev", "test"), required=True)
    p.add_argument("--hand-placed", type=int, required=True)
    p.add_argument("--notes", default="")
    args = p.parse_args()
    table = np.loadtxt(args.labels, delimiter=",", skiprows=1, ndmin=2)
    frames, visibility = table[:, 0].astype(int), table[:, 1].astype(int)
    with VideoReader(SHARED / args.video, cache_mb=8) as reader:
        fingerprint, size = reader.fingerprint, (reader.width, reader.height)
    problems = _problems(frames, visibility, table[:, 2:4], size, fingerprint["frame_count"])
    if problems:
        print(f"error: {args.labels}: " + "; ".join(problems), file=sys.stderr)
        return 1
    name = Path(args.video).stem
    rows = ["Frame,Visibility,X,Y"]
    for f, v, (x, y) in zip(frames, visibility, table[:, 2:4], strict=True):
        rows.append(f"{f},{v},{x:.1f},{y:.1f}" if v > 0 else f"{f},0,0,0")
    (LABELS / f"{name}.csv").write_text("\n".join(rows) + "\n")
    clip = RealClip(name, args.video, args.sport, args.split, int(frames[0]),
                    int(frames[-1]) + 1, fingerprint, args.hand_placed, args.notes)  # fmt: skip
    save_clips([c for c in load_clips() if c.name != name] + [clip])
    print(f"{name}: {len(frames)} frames ({clip.start}:{clip.stop}), "
          f"{int((visibility > 0).sum())} with a ball")  # fmt: skip
    return 0


def _problems(frames, visibility, xy, size, frame_count) -> list[str]:
    problems = []
    if len(frames) == 0 or np.any(np.diff(frames) != 1):
        problems.append("frames must be one contiguous range, in order")
    if frames.min() < 0 or frames.max() >= frame_count:
        problems.append(f"frames outside the video's 0..{frame_count - 1}")
    if not np.isin(visibility, (0, 1, 2, 3)).all():
        problems.append("visibility must be 0-3")
    ball = visibility > 0
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < size[0]) & (xy[:, 1] >= 0) & (xy[:, 1] < size[1])
    if np.any(ball & ~inside):
        problems.append(f"a ball outside the {size[0]}x{size[1]} frame")
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
