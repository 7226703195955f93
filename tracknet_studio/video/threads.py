"""Background threads: work done ahead of its consumer, and yielding the CPU to it."""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL = 0.05  # seconds between looks at the stop flag while a queue is full or empty


class Ahead(Generic[T]):
    """The items of an iterator, made on a thread of its own up to `depth` ahead of their
    consumer (decoding while a network or an encoder works: both release the GIL).

    Items come out in order; what the iterator raises comes out where it stopped, never
    dropped however slow the consumer. `close()` (or leaving a `with`) stops the thread and
    waits for it, however far the consumer got, and the iterator is closed on that thread:
    whatever it holds (a reader, a container) is free afterwards. `niceness` lowers the
    thread's priority (see `lower_thread_priority`).
    """

    def __init__(
        self, make: Callable[[], Iterator[T]], depth: int, *, name: str, niceness: int = 0
    ) -> None:
        self._make, self._niceness = make, niceness
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue(max(1, depth))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._produce, name=name, daemon=True)

    def __enter__(self) -> Ahead[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        if self._thread.ident is None:
            self._thread.start()
        while True:
            try:
                kind, item = self._queue.get(timeout=_POLL)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise RuntimeError(f"the {self._thread.name} thread stopped") from None
                continue
            if kind == "end":
                return
            if kind == "error":
                raise item  # type: ignore[misc]
            yield item  # type: ignore[misc]

    def close(self) -> None:
        """Stop making items and wait for the thread."""
        self._stopping.set()
        if self._thread.ident is not None:
            self._thread.join()

    def _produce(self) -> None:
        if self._niceness:
            lower_thread_priority(self._niceness)
        try:
            items = self._make()
            try:
                while not self._stopping.is_set():
                    try:
                        item = next(items)
                    except StopIteration:
                        self._hand_over("end", None)
                        return
                    self._hand_over("item", item)
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:  # handed to the consumer, raised there
            self._hand_over("error", exc)

    def _hand_over(self, kind: str, item: object) -> None:
        """Queue `item` once there is room, unless the consumer stops first."""
        while not self._stopping.is_set():
            try:
                self._queue.put((kind, item), timeout=_POLL)
                return
            except queue.Full:
                continue


def lower_thread_priority(niceness: int) -> bool:
    """Lower the calling thread's scheduling priority by `niceness` (Linux only, where each
    thread has its own nice value; threads it starts afterwards inherit it). Returns whether
    it was lowered.

    For good: an unprivileged process cannot raise it again, so call this only on a thread
    made for the purpose. Elsewhere a thread id could name some other process, so nothing
    is done there.
    """
    if sys.platform != "linux":
        return False
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)
    except OSError:
        return False
    return True
