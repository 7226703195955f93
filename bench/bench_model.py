"""Model benchmark: speed against the CPU's limit, end-to-end predict, memory, data, accuracy.

Everything is measured in this run, on this machine:

1. CPU peak: fp32 GFLOP/s of a large matmul (the roofline every network is held against);
2. per network (TrackNetV2, the fast one): FLOPs per frame (torch's FLOP counter) and the
   frames/s limit that peak allows, beside measured frames/s with fp32 torch, ONNX Runtime,
   and bf16 autocast where the CPU has native bf16 (AMX, or AVX-512 BF16 without AMX, where
   the predictor itself keeps fp32; skipped, and said so, elsewhere);
3. end-to-end `predict` frames/s on a generated 720p clip: decode (VideoReader), resize,
   network, post-processing, tracker (goal for the fast network: >= 30 on 2 cores);
4. peak memory (max RSS of a fresh process) predicting a 30-minute clip against a 1-minute
   one (54,000 against 1,800 frames at 320x180; streaming means the two should match);
   and, where growth per frame shows, the same pipeline (decode, predict_track, the track)
   over 300,000 frames against 30,000 with a predictor that answers at once (the network
   would take hours): the peak may grow by the whole-video arrays (track, packet index;
   measured ~134 bytes a frame at 1,000,000), goal at most 200 bytes a frame, where one
   frame kept would be 6,912;
5. featurized dataset bytes per frame, synthetic and real clips, against the same frames'
   raw RGB bytes at the dataset's size (goal: at most 0.2x);
6. F1 of the shipped weights on the held-out synthetic test clips (goal >= 0.95 at 4 px);
7. TrackNetV2 against the fast network: their training step costs (fp32, and bf16 where
   the CPU has it), and the held-out F1 of both under each recipe as recorded by
   scripts/compare_networks (docs/model-comparison.json): those F1 figures are read from
   that file, not measured in this run (training both takes hours), and say so.
   bench/bench_cuda.py measures both networks on a CUDA device (docs/model-cuda.md).

    .venv/bin/python bench/bench_model.py [--quick] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]

from tracknet.config import ModelConfig  # noqa: E402
from tracknet.networks import build_network, count_parameters  # noqa: E402
from tracknet.predict import OnnxRunner, TorchRunner, cpu_flags, cpu_has_amx  # noqa: E402
from tracknet.training import optimisation_step  # noqa: E402

from tracknet_studio.cli.predict import DEFAULT_WEIGHTS  # noqa: E402
from tracknet_studio.synthetic import ClipSpec, generate_clip  # noqa: E402
from tracknet_studio.synthetic.comparison import verdict_line  # noqa: E402
from tracknet_studio.synthetic.model_suite import featurize, generate_suite, score_held_out  # noqa: E402

MAX_DATASET_SHARE = 0.2  # a featurized frame's bytes against its raw RGB bytes
MAX_BYTES_PER_FRAME = 200  # pipeline memory growth per frame: whole-video arrays only
ARCHES = ("fasttracknet", "tracknetv2")
# bf16 is measured where the CPU computes it natively: AMX (where the predictor turns it on)
# or AVX-512 BF16 (where the predictor does not, and this benchmark shows whether it should).
NATIVE_BF16 = bool({"amx_bf16", "avx512_bf16"} & cpu_flags())
COMPARISON = ROOT / "docs" / "model-comparison.json"


def peak_gflops(size: int = 2048, repeats: int = 5) -> float:
    a, b = torch.rand(size, size), torch.rand(size, size)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best / 1e9


def flops_per_window(model: torch.nn.Module, config: ModelConfig) -> float:
    x = torch.zeros(1, config.in_channels, config.height, config.width)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(x)
    return float(counter.get_total_flops())


def time_runner(runner, config: ModelConfig, batch: int, seconds: float) -> float:
    """Windows per second of `runner` on random input, after one warm-up call."""
    x = np.random.default_rng(0).random(
        (batch, config.in_channels, config.height, config.width), dtype=np.float32
    )
    runner(x)
    calls, started = 0, time.perf_counter()
    while True:
        runner(x)
        calls += 1
        elapsed = time.perf_counter() - started
        if elapsed > seconds or calls >= 50:
            return calls * batch / elapsed


def section_speed(peak: float, quick: bool) -> dict[str, dict]:
    print("\n== 2. inference speed (frames/s; a window of 3 frames gives 3 frames) ==")
    results = {}
    for arch in ARCHES:
        config = ModelConfig(arch=arch)
        model = build_network(config).eval()
        flops = flops_per_window(model, config) / config.frames_out
        limit = peak * 1e9 / flops
        row = {"params": count_parameters(model), "gflops_per_frame": flops / 1e9,
               "limit_fps": limit}  # fmt: skip
        seconds = 2.0 if quick else 5.0
        batch = 1 if arch == "tracknetv2" else 4
        row["torch_fp32_fps"] = time_runner(TorchRunner(model, torch.device("cpu"), bf16=False),
                                            config, batch, seconds) * config.frames_out  # fmt: skip
        try:
            row["onnx_fps"] = time_runner(OnnxRunner(model, config), config, batch, seconds) * (
                config.frames_out
            )
        except ImportError:
            row["onnx_fps"] = None
        if NATIVE_BF16:
            row["torch_bf16_fps"] = (
                time_runner(
                    TorchRunner(model, torch.device("cpu"), bf16=True), config, batch, seconds
                )
                * config.frames_out
            )
        else:
            row["torch_bf16_fps"] = None
        results[arch] = row
        onnx = f"{row['onnx_fps']:.1f}" if row["onnx_fps"] else "n/a"
        bf16 = (
            f"{row['torch_bf16_fps']:.1f} ({'AMX' if cpu_has_amx() else 'avx512_bf16, no AMX'})"
            if row["torch_bf16_fps"]
            else "skipped (no native bf16)"
        )
        print(
            f"{arch:>13}: {row['params'] / 1e6:.2f} M params, {row['gflops_per_frame']:.2f} "
            f"GFLOP/frame -> limit {limit:.1f} fps at peak; torch fp32 {row['torch_fp32_fps']:.1f}"
            f" ({row['torch_fp32_fps'] / limit:.0%} of limit), ONNX Runtime {onnx}"
            f" ({(row['onnx_fps'] or 0) / limit:.0%}), bf16 {bf16}"
        )
    print(
        "(the limit is FLOPs at the measured matmul peak; above 100% the peak was measured"
        " low on a busy machine or the runtime does fewer FLOPs, e.g. Winograd convolutions)"
    )
    fast, v2 = results["fasttracknet"], results["tracknetv2"]
    best = max(fast["torch_fp32_fps"], fast["onnx_fps"] or 0)
    best_v2 = max(v2["torch_fp32_fps"], v2["onnx_fps"] or 0)
    print(f"fast network / TrackNetV2, best runtime each: {best / best_v2:.1f}x")
    return results


def _child(code: str) -> dict:
    """Run `code` in a fresh interpreter with one JSON line of results on stdout."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


