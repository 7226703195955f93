"""The `tracknet-studio demo` command and the built-in demo clip."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import av
import pytest

from tracknet_studio.core.paths import DATA_DIR_ENV
from tracknet_studio.synthetic import ClipSpec, demo
from tracknet_studio.synthetic.demo import ensure_demo_clip

CLI = Path(sys.executable).parent / "tracknet-studio"


def test_cli_writes_a_playable_clip_and_one_csv_row_per_frame(tmp_path):
    video, track = tmp_path / "clip.mp4", tmp_path / "track.csv"
    result = subprocess.run(
        [
            str(CLI),
            "demo",
            "-o",
            str(video),
            "--track",
            str(track),
            "--seed",
            "4",
            "--width",
            "320",
            "--height",
            "180",
            "--frames",
            "36",
            "--fps",
            "25",
            "--sport",
            "badminton",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "36/36" in result.stderr  # the progress bar reached the end
    assert "36 frames 320x180" in result.stdout
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.average_rate == 25
        frames = list(container.decode(video=0))
    assert len(frames) == 36
    assert (frames[0].width, frames[0].height) == (320, 180)
    with track.open(newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + 36


def test_cli_refuses_a_bad_size_with_a_message(tmp_path):
    result = subprocess.run(
        [str(CLI), "demo", "-o", str(tmp_path / "x.mp4"), "--width", "321"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "321" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.mp4").exists()


@pytest.fixture
def small_demo(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setattr(demo, "DEMO_SPEC", ClipSpec(width=320, height=180, frames=12, seed=7))
    return tmp_path / "data"


def test_demo_clip_is_generated_once_and_reused(small_demo, monkeypatch):
    video, track = ensure_demo_clip()
    assert video.parent == small_demo / "demo" and video.is_file() and track.is_file()
    stamps = (video.stat().st_mtime_ns, track.stat().st_mtime_ns)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the demo clip was generated again")

    monkeypatch.setattr(demo, "generate_clip", must_not_run)
    assert ensure_demo_clip() == (video, track)
    assert (video.stat().st_mtime_ns, track.stat().st_mtime_ns) == stamps
    assert sorted(p.name for p in video.parent.iterdir()) == sorted([video.name, track.name])


def test_demo_clip_is_regenerated_when_incomplete(small_demo):
    video, track = ensure_demo_clip()
    track.unlink()
    seen = []
    assert ensure_demo_clip(progress=lambda d, t: seen.append(d)) == (video, track)
    assert track.is_file() and seen[-1] == 12
