"""Drawing what moves: the ball (a streak when fast) and simple articulated players.

All drawing is OpenCV with anti-aliasing and 4 bits of sub-pixel precision, on small
regions of interest, so a 720p frame costs well under a millisecond beyond the copy of
the static court.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .court import RGB
from .rally import PlayerPose

_SHIFT = 4
_ONE = 1 << _SHIFT
EXPOSURE = 0.6  # fraction of a frame interval the shutter is open: sets the streak length


def _fx(x: float) -> int:
    return round(x * _ONE)


def _pt(x: float, y: float) -> tuple[int, int]:
    return _fx(x), _fx(y)


def draw_ball(
    img: np.ndarray, x: float, y: float, vx: float, vy: float, radius: float, colour: RGB
) -> None:
    """A disc, smeared along its motion over the exposure; a long streak is fainter
    because the same light spreads over more pixels."""
    dx, dy = 0.5 * EXPOSURE * vx, 0.5 * EXPOSURE * vy
    length = 2 * math.hypot(dx, dy)
    pad = radius + abs(dx) + abs(dy) + 3
    h, w = img.shape[:2]
    x0, y0 = max(int(x - pad), 0), max(int(y - pad), 0)
    x1, y1 = min(int(x + pad) + 2, w), min(int(y + pad) + 2, h)
    if x0 >= x1 or y0 >= y1:
        return
    roi = img[y0:y1, x0:x1]
    cx, cy = x - x0, y - y0
    if length < 0.5:
        cv2.circle(roi, _pt(cx, cy), _fx(radius), colour, -1, cv2.LINE_AA, _SHIFT)
        return
    overlay = roi.copy()
    thickness = max(1, round(2 * radius))
    cv2.line(
        overlay,
        _pt(cx - dx, cy - dy),
        _pt(cx + dx, cy + dy),
        colour,
        thickness,
        cv2.LINE_AA,
        _SHIFT,
    )
    alpha = min(1.0, (2 * radius + 1) / (length + 2 * radius + 1) * 1.6)
    cv2.addWeighted(overlay, alpha, roi, 1 - alpha, 0, roi)


@dataclass(frozen=True)
class PlayerLook:
    shirt: RGB
    shorts: RGB
    skin: RGB
    hair: RGB
    racket: RGB | None


def random_look(rng: np.random.Generator, racket: bool) -> PlayerLook:
    def colour(lo: int = 20, hi: int = 235) -> RGB:
        r, g, b = rng.integers(lo, hi, 3)
        return int(r), int(g), int(b)

    skins = ((241, 194, 160), (224, 172, 128), (198, 134, 90), (141, 85, 54), (92, 58, 38))
    skin = skins[int(rng.integers(len(skins)))]
    return PlayerLook(colour(), colour(), skin, colour(10, 90), colour() if racket else None)


def _limb(img, a, b, colour, width, origin) -> None:
    ox, oy = origin
    cv2.line(
        img,
        _pt(a[0] - ox, a[1] - oy),
        _pt(b[0] - ox, b[1] - oy),
        colour,
        max(1, round(width)),
        cv2.LINE_AA,
        _SHIFT,
    )


def _ellipse(img, centre, axes, colour, origin, thickness=-1) -> None:
    ox, oy = origin
    cv2.ellipse(
        img,
        _pt(centre[0] - ox, centre[1] - oy),
        (_fx(axes[0]), _fx(axes[1])),
        0,
        0,
        360,
        colour,
        thickness,
        cv2.LINE_AA,
        _SHIFT,
    )


def player_box(pose: PlayerPose) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) that contains everything drawn for this pose."""
    fx, fy = pose.feet
    h = pose.height
    return int(fx - 0.75 * h), int(fy - 1.3 * h), int(fx + 0.75 * h) + 2, int(fy + 0.1 * h) + 2


