"""Real frames for the shipped weights: hand labels where there are some, the auto-track's
confident flights everywhere else.

Sources, by whole video (a video is never split between training, validation and test):
- the test split of the real labelled set (tests/data/real): never used here, only measured;
- VALIDATION: dev clips held out to pick the best epoch; their hand labels only;
- every other real video in ../shared/data: trained on; the hand-labelled range of a dev
  clip keeps its hand labels, every other frame gets a pseudo-label where the auto-track
  (tracknet.motion + tracknet.tracking) follows a flight it believes in at least
  `min_belief`; frames it is unsure of stay unlabelled (not "no ball": the tracker misses
  balls, and a miss taught as "no ball" would teach the network to miss them too). Gap
  fills are left out too: a ball the detector did not see may be hidden.

`pseudo_label_quality` measures what the belief threshold does, on the dev clips' hand
labels: how many pseudo-labels it gives and how many of them are right.

Used by scripts/train_shipped_weights.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tracknet.metrics import Counts, evaluate
from tracknet.motion import MotionDetector
from tracknet.tracking import FrameCandidates, PhysicsTracker, TrackerSettings

from tracknet_studio.inference.base import FrameRange
from tracknet_studio.inference.real_set import SHARED, RealClip, load_clips
from tracknet_studio.video import VideoReader

# Dev clips whose videos validate (pick the epoch) instead of training: one tennis, one
# badminton broadcast, so the choice is not made on one sport.
VALIDATION = ("tennis_artlabss_video_input1", "1_03_04")
VIDEO_FOLDERS = ("badminton", "pickleball", "real-unlabeled", "volleyball")
MIN_BELIEF = 0.015  # measured: 0.989 of its pseudo-labels right (see the weights README)
TOLERANCE = 4.0
UNLABELLED = -1
VideoAndClip = tuple[Path, RealClip | None]  # a real video and its dev clip, if it has one


@dataclass
class RealVideo:
    """One real video: its auto-track candidates and, for a dev clip, its hand labels."""

    path: Path
    size: tuple[int, int]
    candidates: list[FrameCandidates]
    clip: RealClip | None = None

    @property
    def name(self) -> str:
        return self.clip.name if self.clip else self.path.stem

    def pseudo_labels(self, min_belief: float) -> np.ndarray:
        """(n, 3) visibility, x, y in the video's pixels; UNLABELLED where the tracker is
        unsure (its flights believed less than `min_belief`) or only filled a gap."""
        labels = np.full((len(self.candidates), 3), np.nan)
        labels[:, 0] = UNLABELLED
        tracker = PhysicsTracker(self.size, TrackerSettings(min_belief=min_belief))
        for point in tracker.track(self.candidates):
            if point.visible and not point.filled:
                labels[point.index] = (1, point.x, point.y)
        return labels

    def training_labels(self, min_belief: float) -> np.ndarray:
        """Pseudo-labels, with the hand labels in place over a dev clip's labelled range."""
        labels = self.pseudo_labels(min_belief)
        if self.clip is not None:
            labels[self.clip.start : self.clip.stop] = (UNLABELLED, np.nan, np.nan)
            frames, visibility, xy = self.clip.labels()
            labels[frames, 0] = visibility
            labels[frames, 1:] = np.where(visibility[:, None] > 0, xy, 0.0)
        return labels


def detect(path: Path) -> tuple[tuple[int, int], list[FrameCandidates]]:
    """The auto-track's candidates for every frame (decoded the app's way, frame-exact)."""
    with VideoReader(path, cache_mb=16) as reader:
        size = (reader.width, reader.height)
        frames = FrameRange(reader, 0, reader.frame_count)
        return size, list(MotionDetector().detect(frames, start=0))


