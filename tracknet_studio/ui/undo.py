"""Undoable track edits for the window's QUndoStack.

The core already makes every edit reversible: `Track.update` applies the change at once and
returns a `TrackEdit` (frames, values before, values after). A `TrackEditCommand` wraps one
such edit so QUndoStack can undo and redo it. Because the edit is applied before the command
is pushed (a rejected edit raises before anything reaches the stack), the command's first
`redo()`, which QUndoStack.push calls, does nothing.

Consecutive commands with the same caller-supplied merge key (for a drag: the frame and
the press that started it) collapse into one undo step, as QUndoCommand.mergeWith intends.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtGui import QUndoCommand, QUndoStack

from tracknet_studio.core import Track, TrackEdit, TrackPatch

# Any positive id enables QUndoStack's merging; mergeWith then compares the merge keys.
TRACK_EDIT_COMMAND_ID = 0x7E1D


class TrackEditCommand(QUndoCommand):
    """One reversible track edit; consecutive commands with equal merge keys merge."""

    def __init__(
        self,
        track: Track,
        edit: TrackEdit,
        text: str,
        merge_key: Hashable | None = None,
        *,
        applied: bool = True,
        parent: QUndoCommand | None = None,
    ) -> None:
        super().__init__(text, parent)
        self.track = track
        self.edit = edit
        self.merge_key = merge_key
        # QUndoStack.push calls redo(); an edit made before pushing must not apply twice.
        self._skip_next_redo = applied

    @property
    def frames(self) -> npt.NDArray[np.int64]:
        return self.edit.frames

    def redo(self) -> None:
        if self._skip_next_redo:
            self._skip_next_redo = False
            return
        self.track.apply(self.edit.after)

    def undo(self) -> None:
        self.track.apply(self.edit.before)

    def id(self) -> int:
        return -1 if self.merge_key is None else TRACK_EDIT_COMMAND_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Absorb `other`, the edit pushed right after this one, if it carries our key."""
        if not isinstance(other, TrackEditCommand):
            return False
        if other.track is not self.track or other.merge_key != self.merge_key:
            return False
        self.edit = _merged(self.track, self.edit, other.edit)
        # A drag that ends where it began changes nothing; Qt then drops the command.
        self.setObsolete(_patches_equal(self.edit.before, self.edit.after))
        return True


def _merged(track: Track, first: TrackEdit, second: TrackEdit) -> TrackEdit:
    """One edit equivalent to `first` then `second`; `second` is already applied to `track`.

    The two edits may cover different frames and columns. The track now holds the final
    values everywhere, and any (frame, column) neither edit touched still holds its original
    value, so the merged "before" is the current state overwritten by the edits' old values
    (the first edit's win, being older); the merged "after" is simply the current state.
    """
    frames = np.union1d(first.before.frames, second.before.frames)
    names = list(dict.fromkeys([*first.before.values, *second.before.values]))
    after = track.capture(frames, names)
    before_values = {name: col.copy() for name, col in after.values.items()}
    for patch in (second.before, first.before):
        rows = np.searchsorted(frames, patch.frames)
        for name, values in patch.values.items():
            before_values[name][rows] = values
    return TrackEdit(TrackPatch(frames, before_values), after)


def _patches_equal(a: TrackPatch, b: TrackPatch) -> bool:
    if not np.array_equal(a.frames, b.frames) or a.values.keys() != b.values.keys():
        return False
    return all(
        np.array_equal(a.values[n], b.values[n], equal_nan=a.values[n].dtype.kind == "f")
        for n in a.values
    )


def push_track_update(
    stack: QUndoStack,
    track: Track,
    frames: npt.ArrayLike,
    *,
    text: str,
    merge_key: Hashable | None = None,
    protect_human: bool = False,
    **values: Any,
) -> TrackEditCommand | None:
    """Apply `track.update(frames, **values)` and push it as one undoable step.

    Raises what `Track.update` raises (ValueError for a visible ball without a position, ...)
    before touching the stack. Returns None, pushing nothing, when no frame was written
    (for instance every frame was human and `protect_human` was set).
    """
    edit = track.update(frames, protect_human=protect_human, **values)
    if len(edit.frames) == 0:
        return None
    command = TrackEditCommand(track, edit, text, merge_key)
    stack.push(command)
    return command


@contextmanager
def undo_macro(stack: QUndoStack, text: str) -> Iterator[QUndoStack]:
    """Everything pushed inside the block becomes one undo step named `text`.

    If the block raises, the edits already made are undone and dropped from the stack, so a
    failed bulk operation leaves neither the track nor the history half changed.
    """
    stack.beginMacro(text)
    try:
        yield stack
    except BaseException:
        stack.endMacro()
        _drop_last_macro(stack)
        raise
    stack.endMacro()


def _drop_last_macro(stack: QUndoStack) -> None:
    """Undo the macro just closed and cut it from history so it cannot be redone."""
    stack.undo()
    # QUndoStack.push discards the redo branch, then drops an obsolete command unpushed.
    stack.push(_Discard())


class _Discard(QUndoCommand):
    """An obsolete no-op: pushing it only clears the redo branch."""

    def __init__(self) -> None:
        super().__init__("")
        self.setObsolete(True)


def push_macro(stack: QUndoStack, text: str, commands: Iterable[QUndoCommand]) -> int:
    """Push `commands` as one undo step named `text`; returns how many were pushed."""
    count = 0
    with undo_macro(stack, text):
        for command in commands:
            stack.push(command)
            count += 1
    return count
