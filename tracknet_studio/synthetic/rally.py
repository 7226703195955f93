"""Rallies planned in advance: ballistic ball flights between hits and bounces, and the
players' positions that make those hits happen.

The ball moves in image space: between two events its path is an exact parabola (constant
horizontal velocity, constant downward acceleration), with gravity scaled by the
perspective at that depth, so training labels and physics tests see clean arcs. A flight
is fixed by its two end points and its duration in whole frames, so every event falls on
a frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .court import Camera, SportStyle

NO_EVENT, HIT, BOUNCE = 0, 1, 2
PLAYER_HEIGHT_M = 1.8
GRAVITY = 9.81  # m/s²; verticals keep roughly their length in a raised broadcast view
_NEAR, _FAR = 0, 1  # court sides; player 0 plays near the camera
_MAX_TRIES = 40


@dataclass(frozen=True)
class Flight:
    """One arc: position at frame f (start <= f <= end) is p0 + v0*t + g*t²/2, t in s."""

    start: int
    end: int
    p0: tuple[float, float]
    v0: tuple[float, float]
    gravity: float
    end_event: int
    fps: float

    def position(self, frame: float) -> tuple[float, float]:
        t = (frame - self.start) / self.fps
        return self.p0[0] + self.v0[0] * t, self.p0[1] + self.v0[1] * t + 0.5 * self.gravity * t * t


@dataclass(frozen=True)
class PlayerKey:
    """Where a player's feet are (court metres) at a frame, and their racket side (±1)."""

    frame: int
    x: float
    z: float
    side: float


@dataclass
class RallyPlan:
    flights: list[Flight] = field(default_factory=list)
    keys: tuple[list[PlayerKey], list[PlayerKey]] = field(default_factory=lambda: ([], []))


def _side_sign(side: int) -> float:
    return 1.0 if side == _NEAR else -1.0


def player_height_px(camera: Camera, feet_y: float | np.ndarray) -> float | np.ndarray:
    return PLAYER_HEIGHT_M * camera.pixels_per_metre(feet_y)


def racket_point(
    camera: Camera, style: SportStyle, feet: np.ndarray, side: float, overhead: bool = False
) -> np.ndarray:
    """Image point where the ball meets the racket (or hands) of a player standing at feet."""
    h = float(player_height_px(camera, feet[1]))
    reach = (0.32 if style.racket else 0.12) * side
    height = 1.15 if overhead else style.hit_height
    return np.array([feet[0] + reach * h, feet[1] - height * h])


