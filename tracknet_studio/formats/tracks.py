"""Any track file by its path: what kind it is, and reading it, in one place.

A path is a CSV (`.csv`, `.txt`: any form csv_tracks knows), a Ground Truth output (a
`.manifest` or an output folder) or a project (`.tnproj`, which gives a project, not only
a track). The window, `convert`, `export`, `evaluate` and `interpolate` all read through
`read_track`: the command line passes its options, the window a `Questions` whose answers
come from dialogs (what a CSV column means, which tracked object to import).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from os import PathLike
from pathlib import Path

from ..core.project import Project
from ..core.track import Track
from .csv_tracks import CsvForm, CsvOptions, read_csv, sniff_form
from .errors import FormatError, ImportReport
from .groundtruth import AmbiguousObjectError, GtImportOptions, read_groundtruth
from .project_file import SUFFIX as PROJECT_SUFFIX
from .project_file import load_project

CSV_SUFFIXES = (".csv", ".txt")
# The forms whose visibility or coordinates mean nothing without being told (CsvOptions).
AMBIGUOUS_COLUMNS: dict[CsvForm, str] = {CsvForm.FRAME_XY_VISIBLE: "visible"}


class TrackKind(StrEnum):
    CSV = "csv"
    GROUNDTRUTH = "groundtruth"
    PROJECT = "project"


def track_kind(path: str | PathLike[str]) -> TrackKind:
    """What kind of track file `path` is, from its name (a folder is a Ground Truth output)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".manifest":
        return TrackKind.GROUNDTRUTH
    if suffix in CSV_SUFFIXES:
        return TrackKind.CSV
    if suffix == PROJECT_SUFFIX:
        return TrackKind.PROJECT
    raise FormatError(path, "not a track file: a .csv or .txt track, a .tnproj project, "
                      "or a Ground Truth .manifest or output folder")  # fmt: skip


class Questions:
    """What reading may need to ask; the window answers with dialogs. None means the user
    cancelled. These defaults ask nothing: the options given stand, and an ambiguous Ground
    Truth output raises AmbiguousObjectError."""

    def csv_meaning(self, path: Path, column: str) -> CsvOptions | None:
        return CsvOptions()

    def which_object(self, path: str, objects: list) -> str | None:
        raise AmbiguousObjectError(path, objects)


@dataclass(frozen=True)
class TrackOptions:
    """How to read: the video's frame count and size (rows beyond them are skipped), and
    each format's own options (see CsvOptions and GtImportOptions)."""

    n_frames: int | None = None
    image_size: tuple[int, int] | None = None
    csv: CsvOptions = field(default_factory=CsvOptions)
    groundtruth: GtImportOptions = field(default_factory=GtImportOptions)


@dataclass
class TrackRead:
    """What a file gave: a project (a track file gives one with its labels), a report of
    what was skipped (None for a project file), and the CSV form read (None otherwise)."""

    project: Project
    kind: TrackKind
    report: ImportReport | None = None
    form: CsvForm | None = None

    @property
    def track(self) -> Track:
        return self.project.labels


def read_track(
    path: str | PathLike[str], options: TrackOptions | None = None, ask: Questions | None = None
) -> TrackRead | None:
    """Read any track file (see the module); None when a question was cancelled."""
    path, options, ask = Path(path), options or TrackOptions(), ask or Questions()
    kind = track_kind(path)
    if not path.exists():
        raise FormatError(path, "file does not exist")
    if kind is TrackKind.PROJECT:
        return TrackRead(load_project(path).project, kind)
    if kind is TrackKind.CSV:
        return _read_csv(path, options, ask)
    return _read_groundtruth(path, options, ask)


def _read_csv(path: Path, options: TrackOptions, ask: Questions) -> TrackRead | None:
    form = sniff_form(path)
    csv_options = replace(options.csv, image_size=options.image_size, n_frames=options.n_frames)
    if form in AMBIGUOUS_COLUMNS and options.csv == CsvOptions():
        asked = ask.csv_meaning(path, AMBIGUOUS_COLUMNS[form])
        if asked is None:
            return None
        if asked.normalized is not None and options.image_size is None:
            raise FormatError(path, "normalised coordinates need the video's size")
        normalized = options.image_size if asked.normalized is not None else None
        csv_options = replace(csv_options, normalized=normalized,
                              state_code_visibility=asked.state_code_visibility)  # fmt: skip
    track, report = read_csv(path, csv_options)
    return TrackRead(Project(labels=track), TrackKind.CSV, report, form)


def _read_groundtruth(path: Path, options: TrackOptions, ask: Questions) -> TrackRead | None:
    gt = replace(options.groundtruth, n_frames=options.n_frames, image_size=options.image_size)
    try:
        track, report = read_groundtruth(path, gt)
    except AmbiguousObjectError as exc:
        chosen = ask.which_object(exc.path, exc.objects)
        if chosen is None:
            return None
        track, report = read_groundtruth(path, replace(gt, object_name=chosen))
    return TrackRead(Project(labels=track), TrackKind.GROUNDTRUTH, report)
