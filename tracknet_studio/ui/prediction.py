"""Model > Run Model…: a predictor over the video (or the in/out range) in the background,
its result added to the project as a prediction layer in one undoable step. The method is
the auto-track (no model), the model, or both fused (tracknet_studio.inference.methods).

The work reads frames with a VideoReader of its own (the window's reader belongs to
playback) and goes through `tracknet_studio.inference.predict_track`, the function the
command line uses too. The label layer is never touched. Cancel (or a failure) leaves the
project as it was: the layer is only added once the whole run has finished.

`make_predictor` builds the predictor from the dialog's choices; tests replace it with a
deterministic one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.core import Project, Track
from tracknet_studio.core.project import unique_layer_name
from tracknet_studio.inference import DEFAULT_WEIGHTS, Predictor, methods, predict_track
from tracknet_studio.inference.batch import READER_CACHE_MB
from tracknet_studio.inference.local import available_devices, describe_weights
from tracknet_studio.video import VideoReader

from .tasks import BackgroundTask, Cancelled, Report, run_in_background

if TYPE_CHECKING:
    from .shell import Shell

WEIGHTS_KEY = "model/last_weights"
DEFAULT_LAYER = "model"
AUTO_TRACK_LAYER = "auto-track"
MODEL_FILTER = "Model files (*.tar.gz *.tgz *.safetensors *.pt *.pth *.ckpt);;All files (*)"


@dataclass(frozen=True)
class RunSettings:
    """What the Run Model dialog asks: weights (None: shipped), device, frames, layer,
    method (motion, model or fused)."""

    weights: Path | None
    device: str
    start: int
    stop: int  # exclusive
    layer: str
    method: str = "fused"


def make_predictor(settings: RunSettings) -> Predictor:
    """The predictor a run uses (tests replace this with a deterministic one)."""
    return methods.make_predictor(settings.method, settings.weights, settings.device)


class AddPredictionCommand(QUndoCommand):
    """Adds a prediction layer; undo removes it. The label layer is never touched."""

    def __init__(self, project: Project, name: str, track: Track, *, text: str = "") -> None:
        super().__init__(text or f"Run model into '{name}'")
        self.project, self.name, self.track = project, name, track

    def redo(self) -> None:
        self.project.add_prediction(self.name, self.track)

    def undo(self) -> None:
        self.project.remove_prediction(self.name)


# ===================================================================== the dialog


class RunModelDialog(QDialog):
    """Weights, device, range and layer name for one run."""

    def __init__(
        self, parent: QWidget | None, project: Project, in_out: tuple[int, int] | None,
        last_weights: str = "",
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Run Model")
        self.setObjectName("runModelDialog")
        self.n_frames, self.in_out = project.n_frames, in_out
        form = QFormLayout()
        self.method = QComboBox()
        self.method.setObjectName("methodCombo")
        for name in methods.METHODS:
            self.method.addItem(methods.METHOD_LABELS[name], name)
        self.method.setCurrentIndex(methods.METHODS.index(methods.default_method()))
        self.method.setToolTip(
            "Auto-track: what moves like a ball, no model, best on a still camera.\n"
            "Model: a trained network. Fused: both, through one physics tracker."
        )
        form.addRow("Method:", self.method)
        form.addRow("Weights:", self._weights_row(last_weights))
        self.device = QComboBox()
        self.device.setObjectName("deviceCombo")
        self.device.addItems(available_devices())
        form.addRow("Device:", self.device)
        form.addRow("Frames:", self._range_row())
        self.project = project
        self.layer = QLineEdit(unique_layer_name(project, self._default_layer()))
        self.layer.setObjectName("layerName")
        form.addRow("Layer name:", self.layer)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #e74c3c")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.taken = set(project.predictions)
        self.layer.textChanged.connect(self._check)
        self.weights_path.textChanged.connect(self._check)
        self.weights_choice.currentIndexChanged.connect(self._check)
        self.method.currentIndexChanged.connect(self._method_changed)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.problem)
        column.addWidget(self.buttons)
        self._check()

    def _default_layer(self) -> str:
        return AUTO_TRACK_LAYER if self.method.currentData() == "motion" else DEFAULT_LAYER

    def _method_changed(self) -> None:
        # A name the user left as proposed follows the method; a typed one stays.
        if self.layer.text().strip() in {
            unique_layer_name(self.project, n) for n in (DEFAULT_LAYER, AUTO_TRACK_LAYER)
        }:
            self.layer.setText(unique_layer_name(self.project, self._default_layer()))
        self._check()

    def _weights_row(self, last_weights: str) -> QWidget:
        self.weights_choice = QComboBox()
        self.weights_choice.setObjectName("weightsChoice")
        self.weights_choice.addItem(f"Shipped ({DEFAULT_WEIGHTS.name})", "shipped")
        self.weights_choice.addItem("Model file or folder…", "file")
        self.weights_path = QLineEdit(last_weights)
        self.weights_path.setObjectName("weightsPath")
        self.weights_path.setPlaceholderText("model folder, model.tar.gz or checkpoint")
        self.weights_path.setMinimumWidth(280)
        file_button, folder_button = QPushButton("File…"), QPushButton("Folder…")
        file_button.clicked.connect(self._browse_file)
        folder_button.clicked.connect(self._browse_folder)
        self.browse_buttons = (file_button, folder_button)
        if last_weights or not DEFAULT_WEIGHTS.exists():
            self.weights_choice.setCurrentIndex(1)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.weights_choice)
        layout.addWidget(self.weights_path, 1)
        layout.addWidget(file_button)
        layout.addWidget(folder_button)
        return row

    def _range_row(self) -> QWidget:
        self.whole = QRadioButton(f"Whole video (0–{self.n_frames - 1})")
        self.whole.setObjectName("wholeVideo")
        text = "In–out range" + (
            f" ({self.in_out[0]}–{self.in_out[1] - 1})" if self.in_out else " (none set)"
        )
        self.in_out_button = QRadioButton(text)
        self.in_out_button.setObjectName("inOutRange")
        self.in_out_button.setEnabled(self.in_out is not None)
        group = QButtonGroup(self)
        group.addButton(self.whole)
        group.addButton(self.in_out_button)
        (self.in_out_button if self.in_out else self.whole).setChecked(True)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.whole)
        layout.addWidget(self.in_out_button)
        return row

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Model file", "", MODEL_FILTER)
        if path:
            self.weights_path.setText(path)
            self.weights_choice.setCurrentIndex(1)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Model folder")
        if path:
            self.weights_path.setText(path)
            self.weights_choice.setCurrentIndex(1)

    def _weights(self) -> Path | None:
        if self.weights_choice.currentData() == "shipped":
            return None
        return Path(self.weights_path.text().strip()) if self.weights_path.text().strip() else None

    def problem_text(self) -> str:
        """Why Run is disabled, or "" when the choices can run."""
        name = self.layer.text().strip()
        use_model = self.method.currentData() != "motion"
        use_file = use_model and self.weights_choice.currentData() == "file"
        weights = self._weights()
        if not name or name == "labels":
            return "Give the layer a name (not 'labels')."
        if name in self.taken:
            return f"A layer named '{name}' exists already."
        if use_file and (weights is None or not weights.exists()):
            return "Choose a model file or folder."
        if use_model and not use_file and not DEFAULT_WEIGHTS.exists():
            return "No shipped weights in this installation: choose a model file."
        return ""

    def _check(self) -> None:
        use_model = self.method.currentData() != "motion"
        for widget in (self.weights_choice, self.device, *self.browse_buttons):
            widget.setEnabled(use_model)
        self.weights_path.setEnabled(use_model and self.weights_choice.currentData() == "file")
        problem = self.problem_text()
        weights = self._weights()
        # A problem in red; else what kind of model file was chosen, as a confirmation.
        if not use_model:
            note = problem or "No model: the ball is found by how it moves (a still camera)."
        else:
            note = problem or (describe_weights(weights) if weights is not None else "")
        self.problem.setStyleSheet("color: #e74c3c" if problem else "")
        self.problem.setText(note)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def settings(self) -> RunSettings:
        start, stop = (
            self.in_out if self.in_out_button.isChecked() and self.in_out else (0, self.n_frames)
        )
        return RunSettings(
            weights=self._weights(),
            device=self.device.currentText(),
            start=start,
            stop=stop,
            layer=self.layer.text().strip(),
            method=self.method.currentData(),
        )


# ===================================================================== running


def run_model_dialog(shell: Shell, in_out: tuple[int, int] | None) -> BackgroundTask | None:
    """Ask for the run's settings (offering the in/out range `in_out`), then start it."""
    project = shell.project
    if project is None or shell.video is None:
        shell.show_error("Run Model", "Open a video or a project first.")
        return None
    last = str(shell.settings.value(WEIGHTS_KEY, "") or "")
    dialog = RunModelDialog(shell.window, project, in_out, last)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    settings = dialog.settings()
    if settings.weights is not None:
        shell.settings.setValue(WEIGHTS_KEY, str(settings.weights))
    return run_model(shell, settings)


