"""Seeded synthetic broadcast-like clips with their exact ball track.

`ClipSpec` holds every knob; `Scene(spec)` plans the rallies and renders any frame;
`generate_clip(spec, video_path, track_path)` encodes the frames as H.264 MP4 with PyAV
and writes the track as CSV. The same spec and seed give the same track and the same
pixels, so a clip can be regenerated instead of stored.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from os import PathLike
from pathlib import Path

import av
import cv2
import numpy as np

from ..core.track import Event, Source, Track, Visibility
from ..formats.csv_tracks import CsvForm, write_csv
from ..video.framecode import draw_frame_number
from . import court, rally, render

SPORTS: tuple[str, ...] = tuple(court.SPORTS)
HARD_STREAK = 3.0  # a streak longer than this many ball radii is a "hard" (blurred) ball
OCCLUDED_SHARE = 0.5  # a ball at least half hidden by a player is "occluded"
_NOISE_PATTERNS = 8

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


class GenerationCancelled(Exception):
    """Raised by generate_clip when `cancel()` returned True; no output file is left."""


@dataclass(frozen=True)
class ClipSpec:
    """Everything that decides a synthetic clip. Same spec, same clip, byte for byte."""

    width: int = 1280
    height: int = 720
    fps: float = 30.0
    frames: int = 300
    sport: str = "tennis-hard"
    ball_radius: float | None = None  # px near the camera; None: 4.5 px at 720p, scaled
    speed: float = 1.0  # multiplies shot speeds: higher is faster and flatter
    players: int = 2  # 0, 1 (near side only) or 2
    noise: float = 1.0  # camera grain and flicker; 0 is a clean render
    colour_jitter: float = 1.0  # random variation of court and ball colours
    seed: int = 0
    crf: int = 20
    keyframe_interval: int = 60  # frames between keyframes in the encoded video

    def __post_init__(self) -> None:
        if self.width < 160 or self.height < 90 or self.width % 2 or self.height % 2:
            raise ValueError(f"size {self.width}x{self.height}: need even sizes >= 160x90")
        if not (self.fps > 0 and math.isfinite(self.fps)):
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.frames < 1:
            raise ValueError(f"frames must be >= 1, got {self.frames}")
        if self.sport not in court.SPORTS:
            raise ValueError(f"unknown sport {self.sport!r}; choose from {', '.join(SPORTS)}")
        if self.players not in (0, 1, 2):
            raise ValueError(f"players must be 0, 1 or 2, got {self.players}")
        if self.speed <= 0 or self.noise < 0 or self.colour_jitter < 0:
            raise ValueError("speed must be > 0; noise and colour_jitter >= 0")
        if self.ball_radius is not None and self.ball_radius <= 0:
            raise ValueError(f"ball_radius must be > 0, got {self.ball_radius}")
        if self.keyframe_interval < 1:
            raise ValueError("keyframe_interval must be >= 1")

    @property
    def near_ball_radius(self) -> float:
        return self.ball_radius if self.ball_radius is not None else 4.5 * self.height / 720


@dataclass(frozen=True)
class SyntheticTrack:
    """The exact ball per frame. x, y: the ball's centre in video pixels (NaN when there is
    no ball; outside the image while it is out of frame). visibility: 0 no ball / out of
    frame, 1 visible, 2 hard (blurred), 3 occluded. event: 0 none, 1 hit, 2 bounce.
    radius: the drawn radius in px (0 without a ball)."""

    x: np.ndarray
    y: np.ndarray
    visibility: np.ndarray
    event: np.ndarray
    radius: np.ndarray
    fps: float
    width: int
    height: int

    def __len__(self) -> int:
        return len(self.x)

    def to_track(self) -> Track:
        """The project's Track model (source: imported); out-of-frame positions are dropped."""
        return Track.from_columns(
            x=self.x,
            y=self.y,
            visibility=self.visibility,
            event=self.event,
            source=np.full(len(self), Source.IMPORTED, np.int8),
        )

    def write_label_table(self, path: str | PathLike[str]) -> None:
        """`Frame,Visibility,X,Y` with every visibility class 0..3: the label table that
        entrypoints/featurize.py reads (the 0/1 badminton CSV form would lose hard and occluded)."""
        lines = ["Frame,Visibility,X,Y"]
        for n, (vis, x, y) in enumerate(zip(self.visibility.tolist(), self.x, self.y, strict=True)):
            if vis > 0 and np.isfinite(x):
                lines.append(f"{n},{vis},{x:.3f},{y:.3f}")
            else:
                lines.append(f"{n},0,0,0")
        Path(path).write_text("\n".join(lines) + "\n")

    def equals(self, other: SyntheticTrack) -> bool:
        return all(
            np.array_equal(getattr(self, n), getattr(other, n), equal_nan=True)
            for n in ("x", "y", "visibility", "event", "radius")
        )


