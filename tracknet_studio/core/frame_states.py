"""What the timeline shows of each frame, as plain numpy: its state (who labelled it, or
whether a prediction disagrees) and the window of frames drawn as columns.

The timeline widget colours these; the review queue and tests read them without Qt.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from .review import DISAGREEMENT_PX, disagree
from .track import Frames, Source, Track, Visibility


class FrameState(IntEnum):
    """A frame's state on the strip."""

    HUMAN = 0
    IMPORTED = 1
    INTERPOLATED = 2
    MODEL = 3  # the label came from a model, or only a prediction exists
    UNLABELED = 4
    DISAGREEMENT = 5  # a prediction lies farther than the tolerance from the label


# Source code -> state, for labels (Source.NONE means the frame has no label).
_SOURCE_STATE = np.zeros(max(Source) + 1, dtype=np.uint8)
_SOURCE_STATE[Source.NONE] = FrameState.UNLABELED
_SOURCE_STATE[Source.HUMAN] = FrameState.HUMAN
_SOURCE_STATE[Source.IMPORTED] = FrameState.IMPORTED
_SOURCE_STATE[Source.INTERPOLATED] = FrameState.INTERPOLATED
_SOURCE_STATE[Source.MODEL] = FrameState.MODEL


def frame_states(
    labels: Track,
    predictions: Iterable[Track] = (),
    frames: npt.ArrayLike | None = None,
    tolerance: float = DISAGREEMENT_PX,
) -> npt.NDArray[np.uint8]:
    """Each frame's `FrameState` code (all frames, or only `frames`)."""
    index = slice(None) if frames is None else np.asarray(frames, dtype=np.int64)
    unlabeled = labels.visibility[index] == Visibility.UNLABELED
    states = _SOURCE_STATE[labels.source[index]]
    states[unlabeled] = FrameState.UNLABELED
    for prediction in predictions:
        states[unlabeled & np.isfinite(prediction.x[index])] = FrameState.MODEL
        states[disagree(labels, prediction, tolerance, frames)] = FrameState.DISAGREEMENT
    return states


@dataclass(frozen=True)
class DisplayWindow:
    """Frames [start, stop) shown as columns of `bin` frames each (the last may be short)."""

    start: int
    stop: int
    bin: int

    @classmethod
    def covering(cls, first: float, last: float, n_frames: int, pixels: int) -> DisplayWindow:
        """A window over the visible frames [first, last] plus one screen on either side."""
        span = max(1.0, last - first)
        bin_size = 1 << max(0, math.ceil(math.log2(max(1.0, span / max(1, pixels)))))
        lo = max(0, math.floor(first - span))
        hi = min(n_frames, math.ceil(last + span) + 1)
        start = lo // bin_size * bin_size
        stop = min(n_frames, -(-hi // bin_size) * bin_size)
        return cls(start, max(start, stop), bin_size)

    @property
    def n_columns(self) -> int:
        return -(-(self.stop - self.start) // self.bin)

    def contains_view(self, first: float, last: float, n_frames: int) -> bool:
        return self.start <= max(0, first) and min(n_frames, last) <= self.stop

    def columns_of(self, frames: Frames) -> npt.NDArray[np.int64]:
        inside = frames[(frames >= self.start) & (frames < self.stop)]
        return np.unique((inside - self.start) // self.bin)

    def column_frames(self, column: int) -> slice:
        first = self.start + column * self.bin
        return slice(first, min(self.stop, first + self.bin))

    def blocks(self, values: np.ndarray, fill: float | int) -> np.ndarray:
        """The window's values as (n_columns, bin), padding the last column with `fill`."""
        segment = values[self.start : self.stop]
        pad = self.n_columns * self.bin - len(segment)
        if pad:
            segment = np.concatenate([segment, np.full(pad, fill, dtype=segment.dtype)])
        return segment.reshape(self.n_columns, self.bin)

    def column_centres(self) -> npt.NDArray[np.float64]:
        return self.start + np.arange(self.n_columns) * self.bin + (self.bin - 1) / 2
