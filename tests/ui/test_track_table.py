"""The track table: a model reading the Track in place, edits through the undo stack."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt, QThread
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox

from tracknet_studio.core import Event, Source, Track, Visibility
from tracknet_studio.ui.track_table import (
    COLUMNS,
    CONFIDENCE,
    EVENT,
    REVIEWED,
    SOURCE,
    VISIBILITY,
    TrackItemDelegate,
    TrackTableModel,
    TrackTableView,
    X,
    Y,
    changed_runs,
)

pytestmark = pytest.mark.ui

DISPLAY, EDIT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole


@pytest.fixture
def track() -> Track:
    track = Track(200)
    track.set_points([10, 11, 12], [100.25, 101.5, 102.75], [50.0, 51.0, 52.0])
    track.set_points([40], [7.0], [8.0], source=Source.MODEL, confidence=0.875)
    track.set_no_ball([20])
    track.set_event([11], Event.HIT)
    track.set_reviewed([12])
    return track


@pytest.fixture
def stack(qapp) -> QUndoStack:
    return QUndoStack()


@pytest.fixture
def model(track: Track, stack: QUndoStack) -> TrackTableModel:
    return TrackTableModel(track, stack)


@pytest.fixture
def view(qtbot, model: TrackTableModel) -> TrackTableView:
    view = TrackTableView(model)
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    return view


def cell(model: TrackTableModel, row: int, column: int, role=DISPLAY):
    return model.data(model.index(row, column), role)


def test_shape_and_values_read_from_track(model: TrackTableModel) -> None:
    assert model.rowCount() == 200 and model.columnCount() == len(COLUMNS)
    assert model.headerData(VISIBILITY, Qt.Orientation.Horizontal) == "visibility"
    row = [cell(model, 11, c) for c in range(len(COLUMNS) - 1)]
    assert row == ["11", "101.50", "51.00", "visible", "hit", "human", ""]
    assert [cell(model, 40, c) for c in (X, SOURCE, CONFIDENCE)] == ["7.00", "model", "0.875"]
    assert cell(model, 20, VISIBILITY) == "no ball" and cell(model, 20, X) == ""
    assert cell(model, 0, VISIBILITY) == "unlabeled"
    assert cell(model, 12, REVIEWED, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert cell(model, 10, X, EDIT) == 100.25


def test_model_does_not_copy_the_track(track: Track, model: TrackTableModel) -> None:
    track.update([10], x=123.0)  # a change made elsewhere shows without a reset
    assert cell(model, 10, X) == "123.00"


def test_editable_cells(model: TrackTableModel) -> None:
    editable = Qt.ItemFlag.ItemIsEditable
    assert model.flags(model.index(10, X)) & editable
    assert model.flags(model.index(10, EVENT)) & editable
    assert model.flags(model.index(0, VISIBILITY)) & editable
    assert not model.flags(model.index(0, X)) & editable  # no position to move
    assert not model.flags(model.index(10, SOURCE)) & editable
    assert not TrackTableModel(Track(3)).flags(TrackTableModel(Track(3)).index(0, 3)) & editable


def test_edit_pushes_undo_command_and_undo_restores(
    track: Track, stack: QUndoStack, model: TrackTableModel
) -> None:
    track.update([40], reviewed=False)
    assert model.setData(model.index(40, X), 9.5)
    assert stack.count() == 1 and "x" in stack.undoText()
    assert track.x[40] == 9.5 and track.source[40] == Source.HUMAN
    assert model.setData(model.index(40, Y), 3.25)
    assert model.setData(model.index(40, EVENT), int(Event.BOUNCE))
    assert stack.count() == 3
    for _ in range(3):
        stack.undo()
    assert (track.x[40], track.y[40], track.source[40]) == (7.0, 8.0, Source.MODEL)
    assert track.event[40] == Event.NONE


def test_visibility_edits(track: Track, stack: QUndoStack, model: TrackTableModel) -> None:
    assert model.setData(model.index(10, VISIBILITY), int(Visibility.NO_BALL))
    assert np.isnan(track.x[10])
    stack.undo()
    assert track.x[10] == 100.25
    # "visible" without a position is refused and nothing reaches the stack.
    assert not model.setData(model.index(0, VISIBILITY), int(Visibility.VISIBLE))
    assert not model.setData(model.index(10, X), "not a number")
    assert model.setData(model.index(10, X), 100.25)  # unchanged: accepted, nothing pushed
    assert stack.count() == 1


def test_data_changed_limited_to_changed_rows(track: Track, model: TrackTableModel) -> None:
    seen: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda a, b, _roles=(): seen.append((a.row(), b.row(), a.column(), b.column()))
    )
    track.update([5, 6, 7, 30], event=Event.BOUNCE)
    last = len(COLUMNS) - 1
    assert seen == [(5, 7, 0, last), (30, 30, 0, last)]


def test_changed_runs_collapse_when_scattered() -> None:
    assert changed_runs([3, 1, 2, 9]) == [(1, 3), (9, 9)]
    assert changed_runs(np.arange(0, 1000, 2)) == [(0, 998)]
    assert changed_runs([]) == []


def test_model_stops_listening_when_track_replaced(track: Track, model: TrackTableModel) -> None:
    model.set_track(Track(5))
    assert model.rowCount() == 5
    seen: list[int] = []
    model.dataChanged.connect(lambda a, b, _roles=(): seen.append(a.row()))
    track.update([10], x=1.0)
    assert seen == []


def test_selecting_a_row_seeks(qtbot, view: TrackTableView) -> None:
    with qtbot.waitSignal(view.seek_requested) as signal:
        view.selectRow(12)
    assert signal.args == [12]
    index = view.model().index(15, 2)
    with qtbot.waitSignal(view.seek_requested) as signal:
        point = view.visualRect(index).center()
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert signal.args == [15]


def test_set_current_frame_scrolls_without_seeking(qtbot, view: TrackTableView) -> None:
    seeks: list[int] = []
    view.seek_requested.connect(seeks.append)
    view.set_current_frame(180)
    assert view.currentIndex().row() == 180
    row = view.visualRect(view.model().index(180, 0))
    assert abs(row.center().y() - view.viewport().rect().center().y()) <= row.height()
    scroll = view.verticalScrollBar().value()
    view.set_current_frame(181)  # already on screen: selected in place, no jump
    assert view.currentIndex().row() == 181
    assert view.verticalScrollBar().value() == scroll
    assert seeks == []


def test_combo_delegate_edits_through_undo(
    qtbot, view: TrackTableView, track: Track, stack: QUndoStack
) -> None:
    index = view.model().index(10, EVENT)
    delegate = view.itemDelegate()
    assert isinstance(delegate, TrackItemDelegate)
    view.edit(index)
    editor = view.indexWidget(index) or view.findChild(QComboBox)
    assert isinstance(editor, QComboBox)
    assert editor.currentData() == Event.NONE
    editor.setCurrentIndex(editor.findData(int(Event.BOUNCE)))
    delegate.commitData.emit(editor)
    assert track.event[10] == Event.BOUNCE and stack.count() == 1
    stack.undo()
    assert track.event[10] == Event.NONE


def test_coordinate_editor_keeps_sub_pixel_values(
    qtbot, view: TrackTableView, track: Track
) -> None:
    index = view.model().index(11, X)
    view.edit(index)
    editor = view.findChild(QDoubleSpinBox)
    assert editor is not None and editor.value() == 101.5
    editor.setValue(1234.56)  # beyond QDoubleSpinBox's default maximum of 99.99
    view.itemDelegate().commitData.emit(editor)
    assert track.x[11] == pytest.approx(1234.56)


def test_root_index_has_no_children(model: TrackTableModel) -> None:
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None


def test_edits_from_a_worker_thread_signal_on_the_model_thread(
    qtbot, track: Track, model: TrackTableModel
) -> None:
    threads: list[object] = []
    model.dataChanged.connect(lambda *_: threads.append(QThread.currentThread()))
    worker = threading.Thread(target=lambda: track.update([10], x=5.0))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(threads))
    assert threads == [model.thread()]
