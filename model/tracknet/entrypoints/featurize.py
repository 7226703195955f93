"""Turn videos plus ball-label CSVs into a compact TrackNet dataset.

Local use:
    python entrypoints/featurize.py --input DIR --output DIR [--val-fraction 0.2] [--seed 0]

SageMaker processing: with no arguments it reads /opt/ml/processing/input and writes
/opt/ml/processing/output. When several instances run, each takes every k-th clip of the
sorted list (k = number of hosts in /opt/ml/config/resourceconfig.json) and writes its own
`manifest-<host>.json`; the train/validation split is decided on the whole list first, so
every instance agrees on it.

Input: pairs `<clip>.mp4` (or .mov/.mkv/.avi/.webm) and `<clip>.csv`, the CSV in the form
`Frame,Visibility,X,Y` (visibility 0 no ball, 1 visible, 2 hard, 3 occluded; pixels of the
original video). Frames the CSV does not mention are written as unlabelled (-1).

Output:
    <out>/<split>/<clip>/frames/000123.jpg   frames resized to HEIGHTxWIDTH (default 288x512)
    <out>/<split>/<clip>/labels.csv          Frame,Visibility,X,Y,OriginalX,OriginalY
                                             (X, Y scaled to the resized frame)
    <out>/manifest.json                      clips, split, frame counts, original sizes, config

The split is by clip, never by frame: neighbouring frames are nearly identical, so a
frame-level split would leak the validation set into training. A single clip is split in
time instead (its last `val_fraction` of labelled frames validate; the clip's frames are
written under both splits, each with only its own labels), so one clip still validates.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import cv2
import numpy as np

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")
SAGEMAKER_INPUT = Path("/opt/ml/processing/input")
SAGEMAKER_OUTPUT = Path("/opt/ml/processing/output")
RESOURCE_CONFIG = Path("/opt/ml/config/resourceconfig.json")
LABEL_HEADER = ("Frame", "Visibility", "X", "Y", "OriginalX", "OriginalY")
UNLABELLED = -1


@dataclass(frozen=True)
class FeaturizeConfig:
    """How frames are stored; written into the manifest so readers know what they get."""

    height: int = 288
    width: int = 512
    image_format: str = "jpg"  # "jpg" or "png"
    jpeg_quality: int = 90
    val_fraction: float = 0.2
    seed: int = 0


@dataclass(frozen=True)
class ClipSource:
    name: str
    video: Path
    labels: Path


@dataclass(frozen=True)
class Shard:
    """This instance's place among the processing instances."""

    index: int = 0
    count: int = 1
    host: str | None = None


@dataclass
class ClipRecord:
    """One clip's entry in the manifest."""

    name: str
    split: str
    frames: int
    labelled_frames: int
    ball_frames: int
    original_width: int
    original_height: int
    fps: float
    bytes: int
    path: str  # relative to the dataset root


def find_clips(root: Path) -> list[ClipSource]:
    """Every video under `root` (recursively) that has a CSV of the same stem beside it."""
    clips: list[ClipSource] = []
    for video in sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES):
        labels = video.with_suffix(".csv")
        if labels.is_file():
            name = video.relative_to(root).with_suffix("").as_posix().replace("/", "__")
            clips.append(ClipSource(name, video, labels))
        else:
            print(f"skipping {video}: no {labels.name} beside it", file=sys.stderr)
    return clips


def assign_splits(names: Sequence[str], val_fraction: float, seed: int) -> dict[str, str]:
    """Clip name -> "train" or "val", decided by a seeded shuffle of the sorted names.

    At least one clip goes to validation when there are two or more clips and the fraction
    is positive; training always keeps at least one clip.
    """
    ordered = sorted(names)
    random.Random(seed).shuffle(ordered)
    n_val = round(len(ordered) * val_fraction)
    if val_fraction > 0 and len(ordered) >= 2:
        n_val = min(max(n_val, 1), len(ordered) - 1)
    val = set(ordered[:n_val])
    return {name: ("val" if name in val else "train") for name in names}


