"""Cyclic garbage is collected on the UI thread, never by a worker thread."""

from __future__ import annotations

import gc
import threading
import weakref

from tracknet_studio.ui.ui_thread_gc import UiThreadGarbageCollector, collect_on_ui_thread


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _garbage_cycles(collected_on: list[str], count: int = 5_000) -> weakref.ref:
    """`count` unreachable cycles (enough to pass the youngest generation's threshold); a
    weak reference to the first, whose collection records the thread that collected it."""
    first = _Cycle()
    weakref.finalize(first, lambda: collected_on.append(threading.current_thread().name))
    for _ in range(count):
        _Cycle()
    return weakref.ref(first)


def test_a_worker_allocating_never_collects_and_the_ui_thread_does(qapp, qtbot) -> None:
    collector = collect_on_ui_thread(qapp)  # the UI tests' fixture already started it
    assert not gc.isenabled()
    collected_on: list[str] = []
    gone = _garbage_cycles(collected_on)

    def allocate_a_lot() -> None:  # would pass every generation's threshold many times
        junk = [[i] for i in range(200_000)]
        del junk

    worker = threading.Thread(target=allocate_a_lot, name="worker")
    worker.start()
    worker.join(30)
    assert gone() is not None and collected_on == []
    qtbot.waitUntil(lambda: gone() is None, timeout=5_000)  # the timer, on this thread
    assert collected_on == [threading.current_thread().name]
    assert collect_on_ui_thread(qapp) is collector  # one per application


def test_stopping_collects_what_is_left_and_gives_collection_back(qapp) -> None:
    collector = UiThreadGarbageCollector()
    collector.start()
    collected_on: list[str] = []
    gone = _garbage_cycles(collected_on)
    collector.stop()
    assert gone() is None and gc.isenabled()
    collect_on_ui_thread(qapp)  # as the UI tests' fixture keeps it until their end
