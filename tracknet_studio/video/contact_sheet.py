"""Contact sheets for checking ball labels by eye: one enlarged crop per frame.

Each tile is a square crop of the original frame around the frame's label (or, without one,
around the nearest labelled frame's position), enlarged with nearest-neighbour pixels so
single pixels stay visible, with:
- tick marks every 10 original pixels on the border and a label every 50, in the video's
  own coordinates, so a position can be read off the tile to a pixel or two;
- the label drawn as an open crosshair (the centre stays visible) in a colour by visibility;
- the frame number, visibility and coordinates written in the tile's header.

An annotator (or a reviewer checking an auto-track) reads 20 frames at a glance, and
corrects what is off. `full_frame_sheet` shows whole frames with a 100 px grid instead,
for finding a ball that the label lost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from ..core.track import Track, Visibility
from .reader import VideoReader

HEADER = 18  # pixels of text above each tile
VISIBILITY_COLOURS = {  # RGB
    Visibility.VISIBLE: (0, 255, 0),
    Visibility.HARD: (255, 200, 0),
    Visibility.OCCLUDED: (255, 0, 255),
}


def crop_centre(track: Track, frame: int) -> tuple[float, float] | None:
    """The frame's labelled position, else the nearest labelled frame's, else None."""
    has = np.isfinite(track.x) & np.isfinite(track.y)
    if not has.any():
        return None
    frames = np.flatnonzero(has)
    nearest = int(frames[np.argmin(np.abs(frames - frame))])
    return float(track.x[nearest]), float(track.y[nearest])


def crop_tile(
    image: np.ndarray,
    centre: tuple[float, float],
    crop: int,
    zoom: int,
    mark: tuple[float, float] | None,
    colour: tuple[int, int, int],
    caption: str,
) -> np.ndarray:
    """One enlarged crop of an RGB frame, with ticks, an optional crosshair and a caption."""
    height, width = image.shape[:2]
    left = round(centre[0]) - crop // 2
    top = round(centre[1]) - crop // 2
    padded = np.zeros((crop, crop, 3), np.uint8)
    src = image[max(top, 0) : min(top + crop, height), max(left, 0) : min(left + crop, width)]
    padded[
        max(-top, 0) : max(-top, 0) + src.shape[0], max(-left, 0) : max(-left, 0) + src.shape[1]
    ] = src
    tile = cv2.resize(padded, (crop * zoom, crop * zoom), interpolation=cv2.INTER_NEAREST)
    _ticks(tile, left, top, zoom)
    if mark is not None:
        _crosshair(
            tile, ((mark[0] - left + 0.5) * zoom, (mark[1] - top + 0.5) * zoom), zoom, colour
        )
    header = np.full((HEADER, tile.shape[1], 3), 32, np.uint8)
    cv2.putText(header, caption, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1)
    return np.vstack([header, tile])


def _ticks(tile: np.ndarray, left: int, top: int, zoom: int) -> None:
    size = tile.shape[0] // zoom
    for offset in range(size):
        for origin, axis in ((left, 0), (top, 1)):
            value = origin + offset
            if value % 10:
                continue
            length = 10 if value % 50 == 0 else 5
            at = int((offset + 0.5) * zoom)
            if axis == 0:
                cv2.line(tile, (at, 0), (at, length), (255, 255, 255), 1)
                if value % 50 == 0:
                    cv2.putText(tile, str(value), (at + 2, 20), 0, 0.35, (255, 255, 255), 1)
            else:
                cv2.line(tile, (0, at), (length, at), (255, 255, 255), 1)
                if value % 50 == 0:
                    cv2.putText(tile, str(value), (2, at - 2), 0, 0.35, (255, 255, 255), 1)


def _crosshair(
    tile: np.ndarray, point: tuple[float, float], zoom: int, colour: tuple[int, int, int]
) -> None:
    x, y = round(point[0]), round(point[1])
    gap, arm = max(3 * zoom, 6), max(8 * zoom, 14)
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        cv2.line(tile, (x + dx * gap, y + dy * gap), (x + dx * arm, y + dy * arm), colour, 1)


def contact_sheet(
    reader: VideoReader,
    track: Track,
    frames: Sequence[int],
    crop: int = 80,
    zoom: int = 3,
    columns: int = 5,
    centre: tuple[float, float] | None = None,
) -> np.ndarray:
    """An RGB sheet of one tile per frame (see the module); `centre` fixes the crops'
    centre instead of following the labels."""
    tiles = []
    fixed = centre
    centre = centre or (reader.width / 2, reader.height / 2)
    for n in frames:
        centre = fixed or crop_centre(track, n) or centre
        image = reader.frame(n)
        visibility = int(track.visibility[n]) if n < len(track) else Visibility.UNLABELED
        x, y = (float(track.x[n]), float(track.y[n])) if n < len(track) else (math.nan, math.nan)
        mark = (x, y) if math.isfinite(x) and math.isfinite(y) else None
        colour = VISIBILITY_COLOURS.get(visibility, (255, 0, 0))
        where = f"{x:.1f},{y:.1f}" if mark else "-"
        caption = f"#{n} v{visibility} {where}"
        tiles.append(crop_tile(image, centre, crop, zoom, mark, colour, caption))
    return _grid(tiles, columns)


def full_frame_sheet(
    reader: VideoReader, track: Track, frames: Sequence[int], width: int = 960, columns: int = 1
) -> np.ndarray:
    """Whole frames scaled to `width`, a grid every 100 video pixels, labels circled."""
    scale = width / reader.width
    tiles = []
    for n in frames:
        image = cv2.resize(reader.frame(n), (width, round(reader.height * scale)), cv2.INTER_AREA)
        for value in range(100, max(reader.width, reader.height), 100):
            at = int(value * scale)
            cv2.line(image, (at, 0), (at, image.shape[0]), (90, 90, 90), 1)
            cv2.line(image, (0, at), (image.shape[1], at), (90, 90, 90), 1)
            cv2.putText(image, str(value), (at + 2, 12), 0, 0.35, (255, 255, 255), 1)
            cv2.putText(image, str(value), (2, at - 2), 0, 0.35, (255, 255, 255), 1)
        if n < len(track) and math.isfinite(track.x[n]) and math.isfinite(track.y[n]):
            point = (int(track.x[n] * scale), int(track.y[n] * scale))
            cv2.circle(image, point, 10, (255, 0, 0), 1)
        header = np.full((HEADER, image.shape[1], 3), 32, np.uint8)
        cv2.putText(header, f"#{n}", (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1)
        tiles.append(np.vstack([header, image]))
    return _grid(tiles, columns)


def _grid(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    if not tiles:
        raise ValueError("no frames to draw")
    height = max(t.shape[0] for t in tiles)
    width = max(t.shape[1] for t in tiles)
    rows = math.ceil(len(tiles) / columns)
    sheet = np.zeros((rows * (height + 2), columns * (width + 2), 3), np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        top, left = r * (height + 2), c * (width + 2)
        sheet[top : top + tile.shape[0], left : left + tile.shape[1]] = tile
    return sheet
