"""From heatmaps to one ball position per frame.

Threshold, connected components (OpenCV), the heat-weighted centroid of each component
(sub-pixel, so a smooth heatmap locates the ball to a fraction of a pixel), then an
online tracker that picks, among a frame's candidates, the one nearest to where a
constant-acceleration fit of the last detections expects the ball, unless another is
clearly hotter; without a usable history it takes the largest blob, as TrackNet does.

Positions here are in heatmap (network input) pixels, pixel (c, r) at point (c, r); the
predictor scales them to the original video.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Blob:
    """One connected component above the threshold."""

    x: float
    y: float
    area: int
    peak: float


def find_blobs(heatmap: np.ndarray, threshold: float) -> list[Blob]:
    """Components of `heatmap > threshold`, largest area first (ties: higher peak)."""
    mask = heatmap > threshold
    if not mask.any():
        return []
    # Work on the bounding box of the mask only: usually a few dozen pixels, not 147k.
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, left = rows[0], cols[0]
    window = heatmap[top : rows[-1] + 1, left : cols[-1] + 1].astype(np.float64)
    count, labels = cv2.connectedComponents(
        mask[top : rows[-1] + 1, left : cols[-1] + 1].astype(np.uint8), connectivity=8
    )
    flat = labels.ravel()
    weights = np.where(flat > 0, window.ravel(), 0.0)
    ys, xs = np.indices(window.shape)
    mass = np.bincount(flat, weights, count)
    sum_x = np.bincount(flat, weights * xs.ravel(), count)
    sum_y = np.bincount(flat, weights * ys.ravel(), count)
    area = np.bincount(flat, minlength=count)
    peak = np.zeros(count)
    np.maximum.at(peak, flat, weights)
    blobs = [
        Blob(
            x=float(left + sum_x[k] / mass[k]),
            y=float(top + sum_y[k] / mass[k]),
            area=int(area[k]),
            peak=float(peak[k]),
        )
        for k in range(1, count)
    ]
    blobs.sort(key=lambda b: (b.area, b.peak), reverse=True)
    return blobs


def detect_batch(heatmaps: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The largest blob of each of N maps, without tracking (for validation).

    Returns found (N,) bool and xy (N, 2) float64 in heatmap pixels, NaN where not found.
    """
    heatmaps = np.asarray(heatmaps)
    found = np.zeros(len(heatmaps), bool)
    xy = np.full((len(heatmaps), 2), np.nan)
    for i, heatmap in enumerate(heatmaps):
        blobs = find_blobs(heatmap, threshold)
        if blobs:
            found[i] = True
            xy[i] = (blobs[0].x, blobs[0].y)
    return found, xy


class BallTracker:
    """Chooses one candidate per frame, online, frames fed in increasing order.

    The last three accepted detections (within `max_gap` frames) are fitted by a
    quadratic in time, i.e. constant acceleration, which is how a ball in flight moves
    between hits; with two it extrapolates linearly, with one it stays put. The candidate
    nearest the prediction wins unless it lies further than `gate` pixels away, in which
    case the history is judged stale (a hit, a cut, an earlier false positive) and the
    largest blob starts a new one.

    Nearness alone lets a weak, slow false track (a ball-coloured shirt, heat ~0.5) hold
    the tracker while the real ball flies past 60 px away at heat ~0.95: both networks'
    synthetic held-out runs lost about 40 frames that way. So a candidate whose peak beats
    the nearest one's by more than `override` wins instead and starts a new history.
    """

    def __init__(self, max_gap: int = 4, gate: float = 80.0, override: float = 0.2) -> None:
        self.max_gap = max_gap
        self.gate = gate
        self.override = override
        self._history: deque[tuple[int, float, float]] = deque(maxlen=3)

    def reset(self) -> None:
        self._history.clear()

    def expected(self, frame: int) -> tuple[float, float] | None:
        """Where the history puts the ball at `frame`, or None without a recent history."""
        while self._history and frame - self._history[0][0] > self.max_gap:
            self._history.popleft()
        if not self._history:
            return None
        times = np.array([h[0] for h in self._history], float)
        points = np.array([h[1:] for h in self._history], float)
        weights = _lagrange_weights(times, float(frame))
        return tuple(weights @ points)  # type: ignore[return-value]

    def update(self, frame: int, candidates: Sequence[Blob]) -> Blob | None:
        """The chosen candidate of `frame` (None when there is none), remembered for later."""
        if not candidates:
            return None
        chosen = self._choose(candidates, self.expected(frame))
        self._history.append((frame, chosen.x, chosen.y))
        return chosen

    def _choose(self, candidates: Sequence[Blob], expected: tuple[float, float] | None) -> Blob:
        if expected is None:
            return _largest(candidates)
        nearest = _nearest(candidates, expected)
        strongest = max(candidates, key=lambda b: b.peak)
        if strongest.peak > nearest.peak + self.override:
            self._history.clear()
            return strongest
        if _distance(nearest, expected) > self.gate:
            self._history.clear()
            return _largest(candidates)
        return nearest


def _lagrange_weights(times: np.ndarray, t: float) -> np.ndarray:
    """Weights w with sum(w_i p_i) = the polynomial through (times_i, p_i) evaluated at t."""
    weights = np.ones(len(times))
    for i, ti in enumerate(times):
        for j, tj in enumerate(times):
            if i != j:
                weights[i] *= (t - tj) / (ti - tj)
    return weights


def _distance(blob: Blob, point: tuple[float, float]) -> float:
    return float(np.hypot(blob.x - point[0], blob.y - point[1]))


def _nearest(candidates: Sequence[Blob], point: tuple[float, float]) -> Blob:
    return min(candidates, key=lambda b: _distance(b, point))


def _largest(candidates: Sequence[Blob]) -> Blob:
    return max(candidates, key=lambda b: (b.area, b.peak))
