"""Model > Fine-tune on Labels…: adapt a model to this video from the labels of the open
project (and of other projects the user adds), in the background
(tracknet_studio.inference.finetune, the loop the command line runs). A progress window
plots the training loss and the held-out F1 epoch by epoch, with Cancel; at the end it
shows the held-out F1 before and after, and the new model becomes Run Model's choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
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
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.cloud.jobs import parse_metrics
from tracknet_studio.core.paths import data_dir
from tracknet_studio.formats import FormatError
from tracknet_studio.formats.project_file import SUFFIX, load_project
from tracknet_studio.inference.local import DEFAULT_WEIGHTS, device_choices

from .prediction import WEIGHTS_KEY
from .tasks import BackgroundTask, Cancelled, Report
from .training_curves import TrainingCurves

if TYPE_CHECKING:
    from tracknet_studio.inference.finetune import LabelledClip

    from .shell import Shell


@dataclass(frozen=True)
class FinetuneSettings:
    init: Path  # the model to start from
    output: Path  # the model folder to write
    minutes: float
    device: str
    frames: tuple[int, int] | None  # labels of these frames only; None: all
    projects: list[Path] = field(default_factory=list)  # other projects to learn from too


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
        form.addRow("Start from:", _beside(self.init, browse))
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
        self.device.setObjectName("finetuneDevice")
        for device, words in device_choices():  # the GPU first, by name, where there is one
            self.device.addItem(words, device)
        form.addRow("Train on:", self.device)
        scope = f"frames {in_out[0]}–{in_out[1] - 1}" if in_out else "the whole video"
        self.note = QLabel(f"{labelled} labelled frames in {scope}; the last 20 % (in time) "
                           "are held out to measure the model before and after.")  # fmt: skip
        self.note.setWordWrap(True)
        self.projects = QListWidget()
        self.projects.setObjectName("finetuneProjects")
        self.projects.setMaximumHeight(90)
        add, remove = QPushButton("Add Project…"), QPushButton("Remove")
        add.clicked.connect(self._add_project)
        remove.clicked.connect(lambda: self.projects.takeItem(self.projects.currentRow()))
        project_buttons = QWidget()
        stack = QVBoxLayout(project_buttons)
        stack.setContentsMargins(0, 0, 0, 0)
        for button in (add, remove):
            stack.addWidget(button)
        stack.addStretch()
        form.addRow("Also learn from:", _beside(self.projects, project_buttons))
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

    def _add_project(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Projects to learn from", "", f"Projects (*{SUFFIX})"
        )
        for path in paths:
            self.projects.addItem(path)

    def settings(self) -> FinetuneSettings:
        projects = [Path(self.projects.item(i).text()) for i in range(self.projects.count())]
        return FinetuneSettings(Path(self.init.text().strip()), Path(self.output.text().strip()),
                                self.minutes.value(), self.device.currentData(),
                                self.in_out, projects)  # fmt: skip


def _beside(main: QWidget, side: QWidget) -> QWidget:
    """One form row: `main` taking the width, `side` (buttons) at its right."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(main, 1)
    layout.addWidget(side)
    return row


class _Lines(QObject):
    """Carries the training's log lines from the worker thread to the window's."""

    line = Signal(str)


class FinetuneRun(QDialog):
    """The run's window: what it is doing, time trained, the loss and held-out F1 per
    epoch as entrypoints/train.py reports them, Cancel, and the before/after F1 at the end."""

    def __init__(self, parent: QWidget | None, minutes: float) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fine-tuning")
        self.setObjectName("finetuneRun")
        self.setModal(False)
        self.resize(640, 380)
        self.lines: list[str] = []
        self.stage = QLabel("Preparing the labelled frames…")
        self.stage.setObjectName("finetuneStage")
        self.stage.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, max(1, round(minutes * 60)))
        self.bar.setFormat("%v of %m s trained")
        self.plots = TrainingCurves(f1_title="Held-out F1")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.stage)
        column.addWidget(self.bar)
        column.addWidget(self.plots, 1)
        column.addWidget(self.buttons)
        self.task: BackgroundTask | None = None
        self._ended = False
        self._carrier = _Lines(self)
        self._carrier.line.connect(self.add_line, Qt.ConnectionType.QueuedConnection)

    def say(self, line: str) -> None:
        """Thread-safe: a line of the run's output."""
        self._carrier.line.emit(line)

    def add_line(self, line: str) -> None:
        self.lines.append(line)
        if line.startswith("held-out F1 before"):
            before = float(line.split(":")[1].split()[0])
            self.plots.mark_baseline(before, f"before {before:.3f}")
            self.stage.setText(f"Held-out F1 before: {before:.3f}. Training…")
        self.plots.show_rows(parse_metrics(self.lines))

    def show_progress(self, done: int, total: int) -> None:
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(min(done, total))

    def finish(self, text: str) -> None:
        """The run ended: say how, and let the user close the window."""
        self.stage.setText(text)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    def reject(self) -> None:
        if (
            self.task is not None
            and not self.task.cancelled
            and self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        ):
            self.task.cancel()
            self.stage.setText("Cancelling…")
            return
        super().reject()