def shard_from_resource_config(path: Path = RESOURCE_CONFIG) -> Shard:
    """This instance's shard from SageMaker's resource config; one shard when it is absent."""
    if not path.is_file():
        return Shard()
    config = json.loads(path.read_text())
    hosts = sorted(config["hosts"])
    return Shard(hosts.index(config["current_host"]), len(hosts), config["current_host"])


def read_labels(path: Path, n_frames: int) -> np.ndarray:
    """(n_frames, 3) float array of visibility, x, y in original pixels; -1 where unlabelled."""
    table = np.full((n_frames, 3), np.nan)
    table[:, 0] = UNLABELLED
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader)]
        if header[:4] != ["frame", "visibility", "x", "y"]:
            raise ValueError(f"{path}: expected header Frame,Visibility,X,Y, got {header}")
        for row in reader:
            if not row or not row[0].strip():
                continue
            frame = int(row[0])
            if 0 <= frame < n_frames:
                vis = int(float(row[1]))
                x, y = (float(v) if v.strip() else np.nan for v in row[2:4])
                table[frame] = (vis, x, y) if vis > 0 else (vis, np.nan, np.nan)
    return table


def count_frames(video: Path) -> tuple[int, int, int, float]:
    """Frame count, width, height and fps, from a demux pass (container counts can lie)."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        n = sum(1 for packet in container.demux(stream) if packet.size)
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        return n, stream.codec_context.width, stream.codec_context.height, fps


def decode_rgb(video: Path) -> Iterator[np.ndarray]:
    """Frames in order as (H, W, 3) RGB uint8, decoded sequentially."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.to_ndarray(format="rgb24")


def encode_frame(rgb: np.ndarray, config: FeaturizeConfig) -> bytes:
    small = cv2.resize(rgb, (config.width, config.height), interpolation=cv2.INTER_AREA)
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    if config.image_format == "png":
        ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    else:
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, config.jpeg_quality])
    if not ok:
        raise RuntimeError("image encoding failed")
    return data.tobytes()


def write_label_table(path: Path, labels: np.ndarray, sx: float, sy: float) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(LABEL_HEADER)
        for frame, (vis, x, y) in enumerate(labels):
            if np.isnan(x):
                writer.writerow([frame, int(vis), "", "", "", ""])
            else:
                writer.writerow(
                    [frame, int(vis), f"{x * sx:.3f}", f"{y * sy:.3f}", f"{x:.3f}", f"{y:.3f}"]
                )


def featurize_clip(
    clip: ClipSource,
    split: str,
    output: Path,
    config: FeaturizeConfig,
    keep: tuple[float, float] | None = None,
) -> ClipRecord:
    """Write one clip's frames and label table; returns its manifest entry. `keep` (a, b):
    only the labelled frames from share a to share b of them (in time) stay labelled."""
    n_frames, width, height, fps = count_frames(clip.video)
    labels = read_labels(clip.labels, n_frames)
    if keep is not None:
        labels = _labels_between(labels, *keep)
    clip_dir = output / split / clip.name
    frames_dir = clip_dir / "frames"
    frames_dir.mkdir(parents=True, exist_ok=True)
    total_bytes = 0
    written = 0
    for index, rgb in enumerate(decode_rgb(clip.video)):
        data = encode_frame(rgb, config)
        (frames_dir / f"{index:06d}.{config.image_format}").write_bytes(data)
        total_bytes += len(data)
        written = index + 1
    # The decode pass is the truth: a demux count may include packets that never decode.
    labels = labels[:written]
    write_label_table(clip_dir / "labels.csv", labels, config.width / width, config.height / height)
    return ClipRecord(
        name=clip.name,
        split=split,
        frames=written,
        labelled_frames=int((labels[:, 0] != UNLABELLED).sum()),
        ball_frames=int((labels[:, 0] > 0).sum()),
        original_width=width,
        original_height=height,
        fps=fps,
        bytes=total_bytes,
        path=f"{split}/{clip.name}",
    )


