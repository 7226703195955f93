"""Atomic file writes: a reader sees the old file or the new one, never a torn one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from tracknet_studio.core.paths import remove_stale_partials


def atomic_write_bytes(path: str | PathLike[str], data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder, fsync, os.replace.

    The file keeps the mode of the one it replaces (a new one gets the umask's), not the
    temporary file's 0600. Temporaries that a killed writer left beside it are removed."""
    atomic_write_files({Path(path): data})


def atomic_write_files(files: Mapping[Path, bytes]) -> None:
    """`atomic_write_bytes` for many files at once, renamed in the mapping's order once all
    are written (put a file that names the others last), each folder synced once: an
    export of a hundred files paid two syncs a file."""
    written: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            written.append((_write_temporary(Path(path), data), Path(path)))
        for tmp, target in written:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _target in written:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for folder in dict.fromkeys(target.parent for _tmp, target in written):
        _fsync_dir(folder)


def _write_temporary(target: Path, data: bytes) -> str:
    """`data` in a synced temporary file beside `target`; returns its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}."
    remove_stale_partials(target.parent, prefix, ".tmp")
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}.", suffix=".tmp", dir=target.parent)
    try:
        _set_mode(fd, target)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _set_mode(fd: int, target: Path) -> None:
    if not hasattr(os, "fchmod"):  # Windows: no POSIX modes to keep
        return
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_UMASK
    os.fchmod(fd, mode)


def _read_umask() -> int:
    # Read once, at import: os.umask can only be read by setting it, which is process-wide.
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _read_umask()


def atomic_write_text(path: str | PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
