"""SageMaker jobs and endpoints against the emulator, requests checked as they are sent."""

from __future__ import annotations

import contextlib
import io
import json
import math
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto_support import binary_bodies_as_digests

from tracknet_studio.cloud.jobs import JobStore, parse_metrics
from tracknet_studio.cloud.sagemaker_backend import SageMakerBackend
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.cloud.transfer import split_s3_uri

pytestmark = pytest.mark.cloud


def bundle_members(uri: str) -> dict[str, bytes]:
    """The files of a tar.gz in the emulator's S3, by name."""
    bucket, key = split_s3_uri(uri)
    data = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def s3_listing(prefix_uri: str) -> list[str]:
    bucket, prefix = split_s3_uri(prefix_uri)
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def capture(backend: SageMakerBackend, operation: str) -> list[dict[str, Any]]:
    """The parameters of every `operation` call the backend's client makes."""
    sent: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        sent.append(json.loads(json.dumps(params, default=str)))

    backend.sagemaker.meta.events.register(f"provide-client-params.sagemaker.{operation}", keep)
    return sent


@pytest.fixture
def backend(settings: CloudSettings, store: JobStore) -> SageMakerBackend:
    return SageMakerBackend(settings, store)


def test_processing_job_runs_featurize_and_follows_states(
    backend: SageMakerBackend, moto_sagemaker: Any
) -> None:
    sent = capture(backend, "CreateProcessingJob")
    record = backend.start_processing(
        "s3://tracknet-test-bucket/tn/datasets/one", arguments={"height": 144, "width": 256}
    )
    (request,) = sent
    app = request["AppSpecification"]
    assert "pytorch-training" in app["ImageUri"] and "-cpu-" in app["ImageUri"]
    assert app["ContainerArguments"][0] == "featurize.py"
    assert app["ContainerArguments"][-4:] == ["--height", "144", "--width", "256"]
    # Dependencies come from the job's own wheels, never from the internet.
    assert "--no-index -f /opt/ml/processing/wheels" in app["ContainerEntrypoint"][2]
    inputs = {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
    assert inputs["input"]["S3Uri"] == "s3://tracknet-test-bucket/tn/datasets/one"
    members = bundle_members(inputs["code"]["S3Uri"] + "processing.tar.gz")
    assert b"def featurize(" in members["featurize.py"]
    assert {"tracknet/predict.py", "tracknet_studio/inference/batch.py"} <= set(members)
    assert not any(name.startswith("tracknet_studio/ui/") for name in members)
    assert b"opencv-python-headless" in members["requirements.txt"]
    wheels = s3_listing(inputs["wheels"]["S3Uri"])
    assert any(key.endswith(".whl") for key in wheels)
    assert "NetworkConfig" not in request
    assert record.artifact == f"s3://tracknet-test-bucket/tn/featurized/{record.name}"

    job = moto_sagemaker.processing_jobs[record.name]
    job.processing_job_status = "InProgress"
    assert backend.describe(record.name).status == "InProgress"
    backend.stop(record.name)
    assert backend.describe(record.name).status == "Stopped"
    assert backend.store.get(record.name).status == "Stopped"


def test_training_request_has_image_bundle_metrics_and_spot(
    settings: CloudSettings, store: JobStore
) -> None:
    from tracknet.training import METRIC_DEFINITIONS

    settings.use_spot = True
    settings.kms_key_id = "alias/tracknet"
    backend = SageMakerBackend(settings, store)
    sent = capture(backend, "CreateTrainingJob")
    record = backend.start_training(
        "s3://tracknet-test-bucket/tn/featurized/x",
        hyperparameters={"epochs": 2, "arch": "tracknet"},
    )
    (request,) = sent
    spec = request["AlgorithmSpecification"]
    assert "pytorch-training" in spec["TrainingImage"] and "-gpu-" in spec["TrainingImage"]
    assert spec["MetricDefinitions"] == METRIC_DEFINITIONS
    hps = request["HyperParameters"]
    assert hps["epochs"] == "2" and hps["arch"] == '"tracknet"'
    assert hps["sagemaker_program"] == '"train.py"'
    bundle = json.loads(hps["sagemaker_submit_directory"])
    bucket, key = split_s3_uri(bundle)
    data = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
    assert {"train.py", "featurize.py", "inference.py", "tracknet/training.py"} <= set(names)
    assert not any("__pycache__" in n for n in names)
    assert request["InputDataConfig"][0]["ChannelName"] == "dataset"
    assert request["EnableManagedSpotTraining"] is True
    assert request["CheckpointConfig"] == {
        "S3Uri": f"s3://tracknet-test-bucket/tn/checkpoints/{record.name}",
        "LocalPath": "/opt/ml/checkpoints",
    }
    stopping = request["StoppingCondition"]
    assert stopping["MaxWaitTimeInSeconds"] >= stopping["MaxRuntimeInSeconds"]
    assert request["OutputDataConfig"]["KmsKeyId"] == "alias/tracknet"
    # An unchanged bundle is not sent twice.
    SageMakerBackend(settings, store).start_training("s3://tracknet-test-bucket/tn/f/y")
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="tn/code/")
    assert sum(o["Key"].endswith("sourcedir.tar.gz") for o in listing["Contents"]) == 1


