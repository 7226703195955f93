"""The one table of the window's actions: it builds the menus, the shortcut help and the tests.

Each row names its handler as `controller.method`, a path from the window (say
"player.step_forward" or "editing.set_visible"), so the table stays data: rows are added and
shortcuts rebound without touching the code that reads it. A row's `needs` says what must be
open for it to run; `enable_actions` greys out the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


@dataclass(frozen=True)
class ActionSpec:
    """One user command: where it shows in the menus, its default keys, and what it calls."""

    id: str
    text: str
    menu: str
    handler: str  # "controller.method" on the window ("close": the window's own)
    shortcuts: tuple[str, ...] = ()
    help: str = ""
    # A later issue's rebinding dialog groups actions by category; the menu is a fine default.
    category: str = ""
    # Actions sharing a group are separated from the previous group by a menu separator.
    group: int = 0
    # An on/off setting shown with a check mark; the handler reads `isChecked()`.
    checkable: bool = False
    # What must be open for the action to run: "" (nothing), VIDEO, or PREDICTION (a video
    # whose project has a prediction layer).
    needs: str = ""

    @property
    def key_sequences(self) -> list[QKeySequence]:
        return [QKeySequence(s) for s in self.shortcuts]

    @property
    def display_category(self) -> str:
        return self.category or self.menu


VIDEO, PREDICTION = "video", "prediction"

# The menus in the order they appear in the menu bar.
MENUS: tuple[str, ...] = ("File", "Edit", "View", "Playback", "Review", "Model", "Cloud", "Help")

# Columns: id, menu text, menu, handler (controller.method), default keys, help.
# fmt: off
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("file.open", "&Open…", "File", "files.open_dialog", ("Ctrl+O",),
               "Open a video (a new project) or a project file"),
    ActionSpec("file.open_project", "Open &Project…", "File", "files.open_project_dialog",
               ("Ctrl+Shift+O",), "Open a project file"),
    ActionSpec("file.demo", "Open &Demo", "File", "demo.open", (),
               "The built-in clip with its labels, a model's prediction and its metrics"),
    ActionSpec("file.save", "&Save", "File", "files.save", ("Ctrl+S",),
               "Save the project", group=1, needs=VIDEO),
    ActionSpec("file.save_as", "Save &As…", "File", "files.save_as", ("Ctrl+Shift+S",),
               "Save the project under a new name", group=1, needs=VIDEO),
    ActionSpec("file.import", "&Import Labels…", "File", "files.import_labels_dialog", (),
               "Read labels from a CSV or a Ground Truth output manifest", group=3, needs=VIDEO),
    ActionSpec("file.export", "&Export Labels…", "File", "files.export_labels_dialog", (),
               "Write the labels as CSV or a Ground Truth output folder", group=3, needs=VIDEO),
    ActionSpec("file.export_video", "Export &Video…", "File", "prediction.export_video_dialog", (),
               "Write the video with the overlay burned in (H.264)", group=3, needs=VIDEO),
    ActionSpec("file.autosave", "Auto&save", "File", "files.toggle_autosave", (),
               "Write every change to a recovery file within 2 seconds", group=4),
    ActionSpec("file.quit", "&Quit", "File", "close", ("Ctrl+Q",),
               "Quit TrackNet Studio", group=2),

    ActionSpec("edit.undo", "&Undo", "Edit", "editing.undo", ("Ctrl+Z",), "Undo the last edit"),
    ActionSpec("edit.redo", "&Redo", "Edit", "editing.redo", ("Ctrl+Shift+Z", "Ctrl+Y"),
               "Redo the edit just undone"),
    ActionSpec("edit.no_ball", "&No Ball", "Edit", "editing.set_no_ball", ("0",),
               "Label the frame on screen: no ball in the picture", group=1, needs=VIDEO),
    ActionSpec("edit.visible", "&Visible", "Edit", "editing.set_visible", ("1",),
               "The ball is visible (placed at the cursor if it has no position yet)", group=1,
               needs=VIDEO),
    ActionSpec("edit.hard", "&Hard (Blurred)", "Edit", "editing.set_hard", ("2",),
               "The ball is visible but hard to see", group=1, needs=VIDEO),
    ActionSpec("edit.occluded", "&Occluded", "Edit", "editing.set_occluded", ("3",),
               "The ball is hidden behind something", group=1, needs=VIDEO),
    ActionSpec("edit.hit", "&Hit", "Edit", "editing.toggle_hit", ("H",),
               "Mark (or unmark) a hit on the frame on screen", group=2, needs=VIDEO),
    ActionSpec("edit.bounce", "&Bounce", "Edit", "editing.toggle_bounce", ("B",),
               "Mark (or unmark) a bounce on the frame on screen", group=2, needs=VIDEO),
    ActionSpec("edit.delete", "&Delete Label", "Edit",
               "editing.delete_label", ("Delete", "Backspace"),
               "Remove the label of the frame on screen", group=2, needs=VIDEO),
    ActionSpec("edit.advance", "&Advance After Click", "Edit", "editing.toggle_advance_after_click",
               ("A",), "Go to the next frame after placing the ball", group=3, checkable=True),
    ActionSpec("edit.mark_in", "Mark &In", "Edit", "editing.mark_in", ("I",),
               "Start the range that interpolation and bulk accept work on", group=4, needs=VIDEO),
    ActionSpec("edit.mark_out", "Mark O&ut", "Edit", "editing.mark_out", ("O",),
               "End the range that interpolation and bulk accept work on", group=4, needs=VIDEO),
    ActionSpec("edit.clear_range", "&Clear In/Out", "Edit", "editing.clear_range", ("X",),
               "Forget the in/out range", group=4, needs=VIDEO),
    ActionSpec("edit.interpolate_linear", "Interpolate Gaps (&Linear)", "Edit",
               "editing.interpolate_linear", ("Ctrl+L",),
               "Fill gaps between keyframes in the range, the selected rows, or everywhere",
               group=5, needs=VIDEO),
    ActionSpec("edit.interpolate_ballistic", "Interpolate Gaps (Ba&llistic)", "Edit",
               "editing.interpolate_ballistic", ("Ctrl+B",),
               "Fill gaps along the ball's flight (breaks at hits and bounces)", group=5,
               needs=VIDEO),

    ActionSpec("view.fit", "&Fit to Window", "View", "player.fit_to_window", ("F", "Ctrl+0"),
               "Scale the video to fit the window (follows window resizes)", needs=VIDEO),
    ActionSpec("view.actual", "&Actual Size (1:1)", "View", "player.zoom_actual_size", ("Ctrl+1",),
               "One video pixel per screen pixel", needs=VIDEO),
    ActionSpec("view.zoom_in", "Zoom &In", "View", "player.zoom_in", ("Ctrl+=", "+"),
               "Zoom in around the centre (the wheel zooms toward the cursor)", needs=VIDEO),
    ActionSpec("view.zoom_out", "Zoom &Out", "View", "player.zoom_out", ("Ctrl+-", "-"),
               "Zoom out around the centre", needs=VIDEO),
    ActionSpec("view.magnifier", "&Magnifier", "View", "editing.toggle_magnifier", ("M",),
               "A zoomed inset near the cursor, for placing a blurred ball", group=1,
               checkable=True),
    ActionSpec("view.trail", "Show &Trail", "View", "editing.toggle_trail", ("T",),
               "Draw each layer's path over the last frames", group=1, checkable=True),
    ActionSpec("view.labels_layer", "Show &Labels", "View", "editing.toggle_labels_layer", ("L",),
               "Show the label layer on the video and the timeline", group=1,
               checkable=True),
    ActionSpec("view.predictions_layer", "Show &Predictions", "View",
               "editing.toggle_predictions_layer", ("P",),
               "Show the prediction layers on the video and the timeline", group=1,
               checkable=True),

    ActionSpec("play.toggle", "&Play / Pause", "Playback", "player.toggle_play", ("Space",),
               "Play forward, or pause", needs=VIDEO),
    ActionSpec("play.reverse", "Play &Reverse", "Playback", "player.toggle_play_reverse",
               ("Shift+Space", "J"), "Play backward, or pause", needs=VIDEO),
    ActionSpec("step.next", "&Next Frame", "Playback", "player.step_forward", ("Right", "."),
               "One frame forward", group=1, needs=VIDEO),
    ActionSpec("step.prev", "Pre&vious Frame", "Playback", "player.step_backward", ("Left", ","),
               "One frame back", group=1, needs=VIDEO),
    ActionSpec("step.next10", "Forward 10 Frames", "Playback", "player.step_forward_10",
               ("Shift+Right",), "Ten frames forward", group=1, needs=VIDEO),
    ActionSpec("step.prev10", "Back 10 Frames", "Playback", "player.step_backward_10",
               ("Shift+Left",), "Ten frames back", group=1, needs=VIDEO),
    ActionSpec("step.first", "&First Frame", "Playback", "player.go_first", ("Home",),
               "Go to the first frame", group=2, needs=VIDEO),
    ActionSpec("step.last", "&Last Frame", "Playback", "player.go_last", ("End",),
               "Go to the last frame", group=2, needs=VIDEO),
    ActionSpec("step.goto", "&Go to Frame…", "Playback", "player.go_to_frame_dialog", ("Ctrl+G",),
               "Jump to a frame number", group=2, needs=VIDEO),
    ActionSpec("speed.down", "&Slower", "Playback", "player.speed_down", ("[",),
               "Lower the playback speed (down to 0.1×)", group=3),
    ActionSpec("speed.up", "F&aster", "Playback", "player.speed_up", ("]",),
               "Raise the playback speed (up to 4×)", group=3),
    ActionSpec("speed.reset", "&Normal Speed", "Playback", "player.speed_reset", ("\\",),
               "Play at 1×", group=3),

    ActionSpec("review.next", "&Next Problem", "Review", "review.next_problem", ("N",),
               "Go to the next frame that needs a look", needs=VIDEO),
    ActionSpec("review.prev", "&Previous Problem", "Review",
               "review.previous_problem", ("Shift+N",),
               "Go to the previous frame that needs a look", needs=VIDEO),
    ActionSpec("review.accept", "&Accept Prediction", "Review", "review.accept_prediction",
               ("Return", "Enter"), "Copy the prediction into the labels, go to the next problem",
               group=1, needs=PREDICTION),
    ActionSpec("review.reject", "&Reject Prediction", "Review", "review.reject_prediction", ("R",),
               "Mark the frame reviewed without the prediction, go to the next problem",
               group=1, needs=PREDICTION),
    ActionSpec("review.accept_all", "Accept All Above &Confidence…", "Review",
               "review.accept_predictions_above", ("Shift+Return",),
               "Accept every prediction above a confidence over the range, in one step",
               group=1, needs=PREDICTION),

    ActionSpec("model.run", "&Run Model…", "Model", "prediction.run_model_dialog", ("Ctrl+R",),
               "Predict the ball with a model into a new prediction layer", needs=VIDEO),
    ActionSpec("model.autotrack", "&Auto-track (No Model)", "Model", "prediction.auto_track",
               ("Ctrl+Shift+R",),
               "Find the ball by how it moves, without a model, into a new layer "
               "(the in-out range if set, else the whole video)", needs=VIDEO),
    ActionSpec("model.finetune", "&Fine-tune on Labels…", "Model",
               "prediction.finetune_on_labels", (),
               "Adapt a model to this video from its labels, in the background; the new "
               "model becomes Run Model's choice", needs=VIDEO),
    ActionSpec("model.metrics", "&Metrics Panel", "Model", "prediction.toggle_metrics_panel",
               ("Ctrl+M",), "Precision, recall and F1 of a prediction layer against the labels"),

    ActionSpec("cloud.settings", "Cloud &Settings…", "Cloud",
               "cloud_menu.cloud_settings_dialog", (),
               "Where jobs run (this computer or SageMaker) and the AWS names they use"),
    ActionSpec("cloud.jobs", "&Jobs", "Cloud", "cloud_menu.toggle_jobs_panel", ("Ctrl+Shift+J",),
               "Show the jobs: status, log, training curves, Stop"),
    ActionSpec("cloud.upload", "&Upload Dataset…", "Cloud", "cloud_menu.upload_dataset_dialog", (),
               "Copy a dataset folder to S3 (resumes, skips files already there)", group=1),
    ActionSpec("cloud.featurize", "&Featurize…", "Cloud", "cloud_menu.featurize_dialog", (),
               "Turn videos and labels into a training dataset (featurize.py)", group=1),
    ActionSpec("cloud.train", "&Train…", "Cloud", "cloud_menu.train_dialog", (),
               "Train TrackNet on a featurized dataset (entrypoints/train.py)", group=1),
    ActionSpec("cloud.predict_videos", "&Predict Videos…", "Cloud",
               "cloud_menu.predict_videos_dialog", (),
               "Predict many videos in one batch job (no endpoint), then import the tracks "
               "into their projects", group=2),
    ActionSpec("cloud.deploy", "&Deploy Model…", "Cloud", "cloud_menu.deploy_dialog", (),
               "Serve a trained model from an endpoint", group=2),
    ActionSpec("cloud.delete_endpoint", "Delete &Endpoint…", "Cloud",
               "cloud_menu.delete_endpoint_dialog",
               (), "Delete an endpoint (it is billed while in service)", group=2),
    ActionSpec("cloud.label", "Create &Labeling Job…", "Cloud",
               "cloud_menu.create_labeling_job_dialog",
               (), "Send the video's frames to a Ground Truth work team", group=3, needs=VIDEO),
    ActionSpec("cloud.import_labeling", "&Import Labeling Job Output…", "Cloud",
               "cloud_menu.import_labeling_output_dialog", (),
               "Read a finished Ground Truth job's labels from S3", group=3, needs=VIDEO),

    ActionSpec("help.shortcuts", "&Keyboard Shortcuts", "Help", "help.show_shortcuts", ("F1",),
               "List every action and its keys"),
    ActionSpec("help.edit_shortcuts", "Customize &Shortcuts…", "Help", "help.edit_shortcuts", (),
               "Rebind any action's keys"),
    ActionSpec("help.about", "&About TrackNet Studio", "Help", "help.show_about", (),
               "Version and licence"),
)
# fmt: on


def spec(action_id: str) -> ActionSpec:
    """The row of the table with this id."""
    for row in ACTIONS:
        if row.id == action_id:
            return row
    raise KeyError(action_id)


def shortcut_text(row: ActionSpec) -> str:
    """The row's keys as the platform writes them, e.g. "Right or ." ."""
    return " or ".join(
        s.toString(QKeySequence.SequenceFormat.NativeText) for s in row.key_sequences
    )


