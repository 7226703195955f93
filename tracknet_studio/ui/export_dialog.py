"""File > Export Video…: the video with the overlay burned in, via video.export.export_video.

The dialog asks for the output file, the frames (whole video or the in/out range), which
layers to draw, the trail length, the output size and the H.264 quality. The export runs in
the background on a snapshot of the layers (editing may go on) with a progress dialog; the
exporter writes a temporary file and renames it at the end, so Cancel or a failure leaves
nothing behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.core import LABELS, Project
from tracknet_studio.video.export import ExportResult, ExportSettings, export_video

from . import places
from .tasks import BackgroundTask, Cancelled, Report, run_in_background

if TYPE_CHECKING:
    from .shell import Shell

VIDEO_OUT_FILTER = "MP4 video (*.mp4);;QuickTime (*.mov);;Matroska (*.mkv)"
OUTPUT_HEIGHTS = (None, 1080, 720, 480, 360)  # None: the source's size
DEFAULT_CRF = 20


def output_size(source: tuple[int, int], height: int | None) -> tuple[int, int] | None:
    """(width, height) for `height` keeping the source's shape, both even; None: source."""
    if height is None:
        return None
    width = round(source[0] * height / source[1] / 2) * 2
    return max(2, width), height - height % 2


class ExportVideoDialog(QDialog):
    """Output file, frames, layers, trail, size and quality of one export."""

    def __init__(
        self, parent: QWidget | None, project: Project, source_size: tuple[int, int],
        in_out: tuple[int, int] | None, suggested: Path, note: str = "",
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Export Video")
        self.setObjectName("exportVideoDialog")
        self.n_frames, self.source_size, self.in_out = project.n_frames, source_size, in_out
        form = QFormLayout()
        self.path = QLineEdit(str(suggested))
        self.path.setObjectName("exportPath")
        self.path.setMinimumWidth(360)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("Output:", row)
        self.place_note = QLabel(note)  # why the file is not beside the video
        self.place_note.setObjectName("exportPlaceNote")
        self.place_note.setWordWrap(True)
        self.place_note.setVisible(bool(note))
        form.addRow("", self.place_note)
        self.range_combo = QComboBox()
        self.range_combo.setObjectName("exportRange")
        self.range_combo.addItem(f"Whole video (0–{self.n_frames - 1})", None)
        if in_out is not None:
            self.range_combo.addItem(f"In–out range ({in_out[0]}–{in_out[1] - 1})", in_out)
            self.range_combo.setCurrentIndex(1)
        form.addRow("Frames:", self.range_combo)
        form.addRow("Layers:", self._layer_boxes([LABELS, *project.predictions]))
        self.trail = QSpinBox()
        self.trail.setObjectName("exportTrail")
        self.trail.setRange(0, 300)
        self.trail.setValue(ExportSettings().trail_length)
        self.trail.setSuffix(" frames")
        form.addRow("Trail:", self.trail)
        self.size_combo = QComboBox()
        self.size_combo.setObjectName("exportSize")
        for height in OUTPUT_HEIGHTS:
            size = output_size(source_size, height) or source_size
            text = f"{size[0]}×{size[1]}" + (" (source)" if height is None else "")
            self.size_combo.addItem(text, height)
        form.addRow("Size:", self.size_combo)
        self.crf = QSpinBox()
        self.crf.setObjectName("exportCrf")
        self.crf.setRange(0, 51)
        self.crf.setValue(DEFAULT_CRF)
        self.crf.setToolTip("H.264 CRF: lower is better and bigger; 18-23 is usual")
        form.addRow("Quality (CRF):", self.crf)
        self.info_box = QCheckBox("Frame, time and speed in a corner")
        self.info_box.setObjectName("exportInfoBox")
        form.addRow("Info box:", self.info_box)
        self.legend = QCheckBox("Which colour is which layer")
        self.legend.setToolTip("For viewers who never saw the app: a key in the bottom-left corner")
        self.legend.setObjectName("exportLegend")
        form.addRow("Legend:", self.legend)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(buttons)

    def _layer_boxes(self, names: list[str]) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.layer_checks: dict[str, QCheckBox] = {}
        for name in names:
            check = QCheckBox("Labels" if name == LABELS else name)
            check.setChecked(True)
            layout.addWidget(check)
            self.layer_checks[name] = check
        return box

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Video", self.path.text(), VIDEO_OUT_FILTER
        )
        if path:
            self.path.setText(path)

    def output(self) -> Path:
        return Path(self.path.text().strip())

    def settings(self) -> ExportSettings:
        frames = self.range_combo.currentData()
        start, stop = frames if frames is not None else (0, None)
        return ExportSettings(
            start=start,
            stop=stop,
            layers=frozenset(n for n, check in self.layer_checks.items() if check.isChecked()),
            trail_length=self.trail.value(),
            output_size=output_size(self.source_size, self.size_combo.currentData()),
            crf=self.crf.value(),
            info_box=self.info_box.isChecked(),
            legend=self.legend.isChecked(),
        )


def export_video_dialog(shell: Shell, in_out: tuple[int, int] | None) -> BackgroundTask | None:
    """Ask for the export's settings, then start it in the background."""
    project, info = shell.project, shell.video
    if project is None or info is None:
        shell.show_error("Export video", "Open a video or a project first.")
        return None
    source = Path(info.path)
    suggested = places.suggest(source, f"{source.stem}-overlay.mp4", places.VIDEOS)
    dialog = ExportVideoDialog(shell.window, project, (info.width, info.height), in_out,
                               suggested.path, note=suggested.note)  # fmt: skip
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return start_export(shell, dialog.output(), dialog.settings())


def start_export(shell: Shell, output: Path, settings: ExportSettings) -> BackgroundTask | None:
    """Export in the background from a snapshot of the project's layers."""
    project, info = shell.project, shell.video
    if project is None or info is None:
        return None
    if output.resolve() == Path(info.path).resolve():
        shell.show_error("Export video", "Choose another file than the source video.")
        return None
    snapshot = project.copy()  # the export reads this; editing may go on meanwhile
    layers = {LABELS: snapshot.labels, **snapshot.predictions}

    def work(report: Report) -> ExportResult:
        return export_video(Path(info.path), output, layers, settings, progress=report)

    def done(result: ExportResult) -> None:
        rate = result.frames / max(result.seconds, 1e-9)
        shell.say(f"Exported {result.frames} frames to {result.path} ({rate:.0f} frames/s)", 10_000)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            shell.say("Export cancelled; no file was written", 5000)
        else:
            shell.show_error("Cannot export the video", f"{output}: {exc}")

    return run_in_background(
        shell.window, "Exporting video", work, on_success=done, on_failure=failed
    )
