"""Batch prediction as a SageMaker processing job, against the emulator: the request
AWS documents (a manifest of videos shared out by ShardedByS3Key, the model and the code
with its wheels), the container's part played by the same script on this machine, and the
results brought back into the videos' projects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tracknet_studio.cloud.jobs import JobStore
from tracknet_studio.cloud.prediction import results_folder, video_layout
from tracknet_studio.cloud.sagemaker_backend import SageMakerBackend
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.cloud.transfer import download_prefix, split_s3_uri, upload_folder
from tracknet_studio.formats.project_file import load_project
from tracknet_studio.inference.batch import import_results, main

from .test_batch_prediction import make_clips
from .test_sagemaker import capture, s3_listing

pytestmark = pytest.mark.cloud


def play_the_container(settings: CloudSettings, request: dict[str, Any], scratch: Path) -> None:
    """What SageMaker and the container do with the request, for one instance: copy the
    manifest's objects to the input path, run the container's command, upload the output."""
    inputs = {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
    videos = inputs["videos"]
    bucket, key = split_s3_uri(videos["S3Uri"])
    manifest = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    prefix, keys = manifest[0]["prefix"], manifest[1:]
    local_in = scratch / "input"
    for relative in keys:  # one instance gets all of them
        download_prefix(settings, prefix + relative, local_in / Path(relative).parent)
    command = request["AppSpecification"]["ContainerArguments"]
    assert command[:2] == ["-m", "tracknet_studio.inference.batch"]
    args = [a.replace(videos["LocalPath"], str(local_in)) for a in command[2:]]
    args = [a.replace("/opt/ml/processing/output", str(scratch / "output")) for a in args]
    assert main(args) == 0
    output = request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    upload_folder(settings, scratch / "output", output["S3Uri"])


def test_batch_prediction_over_three_clips_through_sagemaker(
    settings: CloudSettings, store: JobStore, moto_sagemaker: Any, tmp_path: Path
) -> None:
    clips = make_clips(tmp_path / "videos", 3)
    settings.network_isolation = True
    backend = SageMakerBackend(settings, store)
    sent = capture(backend, "CreateProcessingJob")
    record = backend.start_prediction(clips, method="motion", overlay=True, instance_count=2)
    [request] = sent
    assert record.kind == "prediction" and record.details["videos"] == video_layout(clips)
    inputs = {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
    assert inputs["videos"]["S3DataType"] == "ManifestFile"
    assert inputs["videos"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert "model" not in inputs  # motion needs no weights
    assert {"code", "wheels"} <= set(inputs)
    assert request["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2
    assert request["ProcessingResources"]["ClusterConfig"]["InstanceType"] == "ml.g4dn.xlarge"
    assert request["NetworkConfig"] == {"EnableNetworkIsolation": True}
    assert "--overlay" in request["AppSpecification"]["ContainerArguments"]
    uploaded = s3_listing(settings.s3_uri("videos"))
    assert len(uploaded) == 3

    play_the_container(settings, request, tmp_path / "container")
    moto_sagemaker.processing_jobs[record.name].processing_job_status = "Completed"
    done = backend.describe(record.name)
    assert done.status == "Completed"
    folder = results_folder(done, settings)
    imported = import_results(done.details["videos"], folder, "motion")
    assert imported.problems == [] and len(imported.written) == 3
    for clip in clips:
        project = load_project(clip.with_suffix(".tnproj")).project
        assert set(project.predictions) == {"motion"}
    assert len(list(folder.rglob("*.overlay.mp4"))) == 3

    # The same videos again: nothing is uploaded twice, only a new manifest.
    again = backend.start_prediction(clips, method="motion")
    assert s3_listing(settings.s3_uri("videos")) == uploaded
    assert again.details["videos"] == record.details["videos"]


def test_a_model_prediction_uploads_local_weights_once(
    settings: CloudSettings, store: JobStore, tmp_path: Path
) -> None:
    [clip] = make_clips(tmp_path / "videos", 1, frames=6)
    weights = tmp_path / "model"
    weights.mkdir()
    (weights / "model.safetensors").write_bytes(b"weights")
    (weights / "config.json").write_text("{}")
    backend = SageMakerBackend(settings, store)
    sent = capture(backend, "CreateProcessingJob")
    backend.start_prediction([clip], method="fused", weights=weights)
    backend.start_prediction([clip], method="model", weights=weights)
    first, second = ({i["InputName"]: i["S3Input"] for i in r["ProcessingInputs"]} for r in sent)
    assert first["model"]["S3Uri"] == second["model"]["S3Uri"]
    assert len(s3_listing(first["model"]["S3Uri"])) == 2
    args = sent[0]["AppSpecification"]["ContainerArguments"]
    assert args[args.index("--weights") + 1] == first["model"]["LocalPath"]
    with pytest.raises(ValueError, match="needs weights"):
        backend.start_prediction([clip], method="fused")
    in_s3 = "s3://tracknet-test-bucket/tn/training/job/output/model.tar.gz"
    backend.start_prediction([clip], method="model", weights=in_s3)
    assert sent[-1]["ProcessingInputs"][1]["S3Input"]["S3Uri"] == in_s3


def test_the_processing_bundle_runs_the_batch_job_on_its_own(tmp_path: Path) -> None:
    """Unpacked as the container unpacks it, the bundle's own modules run the job, and they
    need no third-party module beyond the image's (torch, numpy) and its requirements."""
    import io
    import subprocess
    import sys
    import tarfile

    from tracknet_studio.cloud.bundle import processing_bundle
    from tracknet_studio.cloud.wheels import container_requirements

    code = tmp_path / "code"
    with tarfile.open(fileobj=io.BytesIO(processing_bundle("numpy\n"))) as tar:
        tar.extractall(code, filter="data")
    make_clips(tmp_path / "videos", 1)
    script = (
        "import sys, runpy\n"
        "sys.argv = ['batch', '--input', sys.argv[1], '--output', sys.argv[2], '--method', "
        "'motion']\n"
        "try:\n    runpy.run_module('tracknet_studio.inference.batch', run_name='__main__')\n"
        "except SystemExit as end:\n    assert not end.code, end.code\n"
        "import tracknet_studio\nprint(tracknet_studio.__file__)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "videos"), str(tmp_path / "out")],
        cwd=code, env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    origin, modules = done.stdout.strip().splitlines()[-2:]
    assert Path(origin).is_relative_to(code)  # the bundle's copy, not this checkout's
    allowed = {"numpy", "cv2", "av", "platformdirs", "torch", "safetensors"}
    wanted = {r.split(">")[0].split("=")[0].replace("-", "_") for r in container_requirements()}
    assert {"av", "platformdirs"} <= wanted
    # Private names are the interpreter's and site's own (editable finders, Cython runtime).
    third_party = {m for m in modules.split() if m not in sys.stdlib_module_names
                   and not m.startswith("_") and m != "cython_runtime"}  # fmt: skip
    assert third_party - allowed - {"tracknet", "tracknet_studio"} == set()
    assert "PySide6" not in third_party and "boto3" not in third_party
    assert len(list((tmp_path / "out").rglob("*.csv"))) == 1


def test_the_container_shell_unpacks_installs_offline_and_runs_the_job(
    settings: CloudSettings, store: JobStore, tmp_path: Path
) -> None:
    """The processing job's entry point itself, run by bash with the container's folders
    mapped onto a temporary one: it unpacks the bundle, pip installs with --no-index from
    the wheels folder (here every requirement is already installed, as torch and numpy are
    in the image) and runs the batch module."""
    import os
    import shutil
    import subprocess
    import sys

    from tracknet_studio.cloud import sagemaker_backend as sm

    [clip] = make_clips(tmp_path / "videos", 1)
    backend = SageMakerBackend(settings, store)
    sent = capture(backend, "CreateProcessingJob")
    backend.start_prediction([clip], method="motion")
    app = sent[0]["AppSpecification"]
    root = tmp_path / "opt-ml-processing"
    code, wheels = root / "code", root / "wheels"
    code.mkdir(parents=True)
    wheels.mkdir()
    bucket, key = split_s3_uri(
        {i["InputName"]: i["S3Input"] for i in sent[0]["ProcessingInputs"]}["code"]["S3Uri"]
        + sm.PROCESSING_BUNDLE_NAME
    )
    boto3.client("s3").download_file(bucket, key, str(code / sm.PROCESSING_BUNDLE_NAME))
    input_dir = root / "input"
    shutil.copytree(clip.parent, input_dir / "v")
    unpack = tmp_path / "t"
    shell = app["ContainerEntrypoint"][2].replace("/opt/ml/processing", str(root))
    shell = shell.replace("/tmp/t", str(unpack))
    args = [a.replace("/opt/ml/processing", str(root)) for a in app["ContainerArguments"]]
    # This environment's python3 plays the image's (a virtual environment has one).
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    env |= {k: v for k, v in os.environ.items() if k.startswith("TRACKNET_STUDIO_")}
    done = subprocess.run(["/bin/bash", "-c", shell, "tracknet", *args], env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "video 1/1" in done.stdout
    assert (unpack / "tracknet_studio" / "inference" / "batch.py").is_file()
    assert len(list((root / "output").rglob("*.csv"))) == 1
