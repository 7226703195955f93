"""Reader of featurized datasets (entrypoints/featurize.py's output) for training and validation.

A dataset root holds `manifest.json` (or one `manifest-<host>.json` per processing
instance; they are merged), and per clip `<split>/<clip>/frames/NNNNNN.jpg` plus
`labels.csv`. Windows of `frames_in` consecutive frames and their disc heatmap targets are
built on the fly, so the stored dataset stays one small image per frame.

Augmentation (training only), decided per window from a seeded generator so a run is
reproducible with any number of loader workers:
- horizontal flip (never vertical: the ball falls down in every sport, and a network may
  rightly learn that);
- colour jitter (brightness, contrast, saturation, hue), the same for every frame of the
  window so motion cues between frames survive;
- whole-clip mixup: the window is blended with a window of another clip, with one weight for
  all its frames and for the targets, so the blend stays a consistent short clip.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from .config import ModelConfig
from .heatmap import disc_heatmap

MANIFEST_GLOB = "manifest*.json"
SPLITS = ("train", "val")


@dataclass(frozen=True)
class ClipData:
    """One featurized clip: where its frames are and its labels at the stored frame size.

    labels: (n, 3) float array of visibility (-1 unlabelled, 0 no ball, 1 visible, 2 hard,
    3 occluded), x, y in stored-frame pixels (NaN without a position).
    original_xy: the same positions in the original video's pixels.
    """

    name: str
    split: str
    root: Path
    frame_size: tuple[int, int]  # (width, height) of the stored frames
    original_size: tuple[int, int]  # (width, height) of the original video
    labels: np.ndarray
    original_xy: np.ndarray
    image_format: str = "jpg"

    @property
    def n_frames(self) -> int:
        return len(self.labels)

    def frame_path(self, index: int) -> Path:
        return self.root / "frames" / f"{index:06d}.{self.image_format}"

    def read_rgb(self, index: int) -> np.ndarray:
        image = cv2.imread(str(self.frame_path(index)), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"cannot read frame {self.frame_path(index)}")
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_manifest(root: str | Path) -> dict:
    """The dataset's manifest; several instances' manifests are merged into one."""
    root = Path(root)
    paths = sorted(root.glob(MANIFEST_GLOB))
    if not paths:
        raise FileNotFoundError(f"no {MANIFEST_GLOB} in {root}: not a featurized dataset")
    merged: dict = {}
    for path in paths:
        manifest = json.loads(path.read_text())
        if not merged:
            merged = {**manifest, "clips": []}
        elif manifest["config"] != merged["config"]:
            raise ValueError(f"{path.name} was featurized with another configuration")
        merged["clips"].extend(manifest["clips"])
    return merged


def load_clips(root: str | Path, split: str | None = None) -> list[ClipData]:
    """The clips of one split (None: all) of a featurized dataset."""
    root = Path(root)
    manifest = read_manifest(root)
    config = manifest["config"]
    clips = []
    for record in manifest["clips"]:
        if split is not None and record["split"] != split:
            continue
        clip_root = root / record["path"]
        labels, original_xy = _read_label_table(clip_root / "labels.csv")
        clips.append(
            ClipData(
                name=record["name"],
                split=record["split"],
                root=clip_root,
                frame_size=(config["width"], config["height"]),
                original_size=(record["original_width"], record["original_height"]),
                labels=labels[: record["frames"]],
                original_xy=original_xy[: record["frames"]],
                image_format=config.get("image_format", "jpg"),
            )
        )
    return clips


def _read_label_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    labels = np.full((len(rows), 3), np.nan)
    original = np.full((len(rows), 2), np.nan)
    for row in rows:
        frame = int(row[0])
        labels[frame, 0] = int(row[1])
        if row[2]:
            labels[frame, 1:] = float(row[2]), float(row[3])
            original[frame] = float(row[4]), float(row[5])
    return labels, original


@dataclass(frozen=True)
class Augment:
    """Probabilities and strengths of the training augmentations (0 disables one)."""

    hflip: float = 0.5
    jitter: float = 0.8
    brightness: float = 0.25  # multiplicative, +-
    contrast: float = 0.25
    saturation: float = 0.25
    hue: float = 0.03  # fraction of the hue circle, +-
    mixup: float = 0.0
    mixup_alpha: float = 1.0  # Beta(alpha, alpha) for the blend weight
    # Probability that a window becomes its newest frame repeated, a ball frozen wherever it
    # is: a resting ball has no motion to give it away, so this makes the network find
    # balls by their look too, at every place a ball is labelled (not only where one rests).
    still: float = 0.0

    @classmethod
    def none(cls) -> Augment:
        return cls(hflip=0.0, jitter=0.0, mixup=0.0)


@dataclass
class Window:
    clip: int
    start: int  # first frame of the window


@dataclass
class TrackNetDataset(Dataset):
    """Windows of `config.frames_in` frames with targets for the frames the network outputs.

    Each item is a dict:
      frames  float32 (3 * frames_in, H, W) in [0, 1], frames oldest first, RGB each;
      heatmap float32 (frames_out, H, W) disc targets (radius `radius` px at H x W);
      visibility int64 (frames_out,), xy float32 (frames_out, 2) at H x W (NaN: none);
      clip int64, frame int64 (frames_out,) for mapping predictions back.
    Windows advance by `stride` (training: 1; validation: frames_out, so each frame is
    scored once) and are kept only where every target frame is labelled.
    With `crop`, items are random crops of that size (the same for every frame of the
    window), placed to contain the ball with probability `crop_ball`: the networks are
    fully convolutional, and a quarter of the pixels trains about four times faster on a
    CPU while keeping the ball in most samples.
    """

    clips: Sequence[ClipData]
    config: ModelConfig
    stride: int = 1
    augment: Augment = field(default_factory=Augment.none)
    seed: int = 0
    radius: float = 2.5
    crop: tuple[int, int] | None = None  # (height, width) random crops, training only
    crop_ball: float = 0.7  # probability that a crop is placed to contain the ball
    # Windows whose newest frame shows a ball at rest are listed this many times. A network
    # that finds the ball by its motion alone misses a ball lying still (the fast network
    # missed a resting shuttle for 36 frames of a held-out clip); they are ~5% of frames.
    static_repeat: int = 1
    epoch: int = 0
    windows: list[Window] = field(init=False)

    def __post_init__(self) -> None:
        self.windows = []
        n_in = self.config.frames_in
        for index, clip in enumerate(self.clips):
            at_rest = ball_at_rest(clip.labels)
            for start in range(0, clip.n_frames - n_in + 1, self.stride):
                if (clip.labels[self._target_frames(start), 0] >= 0).all():
                    copies = self.static_repeat if at_rest[start + n_in - 1] else 1
                    self.windows.extend([Window(index, start)] * copies)

    def set_epoch(self, epoch: int) -> None:
        """Draw different augmentations each epoch (call before iterating)."""
        self.epoch = epoch

    def _target_frames(self, start: int) -> np.ndarray:
        n_in, n_out = self.config.frames_in, self.config.frames_out
        return np.arange(start + n_in - n_out, start + n_in)

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng((self.seed, self.epoch, index))
        frames, heat, vis, xy = self._load(self.windows[index], rng)
        if self.augment.mixup > 0 and rng.random() < self.augment.mixup and len(self) > 1:
            other = self.windows[self._partner(index, rng)]
            frames2, heat2, _, _ = self._load(other, rng)
            lam = float(rng.beta(self.augment.mixup_alpha, self.augment.mixup_alpha))
            frames = lam * frames + (1 - lam) * frames2
            heat = lam * heat + (1 - lam) * heat2
        window = self.windows[index]
        return {
            "frames": torch.from_numpy(np.ascontiguousarray(frames, dtype=np.float32)),
            "heatmap": torch.from_numpy(np.ascontiguousarray(heat, dtype=np.float32)),
            "visibility": torch.from_numpy(vis.astype(np.int64)),
            "xy": torch.from_numpy(xy.astype(np.float32)),
            "clip": torch.tensor(window.clip, dtype=torch.int64),
            "frame": torch.from_numpy(self._target_frames(window.start).astype(np.int64)),
        }

    def _random_crop(
        self, stack: np.ndarray, xy: np.ndarray, vis: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        assert self.crop is not None
        crop_h, crop_w = min(self.crop[0], stack.shape[1]), min(self.crop[1], stack.shape[2])
        max_top, max_left = stack.shape[1] - crop_h, stack.shape[2] - crop_w
        top, left = int(rng.integers(max_top + 1)), int(rng.integers(max_left + 1))
        balls = np.flatnonzero((vis > 0) & ~np.isnan(xy[:, 0]))
        if len(balls) and rng.random() < self.crop_ball:
            x, y = xy[balls[-1]]
            margin = 8
            left = _place(x, crop_w, margin, max_left, rng)
            top = _place(y, crop_h, margin, max_top, rng)
        shifted = xy - np.array([left, top], np.float64)
        return stack[:, top : top + crop_h, left : left + crop_w], shifted

    def _partner(self, index: int, rng: np.random.Generator) -> int:
        """A random window, from another clip when there is one."""
        own = self.windows[index].clip
        for _ in range(8):
            candidate = int(rng.integers(len(self)))
            if self.windows[candidate].clip != own:
                return candidate
        return int(rng.integers(len(self)))

    def _load(
        self, window: Window, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        clip = self.clips[window.clip]
        width, height = self.config.width, self.config.height
        images = [clip.read_rgb(window.start + i) for i in range(self.config.frames_in)]
        if images[0].shape[:2] != (height, width):
            images = [
                cv2.resize(im, (width, height), interpolation=cv2.INTER_AREA) for im in images
            ]
        targets = self._target_frames(window.start)
        if self.augment.still > 0 and rng.random() < self.augment.still:
            images = [images[-1]] * len(images)
            targets = np.full_like(targets, targets[-1])
        vis = clip.labels[targets, 0].astype(np.int64)
        xy = clip.labels[targets, 1:].copy()
        xy[:, 0] *= width / clip.frame_size[0]
        xy[:, 1] *= height / clip.frame_size[1]
        stack = np.stack(images)  # (F, H, W, 3) uint8
        if self.crop is not None:
            stack, xy = self._random_crop(stack, xy, vis, rng)
            height, width = stack.shape[1:3]
        stack = stack.astype(np.float32) / 255.0
        if self.augment.jitter > 0 and rng.random() < self.augment.jitter:
            stack = colour_jitter(stack, self.augment, rng)
        if self.augment.hflip > 0 and rng.random() < self.augment.hflip:
            stack = stack[:, :, ::-1]
            xy[:, 0] = flip_x(xy[:, 0], width)
        heat = np.stack(
            [
                disc_heatmap(x, y, height, width, self.radius)
                if v > 0 and not np.isnan(x)
                else np.zeros((height, width), np.float32)
                for v, (x, y) in zip(vis, xy, strict=True)
            ]
        )
        frames = stack.transpose(0, 3, 1, 2).reshape(-1, height, width)  # (3F, H, W)
        return frames, heat, vis, xy


def ball_at_rest(labels: np.ndarray, tolerance: float = 1.0) -> np.ndarray:
    """(n,) bool: a visible ball within `tolerance` px of where it was in the frame before."""
    visible = labels[:, 0] > 0
    moved = np.full(len(labels), np.inf)
    moved[1:] = np.hypot(*(labels[1:, 1:3] - labels[:-1, 1:3]).T)
    return visible & np.r_[False, visible[:-1]] & (moved < tolerance)


def _place(centre: float, size: int, margin: int, limit: int, rng: np.random.Generator) -> int:
    """A crop origin in [0, limit] that keeps `centre` at least `margin` px inside."""
    low = max(0, math.ceil(centre + margin - size))
    high = min(limit, math.floor(centre - margin))
    if low > high:
        return int(np.clip(round(centre - size / 2), 0, limit))
    return int(rng.integers(low, high + 1))


def flip_x(x: np.ndarray, width: int) -> np.ndarray:
    """Mirror x positions; pixel centres sit at integer coordinates, so 0 <-> width - 1."""
    return (width - 1) - x


def colour_jitter(stack: np.ndarray, augment: Augment, rng: np.random.Generator) -> np.ndarray:
    """The same random brightness, contrast, saturation and hue change on every frame.

    stack: (F, H, W, 3) float RGB in [0, 1]; returns a new array, clipped to [0, 1].
    """
    brightness = 1 + rng.uniform(-augment.brightness, augment.brightness)
    contrast = 1 + rng.uniform(-augment.contrast, augment.contrast)
    saturation = 1 + rng.uniform(-augment.saturation, augment.saturation)
    hue = rng.uniform(-augment.hue, augment.hue)
    out = stack * brightness
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    out = (out - mean) * contrast + mean
    grey = out @ np.array([0.299, 0.587, 0.114], np.float32)
    out = (out - grey[..., None]) * saturation + grey[..., None]
    if hue:
        out = _rotate_hue(np.clip(out, 0, 1), hue)
    return np.clip(out, 0, 1).astype(np.float32)


def _rotate_hue(stack: np.ndarray, turn: float) -> np.ndarray:
    """Rotate hue by `turn` of the circle with a YIQ rotation (no HSV round trip)."""
    angle = 2 * np.pi * turn
    cos, sin = np.cos(angle), np.sin(angle)
    to_yiq = np.array(
        [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32
    )
    rotate = np.array([[1, 0, 0], [0, cos, -sin], [0, sin, cos]], np.float32)
    matrix = np.linalg.inv(to_yiq) @ rotate @ to_yiq
    return stack @ matrix.T.astype(np.float32)