def _racket_geometry(pose: PlayerPose, reach: float, hand_height: float):
    fx, fy = pose.feet
    h = pose.height
    side = max(-1.0, min(1.0, pose.side))
    shoulder = (fx + side * 0.1 * h, fy - 0.8 * h)
    head = (fx + side * reach * h, fy - hand_height * h)
    hand = (
        shoulder[0] + (head[0] - shoulder[0]) * 0.55,
        shoulder[1] + (head[1] - shoulder[1]) * 0.55,
    )
    return shoulder, hand, head


def draw_racket(
    img: np.ndarray,
    pose: PlayerPose,
    look: PlayerLook,
    origin: tuple[float, float] = (0.0, 0.0),
    racket_reach: float = 0.32,
    hand_height: float = 0.55,
) -> None:
    """The racket alone. It is painted before the ball: the ball meets the strings in front
    of them, and see-through strings never hide a ball."""
    if look.racket is None:
        return
    h = pose.height
    _shoulder, hand, head = _racket_geometry(pose, racket_reach, hand_height)
    _limb(img, hand, head, look.racket, 0.02 * h, origin)
    _ellipse(img, head, (0.07 * h, 0.09 * h), look.racket, origin, max(1, round(0.02 * h)))


def draw_player(
    img: np.ndarray,
    pose: PlayerPose,
    look: PlayerLook,
    origin: tuple[float, float] = (0.0, 0.0),
    racket_reach: float = 0.32,
    hand_height: float = 0.55,
) -> None:
    """The body: legs that swing with the stride, shorts, torso, head and the hitting arm.

    `origin` shifts the drawing, so the same routine paints a silhouette into a small mask.
    """
    fx, fy = pose.feet
    h = pose.height
    swing = math.sin(pose.phase) * 0.12 * h
    hip = (fx, fy - 0.48 * h)
    for sign in (-1, 1):
        foot = (fx + sign * swing, fy)
        _limb(img, hip, foot, look.skin, 0.075 * h, origin)
        _ellipse(img, (foot[0], fy), (0.05 * h, 0.025 * h), (30, 30, 30), origin)
    _ellipse(img, (fx, fy - 0.5 * h), (0.1 * h, 0.08 * h), look.shorts, origin)
    _ellipse(img, (fx, fy - 0.68 * h), (0.115 * h, 0.19 * h), look.shirt, origin)
    _ellipse(img, (fx, fy - 0.92 * h), (0.065 * h, 0.075 * h), look.skin, origin)
    _ellipse(img, (fx, fy - 0.96 * h), (0.068 * h, 0.045 * h), look.hair, origin)
    shoulder, hand, head = _racket_geometry(pose, racket_reach, hand_height)
    # Without a racket the hands themselves meet the ball.
    _limb(img, shoulder, hand if look.racket else head, look.skin, 0.05 * h, origin)


def covered_fraction(
    players: list[tuple[PlayerPose, PlayerLook]], x: float, y: float, radius: float, **kwargs
) -> float:
    """The share of the ball's disc at (x, y) that these players' bodies paint over."""
    x0, y0 = int(x - radius) - 1, int(y - radius) - 1
    size = (int(2 * radius) + 4, int(2 * radius) + 4)
    ball = np.zeros(size, np.uint8)
    cv2.circle(ball, _pt(x - x0, y - y0), _fx(radius), 255, -1, cv2.LINE_AA, _SHIFT)
    cover = np.zeros((*size, 3), np.uint8)
    white = (255, 255, 255)
    for pose, look in players:
        px0, py0, px1, py1 = player_box(pose)
        if px1 < x0 or py1 < y0 or px0 > x0 + size[1] or py0 > y0 + size[0]:
            continue
        solid = PlayerLook(white, white, white, white, look.racket)
        draw_player(cover, pose, solid, origin=(x0, y0), **kwargs)
    weight = ball.astype(np.float32)
    return float((weight * cover[..., 0]).sum() / (255.0 * max(weight.sum(), 1.0)))
