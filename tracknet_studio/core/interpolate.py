"""Filling the gaps between keyframes of a ball track: linear, and ballistic.

A *keyframe* is a labeled frame with a ball position that a person stands behind: source
human, imported, or model (a prediction a person accepted). A *gap* is a run of frames that
are unlabeled or were interpolated before, with a keyframe on each side. Interpolation only
ever writes gap frames, so human work is never overwritten, and it never extrapolates past
the outermost keyframes.

The ballistic method fits, for each gap, low-order polynomials in time to the nearest
keyframes of the same flight (up to `BallisticSettings.window` on each side) and then bends
the fit so that it meets the two bounding keyframes exactly. A flight ends at a hit or
bounce event, at a "no ball" label, and at a keyframe where the track turns sharply (a hit
nobody tagged). Measured on 29 hand-corrected badminton rallies (bench/bench_interpolation.py),
a quadratic in *both* x and y beats the textbook steady-x parabola: perspective and the
shuttle's drag make image-space x decelerate.

Nothing here mutates the track: `interpolate` returns a `TrackEdit` whose `after` patch holds
the new values and whose `before` patch holds the old ones. Apply it with
`track.apply(edit.after)` (an undo command's redo) and undo with `track.apply(edit.before)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from .track import Event, Frames, Source, Track, TrackEdit, TrackPatch, Visibility

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Label sources whose positions anchor interpolation.
KEYFRAME_SOURCES = (Source.HUMAN, Source.IMPORTED, Source.MODEL)


class Method(StrEnum):
    LINEAR = "linear"
    BALLISTIC = "ballistic"


@dataclass(frozen=True)
class BallisticSettings:
    """Tuning of the ballistic fit; the defaults measured best on real badminton rallies."""

    window: int = 3  # keyframes used on each side of a gap, within the same flight
    x_degree: int = 2  # 1 is the textbook steady x; 2 absorbs perspective and drag
    y_degree: int = 2  # constant image-space acceleration
    turn_angle_deg: float = 75.0  # a sharper change of direction ends a flight
    # px/frame; below it a turn is label noise (a 1-px jitter flips the direction of a
    # ball that barely moves). Tuned on 1280x720 footage.
    min_turn_speed: float = 4.0
    # px/frame^2; the apex of a lob seen through sparse keyframes also turns sharply, but
    # only a racket changes the velocity this fast.
    min_turn_accel: float = 3.0


@dataclass(frozen=True)
class Gaps:
    """Gaps as arrays: the bounding keyframes' frame numbers and their keyframe indices."""

    left: Frames  # frame number of the keyframe before each gap
    right: Frames  # frame number of the keyframe after each gap
    key_index: Frames  # index of `left` in the keyframe list

    def __len__(self) -> int:
        return len(self.left)

    @property
    def lengths(self) -> Frames:
        return self.right - self.left - 1


def keyframe_mask(track: Track) -> BoolArray:
    """True at frames whose position anchors interpolation."""
    return track.has_ball & np.isin(track.source, KEYFRAME_SOURCES)


def fillable_mask(track: Track, fill_no_ball: bool = False) -> BoolArray:
    """True at frames interpolation may write: unlabeled, or interpolated before.

    A label of unknown source (NONE) is left alone like any other. With `fill_no_ball`,
    "no ball" frames that no person labeled count as gaps too: a detector's misses between
    detections, the classic TrackNet post-processing.
    """
    fillable = ~track.labeled | (track.source == Source.INTERPOLATED)
    if fill_no_ball:
        fillable |= (track.visibility == Visibility.NO_BALL) & (track.source != Source.HUMAN)
    return fillable


def find_gaps(track: Track, max_gap: int | None = None, fill_no_ball: bool = False) -> Gaps:
    """Every run of fillable frames with a keyframe on both sides (at most `max_gap` long)."""
    keys = np.flatnonzero(keyframe_mask(track)).astype(np.int64)
    # A gap must hold only fillable frames: count the blocking frames between keyframes.
    blocking = ~fillable_mask(track, fill_no_ball) & ~keyframe_mask(track)
    blocking = np.concatenate([[0], np.cumsum(blocking)])
    left, right = keys[:-1], keys[1:]
    is_gap = (right - left > 1) & (blocking[right] - blocking[left + 1] == 0)
    if max_gap is not None:
        is_gap &= right - left - 1 <= max_gap
    index = np.flatnonzero(is_gap).astype(np.int64)
    return Gaps(left[index], right[index], index)


