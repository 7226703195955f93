"""Atomic writes keep the replaced file's mode and clear what a killed writer left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracknet_studio.core.paths import remove_stale_partials
from tracknet_studio.formats.atomic import atomic_write_text


def dead_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX file modes")
def test_a_save_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "match.tnproj"
    atomic_write_text(path, "one")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    path.chmod(0o640)
    atomic_write_text(path, "two")
    assert path.stat().st_mode & 0o777 == 0o640 and path.read_text() == "two"


def test_temporaries_of_a_killed_writer_are_removed_on_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "match.tnproj"
    stale = tmp_path / f".match.tnproj.{dead_pid()}.abc123.tmp"
    live = tmp_path / f".match.tnproj.{os.getppid()}.def456.tmp"  # a running process's
    other = tmp_path / f".other.tnproj.{dead_pid()}.x.tmp"
    for leftover in (stale, live, other):
        leftover.write_text("half")
    atomic_write_text(path, "whole")
    assert not stale.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == sorted(
        [live.name, other.name]
    )


def test_partial_exports_of_dead_processes_go(tmp_path: Path) -> None:
    dead = tmp_path / f".rally.partial-{dead_pid()}.mp4"
    mine = tmp_path / f".rally.partial-{os.getpid()}.mp4"
    dead.write_bytes(b"x")
    mine.write_bytes(b"x")
    assert remove_stale_partials(tmp_path, ".rally.partial-", ".mp4") == [dead]
    assert mine.exists()


def test_many_files_are_written_together_or_not_at_all(tmp_path: Path) -> None:
    from tracknet_studio.formats.atomic import atomic_write_files

    old = tmp_path / "a" / "one.json"
    old.parent.mkdir()
    old.write_bytes(b"old")
    files = {old: b"new one", tmp_path / "b" / "two.json": b"two", tmp_path / "last": b"3"}
    atomic_write_files(files)
    assert {p: p.read_bytes() for p in files} == files
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    with pytest.raises(OSError):  # the third file cannot be written: none is replaced
        atomic_write_files({old: b"newer", tmp_path / "b" / "two.json": b"2", blocker / "x": b""})
    assert old.read_bytes() == b"new one" and (tmp_path / "b" / "two.json").read_bytes() == b"two"
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
