"""Editing the label layer on the frame, and the views that follow it.

`EditingController` holds the handlers that the action table names for editing: placing
and dragging the ball with the mouse, the visibility and event keys, Delete, "advance after
click", the magnifier, undo and redo, the in/out range and interpolation, the overlay's
layer toggles; and it owns the overlay, the timeline and the track table (the window docks
them), keeping them on the player's frame and the shell's project.

Every edit goes through the window's QUndoStack (ui/undo.py): a drag is one step (all its
moves share a merge key), a bulk operation is one command. Edits land on the frame on
screen (`displayed_frame`): what the annotator sees is what they label, even while a seek
is still decoding.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import QLabel

from tracknet_studio.core import LABELS, Event, Project, Source, Track, Visibility
from tracknet_studio.core.interpolate import Method, interpolate
from tracknet_studio.core.track import EMPTY_VALUES, Frames
from tracknet_studio.video.overlay import OverlaySettings, Primitive, overlay_items

from .overlay_painter import MIN_SCREEN_RADIUS, OverlayWidget
from .player import Player
from .shell import Shell
from .timeline import TimelineWidget
from .track_table import TrackTableModel, TrackTableView
from .undo import TrackEditCommand, push_track_update

ADVANCE_KEY = "editing/advance_after_click"
GRAB_SLOP = 4.0  # screen px around a marker that still grab it rather than place anew
POSITIONED = (Visibility.VISIBLE, Visibility.HARD, Visibility.OCCLUDED)


@dataclass
class _Drag:
    """A left-button press on the video, until its release."""

    frame: int
    key: Hashable  # every move of this press merges into one undo step
    offset: QPointF  # marker minus cursor, in video px: grabbing off-centre does not jump


class _MouseEditor(QObject):
    """Takes plain left-button presses on the video view and turns them into edits.

    Ctrl+left and the middle button stay with the view (panning); the wheel zooms.
    """

    def __init__(self, editor: EditingController) -> None:
        super().__init__(editor.view)
        self.editor = editor
        editor.view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            if _is_edit_press(event):
                return self.editor._press_on_video(event.position())
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            self.editor._cursor = event.position()
            if self.editor._drag is not None:
                self.editor._drag_to(event.position())
                return True
        elif kind == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            if event.button() == Qt.MouseButton.LeftButton and self.editor._drag is not None:
                self.editor._release_on_video(event.position())
                return True
        elif kind == QEvent.Type.Leave:
            self.editor._cursor = None
        return False


def _is_edit_press(event: QMouseEvent) -> bool:
    ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
    return event.button() == Qt.MouseButton.LeftButton and not ctrl


class EditingController(QObject):
    """Editing handlers and views of the window (see the module docstring)."""

    # A prediction layer came or went (the project): the review layer follows.
    layers_changed = Signal(object)
    # Any layer of the project was edited (undo and redo included).
    edited = Signal()

    def __init__(self, shell: Shell, player: Player, actions: dict[str, QAction]) -> None:
        super().__init__(shell)
        self.shell = shell
        self.player = player
        self.view = player.view
        self._actions = actions
        self.overlay_settings = OverlaySettings()
        self.advance_after_click = _as_bool(shell.settings.value(ADVANCE_KEY, False))
        self.range_in: int | None = None
        self.range_out: int | None = None
        self._drag: _Drag | None = None
        self._press_count = 0
        self._cursor: QPointF | None = None
        self._project: Project | None = None
        self._known_layers: set[str] = set()
        self.overlay = OverlayWidget(self.view, self._overlay_items)
        self._mouse_editor = _MouseEditor(self)
        self.timeline = TimelineWidget()
        self.timeline.setObjectName("timeline")
        self.timeline.seek_requested.connect(player.go_to)
        self.track_model = TrackTableModel(None, shell.undo_stack)
        self.track_table = TrackTableView(self.track_model)
        self.track_table.setObjectName("trackTable")
        self.track_table.seek_requested.connect(player.go_to)
        self.timeline_dock = shell.dock("Timeline", "timelineDock", self.timeline)
        self.table_dock = shell.dock("Track Table", "trackTableDock", self.track_table)
        self.range_label = QLabel()
        self.range_label.setObjectName("rangeLabel")
        # The editing modes that change what a click or the cursor does, while they are on.
        self.mode_label = QLabel()
        self.mode_label.setObjectName("modeLabel")
        for action_id in ("view.labels_layer", "view.predictions_layer", "view.trail"):
            actions[action_id].setChecked(True)
        actions["edit.advance"].setChecked(self.advance_after_click)
        self._show_modes()
        player.frame_shown.connect(self._follow_frame)
        shell.project_changed.connect(self.set_project)

    def set_project(self, project: Project | None) -> None:
        """Show `project` in the overlay, the timeline and the table."""
        if self._project is not None:
            self._project.remove_listener(self._on_layers_edited)
        self._project = project
        self.range_in = self.range_out = None
        self._show_range()
        self.timeline.set_project(project)
        self.track_model.set_track(None if project is None else project.labels)
        self._known_layers = set() if project is None else set(project.predictions)
        if project is not None:
            project.add_listener(self._on_layers_edited)
            video = self.shell.video  # the first frame may not be on screen yet
            if video is not None:
                self.timeline.set_frame_size(video.width, video.height)
            self.timeline.show_all()
        # New layers follow the View menu's toggles.
        self.toggle_labels_layer()
        self.toggle_predictions_layer()
        self.overlay.update()

    def _on_layers_edited(self, layer: str, _frames: Frames) -> None:
        project = self._project
        layer_set_changed = project is not None and layer not in ("", LABELS)
        if layer_set_changed and set(project.predictions) != self._known_layers:
            self._on_layer_set_changed(project)
        self.overlay.update()
        self.edited.emit()

    def _on_layer_set_changed(self, project: Project) -> None:
        """A prediction layer came or went: the toggles and the review layer follow."""
        self._known_layers = set(project.predictions)
        self.toggle_predictions_layer()
        self.layers_changed.emit(project)

    def _follow_frame(self, n: int) -> None:
        self.timeline.set_current_frame(n)
        self.track_table.set_current_frame(n)
        self.overlay.update()

    # ================================================================= what is edited

    @property
    def labels(self) -> Track | None:
        return None if self._project is None else self._project.labels

    def edit_frame(self) -> int | None:
        """The frame on screen, if there is a label layer to edit."""
        labels = self.labels
        n = self.player.displayed_frame
        if labels is None or n is None or not 0 <= n < len(labels):
            return None
        return n

    def _overlay_items(self) -> list[Primitive]:
        n = self.player.displayed_frame
        if self._project is None or n is None:
            return []
        size = self.view.video_size()
        frame_size = None if size.isEmpty() else (size.width(), size.height())
        return overlay_items(self._project, n, self.overlay_settings, frame_size)

    def _edit(self, frame: int, text: str, merge_key: Hashable | None = None,
              **values: Any) -> bool:  # fmt: skip
        """Push one undoable edit of the label layer; a refused edit says why."""
        labels = self.labels
        assert labels is not None
        try:
            push_track_update(self.shell.undo_stack, labels, [frame], text=text,
                              merge_key=merge_key, **values)  # fmt: skip
        except ValueError as exc:
            self.shell.say(str(exc), 4000)
            return False
        return True

    # ================================================================= the mouse

    def _press_on_video(self, pos: QPointF) -> bool:
        frame = self.edit_frame()
        if frame is None:
            return False
        self.player.pause()
        point = self.view.widget_to_video(pos)
        labels = self.labels
        self._press_count += 1
        key = ("drag", frame, self._press_count)
        marker = self._marker_under(frame, pos)
        if marker is not None:
            # Grabbing the marker: it moves with the cursor from where it was, no jump.
            self._drag = _Drag(frame, key, marker - point)
            return True
        if not self._inside_video(point):
            return False
        self._drag = _Drag(frame, key, QPointF(0, 0))
        self._place(frame, point, key, labels)
        return True

    def _drag_to(self, pos: QPointF) -> None:
        drag = self._drag
        assert drag is not None
        point = self.view.widget_to_video(pos) + drag.offset
        point = self._clamped(point)
        self._place(drag.frame, point, drag.key, self.labels)

    def _release_on_video(self, pos: QPointF) -> None:
        self._drag_to(pos)
        self._drag = None
        if self.advance_after_click:
            self.player.step_forward()

    def _place(self, frame: int, point: QPointF, key: Hashable, labels: Any) -> None:
        visibility = int(labels.visibility[frame])
        keep = visibility in (Visibility.HARD, Visibility.OCCLUDED)
        self._edit(
            frame,
            f"Place ball on frame {frame}",
            merge_key=key,
            x=point.x(),
            y=point.y(),
            visibility=visibility if keep else Visibility.VISIBLE,
            source=Source.HUMAN,
            confidence=np.nan,
            reviewed=True,
        )

    def _marker_under(self, frame: int, pos: QPointF) -> QPointF | None:
        labels = self.labels
        x, y = float(labels.x[frame]), float(labels.y[frame])
        if not (np.isfinite(x) and np.isfinite(y)):
            return None
        centre = self.view.video_to_widget(QPointF(x, y))
        reach = max(self.overlay_settings.marker_radius * self.view.scale, MIN_SCREEN_RADIUS)
        distance = np.hypot(centre.x() - pos.x(), centre.y() - pos.y())
        return QPointF(x, y) if distance <= reach + GRAB_SLOP else None

    def _inside_video(self, point: QPointF) -> bool:
        size = self.view.video_size()
        return 0 <= point.x() < size.width() and 0 <= point.y() < size.height()

    def _clamped(self, point: QPointF) -> QPointF:
        """Keep a dragged ball on the picture (a drag past the edge stops at it)."""
        size = self.view.video_size()
        return QPointF(
            min(max(point.x(), 0.0), size.width() - 1e-3),
            min(max(point.y(), 0.0), size.height() - 1e-3),
        )

    # ================================================================= keys

    def set_no_ball(self) -> None:
        self._set_visibility(Visibility.NO_BALL)

    def set_visible(self) -> None:
        self._set_visibility(Visibility.VISIBLE)

    def set_hard(self) -> None:
        self._set_visibility(Visibility.HARD)

    def set_occluded(self) -> None:
        self._set_visibility(Visibility.OCCLUDED)

    def _set_visibility(self, visibility: Visibility) -> None:
        frame = self.edit_frame()
        if frame is None:
            return
        values: dict[str, Any] = {"visibility": visibility, "source": Source.HUMAN,
                                  "reviewed": True}  # fmt: skip
        labels = self.labels
        has_position = bool(np.isfinite(labels.x[frame]))
        if visibility in (Visibility.VISIBLE, Visibility.HARD) and not has_position:
            # A visible ball needs a position: the cursor's, when it is over the picture.
            point = None if self._cursor is None else self.view.widget_to_video(self._cursor)
            if point is None or not self._inside_video(point):
                self.shell.say("Click on the ball to place it first", 4000)
                return
            values.update(x=point.x(), y=point.y(), confidence=np.nan)
        name = visibility.name.replace("_", " ").lower()
        self._edit(frame, f"Mark frame {frame} {name}", **values)

    def toggle_hit(self) -> None:
        self._toggle_event(Event.HIT)

    def toggle_bounce(self) -> None:
        self._toggle_event(Event.BOUNCE)

    def _toggle_event(self, event: Event) -> None:
        frame = self.edit_frame()
        if frame is None:
            return
        new = Event.NONE if self.labels.event[frame] == event else event
        text = f"Clear event on frame {frame}" if new == Event.NONE else (
            f"Mark {event.name.lower()} on frame {frame}")  # fmt: skip
        self._edit(frame, text, event=new)

    def delete_label(self) -> None:
        frame = self.edit_frame()
        if frame is None or not self.labels.labeled[frame]:
            return
        self._edit(frame, f"Delete label of frame {frame}", **EMPTY_VALUES)

    def toggle_advance_after_click(self) -> None:
        self.advance_after_click = self._actions["edit.advance"].isChecked()
        self.shell.settings.setValue(ADVANCE_KEY, self.advance_after_click)
        state = "on" if self.advance_after_click else "off"
        self.shell.say(f"Advance after click: {state}", 2000)
        self._show_modes()

    def toggle_magnifier(self) -> None:
        self.overlay.magnifier.enabled = self._actions["view.magnifier"].isChecked()
        self.overlay.magnifier.cursor = self._cursor
        self.overlay.update()
        self._show_modes()

    def _show_modes(self) -> None:
        states = {"Advance after click": self.advance_after_click,
                  "Magnifier": self.overlay.magnifier.enabled}  # fmt: skip
        modes = [name for name, on in states.items() if on]
        self.mode_label.setText(" · ".join(modes))
        self.mode_label.setToolTip("Edit > Advance After Click (A), View > Magnifier (M)")
        self.mode_label.setVisible(bool(modes))

    # ================================================================= undo

    def undo(self) -> None:
        if self._drag is None:  # never undo under a drag in progress
            self.shell.undo_stack.undo()

    def redo(self) -> None:
        if self._drag is None:
            self.shell.undo_stack.redo()

    # ================================================================= overlay layers

    def toggle_labels_layer(self) -> None:
        visible = self._actions["view.labels_layer"].isChecked()
        self._set_layers_visible([LABELS], visible)

    def toggle_predictions_layer(self) -> None:
        visible = self._actions["view.predictions_layer"].isChecked()
        names = [] if self._project is None else list(self._project.predictions)
        self._set_layers_visible(names, visible)

    def _set_layers_visible(self, names: list[str], visible: bool) -> None:
        settings = self.overlay_settings
        for name in names:
            settings = settings.with_layer(name, visible)
            if name in self.timeline.layer_names:
                self.timeline.set_layer_visible(name, visible)
        self.overlay_settings = settings
        self.overlay.update()

    def toggle_trail(self) -> None:
        shown = self._actions["view.trail"].isChecked()
        self.overlay_settings = replace(self.overlay_settings, show_trail=shown)
        self.overlay.update()

    # ================================================================= range and interpolation

    def mark_in(self) -> None:
        frame = self.edit_frame()
        if frame is not None:
            self.range_in = frame
            if self.range_out is not None and self.range_out < frame:
                self.range_out = None
            self._show_range()

    def mark_out(self) -> None:
        frame = self.edit_frame()
        if frame is not None:
            self.range_out = frame
            if self.range_in is not None and self.range_in > frame:
                self.range_in = None
            self._show_range()

    def clear_range(self) -> None:
        self.range_in = self.range_out = None
        self._show_range()

    def _show_range(self) -> None:
        if self.range_in is None and self.range_out is None:
            self.range_label.setText("")
            return
        first = "start" if self.range_in is None else str(self.range_in)
        last = "end" if self.range_out is None else str(self.range_out)
        self.range_label.setText(f"Range {first}–{last}")

    def edit_range(self) -> tuple[int, int] | None:
        """Frames `start..stop-1` that range operations act on; None means the whole track.

        The in/out marks win; without them, a selection of several table rows.
        """
        marked = self.in_out_range()
        if marked is not None or self.labels is None:
            return marked
        rows = self.track_table.selectionModel().selectedRows()
        if len(rows) > 1:
            numbers = [r.row() for r in rows]
            return min(numbers), max(numbers) + 1
        return None

    def in_out_range(self) -> tuple[int, int] | None:
        """The in/out marks as frames [start, stop), or None when neither is set."""
        labels = self.labels
        if (self.range_in is None and self.range_out is None) or labels is None:
            return None
        start = 0 if self.range_in is None else self.range_in
        return start, len(labels) if self.range_out is None else self.range_out + 1

    def interpolate_linear(self) -> None:
        self.interpolate_gaps(Method.LINEAR)

    def interpolate_ballistic(self) -> None:
        self.interpolate_gaps(Method.BALLISTIC)

    def interpolate_gaps(self, method: Method | str) -> int:
        """Fill the gaps in the edit range (or all) as one undo step; returns frames filled."""
        labels = self.labels
        if labels is None:
            return 0
        method = Method(method)
        span = self.edit_range()
        start, stop = span if span is not None else (0, len(labels))
        edit = interpolate(labels, method, start=start, stop=stop)
        where = "all gaps" if span is None else f"frames {start}–{stop - 1}"
        if len(edit.frames) == 0:
            self.shell.say(f"No gaps to fill in {where}", 4000)
            return 0
        text = f"Interpolate {method.value} ({len(edit.frames)} frames, {where})"
        self.shell.undo_stack.push(TrackEditCommand(labels, edit, text, applied=False))
        self.shell.say(text, 4000)
        return len(edit.frames)


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
