"""SageMaker Ground Truth video frame jobs: import an output manifest (export lives in
groundtruth_export.py; the conventions below are shared by both).

Reading goes through an *opener*, a callable mapping a URI or path to bytes, so the cloud
layer can plug in S3 while this module stays free of boto3. `FolderOpener` serves a local
folder laid out like Ground Truth's S3 output (`manifests/output/output.manifest`,
`annotations/...`, the sequence files): it resolves `s3://bucket/a/b/c.json` to the longest
suffix of `a/b/c.json` that exists under the folder.

How this module represents a track in SeqLabel.json (our conventions, see docs/formats.md):
- a ball position is one keypoint of object `ball:1` with the category attribute
  `visibility` = easy (visible) / hard / occluded;
- a frame the worker labeled without a ball has an entry without keypoints and the frame
  attribute `visible` = "no"; an occluded ball without a position has `visible` = "occluded";
- hits and bounces are the frame attribute `event` = "hit" / "bounce";
- frames without an entry are unlabeled.

Video frame numbers come from the digits in the frame file names, or from the frame's
position in the sequence file; either scaled by `stride` and shifted by `offset`.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np

from ..core.track import Event, Source, Track, Visibility
from .errors import FormatError, ImportReport

Opener = Callable[[str], bytes]

OUTPUT_MANIFEST = "manifests/output/output.manifest"
SEQLABEL = "annotations/consolidated-annotation/output/0/SeqLabel.json"
TRACKING_TYPE = "groundtruth/video-object-tracking"
_TYPE_PREFIX = "groundtruth/video-object-"
_SHAPES = ("keypoints", "annotations", "polylines", "polygons")
_VIS_FROM_GT = {
    "easy": Visibility.VISIBLE,
    "hard": Visibility.HARD,
    "occluded": Visibility.OCCLUDED,
}
_VIS_TO_GT = {v: k for k, v in _VIS_FROM_GT.items()}
_EVENT_FROM_GT = {"none": Event.NONE, "hit": Event.HIT, "bounce": Event.BOUNCE}
_EVENT_TO_GT = {v: k for k, v in _EVENT_FROM_GT.items()}
_DIGITS = re.compile(r"(\d+)")
BALL_OBJECT = "ball:1"


# ----- openers ---------------------------------------------------------------------------
class FolderOpener:
    """Reads URIs from a local folder in Ground Truth's output layout (see module doc)."""

    def __init__(self, root: str | PathLike[str]) -> None:
        self.root = Path(root)

    def __call__(self, uri: str) -> bytes:
        return self.resolve(uri).read_bytes()

    def resolve(self, uri: str) -> Path:
        """The file under the root that `uri` names: the longest tail of its path that
        exists there. Nothing outside the root is ever read (no absolute path, no `..`,
        no link leading out), whatever a manifest says."""
        if "://" in uri:
            parts = PurePosixPath(uri.split("://", 1)[1]).parts[1:]  # drop the bucket
        else:
            parts = tuple(p for p in PurePosixPath(uri.replace("\\", "/")).parts if p != "/")
        root = self.root.resolve()
        for start in range(len(parts)):
            tail = parts[start:]
            if ".." in tail:
                continue
            candidate = root.joinpath(*tail)
            if candidate.is_file() and candidate.resolve().is_relative_to(root):
                return candidate
        raise FileNotFoundError(f"{uri} (looked under {self.root}; nothing outside it is read)")


def output_manifest_path(folder: str | PathLike[str]) -> Path:
    return Path(folder) / OUTPUT_MANIFEST


# ----- import ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FrameMap:
    """Sequence frame -> video frame: `offset + stride * k`, where k is the number in the
    frame's file name (`by="name"`) or its 0-based position in the sequence (`by="position"`)."""

    by: Literal["name", "position"] = "name"
    stride: int = 1
    offset: int = 0


@dataclass(frozen=True)
class GtObject:
    """One tracked object found in a SeqLabel.json."""

    name: str
    class_id: str | None
    frames: int  # how many frames carry it


class AmbiguousObjectError(FormatError):
    """Several objects are tracked; the caller must pick one by name (`objects` lists them)."""

    def __init__(self, path: str, objects: list[GtObject]) -> None:
        self.objects = objects
        names = ", ".join(f"{o.name!r} ({o.frames} frames)" for o in objects)
        super().__init__(path, f"several objects are tracked: {names}; pick one with `object_name`")


