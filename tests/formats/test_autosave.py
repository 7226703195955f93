"""Autosave: edits reach disk within 2 s, recovery is found, and SIGKILL never loses old work."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.core import Project, Track
from tracknet_studio.formats.autosave import Autosaver, find_recovery, recovery_path_for
from tracknet_studio.formats.project_file import load_project


def wait_for(condition, timeout: float = 3.0) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def recovered_x(path: Path, frame: int) -> float:
    return float(load_project(path).project.labels.x[frame])


def test_an_edit_reaches_disk_within_two_seconds(tmp_path: Path) -> None:
    project = Project(labels=Track(100))
    recovery = recovery_path_for(tmp_path / "p.tnproj")
    with Autosaver(project, recovery, delay_s=0.3):
        project.labels.set_points([7], [12.0], [13.0])
        elapsed = wait_for(lambda: recovery.exists() and recovered_x(recovery, 7) == 12.0)
    assert elapsed < 2.0
    assert find_recovery(tmp_path / "p.tnproj") == recovery


def test_a_long_burst_of_edits_is_saved_during_the_burst(tmp_path: Path) -> None:
    project = Project(labels=Track(1000))
    recovery = tmp_path / "r.recovery"
    saver = Autosaver(project, recovery, delay_s=0.2)
    try:
        for i in range(80):  # 1.6 s of edits, never quiet for 0.2 s
            project.labels.set_points([i], [float(i)], [1.0])
            time.sleep(0.02)
        assert recovery.exists(), "a debounce that waits for quiet would not have written yet"
        assert recovered_x(recovery, 10) == 10.0
    finally:
        saver.close()
    assert recovered_x(recovery, 79) == 79.0, "close() flushes pending changes"


def test_explicit_save_clears_recovery_and_pending_write(tmp_path: Path) -> None:
    project = Project(labels=Track(10))
    recovery = tmp_path / "r.recovery"
    with Autosaver(project, recovery, delay_s=0.05) as saver:
        project.labels.set_no_ball([1])
        wait_for(recovery.exists)
        project.labels.set_no_ball([2])
        saver.saved()
        assert not saver.dirty
        time.sleep(0.2)
        assert not recovery.exists()


def test_unsaved_projects_recover_from_the_data_dir(tmp_path: Path) -> None:
    assert find_recovery(data_dir=tmp_path) is None
    first = recovery_path_for(None, data_dir=tmp_path)
    assert first.parent == tmp_path
    project = Project(labels=Track(5))
    with Autosaver(project, first, delay_s=0.05):
        project.labels.set_no_ball([0])
    assert find_recovery(data_dir=tmp_path) == first


def test_failed_writes_are_reported_and_retried(tmp_path: Path) -> None:
    project = Project(labels=Track(5))
    failures: list[Exception] = []
    calls = {"n": 0}

    def flaky_snapshot() -> bytes:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk full")
        return b"{}"

    recovery = tmp_path / "r.recovery"
    with Autosaver(
        project, recovery, delay_s=0.05, snapshot=flaky_snapshot, on_error=failures.append
    ):
        project.labels.set_no_ball([0])
        wait_for(recovery.exists, timeout=4)
    assert [str(e) for e in failures] == ["disk full"]


# ----- the crash test --------------------------------------------------------------------
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tracknet_studio.core import Project, Track
    from tracknet_studio.formats.autosave import Autosaver
    from tracknet_studio.formats.project_file import load_project

    recovery, side, n, first = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if recovery.exists():  # what the next start does: recover, then keep working
        project = load_project(recovery).project
    else:
        project = Project(labels=Track(n), video_path="match.mp4", fingerprint={"n": n})
    Autosaver(project, recovery, delay_s=0.5)
    with open(side, "a", buffering=1) as log:  # line-buffered: the kernel keeps it on SIGKILL
        for i in range(first, first + 20000):  # bounded; the parent kills long before
            project.labels.set_points([i % n], [float(i)], [1.0])
            log.write(f"{i} {time.time()}\\n")
            time.sleep(0.003)
    """
)
N_FRAMES = 200_000  # large enough that a write takes real time, and frames never wrap


def run_crash_test(tmp_path: Path, delays: list[float]) -> int:
    """Kill an editing child after each delay in turn; returns how many edits were checked."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    recovery = tmp_path / ".match.tnproj.recovery"
    side = tmp_path / "edits.log"
    side.touch()
    required: dict[int, float] = {}  # frame -> the least x it must hold from now on
    next_edit = 0
    for delay in delays:
        child = subprocess.Popen(
            [sys.executable, str(script), str(recovery), str(side), str(N_FRAMES), str(next_edit)]
        )
        try:
            time.sleep(delay)
            killed_at = time.time()
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=10)
        edits = [line.split() for line in side.read_text().splitlines() if line.strip()]
        for i, t in edits:
            if int(i) >= next_edit and float(t) < killed_at - 2.0:
                required[int(i) % N_FRAMES] = float(i)
        if edits:
            next_edit = int(edits[-1][0]) + 1
        if not recovery.exists():
            assert not required, "edits older than 2 s but no recovery file"
            continue
        x = load_project(recovery).project.labels.x  # never corrupt: this must load
        frames = np.fromiter(required, dtype=np.int64)
        wanted = np.fromiter(required.values(), dtype=np.float64)
        lost = frames[~(x[frames] >= wanted)]
        assert not len(lost), f"lost {len(lost)} edits older than 2 s, e.g. frame {lost[0]}"
    return len(required)


def test_sigkill_loses_nothing_older_than_two_seconds(tmp_path: Path) -> None:
    checked = run_crash_test(tmp_path, [3.2, 0.3])
    assert checked > 0, "the run was too short to check anything"


@pytest.mark.slow
def test_sigkill_at_fifty_random_moments(tmp_path: Path) -> None:
    rng = random.Random(2)
    checked = run_crash_test(tmp_path, [rng.uniform(0.2, 3.5) for _ in range(50)])
    assert checked > 100, "the runs were too short to check anything"