class _Planner:
    def __init__(
        self,
        style: SportStyle,
        camera: Camera,
        spec_fps: float,
        speed: float,
        size: tuple[int, int],
        rng: np.random.Generator,
    ):
        self.style, self.camera, self.fps, self.speed = style, camera, spec_fps, speed
        self.width, self.height = size
        self.rng = rng
        self.plan = RallyPlan()

    # -- geometry -------------------------------------------------------------------
    def feet_image(self, x: float, z: float) -> np.ndarray:
        return self.camera.project(np.array([x, z]))

    def flight(
        self, frame: int, a: np.ndarray, b: np.ndarray, seconds: float, event: int
    ) -> Flight:
        frames = max(2, round(seconds * self.fps))
        t = frames / self.fps
        g = GRAVITY * float(self.camera.pixels_per_metre((a[1] + b[1]) / 2))
        v0 = ((b[0] - a[0]) / t, (b[1] - a[1] - 0.5 * g * t * t) / t)
        return Flight(frame, frame + frames, (float(a[0]), float(a[1])), v0, g, event, self.fps)

    def shot_seconds(self, metres: float, slowdown: float = 1.0) -> float:
        lo, hi = self.style.shot_speed
        speed = self.rng.uniform(lo, hi) * self.speed * slowdown
        return max(metres / speed, 0.2)

    # -- rally ----------------------------------------------------------------------
    def rally(self, start: int, server: int) -> int:
        """Plan one rally from frame start; returns the frame the ball leaves play."""
        hw = self.style.width / 2
        sign = _side_sign(server)
        near, far = self.style.stand
        feet = (
            self.rng.uniform(0.15, 0.6) * hw * self.rng.choice([-1, 1]),
            sign * self.rng.uniform(near + 0.6 * (far - near), far),
        )
        side = float(self.rng.choice([-1.0, 1.0]))
        self._key(server, start, feet, side)
        self._key(1 - server, start, self._ready(1 - server), 1.0)
        hit = racket_point(self.camera, self.style, self.feet_image(*feet), side, overhead=True)
        hand = racket_point(self.camera, self.style, self.feet_image(*feet), side * 0.4)
        toss = self.flight(start, hand, hit, self.rng.uniform(0.7, 1.0), HIT)
        self._add(toss, server, feet, side)
        # A serve sends a falling toss on, so it need not reverse the ball: no v_in.
        frame, hitter, velocity = toss.end, server, None
        shots = int(self.rng.integers(2, 9))
        exchange = self._volley if self.style.volleyed else self._exchange
        for shot in range(shots):
            last = shot == shots - 1
            frame, velocity, hit = exchange(frame, hitter, hit, feet, velocity, last)
            if last:
                return frame
            hitter = 1 - hitter
            feet = self._last_feet(hitter)
        return frame

    def _exchange(self, frame, hitter, hit, feet, v_in, last):
        """hitter strikes at `hit`; the ball bounces on the other side, then the receiver
        hits it (or, on the last shot, it flies out of the picture).

        Candidates are drawn until the hit sends the ball back (its frame-to-frame step
        turns by more than 90 degrees) and the bounce kicks it upward, as a ground does.
        """
        receiver = 1 - hitter
        for _ in range(_MAX_TRIES):
            bounce_court = self._bounce_spot(receiver)
            bounce = self.feet_image(*bounce_court)
            metres = math.dist(feet, bounce_court)
            seconds = self.shot_seconds(metres) * (1.8 if self.rng.random() < 0.15 else 1.0)
            out = self.flight(frame, hit, bounce, seconds, BOUNCE)
            if v_in is None or _dot(v_in, _step_after(out)) < 0:
                break
        frame = out.end
        arriving = _step_before(out)
        if last:
            exit_flight = self._exit(frame, bounce, receiver, seconds, arriving)
            self.plan.flights.append(out)
            self.plan.flights.append(exit_flight)
            return exit_flight.end, None, None
        toward_receiver = _side_sign(receiver)
        for _ in range(_MAX_TRIES // 4):
            rfeet, rside = self._receiver_spot(bounce_court, receiver)
            racket = racket_point(self.camera, self.style, self.feet_image(*rfeet), rside)
            seconds = self.shot_seconds(math.dist(bounce_court, rfeet), slowdown=0.6)
            # The ball should reach the racket still heading toward the receiver's side of
            # the picture, so the return can send it back; flight time shapes the arc.
            for scale in (1.0, 1.3, 0.8, 1.7, 0.6, 2.2, 0.45):
                back = self.flight(frame, bounce, racket, seconds * scale, HIT)
                heading = _step_before(back)[1] * toward_receiver > 0
                if heading and _kicks_up(arriving, back):
                    break
            else:
                continue
            break
        self.plan.flights.append(out)
        self._add(back, receiver, rfeet, rside)
        return back.end, _step_before(back), racket

    def _volley(self, frame, hitter, hit, feet, v_in, last):
        """Badminton and volleyball: the ball flies from racket (hands) to racket; the
        last shot lands on the other side, where a shuttle stays and a ball bounces away."""
        receiver = 1 - hitter
        if last:
            return self._land(frame, hitter, hit, feet, v_in)
        toward_receiver = _side_sign(receiver)
        for _ in range(_MAX_TRIES // 4):
            aim = (self.rng.uniform(-0.4, 0.4) * self.style.width, 0.0)
            rfeet, rside = self._receiver_spot(aim, receiver)
            racket = racket_point(self.camera, self.style, self.feet_image(*rfeet), rside)
            seconds = self.shot_seconds(math.dist(feet, rfeet))
            for scale in (1.0, 0.8, 1.3, 0.6, 0.45):
                shot = self.flight(frame, hit, racket, seconds * scale, HIT)
                sends_back = v_in is None or _dot(v_in, _step_after(shot)) < 0
                if sends_back and _step_before(shot)[1] * toward_receiver > 0:
                    break
            else:
                continue
            break
        self._add(shot, receiver, rfeet, rside)
        return shot.end, _step_before(shot), racket

    def _land(self, frame, hitter, hit, feet, v_in):
        """The winning shot of a volleyed rally hits the floor on the other side."""
        receiver = 1 - hitter
        for _ in range(_MAX_TRIES):
            spot = self._bounce_spot(receiver)
            ground = self.feet_image(*spot)
            seconds = self.shot_seconds(math.dist(feet, spot))
            for scale in (1.0, 1.3, 1.7, 2.2):  # a landing ball falls: it ends moving down
                down = self.flight(frame, hit, ground, seconds * scale, BOUNCE)
                if _step_before(down)[1] > 0:
                    break
            if v_in is None or _dot(v_in, _step_after(down)) < 0:
                break
        self.plan.flights.append(down)
        if self.style.rests:  # the shuttle lies where it fell until the next rally
            return down.end, None, None
        away = self._exit(down.end, ground, receiver, seconds, _step_before(down))
        self.plan.flights.append(away)
        return away.end, None, None

    def _exit(
        self,
        frame: int,
        bounce: np.ndarray,
        side: int,
        seconds: float,
        arriving: tuple[float, float],
    ) -> Flight:
        """After the last bounce the receiver misses: the ball flies out of the picture,
        on an arc high enough that the bounce still kicks it up."""
        w, h = self.width, self.height
        sideways = self.rng.random() < 0.35
        if sideways:
            x = -0.15 * w if self.rng.random() < 0.5 else 1.15 * w
            y = self.rng.uniform(0.1, 0.6) * h
        else:
            x = bounce[0] + self.rng.uniform(-0.2, 0.2) * w
            y = 1.2 * h if side == _NEAR else -0.25 * h
        seconds *= 1.2
        for _ in range(_MAX_TRIES):
            flight = self.flight(frame, bounce, np.array([x, y]), seconds, NO_EVENT)
            if _kicks_up(arriving, flight):
                break
            seconds *= 1.15  # a longer flight needs a higher start against gravity
        return flight

    def _bounce_spot(self, side: int) -> tuple[float, float]:
        hl, hw = self.style.length / 2, self.style.width / 2
        return (
            self.rng.uniform(-0.8, 0.8) * hw,
            _side_sign(side) * self.rng.uniform(0.35, 0.9) * hl,
        )

    def _receiver_spot(self, near: tuple[float, float], side: int):
        """Feet for a receiver who moves toward `near` (court metres) on their side."""
        x = near[0] + self.rng.uniform(-0.25, 0.25) * self.style.width
        x = float(np.clip(x, -0.6 * self.style.width, 0.6 * self.style.width))
        z = _side_sign(side) * self.rng.uniform(*self.style.stand)
        return (x, z), float(self.rng.choice([-1.0, 1.0]))

    def _ready(self, side: int) -> tuple[float, float]:
        return (self.rng.uniform(-0.3, 0.3), _side_sign(side) * float(np.mean(self.style.stand)))

    def rest(self, frame: int, frames: int) -> None:
        """The ball lies still where the last flight ended, for `frames` more frames."""
        last = self.plan.flights[-1]
        spot = last.position(last.end)
        self.plan.flights.append(
            Flight(frame, frame + frames - 1, spot, (0.0, 0.0), 0.0, NO_EVENT, self.fps)
        )

    # -- players --------------------------------------------------------------------
    def _key(self, player: int, frame: int, feet, side: float) -> None:
        self.plan.keys[player].append(PlayerKey(frame, float(feet[0]), float(feet[1]), side))

    def _add(self, flight: Flight, player: int, feet, side: float) -> None:
        self.plan.flights.append(flight)
        self._key(player, flight.end, feet, side)

    def _last_feet(self, player: int) -> tuple[float, float]:
        key = self.plan.keys[player][-1]
        return key.x, key.z


def _step_after(f: Flight) -> tuple[float, float]:
    """The ball's move over the first frame of a flight (px per frame)."""
    return _move(f, f.start, f.start + 1)


def _step_before(f: Flight) -> tuple[float, float]:
    """The ball's move over the last frame of a flight (px per frame)."""
    return _move(f, f.end - 1, f.end)


def _move(f: Flight, a: int, b: int) -> tuple[float, float]:
    (xa, ya), (xb, yb) = f.position(a), f.position(b)
    return xb - xa, yb - ya


def _kicks_up(arriving: tuple[float, float], leaving: Flight) -> bool:
    """A bounce turns the ball upward by more than a frame of gravity."""
    return _step_after(leaving)[1] < arriving[1] - leaving.gravity / leaving.fps**2


def _dot(a: tuple[float, float], b: tuple[float, float]) -> float:
    return a[0] * b[0] + a[1] * b[1]


def plan_rallies(
    style: SportStyle,
    camera: Camera,
    frames: int,
    fps: float,
    speed: float,
    size: tuple[int, int],
    rng: np.random.Generator,
) -> RallyPlan:
    """Rallies separated by short pauses without a ball, until the clip is full."""
    planner = _Planner(style, camera, fps, speed, size, rng)
    for player in (_NEAR, _FAR):  # both are on court from the first frame, ball or not
        planner._key(player, 0, planner._ready(player), 1.0)
    frame = int(rng.integers(0, max(2, round(0.2 * fps))))
    server = int(rng.integers(0, 2))
    while frame < frames:
        end = planner.rally(frame, server)
        pause = max(1, round(rng.uniform(0.4, 1.2) * fps))
        if style.rests:  # lying on the floor, then picked up out of view before the serve
            planner.rest(end, max(1, pause * 2 // 3))
        frame = end + pause
        server = 1 - server
    return planner.plan


@dataclass(frozen=True)
class BallPath:
    """The ball per frame: centre (NaN without a ball), velocity in px/frame, event."""

    x: np.ndarray
    y: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    event: np.ndarray


def sample_ball(plan: RallyPlan, frames: int, fps: float) -> BallPath:
    x = np.full(frames, np.nan)
    y = np.full(frames, np.nan)
    vx = np.zeros(frames)
    vy = np.zeros(frames)
    event = np.zeros(frames, np.int8)
    for f in plan.flights:  # later flights win at a shared end/start frame
        lo, hi = f.start, min(f.end, frames - 1)
        if lo > hi:
            continue
        t = (np.arange(lo, hi + 1) - f.start) / fps
        x[lo : hi + 1] = f.p0[0] + f.v0[0] * t
        y[lo : hi + 1] = f.p0[1] + f.v0[1] * t + 0.5 * f.gravity * t * t
        vx[lo : hi + 1] = f.v0[0] / fps
        vy[lo : hi + 1] = (f.v0[1] + f.gravity * t) / fps
        if f.end < frames:
            event[f.end] = f.end_event
    return BallPath(x, y, vx, vy, event)


@dataclass(frozen=True)
class PlayerPose:
    """A player at one frame: feet in the image, height in px, racket side, stride phase."""

    feet: tuple[float, float]
    height: float
    side: float
    phase: float


def _smoothstep(t: np.ndarray) -> np.ndarray:
    return t * t * (3 - 2 * t)


def sample_player(keys: list[PlayerKey], camera: Camera, frames: int) -> list[PlayerPose]:
    """Feet glide between key positions (easing in and out); legs swing with distance."""
    if not keys:
        return []
    kf = np.array([k.frame for k in keys], dtype=np.float64)
    order = np.argsort(kf, kind="stable")
    kf = kf[order]
    kx = np.array([keys[i].x for i in order])
    kz = np.array([keys[i].z for i in order])
    ks = np.array([keys[i].side for i in order])
    frame = np.arange(frames, dtype=np.float64)
    seg = np.clip(np.searchsorted(kf, frame, side="right") - 1, 0, len(kf) - 1)
    nxt = np.minimum(seg + 1, len(kf) - 1)
    span = np.maximum(kf[nxt] - kf[seg], 1.0)
    t = _smoothstep(np.clip((frame - kf[seg]) / span, 0.0, 1.0))
    x = kx[seg] + (kx[nxt] - kx[seg]) * t
    z = kz[seg] + (kz[nxt] - kz[seg]) * t
    side = ks[seg] + (ks[nxt] - ks[seg]) * t
    step = np.hypot(np.diff(x, prepend=x[0]), np.diff(z, prepend=z[0]))
    phase = np.cumsum(step) * (2 * np.pi / 1.6)  # one stride cycle per 1.6 m
    feet = camera.project(np.stack([x, z], axis=1))
    height = player_height_px(camera, feet[:, 1])
    return [
        PlayerPose((float(fx), float(fy)), float(h), float(s), float(p))
        for (fx, fy), h, s, p in zip(feet, height, side, phase, strict=True)
    ]
