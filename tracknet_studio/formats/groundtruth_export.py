"""SageMaker Ground Truth video frame jobs: export labels as Ground Truth output, and new
labeling or adjustment jobs (frames, sequence files, manifest, label category
configuration). The conventions are groundtruth.py's, which reads all of this back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from ..core.track import Track, Visibility
from .atomic import atomic_write_bytes, atomic_write_files
from .groundtruth import (
    _EVENT_TO_GT,
    _VIS_TO_GT,
    BALL_OBJECT,
    OUTPUT_MANIFEST,
    SEQLABEL,
    TRACKING_TYPE,
)

FrameSource = Callable[[int], np.ndarray]  # frame number -> RGB uint8 array (H, W, 3)


# ----- export: labels --------------------------------------------------------------------
def frame_name(frame: int, n_frames: int) -> str:
    """A zero-padded name carrying the exact video frame number (byte order = frame order)."""
    return _frame_name_format(n_frames) % frame


def _frame_name_format(n_frames: int) -> str:
    """`frame_name`'s %-format for a video of `n_frames`: the width is the video's, so
    callers naming many frames make it once."""
    return f"frame_%0{max(6, len(str(max(n_frames - 1, 0))))}d.jpg"


def seqlabel(track: Track, frames: np.ndarray, *, object_id: str = "ball-1") -> dict[str, Any]:
    """The SeqLabel.json document of `track` over the sequence `frames` (labeled ones only),
    as a dict: `seqlabel_json`'s text read back, so the document has one writer."""
    return json.loads(seqlabel_json(track, frames, object_id=object_id))


def seqlabel_json(track: Track, frames: np.ndarray, *, object_id: str = "ball-1") -> str:
    """The SeqLabel.json text of `track` over the sequence `frames` (labeled ones only),
    compact, written straight from the columns: building the dicts first and encoding them
    took twice as long (tests read it back against the track)."""
    # An entry and its keypoint, with seqlabel's keys in seqlabel's order. The values put in
    # as %s are names from fixed tables, which need no JSON escapes.
    entry = (
        '{"frame-no":"%d","frame":"' + _frame_name_format(len(track)) + '",'
        '"frame-attributes":{"event":"%s","visible":"%s"},"keypoints":[%s]}'
    )
    names = f'"object-id":{json.dumps(object_id)},"object-name":{json.dumps(BALL_OBJECT)}'
    keypoint = (
        '{"x":%r,"y":%r,"class-id":"0",' + names.replace("%", "%%") + ","
        '"label-category-attributes":{"visibility":"%s"}}'
    )
    entries = [
        entry % (pos, frame, event, visible, "" if level is None else keypoint % (x, y, level))
        for pos, frame, event, visible, x, y, level in zip(
            *_seqlabel_columns(track, frames), strict=True
        )
    ]
    return '{"tracking-annotations":[' + ",".join(entries) + "]}"


def _seqlabel_columns(track: Track, frames: np.ndarray) -> tuple[list[Any], ...]:
    """The labeled frames of the sequence `frames` as SeqLabel.json tells them, column by
    column (in bulk: this is per frame): position, video frame, event, the frame attribute
    `visible`, and the keypoint's x, y and visibility level (None: no ball position)."""
    positions = np.flatnonzero(track.labeled[frames])
    chosen = frames[positions]
    vis, x, y = track.visibility[chosen], track.x[chosen], track.y[chosen]
    has_point = (vis > Visibility.NO_BALL) & np.isfinite(x) & np.isfinite(y)
    occluded = np.where(vis == Visibility.OCCLUDED, "occluded", "no")
    events = {int(k): v for k, v in _EVENT_TO_GT.items()}
    levels = {int(k): v for k, v in _VIS_TO_GT.items()}
    return (
        positions.tolist(),
        chosen.tolist(),
        [events[e] for e in track.event[chosen].tolist()],
        np.where(has_point, "yes", occluded).tolist(),
        x.tolist(),
        y.tolist(),
        [levels[v] if p else None for v, p in zip(vis.tolist(), has_point.tolist(), strict=True)],
    )


def sequence_file(frames: np.ndarray, n_frames: int, prefix: str, seq_no: int = 1) -> str:
    """A Ground Truth sequence file (the frames of one sequence, in order) as compact JSON
    text, written straight from the frame numbers: it lists every frame of the sequence."""
    if not prefix.endswith("/"):
        prefix += "/"
    entry = '{"frame-no":%d,"frame":"' + _frame_name_format(n_frames) + '"}'
    listed = ",".join([entry % (k, f) for k, f in enumerate(frames.tolist(), start=1)])
    return (
        f'{{"seq-no":{seq_no},"prefix":{json.dumps(prefix)},'
        f'"number-of-frames":{len(frames)},"frames":[{listed}]}}'
    )


