"""A synthetic clip with its exact track, opened in the window with that track as labels,
and a deterministic predictor with known mistakes (tests/inference/stubs.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from inference.stubs import TrackPredictor

from tracknet_studio.core import Source, Track, Visibility
from tracknet_studio.synthetic import ClipSpec, generate_clip

SIZE = (320, 180)
FRAMES = 30


@dataclass(frozen=True)
class KnownClip:
    path: Path
    track: Track  # the exact ball, as labels (frames 0 and 1 forced to "no ball")

    @property
    def ball_frames(self) -> np.ndarray:
        return np.flatnonzero(self.track.has_ball)

    @property
    def no_ball_frames(self) -> np.ndarray:
        return np.flatnonzero(self.track.visibility == Visibility.NO_BALL)

    def truth(self) -> dict[int, tuple[float, float] | None]:
        t = self.track
        return {f: (float(t.x[f]), float(t.y[f])) if t.has_ball[f] else None for f in range(len(t))}


@pytest.fixture(scope="session")
def known_clip(tmp_path_factory: pytest.TempPathFactory) -> KnownClip:
    folder = tmp_path_factory.mktemp("known")
    spec = ClipSpec(width=SIZE[0], height=SIZE[1], frames=FRAMES, seed=11, players=0)
    synthetic = generate_clip(spec, folder / "rally.mp4")
    ball = (synthetic.visibility > 0) & np.isfinite(synthetic.x) & np.isfinite(synthetic.y)
    ball[:2] = False  # at least two frames without a ball: FP2 and TN have something to count
    vis = np.where(ball, synthetic.visibility, Visibility.NO_BALL).astype(np.int8)
    track = Track.from_columns(
        FRAMES, x=np.where(ball, synthetic.x, np.nan), y=np.where(ball, synthetic.y, np.nan),
        visibility=vis, source=np.full(FRAMES, Source.HUMAN, np.int8),
    )  # fmt: skip
    assert ball.sum() >= 6, "the clip needs a few ball frames for the counts below"
    return KnownClip(folder / "rally.mp4", track)


def open_with_labels(window, clip: KnownClip, qtbot) -> None:
    """Open the clip and write its exact track into the labels (as an import would)."""
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000):
        assert window.files.open_video(clip.path)
    labels = window.project.labels
    cols = clip.track.columns()
    names = ("x", "y", "visibility", "source")
    labels.update(np.arange(len(labels)), **{k: cols[k] for k in names})


@dataclass(frozen=True)
class Mistakes:
    """Which frames the stub gets wrong, and how."""

    near: int  # 3 px off in x: TP at 4 px in the video's pixels, FP1 at the input's
    far: int  # 10 px off: FP1
    missed: int  # FN
    invented: int  # a ball where there is none: FP2


def stub_with_mistakes(clip: KnownClip) -> tuple[TrackPredictor, Mistakes]:
    balls, empty = clip.ball_frames, clip.no_ball_frames
    m = Mistakes(near=int(balls[1]), far=int(balls[3]), missed=int(balls[5]),
                 invented=int(empty[0]))  # fmt: skip
    stub = TrackPredictor(
        clip.truth(), offsets={m.near: (3.0, 0.0), m.far: (6.0, 8.0)}, missed=[m.missed],
        invented={m.invented: (50.0, 60.0)},
    )  # fmt: skip
    return stub, m
