"""Courts of several sports, seen by a broadcast camera, pre-rendered once per clip.

A court is described in metres (x across, z along, origin at the centre, z < 0 on the far
side) and mapped into the image by a homography that turns the court rectangle into the
trapezoid a raised camera behind the near baseline sees. Everything that does not move
(surface, surround, lines, net, stands, sensor grain) is drawn here once.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np

RGB = tuple[int, int, int]
Segment = tuple[tuple[float, float], tuple[float, float]]

_SHIFT = 4  # cv2 sub-pixel bits: coordinates are passed multiplied by 16
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class SportStyle:
    """What a sport looks like: court size, lines, colours and how players hit."""

    length: float  # m, baseline to baseline
    width: float  # m, sideline to sideline
    lines: tuple[Segment, ...]  # extra lines besides the outer rectangle, in metres
    net_height: float  # m
    surface: RGB
    surround: RGB
    line: RGB
    ball: RGB
    texture: str  # "smooth", "stripes", "planks", "sand"
    hit_height: float  # racket/hand height at a hit, as a fraction of the player's height
    racket: bool
    shot_speed: tuple[float, float]  # m/s along the ground, before the speed knob
    stand: tuple[float, float]  # m from the net where players' feet are when they hit
    # Camera: far and near baseline rows (fractions of the height), half the near baseline's
    # width (fraction of the width), far/near width ratio. Indoor cameras sit higher.
    view: tuple[float, float, float, float] = (0.30, 0.86, 0.29, 0.56)
    volleyed: bool = False  # played in the air (badminton, volleyball): no bounce mid-rally
    rests: bool = False  # a rally's last ball stays on the floor (a dead shuttle)


def _tennis_lines() -> tuple[Segment, ...]:
    singles, service = 8.23 / 2, 6.40
    return (
        ((-singles, -11.885), (-singles, 11.885)),
        ((singles, -11.885), (singles, 11.885)),
        ((-singles, -service), (singles, -service)),
        ((-singles, service), (singles, service)),
        ((0.0, -service), (0.0, service)),
    )


def _badminton_lines() -> tuple[Segment, ...]:
    singles, short, long_ = 5.18 / 2, 1.98, 6.70 - 0.76
    return (
        ((-singles, -6.70), (-singles, 6.70)),
        ((singles, -6.70), (singles, 6.70)),
        ((-3.05, -short), (3.05, -short)),
        ((-3.05, short), (3.05, short)),
        ((-3.05, -long_), (3.05, -long_)),
        ((-3.05, long_), (3.05, long_)),
        ((0.0, -6.70), (0.0, -short)),
        ((0.0, short), (0.0, 6.70)),
    )


def _pickleball_lines() -> tuple[Segment, ...]:
    kitchen = 2.13
    return (
        ((-3.05, -kitchen), (3.05, -kitchen)),
        ((-3.05, kitchen), (3.05, kitchen)),
        ((0.0, -6.705), (0.0, -kitchen)),
        ((0.0, kitchen), (0.0, 6.705)),
    )


def _volleyball_lines(attack: bool) -> tuple[Segment, ...]:
    centre = (((-4.5, 0.0), (4.5, 0.0)),)
    if not attack:
        return centre
    return (*centre, ((-4.5, -3.0), (4.5, -3.0)), ((-4.5, 3.0), (4.5, 3.0)))


_TENNIS = dict(length=23.77, width=10.97, net_height=0.914, hit_height=0.55, racket=True)
SPORTS: dict[str, SportStyle] = {
    "tennis-hard": SportStyle(
        **_TENNIS,
        lines=_tennis_lines(),
        surface=(38, 84, 150),
        surround=(52, 120, 80),
        line=(240, 240, 240),
        ball=(214, 236, 62),
        texture="smooth",
        shot_speed=(16, 26),
        stand=(12.1, 13.9),
    ),
    "tennis-clay": SportStyle(
        **_TENNIS,
        lines=_tennis_lines(),
        surface=(176, 92, 52),
        surround=(164, 84, 48),
        line=(236, 232, 224),
        ball=(220, 240, 70),
        texture="sand",
        shot_speed=(14, 22),
        stand=(12.3, 14.5),
    ),
    "tennis-grass": SportStyle(
        **_TENNIS,
        lines=_tennis_lines(),
        surface=(78, 138, 58),
        surround=(70, 126, 52),
        line=(244, 244, 244),
        ball=(222, 240, 64),
        texture="stripes",
        shot_speed=(17, 28),
        stand=(12.0, 13.6),
    ),
    "badminton": SportStyle(
        length=13.40,
        width=6.10,
        lines=_badminton_lines(),
        net_height=1.55,
        surface=(40, 110, 80),
        surround=(176, 128, 78),
        line=(238, 238, 238),
        ball=(250, 250, 246),
        texture="planks",
        hit_height=0.95,
        racket=True,
        shot_speed=(8, 18),
        view=(0.17, 0.93, 0.25, 0.68),
        stand=(2.0, 6.2),
        volleyed=True,
        rests=True,
    ),
    "pickleball": SportStyle(
        length=13.41,
        width=6.10,
        lines=_pickleball_lines(),
        net_height=0.86,
        surface=(46, 96, 160),
        surround=(60, 128, 96),
        line=(245, 245, 245),
        ball=(236, 222, 48),
        texture="smooth",
        hit_height=0.45,
        racket=True,
        shot_speed=(8, 14),
        view=(0.22, 0.89, 0.27, 0.62),
        stand=(2.4, 7.5),
    ),
    "volleyball-indoor": SportStyle(
        length=18.0,
        width=9.0,
        lines=_volleyball_lines(True),
        net_height=2.43,
        surface=(204, 112, 50),
        surround=(40, 92, 150),
        line=(245, 245, 245),
        ball=(238, 226, 90),
        texture="planks",
        hit_height=1.05,
        racket=False,
        shot_speed=(7, 14),
        view=(0.22, 0.90, 0.28, 0.62),
        stand=(2.0, 8.5),
        volleyed=True,
    ),
    "volleyball-sand": SportStyle(
        length=16.0,
        width=8.0,
        lines=_volleyball_lines(False),
        net_height=2.43,
        surface=(214, 190, 140),
        surround=(206, 180, 130),
        line=(40, 90, 200),
        ball=(250, 230, 70),
        texture="sand",
        hit_height=1.05,
        racket=False,
        shot_speed=(7, 13),
        view=(0.22, 0.90, 0.28, 0.62),
        stand=(1.5, 7.5),
        volleyed=True,
    ),
}


def jitter_colour(colour: RGB, rng: np.random.Generator, amount: float) -> RGB:
    """Vary hue, saturation and brightness a little, as courts and cameras differ."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    h = (h + rng.normal(0, 0.02 * amount)) % 1.0
    s = float(np.clip(s * (1 + rng.normal(0, 0.12 * amount)), 0, 1))
    v = float(np.clip(v * (1 + rng.normal(0, 0.10 * amount)), 0, 1))
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


