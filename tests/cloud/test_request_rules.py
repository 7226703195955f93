"""Every request the app sends, checked against the rules AWS documents for it.

The app is driven once against the moto server, with managed spot, a KMS key and network
isolation set: a featurize processing job and a batch prediction processing job (a
manifest of videos, local weights); a training job with spot and checkpoints; deploy,
describe, invoke (from the backend and from the EndpointPredictor) and delete of an
endpoint; a video frame tracking labeling job and its adjustment job; S3 uploads (one of
them multipart, SSE-KMS, and one SSE-S3), a download and reads; CloudWatch Logs; the
settings check and the CORS rule. Every request sent by the clients that
tracknet_studio.cloud.session makes is recorded from botocore's own event system
(`before-parameter-build`, which sees the parameters as they go to the serializer).

Each recorded request is then checked in two ways:

* against botocore's service model (the `service-2.json` botocore ships, the source of
  the "Type / Length Constraints / Pattern / Valid Values / Required" lines of each API
  Reference page) by `model_problems`, a walker stricter than botocore's own client-side
  validation (botocore.validate checks types, required members and minimums only): it
  also checks every maximum, every string's `pattern` (translated from Java regex
  syntax by `python_pattern`, full match), enum values, list and map sizes and map keys;
* against the cross-field rules the model cannot express, each a function below whose
  docstring quotes the rule and names where it is documented. Rules quoted from the API
  Reference are also checked, by `test_every_quoted_rule_is_in_the_api_reference`, to be
  in the documentation botocore ships.

moto does not implement CreateLabelingJob, DescribeLabelingJob, StopLabelingJob and
StopTrainingJob: those four are answered in botocore's `before-call` event, after the
request was built, recorded and serialized like every other.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import html
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import numpy as np
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.awsrequest import AWSResponse
from moto_support import queue_endpoint_results

from tracknet_studio.cloud import session as aws_session
from tracknet_studio.cloud.jobs import JobStore
from tracknet_studio.cloud.settings import CloudSettings

from .conftest import ACCOUNT, REGION

pytestmark = pytest.mark.cloud

KMS_KEY = "alias/tracknet"
WORKTEAM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/ball-team"
MB = 1024 * 1024
# The operations the app must be seen sending: if one stops being exercised, the test says.
REQUIRED = {
    ("sagemaker", "CreateProcessingJob"),
    ("sagemaker", "CreateTrainingJob"),
    ("sagemaker", "CreateModel"),
    ("sagemaker", "CreateEndpointConfig"),
    ("sagemaker", "CreateEndpoint"),
    ("sagemaker-runtime", "InvokeEndpoint"),
    ("sagemaker", "CreateLabelingJob"),
    ("s3", "PutObject"),
    ("s3", "CreateMultipartUpload"),
    ("s3", "UploadPart"),
    ("s3", "CompleteMultipartUpload"),
    ("sagemaker", "DescribeProcessingJob"),
    ("sagemaker", "DescribeTrainingJob"),
    ("sagemaker", "DescribeEndpoint"),
    ("sagemaker", "DescribeLabelingJob"),
    ("sagemaker", "StopProcessingJob"),
    ("sagemaker", "StopTrainingJob"),
    ("sagemaker", "StopLabelingJob"),
    ("sagemaker", "DeleteEndpoint"),
    ("sagemaker", "DeleteEndpointConfig"),
    ("sagemaker", "DeleteModel"),
    ("s3", "ListObjectsV2"),
    ("s3", "HeadObject"),
    ("s3", "GetObject"),
    ("logs", "DescribeLogStreams"),
    ("logs", "GetLogEvents"),
}
# Answers for the operations moto lacks (see the module docstring).
FAKE_ANSWERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "CreateLabelingJob": lambda body: {
        "LabelingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:labeling-job/"
        + body["LabelingJobName"]
    },
    "DescribeLabelingJob": lambda body: {
        "LabelingJobStatus": "InProgress",
        "LabelCounters": {"TotalLabeled": 0, "Unlabeled": 3},
    },
    "StopLabelingJob": lambda body: {},
    "StopTrainingJob": lambda body: {},
}


# ----- recording ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Blob:
    """A streamed body (a file chunk from the transfer manager), kept as its size."""

    size: int | None


@dataclass
class Sent:
    service: str
    operation: str
    params: dict[str, Any]


@dataclass
class Recording:
    sent: list[Sent] = field(default_factory=list)
    clients: list[Any] = field(default_factory=list)
    label_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A processing input's manifest as the job would read it, and the keys it lists that
    # are not in S3 (both read while the emulator still holds them).
    manifests: dict[str, tuple[Any, list[str]]] = field(default_factory=dict)

    def of(self, operation: str) -> list[dict[str, Any]]:
        return [s.params for s in self.sent if s.operation == operation]


def snapshot(value: Any) -> Any:
    """A copy of request parameters that later changes cannot reach."""
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [snapshot(v) for v in value]
    if isinstance(value, (str, bytes, bytearray, int, float, bool, type(None))):
        return copy.copy(value)
    try:
        return Blob(len(value))
    except TypeError:
        return Blob(None)


def attach(client: Any, recording: Recording) -> Any:
    """Record every request `client` sends; answer the calls moto lacks; swap binary
    InvokeEndpoint bodies for their digest after recording (moto's server decodes
    request bodies as UTF-8)."""
    service = client.meta.service_model.service_name

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        recording.sent.append(Sent(service, model.name, snapshot(params)))

    def answer(params: dict[str, Any], model: Any, **_: Any) -> Any:
        fake = FAKE_ANSWERS.get(model.name)
        if fake is None:
            return None
        body = json.loads(params["body"] or b"{}")
        return AWSResponse(params["url"], 200, {}, None), fake(body)

    def digest(params: dict[str, Any], **_: Any) -> None:
        params["body"] = hashlib.sha256(params["body"]).hexdigest().encode()

    client.meta.events.register("before-parameter-build", record)
    if service == "sagemaker":
        client.meta.events.register("before-call.sagemaker", answer)
    if service == "sagemaker-runtime":
        client.meta.events.register("before-call.sagemaker-runtime.InvokeEndpoint", digest)
    recording.clients.append(client)
    return client


def read_manifest(uri: str) -> tuple[Any, list[str]]:
    """A manifest object and the objects it lists that do not exist (read with a client
    of the test's own, so not recorded)."""
    s3 = boto3.client("s3", region_name=REGION)
    bucket, key = uri[5:].split("/", 1)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    missing = []
    if manifest and isinstance(manifest[0], dict):
        prefix = manifest[0].get("prefix", "")
        for suffix in manifest[1:]:
            bucket, key = (prefix + str(suffix))[5:].split("/", 1)
            try:
                s3.head_object(Bucket=bucket, Key=key)
            except s3.exceptions.ClientError:
                missing.append(prefix + str(suffix))
    return manifest, missing


def drive_the_app(settings: CloudSettings, moto_url: str, tmp: Path, recording: Recording) -> None:
    """Every AWS request the app knows how to send, against the emulator."""
    from moto.sagemaker.models import sagemaker_backends

    from tracknet_studio.cli.cloud import _ensure_cors
    from tracknet_studio.cloud.check import check_settings
    from tracknet_studio.cloud.labeling import (
        create_labeling_job,
        describe_labeling_job,
        labeling_base_uri,
        new_labeling_job_name,
    )
    from tracknet_studio.cloud.sagemaker_backend import SageMakerBackend
    from tracknet_studio.cloud.transfer import (
        download_prefix,
        s3_opener,
        upload_bytes,
        upload_folder,
    )
    from tracknet_studio.core import Track
    from tracknet_studio.formats.groundtruth_export import write_labeling_job
    from tracknet_studio.inference.sagemaker import EndpointPredictor

    moto = sagemaker_backends[ACCOUNT][REGION]
    check_settings(settings)
    _ensure_cors(settings, add=True)

    # S3: a folder with one multipart file (5 MiB parts), a download, a read, SSE-S3.
    data = tmp / "data"
    data.mkdir()
    (data / "clip.mp4").write_bytes(np.random.default_rng(0).bytes(5 * MB + 1))
    (data / "clip.csv").write_bytes(b"Frame,Visibility,X,Y\n0,1,10,20\n")
    small_parts = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    dataset = settings.s3_uri("datasets", "one")
    upload_folder(settings, data, dataset, transfer_config=small_parts)
    download_prefix(settings, dataset + "/", tmp / "back")
    s3_opener(settings)(dataset + "/clip.csv")
    plain = CloudSettings(**{**settings.to_dict(), "kms_key_id": ""})
    upload_bytes(plain, b"{}", settings.s3_uri("notes", "plain.json"))

    backend = SageMakerBackend(settings, JobStore(tmp / "jobs.json"))
    processing = backend.start_processing(dataset, arguments={"height": 144, "width": 256})
    moto.processing_jobs[processing.name].processing_job_status = "InProgress"
    backend.stop(processing.name)
    weights = tmp / "weights"
    weights.mkdir()
    (weights / "model.safetensors").write_bytes(b"weights")
    (weights / "config.json").write_text("{}")
    (tmp / "rally.mp4").write_bytes(np.random.default_rng(1).bytes(4096))
    prediction = backend.start_prediction([tmp / "rally.mp4"], method="fused", weights=weights)
    backend.describe(prediction.name)
    for item in recording.of("CreateProcessingJob")[-1]["ProcessingInputs"]:
        if item["S3Input"]["S3DataType"] == "ManifestFile":
            recording.manifests[item["S3Input"]["S3Uri"]] = read_manifest(item["S3Input"]["S3Uri"])

    training = backend.start_training(
        settings.s3_uri("featurized", processing.name),
        validation=settings.s3_uri("featurized", "val"),
        hyperparameters={"epochs": 2, "arch": "tracknet", "arch-kwargs": {"base": 48}},
        init=settings.s3_uri("models", "shipped", "model.tar.gz"),
    )
    moto.training_jobs[training.name].training_job_status = "InProgress"
    backend.logs(training.name)
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/aws/sagemaker/TrainingJobs")
    stream = f"{training.name}/algo-1-1700000000"
    logs.create_log_stream(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)
    logs.put_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName=stream,
        logEvents=[{"timestamp": 1700000000000, "message": "epoch=1 train_loss=0.5"}],
    )
    backend.logs(training.name)
    backend.stop(training.name)

    model_tar = settings.s3_uri("training", training.name, "output", "model.tar.gz")
    endpoint = backend.deploy(model_tar)
    # A backend that never saw the endpoint finds it by asking each API in turn.
    SageMakerBackend(settings, JobStore(tmp / "other.json")).describe(endpoint)
    reply = {"Body": json.dumps({"predictions": []}), "ContentType": "application/json"}
    queue_endpoint_results(moto_url, [reply, reply])
    binary = bytes(range(256)) * 8
    backend.invoke(endpoint, binary, "application/x-tracknet-frames")
    EndpointPredictor(settings, endpoint, input_size=(144, 256)).invoke(binary)
    backend.delete_endpoint(endpoint)

    track = Track(40)
    track.set_points([3, 7, 20], [10.0, 20.5, 33.0], [30.0, 31.0, 12.5])
    for adjustment in (False, True):
        name = new_labeling_job_name() + ("-adj" if adjustment else "")
        folder = tmp / name
        write_labeling_job(track, folder, range(0, 40, 4),
                           lambda n: np.full((36, 64, 3), n, np.uint8),
                           base_uri=labeling_base_uri(settings, name), job_name=name,
                           adjustment=adjustment)  # fmt: skip
        create_labeling_job(settings, folder, name, adjustment=adjustment, store=backend.store)
        uri = recording.of("CreateLabelingJob")[-1]["LabelCategoryConfigS3Uri"]
        recording.label_configs[name] = json.loads(s3_opener(settings)(uri))
        describe_labeling_job(settings, name, backend.store)
    backend.stop(name)


