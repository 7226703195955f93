"""Icons and the style sheet from the project's resources/ folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
ICONS = RESOURCES / "icons"
STYLE_SHEET = RESOURCES / "style.qss"


@cache
def icon(name: str) -> QIcon:
    """resources/icons/<name>.svg; an empty icon (the action shows its text) if missing."""
    path = ICONS / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def style_sheet() -> str:
    return STYLE_SHEET.read_text(encoding="utf-8") if STYLE_SHEET.is_file() else ""
