"""Rebinding shortcuts: bindings kept in QSettings, conflict checks, and the editor dialog.

The action table (actions.py) holds the default keys. A user's changes are stored per action
under `shortcuts/<action id>` as QKeySequence portable text ("Ctrl+K; F2"; empty for no
key), only where they differ from the default, so a new default in a later version reaches
everyone who never touched that action. A key may belong to one action only: the editor
refuses a key already in use and names the action holding it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .actions import ACTIONS, ActionSpec

SETTINGS_GROUP = "shortcuts"
Bindings = dict[str, tuple[str, ...]]  # action id -> keys in portable text


def normalised(key: str) -> str:
    """One key in QKeySequence's portable text ("ctrl+k" -> "Ctrl+K")."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)


def default_bindings(rows: Iterable[ActionSpec] = ACTIONS) -> Bindings:
    return {row.id: tuple(normalised(k) for k in row.shortcuts) for row in rows}


def load_bindings(settings: QSettings, rows: Iterable[ActionSpec] = ACTIONS) -> Bindings:
    """The defaults with the user's stored changes applied."""
    bindings = default_bindings(rows)
    for action_id in bindings:
        stored = settings.value(f"{SETTINGS_GROUP}/{action_id}")
        if stored is None:
            continue
        text = ", ".join(stored) if isinstance(stored, list) else str(stored)  # ini splits ","
        keys = QKeySequence.listFromString(text, QKeySequence.SequenceFormat.PortableText)
        bindings[action_id] = tuple(k.toString() for k in keys if not k.isEmpty())
    return bindings


def save_bindings(
    settings: QSettings, bindings: Mapping[str, Sequence[str]], rows: Iterable[ActionSpec] = ACTIONS
) -> None:
    """Store the actions whose keys differ from the defaults; forget the others."""
    defaults = default_bindings(rows)
    for action_id, keys in bindings.items():
        name = f"{SETTINGS_GROUP}/{action_id}"
        if tuple(keys) == defaults.get(action_id):
            settings.remove(name)
        else:
            settings.setValue(name, "; ".join(keys))
    settings.sync()


def apply_bindings(actions: Mapping[str, QAction], bindings: Mapping[str, Sequence[str]]) -> None:
    """Give each QAction its keys, and tooltips that show them."""
    for action_id, keys in bindings.items():
        action = actions.get(action_id)
        if action is None:
            continue
        action.setShortcuts([QKeySequence(k) for k in keys])
        name = action.text().replace("&", "").rstrip("…")
        shown = keys_text(keys)
        action.setToolTip(f"{name} ({shown})" if shown else name)


def keys_text(keys: Sequence[str]) -> str:
    """Keys as the platform writes them, joined like the help: "Right or ."."""
    native = QKeySequence.SequenceFormat.NativeText
    return " or ".join(QKeySequence(k).toString(native) for k in keys)


def owner_of(bindings: Mapping[str, Sequence[str]], key: str) -> str | None:
    """The action that has `key`, if any."""
    key = normalised(key)
    for action_id, keys in bindings.items():
        if key in keys:
            return action_id
    return None


