"""The window's cloud state: settings, the one job list, the backends, the jobs dock.

Jobs run on the backend chosen in Cloud > Settings: this computer (the default: the same
featurize.py and train.py of tracknet/entrypoints as subprocesses) or SageMaker. Every
backend call goes through `start`, in the background, so the window never waits on AWS or
on a process start. This is the "do" half of each Cloud command, driven by tests without
dialogs; ui/cloud_actions.py asks the questions first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMessageBox

from tracknet_studio.cloud.backends import Backend, backend_for, backend_named
from tracknet_studio.cloud.jobs import JobRecord, JobStore
from tracknet_studio.cloud.local_backend import LocalBackend
from tracknet_studio.cloud.settings import CloudSettings

from . import questions
from .cloud_settings import LOCAL, SAGEMAKER, chosen_backend
from .jobs_panel import JobsPanel
from .shell import Shell
from .tasks import BackgroundTask, Cancelled, Report, run_in_background

JOBS_FILE_KEY = "cloud/jobs_file"  # where the job list lives (tests: a temporary file)
DELETE, KEEP = "Delete Endpoint", "Keep Running"
CANCEL = questions.CANCEL
TIMELINE_DOCK = "timelineDock"  # the jobs dock opens as a tab beside it


class CloudJobs(QObject):
    """The window's cloud state: settings, jobs and backends; the commands' "do" half."""

    # The jobs dock's Import Results button: a completed batch prediction's JobRecord.
    results_wanted = Signal(object)

    def __init__(self, shell: Shell, actions: dict[str, QAction]) -> None:
        super().__init__(shell)
        self.shell = shell
        self._actions = actions
        app_settings = self.app_settings = shell.settings
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
            window = self.shell.window
            self.panel = JobsPanel(self.store, self.backend_for, window)
            window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.panel)
            # A tab beside the timeline: side by side, each would get half the width.
            timeline = window.findChild(QDockWidget, TIMELINE_DOCK)
            if timeline is not None:
                window.tabifyDockWidget(timeline, self.panel)
            self.panel.import_requested.connect(self.results_wanted)
            self.panel.visibilityChanged.connect(self._actions["cloud.jobs"].setChecked)
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
                self.shell.show_error(title, str(exc) or type(exc).__name__)

        def forget() -> None:
            # From the result handlers, which are connected before the task starts: a task
            # that ends at once must not stay listed (tests wait for this list to empty).
            if task in self.tasks:
                self.tasks.remove(task)

        task = run_in_background(
            self.shell.window, title, work, on_success=succeeded, on_failure=failed
        )
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
            self.shell.say(
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
        answer = questions.choose(
            self.shell.window,
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
                    self.shell.show_error("Delete endpoint", f"{record.name}: {exc}")
                    return False
        return True

    def shutdown(self) -> None:
        if self.panel is not None:
            self.panel.shutdown()