def project_clips(paths: list[Path]) -> list[LabelledClip]:
    """The labelled clips of other projects (their own videos, all their labels); a
    project's video path may be relative to the project file."""
    from tracknet_studio.inference.finetune import FinetuneError, labelled_clip

    clips = []
    for path in paths:
        try:
            project = load_project(path).project
        except FormatError as exc:
            raise FinetuneError(str(exc)) from None
        video = Path(project.video_path or "")
        if not video.is_absolute():
            video = path.parent / video
        if not video.is_file():
            raise FinetuneError(f"{path.name}: its video {video} is not there")
        clips.append(labelled_clip(video, project.labels, None, 0.2))
    return clips


def finetune_dialog(shell: Shell, in_out: tuple[int, int] | None) -> FinetuneRun | None:
    project, info = shell.project, shell.video
    if project is None or info is None:
        shell.show_error("Fine-tune", "Open a video and label some frames first.")
        return None
    labelled = project.labels.labeled_frames()
    if in_out:
        labelled = labelled[(labelled >= in_out[0]) & (labelled < in_out[1])]
    dialog = FinetuneDialog(shell.window, Path(info.path), len(labelled), in_out)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return run_finetune(shell, dialog.settings())


def run_finetune(shell: Shell, settings: FinetuneSettings) -> FinetuneRun | None:
    """Fine-tune in the background on the project's labels (and the other projects');
    on success the new model is Run Model's choice and the before/after F1 is shown."""
    from tracknet_studio.inference.finetune import FinetuneError, finetune, labelled_clip

    project, info = shell.project, shell.video
    if project is None or info is None:
        return None
    try:
        clips = [labelled_clip(Path(info.path), project.labels.copy(), settings.frames, 0.2)]
        clips += project_clips(settings.projects)
    except FinetuneError as exc:
        shell.show_error("Cannot fine-tune", str(exc))
        return None
    run = FinetuneRun(shell.window, settings.minutes)

    def work(report: Report):
        def progress(done: float, total: float) -> None:
            report(int(done), int(total))

        return finetune(clips, settings.init, settings.output, minutes=settings.minutes,
                        device=settings.device, say=run.say, progress=progress)  # fmt: skip

    def done(result) -> None:
        shell.settings.setValue(WEIGHTS_KEY, str(result.model))
        message = (f"Held-out F1 {result.before:.3f} before, {result.after:.3f} after "
                   f"({result.minutes:.1f} min); Run Model now offers {result.model}")  # fmt: skip
        if result.kept_initial:
            message += (": worse than before, so the new model is the initial one; label "
                        "more frames (whole rallies) or train longer")  # fmt: skip
        elif result.after == result.before:
            message += ": no better than before; label more frames (whole rallies) or train longer"
        run.finish(message)
        shell.say(message, 60000)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            run.finish("Cancelled; no model was written.")
            shell.say("Fine-tuning cancelled; no model was written", 5000)
        else:
            run.finish(f"Failed: {exc}")
            shell.show_error("Fine-tuning failed", str(exc))

    task = BackgroundTask(work, shell.window, "Fine-tuning")
    queued = Qt.ConnectionType.QueuedConnection
    task.progressed.connect(run.show_progress, queued)
    task.succeeded.connect(done, queued)
    task.failed.connect(failed, queued)
    task.ended.connect(task.deleteLater, queued)
    run.task = task
    run.show()
    task.start()
    return run