_PREDICT_CHILD = """
import json, sys, time
from pathlib import Path
from tracknet_studio.video import VideoReader
from tracknet_studio.inference.batch import READER_CACHE_MB
from tracknet_studio.inference import LocalPredictor, predict_track
predictor = LocalPredictor(Path({weights!r}), "cpu")
predictor.load()
with VideoReader({video!r}, cache_mb=READER_CACHE_MB) as reader:
    started = time.monotonic()
    track = predict_track(reader, predictor)
    seconds = time.monotonic() - started
    n = reader.frame_count
# VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across fork and exec, so a child
# of this (large) benchmark process would report the parent's peak whatever it did itself.
peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({{"frames": n, "seconds": seconds, "fps": n / seconds,
                  "found": int(track.has_ball.sum()), "runtime": predictor.engine.runtime,
                  "max_rss_mb": peak_kb / 1024}}))
"""


def predict_in_child(weights: Path, video: Path) -> dict:
    return _child(_PREDICT_CHILD.format(weights=str(weights), video=str(video)))


# The baseline of section 3: the same predictor on frames decoded beforehand (held in
# memory), so only the network and its post-processing run while timed.
_NETWORK_CHILD = """
import json, time
from pathlib import Path
from tracknet_studio.video import VideoReader
from tracknet_studio.inference import LocalPredictor
predictor = LocalPredictor(Path({weights!r}), "cpu")
predictor.load()
with VideoReader({video!r}, cache_mb=4096) as reader:
    frames = [reader.frame(n) for n in range(min({frames}, reader.frame_count))]
    size = (reader.width, reader.height)
list(predictor.predict(frames[:12], start=0, original_size=size))  # warm-up
started = time.monotonic()
list(predictor.predict(frames, start=0, original_size=size))
print(json.dumps({{"fps": len(frames) / (time.monotonic() - started)}}))
"""