def build_actions(
    window: QMainWindow,
    rows: Iterable[ActionSpec] = ACTIONS,
) -> tuple[dict[str, QAction], dict[str, QMenu]]:
    """Create a QAction per row, put it in its menu; return the actions and menus by name.

    The handler is looked up from the window when triggered (not bound now): the
    controllers are made after their actions, and a test may replace a handler on a
    controller and still press the real shortcut.
    """
    rows = list(rows)
    menus: dict[str, QMenu] = {}
    for name in MENUS + tuple(r.menu for r in rows if r.menu not in MENUS):
        if name not in menus and any(r.menu == name for r in rows):
            menus[name] = window.menuBar().addMenu(f"&{name}")
    actions: dict[str, QAction] = {}
    last_group: dict[str, int] = {}
    for row in rows:
        action = QAction(row.text, window)
        action.setObjectName(row.id)
        action.setShortcuts(row.key_sequences)
        action.setCheckable(row.checkable)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(row.help)
        action.setToolTip(_tooltip(row))
        action.triggered.connect(_dispatcher(window, row.handler))
        menu = menus[row.menu]
        if row.menu in last_group and last_group[row.menu] != row.group:
            menu.addSeparator()
        last_group[row.menu] = row.group
        menu.addAction(action)
        # Actions live on the window too, so their shortcuts work while menus are hidden.
        window.addAction(action)
        actions[row.id] = action
    return actions, menus


def _tooltip(row: ActionSpec) -> str:
    keys = shortcut_text(row)
    text = row.text.replace("&", "").rstrip("…")
    return f"{text} ({keys})" if keys else text


def handler_of(window: object, path: str) -> Callable[[], object]:
    """The callable a row's handler path names, e.g. "player.step_forward"."""
    target = window
    for name in path.split("."):
        target = getattr(target, name)
    return target  # type: ignore[return-value]


def _dispatcher(window: QMainWindow, handler: str) -> Callable[[], None]:
    def trigger() -> None:
        handler_of(window, handler)()

    return trigger


def enable_actions(
    actions: Mapping[str, QAction],
    *,
    video: bool,
    prediction: bool,
    rows: Iterable[ActionSpec] = ACTIONS,
) -> None:
    """Enable each row's action when what it needs is open, grey it out otherwise."""
    have = {"": True, VIDEO: video, PREDICTION: video and prediction}
    for row in rows:
        if row.id in actions:
            actions[row.id].setEnabled(have[row.needs])
