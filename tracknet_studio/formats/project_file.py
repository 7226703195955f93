"""The project file: one JSON document with a schema version, saved atomically.

Schema version 2 (current):

    {"schema_version": 2,
     "app": "tracknet-studio",
     "video": {"path": "match.mp4", "fingerprint": {...}},
     "n_frames": 650000,
     "layers": {"labels": LAYER, "predictions": {"model-a": LAYER, ...}},
     "review": {...}, "view": {...}}

    LAYER = {"x": COLUMN, "y": COLUMN, "visibility": COLUMN, ...}  (every Track column)
    COLUMN = {"dtype": "<f8", "encoding": "zlib+base64", "data": "..."}

Columns are little-endian arrays, zlib-compressed (level 1: fast, and mostly-empty tracks
shrink a lot) and base64-encoded, so 650,000 frames save and load in a fraction of a second.

Version 1 (the first drafts) stored each layer as JSON lists: {"x": [...], "y": [...],
"visibility": [...], "source": [...]} with null for missing values, the video as top-level
"video_path"/"fingerprint", and no review or view state. `MIGRATIONS` upgrades it.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from ..core.project import Project
from ..core.track import COLUMNS, EMPTY_VALUES, MAX_FRAMES, Track
from .atomic import atomic_write_bytes
from .errors import FormatError

SCHEMA_VERSION = 2
APP = "tracknet-studio"
SUFFIX = ".tnproj"
_ENCODING = "zlib+base64"

Migration = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class LoadResult:
    """A loaded project and what the caller should tell the user about it."""

    project: Project
    # None when no current fingerprint was given or the file has none to compare.
    fingerprint_matches: bool | None
    migrated_from: int | None  # the file's schema version when it was older

    @property
    def fingerprint_mismatch(self) -> bool:
        return self.fingerprint_matches is False


# ----- saving ----------------------------------------------------------------------------
def project_to_dict(project: Project) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "app": APP,
        "video": {"path": project.video_path, "fingerprint": project.fingerprint},
        "n_frames": project.n_frames,
        "layers": {
            "labels": _encode_track(project.labels),
            "predictions": {n: _encode_track(t) for n, t in project.predictions.items()},
        },
        "review": project.review,
        "view": project.view,
    }


def dumps_project(project: Project) -> bytes:
    return json.dumps(project_to_dict(project), separators=(",", ":")).encode("utf-8")


def save_project(project: Project, path: str | PathLike[str]) -> None:
    """Save atomically: a crash leaves the old file or the new one, never a torn one."""
    atomic_write_bytes(path, dumps_project(project))


def _encode_track(track: Track) -> dict[str, Any]:
    return {name: _encode_column(col) for name, col in track.columns().items()}


def _encode_column(values: np.ndarray) -> dict[str, str]:
    little = values.astype(values.dtype.newbyteorder("<"), copy=False)
    packed = zlib.compress(little.tobytes(), 1)
    return {
        "dtype": little.dtype.str,
        "encoding": _ENCODING,
        "data": base64.b64encode(packed).decode("ascii"),
    }


# ----- loading ---------------------------------------------------------------------------
def load_project(
    path: str | PathLike[str], current_fingerprint: dict[str, Any] | None = None
) -> LoadResult:
    """Load a project; compare its fingerprint with the current video's when given."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(path, f"cannot read: {exc}") from exc
    return loads_project(raw, path, current_fingerprint)


def loads_project(
    raw: bytes,
    path: str | PathLike[str] = "<project>",
    current_fingerprint: dict[str, Any] | None = None,
) -> LoadResult:
    if not raw.strip():
        raise FormatError(path, "empty project file")
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise FormatError(path, f"not valid JSON: {exc}", line=line) from exc
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise FormatError(path, "not a project file (no schema_version)")
    doc, migrated_from = migrate(doc, path)
    project = _project_from_dict(doc, path)
    matches = None
    if current_fingerprint is not None and project.fingerprint is not None:
        matches = project.fingerprint == current_fingerprint
    return LoadResult(project, matches, migrated_from)