def run_model(
    shell: Shell, settings: RunSettings, predictor: Predictor | None = None
) -> BackgroundTask | None:
    """Predict `settings`' frames in the background; on success add the layer (undoable)."""
    project, info = shell.project, shell.video
    if project is None or info is None:
        shell.show_error("Run Model", "Open a video or a project first.")
        return None
    predictor = predictor or make_predictor(settings)

    def work(report: Report) -> Track:
        load = getattr(predictor, "load", None)
        if callable(load):
            load()  # torch and the weights load here, off the UI thread
        with VideoReader(info.path, cache_mb=READER_CACHE_MB) as reader:
            return predict_track(reader, predictor, settings.start, settings.stop, report)

    def done(track: Track) -> None:
        if shell.project is not project:
            return  # the project was closed or replaced meanwhile: drop the result
        name = unique_layer_name(project, settings.layer)
        shell.undo_stack.push(AddPredictionCommand(project, name, track))
        found = int(track.has_ball[settings.start : settings.stop].sum())
        message = f"Layer '{name}': ball in {found} of {settings.stop - settings.start} frames"
        notes = getattr(predictor, "notes", [])
        shell.say("; ".join([message, *notes]), 15000 if notes else 8000)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            shell.say("Model run cancelled; nothing was changed", 5000)
        else:
            shell.show_error("Cannot run the model", f"{type(exc).__name__}: {exc}")

    return run_in_background(
        shell.window, f"Running {predictor.name}", work, on_success=done, on_failure=failed
    )
