"""Frame numbers drawn into the image as blocks a codec cannot blur away.

Exactness tests need frames that say which frame they are. The number is written as
``BITS`` binary cells (white = 1, black = 0) in ``ROWS`` rows at the top-left corner, on a
black plate with a margin, with cells large enough (at least 8 px) to survive H.264 and VP9
at 160x90. The cell size follows the image width, so the reader finds the code again
without any side information.
"""

from __future__ import annotations

import numpy as np

BITS = 20
ROWS = 2
COLUMNS = BITS // ROWS
MAX_FRAME_NUMBER = (1 << BITS) - 1
_MIN_CELL = 8


def cell_size(width: int) -> int:
    """Side of one bit cell in pixels for an image of this width."""
    return max(_MIN_CELL, width // 40)


def _cell_origin(bit: int, cell: int) -> tuple[int, int]:
    """Top-left (y, x) of a bit's cell; the plate margin is half a cell."""
    row, column = divmod(bit, COLUMNS)
    margin = cell // 2
    return margin + row * cell, margin + column * cell


def _check_image(img: np.ndarray) -> int:
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image, got shape {img.shape} {img.dtype}")
    cell = cell_size(img.shape[1])
    plate_w = COLUMNS * cell + cell
    plate_h = ROWS * cell + cell
    if img.shape[0] < plate_h or img.shape[1] < plate_w:
        raise ValueError(f"image {img.shape[1]}x{img.shape[0]} too small for a frame code")
    return cell


def draw_frame_number(img: np.ndarray, n: int) -> None:
    """Draw ``n`` (0 <= n < 2**20) as binary blocks into the top-left of ``img`` in place."""
    if not 0 <= n <= MAX_FRAME_NUMBER:
        raise ValueError(f"frame number {n} outside 0..{MAX_FRAME_NUMBER}")
    cell = _check_image(img)
    img[: ROWS * cell + cell, : COLUMNS * cell + cell] = 0
    for bit in range(BITS):
        if n >> bit & 1:
            y, x = _cell_origin(bit, cell)
            img[y : y + cell, x : x + cell] = 255


def read_frame_number(img: np.ndarray) -> int:
    """Read back the number drawn by :func:`draw_frame_number`.

    Each cell is judged by the mean of its central half, so ringing at the cell edges
    from lossy compression does not flip a bit.
    """
    cell = _check_image(img)
    inset = cell // 4
    n = 0
    for bit in range(BITS):
        y, x = _cell_origin(bit, cell)
        centre = img[y + inset : y + cell - inset, x + inset : x + cell - inset]
        if centre.mean() >= 128:
            n |= 1 << bit
    return n
