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
import operator
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
# What the one-loop reader of plain SeqLabels accepts (see _plain_labels), as plain ints.
_PLAIN_EVENTS = {name: int(event) for name, event in _EVENT_FROM_GT.items()}
_PLAIN_LEVELS = {name: int(vis) for name, vis in _VIS_FROM_GT.items()}
# The ball's visibility in a frame without its keypoint, by the frame attribute `visible`.
_PLAIN_WITHOUT_BALL = {
    "": int(Visibility.NO_BALL),
    "no": int(Visibility.NO_BALL),
    "yes": int(Visibility.NO_BALL),
    "occluded": int(Visibility.OCCLUDED),
}
_NOT_KEYPOINTS = _SHAPES[1:]
_NUMBER_TYPES = (int, float)  # bool, an int subclass, is left to the one-by-one reader
_FRAME_NAME = operator.itemgetter("frame")
_FRAME_NO = operator.itemgetter("frame-no")


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
    where: str  # the frame file name


@dataclass
class _Columns:
    """Labeled video frames as parallel lists, cheap to grow; numpy takes them at the end."""

    frames: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # frame file names, for messages
    visibility: list[int] = field(default_factory=list)
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    event: list[int] = field(default_factory=list)

    def extend(self, other: _Columns) -> None:
        self.frames += other.frames
        self.names += other.names
        self.visibility += other.visibility
        self.x += other.x
        self.y += other.y
        self.event += other.event

    def append(self, frame: int, value: _Frame) -> None:
        self.frames.append(frame)
        self.names.append(value.where)
        self.visibility.append(value.visibility)
        self.x.append(value.x)
        self.y.append(value.y)
        self.event.append(value.event)


class _LabelStore:
    """The video frames labeled so far, in reading order. A frame labeled again with the
    same label is skipped as a duplicate; with another label, it is an error."""

    def __init__(self) -> None:
        self.columns = _Columns()
        self._row_of: dict[int, int] = {}  # video frame -> its row in the columns

    def extend(self, labels: _Columns) -> bool:
        """Add many frames at once; refused (False, nothing added) when one of them is
        already here or comes twice, which `add` must then sort out frame by frame."""
        frames = labels.frames
        if len(set(frames)) != len(frames) or not self._row_of.keys().isdisjoint(frames):
            return False
        start = len(self._row_of)
        self._row_of.update(zip(frames, range(start, start + len(frames)), strict=True))
        self.columns.extend(labels)
        return True

    def add(self, frame: int, value: _Frame, where: str, report: ImportReport) -> None:
        row = self._row_of.get(frame)
        if row is None:
            self._row_of[frame] = len(self._row_of)
            self.columns.append(frame, value)
            return
        old = self.columns
        same = (old.visibility[row], old.event[row]) == (value.visibility, value.event) and (
            np.allclose([old.x[row], old.y[row]], [value.x, value.y], equal_nan=True)
        )
        if not same:
            raise FormatError(
                where.split(",")[0],
                f"two different labels for one video frame ({old.names[row]} and {value.where})",
                frame=frame,
            )
        report.skip("duplicate frame", where)


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
    store = _LabelStore()
    last = -1  # the last video frame any sequence covers: the default track length
    for line_no, entry in _manifest_lines(uri, opener):
        last = max(last, _read_manifest_line(entry, line_no, uri, opener, options, store, report))
    labels = store.columns
    if options.n_frames is None:
        options = replace(options, n_frames=max(last, max(labels.frames, default=-1)) + 1)
    return _to_track(labels, options, report), report


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
    store: _LabelStore,
    report: ImportReport,
) -> int:
    """Read one manifest line's labels into `store`; returns the sequence's last video frame
    (-1 for none; names without a number count only when a label uses them, as an error)."""
    attribute, note = _label_attribute(entry, uri, line_no, options.label_attribute)
    if note:
        report.note(note)
    seq_uri, labels_uri = entry["source-ref"], entry[attribute]
    if not isinstance(labels_uri, str):
        raise FormatError(uri, f"{attribute!r} must be a URI of SeqLabel.json", line=line_no)
    names = _read_sequence(opener, seq_uri, uri, line_no)
    labels = _json(_read(opener, labels_uri, uri, line_no), labels_uri)
    entries = _annotation_entries(labels, labels_uri)
    video_frames = _video_frames(names, options.frame_map)
    plain = _plain_labels(entries, video_frames, options.object_name)
    if plain is None or not store.extend(plain):
        _read_entries(entries, labels_uri, names, video_frames, options.object_name, store, report)
    return max(video_frames.values(), default=-1)


