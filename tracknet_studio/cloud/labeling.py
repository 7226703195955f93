"""Ground Truth video-frame keypoint tracking jobs: create one (or an adjustment job
pre-filled with the current track) from what formats.groundtruth.write_labeling_job wrote,
follow it, and import its output from S3.

The flow: `labeling_base_uri` says where the job folder will live in S3; write the folder
with `write_labeling_job(..., base_uri=that)` (its manifest and sequence files point
there); `create_labeling_job` uploads it and sends CreateLabelingJob; when the job is
Completed, `import_labeling_output` reads its output manifest through `s3_opener`.

The task UI and the pre-annotation and consolidation Lambdas are AWS-owned, one account per
region. The table below is taken from the SageMaker API reference (HumanTaskConfig:
PreHumanTaskLambdaArn, AnnotationConsolidationConfig and UiConfig, the "video frame object
tracking" entries), which botocore ships in its service model documentation; a test
checks every ARN built here against that text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import session as aws
from .jobs import JobRecord, JobStore, job_name
from .settings import CloudSettings
from .transfer import upload_folder

# Region -> the AWS account that owns Ground Truth's Lambdas there.
GROUND_TRUTH_LAMBDA_ACCOUNTS = {
    "us-east-1": "432418664414",
    "us-east-2": "266458841044",
    "us-west-2": "081040173940",
    "ca-central-1": "918755190332",
    "eu-west-1": "568282634449",
    "eu-west-2": "487402164563",
    "eu-central-1": "203001061592",
    "ap-northeast-1": "477331159723",
    "ap-northeast-2": "845288260483",
    "ap-south-1": "565803892007",
    "ap-southeast-1": "377565633583",
    "ap-southeast-2": "454466003867",
}
TASK_UI_ACCOUNT = "394669845002"  # the same in every region
TRACKING_TASK = "VideoObjectTracking"
ADJUSTMENT_TASK = "AdjustmentVideoObjectTracking"
# Ground Truth's limits for video frame tasks: up to 7 days per task, 10 days on offer.
TASK_TIME_LIMIT_S = 8 * 3600
TASK_AVAILABILITY_S = 10 * 24 * 3600


class UnsupportedRegion(ValueError):
    """Ground Truth's video frame tasks do not run in this region."""


@dataclass(frozen=True)
class TaskArns:
    pre_human_task_lambda: str
    consolidation_lambda: str
    task_ui: str


def task_arns(region: str, adjustment: bool = False) -> TaskArns:
    """The AWS-owned ARNs a video frame keypoint tracking (or adjustment) job uses."""
    account = GROUND_TRUTH_LAMBDA_ACCOUNTS.get(region)
    if account is None:
        supported = ", ".join(sorted(GROUND_TRUTH_LAMBDA_ACCOUNTS))
        raise UnsupportedRegion(f"Ground Truth video frame jobs run in {supported}, not {region}")
    task = ADJUSTMENT_TASK if adjustment else TRACKING_TASK
    return TaskArns(
        pre_human_task_lambda=f"arn:aws:lambda:{region}:{account}:function:PRE-{task}",
        consolidation_lambda=f"arn:aws:lambda:{region}:{account}:function:ACS-{task}",
        # Adjustment jobs use the same worker UI as new tracking jobs.
        task_ui=f"arn:aws:sagemaker:{region}:{TASK_UI_ACCOUNT}:human-task-ui/{TRACKING_TASK}",
    )


def labeling_base_uri(settings: CloudSettings, name: str) -> str:
    """Where a job's input folder goes: pass it to write_labeling_job as base_uri."""
    return settings.s3_uri("labeling", name) + "/"


def adjusted_attribute(label_attribute: str) -> str:
    """The label attribute of an adjustment job: a new name beside the adjusted one."""
    return label_attribute.removesuffix("-ref") + "-adjusted-ref"


