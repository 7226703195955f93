"""An AWS emulator for the cloud tests: moto in server mode on 127.0.0.1.

One server per test session; every test gets it reset, fake credentials and
AWS_ENDPOINT_URL in its environment (botocore's own override: the code under test passes no
endpoint of its own), plus private config and data folders so no user file is touched.
The test process owns the server, so tests reach into moto's backend objects to move jobs
through states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3", reason="the cloud extra (boto3) is not installed")
pytest.importorskip("moto", reason="moto[server] is not installed")

from moto.server import ThreadedMotoServer
from moto_support import (
    ACCOUNT,
    BUCKET,
    REGION,
    ROLE_NAME,
    SAGEMAKER_TRUST,
    bucket_and_role,
    queue_endpoint_results,
    reset_and_point_at,
)

from tracknet_studio.cloud.jobs import JobStore
from tracknet_studio.cloud.settings import CloudSettings

__all__ = ["ACCOUNT", "BUCKET", "REGION", "ROLE_NAME", "SAGEMAKER_TRUST"]


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
    reset_and_point_at(moto_url, monkeypatch, tmp_path)
    return moto_url


@pytest.fixture
def settings(aws: str) -> CloudSettings:
    """Settings whose bucket and role exist in the emulator."""
    return bucket_and_role()


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
    return lambda results: queue_endpoint_results(aws, results)


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
