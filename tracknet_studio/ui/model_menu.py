"""The window's prediction features: the Model menu's handlers, the metrics dock, and
File > Export Video.

`PredictionMixin` keeps no __init__ (like the other window mixins); the window calls
`_init_predictions()` once its actions and docks exist. The metrics panel follows the
window's project; its per-frame outcome goes to the timeline's outcome strip and a click on
its error plot seeks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from tracknet_studio import extras
from tracknet_studio.core import Project
from tracknet_studio.core.project import unique_layer_name

from .metrics_panel import MetricsPanel
from .prediction import (
    AUTO_TRACK_LAYER,
    RunSettings,
    in_out_range,
    run_model,
    run_model_dialog,
)
from .tasks import BackgroundTask

if TYPE_CHECKING:
    from .main_window import MainWindow


class PredictionMixin:
    """Model > Run Model…, Model > Metrics Panel, File > Export Video… (see module doc)."""

    source: Any
    project: Project | None

    def _init_predictions(self: MainWindow) -> None:
        self.metrics_panel = MetricsPanel()
        self.metrics_panel.range_provider = lambda: in_out_range(self)
        self.metrics_panel.seek_requested.connect(self._seek_from_metrics)
        self.metrics_panel.outcomes_changed.connect(self._show_outcomes)
        dock = QDockWidget("Metrics", self)
        dock.setObjectName("metricsDock")
        dock.setWidget(self.metrics_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        table_dock = getattr(self, "table_dock", None)
        if table_dock is not None:
            self.tabifyDockWidget(table_dock, dock)
            table_dock.raise_()
        dock.hide()
        self.metrics_dock = dock
        toggle = self.action_by_id["model.metrics"]
        toggle.setCheckable(True)  # checked while the dock is shown
        toggle.setChecked(False)
        dock.visibilityChanged.connect(lambda _shown: toggle.setChecked(not dock.isHidden()))
        self.project_changed.connect(self._metrics_follow_project)
        self.video_opened.connect(lambda _info: self._metrics_follow_project(self.project))

    def _metrics_follow_project(self: MainWindow, project: Project | None) -> None:
        info = self.source.info if self.source is not None else None
        size = (int(info.width), int(info.height)) if info is not None else None
        self.metrics_panel.set_project(project, size)

    def _show_outcomes(self: MainWindow, codes: Any) -> None:
        timeline = getattr(self, "timeline", None)
        if timeline is not None:
            timeline.set_outcomes(codes)

    def _seek_from_metrics(self: MainWindow, frame: int) -> None:
        self.pause()
        self.seek(frame)

    # ----- handlers named in the action table --------------------------------------------
    def run_model_dialog(self: MainWindow) -> BackgroundTask | None:
        task = run_model_dialog(self)
        if task is not None:
            task.succeeded.connect(lambda _track: self.show_metrics_panel(True))
        return task

    def auto_track(self: MainWindow) -> BackgroundTask | None:
        """The auto-track over the in-out range (or the whole video), no dialog."""
        project = self.project
        if project is None or self.source is None:
            self.show_error("Auto-track", "Open a video or a project first.")
            return None
        start, stop = in_out_range(self) or (0, project.n_frames)
        layer = unique_layer_name(project, AUTO_TRACK_LAYER)
        task = run_model(self, RunSettings(None, "cpu", start, stop, layer, method="motion"))
        if task is not None:
            task.succeeded.connect(lambda _track: self.show_metrics_panel(True))
        return task

    def finetune_on_labels(self: MainWindow) -> BackgroundTask | None:
        from .finetune_dialog import finetune_dialog

        if not extras.installed("model"):
            self.show_error("Fine-tune", extras.missing_message("model", "Fine-tuning"))
            return None

        return finetune_dialog(self)

    def toggle_metrics_panel(self: MainWindow) -> None:
        self.show_metrics_panel(self.action_by_id["model.metrics"].isChecked())

    def show_metrics_panel(self: MainWindow, shown: bool = True) -> None:
        self.metrics_dock.setVisible(shown)
        if shown:
            self.metrics_dock.raise_()

    def export_video_dialog(self: MainWindow) -> BackgroundTask | None:
        from .export_dialog import export_video_dialog

        return export_video_dialog(self)
