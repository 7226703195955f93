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
