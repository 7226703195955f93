"""A project: one video, its label layer, named prediction layers, review state, view settings."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .track import Frames, Track

LABELS = "labels"  # the layer name listeners receive for the label layer

ProjectListener = Callable[[str, Frames], None]


@dataclass
class Project:
    """Everything a project file holds. `fingerprint`, `review` and `view` are opaque dicts
    (JSON-compatible) owned by the video layer and the window respectively."""

    labels: Track
    video_path: str | None = None
    fingerprint: dict[str, Any] | None = None
    predictions: dict[str, Track] = field(default_factory=dict)
    review: dict[str, Any] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._listeners: list[ProjectListener] = []
        self._forwarders: dict[str, Callable[[Frames], None]] = {}
        self.validate()
        self._watch(LABELS, self.labels)
        for name, track in self.predictions.items():
            self._watch(name, track)

    @property
    def n_frames(self) -> int:
        return len(self.labels)

    def validate(self) -> None:
        """Raise ValueError with a clear message when the layers do not fit together."""
        for name, track in self.predictions.items():
            self._check_layer(name, track)

    def _check_layer(self, name: str, track: Track) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a prediction layer needs a non-empty name, got {name!r}")
        if name == LABELS:
            raise ValueError(f"{LABELS!r} is reserved for the label layer")
        if len(track) != len(self.labels):
            raise ValueError(
                f"prediction layer {name!r} has {len(track)} frames, labels have {len(self.labels)}"
            )

    def add_prediction(self, name: str, track: Track) -> None:
        if name in self.predictions:
            raise ValueError(f"a prediction layer named {name!r} already exists")
        self._check_layer(name, track)
        self.predictions[name] = track
        self._watch(name, track)
        self._notify(name, _all_frames(track))

    def remove_prediction(self, name: str) -> Track:
        track = self.predictions.pop(name)
        track.remove_listener(self._forwarders.pop(name))
        self._notify(name, _all_frames(track))
        return track

    def layer(self, name: str) -> Track:
        return self.labels if name == LABELS else self.predictions[name]

    def copy(self) -> Project:
        """A deep, consistent copy (tracks copied under their locks); no listeners."""
        return Project(
            labels=self.labels.copy(),
            video_path=self.video_path,
            fingerprint=copy.deepcopy(self.fingerprint),
            predictions={n: t.copy() for n, t in self.predictions.items()},
            review=copy.deepcopy(self.review),
            view=copy.deepcopy(self.view),
        )

    def equals(self, other: Project) -> bool:
        return (
            self.video_path == other.video_path
            and self.fingerprint == other.fingerprint
            and self.review == other.review
            and self.view == other.view
            and self.labels.equals(other.labels)
            and self.predictions.keys() == other.predictions.keys()
            and all(t.equals(other.predictions[n]) for n, t in self.predictions.items())
        )

    # ----- change notification (for autosave and views) ----------------------------------
    def add_listener(self, listener: ProjectListener) -> None:
        """Call `listener(layer_name, frames)` after any layer changes."""
        self._listeners.append(listener)

    def remove_listener(self, listener: ProjectListener) -> None:
        self._listeners.remove(listener)

    def _watch(self, name: str, track: Track) -> None:
        def forward(frames: Frames) -> None:
            self._notify(name, frames)

        self._forwarders[name] = forward
        track.add_listener(forward)

    def _notify(self, name: str, frames: Frames) -> None:
        for listener in list(self._listeners):
            listener(name, frames)


def new_project_for(video: Any) -> Project:
    """A new, unsaved project for an opened video (anything with `frame_count`, `path` and
    maybe `fingerprint`, as VideoReader has): an empty label layer, one row per frame."""
    return Project(
        labels=Track(int(video.frame_count)),
        video_path=str(Path(video.path).resolve()),
        fingerprint=getattr(video, "fingerprint", None),
    )


def unique_layer_name(project: Project | None, base: str) -> str:
    """`base`, or `base 2`, `base 3`… whichever the project does not have yet."""
    taken = set(project.predictions) if project is not None else set()
    if base not in taken:
        return base
    n = 2
    while f"{base} {n}" in taken:
        n += 1
    return f"{base} {n}"


def _all_frames(track: Track) -> Frames:
    return np.arange(len(track), dtype=np.int64)
