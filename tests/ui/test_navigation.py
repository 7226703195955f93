"""Drive the window with the keyboard and check the exact frame on screen by its pixels."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from .conftest import UI_CLIP_FRAMES, shown_number, wait_for_frame

pytestmark = pytest.mark.ui
LAST = UI_CLIP_FRAMES - 1


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.view, key, modifier)


def test_open_shows_first_frame_and_video_facts(open_window, ui_clip):
    window = open_window
    assert shown_number(window) == 0
    assert window.windowTitle() == f"TrackNet Studio — {ui_clip.path.name}"
    assert window.player.frame_label.text() == f"Frame 0 / {LAST}"
    assert window.player.resolution_label.text() == f"{ui_clip.width}×{ui_clip.height}"
    assert "30" in window.player.fps_label.text()
    assert "264" in window.player.codec_label.text().lower()
    assert window.player.slider.maximum() == LAST


def test_arrow_keys_step_exactly(open_window, qtbot):
    window = open_window
    press(qtbot, window, Qt.Key.Key_Right)
    wait_for_frame(qtbot, window, 1)
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    wait_for_frame(qtbot, window, 11)
    press(qtbot, window, Qt.Key.Key_Left)
    wait_for_frame(qtbot, window, 10)
    press(qtbot, window, Qt.Key.Key_Period)
    press(qtbot, window, Qt.Key.Key_Period)
    wait_for_frame(qtbot, window, 12)
    press(qtbot, window, Qt.Key.Key_Comma)
    wait_for_frame(qtbot, window, 11)
    press(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    wait_for_frame(qtbot, window, 1)
    # Clamped at the ends instead of wrapping or failing.
    press(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    wait_for_frame(qtbot, window, 0)
    assert window.player.slider.value() == 0


def test_home_end_and_backward_steps_from_the_end(open_window, qtbot):
    window = open_window
    press(qtbot, window, Qt.Key.Key_End)
    wait_for_frame(qtbot, window, LAST)
    assert window.player.frame_label.text() == f"Frame {LAST} / {LAST}"
    press(qtbot, window, Qt.Key.Key_Right)  # stays on the last frame
    wait_for_frame(qtbot, window, LAST)
    for expected in range(LAST - 1, LAST - 6, -1):
        press(qtbot, window, Qt.Key.Key_Left)
        wait_for_frame(qtbot, window, expected)
    press(qtbot, window, Qt.Key.Key_Home)
    wait_for_frame(qtbot, window, 0)


def test_go_to_frame_dialog(open_window, qtbot, monkeypatch):
    window = open_window
    asked = []

    def get_int(parent, title, label, value, minimum, maximum, *args):
        asked.append((value, minimum, maximum))
        return 23, True

    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(get_int))
    press(qtbot, window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    wait_for_frame(qtbot, window, 23)
    assert asked == [(0, 0, LAST)]
    assert window.player.time_label.text() == "00:00.767"  # 23 / 30 s


def test_slider_seeks(open_window, qtbot):
    window = open_window
    window.player.slider.setValue(17)
    wait_for_frame(qtbot, window, 17)


def test_play_advances_and_pause_stops(open_window, qtbot):
    window = open_window
    press(qtbot, window, Qt.Key.Key_Space)
    assert window.player.playing and window.player.play_direction == 1
    qtbot.waitUntil(lambda: (window.player.displayed_frame or 0) >= 6, timeout=3000)
    press(qtbot, window, Qt.Key.Key_Space)
    assert not window.player.playing
    stopped_at = window.player.displayed_frame
    qtbot.wait(200)
    assert window.player.displayed_frame == stopped_at
    assert window.player.current_frame == stopped_at
    assert shown_number(window) == stopped_at


def test_play_runs_to_the_end_and_stops(open_window, qtbot):
    window = open_window
    window.player.set_speed(4.0)
    window.player.seek(LAST - 8)
    wait_for_frame(qtbot, window, LAST - 8)
    window.player.toggle_play()
    qtbot.waitUntil(lambda: not window.player.playing, timeout=3000)
    wait_for_frame(qtbot, window, LAST)


def test_reverse_play_goes_backward(open_window, qtbot):
    window = open_window
    window.player.seek(30)
    wait_for_frame(qtbot, window, 30)
    shown = []
    window.player.frame_shown.connect(shown.append)
    press(qtbot, window, Qt.Key.Key_J)
    assert window.player.play_direction == -1
    qtbot.waitUntil(lambda: (window.player.displayed_frame or 99) <= 24, timeout=3000)
    press(qtbot, window, Qt.Key.Key_J)  # the same key pauses
    assert not window.player.playing
    assert shown == sorted(shown, reverse=True) and len(shown) >= 2
    assert shown_number(window) == window.player.displayed_frame


def test_speed_keys_and_combo(open_window, qtbot):
    window = open_window
    press(qtbot, window, Qt.Key.Key_BracketRight)
    assert window.player.speed == 1.5
    assert window.player.speed_combo.currentData() == 1.5
    for _ in range(12):
        press(qtbot, window, Qt.Key.Key_BracketLeft)
    assert window.player.speed == 0.1
    window.player.speed_combo.setCurrentIndex(window.player.speed_combo.count() - 1)
    assert window.player.speed == 4.0
    press(qtbot, window, Qt.Key.Key_Backslash)
    assert window.player.speed == 1.0


def test_stepping_pauses_playback(open_window, qtbot):
    window = open_window
    window.player.toggle_play()
    qtbot.waitUntil(lambda: (window.player.displayed_frame or 0) >= 3, timeout=3000)
    press(qtbot, window, Qt.Key.Key_Right)
    assert not window.player.playing
    target = window.player.current_frame
    wait_for_frame(qtbot, window, target)


@pytest.mark.parametrize("kind", ["mkv", "ts", "webm", "vfr_mp4"])
def test_every_container_steps_exactly_in_the_window(window, qtbot, make_clip, kind):
    clip = make_clip(kind)  # the video tests' clips, shared within the session
    window.files.open_video(clip.path)
    qtbot.waitUntil(lambda: window.player.source is not None, timeout=10_000)
    wait_for_frame(qtbot, window, 0)
    last = clip.frame_count - 1
    for key, expected in [
        (Qt.Key.Key_End, last),
        (Qt.Key.Key_Left, last - 1),
        (Qt.Key.Key_Home, 0),
        (Qt.Key.Key_Right, 1),
    ]:
        press(qtbot, window, key)
        wait_for_frame(qtbot, window, expected)
    assert ("VFR" in window.player.fps_label.text()) == (kind == "vfr_mp4")
    seconds = clip.timestamps[1]
    assert window.player.time_label.text() == f"00:00.{round(seconds * 1000):03d}"


def test_switching_direction_while_playing(open_window, qtbot):
    window = open_window
    window.player.seek(15)
    wait_for_frame(qtbot, window, 15)
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: (window.player.displayed_frame or 0) >= 18, timeout=3000)
    press(qtbot, window, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    assert window.player.playing and window.player.play_direction == -1
    turned_at = window.player.displayed_frame
    qtbot.waitUntil(lambda: window.player.displayed_frame <= turned_at - 3, timeout=3000)
    press(qtbot, window, Qt.Key.Key_Space)  # Space while reversing plays forward again
    assert window.player.play_direction == 1
    press(qtbot, window, Qt.Key.Key_Space)
    assert not window.player.playing
