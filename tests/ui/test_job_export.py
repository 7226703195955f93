"""File > Export Labels as a Ground Truth labeling job: frames in the background, cancellable."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2
import pytest

from tracknet_studio.ui import label_io, tasks
from tracknet_studio.video.framecode import read_frame_number

pytestmark = pytest.mark.ui


def test_adjustment_job_export_writes_every_frame_and_prefilled_labels(
    open_window, tmp_path: Path, qtbot
) -> None:
    window = open_window
    window.project.labels.set_points([3], [40.0], [30.0])
    folder = tmp_path / "job"
    task = label_io.export_labeling_job(window.shell, folder, "s3://b/jobs/job/", adjustment=True)
    assert task is not None and task.wait(20)
    qtbot.waitUntil(lambda: "job" in window.statusBar().toolTip())
    images = sorted((folder / "frames").glob("*.jpg"))
    assert len(images) == len(window.project.labels)
    rgb = cv2.cvtColor(cv2.imread(str(images[7])), cv2.COLOR_BGR2RGB)
    assert read_frame_number(rgb) == 7
    line = json.loads((folder / "manifests" / "input.manifest").read_text())
    assert line["ball-ref"].endswith("prelabels/SeqLabel.json")


def test_cancelled_job_export_leaves_nothing(
    open_window, tmp_path: Path, qtbot, monkeypatch
) -> None:
    window = open_window
    folder = tmp_path / "job"
    started = threading.Event()
    release = threading.Event()
    real_write = label_io.write_labeling_job

    def slow_write(*args, progress, **kwargs):
        def report(done: int, total: int) -> None:
            started.set()
            release.wait(5)
            progress(done, total)  # raises Cancelled once the task was cancelled

        return real_write(*args, progress=report, **kwargs)

    monkeypatch.setattr(label_io, "write_labeling_job", slow_write)
    task = label_io.export_labeling_job(window.shell, folder, "s3://b/j/", adjustment=False)
    assert started.wait(10)
    failures: list[BaseException] = []
    task.failed.connect(failures.append)
    task.cancel()
    release.set()
    assert task.wait(10)
    qtbot.waitUntil(lambda: bool(failures))
    assert isinstance(failures[0], tasks.Cancelled)
    qtbot.waitUntil(lambda: not folder.exists())


def test_job_export_refuses_a_folder_that_is_not_empty(
    open_window, tmp_path: Path, monkeypatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(open_window.shell, "show_error", lambda title, text: errors.append(text))
    (tmp_path / "old.txt").write_text("x")
    assert label_io.export_labeling_job(open_window.shell, tmp_path, "s3://b/", False) is None
    assert "empty folder" in errors[0]
