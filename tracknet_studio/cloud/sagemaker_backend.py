"""SageMaker jobs: featurize as a processing job, train as a training job, serve as a
real-time endpoint; logs from CloudWatch Logs.

The code runs on the official PyTorch images (URIs from sagemaker-core, imported only
here). Training takes the model folder as a source bundle (sourcedir.tar.gz, named by
its hash) through the hyperparameters `sagemaker_program` and `sagemaker_submit_directory`,
as the PyTorch training toolkit expects; the endpoint runs the code/ folder that train.py
writes into the model.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tracknet_studio.core.paths import cache_dir

from . import session as aws
from .bundle import (
    BUNDLE_NAME,
    PROCESSING_BUNDLE_NAME,
    bundle_digest,
    processing_bundle,
    source_bundle,
)
from .jobs import JobRecord, JobStore, job_name, metric_definitions
from .prediction import BATCH_MODULE, batch_arguments, prediction_details, stage, video_layout
from .settings import CloudSettings
from .transfer import split_s3_uri, upload_bytes, upload_folder
from .wheels import container_requirements, container_wheels, offline_requirements

PROCESSING_INPUT = "/opt/ml/processing/input"
PROCESSING_CODE = "/opt/ml/processing/code"
PROCESSING_OUTPUT = "/opt/ml/processing/output"
PROCESSING_WHEELS = "/opt/ml/processing/wheels"
PROCESSING_MODEL = "/opt/ml/processing/model"
CHECKPOINT_PATH = "/opt/ml/checkpoints"
LOG_GROUPS = {
    "training": "/aws/sagemaker/TrainingJobs",
    "processing": "/aws/sagemaker/ProcessingJobs",
    "endpoint": "/aws/sagemaker/Endpoints",
}
# Processing jobs unpack the processing bundle and install its requirements from the
# wheels that came with the job (PyAV and OpenCV, which the PyTorch image lacks), never
# from the internet, then run the command in ContainerArguments ("featurize.py ..." or
# "-m tracknet_studio.inference.batch ...") with the bundle as the working directory.
# Terse: each ContainerEntrypoint item is at most 256 characters (API Reference,
# AppSpecification, ContainerEntrypoint).
PROCESSING_SHELL = (
    "set -e;mkdir -p /tmp/t;"
    f"tar xzf {PROCESSING_CODE}/{PROCESSING_BUNDLE_NAME} -C /tmp/t;cd /tmp/t;"
    f"python3 -m pip install -q --no-index -f {PROCESSING_WHEELS} -r requirements.txt;"
    'PYTHONPATH=/tmp/t exec python3 "$@"'
)
# Instance families with NVMe instance storage, which SageMaker encrypts itself and for
# which a VolumeKmsKeyId is refused (API Reference, ResourceConfig and
# ProcessingClusterConfig, VolumeKmsKeyId; the Developer Guide names p4d, g4dn and g5; the
# others are the EC2 families of the same storage kind).
LOCAL_STORAGE_FAMILIES = frozenset(
    ("p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "g4dn", "g5", "g6", "g6e", "m5d", "c5d",
     "r5d", "trn1", "trn1n")
)  # fmt: skip

VOLUME_GB = 50


def has_local_storage(instance_type: str) -> bool:
    """Whether `instance_type` (ml.g5.xlarge) has NVMe instance storage instead of EBS."""
    parts = instance_type.split(".")
    return len(parts) == 3 and parts[1] in LOCAL_STORAGE_FAMILIES


def image_uri(settings: CloudSettings, scope: str, instance_type: str) -> str:
    """The official PyTorch image for `scope` (training or inference) on `instance_type`,
    as sagemaker-core resolves it; kept in a small cache file, since importing
    sagemaker-core takes seconds and the answer only changes with its inputs."""
    key = "|".join(
        (settings.region, settings.pytorch_version, settings.py_version, scope, instance_type)
    )
    cache = _image_cache_path()
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if key not in known:
        from sagemaker.core import image_uris

        known[key] = image_uris.retrieve(
            "pytorch",
            region=settings.region,
            version=settings.pytorch_version,
            py_version=settings.py_version,
            instance_type=instance_type,
            image_scope=scope,
        )
        with contextlib.suppress(OSError):  # a cache that cannot be written costs time only
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(known, indent=1), encoding="utf-8")
    return known[key]


def _image_cache_path() -> Path:
    return cache_dir() / "sagemaker-image-uris.json"


class SageMakerBackend:
    """Start, follow and stop SageMaker jobs and endpoints; records go to the JobStore."""

    name = "sagemaker"

    def __init__(self, settings: CloudSettings, store: JobStore | None = None) -> None:
        self.settings = settings
        self.store = store or JobStore()
        self.session = aws.aws_session(settings)
        self.sagemaker = aws.client(settings, "sagemaker", self.session)
        self.s3 = aws.client(settings, "s3", self.session)
        self.cloudwatch_logs = aws.client(settings, "logs", self.session)
        self._runtime: Any = None
        self._log_cache: dict[str, tuple[list[str], dict[str, str]]] = {}

    @property
    def runtime(self) -> Any:
        if self._runtime is None:
            self._runtime = aws.client(self.settings, "sagemaker-runtime", self.session)
        return self._runtime

    # ----- code ------------------------------------------------------------------------
    def upload_source_bundle(self) -> str:
        """model/ as sourcedir.tar.gz under code/<hash>/; not re-uploaded when unchanged.
        Under network isolation it carries the wheels and installs only from them, in the
        training job and (train.py copies them into the model's code/) on the endpoint."""
        if self.settings.network_isolation:
            requirements = offline_requirements(container_requirements())
            data = source_bundle(requirements=requirements, wheels=self.wheels())
        else:
            data = source_bundle()
        return self._upload_code(data, BUNDLE_NAME)

    def upload_processing_code(self) -> str:
        """The processing bundle under code/<hash>/; returns that prefix (the job's input)."""
        requirements = "\n".join(container_requirements()) + "\n"
        uri = self._upload_code(processing_bundle(requirements), PROCESSING_BUNDLE_NAME)
        return uri.rsplit("/", 1)[0] + "/"

    def upload_wheels(self) -> str:
        """The containers' wheels under wheels/<python>-<platform>/, uploaded once."""
        folder = self.wheels()
        return upload_folder(self.settings, folder, self.settings.s3_uri("wheels", folder.name),
                             s3=self.s3).s3_uri  # fmt: skip

    def wheels(self) -> Path:
        return container_wheels(self.settings.py_version)

    def _upload_code(self, data: bytes, file_name: str) -> str:
        uri = self.settings.s3_uri("code", bundle_digest(data), file_name)
        bucket, key = split_s3_uri(uri)
        try:
            self.s3.head_object(Bucket=bucket, Key=key)
        except self.s3.exceptions.ClientError:
            upload_bytes(self.settings, data, uri, self.s3)
        return uri

    # ----- jobs ------------------------------------------------------------------------
    def processing_request(
        self,
        name: str,
        command: list[str],
        inputs: list[dict[str, Any]],
        output_s3: str,
        *,
        instance_type: str,
        instance_count: int = 1,
    ) -> dict[str, Any]:
        """The CreateProcessingJob request running `command` (python3's arguments) from the
        processing bundle, with `inputs` beside the code and wheels inputs."""
        s = self.settings
        cluster: dict[str, Any] = {
            "InstanceCount": instance_count,
            "InstanceType": instance_type,
            "VolumeSizeInGB": VOLUME_GB,
        }
        output: dict[str, Any] = {
            "Outputs": [
                {
                    "OutputName": "output",
                    "S3Output": {
                        "S3Uri": output_s3,
                        "LocalPath": PROCESSING_OUTPUT,
                        # Results go up as they are written: a job that fails or is stopped
                        # halfway keeps what it finished.
                        "S3UploadMode": "Continuous",
                    },
                }
            ]
        }
        if s.kms_key_id:
            output["KmsKeyId"] = s.kms_key_id
            if not has_local_storage(instance_type):
                cluster["VolumeKmsKeyId"] = s.kms_key_id
        request: dict[str, Any] = {
            "ProcessingJobName": name,
            "RoleArn": s.role_arn,
            "ProcessingResources": {"ClusterConfig": cluster},
            "AppSpecification": {
                "ImageUri": image_uri(s, "training", instance_type),
                "ContainerEntrypoint": ["/bin/bash", "-c", PROCESSING_SHELL, "tracknet"],
                "ContainerArguments": command,
            },
            "ProcessingInputs": [
                *inputs,
                _processing_input("code", self.upload_processing_code(), PROCESSING_CODE),
                _processing_input("wheels", self.upload_wheels(), PROCESSING_WHEELS),
            ],
            "ProcessingOutputConfig": output,
            "StoppingCondition": {"MaxRuntimeInSeconds": s.max_run_s},
        }
        if s.network_isolation:
            request["NetworkConfig"] = {"EnableNetworkIsolation": True}
        return request

    def start_processing(
        self,
        dataset_s3: str,
        output_s3: str | None = None,
        *,
        name: str | None = None,
        arguments: Mapping[str, Any] | None = None,
        instance_count: int = 1,
    ) -> JobRecord:
        """Featurize the videos and CSVs under `dataset_s3` into `output_s3`."""
        s = self.settings
        name = name or job_name("featurize")
        output_s3 = output_s3 or self.settings.s3_uri("featurized", name)
        command = ["featurize.py", "--input", PROCESSING_INPUT, "--output", PROCESSING_OUTPUT]
        for key, value in (arguments or {}).items():
            command += [f"--{key}", str(value)]
        # Copied whole to every instance: featurize.py shards by clip itself, from the
        # resource config, and needs the whole list to agree on the split.
        inputs = [_processing_input("input", dataset_s3, PROCESSING_INPUT)]
        return self._start_processing_job(
            JobRecord(name, "processing", self.name, instance_type=s.processing_instance_type),
            command, inputs, output_s3, instance_count,
        )  # fmt: skip

    def start_prediction(
        self,
        videos: list[Path],
        *,
        method: str = "fused",
        weights: str | Path | None = None,
        overlay: bool = False,
        name: str | None = None,
        instance_count: int = 1,
        progress: Any = None,
    ) -> JobRecord:
        """Predict each video's track (and overlay) in a processing job running
        tracknet_studio.inference.batch, the videos shared out among `instance_count`
        instances (ShardedByS3Key). Videos are uploaded once to videos/<key>/ and listed
        in a manifest; `weights` is a model.tar.gz in S3 or a local model, uploaded."""
        if weights is None and method != "motion":
            raise ValueError(f"the {method} method needs weights: a model folder or model.tar.gz")
        s = self.settings
        name = name or job_name("predict")
        layout = video_layout(videos)
        videos_s3 = s.s3_uri("videos") + "/"
        with tempfile.TemporaryDirectory() as scratch:
            stage(layout, Path(scratch))
            upload_folder(s, scratch, videos_s3, progress, s3=self.s3)
        manifest_s3 = s.s3_uri("predictions", name, "videos.manifest")
        manifest = [{"prefix": videos_s3}, *layout]  # the documented ManifestFile form
        upload_bytes(s, json.dumps(manifest).encode(), manifest_s3, self.s3)
        inputs = [_processing_input("videos", manifest_s3, PROCESSING_INPUT, sharded=True)]
        model_s3 = self._model_input(weights)
        if model_s3:
            inputs.append(_processing_input("model", model_s3, PROCESSING_MODEL))
        args = batch_arguments(PROCESSING_INPUT, PROCESSING_OUTPUT, method=method,
                               weights=PROCESSING_MODEL if model_s3 else None,
                               overlay=overlay)  # fmt: skip
        details = prediction_details(layout, method, overlay, model_s3)
        record = JobRecord(name, "prediction", self.name,
                           instance_type=s.prediction_instance_type, details=details)  # fmt: skip
        return self._start_processing_job(record, ["-m", BATCH_MODULE, *args], inputs,
                                          s.s3_uri("predictions", name, "output"),
                                          instance_count)  # fmt: skip

    def _start_processing_job(
        self,
        record: JobRecord,
        command: list[str],
        inputs: list[dict[str, Any]],
        output_s3: str,
        instance_count: int,
    ) -> JobRecord:
        """Send the processing request and keep the job's record."""
        request = self.processing_request(record.name, command, inputs, output_s3,
                                          instance_type=record.instance_type,
                                          instance_count=instance_count)  # fmt: skip
        self.sagemaker.create_processing_job(**request)
        record.artifact = output_s3
        record.log_source = f"{LOG_GROUPS['processing']}:{record.name}/"
        return self.store.put(record)

    def _model_input(self, weights: str | Path | None) -> str | None:
        """An s3:// model as it is; a local model folder or file uploaded under
        weights/<hash>/ (unchanged files are not sent again)."""
        if weights is None or str(weights).startswith("s3://"):
            return str(weights) if weights else None
        path = Path(weights)
        if not path.exists():
            raise FileNotFoundError(f"no weights at {path}")
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            digest = bundle_digest(b"".join(p.read_bytes() for p in files))
            return upload_folder(self.settings, path, self.settings.s3_uri("weights", digest),
                                 s3=self.s3).s3_uri  # fmt: skip
        data = path.read_bytes()
        uri = self.settings.s3_uri("weights", bundle_digest(data), path.name)
        upload_bytes(self.settings, data, uri, self.s3)
        return uri

    def training_request(
        self,
        name: str,
        channels: Mapping[str, str],
        bundle_s3: str,
        hyperparameters: Mapping[str, Any] | None = None,
        instance_count: int = 1,
    ) -> dict[str, Any]:
        """The CreateTrainingJob request running entrypoints/train.py from the source bundle."""
        s = self.settings
        resources: dict[str, Any] = {
            "InstanceType": s.training_instance_type,
            "InstanceCount": instance_count,
            "VolumeSizeInGB": VOLUME_GB,
        }
        output: dict[str, Any] = {"S3OutputPath": s.s3_uri("training")}
        if s.kms_key_id:
            output["KmsKeyId"] = s.kms_key_id
            if not has_local_storage(s.training_instance_type):
                resources["VolumeKmsKeyId"] = s.kms_key_id
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": s.max_run_s}
        request: dict[str, Any] = {
            "TrainingJobName": name,
            "RoleArn": s.role_arn,
            "AlgorithmSpecification": {
                "TrainingImage": image_uri(s, "training", s.training_instance_type),
                "TrainingInputMode": "File",
                "MetricDefinitions": metric_definitions(),
            },
            "HyperParameters": training_hyperparameters(s, bundle_s3, hyperparameters or {}),
            "InputDataConfig": [_channel(channel, uri) for channel, uri in channels.items()],
            "OutputDataConfig": output,
            "ResourceConfig": resources,
            "StoppingCondition": stopping,
        }
        if s.network_isolation:
            request["EnableNetworkIsolation"] = True
        if s.use_spot:
            # Spot capacity may be taken away: wait up to twice the run time for it, and
            # keep checkpoints in S3 so train.py resumes at the next epoch.
            request["EnableManagedSpotTraining"] = True
            stopping["MaxWaitTimeInSeconds"] = 2 * s.max_run_s
            request["CheckpointConfig"] = {
                "S3Uri": s.s3_uri("checkpoints", name),
                "LocalPath": CHECKPOINT_PATH,
            }
        return request

    def start_training(
        self,
        data_s3: str,
        *,
        validation: str | None = None,
        name: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        instance_count: int = 1,
        init: str | None = None,
    ) -> JobRecord:
        """Train on a featurized dataset in S3 (one channel with both splits, or train and
        validation channels); `init`, a model.tar.gz in S3, arrives as the "init" channel
        that entrypoints/train.py fine-tunes from (SM_CHANNEL_INIT)."""
        name = name or job_name("train")
        channels = (
            {"train": data_s3, "validation": validation} if validation else {"dataset": data_s3}
        )
        if init:
            if not init.startswith("s3://"):
                raise ValueError(f"--init for SageMaker must be a model.tar.gz in S3, got {init}")
            channels["init"] = init
        request = self.training_request(
            name, channels, self.upload_source_bundle(), hyperparameters, instance_count
        )
        self.sagemaker.create_training_job(**request)
        record = JobRecord(
            name,
            "training",
            self.name,
            instance_type=self.settings.training_instance_type,
            log_source=f"{LOG_GROUPS['training']}:{name}/",
            details={"spot": self.settings.use_spot},
        )
        return self.store.put(record)

    def describe(self, name: str) -> JobRecord:
        """The job's state from SageMaker, saved into the store."""
        record = self.store.get(name)
        kind = record.kind if record else self._guess_kind(name)
        if kind == "labeling":
            from .labeling import describe_labeling_job

            return describe_labeling_job(self.settings, name, self.store, self.sagemaker)
        record = record or JobRecord(name, kind, self.name, log_source=_log_source(kind, name))
        if kind == "training":
            answer = self.sagemaker.describe_training_job(TrainingJobName=name)
            status = answer["TrainingJobStatus"]
            artifact = answer.get("ModelArtifacts", {}).get("S3ModelArtifacts", "")
            details = {"secondary_status": answer.get("SecondaryStatus", "")}
            ended = answer.get("TrainingEndTime")
        elif kind in ("processing", "prediction"):
            answer = self.sagemaker.describe_processing_job(ProcessingJobName=name)
            status = answer["ProcessingJobStatus"]
            outputs = answer.get("ProcessingOutputConfig", {}).get("Outputs", [])
            artifact = outputs[0]["S3Output"]["S3Uri"] if outputs else record.artifact
            details, ended = {}, answer.get("ProcessingEndTime")
        elif kind == "endpoint":
            try:
                answer = self.sagemaker.describe_endpoint(EndpointName=name)
            except self.sagemaker.exceptions.ClientError:
                return self.store.put(replace(record, status="Deleted"))
            status, artifact, details = answer["EndpointStatus"], record.artifact, {}
            ended = None
        else:
            return record
        updated = replace(
            record,
            status=status,
            artifact=artifact or record.artifact,
            failure_reason=answer.get("FailureReason", "") or "",
            details={**record.details, **details},
        )
        if not record.instance_type:  # re-attached: take what the store never saw from AWS
            updated.instance_type = _instance_type(answer)
            created = answer.get("CreationTime")
            updated.created = created.timestamp() if created else record.created
        if not updated.active and status != "InService" and updated.ended is None:
            updated.ended = ended.timestamp() if hasattr(ended, "timestamp") else time.time()
        return self.store.put(updated)

    def _guess_kind(self, name: str) -> str:
        """A job the store does not know (started elsewhere): ask each API in turn."""
        probes = (
            ("training", self.sagemaker.describe_training_job, "TrainingJobName"),
            ("processing", self.sagemaker.describe_processing_job, "ProcessingJobName"),
            ("endpoint", self.sagemaker.describe_endpoint, "EndpointName"),
        )
        for kind, call, key in probes:
            try:
                call(**{key: name})
            except self.sagemaker.exceptions.ClientError:
                continue
            return kind
        raise KeyError(f"no SageMaker job or endpoint named {name}")

    def stop(self, name: str) -> None:
        record = self.describe(name)
        if record.kind == "training":
            self.sagemaker.stop_training_job(TrainingJobName=name)
        elif record.kind in ("processing", "prediction"):
            self.sagemaker.stop_processing_job(ProcessingJobName=name)
        elif record.kind == "labeling":
            self.sagemaker.stop_labeling_job(LabelingJobName=name)
        elif record.kind == "endpoint":
            self.delete_endpoint(name)
            return
        self.store.put(replace(record, status="Stopping"))

    def logs(self, name: str, since: int = 0) -> list[str]:
        """The job's CloudWatch log lines after the first `since` (all its streams, each
        read forward from where the last call stopped)."""
        record = self.store.get(name)
        source = record.log_source if record else _log_source("training", name)
        group, _, prefix = source.partition(":")
        lines, tokens = self._log_cache.setdefault(name, ([], {}))
        client = self.cloudwatch_logs
        try:
            streams = _log_streams(client, group, prefix)
        except client.exceptions.ResourceNotFoundException:
            return lines[since:]  # no log group yet: the job has not started logging
        for stream in streams:
            token = tokens.get(stream)
            while True:
                args = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
                if token:
                    args["nextToken"] = token
                page = client.get_log_events(**args)
                lines.extend(event["message"].rstrip("\n") for event in page["events"])
                if page.get("nextForwardToken") in (None, token) or not page["events"]:
                    token = page.get("nextForwardToken") or token
                    break
                token = page["nextForwardToken"]
            if token:
                tokens[stream] = token
        return lines[since:]

    # ----- endpoints -------------------------------------------------------------------
    def deploy(
        self, model_artifact: str, *, name: str | None = None, instance_type: str | None = None
    ) -> str:
        """Model, endpoint configuration and endpoint for a model.tar.gz; returns the
        endpoint's name (the model and configuration share it)."""
        s = self.settings
        name = name or job_name("endpoint")
        instance_type = instance_type or s.endpoint_instance_type
        isolation = {"EnableNetworkIsolation": True} if s.network_isolation else {}
        self.sagemaker.create_model(
            **isolation,
            ModelName=name,
            ExecutionRoleArn=s.role_arn,
            PrimaryContainer={
                "Image": image_uri(s, "inference", instance_type),
                "ModelDataUrl": model_artifact,
                "Environment": {
                    # The PyTorch serving toolkit runs code/inference.py from the model.
                    "SAGEMAKER_PROGRAM": "inference.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    "SAGEMAKER_REGION": s.region,
                },
            },
        )
        self.sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": name,
                    "InitialInstanceCount": 1,
                    "InstanceType": instance_type,
                }
            ],
        )
        self.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
        record = JobRecord(
            name,
            "endpoint",
            self.name,
            status="Creating",
            instance_type=instance_type,
            artifact=model_artifact,
            log_source=f"{LOG_GROUPS['endpoint']}/{name}:AllTraffic/",
        )
        self.store.put(record)
        return name

    def delete_endpoint(self, name: str) -> None:
        """Delete the endpoint, then its configuration and model (those of the same name)."""
        config = name
        try:
            config = self.sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"]
            self.sagemaker.delete_endpoint(EndpointName=name)
        except self.sagemaker.exceptions.ClientError:
            pass  # already gone; still clean up what is left
        models: list[str] = []
        try:
            variants = self.sagemaker.describe_endpoint_config(EndpointConfigName=config)
            models = [v["ModelName"] for v in variants["ProductionVariants"]]
            self.sagemaker.delete_endpoint_config(EndpointConfigName=config)
        except self.sagemaker.exceptions.ClientError:
            pass
        for model in models:
            with contextlib.suppress(self.sagemaker.exceptions.ClientError):
                self.sagemaker.delete_model(ModelName=model)
        record = self.store.get(name)
        if record is not None:
            self.store.put(replace(record, status="Deleted", ended=time.time()))

    def invoke(self, endpoint: str, body: bytes, content_type: str) -> bytes:
        answer = self.runtime.invoke_endpoint(
            EndpointName=endpoint, Body=body, ContentType=content_type, Accept="application/json"
        )
        return answer["Body"].read()

    def wait(self, name: str, timeout: float | None = None, poll_s: float = 30.0) -> JobRecord:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.describe(name)
            if not record.active or (deadline is not None and time.monotonic() > deadline):
                return record
            time.sleep(poll_s)


