"""moto in server mode on 127.0.0.1, for every test that talks to AWS: the cloud tests'
fixtures (tests/cloud/conftest.py) and the window's endpoint runs (tests/ui)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

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


def reset_and_point_at(url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Reset the emulator and point every client at it, with fake credentials and private
    config and data folders (no user file is touched)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("TRACKNET_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKNET_STUDIO_DATA_DIR", str(tmp_path / "data"))


def bucket_and_role():
    """Settings whose bucket and role exist in the emulator."""
    import boto3

    from tracknet_studio.cloud.settings import CloudSettings

    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST)
    )
    return CloudSettings(region=REGION, bucket=BUCKET, prefix="tn", role_arn=role["Role"]["Arn"])


def queue_endpoint_results(url: str, results: list[dict[str, str]]) -> None:
    """Canned endpoint replies, answered in order, through moto's endpoint-results API."""
    payload = {"account_id": ACCOUNT, "region": REGION, "results": results}
    request = urllib.request.Request(
        f"{url}/moto-api/static/sagemaker/endpoint-results",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


def binary_bodies_as_digests(client, bodies: list[bytes] | None = None) -> list[bytes]:
    """Keep each request body `client` (sagemaker-runtime) sends, in `bodies`, and send moto
    a digest of it instead: moto's server decodes request bodies as UTF-8 and fails on
    binary ones. The digest is numbered: moto answers a body it has seen with the same
    reply as before, a real endpoint answers a repeated request (a resumed run) afresh."""
    import hashlib

    bodies = [] if bodies is None else bodies

    def swap(params: dict, **_: object) -> None:
        bodies.append(params["Body"])
        params["Body"] = f"{len(bodies)}:{hashlib.sha256(params['Body']).hexdigest()}"

    client.meta.events.register("provide-client-params.sagemaker-runtime.InvokeEndpoint", swap)
    return bodies
