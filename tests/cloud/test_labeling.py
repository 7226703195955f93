"""Ground Truth: CreateLabelingJob requests checked against botocore's service model (moto
does not implement the labeling API), ARNs against the API reference botocore ships, and
the import of a job's output from the emulated S3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import numpy as np
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from tracknet_studio.cloud.jobs import JobStore
from tracknet_studio.cloud.labeling import (
    GROUND_TRUTH_LAMBDA_ACCOUNTS,
    UnsupportedRegion,
    create_labeling_job,
    describe_labeling_job,
    import_labeling_output,
    labeling_base_uri,
    labeling_job_request,
    output_manifest_uri,
    task_arns,
)
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.core import Track
from tracknet_studio.formats.groundtruth import GtImportOptions
from tracknet_studio.formats.groundtruth_export import write_groundtruth, write_labeling_job

pytestmark = pytest.mark.cloud
WORKTEAM = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/ball-team"


def sagemaker_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def request_shape() -> Any:
    return sagemaker_model().operation_model("CreateLabelingJob").input_shape


def offline_settings(**changes: Any) -> CloudSettings:
    base = CloudSettings(
        bucket="bucket",
        prefix="tn",
        role_arn="arn:aws:iam::123456789012:role/sm",
        workteam_arn=WORKTEAM,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


@pytest.mark.parametrize("adjustment", [False, True])
def test_request_validates_against_the_service_model(adjustment: bool) -> None:
    settings = offline_settings(kms_key_id="alias/k")
    request = labeling_job_request(settings, "job-1", labeling_base_uri(settings, "job-1"),
                                   adjustment=adjustment)  # fmt: skip
    validate_parameters(request, request_shape())
    assert request["LabelAttributeName"] == ("ball-adjusted-ref" if adjustment else "ball-ref")
    assert request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"] == (
        "s3://bucket/tn/labeling/job-1/manifests/input.manifest"
    )
    assert request["LabelCategoryConfigS3Uri"].endswith("/job-1/label-category-config.json")
    task = request["HumanTaskConfig"]
    assert task["WorkteamArn"] == WORKTEAM
    assert task["PreHumanTaskLambdaArn"].endswith(
        "PRE-AdjustmentVideoObjectTracking" if adjustment else "PRE-VideoObjectTracking"
    )


def test_a_broken_request_does_not_validate() -> None:
    settings = offline_settings()
    request = labeling_job_request(settings, "job-1", labeling_base_uri(settings, "job-1"))
    del request["HumanTaskConfig"]["WorkteamArn"]
    request["HumanTaskConfig"]["NumberOfHumanWorkersPerDataObject"] = "one"
    with pytest.raises(ParamValidationError, match="WorkteamArn"):
        validate_parameters(request, request_shape())
    with pytest.raises(ValueError, match="work team"):
        labeling_job_request(offline_settings(workteam_arn=""), "j", "s3://b/")


def test_every_arn_is_the_one_the_api_reference_names() -> None:
    loader = botocore.session.get_session().get_component("data_loader")
    docs = json.dumps(loader.load_service_model("sagemaker", "service-2"))
    for region in GROUND_TRUTH_LAMBDA_ACCOUNTS:
        for adjustment in (False, True):
            arns = task_arns(region, adjustment)
            assert arns.pre_human_task_lambda in docs, arns
            assert arns.consolidation_lambda in docs, arns
            assert arns.task_ui.replace(f":{region}:", ":aws-region:") in docs, arns
    with pytest.raises(UnsupportedRegion):
        task_arns("sa-east-1")


class RecordingSageMaker:
    """moto lacks the labeling API: keep the requests, answer describe from a dict."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.answer: dict[str, Any] = {}

    def create_labeling_job(self, **request: Any) -> dict[str, str]:
        validate_parameters(request, request_shape())
        self.created.append(request)
        arn = f"arn:aws:sagemaker:us-east-1:123456789012:labeling-job/{request['LabelingJobName']}"
        return {"LabelingJobArn": arn}

    def describe_labeling_job(self, LabelingJobName: str) -> dict[str, Any]:
        return self.answer


def small_track() -> Track:
    track = Track(40)
    track.set_points([3, 7, 20], [10.0, 20.5, 33.0], [30.0, 31.0, 12.5])
    track.set_no_ball([5])
    return track


def test_create_uploads_the_folder_and_sends_the_request(
    settings: CloudSettings, tmp_path: Path
) -> None:
    settings.workteam_arn = WORKTEAM
    name = "ball-job-1"
    base = labeling_base_uri(settings, name)
    track = small_track()
    write_labeling_job(track, tmp_path / "job", range(0, 40, 4),
                       lambda n: np.full((36, 64, 3), n, np.uint8), base_uri=base,
                       adjustment=True)  # fmt: skip
    client = RecordingSageMaker()
    store = JobStore(tmp_path / "jobs.json")
    record = create_labeling_job(settings, tmp_path / "job", name, adjustment=True, store=store,
                                 sagemaker=client)  # fmt: skip
    (request,) = client.created
    s3 = boto3.client("s3")
    bucket = settings.bucket
    manifest_key = request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"]
    manifest = s3.get_object(Bucket=bucket, Key=manifest_key.split(f"{bucket}/", 1)[1])
    line = json.loads(manifest["Body"].read())
    assert line["source-ref"].startswith(base) and line["ball-ref"].startswith(base)
    frames = s3.list_objects_v2(Bucket=bucket, Prefix=f"tn/labeling/{name}/frames/")
    assert len(frames["Contents"]) == 10
    assert record.kind == "labeling" and store.get(name).status == "Initializing"

    client.answer = {
        "LabelingJobStatus": "Failed",
        "FailureReason": "ClientError: the work team has no workers",
        "LabelCounters": {"TotalLabeled": 0},
    }
    failed = describe_labeling_job(settings, name, store, sagemaker=client)
    assert failed.status == "Failed" and "no workers" in failed.failure_reason


def test_import_of_a_job_output_from_s3(settings: CloudSettings, tmp_path: Path) -> None:
    from tracknet_studio.cloud.transfer import upload_folder

    name = "ball-job-2"
    manifest_uri = output_manifest_uri(settings, name)
    job_root = manifest_uri.split("manifests/output/")[0]
    track = small_track()
    write_groundtruth(track, tmp_path / "out", job_name=name, base_uri=job_root)
    upload_folder(settings, tmp_path / "out", job_root)
    back, report = import_labeling_output(settings, manifest_uri, GtImportOptions(n_frames=40))
    assert report.n_skipped == 0 and report.imported == len(track.labeled_frames())
    for column in ("x", "y", "visibility"):
        np.testing.assert_array_equal(back.column(column), track.column(column))


def test_label_create_refuses_a_bucket_without_cors_unless_asked_to_add_it(
    settings: CloudSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cloud label create` checks the documented CORS rule before anything is uploaded:
    without --set-cors it stops and says how; with it, the rule is added and printed."""
    from tracknet_studio.cli.cloud import _ensure_cors
    from tracknet_studio.cloud.cors import allows_ground_truth, bucket_rules

    with pytest.raises(ValueError, match="--set-cors"):
        _ensure_cors(settings, add=False)
    _ensure_cors(settings, add=True)
    assert '"AllowedMethods": ["GET", "HEAD", "PUT"]' in capsys.readouterr().out
    s3 = boto3.client("s3")
    assert allows_ground_truth(bucket_rules(s3, settings.bucket))
    _ensure_cors(settings, add=False)  # now there: nothing to say
    assert capsys.readouterr().out == ""
