"""The Cloud menu: each command's small dialog, then its call on the window's CloudJobs.

The questions are asked here (the "ask" half); ui/cloud_jobs.py holds the state and does
the work, so tests drive it without modal dialogs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from tracknet_studio import extras
from tracknet_studio.cloud.dataset import project_dataset
from tracknet_studio.cloud.jobs import JobRecord

from . import batch_predict, cloud_labeling
from .cloud_jobs import CloudJobs
from .cloud_settings import LOCAL, SAGEMAKER, CloudSettingsDialog
from .shell import Shell

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


def needs(extra: str, feature: str, *, on_sagemaker_only: bool = False) -> Callable:
    """A Cloud menu handler that says which extra to install, instead of failing, when
    `extra` is missing (for the SageMaker backend only, with `on_sagemaker_only`)."""

    def wrap(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def guarded(self: CloudController) -> Any:
            applies = not on_sagemaker_only or self.jobs.backend_name == SAGEMAKER
            if applies and not extras.installed(extra):
                self.shell.show_error(feature, extras.missing_message(extra, feature))
                return None
            return handler(self)

        return guarded

    return wrap


class CloudController(QObject):
    """The Cloud menu's handlers (named in the action table); the work is `jobs`'."""

    def __init__(self, shell: Shell, jobs: CloudJobs) -> None:
        super().__init__(shell)
        self.shell = shell
        self.jobs = jobs
        jobs.results_wanted.connect(self.import_results)

    @property
    def parent_widget(self) -> QWidget:
        return self.shell.window

    def close_ok(self) -> bool:
        """The window may close: no billed endpoint the user wanted deleted is left."""
        if not self.jobs.confirm_close():
            return False
        self.jobs.shutdown()
        return True

    def import_results(self, record: JobRecord) -> Any:
        """A finished batch prediction's tracks into the videos' projects."""
        return batch_predict.import_results(self.shell, self.jobs, record)

    def cloud_settings_dialog(self) -> None:
        dialog = CloudSettingsDialog(self.jobs.settings, self.shell.settings, self.parent_widget)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            dialog.values().save()

    def toggle_jobs_panel(self) -> None:
        panel = self.jobs.ensure_panel(show=False)
        panel.setVisible(not panel.isVisible())

    @needs("cloud", "Uploading to S3")
    def upload_dataset_dialog(self) -> None:
        settings = self.jobs.settings
        if not settings.bucket:
            self.shell.show_error("Upload dataset", "Set an S3 bucket in Cloud > Settings first.")
            return
        row, source = _path_row(self.parent_widget, "")
        target = QLineEdit(settings.s3_uri("datasets", ""))
        dialog = _FormDialog(
            self.parent_widget, "Upload Dataset", [("Folder", row), ("To", target)]
        )
        if dialog.exec() == QDialog.DialogCode.Accepted and source.text():
            name = Path(source.text()).name
            uri = target.text().rstrip("/") + "/" + name
            self.jobs.upload(Path(source.text()), uri)

    @needs("cloud", "Featurizing on SageMaker", on_sagemaker_only=True)
    def featurize_dialog(self) -> None:
        choice = QComboBox()
        sources = ["A folder of videos and CSVs"]
        if self.shell.project is not None and self.shell.project.video_path:
            sources.insert(0, "This project's video and labels")
        choice.addItems(sources)
        row, folder = _path_row(self.parent_widget, "")
        local = self.jobs.backend_name == LOCAL
        out_row, output = _path_row(self.parent_widget, "")
        rows = [("Input", choice), ("Folder or S3 URI", row)]
        if local:
            rows.append(("Output folder (empty: the job's)", out_row))
        dialog = _FormDialog(self.parent_widget, f"Featurize ({self.jobs.backend_name})", rows)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            if choice.currentText().startswith("This project"):
                job_root = self.jobs.local.work_dir / "inputs"
                dataset: str | Path = project_dataset(
                    self.shell.project, job_root / _safe(self.shell.project)
                )
            else:
                dataset = folder.text().strip()
        except (OSError, ValueError) as exc:
            self.shell.show_error("Featurize", str(exc))
            return
        if dataset:
            self.jobs.featurize(dataset, output.text().strip() or None)

    @needs("cloud", "Training on SageMaker", on_sagemaker_only=True)
    @needs("model", "Training on this computer")
    def train_dialog(self) -> None:
        featurized = [
            r.artifact
            for r in self.jobs.store.all()
            if r.kind in ("processing", "local-featurize") and r.status == "Completed"
        ]
        row, data = _path_row(self.parent_widget, featurized[0] if featurized else "")
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
        dialog = _FormDialog(self.parent_widget, f"Train ({self.jobs.backend_name})", rows)
        if dialog.exec() == QDialog.DialogCode.Accepted and data.text().strip():
            hps = {"epochs": epochs.value(), "batch-size": batch.value()}
            hps["arch"] = arch.currentText()
            self.jobs.train(data.text().strip(), hps)

    @needs("cloud", "Deploying on SageMaker", on_sagemaker_only=True)
    def deploy_dialog(self) -> None:
        models = self.jobs.trained_models()
        if not models:
            self.shell.show_error("Deploy", "No finished training job yet: train a model first.")
            return
        pick = QComboBox()
        for record in models:
            pick.addItem(f"{record.name} ({record.backend})", record.name)
        dialog = _FormDialog(self.parent_widget, "Deploy Model", [("Model of", pick)])
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.jobs.deploy(models[pick.currentIndex()])

    def delete_endpoint_dialog(self) -> None:
        endpoints = self.jobs.endpoints_in_service()
        if not endpoints:
            self.shell.show_error("Delete endpoint", "No endpoint is in service.")
            return
        pick = QComboBox()
        pick.addItems([f"{r.name} ({r.backend})" for r in endpoints])
        dialog = _FormDialog(self.parent_widget, "Delete Endpoint", [("Endpoint", pick)])
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.jobs.delete_endpoint(endpoints[pick.currentIndex()])

    @needs("cloud", "Predicting on SageMaker", on_sagemaker_only=True)
    def predict_videos_dialog(self) -> None:
        batch_predict.predict_videos_dialog(self.shell, self.jobs)

    @needs("cloud", "Ground Truth labeling")
    def create_labeling_job_dialog(self) -> None:
        cloud_labeling.create_labeling_job_dialog(self.shell, self.jobs)

    @needs("cloud", "Ground Truth labeling")
    def import_labeling_output_dialog(self) -> None:
        cloud_labeling.import_labeling_output_dialog(self.shell, self.jobs)


def _safe(project: Any) -> str:
    stem = Path(project.video_path).stem if project and project.video_path else "project"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem) or "project"
