"""The physics tracker: per-frame candidates in, one ball position (or none) per frame out.

Candidates come from motion (`tracknet.motion`), from the network's heatmap blobs, or
both; this tracker is the one that the app, the command line and the endpoint use for every
method. It links candidates into trajectories the way a ball moves, then says which
trajectory is the ball in each frame:

- Linking: every open trajectory predicts where it goes next from a constant-acceleration
  fit of its last detections (free flight between hits), and takes the nearest candidate
  inside a gate that widens with its speed. What no trajectory takes starts a new one. A
  trajectory that finds nothing for `max_gap` frames ends; a hit or a bounce breaks the fit,
  so the ball's path is a chain of trajectories, one per flight.
- Judging: a trajectory is the ball only if it has at least `min_hits` detections, dense
  in time (a swinging arm flickers), travelled at least `min_travel` (static spots: score
  overlays, logos, lines) and kept close to its own flight fit (a player's limb wobbles).
  Among the ball-like trajectories alive at a frame, the one believed most wins: fast,
  long and true to free flight; below `min_belief` the frame is "no ball". These rules and
  their thresholds were chosen on the real labelled set's dev clips (bench/bench_real.py).
- Honesty: no step inside a trajectory exceeds `max_step` per frame, so no output point
  violates the gate; a frame that no ball-like trajectory covers is "no ball". Short gaps
  inside a trajectory (the ball behind a player, a missed detection) are filled from the
  fit, with a lower confidence.

It is streaming with a fixed lag: a frame is decided once `lag` later frames have been
seen, so a trajectory can prove itself before its first frames are answered, and memory
does not grow with the video's length.

All distances are fractions of the frame's diagonal, so one setting serves every size.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Candidate:
    """One place in one frame where the ball might be, in original video pixels.

    `score` in 0..1 says how strongly it stood out; `area` is in original pixels.
    """

    x: float
    y: float
    score: float
    area: float


@dataclass(frozen=True)
class FrameCandidates:
    """The candidates of one frame; whether a new shot starts at it (a cut); whether it
    repeats the frame before (frame-rate conversion), so the ball has not moved."""

    index: int
    candidates: tuple[Candidate, ...]
    cut: bool = False
    repeat: bool = False


@dataclass(frozen=True)
class TrackerSettings:
    """The physics, in fractions of the frame diagonal per frame unless said otherwise."""

    max_step: float = 0.1  # no ball covers more in one frame (a smash, close to the camera)
    gate: float = 0.012  # how far from the prediction a candidate may lie, at rest
    gate_per_speed: float = 0.3  # ... plus this share of the distance covered per frame
    max_gap: int = 4  # frames a trajectory may go without a detection before it ends
    min_hits: int = 5  # detections before a trajectory can be the ball
    min_density: float = 0.6  # detections per frame of its span (a swinging arm flickers)
    min_travel: float = 0.02  # how far apart its points must lie (static spots do not)
    lag: int = 12  # frames seen after a frame before it is decided
    fit_points: int = 4  # detections the constant-acceleration fit uses
    max_misfit: float = 0.0065  # mean distance from the flight fit (a limb's path wobbles)
    misfit_scale: float = 0.002  # misfit at which belief halves
    min_belief: float = 0.005  # below it, "no ball" (speed x sqrt(hits), less for misfit)


@dataclass(frozen=True)
class TrackedPoint:
    """The tracker's answer for one frame, in the candidates' pixels.

    `trajectory` numbers the flight the point belongs to (-1 with no ball): the overlay
    joins points of one trajectory only. `filled` marks a gap filled from the fit.
    """

    index: int
    x: float
    y: float
    confidence: float
    trajectory: int = -1
    filled: bool = False

    @property
    def visible(self) -> bool:
        return self.trajectory >= 0


@dataclass
class _Trajectory:
    """One flight: its recent detections (older ones are dropped once every frame they
    could answer is decided, so a trajectory never grows with the video) and running
    figures over all of them."""

    ident: int
    first: int = -1  # moment of the first detection
    hits: int = 0  # detections in all
    frames: list[int] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    path: float = 0.0  # summed step lengths, in pixels
    misfit: float = 0.0  # summed distances between each detection and where the fit put it
    low: np.ndarray = field(default_factory=lambda: np.full(2, np.inf))
    high: np.ndarray = field(default_factory=lambda: np.full(2, -np.inf))

    def add(self, frame: int, candidate: Candidate) -> None:
        point = (candidate.x, candidate.y)
        if self.points:
            self.path += math.dist(point, self.points[-1])
        else:
            self.first = frame
        self.hits += 1
        self.frames.append(frame)
        self.points.append(point)
        self.scores.append(candidate.score)
        self.low = np.minimum(self.low, point)
        self.high = np.maximum(self.high, point)

    @property
    def last(self) -> int:
        return self.frames[-1]

    def forget_before(self, frame: int, keep: int) -> None:
        """Drop detections before `frame`, but the last `keep` before it (for fits)."""
        cut = max(0, int(np.searchsorted(self.frames, frame)) - keep)
        if cut:
            del self.frames[:cut], self.points[:cut], self.scores[:cut]

    def extent(self) -> float:
        return float(np.hypot(*(self.high - self.low)))

    def speed(self) -> float:
        """Pixels per frame over the last step (0 with one point)."""
        if len(self.frames) < 2:
            return 0.0
        return math.dist(self.points[-1], self.points[-2]) / (self.frames[-1] - self.frames[-2])

    def predict(self, frame: int, fit_points: int) -> tuple[float, float]:
        """Where the ball should be at `frame`: a polynomial through the last detections,
        of degree up to 2 (constant acceleration)."""
        times = np.asarray(self.frames[-fit_points:], float)
        points = np.asarray(self.points[-fit_points:], float)
        degree = min(2, len(times) - 1)
        if degree == 0:
            return self.points[-1]
        coefficients = np.polyfit(times - times[-1], points, degree)
        t = frame - times[-1]
        return tuple(np.polyval(coefficients[:, axis], t) for axis in range(2))  # type: ignore[return-value]

    def position_at(self, frame: int, fit_points: int) -> tuple[float, float, float, bool]:
        """(x, y, score, filled) at a frame inside the trajectory's span."""
        i = int(np.searchsorted(self.frames, frame))
        if i < len(self.frames) and self.frames[i] == frame:
            x, y = self.points[i]
            return x, y, self.scores[i], False
        # A gap: interpolate with a quadratic through the detections around it.
        lo, hi = max(0, i - 2), min(len(self.frames), i + 2)
        times = np.asarray(self.frames[lo:hi], float)
        points = np.asarray(self.points[lo:hi], float)
        degree = min(2, len(times) - 1)
        coefficients = np.polyfit(times - frame, points, degree)
        x, y = coefficients[-1]
        score = 0.5 * min(self.scores[i - 1], self.scores[min(i, len(self.scores) - 1)])
        return float(x), float(y), score, True


