"""What the app needs to know to use AWS, and a check that says plainly what is wrong.

The settings hold names only (profile, region, bucket, role, instance types, KMS key):
credentials always come from botocore's standard chain (environment, shared files, SSO,
instance roles), so nothing secret is ever written by us.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from tracknet_studio.core.paths import config_dir
from tracknet_studio.formats.atomic import atomic_write_text

APP_NAME = "tracknet-studio"
SETTINGS_FILE = "cloud.json"


@dataclass
class CloudSettings:
    """Where and how jobs run on AWS; saved as JSON in the user's config folder."""

    profile: str = ""  # empty: the default credential chain
    region: str = "us-east-1"
    bucket: str = ""
    prefix: str = "tracknet"
    role_arn: str = ""
    processing_instance_type: str = "ml.m5.xlarge"
    training_instance_type: str = "ml.g5.xlarge"
    endpoint_instance_type: str = "ml.m5.large"
    prediction_instance_type: str = "ml.g4dn.xlarge"  # batch prediction: a GPU pays off
    use_spot: bool = False
    # Jobs and endpoints without any network access (their S3 data still flows): the
    # dependencies travel with the code as wheels, so nothing is installed from the net.
    network_isolation: bool = False
    kms_key_id: str = ""  # empty: SSE-S3 (AES256)
    max_run_s: int = 24 * 3600
    workteam_arn: str = ""  # Ground Truth private work team
    pytorch_version: str = "2.6"
    py_version: str = "py312"

    def s3_uri(self, *parts: str) -> str:
        """s3://bucket/prefix/part/...; empty parts are dropped."""
        keys = [p.strip("/") for p in (self.prefix, *parts) if p and p.strip("/")]
        return f"s3://{self.bucket}/" + "/".join(keys)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CloudSettings:
        """Unknown keys are ignored so an older app reads a newer file."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def load(cls, path: Path | None = None) -> CloudSettings:
        """The saved settings, or the defaults when there are none (or the file is broken)."""
        path = path or settings_path()
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self, path: Path | None = None) -> Path:
        path = path or settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))
        return path


def settings_path() -> Path:
    """The settings file, in the config folder (see tracknet_studio.core.paths)."""
    return config_dir() / SETTINGS_FILE
