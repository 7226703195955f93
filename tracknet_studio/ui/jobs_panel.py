"""The jobs dock: local and SageMaker jobs, their logs, their training curves, a Stop button.

Every job lives in the `JobStore` (a JSON file), so the panel re-attaches to the jobs of an
earlier session by name when it starts. Polling never blocks the UI thread: a QTimer starts
one background poll (describe + new log lines of every unfinished job, and of the selected
one) only when the previous poll has finished, so a slow or hanging AWS call can never pile
up threads. An error while polling (expired credentials, no network) is shown in the panel
and polling goes on; the app keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.cloud.backends import BackendFor, PollResult, poll_jobs
from tracknet_studio.cloud.jobs import ACTIVE, PREDICTION_KINDS, JobRecord, JobStore, parse_metrics

from .cloud_tasks import run_quietly
from .tasks import BackgroundTask
from .training_curves import TrainingCurves, curves

POLL_MS = 5000  # SageMaker's own console refreshes about this often
LOG_TAIL_LINES = 400  # kept per job for the log view
FAILED_TAIL_LINES = 12  # shown under a failed job's reason
COLUMNS = ("Job", "Kind", "Backend", "Status", "Elapsed", "Instance")
FAILED_STATUSES = frozenset({"Failed", "Expired"})
TRAINING_KINDS = ("training", "local-train")
WARNING_PREFIX = "WARNING:"  # what entrypoints/train.py starts a warning the user must see with


@dataclass
class _JobView:
    """What the panel knows of one job besides its record: log lines and where to go on."""

    record: JobRecord
    lines: list[str] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)  # every metric line so far
    read: int = 0  # log lines read so far: the backend's `since` for the next read
    done_reading: bool = False  # final status seen and the last log lines read
    fetched: bool = False  # polled at least once (a finished job's log is read on demand)


def is_final(status: str) -> bool:
    """True once a job's status can no longer change by itself (an endpoint in service
    counts: it stays so until deleted, and has no log of ours to follow)."""
    return status not in ACTIVE


def format_elapsed(seconds: float) -> str:
    """75 -> "1:15"; 3725 -> "1:02:05"."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class JobsPanel(QDockWidget):
    """A dock listing the store's jobs; select one for its log, curves and failure reason."""

    polled = Signal()  # after each poll's results were shown (tests wait on it)
    job_selected = Signal(object)  # the JobRecord, or None
    import_requested = Signal(object)  # the JobRecord of a completed batch prediction

    def __init__(
        self,
        store: JobStore,
        backend_for: BackendFor,
        parent: QWidget | None = None,
        *,
        poll_ms: int = POLL_MS,
    ) -> None:
        super().__init__("Jobs", parent)
        self.setObjectName("jobsDock")
        self.store = store
        self._backend_for = backend_for
        self._jobs: dict[str, _JobView] = {}
        self._poll: BackgroundTask | None = None
        self.last_error = ""
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.poll_now)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._refresh_elapsed)
        self.reattach()

    # ================================================================= construction

    def _build(self) -> None:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("jobsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._on_selection)

        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopJob")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_selected)
        self.import_button = QPushButton("Import Results")
        self.import_button.setObjectName("importResults")
        self.import_button.setToolTip("Add each video's predicted track to its project")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self._request_import)
        self.error_label = QLabel()
        self.error_label.setObjectName("pollError")
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.failure_label = QLabel()
        self.failure_label.setObjectName("failureReason")
        self.failure_label.setStyleSheet("color: #c0392b; font-weight: bold;")
        self.failure_label.setWordWrap(True)
        self.failure_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure_label.hide()

        self.log_view = QPlainTextEdit()
        self.log_view.setObjectName("jobLog")
        self.log_view.setReadOnly(True)
        self.log_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log_view.setMaximumBlockCount(LOG_TAIL_LINES)
        self.log_view.setPlaceholderText("Select a job to follow its log.")

        self.plots = TrainingCurves()
        self.plots.setObjectName("jobMetrics")

        buttons = QHBoxLayout()
        buttons.addWidget(self.error_label, 1)
        buttons.addStretch()  # the button keeps its size while no error is shown
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.stop_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(buttons)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.failure_label)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.log_view)
        lower.addWidget(self.plots)
        lower.setSizes([500, 500])
        detail_layout.addWidget(lower, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(detail)
        splitter.setSizes([160, 300])
        self.setWidget(splitter)

    # ================================================================= jobs

    def reattach(self) -> None:
        """Show every job of the store (the ones an earlier session started too)."""
        for record in self.store.all():
            self._add_view(record)
        self._update_timers()
        if self._timer.isActive():
            self.poll_now()  # a job that ran on while the app was closed: show where it is

    def add_job(self, record: JobRecord) -> None:
        """Record a job that was just started and follow it; selects it."""
        self.store.put(record)
        self._add_view(record)
        self.select(record.name)
        self._update_timers()
        self.poll_now()

    def refresh_job(self, name: str) -> None:
        """Re-read a job from the store (changed by a command) and follow it again."""
        record = self.store.get(name)
        if record is None:
            return
        self._add_view(record)
        self._jobs[name].done_reading = False
        self._update_timers()
        self.poll_now()

    def records(self) -> list[JobRecord]:
        return [view.record for view in self._jobs.values()]

    def record(self, name: str) -> JobRecord:
        return self._jobs[name].record

    def _add_view(self, record: JobRecord) -> None:
        if record.name in self._jobs:
            self._jobs[record.name].record = record
        else:
            # A job that had ended before this session is read only when looked at.
            self._jobs[record.name] = _JobView(record, done_reading=is_final(record.status))
            self.table.insertRow(self.table.rowCount())
        self._show_row(record)

    def _row_of(self, name: str) -> int:
        return list(self._jobs).index(name)

    def _show_row(self, record: JobRecord) -> None:
        row = self._row_of(record.name)
        cells = (
            record.name,
            record.kind,
            record.backend,
            record.status,
            format_elapsed(record.elapsed()),
            record.instance_type or "",
        )
        for column, text in enumerate(cells):
            item = self.table.item(row, column)
            if item is None:
                item = QTableWidgetItem()
                self.table.setItem(row, column, item)
            item.setText(str(text))
            if column == 3:
                item.setForeground(pg.mkColor(_status_colour(record.status)))
            if column == 0 and record.failure_reason:
                item.setToolTip(record.failure_reason)

    def status_text(self, name: str) -> str:
        """The Status cell as shown (tests read it)."""
        return self.table.item(self._row_of(name), 3).text()

    def _refresh_elapsed(self) -> None:
        for view in self._jobs.values():
            if not is_final(view.record.status):
                row = self._row_of(view.record.name)
                self.table.item(row, 4).setText(format_elapsed(view.record.elapsed()))

    # ================================================================= selection

    def select(self, name: str) -> None:
        self.table.selectRow(self._row_of(name))

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return list(self._jobs)[rows[0].row()]

    def _on_selection(self) -> None:
        name = self.selected_name()
        self._show_detail()
        self.job_selected.emit(self._jobs[name].record if name else None)
        if name is not None and not self._jobs[name].fetched:
            self.poll_now()  # a finished job's log is read once, when first looked at

    def _show_detail(self) -> None:
        name = self.selected_name()
        view = self._jobs.get(name) if name else None
        if view is None:
            self.log_view.clear()
            self.plots.show_rows([])
            self.failure_label.hide()
            self.stop_button.setEnabled(False)
            self.import_button.setEnabled(False)
            return
        record = view.record
        self.stop_button.setEnabled(not is_final(record.status))
        self.import_button.setEnabled(
            record.kind in PREDICTION_KINDS and record.status == "Completed"
        )
        self.log_view.setPlainText("\n".join(view.lines[-LOG_TAIL_LINES:]))
        self.log_view.verticalScrollBar().setValue(self.log_view.verticalScrollBar().maximum())
        self._plot(view.metrics)
        # Curves belong to training; a prediction or featurize job's log gets the room.
        self.plots.setVisible(record.kind in TRAINING_KINDS or bool(view.metrics))
        warning = next((line for line in view.lines if line.startswith(WARNING_PREFIX)), None)
        if record.status in FAILED_STATUSES or record.failure_reason:
            tail = "\n".join(view.lines[-FAILED_TAIL_LINES:])
            reason = record.failure_reason or "no reason given"
            self.failure_label.setText(
                f"{record.status}: {reason}" + (f"\n\n{tail}" if tail else "")
            )
            self.failure_label.show()
        elif warning is not None:
            # A job can complete and still be useless (a model that finds no ball): say so
            # where the eye goes, not only deep in the log.
            self.failure_label.setText(f"{record.status}, but: {warning}")
            self.failure_label.show()
        else:
            self.failure_label.hide()

    def metric_points(self, name: str | None = None) -> dict[str, list[tuple[float, float]]]:
        """(epoch, value) pairs of the training loss and validation F1 in a job's log."""
        name = name or self.selected_name()
        return curves(self._jobs[name].metrics if name in self._jobs else [])

    def _plot(self, metrics: list[dict[str, float]]) -> None:
        self.plots.show_rows(metrics)

    # ================================================================= stop

    def _request_import(self) -> None:
        name = self.selected_name()
        if name:
            self.import_requested.emit(self._jobs[name].record)

    def stop_selected(self) -> None:
        """Ask the job's backend to stop it (in the background: it is an AWS call)."""
        name = self.selected_name()
        if name is None:
            return
        record = self._jobs[name].record
        backend = self._backend_for(record)
        self.stop_button.setEnabled(False)
        self._stop_task = run_quietly(  # tests wait on it
            lambda _report: backend.stop(name),
            lambda _result: self.poll_now(),
            lambda exc: self._show_error(f"Could not stop {name}: {exc}"),
        )

    # ================================================================= polling

    @property
    def polling(self) -> bool:
        return self._poll is not None

    def poll_now(self) -> bool:
        """Start a background poll unless one is running; True when one was started."""
        if self._poll is not None:
            return False
        wanted = self._to_poll()
        if not wanted:
            self.polled.emit()
            return False
        jobs = [(view.record, self._backend_for(view.record), view.read) for view in wanted]
        self._poll = run_quietly(
            lambda _report: poll_jobs(jobs), self._on_polled, self._on_poll_failed
        )
        return True

    def _to_poll(self) -> list[_JobView]:
        selected = self.selected_name()
        return [
            view
            for name, view in self._jobs.items()
            if not view.done_reading or (name == selected and not view.fetched)
        ]

    def _on_polled(self, result: PollResult) -> None:
        self._finish_poll()
        for name, record in result.records.items():
            view = self._jobs.get(name)
            if view is None:
                continue
            view.fetched = True
            new_lines = result.lines.get(name, [])
            view.lines.extend(new_lines)
            del view.lines[:-LOG_TAIL_LINES]  # the curves keep every epoch, the view a tail
            view.metrics.extend(parse_metrics(new_lines))
            view.read += len(new_lines)
            if is_final(record.status) and is_final(view.record.status):
                view.done_reading = True  # the final read after the status settled is done
            if record != view.record:
                view.record = record
                self.store.put(record)
            self._show_row(record)
        self._show_errors(result.errors)
        self._show_detail()
        self._update_timers()
        self.polled.emit()

    def _on_poll_failed(self, exc: BaseException) -> None:
        self._finish_poll()
        self._show_errors([str(exc) or type(exc).__name__])
        self.polled.emit()

    def _finish_poll(self) -> None:
        self._poll = None

    def _show_errors(self, errors: list[str]) -> None:
        self.last_error = "\n".join(errors)
        if errors:
            self._show_error("Polling failed: " + "; ".join(errors))
        else:
            self.error_label.hide()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setToolTip(text)
        self.error_label.show()

    def _update_timers(self) -> None:
        active = any(not view.done_reading for view in self._jobs.values())
        for timer in (self._timer, self._elapsed_timer):
            if active and not timer.isActive():
                timer.start()
            elif not active:
                timer.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until the running poll's thread ended (shutdown and tests)."""
        task = self._poll
        return task is None or task.wait(timeout)

    def shutdown(self) -> None:
        self._timer.stop()
        self._elapsed_timer.stop()
        self.wait_idle(5.0)

    def endpoints_in_service(self) -> list[JobRecord]:
        return [
            view.record
            for view in self._jobs.values()
            if view.record.kind == "endpoint" and view.record.status == "InService"
        ]


def _status_colour(status: str) -> str:
    if status in FAILED_STATUSES:
        return "#c0392b"
    if status in ("Completed", "InService"):
        return "#1e8449"
    if status in ("Stopped", "Stopping", "Deleted"):
        return "#7f8c8d"
    return "#2471a3"
