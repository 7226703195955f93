"""Shared helpers of the project tests: scripted answers to questions, file dialogs, edits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from tracknet_studio.core import Source, Visibility
from tracknet_studio.ui import questions
from tracknet_studio.ui.undo import push_track_update


@dataclass
class Answers:
    """Replaces `choose`: answers from `queue`, else the last (safest) choice; records all."""

    queue: list[str] = field(default_factory=list)
    asked: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, parent, title, text, choices, **kwargs) -> str:
        self.asked.append((title, text))
        answer = self.queue.pop(0) if self.queue else choices[-1]
        assert answer in choices, (answer, choices)
        return answer

    @property
    def titles(self) -> list[str]:
        return [title for title, _ in self.asked]


def install_answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    answers = Answers()
    monkeypatch.setattr(questions, "choose", answers)
    return answers


def file_dialog_returns(
    monkeypatch: pytest.MonkeyPatch, path: Path | None, kind: str = "getSaveFileName"
) -> list[str]:
    """Make QFileDialog.<kind> return `path` (None: cancelled); returns the captions asked."""
    captions: list[str] = []

    def fake(parent=None, caption="", *args, **kwargs):
        captions.append(caption)
        return (str(path) if path is not None else ""), ""

    monkeypatch.setattr(QFileDialog, kind, staticmethod(fake))
    return captions


def place(window, frame: int, x: float = 40.0, y: float = 30.0) -> None:
    """A human edit through the window's undo stack, as an editor makes it."""
    push_track_update(
        window.undo_stack,
        window.project.labels,
        [frame],
        text="Place ball",
        x=x,
        y=y,
        visibility=Visibility.VISIBLE,
        source=Source.HUMAN,
    )