def section_end_to_end(work: Path, weights: Path, quick: bool) -> dict:
    print("\n== 3. end-to-end predict on a 720p clip (decode, resize, network, tracker) ==")
    frames = 90 if quick else 300
    video = work / f"e2e-720p-{frames}.mp4"
    if not video.is_file():
        generate_clip(ClipSpec(frames=frames, seed=4242), video)
    result = predict_in_child(weights, video)
    network = _child(_NETWORK_CHILD.format(weights=str(weights), video=str(video), frames=120))
    result["ratio"] = result["fps"] / network["fps"]
    print(
        f"fast network ({result['runtime']}): {result['frames']} frames in "
        f"{result['seconds']:.1f} s = {result['fps']:.1f} frames/s (goal >= 30); "
        f"ball in {result['found']} frames; network alone on frames decoded beforehand "
        f"{network['fps']:.1f} frames/s: end to end {result['ratio']:.2f}x (goal >= 0.8x)"
    )
    return result


# The pipeline without the network: a predictor answering "no ball" at once, so a million
# frames pass in minutes and any per-frame growth (a few hundred bytes) shows in the peak.
_PIPELINE_CHILD = """
import json
from tracknet_studio.inference import FramePrediction, predict_track
from tracknet_studio.inference.batch import READER_CACHE_MB
from tracknet_studio.video import VideoReader
class Instant:
    name = "instant"
    def predict(self, frames, *, start, original_size, progress=None):
        for i, _frame in enumerate(frames):
            yield FramePrediction(start + i, float("nan"), float("nan"), 0.0, False)
with VideoReader({video!r}, cache_mb=READER_CACHE_MB) as reader:
    track = predict_track(reader, Instant())
peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({{"frames": len(track), "max_rss_mb": peak_kb / 1024}}))
"""


def tiny_clip(path: Path, frames: int) -> Path:
    """A plain 64x36 H.264 clip (fast to write and decode: the pipeline is what is timed)."""
    if path.is_file():
        return path
    import av

    partial = path.with_suffix(".partial.mp4")
    with av.open(str(partial), "w") as container:
        stream = container.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        picture = np.zeros((36, 64, 3), np.uint8)
        for n in range(frames):
            picture[:, :, 0] = n % 256
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode(None))
    partial.rename(path)
    return path


def section_pipeline_memory(work: Path, quick: bool) -> list[str]:
    """Peak memory of the pipeline at a length where per-frame growth would show."""
    lengths = {"short": 30_000, "long": 300_000}
    if quick:
        lengths = {"short": 3_000, "long": 30_000}
    peaks = {}
    for name, frames in lengths.items():
        video = tiny_clip(work / f"pipeline-{frames}.mp4", frames)
        peaks[name] = _child(_PIPELINE_CHILD.format(video=str(video)))
    long, short = peaks["long"], peaks["short"]
    grown = (long["max_rss_mb"] - short["max_rss_mb"]) * 2**20
    per_frame = grown / (long["frames"] - short["frames"])
    print(f"pipeline without the network: {long['frames']:,} frames {long['max_rss_mb']:.0f} MB "
          f"against {short['frames']:,} frames {short['max_rss_mb']:.0f} MB: "
          f"{per_frame:.0f} bytes a frame (goal <= {MAX_BYTES_PER_FRAME})")  # fmt: skip
    if per_frame > MAX_BYTES_PER_FRAME:
        return [f"pipeline memory grows {per_frame:.0f} bytes a frame"]
    return []


