"""The Cloud menu: settings, the jobs dock, and each job's small dialog then its backend call.

Jobs run on the backend chosen in Cloud > Settings: this computer (the default: the same
featurize.py and train.py of tracknet/entrypoints as subprocesses) or SageMaker. Every
backend call goes through `run_in_background` so the window never waits on AWS or on a
process start.

`CloudController` holds the state (settings, the one `JobStore`, the backends, the dock) and
the "do" half of every command, so tests drive it without modal dialogs; `CloudMixin` adds
the window's handlers named in the action table (the "ask" half).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)

from tracknet_studio import extras
from tracknet_studio.cloud.backends import Backend, backend_for, backend_named
from tracknet_studio.cloud.jobs import JobRecord, JobStore
from tracknet_studio.cloud.local_backend import LocalBackend
from tracknet_studio.cloud.settings import CloudSettings

from . import project_controller
from .cloud_settings import LOCAL, SAGEMAKER, CloudSettingsDialog, chosen_backend
from .jobs_panel import JobsPanel
from .tasks import BackgroundTask, Cancelled, Report, run_in_background

if TYPE_CHECKING:
    from .main_window import MainWindow

JOBS_FILE_KEY = "cloud/jobs_file"  # where the job list lives (tests: a temporary file)
DELETE, KEEP = "Delete Endpoint", "Keep Running"
CANCEL = project_controller.CANCEL
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")


class CloudController(QObject):
    """The window's cloud state: settings, jobs and backends; the commands' "do" half."""

    def __init__(self, window: MainWindow, app_settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.app_settings = app_settings
        jobs_file = app_settings.value(JOBS_FILE_KEY)
        self.store = JobStore(Path(str(jobs_file)) if jobs_file else None)
        self.local = LocalBackend(self.store)
        self._sagemaker: Any = None
        self._sagemaker_settings: CloudSettings | None = None
        self.panel: JobsPanel | None = None
        self.tasks: list[BackgroundTask] = []  # the commands still running (tests wait)

    # ================================================================= state

    @property
    def settings(self) -> CloudSettings:
        """Read fresh: the command line may have changed the file meanwhile."""
        return CloudSettings.load()

    @property
    def backend_name(self) -> str:
        return chosen_backend(self.app_settings)

    def backend(self, name: str | None = None) -> Backend:
        """The backend named (default: the chosen one); SageMaker's needs boto3."""
        if (name or self.backend_name) == LOCAL:
            return self.local
        settings = self.settings
        if self._sagemaker is None or settings != self._sagemaker_settings:
            self._sagemaker = backend_named(SAGEMAKER, settings, self.store)
            self._sagemaker_settings = settings
        return self._sagemaker

    def backend_for(self, record: JobRecord) -> Backend:
        return backend_for(record, self.settings, self.store, self.backend)

    def ensure_panel(self, *, show: bool = True) -> JobsPanel:
        if self.panel is None:
            self.panel = JobsPanel(self.store, self.backend_for, self.window)
            self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.panel)
            # A tab beside the timeline: side by side, each would get half the width.
            timeline = getattr(self.window, "timeline_dock", None)
            if timeline is not None:
                self.window.tabifyDockWidget(timeline, self.panel)
            self.panel.import_requested.connect(self.import_results)
            action = self.window.action_by_id.get("cloud.jobs")
            if action is not None:
                self.panel.visibilityChanged.connect(action.setChecked)
        if show:
            self.panel.show()
            self.panel.raise_()
        return self.panel

    def reattach(self) -> None:
        """At start: show the dock when an earlier session left jobs running (or failed)."""
        if not self.store.path.is_file():
            return  # no job ever started: nothing to read, no dock to show
        records = self.store.all()
        if any(r.active for r in records):
            self.ensure_panel(show=True)

    # ================================================================= commands

    def start(
        self,
        title: str,
        work: Callable[[Report], Any],
        on_success: Callable[[Any], None] | None = None,
    ) -> BackgroundTask:
        """Run a backend call in the background; errors go to a warning box."""

        def succeeded(result: Any) -> None:
            forget()
            if isinstance(result, JobRecord):
                self.ensure_panel().add_job(result)
            if on_success is not None:
                on_success(result)

        def failed(exc: BaseException) -> None:
            forget()
            if not isinstance(exc, Cancelled):
                self.window.show_error(title, str(exc) or type(exc).__name__)

        def forget() -> None:
            # From the result handlers, which are connected before the task starts: a task
            # that ends at once must not stay listed (tests wait for this list to empty).
            if task in self.tasks:
                self.tasks.remove(task)

        task = run_in_background(self.window, title, work, on_success=succeeded, on_failure=failed)
        self.tasks.append(task)
        return task

    def featurize(self, dataset: Path | str, output: Path | str | None = None) -> BackgroundTask:
        """Featurize a folder of videos and label CSVs (S3 URI for SageMaker)."""
        backend = self.backend()
        return self.start(
            "Featurize", lambda _r: backend.start_processing(str(dataset), output or None)
        )

    def train(
        self, dataset: Path | str, hyperparameters: dict[str, Any] | None = None
    ) -> BackgroundTask:
        """Train on a featurized dataset (a folder here, an S3 URI for SageMaker)."""
        backend = self.backend()
        hps = dict(hyperparameters or {})
        return self.start(
            "Train", lambda _r: backend.start_training(str(dataset), hyperparameters=hps)
        )

    def upload(self, folder: Path, s3_uri: str) -> BackgroundTask:
        from tracknet_studio.cloud.transfer import upload_folder

        settings = self.settings

        def work(report: Report) -> Any:
            # KiB: QProgressDialog counts in int, a dataset's bytes may not fit.
            return upload_folder(settings, folder, s3_uri, lambda d, t: report(d >> 10, t >> 10))

        def done(result: Any) -> None:
            self.window.statusBar().showMessage(
                f"Uploaded {len(result.uploaded)} files to {result.s3_uri} "
                f"({len(result.skipped)} already there)",
                10_000,
            )

        return self.start("Upload dataset", work, done)

    def deploy(self, record: JobRecord) -> BackgroundTask:
        """Deploy a finished training job's model on the backend that trained it."""
        backend = self.backend_for(record)

        def work(_report: Report) -> JobRecord:
            name = backend.deploy(record.artifact)
            return self.store.get(name) or JobRecord(
                name, "endpoint", record.backend, status="Creating"
            )

        return self.start("Deploy", work)

    def delete_endpoint(self, record: JobRecord) -> BackgroundTask:
        backend = self.backend_for(record)

        def done(_result: Any) -> None:
            if self.panel is not None:
                self.panel.refresh_job(record.name)

        return self.start("Delete endpoint", lambda _r: backend.delete_endpoint(record.name), done)

    def import_results(self, record: JobRecord) -> Any:
        """A finished batch prediction's tracks into the videos' projects."""
        from . import batch_predict

        return batch_predict.import_results(self.window, record)

    def endpoints_in_service(self) -> list[JobRecord]:
        return [r for r in self.store.all() if r.kind == "endpoint" and r.status == "InService"]

    def trained_models(self) -> list[JobRecord]:
        return [
            r
            for r in self.store.all()
            if r.kind in ("training", "local-train") and r.status == "Completed" and r.artifact
        ]

    # ================================================================= closing

    def confirm_close(self) -> bool:
        """Endpoints in service cost money by the hour: offer to delete them before quitting.
        False means the user cancelled the close."""
        endpoints = [r for r in self.endpoints_in_service() if r.backend != LOCAL]
        if not endpoints:
            return True
        names = ", ".join(r.name for r in endpoints)
        answer = project_controller.choose(
            self.window,
            "Endpoints in service",
            f"{len(endpoints)} SageMaker endpoint(s) still in service: {names}.",
            (DELETE, KEEP, CANCEL),
            informative="An endpoint is billed for every hour it runs, used or not. "
            "Delete it now? (A deleted endpoint can be deployed again from its model.)",
            icon=QMessageBox.Icon.Warning,
        )
        if answer == CANCEL:
            return False
        if answer == DELETE:
            # On the UI thread on purpose: the app is quitting and must not exit before
            # DeleteEndpoint was sent (a few seconds at most, with retries).
            for record in endpoints:
                try:
                    self.backend_for(record).delete_endpoint(record.name)
                except Exception as exc:  # the window stays open: it is still billed
                    self.window.show_error("Delete endpoint", f"{record.name}: {exc}")
                    return False
        return True

    def shutdown(self) -> None:
        if self.panel is not None:
            self.panel.shutdown()