def video_split(shared: Path = SHARED) -> tuple[list[VideoAndClip], list[RealClip]]:
    """(videos to train on, each with its dev clip if it has one; dev clips that validate).
    Test-split videos and the validating clips' videos are left out of training whole."""
    clips = {c.video: c for c in load_clips()}
    validation = [c for c in clips.values() if c.name in VALIDATION]
    excluded = {video for video, c in clips.items() if c.split == "test" or c in validation}
    train = []
    for folder in VIDEO_FOLDERS:
        for path in sorted((shared / folder).glob("*.mp4")):
            key = path.relative_to(shared).as_posix()
            if key not in excluded:
                train.append((path, clips.get(key)))
    return train, validation


def real_videos(shared: Path = SHARED) -> tuple[list[RealVideo], list[RealClip]]:
    """The training videos, auto-tracked, and the validating dev clips (see video_split)."""
    train, validation = video_split(shared)
    videos = []
    for path, clip in train:
        size, candidates = detect(path)
        videos.append(RealVideo(path, size, candidates, clip))
        print(f"auto-tracked {path.name}: {len(candidates)} frames", flush=True)
    return videos, validation


def pseudo_label_quality(videos: list[RealVideo], thresholds: list[float]) -> list[str]:
    """Per belief threshold: pseudo-labels given on the dev clips' labelled ranges, and
    their precision and the share of visible balls they cover (4 px, input space)."""
    lines = ["min_belief  labels  precision  coverage  (dev clips' hand-labelled frames)"]
    for threshold in thresholds:
        total, given = Counts(), 0
        for video in (v for v in videos if v.clip is not None):
            frames, visibility, xy = video.clip.labels()
            pseudo = video.pseudo_labels(threshold)[frames]
            found = pseudo[:, 0] > 0
            given += int(found.sum())
            total += evaluate(found, pseudo[:, 1:], visibility, xy, tolerance=TOLERANCE,
                              space="input", original_size=video.size)  # fmt: skip
        lines.append(f"{threshold:10.3f}  {given:6d}  {total.precision:9.3f}  "
                     f"{total.recall:8.3f}")  # fmt: skip
    return lines


def write_label_table(path: Path, labels: np.ndarray) -> int:
    """`Frame,Visibility,X,Y` rows for the labelled frames; returns how many."""
    rows = ["Frame,Visibility,X,Y"]
    for n in np.flatnonzero(labels[:, 0] != UNLABELLED):
        vis, x, y = labels[n]
        if vis > 0 and not np.isfinite(x):
            continue  # an occluded ball without a position teaches nothing
        rows.append(f"{n},{int(vis)},{x:.2f},{y:.2f}" if vis > 0 else f"{n},0,0,0")
    path.write_text("\n".join(rows) + "\n")
    return len(rows) - 1


def write_inputs(
    videos: list[RealVideo], validation: list[RealClip], train: Path, val: Path, min_belief: float
) -> dict[str, int]:
    """entrypoints/featurize.py input folders (video links and label tables); returns labelled
    frames per source."""
    counts = {"hand": 0, "pseudo": 0, "validation": 0}
    for folder in (train, val):
        folder.mkdir(parents=True, exist_ok=True)
    for video in videos:
        labels = video.training_labels(min_belief)
        _link(train / f"{video.name}.mp4", video.path)
        written = write_label_table(train / f"{video.name}.csv", labels)
        hand = 0 if video.clip is None else video.clip.stop - video.clip.start
        counts["hand"] += hand
        counts["pseudo"] += written - hand
    for clip in validation:
        frames, visibility, xy = clip.labels()
        labels = np.full((frames.max() + 1, 3), np.nan)
        labels[:, 0] = UNLABELLED
        labels[frames, 0] = visibility
        labels[frames, 1:] = np.where(visibility[:, None] > 0, xy, 0.0)
        _link(val / f"{clip.name}.mp4", clip.video_path())
        counts["validation"] += write_label_table(val / f"{clip.name}.csv", labels)
    return counts


def _link(link: Path, target: Path) -> None:
    if not link.exists():
        link.symlink_to(target.resolve())