def _read_entries(
    entries: list[Any],
    uri: str,
    names: dict[str, int],
    video_frames: dict[str, int],
    wanted: str | None,
    store: _LabelStore,
    report: ImportReport,
) -> None:
    """Read a SeqLabel's entries one by one: any shape, several objects, entries to skip or
    that repeat a frame; errors name the entry."""
    chosen = _choose_object(entries, uri, wanted)
    if chosen is not None and len(chosen) > 1:
        instances = ", ".join(sorted(chosen))
        report.note(f"merged the instances {instances} of one label into one track (a worker "
                    "who lost the ball started it again; they never share a frame)")  # fmt: skip
    for k, item in enumerate(entries):
        name = item.get("frame") if isinstance(item, dict) else None
        where = f"{uri}, entry {k} (frame {name!r})"
        if not isinstance(name, str) or name not in names:
            report.skip("frame name not in the sequence file", where)
            continue
        video_frame = video_frames.get(name)
        if video_frame is None:
            raise FormatError(
                uri, "the file name carries no frame number; map by position", frame=name
            )
        store.add(video_frame, _frame_value(item, chosen, uri, name), where, report)


def _plain_labels(
    entries: list[Any], video_frames: dict[str, int], wanted: str | None
) -> _Columns | None:
    """A SeqLabel's labels read in one tight loop, when every entry is plain: a frame of the
    sequence that maps to a video frame, known attribute values, and no shape but at most one
    keypoint at a finite position, of the same object throughout (as this app exports).

    None as soon as an entry is not plain: `_read_entries` then reads them all again one by
    one, so whatever it skips, notes or refuses (naming the entry) stays its business.
    Per-entry Python is most of a large import's time, hence the inlined checks.
    """
    out = _Columns()
    objects = set()
    isfinite = math.isfinite
    try:
        for item in entries:
            if type(item) is not dict or not item.keys().isdisjoint(_NOT_KEYPOINTS):
                return None
            name = item.get("frame")
            video_frame = video_frames.get(name)  # TypeError for an unhashable name
            attrs = item.get("frame-attributes") or {}
            if video_frame is None or type(attrs) is not dict:
                return None
            event = _PLAIN_EVENTS.get(attrs.get("event", "none"))
            keypoints = item.get("keypoints")
            if not keypoints:
                x = y = math.nan
                vis = _PLAIN_WITHOUT_BALL.get(attrs.get("visible", ""))
            elif type(keypoints) is list and len(keypoints) == 1 and type(keypoints[0]) is dict:
                point = keypoints[0]
                objects.add(point.get("object-name"))
                x, y = point.get("x"), point.get("y")
                if not (type(x) in _NUMBER_TYPES and type(y) in _NUMBER_TYPES):
                    return None
                if not (isfinite(x) and isfinite(y)):
                    return None
                category = point.get("label-category-attributes") or {}
                if type(category) is not dict:
                    return None
                vis = _PLAIN_LEVELS.get(category.get("visibility", "easy"))
            else:
                return None
            if vis is None or event is None:
                return None
            out.frames.append(video_frame)
            out.names.append(name)
            out.visibility.append(vis)
            out.x.append(x)
            out.y.append(y)
            out.event.append(event)
    except TypeError:  # an unhashable value where a name belongs
        return None
    return out if _one_object(objects, wanted) else None


def _one_object(names: set[Any], wanted: str | None) -> bool:
    """Whether the plain loop's keypoint object names need none of `_choose_object`'s
    checks: no object (when none was asked for), or just the one asked for."""
    if not names:
        return wanted is None
    if len(names) > 1:
        return False
    (name,) = names
    return isinstance(name, str) and name != "" and wanted in (None, name)


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
    names, numbers = _listed_frames(listed, seq_uri)
    if all(map(operator.lt, numbers, numbers[1:])):
        ordered = names  # already in frame-no order, as sequence files usually are
    else:
        ordered = [name for _, name in sorted(zip(numbers, names, strict=True))]
    positions = dict(zip(ordered, range(len(ordered)), strict=True))
    if len(positions) != len(ordered):
        dup = next(n for n, c in Counter(ordered).items() if c > 1)
        raise FormatError(seq_uri, "a frame file is listed twice", frame=dup)
    return positions


