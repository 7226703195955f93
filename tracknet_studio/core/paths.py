"""The application's own folders in the user's home, and its installed resources.

Each can be moved with an environment variable (tests and portable installs use them):
TRACKNET_STUDIO_DATA_DIR (demo clip, recovery files, the job list),
TRACKNET_STUDIO_CONFIG_DIR (cloud settings; Qt's settings live with QSettings),
TRACKNET_STUDIO_CACHE_DIR (packet indexes, looked-up container image URIs).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import platformdirs

APP_NAME = "tracknet-studio"
DATA_DIR_ENV = "TRACKNET_STUDIO_DATA_DIR"
CONFIG_DIR_ENV = "TRACKNET_STUDIO_CONFIG_DIR"
CACHE_DIR_ENV = "TRACKNET_STUDIO_CACHE_DIR"


def resource_dir() -> Path:
    """Icons, the style sheet and the shipped weights: package data of tracknet_studio,
    wherever it is installed (a wheel, a desktop bundle or this checkout)."""
    return Path(str(files("tracknet_studio") / "resources"))


def data_dir() -> Path:
    return _overridden(DATA_DIR_ENV) or platformdirs.user_data_path(APP_NAME, appauthor=False)


def config_dir() -> Path:
    return _overridden(CONFIG_DIR_ENV) or platformdirs.user_config_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    return _overridden(CACHE_DIR_ENV) or platformdirs.user_cache_path(APP_NAME, appauthor=False)


def _overridden(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) if value else None


def remove_stale_partials(folder: Path, prefix: str, suffix: str) -> list[Path]:
    """Delete `<prefix><pid>...<suffix>` files in `folder` left by a process that is gone
    (a save or an export killed before its rename): each name carries its writer's pid.
    Files of live processes are left alone. Returns what was removed."""
    removed = []
    try:
        candidates = list(folder.glob(f"{glob_escape(prefix)}*{glob_escape(suffix)}"))
    except OSError:
        return removed
    for path in candidates:
        pid_text = path.name[len(prefix) :].split(".", 1)[0].split("-", 1)[0]
        if pid_text.isdigit() and not _process_alive(int(pid_text)):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a platform that cannot tell: keep it
    return True
