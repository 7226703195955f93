"""predict_track: one track per run, the range respected, cancel by raising; LocalPredictor
on a tiny untrained model and a real clip; the CLI goes through the same function."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from inference.stubs import ArrayReader, TrackPredictor
from tracknet_studio.core import Source, Visibility
from tracknet_studio.inference import (
    FramePrediction,
    LocalPredictor,
    ModelUnavailable,
    Predictor,
    predict_track,
)
from tracknet_studio.inference.base import FrameRange, TrackRun


def _truth(n: int) -> dict[int, tuple[float, float] | None]:
    return {f: (None if f % 5 == 0 else (10.0 + f, 20.0)) for f in range(n)}


def test_the_stub_is_a_predictor() -> None:
    assert isinstance(TrackPredictor({}), Predictor)
    assert isinstance(LocalPredictor(Path("nowhere")), Predictor)


def test_a_range_fills_only_its_frames_in_order() -> None:
    reader = ArrayReader(30)
    stub = TrackPredictor(_truth(30), offsets={12: (3.0, 4.0)})
    track = predict_track(reader, stub, 10, 20)
    assert len(track) == 30 and reader.read == list(range(10, 20))
    labelled = np.flatnonzero(track.visibility != Visibility.UNLABELED)
    assert labelled.tolist() == list(range(10, 20))
    assert track.visibility[15] == Visibility.NO_BALL and np.isnan(track.x[15])
    assert (track.x[12], track.y[12]) == (25.0, 24.0)
    assert track.confidence[11] == pytest.approx(0.75)
    assert set(track.source[10:20].tolist()) == {Source.MODEL}
    assert set(track.source[:10].tolist()) == {Source.NONE}


def test_progress_counts_every_frame_and_may_cancel() -> None:
    seen: list[tuple[int, int]] = []
    stub = TrackPredictor(_truth(8))
    predict_track(ArrayReader(8), stub, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 8) for i in range(9)]

    def stop_at_three(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    reader = ArrayReader(50)
    with pytest.raises(KeyboardInterrupt):
        predict_track(reader, TrackPredictor(_truth(50)), progress=stop_at_three)
    assert len(reader.read) < 50  # stopped reading, not only ignoring the answers


def test_a_predictor_answering_outside_the_range_is_an_error() -> None:
    class Liar(TrackPredictor):
        def predict(self, frames, *, start, original_size, progress=None):
            yield from super().predict(frames, start=start + 100, original_size=original_size)

    with pytest.raises(ValueError, match="outside"):
        predict_track(ArrayReader(5), Liar(_truth(5)))


def test_missing_weights_are_reported_before_any_work() -> None:
    with pytest.raises(ModelUnavailable, match="no weights"):
        LocalPredictor(Path("/no/such/model")).load()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised tiny FastTrackNet (nothing is trained in tests)."""
    torch = pytest.importorskip("torch")  # the model extra; the other tests do without it
    from tracknet.config import ModelConfig
    from tracknet.modelfile import save_model
    from tracknet.networks import build_network

    config = ModelConfig(arch="fasttracknet", height=32, width=64, arch_kwargs={"base": 4})
    torch.manual_seed(5)
    return save_model(tmp_path_factory.mktemp("model") / "tiny", build_network(config), config)


def test_local_predictor_runs_the_real_model_on_a_real_clip(tiny_model: Path, make_clip) -> None:
    from tracknet_studio.video import VideoReader

    clip = make_clip("mp4", frame_count=20)
    predictor = LocalPredictor(tiny_model, "cpu", runtime="torch")
    with VideoReader(clip.path, cache_mb=8) as reader:
        track = predict_track(reader, predictor, 4, 16)
        size = (reader.width, reader.height)
    assert predictor.describe() == "cpu, torch"
    labelled = np.flatnonzero(track.visibility != Visibility.UNLABELED)
    assert labelled.tolist() == list(range(4, 16))
    assert np.isfinite(track.confidence[4:16]).all()
    found = track.has_ball
    assert ((track.x[found] >= 0) & (track.x[found] <= size[0])).all()


# ----- decoding ahead, in a thread of its own (issue 24) ---------------------------------


def _decoders() -> list:

    return [t for t in threading.enumerate() if t.name == "decode-ahead" and t.is_alive()]


def test_frames_are_decoded_ahead_in_order_on_another_thread() -> None:

    reader = ArrayReader(50)
    threads: set[str] = set()
    original = reader.frame

    def frame(n: int, keep_before: int = 0) -> np.ndarray:
        threads.add(threading.current_thread().name)
        return original(n, keep_before)

    reader.frame = frame  # type: ignore[method-assign]
    frames = list(FrameRange(reader, 5, 45, ahead=4))
    assert [int(f[0, 0, 0]) for f in frames] == list(range(5, 45))
    assert threads == {"decode-ahead"}
    assert not _decoders()


