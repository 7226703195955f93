"""Video engine benchmark: throughput, stepping and seek latency, playback, memory.

Figures are measured against a baseline measured in the same run (raw PyAV):

1. sequential decode to RGB arrays, VideoReader vs raw PyAV (thread_type AUTO) on the
   same file (goal: >= 0.9x);
2. next/previous frame latency at 1080p through the FrameProvider while an annotator
   steps forward then back (goal: p95 < 20 ms);
3. random seek latency on 720p H.264 with 6 s between keyframes (goal: p95 < 250 ms),
   beside raw PyAV seeking to the same frames and the floor for an exact frame (raw PyAV
   decoding only reference frames: goal within 1.1x of it), and the scrubbing proxy's
   picture of the frame, shown while the exact one is decoded (goal: <= 0.5x raw PyAV);
4. 1080p30 playback for 20 s through the provider on the clock: display frames that
   were not ready in time (goal: none); also reverse play and 4x;
5. peak memory (max RSS).

Clips are generated once into --work (H.264, textured panning background with moving
blobs, 30 fps); the real 1080p VP9 pickleball clip from ../shared/data is added to the
playback figures when present.

    .venv/bin/python bench/bench_video.py [--quick] [--work DIR]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np

from tracknet_studio.video.provider import FrameProvider
from tracknet_studio.video.proxy import ScrubProxy, proxy_folder, proxy_size
from tracknet_studio.video.reader import VideoReader

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRACKNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
FPS = 30


# ------------------------------------------------------------------ clips
def texture(height: int, width: int, seed: int) -> np.ndarray:
    """A smooth random texture twice as wide as the frame, to pan across."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 16 + 1, width // 8 + 1, 3), dtype=np.uint8)
    big = np.repeat(np.repeat(small, 16, axis=0), 16, axis=1)[:height, : 2 * width]
    return big


