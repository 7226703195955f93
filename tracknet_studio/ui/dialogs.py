"""Small dialogs of the main window: the keyboard shortcut table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .actions import ACTIONS, ActionSpec, shortcut_text


class ShortcutsDialog(QDialog):
    """A read-only table of every action, generated from the action table."""

    COLUMNS = ("Action", "Keys", "Menu", "What it does")

    def __init__(
        self,
        parent: QWidget | None = None,
        actions: Mapping[str, QAction] | None = None,
        rows: Iterable[ActionSpec] = ACTIONS,
    ):
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.setObjectName("shortcutsDialog")
        rows = list(rows)
        self.table = QTableWidget(len(rows), len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        for i, row in enumerate(rows):
            cells = (
                row.text.replace("&", "").rstrip("…"),
                _current_keys(actions or {}, row),
                row.display_category,
                row.help,
            )
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(760, 700)


def _current_keys(actions: Mapping[str, QAction], row: ActionSpec) -> str:
    """The keys the window's action has now (users may rebind them), else the defaults."""
    action = actions.get(row.id)
    if action is None:
        return shortcut_text(row)
    native = QKeySequence.SequenceFormat.NativeText
    return " or ".join(s.toString(native) for s in action.shortcuts())
