"""The one table of the window's actions: it builds the menus, the shortcut help and the tests.

Each row names the handler by its method name on the window, so the table stays data: later
issues add rows (editing, labels) and rebind shortcuts without touching the code that reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    handler: str
    shortcuts: tuple[str, ...] = ()
    help: str = ""
    # A later issue's rebinding dialog groups actions by category; the menu is a fine default.
    category: str = ""
    # Actions sharing a group are separated from the previous group by a menu separator.
    group: int = 0
    # An on/off setting shown with a check mark; the handler reads `isChecked()`.
    checkable: bool = False

    @property
    def key_sequences(self) -> list[QKeySequence]:
        return [QKeySequence(s) for s in self.shortcuts]

    @property
    def display_category(self) -> str:
        return self.category or self.menu


# The menus in the order they appear in the menu bar.
MENUS: tuple[str, ...] = ("File", "Edit", "View", "Playback", "Review", "Model", "Cloud", "Help")

# Columns: id, menu text, menu, handler (a method of the window), default keys, help.
# fmt: off
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("file.open", "&Open…", "File", "open_video_dialog", ("Ctrl+O",),
               "Open a video (a new project) or a project file"),
    ActionSpec("file.open_project", "Open &Project…", "File", "open_project_dialog",
               ("Ctrl+Shift+O",), "Open a project file"),
    ActionSpec("file.save", "&Save", "File", "save_project", ("Ctrl+S",),
               "Save the project", group=1),
    ActionSpec("file.save_as", "Save &As…", "File", "save_project_as", ("Ctrl+Shift+S",),
               "Save the project under a new name", group=1),
    ActionSpec("file.import", "&Import Labels…", "File", "import_labels_dialog", (),
               "Read labels from a CSV or a Ground Truth output manifest", group=3),
    ActionSpec("file.export", "&Export Labels…", "File", "export_labels_dialog", (),
               "Write the labels as CSV or a Ground Truth output folder", group=3),
    ActionSpec("file.export_video", "Export &Video…", "File", "export_video_dialog", (),
               "Write the video with the overlay burned in (H.264)", group=3),
    ActionSpec("file.autosave", "Auto&save", "File", "toggle_autosave", (),
               "Write every change to a recovery file within 2 seconds", group=4),
    ActionSpec("file.quit", "&Quit", "File", "close", ("Ctrl+Q",),
               "Quit TrackNet Studio", group=2),

    ActionSpec("edit.undo", "&Undo", "Edit", "undo", ("Ctrl+Z",), "Undo the last edit"),
    ActionSpec("edit.redo", "&Redo", "Edit", "redo", ("Ctrl+Shift+Z", "Ctrl+Y"),
               "Redo the edit just undone"),
    ActionSpec("edit.no_ball", "&No Ball", "Edit", "set_no_ball", ("0",),
               "Label the frame on screen: no ball in the picture", group=1),
    ActionSpec("edit.visible", "&Visible", "Edit", "set_visible", ("1",),
               "The ball is visible (placed at the cursor if it has no position yet)", group=1),
    ActionSpec("edit.hard", "&Hard (Blurred)", "Edit", "set_hard", ("2",),
               "The ball is visible but hard to see", group=1),
    ActionSpec("edit.occluded", "&Occluded", "Edit", "set_occluded", ("3",),
               "The ball is hidden behind something", group=1),
    ActionSpec("edit.hit", "&Hit", "Edit", "toggle_hit", ("H",),
               "Mark (or unmark) a hit on the frame on screen", group=2),
    ActionSpec("edit.bounce", "&Bounce", "Edit", "toggle_bounce", ("B",),
               "Mark (or unmark) a bounce on the frame on screen", group=2),
    ActionSpec("edit.delete", "&Delete Label", "Edit", "delete_label", ("Delete", "Backspace"),
               "Remove the label of the frame on screen", group=2),
    ActionSpec("edit.advance", "&Advance After Click", "Edit", "toggle_advance_after_click",
               ("A",), "Go to the next frame after placing the ball", group=3, checkable=True),
    ActionSpec("edit.mark_in", "Mark &In", "Edit", "mark_in", ("I",),
               "Start the range that interpolation and bulk accept work on", group=4),
    ActionSpec("edit.mark_out", "Mark O&ut", "Edit", "mark_out", ("O",),
               "End the range that interpolation and bulk accept work on", group=4),
    ActionSpec("edit.clear_range", "&Clear In/Out", "Edit", "clear_range", ("X",),
               "Forget the in/out range", group=4),
    ActionSpec("edit.interpolate_linear", "Interpolate Gaps (&Linear)", "Edit",
               "interpolate_linear", ("Ctrl+L",),
               "Fill gaps between keyframes in the range, the selected rows, or everywhere",
               group=5),
    ActionSpec("edit.interpolate_ballistic", "Interpolate Gaps (Ba&llistic)", "Edit",
               "interpolate_ballistic", ("Ctrl+B",),
               "Fill gaps along the ball's flight (breaks at hits and bounces)", group=5),

    ActionSpec("view.fit", "&Fit to Window", "View", "fit_to_window", ("F", "Ctrl+0"),
               "Scale the video to fit the window (follows window resizes)"),
    ActionSpec("view.actual", "&Actual Size (1:1)", "View", "zoom_actual_size", ("Ctrl+1",),
               "One video pixel per screen pixel"),
    ActionSpec("view.zoom_in", "Zoom &In", "View", "zoom_in", ("Ctrl+=", "+"),
               "Zoom in around the centre (the wheel zooms toward the cursor)"),
    ActionSpec("view.zoom_out", "Zoom &Out", "View", "zoom_out", ("Ctrl+-", "-"),
               "Zoom out around the centre"),
    ActionSpec("view.magnifier", "&Magnifier", "View", "toggle_magnifier", ("M",),
               "A zoomed inset near the cursor, for placing a blurred ball", group=1,
               checkable=True),
    ActionSpec("view.trail", "Show &Trail", "View", "toggle_trail", ("T",),
               "Draw each layer's path over the last frames", group=1, checkable=True),
    ActionSpec("view.labels_layer", "Show &Labels", "View", "toggle_labels_layer", ("L",),
               "Show the label layer on the video and the timeline", group=1,
               checkable=True),
    ActionSpec("view.predictions_layer", "Show &Predictions", "View",
               "toggle_predictions_layer", ("P",),
               "Show the prediction layers on the video and the timeline", group=1,
               checkable=True),

    ActionSpec("play.toggle", "&Play / Pause", "Playback", "toggle_play", ("Space",),
               "Play forward, or pause"),
    ActionSpec("play.reverse", "Play &Reverse", "Playback", "toggle_play_reverse",
               ("Shift+Space", "J"), "Play backward, or pause"),
    ActionSpec("step.next", "&Next Frame", "Playback", "step_forward", ("Right", "."),
               "One frame forward", group=1),
    ActionSpec("step.prev", "Pre&vious Frame", "Playback", "step_backward", ("Left", ","),
               "One frame back", group=1),
    ActionSpec("step.next10", "Forward 10 Frames", "Playback", "step_forward_10",
               ("Shift+Right",), "Ten frames forward", group=1),
    ActionSpec("step.prev10", "Back 10 Frames", "Playback", "step_backward_10",
               ("Shift+Left",), "Ten frames back", group=1),
    ActionSpec("step.first", "&First Frame", "Playback", "go_first", ("Home",),
               "Go to the first frame", group=2),
    ActionSpec("step.last", "&Last Frame", "Playback", "go_last", ("End",),
               "Go to the last frame", group=2),
    ActionSpec("step.goto", "&Go to Frame…", "Playback", "go_to_frame_dialog", ("Ctrl+G",),
               "Jump to a frame number", group=2),
    ActionSpec("speed.down", "&Slower", "Playback", "speed_down", ("[",),
               "Lower the playback speed (down to 0.1×)", group=3),
    ActionSpec("speed.up", "F&aster", "Playback", "speed_up", ("]",),
               "Raise the playback speed (up to 4×)", group=3),
    ActionSpec("speed.reset", "&Normal Speed", "Playback", "speed_reset", ("\\",),
               "Play at 1×", group=3),

    ActionSpec("review.next", "&Next Problem", "Review", "next_problem", ("N",),
               "Go to the next frame that needs a look"),
    ActionSpec("review.prev", "&Previous Problem", "Review", "previous_problem", ("Shift+N",),
               "Go to the previous frame that needs a look"),
    ActionSpec("review.accept", "&Accept Prediction", "Review", "accept_prediction",
               ("Return", "Enter"), "Copy the prediction into the labels, go to the next problem",
               group=1),
    ActionSpec("review.reject", "&Reject Prediction", "Review", "reject_prediction", ("R",),
               "Mark the frame reviewed without the prediction, go to the next problem",
               group=1),
    ActionSpec("review.accept_all", "Accept All Above &Confidence…", "Review",
               "accept_predictions_above", ("Shift+Return",),
               "Accept every prediction above a confidence over the range, in one step",
               group=1),

    ActionSpec("model.run", "&Run Model…", "Model", "run_model_dialog", ("Ctrl+R",),
               "Predict the ball with a model into a new prediction layer"),
    ActionSpec("model.autotrack", "&Auto-track (No Model)", "Model", "auto_track",
               ("Ctrl+Shift+R",),
               "Find the ball by how it moves, without a model, into a new layer "
               "(the in-out range if set, else the whole video)"),
    ActionSpec("model.finetune", "&Fine-tune on Labels…", "Model", "finetune_on_labels", (),
               "Adapt a model to this video from its labels, in the background; the new "
               "model becomes Run Model's choice"),
    ActionSpec("model.metrics", "&Metrics Panel", "Model", "toggle_metrics_panel",
               ("Ctrl+M",), "Precision, recall and F1 of a prediction layer against the labels"),

    ActionSpec("cloud.settings", "Cloud &Settings…", "Cloud", "cloud_settings_dialog", (),
               "Where jobs run (this computer or SageMaker) and the AWS names they use"),
    ActionSpec("cloud.jobs", "&Jobs", "Cloud", "toggle_jobs_panel", ("Ctrl+Shift+J",),
               "Show the jobs: status, log, training curves, Stop"),
    ActionSpec("cloud.upload", "&Upload Dataset…", "Cloud", "upload_dataset_dialog", (),
               "Copy a dataset folder to S3 (resumes, skips files already there)", group=1),
    ActionSpec("cloud.featurize", "&Featurize…", "Cloud", "featurize_dialog", (),
               "Turn videos and labels into a training dataset (featurize.py)", group=1),
    ActionSpec("cloud.train", "&Train…", "Cloud", "train_dialog", (),
               "Train TrackNet on a featurized dataset (entrypoints/train.py)", group=1),
    ActionSpec("cloud.predict_videos", "&Predict Videos…", "Cloud", "predict_videos_dialog", (),
               "Predict many videos in one batch job (no endpoint), then import the tracks "
               "into their projects", group=2),
    ActionSpec("cloud.deploy", "&Deploy Model…", "Cloud", "deploy_dialog", (),
               "Serve a trained model from an endpoint", group=2),
    ActionSpec("cloud.delete_endpoint", "Delete &Endpoint…", "Cloud", "delete_endpoint_dialog",
               (), "Delete an endpoint (it is billed while in service)", group=2),
    ActionSpec("cloud.label", "Create &Labeling Job…", "Cloud", "create_labeling_job_dialog",
               (), "Send the video's frames to a Ground Truth work team", group=3),
    ActionSpec("cloud.import_labeling", "&Import Labeling Job Output…", "Cloud",
               "import_labeling_output_dialog", (),
               "Read a finished Ground Truth job's labels from S3", group=3),

    ActionSpec("help.shortcuts", "&Keyboard Shortcuts", "Help", "show_shortcuts", ("F1",),
               "List every action and its keys"),
    ActionSpec("help.edit_shortcuts", "Customize &Shortcuts…", "Help", "edit_shortcuts", (),
               "Rebind any action's keys"),
    ActionSpec("help.about", "&About TrackNet Studio", "Help", "show_about", (),
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

    The handler is looked up on the window when triggered (not bound now), so a test may
    replace a handler on the instance and still press the real shortcut.
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


def _dispatcher(window: QMainWindow, handler: str) -> Callable[[], None]:
    def trigger() -> None:
        getattr(window, handler)()

    return trigger