_DRIVEN: list[Recording] = []


@pytest.fixture
def recording(
    settings: CloudSettings,
    aws: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Recording:
    """The app driven once for the module, by the first test that asks (inside the
    conftest's emulator environment and wheel cache); later tests reuse what it sent."""
    if not _DRIVEN:
        settings.use_spot = True
        settings.kms_key_id = KMS_KEY
        settings.workteam_arn = WORKTEAM
        settings.network_isolation = True
        result = Recording()
        real_client = aws_session.client
        monkeypatch.setattr(
            aws_session, "client", lambda *a, **k: attach(real_client(*a, **k), result)
        )
        drive_the_app(settings, aws, tmp_path_factory.mktemp("requests"), result)
        _DRIVEN.append(result)
    return _DRIVEN[0]


# ----- the service model, walked ------------------------------------------------------------
@functools.cache
def service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def input_shape(service: str, operation: str) -> Any:
    return service_model(service).operation_model(operation).input_shape


# Java's POSIX classes (java.util.regex.Pattern, "POSIX character classes (US-ASCII only)").
_POSIX = {
    "ASCII": r"\x00-\x7F",
    "Print": r"\x20-\x7E",
    "Graph": r"\x21-\x7E",
    "Alnum": "A-Za-z0-9",
    "Alpha": "A-Za-z",
    "Digit": "0-9",
    "Upper": "A-Z",
    "Lower": "a-z",
    "XDigit": "0-9a-fA-F",
    "Space": r" \t\n\x0B\f\r",
    "Punct": r"!-/:-@\[-`{-~",
}
# A Java pattern names supplementary code points by their UTF-16 surrogate pairs.
_SUPPLEMENTARY = (r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")


@functools.cache
def _unicode_categories() -> dict[str, str]:
    """Every Unicode general category (Lu, Ll, Nd...) as character-class ranges, from one
    pass over the code points."""
    ranges: dict[str, list[str]] = {}
    start, current = 0, unicodedata.category(chr(0))
    for code in range(1, sys.maxunicode + 2):
        category = unicodedata.category(chr(code)) if code <= sys.maxunicode else ""
        if category != current:
            ranges.setdefault(current, []).append(f"\\U{start:08X}-\\U{code - 1:08X}")
            start, current = code, category
    return {name: "".join(parts) for name, parts in ranges.items()}


def _category_ranges(category: str) -> str:
    """Java's \\p{L}, \\p{Cc}...: a general category (one or two letters) as ranges."""
    return "".join(v for k, v in _unicode_categories().items() if k.startswith(category))


def _class_body(name: str) -> str | None:
    if name in _POSIX:
        return _POSIX[name]
    if re.fullmatch(r"[LMNPSZC][a-z]?", name):
        return _category_ranges(name)
    return None


@functools.cache
def python_pattern(java: str) -> re.Pattern[str] | None:
    """A botocore `pattern` (Java regex syntax, as AWS validates it) as a Python regex, or
    None for constructs Python's re lacks (counted by the tests, never silently passed).

    Translated: \\p{POSIX} and \\p{Unicode category} classes, surrogate-pair ranges, \\z,
    and a '-' after a class escape inside [...] (a literal in Java). \\w, \\d and \\s are
    ASCII, as in Java without UNICODE_CHARACTER_CLASS. Refused: nested classes and
    intersections ([a[b]], [a&&b]), \\G, \\Q...\\E, \\Z and what re cannot compile."""
    text = java.replace(*_SUPPLEMENTARY)
    out: list[str] = []
    i, in_class = 0, False
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            kind = text[i + 1]
            if kind in "pP" and text[i + 2 : i + 3] == "{":
                end = text.index("}", i)
                body = _class_body(text[i + 3 : end])
                if body is None or (kind == "P" and in_class):
                    return None
                out.append(body if in_class else f"[{'^' if kind == 'P' else ''}{body}]")
                i = end + 1
            elif kind == "z":
                out.append(r"\Z")
                i += 2
            elif kind in "GQEZ":
                return None
            else:
                out.append(text[i : i + 2])
                i += 2
            if in_class and text[i : i + 1] == "-" and kind in "pPwWdDsS":
                out.append(r"\-")
                i += 1
            continue
        if char == "[":
            if in_class:
                return None
            in_class = True
            out.append(char)
            i += 1
            if text[i : i + 1] == "^":
                out.append("^")
                i += 1
            continue
        if in_class and text.startswith("&&", i):
            return None
        if char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    try:
        return re.compile("".join(out), re.ASCII)
    except re.error:
        return None


@dataclass
class Checked:
    problems: list[str] = field(default_factory=list)
    skipped_patterns: list[str] = field(default_factory=list)
    patterns_checked: int = 0


def model_problems(value: Any, shape: Any, path: str = "", out: Checked | None = None) -> Checked:
    """What in `value` breaks `shape` (a botocore input shape): required and unknown
    members, types, enum values, string patterns (full match), string/blob lengths,
    list and map sizes, map keys and values, numeric ranges."""
    out = out or Checked()
    meta, kind = shape.metadata, shape.type_name
    where = path or "(request)"

    def sized(n: int, what: str) -> None:
        if "min" in meta and n < meta["min"]:
            out.problems.append(f"{where}: {what} {n} < min {meta['min']}")
        if "max" in meta and n > meta["max"]:
            out.problems.append(f"{where}: {what} {n} > max {meta['max']}")

    if kind == "structure":
        if not isinstance(value, dict):
            out.problems.append(f"{where}: {type(value).__name__}, not a structure")
            return out
        for name in shape.required_members:
            if name not in value:
                out.problems.append(f"{where}: required member {name} is missing")
        for name, member in value.items():
            if name not in shape.members:
                out.problems.append(f"{where}: unknown member {name}")
            else:
                model_problems(member, shape.members[name], f"{path}.{name}".lstrip("."), out)
    elif kind == "list":
        if not isinstance(value, list):
            out.problems.append(f"{where}: {type(value).__name__}, not a list")
            return out
        sized(len(value), "items")
        for i, item in enumerate(value):
            model_problems(item, shape.member, f"{path}[{i}]", out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.problems.append(f"{where}: {type(value).__name__}, not a map")
            return out
        sized(len(value), "entries")
        for key, item in value.items():
            model_problems(key, shape.key, f"{path} key {key!r}", out)
            model_problems(item, shape.value, f"{path}[{key!r}]", out)
    elif kind == "string":
        if not isinstance(value, str):
            out.problems.append(f"{where}: {type(value).__name__}, not a string")
            return out
        sized(len(value), "length")
        if shape.enum and value not in shape.enum:
            out.problems.append(f"{where}: {value!r} is not one of {shape.name}'s values")
        if "pattern" in meta:
            pattern = python_pattern(meta["pattern"])
            if pattern is None:
                out.skipped_patterns.append(f"{where} ({shape.name}: {meta['pattern']})")
            else:
                out.patterns_checked += 1
                if not pattern.fullmatch(value):
                    out.problems.append(f"{where}: {value!r} does not match {meta['pattern']}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            out.problems.append(f"{where}: {value!r} is not an integer")
            return out
        sized(value, "value")
    elif kind in ("float", "double"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            out.problems.append(f"{where}: {value!r} is not a number")
            return out
        sized(value, "value")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.problems.append(f"{where}: {value!r} is not a boolean")
    elif kind == "blob":
        if isinstance(value, (bytes, bytearray)):
            sized(len(value), "bytes")
        elif isinstance(value, str):
            sized(len(value.encode()), "bytes")
        elif isinstance(value, Blob):
            if value.size is not None:
                sized(value.size, "bytes")
        else:
            out.problems.append(f"{where}: {type(value).__name__} is not a blob")
    return out


# ----- cross-field rules (one function per documented rule) ---------------------------------
def _clean(doc: str) -> str:
    text = re.sub(r"<[^>]+>", " ", doc or "")
    text = re.sub(r"\s+", " ", html.unescape(text))
    return re.sub(r"\s+([,.;:)])", r"\1", text)


def api_doc(service: str, shape: str, member: str | None = None) -> str:
    """The API Reference text botocore ships for a shape's member (or an operation)."""
    model = service_model(service)
    if member is None:
        return _clean(model.operation_model(shape).documentation)
    return _clean(model.shape_for(shape).members[member].documentation)


JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MODEL_NAME = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
NAMES = {
    "CreateProcessingJob": ("ProcessingJobName", JOB_NAME),
    "CreateTrainingJob": ("TrainingJobName", JOB_NAME),
    "CreateLabelingJob": ("LabelingJobName", JOB_NAME),
    "CreateEndpointConfig": ("EndpointConfigName", JOB_NAME),
    "CreateEndpoint": ("EndpointName", JOB_NAME),
    "CreateModel": ("ModelName", MODEL_NAME),
}


def name_rule(operation: str, params: dict[str, Any]) -> list[str]:
    """Names of jobs, endpoints and endpoint configurations: `^[a-zA-Z0-9](-*[a-zA-Z0-9])
    {0,62}$`, 1 to 63 characters; model names `^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$`,
    at most 63 (SageMaker API Reference, CreateTrainingJob / CreateProcessingJob /
    CreateLabelingJob / CreateEndpointConfig / CreateEndpoint / CreateModel, "Request
    Parameters", the name's "Pattern" and "Length Constraints")."""
    member, pattern = NAMES[operation]
    name = params.get(member, "")
    if not pattern.fullmatch(name) or len(name) > 63:
        return [f"{operation}.{member} {name!r} is not a valid name"]
    return []


def spot_wait_rule(request: dict[str, Any]) -> list[str]:
    """Managed spot needs MaxWaitTimeInSeconds, at least MaxRuntimeInSeconds.

    SageMaker API Reference, StoppingCondition, MaxWaitTimeInSeconds: "It must be equal
    to or greater than MaxRuntimeInSeconds." Developer Guide, "Managed Spot Training in
    Amazon SageMaker AI", "Using Managed Spot Training": "Set EnableManagedSpotTraining to
    True and specify the MaxWaitTimeInSeconds. MaxWaitTimeInSeconds must be larger than
    MaxRuntimeInSeconds." Checked as the stricter of the two: larger."""
    stopping = request.get("StoppingCondition", {})
    if not request.get("EnableManagedSpotTraining"):
        return []
    if "MaxWaitTimeInSeconds" not in stopping:
        return ["managed spot training without StoppingCondition.MaxWaitTimeInSeconds"]
    if stopping["MaxWaitTimeInSeconds"] <= stopping.get("MaxRuntimeInSeconds", 86400):
        return ["MaxWaitTimeInSeconds is not larger than MaxRuntimeInSeconds"]
    return []


def spot_checkpoint_rule(request: dict[str, Any]) -> list[str]:
    """Spot jobs keep checkpoints in S3, written under the documented local directory.

    Developer Guide, "Managed Spot Training in Amazon SageMaker AI", Note: "Unless your
    training job will complete quickly, we recommend you use checkpointing with managed
    spot training." API Reference, CheckpointConfig, LocalPath: "The default directory is
    /opt/ml/checkpoints/." (entrypoints/train.py resumes from there: the app makes the
    recommendation its rule.)"""
    if not request.get("EnableManagedSpotTraining"):
        return []
    checkpoint = request.get("CheckpointConfig")
    if not checkpoint:
        return ["managed spot training without CheckpointConfig"]
    if checkpoint.get("LocalPath", "/opt/ml/checkpoints").rstrip("/") != "/opt/ml/checkpoints":
        return [f"checkpoints written to {checkpoint['LocalPath']}"]
    return []


def max_runtime_rule(request: dict[str, Any]) -> list[str]:
    """MaxRuntimeInSeconds is at most 28 days (API Reference, StoppingCondition,
    MaxRuntimeInSeconds: "The default value is 1 day. The maximum value is 28 days.")."""
    runtime = request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", 86400)
    return [f"MaxRuntimeInSeconds {runtime} > 28 days"] if runtime > 28 * 86400 else []


def hyperparameter_rule(request: dict[str, Any]) -> list[str]:
    """At most 100 hyperparameters, keys of at most 256 characters, string values of at
    most 2500 (API Reference, CreateTrainingJob, HyperParameters: "You can specify a
    maximum of 100 hyperparameters. Each hyperparameter is a key-value pair. Each key and
    value is limited to 256 characters, as specified by the Length Constraint." and its
    Length Constraints: key "Maximum length of 256", value "Maximum length of 2500"; the
    prose and the constraint disagree on values, the constraint is what is checked)."""
    hps = request.get("HyperParameters", {})
    problems = [f"{len(hps)} hyperparameters > 100"] if len(hps) > 100 else []
    for key, value in hps.items():
        if len(key) > 256:
            problems.append(f"hyperparameter key {key[:20]!r}... over 256 characters")
        if not isinstance(value, str) or len(value) > 2500:
            problems.append(f"hyperparameter {key!r}: value not a string of <= 2500")
    return problems


# Instance families with NVMe instance storage that the SageMaker documentation names
# (API Reference, ResourceConfig, VolumeSizeInGB; Developer Guide, "Managing storage paths
# for different types of instance local storage"): "ML instance families with the
# NVMe-type instance storage include ml.p4d, ml.g4dn, and ml.g5."
LOCAL_STORAGE_FAMILIES = ("ml.p4d", "ml.g4dn", "ml.g5")


def volume_kms_rule(resources: dict[str, Any]) -> list[str]:
    """No VolumeKmsKeyId on an instance type with local storage.

    API Reference, ResourceConfig and ProcessingClusterConfig, VolumeKmsKeyId: "Certain
    Nitro-based instances include local storage, dependent on the instance type. Local
    storage volumes are encrypted using a hardware module on the instance. You can't
    request a VolumeKmsKeyId when using an instance type with local storage." """
    family = resources.get("InstanceType", "").rsplit(".", 1)[0]
    if "VolumeKmsKeyId" in resources and family in LOCAL_STORAGE_FAMILIES:
        return [f"VolumeKmsKeyId requested on {resources['InstanceType']} (local storage)"]
    return []


def processing_path_rule(request: dict[str, Any]) -> list[str]:
    """Every processing input's LocalPath begins with /opt/ml/processing/ (API Reference,
    ProcessingS3Input, LocalPath: "LocalPath is an absolute path to the input data and must
    begin with /opt/ml/processing/.")."""
    return [
        f"input {item['InputName']} at {item['S3Input']['LocalPath']}"
        for item in request.get("ProcessingInputs", [])
        if "S3Input" in item and not item["S3Input"]["LocalPath"].startswith("/opt/ml/processing/")
    ]


def manifest_rule(manifest: Any, missing: list[str]) -> list[str]:
    """A ManifestFile input is a JSON array: a {"prefix": S3 URI} first, then one or more
    suffixes, each naming an object (API Reference, S3DataSource, S3Uri: "A manifest is an
    S3 object which is a JSON file consisting of an array of elements. The first element is
    a prefix which is followed by one or more suffixes." and "the prefix must be a valid
    non-empty S3Uri"; ProcessingS3Input, S3DataType: "If you choose ManifestFile, S3Uri
    identifies an object that is a manifest file containing a list of object keys")."""
    if not isinstance(manifest, list) or len(manifest) < 2:
        return ["a manifest is an array of a prefix and one or more suffixes"]
    head, suffixes = manifest[0], manifest[1:]
    problems = []
    if not isinstance(head, dict) or not re.fullmatch(r"s3://[^/]+/.*", head.get("prefix", "")):
        problems.append(f"manifest prefix {head!r} is not an S3 URI")
    problems += [
        f"manifest suffix {s!r} is not a string" for s in suffixes if not isinstance(s, str)
    ]
    return problems + [f"manifest lists {uri}, which is not in S3" for uri in missing]


def model_data_rule(request: dict[str, Any]) -> list[str]:
    """ModelDataUrl is one .tar.gz (API Reference, ContainerDefinition, ModelDataUrl: "This
    path must point to a single gzip compressed tar archive (.tar.gz suffix).")."""
    url = request.get("PrimaryContainer", {}).get("ModelDataUrl", "")
    return [] if not url or url.endswith(".tar.gz") else [f"ModelDataUrl {url} is no .tar.gz"]


def endpoint_chain_rule(sent: list[Sent]) -> list[str]:
    """An endpoint configuration hosts models created before it, an endpoint uses a
    configuration created before it, and invocations go to an endpoint created before them.

    API Reference, ProductionVariant, ModelName: "This is the name that you specified when
    creating the model."; CreateEndpoint: "You create the endpoint configuration with the
    CreateEndpointConfig API." """
    models: set[str] = set()
    configs: set[str] = set()
    endpoints: set[str] = set()
    problems = []
    for item in sent:
        p = item.params
        if item.operation == "CreateModel":
            models.add(p["ModelName"])
        elif item.operation == "CreateEndpointConfig":
            missing = {v["ModelName"] for v in p["ProductionVariants"]} - models
            problems += [
                f"config {p['EndpointConfigName']} hosts unknown model {m}" for m in missing
            ]
            configs.add(p["EndpointConfigName"])
        elif item.operation == "CreateEndpoint":
            if p["EndpointConfigName"] not in configs:
                problems.append(f"endpoint {p['EndpointName']} uses an unknown configuration")
            endpoints.add(p["EndpointName"])
        elif item.operation == "InvokeEndpoint" and p["EndpointName"] not in endpoints:
            problems.append(f"invocation of unknown endpoint {p['EndpointName']}")
    return problems


def runtime_timeout_rule(client: Any) -> list[str]:
    """A sagemaker-runtime client waits at least 70 s for an answer (API Reference,
    InvokeEndpoint: "If your model is going to take 50-60 seconds of processing time, the
    SDK socket timeout should be set to be 70 seconds.")."""
    timeout = client.meta.config.read_timeout
    return [] if timeout >= 70 else [f"sagemaker-runtime read timeout {timeout} s < 70 s"]


def _documented_arns(doc_html: str, heading: str) -> set[str]:
    """The ARNs listed under <b>heading</b> in an API Reference member's documentation."""
    start = doc_html.index(f"<b>{heading}</b>")
    end = doc_html.find("<b>", start + 3)
    return set(re.findall(r"arn:aws:[^<\s]+", doc_html[start : end if end > 0 else None]))


def labeling_arn_rule(request: dict[str, Any], region: str) -> list[str]:
    """A video frame object tracking job (or its adjustment job) uses the AWS-owned Lambdas
    and worker UI that the API Reference lists for that task type, in its own region.

    API Reference, HumanTaskConfig, PreHumanTaskLambdaArn, and AnnotationConsolidationConfig,
    AnnotationConsolidationLambdaArn: the lists under "Video Frame Object Tracking" and
    "Video Frame Object Tracking Adjustment"; UiConfig, HumanTaskUiArn: "Use this
    HumanTaskUiArn for video frame object tracking and video frame object tracking
    adjustment labeling jobs. arn:aws:sagemaker:aws-region:394669845002:human-task-ui/
    VideoObjectTracking"."""
    model = service_model("sagemaker")
    task = request["HumanTaskConfig"]
    adjustment = "Adjustment" in task["PreHumanTaskLambdaArn"]
    heading = "Video Frame Object Tracking" + (" Adjustment" if adjustment else "")
    pre_doc = model.shape_for("HumanTaskConfig").members["PreHumanTaskLambdaArn"].documentation
    acs_doc = (
        model.shape_for("AnnotationConsolidationConfig")
        .members["AnnotationConsolidationLambdaArn"]
        .documentation
    )
    ui = f"arn:aws:sagemaker:{region}:394669845002:human-task-ui/VideoObjectTracking"
    problems = []
    pre = task["PreHumanTaskLambdaArn"]
    acs = task["AnnotationConsolidationConfig"]["AnnotationConsolidationLambdaArn"]
    if pre not in _documented_arns(pre_doc, heading) or f":{region}:" not in pre:
        problems.append(f"PreHumanTaskLambdaArn {pre} is not the documented one for {region}")
    if acs not in _documented_arns(acs_doc, heading) or f":{region}:" not in acs:
        problems.append(f"consolidation Lambda {acs} is not the documented one for {region}")
    if task["UiConfig"].get("HumanTaskUiArn") != ui:
        problems.append(f"HumanTaskUiArn {task['UiConfig'].get('HumanTaskUiArn')} is not {ui}")
    return problems


def labeling_time_rule(request: dict[str, Any]) -> list[str]:
    """Task time and availability limits of a video frame job worked by a private team.

    Developer Guide, "Video frame labeling job reference", "Job completion times": "The
    maximum time you can set for workers to work on tasks is 7 days." (the API Reference,
    HumanTaskConfig, TaskTimeLimitInSeconds, allows 30 days for video frame jobs: the
    stricter is checked). API Reference, HumanTaskConfig, TaskAvailabilityLifetimeInSeconds:
    "If you choose a private or vendor workforce, the default value is 30 days ... For most
    users, the maximum is also 30 days." """
    task = request["HumanTaskConfig"]
    problems = []
    if not 30 <= task["TaskTimeLimitInSeconds"] <= 7 * 86400:
        problems.append(f"TaskTimeLimitInSeconds {task['TaskTimeLimitInSeconds']} not 30 s..7 days")
    lifetime = task.get("TaskAvailabilityLifetimeInSeconds", 30 * 86400)
    if not 60 <= lifetime <= 30 * 86400:
        problems.append(f"TaskAvailabilityLifetimeInSeconds {lifetime} not 60 s..30 days")
    return problems


def labeling_workforce_rule(request: dict[str, Any]) -> list[str]:
    """No Mechanical Turk for video frame jobs (Developer Guide, "Video frame labeling job
    reference": "You cannot use the Amazon Mechanical Turk workforce to complete your
    labeling tasks."; the public workforce is the work team ".../workteam/public-crowd/
    default", API Reference, HumanTaskConfig, PublicWorkforceTaskPrice)."""
    arn = request["HumanTaskConfig"]["WorkteamArn"]
    return [f"work team {arn} is Mechanical Turk"] if "workteam/public-crowd" in arn else []


def label_attribute_rule(request: dict[str, Any], label_config: dict[str, Any]) -> list[str]:
    """Label attribute names of video frame tracking jobs.

    API Reference, CreateLabelingJob, LabelAttributeName: "The name can't end with
    "-metadata"", for VideoObjectTracking and AdjustmentVideoObjectTracking jobs "the
    attribute name must end with "-ref"", and "If you are creating an adjustment or
    verification labeling job, you must use a different LabelAttributeName than the one
    used in the original labeling job." LabelCategoryConfigS3Uri: "If you create a 3D point
    cloud or video frame adjustment or verification labeling job, you must include
    auditLabelAttributeName in the label category configuration." """
    name = request["LabelAttributeName"]
    problems = []
    if name.endswith("-metadata") or not name.endswith("-ref"):
        problems.append(f"LabelAttributeName {name!r} must end with -ref")
    if "Adjustment" in request["HumanTaskConfig"]["PreHumanTaskLambdaArn"]:
        audit = label_config.get("auditLabelAttributeName")
        if not audit:
            problems.append("adjustment job without auditLabelAttributeName in its config")
        elif audit == name:
            problems.append(f"adjustment job reuses the label attribute {name!r}")
    return problems


def s3_encryption_rule(operation: str, params: dict[str, Any], kms_key: str) -> list[str]:
    """Every object the app writes is encrypted at rest: SSE-KMS with the configured key,
    else SSE-S3 (tracknet_studio.cloud.transfer.encryption_args); and a KMS key id only
    goes with aws:kms (API Reference, PutObject / CreateMultipartUpload, SSEKMSKeyId: "If
    you specify x-amz-server-side-encryption with aws:kms or aws:kms:dsse, this header
    specifies the ID (Key ID, Key ARN, or Key Alias) of the KMS key to use.")."""
    sse, key = params.get("ServerSideEncryption"), params.get("SSEKMSKeyId")
    wanted = ("aws:kms", kms_key) if kms_key else ("AES256", None)
    problems = []
    if (sse, key) != wanted:
        problems.append(f"{operation} {params['Key']}: encryption {(sse, key)}, not {wanted}")
    if key and sse not in ("aws:kms", "aws:kms:dsse"):
        problems.append(f"{operation} {params['Key']}: SSEKMSKeyId without aws:kms")
    return problems


def s3_object_rule(params: dict[str, Any]) -> list[str]:
    """Object keys are at most 1024 bytes of UTF-8 (Amazon S3 User Guide, "Naming Amazon S3
    objects": "The object key name is a sequence of Unicode characters with UTF-8 encoding
    of up to 1,024 bytes long."); user metadata at most 2 KB (User Guide, "Working with
    object metadata", "User-defined object metadata": "the user-defined metadata is limited
    to 2 KB in size", measured as the UTF-8 bytes of each key and value)."""
    problems = []
    if len(params["Key"].encode()) > 1024:
        problems.append(f"key {params['Key'][:40]}... over 1024 bytes")
    meta = params.get("Metadata", {})
    if sum(len(k.encode()) + len(v.encode()) for k, v in meta.items()) > 2048:
        problems.append(f"{params['Key']}: user metadata over 2 KB")
    return problems


def multipart_rule(sent: list[Sent]) -> list[str]:
    """Part numbers 1 to 10,000, every part but the last at least 5 MiB, parts completed in
    ascending order (API Reference, UploadPart: "Part numbers can be any number from 1 to
    10,000, inclusive."; CompleteMultipartUpload, errors: EntityTooSmall "Each part must be
    at least 5 MB in size, except the last part." and InvalidPartOrder "The parts list must
    be specified in order by part number.")."""
    parts: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
    problems = []
    for item in sent:
        p = item.params
        if item.operation == "UploadPart":
            size = p["Body"].size if isinstance(p["Body"], Blob) else len(p["Body"])
            parts.setdefault((p["Key"], p["UploadId"]), []).append((p["PartNumber"], size))
            if not 1 <= p["PartNumber"] <= 10000:
                problems.append(f"{p['Key']}: part number {p['PartNumber']}")
        elif item.operation == "CompleteMultipartUpload":
            listed = [part["PartNumber"] for part in p["MultipartUpload"]["Parts"]]
            if listed != sorted(listed):
                problems.append(f"{p['Key']}: parts completed out of order {listed}")
            uploaded = sorted(parts.get((p["Key"], p["UploadId"]), []))
            if [n for n, _ in uploaded] != listed:
                problems.append(f"{p['Key']}: completed {listed}, uploaded {uploaded}")
            for _, size in uploaded[:-1]:
                if size is None or size < 5 * MB:
                    problems.append(f"{p['Key']}: a part of {size} bytes before the last")
    return problems


# ----- tests: coverage and the model --------------------------------------------------------
def test_every_kind_of_request_is_exercised(recording: Recording) -> None:
    seen = {(s.service, s.operation) for s in recording.sent}
    assert seen >= REQUIRED, f"no longer exercised: {sorted(REQUIRED - seen)}"
    training = recording.of("CreateTrainingJob")
    assert training and all(t["EnableManagedSpotTraining"] for t in training)
    assert all("CheckpointConfig" in t for t in training)
    assert all(t["OutputDataConfig"]["KmsKeyId"] == KMS_KEY for t in training)
    assert len(recording.of("CreateLabelingJob")) == 2
    assert len(recording.of("UploadPart")) >= 2


def test_every_request_follows_the_service_model(recording: Recording) -> None:
    """Each recorded request walked against botocore's model of its operation."""
    problems, skipped, patterns = [], [], 0
    for item in recording.sent:
        checked = model_problems(item.params, input_shape(item.service, item.operation))
        problems += [f"{item.service}.{item.operation}: {p}" for p in checked.problems]
        skipped += [f"{item.operation}: {p}" for p in checked.skipped_patterns]
        patterns += checked.patterns_checked
    assert not problems, "\n".join(problems)
    assert not skipped, "patterns not checked on sent values:\n" + "\n".join(skipped)
    assert patterns > 100  # the walker did look at the patterns


def test_the_processing_entrypoint_fits_its_length_constraint(recording: Recording) -> None:
    shape = input_shape("sagemaker", "CreateProcessingJob").members["AppSpecification"]
    for request in recording.of("CreateProcessingJob"):
        checked = model_problems(request["AppSpecification"], shape, "AppSpecification")
        assert not checked.problems


# Patterns in the input shapes of the operations the app calls that Python's re cannot
# take even translated (Java's `${1,128}`, a quantified end anchor): never met by a value
# the app sends (the test above fails if one is), listed so that a new one is noticed.
UNTRANSLATABLE: set[str] = set()


def test_patterns_of_the_operations_used_translate_to_python(recording: Recording) -> None:
    reachable: dict[str, str] = {}

    def walk(shape: Any, seen: set[str]) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        if "pattern" in shape.metadata:
            reachable[shape.name] = shape.metadata["pattern"]
        children = {
            "structure": lambda: list(shape.members.values()),
            "list": lambda: [shape.member],
            "map": lambda: [shape.key, shape.value],
        }.get(shape.type_name, list)()
        for child in children:
            walk(child, seen)

    for service, operation in {(s.service, s.operation) for s in recording.sent}:
        walk(input_shape(service, operation), set())
    failing = {name for name, java in reachable.items() if python_pattern(java) is None}
    assert failing == UNTRANSLATABLE, {n: reachable[n] for n in failing ^ UNTRANSLATABLE}
    assert len(reachable) > 40


# ----- tests: cross-field rules -------------------------------------------------------------
def test_names(recording: Recording) -> None:
    problems = [
        p for s in recording.sent if s.operation in NAMES for p in name_rule(s.operation, s.params)
    ]
    assert not problems


def test_training_with_spot_checkpoints_and_hyperparameters(recording: Recording) -> None:
    for request in recording.of("CreateTrainingJob"):
        problems = (
            spot_wait_rule(request)
            + spot_checkpoint_rule(request)
            + max_runtime_rule(request)
            + hyperparameter_rule(request)
        )
        assert not problems


@pytest.mark.parametrize(
    "job",
    [
        "training",
        "prediction",
        "featurize",
    ],
)
def test_no_volume_kms_key_on_instances_with_local_storage(recording: Recording, job: str) -> None:
    """A KMS key is set: it encrypts the jobs' EBS volumes, and must not be asked for on
    instances whose storage is local (volume_kms_rule)."""
    if job == "training":
        (request,) = recording.of("CreateTrainingJob")
        resources = request["ResourceConfig"]
        assert resources["InstanceType"] == "ml.g5.xlarge"
    else:
        featurize, prediction = recording.of("CreateProcessingJob")
        request = featurize if job == "featurize" else prediction
        resources = request["ProcessingResources"]["ClusterConfig"]
        expected = "ml.m5.xlarge" if job == "featurize" else "ml.g4dn.xlarge"
        assert resources["InstanceType"] == expected
    assert not volume_kms_rule(resources)
    if job == "featurize":
        assert resources["VolumeKmsKeyId"] == KMS_KEY  # an EBS-only instance: encrypted
    else:  # local NVMe storage, which SageMaker encrypts with the instance's own module
        assert "VolumeKmsKeyId" not in resources


def test_processing_jobs(recording: Recording) -> None:
    requests = recording.of("CreateProcessingJob")
    assert len(requests) == 2  # featurize and batch prediction
    for request in requests:
        assert not processing_path_rule(request)
        assert request["ProcessingOutputConfig"]["KmsKeyId"] == KMS_KEY
    assert len(recording.manifests) == 1  # the prediction's videos
    for manifest, missing in recording.manifests.values():
        assert not manifest_rule(manifest, missing)


def test_model_endpoint_and_invocations(recording: Recording) -> None:
    problems = endpoint_chain_rule(recording.sent)
    for request in recording.of("CreateModel"):
        problems += model_data_rule(request)
    runtimes = [
        c for c in recording.clients if c.meta.service_model.service_name == "sagemaker-runtime"
    ]
    assert len(runtimes) == 2  # the backend's and the predictor's
    for client in runtimes:
        problems += runtime_timeout_rule(client)
    assert not problems
    assert len(recording.of("InvokeEndpoint")) == 2


def test_labeling_jobs(recording: Recording) -> None:
    requests = recording.of("CreateLabelingJob")
    assert {"Adjustment" in r["HumanTaskConfig"]["PreHumanTaskLambdaArn"] for r in requests} == {
        False,
        True,
    }
    for request in requests:
        config = recording.label_configs[request["LabelingJobName"]]
        problems = (
            labeling_arn_rule(request, REGION)
            + labeling_time_rule(request)
            + labeling_workforce_rule(request)
            + label_attribute_rule(request, config)
        )
        assert not problems
    original, adjusted = sorted(requests, key=lambda r: "Adjustment" in str(r))
    audit = recording.label_configs[adjusted["LabelingJobName"]]["auditLabelAttributeName"]
    assert audit == original["LabelAttributeName"] != adjusted["LabelAttributeName"]


def test_s3_writes(recording: Recording) -> None:
    problems = multipart_rule(recording.sent)
    writes = [s for s in recording.sent if s.operation in ("PutObject", "CreateMultipartUpload")]
    assert len(writes) >= 5
    plain = [s for s in writes if s.params["Key"].endswith("plain.json")]
    assert len(plain) == 1
    for item in writes:
        key = "" if item in plain else KMS_KEY
        problems += s3_encryption_rule(item.operation, item.params, key)
        problems += s3_object_rule(item.params)
    assert not problems


# ----- tests: the checks fail where they should ---------------------------------------------
def first(recording: Recording, operation: str) -> dict[str, Any]:
    return copy.deepcopy(recording.of(operation)[0])


def test_the_walker_rejects_what_the_model_forbids(recording: Recording) -> None:
    shape = input_shape("sagemaker", "CreateTrainingJob")
    request = first(recording, "CreateTrainingJob")
    assert model_problems(request, shape).problems == []
    request["TrainingJobName"] = "train_1"  # pattern
    request["AlgorithmSpecification"]["TrainingInputMode"] = "Streaming"  # enum
    request["ResourceConfig"]["InstanceType"] = "ml.g5.huge"  # enum
    request["HyperParameters"]["k" * 257] = "1"  # map key length
    request["HyperParameters"]["long"] = "v" * 2501  # map value length
    request["InputDataConfig"] *= 7  # list of 21 > 20
    request["StoppingCondition"]["MaxRuntimeInSeconds"] = 0  # numeric minimum
    request["EnableManagedSpotTraining"] = "yes"  # type
    request["Unknown"] = 1
    del request["RoleArn"]
    problems = "\n".join(model_problems(request, shape).problems)
    for expected in (
        "TrainingJobName: 'train_1' does not match",
        "TrainingInputMode: 'Streaming' is not one of",
        "InstanceType: 'ml.g5.huge' is not one of",
        "HyperParameters key 'kkk",
        "HyperParameters['long']: length 2501 > max 2500",
        "InputDataConfig: items 21 > max 20",
        "MaxRuntimeInSeconds: value 0 < min 1",
        "EnableManagedSpotTraining: 'yes' is not a boolean",
        "unknown member Unknown",
        "required member RoleArn is missing",
    ):
        assert expected in problems
    # ...what botocore's own validation lets through: maximums and patterns.
    from botocore.validate import validate_parameters

    lenient = first(recording, "CreateTrainingJob")
    lenient["TrainingJobName"] = "bad_name"
    lenient["HyperParameters"]["long"] = "v" * 2501
    validate_parameters(lenient, shape)  # no error
    assert len(model_problems(lenient, shape).problems) == 2


def test_the_walker_checks_blobs_and_headers(recording: Recording) -> None:
    shape = input_shape("sagemaker-runtime", "InvokeEndpoint")
    request = first(recording, "InvokeEndpoint")
    assert model_problems(request, shape).problems == []
    request["Body"] = Blob(6 * MB + 1)
    request["ContentType"] = "image/jpeg; name=é"  # \p{ASCII}*
    problems = "\n".join(model_problems(request, shape).problems)
    assert "Body: bytes 6291457 > max 6291456" in problems
    assert "ContentType: 'image/jpeg; name=é' does not match" in problems


def test_java_patterns_translate() -> None:
    cases = {
        r"\p{ASCII}*": (["abc ~"], ["é"]),
        r"\A\S[\p{Print}]*\z": (["a b"], [" a", "a\n"]),
        r"[\t\n\r -\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF]*": (["ok é 😀"], ["\x00"]),
        r"[\w-_]*": (["a-b_c"], ["a.b"]),
        r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)": (["Ballé 12 a:b"], ["a*b"]),
        r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*": (["a--b"], ["a-", "-a"]),
        r"\d+": (["12"], ["١٢"]),  # ASCII digits only, as in Java
    }
    for java, (good, bad) in cases.items():
        pattern = python_pattern(java)
        assert pattern is not None, java
        assert all(pattern.fullmatch(v) for v in good), java
        assert not any(pattern.fullmatch(v) for v in bad), java
    for refused in (r"[a-z&&[^b]]", r"[a[b]]", r"\Qa.b\E", r"\p{IsLatin}"):
        assert python_pattern(refused) is None


def test_the_rules_reject_what_the_documents_forbid(recording: Recording) -> None:
    training = first(recording, "CreateTrainingJob")
    training["StoppingCondition"]["MaxWaitTimeInSeconds"] = training["StoppingCondition"][
        "MaxRuntimeInSeconds"
    ]
    assert spot_wait_rule(training)
    del training["StoppingCondition"]["MaxWaitTimeInSeconds"], training["CheckpointConfig"]
    assert spot_wait_rule(training) and spot_checkpoint_rule(training)
    training["StoppingCondition"]["MaxRuntimeInSeconds"] = 29 * 86400
    training["HyperParameters"] = {str(i): "1" for i in range(101)}
    assert max_runtime_rule(training) and hyperparameter_rule(training)
    assert volume_kms_rule({"InstanceType": "ml.g4dn.xlarge", "VolumeKmsKeyId": "k"})
    assert not volume_kms_rule({"InstanceType": "ml.p3.2xlarge", "VolumeKmsKeyId": "k"})
    assert name_rule("CreateTrainingJob", {"TrainingJobName": "a" * 64})
    assert name_rule("CreateModel", {"ModelName": "model-"})

    processing = first(recording, "CreateProcessingJob")
    processing["ProcessingInputs"][0]["S3Input"]["LocalPath"] = "/data/input"
    assert processing_path_rule(processing)
    assert model_data_rule({"PrimaryContainer": {"ModelDataUrl": "s3://b/model/"}})
    ((manifest, _),) = recording.manifests.values()
    assert manifest_rule(manifest[:1], [])  # no suffix
    assert manifest_rule([{"prefix": "videos/"}, *manifest[1:]], [])
    assert manifest_rule(manifest, ["s3://b/videos/gone.mp4"])
    reordered = [s for s in recording.sent if s.operation != "CreateModel"]
    assert endpoint_chain_rule(reordered)

    labeling = first(recording, "CreateLabelingJob")
    task = labeling["HumanTaskConfig"]
    assert not labeling_arn_rule(labeling, REGION)
    assert labeling_arn_rule(labeling, "eu-west-1")  # another region's Lambdas
    task["PreHumanTaskLambdaArn"] = task["PreHumanTaskLambdaArn"].replace("Tracking", "Detection")
    assert labeling_arn_rule(labeling, REGION)
    task["TaskTimeLimitInSeconds"] = 8 * 86400
    task["TaskAvailabilityLifetimeInSeconds"] = 31 * 86400
    assert len(labeling_time_rule(labeling)) == 2
    task["WorkteamArn"] = f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default"
    assert labeling_workforce_rule(labeling)
    labeling["LabelAttributeName"] = "ball"
    assert label_attribute_rule(labeling, {})
    adjusted = next(r for r in recording.of("CreateLabelingJob") if "Adjust" in str(r))
    assert label_attribute_rule(adjusted, {})  # no auditLabelAttributeName

    put = first(recording, "PutObject")
    assert s3_encryption_rule("PutObject", {**put, "ServerSideEncryption": "AES256"}, KMS_KEY)
    assert s3_encryption_rule("PutObject", {**put, "SSEKMSKeyId": None}, KMS_KEY)
    assert s3_object_rule({"Key": "é" * 513, "Metadata": {"sha256": "x" * 2048}}) == [
        f"key {'é' * 40}... over 1024 bytes",
        f"{'é' * 513}: user metadata over 2 KB",
    ]
    parts = [s for s in recording.sent if s.operation == "UploadPart"]
    small = [Sent(s.service, s.operation, {**s.params, "Body": Blob(MB)}) for s in parts]
    assert multipart_rule([*small, *(s for s in recording.sent if s.operation != "UploadPart")])


# The API Reference sentences the rules above quote, as botocore ships them:
# (service, shape or operation, member or None for the operation, phrase).
QUOTED = [
    ("sagemaker", "StoppingCondition", "MaxWaitTimeInSeconds",
     "It must be equal to or greater than MaxRuntimeInSeconds."),
    ("sagemaker", "StoppingCondition", "MaxRuntimeInSeconds",
     "The maximum value is 28 days."),
    ("sagemaker", "CheckpointConfig", "LocalPath",
     "The default directory is /opt/ml/checkpoints/."),
    ("sagemaker", "CreateTrainingJobRequest", "HyperParameters",
     "You can specify a maximum of 100 hyperparameters."),
    ("sagemaker", "ResourceConfig", "VolumeKmsKeyId",
     "You can't request a VolumeKmsKeyId when using an instance type with local storage."),
    ("sagemaker", "ProcessingClusterConfig", "VolumeKmsKeyId",
     "You can't request a VolumeKmsKeyId when using an instance type with local storage."),
    ("sagemaker", "ResourceConfig", "VolumeSizeInGB",
     "ML instance families with the NVMe-type instance storage include ml.p4d, ml.g4dn, "
     "and ml.g5."),
    ("sagemaker", "ProcessingS3Input", "LocalPath",
     "must begin with /opt/ml/processing/"),
    ("sagemaker", "S3DataSource", "S3Uri",
     "A manifest is an S3 object which is a JSON file consisting of an array of elements. "
     "The first element is a prefix which is followed by one or more suffixes."),
    ("sagemaker", "S3DataSource", "S3Uri", "the prefix must be a valid non-empty S3Uri"),
    ("sagemaker", "ProcessingS3Input", "S3DataType",
     "If you choose ManifestFile, S3Uri identifies an object that is a manifest file "
     "containing a list of object keys"),
    ("sagemaker", "ContainerDefinition", "ModelDataUrl",
     "This path must point to a single gzip compressed tar archive (.tar.gz suffix)."),
    ("sagemaker", "ProductionVariant", "ModelName",
     "This is the name that you specified when creating the model."),
    ("sagemaker", "CreateEndpoint", None,
     "You create the endpoint configuration with the CreateEndpointConfig API."),
    ("sagemaker", "UiConfig", "HumanTaskUiArn",
     "arn:aws:sagemaker:aws-region:394669845002:human-task-ui/VideoObjectTracking"),
    ("sagemaker", "HumanTaskConfig", "TaskAvailabilityLifetimeInSeconds",
     "If you choose a private or vendor workforce, the default value is 30 days"),
    ("sagemaker", "CreateLabelingJobRequest", "LabelAttributeName",
     "Video frame object tracking ( VideoObjectTracking), and adjustment and verification "
     "( AdjustmentVideoObjectTracking) labeling jobs for this task type."),
    ("sagemaker", "CreateLabelingJobRequest", "LabelAttributeName",
     "you must use a different LabelAttributeName than the one used in the original "
     "labeling job."),
    ("sagemaker", "CreateLabelingJobRequest", "LabelCategoryConfigS3Uri",
     "you must include auditLabelAttributeName in the label category configuration."),
    ("sagemaker-runtime", "InvokeEndpoint", None,
     "the SDK socket timeout should be set to be 70 seconds."),
    ("s3", "PutObjectRequest", "SSEKMSKeyId",
     "If you specify x-amz-server-side-encryption with aws:kms or aws:kms:dsse, this header "
     "specifies the ID"),
    ("s3", "UploadPart", None,
     "Part numbers can be any number from 1 to 10,000, inclusive."),
    ("s3", "CompleteMultipartUpload", None,
     "Each part must be at least 5 MB in size, except the last part."),
    ("s3", "CompleteMultipartUpload", None,
     "The parts list must be specified in order by part number."),
]  # fmt: skip


def test_every_quoted_rule_is_in_the_api_reference() -> None:
    """The citations above are checked against the documentation in botocore's models,
    so a rule AWS rewords or drops shows up here (Developer and User Guide citations,
    which botocore does not ship, are not checked)."""
    missing = [
        f"{service} {shape}.{member}: {phrase}"
        for service, shape, member, phrase in QUOTED
        if phrase not in api_doc(service, shape, member)
    ]
    assert not missing, "\n".join(missing)
    pre = service_model("sagemaker").shape_for("HumanTaskConfig").members["PreHumanTaskLambdaArn"]
    arns = _documented_arns(pre.documentation, "Video Frame Object Tracking")
    assert f"arn:aws:lambda:{REGION}:432418664414:function:PRE-VideoObjectTracking" in arns
    assert len(arns) >= 12
