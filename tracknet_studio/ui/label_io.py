"""File > Import Labels and Export Labels: the formats package's readers and writers, asked
through small dialogs, and an import applied to the project as one undoable step.

An import never overwrites human frames unless the user confirms replacing them. Every
question is asked through `questions.choose`, `pick_object`, `csv_options_dialog`
or `show_report`, which tests replace.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.core import LABELS, Source, Track, Visibility
from tracknet_studio.formats import (
    CsvForm,
    CsvOptions,
    FormatError,
    ImportReport,
    write_csv,
    write_groundtruth,
)
from tracknet_studio.formats.csv_tracks import suggest_meaning
from tracknet_studio.formats.groundtruth_export import GtJobExport, write_labeling_job
from tracknet_studio.formats.tracks import (
    Questions,
    TrackKind,
    TrackOptions,
    read_track,
    track_kind,
)
from tracknet_studio.video import VideoReader

from . import places, questions
from .tasks import BackgroundTask, Cancelled, Report, run_in_background
from .undo import push_track_update, undo_macro

if TYPE_CHECKING:
    from .shell import Shell

IMPORT_FILTER = (
    "Label files (*.csv *.manifest);;CSV tracks (*.csv);;"
    "Ground Truth output manifest (*.manifest);;All files (*)"
)
EXPORT_FORMS: dict[str, CsvForm] = {
    "Badminton CSV (*.csv)": CsvForm.BADMINTON,
    "Tennis Label.csv (*.csv)": CsvForm.TENNIS_A,
    "Prediction CSV with time (*.csv)": CsvForm.PREDICTION,
    "Tennis CSV, Trajectory Pattern (*.csv)": CsvForm.TENNIS_B,
    "frame_num,x,y,visible CSV (*.csv)": CsvForm.FRAME_XY_VISIBLE,
}
GT_OUTPUT = "Ground Truth output folder"
GT_LABELING_JOB = "Ground Truth labeling job folder"
GT_ADJUSTMENT_JOB = "Ground Truth adjustment job folder (pre-filled with these labels)"
GT_JOBS = (GT_LABELING_JOB, GT_ADJUSTMENT_JOB)
REPLACE, KEEP_HUMAN = "Replace Human Labels", "Keep Human Labels"
IMPORT_ANYWAY = "Import Anyway"


# ===================================================================== dialogs (patchable)


def csv_options_dialog(parent: QWidget | None, path: Path, column: str) -> CsvOptions | None:
    """Ask how to read an ambiguous CSV; None when cancelled."""
    dialog = QDialog(parent)
    dialog.setObjectName("csvOptionsDialog")
    dialog.setWindowTitle("Import CSV")
    layout = QVBoxLayout(dialog)
    suggestion = suggest_meaning(path)
    text = QLabel(
        f"<b>{path.name}</b>: the column <b>{column!r}</b> can mean two things. "
        f"{html.escape(suggestion.reason)} Check how this file was written:"
    )
    text.setObjectName("csvSuggestion")
    text.setWordWrap(True)
    layout.addWidget(text)
    state = QCheckBox("Visibility is a state code (0 = visible, anything else = no ball)")
    state.setObjectName("stateCode")
    state.setChecked(suggestion.state_code_visibility)
    normalised = QCheckBox("x and y are fractions of the image size (0–1)")
    normalised.setObjectName("normalised")
    normalised.setChecked(suggestion.normalized)
    layout.addWidget(state)
    layout.addWidget(normalised)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return CsvOptions(
        state_code_visibility=state.isChecked(),
        normalized=(0, 0) if normalised.isChecked() else None,  # size filled in by caller
    )


def pick_object(parent: QWidget | None, path: str, objects: list) -> str | None:
    """Several tracked objects: the user picks one by name; None when cancelled."""
    items = [f"{o.name} ({o.frames} frames)" for o in objects]
    item, ok = QInputDialog.getItem(
        parent, "Pick the ball", f"{Path(path).name} tracks several objects:", items, 0, False
    )
    return objects[items.index(item)].name if ok and item in items else None


def show_report(
    parent: QWidget | None, report: ImportReport, applied: np.ndarray, kept: int
) -> None:
    """The import's outcome: frames applied by visibility (`applied`: their codes), human
    labels kept, rows skipped."""
    lines = [report.summary(), "", f"{len(applied)} frames applied to the labels: "
             + visibility_counts(applied) + "."]  # fmt: skip
    if kept:
        lines.append(f"{kept} frames kept their human labels.")
    box = QMessageBox(QMessageBox.Icon.Information, "Import report", lines[0], parent=parent)
    box.setObjectName("importReport")
    box.setInformativeText("\n".join(lines[2:]))
    if report.n_skipped:
        box.setDetailedText(report.summary())
    box.exec()


# ===================================================================== import


def import_labels_dialog(shell: Shell) -> None:
    if shell.project is None:
        shell.show_error("Import labels", "Open a video or a project first.")
        return
    start = str(Path(shell.video.path).parent) if shell.video is not None else ""
    name, _ = QFileDialog.getOpenFileName(shell.window, "Import Labels", start, IMPORT_FILTER)
    if name:
        import_labels(shell, Path(name))


def import_labels(shell: Shell, path: Path) -> bool:
    """Read `path` (a CSV, or a Ground Truth manifest or output folder) into the labels."""
    project = shell.project
    if project is None:
        return False
    options = TrackOptions(n_frames=project.n_frames, image_size=video_size(shell))
    try:
        if track_kind(path) is TrackKind.PROJECT:
            raise FormatError(path, "a project opens with File > Open; import a track file")
        read = read_track(path, options, DialogQuestions(shell.window))
    except FormatError as exc:
        shell.show_error("Cannot import labels", str(exc))
        return False
    if read is None:
        return False  # a question was cancelled
    assert read.report is not None  # track files always report
    return apply_import(shell, read.track, read.report, path.name)


class DialogQuestions(Questions):
    """read_track's questions, asked with this module's dialogs."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def csv_meaning(self, path: Path, column: str) -> CsvOptions | None:
        return csv_options_dialog(self.parent, path, column)

    def which_object(self, path: str, objects: list) -> str | None:
        return pick_object(self.parent, path, objects)


