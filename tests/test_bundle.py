"""Smoke test of the desktop bundle that `packaging/build` makes (dist/tracknet-studio/).

Building takes minutes and 1.4 GB (figures in packaging/README.md), too much for every CI
run: the test runs where a bundle has been built and skips, saying so, elsewhere. It runs
the bundle's own executable with a scrubbed environment (no Python of ours on the path):
the window on the demo clip, then predict a few frames with the shipped weights, export
them, and a local featurize job (the bundle runs its job scripts itself).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "tracknet-studio"
EXE = BUNDLE / "tracknet-studio"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not EXE.is_file(), reason="no bundle: build one with packaging/build"),
]


def run(cwd: Path, *args: str, timeout: float = 300) -> str:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
        "QT_QPA_PLATFORM": "offscreen",
        **{k: v for k, v in os.environ.items() if k.startswith("TRACKNET_STUDIO_")},
    }
    done = subprocess.run([str(EXE), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_bundle_opens_the_demo_predicts_and_exports(tmp_path: Path) -> None:
    assert "heavy modules loaded: none" in run(tmp_path, "--demo", "--quit-after-first-frame")
    run(tmp_path, "demo", "-o", "clip.mp4", "--track", "truth.csv", "--form", "badminton",
        "--frames", "30")  # fmt: skip
    predicted = run(tmp_path, "predict", "clip.mp4", "-o", "pred.csv", "--quiet")
    assert "no model" not in predicted and "ball in" in predicted
    run(tmp_path, "export", "clip.mp4", "-o", "overlay.mp4", "--predictions", "pred.csv",
        "--quiet")  # fmt: skip
    assert (tmp_path / "overlay.mp4").stat().st_size > 1000
    data = tmp_path / "clips"
    data.mkdir()
    (tmp_path / "clip.mp4").rename(data / "clip.mp4")
    (tmp_path / "truth.csv").rename(data / "clip.csv")
    out = run(tmp_path, "cloud", "process", str(data), "--output", str(tmp_path / "featurized"),
              "--width", "160", "--height", "96", "--wait", "--poll", "0.2")  # fmt: skip
    assert "Completed" in out, out


def test_the_bundle_finds_sagemaker_container_images(tmp_path: Path) -> None:
    script = tmp_path / "image.py"
    script.write_text(
        "from tracknet_studio.cloud.sagemaker_backend import image_uri\n"
        "from tracknet_studio.cloud.settings import CloudSettings\n"
        "print(image_uri(CloudSettings(), 'training', 'ml.m5.xlarge'))\n"
    )
    assert "pytorch-training" in run(tmp_path, str(script))
