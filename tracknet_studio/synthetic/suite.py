"""A fixed benchmark suite: training and held-out test clips for model work.

The test split differs from training in seeds, in speeds (faster and slower than any
training clip) and in colour variation, and it holds one sport, grass tennis, that training
never sees, so a benchmark measures generalisation rather than memory.
"""

from __future__ import annotations

from typing import Literal

from .clip import ClipSpec

_TRAIN_SPORTS = (
    "tennis-hard",
    "tennis-clay",
    "badminton",
    "pickleball",
    "volleyball-indoor",
    "volleyball-sand",
)
_TRAIN_SIZES = ((1280, 720), (1920, 1080), (512, 288), (960, 540))
_TEST_SIZES = ((1280, 720), (1920, 1080))


def benchmark_specs(split: Literal["train", "test"], frames: int = 300) -> list[ClipSpec]:
    """The clips of one split, always the same list for the same arguments."""
    if split == "train":
        return [
            ClipSpec(
                width=_TRAIN_SIZES[i % 4][0],
                height=_TRAIN_SIZES[i % 4][1],
                fps=(30.0, 25.0, 60.0)[i % 3],
                frames=frames,
                sport=_TRAIN_SPORTS[i % len(_TRAIN_SPORTS)],
                speed=0.8 + 0.05 * (i % 9),
                players=(2, 2, 1)[i % 3],
                seed=1000 + i,
            )
            for i in range(24)
        ]
    if split == "test":
        sports = (*_TRAIN_SPORTS, "tennis-grass")
        return [
            ClipSpec(
                width=_TEST_SIZES[i % 2][0],
                height=_TEST_SIZES[i % 2][1],
                fps=(30.0, 50.0)[i % 2],
                frames=frames,
                sport=sports[(i * 3) % len(sports)],
                speed=(0.6, 1.5)[i % 2] if i % 3 else 1.0,
                colour_jitter=1.5,
                seed=900_000 + i,
            )
            for i in range(8)
        ]
    raise ValueError(f"unknown split {split!r}: use 'train' or 'test'")
