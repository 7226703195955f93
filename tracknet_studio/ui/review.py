"""Walking the review queue in the window: next / previous problem, accept, reject, bulk accept.

`ReviewController` holds the Review menu's handlers. The queue
(core.review.ReviewQueue) runs over the label layer and the *review layer*, one prediction
layer chosen in Review > Review Against (the first one by default). Accepting or rejecting
marks the frame reviewed, so it leaves the queue, and moves on to the next problem: an
annotator keeps one hand on Enter / R / N. A status-bar readout says why the frame on
screen is in the queue. Every action is one undo step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QInputDialog, QMenu

from tracknet_studio.core import Project, Track, TrackEdit
from tracknet_studio.core.review import (
    Problem,
    ReviewQueue,
    accept_prediction,
    accept_predictions,
    reject_prediction,
)

from .editing import EditingController
from .player import Player
from .shell import Shell
from .undo import TrackEditCommand
from .widgets import ElidedLabel

DEFAULT_MIN_CONFIDENCE = 0.8

REASON_TEXT: dict[Problem, str] = {
    Problem.UNLABELED: "unlabeled",
    Problem.LOW_CONFIDENCE: "low confidence",
    Problem.DISAGREEMENT: "prediction and label disagree",
    Problem.JUMP: "implausible jump",
    Problem.ACCELERATION: "implausible acceleration",
    Problem.VISIBILITY_FLIP: "visibility flips",
}


def ask_min_confidence(parent: Any, start: int, stop: int, initial: float) -> float | None:
    """The small dialog for "accept all above c"; None when cancelled. Tests replace it."""
    value, ok = QInputDialog.getDouble(
        parent,
        "Accept Predictions",
        f"Accept every prediction on frames {start}–{stop - 1}\nwith confidence at least:",
        initial,
        0.0,
        1.0,
        2,
    )
    return value if ok else None


class ReviewController(QObject):
    """Review handlers of the window (see the module docstring)."""

    def __init__(self, shell: Shell, player: Player, editing: EditingController) -> None:
        super().__init__(shell)
        self.shell = shell
        self.player = player
        self.editing = editing
        self.review_queue: ReviewQueue | None = None
        self.review_layer: str | None = None
        self.min_accept_confidence = DEFAULT_MIN_CONFIDENCE
        self.review_label = ElidedLabel()  # the window puts it in its status bar
        self.review_label.setObjectName("reviewReadout")
        self.review_layer_menu = QMenu("Review &Against", shell.window)
        self.review_layer_menu.setObjectName("reviewLayerMenu")
        self._review_layer_group = QActionGroup(self)
        # After an edit the readout is rewritten on the next turn of the event loop, once per
        # turn: an edit reaches the window before it reaches the queue (both listen to the
        # labels), so asking at once would read the queue from before the edit.
        self._readout_timer = QTimer(self, singleShot=True, interval=0)
        self._readout_timer.timeout.connect(self._update_review_readout)
        shell.project_changed.connect(self._set_review_project)
        editing.layers_changed.connect(self._set_review_project)
        editing.edited.connect(self._readout_timer.start)
        player.frame_shown.connect(self._update_review_readout)

    # ================================================================= the queue

    def _set_review_project(self, project: Project | None) -> None:
        names = [] if project is None else list(project.predictions)
        keep = self.review_layer if self.review_layer in names else None
        self.set_review_layer(keep or (names[0] if names else None))

    def set_review_layer(self, name: str | None) -> None:
        """Review the labels against prediction layer `name` (None: the labels alone)."""
        if self.review_queue is not None:
            self.review_queue.close()
        project = self.shell.project
        self.review_layer = name
        self.review_queue = None
        if project is not None:
            prediction = project.predictions.get(name) if name is not None else None
            self.review_queue = ReviewQueue(project.labels, prediction)
        self._fill_review_layer_menu()
        self._update_review_readout()

    def _fill_review_layer_menu(self) -> None:
        self.review_layer_menu.clear()
        for action in self._review_layer_group.actions():
            self._review_layer_group.removeAction(action)
        project = self.shell.project
        names = [] if project is None else list(project.predictions)
        for name in names:
            action = QAction(name, self.review_layer_menu, checkable=True)
            action.setChecked(name == self.review_layer)
            action.triggered.connect(lambda _=False, n=name: self.set_review_layer(n))
            self._review_layer_group.addAction(action)
            self.review_layer_menu.addAction(action)
        if not names:
            self.review_layer_menu.addAction("(no prediction layers)").setEnabled(False)

    def _review_prediction(self) -> Track | None:
        project = self.shell.project
        if project is None or self.review_layer is None:
            return None
        return project.predictions.get(self.review_layer)

    def next_problem(self) -> None:
        self._go_to_problem(forward=True)

    def previous_problem(self) -> None:
        self._go_to_problem(forward=False)

    def _go_to_problem(self, forward: bool) -> None:
        queue = self.review_queue
        if queue is None:
            return
        here = self.player.current_frame
        frame = queue.next_problem(here) if forward else queue.previous_problem(here)
        if frame is None:
            self.shell.say("No problem frames left to review", 4000)
            return
        self.player.go_to(frame)

    def _update_review_readout(self, *_: Any) -> None:
        self.review_label.setText(self.review_readout(self.player.current_frame))

    def review_readout(self, frame: int) -> str:
        """Why `frame` is a problem, e.g. "Problem 3 of 41: low confidence (0.32)"."""
        queue = self.review_queue
        project = self.shell.project  # None once the window closed it
        if queue is None or project is None or not 0 <= frame < len(project.labels):
            return ""
        reasons = queue.reasons(frame)
        if not reasons:
            return f"{len(queue)} problem frames" if len(queue) else "No problems"
        index = int(np.searchsorted(queue.frames, frame)) + 1
        texts = [self._reason_text(r, frame) for r in REASON_TEXT if r in reasons]
        return f"Problem {index} of {len(queue)}: " + ", ".join(texts)

    def _reason_text(self, reason: Problem, frame: int) -> str:
        text = REASON_TEXT[reason]
        prediction = self._review_prediction()
        if prediction is None:
            return text
        if reason == Problem.LOW_CONFIDENCE:
            return f"{text} ({float(prediction.confidence[frame]):.2f})"
        if reason == Problem.DISAGREEMENT:
            labels = self.shell.project.labels
            dx = float(prediction.x[frame] - labels.x[frame])
            dy = float(prediction.y[frame] - labels.y[frame])
            distance = float(np.hypot(dx, dy))
            return f"{text} ({distance:.1f} px)" if np.isfinite(distance) else text
        return text

    # ================================================================= acting

    def accept_prediction(self) -> None:
        if self._commit_table_editor():
            return
        frame, labels, prediction = self._review_target()
        if prediction is None:
            return
        edit = accept_prediction(labels, prediction, frame)
        if self._push_review(labels, edit, f"Accept prediction on frame {frame}"):
            self.next_problem()
        else:
            self.shell.say(
                f"Nothing to accept on frame {frame} (no prediction, or a human label)", 4000
            )

    def reject_prediction(self) -> None:
        frame, labels, _prediction = self._review_target()
        if labels is None:
            return
        edit = reject_prediction(labels, frame)
        self._push_review(labels, edit, f"Reject prediction on frame {frame}")
        self.next_problem()

    def accept_predictions_above(self) -> int:
        """Ask for c; accept every prediction with confidence >= c over the range as one step."""
        _frame, labels, prediction = self._review_target()
        if prediction is None:
            return 0
        span = self.editing.edit_range()
        start, stop = span if span is not None else (0, len(labels))
        c = ask_min_confidence(self.shell.window, start, stop, self.min_accept_confidence)
        if c is None:
            return 0
        self.min_accept_confidence = c
        edit = accept_predictions(labels, prediction, c, start=start, stop=stop)
        text = f"Accept {len(edit.frames)} predictions with confidence ≥ {c:.2f}"
        if not self._push_review(labels, edit, text):
            text = f"No open frame has a prediction with confidence ≥ {c:.2f}"
        self.shell.say(text, 5000)
        return len(edit.frames)

    def _review_target(self) -> tuple[int, Track | None, Track | None]:
        frame = self.editing.edit_frame()
        if frame is None:
            return 0, None, None
        prediction = self._review_prediction()
        if prediction is None:
            self.shell.say("No prediction layer to review against", 4000)
        return frame, self.shell.project.labels, prediction

    def _push_review(self, labels: Track, edit: TrackEdit, text: str) -> bool:
        if len(edit.frames) == 0:
            return False
        self.shell.undo_stack.push(TrackEditCommand(labels, edit, text, applied=False))
        return True

    def _commit_table_editor(self) -> bool:
        """Enter while a table cell is being edited commits the cell, not a prediction."""
        table = self.editing.track_table
        editing = table.state() == table.State.EditingState
        if editing:
            table.setFocus()  # the delegate commits the editor's value when it loses focus
        return editing
