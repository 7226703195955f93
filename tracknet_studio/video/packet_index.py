"""The packet index: every video frame's presentation timestamp and the keyframes.

Built once per file by demuxing packets (no decoding), then cached on disk as a small
``.npz`` keyed by the file's fingerprint (size plus a hash of its first and last MiB), so
a long match reopens at once. Frame numbers are positions in the sorted pts array, never
``time * fps``.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tracknet_studio.core.paths import cache_dir

# Bump when the stored layout or the way it is built changes: old files are then ignored.
INDEX_VERSION = 4
_HASH_SPAN = 1 << 20  # bytes hashed at each end of the file
_PROGRESS_STEP = 0.01


def default_index_dir() -> Path:
    """The packet-index folder in the cache folder (see tracknet_studio.core.paths)."""
    return cache_dir() / "index"


def file_fingerprint(path: Path) -> tuple[int, str]:
    """(size, sha1 of the first and last MiB): cheap even for a 3-hour match."""
    size = path.stat().st_size
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as f:
        digest.update(f.read(_HASH_SPAN))
        if size > _HASH_SPAN:
            f.seek(max(_HASH_SPAN, size - _HASH_SPAN))
            digest.update(f.read(_HASH_SPAN))
    return size, digest.hexdigest()


@dataclass(frozen=True)
class PacketIndex:
    """Timestamps of one video stream in presentation order.

    ``pts`` holds stream time-base ticks sorted ascending (frame n shows at ``pts[n]``);
    ``keyframes`` holds the frame numbers of keyframes, ascending.
    """

    stream_index: int
    time_base: Fraction
    pts: np.ndarray
    keyframes: np.ndarray
    header_frames: int  # the container's own frame count, 0 when unknown
    untimed_packets: int = 0  # packets without pts or dts (raw streams): not indexable
    # pts rise with every packet in decode order: with B-frames that means the container
    # stored decode times as pts (AVI), so they do not give presentation order.
    pts_rise_in_decode_order: bool = True

    @property
    def frame_count(self) -> int:
        return len(self.pts)

    def save(self, file: Path) -> None:
        file.parent.mkdir(parents=True, exist_ok=True)
        # One temporary name per writer: two threads of one process (the window opening a
        # video while a thumbnail of the same video is read) may index it at once.
        tmp = file.with_name(f"{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with tmp.open("wb") as f:
            # pts are stored as steps: even steps compress to almost nothing (a 3-hour
            # match takes a few kB instead of 2.6 MB).
            np.savez_compressed(
                f,
                version=INDEX_VERSION,
                stream_index=self.stream_index,
                time_base=np.array([self.time_base.numerator, self.time_base.denominator]),
                pts_steps=np.diff(self.pts, prepend=0),
                keyframes=self.keyframes,
                header_frames=self.header_frames,
                untimed_packets=self.untimed_packets,
                pts_rise_in_decode_order=self.pts_rise_in_decode_order,
            )
        os.replace(tmp, file)  # atomic: a reader never sees half an index

    @classmethod
    def load(cls, file: Path) -> PacketIndex | None:
        """The stored index, or None when absent, unreadable or of another version."""
        try:
            with np.load(file) as data:
                if int(data["version"]) != INDEX_VERSION:
                    return None
                num, den = (int(v) for v in data["time_base"])
                return cls(
                    stream_index=int(data["stream_index"]),
                    time_base=Fraction(num, den),
                    pts=np.cumsum(data["pts_steps"], dtype=np.int64),
                    keyframes=data["keyframes"].astype(np.int64),
                    header_frames=int(data["header_frames"]),
                    untimed_packets=int(data["untimed_packets"]),
                    pts_rise_in_decode_order=bool(data["pts_rise_in_decode_order"]),
                )
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            return None  # rebuilt (and rewritten) by the caller


def build_index(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    file_size: int,
    progress: Callable[[float], None] | None = None,
) -> PacketIndex:
    """Demux every packet of ``stream`` and sort their timestamps into presentation order.

    Packets the demuxer marks as discarded (edit lists cutting the start of an MP4) are not
    shown by the decoder either, so they are not frames.
    """
    pts_list: list[int] = []
    key_pts: list[int] = []
    reported = 0.0
    untimed = 0
    for packet in container.demux(stream):
        if packet.size == 0 or packet.is_discard:
            continue
        ts = packet.pts if packet.pts is not None else packet.dts
        if ts is None:
            untimed += 1
            continue
        pts_list.append(ts)
        if packet.is_keyframe:
            key_pts.append(ts)
        if progress is not None:
            done = _fraction_done(packet, ts, file_size, stream)
            if done - reported >= _PROGRESS_STEP:
                reported = done
                progress(done)
    decode_order = np.asarray(pts_list, dtype=np.int64)
    pts = np.unique(decode_order)  # sorted; duplicates are bogus
    keyframes = np.searchsorted(pts, np.unique(np.asarray(key_pts, dtype=np.int64)))
    if progress is not None:
        progress(1.0)
    return PacketIndex(
        stream_index=stream.index,
        time_base=Fraction(stream.time_base),
        pts=pts,
        keyframes=keyframes.astype(np.int64),
        header_frames=int(stream.frames or 0),
        untimed_packets=untimed,
        pts_rise_in_decode_order=bool(np.all(np.diff(decode_order) > 0)),
    )


def _fraction_done(
    packet: av.Packet, ts: int, file_size: int, stream: av.video.stream.VideoStream
) -> float:
    """How far through the file a packet lies: by byte position, else by timestamp."""
    if packet.pos is not None and packet.pos > 0 and file_size:
        return min(packet.pos / file_size, 1.0)
    if stream.duration:
        start = stream.start_time or 0
        return min(max((ts - start) / stream.duration, 0.0), 1.0)
    return 0.0
