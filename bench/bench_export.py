"""Overlay export benchmark: frames/s of `export_video` against raw decode + encode.

For each clip, in one run:
- export: `export_video` with a label layer and a prediction layer (rings, crosses, 15-frame
  trails) and the info box, H.264 crf 20 veryfast;
- baseline: the same clip decoded (thread_type AUTO) and encoded with the same encoder and
  settings in a plain PyAV loop, no drawing, no audio;
- ratio export / baseline (goal: >= 0.9x; the bench fails below it) and export against
  real time (source fps);
- the fixed cost of one export (opening the source three times, the encoder, the thread),
  measured on a 1-frame export: it weighs on short clips only.

Clips: synthetic 720p and 1080p from tracknet_studio.synthetic (generated once into
--work, with their true track as the labels and a noisy copy as the prediction), plus the
real badminton (720p MPEG-4 part 2) and pickleball (1080p VP9) clips from ../shared/data when
present, with a made-up trajectory drawn over them. Each figure is the best of --repeat runs.

    .venv/bin/python bench/bench_export.py [--quick] [--repeat N] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from tracknet_studio.core import LABELS, Source, Track, Visibility
from tracknet_studio.synthetic.clip import ClipSpec, generate_clip
from tracknet_studio.video import VideoReader
from tracknet_studio.video.export import ExportSettings, export_video

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRACKNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
CRF, PRESET = 20, "veryfast"


@dataclass
class Clip:
    name: str
    path: Path
    layers: dict[str, Track]
    frames: int  # frames to export (from 0)
    fps: float


def synthetic_clip(work: Path, width: int, height: int, frames: int) -> Clip:
    path = work / f"synthetic-{height}p-{frames}.mp4"
    spec = ClipSpec(width=width, height=height, frames=frames, sport="badminton", seed=3)
    track = generate_clip(spec, path).to_track()
    return Clip(f"synthetic {height}p H.264", path, with_prediction(track), frames, spec.fps)


def with_prediction(labels: Track) -> dict[str, Track]:
    """The labels and a prediction layer: the labels moved a few pixels, confidence varied."""
    rng = np.random.default_rng(0)
    n = len(labels)
    predicted = Track.from_columns(
        n,
        x=labels.x + rng.normal(0, 3, n),
        y=labels.y + rng.normal(0, 3, n),
        visibility=labels.visibility,
        source=np.full(n, Source.MODEL, np.int8),
        confidence=rng.uniform(0.3, 1.0, n).astype(np.float32),
    )
    return {LABELS: labels, "model": predicted}


def made_up_flight(n: int, width: int, height: int) -> Track:
    """A ball crossing the picture in arcs, visible throughout: overlay on every frame."""
    t = np.arange(n)
    x = width * (0.1 + 0.8 * ((t / 90) % 1.0))
    y = height * (0.3 + 0.4 * ((t % 45) / 45 - 0.5) ** 2 * 4)
    return Track.from_columns(
        n,
        x=x,
        y=y,
        visibility=np.full(n, Visibility.VISIBLE, np.int8),
        source=np.full(n, Source.HUMAN, np.int8),
    )


def real_clip(sport: str, path: Path, max_frames: int) -> Clip:
    """A real clip, named by its sport, height and codec as the reader finds them."""
    with VideoReader(path) as reader:
        n, fps, size = reader.frame_count, reader.fps, (reader.width, reader.height)
        name = f"{sport} {reader.height}p {reader.codec} (real)"
    layers = with_prediction(made_up_flight(n, *size))
    return Clip(name, path, layers, min(n, max_frames), fps)


def baseline(clip: Clip, output: Path) -> float:
    """Seconds to decode `clip.frames` frames and encode them with the export's settings."""
    started = time.perf_counter()
    with av.open(str(clip.path)) as source, av.open(str(output), "w") as sink:
        stream = source.streams.video[0]
        stream.thread_type = "AUTO"
        encoder = sink.add_stream(
            "libx264", rate=stream.average_rate or 30, options={"crf": str(CRF), "preset": PRESET}
        )
        encoder.width, encoder.height, encoder.pix_fmt = stream.width, stream.height, "yuv420p"
        encoder.codec_context.time_base = stream.time_base
        for done, frame in enumerate(source.decode(stream)):
            if done == clip.frames:
                break
            frame = frame.reformat(format="yuv420p")
            frame.pict_type = av.video.frame.PictureType.NONE
            sink.mux(encoder.encode(frame))
        sink.mux(encoder.encode(None))
    return time.perf_counter() - started


def export(clip: Clip, output: Path) -> float:
    settings = ExportSettings(stop=clip.frames, info_box=True, crf=CRF, preset=PRESET)
    return export_video(clip.path, output, clip.layers, settings).seconds


def measure(clip: Clip, work: Path, repeat: int) -> tuple[float, float]:
    """Best seconds of (export, baseline), alternating runs so load changes hit both."""
    ours, raw = [], []
    for _ in range(repeat):
        raw.append(baseline(clip, work / "raw.mp4"))
        ours.append(export(clip, work / "export.mp4"))
    return min(ours), min(raw)


GOAL = 0.9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench_export")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    frames = 60 if args.quick else 300
    clips = [
        synthetic_clip(args.work, 1280, 720, frames),
        synthetic_clip(args.work, 1920, 1080, frames),
    ]
    badminton, pickleball = SHARED / "badminton" / "1_02_02.mp4", SHARED / "pickleball"
    if badminton.exists():
        clips.append(real_clip("badminton", badminton, frames))
    if (pickleball / "pickleball_001.mp4").exists():
        clips.append(real_clip("pickleball", pickleball / "pickleball_001.mp4", frames))
    if not SHARED.is_dir():
        print(f"(no real clips: {SHARED} is absent)")
    print(f"x264 crf {CRF} {PRESET}, {os.cpu_count()} CPUs, best of {args.repeat}\n")
    header = (
        f"{'clip':<30} {'frames':>6} {'export fps':>10} {'raw fps':>8} {'ratio':>6} "
        f"{'x real time':>11}"
    )
    print(header)
    print("-" * len(header))
    below = []
    for clip in clips:
        ours, raw = measure(clip, args.work, args.repeat)
        export_fps, raw_fps = clip.frames / ours, clip.frames / raw
        print(
            f"{clip.name:<30} {clip.frames:>6} {export_fps:>10.1f} {raw_fps:>8.1f} "
            f"{export_fps / raw_fps:>5.2f}x {export_fps / clip.fps:>10.2f}x"
        )
        if export_fps / raw_fps < GOAL:
            below.append(clip.name)
    one = replace(clips[0], frames=1)
    fixed = min(export(one, args.work / "one.mp4") for _ in range(args.repeat))
    print(f"\nfixed cost of an export ({clips[0].name}, 1 frame): {1000 * fixed:.0f} ms")
    if below:
        print(f"FAILED: under {GOAL}x the raw decode + encode: " + ", ".join(below))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