def video_size(shell: Shell) -> tuple[int, int] | None:
    """(width, height) of the open video, if one is open."""
    info = shell.video
    return (int(info.width), int(info.height)) if info is not None else None


def visibility_counts(visibility: np.ndarray) -> str:
    """ "12 visible, 3 hard, 0 occluded, 6 no ball" for a column of visibility codes."""
    return ", ".join(
        f"{int((visibility == v).sum())} {v.name.lower().replace('_', ' ')}"
        for v in (Visibility.VISIBLE, Visibility.HARD, Visibility.OCCLUDED, Visibility.NO_BALL)
    )


def apply_import(shell: Shell, track: Track, report: ImportReport, name: str) -> bool:
    """Write the imported track's labeled frames into the labels as one undo step; first
    warn when rows with coordinates were read as no ball (their coordinates dropped)."""
    if report.dropped_positions and not _drop_positions_ok(shell, report):
        return False
    labels = shell.project.labels
    frames = track.labeled_frames()
    # Every reader is given the video's frame count and reports the frames beyond it; this
    # only keeps a track that is longer anyway from indexing past the labels.
    frames = frames[frames < len(labels)]
    human = frames[labels.source[frames] == Source.HUMAN]
    replace_human = False
    if len(human):
        answer = questions.choose(
            shell.window,
            "Import labels",
            f"{len(human)} of the {len(frames)} imported frames already have human labels.",
            (KEEP_HUMAN, REPLACE, questions.CANCEL),
            informative="Keep Human Labels imports only the other frames.",
        )
        if answer == questions.CANCEL:
            return False
        replace_human = answer == REPLACE
    values = {n: track.column(n)[frames] for n in ("x", "y", "visibility", "event")}
    source = np.full(len(frames), Source.IMPORTED, dtype=labels.source.dtype)
    with undo_macro(shell.undo_stack, f"Import {name}"):
        command = push_track_update(
            shell.undo_stack,
            labels,
            frames,
            text=f"Import {name}",
            protect_human=not replace_human,
            source=source,
            **values,
        )
    applied = labels.visibility[[] if command is None else command.frames]
    kept = 0 if replace_human else len(human)
    show_report(shell.window, report, applied, kept)
    return True


def _drop_positions_ok(shell: Shell, report: ImportReport) -> bool:
    answer = questions.choose(
        shell.window,
        "Import labels",
        f"{report.dropped_positions} rows carry coordinates but were read as no ball: "
        "their coordinates would be dropped.",
        (IMPORT_ANYWAY, questions.CANCEL),
        informative="This is often a visibility column read with the wrong meaning (a state "
        "code where 0 means visible, or a flag where 1 does). Cancel and import again to "
        "choose the other meaning.",
        icon=QMessageBox.Icon.Warning,
    )
    return answer == IMPORT_ANYWAY