def labeling_job_request(
    settings: CloudSettings,
    name: str,
    base_uri: str,
    *,
    adjustment: bool = False,
    label_attribute: str = "ball-ref",
    title: str = "Track the ball",
    workers_per_frame: int = 1,
) -> dict[str, Any]:
    """The CreateLabelingJob request for a job folder uploaded to `base_uri`."""
    if not settings.workteam_arn:
        raise ValueError("no private work team ARN is set (settings: workteam_arn)")
    arns = task_arns(settings.region, adjustment)
    output: dict[str, Any] = {"S3OutputPath": settings.s3_uri("labeling-output")}
    if settings.kms_key_id:
        output["KmsKeyId"] = settings.kms_key_id
    return {
        "LabelingJobName": name,
        "LabelAttributeName": adjusted_attribute(label_attribute)
        if adjustment
        else label_attribute,
        "InputConfig": {
            "DataSource": {
                "S3DataSource": {"ManifestS3Uri": base_uri + "manifests/input.manifest"}
            },
            "DataAttributes": {"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation"]},
        },
        "OutputConfig": output,
        "RoleArn": settings.role_arn,
        "LabelCategoryConfigS3Uri": base_uri + "label-category-config.json",
        "HumanTaskConfig": {
            "WorkteamArn": settings.workteam_arn,
            "UiConfig": {"HumanTaskUiArn": arns.task_ui},
            "PreHumanTaskLambdaArn": arns.pre_human_task_lambda,
            "TaskKeywords": ["Video Frame", "Keypoint", "Tracking", "Ball"],
            "TaskTitle": title,
            "TaskDescription": (
                "Adjust the ball's position in each frame"
                if adjustment
                else "Click the centre of the ball in each frame where it is seen"
            ),
            "NumberOfHumanWorkersPerDataObject": workers_per_frame,
            "TaskTimeLimitInSeconds": TASK_TIME_LIMIT_S,
            "TaskAvailabilityLifetimeInSeconds": TASK_AVAILABILITY_S,
            "MaxConcurrentTaskCount": 100,
            "AnnotationConsolidationConfig": {
                "AnnotationConsolidationLambdaArn": arns.consolidation_lambda
            },
        },
    }


def create_labeling_job(
    settings: CloudSettings,
    folder: str | Path,
    name: str,
    *,
    adjustment: bool = False,
    label_attribute: str = "ball-ref",
    store: JobStore | None = None,
    progress: Callable[[int, int], None] | None = None,
    sagemaker: Any = None,
) -> JobRecord:
    """Upload the job folder (written with base_uri=labeling_base_uri(settings, name)) and
    create the labeling job."""
    base_uri = labeling_base_uri(settings, name)
    request = labeling_job_request(
        settings, name, base_uri, adjustment=adjustment, label_attribute=label_attribute
    )
    upload_folder(settings, folder, base_uri, progress)
    (sagemaker or aws.client(settings, "sagemaker")).create_labeling_job(**request)
    record = JobRecord(
        name,
        "labeling",
        "sagemaker",
        status="Initializing",
        artifact=output_manifest_uri(settings, name),
        log_source=f"/aws/sagemaker/LabelingJobs:{name}",
        details={"label_attribute": request["LabelAttributeName"], "adjustment": adjustment},
    )
    return (store or JobStore()).put(record)


def new_labeling_job_name() -> str:
    return job_name("label")


def output_manifest_uri(settings: CloudSettings, name: str) -> str:
    """Where Ground Truth writes a job's consolidated output manifest."""
    return settings.s3_uri("labeling-output", name, "manifests", "output", "output.manifest")


def describe_labeling_job(
    settings: CloudSettings, name: str, store: JobStore | None = None, sagemaker: Any = None
) -> JobRecord:
    store = store or JobStore()
    answer = (sagemaker or aws.client(settings, "sagemaker")).describe_labeling_job(
        LabelingJobName=name
    )
    record = store.get(name) or JobRecord(name, "labeling", "sagemaker")
    output = answer.get("LabelingJobOutput", {}).get("OutputDatasetS3Uri", "")
    updated = replace(
        record,
        status=answer["LabelingJobStatus"],
        failure_reason=answer.get("FailureReason", "") or "",
        artifact=output or record.artifact or output_manifest_uri(settings, name),
        details={**record.details, "counters": answer.get("LabelCounters", {})},
    )
    if not updated.active and updated.ended is None:
        updated.ended = time.time()
    return store.put(updated)


def recorded_label_attribute(store: JobStore, manifest_uri: str) -> str | None:
    """The label attribute of the job (started here) whose output `manifest_uri` is."""
    for record in store.all():
        if record.kind == "labeling" and record.artifact == manifest_uri:
            return record.details.get("label_attribute")
    return None


def import_labeling_output(
    settings: CloudSettings, manifest_uri: str, options: Any = None
) -> tuple[Any, Any]:
    """(Track, ImportReport) from a job's output manifest in S3."""
    from ..formats.groundtruth import read_groundtruth
    from .transfer import s3_opener

    return read_groundtruth(manifest_uri, options, opener=s3_opener(settings))