def _failing_at(bad: int, reader: ArrayReader) -> ArrayReader:
    """`reader`, whose frame `bad` cannot be decoded."""
    original = reader.frame

    def frame(n: int, keep_before: int = 0) -> np.ndarray:
        if n == bad:
            raise ValueError(f"frame {bad} cannot be decoded")
        return original(n, keep_before)

    reader.frame = frame  # type: ignore[method-assign]
    return reader


def test_a_decoding_error_reaches_the_consumer() -> None:

    reader = _failing_at(7, ArrayReader(20))
    seen = []
    with pytest.raises(ValueError, match="frame 7"):
        for image in FrameRange(reader, 0, 20, ahead=3):
            seen.append(int(image[0, 0, 0]))
    assert seen == list(range(7))


def test_a_cancelled_run_stops_the_decoder_before_returning() -> None:
    """The crash this guards against: a predictor that keeps its frame iterator alive (the
    local model batches) was cancelled, the caller closed the reader, and the decoding
    thread went on reading from it. predict_track must return with no decoder running."""

    class Hoarder(TrackPredictor):
        def predict(self, frames, *, start, original_size, progress=None):
            self.kept = iter(frames)  # not closed when the run is abandoned
            for i, _image in enumerate(self.kept):
                yield FramePrediction(start + i, 1.0, 2.0, 0.9, True)

    reader = ArrayReader(10_000)

    def cancel_at_three(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    predictor = Hoarder({})
    with pytest.raises(KeyboardInterrupt):
        predict_track(reader, predictor, progress=cancel_at_three)
    assert not _decoders()
    read = len(reader.read)
    assert read < 50

    time.sleep(0.2)
    assert len(reader.read) == read  # nothing touches the reader once we have returned


# ----- a run that fails keeps its frames and resumes (issue 25) --------------------------


class FailsOnce(TrackPredictor):
    """Answers like the truth, but the first attempt fails when it reaches `fail_at`."""

    def __init__(self, truth, fail_at: int) -> None:
        super().__init__(truth)
        self.fail_at, self.attempts = fail_at, 0

    def predict(self, frames, *, start, original_size, progress=None):
        self.attempts += 1
        for answer in super().predict(frames, start=start, original_size=original_size):
            if self.attempts == 1 and answer.frame == self.fail_at:
                raise ConnectionError("the endpoint went away")
            yield answer


def test_a_failed_run_keeps_its_frames_and_resumes_where_it_stopped() -> None:

    truth = _truth(40)
    whole = predict_track(ArrayReader(40), TrackPredictor(truth), 5, 35)
    reader, predictor = ArrayReader(40), FailsOnce(truth, fail_at=17)
    run = TrackRun(40, 5, 35)
    with pytest.raises(ConnectionError):
        run.run(reader, predictor)
    assert (run.next_frame, run.answered, run.finished) == (17, 12, False)
    partial = run.track()
    labelled = np.flatnonzero(partial.visibility != Visibility.UNLABELED)
    assert labelled.tolist() == list(range(5, 17))
    seen: list[tuple[int, int]] = []
    reader.read.clear()
    track = run.run(reader, predictor, progress=lambda d, t: seen.append((d, t)))
    assert reader.read == list(range(17, 35))  # only what was missing is decoded again
    assert seen[0] == (12, 30) and seen[-1] == (30, 30)
    assert run.finished
    for column in ("x", "y", "visibility", "confidence", "source"):
        np.testing.assert_array_equal(getattr(track, column), getattr(whole, column))


def test_answers_must_come_one_a_frame_in_order() -> None:
    class Skipper(TrackPredictor):
        def predict(self, frames, *, start, original_size, progress=None):
            for answer in super().predict(frames, start=start, original_size=original_size):
                if answer.frame != start + 3:
                    yield answer

    with pytest.raises(ValueError, match="frame 4 where frame 3 was due"):
        predict_track(ArrayReader(10), Skipper(_truth(10)))


def test_an_error_reaches_a_slow_consumer_behind_a_full_queue() -> None:
    """The decoder fails while the queue is full and the consumer takes its time: the
    error waits for room instead of being dropped (the consumer would wait forever)."""

    reader = _failing_at(3, ArrayReader(20))
    seen: list[object] = []

    def consume() -> None:
        try:
            for image in FrameRange(reader, 0, 20, ahead=2):
                time.sleep(1.2)  # slower than any fixed wait the producer might give up after
                seen.append(int(image[0, 0, 0]))
        except ValueError as exc:
            seen.append(str(exc))

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    consumer.join(30)  # bounded: a dropped error would leave it waiting forever
    assert not consumer.is_alive()
    assert seen == [0, 1, 2, "frame 3 cannot be decoded"]
