"""The jobs dock following SageMaker jobs in the moto emulator, through the real window.

Jobs are created with boto3 in the emulator and recorded as SageMakerBackend records them;
the test moves them through states via moto's backend objects and seeds their CloudWatch
log streams with train.py's metric lines.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

pytest.importorskip("boto3", reason="the cloud extra (boto3) is not installed")

from botocore.awsrequest import AWSResponse
from cloud.conftest import (  # noqa: F401  (the emulator fixtures, used by name)
    ACCOUNT,
    BUCKET,
    REGION,
    aws,
    moto_url,
)
from moto_support import bucket_and_role
from PySide6.QtCore import QSettings

from tracknet_studio.cloud.jobs import JobRecord
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.ui import cloud_actions, questions
from tracknet_studio.ui.cloud_jobs import DELETE, JOBS_FILE_KEY
from tracknet_studio.ui.cloud_settings import BACKEND_KEY, SAGEMAKER
from tracknet_studio.ui.main_window import MainWindow

pytestmark = [pytest.mark.ui, pytest.mark.cloud]

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
METRIC_LINES = [
    "Starting training on 1 GPU",
    "epoch=1 train_loss=0.812000 val_loss=0.700000 val_f1=0.2500 val_precision=0.3000",
    "epoch=2 train_loss=0.431000 val_loss=0.400000 val_f1=0.6100 val_precision=0.6500",
    "epoch=3 train_loss=0.205000 val_loss=0.250000 val_f1=0.8800 val_precision=0.9000",
]


@pytest.fixture
def cloud(aws: str, settings: QSettings, tmp_path: Path) -> CloudSettings:  # noqa: F811
    """Saved cloud settings (bucket and role in the emulator), SageMaker chosen."""

    cloud = bucket_and_role()
    cloud.save()
    settings.setValue(BACKEND_KEY, SAGEMAKER)
    settings.setValue(JOBS_FILE_KEY, str(tmp_path / "jobs.json"))
    return cloud


def sagemaker():
    import boto3

    return boto3.client("sagemaker", region_name=REGION)


def create_training_job(cloud: CloudSettings, name: str) -> JobRecord:
    """A training job in the emulator, recorded the way SageMakerBackend records one."""
    sagemaker().create_training_job(
        TrainingJobName=name,
        RoleArn=cloud.role_arn,
        AlgorithmSpecification={"TrainingImage": "pytorch:2.6", "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": cloud.s3_uri("training")},
        ResourceConfig={"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    set_training_status(name, "InProgress")
    return JobRecord(
        name,
        "training",
        "sagemaker",
        instance_type="ml.g5.xlarge",
        log_source=f"{LOG_GROUP}:{name}/",
    )


def set_training_status(name: str, status: str, reason: str = "") -> None:
    """Move the job in moto's backend (this process owns the server)."""
    from moto.sagemaker.models import sagemaker_backends

    job = sagemaker_backends[ACCOUNT][REGION].training_jobs[name]
    job.training_job_status = status
    job.failure_reason = reason


def seed_log(name: str, lines: list[str]) -> None:
    import boto3

    logs = boto3.client("logs", region_name=REGION)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=LOG_GROUP)
    stream = f"{name}/algo-1-1700000000"
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)]
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=events)


def poll(qtbot, window: MainWindow) -> None:
    panel = window.cloud.panel
    assert panel is not None
    with qtbot.waitSignal(panel.polled, timeout=15_000):
        panel.poll_now()


def follow(qtbot, window: MainWindow, record: JobRecord) -> None:
    panel = window.cloud.ensure_panel()
    with qtbot.waitSignal(panel.polled, timeout=15_000):
        panel.add_job(record)


def test_training_job_log_plot_and_status(qtbot, cloud, make_window) -> None:
    window = make_window()
    record = create_training_job(cloud, "tn-train-1")
    seed_log(record.name, METRIC_LINES)
    follow(qtbot, window, record)
    panel = window.cloud.panel

    assert panel.status_text(record.name) == "InProgress"
    assert panel.selected_name() == record.name
    assert "epoch=3" in panel.log_view.toPlainText()
    x, y = panel.plots.loss_curve.getData()
    assert list(x) == [1, 2, 3] and list(y) == pytest.approx([0.812, 0.431, 0.205])
    x, y = panel.plots.f1_curve.getData()
    assert list(y) == pytest.approx([0.25, 0.61, 0.88])
    assert panel.stop_button.isEnabled()
    assert not panel.failure_label.isVisible()

    set_training_status(record.name, "Completed")
    poll(qtbot, window)
    assert panel.status_text(record.name) == "Completed"
    assert not panel.stop_button.isEnabled()
    assert window.cloud.store.get(record.name).status == "Completed"


