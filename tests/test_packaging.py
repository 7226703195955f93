"""The wheel, as a user installs it: built from this checkout, installed into a fresh virtual
environment, and run from elsewhere with no source tree on the path.

The fresh environment gets the wheel itself (no editable link), and finds the third-party
dependencies through a .pth line naming this environment's site-packages (a plain path:
its editable-install hooks do not run), so the test needs no network and stays quick.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tracknet_studio import __version__

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(ROOT)],
        check=True, cwd=build, env={**os.environ, "PIP_NO_CACHE_DIR": "1"},
    )  # fmt: skip
    [made] = out.glob("tracknet_studio-*.whl")
    return made


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the wheel installed; returns its bin folder."""
    env_dir = tmp_path_factory.mktemp("fresh")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", str(wheel)], check=True)  # fmt: skip
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)  # fmt: skip
    deps = sysconfig.get_paths()["purelib"]  # this environment's: torch, PySide6, av...
    (Path(site.stdout.strip()) / "zz-test-dependencies.pth").write_text(deps + "\n")
    return env_dir / "bin"


def run(bin_dir: Path, cwd: Path, *args: str, timeout: float = 300) -> str:
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(cwd),
        "QT_QPA_PLATFORM": "offscreen",
        **{k: v for k, v in os.environ.items() if k.startswith("TRACKNET_STUDIO_")},
    }
    done = subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_holds_the_resources_and_the_job_scripts(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "tracknet_studio/resources/style.qss",
        "tracknet_studio/resources/icons/play.svg",
        "tracknet_studio/resources/weights/fasttracknet/model.safetensors",
        "tracknet_studio/resources/weights/fasttracknet/config.json",
        "tracknet/entrypoints/train.py",
        "tracknet/entrypoints/featurize.py",
        "tracknet/entrypoints/inference.py",
        "tracknet/entrypoints/requirements.txt",
    } <= names
    assert not any(n.startswith(("tests/", "bench/", "scripts/")) for n in names)
    assert f"tracknet_studio-{__version__}-" in wheel.name


def test_the_installed_app_runs_from_anywhere(installed: Path, tmp_path: Path) -> None:
    where = run(installed, tmp_path, "python", "-c",
                "import tracknet, tracknet_studio; print(tracknet_studio.__file__); "
                "print(tracknet.__file__)")  # fmt: skip
    env_root = installed.parent
    for line in where.split():
        assert Path(line).is_relative_to(env_root), line  # the wheel's copy, not the checkout
    assert run(installed, tmp_path, "tracknet-studio", "--version").strip() == (
        f"tracknet-studio {__version__}"
    )
    run(installed, tmp_path, "tracknet-studio", "demo", "-o", "clip.mp4", "--track", "truth.csv",
        "--frames", "40")  # fmt: skip
    predicted = run(installed, tmp_path, "tracknet-studio", "predict", "clip.mp4", "-o",
                    "pred.csv", "--quiet")  # fmt: skip
    # The shipped weights ran (not the motion fallback, which says "motion, no model").
    assert "no model" not in predicted and int(predicted.split("ball in ")[1].split(";")[0]) > 0
    assert (tmp_path / "pred.csv").read_text().startswith("Frame,Visibility,X,Y")
    run(installed, tmp_path, "tracknet-studio", "export", "clip.mp4", "-o", "overlay.mp4",
        "--predictions", "pred.csv", "--quiet")  # fmt: skip
    assert (tmp_path / "overlay.mp4").stat().st_size > 1000


def test_the_installed_app_runs_a_tiny_local_featurize_and_train(
    installed: Path, tmp_path: Path
) -> None:
    data = tmp_path / "clips"
    data.mkdir()
    run(installed, data, "tracknet-studio", "demo", "-o", "a.mp4", "--track", "a.csv",
        "--form", "badminton", "--frames", "30")  # fmt: skip
    out = run(installed, tmp_path, "tracknet-studio", "cloud", "process", str(data), "--output",
              str(tmp_path / "featurized"), "--width", "160", "--height", "96", "--wait",
              "--poll", "0.2")  # fmt: skip
    assert "Completed" in out
    hps = {"epochs": 1, "batch-size": 2, "steps-per-epoch": 2, "workers": 0, "device": "cpu",
           "arch-kwargs": {"base": 4}, "height": 96, "width": 160}  # fmt: skip
    options = [f"--hp={key}={json.dumps(value)}" for key, value in hps.items()]
    out = run(installed, tmp_path, "tracknet-studio", "cloud", "train",
              str(tmp_path / "featurized"), *options, "--wait", "--poll", "0.2")  # fmt: skip
    assert "Completed" in out
    artifact = Path(out.split("artifact: ")[1].split()[0])
    assert (artifact / "model.safetensors").is_file()
    assert (artifact / "code" / "inference.py").is_file()
