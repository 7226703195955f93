"""`tracknet-studio interpolate` end to end, in a subprocess like a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.core.project import Project
from tracknet_studio.core.track import Source, Track
from tracknet_studio.formats.project_file import load_project, save_project

KEYS = [0, 4, 8, 12, 16, 20, 24]


def lob(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return 200.0 + 8.0 * t, 600.0 - 30.0 * t + 1.5 * t**2


def run_cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracknet_studio", "interpolate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_rows(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


@pytest.fixture
def badminton_csv(tmp_path: Path) -> Path:
    """A badminton-form file listing only keyframes of a lob, then a no-ball run."""
    x, y = lob(np.array(KEYS, dtype=float))
    rows = [f"{f},1,{a:g},{b:g}" for f, a, b in zip(KEYS, x, y, strict=True)]
    rows += ["25,0,0,0", "26,0,0,0", "30,1,500,500"]
    path = tmp_path / "rally_ball.csv"
    path.write_text("Frame,Visibility,X,Y\n" + "\n".join(rows) + "\n")
    return path


def test_ballistic_fills_every_gap_of_a_lob_exactly(badminton_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "filled.csv"
    result = run_cli(badminton_csv, out, "--method", "ballistic")
    assert result.returncode == 0, result.stderr
    assert "filled 18 frames" in result.stdout
    rows = read_rows(out)
    np.testing.assert_array_equal(rows[:25, 0], np.arange(25))
    x, y = lob(np.arange(25.0))
    np.testing.assert_allclose(rows[:25, 2], x, atol=1e-3)
    np.testing.assert_allclose(rows[:25, 3], y, atol=1e-3)
    # The no-ball run blocks the gap 24..30: those frames stay without a row.
    assert rows[25:, 0].tolist() == [25, 26, 30]


def test_linear_with_max_gap_writes_the_requested_form(tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    short.write_text("Frame,Visibility,X,Y\n0,1,0,0\n2,1,2,2\n3,1,3,3\n12,1,12,12\n")
    out = tmp_path / "tennis.csv"
    result = run_cli(short, out, "--method", "linear", "--max-gap", "3", "--form", "tennis-a")
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "file name,visibility,x-coordinate,y-coordinate,status"
    names = [line.split(",")[0] for line in lines[1:]]
    # Only the 1-frame gap between 0 and 2 is short enough; 4..11 stays empty.
    assert names == ["0000.jpg", "0001.jpg", "0002.jpg", "0003.jpg", "0012.jpg"]
    assert lines[2] == "0001.jpg,1,1,1,0"
    assert "filled 1 frames (linear)" in result.stdout


def test_fill_no_ball_fills_a_detectors_misses(tmp_path: Path) -> None:
    src = tmp_path / "pred.csv"
    src.write_text(
        "Frame,Visibility,X,Y,Time\n0,1,10,10,0\n1,0,0,0,0.04\n2,0,0,0,0.08\n3,1,40,40,0.12\n"
    )
    out = tmp_path / "out.csv"
    assert "filled 0 frames" in run_cli(src, out).stdout
    result = run_cli(src, out, "--fill-no-ball", "--method", "linear", "--fps", "25")
    assert result.returncode == 0, result.stderr
    rows = read_rows(out)
    assert rows[:, 1].tolist() == [1, 1, 1, 1]
    np.testing.assert_allclose(rows[:, 2], [10, 20, 30, 40])
    np.testing.assert_allclose(rows[:, 4], [0, 0.04, 0.08, 0.12])  # the form's Time column


def test_bad_input_gets_a_clear_message_and_no_output(tmp_path: Path) -> None:
    src = tmp_path / "odd.csv"
    src.write_text("a,b,c\n1,2,3\n")
    out = tmp_path / "out.csv"
    result = run_cli(src, out)
    assert result.returncode == 2
    assert str(src) in result.stderr and "unknown header" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    missing = run_cli(tmp_path / "missing.csv", out)
    assert missing.returncode == 2 and "missing.csv" in missing.stderr


def test_a_project_keeps_its_other_layers_and_can_become_csv(tmp_path: Path) -> None:
    labels = Track(30)
    x, y = lob(np.array(KEYS, dtype=float))
    labels.set_points(KEYS, x, y)
    prediction = Track(30)
    prediction.set_points([3], [1.0], [2.0], source=Source.MODEL, confidence=0.4)
    src = tmp_path / "rally.tnproj"
    save_project(Project(labels=labels, predictions={"model": prediction}), src)

    out = tmp_path / "filled.tnproj"
    result = run_cli(src, out, "--max-gap", "3")
    assert result.returncode == 0, result.stderr
    project = load_project(out).project
    filled = project.labels
    assert (filled.source[1:24] != Source.NONE).all() and not filled.labeled[25:].any()
    np.testing.assert_allclose(filled.y[:25], lob(np.arange(25.0))[1], atol=1e-3)
    assert project.predictions["model"].equals(prediction)

    csv_out = tmp_path / "filled.csv"
    assert run_cli(src, csv_out).returncode == 0
    assert csv_out.read_text().startswith("Frame,Visibility,X,Y\n")
    assert len(read_rows(csv_out)) == 25
