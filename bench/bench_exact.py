"""Frame-exactness of the reader, as a figure: every container and codec it meets, and the
real broadcast clips.

Numbered clips (tracknet_studio.synthetic.numbered: each frame shows its own number) are
read in order, at random and backwards; each frame read must show the number asked for.
Real clips carry no numbers: frames read at random must equal, bit for bit, the same
frames decoded in order (the baseline, plain decoding). Kinds that cannot be frame-exact
(AVI holding H.264 B-frames, a raw H.264 stream) must be refused with a message. Any
mismatch fails the bench.

    .venv/bin/python bench/bench_exact.py [--frames 96] [--real-frames 240] [--samples 40]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tracknet_studio.inference.real_set import load_clips, shared_data_missing
from tracknet_studio.synthetic.numbered import CLIP_KINDS, write_numbered_clip
from tracknet_studio.video import VideoError, VideoReader, read_frame_number

REFUSED = ("avi_h264", "h264_raw")  # not frame-exact by nature: the reader says so


def numbered_figures(kind: str, path: Path, frames: int, rng: np.random.Generator) -> str:
    """ "in order 96/96, random 96/96, backwards 96/96" for one numbered clip."""
    orders = {
        "in order": list(range(frames)),
        "random": rng.permutation(frames).tolist(),
        "backwards": list(range(frames - 1, -1, -1)),
    }
    parts = []
    for name, order in orders.items():
        with VideoReader(path, cache_mb=32) as reader:
            exact = sum(read_frame_number(reader.frame(n)) == n for n in order)
        parts.append(f"{name} {exact}/{frames}")
    return ", ".join(parts)


def real_figures(video: Path, frames: int, samples: int, rng: np.random.Generator) -> tuple:
    """(exact, samples, seconds per random frame / seconds per frame in order)."""
    with VideoReader(video, cache_mb=16) as reader:
        last = min(frames, reader.frame_count)
        started = time.perf_counter()
        in_order = [_digest(reader.frame(n)) for n in range(last)]
        per_frame = (time.perf_counter() - started) / last
    chosen = rng.choice(last, size=min(samples, last), replace=False).tolist()
    started = time.perf_counter()
    with VideoReader(video, cache_mb=16) as reader:  # a fresh reader: nothing cached
        exact = sum(_digest(reader.frame(n)) == in_order[n] for n in chosen)
    per_seek = (time.perf_counter() - started) / len(chosen)
    return exact, len(chosen), per_seek / per_frame


def _digest(frame: np.ndarray) -> str:
    return hashlib.blake2b(frame.tobytes(), digest_size=16).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=96, help="frames per numbered clip")
    parser.add_argument("--real-frames", type=int, default=240, help="frames per real clip")
    parser.add_argument("--samples", type=int, default=40, help="random frames per real clip")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        for kind, (suffix, *_rest) in CLIP_KINDS.items():
            path = write_numbered_clip(Path(folder) / f"{kind}{suffix}", kind, args.frames).path
            if kind in REFUSED:
                try:
                    VideoReader(path).close()
                except VideoError as exc:
                    print(f"{kind:<10} refused, as it must be: {str(exc).split(': ', 1)[-1]}")
                else:
                    print(f"{kind:<10} OPENED, but it cannot be frame-exact")
                    failures.append(kind)
                continue
            figures = numbered_figures(kind, path, args.frames, rng)
            print(f"{kind:<10} {figures}")
            if figures.count(f"{args.frames}/{args.frames}") != 3:
                failures.append(kind)
    missing = shared_data_missing()
    if missing is not None:
        print(f"real clips skipped: {missing}")
    for clip in load_clips() if missing is None else []:
        exact, total, ratio = real_figures(clip.video_path(), args.real_frames, args.samples, rng)
        print(f"{clip.name:<30} random frames equal to in-order decoding: {exact}/{total}  "
              f"(a random frame costs {ratio:4.1f}x a frame in order)")  # fmt: skip
        if exact != total:
            failures.append(clip.name)
    if failures:
        print("FAILED: not frame-exact: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
