"""Model > Run Model…: a predictor over the video (or the in/out range) in the background,
its result added to the project as a prediction layer in one undoable step. The method is
the auto-track (no model), the model, or both fused (tracknet_studio.inference.methods),
run on this computer (its GPU by default, where there is one) or by a SageMaker endpoint
in service (listed off the UI thread; the endpoint serves its own model).

A run that fails (an endpoint throttled, deleted, an expired token, a model error) keeps
the frames it answered in the layer and offers to resume from the first one missing.

The work reads frames with a VideoReader of its own (the window's reader belongs to
playback) and goes through `tracknet_studio.inference.predict_track`, the function the
command line uses too. The label layer is never touched. Cancel (or a failure) leaves the
project as it was: the layer is only added once the whole run has finished.

`make_predictor` builds the predictor from the dialog's choices; tests replace it with a
deterministic one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio import extras
from tracknet_studio.cloud.endpoints import EndpointInfo
from tracknet_studio.core import Project, Track
from tracknet_studio.core.project import unique_layer_name
from tracknet_studio.inference import DEFAULT_WEIGHTS, Predictor, methods
from tracknet_studio.inference.base import TrackRun
from tracknet_studio.inference.batch import READER_CACHE_MB
from tracknet_studio.inference.local import describe_weights, device_choices
from tracknet_studio.video import VideoReader

from . import questions
from .cloud_tasks import run_quietly
from .tasks import BackgroundTask, Cancelled, Report, run_in_background

if TYPE_CHECKING:
    from .shell import Shell

WEIGHTS_KEY = "model/last_weights"
DEFAULT_LAYER = "model"
AUTO_TRACK_LAYER = "auto-track"
ENDPOINT_LAYER = "endpoint"
RESUME, CLOSE = "Resume", "Close"
EndpointLister = Callable[[], list[EndpointInfo]]
MODEL_FILTER = "Model files (*.tar.gz *.tgz *.safetensors *.pt *.pth *.ckpt);;All files (*)"


@dataclass(frozen=True)
class RunSettings:
    """What the Run Model dialog asks: weights (None: shipped), device, frames, layer,
    method (motion, model or fused), or an endpoint to run instead (its own model)."""

    weights: Path | None
    device: str
    start: int
    stop: int  # exclusive
    layer: str
    method: str = "fused"
    endpoint: EndpointInfo | None = None


def make_predictor(settings: RunSettings) -> Predictor:
    """The predictor a run uses (tests replace this with a deterministic one)."""
    if settings.endpoint is not None:
        from tracknet_studio.cloud.settings import CloudSettings
        from tracknet_studio.inference.sagemaker import EndpointPredictor

        return EndpointPredictor(CloudSettings.load(), settings.endpoint.name)
    return methods.make_predictor(settings.method, settings.weights, settings.device)


def endpoint_lister() -> EndpointLister | None:
    """How the dialog lists the endpoints in service; None where the cloud is not set up
    (no cloud extra, or no settings saved), so the app never asks AWS uninvited."""
    from tracknet_studio.cloud.settings import CloudSettings, settings_path

    if not extras.installed("cloud") or not settings_path().exists():
        return None
    from tracknet_studio.cloud.endpoints import endpoints_in_service

    settings = CloudSettings.load()
    return lambda: endpoints_in_service(settings)


class AddPredictionCommand(QUndoCommand):
    """Adds a prediction layer, or replaces the one of that name (a resumed run); undo
    restores what was there. The label layer is never touched."""

    def __init__(self, project: Project, name: str, track: Track, *, text: str = "") -> None:
        super().__init__(text or f"Run model into '{name}'")
        self.project, self.name, self.track = project, name, track
        self.previous: Track | None = None

    def redo(self) -> None:
        self.previous = self.project.predictions.get(self.name)
        if self.previous is not None:
            self.project.remove_prediction(self.name)
        self.project.add_prediction(self.name, self.track)

    def undo(self) -> None:
        self.project.remove_prediction(self.name)
        if self.previous is not None:
            self.project.add_prediction(self.name, self.previous)


# ===================================================================== the dialog


class RunModelDialog(QDialog):
    """Method, weights, where to run (this computer's GPU or CPU, or an endpoint), range
    and layer name for one run. `endpoints` lists the endpoints in service, called on a
    worker thread; None says the cloud is not set up."""

    def __init__(
        self, parent: QWidget | None, project: Project, in_out: tuple[int, int] | None,
        last_weights: str = "", endpoints: EndpointLister | None = None,
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
        form.addRow("Run on:", self._run_on_row(endpoints))
        form.addRow("Frames:", self._range_row())
        self.project = project
        self.layer = QLineEdit(unique_layer_name(project, self._default_layer()))
        self.layer.setObjectName("layerName")
        form.addRow("Layer name:", self.layer)
        self.problem = QLabel()
        self.problem.setObjectName("runProblem")
        self.problem.setWordWrap(True)
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
        self.method.currentIndexChanged.connect(self._choice_changed)
        self.run_on.currentIndexChanged.connect(self._choice_changed)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.problem)
        column.addWidget(self.buttons)
        self._check()

    def _run_on_row(self, endpoints: EndpointLister | None) -> QWidget:
        self.run_on = QComboBox()
        self.run_on.setObjectName("runOnCombo")
        for device, words in device_choices():  # the GPU first: the default where present
            self.run_on.addItem(words, device)
        self.endpoint_note = QLabel()
        self.endpoint_note.setObjectName("endpointNote")
        self.endpoint_note.setWordWrap(True)
        if endpoints is None:
            self.endpoint_note.setText(
                "SageMaker endpoints are listed here once the cloud is set up (Cloud > Settings…)."
            )
        else:
            self.endpoint_note.setText("Looking for SageMaker endpoints in service…")
            run_quietly(lambda _report: endpoints(), self._endpoints_found,
                        self._endpoints_not_listed)  # fmt: skip
        return _row(QVBoxLayout, self.run_on, self.endpoint_note)

    def _endpoints_found(self, found: list[EndpointInfo]) -> None:
        if not shiboken6.isValid(self):
            return  # the dialog closed before AWS answered
        for info in found:
            self.run_on.addItem(info.label(), info)
        self.endpoint_note.setText(
            f"{len(found)} SageMaker endpoint{'s' if len(found) != 1 else ''} in service."
            if found
            else "No SageMaker endpoint is in service in the configured account and region."
        )

    def _endpoints_not_listed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        from tracknet_studio.cloud.check import explain

        self.endpoint_note.setText(f"SageMaker endpoints could not be listed: {explain(exc)}")

    def endpoint(self) -> EndpointInfo | None:
        """The endpoint chosen to run on, if one is."""
        data = self.run_on.currentData()
        return data if isinstance(data, EndpointInfo) else None

    def _default_layer(self) -> str:
        if self.endpoint() is not None:
            return ENDPOINT_LAYER
        return AUTO_TRACK_LAYER if self.method.currentData() == "motion" else DEFAULT_LAYER

    def _choice_changed(self) -> None:
        # A name the user left as proposed follows the choice; a typed one stays.
        proposed = (DEFAULT_LAYER, AUTO_TRACK_LAYER, ENDPOINT_LAYER)
        if self.layer.text().strip() in {unique_layer_name(self.project, n) for n in proposed}:
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
        row = _row(QHBoxLayout, self.weights_choice, self.weights_path, file_button, folder_button)
        row.layout().setStretchFactor(self.weights_path, 1)  # type: ignore[union-attr]
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
        return _row(QHBoxLayout, self.whole, self.in_out_button)

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
        if not name or name == "labels":
            return "Give the layer a name (not 'labels')."
        if name in self.taken:
            return f"A layer named '{name}' exists already."
        if self.endpoint() is not None:
            return ""  # the endpoint serves its own model
        use_model = self.method.currentData() != "motion"
        use_file = use_model and self.weights_choice.currentData() == "file"
        weights = self._weights()
        if use_file and (weights is None or not weights.exists()):
            return "Choose a model file or folder."
        if use_model and not use_file and not DEFAULT_WEIGHTS.exists():
            return "No shipped weights in this installation: choose a model file."
        return ""

    def _check(self) -> None:
        endpoint = self.endpoint()
        use_model = self.method.currentData() != "motion" and endpoint is None
        self.method.setEnabled(endpoint is None)
        for widget in (self.weights_choice, *self.browse_buttons):
            widget.setEnabled(use_model)
        self.weights_path.setEnabled(use_model and self.weights_choice.currentData() == "file")
        problem = self.problem_text()
        self.problem.setStyleSheet("color: #e74c3c" if problem else "")
        self.problem.setText(problem or self._what_runs(endpoint, use_model))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def _what_runs(self, endpoint: EndpointInfo | None, use_model: bool) -> str:
        """A confirmation of what Run will do, and for an endpoint what it costs."""
        if endpoint is not None:
            return (
                f"The model that {endpoint.name} serves runs on its {endpoint.instances}, "
                "billed by SageMaker while the endpoint is in service. Frames are sent as "
                "JPEGs at the model's size (about 30–40 KiB each); the requests and bytes "
                "sent are counted while it runs."
            )
        if not use_model:
            return "No model: the ball is found by how it moves (a still camera)."
        weights = self._weights()
        return describe_weights(weights) if weights is not None else ""

    def settings(self) -> RunSettings:
        start, stop = (
            self.in_out if self.in_out_button.isChecked() and self.in_out else (0, self.n_frames)
        )
        endpoint = self.endpoint()
        return RunSettings(
            weights=self._weights(),
            device="cpu" if endpoint is not None else str(self.run_on.currentData()),
            start=start,
            stop=stop,
            layer=self.layer.text().strip(),
            method=self.method.currentData(),
            endpoint=endpoint,
        )


def _row(layout_type: type[QBoxLayout], *widgets: QWidget) -> QWidget:
    """Widgets side by side (QHBoxLayout) or stacked (QVBoxLayout), as one form field."""
    row = QWidget()
    layout = layout_type(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return row


# ===================================================================== running


def run_model_dialog(shell: Shell, in_out: tuple[int, int] | None) -> BackgroundTask | None:
    """Ask for the run's settings (offering the in/out range `in_out`), then start it."""
    project = shell.project
    if project is None or shell.video is None:
        shell.show_error("Run Model", "Open a video or a project first.")
        return None
    last = str(shell.settings.value(WEIGHTS_KEY, "") or "")
    dialog = RunModelDialog(shell.window, project, in_out, last, endpoint_lister())
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    settings = dialog.settings()
    if settings.weights is not None and settings.endpoint is None:
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
    run = ModelRun(shell, project, info.path, settings, predictor or make_predictor(settings))
    return run.attempt()


class ModelRun:
    """One run of a predictor into a layer, over as many attempts as it takes.

    The first attempt that answers frames adds the layer; each later one (Resume, after a
    failure) replaces it with the frames answered so far, so every attempt is one undo step
    and a failure never loses what was predicted. Cancel changes nothing.
    """

    def __init__(self, shell: Shell, project: Project, video: Path, settings: RunSettings,
                 predictor: Predictor) -> None:  # fmt: skip
        self.shell, self.project, self.video = shell, project, video
        self.settings, self.predictor = settings, predictor
        self.frames = TrackRun(project.n_frames, settings.start, settings.stop)
        self.layer: str | None = None  # the layer holding earlier attempts' frames
        self.kept_until = self.frames.start  # the frames before this are in the layer
        self.task: BackgroundTask | None = None  # the latest attempt

    def attempt(self) -> BackgroundTask:
        """Predict the frames not answered yet, in the background."""
        # Lambdas, not bound methods: the connections then keep this run alive.
        cost = (lambda: self._cost()) if callable(getattr(self.predictor, "cost", None)) else None
        self.task = run_in_background(
            self.shell.window, f"Running {self.predictor.name}", lambda r: self._work(r),
            on_success=lambda track: self._finished(track),
            on_failure=lambda exc: self._stopped(exc), unit="frames", detail=cost,
        )  # fmt: skip
        return self.task

    def _work(self, report: Report) -> Track:
        load = getattr(self.predictor, "load", None)
        if callable(load):
            load()  # torch and the weights load here, off the UI thread
        with VideoReader(self.video, cache_mb=READER_CACHE_MB) as reader:
            return self.frames.run(reader, self.predictor, report)

    def _cost(self) -> str:
        """What an endpoint run has cost so far, and where."""
        endpoint = self.settings.endpoint
        where = f" to {endpoint.name} ({endpoint.instances})" if endpoint else ""
        return self.predictor.cost() + where  # type: ignore[attr-defined]

    def _finished(self, track: Track) -> None:
        if self.shell.project is not self.project:
            return  # the project was closed or replaced meanwhile: drop the result
        name = self._keep(track, "")
        found = int(track.has_ball[self.frames.start : self.frames.stop].sum())
        message = f"Layer '{name}': ball in {found} of {self.frames.total} frames"
        if self.settings.endpoint is not None:
            message += f" ({self._cost()})"
        notes = getattr(self.predictor, "notes", [])
        self.shell.say("; ".join([message, *notes]), 15000 if notes else 8000)

    def _keep(self, track: Track, how: str) -> str:
        """Put `track` in this run's layer (added the first time); returns its name."""
        if self.layer is None or self.layer not in self.project.predictions:
            self.layer = unique_layer_name(self.project, self.settings.layer)
            text = f"Run model into '{self.layer}'{how}"
        else:
            text = f"Resume model run into '{self.layer}'{how}"
        self.shell.undo_stack.push(AddPredictionCommand(self.project, self.layer, track, text=text))
        return self.layer

    def _stopped(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.shell.say("Model run cancelled; nothing was changed", 5000)
            return
        if self.shell.project is not self.project:
            return
        explain = getattr(self.predictor, "explain_failure", None)
        reason = explain(exc) if callable(explain) else f"{type(exc).__name__}: {exc}"
        frames, kept = self.frames, ""
        stopped = frames.next_frame
        # An attempt that answered nothing new changes nothing (unless the layer was undone).
        if stopped > self.kept_until or self.layer not in self.project.predictions:
            self._keep(frames.track(), f" (stopped at frame {stopped})")
            self.kept_until = stopped
        if frames.answered:
            kept = (f"Frames {frames.start}–{stopped - 1} ({frames.answered} of "
                    f"{frames.total}) are kept in layer '{self.layer}'. ")  # fmt: skip
        resume = f"Resume predicts frames {frames.next_frame}–{frames.stop - 1}."
        answer = questions.choose(
            self.shell.window, "The model run stopped",
            f"{self.predictor.name} stopped at frame {frames.next_frame}: {reason}",
            [RESUME, CLOSE], informative=kept + resume, icon=QMessageBox.Icon.Warning,
        )  # fmt: skip
        if answer == RESUME:
            self.attempt()
