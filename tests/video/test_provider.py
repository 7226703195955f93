"""The FrameProvider answers requests off the caller's thread and prefetches by direction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.video import provider as provider_module
from tracknet_studio.video.framecode import read_frame_number
from tracknet_studio.video.provider import FrameProvider, VideoInfo
from tracknet_studio.video.reader import VideoError


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


class Recorder:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.info: VideoInfo | None = None
        self.frames: dict[int, np.ndarray] = {}
        self.errors: list[Exception] = []
        self.progress: list[float] = []
        self.threads: set[str] = set()

    def on_ready(self, info: VideoInfo) -> None:
        self.info = info
        self.threads.add(threading.current_thread().name)
        self.ready.set()

    def on_frame(self, n: int, frame: np.ndarray) -> None:
        self.frames[n] = frame

    def on_error(self, error: Exception) -> None:
        self.errors.append(error)
        self.ready.set()

    def provider(self, path: Path, **kwargs) -> FrameProvider:
        return FrameProvider(
            path,
            on_ready=self.on_ready,
            on_frame=self.on_frame,
            on_error=self.on_error,
            on_progress=self.progress.append,
            **kwargs,
        )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_ready_then_requests_are_answered(make_clip, recorder: Recorder) -> None:
    clip = make_clip("mp4")
    with recorder.provider(clip.path) as provider:
        assert recorder.ready.wait(10)
        info = recorder.info
        assert info is not None and info.frame_count == clip.frame_count
        assert (info.width, info.height, info.codec) == (clip.width, clip.height, "h264")
        assert recorder.progress and recorder.progress[-1] == 1.0
        assert threading.current_thread().name not in recorder.threads
        provider.request(50)
        wait_until(lambda: 50 in recorder.frames)
        assert read_frame_number(recorder.frames[50]) == 50
        again = provider.request(50)
        assert again is not None and read_frame_number(again) == 50
    assert not recorder.errors


def test_request_before_ready_is_served_after_opening(make_clip, recorder: Recorder) -> None:
    with recorder.provider(make_clip("mkv").path) as provider:
        provider.request(7)
        wait_until(lambda: 7 in recorder.frames)
        assert read_frame_number(recorder.frames[7]) == 7


@pytest.mark.parametrize("direction", [1, -1])
def test_prefetch_follows_the_direction_of_play(make_clip, recorder, direction: int) -> None:
    clip = make_clip("mp4")
    start = 36
    with recorder.provider(clip.path) as provider:
        recorder.ready.wait(10)
        provider.set_direction(direction)
        provider.request(start)
        ahead = [start + direction * k for k in range(1, 25)]
        wait_until(lambda: all(provider.cached(n) is not None for n in ahead))
        assert all(read_frame_number(provider.cached(n)) == n for n in ahead)


def test_paused_prefetch_fills_both_sides(make_clip, recorder: Recorder) -> None:
    clip = make_clip("ts")
    with recorder.provider(clip.path) as provider:
        recorder.ready.wait(10)
        provider.set_direction(0)
        provider.request(40)
        around = [40 + k for k in range(-6, 7)]
        wait_until(lambda: all(provider.cached(n) is not None for n in around))
        assert all(read_frame_number(provider.cached(n)) == n for n in around)


def test_latest_request_wins(make_clip, recorder: Recorder) -> None:
    clip = make_clip("webm")
    gate = threading.Event()
    record = recorder.on_frame

    def slow_consumer(n: int, frame: np.ndarray) -> None:
        record(n, frame)
        if n == 5:
            gate.wait(10)  # hold the worker while newer requests pile up

    recorder.on_frame = slow_consumer  # type: ignore[method-assign]
    with recorder.provider(clip.path, cache_mb=0) as provider:
        recorder.ready.wait(10)
        provider.request(5)
        wait_until(lambda: 5 in recorder.frames)
        for n in (60, 20, 66):
            provider.request(n)
        gate.set()
        wait_until(lambda: 66 in recorder.frames)
        time.sleep(0.05)
    assert sorted(recorder.frames) == [5, 66]  # 60 and 20 were superseded, never decoded
    assert read_frame_number(recorder.frames[66]) == 66


def test_close_joins_the_worker(make_clip, recorder: Recorder) -> None:
    provider = recorder.provider(make_clip("mkv").path)
    recorder.ready.wait(10)
    provider.set_direction(1)
    provider.close()
    assert not provider._thread.is_alive()


def test_open_failure_reaches_on_error(tmp_path: Path, recorder: Recorder) -> None:
    path = tmp_path / "broken.mp4"
    path.write_text("not a video")
    provider = recorder.provider(path)
    assert recorder.ready.wait(10)
    provider.close()
    assert len(recorder.errors) == 1 and isinstance(recorder.errors[0], VideoError)
    assert str(path) in str(recorder.errors[0])


def test_request_out_of_range_raises_at_once(make_clip, recorder: Recorder) -> None:
    with recorder.provider(make_clip("mkv").path) as provider:
        recorder.ready.wait(10)
        with pytest.raises(IndexError):
            provider.request(10_000)


def test_answer_to_a_request_overtaken_by_a_cached_frame_is_dropped(
    make_clip, recorder: Recorder, monkeypatch
) -> None:
    slow_frame, started, release = 60, threading.Event(), threading.Event()

    class SlowReader(provider_module.VideoReader):
        def frame(self, n: int, **kwargs) -> np.ndarray:
            if n == slow_frame:
                started.set()
                release.wait(10)
            return super().frame(n, **kwargs)

    monkeypatch.setattr(provider_module, "VideoReader", SlowReader)
    with recorder.provider(make_clip("mp4").path) as provider:
        recorder.ready.wait(10)
        provider.request(10)
        wait_until(lambda: 10 in recorder.frames)
        provider.request(slow_frame)
        assert started.wait(10)  # the worker is busy with frame 60 ...
        assert read_frame_number(provider.request(10)) == 10  # ... when 10 is shown again
        release.set()
        time.sleep(0.1)
    assert slow_frame not in recorder.frames  # its late answer would have replaced 10
