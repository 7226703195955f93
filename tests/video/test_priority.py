"""Background threads lower their own priority, and only their own."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from tracknet_studio.video import priority
from tracknet_studio.video.priority import lower_thread_priority


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="threads have their own priority on Linux")
def test_a_thread_lowers_its_own_priority_and_the_threads_it_starts_inherit_it() -> None:
    seen: dict[str, int] = {}

    def child() -> None:
        seen["child"] = niceness()

    def background() -> None:
        seen["before"] = niceness()
        seen["lowered"] = lower_thread_priority(3)
        seen["after"] = niceness()
        started = threading.Thread(target=child)
        started.start()
        started.join()

    caller = niceness()
    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert seen["lowered"] is True
    assert seen["after"] == min(seen["before"] + 3, 19)
    assert seen["child"] == seen["after"]
    assert niceness() == caller


def test_elsewhere_nothing_is_touched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(priority.sys, "platform", "darwin")
    monkeypatch.setattr(priority.os, "setpriority", lambda *args: pytest.fail("called"))
    assert lower_thread_priority(5) is False