def training_hyperparameters(
    settings: CloudSettings, bundle_s3: str, hyperparameters: Mapping[str, Any]
) -> dict[str, str]:
    """train.py's arguments plus the toolkit's own keys, every value JSON-encoded as the
    SageMaker SDK does (the training toolkit decodes each value with json.loads, then
    sagemaker_training.mapping.to_cmd_args makes them `--key value` arguments).

    A dict or list would reach train.py as `a=1,b=2` (to_cmd_args joins a mapping's items
    that way), which --arch-kwargs cannot read: it is sent as its JSON text instead, which
    the toolkit decodes back into that text."""
    for key, value in hyperparameters.items():
        if isinstance(value, bool):
            # The toolkit would pass "--key true", which a store_true flag refuses.
            raise ValueError(f"hyperparameter {key}: switches cannot be passed to SageMaker")
    encoded = {
        key: json.dumps(json.dumps(value) if isinstance(value, (dict, list)) else value)
        for key, value in hyperparameters.items()
    }
    encoded |= {
        "sagemaker_program": json.dumps("train.py"),
        "sagemaker_submit_directory": json.dumps(bundle_s3),
        "sagemaker_region": json.dumps(settings.region),
        "sagemaker_container_log_level": "20",
    }
    return encoded


def _channel(name: str, uri: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }


def _processing_input(name: str, uri: str, path: str, *, sharded: bool = False) -> dict[str, Any]:
    """An input copied to every instance; or, `sharded`, the objects a manifest file lists,
    shared out among the instances (each gets its own subset, ShardedByS3Key)."""
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": path,
            "S3DataType": "ManifestFile" if sharded else "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "ShardedByS3Key" if sharded else "FullyReplicated",
        },
    }


def _instance_type(answer: dict[str, Any]) -> str:
    """The instance type in a describe answer of a training or processing job."""
    if "ResourceConfig" in answer:
        return answer["ResourceConfig"].get("InstanceType", "")
    cluster = answer.get("ProcessingResources", {}).get("ClusterConfig", {})
    return cluster.get("InstanceType", "")


def _log_source(kind: str, name: str) -> str:
    return f"{LOG_GROUPS.get(kind, LOG_GROUPS['training'])}:{name}/"


def _log_streams(client: Any, group: str, prefix: str) -> list[str]:
    streams: list[str] = []
    paginator = client.get_paginator("describe_log_streams")
    for page in paginator.paginate(logGroupName=group, logStreamNamePrefix=prefix):
        streams += [s["logStreamName"] for s in page["logStreams"]]
    return sorted(streams)
