"""What several commands share: argument types and the text progress bar."""

from __future__ import annotations

import argparse
import sys
import time


def frame_range(text: str) -> tuple[int | None, int | None]:
    """`A:B` (either side may be empty) as (start, stop)."""
    start, sep, stop = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return (int(start) if start else None, int(stop) if stop else None)
    except ValueError:
        message = f"expected A:B (either may be empty), got {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def image_size(text: str) -> tuple[int, int]:
    """`WIDTHxHEIGHT` as (width, height), both positive."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"a size must be positive, got {text!r}")
    return width, height


def even_image_size(text: str) -> tuple[int, int]:
    """`WIDTHxHEIGHT` with even sides, as H.264 in yuv420p needs."""
    width, height = image_size(text)
    if width % 2 or height % 2:
        raise argparse.ArgumentTypeError(f"a size must be positive and even, got {text!r}")
    return width, height


class ProgressBar:
    """A one-line text bar on stderr, redrawn at most ten times a second.

    Call it as `bar(done, total)`: it is the progress callback the library functions take.
    """

    def __init__(self, total: int = 0, enabled: bool = True, width: int = 30, unit: str = "frames"):
        self.total, self.enabled, self.width, self.unit = max(total, 1), enabled, width, unit
        self.started = time.monotonic()
        self._drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        self.total = max(total, 1)
        self.update(done)

    def update(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._drawn < 0.1):
            return
        self._drawn = now
        filled = int(self.width * min(done, self.total) / self.total)
        rate = done / max(now - self.started, 1e-9)
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(f"\r[{bar}] {done}/{self.total} {self.unit} {rate:5.1f}/s")
        sys.stderr.flush()

    def finish(self, done: int) -> None:
        self.update(done, force=True)
        if self.enabled:
            sys.stderr.write("\n")
