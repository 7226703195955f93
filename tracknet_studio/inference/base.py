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
from tracknet_studio.video.threads import Ahead

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
    """Frames start..stop-1 of a reader, decoded in order, with a length (for progress).

    A thread of its own decodes up to `ahead` frames in advance, so decoding overlaps the
    network (both release the GIL). The reader belongs to that thread while it runs, so
    whoever owns the reader calls `close()` (or uses `with`) before closing it: a consumer
    that merely stops iterating, a cancelled run, does not stop the thread by itself.
    """

    def __init__(self, reader: FrameSource, start: int, stop: int, ahead: int = 8) -> None:
        self.reader, self.start, self.stop, self.ahead = reader, start, stop, ahead
        self._running: list[Ahead[np.ndarray]] = []

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __enter__(self) -> FrameRange:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every decoding thread and wait for it: the reader is free afterwards."""
        while self._running:
            self._running.pop().close()

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.ahead <= 0 or len(self) <= 1:
            yield from self._decode()
            return
        frames = Ahead(self._decode, self.ahead, name="decode-ahead")
        self._running.append(frames)
        try:
            yield from frames
        finally:
            self.close()

    def _decode(self) -> Iterator[np.ndarray]:
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
    (say tasks.Cancelled) to stop: the exception leaves here and no track is returned (a
    `TrackRun` keeps what was answered, to be resumed).
    """
    return TrackRun(reader.frame_count, start, stop).run(reader, predictor, progress)


class TrackRun:
    """One prediction of frames start..stop-1 into a track, over one or more attempts.

    When an attempt fails (a model error, the network, an endpoint deleted meanwhile) the
    frames answered so far stay here: `track()` holds them and `run` again goes on from
    `next_frame`. Answers arrive in frame order, so what is done is one unbroken span.
    """

    def __init__(self, n_frames: int, start: int | None = None, stop: int | None = None) -> None:
        self.n_frames = n_frames
        self.start, self.stop = clamp_range(n_frames, start, stop)
        self.next_frame = self.start  # the first frame not answered yet
        self._columns = _empty_columns(n_frames)

    @property
    def total(self) -> int:
        return self.stop - self.start

    @property
    def answered(self) -> int:
        return self.next_frame - self.start

    @property
    def finished(self) -> bool:
        return self.next_frame >= self.stop

    def run(
        self, reader: FrameSource, predictor: Predictor, progress: Progress | None = None
    ) -> Track:
        """Predict the frames not answered yet; the whole track once all are."""
        if reader.frame_count != self.n_frames:
            raise ValueError(f"the video has {reader.frame_count} frames, the run {self.n_frames}")
        first, last = self.next_frame, self.stop
        with FrameRange(reader, first, last) as frames:  # the decoder stops before we return
            if progress is not None:
                progress(self.answered, self.total)
            size = (reader.width, reader.height)
            answers = predictor.predict(frames, start=first, original_size=size)
            try:
                for answer in answers:
                    _store(self._columns, answer, self.next_frame, last)
                    self.next_frame += 1
                    if progress is not None:
                        progress(self.answered, self.total)
            finally:
                close = getattr(answers, "close", None)
                if callable(close):
                    close()  # a generator's own clean-up runs now, not at garbage collection
        return self.track()

    def track(self) -> Track:
        """The track of the whole video with the frames answered so far."""
        columns = {name: column.copy() for name, column in self._columns.items()}
        labelled = columns["visibility"] != Visibility.UNLABELED
        columns["source"] = np.where(labelled, Source.MODEL, Source.NONE).astype(np.int8)
        return Track.from_columns(self.n_frames, **columns)


def _empty_columns(n: int) -> dict[str, np.ndarray]:
    return {
        "x": np.full(n, np.nan),
        "y": np.full(n, np.nan),
        "visibility": np.full(n, Visibility.UNLABELED, np.int8),
        "confidence": np.full(n, np.nan, np.float32),
    }


def _store(columns: dict[str, np.ndarray], answer: FramePrediction, wanted: int, last: int) -> None:
    """Store the answer for frame `wanted` (answers come one a frame, in order)."""
    frame = answer.frame
    if not wanted <= frame < last:
        raise ValueError(f"the predictor answered frame {frame}, outside {wanted}..{last - 1}")
    if frame != wanted:
        raise ValueError(f"the predictor answered frame {frame} where frame {wanted} was due")
    visible = bool(answer.visible) and np.isfinite(answer.x) and np.isfinite(answer.y)
    columns["visibility"][frame] = Visibility.VISIBLE if visible else Visibility.NO_BALL
    if visible:
        columns["x"][frame], columns["y"][frame] = answer.x, answer.y
    columns["confidence"][frame] = answer.confidence
