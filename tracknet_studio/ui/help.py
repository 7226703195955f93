"""The Help menu: the shortcut list, rebinding keys, and About.

The user's keys are loaded from the settings and applied to the actions at start; the list
(ui/dialogs.py) shows the keys the actions have now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMessageBox

from .dialogs import ShortcutsDialog
from .shell import Shell
from .shortcut_editor import ShortcutEditor, apply_bindings, load_bindings, save_bindings

APP_TITLE = "TrackNet Studio"


class HelpController(QObject):
    """Help > Keyboard Shortcuts, Customize Shortcuts…, About."""

    def __init__(self, shell: Shell, actions: dict[str, QAction]) -> None:
        super().__init__(shell)
        self.shell = shell
        self._actions = actions
        self._shortcuts_dialog: ShortcutsDialog | None = None
        self.shortcut_bindings = load_bindings(shell.settings)
        apply_bindings(actions, self.shortcut_bindings)

    def show_shortcuts(self) -> None:
        if self._shortcuts_dialog is None:
            self._shortcuts_dialog = ShortcutsDialog(self.shell.window, self._actions)
        self._shortcuts_dialog.show()
        self._shortcuts_dialog.raise_()

    def edit_shortcuts(self) -> None:
        dialog = ShortcutEditor(self.shortcut_bindings, self.shell.window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_shortcut_bindings(dialog.bindings)

    def set_shortcut_bindings(self, bindings: Mapping[str, Sequence[str]]) -> None:
        """Use and store these keys (the help list shows them from now on)."""
        self.shortcut_bindings = {k: tuple(v) for k, v in bindings.items()}
        apply_bindings(self._actions, self.shortcut_bindings)
        save_bindings(self.shell.settings, self.shortcut_bindings)
        self._shortcuts_dialog = None  # the help list is rebuilt with the new keys

    def show_about(self) -> None:
        from tracknet_studio import __version__

        QMessageBox.about(
            self.shell.window,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>"
            "Frame-exact ball annotation, TrackNet training and review.<br>"
            "Licensed under the Apache License 2.0.",
        )
