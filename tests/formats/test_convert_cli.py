"""`tracknet-studio convert`: every readable form to every writable one, with a report."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.cli import main
from tracknet_studio.core import Track
from tracknet_studio.formats.csv_tracks import read_csv, write_csv
from tracknet_studio.formats.groundtruth import read_groundtruth
from tracknet_studio.formats.project_file import load_project

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("TRACKNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
VOLLEYBALL = SHARED / "volleyball"


@pytest.fixture
def source_csv(tmp_path: Path) -> Path:
    track = Track(12)
    track.set_points([1, 2, 5], [100.0, 110.5, 130.0], [50.0, 55.0, 60.0])
    track.set_no_ball([7])
    path = tmp_path / "in.csv"
    write_csv(track, path)
    return path


def test_csv_to_groundtruth_to_project_to_csv_keeps_the_track(
    tmp_path: Path, source_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gt, project, back = tmp_path / "gt", tmp_path / "p.tnproj", tmp_path / "back.csv"
    assert main(["convert", str(source_csv), str(gt), "--n-frames", "12"]) == 0
    assert "4 frames imported, 0 skipped" in capsys.readouterr().out
    assert main(["convert", str(gt), str(project)]) == 0
    assert main(["convert", str(project), str(back)]) == 0
    original, _ = read_csv(source_csv)
    result, _ = read_csv(back)
    np.testing.assert_array_equal(result.x, original.x)
    np.testing.assert_array_equal(result.visibility, original.visibility)
    assert len(read_groundtruth(gt)[0]) == 12
    assert load_project(project).project.labels.labeled_frames().tolist() == [1, 2, 5, 7]


def test_skips_are_printed_with_their_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.csv"
    src.write_text("Frame,Visibility,X,Y\n0,1,10,10\n1,1,5000,10\n")
    assert main(["convert", str(src), str(tmp_path / "o.csv"), "--image-size", "1280x720"]) == 0
    out = capsys.readouterr().out
    assert "1 frames imported, 1 skipped" in out and "outside the 1280x720 image" in out
    assert "line 3" in out


def test_bad_input_exits_with_a_message_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.csv"
    src.write_text("Frame,Ball\n1,2\n")
    assert main(["convert", str(src), str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert f"{src}, line 1: unknown header" in err


@pytest.mark.skipif(not VOLLEYBALL.exists(), reason=f"{VOLLEYBALL} not found")
def test_volleyball_csv_with_options_and_video_makes_a_fingerprinted_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv, video = VOLLEYBALL / "VolleyballShortClip.csv", VOLLEYBALL / "VolleyballShortClip.mp4"
    out = tmp_path / "v.tnproj"
    assert main(["convert", str(csv), str(out)]) == 2
    assert "'visible'" in capsys.readouterr().err
    args = ["--normalized", "1280x720", "--state-code-visibility", "--video", str(video)]
    assert main(["convert", str(csv), str(out), *args]) == 0
    project = load_project(out).project
    assert project.fingerprint is not None and project.video_path == str(video)
    assert project.n_frames == project.fingerprint["frame_count"] == 21
    assert project.labels.x[0] == pytest.approx(0.43828125 * 1280)


@pytest.mark.parametrize("target", ["labeling-job", "adjustment-job"])
def test_job_export_writes_exact_frames_and_a_manifest_that_points_at_them(
    tmp_path: Path, source_csv: Path, make_clip, target: str
) -> None:
    import json

    import cv2

    from tracknet_studio.video.framecode import read_frame_number

    clip = make_clip("mp4")
    out = tmp_path / "job"
    base = "s3://bucket/jobs/rally1/"
    args = ["convert", str(source_csv), str(out), "--to", target, "--video", str(clip.path)]
    assert main([*args, "--base-uri", base, "--frames", "2:12", "--every", "3"]) == 0
    images = sorted((out / "frames").glob("*.jpg"))
    wanted = [2, 5, 8, 11]
    assert len(images) == len(wanted)
    for image, n in zip(images, wanted, strict=True):
        assert str(n) in image.stem  # the name carries the exact video frame number
        rgb = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)
        assert read_frame_number(rgb) == n  # and the picture is that frame
    line = json.loads((out / "manifests" / "input.manifest").read_text())
    assert line["source-ref"].startswith(base)
    sequence = json.loads((out / line["source-ref"][len(base) :]).read_text())
    assert sequence["number-of-frames"] == len(wanted)
    assert [f["frame"] for f in sequence["frames"]] == [p.name for p in images]
    assert ("ball-ref" in line) == (target == "adjustment-job")
    config = json.loads((out / "label-category-config.json").read_text())
    assert config["annotationType"] == "Keypoint"


def test_job_export_without_video_is_refused(
    tmp_path: Path, source_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["convert", str(source_csv), str(tmp_path / "job"), "--to", "labeling-job"]
    assert main([*args, "--base-uri", "s3://b/x/"]) == 1
    assert "--video" in capsys.readouterr().err
