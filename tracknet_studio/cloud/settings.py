"""What the app needs to know to use AWS, and a check that says plainly what is wrong.

The settings hold names only (profile, region, bucket, role, instance types, KMS key):
credentials always come from botocore's standard chain (environment, shared files, SSO,
instance roles), so nothing secret is ever written by us.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from tracknet_studio.core.paths import config_dir

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
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return path


def settings_path() -> Path:
    """The settings file, in the config folder (see tracknet_studio.core.paths)."""
    return config_dir() / SETTINGS_FILE


@dataclass(frozen=True)
class CheckResult:
    """One line of the settings check: what was checked, whether it passed, and why not."""

    name: str
    ok: bool
    message: str
    # A failure that blocks nothing yet (say, what only Ground Truth jobs need): shown as a
    # warning, and `cloud check` still exits 0.
    warning: bool = False

    @property
    def blocking(self) -> bool:
        return not self.ok and not self.warning


def check_settings(settings: CloudSettings) -> list[CheckResult]:
    """Check region, credentials, bucket (and its CORS rule for Ground Truth), role and KMS
    key, in that order.

    Once the region or the credentials fail, the later checks are skipped: they would all
    fail the same way and hide the one thing to fix.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from . import session as aws

    results = [_check_region(settings)]
    if not results[0].ok:
        return results  # every call would go to an endpoint that does not exist
    try:
        boto_session = aws.aws_session(settings)
    except BotoCoreError as exc:  # ProfileNotFound and the like
        return [*results, CheckResult("credentials", False, str(exc))]
    credentials = _check_credentials(settings, boto_session)
    results.append(credentials)
    if not credentials.ok:
        return results
    for check in (_check_bucket, _check_cors, _check_role, _check_kms_key):
        if check is _check_cors and not results[-1].ok:
            continue  # no bucket to read the rules of: the bucket line says why
        try:
            result = check(settings, boto_session)
        except (BotoCoreError, ClientError) as exc:
            result = CheckResult(check.__name__.removeprefix("_check_"), False, explain(exc))
        if result is not None:
            results.append(result)
    return results


def explain(exc: BaseException) -> str:
    """A plain-language sentence for the AWS errors people actually meet."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ProfileNotFound,
        SSOTokenLoadError,
        TokenRetrievalError,
        UnauthorizedSSOTokenError,
    )

    if isinstance(exc, NoCredentialsError):
        return (
            "No AWS credentials were found. Run `aws configure` (or `aws sso login` for an "
            "SSO profile), or choose a profile that has credentials."
        )
    if isinstance(exc, (SSOTokenLoadError, TokenRetrievalError, UnauthorizedSSOTokenError)):
        return f"The SSO session has expired or was never started: run `aws sso login`. ({exc})"
    if isinstance(exc, ProfileNotFound):
        return f"{exc}. Check the profile name against ~/.aws/config."
    if isinstance(exc, NoRegionError):
        return "No region is set: choose one in the settings."
    if isinstance(exc, EndpointConnectionError):
        return f"AWS could not be reached ({exc}). Check the network or AWS_ENDPOINT_URL."
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return "The AWS credentials have expired: refresh them (e.g. `aws sso login`)."
        if code in ("InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"):
            return "AWS does not recognise these credentials: the access key is wrong or deleted."
        if code in ("AccessDenied", "AccessDeniedException", "403", "Forbidden"):
            return f"Access denied: {message}"
        return f"{code}: {message}" if code else message
    return str(exc)


def _check_region(settings: CloudSettings) -> CheckResult:
    import boto3

    regions = boto3.session.Session().get_available_regions("sagemaker")
    if settings.region in regions:
        return CheckResult("region", True, f"{settings.region} offers SageMaker.")
    return CheckResult(
        "region", False, f"{settings.region or '(none)'} is not a region where SageMaker runs."
    )


def _check_credentials(settings: CloudSettings, boto_session: Any) -> CheckResult:
    from botocore.exceptions import BotoCoreError, ClientError

    from . import session as aws

    try:
        if boto_session.get_credentials() is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        who = aws.client(settings, "sts", boto_session).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        return CheckResult("credentials", False, explain(exc))
    return CheckResult("credentials", True, f"Signed in as {who['Arn']}.")


def _check_bucket(settings: CloudSettings, boto_session: Any) -> CheckResult:
    from botocore.exceptions import ClientError

    from . import session as aws

    if not settings.bucket:
        return CheckResult("bucket", False, "No S3 bucket is set.")
    try:
        aws.client(settings, "s3", boto_session).head_bucket(Bucket=settings.bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return CheckResult("bucket", False, f"The bucket {settings.bucket} does not exist.")
        if code in ("403", "AccessDenied", "Forbidden"):
            return CheckResult(
                "bucket", False, f"These credentials may not use the bucket {settings.bucket}."
            )
        raise
    return CheckResult("bucket", True, f"The bucket {settings.bucket} is reachable.")


def _check_cors(settings: CloudSettings, boto_session: Any) -> CheckResult | None:
    """The bucket's CORS rule for Ground Truth's worker UI (see cloud.cors)."""
    from . import session as aws
    from .cors import allows_ground_truth, bucket_rules, missing_rule_message

    rules = bucket_rules(aws.client(settings, "s3", boto_session), settings.bucket)
    if allows_ground_truth(rules):
        return CheckResult("cors", True, "The bucket allows Ground Truth's worker UI (CORS).")
    return CheckResult("cors", False, missing_rule_message(settings.bucket), warning=True)


def _check_role(settings: CloudSettings, boto_session: Any) -> CheckResult:
    """The role exists and SageMaker may assume it (its trust policy names sagemaker)."""
    from botocore.exceptions import ClientError

    from . import session as aws

    if not settings.role_arn:
        return CheckResult("role", False, "No IAM role for SageMaker jobs is set.")
    name = settings.role_arn.rsplit("/", 1)[-1]
    try:
        role = aws.client(settings, "iam", boto_session).get_role(RoleName=name)["Role"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "NoSuchEntity":
            return CheckResult("role", False, f"The role {settings.role_arn} does not exist.")
        if code in ("AccessDenied", "AccessDeniedException"):
            return CheckResult(
                "role",
                True,
                f"The role could not be read (no iam:GetRole); assuming {name} is fine.",
            )
        raise
    trust = json.dumps(role.get("AssumeRolePolicyDocument", ""))
    if "sagemaker.amazonaws.com" not in trust:
        return CheckResult(
            "role",
            False,
            f"SageMaker may not assume {name}: its trust policy does not name "
            "sagemaker.amazonaws.com.",
        )
    return CheckResult("role", True, f"SageMaker can assume {name}.")


def _check_kms_key(settings: CloudSettings, boto_session: Any) -> CheckResult | None:
    from . import session as aws

    if not settings.kms_key_id:
        return None
    key = aws.client(settings, "kms", boto_session).describe_key(KeyId=settings.kms_key_id)
    state = key["KeyMetadata"].get("KeyState", "Enabled")
    if state != "Enabled":
        return CheckResult("kms key", False, f"The KMS key is {state}, not Enabled.")
    return CheckResult("kms key", True, "The KMS key is enabled.")
