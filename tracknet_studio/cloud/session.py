"""boto3 sessions and clients, all with the same retry behaviour.

Credentials come from the standard chain only (the profile named in the settings, or the
default chain). No endpoint URL is ever passed here: botocore itself honours
AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>), which is how tests reach the emulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from .settings import CloudSettings

# Adaptive mode backs off on throttling, 5xx answers and dropped connections, and
# rate-limits the client itself. The connect timeout keeps ten attempts at an unreachable
# endpoint (offline, a wrong AWS_ENDPOINT_URL) to minutes, not the default's ten.
RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10}, connect_timeout=10, read_timeout=70
)


def aws_session(settings: CloudSettings) -> boto3.Session:
    """A session for the settings' profile (or the default chain) and region."""
    return boto3.Session(profile_name=settings.profile or None, region_name=settings.region)


def client(settings: CloudSettings, name: str, session: boto3.Session | None = None) -> Any:
    """A client for service `name` with the shared retry configuration."""
    return (session or aws_session(settings)).client(name, config=RETRY_CONFIG)
