"""Batch prediction: many videos through the predictor of `tracknet-studio predict`, as a
local job and as the script a SageMaker processing job runs, and the results brought back
into the videos' projects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.cli import main as cli
from tracknet_studio.cloud.jobs import JobStore
from tracknet_studio.cloud.local_backend import LocalBackend
from tracknet_studio.cloud.prediction import video_key, video_layout
from tracknet_studio.core import Track
from tracknet_studio.formats.csv_tracks import CsvOptions, read_csv
from tracknet_studio.formats.project_file import load_project, save_project
from tracknet_studio.inference.batch import import_results, main
from tracknet_studio.synthetic import ClipSpec, generate_clip
from tracknet_studio.video import VideoReader

pytestmark = pytest.mark.cloud


def make_clips(folder: Path, count: int = 3, frames: int = 40) -> list[Path]:
    """Short synthetic rallies; two share a file name in different folders."""
    clips = []
    for i in range(count):
        sub = folder / ("a" if i % 2 == 0 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"rally{i // 2}.mp4"
        generate_clip(ClipSpec(width=640, height=360, frames=frames, seed=41 + i, players=0), path)
        clips.append(path)
    return clips


def test_the_layout_keeps_namesakes_apart_and_the_same_file_together(tmp_path: Path) -> None:
    first, second, _third = make_clips(tmp_path, 3, frames=6)
    assert first.name == second.name  # a/rally0.mp4 and b/rally0.mp4
    layout = video_layout([first, second])
    assert len(layout) == 2 and len({key.split("/")[0] for key in layout}) == 2
    copy = tmp_path / "elsewhere" / first.name
    copy.parent.mkdir()
    copy.write_bytes(first.read_bytes())
    assert video_key(copy) == video_key(first) != video_key(second)
    with pytest.raises(FileNotFoundError, match="no video"):
        video_layout([tmp_path / "missing.mp4"])


def test_the_batch_script_predicts_each_video_and_reports_a_bad_one(tmp_path: Path) -> None:
    videos = tmp_path / "in"
    make_clips(videos, 2)
    (videos / "broken.mp4").write_bytes(b"not a video")
    out = tmp_path / "out"
    code = main(["--input", str(videos), "--output", str(out), "--method", "motion",
                 "--overlay"])  # fmt: skip
    assert code == 1  # one video failed, the others were predicted
    broken = json.loads((out / "broken.json").read_text())
    assert broken["error"] and broken["frames"] == 0
    found = 0
    for relative in ("a/rally0", "b/rally0"):
        summary = json.loads((out / f"{relative}.json").read_text())
        assert summary["error"] == "" and summary["frames"] == 40
        # The same predictor as `tracknet-studio predict`: the very same file.
        alone = tmp_path / "alone.csv"
        assert cli(["predict", str(videos / f"{relative}.mp4"), "-o", str(alone),
                    "--method", "motion", "--quiet"]) == 0  # fmt: skip
        assert (out / f"{relative}.csv").read_bytes() == alone.read_bytes()
        track = read_csv(out / f"{relative}.csv", CsvOptions())[0]
        assert int(track.has_ball.sum()) == summary["found"]
        found += summary["found"]
        with VideoReader(out / f"{relative}.overlay.mp4") as overlay:
            assert overlay.frame_count == 40
    assert found > 0


def test_a_local_batch_job_predicts_three_videos_into_their_projects(tmp_path: Path) -> None:
    clips = make_clips(tmp_path / "videos", 3)
    # One video already has a project with labels and a layer of the same name: the labels
    # stay and the new layer gets a new name.
    from tracknet_studio.core.project import new_project_for

    with VideoReader(clips[1]) as reader:
        project = new_project_for(reader)
    project.labels.set_points([3], [10.0], [20.0])
    project.add_prediction("motion", Track(len(project.labels)))
    save_project(project, clips[1].with_suffix(".tnproj"))

    backend = LocalBackend(JobStore(tmp_path / "jobs.json"), tmp_path / "work")
    record = backend.start_prediction(clips, method="motion")
    done = backend.wait(record.name, timeout=120, poll_s=0.2)
    assert done.status == "Completed", (done.failure_reason, backend.logs(record.name))
    assert any("video 3/3" in line for line in backend.logs(record.name))
    assert done.details["videos"] == video_layout(clips)

    imported = import_results(done.details["videos"], Path(done.artifact), "motion")
    assert imported.problems == [] and imported.kept == {}
    assert sorted(imported.written) == sorted(c.with_suffix(".tnproj") for c in clips)
    for clip in clips:
        loaded = load_project(clip.with_suffix(".tnproj")).project
        csv = Path(done.artifact) / video_key(clip) / f"{clip.stem}.csv"
        layer = "motion 2" if clip == clips[1] else "motion"
        got = loaded.predictions[layer]
        expected, _ = read_csv(csv, CsvOptions(n_frames=len(got)))
        assert np.array_equal(got.has_ball, expected.has_ball)
        assert np.array_equal(got.x, expected.x, equal_nan=True)
        assert Path(loaded.video_path) == clip.resolve()
    assert load_project(clips[1].with_suffix(".tnproj")).project.labels.has_ball[3]

    # The window's open video is left to the window: its track comes back, no file.
    again = import_results(done.details["videos"], Path(done.artifact), "motion",
                           keep=[clips[0]])  # fmt: skip
    assert list(again.kept) == [clips[0].resolve()]
    assert len(again.written) == 2
    assert set(load_project(clips[0].with_suffix(".tnproj")).project.predictions) == {"motion"}


def test_import_says_which_videos_had_no_result(tmp_path: Path) -> None:
    [clip] = make_clips(tmp_path / "videos", 1, frames=6)
    layout = video_layout([clip])
    imported = import_results(layout, tmp_path / "empty", "motion")
    assert imported.written == []
    assert imported.problems == [f"{clip.name}: no result (the job skipped it?)"]
    assert not clip.with_suffix(".tnproj").exists()


def test_the_job_knows_the_methods_the_predictor_has() -> None:
    """cloud/ sits below inference/ and keeps its own list to refuse a bad method before
    a job starts; it must be the same list."""
    from tracknet_studio.cloud import prediction
    from tracknet_studio.inference import methods

    assert prediction.METHODS == methods.METHODS
    with pytest.raises(ValueError, match="unknown method"):
        prediction.batch_arguments("in", "out", method="magic", weights=None, overlay=False)


def test_an_unreadable_video_fails_before_the_model_loads(tmp_path: Path) -> None:
    """Loading torch and the weights takes seconds: a bad video is said at once."""
    from tracknet_studio.inference.batch import predict_file
    from tracknet_studio.inference.motion import MotionPredictor
    from tracknet_studio.video import VideoError

    loads: list[int] = []

    class Recording(MotionPredictor):
        def load(self) -> None:
            loads.append(1)

    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(VideoError):
        predict_file(tmp_path / "bad.mp4", tmp_path / "out.csv", Recording())
    assert loads == []
    [clip] = make_clips(tmp_path / "videos", 1, frames=6)
    predict_file(clip, tmp_path / "out.csv", Recording())
    assert loads == [1]
