"""`tracknet-studio cloud ...` in subprocesses, against moto in server mode on 127.0.0.1
(reached through AWS_ENDPOINT_URL, as a user would point the app at any endpoint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("boto3", reason="the cloud extra (boto3) is not installed")
pytest.importorskip("moto", reason="moto[server] is not installed")

from .conftest import SAGEMAKER_TRUST

pytestmark = pytest.mark.cloud


@pytest.fixture
def env(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10
    ).close()
    values = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "TRACKNET_STUDIO_CONFIG_DIR": str(tmp_path / "config"),
        "TRACKNET_STUDIO_DATA_DIR": str(tmp_path / "data"),
        "TRACKNET_POLL_S": "0.2",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    import boto3

    boto3.client("s3").create_bucket(Bucket="cli-bucket")
    boto3.client("iam").create_role(
        RoleName="sm", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST)
    )
    return {**os.environ}


def cloud(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracknet_studio", "cloud", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def save_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return cloud(
        env, "check", "--save", "--bucket", "cli-bucket", "--prefix", "cli",
        "--role-arn", "arn:aws:iam::123456789012:role/sm",
    )  # fmt: skip


def test_check_saves_settings_and_reports_each_point(env: dict[str, str], tmp_path: Path) -> None:
    done = save_settings(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   credentials" in done.stdout and "ok   bucket" in done.stdout
    assert "WARN cors" in done.stdout, "a fresh bucket lacks Ground Truth's rule: a warning"
    saved = json.loads((tmp_path / "config" / "cloud.json").read_text())
    assert saved["bucket"] == "cli-bucket" and "secret" not in json.dumps(saved).lower()
    missing = cloud(env, "check", "--bucket", "nope-bucket")
    assert missing.returncode == 1 and "FAIL bucket" in missing.stdout


def test_upload_then_skip(env: dict[str, str], tmp_path: Path) -> None:
    save_settings(env)
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(b"\0" * 5000)
    (folder / "a.csv").write_text("Frame,Visibility,X,Y\n")
    first = cloud(env, "upload", str(folder))
    assert first.returncode == 0, first.stderr
    assert (
        "2 files uploaded" in first.stdout and "s3://cli-bucket/cli/datasets/clips/" in first.stdout
    )
    second = cloud(env, "upload", str(folder))
    assert "0 files uploaded" in second.stdout and "2 already there" in second.stdout


@pytest.mark.slow  # each subprocess resolves an image URI once through sagemaker-core (~3 s)
def test_sagemaker_train_status_deploy_delete(env: dict[str, str]) -> None:
    save_settings(env)
    started = cloud(
        env, "train", "s3://cli-bucket/cli/featurized/x", "--backend", "sagemaker",
        "--hp", "epochs=3", "--spot", "--wait",
    )  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    name = started.stdout.split("started training job ")[1].split()[0]
    assert "artifact: s3://cli-bucket/cli/training/" in started.stdout
    status = cloud(env, "status", name)
    assert "Completed" in status.stdout and "sagemaker" in status.stdout
    listing = cloud(env, "status")
    assert name in listing.stdout

    deployed = cloud(env, "deploy", "s3://cli-bucket/m/model.tar.gz", "--backend", "sagemaker",
                     "--name", "cli-endpoint")  # fmt: skip
    assert deployed.returncode == 0 and "endpoint cli-endpoint" in deployed.stdout
    deleted = cloud(env, "delete", "cli-endpoint")
    assert deleted.returncode == 0, deleted.stderr
    import boto3

    assert boto3.client("sagemaker").list_endpoints()["Endpoints"] == []


def test_local_job_failure_is_reported(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = cloud(env, "process", str(tmp_path / "empty"), "--wait")
    assert done.returncode == 1
    assert "Failed" in done.stdout and "no video with a matching .csv" in done.stdout


def test_aws_errors_are_one_plain_line(env: dict[str, str]) -> None:
    done = cloud(env, "status", "no-such-job", "--backend", "sagemaker")
    assert done.returncode == 1 and done.stderr.startswith("error:")
    assert "Traceback" not in done.stderr


def test_label_import_from_s3(env: dict[str, str], tmp_path: Path) -> None:
    from tracknet_studio.core import Track
    from tracknet_studio.formats.csv_tracks import read_csv
    from tracknet_studio.formats.groundtruth_export import write_groundtruth

    save_settings(env)
    track = Track(30)
    track.set_points([2, 9], [11.0, 12.0], [21.0, 22.0])
    job_root = "s3://cli-bucket/cli/labeling-output/gt-job/"
    write_groundtruth(track, tmp_path / "out", job_name="gt-job", base_uri=job_root)
    import boto3

    s3 = boto3.client("s3")
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            key = "cli/labeling-output/gt-job/" + path.relative_to(tmp_path / "out").as_posix()
            s3.put_object(Bucket="cli-bucket", Key=key, Body=path.read_bytes())
    done = cloud(env, "label", "import", "gt-job", "-o", str(tmp_path / "gt.csv"), "--frames", "30")
    assert done.returncode == 0, done.stderr
    assert "2 frames imported, 0 skipped" in done.stdout
    back, _ = read_csv(tmp_path / "gt.csv")
    assert list(back.labeled_frames()) == [2, 9]
    # A job started here is imported under its own label attribute (an adjustment job's
    # output carries the adjusted one too): a recorded attribute the output lacks fails so.
    from tracknet_studio.cloud.jobs import JobRecord, JobStore

    JobStore().put(JobRecord("gt-job", "labeling", "sagemaker", artifact=job_root
                             + "manifests/output/output.manifest",
                             details={"label_attribute": "ball-adjusted-ref"}))  # fmt: skip
    again = cloud(env, "label", "import", "gt-job", "-o", str(tmp_path / "g2.csv"))
    assert again.returncode == 1 and "no label attribute 'ball-adjusted-ref'" in again.stderr


@pytest.mark.slow  # loads torch and the shipped model in the subprocess
def test_local_deploy_invoke_delete(env: dict[str, str], tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the model extra is not installed")
    from tracknet_studio.inference.local import DEFAULT_WEIGHTS
    from tracknet_studio.synthetic import ClipSpec, generate_clip

    if not DEFAULT_WEIGHTS.exists():
        pytest.skip("no shipped weights")
    video = tmp_path / "clip.mp4"
    generate_clip(ClipSpec(width=320, height=180, frames=9, seed=1, players=0), video)
    deployed = cloud(env, "deploy", str(DEFAULT_WEIGHTS), "--name", "here")
    assert deployed.returncode == 0 and "endpoint here (local)" in deployed.stdout
    listing = cloud(env, "status")
    assert "here" in listing.stdout and "InService" in listing.stdout
    done = cloud(env, "invoke", "here", str(video), "-o", str(tmp_path / "pred.csv"))
    assert done.returncode == 0, done.stderr
    assert "of 9 frames" in done.stdout
    assert len((tmp_path / "pred.csv").read_text().splitlines()) >= 10
    deleted = cloud(env, "delete", "here")
    assert deleted.returncode == 0 and "Deleted" in cloud(env, "status").stdout


def test_cloud_predict_runs_a_local_batch_job_into_projects(
    env: dict[str, str], tmp_path: Path
) -> None:
    from .test_batch_prediction import make_clips

    clips = make_clips(tmp_path / "videos", 3)
    done = cloud(env, "predict", *map(str, clips), "--method", "motion", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "video 3/3" in done.stdout
    for clip in clips:
        assert f"added layer 'motion' to {clip.with_suffix('.tnproj')}" in done.stdout
    name = done.stdout.split("started local-prediction job ", 1)[1].split()[0]
    again = cloud(env, "results", name, "--layer", "batch")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("added layer 'batch'") == 3
    wrong = cloud(env, "results", "no-such-job")
    assert wrong.returncode == 1 and "no local job named no-such-job" in wrong.stderr
