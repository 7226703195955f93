"""The Cloud menu driven from the window: each action's dialog answered, its background work
run against the moto emulator (S3, SageMaker) or the local backend, and its real effect checked.

Dialogs never block: `_FormDialog.exec` is replaced by a filler that types into its fields
and presses OK; questions go through `questions.choose` (scripted answers) and the
S3 URI prompt through a patched `QInputDialog.getText`. moto has no Ground Truth API: the
CreateLabelingJob request is built and validated by botocore, then answered at the
before-call hook (validation runs before that hook, so a malformed request still fails).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("boto3", reason="the cloud extra (boto3) is not installed")

from botocore.awsrequest import AWSResponse
from cloud.conftest import (  # noqa: F401  (the emulator fixtures, used by name)
    BUCKET,
    REGION,
    aws,
    moto_url,
)
from moto_support import bucket_and_role
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDialog, QInputDialog, QLineEdit, QSpinBox

from tracknet_studio.cloud import sagemaker_backend
from tracknet_studio.cloud.jobs import JobRecord
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.core import Source
from tracknet_studio.ui import cloud_actions, cloud_labeling, label_io, questions
from tracknet_studio.ui.cloud_jobs import JOBS_FILE_KEY
from tracknet_studio.ui.cloud_settings import BACKEND_KEY, LOCAL, SAGEMAKER
from tracknet_studio.ui.main_window import MainWindow

from ._project_support import install_answers, place

pytestmark = [pytest.mark.ui, pytest.mark.cloud]

WORKTEAM = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/ball-team"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.6-gpu-py312"


@pytest.fixture
def cloud(aws: str, settings: QSettings, tmp_path: Path, monkeypatch) -> CloudSettings:  # noqa: F811
    """Saved cloud settings whose bucket and role exist in the emulator; SageMaker chosen.
    Image URIs are fixed: resolving them imports sagemaker-core (seconds), tested in
    tests/cloud."""

    role_arn = bucket_and_role().role_arn
    cloud = CloudSettings(
        region=REGION,
        bucket=BUCKET,
        prefix="tn",
        role_arn=role_arn,
        workteam_arn=WORKTEAM,
    )
    cloud.save()
    settings.setValue(BACKEND_KEY, SAGEMAKER)
    settings.setValue(JOBS_FILE_KEY, str(tmp_path / "jobs.json"))
    monkeypatch.setattr(sagemaker_backend, "image_uri", lambda *_args: IMAGE)
    return cloud


def answer_forms(
    monkeypatch: pytest.MonkeyPatch,
    texts: Sequence[str | None] = (),
    spins: Sequence[int] = (),
    combo: int | None = None,
) -> list[str]:
    """Every `_FormDialog` gets its line edits (in form order; None: left as proposed),
    spin boxes and first combo box filled, then OK. Returns the titles shown."""
    titles: list[str] = []

    def exec_(dialog: QDialog) -> int:
        titles.append(dialog.windowTitle())
        for edit, text in zip(dialog.findChildren(QLineEdit), texts, strict=False):
            if text is not None:
                edit.setText(text)
        for box, value in zip(dialog.findChildren(QSpinBox), spins, strict=False):
            box.setValue(value)
        if combo is not None:
            dialog.findChildren(QComboBox)[0].setCurrentIndex(combo)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(cloud_actions._FormDialog, "exec", exec_)
    return titles


def trigger(qtbot, window: MainWindow, action_id: str) -> None:
    """Trigger a Cloud menu action and wait for the background work it started."""
    window.action_by_id[action_id].trigger()
    qtbot.waitUntil(lambda: not window.cloud.tasks, timeout=20_000)


def s3_keys(prefix: str) -> list[str]:
    import boto3

    listing = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def sagemaker():
    import boto3

    return boto3.client("sagemaker", region_name=REGION)


def test_upload_dataset_puts_the_folder_in_the_bucket(
    qtbot, cloud, make_window, tmp_path: Path, monkeypatch
) -> None:
    dataset = tmp_path / "rally-set"
    (dataset / "clips").mkdir(parents=True)
    (dataset / "clips" / "a.csv").write_text("Frame,Visibility,X,Y\n0,1,10,20\n")
    (dataset / "b.bin").write_bytes(bytes(range(256)) * 40)
    titles = answer_forms(monkeypatch, [str(dataset)])  # "To": the proposed datasets/ prefix
    window = make_window()
    trigger(qtbot, window, "cloud.upload")
    assert titles == ["Upload Dataset"]
    assert s3_keys("tn/datasets/") == [
        "tn/datasets/rally-set/b.bin",
        "tn/datasets/rally-set/clips/a.csv",
    ]
    assert "Uploaded 2 files" in window.statusBar().toolTip()


def test_train_on_sagemaker_sends_the_expected_training_job(
    qtbot, cloud, make_window, monkeypatch
) -> None:
    data = cloud.s3_uri("featurized", "tn-featurize-1")
    titles = answer_forms(monkeypatch, [data], spins=[3, 4], combo=1)
    window = make_window()
    trigger(qtbot, window, "cloud.train")
    assert titles == [f"Train ({SAGEMAKER})"]
    [record] = window.cloud.store.all()
    assert record.kind == "training" and record.backend == SAGEMAKER
    job = sagemaker().describe_training_job(TrainingJobName=record.name)
    hps = job["HyperParameters"]
    # JSON-encoded, as the PyTorch toolkit decodes them into train.py's arguments.
    assert (hps["epochs"], hps["batch-size"], hps["arch"]) == ("3", "4", '"tracknetv2"')
    assert hps["sagemaker_program"].strip('"') == "train.py"
    [channel] = job["InputDataConfig"]
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == data
    assert job["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert job["RoleArn"] == cloud.role_arn
    bundle = hps["sagemaker_submit_directory"].strip('"')
    assert s3_keys("tn/code/") and bundle.split(f"{BUCKET}/", 1)[1] in s3_keys("tn/code/")
    panel = window.cloud.panel
    assert panel is not None and [r.name for r in panel.records()] == [record.name]


def test_train_on_the_local_backend_starts_train_py(
    qtbot, cloud, settings: QSettings, make_window, tmp_path: Path, monkeypatch
) -> None:
    settings.setValue(BACKEND_KEY, LOCAL)
    data = tmp_path / "featurized"
    data.mkdir()
    titles = answer_forms(monkeypatch, [str(data)], spins=[2, 1])
    window = make_window()
    trigger(qtbot, window, "cloud.train")
    assert titles == [f"Train ({LOCAL})"]
    [record] = window.cloud.store.all()
    try:
        assert record.kind == "local-train" and record.backend == LOCAL
        command = record.details["command"]
        assert Path(command[0]).name == "train.py"
        assert command[command.index("--epochs") + 1] == "2"
        assert command[command.index("--batch-size") + 1] == "1"
        assert command[command.index("--arch") + 1] == "fasttracknet"
        assert Path(record.artifact).parent == window.cloud.local.work_dir / record.name
    finally:
        window.cloud.local.stop(record.name)  # a real subprocess: end it, the test is done


def completed_training(window: MainWindow, cloud: CloudSettings) -> JobRecord:
    artifact = cloud.s3_uri("training", "tn-train-1", "output", "model.tar.gz")
    record = JobRecord("tn-train-1", "training", SAGEMAKER, status="Completed", artifact=artifact)
    return window.cloud.store.put(record)


def test_deploy_then_delete_endpoint(qtbot, cloud, make_window, monkeypatch) -> None:
    titles = answer_forms(monkeypatch)
    window = make_window()
    model = completed_training(window, cloud)
    trigger(qtbot, window, "cloud.deploy")
    endpoints = [r for r in window.cloud.store.all() if r.kind == "endpoint"]
    assert len(endpoints) == 1
    name = endpoints[0].name
    client = sagemaker()
    described = client.describe_endpoint(EndpointName=name)
    container = client.describe_model(ModelName=name)["PrimaryContainer"]
    assert container["ModelDataUrl"] == model.artifact
    assert described["EndpointConfigName"] == name

    panel = window.cloud.panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.status_text(name) == "InService", timeout=15_000)
    trigger(qtbot, window, "cloud.delete_endpoint")
    assert titles == ["Deploy Model", "Delete Endpoint"]
    with pytest.raises(client.exceptions.ClientError):
        client.describe_endpoint(EndpointName=name)
    qtbot.waitUntil(lambda: panel.status_text(name) == "Deleted", timeout=15_000)


@pytest.fixture
def labeling_requests(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """CreateLabelingJob requests, validated by botocore and answered at before-call."""
    from botocore.validate import validate_parameters

    from tracknet_studio.cloud import session as aws_session

    sent: list[dict[str, Any]] = []
    real_client = aws_session.client

    def reply(params, model, **_kwargs):
        request = json.loads(params["body"])
        validate_parameters(request, model.input_shape)  # the shape the real API takes
        sent.append(request)
        arn = f"arn:aws:sagemaker:{REGION}:123456789012:labeling-job/{request['LabelingJobName']}"
        return AWSResponse("https://stub", 200, {}, None), {"LabelingJobArn": arn}

    def status(**_kwargs):  # the dock follows the new job: answer its polls at once
        answer = {"LabelingJobStatus": "InProgress", "LabelCounters": {"TotalLabeled": 0}}
        return AWSResponse("https://stub", 200, {}, None), answer

    def client(settings, name, session=None):
        made = real_client(settings, name, session)
        if name == "sagemaker":
            made.meta.events.register("before-call.sagemaker.CreateLabelingJob", reply)
            made.meta.events.register("before-call.sagemaker.DescribeLabelingJob", status)
        return made

    monkeypatch.setattr(aws_session, "client", client)
    return sent


def bucket_cors() -> list[dict[str, Any]]:
    import boto3

    from tracknet_studio.cloud.cors import bucket_rules

    return bucket_rules(boto3.client("s3", region_name=REGION), BUCKET)


def put_cors(rules: list[dict[str, Any]]) -> None:
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": rules})


def create_job(qtbot, window: MainWindow, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """Cloud > Create Labeling Job (answers scripted by the caller); the request it sent,
    once the job is in the dock. Not `window.cloud.tasks`: the export between the CORS
    check and the job is not one of them, and CloudJobs.start connects the task's
    `ended` only after starting it, so a quick task (the check) can stay listed."""
    window.action_by_id["cloud.label"].trigger()
    qtbot.waitUntil(lambda: len(requests) == 1, timeout=20_000)
    name = requests[0]["LabelingJobName"]

    def docked() -> bool:
        panel = window.cloud.panel
        return panel is not None and name in [r.name for r in panel.records()]

    qtbot.waitUntil(docked, timeout=20_000)
    return requests[0]


def test_create_labeling_job_uploads_frames_and_sends_the_request(
    qtbot, cloud, open_window: MainWindow, labeling_requests, monkeypatch
) -> None:
    """The bucket already has the CORS rule: no question about it."""
    from tracknet_studio.cloud.cors import GROUND_TRUTH_CORS_RULE

    window = open_window
    put_cors([GROUND_TRUTH_CORS_RULE])
    answers = install_answers(monkeypatch)
    answers.queue.append(cloud_labeling.ADJUSTMENT)
    request = create_job(qtbot, window, labeling_requests)
    assert answers.titles == ["Create labeling job"]
    name = request["LabelingJobName"]
    assert request["HumanTaskConfig"]["WorkteamArn"] == WORKTEAM
    assert request["RoleArn"] == cloud.role_arn
    manifest = request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"]
    assert manifest.split(f"{BUCKET}/", 1)[1] in s3_keys(f"tn/labeling/{name}/")
    frames = [k for k in s3_keys(f"tn/labeling/{name}/") if "/frames/" in k]
    assert len(frames) == len(window.project.labels)  # every frame of the video
    record = window.cloud.store.get(name)
    assert record is not None and record.kind == "labeling"
    assert record.details["adjustment"] is True
    panel = window.cloud.panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.status_text(name) == "InProgress", timeout=15_000)


def test_create_labeling_job_adds_the_missing_cors_rule_it_showed(
    qtbot, cloud, open_window: MainWindow, labeling_requests, monkeypatch
) -> None:
    """The question shows the exact rule; Add Rule puts it beside the bucket's own rule."""
    import html
    import re

    from tracknet_studio.cloud.cors import GROUND_TRUTH_CORS_RULE

    own = {"AllowedMethods": ["GET"], "AllowedOrigins": ["https://example.com"]}
    put_cors([own])
    answers = install_answers(monkeypatch)
    answers.queue += [cloud_labeling.NEW_JOB, cloud_labeling.ADD_CORS_RULE]
    shown: list[str] = []

    def choose(parent, title, text, choices, **kwargs):
        shown.append(kwargs.get("informative", ""))
        return answers(parent, title, text, choices, **kwargs)

    monkeypatch.setattr(questions, "choose", choose)
    request = create_job(qtbot, open_window, labeling_requests)
    assert answers.titles == ["Create labeling job", cloud_labeling.CORS_TITLE]
    assert BUCKET in answers.asked[1][1]
    [rule] = re.findall(r"<pre>(.*)</pre>", shown[1], re.DOTALL)
    assert json.loads(html.unescape(rule)) == GROUND_TRUTH_CORS_RULE
    stored = {k: v for k, v in GROUND_TRUTH_CORS_RULE.items() if v != []}  # S3 drops []
    assert bucket_cors() == [own, stored]
    assert open_window.cloud.store.get(request["LabelingJobName"]) is not None


