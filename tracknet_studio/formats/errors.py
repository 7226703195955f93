"""What every reader reports: a `FormatError` naming the place, or an `ImportReport` of skips."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from os import PathLike


class FormatError(Exception):
    """A file that cannot be read as claimed. str() names the file and the line or frame."""

    def __init__(
        self,
        path: str | PathLike[str],
        message: str,
        *,
        line: int | None = None,
        frame: int | str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.frame = frame
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f", line {self.line}"
        if self.frame is not None:
            where += f", frame {self.frame}"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What a reader did: frames imported, and every skipped row counted under its reason."""

    path: str
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    # A few places (line or frame) per reason, so a user can find them.
    examples: dict[str, list[str]] = field(default_factory=dict)
    # Choices the reader made that the user should know of (e.g. which label attribute).
    notes: list[str] = field(default_factory=list)
    # Rows that carry a position but were read as "no ball": their coordinates are dropped.
    # Often a sign that a visibility column was read with the wrong meaning.
    dropped_positions: int = 0

    MAX_EXAMPLES = 5

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def skip(self, reason: str, where: str, count: int = 1) -> None:
        self.skipped[reason] += count
        places = self.examples.setdefault(reason, [])
        if len(places) < self.MAX_EXAMPLES:
            places.append(where)

    def skip_many(self, reason: str, places: list[str], count: int) -> None:
        """Count `count` skips under `reason`; `places` names (some of) them."""
        if count:
            self.skipped[reason] += count
            kept = self.examples.setdefault(reason, [])
            kept.extend(places[: self.MAX_EXAMPLES - len(kept)])

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        lines = [f"{self.path}: {self.imported} frames imported, {self.n_skipped} skipped"]
        lines += [f"  {note}" for note in self.notes]
        for reason, count in self.skipped.most_common():
            places = ", ".join(self.examples.get(reason, []))
            lines.append(f"  skipped {count}: {reason} (e.g. {places})")
        return "\n".join(lines)