@dataclass
class _Players:
    poses: list[list[rally.PlayerPose]] = field(default_factory=list)
    looks: list[render.PlayerLook] = field(default_factory=list)


class Scene:
    """A planned clip: its track is known at once; frame(n) renders frame n on demand."""

    def __init__(self, spec: ClipSpec, *, frame_numbers: bool = False):
        self.spec = spec
        self.frame_numbers = frame_numbers
        rng = np.random.default_rng(spec.seed)
        self.style = court.SPORTS[spec.sport]
        self.camera = court.Camera(self.style, spec.width, spec.height, rng)
        self.look = court.choose_look(self.style, rng, spec.colour_jitter)
        size = (spec.width, spec.height)
        self.background = court.render_court(
            self.style, self.look, self.camera, size, rng, spec.noise
        )
        plan = rally.plan_rallies(
            self.style, self.camera, spec.frames, spec.fps, spec.speed, size, rng
        )
        self.ball = rally.sample_ball(plan, spec.frames, spec.fps)
        self.players = _Players()
        for side in range(spec.players):
            self.players.poses.append(
                rally.sample_player(plan.keys[side], self.camera, spec.frames)
            )
            self.players.looks.append(render.random_look(rng, self.style.racket))
        self._flicker = self._noise_patterns(rng)
        self._noise_pick = rng.integers(0, _NOISE_PATTERNS, spec.frames)
        self.track = self._measure_track()

    # -- track ------------------------------------------------------------------------
    def _radius(self, y: np.ndarray) -> np.ndarray:
        ratio = self.camera.pixels_per_metre(y) / self.camera.near_pixels_per_metre
        return np.maximum(self.spec.near_ball_radius * ratio, 1.0)

    def _player_kwargs(self) -> dict[str, float]:
        return {
            "racket_reach": 0.32 if self.style.racket else 0.12,
            "hand_height": self.style.hit_height,
        }

    def _measure_track(self) -> SyntheticTrack:
        b, spec = self.ball, self.spec
        has = np.isfinite(b.x)
        radius = np.where(has, self._radius(np.nan_to_num(b.y)), 0.0).astype(np.float32)
        inside = has & (b.x >= 0) & (b.x < spec.width) & (b.y >= 0) & (b.y < spec.height)
        streak = render.EXPOSURE * np.hypot(b.vx, b.vy)
        vis = np.where(inside, Visibility.VISIBLE, Visibility.NO_BALL).astype(np.int8)
        vis[inside & (streak > HARD_STREAK * radius)] = Visibility.HARD
        players = self._player_kwargs()
        for n in np.flatnonzero(inside):
            people = [
                (poses[n], look)
                for poses, look in zip(self.players.poses, self.players.looks, strict=True)
            ]
            share = render.covered_fraction(people, b.x[n], b.y[n], float(radius[n]), **players)
            if share >= OCCLUDED_SHARE:
                vis[n] = Visibility.OCCLUDED
        event = np.where(has, b.event, Event.NONE).astype(np.int8)
        return SyntheticTrack(
            b.x.copy(), b.y.copy(), vis, event, radius, spec.fps, spec.width, spec.height
        )

    # -- pixels -----------------------------------------------------------------------
    def _noise_patterns(self, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
        """A few coarse luma flicker patterns, drawn from at random per frame: cheap to
        add, and coarse enough that the encoder does not spend its time on them."""
        h, w = self.spec.height, self.spec.width
        patterns = []
        for _ in range(_NOISE_PATTERNS):
            small = rng.normal(0, 0.7 * self.spec.noise, (max(h // 24, 1), max(w // 24, 1)))
            big = cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
            big = np.round(big)
            patterns.append(
                (np.clip(big, 0, 255).astype(np.uint8), np.clip(-big, 0, 255).astype(np.uint8))
            )
        return patterns

    def frame(self, n: int, *, ball: bool = True) -> np.ndarray:
        """Frame n as RGB uint8 (height, width, 3), before encoding (ball=False leaves the
        ball out, to compare against)."""
        img = self.background.copy()
        b, t = self.ball, self.track
        kwargs = self._player_kwargs()
        # Far player first, so the near one is painted over it; rackets under the ball,
        # bodies over it.
        people = [
            (self.players.poses[side][n], self.players.looks[side])
            for side in reversed(range(len(self.players.poses)))
        ]
        for pose, look in people:
            render.draw_racket(img, pose, look, **kwargs)
        if ball and t.visibility[n] != Visibility.NO_BALL:
            render.draw_ball(
                img, b.x[n], b.y[n], b.vx[n], b.vy[n], float(t.radius[n]), self.look.ball
            )
        for pose, look in people:
            render.draw_player(img, pose, look, **kwargs)
        if self.frame_numbers:
            draw_frame_number(img, n)
        return img

    def yuv420(self, n: int) -> np.ndarray:
        """Frame n as planar I420 (BT.601, limited range), with the flicker on its luma."""
        yuv = cv2.cvtColor(self.frame(n), cv2.COLOR_RGB2YUV_I420)
        if self.spec.noise > 0:
            luma = yuv[: self.spec.height]
            plus, minus = self._flicker[self._noise_pick[n]]
            cv2.add(luma, plus, luma)
            cv2.subtract(luma, minus, luma)
        return yuv


def _encode(scene: Scene, path: Path, progress: Progress | None, cancel: Cancel | None):
    spec = scene.spec
    rate = Fraction(spec.fps).limit_denominator(1001)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        k = spec.keyframe_interval
        stream.options = {
            "crf": str(spec.crf),
            "preset": "veryfast",
            "x264-params": f"keyint={k}:min-keyint={k}:scenecut=0",
        }
        stream.codec_context.time_base = 1 / rate
        for n in range(spec.frames):
            if cancel is not None and cancel():
                raise GenerationCancelled(f"cancelled at frame {n} of {spec.frames}")
            frame = av.VideoFrame.from_ndarray(scene.yuv420(n), format="yuv420p")
            frame.pts = n
            container.mux(stream.encode(frame))
            if progress is not None:
                progress(n + 1, spec.frames)
        container.mux(stream.encode(None))


def _temp_beside(path: Path) -> Path:
    """A fresh name in the same folder (so os.replace is atomic); the encoder creates the
    file itself, so it gets the user's usual permissions."""
    return path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.part{path.suffix}")


def generate_clip(
    spec: ClipSpec,
    video_path: str | PathLike[str],
    track_path: str | PathLike[str] | None = None,
    *,
    frame_numbers: bool = False,
    track_form: CsvForm | str = CsvForm.TENNIS_A,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> SyntheticTrack:
    """Render and encode the clip (H.264 MP4) and write its track as CSV (default: the
    tennis form, which keeps hard/occluded and hit/bounce). Both files appear atomically;
    on cancel or error neither is left half-written."""
    video = Path(video_path)
    video.parent.mkdir(parents=True, exist_ok=True)
    scene = Scene(spec, frame_numbers=frame_numbers)
    temp = _temp_beside(video)
    try:
        _encode(scene, temp, progress, cancel)
        if track_path is not None:
            write_track(scene.track, track_path, track_form)
        os.replace(temp, video)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return scene.track


def write_track(
    track: SyntheticTrack, path: str | PathLike[str], form: CsvForm | str = CsvForm.TENNIS_A
) -> None:
    """Write the track through the project's CSV writer (atomic)."""
    write_csv(track.to_track(), path, form, fps=track.fps, name_pattern="{:06d}.jpg")
