"""Disc targets and the focal-style loss against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tracknet.heatmap import disc_heatmap, focal_bce, scale_to_input, scale_to_original  # noqa: E402


def test_disc_of_radius_2_5_covers_the_21_pixels_within_reach() -> None:
    target = disc_heatmap(10.0, 8.0, 20, 30)
    # Integer offsets (dx, dy) with dx^2 + dy^2 <= 6.25: 1 + 4 + 4 + 4 + 8 = 21.
    assert target.sum() == 21
    assert target[8, 10] == 1 and target[8, 12] == 1 and target[10, 11] == 1
    assert target[8, 13] == 0 and target[10, 12] == 0  # 3 px away; sqrt(8) > 2.5
    assert target.dtype == np.float32


def test_disc_is_clipped_at_the_border_and_empty_without_a_ball() -> None:
    corner = disc_heatmap(0.0, 0.0, 10, 10)
    # The quarter disc: (0,0) (1,0) (2,0) (0,1) (0,2) (1,1) (2,1) (1,2).
    assert corner.sum() == 8
    assert disc_heatmap(None, None, 10, 10).sum() == 0
    assert disc_heatmap(float("nan"), 3.0, 10, 10).sum() == 0
    assert disc_heatmap(-50.0, 3.0, 10, 10).sum() == 0


def test_focal_bce_matches_the_formula_by_hand() -> None:
    p = torch.tensor([0.9, 0.2, 0.5, 0.7])
    y = torch.tensor([1.0, 1.0, 0.0, 0.0])
    expected = [
        -(0.1**2) * math.log(0.9),
        -(0.8**2) * math.log(0.2),
        -(0.5**2) * math.log(0.5),
        -(0.7**2) * math.log(0.3),
    ]
    assert float(focal_bce(p, y)) == pytest.approx(sum(expected) / 4, rel=1e-5)


def test_focal_bce_stays_finite_at_saturated_outputs() -> None:
    loss = focal_bce(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0]))
    assert torch.isfinite(loss) and float(loss) > 10


def test_scaling_between_spaces_round_trips() -> None:
    x, y = scale_to_input(640.0, 360.0, (1280, 720), (512, 288))
    assert (x, y) == (256.0, 144.0)
    assert scale_to_original(x, y, (512, 288), (1280, 720)) == (640.0, 360.0)
