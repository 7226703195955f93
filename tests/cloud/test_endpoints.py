"""The endpoints in service, as the Run Model dialog lists them (moto in server mode), and
the plain words for InvokeEndpoint's documented errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from tracknet_studio.cloud import sagemaker_backend
from tracknet_studio.cloud.endpoints import endpoints_in_service
from tracknet_studio.cloud.jobs import JobStore
from tracknet_studio.cloud.sagemaker_backend import SageMakerBackend
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.inference.sagemaker import UnreadableReply, explain_failure, parse_reply

ARTIFACT = "s3://tracknet-test-bucket/tn/training/job/output/model.tar.gz"


@pytest.fixture
def backend(settings: CloudSettings, store: JobStore, monkeypatch) -> SageMakerBackend:
    # Image URIs come from sagemaker-core (seconds to import); tested in test_sagemaker.py.
    monkeypatch.setattr(sagemaker_backend, "image_uri", lambda *_args: "image:latest")
    return SageMakerBackend(settings, store)


def test_endpoints_in_service_say_what_they_run_on_and_serve(
    backend: SageMakerBackend, settings: CloudSettings, moto_sagemaker: Any
) -> None:
    gpu = backend.deploy(ARTIFACT, name="tn-gpu", instance_type="ml.g4dn.xlarge")
    backend.deploy(ARTIFACT, name="tn-cpu", instance_type="ml.c5.xlarge")
    gone = backend.deploy(ARTIFACT, name="tn-gone")
    backend.delete_endpoint(gone)
    moto_sagemaker.endpoints["tn-cpu"].endpoint_status = "Updating"  # not answering now
    found = endpoints_in_service(settings)
    assert [e.name for e in found] == [gpu]
    (info,) = found
    assert (info.instances, info.model, info.artifact) == ("ml.g4dn.xlarge", gpu, ARTIFACT)
    assert info.label() == f"SageMaker endpoint {gpu} (ml.g4dn.xlarge, model {gpu})"


def test_serverless_and_multi_instance_endpoints_are_described(
    backend: SageMakerBackend, settings: CloudSettings
) -> None:
    sm = backend.sagemaker
    backend.deploy(ARTIFACT, name="tn-model")  # its model, reused by two more configs
    for name, variant in (
        ("tn-two", {"InitialInstanceCount": 2, "InstanceType": "ml.c5.xlarge"}),
        ("tn-serverless", {"ServerlessConfig": {"MemorySizeInMB": 4096, "MaxConcurrency": 5}}),
    ):
        sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "tn-model", **variant}],
        )
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    instances = {e.name: e.instances for e in endpoints_in_service(settings)}
    assert instances["tn-two"] == "2 x ml.c5.xlarge"
    assert instances["tn-serverless"] == "serverless, 4096 MB"


def _client_error(code: str, message: str, status: int = 400) -> ClientError:
    """The error botocore raises for an AWS error answer of this code and message."""
    response = {"Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": status}}  # fmt: skip
    return ClientError(response, "InvokeEndpoint")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (_client_error("ValidationException", "Endpoint tn-1 of account 1 not found."),
         "no longer exists"),
        (_client_error("ModelError", "Received server error (500) from primary", 424),
         "/aws/sagemaker/Endpoints/tn-1"),
        (_client_error("ThrottlingException", "Rate exceeded"), "resume later"),
        (_client_error("ModelNotReadyException", "not ready", 429), "not ready"),
        (_client_error("ExpiredTokenException", "The security token has expired"), "expired"),
        (NoCredentialsError(), "No AWS credentials"),
    ],
)  # fmt: skip
def test_a_failed_request_is_explained_in_plain_words(error: Exception, words: str) -> None:
    assert words in explain_failure(error, "tn-1")


def test_a_reply_that_is_not_tracknet_predictions_is_named() -> None:
    with pytest.raises(UnreadableReply, match="tn-1 answered something other than") as caught:
        parse_reply(b"body", "tn-1")
    assert "'body'" in str(caught.value)
    assert explain_failure(caught.value, "tn-1") == str(caught.value)
    assert parse_reply(b'{"predictions": []}') == {}
