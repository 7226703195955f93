"""The built-in demo clip: generated on first use into the user data folder, then reused."""

from __future__ import annotations

from pathlib import Path

from tracknet_studio.core.paths import data_dir

from .clip import ClipSpec, Progress, generate_clip

DEMO_SPEC = ClipSpec(width=1280, height=720, fps=30.0, frames=300, sport="tennis-hard", seed=7)
# Bump when the generator's output changes, so users get the new clip, not a stale one.
DEMO_VERSION = 1


def demo_paths() -> tuple[Path, Path]:
    folder = data_dir() / "demo"
    stem = f"demo-v{DEMO_VERSION}"
    return folder / f"{stem}.mp4", folder / f"{stem}.csv"


def ensure_demo_clip(progress: Progress | None = None) -> tuple[Path, Path]:
    """(video, track CSV) of the demo clip, generating both the first time.

    generate_clip writes the CSV, then moves the finished video into place, so an existing
    video means a complete pair; an interrupted run leaves only temporary files behind.
    """
    video, track = demo_paths()
    if video.is_file() and track.is_file():
        return video, track
    generate_clip(DEMO_SPEC, video, track, progress=progress)
    return video, track