# ===================================================================== export


def pick_layer(shell: Shell, names: list[str]) -> str | None:
    """Which layer to export: the labels or a prediction layer (None: cancelled)."""
    items = ["Labels", *names[1:]]
    item, ok = QInputDialog.getItem(shell.window, "Export", "Layer to export:", items, 0, False)
    return None if not ok else names[items.index(item)]


def export_labels_dialog(shell: Shell) -> None:
    project = shell.project
    if project is None:
        shell.show_error("Export labels", "Open a video or a project first.")
        return
    layer: str | None = LABELS
    if project.predictions:
        layer = pick_layer(shell, [LABELS, *project.predictions])
        if layer is None:
            return
    folder_forms = {f"{form} (*)": form for form in (GT_OUTPUT, *GT_JOBS)}
    filters = [*EXPORT_FORMS, *folder_forms]
    video = project.video_path or (shell.video.path if shell.video is not None else None)
    stem = Path(video).stem if video else "labels"
    suffix = "labels" if layer == LABELS else layer
    place = places.suggest(video, f"{stem}-{suffix}.csv", places.DOCUMENTS)
    if place.note:
        shell.say(place.note, 10_000)
    name, chosen = QFileDialog.getSaveFileName(
        shell.window, "Export Labels", str(place.path), ";;".join(filters), filters[0]
    )
    if not name:
        return
    form = EXPORT_FORMS.get(chosen) or folder_forms.get(chosen, GT_OUTPUT)
    if form in GT_JOBS:
        base_uri, ok = QInputDialog.getText(
            shell.window,
            "Ground Truth job",
            "Where will this folder be uploaded? (the manifest points there)",
            text=f"s3://your-bucket/tracknet-studio/{Path(name).name}/",
        )
        if ok and base_uri.strip():
            export_labeling_job(shell, Path(name), base_uri.strip(), form == GT_ADJUSTMENT_JOB)
        return
    export_labels(shell, Path(name), form, layer)


def export_labeling_job(
    shell: Shell, folder: Path, base_uri: str, adjustment: bool
) -> BackgroundTask | None:
    """Write a Ground Truth job folder (every frame of the video) in the background."""
    project, info = shell.project, shell.video
    if project is None or info is None:
        shell.show_error("Export labels", "A labeling job needs the video: open it first.")
        return None
    if folder.exists() and any(folder.iterdir()):
        shell.show_error("Export labels", f"{folder}: choose a new or empty folder.")
        return None
    labels = project.labels.copy()  # the export reads a snapshot; editing may go on

    def work(report: Report) -> GtJobExport:
        # A reader of its own: the window's reader belongs to the playback thread.
        with VideoReader(info.path) as reader:
            return write_labeling_job(
                labels,
                folder,
                range(len(labels)),
                reader.frame,
                base_uri=base_uri,
                job_name=folder.name,
                adjustment=adjustment,
                progress=report,
            )

    def done(export: GtJobExport) -> None:
        shell.say(f"Ground Truth job with {export.frames} frames written to {folder}", 8000)

    def failed(exc: BaseException) -> None:
        shutil.rmtree(folder, ignore_errors=True)  # a cancelled or failed export leaves nothing
        if not isinstance(exc, Cancelled):
            shell.show_error("Cannot export the labeling job", f"{folder}: {exc}")

    return run_in_background(
        shell.window, "Exporting frames", work, on_success=done, on_failure=failed
    )


def export_labels(shell: Shell, path: Path, form: CsvForm | str, layer: str = LABELS) -> bool:
    """Write a layer (the labels, or a prediction layer by name) as a CSV form, or as a
    Ground Truth output folder at `path`."""
    project = shell.project
    if project is None:
        return False
    info = shell.video
    track = project.layer(layer)
    try:
        if form == GT_OUTPUT:
            write_groundtruth(track, path)
        else:
            fps = float(info.fps) if info is not None else None
            size = (int(info.width), int(info.height)) if info is not None else None
            write_csv(track, path, CsvForm(form), fps=fps, image_size=size)
    except (OSError, ValueError) as exc:
        shell.show_error("Cannot export labels", f"{path}: {exc}")
        return False
    what = "Labels" if layer == LABELS else f"Layer '{layer}'"
    shell.say(f"{what} exported to {path}", 5000)
    return True
