"""The one interface every predictor implements, and the one function that runs one.

A predictor turns a stream of RGB frames into one `FramePrediction` per frame. The local
model (`LocalPredictor`) is one; the SageMaker endpoint (issue 7) is another. Both the
window's Model menu and `tracknet-studio predict` call `predict_track`, so a track predicted
in either place is the same track: frames outside the range stay unlabelled, predicted
frames get Source.MODEL and the model's confidence.

Nothing here imports torch: the window can list and describe predictors without loading it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from tracknet_studio.core import Source, Track, Visibility

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FramePrediction:
    """One frame's answer in original pixels; x and y are NaN when no ball is visible.

    `frame` is the video's frame number (not the position in the stream).
    """

    frame: int
    x: float
    y: float
    confidence: float
    visible: bool


@runtime_checkable
class Predictor(Protocol):
    """Anything that predicts the ball in a stream of frames."""

    name: str

    def predict(
        self,
        frames: Iterable[np.ndarray],
        *,
        start: int,
        original_size: tuple[int, int],
        progress: Progress | None = None,
    ) -> Iterator[FramePrediction]:
        """One prediction per frame, in order; `start` is the first frame's number and
        `original_size` (width, height) the space of the answers. `progress(done, total)`
        is called as frames are answered and may raise to stop."""
        ...


def reported(
    answers: Iterable[FramePrediction], total: int, progress: Progress | None
) -> Iterator[FramePrediction]:
    """The answers, calling `progress(done, total)` after each (a predictor's loop)."""
    for done, answer in enumerate(answers, start=1):
        yield answer
        if progress is not None:
            progress(done, total)


class FrameSource(Protocol):
    """What `predict_track` needs of a video reader (tracknet_studio.video.VideoReader)."""

    frame_count: int
    width: int
    height: int

    def frame(self, n: int, keep_before: int = ...) -> np.ndarray: ...


class FrameRange:
    """Frames start..stop-1 of a reader, decoded in order, with a length (for progress)."""

    def __init__(self, reader: FrameSource, start: int, stop: int) -> None:
        self.reader, self.start, self.stop = reader, start, stop

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __iter__(self) -> Iterator[np.ndarray]:
        for n in range(self.start, self.stop):
            # keep_before=0: each frame is read once, in order; nothing behind is needed.
            yield self.reader.frame(n, keep_before=0)


def clamp_range(n_frames: int, start: int | None, stop: int | None) -> tuple[int, int]:
    """[start, stop) inside [0, n_frames); None means the video's own end."""
    first = max(0, start or 0)
    last = n_frames if stop is None else min(n_frames, stop)
    return first, max(first, last)


def predict_track(
    reader: FrameSource,
    predictor: Predictor,
    start: int | None = None,
    stop: int | None = None,
    progress: Progress | None = None,
) -> Track:
    """Predict frames start..stop-1 of `reader` into a track of the whole video.

    Frames outside the range stay unlabelled; predicted frames are VISIBLE with a position
    or NO_BALL, Source.MODEL, with the model's confidence. `progress(done, total)` may raise
    (say tasks.Cancelled) to stop: the exception leaves here and no track is returned.
    """
    n = reader.frame_count
    first, last = clamp_range(n, start, stop)
    columns = _empty_columns(n)
    frames = FrameRange(reader, first, last)
    total = len(frames)
    if progress is not None:
        progress(0, total)
    answers = predictor.predict(frames, start=first, original_size=(reader.width, reader.height))
    for done, answer in enumerate(answers, start=1):
        _store(columns, answer, first, last)
        if progress is not None:
            progress(done, total)
    labelled = columns["visibility"] != Visibility.UNLABELED
    columns["source"] = np.where(labelled, Source.MODEL, Source.NONE).astype(np.int8)
    return Track.from_columns(n, **columns)


def _empty_columns(n: int) -> dict[str, np.ndarray]:
    return {
        "x": np.full(n, np.nan),
        "y": np.full(n, np.nan),
        "visibility": np.full(n, Visibility.UNLABELED, np.int8),
        "confidence": np.full(n, np.nan, np.float32),
    }


def _store(columns: dict[str, np.ndarray], answer: FramePrediction, first: int, last: int) -> None:
    frame = answer.frame
    if not first <= frame < last:
        raise ValueError(f"the predictor answered frame {frame}, outside {first}..{last - 1}")
    visible = bool(answer.visible) and np.isfinite(answer.x) and np.isfinite(answer.y)
    columns["visibility"][frame] = Visibility.VISIBLE if visible else Visibility.NO_BALL
    if visible:
        columns["x"][frame], columns["y"][frame] = answer.x, answer.y
    columns["confidence"][frame] = answer.confidence
