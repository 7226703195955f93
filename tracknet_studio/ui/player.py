"""The video on screen: opening it, seeking, playing, stepping, speed, and its readouts.

Frames come from a FrameSource (the video engine on its own thread). The UI thread only
asks for frames and paints the ones that arrive; it never waits for a decode. While playing,
a PlaybackClock says which frame belongs on screen now; frames that arrive too late for
their moment are skipped, and counted in `dropped_frames`.

The player owns its widgets (the frame slider, the time code, the speed box, the status
bar's readouts, the open progress bar); the window only places them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QInputDialog, QLabel, QProgressBar, QSlider

from .frame_source import FrameSource, ProviderFactory
from .playback import SPEEDS, PlaybackClock
from .resources import icon
from .shell import Shell
from .video_view import VideoView

TICK_MS = 4  # the playback clock is sampled this often; frames are shown when due
BIG_STEP = 10
ZOOM_STEP = 1.25


def format_time(seconds: float, *, hours: bool = False) -> str:
    """12.3456 -> "00:12.346"; with hours -> "0:00:12.346"."""
    millis = round(max(seconds, 0.0) * 1000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    if hours:
        h, minutes = divmod(minutes, 60)
        return f"{h}:{minutes:02d}:{secs:02d}.{millis:03d}"
    return f"{minutes:02d}:{secs:02d}.{millis:03d}"


class Player(QObject):
    """Playback, stepping, speed and zoom of the one video on screen (see the module doc)."""

    # Emitted each time a frame is painted (frame number); tests and benches wait on it.
    frame_shown = Signal(int)
    video_opened = Signal(object)  # VideoInfo, once the new video is on screen
    open_failed = Signal(object)  # the path of a video that could not be opened

    def __init__(
        self,
        shell: Shell,
        view: VideoView,
        factory: ProviderFactory,
        actions: dict[str, QAction],
    ) -> None:
        super().__init__(shell)
        self.shell = shell
        self.view = view
        self._factory = factory
        self._actions = actions
        self.source: FrameSource | None = None
        self._pending: FrameSource | None = None
        self._clock: PlaybackClock | None = None
        self.current_frame = 0  # the frame asked for (shown as soon as it is decoded)
        self.displayed_frame: int | None = None  # the frame on screen
        # A frame whose scrubbing proxy picture is on screen while it is decoded (long GOPs).
        self.previewing: int | None = None
        self.dropped_frames = 0  # frames the clock passed that were never shown
        self._last_played = 0
        self.speed = 1.0
        self._build_widgets()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self.view.view_changed.connect(self._show_zoom)

    def _build_widgets(self) -> None:
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("frameSlider")
        # No focus: the arrow keys and Space belong to the transport actions.
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.slider.setEnabled(False)  # until a video is open
        self.time_label = QLabel(format_time(0))
        self.time_label.setObjectName("timeCode")
        self.time_label.setMinimumWidth(90)
        self.speed_combo = QComboBox()
        self.speed_combo.setObjectName("speedCombo")
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_combo.setToolTip("Playback speed ([ slower, ] faster)")
        for speed in SPEEDS:
            self.speed_combo.addItem(f"{speed:g}×", speed)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.currentIndexChanged.connect(self._on_speed_chosen)
        self.frame_label = QLabel()
        self.frame_label.setObjectName("frameLabel")
        self.status_time_label = QLabel()
        self.fps_label = QLabel()
        self.resolution_label = QLabel()
        self.codec_label = QLabel()
        self.zoom_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("openProgress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setFormat("Opening… %p%")
        self.progress_bar.hide()

    def status_widgets(self) -> list[QLabel]:
        """The readouts the window puts at the right of its status bar, in order."""
        return [
            self.frame_label,
            self.status_time_label,
            self.fps_label,
            self.resolution_label,
            self.codec_label,
            self.zoom_label,
        ]

    @property
    def info(self) -> Any:
        """The open video's VideoInfo (None before one is open)."""
        return None if self.source is None else self.source.info

    # ================================================================= opening

    def load(self, path: Path | str) -> bool:
        """Start opening `path`; the current video stays until the new one is ready.

        Returns False when the file could not even be started (the error is shown).
        `video_opened` or `open_failed` follows later otherwise.
        """
        path = Path(path)
        if self._pending is not None:
            self._pending.close()
            self._pending = None
        source = FrameSource(path, self._factory)
        # Always queued, even when a provider calls back on this thread (say from its
        # constructor): a callback must never run inside the call that caused it.
        queued = Qt.ConnectionType.QueuedConnection
        source.ready.connect(self._on_source_ready, queued)
        source.frame_ready.connect(self._on_frame_ready, queued)
        source.failed.connect(self._on_source_failed, queued)
        source.progress.connect(self.show_progress, queued)
        # Pending before it starts: a provider may call back before start() returns.
        self._pending = source
        try:
            source.start()
        except Exception as exc:  # the engine's message, shown without a traceback
            self._pending = None
            self._show_open_error(path, exc)
            return False
        self.start_progress("Opening… %p%")
        self.shell.say(f"Opening {path.name}…", 0)
        return True

    def start_progress(self, text: str) -> None:
        self.progress_bar.setFormat(text)
        self.progress_bar.setValue(0)
        self.progress_bar.show()

    def show_progress(self, fraction: float) -> None:
        self.progress_bar.setValue(round(fraction * 1000))

    def _on_source_ready(self, info: Any) -> None:
        source = self._sender_source()
        if source is None or source is not self._pending:
            return
        self._pending = None
        if self.source is not None:
            self.pause()
            self.source.close()
        self.source = source
        self.shell.video = info
        self._clock = PlaybackClock(np.asarray(info.timestamps))
        self.current_frame = 0
        self.displayed_frame = None
        self.previewing = None
        self.dropped_frames = 0
        self.progress_bar.hide()
        self.shell.window.statusBar().clearMessage()
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(info.frame_count - 1, 0))
        self.slider.setPageStep(max(1, round(info.fps or 10)))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._show_video_info(info)
        self.slider.setEnabled(True)
        self.view.fit_to_window()
        self.seek(0)
        self.video_opened.emit(info)

    def _on_source_failed(self, exc: BaseException) -> None:
        source = self._sender_source()
        if source is None:
            return
        if source is self._pending:
            self._pending = None
            source.close()
            self.shell.window.statusBar().clearMessage()
            self._show_open_error(source.path, exc)
            self.open_failed.emit(source.path)
        elif source is self.source:
            # A decode failure mid-file: stop playing, say so, keep the window usable, and
            # make the position agree with the frame still on screen.
            self.pause()
            if self.displayed_frame is not None:
                self.current_frame = self.displayed_frame
                self._show_position(self.displayed_frame)
            self.shell.show_error("Video error", _message(source.path, exc))

    def _sender_source(self) -> FrameSource | None:
        sender = self.sender()
        return sender if isinstance(sender, FrameSource) else None

    def _show_open_error(self, path: Path, exc: BaseException) -> None:
        self.progress_bar.hide()
        self.shell.show_error("Cannot open video", _message(path, exc))

    def close(self) -> None:
        """Stop and let go of the video (the window closes)."""
        self._timer.stop()
        for source in (self._pending, self.source):
            if source is not None:
                source.close()
        self._pending = self.source = None

    # ================================================================= frames

    def seek(self, n: int) -> None:
        """Go to frame n (clamped) and show it as soon as it is decoded."""
        if self.source is None or self._clock is None:
            return
        n = min(max(int(n), 0), self._clock.last_frame)
        self.current_frame = n
        self._show_position(n)
        frame = self.source.request(n)
        if frame is not None:
            self._display(n, frame)
            return
        preview = self.source.preview(n)
        if preview is not None:  # the proxy's picture of frame n, until the exact one comes
            self.view.set_frame(preview)
            self.previewing = n

    def _on_frame_ready(self, n: int, frame: np.ndarray) -> None:
        if self._sender_source() is not self.source or self.source is None:
            return
        if self.playing:
            # Show a late frame only if it is still newer than what is on screen and not
            # past the clock; otherwise it is skipped (the clock never waits).
            direction = self._clock.direction if self._clock else 1
            shown = self.displayed_frame if self.displayed_frame is not None else -direction
            ahead = (n - shown) * direction
            not_past = (self.current_frame - n) * direction >= 0
            if ahead > 0 and not_past:
                self._display(n, frame)
        elif n == self.current_frame:
            self._display(n, frame)

    def _display(self, n: int, frame: np.ndarray) -> None:
        if self.playing and self._clock is not None:
            # Frames the clock passed between the previous one shown and this one.
            jump = (n - self._last_played) * self._clock.direction
            self.dropped_frames += max(jump - 1, 0)
            self._last_played = n
        self.displayed_frame = n
        self.previewing = None
        self.view.set_frame(frame)
        if self.playing:
            self._show_position(n)
        self.frame_shown.emit(n)

    # ================================================================= playback

    @property
    def playing(self) -> bool:
        return self._clock is not None and self._clock.running

    @property
    def play_direction(self) -> int:
        return 0 if self._clock is None else self._clock.direction

    def toggle_play(self) -> None:
        self._toggle(+1)

    def toggle_play_reverse(self) -> None:
        self._toggle(-1)

    def _toggle(self, direction: int) -> None:
        if self.playing and self.play_direction == direction:
            self.pause()
        else:
            self.play(direction)

    def play(self, direction: int = 1) -> None:
        if self.source is None or self._clock is None:
            return
        self.pause()  # switching direction starts again from the frame on screen
        # Paused, the frame asked for is where the user is (even if still decoding).
        start = self.current_frame
        at_edge = start == (self._clock.last_frame if direction > 0 else 0)
        if at_edge:  # playing from the end starts again from the other end
            start = 0 if direction > 0 else self._clock.last_frame
            self.seek(start)
        self._clock.start(start, direction, self.speed)
        # The start frame counts as shown if it is on screen; else it still has to be.
        self._last_played = start if self.displayed_frame == start else start - direction
        self.source.set_direction(direction)
        self._timer.start()
        self._update_play_icon()

    def pause(self) -> None:
        if self._clock is None or not self._clock.running:
            return
        self._clock.stop()
        self._timer.stop()
        if self.source is not None:
            self.source.set_direction(0)
        # Stay on what the user sees, not on a frame the clock asked for but never showed.
        if self.displayed_frame is not None and self.displayed_frame != self.current_frame:
            self.seek(self.displayed_frame)
        self._update_play_icon()

    def _tick(self) -> None:
        if self._clock is None or self.source is None:
            self._timer.stop()
            return
        at_end = self._clock.at_end()
        target = self._clock.target_frame()
        if target != self.current_frame:
            self.current_frame = target
            frame = self.source.request(target)
            if frame is not None:
                self._display(target, frame)
            else:
                self._display_newest_cached(target)
        if at_end and self.displayed_frame == target:
            self.pause()

    def _display_newest_cached(self, target: int) -> None:
        """While the target decodes, show the newest decoded frame between screen and clock."""
        if self.displayed_frame is None or self._clock is None:
            return
        direction = self._clock.direction
        for n in range(target - direction, self.displayed_frame, -direction):
            frame = self.source.cached(n) if self.source is not None else None
            if frame is not None:
                self._display(n, frame)
                return

    def go_to(self, n: int) -> None:
        """Pause and show frame n (a click in a dock, the review queue, a plot)."""
        if n != self.current_frame:
            self.pause()
            self.seek(n)

    # ================================================================= stepping

    def _step(self, delta: int) -> None:
        if self.source is None:
            return
        self.pause()
        self.source.set_direction(1 if delta > 0 else -1)
        self.seek(self.current_frame + delta)

    def step_forward(self) -> None:
        self._step(1)

    def step_backward(self) -> None:
        self._step(-1)

    def step_forward_10(self) -> None:
        self._step(BIG_STEP)

    def step_backward_10(self) -> None:
        self._step(-BIG_STEP)

    def go_first(self) -> None:
        self.pause()
        self.seek(0)

    def go_last(self) -> None:
        if self._clock is not None:
            self.pause()
            self.seek(self._clock.last_frame)

    def go_to_frame_dialog(self) -> None:
        if self._clock is None:
            return
        self.pause()
        last = self._clock.last_frame
        n, ok = QInputDialog.getInt(
            self.shell.window,
            "Go to Frame",
            f"Frame number (0–{last}):",
            self.current_frame,
            0,
            last,
        )
        if ok:
            self.seek(n)

    def _on_slider_moved(self, value: int) -> None:
        if self.source is not None and value != self.current_frame:
            self.pause()
            self.seek(value)

    # ================================================================= speed

    def set_speed(self, speed: float) -> None:
        self.speed = min(max(float(speed), SPEEDS[0]), SPEEDS[-1])
        if self._clock is not None:
            self._clock.set_speed(self.speed)
        nearest = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        self.speed_combo.blockSignals(True)
        self.speed_combo.setCurrentIndex(nearest)
        self.speed_combo.blockSignals(False)
        self.shell.say(f"Speed {self.speed:g}×", 1500)

    def _on_speed_chosen(self, index: int) -> None:
        self.set_speed(SPEEDS[index])

    def speed_up(self) -> None:
        faster = [s for s in SPEEDS if s > self.speed + 1e-9]
        if faster:
            self.set_speed(faster[0])

    def speed_down(self) -> None:
        slower = [s for s in SPEEDS if s < self.speed - 1e-9]
        if slower:
            self.set_speed(slower[-1])

    def speed_reset(self) -> None:
        self.set_speed(1.0)

    # ================================================================= zoom

    def fit_to_window(self) -> None:
        self.view.fit_to_window()

    def zoom_actual_size(self) -> None:
        self.view.zoom_actual_size()

    def zoom_in(self) -> None:
        self.view.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.view.zoom_by(1 / ZOOM_STEP)

    # ================================================================= readouts

    def _show_video_info(self, info: Any) -> None:
        fps = f"{info.fps:.3g} fps" + (" (VFR)" if info.is_vfr else "")
        self.fps_label.setText(fps)
        self.resolution_label.setText(f"{info.width}×{info.height}")
        self.codec_label.setText(str(info.codec))

    def _show_position(self, n: int) -> None:
        if self._clock is None:
            return
        last = self._clock.last_frame
        hours = float(self._clock.timestamps[-1]) >= 3600
        t = format_time(float(self._clock.timestamps[n]), hours=hours)
        total = format_time(float(self._clock.timestamps[-1]), hours=hours)
        self.frame_label.setText(f"Frame {n} / {last}")
        self.status_time_label.setText(f"{t} / {total}")
        self.time_label.setText(t)
        if self.slider.value() != n:
            self.slider.blockSignals(True)
            self.slider.setValue(n)
            self.slider.blockSignals(False)

    def _show_zoom(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * 100:.0f}%")

    def _update_play_icon(self) -> None:
        forward = self.playing and self.play_direction > 0
        backward = self.playing and self.play_direction < 0
        self._actions["play.toggle"].setIcon(icon("pause" if forward else "play"))
        self._actions["play.reverse"].setIcon(icon("pause" if backward else "play-reverse"))


def _message(path: Path, exc: BaseException) -> str:
    """The engine's message if it names the file already, else file + problem."""
    text = str(exc) or type(exc).__name__
    return text if str(path) in text or path.name in text else f"{path}: {text}"
