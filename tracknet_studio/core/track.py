"""The ball track: one row per video frame, stored column by column in numpy arrays.

A 3-hour match at 60 fps has about 650,000 frames, so every operation here is vectorised and
every edit reports exactly which frames changed, letting views redraw only those.

Every edit is undoable without Qt: `Track.update` returns a `TrackEdit` holding the frames'
values before and after, as two `TrackPatch` objects; `Track.apply(patch)` restores either.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt


class Visibility(IntEnum):
    """What a frame says about the ball. UNLABELED (no label at all) is not NO_BALL."""

    UNLABELED = -1
    NO_BALL = 0  # out of frame / not in the picture
    VISIBLE = 1
    HARD = 2  # visible but blurred
    OCCLUDED = 3  # behind something; the position may be an estimate or absent


class Event(IntEnum):
    NONE = 0
    HIT = 1
    BOUNCE = 2


class Source(IntEnum):
    """Where a frame's value came from. Human work is never overwritten implicitly."""

    NONE = 0
    HUMAN = 1
    IMPORTED = 2
    INTERPOLATED = 3
    MODEL = 4


# Column name -> dtype, and the value a frame without any label holds.
COLUMNS: dict[str, np.dtype[Any]] = {
    "x": np.dtype("<f8"),
    "y": np.dtype("<f8"),
    "visibility": np.dtype("i1"),
    "event": np.dtype("i1"),
    "source": np.dtype("i1"),
    "confidence": np.dtype("<f4"),
    "reviewed": np.dtype("?"),
}
EMPTY_VALUES: dict[str, Any] = {
    "x": np.nan,
    "y": np.nan,
    "visibility": Visibility.UNLABELED,
    "event": Event.NONE,
    "source": Source.NONE,
    "confidence": np.nan,
    "reviewed": False,
}
# Visibilities that must carry a position; NO_BALL and UNLABELED never do.
_NEEDS_POSITION = (Visibility.VISIBLE, Visibility.HARD)
_NO_POSITION = (Visibility.UNLABELED, Visibility.NO_BALL)

Frames = npt.NDArray[np.int64]
Listener = Callable[[Frames], None]


# The longest track kept: 46 hours at 60 fps (a few hundred MB of columns). Readers check
# it before allocating, so a file claiming frame 3,000,000,000 fails at once.
MAX_FRAMES = 10_000_000


@dataclass(frozen=True)
class TrackPatch:
    """The values of some columns at some frames: enough to restore them with `Track.apply`."""

    frames: Frames
    values: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class TrackEdit:
    """One edit as (frames, old values, new values); an undo stack stores this."""

    before: TrackPatch
    after: TrackPatch

    @property
    def frames(self) -> Frames:
        return self.after.frames