def test_every_hyperparameter_survives_the_real_training_toolkit(
    settings: CloudSettings, store: JobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What train.py receives in the container: the training toolkit (the real
    sagemaker-training package) json-decodes each value of hyperparameters.json
    (environment.read_hyperparameters), splits off its own sagemaker_* keys and turns the
    rest into arguments (mapping.to_cmd_args), where a dict becomes `a=1,b=2`."""
    environment = pytest.importorskip("sagemaker_training.environment")
    from model._clips import load_script
    from sagemaker_training import mapping

    wanted = {"arch": "fasttracknet", "lr": 5e-3, "crop": "64x128", "epochs": 3,
              "arch-kwargs": {"base": 48, "dilations": [1, 2, 4]}, "threshold": 0.4}  # fmt: skip
    backend = SageMakerBackend(settings, store)
    sent = capture(backend, "CreateTrainingJob")
    backend.start_training("s3://tracknet-test-bucket/tn/f/x",
                                                     hyperparameters=wanted)  # fmt: skip
    config = tmp_path / "hyperparameters.json"
    config.write_text(json.dumps(sent[-1]["HyperParameters"]))
    monkeypatch.setattr(environment, "hyperparameters_file_dir", str(config))
    decoded = environment.read_hyperparameters()
    user = mapping.split_by_criteria(decoded, prefix="sagemaker_").excluded
    argv = mapping.to_cmd_args(user)
    args = load_script("train").parse_args([*argv, "--out", str(tmp_path / "o")])
    assert args.arch_kwargs == {"base": 48, "dilations": [1, 2, 4]}
    assert (args.arch, args.lr, args.crop, args.epochs, args.threshold) == (
        "fasttracknet", 5e-3, (64, 128), 3, 0.4
    )  # fmt: skip


def test_no_spot_no_checkpoints_and_switches_refused(backend: SageMakerBackend) -> None:
    sent = capture(backend, "CreateTrainingJob")
    backend.start_training("s3://b/t", validation="s3://b/v")
    (request,) = sent
    assert "CheckpointConfig" not in request and "EnableManagedSpotTraining" not in request
    assert [c["ChannelName"] for c in request["InputDataConfig"]] == ["train", "validation"]
    with pytest.raises(ValueError, match="switches"):
        backend.start_training("s3://b/t", hyperparameters={"no-amp": True})


def test_training_states_failure_reason_and_artifact(
    backend: SageMakerBackend, moto_sagemaker: Any
) -> None:
    record = backend.start_training("s3://tracknet-test-bucket/tn/featurized/x")
    job = moto_sagemaker.training_jobs[record.name]
    job.training_job_status, job.secondary_status = "InProgress", "Training"
    now = backend.describe(record.name)
    assert now.status == "InProgress" and now.active
    assert now.details["secondary_status"] == "Training"

    job.training_job_status = "Failed"
    job.failure_reason = "AlgorithmError: CUDA out of memory"
    failed = backend.describe(record.name)
    assert failed.status == "Failed" and not failed.active
    assert failed.failure_reason == "AlgorithmError: CUDA out of memory"
    assert backend.store.get(record.name).failure_reason == failed.failure_reason

    # A new backend (the app restarted) re-attaches to the job by name.
    job.training_job_status, job.failure_reason = "Completed", ""
    again = SageMakerBackend(backend.settings, JobStore(backend.store.path)).describe(record.name)
    assert again.status == "Completed"
    assert again.artifact.endswith(f"{record.name}/output/model.tar.gz")


def test_describe_re_attaches_a_job_the_store_never_saw(
    backend: SageMakerBackend, settings: CloudSettings, tmp_path: Any
) -> None:
    record = backend.start_training("s3://b/x")
    fresh = SageMakerBackend(settings, JobStore(tmp_path / "other.json"))
    again = fresh.describe(record.name)
    assert again.kind == "training" and again.log_source == record.log_source
    assert again.instance_type == settings.training_instance_type
    assert abs(again.created - record.created) < 60
    with pytest.raises(KeyError):
        fresh.describe("no-such-job")


def seed_logs(group: str, stream: str, lines: list[str], start_ms: int) -> None:
    logs = boto3.client("logs")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": start_ms + i, "message": line} for i, line in enumerate(lines)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def test_log_tail_over_seeded_streams_and_metrics(backend: SageMakerBackend) -> None:
    record = backend.start_training("s3://b/x")
    assert backend.logs(record.name) == []  # no log group yet
    group, stream = "/aws/sagemaker/TrainingJobs", f"{record.name}/algo-1-1700000000"
    now = int(time.time() * 1000)
    first = ["Invoking script with the following command:", "epoch=1 train_loss=0.900000"]
    seed_logs(group, stream, first, now)
    seed_logs(group, "someone-else/algo-1", ["not ours"], now)
    assert backend.logs(record.name) == first
    more = [
        "epoch=1 train_loss=0.900000 val_loss=0.800000 val_f1=0.5000 val_precision=0.6",
        "epoch=2 train_loss=0.500000 val_loss=0.400000 val_f1=0.7500",
    ]
    seed_logs(group, stream, more, now + 10)
    assert backend.logs(record.name, since=2) == more
    everything = backend.logs(record.name)
    assert everything == first + more
    metrics = parse_metrics(everything)
    assert [m["epoch"] for m in metrics] == [1, 1, 2]
    assert metrics[-1]["validation:f1"] == 0.75 and metrics[-1]["train:loss"] == 0.5


def keep_bodies(predictor: Any) -> list[bytes]:
    return binary_bodies_as_digests(predictor.runtime)


def deployed(backend: SageMakerBackend, artifact: str) -> str:
    sent = capture(backend, "CreateModel")
    name = backend.deploy(artifact)
    (model,) = sent
    env = model["PrimaryContainer"]["Environment"]
    assert model["PrimaryContainer"]["ModelDataUrl"] == artifact
    assert "pytorch-inference" in model["PrimaryContainer"]["Image"]
    assert env["SAGEMAKER_PROGRAM"] == "inference.py"
    return name


def test_deploy_invoke_delete(
    backend: SageMakerBackend,
    settings: CloudSettings,
    endpoint_results: Callable[[list[dict[str, str]]], None],
) -> None:
    from tracknet_studio.inference.base import Predictor
    from tracknet_studio.inference.sagemaker import MAX_PAYLOAD, EndpointPredictor

    name = deployed(backend, "s3://tracknet-test-bucket/tn/training/job/output/model.tar.gz")
    sm = boto3.client("sagemaker")
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    assert (
        sm.describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"][0][
            "InstanceType"
        ]
        == settings.endpoint_instance_type
    )
    assert backend.describe(name).status == "InService"

    def reply(first: int, n: int) -> dict[str, str]:
        predictions = [
            {"frame": f, "x": 10.0 * f, "y": 5.0, "confidence": 0.9, "visible": True}
            if f % 2 == 0
            else {"frame": f, "x": None, "y": None, "confidence": 0.1, "visible": False}
            for f in range(first, first + n)
        ]
        return {"Body": json.dumps({"predictions": predictions}), "ContentType": "application/json"}

    # 8 frames from frame 100, 6 per request: 100-105, then 106-107 padded to a window.
    endpoint_results([reply(100, 6), reply(106, 3)])
    predictor = EndpointPredictor(settings, name, input_size=(144, 256), frames_per_request=6)
    assert isinstance(predictor, Predictor)
    bodies = keep_bodies(predictor)
    frames = [np.full((360, 640, 3), i * 20, np.uint8) for i in range(8)]
    seen: list[tuple[int, int]] = []
    answers = list(
        predictor.predict(
            frames, start=100, original_size=(640, 360), progress=lambda d, t: seen.append((d, t))
        )
    )
    assert [a.frame for a in answers] == list(range(100, 108))
    assert answers[0].visible and answers[0].x == 1000.0
    assert not answers[1].visible and math.isnan(answers[1].x)
    assert seen == [(6, 8), (8, 8)]
    assert len(bodies) == 2
    for body in bodies:
        assert isinstance(body, bytes) and len(body) < MAX_PAYLOAD
        with np.load(io.BytesIO(body), allow_pickle=False) as archive:
            assert set(archive.files) >= {"jpeg", "offsets", "orig_size", "first_frame"}
            assert len(archive["offsets"]) - 1 in (6, 3)
    # Compact: JPEGs of 144x256 frames, nowhere near the raw pixels.
    assert len(bodies[0]) < 6 * 144 * 256 * 3 / 4

    backend.delete_endpoint(name)
    for call, key in (
        (sm.describe_endpoint, "EndpointName"),
        (sm.describe_endpoint_config, "EndpointConfigName"),
        (sm.describe_model, "ModelName"),
    ):
        with pytest.raises(sm.exceptions.ClientError):
            call(**{key: name})
    assert backend.store.get(name).status == "Deleted"


def test_requests_over_the_payload_limit_are_split(
    backend: SageMakerBackend,
    settings: CloudSettings,
    endpoint_results: Callable[[list[dict[str, str]]], None],
) -> None:
    from tracknet_studio.inference.sagemaker import (
        EndpointPredictor,
        PayloadTooLarge,
        encode_request,
    )

    name = backend.deploy("s3://b/model.tar.gz")
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (144, 256, 3), np.uint8) for _ in range(12)]
    one_window = len(encode_request(frames[:3], (256, 144), 0))
    predictor = EndpointPredictor(
        settings,
        name,
        input_size=(144, 256),
        frames_per_request=12,
        max_payload=int(one_window * 1.5),
    )
    bodies = keep_bodies(predictor)
    empty = {"Body": json.dumps({"predictions": []}), "ContentType": "application/json"}
    endpoint_results([empty] * 4)
    answers = list(predictor.predict(frames, start=0, original_size=(256, 144)))
    assert len(answers) == 12 and not any(a.visible for a in answers)
    assert len(bodies) == 4 and all(len(b) <= predictor.max_payload for b in bodies)
    predictor.max_payload = 100
    with pytest.raises(PayloadTooLarge):
        list(predictor.predict(frames[:3], start=0, original_size=(256, 144)))


def test_requests_are_sized_to_answer_well_within_the_invocation_limit(
    backend: SageMakerBackend,
    settings: CloudSettings,
    endpoint_results: Callable[[list[dict[str, str]]], None],
) -> None:
    """SageMaker gives an invocation 60 s: the first request is small, the next ones hold
    what the measured speed answers in about 20 s; a model slower than a window a minute is
    refused, saying so."""
    from tracknet_studio.inference.sagemaker import EndpointPredictor, EndpointTooSlow

    name = backend.deploy("s3://b/model.tar.gz")
    seconds_per_frame = [0.1]
    now = [0.0]

    def clock() -> float:  # the endpoint's speed: each request takes its frames' time
        return now[0]

    predictor = EndpointPredictor(settings, name, input_size=(144, 256), clock=clock)
    bodies = keep_bodies(predictor)
    sizes: list[int] = []

    def measure(**_: Any) -> None:  # after each request: its frames' time has passed
        with np.load(io.BytesIO(bodies[-1]), allow_pickle=False) as archive:
            sizes.append(len(archive["offsets"]) - 1)
        now[0] += sizes[-1] * seconds_per_frame[0]

    predictor.runtime.meta.events.register("after-call.sagemaker-runtime.InvokeEndpoint", measure)
    empty = {"Body": json.dumps({"predictions": []}), "ContentType": "application/json"}
    endpoint_results([empty] * 4)
    frames = [np.zeros((144, 256, 3), np.uint8)] * 600
    assert len(list(predictor.predict(frames, start=0, original_size=(256, 144)))) == 600
    # 6 frames first; at 10 frames/s, 20 s hold 200 frames: 198 in whole windows of 3.
    assert sizes == [6, 198, 198, 198] and predictor.frames_per_second == pytest.approx(10)
    seconds_per_frame[0] = 25.0  # a window of 3 would take 75 s
    endpoint_results([empty])
    with pytest.raises(EndpointTooSlow, match="too slow for a real-time endpoint"):
        list(predictor.predict(frames[:30], start=0, original_size=(256, 144)))


def test_requests_grow_only_as_far_as_the_payload_allows(
    backend: SageMakerBackend,
    settings: CloudSettings,
    endpoint_results: Callable[[list[dict[str, str]]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fast endpoint would be sent hundreds of frames per request; the bytes a frame
    takes, learnt from the first body, cap that below the payload limit, so no body is
    encoded only to be split again."""
    from tracknet_studio.inference import sagemaker

    name = backend.deploy("s3://b/model.tar.gz")
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 255, (144, 256, 3), np.uint8) for _ in range(90)]
    per_window = len(sagemaker.encode_request(frames[:3], (256, 144), 0))
    encoded: list[int] = []
    real_encode = sagemaker.encode_request

    def encode(batch, size, first):
        encoded.append(len(batch))
        return real_encode(batch, size, first)

    monkeypatch.setattr(sagemaker, "encode_request", encode)
    predictor = sagemaker.EndpointPredictor(
        settings, name, input_size=(144, 256), max_payload=per_window * 4
    )
    bodies = keep_bodies(predictor)
    empty = {"Body": json.dumps({"predictions": []}), "ContentType": "application/json"}
    endpoint_results([empty] * 40)
    ticks = iter(np.arange(0, 100, 0.01))  # a fast endpoint: it asks for many frames
    predictor.clock = lambda: float(next(ticks))
    assert len(list(predictor.predict(frames, start=0, original_size=(256, 144)))) == 90
    assert all(len(b) <= predictor.max_payload for b in bodies)
    assert len(encoded) == len(bodies)  # every body encoded was sent: none split
    assert predictor.frames_that_fit is not None and predictor.frames_that_fit <= 12


