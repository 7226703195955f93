"""Heatmap targets and the loss the field trains them with.

Coordinates convention (shared with post-processing): pixel (column c, row r) of a
heatmap sits at point (c, r); a position in original pixels maps to the input by plain
scaling, `x_in = x * width_in / width_orig`, and back the same way.
"""

from __future__ import annotations

import numpy as np
import torch

DISC_RADIUS = 2.5


def disc_heatmap(
    x: float | None,
    y: float | None,
    height: int,
    width: int,
    radius: float = DISC_RADIUS,
) -> np.ndarray:
    """A float32 (height, width) map: 1 on pixels within `radius` of (x, y), else 0.

    `x`/`y` of None (or NaN) give an all-zero map, the target of a frame without a ball.
    """
    target = np.zeros((height, width), np.float32)
    if x is None or y is None or not (np.isfinite(x) and np.isfinite(y)):
        return target
    # Only the small window around the ball is touched, not the whole image.
    reach = int(np.ceil(radius))
    left, right = max(int(np.floor(x)) - reach, 0), min(int(np.ceil(x)) + reach + 1, width)
    top, bottom = max(int(np.floor(y)) - reach, 0), min(int(np.ceil(y)) + reach + 1, height)
    if left >= right or top >= bottom:
        return target
    rows = np.arange(top, bottom, dtype=np.float32)[:, None]
    cols = np.arange(left, right, dtype=np.float32)[None, :]
    inside = (cols - x) ** 2 + (rows - y) ** 2 <= radius**2
    target[top:bottom, left:right] = inside
    return target


def scale_to_input(
    x: float, y: float, original_size: tuple[int, int], input_size: tuple[int, int]
) -> tuple[float, float]:
    """Original pixels to input pixels; sizes are (width, height)."""
    return x * input_size[0] / original_size[0], y * input_size[1] / original_size[1]


def scale_to_original(
    x: float, y: float, input_size: tuple[int, int], original_size: tuple[int, int]
) -> tuple[float, float]:
    """Input pixels back to original pixels; sizes are (width, height)."""
    return x * original_size[0] / input_size[0], y * original_size[1] / input_size[1]


def focal_bce(prediction: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """TrackNetV2's weighted binary cross-entropy, averaged over every pixel.

    `-(1-p)^2 y log p - p^2 (1-y) log(1-p)`: confident correct pixels (almost all of the
    background) weigh little, so the few ball pixels are not drowned out. `prediction`
    holds probabilities (the networks end in a sigmoid); it is clamped away from 0 and 1
    so the logarithms stay finite. The arithmetic runs in float32 even under autocast.
    """
    p = prediction.float().clamp(eps, 1.0 - eps)
    y = target.float()
    loss = -((1 - p) ** 2) * y * torch.log(p) - p**2 * (1 - y) * torch.log(1 - p)
    return loss.mean()