def section_memory(work: Path, weights: Path, quick: bool) -> dict:
    print("\n== 4. peak memory predicting a 30-minute against a 1-minute clip (fresh processes) ==")
    # 30 fps at 320x180: the network sees 512x288 whatever the source, so a small source
    # keeps generating and decoding 54,000 frames affordable without changing what streams.
    minutes = {"short": 1, "long": 30} if not quick else {"short": 0.05, "long": 0.5}
    results = {}
    for name, length in minutes.items():
        frames = round(length * 60 * 30)
        video = work / f"mem-{frames}.mp4"
        if not video.is_file():
            generate_clip(ClipSpec(width=320, height=180, frames=frames, seed=7), video)
        results[name] = predict_in_child(weights, video)
    short, long = results["short"], results["long"]
    ratio = long["max_rss_mb"] / short["max_rss_mb"]
    print(
        f"{long['frames']} frames: {long['max_rss_mb']:.0f} MB max RSS ({long['fps']:.0f} fps); "
        f"{short['frames']} frames: {short['max_rss_mb']:.0f} MB; ratio {ratio:.2f} (goal: 1.0)"
    )
    return results


def section_dataset(work: Path) -> list[str]:
    """Featurized bytes per frame against raw RGB; returns the goals missed."""
    print("\n== 5. featurized dataset bytes per frame against raw RGB frames ==")
    small = work / "small-clips"
    generate_suite("test", small, 30)
    sets = {"synthetic suite": (small, work / "small-dataset")}
    real = _real_clips_folder(work / "real-clips")
    if real is not None:
        sets["real clips"] = (real, work / "real-dataset")
    missed = []
    for name, (clips, dataset) in sets.items():
        featurize(clips, dataset, 0.2)
        manifest = json.loads((dataset / "manifest.json").read_text())
        frames = sum(c["frames"] for c in manifest["clips"])
        per_frame = sum(c["bytes"] for c in manifest["clips"]) / frames
        config = manifest["config"]
        raw = config["width"] * config["height"] * 3
        print(f"{name:<16} {per_frame / 1024:6.1f} KiB/frame ({config['image_format']} "
              f"q{config['jpeg_quality']} at {config['width']}x{config['height']}, {frames} "
              f"frames) against raw RGB {raw / 1024:.0f} KiB: {per_frame / raw:.3f}x")  # fmt: skip
        if per_frame > MAX_DATASET_SHARE * raw:
            missed.append(f"{name} dataset over {MAX_DATASET_SHARE}x raw")
    return missed


def _real_clips_folder(folder: Path, clips: int = 2) -> Path | None:
    """The shortest labelled real clips, as featurize.py reads them (<clip>.mp4 linked,
    <clip>.csv its labels); None without ../shared/data."""
    from tracknet_studio.inference.real_set import load_clips, shared_data_missing

    if shared_data_missing() is not None:
        print("(real clips skipped: ../shared/data is not here)")
        return None
    chosen = sorted(load_clips(), key=lambda c: c.fingerprint.get("frame_count", 1e9))[:clips]
    folder.mkdir(parents=True, exist_ok=True)
    for clip in chosen:
        video = clip.video_path()
        link = folder / f"{clip.name}{video.suffix.lower()}"
        if not link.exists():
            link.symlink_to(video)
        (folder / f"{clip.name}.csv").write_text(clip.labels_path.read_text())
    return folder


