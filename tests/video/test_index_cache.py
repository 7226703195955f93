"""The packet index is built once per file, stored by fingerprint, and rebuilt on change."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.video.framecode import read_frame_number
from tracknet_studio.video.packet_index import PacketIndex, default_index_dir
from tracknet_studio.video.reader import VideoReader


def test_second_open_reuses_the_stored_index(make_clip, tmp_path: Path, monkeypatch) -> None:
    # A cache folder of its own: other tests may have indexed the same clip already.
    monkeypatch.setenv("TRACKNET_STUDIO_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "clip.mkv"
    shutil.copy(make_clip("mkv").path, path)
    progress: list[float] = []
    with VideoReader(path, progress=progress.append) as first:
        assert first.index_built
        fingerprint = first.fingerprint
    assert progress[-1] == 1.0 and progress == sorted(progress)
    stored = default_index_dir() / f"{fingerprint['hash']}-{fingerprint['size']}.npz"
    assert stored.is_file()
    assert stored.parent == tmp_path / "cache" / "index"
    with VideoReader(path) as second:
        assert not second.index_built
        assert second.fingerprint == fingerprint
        assert read_frame_number(second.frame(40)) == 40


def test_changed_file_is_reindexed(make_clip, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    shutil.copy(make_clip("mp4").path, path)
    with VideoReader(path, index_cache_dir=tmp_path) as reader:
        before = reader.fingerprint
    shutil.copy(make_clip("mp4", frame_count=30).path, path)
    with VideoReader(path, index_cache_dir=tmp_path) as reader:
        assert reader.index_built
        assert reader.frame_count == 30
        assert reader.fingerprint != before


def test_index_cache_dir_argument_wins(make_clip, tmp_path: Path) -> None:
    clip = make_clip("webm")
    with VideoReader(clip.path, index_cache_dir=tmp_path) as reader:
        assert reader.index_built
    assert len(list(tmp_path.glob("*.npz"))) == 1
    with VideoReader(clip.path, index_cache_dir=tmp_path) as reader:
        assert not reader.index_built


def test_corrupt_index_file_is_rebuilt(make_clip, tmp_path: Path) -> None:
    clip = make_clip("ts")
    with VideoReader(clip.path, index_cache_dir=tmp_path):
        pass
    (stored,) = tmp_path.glob("*.npz")
    stored.write_bytes(b"garbage")
    with VideoReader(clip.path, index_cache_dir=tmp_path) as reader:
        assert reader.index_built
        assert read_frame_number(reader.frame(5)) == 5
    assert PacketIndex.load(stored) is not None


def test_index_round_trip(tmp_path: Path) -> None:
    from fractions import Fraction

    index = PacketIndex(0, Fraction(1, 90000), np.array([3, 9, 12]), np.array([0, 2]), 3)
    index.save(tmp_path / "i.npz")
    loaded = PacketIndex.load(tmp_path / "i.npz")
    assert loaded is not None
    assert loaded.time_base == index.time_base and loaded.header_frames == 3
    np.testing.assert_array_equal(loaded.pts, index.pts)
    np.testing.assert_array_equal(loaded.keyframes, index.keyframes)


@pytest.mark.parametrize("kind", ["mp4", "ts", "webm"])
def test_index_build_reports_progress(make_clip, tmp_path: Path, kind: str) -> None:
    progress: list[float] = []
    with VideoReader(make_clip(kind).path, progress=progress.append, index_cache_dir=tmp_path):
        pass
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert len([p for p in progress if 0 < p < 1]) >= 3  # in steps, not just "done"


def test_a_broken_stored_index_is_rebuilt(make_clip, tmp_path: Path) -> None:
    """A zip cut short (a write torn by two writers or a crash): built again."""
    clip = make_clip("mp4")
    with VideoReader(clip.path, index_cache_dir=tmp_path) as reader:
        stored = tmp_path / f"{reader.fingerprint['hash']}-{reader.fingerprint['size']}.npz"
    assert stored.is_file()
    stored.write_bytes(stored.read_bytes()[:40])  # a zip's header, then nothing
    assert PacketIndex.load(stored) is None
    with VideoReader(clip.path, index_cache_dir=tmp_path) as reader:
        assert reader.index_built and read_frame_number(reader.frame(5)) == 5
    assert PacketIndex.load(stored) is not None  # rewritten whole