class PhysicsTracker:
    """Links candidates of consecutive frames into ball trajectories (see the module)."""

    def __init__(
        self, frame_size: tuple[int, int], settings: TrackerSettings | None = None
    ) -> None:
        self.settings = settings or TrackerSettings()
        self.diagonal = float(np.hypot(*frame_size))
        self._open: list[_Trajectory] = []
        self._recent: list[_Trajectory] = []  # ended ones that may still cover undecided frames
        # Frames seen, not yet decided: (frame, clock, strongest candidate's score). The
        # clock counts distinct frames: a repeated frame shows the same moment as the one
        # before, and the physics runs on moments, not on frame numbers.
        self._pending: deque[tuple[int, int, float]] = deque()
        self._clock = -1
        self._next_id = 0

    def track(self, frames: Iterable[FrameCandidates]) -> Iterator[TrackedPoint]:
        """One TrackedPoint per frame, in order; frames must come in increasing order."""
        for frame in frames:
            yield from self.update(frame)
        yield from self.finish()

    def update(self, frame: FrameCandidates) -> Iterator[TrackedPoint]:
        """Take one frame's candidates; answer the frames that are now decided."""
        if frame.cut:
            self._end_all()
        if not frame.repeat or self._clock < 0:
            self._clock += 1
            self._link(self._clock, frame.candidates)
        strongest = max((c.score for c in frame.candidates), default=0.0)
        self._pending.append((frame.index, self._clock, strongest))
        while self._pending and self._pending[0][0] <= frame.index - self.settings.lag:
            yield self._decide(*self._pending.popleft())
        self._forget_before(self._pending[0][1] if self._pending else self._clock + 1)

    def finish(self) -> Iterator[TrackedPoint]:
        """Decide the frames still waiting (at the end of the stream)."""
        while self._pending:
            yield self._decide(*self._pending.popleft())
        self._open, self._recent = [], []

    # ------------------------------------------------------------------ linking

    def _link(self, index: int, candidates: Sequence[Candidate]) -> None:
        s = self.settings
        for trajectory in [t for t in self._open if index - t.last > s.max_gap]:
            self._close(trajectory)
        free = list(candidates)
        # Established trajectories choose first, so a newcomer cannot steal their point.
        for trajectory in sorted(self._open, key=lambda t: t.hits, reverse=True):
            if not free:
                break
            chosen = self._nearest_in_gate(trajectory, index, free)
            if chosen is not None:
                if trajectory.hits >= 3:
                    expected = trajectory.predict(index, self.settings.fit_points)
                    trajectory.misfit += math.dist(expected, (chosen.x, chosen.y))
                trajectory.add(index, chosen)
                free.remove(chosen)
        for candidate in free:
            trajectory = _Trajectory(self._next_id)
            self._next_id += 1
            trajectory.add(index, candidate)
            self._open.append(trajectory)

    def _nearest_in_gate(
        self, trajectory: _Trajectory, index: int, candidates: Sequence[Candidate]
    ) -> Candidate | None:
        s = self.settings
        frames = index - trajectory.last
        last = trajectory.points[-1]
        expected = trajectory.predict(index, s.fit_points)
        if trajectory.hits == 1:
            gate = s.max_step * self.diagonal * frames
        else:
            gate = s.gate * self.diagonal + s.gate_per_speed * trajectory.speed() * frames
        best, best_distance = None, gate
        for candidate in candidates:
            point = (candidate.x, candidate.y)
            if math.dist(point, last) > s.max_step * self.diagonal * frames:
                continue  # faster than any ball: never part of a trajectory
            distance = math.dist(point, expected)
            if distance <= best_distance:
                best, best_distance = candidate, distance
        return best

    def _close(self, trajectory: _Trajectory) -> None:
        self._open.remove(trajectory)
        if self._is_ball(trajectory):
            self._recent.append(trajectory)

    def _end_all(self) -> None:
        for trajectory in list(self._open):
            self._close(trajectory)

    def _forget_before(self, clock: int) -> None:
        """Forget what no undecided frame (from moment `clock` on) can need any more."""
        self._recent = [t for t in self._recent if t.last >= clock]
        keep = self.settings.fit_points + 2  # fits and gap fills reach this far back
        for trajectory in (*self._recent, *self._open):
            trajectory.forget_before(clock, keep)

    # ------------------------------------------------------------------ judging

    def _is_ball(self, trajectory: _Trajectory) -> bool:
        s = self.settings
        hits = trajectory.hits
        span = trajectory.last - trajectory.first + 1
        return (
            hits >= s.min_hits
            and hits >= s.min_density * span
            and trajectory.extent() >= s.min_travel * self.diagonal
            and trajectory.misfit / max(hits - 3, 1) <= s.max_misfit * self.diagonal
        )

    def _belief(self, t: _Trajectory) -> float:
        """How much a trajectory looks like the ball: fast (of the diagonal per frame), long
        (the square root of its detections) and true to free flight (its misfit: how far,
        on average, each detection lay from where the fit of the ones before put it)."""
        hits = t.hits
        speed = t.path / max(t.last - t.first, 1) / self.diagonal
        misfit = t.misfit / max(hits - 3, 1) / self.diagonal
        return speed * hits**0.5 / (1 + misfit / self.settings.misfit_scale)

    def _decide(self, index: int, clock: int, strongest: float) -> TrackedPoint:
        """The ball at frame `index` (moment `clock`); without one, the confidence is the
        strongest candidate's score (how close the frame came to showing a ball)."""
        alive = [
            t
            for t in (*self._recent, *self._open)
            if t.first <= clock <= t.last and self._is_ball(t)
        ]
        if not alive:
            return TrackedPoint(index, math.nan, math.nan, strongest)
        best = max(alive, key=self._belief)
        if self._belief(best) < self.settings.min_belief:
            return TrackedPoint(index, math.nan, math.nan, strongest)
        x, y, score, filled = best.position_at(clock, self.settings.fit_points)
        return TrackedPoint(index, x, y, score, best.ident, filled)


