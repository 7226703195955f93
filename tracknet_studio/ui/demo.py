"""File > Open Demo: the built-in clip with what the app is for already on screen.

The clip is generated on first use, off the UI thread. The demo then shows its true track
as labels, a prediction layer of the shipped model (the auto-track where the model extra
is missing) with its trail, the metrics panel filled in, and the review queue on the first
frame where the prediction and the labels disagree. The run happens once, in the
background with progress; its result is kept beside the clip as a project, so the next
demo opens at once. The demo opens untitled: Save asks where (the user's documents).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from tracknet_studio import __version__
from tracknet_studio.core import Project, Source
from tracknet_studio.core.review import Problem
from tracknet_studio.formats import FormatError, load_project, read_csv, save_project
from tracknet_studio.inference import methods

from .model_menu import PredictionController
from .player import Player
from .prediction import AUTO_TRACK_LAYER, DEFAULT_LAYER, RunSettings, run_model
from .project_controller import ProjectController
from .review import ReviewController
from .shell import Shell


class DemoWorker(QObject):
    """Generates the demo clip on a plain thread; the signals arrive in the UI thread."""

    done = Signal(object, object)  # the clip's Path and its true track's CSV
    failed = Signal(object)  # the exception
    progress = Signal(float)  # 0..1

    def start(self) -> None:
        threading.Thread(target=self._run, name="demo-clip", daemon=True).start()

    def _run(self) -> None:
        try:
            from tracknet_studio.synthetic import ensure_demo_clip

            video, track = ensure_demo_clip(progress=self._report)
        except Exception as exc:  # reported in a dialog, never as a traceback
            self.failed.emit(exc)
        else:
            self.done.emit(Path(video), Path(track))

    def _report(self, done: int, total: int) -> None:
        self.progress.emit(done / max(total, 1))


class DemoController(QObject):
    """Opens the demo and sets the scene (see the module docstring)."""

    def __init__(
        self,
        shell: Shell,
        player: Player,
        files: ProjectController,
        prediction: PredictionController,
        review: ReviewController,
    ) -> None:
        super().__init__(shell)
        self.shell, self.player, self.files = shell, player, files
        self.prediction, self.review = prediction, review
        self._worker: DemoWorker | None = None
        self._video: Path | None = None
        self._truth: Path | None = None
        self._waiting = False  # the demo video is opening: set the scene once it is up
        shell.project_changed.connect(self._on_project)

    def open(self) -> None:
        """Open the demo, generating its clip first (off the UI thread) if needed."""
        worker = DemoWorker()
        worker.done.connect(self._on_clip_ready)
        worker.failed.connect(self._on_failed)
        worker.progress.connect(self.player.show_progress)
        self._worker = worker
        self.player.start_progress("Preparing demo… %p%")
        self.shell.say("Generating the demo clip (first run only)…", 0)
        worker.start()

    def scene_path(self) -> Path | None:
        """Where the demo with its prediction is kept (per app version and method)."""
        if self._video is None:
            return None
        method = methods.default_method()
        return self._video.with_name(f"{self._video.stem}-{__version__}-{method}.tnproj")

    # ----- opening ---------------------------------------------------------------------
    def _on_clip_ready(self, video: Path, truth: Path) -> None:
        self._video, self._truth = video, truth
        self._waiting = True
        scene = self.scene_path()
        kept = _load(scene) if scene is not None else None
        opened = self.files.open_untitled(kept) if kept else self.files.open_video(video)
        if not opened:
            self._waiting = False

    def _on_failed(self, exc: BaseException) -> None:
        self.player.progress_bar.hide()
        self.shell.show_error("Demo clip", str(exc))

    def _on_project(self, project: Project | None) -> None:
        if not self._waiting or project is None or self._video is None:
            return
        if not _same(project.video_path, self._video):
            self._waiting = False  # the user opened something else meanwhile
            return
        self._waiting = False
        if project.predictions:  # the kept scene: everything is there already
            QTimer.singleShot(0, self._show)
            return
        self._label_with_truth(project)
        # After the first frame is on screen: the window is up before torch loads.
        self.player.frame_shown.connect(self._start_run, _SINGLE_SHOT)

    def _label_with_truth(self, project: Project) -> None:
        assert self._truth is not None
        try:
            truth, _report = read_csv(self._truth)
        except (FormatError, OSError) as exc:  # the demo still opens, without labels
            self.shell.say(f"The demo's track could not be read: {exc}", 10_000)
            return
        n = min(len(truth), project.n_frames)
        columns = truth.columns()
        project.labels.update(np.arange(n), **{k: columns[k][:n] for k in LABEL_COLUMNS},
                              source=Source.IMPORTED)  # fmt: skip
        self.files.mark_clean()

    # ----- the model's layer -------------------------------------------------------------
    def _start_run(self, *_: object) -> None:
        project = self.shell.project
        if project is None or not _same(project.video_path, self._video):
            return
        method = methods.default_method()
        layer = AUTO_TRACK_LAYER if method == "motion" else DEFAULT_LAYER
        settings = RunSettings(None, "auto", 0, project.n_frames, layer, method=method)
        task = run_model(self.shell, settings)
        if task is not None:
            task.succeeded.connect(lambda _track: QTimer.singleShot(0, self._keep_and_show))

    def _keep_and_show(self) -> None:
        project, scene = self.shell.project, self.scene_path()
        if project is None or not project.predictions:
            return
        self.files.mark_clean()  # the demo as it comes: nothing to save yet
        if scene is not None:
            try:
                save_project(project.copy(), scene)
            except OSError as exc:  # the next demo runs the model again; say why once
                self.shell.say(f"The demo's prediction could not be kept: {exc}", 10_000)
        self._show()

    def _show(self) -> None:
        """Metrics in view, and the first frame where prediction and labels disagree."""
        self.prediction.show_metrics_panel(True)
        queue = self.review.review_queue
        if queue is None:
            return
        frames = [f for f in queue.frames.tolist() if queue.reasons(f) & Problem.DISAGREEMENT]
        target = frames[0] if frames else queue.next_problem(-1)
        if target is not None:
            self.player.go_to(target)


LABEL_COLUMNS = ("x", "y", "visibility", "event")
_SINGLE_SHOT = Qt.ConnectionType.SingleShotConnection


def _same(path: str | Path | None, video: Path | None) -> bool:
    return bool(path) and video is not None and Path(path).resolve() == video.resolve()


def _load(scene: Path) -> Project | None:
    """The kept demo scene, or None when there is none (or it cannot be read)."""
    if not scene.is_file():
        return None
    try:
        return load_project(scene).project
    except (FormatError, OSError):
        return None
