"""The Open Recent list, kept in QSettings: newest first, at most ten, missing files dropped."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10
KEY = "recent/files"


class RecentFiles:
    """Recently opened files in a QSettings store."""

    def __init__(self, settings: QSettings, limit: int = MAX_RECENT):
        self.settings = settings
        self.limit = limit

    def paths(self) -> list[Path]:
        """The list, newest first; files that no longer exist are removed from it."""
        stored = self._stored()
        existing = [p for p in stored if p.is_file()]
        if len(existing) != len(stored):
            self._store(existing)
        return existing

    def add(self, path: Path | str) -> None:
        path = Path(path).resolve()
        rest = [p for p in self._stored() if p != path]
        self._store([path, *rest][: self.limit])

    def clear(self) -> None:
        self._store([])

    def _stored(self) -> list[Path]:
        value = self.settings.value(KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for one-item lists
            value = [value]
        return [Path(v) for v in value or []]

    def _store(self, paths: list[Path]) -> None:
        self.settings.setValue(KEY, [str(p) for p in paths])
        self.settings.sync()