class Camera:
    """The homography from court metres to image pixels, plus the local scale."""

    def __init__(self, style: SportStyle, width: int, height: int, rng: np.random.Generator):
        far, near, half, ratio = style.view
        far_y = height * (far + rng.uniform(-0.02, 0.02))
        near_y = height * (near + rng.uniform(-0.02, 0.02))
        near_half = width * (half + rng.uniform(-0.02, 0.02))
        far_half = near_half * (ratio + rng.uniform(-0.04, 0.04))
        centre_x = width * (0.5 + rng.uniform(-0.02, 0.02))
        hw, hl = style.width / 2, style.length / 2
        court = np.float32([[-hw, -hl], [hw, -hl], [hw, hl], [-hw, hl]])
        image = np.float32(
            [
                [centre_x - far_half, far_y],
                [centre_x + far_half, far_y],
                [centre_x + near_half, near_y],
                [centre_x - near_half, near_y],
            ]
        )
        self.matrix = cv2.getPerspectiveTransform(court, image)
        self.far_y, self.near_y = far_y, near_y
        self._ppm_far = 2 * far_half / style.width
        self._ppm_near = 2 * near_half / style.width

    def project(self, points: np.ndarray) -> np.ndarray:
        """Court points (..., 2) in metres -> image points (..., 2) in pixels."""
        pts = np.asarray(points, dtype=np.float64)
        flat = pts.reshape(-1, 1, 2)
        return cv2.perspectiveTransform(flat, self.matrix).reshape(pts.shape)

    def pixels_per_metre(self, y: float | np.ndarray) -> float | np.ndarray:
        """Horizontal scale at image row y; linear in y for a level horizon."""
        t = (np.asarray(y, dtype=np.float64) - self.far_y) / (self.near_y - self.far_y)
        scale = self._ppm_far + t * (self._ppm_near - self._ppm_far)
        return np.maximum(scale, 0.25 * self._ppm_far)

    @property
    def near_pixels_per_metre(self) -> float:
        return self._ppm_near


@dataclass(frozen=True)
class CourtLook:
    """The colours actually used for one clip, after random variation."""

    surface: RGB
    surround: RGB
    line: RGB
    ball: RGB
    stands: RGB


def choose_look(style: SportStyle, rng: np.random.Generator, amount: float) -> CourtLook:
    stands = jitter_colour((58, 56, 66), rng, 3 * amount)
    return CourtLook(
        surface=jitter_colour(style.surface, rng, amount),
        surround=jitter_colour(style.surround, rng, amount),
        line=jitter_colour(style.line, rng, 0.3 * amount),
        ball=jitter_colour(style.ball, rng, 0.3 * amount),
        stands=stands,
    )


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(points * _ONE).astype(np.int32)


