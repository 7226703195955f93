"""The jobs' wheels: fetched by pip itself for the container's Python and platform, once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracknet_studio.cloud.wheels import (
    STAMP,
    WheelFetchError,
    container_requirements,
    container_wheels,
    offline_requirements,
    python_tag,
)


def build_wheel(tmp_path: Path, name: str, tag: str = "py3-none-any") -> Path:
    """A tiny real wheel, in a local folder pip can use as its only index."""
    index = tmp_path / "index"
    index.mkdir(exist_ok=True)
    project = tmp_path / name
    (project / name).mkdir(parents=True)
    (project / name / "__init__.py").write_text("VALUE = 1\n")
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "1.0"\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(index), str(project)],
                   check=True)  # fmt: skip
    return index


def test_requirements_are_the_model_requirements_and_the_apps() -> None:
    requirements = container_requirements()
    assert {"av>=14", "opencv-python-headless>=4.9", "platformdirs>=4"} <= set(requirements)
    assert python_tag("py312") == "3.12" and python_tag("py39") == "3.9"
    with pytest.raises(ValueError, match="py312"):
        python_tag("3.12")


def test_wheels_are_fetched_once_with_pip(tmp_path: Path) -> None:
    index = build_wheel(tmp_path, "tinydep")
    options = ["--no-index", "--find-links", str(index)]
    folder = container_wheels("py312", ["tinydep"], pip_options=options,
                              folder=tmp_path / "wheels")  # fmt: skip
    assert [p.name for p in folder.glob("*.whl")] == ["tinydep-1.0-py3-none-any.whl"]
    assert (folder / STAMP).read_text() == "tinydep\n"
    for wheel in index.glob("*.whl"):
        wheel.unlink()  # a second call must not need pip at all
    assert container_wheels("py312", ["tinydep"], pip_options=options,
                            folder=tmp_path / "wheels") == folder  # fmt: skip


def test_a_failed_fetch_says_why_and_leaves_no_half_folder(tmp_path: Path) -> None:
    index = build_wheel(tmp_path, "tinydep")
    with pytest.raises(WheelFetchError, match="missingdep"):
        container_wheels("py312", ["tinydep", "missingdep"], folder=tmp_path / "wheels",
                         pip_options=["--no-index", "--find-links", str(index)])  # fmt: skip
    assert not (tmp_path / "wheels").exists()
    assert not (tmp_path / "wheels.partial").exists()


def test_offline_requirements_install_from_the_wheels_beside_them(tmp_path: Path) -> None:
    """pip reads --find-links in a requirements file relative to that file."""
    index = build_wheel(tmp_path, "tinydep")
    code = tmp_path / "code"
    (code / "wheels").mkdir(parents=True)
    for wheel in index.glob("*.whl"):
        wheel.rename(code / "wheels" / wheel.name)
    (code / "requirements.txt").write_text(offline_requirements(["tinydep"]))
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target),
                    "-r", str(code / "requirements.txt")], check=True, cwd=tmp_path)  # fmt: skip
    assert (target / "tinydep" / "__init__.py").is_file()