# ===================================================================== dialogs


class _FormDialog(QDialog):
    """A small form with OK and Cancel; rows are (label, widget)."""

    def __init__(self, parent: QWidget, title: str, rows: list[tuple[str, QWidget]]) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        for label, widget in rows:
            form.addRow(label, widget)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setMinimumWidth(520)


def _path_row(parent: QWidget, text: str, *, folder: bool = True) -> tuple[QWidget, QLineEdit]:
    """A line edit with a Browse… button (local folders; S3 URIs are typed)."""
    edit = QLineEdit(text)
    browse = QPushButton("Browse…")

    def pick() -> None:
        if folder:
            chosen = QFileDialog.getExistingDirectory(parent, "Choose a folder", edit.text())
        else:
            chosen, _ = QFileDialog.getOpenFileName(parent, "Choose a file", edit.text())
        if chosen:
            edit.setText(chosen)

    browse.clicked.connect(pick)
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(browse)
    return row, edit


def project_dataset(window: MainWindow, folder: Path) -> Path:
    """The current project as featurize.py's input: <clip>.csv (Frame,Visibility,X,Y)
    beside a link to its video (a copy where links are not allowed)."""
    from tracknet_studio.formats.csv_tracks import CsvForm, write_csv

    project = window.project
    if project is None or not project.video_path:
        raise ValueError("Open a video (or a project) with labels first.")
    video = Path(project.video_path)
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / (video.stem + video.suffix.lower())
    if not link.exists():
        try:
            os.symlink(video, link)
        except OSError:
            import shutil

            shutil.copy2(video, link)
    write_csv(project.labels, folder / f"{video.stem}.csv", CsvForm.BADMINTON)
    return folder


