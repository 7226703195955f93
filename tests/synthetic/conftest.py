from __future__ import annotations

import pytest

from tracknet_studio.synthetic import ClipSpec


@pytest.fixture
def small_spec() -> ClipSpec:
    """A small, clean clip with a ball big enough to find in its pixels."""
    return ClipSpec(width=320, height=180, frames=48, ball_radius=4.0, noise=0.0, seed=5)
