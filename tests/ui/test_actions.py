"""The action table: every row has a live shortcut, a menu entry and a line in the help."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QKeySequence

from tracknet_studio.ui.actions import ACTIONS, MENUS, PREDICTION, handler_of, shortcut_text
from tracknet_studio.ui.dialogs import ShortcutsDialog

pytestmark = pytest.mark.ui


def test_table_is_consistent():
    ids = [row.id for row in ACTIONS]
    assert len(ids) == len(set(ids))
    keys = [QKeySequence(k).toString() for row in ACTIONS for k in row.shortcuts]
    assert len(keys) == len(set(keys)), "two actions share a key"
    assert all(row.menu in MENUS for row in ACTIONS)
    assert all(QKeySequence(k).count() == 1 for row in ACTIONS for k in row.shortcuts)


def record_handlers(window, monkeypatch, rows=ACTIONS) -> list[str]:
    """Replace each row's handler on its controller by a recorder (no dialogs, no quitting);
    the action looks its handler up when triggered, so the recorder is what runs."""
    called: list[str] = []
    for row in rows:
        owner, _, name = row.handler.rpartition(".")
        target = handler_of(window, owner) if owner else window
        monkeypatch.setattr(target, name, lambda h=row.handler: called.append(h))
    return called


def test_every_handler_exists(window):
    for row in ACTIONS:
        assert callable(handler_of(window, row.handler)), row.handler


def press(qtbot, window, text: str) -> None:
    combo = QKeySequence(text)[0]
    qtbot.keyClick(window.view, combo.key(), combo.keyboardModifiers())


def test_every_shortcut_triggers_its_handler(open_window, qtbot, monkeypatch):
    window = open_window
    window.project.predictions["model"] = window.project.labels.copy()
    window.editing.layers_changed.emit(window.project)  # a prediction layer: all can run
    called = record_handlers(window, monkeypatch)
    for row in ACTIONS:
        assert window.action_by_id[row.id].isEnabled(), row.id
        for text in row.shortcuts:
            called.clear()
            press(qtbot, window, text)
            assert called == [row.handler], f"{text!r} should trigger {row.id}"


def test_actions_that_cannot_run_are_greyed_out(window, qtbot, monkeypatch, ui_clip):
    called = record_handlers(window, monkeypatch)
    for row in ACTIONS:
        assert window.action_by_id[row.id].isEnabled() == (row.needs == ""), row.id
    press(qtbot, window, "Right")
    press(qtbot, window, "1")
    assert called == []  # no video: stepping and labelling keys do nothing
    window.files.open_video(ui_clip.path)
    qtbot.waitUntil(lambda: window.action_by_id["step.next"].isEnabled(), timeout=10_000)
    for row in ACTIONS:
        assert window.action_by_id[row.id].isEnabled() == (row.needs != PREDICTION), row.id


def test_menus_are_built_from_the_table(window):
    for row in ACTIONS:
        action = window.action_by_id[row.id]
        assert action.text() == row.text
        menu = window.menus[row.menu]
        assert action in menu.actions()
        assert [s.toString() for s in action.shortcuts()] == [
            QKeySequence(k).toString() for k in row.shortcuts
        ]
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == list(MENUS)


def test_shortcuts_dialog_lists_every_action(window, qtbot):
    window.help.show_shortcuts()
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.table.rowCount() == len(ACTIONS)
    for i, row in enumerate(ACTIONS):
        assert dialog.table.item(i, 0).text() == row.text.replace("&", "").rstrip("…")
        assert dialog.table.item(i, 1).text() == shortcut_text(row)
        assert dialog.table.item(i, 3).text() == row.help
    assert "Space" in shortcut_text(next(r for r in ACTIONS if r.id == "play.toggle"))
    dialog.close()


def test_quit_shortcut_closes_the_window(window, qtbot):
    from PySide6.QtCore import Qt

    qtbot.keyClick(window.view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()