def _listed_frames(listed: list[Any], seq_uri: str) -> tuple[list[str], list[int]]:
    """Each listed frame's file name and frame-no, checked in bulk (C loops: this runs for
    every frame); when a check fails, the first bad frame is found and named."""
    try:
        names = list(map(_FRAME_NAME, listed))
        numbers = list(map(_FRAME_NO, listed))
    except (KeyError, TypeError):  # not a dict, or a key missing
        names = numbers = [None]
    # Exact types: JSON makes no subclasses, and a bool is no frame-no.
    if set(map(type, names)) <= {str} and set(map(type, numbers)) <= {int}:
        return names, numbers
    for k, frame in enumerate(listed):
        if not (isinstance(frame, dict) and isinstance(frame.get("frame"), str)):
            raise FormatError(seq_uri, f"frames[{k}] needs a string 'frame'")
        no = frame.get("frame-no")
        if isinstance(no, bool) or not isinstance(no, int):
            raise FormatError(seq_uri, f"frames[{k}] needs an integer 'frame-no'", frame=no)
    raise AssertionError("unreachable: the bulk check failed on frames that pass one by one")


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


def _video_frames(names: dict[str, int], frame_map: FrameMap) -> dict[str, int]:
    """Frame file name -> video frame (see FrameMap), for the names that map to one."""
    if frame_map.by == "position":
        ks: list[int | None] = list(names.values())
    else:
        ks = _name_numbers(list(names))
    offset, stride = frame_map.offset, frame_map.stride
    return {name: offset + stride * k for name, k in zip(names, ks, strict=True) if k is not None}


def _name_numbers(names: list[str]) -> list[int | None]:
    """`_name_number` of each name; in bulk when the names follow one template."""
    numbers = _template_numbers(names)
    return [_name_number(name) for name in names] if numbers is None else numbers


def _template_numbers(names: list[str]) -> list[int | None] | None:
    """The numbers in names made from one template, like frame_000123.jpg: the first name's
    text around its number, and a number of the same width in each. The number then sits in
    the same place in every name, where numpy reads them all at once. None for names that
    are not like that (other lengths or text, digits beyond ASCII)."""
    span = _number_span(names[0]) if names else None
    if span is None or set(map(len, names)) != {len(names[0])}:
        return None
    start, end = span
    codes = np.array(names).view(np.uint32).reshape(len(names), -1)  # code points
    around = np.hstack([codes[:, :start], codes[:, end:]])
    digits = codes[:, start:end].astype(np.int64) - ord("0")
    if (around != around[0]).any() or ((digits < 0) | (digits > 9)).any():
        return None
    return (digits @ 10 ** np.arange(end - start - 1, -1, -1, dtype=np.int64)).tolist()


def _number_span(name: str) -> tuple[int, int] | None:
    """Where in `name` `_name_number` reads its number, if that is ASCII digits that fit in
    an int64 (18 of them)."""
    stem_start = name.rfind("/") + 1
    stem = name[stem_start:]
    if "." in stem:
        stem = stem.rpartition(".")[0]
    runs = list(_DIGITS.finditer(stem))
    if not runs or not runs[-1][0].isascii() or len(runs[-1][0]) > 18:
        return None
    return stem_start + runs[-1].start(), stem_start + runs[-1].end()


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


def _to_track(labels: _Columns, options: GtImportOptions, report: ImportReport) -> Track:
    numbers = np.array(labels.frames, dtype=np.int64)
    n = options.n_frames
    if n is None:
        n = int(numbers.max()) + 1 if len(numbers) else 0
    keep = (numbers >= 0) & (numbers < n)
    places = [labels.names[k] for k in np.flatnonzero(~keep)[: ImportReport.MAX_EXAMPLES]]
    report.skip_many(f"video frame outside 0..{n - 1}", places, int((~keep).sum()))
    vis = np.array(labels.visibility, dtype=np.int8)
    x = np.array(labels.x, dtype=np.float64)
    y = np.array(labels.y, dtype=np.float64)
    event = np.array(labels.event, dtype=np.int8)
    if options.image_size is not None:
        width, height = options.image_size
        outside = keep & ((x < 0) | (y < 0) | (x > width) | (y > height))
        places = [labels.names[k] for k in np.flatnonzero(outside)[: ImportReport.MAX_EXAMPLES]]
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
