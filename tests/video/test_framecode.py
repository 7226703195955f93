"""Frame codes survive a round trip, and lossy compression at the smallest size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracknet_studio.video.framecode import (
    MAX_FRAME_NUMBER,
    draw_frame_number,
    read_frame_number,
)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, MAX_FRAME_NUMBER), width=st.sampled_from([160, 192, 640, 1920]))
def test_round_trip_on_noisy_background(n: int, width: int) -> None:
    height = width * 9 // 16
    img = np.random.default_rng(n).integers(0, 256, (height, width, 3), dtype=np.uint8)
    draw_frame_number(img, n)
    assert read_frame_number(img) == n


def test_survives_h264_at_160x90(make_clip) -> None:
    import av

    clip = make_clip("mp4", width=160, height=90, frame_count=24)
    with av.open(str(clip.path)) as container:
        numbers = [
            read_frame_number(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)
        ]
    assert numbers == list(range(24))


@pytest.mark.parametrize("n", [-1, MAX_FRAME_NUMBER + 1])
def test_out_of_range_numbers_are_refused(n: int) -> None:
    with pytest.raises(ValueError):
        draw_frame_number(np.zeros((90, 160, 3), np.uint8), n)


def test_too_small_image_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        draw_frame_number(np.zeros((10, 40, 3), np.uint8), 1)
