"""Frame exactness on every container: each decoded frame shows its own number."""

from __future__ import annotations

import itertools

import av
import numpy as np
import pytest

from tracknet_studio.video.framecode import read_frame_number
from tracknet_studio.video.reader import VideoReader

KINDS = ["mp4", "mov", "mkv", "ts", "webm", "vfr_mp4", "avi", "mpg"]
CODECS = {"webm": "vp9", "avi": "mpeg4", "mpg": "mpeg2video"}


def shown(reader: VideoReader, n: int) -> int:
    return read_frame_number(reader.frame(n))


@pytest.mark.parametrize("kind", KINDS)
def test_properties_match_what_was_written(make_clip, kind: str) -> None:
    clip = make_clip(kind)
    with VideoReader(clip.path) as reader:
        assert reader.frame_count == clip.frame_count
        assert (reader.width, reader.height) == (clip.width, clip.height)
        assert reader.codec == CODECS.get(kind, "h264")
        assert reader.timestamps[0] == 0.0  # relative: MPEG-TS start offsets vanish
        np.testing.assert_allclose(reader.timestamps, clip.timestamps, atol=1.5e-3)
        assert reader.is_vfr == (kind == "vfr_mp4")
        frame = reader.frame(0)
        assert frame.shape == (clip.height, clip.width, 3) and frame.dtype == np.uint8
        if not reader.is_vfr:
            assert reader.fps == pytest.approx(30, rel=0.01)
            assert reader.duration == pytest.approx(clip.frame_count / 30, rel=0.01)


@pytest.mark.parametrize("kind", KINDS)
def test_first_last_and_random_seeks(make_clip, kind: str) -> None:
    clip = make_clip(kind)
    rng = np.random.default_rng(1234)
    targets = [clip.frame_count - 1, 0, *rng.integers(0, clip.frame_count, 25).tolist()]
    with VideoReader(clip.path, cache_mb=0) as reader:  # no cache: every read decodes
        assert [shown(reader, n) for n in targets] == targets


@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_backward_steps(make_clip, kind: str) -> None:
    clip = make_clip(kind)
    with VideoReader(clip.path, cache_mb=0) as reader:
        forward = list(range(clip.frame_count))
        assert [shown(reader, n) for n in forward] == forward
        backward = forward[::-1]
        assert [shown(reader, n) for n in backward] == backward


@pytest.mark.parametrize("kind", KINDS)
def test_cached_frames_are_the_decoded_ones(make_clip, kind: str) -> None:
    # Frames kept on the way to a seek target must carry their own numbers too; they are
    # converted to RGB only when asked for, so the seek converts its target alone.
    clip = make_clip(kind)
    with VideoReader(clip.path) as reader:
        target = clip.frame_count - 2
        reader.frame(target)
        kept = reader.kept()
        assert len(kept) > 1 and reader.cache.indices() == [target]
        assert all(read_frame_number(reader.frame(n)) == n for n in kept)


def test_open_gop_clip_really_has_leading_b_frames(make_clip) -> None:
    # Guards the fixture: the mp4 clip must exercise open-GOP leading frames, i.e. frames
    # that follow a keyframe in decode order but are shown before it.
    clip = make_clip("mp4")
    leading = 0
    with av.open(str(clip.path)) as container:
        key_pts = None
        for packet in container.demux(video=0):
            if packet.pts is None:
                continue
            if packet.is_keyframe:
                key_pts = packet.pts
            elif key_pts is not None and packet.pts < key_pts:
                leading += 1
    assert leading > 0


def test_seek_that_lands_late_falls_back_to_earlier_keyframes(make_clip, monkeypatch) -> None:
    # MPEG-TS demuxers may land after the requested keyframe; simulate that on every seek
    # (one keyframe late), so the reader must detect it, retry earlier, and finally decode
    # from the start of the file.
    clip = make_clip("ts")
    seeks: list[int] = []
    with VideoReader(clip.path, cache_mb=0) as reader:
        pts, keys = reader._index.pts, reader.keyframes
        one_late = {int(pts[k]): int(pts[j]) for k, j in itertools.pairwise(keys)}
        real_seek = reader._seek_container

        def landing_late(target: int) -> None:
            seeks.append(target)
            real_seek(one_late.get(target, target))

        monkeypatch.setattr(reader, "_seek_container", landing_late)
        targets = [50, 13, 40, clip.frame_count - 1, 2]
        assert [shown(reader, n) for n in targets] == targets
    assert len(seeks) > len(targets)  # retries happened


def test_timestamp_and_index_at_time(make_clip) -> None:
    clip = make_clip("vfr_mp4")
    with VideoReader(clip.path) as reader:
        for n in (0, 1, 17, clip.frame_count - 1):
            t = reader.timestamp(n)
            assert t == pytest.approx(clip.timestamps[n], abs=1.5e-3)
            assert reader.index_at_time(t) == n
            assert reader.index_at_time(t + 0.015) == n  # gaps are >= 20 ms
        assert reader.index_at_time(-1.0) == 0
        assert reader.index_at_time(1e6) == clip.frame_count - 1


def test_out_of_range_frames_raise_index_error(make_clip) -> None:
    with VideoReader(make_clip("mkv").path) as reader:
        with pytest.raises(IndexError):
            reader.frame(reader.frame_count)
        with pytest.raises(IndexError):
            reader.frame(-1)


def test_cache_is_bounded_by_bytes(make_clip) -> None:
    clip = make_clip("mkv")
    with VideoReader(clip.path, cache_mb=1) as reader:
        for n in range(clip.frame_count):
            reader.frame(n)
        assert reader.cache.nbytes <= 1024 * 1024
        assert len(reader.cache) == 1024 * 1024 // (clip.width * clip.height * 3)
        assert not reader.frame(3).flags.writeable  # callers cannot corrupt the cache


@pytest.mark.parametrize("kind", ["mp4", "ts", "webm"])
def test_any_sequence_of_reads_is_exact(make_clip, kind: str) -> None:
    # Jumps, steps either way and runs, mixed as a user would, through one reader whose
    # decoder state, skip settings and small cache carry over from read to read.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    clip = make_clip(kind)
    reader = VideoReader(clip.path, cache_mb=1)
    moves = st.one_of(
        st.integers(0, clip.frame_count - 1).map(lambda n: ("jump", n)),
        st.integers(-3, 3).map(lambda d: ("step", d)),
        st.integers(1, 30).map(lambda k: ("run", k)),
    )

    @settings(max_examples=20, deadline=None)
    @given(st.lists(moves, min_size=1, max_size=12))
    def check(sequence: list[tuple[str, int]]) -> None:
        position = 0
        for kind_of_move, value in sequence:
            if kind_of_move == "jump":
                targets = [value]
            elif kind_of_move == "step":
                targets = [position + value]
            else:
                targets = list(range(position + 1, position + 1 + value))
            for n in targets:
                n = min(max(n, 0), clip.frame_count - 1)
                assert shown(reader, n) == n
                position = n

    try:
        check()
    finally:
        reader.close()