class ShortcutEditor(QDialog):
    """Edit every action's keys; `bindings` holds the result when the dialog is accepted."""

    COLUMNS = ("Action", "Keys", "Category")

    def __init__(
        self,
        bindings: Mapping[str, Sequence[str]],
        parent: QWidget | None = None,
        rows: Iterable[ActionSpec] = ACTIONS,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcut Editor")
        self.setObjectName("shortcutEditor")
        self.rows = list(rows)
        self.bindings: Bindings = {r.id: tuple(bindings.get(r.id, ())) for r in self.rows}
        self._defaults = default_bindings(self.rows)
        self._build()
        self._fill()

    # ----- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.table = QTableWidget(len(self.rows), len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.recorder = QKeySequenceEdit(self)
        self.recorder.setMaximumSequenceLength(1)
        self.recorder.setClearButtonEnabled(True)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Set Key", self._replace_clicked),
            ("Add Key", self._add_clicked),
            ("Clear Keys", self._clear_clicked),
            ("Reset to Default", self._reset_clicked),
            ("Reset All", self.reset_all),
        ):
            button = QPushButton(text, self)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        self.message = QLabel(" ", self)
        self.message.setObjectName("shortcutMessage")
        self.message.setWordWrap(True)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        for button in box.buttons():
            button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        row.addWidget(QLabel("New key:", self))
        row.addWidget(self.recorder, 1)
        layout.addLayout(row)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(box)
        self.resize(680, 640)

    def _fill(self) -> None:
        for i, row in enumerate(self.rows):
            keys = self.bindings[row.id]
            cells = (row.text.replace("&", "").rstrip("…"), keys_text(keys), row.display_category)
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 1 and keys != self._defaults[row.id]:
                    font = item.font()
                    font.setBold(True)  # changed from the default
                    item.setFont(font)
                self.table.setItem(i, j, item)
                item.setData(Qt.ItemDataRole.UserRole, row.id)

    # ----- operations (the buttons call these; tests may too) ---------------------------
    def assign(self, action_id: str, key: str, *, replace: bool = True) -> bool:
        """Give `key` to the action (replacing its keys, or adding); refuse a key in use."""
        key = normalised(key)
        if not key:
            return self._say("Press a key combination first.")
        holder = owner_of(self.bindings, key)
        if holder is not None and holder != action_id:
            return self._say(
                f"{_native(key)} is already used by “{self._name(holder)}”. "
                "Clear it there first, or choose another key."
            )
        keys = (key,) if replace else tuple(dict.fromkeys([*self.bindings[action_id], key]))
        self.bindings[action_id] = keys
        self._fill()
        return self._say(f"“{self._name(action_id)}”: {keys_text(keys)}", ok=True)

    def clear(self, action_id: str) -> None:
        self.bindings[action_id] = ()
        self._fill()
        self._say(f"“{self._name(action_id)}” has no key now.", ok=True)

    def reset(self, action_id: str) -> bool:
        """Back to the default keys, unless another action took one of them meanwhile."""
        for key in self._defaults[action_id]:
            holder = owner_of(self.bindings, key)
            if holder is not None and holder != action_id:
                return self._say(
                    f"Cannot reset: {_native(key)} is now used by “{self._name(holder)}”."
                )
        self.bindings[action_id] = self._defaults[action_id]
        self._fill()
        return self._say(f"“{self._name(action_id)}” is back to its default keys.", ok=True)

    def reset_all(self) -> None:
        self.bindings = dict(self._defaults)
        self._fill()
        self._say("Every shortcut is back to its default.", ok=True)

    def selected_action(self) -> str | None:
        row = self.table.currentRow()
        return self.rows[row].id if 0 <= row < len(self.rows) else None

    def select(self, action_id: str) -> None:
        self.table.selectRow(next(i for i, r in enumerate(self.rows) if r.id == action_id))

    # ----- buttons -----------------------------------------------------------------------
    def _recorded(self) -> tuple[str | None, str]:
        action_id = self.selected_action()
        return action_id, self.recorder.keySequence().toString()

    def _replace_clicked(self) -> None:
        action_id, key = self._recorded()
        if action_id is None:
            self._say("Select an action first.")
        else:
            self.assign(action_id, key)

    def _add_clicked(self) -> None:
        action_id, key = self._recorded()
        if action_id is None:
            self._say("Select an action first.")
        else:
            self.assign(action_id, key, replace=False)

    def _clear_clicked(self) -> None:
        action_id = self.selected_action()
        if action_id is not None:
            self.clear(action_id)

    def _reset_clicked(self) -> None:
        action_id = self.selected_action()
        if action_id is not None:
            self.reset(action_id)

    def _name(self, action_id: str) -> str:
        row = next(r for r in self.rows if r.id == action_id)
        return row.text.replace("&", "").rstrip("…")

    def _say(self, text: str, ok: bool = False) -> bool:
        self.message.setText(text)
        self.message.setStyleSheet("" if ok else "color: #ff8080;")
        return ok


def _native(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
