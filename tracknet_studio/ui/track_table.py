"""The track as a table: a Qt item model reading the Track's numpy columns in place.

Nothing is copied: `data()` reads one cell from the columns when the view asks for it, so
the model costs the same at 650,000 frames as at 50, and a view only asks for the rows it
shows. Edits never write the track directly; they are pushed on the window's QUndoStack.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from tracknet_studio.core import Event, Source, Track, Visibility

from .undo import push_track_update

COLUMNS = ("frame", "x", "y", "visibility", "event", "source", "confidence", "reviewed")
# What the header shows (short, so that every column fits the dock) and its tooltip.
HEADERS = ("frame", "x", "y", "visibility", "event", "source", "conf", "✓")
HEADER_TIPS = ("Frame number", "Ball x in video pixels", "Ball y in video pixels",
               "Visible, hard (blurred), occluded, or no ball", "Hit or bounce",
               "Who placed it: human, imported, interpolated, model",
               "The model's confidence", "Reviewed: a human looked at this frame")  # fmt: skip
# The widest text each column shows, to size it once (never by measuring 650,000 rows).
WIDEST = ("0000000", "0000.00", "0000.00", "occluded", "bounce", "interpolated", "0.000", "")
FRAME, X, Y, VISIBILITY, EVENT, SOURCE, CONFIDENCE, REVIEWED = range(len(COLUMNS))
EDITABLE = frozenset({X, Y, VISIBILITY, EVENT})
ENUM_COLUMNS: dict[int, type[IntEnum]] = {VISIBILITY: Visibility, EVENT: Event, SOURCE: Source}
# Beyond this many separate runs of changed rows, one dataChanged over their span is cheaper.
MAX_CHANGED_RUNS = 64

AnyIndex = QModelIndex | QPersistentModelIndex


def enum_label(member: IntEnum) -> str:
    """How a code reads in the table: "no ball", "hit", "interpolated"; empty for none."""
    if isinstance(member, (Event, Source)) and member == 0:
        return ""
    return member.name.lower().replace("_", " ")


def changed_runs(frames: npt.ArrayLike) -> list[tuple[int, int]]:
    """Contiguous runs (first, last) of the given frames, merged into one if there are many."""
    rows = np.unique(np.asarray(frames, dtype=np.int64))
    if rows.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) > 1)
    if breaks.size >= MAX_CHANGED_RUNS:
        return [(int(rows[0]), int(rows[-1]))]
    firsts = np.concatenate([rows[:1], rows[breaks + 1]])
    lasts = np.concatenate([rows[breaks], rows[-1:]])
    return [(int(a), int(b)) for a, b in zip(firsts, lasts, strict=True)]


class TrackTableModel(QAbstractTableModel):
    """One row per frame of a Track; x, y, visibility and event are editable via undo."""

    # Track listeners may run on a worker thread; this carries the frames to the model's
    # thread (a direct call when the edit happens on the model's own thread).
    _frames_changed = Signal(object)

    def __init__(
        self,
        track: Track | None = None,
        undo_stack: QUndoStack | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._track: Track | None = None
        self._listener: Callable[[npt.NDArray[np.int64]], None] | None = None
        self.undo_stack = undo_stack
        self._frames_changed.connect(self.on_frames_changed)
        self._unlabeled_brush = QColor(128, 128, 128)
        self.set_track(track)

    # ----- the track -----------------------------------------------------------------------
    @property
    def track(self) -> Track | None:
        return self._track

    def set_track(self, track: Track | None) -> None:
        """Show `track` (None: an empty table); stops listening to the previous one."""
        self.beginResetModel()
        if self._track is not None and self._listener is not None:
            self._track.remove_listener(self._listener)
        self._track, self._listener = track, None
        if track is not None:
            self._listener = _weak_listener(self, track)
            track.add_listener(self._listener)
        self.endResetModel()

    def on_frames_changed(self, frames: npt.NDArray[np.int64]) -> None:
        """Tell views that these rows changed (called by the track after every edit)."""
        last_column = len(COLUMNS) - 1
        rows = np.asarray(frames, dtype=np.int64)
        # A queued notice may come from a track just replaced by a shorter one.
        rows = rows[(rows >= 0) & (rows < self.rowCount())]
        for first, last in changed_runs(rows):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    # ----- read ------------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self._track is None else len(self._track)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._track is None or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.EditRole:
            return self._raw(row, column)
        if role == Qt.ItemDataRole.CheckStateRole and column == REVIEWED:
            reviewed = bool(self._track.reviewed[row])
            return Qt.CheckState.Checked if reviewed else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in ENUM_COLUMNS:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and self._is_unlabeled(row):
            return self._unlabeled_brush
        return None

    def _raw(self, row: int, column: int) -> Any:
        """The cell's value as a Python number (float for x, y, confidence; int codes)."""
        assert self._track is not None
        if column == FRAME:
            return row
        value = self._track.column(COLUMNS[column])[row]
        return bool(value) if column == REVIEWED else value.item()

    def _display(self, row: int, column: int) -> str | None:
        value = self._raw(row, column)
        if column in ENUM_COLUMNS:
            return enum_label(ENUM_COLUMNS[column](value))
        if column in (X, Y):
            return "" if math.isnan(value) else f"{value:.2f}"
        if column == CONFIDENCE:
            return "" if math.isnan(value) else f"{value:.3f}"
        if column == REVIEWED:
            return None  # shown as a check box
        return str(value)

    def _is_unlabeled(self, row: int) -> bool:
        assert self._track is not None
        return int(self._track.visibility[row]) == Visibility.UNLABELED

    # ----- edit ------------------------------------------------------------------------------
    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if self._is_editable(index):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def _is_editable(self, index: AnyIndex) -> bool:
        if self._track is None or self.undo_stack is None or not index.isValid():
            return False
        if index.column() in (X, Y):
            # A position is moved here; a new one is placed on the video, where it can be seen.
            return bool(np.isfinite(self._track.x[index.row()]))
        return index.column() in EDITABLE

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Push the edit as an undoable command; False if the value is not acceptable."""
        if role != Qt.ItemDataRole.EditRole or not self._is_editable(index):
            return False
        assert self._track is not None and self.undo_stack is not None
        try:
            values = self._edit_values(index.row(), index.column(), value)
        except (TypeError, ValueError):
            return False
        if values is None:
            return True  # nothing to change
        name = COLUMNS[index.column()]
        try:
            push_track_update(
                self.undo_stack,
                self._track,
                [index.row()],
                text=f"Set {name} of frame {index.row()}",
                **values,
            )
        except ValueError:
            return False  # e.g. "visible" on a frame that has no position
        return True

    def _edit_values(self, row: int, column: int, value: Any) -> dict[str, Any] | None:
        """The columns an edit of one cell writes, or None when the cell already holds it."""
        current = self._raw(row, column)
        if column in (X, Y):
            number = float(value)
            if not math.isfinite(number):
                raise ValueError("a coordinate must be a finite number")
            if number == current:
                return None
            # Correcting a position by hand makes it human work.
            return {COLUMNS[column]: number, "source": Source.HUMAN}
        code = int(ENUM_COLUMNS[column](int(value)))  # raises ValueError on unknown codes
        if code == current:
            return None
        if column == EVENT:
            return {"event": code}
        if code == Visibility.UNLABELED:
            return {"visibility": code, "source": Source.NONE, "confidence": np.nan}
        return {"visibility": code, "source": Source.HUMAN}


def _weak_listener(model: TrackTableModel, track: Track) -> Callable[[npt.NDArray[np.int64]], None]:
    """A track listener that does not keep the model alive, and leaves once it is gone."""
    ref = weakref.ref(model)

    def listener(frames: npt.NDArray[np.int64]) -> None:
        target = ref()
        if target is None:
            track.remove_listener(listener)
            return
        target._frames_changed.emit(frames)

    return listener


class TrackItemDelegate(QStyledItemDelegate):
    """Combo boxes for the enum columns; a two-decimal spin box for coordinates."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        column = index.column()
        if column in ENUM_COLUMNS:
            combo = QComboBox(parent)
            for member in ENUM_COLUMNS[column]:
                combo.addItem(enum_label(member) or "none", int(member))
            return combo
        if column in (X, Y):
            spin = QDoubleSpinBox(parent)
            spin.setDecimals(2)
            spin.setRange(-1e6, 1e6)
            spin.setFrame(False)
            return spin
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(int(value))))
        elif isinstance(editor, QDoubleSpinBox):
            editor.setValue(float(value))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractTableModel, index: AnyIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QDoubleSpinBox):
            editor.interpretText()
            model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)


