"""Icons and the style sheet (package data: tracknet_studio/resources)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from tracknet_studio.core.paths import resource_dir

RESOURCES = resource_dir()
ICONS = RESOURCES / "icons"
STYLE_SHEET = RESOURCES / "style.qss"


@cache
def icon(name: str) -> QIcon:
    """resources/icons/<name>.svg; an empty icon (the action shows its text) if missing."""
    path = ICONS / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def style_sheet() -> str:
    return STYLE_SHEET.read_text(encoding="utf-8") if STYLE_SHEET.is_file() else ""
