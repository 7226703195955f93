"""The window's prediction features: the Model menu's handlers, the metrics dock, and
File > Export Video.

The metrics panel follows the shell's project; its per-frame outcome goes to the timeline's
outcome strip and a click on its error plot seeks.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from tracknet_studio import extras
from tracknet_studio.core import Project
from tracknet_studio.core.project import unique_layer_name

from .editing import EditingController
from .metrics_panel import MetricsPanel
from .player import Player
from .prediction import AUTO_TRACK_LAYER, RunSettings, run_model, run_model_dialog
from .shell import Shell
from .tasks import BackgroundTask


class PredictionController(QObject):
    """Model > Run Model…, Model > Metrics Panel, File > Export Video… (see module doc)."""

    def __init__(
        self,
        shell: Shell,
        player: Player,
        editing: EditingController,
        actions: dict[str, QAction],
    ) -> None:
        super().__init__(shell)
        self.shell = shell
        self.player = player
        self.editing = editing
        self._actions = actions
        self.metrics_panel = MetricsPanel()
        self.metrics_panel.range_provider = editing.in_out_range
        self.metrics_panel.seek_requested.connect(player.go_to)
        self.metrics_panel.outcomes_changed.connect(editing.timeline.set_outcomes)
        self.metrics_dock = shell.dock("Metrics", "metricsDock", self.metrics_panel)
        toggle = actions["model.metrics"]
        toggle.setCheckable(True)  # checked while the dock is shown
        dock = self.metrics_dock
        dock.visibilityChanged.connect(lambda _shown: toggle.setChecked(not dock.isHidden()))
        shell.project_changed.connect(self._metrics_follow_project)
        player.video_opened.connect(lambda _info: self._metrics_follow_project(shell.project))

    def _metrics_follow_project(self, project: Project | None) -> None:
        info = self.shell.video
        size = (int(info.width), int(info.height)) if info is not None else None
        self.metrics_panel.set_project(project, size)

    def _show_metrics_after(self, task: BackgroundTask | None) -> BackgroundTask | None:
        if task is not None:
            task.succeeded.connect(lambda _track: self.show_metrics_panel(True))
        return task

    # ----- handlers named in the action table --------------------------------------------
    def run_model_dialog(self) -> BackgroundTask | None:
        return self._show_metrics_after(run_model_dialog(self.shell, self.editing.in_out_range()))

    def auto_track(self) -> BackgroundTask | None:
        """The auto-track over the in-out range (or the whole video), no dialog."""
        project = self.shell.project
        if project is None or self.shell.video is None:
            self.shell.show_error("Auto-track", "Open a video or a project first.")
            return None
        start, stop = self.editing.in_out_range() or (0, project.n_frames)
        layer = unique_layer_name(project, AUTO_TRACK_LAYER)
        settings = RunSettings(None, "cpu", start, stop, layer, method="motion")
        return self._show_metrics_after(run_model(self.shell, settings))

    def finetune_on_labels(self) -> Any:
        from .finetune_dialog import finetune_dialog

        if not extras.installed("model"):
            self.shell.show_error("Fine-tune", extras.missing_message("model", "Fine-tuning"))
            return None
        return finetune_dialog(self.shell, self.editing.in_out_range())

    def toggle_metrics_panel(self) -> None:
        self.show_metrics_panel(self._actions["model.metrics"].isChecked())

    def show_metrics_panel(self, shown: bool = True) -> None:
        self.metrics_dock.setVisible(shown)
        if shown:
            self.metrics_dock.raise_()

    def export_video_dialog(self) -> BackgroundTask | None:
        from .export_dialog import export_video_dialog

        return export_video_dialog(self.shell, self.editing.in_out_range())
