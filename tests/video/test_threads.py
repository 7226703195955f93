"""Background threads: work made ahead of its consumer, priorities lowered for their own."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from tracknet_studio.video import threads
from tracknet_studio.video.threads import Ahead, lower_thread_priority


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
    monkeypatch.setattr(threads.sys, "platform", "darwin")
    monkeypatch.setattr(threads.os, "setpriority", lambda *args: pytest.fail("called"))
    assert lower_thread_priority(5) is False


def test_ahead_gives_the_items_in_order_then_what_stopped_them() -> None:
    def numbers():
        yield from range(5)
        raise ValueError("frame 5 is damaged")

    seen = []
    with pytest.raises(ValueError, match="frame 5"), Ahead(numbers, 2, name="t") as items:
        seen.extend(items)
    assert seen == [0, 1, 2, 3, 4]


def test_closing_ahead_stops_its_thread_and_closes_the_iterator_there() -> None:
    closed_on: list[str] = []

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed_on.append(threading.current_thread().name)

    ahead = Ahead(endless, 3, name="making-ahead")
    items = iter(ahead)
    assert [next(items) for _ in range(4)] == [0, 1, 2, 3]
    ahead.close()
    assert closed_on == ["making-ahead"]  # what it holds is freed by its own thread
    assert not [t for t in threading.enumerate() if t.name == "making-ahead"]


def test_ahead_waits_for_a_slow_consumer_without_dropping_an_error() -> None:
    def failing():
        yield 1
        raise OSError("the disk went away")

    ahead = Ahead(failing, 1, name="t")
    items = iter(ahead)
    assert next(items) == 1
    time.sleep(0.2)  # the error waits in the queue meanwhile
    with pytest.raises(OSError, match="went away"):
        next(items)
    ahead.close()


@pytest.mark.skipif(sys.platform != "linux", reason="threads have their own priority on Linux")
def test_ahead_can_run_below_its_consumer() -> None:
    def niceness_there():
        yield niceness()

    with Ahead(niceness_there, 1, name="t", niceness=4) as items:
        assert list(items) == [min(niceness() + 4, 19)]
