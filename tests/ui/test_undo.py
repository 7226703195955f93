"""TrackEditCommand and the macro helpers on a real QUndoStack."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QUndoStack

from tracknet_studio.core import Source, Track, Visibility
from tracknet_studio.ui.undo import TrackEditCommand, push_macro, push_track_update, undo_macro

pytestmark = pytest.mark.ui


@pytest.fixture
def track() -> Track:
    return Track(20)


@pytest.fixture
def stack(qapp) -> QUndoStack:
    return QUndoStack()


def test_push_applies_once_and_undo_redo_restore(track: Track, stack: QUndoStack) -> None:
    calls: list[list[int]] = []
    track.add_listener(lambda frames: calls.append(frames.tolist()))
    push_track_update(stack, track, [3], text="place", x=10.0, y=20.0, visibility=1, source=1)
    assert calls == [[3]]  # the first redo, from push, must not apply the edit again
    assert stack.count() == 1 and stack.undoText() == "place"

    stack.undo()
    assert np.isnan(track.x[3]) and track.visibility[3] == Visibility.UNLABELED
    stack.redo()
    assert (track.x[3], track.y[3], track.source[3]) == (10.0, 20.0, Source.HUMAN)


def test_drags_with_same_key_merge_into_one_step(track: Track, stack: QUndoStack) -> None:
    track.set_points([5], [1.0], [1.0])
    stack.clear()
    for step in range(1, 6):
        push_track_update(stack, track, [5], text="move", merge_key=("drag", 5, 1), x=1.0 + step)
    assert stack.count() == 1
    assert track.x[5] == 6.0
    stack.undo()
    assert track.x[5] == 1.0
    stack.redo()
    assert track.x[5] == 6.0


def test_different_keys_or_no_key_do_not_merge(track: Track, stack: QUndoStack) -> None:
    track.set_points([5, 6], [1.0, 1.0], [1.0, 1.0])
    push_track_update(stack, track, [5], text="a", merge_key=("drag", 5, 1), x=2.0)
    push_track_update(stack, track, [5], text="b", merge_key=("drag", 5, 2), x=3.0)
    push_track_update(stack, track, [6], text="c", x=4.0)
    push_track_update(stack, track, [6], text="d", x=5.0)
    assert stack.count() == 4


def test_merge_across_frames_and_columns_undoes_everything(track: Track, stack: QUndoStack) -> None:
    track.set_points([1, 2], [1.0, 2.0], [1.0, 2.0])
    original = track.copy()
    push_track_update(stack, track, [1], text="m", merge_key="k", x=9.0)
    push_track_update(stack, track, [2], text="m", merge_key="k", event=1)
    push_track_update(stack, track, [1, 2], text="m", merge_key="k", y=7.0)
    assert stack.count() == 1
    edited = track.copy()
    stack.undo()
    assert track.equals(original)
    stack.redo()
    assert track.equals(edited)


def test_drag_back_to_start_leaves_no_step(track: Track, stack: QUndoStack) -> None:
    track.set_points([5], [1.0], [1.0])
    push_track_update(stack, track, [5], text="move", merge_key="d", x=3.0)
    push_track_update(stack, track, [5], text="move", merge_key="d", x=1.0)
    assert stack.count() == 0
    assert track.x[5] == 1.0


def test_rejected_edit_pushes_nothing(track: Track, stack: QUndoStack) -> None:
    with pytest.raises(ValueError):
        push_track_update(stack, track, [0], text="bad", visibility=Visibility.VISIBLE)
    assert stack.count() == 0
    track.set_points([0], [1.0], [1.0])
    assert push_track_update(stack, track, [0], text="p", protect_human=True, x=2.0) is None
    assert stack.count() == 0


def test_macro_is_one_undo_step(track: Track, stack: QUndoStack) -> None:
    with undo_macro(stack, "interpolate"):
        for frame in range(4):
            push_track_update(stack, track, [frame], text="f", x=frame, y=frame, visibility=1)
    assert stack.count() == 1 and stack.undoText() == "interpolate"
    stack.undo()
    assert track.labeled.sum() == 0
    stack.redo()
    assert track.labeled.sum() == 4


def test_push_macro_of_prebuilt_commands(track: Track, stack: QUndoStack) -> None:
    commands = [
        TrackEditCommand(track, track.set_points([f], [f], [f]), f"frame {f}") for f in (2, 4)
    ]
    assert push_macro(stack, "accept", commands) == 2
    assert stack.count() == 1
    stack.undo()
    assert not track.labeled.any()


def test_failed_macro_is_rolled_back_and_not_redoable(track: Track, stack: QUndoStack) -> None:
    push_track_update(stack, track, [0], text="before", x=1.0, y=1.0, visibility=1)
    with pytest.raises(ValueError), undo_macro(stack, "bulk"):
        push_track_update(stack, track, [1], text="f", x=1.0, y=1.0, visibility=1)
        push_track_update(stack, track, [2], text="f", visibility=Visibility.VISIBLE)
    assert track.labeled.tolist()[:3] == [True, False, False]
    assert stack.count() == 1 and not stack.canRedo()
