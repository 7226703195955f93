"""Ball candidates from motion, without a model.

On a broadcast rally shot the camera holds still and the ball is the small thing that moves
fast. Three-frame differencing, min(news(f_t, f_prev), news(f_t, f_next)), keeps what is at
a new place in frame t and nowhere else (the ball's ghosts in the neighbouring frames
cancel), so static score overlays, logos and lines vanish. `news` measures how far a pixel
lies outside the range of the other frame's 5x5 neighbourhood, so edges that moved by a
pixel or two (a camera that drifts) stay quiet. Components that grow large once nearby
motion is merged are players, and are dropped.

What real footage adds, and what is done about it:
- frame-rate conversion repeats frames (a near-exact copy of the one before): a repeat is
  skipped when looking for the neighbours, and gets the candidates of the frame it copies;
- cuts to replays and close-ups: a frame too unlike the one before starts a new shot, and
  no candidate is made across the cut (the tracker resets there);
- pans and shakes: the global shift between neighbours is measured by phase correlation on
  small frames and taken out before differencing; zooms are not compensated.

Everything is streamed: three working frames are held, so memory does not grow with the
video. Positions are returned in the original video's pixels.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from .tracking import Candidate, FrameCandidates

MIN_SHIFT_RESPONSE = 0.2  # phase-correlation peaks below this are not a camera move
REPEAT_NOISE_PIXELS = 2  # new pixels a re-encoded copy of a frame may still show
MAX_REPEATS = 8  # repeated frames answered together at most (nothing moves in them)
WORK_LONG_SIDE = 960  # frames are worked on at most this wide (or tall): a ball stays 4-6 px


@dataclass(frozen=True)
class MotionSettings:
    """What counts as a ball-sized moving thing, in fractions of the working frame's width
    (so one setting serves 640x360 and 1920x1080 alike), and what counts as a cut."""

    threshold: float = 14.0  # grey levels a pixel must change by, at least
    noise_factor: float = 5.0  # ... or this many times the frame's median change
    min_area: int = 2  # working pixels
    max_ball_size: float = 0.035  # the merged component's longer side, of the width
    merge_size: float = 0.006  # dilation that merges a player's fragments, of the width
    max_candidates: int = 12  # strongest candidates kept per frame
    cut_change: float = 28.0  # mean grey change (after the shift) that means a new shot
    max_shift: float = 0.05  # a larger global shift is a cut or a whip pan, of the width


def _answer(
    waiting: list[int], found: tuple[Candidate, ...], cut: bool
) -> Iterator[FrameCandidates]:
    """The answers of a distinct frame and its repeats: the same candidates for each."""
    for offset, index in enumerate(waiting):
        yield FrameCandidates(index, found, cut and offset == 0, repeat=offset > 0)


class _Work:
    """A frame at working size: RGB for differencing, small grey for shift and cut tests."""

    def __init__(self, index: int, rgb: np.ndarray) -> None:
        self.index = index
        self.rgb = rgb
        # About a quarter of the size, in multiples of 16: OpenCV's phase correlation
        # reports a false half-pixel shift when its transform size is odd (135 rows), which
        # here became a 2 px "camera move" on every frame of a still camera.
        height, width = rgb.shape[:2]
        size = (max(16, round(width / 64) * 16), max(16, round(height / 64) * 16))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        self.grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
        self.grey_scale = (width / size[0], height / size[1])  # working px per grey px


class MotionDetector:
    """Turns a stream of RGB frames into per-frame motion candidates (`detect`)."""

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self.frames_judged = 0  # distinct frames differenced with both neighbours
        self.frames_camera_moved = 0  # ... of which the camera had moved (a pan, a shake)

    @property
    def camera_moving_share(self) -> float:
        """The share of judged frames with a moving camera: above ~0.3 the clip is beyond
        what differencing can do well (a handheld phone, a broadcast that follows play)."""
        return self.frames_camera_moved / self.frames_judged if self.frames_judged else 0.0

    def detect(self, frames: Iterable[np.ndarray], start: int = 0) -> Iterator[FrameCandidates]:
        """One FrameCandidates per frame, in order, numbered from `start`.

        Answers lag the input by a frame or two (frame t needs frame t+1, and a repeated
        frame waits for the next distinct one).
        """
        scale = 1.0
        distinct: deque[_Work] = deque(maxlen=3)  # the last distinct frames of this shot
        waiting: list[int] = []  # the newest distinct frame and its repeats, unanswered
        cut = False  # whether the first frame in `waiting` starts a new shot
        for index, frame in enumerate(frames, start=start):
            if not distinct and not waiting:
                scale = min(1.0, WORK_LONG_SIDE / max(frame.shape[:2]))
            work = _Work(index, _resize(frame, scale))
            if distinct and self._is_repeat(distinct[-1], work):
                waiting.append(index)
                if len(waiting) > MAX_REPEATS:
                    # Nothing has moved for a while: answer now, so the frames feeding
                    # this detector never pile up (another consumer may hold them).
                    yield from _answer(waiting[:-1], (), cut)
                    waiting, cut = waiting[-1:], False
                continue
            starts_shot = bool(distinct) and self._is_cut(distinct[-1], work)
            if starts_shot:
                # The frames before the cut are answered without looking across it.
                yield from _answer(waiting, (), cut)
                distinct.clear()
                waiting, cut = [], True
            distinct.append(work)
            if len(distinct) > 1:
                found = ()
                if len(distinct) == 3:
                    found = tuple(self._candidates(*distinct, scale=scale))
                yield from _answer(waiting, found, cut)
                waiting, cut = [], False
            waiting.append(index)
        yield from _answer(waiting, (), cut)

    # ------------------------------------------------------------------ per frame

    def _candidates(
        self, before: _Work, current: _Work, after: _Work, scale: float
    ) -> list[Candidate]:
        s = self.settings
        previous, moved = _aligned(before, current)
        following, _ = _aligned(after, current)
        self.frames_judged += 1
        self.frames_camera_moved += moved
        change = np.minimum(_news(current.rgb, previous), _news(current.rgb, following))
        level = max(s.threshold, s.noise_factor * float(np.median(change)))
        mask = (change > level).astype(np.uint8)
        if not mask.any():
            return []
        width = current.rgb.shape[1]
        reach = max(3, round(s.merge_size * width) | 1)
        merged = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
        max_side = s.max_ball_size * width
        found = []
        for k in range(1, count):
            left, top, w, h, _ = stats[k]
            if max(w, h) - reach + 1 > max_side:
                continue  # a player, a racket swing, a moving banner
            box = (slice(top, top + h), slice(left, left + w))
            inside = (labels[box] == k) & (mask[box] > 0)
            if inside.sum() >= s.min_area:
                found.append(_candidate(change[box], inside, level, (left, top), scale))
        found.sort(key=lambda c: c.score, reverse=True)
        return found[: s.max_candidates]

    # ------------------------------------------------------------------ frame relations

    def _is_repeat(self, last: _Work, work: _Work) -> bool:
        """Nothing new in `work` (frame-rate conversion copies, re-encoded: a few pixels of
        noise differ, but none lies outside its neighbourhood's range in the last frame)."""
        news = _news(work.rgb, last.rgb)
        return np.count_nonzero(news > self.settings.threshold) <= REPEAT_NOISE_PIXELS

    def _is_cut(self, last: _Work, work: _Work) -> bool:
        """A new shot: the frame differs from the last even after taking out the camera's
        shift, or the camera moved further than a pan between two frames can."""
        shift = _camera_shift(last.grey, work.grey)
        if np.hypot(*shift) > self.settings.max_shift * work.grey.shape[1]:
            return True
        moved = _translate(last.grey, shift)
        margin = int(np.ceil(max(abs(shift[0]), abs(shift[1])))) + 1
        inner = (slice(margin, -margin), slice(margin, -margin))
        change = float(cv2.absdiff(moved[inner], work.grey[inner]).mean())
        return change > self.settings.cut_change


def _camera_shift(previous: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """How far the picture moved from `previous` to `current` (grey, same size), by phase
    correlation; (0, 0) when the peak is too weak to trust (a still, featureless frame, or
    one small object moving over a plain background, which is not the camera)."""
    shift, response = cv2.phaseCorrelate(previous, current)
    if response < MIN_SHIFT_RESPONSE:
        return 0.0, 0.0
    return shift


def _candidate(
    change: np.ndarray, inside: np.ndarray, level: float, corner: tuple[int, int], scale: float
) -> Candidate:
    """One component as a candidate in original pixels: the centroid of its change above
    the level (sub-pixel), scored by how far its strongest change rises above the level."""
    weights = np.where(inside, change.astype(np.float64) - level, 0.0)
    ys, xs = np.indices(inside.shape)
    total = max(weights.sum(), 1e-9)
    x = corner[0] + float((weights * xs).sum() / total)
    y = corner[1] + float((weights * ys).sum() / total)
    peak = float(change[inside].max())
    return Candidate(
        x=(x + 0.5) / scale - 0.5,
        y=(y + 0.5) / scale - 0.5,
        score=float(1.0 - np.exp(-(peak - level) / (2.0 * level))),
        area=int(inside.sum()) / scale**2,
    )


def _news(current: np.ndarray, other: np.ndarray) -> np.ndarray:
    """How far each pixel of `current` lies outside the range of `other` around it.

    The range is the min and max of a 5x5 neighbourhood, per channel, so an edge that moved
    by a pixel or two (a camera that pans or zooms a little, a residue of the alignment)
    changes nothing, while a ball that moved away from where it was stands out in full.
    """
    near = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    brighter = cv2.subtract(current, cv2.dilate(other, near))
    darker = cv2.subtract(cv2.erode(other, near), current)
    return _channel_max(cv2.max(brighter, darker))


def _channel_max(image: np.ndarray) -> np.ndarray:
    """The largest channel of each pixel (ten times numpy's `max(axis=2)` here)."""
    red, green, blue = cv2.split(image)
    return cv2.max(cv2.max(red, green), blue)


def _resize(frame: np.ndarray, scale: float) -> np.ndarray:
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"expected an RGB frame (H, W, 3), got shape {frame.shape}")
    if scale == 1.0:
        return np.ascontiguousarray(frame, dtype=np.uint8)
    size = (round(frame.shape[1] * scale), round(frame.shape[0] * scale))
    # Area averaging is the right filter but slow at non-integer factors (720p to 960:
    # 4 ms a frame); bilinear keeps a 4-6 px ball and costs a quarter of that.
    interpolation = cv2.INTER_AREA if (1 / scale).is_integer() else cv2.INTER_LINEAR
    return cv2.resize(frame, size, interpolation=interpolation)


def _aligned(other: _Work, current: _Work) -> tuple[np.ndarray, bool]:
    """`other`'s RGB frame moved onto `current` when the camera moved between them.

    The shift is measured on the quarter-size grey frames; below half a working pixel it
    is noise of the measurement, and the frame is used as it is. Also says whether the
    camera moved more than a working pixel.
    """
    dx, dy = _camera_shift(other.grey, current.grey)
    shift = (dx * current.grey_scale[0], dy * current.grey_scale[1])
    distance = float(np.hypot(*shift))
    if distance < 0.5:
        return other.rgb, False
    return _translate(other.rgb, shift), distance > 1.0


def _translate(image: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    matrix = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
    return cv2.warpAffine(
        image, matrix, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE
    )