class Track:
    """A ball track of `n_frames` frames. Columns are numpy arrays; read them, edit via methods."""

    def __init__(self, n_frames: int) -> None:
        if not 0 <= n_frames <= MAX_FRAMES:
            raise ValueError(f"a track has 0 to {MAX_FRAMES:,} frames, not {n_frames:,}")
        self._cols: dict[str, np.ndarray] = {
            name: np.full(n_frames, EMPTY_VALUES[name], dtype=dtype)
            for name, dtype in COLUMNS.items()
        }
        self._listeners: list[Listener] = []
        # Guards the columns so a background autosave never reads a half-applied edit.
        self.lock = threading.RLock()

    # ----- construction and access -------------------------------------------------------
    @classmethod
    def from_columns(cls, n_frames: int | None = None, **columns: npt.ArrayLike) -> Track:
        """Build a track from whole columns; missing columns hold their empty value."""
        if n_frames is None:
            lengths = {len(np.asarray(v)) for v in columns.values()}
            if len(lengths) != 1:
                raise ValueError(f"columns have different lengths: {sorted(lengths)}")
            n_frames = lengths.pop()
        track = cls(n_frames)
        for name, values in columns.items():
            arr = track._checked_column(name, values, n_frames)
            track._cols[name][:] = arr
        track.validate()
        return track

    def __len__(self) -> int:
        return len(self._cols["x"])

    @property
    def n_frames(self) -> int:
        return len(self)

    def column(self, name: str) -> np.ndarray:
        """A read-only view of one column."""
        view = self._cols[name].view()
        view.flags.writeable = False
        return view

    @property
    def x(self) -> np.ndarray:
        return self.column("x")

    @property
    def y(self) -> np.ndarray:
        return self.column("y")

    @property
    def visibility(self) -> np.ndarray:
        return self.column("visibility")

    @property
    def event(self) -> np.ndarray:
        return self.column("event")

    @property
    def source(self) -> np.ndarray:
        return self.column("source")

    @property
    def confidence(self) -> np.ndarray:
        return self.column("confidence")

    @property
    def reviewed(self) -> np.ndarray:
        return self.column("reviewed")

    @property
    def labeled(self) -> npt.NDArray[np.bool_]:
        """True where a frame has any label, including "no ball"."""
        return self._cols["visibility"] != Visibility.UNLABELED

    @property
    def has_ball(self) -> npt.NDArray[np.bool_]:
        """True where the ball has a position (visible, hard, or occluded with an estimate)."""
        return (self._cols["visibility"] > Visibility.NO_BALL) & ~np.isnan(self._cols["x"])

    def labeled_frames(self) -> Frames:
        return np.flatnonzero(self.labeled).astype(np.int64)

    def columns(self) -> dict[str, np.ndarray]:
        """A consistent copy of all columns (taken under the lock; safe from any thread)."""
        with self.lock:
            return {name: col.copy() for name, col in self._cols.items()}

    def copy(self) -> Track:
        """An independent copy without listeners."""
        new = Track(0)
        new._cols = self.columns()
        return new

    def resized(self, n_frames: int) -> Track:
        """A copy with `n_frames` frames: new frames unlabeled; refuses to drop labels."""
        if n_frames < len(self) and self.labeled[n_frames:].any():
            last = int(self.labeled_frames()[-1])
            raise ValueError(f"frame {last} is labeled; cannot shorten the track to {n_frames}")
        new = Track(n_frames)
        keep = min(n_frames, len(self))
        with self.lock:
            for name, col in self._cols.items():
                new._cols[name][:keep] = col[:keep]
        return new

    def equals(self, other: Track) -> bool:
        """Column-wise equality, treating NaN as equal to NaN."""
        if len(self) != len(other):
            return False
        return all(
            np.array_equal(self._cols[n], other._cols[n], equal_nan=self._cols[n].dtype.kind == "f")
            for n in COLUMNS
        )

    def __repr__(self) -> str:
        return f"Track(n_frames={len(self)}, labeled={int(self.labeled.sum())})"

    # ----- listeners ---------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Call `listener(frames)` after every change, with the changed frame numbers."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _notify(self, frames: Frames) -> None:
        if len(frames):
            for listener in list(self._listeners):
                listener(frames)

    # ----- edits -------------------------------------------------------------------------
    def capture(self, frames: npt.ArrayLike, names: Iterable[str] | None = None) -> TrackPatch:
        """The current values of `names` (default: all columns) at `frames`."""
        idx = self._checked_frames(frames)
        names = list(COLUMNS if names is None else names)
        with self.lock:
            return TrackPatch(idx, {n: self._cols[n][idx].copy() for n in names})

    def apply(self, patch: TrackPatch) -> Frames:
        """Write a patch back (undo/redo); returns the frames it touched."""
        with self.lock:
            for name, values in patch.values.items():
                self._cols[name][patch.frames] = values
        self._notify(patch.frames)
        return patch.frames

    def update(
        self, frames: npt.ArrayLike, *, protect_human: bool = False, **values: Any
    ) -> TrackEdit:
        """Set columns at `frames` (scalars broadcast, arrays match `frames`).

        With `protect_human`, frames whose source is HUMAN are left alone: predictions and
        interpolation never overwrite human work. Frames whose visibility becomes NO_BALL or
        UNLABELED lose their position; VISIBLE and HARD frames must have a finite position.
        Returns the edit as before/after patches of the frames that were written.
        """
        idx = self._checked_frames(frames)
        new = {n: self._checked_values(n, v, len(idx)) for n, v in values.items()}
        if protect_human:
            keep = self._cols["source"][idx] != Source.HUMAN
            idx = idx[keep]
            new = {n: v[keep] for n, v in new.items()}
        new = self._normalised(idx, new)
        with self.lock:
            before = TrackPatch(idx, {n: self._cols[n][idx].copy() for n in new})
            for name, vals in new.items():
                self._cols[name][idx] = vals
        self._notify(idx)
        return TrackEdit(before, TrackPatch(idx, new))

    def set_points(
        self,
        frames: npt.ArrayLike,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        *,
        visibility: int | npt.ArrayLike = Visibility.VISIBLE,
        source: Source = Source.HUMAN,
        confidence: float | npt.ArrayLike = np.nan,
        protect_human: bool = False,
    ) -> TrackEdit:
        """Place the ball at (x, y) on `frames`."""
        return self.update(
            frames,
            protect_human=protect_human,
            x=x,
            y=y,
            visibility=visibility,
            source=source,
            confidence=confidence,
        )

    def set_no_ball(self, frames: npt.ArrayLike, *, source: Source = Source.HUMAN) -> TrackEdit:
        """Mark frames as "no ball" (a label, unlike `clear`)."""
        return self.update(frames, visibility=Visibility.NO_BALL, source=source)

    def clear(self, frames: npt.ArrayLike) -> TrackEdit:
        """Remove every label from `frames`, making them unlabeled."""
        return self.update(frames, **EMPTY_VALUES)

    def set_event(self, frames: npt.ArrayLike, event: Event) -> TrackEdit:
        return self.update(frames, event=event)

    def set_reviewed(self, frames: npt.ArrayLike, reviewed: bool = True) -> TrackEdit:
        return self.update(frames, reviewed=reviewed)

    # ----- validation --------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ValueError if the columns break the track's invariants."""
        vis = self._cols["visibility"]
        bad = ~np.isin(vis, [int(v) for v in Visibility])
        if bad.any():
            raise ValueError(f"frame {int(np.flatnonzero(bad)[0])}: unknown visibility")
        self._check_codes("event", Event)
        self._check_codes("source", Source)
        needs = np.isin(vis, _NEEDS_POSITION)
        missing = needs & ~(np.isfinite(self._cols["x"]) & np.isfinite(self._cols["y"]))
        if missing.any():
            raise ValueError(f"frame {int(np.flatnonzero(missing)[0])}: visible ball without x, y")

    def _check_codes(self, name: str, enum: type[IntEnum]) -> None:
        bad = ~np.isin(self._cols[name], [int(v) for v in enum])
        if bad.any():
            raise ValueError(f"frame {int(np.flatnonzero(bad)[0])}: unknown {name} code")

    def _checked_frames(self, frames: npt.ArrayLike) -> Frames:
        if isinstance(frames, slice):
            return np.arange(len(self), dtype=np.int64)[frames]
        idx = np.atleast_1d(np.asarray(frames))
        if idx.dtype.kind not in "iu":
            if idx.size == 0:
                return np.empty(0, dtype=np.int64)
            raise TypeError(f"frame numbers must be integers, got {idx.dtype}")
        idx = idx.astype(np.int64, copy=False).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            bad = idx[(idx < 0) | (idx >= len(self))][0]
            raise IndexError(f"frame {int(bad)} is outside the track (0..{len(self) - 1})")
        if idx.size > 1 and _has_duplicates(idx):
            raise ValueError("a frame appears twice in one edit")
        return idx

    @staticmethod
    def _checked_column(name: str, values: npt.ArrayLike, n: int) -> np.ndarray:
        if name not in COLUMNS:
            raise KeyError(f"unknown track column {name!r}")
        arr = np.asarray(values)
        if arr.shape != (n,):
            raise ValueError(f"column {name!r} has shape {arr.shape}, expected ({n},)")
        return arr.astype(COLUMNS[name], copy=False)

    @staticmethod
    def _checked_values(name: str, values: Any, n: int) -> np.ndarray:
        if name not in COLUMNS:
            raise KeyError(f"unknown track column {name!r}")
        arr = np.asarray(values)
        if arr.ndim == 0:
            return np.full(n, arr, dtype=COLUMNS[name])
        if arr.shape != (n,):
            raise ValueError(f"{name!r} has {arr.shape} values for {n} frames")
        return arr.astype(COLUMNS[name])

    def _normalised(self, idx: Frames, new: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Enforce the position invariants on the values an update is about to write."""
        if "visibility" not in new:
            return new
        vis = new["visibility"]
        if not np.isin(vis, [int(v) for v in Visibility]).all():
            raise ValueError(f"unknown visibility code in {np.unique(vis).tolist()}")
        no_pos = np.isin(vis, _NO_POSITION)
        if no_pos.any():
            for name in ("x", "y"):
                col = new[name] if name in new else self._cols[name][idx].copy()
                col[no_pos] = np.nan
                new[name] = col
        xs = new["x"] if "x" in new else self._cols["x"][idx]
        ys = new["y"] if "y" in new else self._cols["y"][idx]
        missing = np.isin(vis, _NEEDS_POSITION) & ~(np.isfinite(xs) & np.isfinite(ys))
        if missing.any():
            frame = int(idx[np.argmax(missing)])
            raise ValueError(f"frame {frame}: a visible ball needs finite x, y")
        return new


def _has_duplicates(idx: Frames) -> bool:
    # Edits usually come sorted; np.unique (hash based in numpy 2) costs ~1 s at 650k frames.
    steps = np.diff(idx)
    if (steps > 0).all():
        return False
    return bool((np.diff(np.sort(idx)) == 0).any())
