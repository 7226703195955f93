"""Status text is never stale and never cut without a sign (issue 23.6)."""

from __future__ import annotations

import numpy as np
import pytest

from tracknet_studio.core import Source, Visibility
from tracknet_studio.ui.undo import push_track_update

pytestmark = pytest.mark.ui


def test_the_review_readout_follows_an_import_of_every_frame(open_window, qtbot) -> None:
    window = open_window
    label = window.review.review_label
    qtbot.waitUntil(lambda: "unlabeled" in label.text())
    n = window.project.n_frames
    push_track_update(window.undo_stack, window.project.labels, np.arange(n), text="Import",
                      x=np.linspace(10, 150, n), y=np.full(n, 50.0),
                      visibility=Visibility.VISIBLE, source=Source.IMPORTED)  # fmt: skip
    qtbot.waitUntil(lambda: "unlabeled" not in label.text())
    assert label.text() in ("No problems", f"{len(window.review.review_queue)} problem frames")


def test_a_long_readout_ends_in_an_ellipsis_with_the_whole_text_as_tooltip(open_window) -> None:
    label = open_window.review.review_label
    text = "Problem 15 of 292: " + ", ".join(["implausible jump"] * 30)
    label.setText(text)
    label.resize(200, label.height())
    assert label.text() == text and label.toolTip() == text
    assert label.shown_text().endswith("…") and len(label.shown_text()) < len(text)


def test_a_long_status_message_ends_in_an_ellipsis(open_window) -> None:
    window = open_window
    bar = window.statusBar()
    text = "Layer 'model': ball in 280 of 300 frames; " + "a note that goes on; " * 20
    window.shell.say(text, 0)
    shown = bar.currentMessage()
    assert shown.endswith("…") and text.startswith(shown[:-1])
    assert bar.toolTip() == text
    window.shell.say("Saved", 0)
    assert bar.currentMessage() == "Saved"
    bar.clearMessage()
    assert bar.toolTip() == ""