def needs(extra: str, feature: str, *, on_sagemaker_only: bool = False) -> Callable:
    """A Cloud menu handler that says which extra to install, instead of failing, when
    `extra` is missing (for the SageMaker backend only, with `on_sagemaker_only`)."""

    def wrap(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def guarded(self: MainWindow) -> Any:
            applies = not on_sagemaker_only or self.cloud.backend_name == SAGEMAKER
            if applies and not extras.installed(extra):
                self.show_error(feature, extras.missing_message(extra, feature))
                return None
            return handler(self)

        return guarded

    return wrap


class CloudMixin:
    """The window's Cloud menu handlers (named in the action table)."""

    def _init_cloud(self: MainWindow) -> None:
        self.cloud = CloudController(self, self.settings)
        self.action_by_id["cloud.jobs"].setCheckable(True)
        self.cloud.reattach()

    def _cloud_close_ok(self: MainWindow) -> bool:
        if not self.cloud.confirm_close():
            return False
        self.cloud.shutdown()
        return True

    def cloud_settings_dialog(self: MainWindow) -> None:
        dialog = CloudSettingsDialog(self.cloud.settings, self.settings, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            dialog.values().save()

    def toggle_jobs_panel(self: MainWindow) -> None:
        panel = self.cloud.ensure_panel(show=False)
        panel.setVisible(not panel.isVisible())

    @needs("cloud", "Uploading to S3")
    def upload_dataset_dialog(self: MainWindow) -> None:
        settings = self.cloud.settings
        if not settings.bucket:
            self.show_error("Upload dataset", "Set an S3 bucket in Cloud > Settings first.")
            return
        row, source = _path_row(self, "")
        target = QLineEdit(settings.s3_uri("datasets", ""))
        dialog = _FormDialog(self, "Upload Dataset", [("Folder", row), ("To", target)])
        if dialog.exec() == QDialog.DialogCode.Accepted and source.text():
            name = Path(source.text()).name
            uri = target.text().rstrip("/") + "/" + name
            self.cloud.upload(Path(source.text()), uri)

    @needs("cloud", "Featurizing on SageMaker", on_sagemaker_only=True)
    def featurize_dialog(self: MainWindow) -> None:
        choice = QComboBox()
        sources = ["A folder of videos and CSVs"]
        if self.project is not None and self.project.video_path:
            sources.insert(0, "This project's video and labels")
        choice.addItems(sources)
        row, folder = _path_row(self, "")
        local = self.cloud.backend_name == LOCAL
        out_row, output = _path_row(self, "")
        rows = [("Input", choice), ("Folder or S3 URI", row)]
        if local:
            rows.append(("Output folder (empty: the job's)", out_row))
        dialog = _FormDialog(self, f"Featurize ({self.cloud.backend_name})", rows)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            if choice.currentText().startswith("This project"):
                job_root = self.cloud.local.work_dir / "inputs"
                dataset: str | Path = project_dataset(self, job_root / _safe(self.project))
            else:
                dataset = folder.text().strip()
        except (OSError, ValueError) as exc:
            self.show_error("Featurize", str(exc))
            return
        if dataset:
            self.cloud.featurize(dataset, output.text().strip() or None)

    @needs("cloud", "Training on SageMaker", on_sagemaker_only=True)
    @needs("model", "Training on this computer")
    def train_dialog(self: MainWindow) -> None:
        featurized = [
            r.artifact
            for r in self.cloud.store.all()
            if r.kind in ("processing", "local-featurize") and r.status == "Completed"
        ]
        row, data = _path_row(self, featurized[0] if featurized else "")
        epochs = QSpinBox()
        epochs.setRange(1, 1000)
        epochs.setValue(30)
        batch = QSpinBox()
        batch.setRange(1, 256)
        batch.setValue(8)
        arch = QComboBox()
        arch.addItems(["fasttracknet", "tracknetv2"])
        rows = [("Featurized dataset", row), ("Epochs", epochs), ("Batch size", batch)]
        rows.append(("Network", arch))
        dialog = _FormDialog(self, f"Train ({self.cloud.backend_name})", rows)
        if dialog.exec() == QDialog.DialogCode.Accepted and data.text().strip():
            hps = {"epochs": epochs.value(), "batch-size": batch.value()}
            hps["arch"] = arch.currentText()
            self.cloud.train(data.text().strip(), hps)

    @needs("cloud", "Deploying on SageMaker", on_sagemaker_only=True)
    def deploy_dialog(self: MainWindow) -> None:
        models = self.cloud.trained_models()
        if not models:
            self.show_error("Deploy", "No finished training job yet: train a model first.")
            return
        pick = QComboBox()
        for record in models:
            pick.addItem(f"{record.name} ({record.backend})", record.name)
        dialog = _FormDialog(self, "Deploy Model", [("Model of", pick)])
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.cloud.deploy(models[pick.currentIndex()])

    def delete_endpoint_dialog(self: MainWindow) -> None:
        endpoints = self.cloud.endpoints_in_service()
        if not endpoints:
            self.show_error("Delete endpoint", "No endpoint is in service.")
            return
        pick = QComboBox()
        pick.addItems([f"{r.name} ({r.backend})" for r in endpoints])
        dialog = _FormDialog(self, "Delete Endpoint", [("Endpoint", pick)])
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.cloud.delete_endpoint(endpoints[pick.currentIndex()])

    @needs("cloud", "Predicting on SageMaker", on_sagemaker_only=True)
    def predict_videos_dialog(self: MainWindow) -> None:
        from . import batch_predict

        batch_predict.predict_videos_dialog(self)

    @needs("cloud", "Ground Truth labeling")
    def create_labeling_job_dialog(self: MainWindow) -> None:
        from . import cloud_labeling

        cloud_labeling.create_labeling_job_dialog(self)

    @needs("cloud", "Ground Truth labeling")
    def import_labeling_output_dialog(self: MainWindow) -> None:
        from . import cloud_labeling

        cloud_labeling.import_labeling_output_dialog(self)


def _safe(project: Any) -> str:
    stem = Path(project.video_path).stem if project and project.video_path else "project"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem) or "project"