def fuse(
    *streams: Iterable[FrameCandidates], frame_size: tuple[int, int], radius: float = 0.008
) -> Iterator[FrameCandidates]:
    """Merge candidate streams of the same frames (in step): candidates of different
    streams closer than `radius` (of the diagonal) become one, at the first stream's
    position, scored by the sum of their scores (capped at 1): seen twice, believed more."""
    reach = radius * float(np.hypot(*frame_size))
    for frames in zip(*streams, strict=True):
        merged: list[Candidate] = []
        for frame in frames:
            for candidate in frame.candidates:
                match = next(
                    (i for i, m in enumerate(merged)
                     if math.dist((m.x, m.y), (candidate.x, candidate.y)) <= reach),
                    None,
                )  # fmt: skip
                if match is None:
                    merged.append(candidate)
                else:
                    kept = merged[match]
                    score = min(1.0, kept.score + candidate.score)
                    merged[match] = Candidate(kept.x, kept.y, score, kept.area)
        cut, repeat = any(f.cut for f in frames), any(f.repeat for f in frames)
        yield FrameCandidates(frames[0].index, tuple(merged), cut, repeat)


def without_candidates(frames: Iterable[FrameCandidates]) -> Iterator[FrameCandidates]:
    """The same frames with only their cut marks: a stream that tells where shots cut."""
    for frame in frames:
        yield FrameCandidates(frame.index, (), frame.cut, frame.repeat)
