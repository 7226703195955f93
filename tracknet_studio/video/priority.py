"""Background threads that yield the CPU to the work that is waiting on them."""

from __future__ import annotations

import os
import sys
import threading


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
