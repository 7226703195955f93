"""Scrubbing a video whose keyframes are far apart: the proxy's picture of the frame is on
screen at once, the exact frame replaces it when decoded (tracknet_studio/video/proxy.py)."""

from __future__ import annotations

import time

import numpy as np

from tracknet_studio.video.framecode import read_frame_number

from .conftest import shown_number


def test_a_seek_shows_the_proxy_picture_then_the_exact_frame(window, make_clip, qtbot) -> None:
    clip = make_clip("long_gop_mp4", frame_count=150)
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000):
        assert window.files.open_video(clip.path)
    provider = window.player.source._provider
    deadline = time.monotonic() + 60
    while not (provider.proxy and provider.proxy.complete) and time.monotonic() < deadline:
        qtbot.wait(50)
    assert provider.proxy.complete
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000) as shown:
        window.player.slider.setValue(130)  # far from the frames decoded around 0
        assert window.player.previewing == 130
        preview = np.asarray(window.view.current_array())
        assert preview.shape == (clip.height, clip.width, 3)
        assert read_frame_number(preview) == 130  # the picture of the right frame
    assert shown.args == [130]
    assert window.player.previewing is None and shown_number(window) == 130
    assert window.player.displayed_frame == 130


def test_a_video_that_seeks_fast_has_no_preview(open_window, qtbot) -> None:
    with qtbot.waitSignal(open_window.player.frame_shown, timeout=10_000):
        open_window.player.slider.setValue(35)
        assert open_window.player.previewing is None
    assert shown_number(open_window) == 35