def interpolate(
    track: Track,
    method: Method | str = Method.LINEAR,
    *,
    start: int = 0,
    stop: int | None = None,
    max_gap: int | None = None,
    fill_no_ball: bool = False,
    settings: BallisticSettings | None = None,
) -> TrackEdit:
    """Plan the filling of every gap (frames in `start..stop-1` only), without applying it.

    Keyframes outside the range still anchor the gaps that cross its ends. The returned
    edit writes x, y (rounded to 0.001 px), visibility VISIBLE, source INTERPOLATED,
    confidence NaN and reviewed False on the filled frames; events are left as they are.
    """
    method = Method(method)
    stop = len(track) if stop is None else stop
    gaps = find_gaps(track, max_gap, fill_no_ball)
    # Work only on the gaps that reach into the range: a selection in a long match is small.
    near = (gaps.right > start) & (gaps.left < stop - 1)
    gaps = Gaps(gaps.left[near], gaps.right[near], gaps.key_index[near])
    frames, gap_of = _gap_frames(gaps)
    inside = (frames >= start) & (frames < stop)
    if method is Method.LINEAR:
        x, y = _linear(track, gaps, frames, gap_of)
    else:
        settings = settings or BallisticSettings()
        x, y = _ballistic(track, gaps, frames, gap_of, settings, fill_no_ball)
    # A thousandth of a pixel is far below any label's precision, and keeps files tidy.
    return plan_edit(
        track,
        frames[inside],
        x=np.round(x[inside], 3),
        y=np.round(y[inside], 3),
        visibility=Visibility.VISIBLE,
        source=Source.INTERPOLATED,
        confidence=np.nan,
        reviewed=False,
    )


def plan_edit(track: Track, frames: npt.ArrayLike, **values: Any) -> TrackEdit:
    """An edit setting `values` (scalars broadcast) at `frames`, not yet applied to `track`.

    Only frames whose values actually change are kept, so an edit that changes nothing is
    empty and the UI can skip pushing it.
    """
    idx = np.asarray(frames, dtype=np.int64)
    new = {name: np.broadcast_to(np.asarray(v), idx.shape) for name, v in values.items()}
    before = track.capture(idx, list(new))
    after = {name: v.astype(before.values[name].dtype) for name, v in new.items()}
    changed = np.zeros(idx.shape, dtype=bool)
    for name, old in before.values.items():
        changed |= ~_same(old, after[name])
    idx = idx[changed]
    return TrackEdit(
        TrackPatch(idx, {n: v[changed] for n, v in before.values.items()}),
        TrackPatch(idx, {n: v[changed] for n, v in after.items()}),
    )


def _same(a: np.ndarray, b: np.ndarray) -> BoolArray:
    if a.dtype.kind == "f":
        return (a == b) | (np.isnan(a) & np.isnan(b))
    return a == b


