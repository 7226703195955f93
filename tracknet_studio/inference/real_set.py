"""The real labelled clips: tests/data/real/clips.json and one label table per clip.

The videos stay in ../shared/data (third-party footage, never copied into the project);
the labels live here, each naming its clip and the clip's fingerprint (size, hash, frame
count as tracknet_studio.video.VideoReader computes it), so a label set is never applied to
the wrong video. Labels are `Frame,Visibility,X,Y` tables with TrackNet's four classes
(0 none, 1 visible, 2 hard, 3 occluded) for a contiguous frame range of the clip.

Used by bench/bench_real.py, the real-footage tests, and scripts/add_real_labels.py. The
label tables ship with the source checkout, not with the package: in an installed copy
`load_clips()` finds none unless TRACKNET_REAL_LABELS names their folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]  # the source checkout
SHARED = Path(os.environ.get("TRACKNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
LABELS = Path(os.environ.get("TRACKNET_REAL_LABELS", ROOT / "tests" / "data" / "real"))
MANIFEST = LABELS / "clips.json"


@dataclass(frozen=True)
class RealClip:
    """One labelled range of one real clip."""

    name: str  # the label table's stem, e.g. "tennis_artlabss_video_input1"
    video: str  # path under ../shared/data
    sport: str
    split: str  # "dev" (tuned on) or "test" (only measured)
    start: int  # first labelled frame
    stop: int  # one past the last
    fingerprint: dict
    hand_placed: int  # frames the labeller placed by hand (proposal absent or off)
    notes: str = ""

    @property
    def labels_path(self) -> Path:
        return LABELS / f"{self.name}.csv"

    def video_path(self, shared: Path = SHARED) -> Path:
        return shared / self.video

    def labels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(frames, visibility, xy) of the labelled range (start..stop-1); xy NaN where
        there is no ball."""
        table = np.loadtxt(self.labels_path, delimiter=",", skiprows=1, ndmin=2)
        table = table[(table[:, 0] >= self.start) & (table[:, 0] < self.stop)]
        frames = table[:, 0].astype(int)
        visibility = table[:, 1].astype(int)
        xy = np.where(visibility[:, None] > 0, table[:, 2:4], np.nan)
        return frames, visibility, xy


def load_clips(manifest: Path = MANIFEST) -> list[RealClip]:
    if not manifest.exists():
        return []
    return [RealClip(**entry) for entry in json.loads(manifest.read_text())]


def save_clips(clips: list[RealClip], manifest: Path = MANIFEST) -> None:
    entries = [clip.__dict__ for clip in sorted(clips, key=lambda c: (c.sport, c.name))]
    manifest.write_text(json.dumps(entries, indent=1) + "\n")


def shared_data_missing(shared: Path = SHARED) -> str | None:
    """Why the real clips cannot be used here, or None when they can."""
    if not shared.is_dir():
        return f"the real clips are not here: {shared} is missing (set TRACKNET_SHARED_DATA)"
    return None
