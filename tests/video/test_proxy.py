"""The scrubbing proxy: every frame small, numbered like the reader, built in the
background only for videos whose keyframes are far apart, readable while it grows, kept
in the cache; the provider scales it to the video's size."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np

from tracknet_studio.video import VideoReader
from tracknet_studio.video.provider import FrameProvider
from tracknet_studio.video.proxy import ScrubProxy, proxy_folder, proxy_size, wants_proxy


def test_only_videos_with_keyframes_far_apart_want_one() -> None:
    t = np.arange(300) / 30
    assert wants_proxy(t, np.arange(0, 300, 60))  # 2 s apart
    assert not wants_proxy(t, np.arange(0, 300, 12))  # 0.4 s apart
    assert wants_proxy(t, np.array([0]))  # one keyframe in 10 s
    assert not wants_proxy(t[:10], np.array([0]))


def _read_all(reader: VideoReader):
    return lambda n: reader.frame(n, keep_before=0)


def test_each_proxy_frame_is_its_frame_made_small(make_clip, tmp_path: Path) -> None:
    clip = make_clip("long_gop_mp4", frame_count=90)
    with VideoReader(clip.path) as reader:
        proxy = ScrubProxy(proxy_folder(reader.fingerprint, tmp_path), reader.frame_count)
        size = proxy_size(reader.width, reader.height)
        assert proxy.build(_read_all(reader), size, stop=threading.Event())
        for n in (0, 1, 37, 59, 60, 89):
            small = cv2.resize(reader.frame(n), size, interpolation=cv2.INTER_AREA)
            picture = proxy.frame(n)
            assert picture is not None and picture.shape == small.shape
            error = np.abs(picture.astype(int) - small).mean()
            neighbour = cv2.resize(reader.frame(n ^ 1), size, interpolation=cv2.INTER_AREA)
            assert error < 4 < np.abs(picture.astype(int) - neighbour).mean()
    assert proxy.frame(90) is None and proxy.frame(-1) is None


def test_a_build_stopped_early_keeps_its_frames_and_goes_on_later(
    make_clip, tmp_path: Path
) -> None:
    clip = make_clip("long_gop_mp4", frame_count=90)
    with VideoReader(clip.path) as reader:
        folder = proxy_folder(reader.fingerprint, tmp_path)
        proxy, stop = ScrubProxy(folder, 90), threading.Event()
        size = proxy_size(reader.width, reader.height)

        def read(n: int) -> np.ndarray:
            if n == 30:
                stop.set()  # the window closes while frame 30 is read
            return reader.frame(n, keep_before=0)

        assert not proxy.build(read, size, stop=stop)
        assert proxy.available == 31 and not proxy.complete
        assert proxy.frame(30) is not None and proxy.frame(31) is None
        assert ScrubProxy(folder, 90).available == 0  # not complete: not reused as is
        assert proxy.build(_read_all(reader), size, stop=threading.Event())
        again = ScrubProxy(folder, 90)  # complete: the next opening reads it back
        assert again.complete and np.array_equal(again.frame(50), proxy.frame(50))


def _provider(path: Path, proxy_root: Path) -> FrameProvider:
    ready = threading.Event()
    provider = FrameProvider(path, on_ready=lambda info: ready.set(),
                             on_frame=lambda n, f: None, on_error=lambda e: ready.set(),
                             proxy_root=proxy_root)  # fmt: skip
    assert ready.wait(30)
    return provider


def test_the_provider_builds_it_and_previews_at_the_video_size(make_clip, tmp_path: Path) -> None:
    clip = make_clip("long_gop_mp4", frame_count=90)
    provider = _provider(clip.path, tmp_path)
    try:
        assert provider.proxy is not None
        deadline = time.monotonic() + 60
        while not provider.proxy.complete and time.monotonic() < deadline:
            time.sleep(0.05)
        assert provider.proxy.complete
        preview = provider.preview(45)
        assert preview is not None and preview.shape == (clip.height, clip.width, 3)
    finally:
        provider.close()
    assert provider._proxy_thread is not None and not provider._proxy_thread.is_alive()


def test_videos_that_seek_fast_get_no_proxy(make_clip, tmp_path: Path) -> None:
    provider = _provider(make_clip("mp4").path, tmp_path)
    try:
        assert provider.proxy is None and provider.preview(5) is None
    finally:
        provider.close()
    assert not any(tmp_path.iterdir())


def test_the_build_waits_while_the_video_plays(make_clip, tmp_path: Path) -> None:
    clip = make_clip("long_gop_mp4", frame_count=90)
    ready = threading.Event()
    provider = FrameProvider(clip.path, on_ready=lambda info: ready.set(),
                             on_frame=lambda n, f: None, on_error=lambda e: ready.set(),
                             proxy_root=tmp_path)  # fmt: skip
    try:
        provider.set_direction(1)  # playing from the start: the video opens meanwhile
        assert ready.wait(30) and provider.proxy is not None
        time.sleep(1.0)  # long enough to build it all, were it allowed to
        assert provider.proxy.available < 5
        provider.set_direction(0)
        deadline = time.monotonic() + 60
        while not provider.proxy.complete and time.monotonic() < deadline:
            time.sleep(0.05)
        assert provider.proxy.complete
    finally:
        provider.close()


def test_the_proxies_least_recently_opened_go_past_the_cache_limit(tmp_path: Path) -> None:
    import os

    from tracknet_studio.video.proxy import prune_proxies

    for age, name in enumerate(("newest", "middle", "oldest", "growing")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "frames.jpgs").write_bytes(bytes(1000))
        os.utime(folder, (1e9 - age * 1000, 1e9 - age * 1000))
    removed = prune_proxies(tmp_path, keep=tmp_path / "growing", limit=2500)
    assert removed == [tmp_path / "oldest", tmp_path / "middle"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["growing", "newest"]


def test_a_process_that_exits_while_the_proxy_builds_exits_cleanly(
    make_clip, tmp_path: Path
) -> None:
    """Nobody closed the provider: its build thread was inside FFmpeg or OpenCV when the
    interpreter went down, and the process aborted about every other time."""
    import subprocess
    import sys

    clip = make_clip("long_gop_mp4", frame_count=150, width=640, height=360)
    script = (
        "import sys, threading, time\n"
        "from pathlib import Path\n"
        "from tracknet_studio.video.provider import FrameProvider\n"
        "ready = threading.Event()\n"
        f"p = FrameProvider({str(clip.path)!r}, on_ready=lambda i: ready.set(),\n"
        "                  on_frame=lambda n, f: None, on_error=lambda e: ready.set(),\n"
        f"                  proxy_root=Path({str(tmp_path)!r}) / sys.argv[1])\n"
        "ready.wait(30)\n"
        "while p.proxy.available < 3: time.sleep(0.005)\n"
        "print(p.proxy.available)\n"
    )
    for attempt in range(3):
        done = subprocess.run([sys.executable, "-c", script, str(attempt)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr[-500:]