def label_metadata(job_name: str, *, adjusted: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "class-map": {"0": "ball"},
        "job-name": f"labeling-job/{job_name}",
        "human-annotated": "yes",
        "creation-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "type": TRACKING_TYPE,
    }
    if adjusted:
        meta["adjustment-status"] = "adjusted"
    return meta


# Ground Truth's input quotas for video frame jobs (Developer Guide, "Input Data Quotas",
# video frame labeling jobs): at most 2,000 frames in one video frame sequence and at most
# 10 sequences in one input manifest.
MAX_SEQUENCE_FRAMES = 2000
MAX_SEQUENCES = 10


def split_sequences(frames: np.ndarray, size: int = MAX_SEQUENCE_FRAMES) -> list[np.ndarray]:
    """The frames cut into sequences Ground Truth accepts: in order, at most `size` each,
    as even as possible; more than MAX_SEQUENCES is refused, saying what to do."""
    count = -(-len(frames) // size)
    if count > MAX_SEQUENCES:
        raise ValueError(
            f"{len(frames):,} frames need {count} sequences of at most {size:,}, and Ground "
            f"Truth takes {MAX_SEQUENCES} per job: choose at most {MAX_SEQUENCES * size:,} "
            "frames (say, the rallies to label), or make several jobs"
        )
    return list(np.array_split(frames, count)) if count else []


@dataclass(frozen=True)
class GtExport:
    """Where an export put its files (paths) and what the manifests call them (URIs)."""

    manifest: Path
    seqlabels: list[Path]  # one per sequence (manifest line)
    sequences: list[Path]
    frames: int


def write_groundtruth(
    track: Track,
    folder: str | PathLike[str],
    *,
    job_name: str = "tracknet-studio",
    label_attribute: str = "ball-ref",
    frames: Iterable[int] | None = None,
    base_uri: str = "",
) -> GtExport:
    """Write `track` as a Ground Truth output folder that `read_groundtruth` reads back.

    `frames` is the sequence (default: every frame of the track). URIs in the manifest are
    `base_uri` + the path inside `folder` (e.g. base_uri="s3://bucket/out/job/" once the
    folder is uploaded there; empty: paths relative to the folder).
    """
    if not label_attribute.endswith("-ref"):
        raise ValueError(f"a video frame label attribute must end in '-ref': {label_attribute!r}")
    root = Path(folder)
    seq_frames = _sequence_frames(track, frames)
    lines, seqlabels, sequences = [], [], []
    files: dict[Path, bytes] = {}
    for number, chunk in enumerate(split_sequences(seq_frames), 1):
        seq_rel = f"sequences/{job_name}-{number:04d}.json"
        label_rel = SEQLABEL.rsplit("/", 1)[0] + "/" + _seqlabel_name(number)
        sequence = sequence_file(chunk, len(track), base_uri + "frames/", number)
        files[root / seq_rel] = sequence.encode()
        files[root / label_rel] = seqlabel_json(track, chunk).encode()
        sequences.append(root / seq_rel)
        seqlabels.append(root / label_rel)
        line = {
            "source-ref": base_uri + seq_rel,
            label_attribute: base_uri + label_rel,
            f"{label_attribute}-metadata": label_metadata(job_name),
        }
        lines.append(json.dumps(line) + "\n")
    manifest = root / OUTPUT_MANIFEST
    files[manifest] = "".join(lines).encode()  # last: it names the others
    atomic_write_files(files)
    return GtExport(manifest, seqlabels, sequences, len(seq_frames))


def _seqlabel_name(number: int) -> str:
    """SeqLabel.json for the first sequence (the single-sequence name), SeqLabel-NNNN.json
    for the ones after it."""
    return "SeqLabel.json" if number == 1 else f"SeqLabel-{number:04d}.json"


def _sequence_frames(track: Track, frames: Iterable[int] | None) -> np.ndarray:
    if frames is None:
        return np.arange(len(track), dtype=np.int64)
    seq = np.unique(np.fromiter(frames, dtype=np.int64))
    if seq.size and (seq[0] < 0 or seq[-1] >= len(track)):
        raise ValueError(f"sequence frames must lie in 0..{len(track) - 1}")
    return seq


def _write_json(path: Path, doc: Any) -> None:
    _write_text(path, json.dumps(doc, separators=(",", ":")))


def _write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


# ----- export: a new labeling or adjustment job -------------------------------------------
def label_category_config(
    *, adjustment_of: str | None = None, instructions: str = "Click the centre of the ball."
) -> dict[str, Any]:
    """Keypoint tracking of one `ball` label with the visibility attribute.
    `adjustment_of` is the label attribute of the labels being adjusted."""
    config: dict[str, Any] = {
        "documentVersion": "2020-03-01",
        # The documented schema requires a description for every frame attribute.
        "frameAttributes": [
            {
                "name": "visible",
                "type": "string",
                "enum": ["yes", "no", "occluded"],
                "description": "Is the ball in this frame? occluded: hidden, position estimated",
            },
            {
                "name": "event",
                "type": "string",
                "enum": ["none", "hit", "bounce"],
                "description": "Does the ball get hit or bounce in this frame?",
            },
        ],
        "labels": [
            {
                "label": "ball",
                "categoryAttributes": [
                    {
                        "name": "visibility",
                        "type": "string",
                        "enum": ["easy", "hard", "occluded"],
                        "description": "hard: blurred or faint; occluded: estimated position",
                    }
                ],
            }
        ],
        "annotationType": "Keypoint",
        "instructions": {
            "shortInstruction": instructions,
            "fullInstruction": (
                "<p>Click the centre of the ball in every frame where it can be seen. Set "
                "<b>visibility</b> to hard when it is blurred and occluded when you estimate "
                "a hidden position. Frames without a ball: set the frame attribute "
                "<b>visible</b> to no.</p>"
            ),
        },
    }
    if adjustment_of is not None:
        config["auditLabelAttributeName"] = adjustment_of
    return config


@dataclass(frozen=True)
class GtJobExport:
    input_manifest: Path
    sequences: list[Path]  # one per manifest line, at most MAX_SEQUENCE_FRAMES frames each
    label_config: Path
    frame_dir: Path
    frames: int


def write_labeling_job(
    track: Track,
    folder: str | PathLike[str],
    frames: Iterable[int],
    frame_source: FrameSource,
    *,
    base_uri: str,
    job_name: str = "tracknet-studio",
    adjustment: bool = False,
    label_attribute: str = "ball-ref",
    jpeg_quality: int = 95,
    progress: Callable[[int, int], None] | None = None,
) -> GtJobExport:
    """Write what a new video frame tracking job needs, under `folder`:

    frames/frame_NNNNNN.jpg (names carry the exact video frame numbers), sequences/*.json,
    manifests/input.manifest, label-category-config.json. With `adjustment`, the current
    labels go along as prelabels/SeqLabel.json referenced by the manifest line, so workers
    correct instead of starting over. `base_uri` is where the folder will be uploaded
    (e.g. "s3://bucket/jobs/rally-1/"); the manifest and sequence files point there.
    `progress(done, total)` is called after each frame image; it may raise to cancel.
    """
    import cv2  # only needed here; formats stays importable without writing images

    if not base_uri.endswith("/"):
        base_uri += "/"
    root = Path(folder)
    seq_frames = _sequence_frames(track, frames)
    if not seq_frames.size:
        raise ValueError("a labeling job needs at least one frame")
    frame_dir = root / "frames"
    frame_dir.mkdir(parents=True, exist_ok=True)
    for done, f in enumerate(seq_frames.tolist(), 1):
        rgb = np.asarray(frame_source(f))
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"frame {f}: expected an RGB uint8 image, got {rgb.shape} {rgb.dtype}")
        ok, jpeg = cv2.imencode(
            ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
        )
        if not ok:
            raise ValueError(f"frame {f}: JPEG encoding failed")
        atomic_write_bytes(frame_dir / frame_name(f, len(track)), jpeg.tobytes())
        if progress is not None:
            progress(done, len(seq_frames))
    lines, sequences = [], []
    for number, chunk in enumerate(split_sequences(seq_frames), 1):
        seq_rel = f"sequences/{job_name}-{number:04d}.json"
        _write_text(root / seq_rel, sequence_file(chunk, len(track), base_uri + "frames/", number))
        sequences.append(root / seq_rel)
        line: dict[str, Any] = {"source-ref": base_uri + seq_rel}
        if adjustment:
            prelabels = "prelabels/" + _seqlabel_name(number)
            _write_text(root / prelabels, seqlabel_json(track, chunk))
            line[label_attribute] = base_uri + prelabels
            line[f"{label_attribute}-metadata"] = label_metadata(job_name)
        lines.append(json.dumps(line) + "\n")
    manifest = root / "manifests" / "input.manifest"
    atomic_write_bytes(manifest, "".join(lines).encode())
    config = root / "label-category-config.json"
    _write_json(
        config, label_category_config(adjustment_of=label_attribute if adjustment else None)
    )
    return GtJobExport(manifest, sequences, config, frame_dir, len(seq_frames))