@dataclass
class GtImportOptions:
    frame_map: FrameMap = field(default_factory=FrameMap)
    object_name: str | None = None  # required when several objects exist
    label_attribute: str | None = None  # required when a line has several tracking attributes
    n_frames: int | None = None  # default: the sequences' last frame + 1
    image_size: tuple[int, int] | None = None  # (width, height): skip positions outside


@dataclass
class _Frame:
    """One labeled video frame read from Ground Truth."""

    visibility: int
    x: float
    y: float
    event: int
    where: str


def read_groundtruth(
    manifest: str | PathLike[str],
    options: GtImportOptions | None = None,
    opener: Opener | None = None,
) -> tuple[Track, ImportReport]:
    """Import a Ground Truth output manifest into a track, reporting what was skipped.

    `manifest` is a local file, a folder holding `manifests/output/output.manifest`, or a
    URI that `opener` can read (e.g. s3://...). Without an opener, the URIs inside are read
    from the folder in Ground Truth's output layout that holds the manifest.
    """
    options = options or GtImportOptions()
    uri, opener = _manifest_source(manifest, opener)
    report = ImportReport(uri)
    frames: dict[int, _Frame] = {}
    last = -1  # the last video frame any sequence covers: the default track length
    for line_no, entry in _manifest_lines(uri, opener):
        last = max(last, _read_manifest_line(entry, line_no, uri, opener, options, frames, report))
    if options.n_frames is None:
        options = replace(options, n_frames=max([last, *frames]) + 1)
    return _to_track(frames, options, report), report


def list_objects(manifest: str | PathLike[str], opener: Opener | None = None) -> list[GtObject]:
    """The objects tracked in a manifest's label files, so the user can pick one."""
    uri, opener = _manifest_source(manifest, opener)
    counts: Counter[str] = Counter()
    classes: dict[str, str | None] = {}
    for line_no, entry in _manifest_lines(uri, opener):
        labels_uri = entry[_label_attribute(entry, uri, line_no, None)[0]]
        entries = _annotation_entries(
            _json(_read(opener, labels_uri, uri, line_no), labels_uri), labels_uri
        )
        for obj in _objects(entries, labels_uri):
            counts[obj.name] += obj.frames
            classes.setdefault(obj.name, obj.class_id)
    return [GtObject(n, classes[n], c) for n, c in sorted(counts.items())]


def _manifest_source(manifest: str | PathLike[str], opener: Opener | None) -> tuple[str, Opener]:
    text = str(manifest)
    if "://" in text:
        if opener is None:
            raise ValueError(f"reading {text} needs an opener (e.g. the cloud layer's S3 opener)")
        return text, opener
    path = Path(manifest)
    if path.is_dir():
        path = output_manifest_path(path)
    if opener is None:
        layout = path.as_posix().endswith(OUTPUT_MANIFEST)
        opener = FolderOpener(path.parents[2] if layout else path.parent)
    return str(path.resolve()), opener


def _manifest_lines(uri: str, opener: Opener) -> Iterable[tuple[int, dict[str, Any]]]:
    text = _read(opener, uri, uri).decode("utf-8", errors="replace")
    if not text.strip():
        raise FormatError(uri, "empty manifest", line=1)
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        entry = _json(line.encode(), uri, line_no)
        if not isinstance(entry, dict) or not isinstance(entry.get("source-ref"), str):
            raise FormatError(uri, "a manifest line needs a string 'source-ref'", line=line_no)
        yield line_no, entry


def _read(opener: Opener, uri: str, referrer: str, line: int | None = None) -> bytes:
    try:
        return opener(uri)
    except (OSError, KeyError) as exc:
        raise FormatError(referrer, f"cannot read {uri}: {exc}", line=line) from exc


def _json(raw: bytes, uri: str, line: int | None = None) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(uri, f"not valid JSON: {exc}", line=line) from exc


