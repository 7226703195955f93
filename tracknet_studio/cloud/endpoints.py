"""The SageMaker endpoints in service in the configured account and region, with what each
costs (its instances) and serves (its model), for the window's Run Model dialog.

An endpoint lists only its name and state; its instances are in its endpoint
configuration and its model artifact in the model, so each endpoint takes two more calls
(describe_endpoint_config, describe_model). An endpoint deleted between the listing and
those calls is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .settings import CloudSettings

MOST_LISTED = 50  # endpoints described at most, newest first


@dataclass(frozen=True)
class EndpointInfo:
    name: str
    instances: str  # "ml.g4dn.xlarge", "2 x ml.c5.xlarge" or "serverless, 4096 MB"
    model: str  # the model's name
    artifact: str  # its model.tar.gz, "" when the model names none

    def label(self) -> str:
        return f"SageMaker endpoint {self.name} ({self.instances}, model {self.model})"


def endpoints_in_service(settings: CloudSettings, client: Any = None) -> list[EndpointInfo]:
    """The endpoints that can answer now (InService), newest first."""
    from botocore.exceptions import ClientError

    from . import session as aws  # boto3: imported by the worker that lists, not the window

    sagemaker = client or aws.client(settings, "sagemaker")
    found: list[EndpointInfo] = []
    pages = sagemaker.get_paginator("list_endpoints").paginate(
        StatusEquals="InService", SortBy="CreationTime", SortOrder="Descending"
    )
    for page in pages:
        for summary in page["Endpoints"]:
            try:
                found.append(_describe(sagemaker, summary["EndpointName"]))
            except ClientError:
                continue  # deleted since the listing
            if len(found) == MOST_LISTED:
                return found
    return found


def _describe(sagemaker: Any, name: str) -> EndpointInfo:
    config_name = sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    variant = config["ProductionVariants"][0]
    model = variant.get("ModelName", "")
    artifact = ""
    if model:
        container = sagemaker.describe_model(ModelName=model).get("PrimaryContainer", {})
        artifact = container.get("ModelDataUrl", "")
    return EndpointInfo(name, _instances(variant), model, artifact)


def _instances(variant: dict[str, Any]) -> str:
    serverless = variant.get("ServerlessConfig")
    if serverless:
        return f"serverless, {serverless.get('MemorySizeInMB', '?')} MB"
    count = int(variant.get("InitialInstanceCount", 1))
    kind = variant.get("InstanceType", "?")
    return kind if count == 1 else f"{count} x {kind}"
