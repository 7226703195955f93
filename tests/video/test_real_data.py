"""Real broadcast clips from ../shared/data: counts and random frames match a plain decode."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tracknet_studio.video.reader import VideoReader


def sequential_decode(path: Path, keep: set[int]) -> tuple[str, int, dict[int, np.ndarray]]:
    """Codec and frame count of a plain PyAV decode, and the RGB frames listed in ``keep``."""
    kept: dict[int, np.ndarray] = {}
    count = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        stream.thread_type = "AUTO"
        for count, frame in enumerate(container.decode(stream), start=1):
            if count - 1 in keep:
                kept[count - 1] = frame.to_ndarray(format="rgb24")
    return codec, count, kept


def check_against_sequential(path: Path) -> None:
    with VideoReader(path, cache_mb=64) as reader:
        count = reader.frame_count
        rng = np.random.default_rng(5)
        # Last frame, then random ones in descending order, so each read has to seek back.
        targets = [count - 1, *sorted(rng.choice(count - 1, 3, replace=False).tolist())[::-1]]
        frames = {n: reader.frame(n).copy() for n in targets}
    codec, decoded_count, expected = sequential_decode(path, set(targets))
    assert (reader.codec, count) == (codec, decoded_count)
    for n in targets:
        np.testing.assert_array_equal(frames[n], expected[n], err_msg=f"frame {n} of {path}")


def real_files(shared_data: Path, folder: str) -> list[Path]:
    files = sorted((shared_data / folder).glob("*.mp4"))
    if not files:
        pytest.skip(f"no {folder} clips in {shared_data}")
    return files


def test_badminton_720p(shared_data: Path) -> None:
    # The shared README calls these H.264; the files are MPEG-4 Part 2 (FMP4) in fact.
    for path in real_files(shared_data, "badminton")[:2]:
        check_against_sequential(path)


def test_volleyball_h264_720p(shared_data: Path) -> None:
    check_against_sequential(real_files(shared_data, "volleyball")[0])


def test_pickleball_vp9_1080p(shared_data: Path) -> None:
    check_against_sequential(real_files(shared_data, "pickleball")[0])