def _labels_between(labels: np.ndarray, first: float, last: float) -> np.ndarray:
    """The labels with all but the labelled frames from share `first` to `last` (in time)
    of them set unlabelled."""
    labelled = np.flatnonzero(labels[:, 0] != UNLABELLED)
    a, b = round(len(labelled) * first), round(len(labelled) * last)
    kept = labels.copy()
    dropped = np.setdiff1d(labelled, labelled[a:b])
    kept[dropped] = (UNLABELLED, np.nan, np.nan)
    return kept


def featurize(
    input_dir: Path, output_dir: Path, config: FeaturizeConfig, shard: Shard = Shard()
) -> dict:
    """Featurize this shard's clips; writes and returns the manifest."""
    clips = find_clips(input_dir)
    if not clips:
        raise SystemExit(f"no video with a matching .csv under {input_dir}")
    splits = assign_splits([c.name for c in clips], config.val_fraction, config.seed)
    mine = clips[shard.index :: shard.count]
    print(f"featurize: {len(mine)} of {len(clips)} clips (shard {shard.index + 1}/{shard.count})")
    output_dir.mkdir(parents=True, exist_ok=True)
    records: list[ClipRecord] = []
    started = time.monotonic()
    # One clip alone cannot be split by clip: split it in time instead.
    by_time = len(clips) == 1 and config.val_fraction > 0
    jobs = [(clip, splits[clip.name], None) for clip in mine]
    if by_time and mine:
        cut = 1 - config.val_fraction
        jobs = [(mine[0], "train", (0.0, cut)), (mine[0], "val", (cut, 1.0))]
        print(f"featurize: one clip: its last {config.val_fraction:.0%} of labelled frames "
              "validate")  # fmt: skip
    for i, (clip, split, keep) in enumerate(jobs, 1):
        record = featurize_clip(clip, split, output_dir, config, keep)
        records.append(record)
        per_frame = record.bytes / max(record.frames, 1)
        print(
            f"[{i}/{len(jobs)}] {clip.name}: {record.frames} frames -> {record.split}, "
            f"{per_frame / 1024:.1f} KiB/frame, {time.monotonic() - started:.0f} s",
            flush=True,
        )
    manifest = {
        "format": "tracknet-featurized",
        "version": 1,
        "config": asdict(config),
        "shard": asdict(shard),
        "clips": [asdict(r) for r in records],
    }
    name = "manifest.json" if shard.count == 1 else f"manifest-{shard.host or shard.index}.json"
    (output_dir / name).write_text(json.dumps(manifest, indent=1))
    frames = sum(r.frames for r in records)
    size = sum(r.bytes for r in records)
    print(f"featurize: {frames} frames, {size / max(frames, 1) / 1024:.1f} KiB/frame -> {name}")
    return manifest


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", type=Path, default=SAGEMAKER_INPUT)
    p.add_argument("--output", type=Path, default=SAGEMAKER_OUTPUT)
    p.add_argument("--val-fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--height", type=int, default=288)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--image-format", choices=("jpg", "png"), default="jpg")
    p.add_argument("--jpeg-quality", type=int, default=90)
    p.add_argument(
        "--resource-config",
        type=Path,
        default=Path(os.environ.get("TRACKNET_RESOURCE_CONFIG", RESOURCE_CONFIG)),
        help="SageMaker's resource config, for sharding across instances",
    )
    args = p.parse_args(argv)
    if not 0 <= args.val_fraction < 1:
        p.error("--val-fraction must be in [0, 1)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = FeaturizeConfig(
        height=args.height,
        width=args.width,
        image_format=args.image_format,
        jpeg_quality=args.jpeg_quality,
        val_fraction=args.val_fraction,
        seed=args.seed,
    )
    try:
        featurize(args.input, args.output, config, shard_from_resource_config(args.resource_config))
    except (ValueError, OSError) as error:  # bad input: one line that names the file
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