def test_endpoint_states_through_moto(backend: SageMakerBackend, moto_sagemaker: Any) -> None:
    name = backend.deploy("s3://b/model.tar.gz")
    endpoint = moto_sagemaker.endpoints[name]
    endpoint.endpoint_status = "Creating"
    assert backend.describe(name).active
    endpoint.endpoint_status, endpoint.failure_reason = "Failed", "the container did not start"
    failed = backend.describe(name)
    assert failed.status == "Failed" and failed.failure_reason == "the container did not start"


def test_stopping_a_training_job(backend: SageMakerBackend, moto_sagemaker: Any) -> None:
    """moto has no StopTrainingJob: botocore's Stubber answers that one call."""
    from botocore.stub import Stubber

    record = backend.start_training("s3://b/x")
    moto_sagemaker.training_jobs[record.name].training_job_status = "InProgress"
    real_describe = backend.describe(record.name)
    assert real_describe.status == "InProgress"
    with Stubber(backend.sagemaker) as stub:
        stub.add_response(
            "describe_training_job",
            {
                "TrainingJobName": record.name,
                "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/x",
                "TrainingJobStatus": "InProgress",
                "SecondaryStatus": "Training",
                "AlgorithmSpecification": {"TrainingInputMode": "File"},
                "ModelArtifacts": {"S3ModelArtifacts": ""},
                "ResourceConfig": {"VolumeSizeInGB": 50},
                "StoppingCondition": {},
                "CreationTime": real_describe.created,
            },
        )
        stub.add_response("stop_training_job", {}, {"TrainingJobName": record.name})
        backend.stop(record.name)
        stub.assert_no_pending_responses()
    assert backend.store.get(record.name).status == "Stopping"