CELL_PADDING = 14  # px of margin around a cell's text
CHECK_COLUMN_WIDTH = 26  # px: the reviewed check box


class TrackTableView(QTableView):
    """The track table. Selecting a row asks to seek; `set_current_frame` follows playback."""

    seek_requested = Signal(int)

    def __init__(self, model: TrackTableModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._following = False  # True while the view moves because the window asked it to
        self.setItemDelegate(TrackItemDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._fix_row_heights()
        if model is not None:
            self.setModel(model)
        self.fit_columns()

    def _fix_row_heights(self) -> None:
        """Every row the same fixed height: Qt then never measures 650,000 rows."""
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        rows.hide()  # the frame column already numbers the rows
        columns = self.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setStretchLastSection(True)
        columns.setMinimumSectionSize(CHECK_COLUMN_WIDTH)

    def fit_columns(self) -> int:
        """Give each column the width of its widest text; returns the width the whole table
        needs (columns, scroll bar, frame) so that its dock can show every column."""
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        for column, (title, widest) in enumerate(zip(HEADERS, WIDEST, strict=True)):
            text = max(metrics.horizontalAdvance(title), metrics.horizontalAdvance(widest))
            header.resizeSection(column, max(CHECK_COLUMN_WIDTH, text + CELL_PADDING))
        scroll = self.verticalScrollBar().sizeHint().width()
        return header.length() + scroll + 2 * self.frameWidth()

    def setModel(self, model: Any) -> None:
        old = self.selectionModel()
        if old is not None:
            old.currentRowChanged.disconnect(self._on_current_row_changed)
        super().setModel(model)
        selection = self.selectionModel()
        if selection is not None:
            selection.currentRowChanged.connect(self._on_current_row_changed)

    def table_model(self) -> TrackTableModel | None:
        model = self.model()
        return model if isinstance(model, TrackTableModel) else None

    def set_current_frame(self, frame: int) -> None:
        """Select and reveal `frame` without asking to seek (the window already did).

        A row already on screen is selected where it is (playback stays readable); one off
        screen is scrolled to the middle.
        """
        model = self.model()
        if model is None or not 0 <= frame < model.rowCount():
            return
        index = model.index(frame, max(0, self.currentIndex().column()))
        on_screen = self.viewport().rect().contains(self.visualRect(index))
        if self.currentIndex().row() != frame:
            self._following = True
            try:
                flags = (
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows
                )
                self.selectionModel().setCurrentIndex(index, flags)
            finally:
                self._following = False
        if not on_screen:
            self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and not self._following:
            self.seek_requested.emit(current.row())