def _read_manifest_line(
    entry: dict[str, Any],
    line_no: int,
    uri: str,
    opener: Opener,
    options: GtImportOptions,
    frames: dict[int, _Frame],
    report: ImportReport,
) -> int:
    """Read one manifest line's labels into `frames`; returns the sequence's last video frame."""
    attribute, note = _label_attribute(entry, uri, line_no, options.label_attribute)
    if note:
        report.note(note)
    seq_uri, labels_uri = entry["source-ref"], entry[attribute]
    if not isinstance(labels_uri, str):
        raise FormatError(uri, f"{attribute!r} must be a URI of SeqLabel.json", line=line_no)
    names = _read_sequence(opener, seq_uri, uri, line_no)
    labels = _json(_read(opener, labels_uri, uri, line_no), labels_uri)
    entries = _annotation_entries(labels, labels_uri)
    chosen = _choose_object(entries, labels_uri, options.object_name)
    if chosen is not None and len(chosen) > 1:
        instances = ", ".join(sorted(chosen))
        report.note(f"merged the instances {instances} of one label into one track (a worker "
                    "who lost the ball started it again; they never share a frame)")  # fmt: skip
    for k, item in enumerate(entries):
        name = item.get("frame") if isinstance(item, dict) else None
        where = f"{labels_uri}, entry {k} (frame {name!r})"
        if not isinstance(name, str) or name not in names:
            report.skip("frame name not in the sequence file", where)
            continue
        video_frame = _video_frame(name, names[name], options.frame_map, labels_uri)
        value = _frame_value(item, chosen, labels_uri, name)
        _store(frames, video_frame, value, where, report)
    return _last_video_frame(names, options.frame_map)


def _last_video_frame(names: dict[str, int], frame_map: FrameMap) -> int:
    """The largest video frame a sequence maps to (-1 for none); names without a number
    count only when a label uses them, where they are an error."""
    if frame_map.by == "position":
        ks = list(names.values())
    else:
        ks = [k for k in map(_name_number, names) if k is not None]
    return max((frame_map.offset + frame_map.stride * k for k in ks), default=-1)


def _label_attribute(
    entry: dict[str, Any], uri: str, line: int, wanted: str | None
) -> tuple[str, str | None]:
    """The line's video frame label attribute, and a note when it had to be chosen.

    An adjustment job's output line keeps the adjusted job's attribute beside its own
    (`ball-ref` and `ball-adjusted-ref`): without `wanted`, the newest adjustment is used.
    """
    found = [
        key[: -len("-metadata")]
        for key, meta in entry.items()
        if key.endswith("-ref-metadata")
        and isinstance(meta, dict)
        and str(meta.get("type", "")).startswith(_TYPE_PREFIX)
    ]
    if wanted is not None:
        if wanted not in found or wanted not in entry:
            raise FormatError(uri, f"no label attribute {wanted!r}; found {found}", line=line)
        return wanted, None
    if not found:
        raise FormatError(
            uri, f"no '<name>-ref-metadata' with a type {_TYPE_PREFIX}* on this line", line=line
        )
    note = None
    if len(found) > 1:
        chosen = _newest_adjustment(entry, found)
        if chosen is None:
            raise FormatError(uri, f"several label attributes {found}: pick one", line=line)
        others = ", ".join(repr(a) for a in found if a != chosen)
        note = f"used the label attribute {chosen!r}, the newest adjustment (not {others})"
        found = [chosen]
    if found[0] not in entry:
        raise FormatError(uri, f"{found[0]!r} is missing next to its metadata", line=line)
    return found[0], note


def _newest_adjustment(entry: dict[str, Any], attributes: list[str]) -> str | None:
    """The adjusted attribute with the latest creation date; None when that is not clear."""

    def adjusted(name: str) -> bool:
        meta = entry[f"{name}-metadata"]
        return "adjusted" in name or meta.get("adjustment-status") == "adjusted"

    dated = sorted(
        (str(entry[f"{a}-metadata"].get("creation-date", "")), a) for a in attributes if adjusted(a)
    )
    if not dated or (len(dated) > 1 and dated[-1][0] == dated[-2][0]):
        return None
    return dated[-1][1]