def migrate(doc: dict[str, Any], path: str | PathLike[str]) -> tuple[dict[str, Any], int | None]:
    """Upgrade a document step by step to SCHEMA_VERSION; returns it and its first version."""
    version = doc["schema_version"]
    if not isinstance(version, int) or version < 1:
        raise FormatError(path, f"bad schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise FormatError(
            path, f"schema_version {version} is newer than this program's {SCHEMA_VERSION}"
        )
    start = version
    while version < SCHEMA_VERSION:
        try:
            doc = MIGRATIONS[version](doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(path, f"cannot migrate schema {version}: {exc!r}") from exc
        version = doc["schema_version"]
    return doc, (start if start != SCHEMA_VERSION else None)


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    def layer(v1: dict[str, list[Any]]) -> dict[str, Any]:
        n = len(v1["x"])
        columns = {}
        for name, dtype in COLUMNS.items():
            values = v1.get(name)
            if values is None:
                col = np.full(n, EMPTY_VALUES[name], dtype=dtype)
            else:
                fill = EMPTY_VALUES[name]
                col = np.array([fill if v is None else v for v in values], dtype=dtype)
            columns[name] = _encode_column(col)
        return columns

    labels = doc["labels"]
    return {
        "schema_version": 2,
        "app": APP,
        "video": {"path": doc.get("video_path"), "fingerprint": doc.get("fingerprint")},
        "n_frames": len(labels["x"]),
        "layers": {
            "labels": layer(labels),
            "predictions": {n: layer(p) for n, p in doc.get("predictions", {}).items()},
        },
        "review": {},
        "view": {},
    }


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


def _project_from_dict(doc: dict[str, Any], path: str | PathLike[str]) -> Project:
    try:
        n = int(doc["n_frames"])
        if not 0 <= n <= MAX_FRAMES:  # before any column is decompressed
            raise FormatError(path, f"n_frames {n:,}: a project has 0 to {MAX_FRAMES:,}")
        layers = doc["layers"]
        labels = _decode_track(layers["labels"], n, path, "labels")
        predictions = {
            name: _decode_track(layer, n, path, name)
            for name, layer in layers.get("predictions", {}).items()
        }
        video = doc.get("video") or {}
        return Project(
            labels=labels,
            video_path=video.get("path"),
            fingerprint=video.get("fingerprint"),
            predictions=predictions,
            review=dict(doc.get("review") or {}),
            view=dict(doc.get("view") or {}),
        )
    except FormatError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FormatError(path, f"malformed project: {exc!r}") from exc


def _decode_track(layer: dict[str, Any], n: int, path: str | PathLike[str], name: str) -> Track:
    columns = {}
    for col_name, spec in layer.items():
        if col_name not in COLUMNS:
            raise FormatError(path, f"layer {name!r}: unknown column {col_name!r}")
        columns[col_name] = _decode_column(spec, n, path, f"{name}.{col_name}")
    try:
        return Track.from_columns(n, **columns)
    except ValueError as exc:
        raise FormatError(path, f"layer {name!r}: {exc}") from exc


def _decode_column(spec: dict[str, str], n: int, path: str | PathLike[str], what: str) -> Any:
    if spec.get("encoding") != _ENCODING:
        raise FormatError(path, f"column {what}: unknown encoding {spec.get('encoding')!r}")
    try:
        dtype = np.dtype(spec["dtype"])
        # Never inflate more than the frames can hold: a crafted column cannot expand into
        # gigabytes (n values, plus one byte to tell "too long" from "just right").
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.b64decode(spec["data"], validate=True),
                                   n * dtype.itemsize + 1)  # fmt: skip
        values = np.frombuffer(data, dtype=dtype)
    except (ValueError, zlib.error, TypeError) as exc:
        raise FormatError(path, f"column {what}: corrupt data ({exc})") from exc
    if len(values) != n:
        raise FormatError(path, f"column {what}: {len(values)} values for {n} frames")
    return values