def test_a_model_to_fine_tune_from_arrives_as_the_init_channel(backend: SageMakerBackend) -> None:
    sent = capture(backend, "CreateTrainingJob")
    backend.start_training("s3://b/t", init="s3://b/models/shipped/model.tar.gz")
    (request,) = sent
    channels = {c["ChannelName"]: c for c in request["InputDataConfig"]}
    assert set(channels) == {"dataset", "init"}
    source = channels["init"]["DataSource"]["S3DataSource"]
    assert source["S3Uri"] == "s3://b/models/shipped/model.tar.gz"
    with pytest.raises(ValueError, match=r"model\.tar\.gz in S3"):
        backend.start_training("s3://b/t", init="/home/me/model")


def test_network_isolation_ships_the_wheels_with_the_training_code(
    settings: CloudSettings, store: JobStore
) -> None:
    """Under network isolation the containers cannot reach PyPI (SageMaker Developer Guide,
    "Run Training and Inference Containers in Internet-Free Mode"): training and the model
    are isolated and the source bundle installs only from its own wheels."""
    settings.network_isolation = True
    backend = SageMakerBackend(settings, store)
    sent = capture(backend, "CreateTrainingJob")
    models = capture(backend, "CreateModel")
    backend.start_training("s3://tracknet-test-bucket/tn/featurized/x")
    [request] = sent
    assert request["EnableNetworkIsolation"] is True
    members = bundle_members(json.loads(request["HyperParameters"]["sagemaker_submit_directory"]))
    requirements = members["requirements.txt"].decode().splitlines()
    assert requirements[:2] == ["--no-index", "--find-links wheels"]
    assert "av>=14" in requirements
    assert any(name.startswith("wheels/") and name.endswith(".whl") for name in members)
    backend.deploy("s3://tracknet-test-bucket/tn/training/x/output/model.tar.gz")
    assert models[0]["EnableNetworkIsolation"] is True


def test_without_isolation_the_training_bundle_stays_small(
    backend: SageMakerBackend,
) -> None:
    sent = capture(backend, "CreateTrainingJob")
    models = capture(backend, "CreateModel")
    backend.start_training("s3://tracknet-test-bucket/tn/featurized/x")
    members = bundle_members(json.loads(sent[0]["HyperParameters"]["sagemaker_submit_directory"]))
    assert "EnableNetworkIsolation" not in sent[0]
    assert not any(name.startswith("wheels/") for name in members)
    backend.deploy("s3://tracknet-test-bucket/tn/training/x/output/model.tar.gz")
    assert "EnableNetworkIsolation" not in models[0]
