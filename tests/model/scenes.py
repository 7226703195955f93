"""Synthetic broadcast-like scenes for the auto-track: a court, a ball on a lob, the
distractors real footage has (a score box whose digit changes, a walking player with a
swinging arm), cuts, pans, compression-like noise. Shared by the model and window tests."""

from __future__ import annotations

import math
from pathlib import Path

import av
import cv2
import numpy as np

SIZE = (640, 360)
OVERLAY = (20, 20, 150, 60)  # left, top, right, bottom of the score box


def background(seed: int, shift: float = 0.0) -> np.ndarray:
    """A court-like picture: a gradient with texture and lines; `shift` pans it."""
    rng = np.random.default_rng(seed)
    width, height = SIZE[0] + 200, SIZE[1]
    base = np.zeros((height, width, 3), np.uint8)
    base[:] = rng.integers(30, 160, 3)  # each seed its own court (or a close-up elsewhere)
    base = cv2.add(base, rng.integers(0, 30, base.shape, np.uint8))
    spacing = int(rng.integers(60, 120))
    for x in range(0, width, spacing):
        cv2.line(base, (x, 0), (x + 40, height), (230, 230, 230), 2)
    left = round(100 + shift)
    return base[:, left : left + SIZE[0]].copy()


def ball_at(t: int, start: int = 0) -> tuple[float, float]:
    """A lob across the court: x steady, y a parabola (gravity), in video pixels."""
    s = t - start
    return 60.0 + 13.0 * s, 250.0 - 12.0 * s + 0.3 * s * s


def scene_frame(
    t: int,
    ball: tuple[float, float] | None,
    seed: int = 0,
    pan: float = 0.0,
    player: bool = True,
    noise: np.random.Generator | None = None,
) -> np.ndarray:
    frame = background(seed, pan * t)
    if player:  # a player: a big dark shape that walks and swings an arm
        px = int(300 + 3 * t)
        cv2.rectangle(frame, (px, 200), (px + 40, 330), (30, 30, 60), -1)
        arm = (px + 40 + int(25 * math.cos(t)), 230 + int(25 * math.sin(t)))
        cv2.line(frame, (px + 40, 230), arm, (200, 180, 160), 5)
    # The score box: static, but its digit changes at frame 20 (a point won).
    cv2.rectangle(frame, OVERLAY[:2], OVERLAY[2:], (250, 250, 250), -1)
    cv2.putText(frame, "15" if t < 20 else "30", (40, 52), 0, 1.0, (0, 0, 0), 2)
    if ball is not None:
        cv2.circle(frame, (round(ball[0] * 4), round(ball[1] * 4)), 12,
                   (235, 240, 80), -1, cv2.LINE_AA, shift=2)  # fmt: skip
    if noise is not None:  # compression-like noise
        frame = cv2.add(frame, noise.integers(0, 6, frame.shape, np.uint8))
    return frame


def write_clip(path: Path, frames: list[np.ndarray], fps: int = 30) -> Path:
    """Encode RGB frames as H.264 (near-lossless, so the picture is what the test drew)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


def cut_clip_frames(frames: int = 40, cut: int = 20) -> tuple[list[np.ndarray], dict]:
    """A lob, a cut to another court at `cut`, another lob; returns frames and the truth."""
    noise = np.random.default_rng(3)
    truth = {t: ball_at(t) for t in range(cut)} | {t: ball_at(t, cut) for t in range(cut, frames)}
    pictures = [scene_frame(t, truth[t], seed=0 if t < cut else 3, noise=noise)
                for t in range(frames)]  # fmt: skip
    return pictures, truth
