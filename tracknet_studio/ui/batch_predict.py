"""Cloud > Predict Videos…: a season of matches in one batch job, then back into projects.

The dialog picks the videos (the open one first), the method, the weights and whether to
write overlay videos; the job runs on the backend of Cloud > Settings (this computer, or a
SageMaker processing job sharing the videos among its instances) and shows in the jobs
dock like any other. When it has completed, the dock's Import Results adds each video's
track to its project (`match.tnproj` beside `match.mp4`): the open video's as one undo
step in the window, the others written to their project files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.cloud.jobs import PREDICTION_KINDS, JobRecord
from tracknet_studio.core.project import unique_layer_name
from tracknet_studio.inference.methods import METHOD_LABELS, METHODS, default_method

from .cloud_settings import LOCAL
from .prediction import AddPredictionCommand
from .project_controller import VIDEO_FILTER
from .tasks import Report

if TYPE_CHECKING:
    from .cloud_jobs import CloudJobs
    from .shell import Shell


@dataclass(frozen=True)
class BatchRequest:
    videos: tuple[Path, ...]
    method: str
    weights: str  # empty: the shipped weights
    overlay: bool
    instances: int


class PredictVideosDialog(QDialog):
    """Which videos, which method and weights, overlays or not, how many instances."""

    def __init__(self, parent: QWidget, videos: list[Path], backend: str, instance: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Predict Videos")
        self.setObjectName("predictVideosDialog")
        self.videos = QListWidget()
        self.videos.setObjectName("batchVideos")
        self.videos.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.add_videos([str(v) for v in videos])
        add, remove = QPushButton("Add Videos…"), QPushButton("Remove")
        add.clicked.connect(self._pick_videos)
        remove.clicked.connect(self._remove_selected)
        self.method = QComboBox()
        self.method.setObjectName("batchMethod")
        for name in METHODS:
            self.method.addItem(METHOD_LABELS[name], name)
        self.method.setCurrentIndex(METHODS.index(default_method()))
        self.weights = QComboBox()
        self.weights.setObjectName("batchWeights")
        self.weights.setEditable(True)
        self.weights.lineEdit().setPlaceholderText("the shipped weights")
        self.overlay = QCheckBox("Also write overlay videos (the track drawn in)")
        self.instances = QSpinBox()
        self.instances.setRange(1, 20)
        self.instances.setEnabled(backend != LOCAL)
        where = "this computer" if backend == LOCAL else f"SageMaker, {instance} per instance"
        self.where = QLabel(f"Runs on {where}; the jobs dock follows it.")
        self.where.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.videos.model().rowsInserted.connect(self._update_ok)
        self.videos.model().rowsRemoved.connect(self._update_ok)
        self._layout(add, remove)
        self._update_ok()

    def _layout(self, add: QPushButton, remove: QPushButton) -> None:
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(add)
        list_buttons.addWidget(remove)
        list_buttons.addStretch()
        form = QFormLayout()
        form.addRow("Method", self.method)
        form.addRow("Weights", self.weights)
        form.addRow("", self.overlay)
        form.addRow("Instances", self.instances)
        column = QVBoxLayout(self)
        column.addWidget(QLabel("Videos (each gets its own track and project):"))
        column.addWidget(self.videos, 1)
        column.addLayout(list_buttons)
        column.addLayout(form)
        column.addWidget(self.where)
        column.addWidget(self.buttons)
        self.setMinimumWidth(620)

    def add_videos(self, paths: list[str]) -> None:
        present = {self.videos.item(i).text() for i in range(self.videos.count())}
        for path in paths:
            if path not in present:
                present.add(path)
                self.videos.addItem(path)

    def _pick_videos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add Videos", "", VIDEO_FILTER)
        self.add_videos(paths)

    def _remove_selected(self) -> None:
        for item in self.videos.selectedItems():
            self.videos.takeItem(self.videos.row(item))

    def _update_ok(self, *_: Any) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.videos.count() > 0)

    def request(self) -> BatchRequest:
        videos = tuple(Path(self.videos.item(i).text()) for i in range(self.videos.count()))
        return BatchRequest(videos, self.method.currentData(), self.weights.currentText().strip(),
                            self.overlay.isChecked(), self.instances.value())  # fmt: skip


def predict_videos_dialog(shell: Shell, cloud: CloudJobs) -> None:
    project = shell.project
    videos = [Path(project.video_path)] if project is not None and project.video_path else []
    settings = cloud.settings
    dialog = PredictVideosDialog(shell.window, videos, cloud.backend_name,
                                 settings.prediction_instance_type)  # fmt: skip
    for record in cloud.trained_models():
        dialog.weights.addItem(record.artifact)
    dialog.weights.setCurrentText("")
    if dialog.exec() == QDialog.DialogCode.Accepted:
        start_batch(cloud, dialog.request())


def start_batch(cloud: CloudJobs, request: BatchRequest) -> Any:
    """Start the job in the background; it appears in the jobs dock."""
    from tracknet_studio.inference import DEFAULT_WEIGHTS

    backend = cloud.backend()
    weights = request.weights or (None if request.method == "motion" else str(DEFAULT_WEIGHTS))
    options: dict[str, Any] = {"method": request.method, "weights": weights,
                               "overlay": request.overlay}  # fmt: skip

    def work(report: Report) -> JobRecord:
        if cloud.backend_name == LOCAL:
            return backend.start_prediction(list(request.videos), **options)
        # KiB: the progress dialog counts in int, a season of video may not fit.
        return backend.start_prediction(list(request.videos), **options,
                                        instance_count=request.instances,
                                        progress=lambda d, t: report(d >> 10, t >> 10))  # fmt: skip

    return cloud.start("Predict videos", work)


def import_results(shell: Shell, cloud: CloudJobs, record: JobRecord) -> Any:
    """Bring a completed prediction job's tracks into the videos' projects."""
    from tracknet_studio.cloud.prediction import results_folder
    from tracknet_studio.inference import batch

    if record.kind not in PREDICTION_KINDS or record.status != "Completed":
        shell.show_error("Import results", f"{record.name} is not a completed prediction job.")
        return None
    project = shell.project
    open_video = [Path(project.video_path)] if project is not None and project.video_path else []
    layer = record.details.get("method") or "prediction"
    settings = cloud.settings

    def work(report: Report) -> batch.BatchImport:
        folder = results_folder(record, settings, lambda d, t: report(d >> 10, t >> 10))
        return batch.import_results(record.details["videos"], folder, layer, keep=open_video)

    def done(result: batch.BatchImport) -> None:
        added = ""
        for track in result.kept.values():
            if shell.project is project and project is not None:
                name = unique_layer_name(project, layer)
                shell.undo_stack.push(AddPredictionCommand(project, name, track,
                                                            text=f"Import '{name}'"))  # fmt: skip
                added = f"layer '{name}' added here; "
        message = f"{record.name}: {added}{len(result.written)} other project(s) written"
        if result.problems:
            shell.show_error("Import results", message + "\n\n" + "\n".join(result.problems))
        else:
            shell.say(message, 10_000)

    return cloud.start("Import results", work, done)