def test_create_labeling_job_without_the_cors_rule_warns(
    qtbot, cloud, open_window: MainWindow, labeling_requests, monkeypatch
) -> None:
    answers = install_answers(monkeypatch)
    answers.queue += [cloud_labeling.NEW_JOB, cloud_labeling.WITHOUT_CORS_RULE]
    request = create_job(qtbot, open_window, labeling_requests)
    assert bucket_cors() == []
    message = open_window.statusBar().toolTip()
    assert request["LabelingJobName"] in message and "tasks will fail" in message


def test_cancel_at_the_cors_question_creates_nothing(
    qtbot, cloud, open_window: MainWindow, labeling_requests, monkeypatch
) -> None:
    window = open_window
    answers = install_answers(monkeypatch)
    answers.queue += [cloud_labeling.NEW_JOB, questions.CANCEL]
    window.action_by_id["cloud.label"].trigger()
    qtbot.waitUntil(lambda: len(answers.asked) == 2, timeout=20_000)  # after the CORS check
    assert answers.titles == ["Create labeling job", cloud_labeling.CORS_TITLE]
    qtbot.wait(300)  # an export or a job started by mistake would have begun by now
    assert labeling_requests == []
    assert bucket_cors() == [] and s3_keys("tn/") == []
    assert window.cloud.store.all() == []
    work_dir = window.cloud.local.work_dir
    assert not work_dir.exists() or not any(work_dir.iterdir())