def write_clip(path: Path, width: int, height: int, seconds: float, keyint: int) -> Path:
    if path.exists():
        return path
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    background = texture(height, width, seed=width)
    params = f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes=2"
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream(
            "libx264", rate=FPS, options={"preset": "veryfast", "crf": "23", "x264-params": params}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for n in range(int(seconds * FPS)):
            offset = (n * 3) % width
            img = np.ascontiguousarray(background[:, offset : offset + width])
            for k in range(4):  # "players" and a "ball" moving across
                x = (n * (5 + 3 * k) + k * width // 4) % (width - 40)
                y = height // 3 + k * height // 8
                img[y : y + 40, x : x + 20] = (230, 40 * k, 60)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    tmp.rename(path)
    return path


# ------------------------------------------------------------ measurements
MISSED: list[str] = []  # the goals not reached in this run: the bench then exits 1


def goal(reached: bool, what: str) -> None:
    if not reached:
        MISSED.append(what)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def raw_pyav_sequential(path: Path) -> tuple[int, float]:
    start = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        count = sum(1 for f in container.decode(stream) if f.to_ndarray(format="rgb24") is not None)
    return count, time.perf_counter() - start


def reader_sequential(path: Path, index_dir: Path) -> tuple[int, float, float]:
    """(frames, seconds for frame(0..n-1), seconds to open incl. the index build)."""
    start = time.perf_counter()
    with VideoReader(path, cache_mb=256, index_cache_dir=index_dir) as reader:
        opened = time.perf_counter()
        for n in range(reader.frame_count):
            reader.frame(n)
        return reader.frame_count, time.perf_counter() - opened, opened - start


def bench_sequential(path: Path, index_dir: Path, label: str, rounds: int) -> None:
    # Interleaved rounds, best of each: neither side profits alone from a warm page cache
    # or a quiet moment on a shared machine.
    raw_times, our_times, counts = [], [], set()
    open_s = 0.0
    for _ in range(rounds):
        raw_count, raw_s = raw_pyav_sequential(path)
        count, ours_s, opened = reader_sequential(path, index_dir)
        open_s = open_s or opened  # the first open builds the index
        raw_times.append(raw_s)
        our_times.append(ours_s)
        counts |= {raw_count, count}
    assert len(counts) == 1, f"frame counts differ: {counts}"
    count = counts.pop()
    raw_s, ours_s = min(raw_times), min(our_times)
    print(
        f"  {label}: raw PyAV {count / raw_s:6.1f} fps | VideoReader {count / ours_s:6.1f} fps"
        f" | ratio {raw_s / ours_s:.2f}x (goal >= 0.9) | first open incl. index build"
        f" {open_s * 1000:.0f} ms"
    )
    goal(raw_s / ours_s >= 0.9, f"sequential {label} under 0.9x raw PyAV")


def raw_pyav_seek(
    path: Path, targets: list[int], pts: np.ndarray, keys: np.ndarray, skip_nonref: bool = False
) -> list[float]:
    """Seek to the keyframe before each target and decode to it: the floor to compare with.

    With `skip_nonref`, frames shown before the target that no other frame refers to are
    not decoded (FFmpeg's skip_frame NONREF): the least decoding an exact frame needs."""
    times = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        codec = stream.codec_context
        for n in targets:
            start = time.perf_counter()
            key = int(keys[np.searchsorted(keys, n, side="right") - 1])
            container.seek(int(pts[key]), stream=stream, backward=True)
            found = False
            for packet in container.demux(stream):
                before = skip_nonref and packet.pts is not None and packet.pts < pts[n]
                codec.skip_frame = "NONREF" if before else "DEFAULT"
                for frame in codec.decode(packet):
                    if frame.pts == pts[n]:
                        frame.to_ndarray(format="rgb24")
                        found = True
                if found:
                    break
            times.append(time.perf_counter() - start)
        codec.skip_frame = "DEFAULT"
    return times


def bench_random_seek(path: Path, index_dir: Path, samples: int) -> None:
    rng = np.random.default_rng(11)
    with VideoReader(path, index_cache_dir=index_dir) as reader:
        targets = rng.integers(0, reader.frame_count, samples).tolist()
        pts, keys = reader._index.pts, reader.keyframes
        gap = float(np.median(np.diff(reader.timestamps[keys]))) if len(keys) > 1 else 0.0
        times = []
        for n in targets:
            reader.forget_frames()  # a seek, not a cache hit
            start = time.perf_counter()
            reader.frame(n)
            times.append(time.perf_counter() - start)
        previews = scrub_previews(reader, targets, index_dir / "proxies")
    raw = raw_pyav_seek(path, targets, pts, keys)
    floor = raw_pyav_seek(path, targets, pts, keys, skip_nonref=True)
    ours_p95, raw_p95, floor_p95 = (percentile(t, 95) for t in (times, raw, floor))
    preview_p95 = percentile(previews, 95)
    print(
        f"  random seek, {reader.width}x{reader.height}, keyframes every {gap:.1f} s, "
        f"{samples} seeks: VideoReader p50 {percentile(times, 50) * 1000:.0f} ms, "
        f"p95 {ours_p95 * 1000:.0f} ms (goal < 250) | raw PyAV p50 "
        f"{percentile(raw, 50) * 1000:.0f} ms, p95 {raw_p95 * 1000:.0f} ms | "
        f"p95 ratio {ours_p95 / raw_p95:.2f}x\n"
        f"  the floor for an exact frame, raw PyAV decoding only the reference frames before "
        f"the target: p95 {floor_p95 * 1000:.0f} ms, {floor_p95 / raw_p95:.2f}x raw; "
        f"VideoReader is {ours_p95 / floor_p95:.2f}x that floor (goal <= 1.1)\n"
        f"  first picture while scrubbing (the proxy's, at the video's size): p95 "
        f"{preview_p95 * 1000:.1f} ms, {preview_p95 / raw_p95:.3f}x raw PyAV's exact seek "
        f"(goal <= 0.5)"
    )
    goal(ours_p95 < 0.25, "random seek p95 over 250 ms")
    goal(ours_p95 / floor_p95 <= 1.1, "random seek p95 over 1.1x the exact floor")
    goal(preview_p95 / raw_p95 <= 0.5, "scrubbing picture p95 over 0.5x raw PyAV's seek")


def scrub_previews(reader: VideoReader, targets: list[int], root: Path) -> list[float]:
    """Seconds to the proxy's picture of each target, the proxy built first (timed)."""
    proxy = ScrubProxy(proxy_folder(reader.fingerprint, root), reader.frame_count)
    size = proxy_size(reader.width, reader.height)
    start = time.perf_counter()
    proxy.build(lambda n: reader.frame(n, keep_before=0), size, stop=threading.Event())
    built = time.perf_counter() - start
    print(f"  scrubbing proxy built in {built:.1f} s ({reader.frame_count / built:.0f} frames/s,"
          f" {proxy_bytes(proxy) / reader.frame_count / 1024:.1f} KiB a frame)")  # fmt: skip
    times = []
    for n in targets:
        start = time.perf_counter()
        small = proxy.frame(n)
        assert small is not None
        cv2.resize(small, (reader.width, reader.height), interpolation=cv2.INTER_LINEAR)
        times.append(time.perf_counter() - start)
    return times


def proxy_bytes(proxy: ScrubProxy) -> int:
    return sum(f.stat().st_size for f in proxy.folder.iterdir())


class ProviderClient:
    """Drives a FrameProvider as the UI does and waits for frames like a display would."""

    def __init__(self, path: Path, cache_mb: int = 512) -> None:
        self.ready = threading.Event()
        self.arrived = threading.Condition()
        self.frames: set[int] = set()
        self.errors: list[Exception] = []
        self.provider = FrameProvider(
            path,
            cache_mb=cache_mb,
            on_ready=lambda info: self.ready.set(),
            on_frame=self._on_frame,
            on_error=self._on_error,
        )
        if not self.ready.wait(60) or self.errors:
            raise RuntimeError(f"provider failed: {self.errors}")
        self.info = self.provider.info
        assert self.info is not None

    def _on_frame(self, n: int, frame: np.ndarray) -> None:
        with self.arrived:
            self.frames.add(n)
            self.arrived.notify_all()

    def _on_error(self, error: Exception) -> None:
        self.errors.append(error)
        self.ready.set()

    def fetch(self, n: int) -> float:
        """Seconds until frame n is in hand."""
        start = time.perf_counter()
        with self.arrived:
            self.frames.discard(n)
        if self.provider.request(n) is None:
            with self.arrived:
                self.arrived.wait_for(lambda: n in self.frames, timeout=10)
        return time.perf_counter() - start

    def close(self) -> None:
        self.provider.close()


def bench_uncached_back_steps(path: Path, index_dir: Path, steps: int) -> None:
    """The baseline for stepping: previous frame straight from the reader, no cache."""
    with VideoReader(path, cache_mb=0, index_cache_dir=index_dir) as reader:
        position = reader.frame_count // 2
        reader.frame(position)
        times = []
        for _ in range(steps):
            position -= 1
            start = time.perf_counter()
            reader.frame(position)
            times.append(time.perf_counter() - start)
    print(
        f"  baseline without cache or prefetch, previous frame: p50 "
        f"{percentile(times, 50) * 1000:.0f} ms, p95 {percentile(times, 95) * 1000:.0f} ms"
    )


def bench_stepping(path: Path, steps: int, think_s: float) -> None:
    client = ProviderClient(path)
    try:
        count = client.info.frame_count
        position = count // 3
        client.provider.set_direction(0)
        client.fetch(position)
        forward, backward = [], []
        for _ in range(steps):
            time.sleep(think_s)  # the annotator looks at the frame, then presses Right
            position = min(position + 1, count - 1)
            forward.append(client.fetch(position))
        for _ in range(2 * steps):
            time.sleep(think_s)  # ... and Left, back past where the stepping began
            position = max(position - 1, 0)
            backward.append(client.fetch(position))
    finally:
        client.close()
    both = forward + backward
    print(
        f"  stepping {client.info.width}x{client.info.height}, {think_s * 1000:.0f} ms between "
        f"keys: next p50 {percentile(forward, 50) * 1000:.1f} / p95 "
        f"{percentile(forward, 95) * 1000:.1f} ms | previous p50 "
        f"{percentile(backward, 50) * 1000:.1f} / p95 {percentile(backward, 95) * 1000:.1f} ms"
        f" | all p95 {percentile(both, 95) * 1000:.1f} ms (goal < 20)"
    )
    goal(percentile(both, 95) < 0.02, f"stepping p95 over 20 ms ({think_s * 1000:.0f} ms keys)")


def bench_playback(path: Path, seconds: float, label: str, speed: float = 1.0) -> None:
    """A 60 Hz display shows the frame due on the video's clock; count frames not ready.

    A negative speed plays backward from the last frame.
    """
    client = ProviderClient(path)
    try:
        info = client.info
        span = min(seconds, info.duration)
        # Frame n is on screen from its timestamp to the next one's: backward, the clock
        # starts at the end of the last frame's interval (at its start, the frame due
        # would already be the one before it, asked for before any prefetch could run).
        end = float(info.timestamps[-1]) + (1 / info.fps if info.fps else 0.0) - 1e-6
        origin = 0.0 if speed > 0 else end
        first = 0 if speed > 0 else info.frame_count - 1
        client.fetch(first)
        client.provider.set_direction(1 if speed > 0 else -1)
        shown = dropped = 0
        late: list[float] = []
        drop_times: list[float] = []
        start = time.perf_counter()
        last = -1
        tick = 0
        while (elapsed := time.perf_counter() - start) * abs(speed) < span:
            n = int(np.searchsorted(info.timestamps, origin + elapsed * speed + 1e-9, "right"))
            n = min(max(n - 1, 0), info.frame_count - 1)
            if n != last:
                last = n
                if client.provider.request(n) is None:
                    dropped += 1
                    drop_times.append(elapsed)
                    late.append(client.fetch(n))  # how late it would have been
                else:
                    shown += 1
            tick += 1
            time.sleep(max(0.0, tick / 60 - (time.perf_counter() - start)))
    finally:
        client.close()
    extra = (
        f", worst wait {max(late) * 1000:.0f} ms, at "
        + ", ".join(f"{t:.2f}" for t in drop_times[:6])
        + " s"
        if late
        else ""
    )
    # Above 1x a 60 Hz display needs only some frames; the window skips the late ones.
    wanted = " (goal 0)" if abs(speed) <= 1 else " (informative: the window skips these)"
    print(
        f"  playback {label} {info.width}x{info.height} at {speed:g}x for {span:.0f} s of "
        f"video: {shown} shown, {dropped} not ready in time{wanted}{extra}"
    )
    goal(abs(speed) > 1 or dropped == 0, f"playback {label} at {speed:g}x dropped frames")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(title: str, action: Callable[[], None]) -> None:
    start = time.perf_counter()
    action()
    gc.collect()  # so one stage's garbage does not inflate the next stage's peak
    print(
        f"    ({title}: {time.perf_counter() - start:.1f} s, RSS now {current_rss_mb():.0f} MB,"
        f" peak so far {peak_rss_mb():.0f} MB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter clips, fewer samples")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tracknet-bench-video",
        help="folder for the generated clips (kept between runs)",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    quick = args.quick
    print(f"cpus: {os.cpu_count()}, PyAV {av.__version__}, FFmpeg {av.ffmpeg_version_info}")

    start = time.perf_counter()
    clip720 = write_clip(
        args.work / f"h264-720p-gop6s-{20 if quick else 40}s.mp4",
        1280,
        720,
        20 if quick else 40,
        keyint=6 * FPS,
    )
    clip1080 = write_clip(
        args.work / f"h264-1080p-gop2s-{8 if quick else 20}s.mp4",
        1920,
        1080,
        8 if quick else 20,
        keyint=2 * FPS,
    )
    print(f"clips ready in {time.perf_counter() - start:.1f} s (cached in {args.work})")

    with tempfile.TemporaryDirectory() as index_dir:
        index = Path(index_dir)
        print("1. sequential decode to RGB")
        rounds = 2 if quick else 3
        timed("sequential", lambda: bench_sequential(clip720, index, "720p H.264", rounds))
        timed("sequential", lambda: bench_sequential(clip1080, index, "1080p H.264", rounds))
        print("2. frame stepping through the provider (paused, prefetch around)")
        timed("stepping", lambda: bench_stepping(clip1080, 15 if quick else 40, 0.1))
        timed("stepping", lambda: bench_uncached_back_steps(clip1080, index, 10 if quick else 20))
        # A held arrow key repeats about 30 times a second.
        timed("stepping", lambda: bench_stepping(clip1080, 30 if quick else 60, 0.033))
        print("3. random seek")
        timed("seek", lambda: bench_random_seek(clip720, index, 15 if quick else 40))
        print("4. playback on the clock through the provider")
        timed("playback", lambda: bench_playback(clip1080, 8 if quick else 20, "H.264"))
        timed("playback", lambda: bench_playback(clip1080, 4 if quick else 8, "H.264", -1.0))
        timed("playback", lambda: bench_playback(clip1080, 8 if quick else 20, "H.264", 4.0))
        pickleball = sorted((SHARED / "pickleball").glob("*.mp4"))
        if pickleball:
            timed(
                "playback",
                lambda: bench_playback(pickleball[0], 8 if quick else 20, "real VP9 (pickleball)"),
            )
        else:
            print(f"  (no real VP9 clip: {SHARED / 'pickleball'} is absent)")
    print(
        f"5. peak memory (max RSS of this process): {peak_rss_mb():.0f} MB "
        "(frame caches of 256-512 MB by design, plus decoder buffers)"
    )
    if MISSED:
        print("FAILED: " + "; ".join(MISSED))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
