"""What a SageMaker endpoint request costs per frame, on real broadcast clips and a
synthetic one: the request body EndpointPredictor sends (frames at the network's input
size, tracknet.predict's request format) against the raw RGB bytes of the same frames.

EndpointPredictor sizes its requests to fit the payload limit from the bytes a frame took
(PAYLOAD_MARGIN of the limit); the bench fails when that leaves fewer than MIN_FRAMES
frames per request on a clip: each request's round trip would then cost more than the
frames it carries.

    .venv/bin/python bench/bench_endpoint.py [--frames 60]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from tracknet_studio.inference.real_set import load_clips, shared_data_missing
from tracknet_studio.inference.sagemaker import (
    MAX_FRAMES_PER_REQUEST,
    MAX_PAYLOAD,
    PAYLOAD_MARGIN,
    encode_request,
)
from tracknet_studio.synthetic import ensure_demo_clip
from tracknet_studio.video import VideoReader

INPUT_SIZE = (288, 512)  # (height, width): EndpointPredictor's default, the shipped network's
MIN_FRAMES = 30  # a second of video per request at least


def request_bytes_per_frame(video: Path, start: int, frames: int) -> tuple[float, float, str]:
    """(request bytes per frame, raw RGB bytes per frame, size) over `frames` frames."""
    height, width = INPUT_SIZE
    with VideoReader(video, cache_mb=64) as reader:
        stop = min(start + frames, reader.frame_count)
        pictures = [
            cv2.resize(reader.frame(n), (width, height), interpolation=cv2.INTER_AREA)
            for n in range(start, stop)
        ]
        size = f"{reader.width}x{reader.height}"
        original = (reader.width, reader.height)
    body = encode_request(pictures, original, start)
    return len(body) / len(pictures), float(np.prod(pictures[0].shape)), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=60, help="frames per clip")
    args = parser.parse_args()
    demo, _ = ensure_demo_clip()
    clips: list[tuple[str, Path, int]] = [("synthetic demo (tennis)", Path(demo), 0)]
    missing = shared_data_missing()
    if missing is None:
        clips += [(c.name, c.video_path(), c.start) for c in load_clips()]
    else:
        print(f"real clips skipped: {missing}")
    print(f"request bytes per frame at {INPUT_SIZE[1]}x{INPUT_SIZE[0]}, {args.frames} frames "
          f"per clip; payload limit {MAX_PAYLOAD / 1e6:.1f} MB, up to "
          f"{MAX_FRAMES_PER_REQUEST} frames per request")  # fmt: skip
    failed = []
    for name, video, start in clips:
        per_frame, raw, size = request_bytes_per_frame(video, start, args.frames)
        sent = min(int(MAX_PAYLOAD * PAYLOAD_MARGIN // per_frame), MAX_FRAMES_PER_REQUEST)
        print(f"{name:<44} {size:>10}  {per_frame / 1024:6.1f} KiB/frame  "
              f"({per_frame / raw:4.2f}x raw RGB {raw / 1024:.0f} KiB)  "
              f"{sent:4d} frames per request")  # fmt: skip
        if sent < MIN_FRAMES:
            failed.append(name)
    if failed:
        print(f"FAILED: fewer than {MIN_FRAMES} frames per request for " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
