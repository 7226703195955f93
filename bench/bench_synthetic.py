"""Synthetic clip generator throughput, against plain H.264 encoding of the same size.

For each size, in the same run: (1) the whole generator (plan, render, encode to MP4);
(2) the baseline: PyAV/libx264 with the same settings encoding one static pre-rendered
court over and over, the cheapest thing any generator of this kind could do; (3) render
only (no encoder). The ratio generator/baseline shows what drawing the moving scene costs.

    .venv/bin/python bench/bench_synthetic.py [--frames 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2

from tracknet_studio.synthetic import ClipSpec, Scene, generate_clip

SIZES = ((512, 288), (1280, 720), (1920, 1080))


def encode_static(scene: Scene, path: Path) -> float:
    """Seconds to encode the scene's static court `frames` times, the same x264 settings."""
    spec = scene.spec
    yuv = cv2.cvtColor(scene.background, cv2.COLOR_RGB2YUV_I420)
    started = time.perf_counter()
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(spec.fps))
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.options = {"crf": str(spec.crf), "preset": "veryfast"}
        for n in range(spec.frames):
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            frame.pts = n
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    print(f"{'size':>10} {'generator':>10} {'baseline':>10} {'ratio':>6} {'render':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in SIZES:
            spec = ClipSpec(width=width, height=height, frames=args.frames, seed=1)
            started = time.perf_counter()
            generate_clip(spec, Path(tmp) / "gen.mp4", Path(tmp) / "gen.csv")
            gen_fps = spec.frames / (time.perf_counter() - started)
            scene = Scene(spec)
            base_fps = spec.frames / encode_static(scene, Path(tmp) / "base.mp4")
            started = time.perf_counter()
            for n in range(spec.frames):
                scene.yuv420(n)
            render_fps = spec.frames / (time.perf_counter() - started)
            print(
                f"{width:>5}x{height:<4} {gen_fps:>7.0f} fps {base_fps:>6.0f} fps "
                f"{gen_fps / base_fps:>5.2f}x {render_fps:>6.0f} fps"
            )


if __name__ == "__main__":
    main()
