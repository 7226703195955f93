"""Model > Fine-tune on Labels…: adapt a model to this video from the labels of the open
project, in the background (tracknet_studio.inference.finetune, the loop the command line
runs), with a progress bar over the training time and Cancel. At the end the held-out F1
before and after is shown, and the new model becomes Run Model's choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.core.paths import data_dir
from tracknet_studio.inference.local import DEFAULT_WEIGHTS, available_devices

from .prediction import WEIGHTS_KEY, in_out_range
from .tasks import BackgroundTask, Cancelled, Report, run_in_background

if TYPE_CHECKING:
    from .main_window import MainWindow


@dataclass(frozen=True)
class FinetuneSettings:
    init: Path  # the model to start from
    output: Path  # the model folder to write
    minutes: float
    device: str
    frames: tuple[int, int] | None  # labels of these frames only; None: all


def default_output(video: Path) -> Path:
    """A new folder under the app's data folder, named after the video."""
    base = data_dir() / "models" / f"{video.stem}-finetuned"
    candidate, n = base, 2
    while candidate.exists():
        candidate, n = base.with_name(f"{base.name}-{n}"), n + 1
    return candidate


class FinetuneDialog(QDialog):
    """Start from, output folder, minutes, device."""

    def __init__(self, parent: QWidget | None, video: Path, labelled: int,
                 in_out: tuple[int, int] | None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Fine-tune on Labels")
        self.setObjectName("finetuneDialog")
        self.in_out = in_out
        form = QFormLayout()
        self.init = QLineEdit(str(DEFAULT_WEIGHTS))
        self.init.setObjectName("finetuneInit")
        self.init.setMinimumWidth(420)  # model paths are long; they should be readable
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.init, 1)
        layout.addWidget(browse)
        form.addRow("Start from:", row)
        self.output = QLineEdit(str(default_output(video)))
        self.output.setObjectName("finetuneOutput")
        form.addRow("New model:", self.output)
        self.minutes = QDoubleSpinBox()
        self.minutes.setObjectName("finetuneMinutes")
        self.minutes.setRange(0.05, 240)
        self.minutes.setValue(10)
        self.minutes.setSuffix(" min")
        form.addRow("Training time:", self.minutes)
        self.device = QComboBox()
        self.device.addItems(available_devices())
        form.addRow("Device:", self.device)
        scope = f"frames {in_out[0]}–{in_out[1] - 1}" if in_out else "the whole video"
        self.note = QLabel(f"{labelled} labelled frames in {scope}; the last 20 % (in time) "
                           "are held out to measure the model before and after.")  # fmt: skip
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Fine-tune")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.note)
        column.addWidget(buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Model folder")
        if path:
            self.init.setText(path)

    def settings(self) -> FinetuneSettings:
        return FinetuneSettings(Path(self.init.text().strip()), Path(self.output.text().strip()),
                                self.minutes.value(), self.device.currentText(),
                                self.in_out)  # fmt: skip


def finetune_dialog(window: MainWindow) -> BackgroundTask | None:
    project, info = window.project, window.source.info if window.source else None
    if project is None or info is None:
        window.show_error("Fine-tune", "Open a video and label some frames first.")
        return None
    in_out = in_out_range(window)
    labelled = project.labels.labeled_frames()
    if in_out:
        labelled = labelled[(labelled >= in_out[0]) & (labelled < in_out[1])]
    dialog = FinetuneDialog(window, Path(info.path), len(labelled), in_out)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return run_finetune(window, dialog.settings())


def run_finetune(window: MainWindow, settings: FinetuneSettings) -> BackgroundTask | None:
    """Fine-tune in the background on the project's labels; on success the new model is
    Run Model's choice and the before/after F1 is shown."""
    from tracknet_studio.inference.finetune import FinetuneError, finetune, labelled_clip

    project, info = window.project, window.source.info if window.source else None
    if project is None or info is None:
        return None
    try:
        clip = labelled_clip(Path(info.path), project.labels.copy(), settings.frames, 0.2)
    except FinetuneError as exc:
        window.show_error("Cannot fine-tune", str(exc))
        return None

    def work(report: Report):
        def progress(done: float, total: float) -> None:
            report(int(done), int(total))

        return finetune([clip], settings.init, settings.output, minutes=settings.minutes,
                        device=settings.device, say=lambda _line: None,
                        progress=progress)  # fmt: skip

    def done(result) -> None:
        window.settings.setValue(WEIGHTS_KEY, str(result.model))
        message = (f"Held-out F1 {result.before:.3f} before, {result.after:.3f} after "
                   f"({result.minutes:.1f} min); Run Model now offers {result.model}")  # fmt: skip
        window.statusBar().showMessage(message, 60000)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            window.statusBar().showMessage("Fine-tuning cancelled; no model was written", 5000)
        else:
            window.show_error("Fine-tuning failed", str(exc))

    return run_in_background(window, "Fine-tuning", work, on_success=done, on_failure=failed)