def _texture(img: np.ndarray, kind: str, camera: Camera, rng: np.random.Generator) -> None:
    """Large-scale surface texture: mowing stripes, floor planks or sand ripples."""
    h, w = img.shape[:2]
    if kind == "stripes":
        for z in np.arange(-20.0, 20.0, 2.4)[::2]:
            quad = camera.project(np.array([[-30, z], [30, z], [30, z + 1.2], [-30, z + 1.2]]))
            overlay = img.copy()
            cv2.fillPoly(overlay, [_fixed(quad)], (255, 255, 255), cv2.LINE_AA, _SHIFT)
            cv2.addWeighted(overlay, 0.06, img, 0.94, 0, img)
    elif kind == "planks":
        for x in np.arange(-30.0, 30.0, 0.5):
            seg = camera.project(np.array([[x, -40.0], [x, 40.0]]))
            shade = int(rng.integers(-14, 14))
            colour = tuple(int(np.clip(int(c) + shade, 0, 255)) for c in img[h - 1, w // 2])
            cv2.line(img, *map(tuple, _fixed(seg)), colour, 1, cv2.LINE_AA, _SHIFT)
    elif kind == "sand":
        small = rng.normal(0, 7, (max(h // 24, 2), max(w // 24, 2), 1)).astype(np.float32)
        blotches = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        img[:] = np.clip(img + blotches[..., None], 0, 255).astype(np.uint8)


def _fill_court(img: np.ndarray, style: SportStyle, look: CourtLook, camera: Camera) -> None:
    hw, hl = style.width / 2, style.length / 2
    corners = camera.project(np.array([[-hw, -hl], [hw, -hl], [hw, hl], [-hw, hl]]))
    cv2.fillPoly(img, [_fixed(corners)], look.surface, cv2.LINE_AA, _SHIFT)


def _draw_lines(img: np.ndarray, style: SportStyle, look: CourtLook, camera: Camera) -> None:
    hw, hl = style.width / 2, style.length / 2
    outline = (
        ((-hw, -hl), (hw, -hl)),
        ((hw, -hl), (hw, hl)),
        ((hw, hl), (-hw, hl)),
        ((-hw, hl), (-hw, -hl)),
    )
    for segment in outline + style.lines:
        pts = camera.project(np.array(segment))
        thickness = max(1, round(0.05 * float(camera.pixels_per_metre(pts[:, 1].mean()))))
        cv2.line(img, *map(tuple, _fixed(pts)), look.line, thickness, cv2.LINE_AA, _SHIFT)


def _draw_net(img: np.ndarray, style: SportStyle, camera: Camera) -> None:
    post_x = style.width / 2 + 0.5
    base = camera.project(np.array([[-post_x, 0.0], [post_x, 0.0]]))
    rise = style.net_height * float(camera.pixels_per_metre(base[0, 1]))
    top = base - np.array([0.0, rise])
    mesh = img.copy()
    cv2.fillPoly(mesh, [_fixed(np.array([base[0], base[1], top[1], top[0]]))], (24, 24, 28))
    cv2.addWeighted(mesh, 0.45, img, 0.55, 0, img)
    for t in np.linspace(0.0, 1.0, 6)[1:-1]:
        row = base + (top - base) * t
        cv2.line(img, *map(tuple, _fixed(row)), (30, 30, 34), 1, cv2.LINE_AA, _SHIFT)
    tape = max(1, round(rise * 0.08))
    cv2.line(img, *map(tuple, _fixed(top)), (236, 236, 236), tape, cv2.LINE_AA, _SHIFT)
    for end in range(2):
        post = np.array([base[end], top[end]])
        cv2.line(img, *map(tuple, _fixed(post)), (50, 50, 50), tape + 1, cv2.LINE_AA, _SHIFT)


def _draw_stands(img: np.ndarray, look: CourtLook, camera: Camera, rng: np.random.Generator):
    """A crowd band above the far surround: dark, speckled, slightly blurred."""
    h, w = img.shape[:2]
    bottom = int(max(camera.far_y - 0.12 * h, 0.06 * h))
    crowd = rng.normal(0, 22, (max(bottom // 3, 1), max(w // 3, 1), 3)).astype(np.float32)
    crowd = cv2.resize(crowd, (w, bottom), interpolation=cv2.INTER_NEAREST)
    band = np.clip(np.float32(look.stands) + crowd, 0, 255).astype(np.uint8)
    img[:bottom] = cv2.GaussianBlur(band, (3, 3), 0)
    cv2.line(img, (0, bottom), (w, bottom), (30, 30, 30), max(1, h // 180))


def render_court(
    style: SportStyle,
    look: CourtLook,
    camera: Camera,
    size: tuple[int, int],
    rng: np.random.Generator,
    grain: float,
) -> np.ndarray:
    """The static background of a clip, RGB uint8 (height, width, 3)."""
    width, height = size
    img = np.empty((height, width, 3), np.uint8)
    img[:] = look.surround
    if style.texture == "planks":  # a painted court on a wooden floor: planks around it
        _texture(img, style.texture, camera, rng)
        _fill_court(img, style, look, camera)
    else:  # stripes and sand run across the whole surface
        _fill_court(img, style, look, camera)
        _texture(img, style.texture, camera, rng)
    _draw_lines(img, style, look, camera)
    _draw_net(img, style, camera)
    _draw_stands(img, look, camera, rng)
    if grain > 0:
        # Fixed-pattern sensor grain: realistic texture that costs the encoder nothing later.
        noise = rng.normal(0, 2.5 * grain, (height, width, 1)).astype(np.float32)
        img = np.clip(img + noise, 0, 255).astype(np.uint8)
    return img
