"""`tracknet-studio export` end to end, in a subprocess like a user runs it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

from tracknet_studio.core import Project, Source, Track, Visibility
from tracknet_studio.formats import CsvForm, save_project, write_csv


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tracknet_studio", "export", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def ball_track(n: int) -> Track:
    return Track.from_columns(
        n,
        x=40 + 2.0 * np.arange(n),
        y=np.full(n, 60.0),
        visibility=np.full(n, Visibility.VISIBLE, np.int8),
        source=np.full(n, Source.HUMAN, np.int8),
        confidence=np.full(n, 0.8, np.float32),
    )


def video_facts(path: Path) -> tuple[int, int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames, stream.codec_context.width, stream.codec_context.height


def test_export_with_labels_predictions_range_and_size(
    make_clip: Callable[..., Any], tmp_path: Path
) -> None:
    clip = make_clip("mp4")
    labels, predictions = tmp_path / "labels.csv", tmp_path / "model.csv"
    write_csv(ball_track(clip.frame_count), labels, CsvForm.BADMINTON)
    write_csv(ball_track(clip.frame_count), predictions, CsvForm.PREDICTION, fps=30)
    out = tmp_path / "out.mp4"
    done = run_cli(
        clip.path, "-o", out, "--labels", labels, "--predictions", predictions,
        "--range", "10:40", "--size", "384x216", "--trail", "5", "--info", "--legend",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "30/30 frames" in done.stderr  # the progress bar's last state
    assert f"wrote {out}: 30 frames" in done.stdout
    assert video_facts(out) == (30, 384, 216)


def test_export_from_a_project(make_clip: Callable[..., Any], tmp_path: Path) -> None:
    clip = make_clip("mp4")
    project = tmp_path / "p.tnproj"
    n = clip.frame_count
    save_project(Project(labels=ball_track(n), predictions={"m": ball_track(n)}), project)
    out = tmp_path / "out.mp4"
    done = run_cli(clip.path, "-o", out, "--project", project, "--quiet")
    assert done.returncode == 0, done.stderr
    assert video_facts(out)[0] == n


def test_a_project_of_another_video_needs_force(
    make_clip: Callable[..., Any], tmp_path: Path
) -> None:
    """As the window warns: labels belong to exact frames of the video they were made on."""
    from tracknet_studio.video import VideoReader

    clip, other = make_clip("mp4"), make_clip("mkv")
    with VideoReader(other.path) as reader:
        labelled_on = dict(reader.fingerprint)
    n = clip.frame_count
    project = tmp_path / "p.tnproj"
    save_project(Project(labels=ball_track(n), fingerprint=labelled_on), project)
    out = tmp_path / "out.mp4"
    done = run_cli(clip.path, "-o", out, "--project", project, "--quiet")
    assert done.returncode != 0 and "labelled on another video" in done.stderr
    assert not out.exists()
    done = run_cli(clip.path, "-o", out, "--project", project, "--quiet", "--force")
    assert done.returncode == 0, done.stderr


def test_errors_name_the_file_and_leave_no_output(
    make_clip: Callable[..., Any], tmp_path: Path
) -> None:
    clip = make_clip("mp4")
    out = tmp_path / "out.mp4"
    missing = tmp_path / "nope.csv"
    done = run_cli(clip.path, "-o", out, "--labels", missing)
    assert done.returncode == 1 and str(missing) in done.stderr
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    done = run_cli(broken, "-o", out, "--labels", missing)
    assert done.returncode == 1 and str(broken) in done.stderr
    done = run_cli(clip.path, "-o", out)
    assert done.returncode == 2 and "nothing to draw" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4"]


def test_ctrl_c_leaves_no_output(make_clip: Callable[..., Any], tmp_path: Path) -> None:
    clip = make_clip("mp4", frame_count=3000, width=320, height=180)
    labels = tmp_path / "labels.csv"
    write_csv(ball_track(clip.frame_count), labels, CsvForm.BADMINTON)
    out = tmp_path / "out.mp4"
    command = [sys.executable, "-m", "tracknet_studio", "export", str(clip.path), "-o", str(out),
               "--labels", str(labels)]  # fmt: skip
    # The child starts with Ctrl+C's default action even where this test runs with SIGINT
    # ignored (a background job's inheritance): it passed alone and failed in a full run.
    default_ctrl_c = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                               preexec_fn=default_ctrl_c)  # fmt: skip
    assert process.stderr is not None
    seen = ""
    while not seen.endswith("frames") and process.poll() is None:
        seen += process.stderr.read(1)  # the bar's first line comes at frame 1: under way
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "cancelled" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv"]


def test_convert_says_when_it_ties_a_project_to_another_video(
    make_clip: Callable[..., Any], tmp_path: Path
) -> None:
    clip = make_clip("mp4")
    project = tmp_path / "p.tnproj"
    elsewhere = {"size": 1, "hash": "x", "frame_count": 1}
    save_project(Project(labels=ball_track(clip.frame_count), fingerprint=elsewhere), project)
    done = subprocess.run(
        [sys.executable, "-m", "tracknet_studio", "convert", str(project),
         str(tmp_path / "q.tnproj"), "--video", str(clip.path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "labels were made on another video" in done.stderr