def test_import_labeling_output_is_one_undo_step(
    qtbot, cloud, open_window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    from tracknet_studio.cloud.labeling import output_manifest_uri
    from tracknet_studio.cloud.transfer import upload_folder
    from tracknet_studio.core import Track
    from tracknet_studio.formats.groundtruth_export import write_groundtruth

    window = open_window
    name = "tn-label-done"
    manifest_uri = output_manifest_uri(cloud, name)
    job_root = manifest_uri.split("manifests/output/")[0]
    n = len(window.project.labels)
    track = Track(n + 10)  # the job's output runs past the video: that frame is reported
    track.set_points([2, 9, 30, n + 3], [11.0, 50.5, 120.0, 7.0], [21.0, 40.0, 60.25, 8.0])
    write_groundtruth(track, tmp_path / "out", job_name=name, base_uri=job_root)
    upload_folder(cloud, tmp_path / "out", job_root)
    prompts: list[str] = []

    def get_text(parent, title, label, *args, **kwargs) -> tuple[str, bool]:
        prompts.append(title)
        return manifest_uri, True

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
    reports: list[tuple[int, int, str]] = []
    monkeypatch.setattr(
        label_io,
        "show_report",
        lambda _p, report, applied, kept: reports.append((len(applied), kept, report.summary())),
    )
    place(window, 9, x=5.0, y=6.0)  # a human label the import must keep
    answers = install_answers(monkeypatch)
    answers.queue.append(label_io.KEEP_HUMAN)
    before = window.undo_stack.count()
    trigger(qtbot, window, "cloud.import_labeling")
    assert prompts == ["Import Labeling Job Output"]
    assert answers.titles == ["Import labels"]
    [(applied, kept, summary)] = reports
    assert (applied, kept) == (2, 1)
    assert "3 frames imported, 1 skipped" in summary
    assert f"video frame outside 0..{n - 1}" in summary
    labels = window.project.labels
    np.testing.assert_allclose(labels.column("x")[[2, 9, 30]], [11.0, 5.0, 120.0])
    np.testing.assert_allclose(labels.column("y")[[2, 9, 30]], [21.0, 6.0, 60.25])
    assert (labels.source[[2, 30]] == Source.IMPORTED).all()
    assert labels.source[9] == Source.HUMAN
    assert window.undo_stack.count() == before + 1
    window.undo_stack.undo()
    assert np.isnan(labels.column("x")[[2, 30]]).all()
    assert labels.column("x")[9] == 5.0


def test_import_labeling_output_asks_which_object_when_several(
    qtbot, cloud, open_window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    """Two objects in one frame: the S3 import asks which is the ball, as a file import does."""
    import json

    from tracknet_studio.cloud.labeling import output_manifest_uri
    from tracknet_studio.cloud.transfer import upload_folder
    from tracknet_studio.core import Track
    from tracknet_studio.formats.groundtruth_export import write_groundtruth

    window = open_window
    name = "tn-label-two"
    manifest_uri = output_manifest_uri(cloud, name)
    job_root = manifest_uri.split("manifests/output/")[0]
    track = Track(len(window.project.labels))
    track.set_points([2, 9], [11.0, 50.5], [21.0, 40.0])
    export = write_groundtruth(track, tmp_path / "out", job_name=name, base_uri=job_root)
    labels = json.loads(export.seqlabels[0].read_text())
    frame_2 = next(e for e in labels["tracking-annotations"] if e["frame-no"] == "2")
    frame_2["keypoints"].append({**frame_2["keypoints"][0], "x": 99.0, "object-name": "racket"})
    export.seqlabels[0].write_text(json.dumps(labels))
    upload_folder(cloud, tmp_path / "out", job_root)
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: (manifest_uri, True)))  # fmt: skip
    offered: list[list[str]] = []

    def get_item(parent, title, label, items, *args):
        offered.append(list(items))
        return next(i for i in items if i.startswith("racket")), True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))
    monkeypatch.setattr(label_io, "show_report", lambda *a: None)
    trigger(qtbot, window, "cloud.import_labeling")
    qtbot.waitUntil(lambda: window.project.labels.column("x")[2] == 99.0, timeout=20_000)
    assert offered == [["ball:1 (2 frames)", "racket (1 frames)"]]


def test_actions_answer_plainly_when_nothing_is_ready(
    qtbot, cloud, make_window, monkeypatch, message_boxes
) -> None:
    """Deploy without a trained model, Delete without an endpoint: a message, no call."""
    titles = answer_forms(monkeypatch)
    window = make_window()
    window.action_by_id["cloud.deploy"].trigger()
    window.action_by_id["cloud.delete_endpoint"].trigger()
    assert titles == [] and not window.cloud.tasks
    assert [title for title, _ in message_boxes] == ["Deploy", "Delete endpoint"]
