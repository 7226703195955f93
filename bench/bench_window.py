"""Main window playback benchmark: the whole path, decode -> signal -> paint, at 1080p30.

Plays a 1080p30 H.264 clip in the real MainWindow (offscreen platform) and reports display
frames shown and dropped, and the time spent painting. The baseline, measured in the same
run on the same file, is the engine alone: a loop that asks the FrameProvider for each
frame when it is due, without Qt. The ratio "window shown / engine ready in time" says
what the window's own work (marshalling, painting) costs on top of decoding.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_window.py [--quick] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QSettings
from PySide6.QtWidgets import QApplication

from tracknet_studio.ui.main_window import MainWindow
from tracknet_studio.video.provider import FrameProvider

FPS = 30
WIDTH, HEIGHT = 1920, 1080


def write_clip(path: Path, seconds: float) -> Path:
    """A panning random texture with moving blocks: ordinary work for the codec."""
    if path.exists():
        return path
    rng = np.random.default_rng(1)
    small = rng.integers(0, 256, (HEIGHT // 16 + 1, WIDTH // 8 + 1, 3), dtype=np.uint8)
    background = np.repeat(np.repeat(small, 16, axis=0), 16, axis=1)[:HEIGHT, : 2 * WIDTH]
    tmp = path.with_name(path.stem + ".part.mp4")
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream(
            "libx264", rate=FPS, options={"preset": "veryfast", "x264-params": "keyint=60"}
        )
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for n in range(int(seconds * FPS)):
            offset = (n * 3) % WIDTH
            img = np.ascontiguousarray(background[:, offset : offset + WIDTH])
            x = (n * 11) % (WIDTH - 40)
            img[HEIGHT // 2 : HEIGHT // 2 + 40, x : x + 40] = (250, 220, 40)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        container.mux(stream.encode(None))
    tmp.rename(path)
    return path


def engine_baseline(path: Path, seconds: float) -> tuple[int, int]:
    """(frames ready when due, frames due) asking the provider alone, on the video's clock."""
    ready = threading.Event()
    provider = FrameProvider(
        path,
        on_ready=lambda info: ready.set(),
        on_frame=lambda n, frame: None,
        on_error=lambda exc: print("engine error:", exc),
    )
    try:
        ready.wait(60)
        info = provider.info
        provider.request(0)
        time.sleep(0.5)  # the window also shows frame 0 before play starts
        provider.set_direction(1)
        shown = due = 0
        last = -1
        start = time.perf_counter()
        while (t := time.perf_counter() - start) < seconds:
            n = int(np.searchsorted(info.timestamps, t, side="right")) - 1
            if n != last:
                last = n
                due += 1
                shown += provider.request(n) is not None
            time.sleep(0.002)
    finally:
        provider.close()
    return shown, due


def window_playback(path: Path, seconds: float) -> dict[str, float]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(path.with_suffix(".ini")), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1280, 800)
    window.show()
    paint_ms: list[float] = []
    original_paint = window.view.paintEvent

    def timed_paint(event: object) -> None:
        timer = QElapsedTimer()
        timer.start()
        original_paint(event)
        paint_ms.append(timer.nsecsElapsed() / 1e6)

    window.view.paintEvent = timed_paint  # type: ignore[method-assign]
    shown: list[int] = []
    window.player.frame_shown.connect(shown.append)
    window.files.open_video(path)
    deadline = time.monotonic() + 60
    while not shown and time.monotonic() < deadline:
        app.processEvents()
    time.sleep(0.5)
    app.processEvents()
    shown.clear()
    paint_ms.clear()
    window.player.toggle_play()
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        app.processEvents()
        time.sleep(0.001)
    # Frames 1..clock target were due during play (frame 0 was on screen already).
    due = window.player._clock.target_frame() if window.player._clock else 0
    window.player.toggle_play()
    result = {
        "shown": len(shown),
        "due": due,
        "dropped": window.player.dropped_frames,
        "paint_p50": float(np.percentile(paint_ms, 50)) if paint_ms else 0.0,
        "paint_p95": float(np.percentile(paint_ms, 95)) if paint_ms else 0.0,
    }
    window.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 s instead of 20 s")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tn-bench")
    args = parser.parse_args()
    seconds = 8.0 if args.quick else 20.0
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TRACKNET_STUDIO_CACHE_DIR", str(args.work / "cache"))
    print(f"writing a {WIDTH}x{HEIGHT} {FPS} fps clip of {seconds:g} s (once)…", flush=True)
    clip = write_clip(args.work / f"window-1080p-{seconds:g}s.mp4", seconds)
    engine_shown, engine_due = engine_baseline(clip, seconds - 0.5)
    result = window_playback(clip, seconds - 0.5)
    print(f"engine alone (baseline): {engine_shown}/{engine_due} frames ready when due")
    print(
        f"main window: {result['shown']}/{result['due']} frames shown, "
        f"{result['dropped']} display frames dropped (goal 0)"
    )
    print(
        f"paint per frame: p50 {result['paint_p50']:.1f} ms, p95 {result['paint_p95']:.1f} ms "
        f"(frame interval {1000 / FPS:.1f} ms)"
    )
    baseline = engine_shown / max(engine_due, 1)
    window_rate = result["shown"] / max(result["due"], 1)
    print(f"ratio window / engine (shown share): {window_rate / max(baseline, 1e-9):.2f}x")


if __name__ == "__main__":
    main()
