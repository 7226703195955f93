"""The containers' dependencies as wheels, fetched once, so that no job installs anything
from the internet when it starts.

A pip install at start-up fails under network isolation or in a VPC without a NAT gateway,
and slows every cold start. The official PyTorch images bring Python, torch and numpy; our
code also needs what entrypoints/requirements.txt lists (PyAV, OpenCV, safetensors) and, for the
batch prediction job that runs the app's own modules, platformdirs. `container_wheels`
downloads wheels of exactly these for the image's Python and platform (manylinux x86_64,
what SageMaker's ml.* instances run) into the cache folder, once per requirement set;
jobs then install them with `pip install --no-index --find-links`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tracknet_studio.core.paths import cache_dir

from .bundle import entrypoints_dir

# Platform tags of SageMaker's x86_64 instances, newest first: pip takes the first that
# a package publishes. Graviton (ml.*g.* ARM) instances are not served.
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
APP_REQUIREMENTS = ("platformdirs>=4",)  # tracknet_studio.core.paths, in the batch job
STAMP = "requirements.txt"  # written last: a folder without it is an unfinished download


class WheelFetchError(RuntimeError):
    """pip could not fetch the wheels (no network, no wheel for that Python...)."""


def container_requirements() -> list[str]:
    """entrypoints/requirements.txt's requirements, then the app's own."""
    text = (entrypoints_dir() / "requirements.txt").read_text(encoding="utf-8")
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("-")] + list(APP_REQUIREMENTS)


def python_tag(py_version: str) -> str:
    """'py312' (the images' spelling) -> '3.12' (pip's)."""
    digits = py_version.removeprefix("py")
    if not digits.isdigit() or len(digits) < 2:
        raise ValueError(f"a Python version like py312 is needed, got {py_version!r}")
    return f"{digits[0]}.{digits[1:]}"


def wheel_folder(py_version: str) -> Path:
    return cache_dir() / "container-wheels" / f"cp{py_version.removeprefix('py')}-x86_64"


def container_wheels(
    py_version: str,
    requirements: Sequence[str] | None = None,
    *,
    pip_options: Sequence[str] = (),
    folder: Path | None = None,
) -> Path:
    """A folder of wheels that satisfy `requirements` (default: container_requirements)
    on CPython `py_version` for x86_64 Linux, downloaded on the first call only.

    `pip_options` go to pip as they are (an index URL, or --no-index --find-links DIR).
    Raises WheelFetchError with pip's own last lines when it fails."""
    wanted = list(requirements if requirements is not None else container_requirements())
    folder = folder or wheel_folder(py_version)
    stamp = "\n".join(wanted) + "\n"
    if (folder / STAMP).is_file() and (folder / STAMP).read_text(encoding="utf-8") == stamp:
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--only-binary=:all:", "--implementation", "cp",
               "--python-version", python_tag(py_version),
               *(f"--platform={tag}" for tag in PLATFORMS),
               "--dest", str(partial), *pip_options, *wanted]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise WheelFetchError(f"could not fetch the jobs' wheels ({', '.join(wanted)}): {tail}")
    (partial / STAMP).write_text(stamp, encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.replace(folder)
    return folder


def offline_requirements(requirements: Sequence[str], wheels_dir: str = "wheels") -> str:
    """A requirements file that installs from `wheels_dir` (relative to the file itself,
    as pip resolves --find-links in requirements files) and never from an index."""
    return "\n".join(["--no-index", f"--find-links {wheels_dir}", *requirements]) + "\n"
