"""`tracknet-studio [FILE] [--demo]` reaches the window with the right request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracknet_studio import cli
from tracknet_studio.ui import app


@pytest.fixture
def launched(monkeypatch) -> list[dict]:
    calls: list[dict] = []
    monkeypatch.setattr(app, "main", lambda **kwargs: calls.append(kwargs) or 0)
    return calls


def test_file_argument(launched):
    assert cli.main(["clip.mp4"]) == 0
    assert launched == [{"file": Path("clip.mp4"), "demo": False, "quit_after_first_frame": False}]


def test_demo_flag_and_no_argument(launched):
    cli.main(["--demo"])
    cli.main([])
    assert [(c["file"], c["demo"]) for c in launched] == [(None, True), (None, False)]


def test_a_file_wins_over_demo(launched):
    cli.main(["a.mkv", "--demo"])
    assert [(c["file"], c["demo"]) for c in launched] == [(Path("a.mkv"), False)]