def _read_sequence(opener: Opener, seq_uri: str, manifest: str, line: int) -> dict[str, int]:
    """Frame file name -> 0-based position in the sequence (ordered by frame-no)."""
    seq = _json(_read(opener, seq_uri, manifest, line), seq_uri)
    if not isinstance(seq, dict) or not isinstance(seq.get("frames"), list):
        raise FormatError(seq_uri, "a sequence file needs a 'frames' list")
    listed = seq["frames"]
    count = seq.get("number-of-frames")
    if count is not None and count != len(listed):
        raise FormatError(seq_uri, f"number-of-frames is {count} but {len(listed)} are listed")
    numbered = []
    for k, frame in enumerate(listed):
        if not (isinstance(frame, dict) and isinstance(frame.get("frame"), str)):
            raise FormatError(seq_uri, f"frames[{k}] needs a string 'frame'")
        no = frame.get("frame-no")
        if isinstance(no, bool) or not isinstance(no, int):
            raise FormatError(seq_uri, f"frames[{k}] needs an integer 'frame-no'", frame=no)
        numbered.append((no, frame["frame"]))
    numbered.sort()
    names = {name: pos for pos, (_, name) in enumerate(numbered)}
    if len(names) != len(numbered):
        dup = next(n for n, c in Counter(n for _, n in numbered).items() if c > 1)
        raise FormatError(seq_uri, "a frame file is listed twice", frame=dup)
    return names


def _annotation_entries(labels: Any, uri: str) -> list[Any]:
    if isinstance(labels, dict):
        for key in ("tracking-annotations", "detection-annotations"):
            if isinstance(labels.get(key), list):
                return labels[key]
    keys = list(labels) if isinstance(labels, dict) else type(labels).__name__
    raise FormatError(
        uri,
        f"unknown SeqLabel.json shape: expected 'tracking-annotations' or "
        f"'detection-annotations', found {keys}",
    )


def _shapes(item: dict[str, Any], uri: str, frame: str) -> list[tuple[str, dict[str, Any]]]:
    """(kind, object) pairs of one frame entry; unknown shapes are errors."""
    out = []
    for kind in _SHAPES:
        objs = item.get(kind)
        if not objs:
            continue
        if not isinstance(objs, list) or not all(isinstance(o, dict) for o in objs):
            raise FormatError(uri, f"{kind!r} must be a list of objects", frame=frame)
        out += [(kind, o) for o in objs]
    return out


def _name_number(name: str) -> int | None:
    """The last run of digits in a file name's stem (string ops: this runs per frame)."""
    stem = name.rpartition("/")[2]
    if "." in stem:
        stem = stem.rpartition(".")[0]
    runs = _DIGITS.findall(stem)
    return int(runs[-1]) if runs else None


def _object_name(obj: dict[str, Any]) -> str:
    return str(obj.get("object-name") or obj.get("object-id") or f"class {obj.get('class-id')}")


def _objects(entries: list[Any], uri: str) -> list[GtObject]:
    counts: Counter[str] = Counter()
    classes: dict[str, str | None] = {}
    for item in entries:
        if isinstance(item, dict):
            for _, obj in _shapes(item, uri, str(item.get("frame"))):
                name = _object_name(obj)
                counts[name] += 1
                classes.setdefault(name, obj.get("class-id"))
    return [GtObject(n, classes[n], c) for n, c in sorted(counts.items())]


def _choose_object(entries: list[Any], uri: str, wanted: str | None) -> frozenset[str] | None:
    """The names of the object to import: `wanted`, the only one, or the instances of one
    label (`ball:1`, `ball:2`: Ground Truth numbers each new instance a worker draws) when
    no frame holds two of them; otherwise the user must pick."""
    objects = _objects(entries, uri)
    if wanted is not None:
        if wanted not in {o.name for o in objects}:
            found = ", ".join(repr(o.name) for o in objects) or "none"
            raise FormatError(uri, f"no object named {wanted!r}; found: {found}")
        return frozenset([wanted])
    names = frozenset(o.name for o in objects)
    if len(objects) > 1 and not _instances_apart(entries, names, uri):
        raise AmbiguousObjectError(uri, objects)
    return names or None


def _instances_apart(entries: list[Any], names: frozenset[str], uri: str) -> bool:
    """Whether `names` are instances of one label (`label:N`) that never share a frame."""
    labels = {name.rpartition(":")[0] for name in names}
    if len(labels) != 1 or not all(n.rpartition(":")[2].isdigit() for n in names):
        return False
    for item in entries:
        if isinstance(item, dict):
            shapes = _shapes(item, uri, str(item.get("frame")))
            if sum(_object_name(o) in names for _, o in shapes) > 1:
                return False
    return True


def _video_frame(name: str, position: int, frame_map: FrameMap, uri: str) -> int:
    if frame_map.by == "position":
        k = position
    else:
        number = _name_number(name)
        if number is None:
            raise FormatError(
                uri, "the file name carries no frame number; map by position", frame=name
            )
        k = number
    return frame_map.offset + frame_map.stride * k


