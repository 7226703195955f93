"""Every yes/no/which question the window asks goes through `choose`.

One function, so tests replace it once (tests/ui/conftest.py) and never block on a modal
dialog. Callers write `questions.choose(...)`, not an imported copy, so the replacement
reaches them.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget

SAVE, DISCARD, CANCEL = "Save", "Discard", "Cancel"


def choose(
    parent: QWidget | None,
    title: str,
    text: str,
    choices: Sequence[str],
    *,
    informative: str = "",
    icon: QMessageBox.Icon = QMessageBox.Icon.Question,
) -> str:
    """Ask with one button per choice; returns the label clicked. Escape picks the last one,
    so list the safe answer (Cancel) last."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    if informative:
        box.setInformativeText(informative)
    roles = {
        SAVE: QMessageBox.ButtonRole.AcceptRole,
        DISCARD: QMessageBox.ButtonRole.DestructiveRole,
        CANCEL: QMessageBox.ButtonRole.RejectRole,
    }
    buttons = [box.addButton(c, roles.get(c, QMessageBox.ButtonRole.ActionRole)) for c in choices]
    box.setDefaultButton(buttons[0])
    box.setEscapeButton(buttons[-1])
    box.exec()
    clicked = box.clickedButton()
    return choices[buttons.index(clicked)] if clicked in buttons else choices[-1]
