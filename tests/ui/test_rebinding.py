"""Rebinding shortcuts: the new key triggers, the old does not, conflicts are refused,
bindings persist in QSettings across windows, defaults come back, the help shows them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog

from tracknet_studio.ui import shortcut_editor
from tracknet_studio.ui.actions import ACTIONS, handler_of
from tracknet_studio.ui.dialogs import ShortcutsDialog
from tracknet_studio.ui.shortcut_editor import ShortcutEditor, default_bindings, load_bindings

pytestmark = pytest.mark.ui


def record_handler(window, monkeypatch, handler: str) -> list[str]:
    calls: list[str] = []
    owner, _, name = handler.rpartition(".")
    monkeypatch.setattr(handler_of(window, owner), name, lambda: calls.append(handler))
    return calls


def test_rebound_key_triggers_and_the_old_one_does_not(window, qtbot, monkeypatch):
    editor = ShortcutEditor(window.help.shortcut_bindings, window)
    assert editor.assign("edit.advance", "K")
    window.help.set_shortcut_bindings(editor.bindings)
    calls = record_handler(window, monkeypatch, "editing.toggle_advance_after_click")
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    assert calls == []
    qtbot.keyClick(window.view, Qt.Key.Key_K)
    assert calls == ["editing.toggle_advance_after_click"]
    assert "K" in window.action_by_id["edit.advance"].toolTip()


def test_conflicting_key_is_refused_with_a_clear_message(window):
    editor = ShortcutEditor(window.help.shortcut_bindings, window)
    assert not editor.assign("review.reject", "N")
    assert "Next Problem" in editor.message.text()
    assert editor.bindings["review.reject"] == ("R",)
    assert not editor.assign("edit.hit", "Ctrl+Z")
    assert "Undo" in editor.message.text()
    # Freeing the key first makes it available.
    editor.clear("review.next")
    assert editor.assign("review.reject", "N")


def test_bindings_persist_across_windows_and_reset_to_defaults(make_window, settings, qtbot):
    first = make_window()
    editor = ShortcutEditor(first.help.shortcut_bindings, first)
    assert editor.assign("view.magnifier", "Y")
    assert editor.assign("edit.hit", "G", replace=False)
    first.help.set_shortcut_bindings(editor.bindings)
    assert settings.value("shortcuts/view.magnifier") == "Y"
    assert settings.value("shortcuts/review.next") is None  # unchanged: not stored
    first.close()

    second = make_window()
    keys = [s.toString() for s in second.action_by_id["edit.hit"].shortcuts()]
    assert keys == ["H", "G"]
    assert load_bindings(settings)["view.magnifier"] == ("Y",)
    second.activateWindow()
    qtbot.waitUntil(second.isActiveWindow, timeout=2000)
    qtbot.keyClick(second.view, Qt.Key.Key_Y)
    assert second.action_by_id["view.magnifier"].isChecked()

    editor = ShortcutEditor(second.help.shortcut_bindings, second)
    editor.reset_all()
    second.help.set_shortcut_bindings(editor.bindings)
    assert second.help.shortcut_bindings == default_bindings()
    assert settings.value("shortcuts/view.magnifier") is None


def test_help_lists_the_current_bindings(window):
    editor = ShortcutEditor(window.help.shortcut_bindings, window)
    editor.assign("review.reject", "K")
    window.help.set_shortcut_bindings(editor.bindings)
    window.help.show_shortcuts()
    dialog = window.findChildren(ShortcutsDialog)[-1]
    row = [r.id for r in ACTIONS].index("review.reject")
    assert dialog.table.item(row, 1).text() == "K"
    dialog.close()


def test_the_dialog_buttons_and_the_menu_entry(window, qtbot, monkeypatch):
    def run(dialog: ShortcutEditor) -> int:
        dialog.select("edit.bounce")
        dialog.recorder.setKeySequence(QKeySequence("Ctrl+Shift+B"))
        dialog._replace_clicked()
        dialog.select("edit.hit")
        dialog.recorder.setKeySequence(QKeySequence("Ctrl+Shift+B"))
        dialog._add_clicked()  # refused: bounce has it now
        assert "Bounce" in dialog.message.text()
        dialog.select("edit.delete")
        dialog._reset_clicked()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(shortcut_editor.ShortcutEditor, "exec", run)
    window.action_by_id["help.edit_shortcuts"].trigger()
    assert window.help.shortcut_bindings["edit.bounce"] == ("Ctrl+Shift+B",)
    assert window.help.shortcut_bindings["edit.hit"] == ("H",)
