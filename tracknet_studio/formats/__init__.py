"""Reading and writing files: Ground Truth, the CSV families, the project file, autosave."""

from .autosave import Autosaver, find_recovery, recovery_path_for
from .csv_tracks import CsvForm, CsvOptions, read_csv, write_csv
from .errors import FormatError, ImportReport
from .groundtruth import (
    AmbiguousObjectError,
    FolderOpener,
    FrameMap,
    GtImportOptions,
    read_groundtruth,
)
from .groundtruth_export import write_groundtruth, write_labeling_job
from .project_file import LoadResult, load_project, save_project

__all__ = [
    "AmbiguousObjectError",
    "Autosaver",
    "CsvForm",
    "CsvOptions",
    "FolderOpener",
    "FormatError",
    "FrameMap",
    "GtImportOptions",
    "ImportReport",
    "LoadResult",
    "find_recovery",
    "load_project",
    "read_csv",
    "read_groundtruth",
    "recovery_path_for",
    "save_project",
    "write_csv",
    "write_groundtruth",
    "write_labeling_job",
]
