"""CUDA benchmark of both networks: throughput against the GPU's limit, end to end, training.

Everything is measured in this run, on this machine's first CUDA device:

1. GPU peak: TFLOP/s of a large bf16 matmul and of an fp32 one (TF32 off): the rooflines;
2. per network (TrackNetV2, the fast one): frames/s of the network alone (input resident
   on the GPU, timed between device synchronisations) in fp32 (cuDNN may use TF32), fp16
   and bf16 autocast, at batch 1, 16 and 64, beside the limit that its FLOPs and the bf16
   peak allow; and through `tracknet.predict.TorchRunner` (numpy in, heatmaps back to the
   host), as the predictor pays it;
3. end-to-end predict frames/s on a generated 720p clip (VideoReader decode, resize,
   network on the GPU, post-processing, tracker) against raw decoding of the same clip;
4. a training step of each network as entrypoints/train.py runs it on a GPU (AdamW, fp16
   autocast with a grad scaler), batch 32, on 64x128 and 144x256 crops, TrackNetV2's
   against the fast network's.

    python bench/bench_cuda.py [--quick] [--work DIR] [--json FILE]

Without a CUDA device it says so and exits 0, so it can sit beside the CPU benchmark;
`--device cpu --quick` runs the same code on the CPU, to check it before a GPU is at hand.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]

from bench_model import ARCHES, flops_per_window  # noqa: E402
from tracknet.config import ModelConfig  # noqa: E402
from tracknet.modelfile import save_model  # noqa: E402
from tracknet.networks import build_network  # noqa: E402
from tracknet.predict import TorchRunner  # noqa: E402
from tracknet.training import optimisation_step  # noqa: E402

from tracknet_studio.inference import (  # noqa: E402
    DEFAULT_WEIGHTS,
    LocalPredictor,
    predict_track,
)
from tracknet_studio.inference.base import FrameRange  # noqa: E402
from tracknet_studio.inference.batch import READER_CACHE_MB  # noqa: E402
from tracknet_studio.synthetic import ClipSpec, generate_clip  # noqa: E402
from tracknet_studio.video import VideoReader  # noqa: E402

PRECISIONS = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}
BATCHES = (1, 16, 64)
DEVICE = torch.device("cuda")  # --device cpu only to try this script without a GPU


def synchronize() -> None:
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def gpu_seconds(fn, repeats: int) -> float:
    """Mean seconds of `fn()` on the device over `repeats` calls, after two warm-ups."""
    for _ in range(2):
        fn()
    synchronize()
    started = time.perf_counter()
    for _ in range(repeats):
        fn()
    synchronize()
    return (time.perf_counter() - started) / repeats


def peak_tflops(dtype: torch.dtype, size: int) -> float:
    a = torch.randn(size, size, device=DEVICE, dtype=dtype)
    b = torch.randn(size, size, device=DEVICE, dtype=dtype)
    torch.backends.cuda.matmul.allow_tf32 = False
    return 2 * size**3 / gpu_seconds(lambda: a @ b, 10) / 1e12


def section_peak(quick: bool) -> dict:
    size = 1024 if quick else 8192
    print(f"\n== 1. GPU peak (matmul {size}^3) ==")
    peaks = {"bf16": peak_tflops(torch.bfloat16, size), "fp32": peak_tflops(torch.float32, size)}
    print(f"bf16 {peaks['bf16']:.0f} TFLOP/s, fp32 (no TF32) {peaks['fp32']:.1f} TFLOP/s")
    return peaks


def network_fps(model, config: ModelConfig, batch: int, dtype, repeats: int) -> float:
    x = torch.rand(batch, config.in_channels, config.height, config.width, device=DEVICE)

    def run() -> None:
        with torch.autocast(DEVICE.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            model(x)

    with torch.inference_mode():
        return batch * config.frames_out / gpu_seconds(run, repeats)


def runner_fps(model, config: ModelConfig, batch: int, bf16: bool, repeats: int) -> float:
    """Frames/s through TorchRunner: host input, heatmaps copied back, as predict does."""
    runner = TorchRunner(model, DEVICE, bf16=bf16)
    x = np.random.default_rng(0).random(
        (batch, config.in_channels, config.height, config.width), dtype=np.float32
    )
    runner(x)
    started = time.perf_counter()
    for _ in range(repeats):
        runner(x)
    return repeats * batch * config.frames_out / (time.perf_counter() - started)


def section_networks(peaks: dict, quick: bool) -> dict:
    print("\n== 2. inference frames/s on the GPU (a window of 3 frames gives 3 frames) ==")
    repeats, batches = (1, (1, 2)) if quick else (20, BATCHES)
    results = {}
    for arch in ARCHES:
        config = ModelConfig(arch=arch)
        model = build_network(config).eval()
        flops = flops_per_window(model, config) / config.frames_out
        model = model.to(DEVICE)
        limit = peaks["bf16"] * 1e12 / flops
        row: dict = {"gflops_per_frame": flops / 1e9, "limit_fps_bf16": limit}
        for name, dtype in PRECISIONS.items():
            for batch in batches:
                row[f"{name}_b{batch}"] = network_fps(model, config, batch, dtype, repeats)
        for batch in batches[:2]:
            for bf16 in (False, True):
                key = f"runner_{'bf16' if bf16 else 'fp32'}_b{batch}"
                row[key] = runner_fps(model, config, batch, bf16, repeats)
        results[arch] = row
        print(
            f"{arch:>13}: {row['gflops_per_frame']:.2f} GFLOP/frame, limit at the bf16 peak "
            f"{row['limit_fps_bf16']:,.0f} fps"
        )
        for name in PRECISIONS:
            cells = ", ".join(f"batch {b}: {row[f'{name}_b{b}']:,.0f}" for b in batches)
            best = max(row[f"{name}_b{b}"] for b in batches)
            print(f"{'':>15}{name} network alone: {cells} ({best / limit:.1%} of limit)")
        print(
            f"{'':>15}through TorchRunner (host in, heatmaps out): "
            + ", ".join(
                f"{k.removeprefix('runner_').replace('_b', ' batch ')}: {v:,.0f}"
                for k, v in row.items()
                if k.startswith("runner_")
            )
        )
    return results


def decode_fps(video: Path) -> float:
    """Frames/s of decoding alone, read as predict_track reads them."""
    with VideoReader(video, cache_mb=READER_CACHE_MB) as reader:
        started = time.perf_counter()
        for _ in FrameRange(reader, 0, reader.frame_count):
            pass
        return reader.frame_count / (time.perf_counter() - started)


def predict_fps(weights: Path, video: Path) -> tuple[float, str]:
    predictor = LocalPredictor(weights, DEVICE.type)
    predictor.load()
    with VideoReader(video, cache_mb=READER_CACHE_MB) as reader:
        started = time.perf_counter()
        predict_track(reader, predictor)
        return reader.frame_count / (time.perf_counter() - started), predictor.describe()


def section_end_to_end(work: Path, quick: bool) -> dict:
    print("\n== 3. end-to-end predict on a 720p clip on the GPU, against raw decoding ==")
    frames = 12 if quick else 600
    video = work / f"e2e-720p-{frames}.mp4"
    if not video.is_file():
        generate_clip(ClipSpec(frames=frames, seed=4242), video)
    raw = decode_fps(video)
    results = {"decode_fps": raw}
    print(f"raw decode (VideoReader, one thread of work): {raw:.0f} frames/s")
    with tempfile.TemporaryDirectory() as tmp:
        # Speed does not depend on the weights: an untrained TrackNetV2 stands in for one.
        v2 = Path(tmp) / "tracknetv2"
        config = ModelConfig(arch="tracknetv2")
        save_model(v2, build_network(config), config)
        for arch, weights in (("fasttracknet", DEFAULT_WEIGHTS), ("tracknetv2", v2)):
            fps, engine = predict_fps(weights, video)
            results[arch] = fps
            print(f"{arch:>13} ({engine}): {fps:.0f} frames/s = {fps / raw:.2f}x raw decoding")
    return results


def training_step_seconds(arch: str, crop: tuple[int, int], batch: int = 32) -> float:
    model = build_network(ModelConfig(arch=arch)).to(DEVICE).train()
    optimizer = torch.optim.AdamW(model.parameters(), 1e-3)
    scaler = torch.amp.GradScaler(DEVICE.type)
    x = torch.rand(batch, 9, *crop, device=DEVICE)
    y = torch.zeros(batch, 3, *crop, device=DEVICE)

    def step() -> None:
        autocast = torch.autocast(DEVICE.type, dtype=torch.float16)
        optimisation_step(model, x, y, optimizer, scaler, autocast)

    return gpu_seconds(step, 10 if batch > 2 else 1)


def section_training(quick: bool) -> dict:
    print("\n== 4. a training step on the GPU (batch 32, fp16 autocast, AdamW) ==")
    results = {}
    for crop in ((16, 32),) if quick else ((64, 128), (144, 256)):
        size = f"{crop[0]}x{crop[1]}"
        for arch in ARCHES:
            seconds = training_step_seconds(arch, crop, batch=2 if quick else 32)
            results[f"{arch}_{size}"] = seconds
            print(f"{arch:>13} on {size} crops: {seconds * 1000:.1f} ms/step")
        ratio = results[f"tracknetv2_{size}"] / results[f"fasttracknet_{size}"]
        print(f"{'':>15}TrackNetV2 / fast network on {size}: {ratio:.1f}x")
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, a shorter clip")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "model-suite")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--device", default="cuda", help="cuda; cpu only to try the script")
    args = p.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    if DEVICE.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: nothing to measure")
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    name = torch.cuda.get_device_name() if DEVICE.type == "cuda" else "CPU (trial run)"
    print(f"{name}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    peaks = section_peak(args.quick)
    results = {"device": name, "torch": torch.__version__, "peak_tflops": peaks,
               "networks": section_networks(peaks, args.quick),
               "end_to_end": section_end_to_end(args.work, args.quick),
               "training_step_seconds": section_training(args.quick)}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
