"""Settings > Check and `tracknet-studio cloud check`: each setting tried against AWS, with
a message that says plainly what is wrong and how to fix it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .settings import CloudSettings


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

    from . import session as aws  # boto3: imported when a check runs

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

    from . import session as aws  # boto3: imported when a check runs

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

    from . import session as aws  # boto3: imported when a check runs

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
    from . import session as aws  # boto3: imported when a check runs
    from .cors import allows_ground_truth, bucket_rules, missing_rule_message

    rules = bucket_rules(aws.client(settings, "s3", boto_session), settings.bucket)
    if allows_ground_truth(rules):
        return CheckResult("cors", True, "The bucket allows Ground Truth's worker UI (CORS).")
    return CheckResult("cors", False, missing_rule_message(settings.bucket), warning=True)


def _check_role(settings: CloudSettings, boto_session: Any) -> CheckResult:
    """The role exists and SageMaker may assume it (its trust policy names sagemaker)."""
    from botocore.exceptions import ClientError

    from . import session as aws  # boto3: imported when a check runs

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
    from . import session as aws  # boto3: imported when a check runs

    if not settings.kms_key_id:
        return None
    key = aws.client(settings, "kms", boto_session).describe_key(KeyId=settings.kms_key_id)
    state = key["KeyMetadata"].get("KeyState", "Enabled")
    if state != "Enabled":
        return CheckResult("kms key", False, f"The KMS key is {state}, not Enabled.")
    return CheckResult("kms key", True, "The KMS key is enabled.")