def _gap_frames(gaps: Gaps) -> tuple[Frames, Frames]:
    """All frames inside the gaps, and for each the index of its gap."""
    lengths = gaps.lengths
    gap_of = np.repeat(np.arange(len(gaps), dtype=np.int64), lengths)
    first = np.repeat(gaps.left + 1, lengths)
    offsets = np.arange(len(gap_of), dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    return first + offsets, gap_of


def _linear(
    track: Track, gaps: Gaps, frames: Frames, gap_of: Frames
) -> tuple[FloatArray, FloatArray]:
    left, right = gaps.left[gap_of], gaps.right[gap_of]
    share = (frames - left) / (right - left)
    x, y = track.x, track.y
    return x[left] + share * (x[right] - x[left]), y[left] + share * (y[right] - y[left])


# ----- ballistic ------------------------------------------------------------------------
def _ballistic(
    track: Track,
    gaps: Gaps,
    frames: Frames,
    gap_of: Frames,
    settings: BallisticSettings,
    fill_no_ball: bool,
) -> tuple[FloatArray, FloatArray]:
    keys = np.flatnonzero(keyframe_mask(track)).astype(np.int64)
    kx, ky = track.x[keys], track.y[keys]
    no_ball = (track.visibility == Visibility.NO_BALL) & ~fillable_mask(track, fill_no_ball)
    first, last = _flight_limits(track, keys, kx, ky, no_ball, settings)
    window = _fit_window(gaps.key_index, first, last, len(keys), settings.window)
    # Frame numbers relative to each gap's middle, scaled so its two keyframes sit at -1
    # and +1: well-conditioned fits, and the anchoring below needs no frame numbers.
    centre = (gaps.left + gaps.right) / 2.0
    half = (gaps.right - gaps.left) / 2.0
    fit = _GapFits(
        t_window=(keys[window.index] - centre[:, None]) / half[:, None],
        valid=window.valid,
        t_fill=(frames - centre[gap_of]) / half[gap_of],
        gap_of=gap_of,
    )
    x_lin, y_lin = _linear(track, gaps, frames, gap_of)
    x = fit.anchored(
        kx[window.index], settings.x_degree, track.x[gaps.left], track.x[gaps.right], x_lin
    )
    y = fit.anchored(
        ky[window.index], settings.y_degree, track.y[gaps.left], track.y[gaps.right], y_lin
    )
    return x, y


def _flight_limits(
    track: Track,
    keys: Frames,
    kx: FloatArray,
    ky: FloatArray,
    no_ball: BoolArray,
    settings: BallisticSettings,
) -> tuple[Frames, Frames]:
    """For each keyframe, the first and last keyframe index of the flight it belongs to.

    A keyframe with an event or a sharp turn belongs to both flights it joins (it is the
    contact point); a "no ball" label between two keyframes separates their flights.
    """
    n = len(keys)
    joint = np.zeros(n, dtype=bool)
    joint |= track.event[keys] != Event.NONE
    joint[1:-1] |= _sharp_turns(keys, kx, ky, settings)
    no_ball_before = np.concatenate([[0], np.cumsum(no_ball)])
    split_after = np.zeros(n, dtype=bool)  # a no-ball label lies between key j and key j+1
    split_after[:-1] = no_ball_before[keys[1:]] - no_ball_before[keys[:-1] + 1] > 0

    index = np.arange(n, dtype=np.int64)
    starts = np.where(joint, index, -1)
    starts[1:] = np.where(split_after[:-1], index[1:], starts[1:])
    first = np.maximum.accumulate(np.maximum(starts, 0)) if n else index
    ends = np.where(joint | split_after, index, n - 1)
    last = np.minimum.accumulate(ends[::-1])[::-1] if n else index
    return first, last


def _sharp_turns(
    keys: Frames, kx: FloatArray, ky: FloatArray, settings: BallisticSettings
) -> BoolArray:
    """True at inner keyframes where the direction of travel changes by more than the limit."""
    dt = np.diff(keys).astype(np.float64)
    vx, vy = np.diff(kx) / dt, np.diff(ky) / dt
    angle_in, angle_out = np.arctan2(vy[:-1], vx[:-1]), np.arctan2(vy[1:], vx[1:])
    turn = np.abs((angle_out - angle_in + np.pi) % (2 * np.pi) - np.pi)
    speed = np.minimum(np.hypot(vx[:-1], vy[:-1]), np.hypot(vx[1:], vy[1:]))
    accel = np.hypot(np.diff(vx), np.diff(vy)) / ((dt[:-1] + dt[1:]) / 2)
    return (
        (turn > np.deg2rad(settings.turn_angle_deg))
        & (speed > settings.min_turn_speed)
        & (accel > settings.min_turn_accel)
    )


@dataclass(frozen=True)
class _Window:
    index: Frames  # (gaps, 2 * width) keyframe indices, clipped into range
    valid: BoolArray  # which of them take part in the fit


def _fit_window(key_index: Frames, first: Frames, last: Frames, n_keys: int, width: int) -> _Window:
    """Up to `width` keyframes each side of every gap, all within the gap's flight."""
    offsets = np.arange(-width + 1, width + 1, dtype=np.int64)
    index = key_index[:, None] + offsets[None, :]
    lo = first[key_index][:, None]  # the left key's flight starts here
    hi = last[np.minimum(key_index + 1, n_keys - 1)][:, None]  # the right key's flight ends here
    valid = (index >= lo) & (index <= hi)
    return _Window(np.clip(index, 0, max(n_keys - 1, 0)), valid)


@dataclass(frozen=True)
class _GapFits:
    """The time axes of one batch of per-gap fits (a gap's keyframes at t = -1 and +1)."""

    t_window: FloatArray  # (gaps, points) times of the window's keyframes
    valid: BoolArray  # (gaps, points) which of them take part
    t_fill: FloatArray  # times of the frames to fill
    gap_of: Frames  # the gap of each frame to fill

    def anchored(
        self,
        values: FloatArray,
        degree: int,
        left: FloatArray,
        right: FloatArray,
        fallback: FloatArray,
    ) -> FloatArray:
        """Least-squares polynomials per gap, shifted linearly so each meets its keyframes
        (`left` at t = -1, `right` at t = +1); gaps with fewer than degree + 2 keyframes in
        their flight get `fallback`."""
        coef, ok = _batched_polyfit(self.t_window, values, self.valid, degree)
        ones = np.ones(len(coef))
        miss_left = left - _polyval(coef, -ones)
        miss_right = right - _polyval(coef, ones)
        g = self.gap_of
        fitted = _polyval(coef[g], self.t_fill)
        fitted += miss_left[g] + (self.t_fill + 1) / 2 * (miss_right - miss_left)[g]
        return np.where(ok[g], fitted, fallback)


def _batched_polyfit(
    t: FloatArray, v: FloatArray, valid: BoolArray, degree: int
) -> tuple[FloatArray, BoolArray]:
    """One least-squares polynomial per row (lowest power first), using only valid points."""
    # (gaps, points, degree + 1): 1, t, t^2... by products (a float ** is ten times slower)
    columns = [valid.astype(np.float64)]
    for _ in range(degree):
        columns.append(columns[-1] * t)
    powers = np.stack(columns, axis=-1)
    normal = np.einsum("gpi,gpj->gij", powers, powers)
    rhs = np.einsum("gpi,gp->gi", powers, np.where(valid, v, 0.0))
    ok = valid.sum(axis=1) >= degree + 2
    # Keep the solver away from the singular systems of rows that fall back anyway.
    normal[~ok] = np.eye(degree + 1)
    coef = np.linalg.solve(normal, rhs[..., None])[..., 0]
    return coef, ok


def _polyval(coef: FloatArray, t: FloatArray) -> FloatArray:
    result = np.zeros_like(t, dtype=np.float64)
    for power in range(coef.shape[-1] - 1, -1, -1):
        result = result * t + coef[..., power]
    return result