def test_failed_job_shows_reason_and_last_lines(qtbot, cloud, make_window) -> None:
    window = make_window()
    record = create_training_job(cloud, "tn-train-fails")
    seed_log(record.name, [*METRIC_LINES, "RuntimeError: CUDA out of memory"])
    follow(qtbot, window, record)
    reason = "AlgorithmError: ExecuteUserScriptError: exit code 1"
    set_training_status(record.name, "Failed", reason)
    poll(qtbot, window)

    panel = window.cloud.panel
    assert panel.status_text(record.name) == "Failed"
    assert panel.failure_label.isVisible()
    text = panel.failure_label.text()
    assert reason in text
    assert "CUDA out of memory" in text  # the last log lines come with the reason


def test_a_completed_job_that_learned_nothing_is_flagged(qtbot, cloud, make_window) -> None:
    from tracknet.training import NOTHING_LEARNED

    window = make_window()
    record = create_training_job(cloud, "tn-train-nothing")
    seed_log(record.name, [*METRIC_LINES, NOTHING_LEARNED])
    follow(qtbot, window, record)
    set_training_status(record.name, "Completed")
    poll(qtbot, window)
    panel = window.cloud.panel
    assert panel.failure_label.isVisible()
    assert "Completed, but: WARNING: the model learned nothing" in panel.failure_label.text()


def test_stop_calls_stop_training_job(qtbot, cloud, make_window) -> None:
    """moto has no StopTrainingJob: the request goes through botocore (validated against
    the service model) and is answered at the before-call hook, which stops the job."""
    window = make_window()
    record = create_training_job(cloud, "tn-train-stop")
    follow(qtbot, window, record)
    backend = window.cloud.backend(SAGEMAKER)
    calls: list[dict] = []

    def answer(params, model, **_kwargs):
        calls.append(params["body"])
        set_training_status(record.name, "Stopped")
        return AWSResponse("https://stub", 200, {}, None), {}

    backend.sagemaker.meta.events.register("before-call.sagemaker.StopTrainingJob", answer)
    panel = window.cloud.panel
    assert panel.stop_button.isEnabled()
    with qtbot.waitSignal(panel.polled, timeout=15_000):
        panel.stop_button.click()
    assert len(calls) == 1 and f'"{record.name}"' in calls[0].decode()
    qtbot.waitUntil(lambda: panel.status_text(record.name) == "Stopped", timeout=15_000)


def test_jobs_reattached_in_a_new_window(qtbot, cloud, make_window) -> None:
    first = make_window()
    record = create_training_job(cloud, "tn-train-persist")
    seed_log(record.name, METRIC_LINES)
    follow(qtbot, first, record)
    first.close()

    second = make_window()
    panel = second.cloud.panel
    assert panel is not None and panel.isVisible(), "a running job brings the dock back"
    assert [r.name for r in panel.records()] == [record.name]
    points = panel.metric_points
    qtbot.waitUntil(lambda: len(points(record.name)["train:loss"]) == 3, timeout=15_000)
    set_training_status(record.name, "Completed")
    poll(qtbot, second)
    assert panel.status_text(record.name) == "Completed"


def test_polling_error_is_shown_and_polling_goes_on(qtbot, cloud, make_window) -> None:
    window = make_window()
    record = create_training_job(cloud, "tn-train-expired")
    follow(qtbot, window, record)
    backend = window.cloud.backend(SAGEMAKER)
    error = {"Error": {"Code": "ExpiredTokenException", "Message": "The token has expired"}}

    def expired(**_kwargs):
        return AWSResponse("https://stub", 400, {}, None), error

    backend.sagemaker.meta.events.register("before-call.sagemaker.DescribeTrainingJob", expired)
    poll(qtbot, window)
    panel = window.cloud.panel
    assert "expired" in panel.error_label.text()
    assert panel.error_label.isVisible()
    assert panel.status_text(record.name) == "InProgress"  # the last known state stays

    backend.sagemaker.meta.events.unregister("before-call.sagemaker.DescribeTrainingJob", expired)
    set_training_status(record.name, "Completed")
    poll(qtbot, window)
    assert not panel.error_label.isVisible()
    assert panel.status_text(record.name) == "Completed"