def section_accuracy(work: Path, weights: Path, quick: bool) -> dict | None:
    print("\n== 6. shipped weights on the held-out synthetic test clips ==")
    if not weights.is_dir():
        print(f"no shipped weights at {weights}: run scripts/train_shipped_weights")
        return None
    frames = 300
    videos = generate_suite("test", work / "videos-test", frames)
    if quick:
        videos = videos[:2]
    held_out = score_held_out(weights, videos)
    for line in held_out.lines(4.0):
        print(line)
    print(f"({held_out.frames} frames; goal F1 >= 0.95 at 4 px)")
    return {"f1_input": held_out.input_space.f1, "f1_original": held_out.original_space.f1}


def section_tracknetv2_training() -> None:
    print("\n== 7. TrackNetV2 against the fast network, one recipe (16 crops of 64x128) ==")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the recipe trains: more oversubscribe a busy 2-core CPU
    precisions = {"fp32": False, "bf16": True} if NATIVE_BF16 else {"fp32": False}
    steps = {(arch, name): training_step_seconds(arch, bf16)
             for arch in ARCHES for name, bf16 in precisions.items()}  # fmt: skip
    for arch in ARCHES:
        costs = ", ".join(f"{name} {steps[arch, name]:.2f} s" for name in precisions)
        print(f"{arch:>13}: per training step (1 thread): {costs}")
    ratios = ", ".join(
        f"{name} {steps['tracknetv2', name] / steps['fasttracknet', name]:.1f}x"
        for name in precisions
    )
    print(f"TrackNetV2 / fast network per step: {ratios}")
    torch.set_num_threads(threads)
    if not COMPARISON.is_file():
        print("no comparison recorded: run scripts/compare_networks")
        return
    recorded = json.loads(COMPARISON.read_text())
    print(f"NOT measured in this run: held-out F1 as recorded by scripts/compare_networks "
          f"({COMPARISON.relative_to(ROOT)}), per recipe:")  # fmt: skip
    for recipe, runs in recorded.items():
        for name, r in runs.items():
            print(
                f"{recipe:>15} {name:<32}: held-out F1 {r['input']['f1']:.4f} (4 px input), "
                f"{r['original']['f1']:.4f} (original); {r['steps']} steps, "
                f"{r['train_minutes']:.1f} min on {r.get('device', 'the CPU')}"
            )
        verdict = verdict_line(runs).strip().replace("**", "")  # the report's own judgement
        if verdict:
            print(f"{recipe:>15}: {verdict}")


def training_step_seconds(arch: str, bf16: bool, batch: int = 16) -> float:
    """Best of a few AdamW steps on random 64x128 crops."""
    model = build_network(ModelConfig(arch=arch))
    optimizer = torch.optim.AdamW(model.parameters(), 1e-3)
    x, y = torch.rand(batch, 9, 64, 128), torch.zeros(batch, 3, 64, 128)
    no_scaling = torch.amp.GradScaler("cpu", enabled=False)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
        optimisation_step(model, x, y, optimizer, no_scaling, autocast)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="shorter runs, smaller clips")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "model-suite")
    p.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"CPU threads {torch.get_num_threads()}, AMX {cpu_has_amx()}, load {os.getloadavg()}")
    print("\n== 1. CPU peak ==")
    peak = peak_gflops()
    print(f"fp32 matmul 2048^3: {peak:.0f} GFLOP/s")
    section_speed(peak, args.quick)
    missed = []
    if args.weights.is_dir():
        if section_end_to_end(args.work, args.weights, args.quick)["ratio"] < 0.8:
            missed.append("end to end under 0.8x the network alone")
        section_memory(args.work, args.weights, args.quick)
    else:
        print(f"\n(no weights at {args.weights}: sections 3 and 4 skipped)")
    missed += section_pipeline_memory(args.work, args.quick)
    missed += section_dataset(args.work)
    section_accuracy(args.work, args.weights, args.quick)
    section_tracknetv2_training()
    if missed:
        print("FAILED: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
