"""The configuration a model file carries next to its weights.

Everything needed to rebuild the network and to use it the same way it was trained:
architecture name and its keyword arguments, input size, frames in and out, and the
heatmap threshold. It round-trips through a plain JSON dictionary so a model file never
needs pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

FORMAT_VERSION = 2
# Network arguments added after a format, with the value that rebuilds the files written
# in it: a model file lists every argument its network took when it was written, so an
# argument it lacks did not exist yet and must not take today's default.
ADDED_AFTER: dict[int, dict[str, dict[str, Any]]] = {
    1: {"fasttracknet": {"full_res": 0, "full_res_stem": False, "half_blocks": 0}},
}


@dataclass(frozen=True)
class ModelConfig:
    """How a network is built and fed.

    `frames_out` is either 1 (the newest frame of the window) or `frames_in` (every frame
    of the window, TrackNetV2's 3-in-3-out); windows advance by `frames_out` frames.
    """

    arch: str = "tracknetv2"
    frames_in: int = 3
    frames_out: int = 3
    height: int = 288
    width: int = 512
    threshold: float = 0.5
    arch_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames_in < 1 or self.frames_out not in (1, self.frames_in):
            raise ValueError(
                f"frames_out must be 1 or frames_in ({self.frames_in}), got {self.frames_out}"
            )
        if self.height % 8 or self.width % 8:
            # Every network here downsamples by 8 and skips back up; odd sizes would misalign.
            raise ValueError(f"input size {self.width}x{self.height} must be multiples of 8")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {self.threshold}")

    @property
    def in_channels(self) -> int:
        """Channels of the stacked RGB input."""
        return 3 * self.frames_in

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) of the network input, the order OpenCV's resize wants."""
        return (self.width, self.height)

    def with_changes(self, **changes: Any) -> ModelConfig:
        """A copy with some fields replaced."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary, tagged with the format version."""
        data = asdict(self)
        data["format_version"] = FORMAT_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Rebuild from `to_dict`'s output; unknown keys are an error, not silently dropped."""
        data = dict(data)
        version = data.pop("format_version", FORMAT_VERSION)
        if version > FORMAT_VERSION:
            raise ValueError(f"model config format {version} is newer than this code reads")
        for old, added in ADDED_AFTER.items():
            if version <= old and data.get("arch") in added:
                data["arch_kwargs"] = added[data["arch"]] | data.get("arch_kwargs", {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**data)

    def save(self, path: str | Path) -> None:
        """Write as indented JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> ModelConfig:
        """Read a file written by `save`."""
        return cls.from_dict(json.loads(Path(path).read_text()))
