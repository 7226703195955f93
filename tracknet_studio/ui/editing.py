"""Editing the label layer on the frame, and the views that follow it.

`EditingMixin` gives the main window the handlers that the action table names for editing:
placing and dragging the ball with the mouse, the visibility and event keys, Delete,
"advance after click", the magnifier, undo and redo, the in/out range and interpolation,
the overlay's layer toggles; and it sets up the overlay, the timeline dock and the track
table dock, keeping them on the window's current frame and project.

Every edit goes through the window's QUndoStack (ui/undo.py): a drag is one step (all its
moves share a merge key), a bulk operation is one command. Edits land on the frame on
screen (`displayed_frame`): what the annotator sees is what they label, even while a seek
is still decoding.

The mixin keeps no __init__ (Qt classes and cooperative __init__ mix badly); the window
calls `_init_editing()` once its view, actions and undo stack exist.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QUndoStack
from PySide6.QtWidgets import QDockWidget, QLabel

from tracknet_studio.core import LABELS, Event, Project, Source, Track, Visibility
from tracknet_studio.core.interpolate import Method, interpolate
from tracknet_studio.core.track import EMPTY_VALUES, Frames
from tracknet_studio.video.overlay import OverlaySettings, Primitive, overlay_items

from .overlay_painter import MIN_SCREEN_RADIUS, OverlayWidget
from .timeline import TimelineWidget
from .track_table import TrackTableModel, TrackTableView
from .undo import TrackEditCommand, push_track_update

if TYPE_CHECKING:
    from .main_window import MainWindow

ADVANCE_KEY = "editing/advance_after_click"
GRAB_SLOP = 4.0  # screen px around a marker that still grab it rather than place anew
POSITIONED = (Visibility.VISIBLE, Visibility.HARD, Visibility.OCCLUDED)
TIMELINE_MIN_HEIGHT = 280  # px: below this the x and y plots shrink to unreadable slivers


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

    def __init__(self, window: EditingMixin) -> None:
        super().__init__(window.view)
        self.window = window
        window.view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            if _is_edit_press(event):
                return self.window._press_on_video(event.position())
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            self.window._cursor = event.position()
            if self.window._drag is not None:
                self.window._drag_to(event.position())
                return True
        elif kind == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            if event.button() == Qt.MouseButton.LeftButton and self.window._drag is not None:
                self.window._release_on_video(event.position())
                return True
        elif kind == QEvent.Type.Leave:
            self.window._cursor = None
        return False


def _is_edit_press(event: QMouseEvent) -> bool:
    ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
    return event.button() == Qt.MouseButton.LeftButton and not ctrl


class EditingMixin:
    """Editing handlers and views of the main window (see the module docstring)."""

    # Provided by MainWindow.
    view: Any
    settings: Any
    undo_stack: QUndoStack
    displayed_frame: int | None
    current_frame: int

    # ================================================================= set-up

    def _init_editing(self: MainWindow) -> None:
        self.overlay_settings = OverlaySettings()
        self.advance_after_click = _as_bool(self.settings.value(ADVANCE_KEY, False))
        self.range_in: int | None = None
        self.range_out: int | None = None
        self._drag: _Drag | None = None
        self._press_count = 0
        self._cursor: QPointF | None = None
        self._edit_project: Project | None = None
        self._known_layers: set[str] = set()
        self.overlay = OverlayWidget(self.view, self._overlay_items)
        self._mouse_editor = _MouseEditor(self)
        self._build_docks()
        self.range_label = QLabel()
        self.range_label.setObjectName("rangeLabel")
        self.statusBar().addWidget(self.range_label)
        self.action_by_id["edit.advance"].setChecked(self.advance_after_click)
        self.action_by_id["view.labels_layer"].setChecked(True)
        self.action_by_id["view.predictions_layer"].setChecked(True)
        self.action_by_id["view.trail"].setChecked(True)
        self.frame_shown.connect(self._follow_frame)

    def _build_docks(self: MainWindow) -> None:
        self.timeline = TimelineWidget()
        self.timeline.setObjectName("timeline")
        self.timeline.seek_requested.connect(self._seek_from_dock)
        self.track_model = TrackTableModel(None, self.undo_stack)
        self.track_table = TrackTableView(self.track_model)
        self.track_table.setObjectName("trackTable")
        self.track_table.seek_requested.connect(self._seek_from_dock)
        self.timeline_dock = self._dock("Timeline", "timelineDock", self.timeline)
        self.table_dock = self._dock("Track Table", "trackTableDock", self.track_table)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.timeline_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.table_dock)
        self.resizeDocks([self.timeline_dock], [230], Qt.Orientation.Vertical)
        self.resizeDocks([self.table_dock], [380], Qt.Orientation.Horizontal)
        # Hidden until there is a track to show; then shown once (a user's close sticks).
        self.timeline_dock.hide()
        self.table_dock.hide()
        self._docks_revealed = False
        view_menu = self.menus["View"]
        view_menu.addSeparator()
        view_menu.addAction(self.timeline_dock.toggleViewAction())
        view_menu.addAction(self.table_dock.toggleViewAction())

    def _dock(self: MainWindow, title: str, name: str, widget: Any) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        return dock

    def set_editing_project(self: MainWindow, project: Project | None) -> None:
        """Show `project` in the overlay, the timeline, the table and the review queue."""
        if self._edit_project is not None:
            self._edit_project.remove_listener(self._on_layers_edited)
        self._edit_project = project
        self.range_in = self.range_out = None
        self._show_range()
        self.timeline.set_project(project)
        self.track_model.set_track(None if project is None else project.labels)
        self._known_layers = set() if project is None else set(project.predictions)
        if project is not None:
            if not self._docks_revealed:
                self._docks_revealed = True
                self.timeline_dock.show()
                self.table_dock.show()
                # Room for x, y and both strips to be read: about 40% of the window.
                height = max(TIMELINE_MIN_HEIGHT, int(self.height() * 0.4))
                self.resizeDocks([self.timeline_dock], [height], Qt.Orientation.Vertical)
            project.add_listener(self._on_layers_edited)
            size = self.view.video_size()
            if not size.isEmpty():
                self.timeline.set_frame_size(size.width(), size.height())
            self.timeline.show_all()
        # New layers follow the View menu's toggles.
        self.toggle_labels_layer()
        self.toggle_predictions_layer()
        self._set_review_project(project)
        self.overlay.update()

    def _on_layers_edited(self: MainWindow, layer: str, _frames: Frames) -> None:
        project = self._edit_project
        layer_set_changed = project is not None and layer not in ("", LABELS)
        if layer_set_changed and set(project.predictions) != self._known_layers:
            self._on_layer_set_changed(project)
        self.overlay.update()
        self._update_review_readout()

    def _on_layer_set_changed(self: MainWindow, project: Project) -> None:
        """A prediction layer came or went: the toggles and the review layer follow."""
        self._known_layers = set(project.predictions)
        self.toggle_predictions_layer()
        self._set_review_project(project)

    def _follow_frame(self: MainWindow, n: int) -> None:
        self.timeline.set_current_frame(n)
        self.track_table.set_current_frame(n)
        self.overlay.update()
        self._update_review_readout()

    def _seek_from_dock(self: MainWindow, n: int) -> None:
        if n != self.current_frame:
            self.pause()
            self.seek(n)

    # ================================================================= what is edited

    @property
    def labels(self: MainWindow) -> Track | None:
        return None if self._edit_project is None else self._edit_project.labels

    def _edit_frame(self: MainWindow) -> int | None:
        """The frame on screen, if there is a label layer to edit."""
        labels = self.labels
        n = self.displayed_frame
        if labels is None or n is None or not 0 <= n < len(labels):
            return None
        return n

    def _overlay_items(self: MainWindow) -> list[Primitive]:
        n = self.displayed_frame
        if self._edit_project is None or n is None:
            return []
        size = self.view.video_size()
        frame_size = None if size.isEmpty() else (size.width(), size.height())
        return overlay_items(self._edit_project, n, self.overlay_settings, frame_size)

    def _edit(self: MainWindow, frame: int, text: str, merge_key: Hashable | None = None,
              **values: Any) -> bool:  # fmt: skip
        """Push one undoable edit of the label layer; a refused edit says why."""
        labels = self.labels
        assert labels is not None
        try:
            push_track_update(self.undo_stack, labels, [frame], text=text, merge_key=merge_key,
                              **values)  # fmt: skip
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 4000)
            return False
        return True

    # ================================================================= the mouse

    def _press_on_video(self: MainWindow, pos: QPointF) -> bool:
        frame = self._edit_frame()
        if frame is None:
            return False
        self.pause()
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

    def _drag_to(self: MainWindow, pos: QPointF) -> None:
        drag = self._drag
        assert drag is not None
        point = self.view.widget_to_video(pos) + drag.offset
        point = self._clamped(point)
        self._place(drag.frame, point, drag.key, self.labels)

    def _release_on_video(self: MainWindow, pos: QPointF) -> None:
        self._drag_to(pos)
        self._drag = None
        if self.advance_after_click:
            self.step_forward()

    def _place(self: MainWindow, frame: int, point: QPointF, key: Hashable, labels: Any) -> None:
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

    def _marker_under(self: MainWindow, frame: int, pos: QPointF) -> QPointF | None:
        labels = self.labels
        x, y = float(labels.x[frame]), float(labels.y[frame])
        if not (np.isfinite(x) and np.isfinite(y)):
            return None
        centre = self.view.video_to_widget(QPointF(x, y))
        reach = max(self.overlay_settings.marker_radius * self.view.scale, MIN_SCREEN_RADIUS)
        distance = np.hypot(centre.x() - pos.x(), centre.y() - pos.y())
        return QPointF(x, y) if distance <= reach + GRAB_SLOP else None

    def _inside_video(self: MainWindow, point: QPointF) -> bool:
        size = self.view.video_size()
        return 0 <= point.x() < size.width() and 0 <= point.y() < size.height()

    def _clamped(self: MainWindow, point: QPointF) -> QPointF:
        """Keep a dragged ball on the picture (a drag past the edge stops at it)."""
        size = self.view.video_size()
        return QPointF(
            min(max(point.x(), 0.0), size.width() - 1e-3),
            min(max(point.y(), 0.0), size.height() - 1e-3),
        )

    # ================================================================= keys

    def set_no_ball(self: MainWindow) -> None:
        self._set_visibility(Visibility.NO_BALL)

    def set_visible(self: MainWindow) -> None:
        self._set_visibility(Visibility.VISIBLE)

    def set_hard(self: MainWindow) -> None:
        self._set_visibility(Visibility.HARD)

    def set_occluded(self: MainWindow) -> None:
        self._set_visibility(Visibility.OCCLUDED)

    def _set_visibility(self: MainWindow, visibility: Visibility) -> None:
        frame = self._edit_frame()
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
                self.statusBar().showMessage("Click on the ball to place it first", 4000)
                return
            values.update(x=point.x(), y=point.y(), confidence=np.nan)
        name = visibility.name.replace("_", " ").lower()
        self._edit(frame, f"Mark frame {frame} {name}", **values)

    def toggle_hit(self: MainWindow) -> None:
        self._toggle_event(Event.HIT)

    def toggle_bounce(self: MainWindow) -> None:
        self._toggle_event(Event.BOUNCE)

    def _toggle_event(self: MainWindow, event: Event) -> None:
        frame = self._edit_frame()
        if frame is None:
            return
        new = Event.NONE if self.labels.event[frame] == event else event
        text = f"Clear event on frame {frame}" if new == Event.NONE else (
            f"Mark {event.name.lower()} on frame {frame}")  # fmt: skip
        self._edit(frame, text, event=new)

    def delete_label(self: MainWindow) -> None:
        frame = self._edit_frame()
        if frame is None or not self.labels.labeled[frame]:
            return
        self._edit(frame, f"Delete label of frame {frame}", **EMPTY_VALUES)

    def toggle_advance_after_click(self: MainWindow) -> None:
        self.advance_after_click = self.action_by_id["edit.advance"].isChecked()
        self.settings.setValue(ADVANCE_KEY, self.advance_after_click)
        state = "on" if self.advance_after_click else "off"
        self.statusBar().showMessage(f"Advance after click: {state}", 2000)

    def toggle_magnifier(self: MainWindow) -> None:
        self.overlay.magnifier.enabled = self.action_by_id["view.magnifier"].isChecked()
        self.overlay.magnifier.cursor = self._cursor
        self.overlay.update()

    # ================================================================= undo

    def undo(self: MainWindow) -> None:
        if self._drag is None:  # never undo under a drag in progress
            self.undo_stack.undo()

    def redo(self: MainWindow) -> None:
        if self._drag is None:
            self.undo_stack.redo()

    # ================================================================= overlay layers

    def toggle_labels_layer(self: MainWindow) -> None:
        visible = self.action_by_id["view.labels_layer"].isChecked()
        self._set_layers_visible([LABELS], visible)

    def toggle_predictions_layer(self: MainWindow) -> None:
        visible = self.action_by_id["view.predictions_layer"].isChecked()
        names = [] if self._edit_project is None else list(self._edit_project.predictions)
        self._set_layers_visible(names, visible)

    def _set_layers_visible(self: MainWindow, names: list[str], visible: bool) -> None:
        settings = self.overlay_settings
        for name in names:
            settings = settings.with_layer(name, visible)
            if name in self.timeline.layer_names:
                self.timeline.set_layer_visible(name, visible)
        self.overlay_settings = settings
        self.overlay.update()

    def toggle_trail(self: MainWindow) -> None:
        from dataclasses import replace

        shown = self.action_by_id["view.trail"].isChecked()
        self.overlay_settings = replace(self.overlay_settings, show_trail=shown)
        self.overlay.update()

    # ================================================================= range and interpolation

    def mark_in(self: MainWindow) -> None:
        frame = self._edit_frame()
        if frame is not None:
            self.range_in = frame
            if self.range_out is not None and self.range_out < frame:
                self.range_out = None
            self._show_range()

    def mark_out(self: MainWindow) -> None:
        frame = self._edit_frame()
        if frame is not None:
            self.range_out = frame
            if self.range_in is not None and self.range_in > frame:
                self.range_in = None
            self._show_range()

    def clear_range(self: MainWindow) -> None:
        self.range_in = self.range_out = None
        self._show_range()

    def _show_range(self: MainWindow) -> None:
        if self.range_in is None and self.range_out is None:
            self.range_label.setText("")
            return
        first = "start" if self.range_in is None else str(self.range_in)
        last = "end" if self.range_out is None else str(self.range_out)
        self.range_label.setText(f"Range {first}–{last}")

    def edit_range(self: MainWindow) -> tuple[int, int] | None:
        """Frames `start..stop-1` that range operations act on; None means the whole track.

        The in/out marks win; without them, a selection of several table rows.
        """
        labels = self.labels
        if labels is None:
            return None
        if self.range_in is not None or self.range_out is not None:
            start = 0 if self.range_in is None else self.range_in
            stop = len(labels) if self.range_out is None else self.range_out + 1
            return start, stop
        rows = self.track_table.selectionModel().selectedRows()
        if len(rows) > 1:
            numbers = [r.row() for r in rows]
            return min(numbers), max(numbers) + 1
        return None

    def interpolate_linear(self: MainWindow) -> None:
        self.interpolate_gaps(Method.LINEAR)

    def interpolate_ballistic(self: MainWindow) -> None:
        self.interpolate_gaps(Method.BALLISTIC)

    def interpolate_gaps(self: MainWindow, method: Method | str) -> int:
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
            self.statusBar().showMessage(f"No gaps to fill in {where}", 4000)
            return 0
        text = f"Interpolate {method.value} ({len(edit.frames)} frames, {where})"
        self.undo_stack.push(TrackEditCommand(labels, edit, text, applied=False))
        self.statusBar().showMessage(text, 4000)
        return len(edit.frames)


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