def _frame_value(
    item: dict[str, Any], obj_names: frozenset[str] | None, uri: str, frame: str
) -> _Frame:
    attrs = item.get("frame-attributes") or {}
    if not isinstance(attrs, dict):
        raise FormatError(uri, "'frame-attributes' must be an object", frame=frame)
    event = _EVENT_FROM_GT.get(str(attrs.get("event", "none")).lower())
    if event is None:
        raise FormatError(uri, f"unknown event {attrs.get('event')!r}", frame=frame)
    mine = [(k, o) for k, o in _shapes(item, uri, frame) if _object_name(o) in (obj_names or ())]
    if len(mine) > 1:
        named = ", ".join(sorted(obj_names or ()))
        raise FormatError(uri, f"object {named} appears {len(mine)} times", frame=frame)
    if not mine:
        occluded = str(attrs.get("visible", "")).lower() == "occluded"
        vis = Visibility.OCCLUDED if occluded else Visibility.NO_BALL
        return _Frame(vis, math.nan, math.nan, event, frame)
    kind, obj = mine[0]
    x, y = _position(kind, obj, uri, frame)
    cat = obj.get("label-category-attributes") or {}
    level = str(cat.get("visibility", "easy")).lower() if isinstance(cat, dict) else "easy"
    if level not in _VIS_FROM_GT:
        raise FormatError(uri, f"unknown visibility {level!r}", frame=frame)
    return _Frame(_VIS_FROM_GT[level], x, y, event, frame)


def _position(kind: str, obj: dict[str, Any], uri: str, frame: str) -> tuple[float, float]:
    try:
        if kind == "keypoints":
            x, y = float(obj["x"]), float(obj["y"])
        elif kind == "annotations":  # a box: the ball is its centre
            x = float(obj["left"]) + float(obj["width"]) / 2
            y = float(obj["top"]) + float(obj["height"]) / 2
        else:
            raise FormatError(uri, f"{kind} cannot describe a ball position", frame=frame)
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(uri, f"{kind} entry without numeric {exc}", frame=frame) from exc
    if not (math.isfinite(x) and math.isfinite(y)):
        raise FormatError(uri, f"position ({x}, {y}) is not finite", frame=frame)
    return x, y


def _store(
    frames: dict[int, _Frame], video_frame: int, value: _Frame, where: str, report: ImportReport
) -> None:
    old = frames.get(video_frame)
    if old is None:
        frames[video_frame] = value
        return
    same = (old.visibility, old.event) == (value.visibility, value.event) and (
        np.allclose([old.x, old.y], [value.x, value.y], equal_nan=True)
    )
    if not same:
        raise FormatError(
            where.split(",")[0],
            f"two different labels for one video frame ({old.where} and {value.where})",
            frame=video_frame,
        )
    report.skip("duplicate frame", where)


def _to_track(frames: dict[int, _Frame], options: GtImportOptions, report: ImportReport) -> Track:
    numbers = np.fromiter(frames, dtype=np.int64, count=len(frames))
    values = list(frames.values())
    n = options.n_frames
    if n is None:
        n = int(numbers.max()) + 1 if len(numbers) else 0
    keep = (numbers >= 0) & (numbers < n)
    places = [values[k].where for k in np.flatnonzero(~keep)[: ImportReport.MAX_EXAMPLES]]
    report.skip_many(f"video frame outside 0..{n - 1}", places, int((~keep).sum()))
    vis = np.array([v.visibility for v in values], dtype=np.int8)
    x = np.array([v.x for v in values], dtype=np.float64)
    y = np.array([v.y for v in values], dtype=np.float64)
    event = np.array([v.event for v in values], dtype=np.int8)
    if options.image_size is not None:
        width, height = options.image_size
        outside = keep & ((x < 0) | (y < 0) | (x > width) | (y > height))
        places = [values[k].where for k in np.flatnonzero(outside)[: ImportReport.MAX_EXAMPLES]]
        report.skip_many(f"position outside the {width}x{height} image", places, int(outside.sum()))
        keep &= ~outside
    track = Track(n)
    track.update(
        numbers[keep],
        x=x[keep],
        y=y[keep],
        visibility=vis[keep],
        event=event[keep],
        source=Source.IMPORTED,
    )
    report.imported = int(keep.sum())
    return track
