"""A small copy of every frame for scrubbing: a picture at once, the exact frame after.

An exact frame after a seek costs decoding from the keyframe before it: on broadcast files
with keyframes seconds apart, about a hundred milliseconds however the decoder is driven
(only reference frames are decoded, which is the least an exact frame needs). While the
annotator drags the slider that is too slow to follow, so the window shows this proxy's
picture of the same frame first, scaled up, and the exact frame when it is decoded.

The proxy holds every frame, numbered like the reader numbers them (proxy frame n is
frame n), as a JPEG PROXY_WIDTH pixels wide: one file of JPEGs and, once the whole video
is in, the offsets beside it. It is built in the background (frames are read in order, the
cheapest way) into the cache folder, named by the video's fingerprint, and can be read
while it grows. Only videos whose keyframes are far apart get one. Real broadcasts come to
3-4 KiB a frame (about 400 MiB an hour at 30 fps); the proxies least recently opened are
removed once they hold more than CACHE_BYTES together.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from tracknet_studio.core.paths import cache_dir

PROXY_WIDTH = 192
JPEG_QUALITY = 60
CACHE_BYTES = 4 * 2**30
# Keyframes at least this far apart (median, seconds) make seeks slow enough to want one.
MIN_KEYFRAME_GAP_S = 1.0
_FRAMES, _OFFSETS = "frames.jpgs", "offsets.npy"


def wants_proxy(timestamps: np.ndarray, keyframes: np.ndarray) -> bool:
    """Whether seeks in this video are slow: keyframes a second or more apart."""
    if len(keyframes) < 2:
        return len(timestamps) > 1 and timestamps[-1] - timestamps[0] >= MIN_KEYFRAME_GAP_S
    return float(np.median(np.diff(timestamps[keyframes]))) >= MIN_KEYFRAME_GAP_S


def proxy_folder(fingerprint: dict, root: Path | None = None) -> Path:
    """Where the proxy of the video with this fingerprint lives (VideoReader.fingerprint)."""
    key = f"{fingerprint['size']}-{fingerprint['hash']}-{fingerprint['frame_count']}"
    name = hashlib.sha256(key.encode()).hexdigest()[:24]
    return (root or cache_dir() / "proxies") / name


def prune_proxies(root: Path, keep: Path, limit: int = CACHE_BYTES) -> list[Path]:
    """Remove the proxies least recently opened until those under `root` hold `limit`
    bytes at most (`keep`, the one about to grow, stays); returns the folders removed."""
    import shutil

    folders = [f for f in root.iterdir() if f.is_dir()] if root.is_dir() else []
    sizes = {f: sum(p.stat().st_size for p in f.iterdir() if p.is_file()) for f in folders}
    total = sum(sizes.values())
    removed = []
    for folder in sorted(folders, key=lambda f: f.stat().st_mtime):
        if total <= limit:
            break
        if folder != keep:
            shutil.rmtree(folder, ignore_errors=True)
            total -= sizes[folder]
            removed.append(folder)
    return removed


def proxy_size(width: int, height: int) -> tuple[int, int]:
    """(width, height) of the proxy's frames: PROXY_WIDTH wide, the video's aspect."""
    scale = min(1.0, PROXY_WIDTH / max(width, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


class ScrubProxy:
    """The proxy of one video, complete or growing. Frames are read from any thread."""

    def __init__(self, folder: Path, frame_count: int) -> None:
        self.folder, self.frame_count = folder, frame_count
        self._lock = threading.Lock()
        self._offsets: list[int] = [0]
        complete = folder / _OFFSETS
        if complete.exists():
            with contextlib.suppress(OSError, ValueError):
                offsets = np.load(complete, allow_pickle=False)
                if len(offsets) == frame_count + 1:
                    self._offsets = offsets.tolist()
                    os.utime(folder)  # opened: the last to be pruned

    @property
    def available(self) -> int:
        """How many frames, from the first, the proxy holds."""
        return len(self._offsets) - 1

    @property
    def complete(self) -> bool:
        return self.available >= self.frame_count

    def frame(self, n: int) -> np.ndarray | None:
        """Frame n's small RGB picture, or None while the proxy has not reached it."""
        with self._lock:
            if not 0 <= n < self.available:
                return None
            start, end = self._offsets[n], self._offsets[n + 1]
        try:
            with open(self.folder / _FRAMES, "rb") as f:
                f.seek(start)
                data = f.read(end - start)
        except OSError:
            return None
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def build(
        self,
        read_frame: Callable[[int], np.ndarray],
        size: tuple[int, int],
        *,
        stop: threading.Event,
        wait: Callable[[], None] = lambda: None,
    ) -> bool:
        """Append frames from where the proxy stops to the end; True once it is complete.

        `read_frame(n)` gives frame n as RGB (read in order); `wait()` is called before each
        frame (the caller holds the build there while it needs the machine), and `stop`
        ends the build early, keeping what is written for the frames already read."""
        self.folder.mkdir(parents=True, exist_ok=True)
        prune_proxies(self.folder.parent, keep=self.folder)
        start = self.available
        with open(self.folder / _FRAMES, "r+b" if start else "wb") as out:
            out.truncate(self._offsets[-1])
            out.seek(self._offsets[-1])
            for n in range(start, self.frame_count):
                wait()
                if stop.is_set():
                    return False
                small = cv2.resize(read_frame(n), size, interpolation=cv2.INTER_AREA)
                ok, jpeg = cv2.imencode(
                    ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY],
                )  # fmt: skip
                if not ok:
                    raise ValueError(f"frame {n} could not be made into a JPEG")
                out.write(jpeg.tobytes())
                out.flush()  # readers open the file themselves
                with self._lock:
                    self._offsets.append(self._offsets[-1] + len(jpeg))
            out.flush()
            os.fsync(out.fileno())
        # The offsets, written last and renamed into place, mark the proxy complete.
        partial = self.folder / f".{_OFFSETS}.{os.getpid()}.{threading.get_ident()}"
        with open(partial, "wb") as f:
            np.save(f, np.asarray(self._offsets, np.int64))
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, self.folder / _OFFSETS)
        return True