def create_endpoint(cloud: CloudSettings, name: str) -> JobRecord:
    client = sagemaker()
    client.create_model(
        ModelName=f"{name}-model",
        ExecutionRoleArn=cloud.role_arn,
        PrimaryContainer={"Image": "pytorch:2.6", "ModelDataUrl": cloud.s3_uri("model.tar.gz")},
    )
    client.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": f"{name}-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    return JobRecord(name, "endpoint", "sagemaker", status="InService", instance_type="ml.m5.large")


def test_closing_with_an_endpoint_in_service_offers_to_delete_it(
    qtbot, cloud, make_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    record = create_endpoint(cloud, "tn-endpoint")
    follow(qtbot, window, record)
    asked: list[tuple[str, tuple[str, ...]]] = []

    def choose(parent, title, text, choices, **kwargs):
        asked.append((text + kwargs.get("informative", ""), tuple(choices)))
        return "Cancel" if len(asked) == 1 else DELETE

    monkeypatch.setattr(questions, "choose", choose)
    assert not window.close(), "Cancel keeps the window open"
    assert window.close()
    text, choices = asked[-1]
    assert "tn-endpoint" in text and "billed" in text
    assert DELETE in choices
    with pytest.raises(sagemaker().exceptions.ClientError):
        sagemaker().describe_endpoint(EndpointName=record.name)
    assert cloud_actions  # the module whose question was patched through questions


def test_labeling_job_status_is_followed(
    qtbot, cloud, make_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto has no Ground Truth API: DescribeLabelingJob is built and validated by botocore
    and answered at the before-call hook."""
    from tracknet_studio.cloud import session as aws_session

    state = {"LabelingJobStatus": "InProgress", "LabelCounters": {"TotalLabeled": 12}}
    real_client = aws_session.client

    def reply(**_kwargs):
        return AWSResponse("https://stub", 200, {}, None), dict(state)

    def client(settings, name, session=None):
        made = real_client(settings, name, session)
        if name == "sagemaker":
            made.meta.events.register("before-call.sagemaker.DescribeLabelingJob", reply)
        return made

    monkeypatch.setattr(aws_session, "client", client)
    window = make_window()
    record = JobRecord("tn-label-1", "labeling", "sagemaker", status="Initializing")
    follow(qtbot, window, record)
    panel = window.cloud.panel
    assert panel.status_text(record.name) == "InProgress"

    output = cloud.s3_uri("labeling-output", "tn-label-1", "manifests/output/output.manifest")
    state.update(LabelingJobStatus="Completed", LabelingJobOutput={"OutputDatasetS3Uri": output})
    poll(qtbot, window)
    assert panel.status_text(record.name) == "Completed"
    assert window.cloud.store.get(record.name).artifact == output


def test_featurize_runs_locally_by_default_and_a_failure_shows_why(
    qtbot, settings: QSettings, make_window, tmp_path: Path
) -> None:
    """The Cloud menu's Featurize on the default (local) backend: a real featurize.py
    subprocess, followed in the dock; an empty input folder makes it fail, with its reason."""
    settings.setValue(JOBS_FILE_KEY, str(tmp_path / "jobs.json"))
    window = make_window()
    assert window.cloud.backend_name == "local"
    empty = tmp_path / "no-clips"
    empty.mkdir()
    task = window.cloud.featurize(empty)
    qtbot.waitUntil(lambda: window.cloud.panel is not None, timeout=15_000)
    assert task.wait(15)
    panel = window.cloud.panel
    [record] = panel.records()
    assert record.kind == "local-featurize" and record.backend == "local"

    def failed() -> bool:
        panel.poll_now()  # sooner than the 5 s timer; does nothing while a poll runs
        return panel.status_text(record.name) == "Failed"

    qtbot.waitUntil(failed, timeout=30_000)
    qtbot.waitUntil(panel.failure_label.isVisible, timeout=10_000)
    assert "exit status" in panel.failure_label.text()
