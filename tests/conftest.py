"""Fixtures shared by the whole suite: an isolated cache folder and numbered test clips."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tracknet_studio.core.paths import CACHE_DIR_ENV, CONFIG_DIR_ENV, DATA_DIR_ENV
from tracknet_studio.synthetic.numbered import CLIP_KINDS, Clip, write_numbered_clip

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def isolated_user_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the test run's data, settings and caches out of the user's folders (the demo
    clip, recovery files, the job list, cloud settings, packet indexes)."""
    root = tmp_path_factory.mktemp("user")
    variables = {DATA_DIR_ENV: "data", CONFIG_DIR_ENV: "config", CACHE_DIR_ENV: "cache"}
    old = {name: os.environ.get(name) for name in variables}
    for name, folder in variables.items():
        os.environ[name] = str(root / folder)
    yield root
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder, or a skip when this checkout has none."""
    path = Path(os.environ.get("TRACKNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} is absent")
    return path


@pytest.fixture(scope="session")
def make_clip(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Clip]:
    """Factory: ``make_clip("mkv")`` writes (once per session) a numbered clip of that kind."""
    folder = tmp_path_factory.mktemp("clips")
    made: dict[tuple[str, str], Clip] = {}

    def make(kind: str, **kwargs: object) -> Clip:
        key = (kind, repr(sorted(kwargs.items())))
        if key not in made:
            name = f"{kind}-{len(made)}{CLIP_KINDS[kind][0]}"
            made[key] = write_numbered_clip(folder / name, kind, **kwargs)  # type: ignore[arg-type]
        return made[key]

    return make
