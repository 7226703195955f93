"""An AWS emulator for the cloud tests: moto in server mode on 127.0.0.1.

One server per test session; every test gets it reset, fake credentials and
AWS_ENDPOINT_URL in its environment (botocore's own override: the code under test passes no
endpoint of its own), plus private config and data folders so no user file is touched.
The test process owns the server, so tests reach into moto's backend objects to move jobs
through states.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3", reason="the cloud extra (boto3) is not installed")
pytest.importorskip("moto", reason="moto[server] is not installed")

from moto.server import ThreadedMotoServer

from tracknet_studio.cloud.jobs import JobStore
from tracknet_studio.cloud.settings import CloudSettings

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
BUCKET = "tracknet-test-bucket"
ROLE_NAME = "tracknet-sagemaker"
SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A reset emulator and an environment that points every client at it."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("TRACKNET_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKNET_STUDIO_DATA_DIR", str(tmp_path / "data"))
    return moto_url


@pytest.fixture
def settings(aws: str) -> CloudSettings:
    """Settings whose bucket and role exist in the emulator."""
    import boto3

    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST)
    )
    return CloudSettings(region=REGION, bucket=BUCKET, prefix="tn", role_arn=role["Role"]["Arn"])


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.json")


@pytest.fixture
def moto_sagemaker(aws: str) -> Any:
    """moto's SageMaker backend (this process owns the server): set job states on it."""
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[ACCOUNT][REGION]


@pytest.fixture
def endpoint_results(aws: str) -> Callable[[list[dict[str, str]]], None]:
    """Queue canned endpoint replies through moto's endpoint-results API."""

    def queue(results: list[dict[str, str]]) -> None:
        payload = {"account_id": ACCOUNT, "region": REGION, "results": results}
        request = urllib.request.Request(
            f"{aws}/moto-api/static/sagemaker/endpoint-results",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()

    return queue


@pytest.fixture(autouse=True)
def container_wheels_cached() -> Path:
    """The jobs' wheel cache as a first real fetch leaves it (tests/cloud/test_wheels.py
    fetches with pip itself), so that building a job's request downloads nothing."""
    from tracknet_studio.cloud.wheels import STAMP, container_requirements, wheel_folder

    folder = wheel_folder(CloudSettings().py_version)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "placeholder-1.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + bytes(18))
    (folder / STAMP).write_text("\n".join(container_requirements()) + "\n", encoding="utf-8")
    return folder
