"""CloudSettings persistence and check_settings against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracknet_studio.cloud.check import check_settings
from tracknet_studio.cloud.cors import add_ground_truth_rule, allows_ground_truth, bucket_rules
from tracknet_studio.cloud.settings import CloudSettings, settings_path

pytestmark = pytest.mark.cloud


def by_name(results):
    return {r.name: r for r in results}


def test_settings_round_trip_and_never_hold_credentials(tmp_path: Path) -> None:
    settings = CloudSettings(profile="work", bucket="b", kms_key_id="alias/k", use_spot=True)
    path = settings.save(tmp_path / "cloud.json")
    assert CloudSettings.load(path) == settings
    saved = json.loads(path.read_text())
    assert not any("secret" in key or "access_key" in key for key in saved)
    path.write_text(json.dumps({**saved, "from_a_newer_version": 1}))
    assert CloudSettings.load(path) == settings
    path.write_text("{broken")
    assert CloudSettings.load(path) == CloudSettings()


def test_settings_path_follows_the_override(aws: str, tmp_path: Path) -> None:
    assert settings_path() == tmp_path / "config" / "cloud.json"


def test_s3_uri_joins_prefix_and_parts() -> None:
    s = CloudSettings(bucket="b", prefix="/team/tn/")
    assert s.s3_uri("data", "clip1/") == "s3://b/team/tn/data/clip1"
    assert CloudSettings(bucket="b", prefix="").s3_uri("x") == "s3://b/x"


def test_check_passes_with_bucket_and_role(settings: CloudSettings) -> None:
    import boto3

    add_ground_truth_rule(boto3.client("s3", region_name=settings.region), settings.bucket)
    results = by_name(check_settings(settings))
    assert [r.name for r in results.values()] == [
        "region", "credentials", "bucket", "cors", "role"
    ]  # fmt: skip
    assert all(r.ok for r in results.values()), results
    assert "arn:aws:" in results["credentials"].message


def test_check_without_credentials_says_so_and_stops(
    settings: CloudSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "nowhere" / "credentials"))
    # No instance metadata service here: do not wait for one.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    results = check_settings(settings)
    assert [r.name for r in results] == ["region", "credentials"]
    assert not results[1].ok
    assert "No AWS credentials" in results[1].message


def test_check_reports_a_bucket_without_the_ground_truth_cors_rule(
    settings: CloudSettings,
) -> None:
    """Developer Guide, "CORS Requirement for Input Image Data": jobs created through the API
    need the rule on the input bucket, or the workers' tasks fail."""
    cors = by_name(check_settings(settings))["cors"]
    assert not cors.ok and "--set-cors" in cors.message and settings.bucket in cors.message


def test_adding_the_cors_rule_keeps_the_buckets_own_rules(settings: CloudSettings) -> None:
    import boto3

    s3 = boto3.client("s3", region_name=settings.region)
    own = {"AllowedMethods": ["GET"], "AllowedOrigins": ["https://example.com"]}
    s3.put_bucket_cors(Bucket=settings.bucket, CORSConfiguration={"CORSRules": [own]})
    assert not allows_ground_truth(bucket_rules(s3, settings.bucket))
    assert add_ground_truth_rule(s3, settings.bucket)
    rules = bucket_rules(s3, settings.bucket)
    assert len(rules) == 2 and rules[0]["AllowedOrigins"] == ["https://example.com"]
    assert set(rules[1]["AllowedMethods"]) == {"GET", "HEAD", "PUT"}
    assert rules[1]["ExposeHeaders"] == ["Access-Control-Allow-Origin"]
    assert not add_ground_truth_rule(s3, settings.bucket), "added once only"
    assert by_name(check_settings(settings))["cors"].ok


def test_check_reports_a_missing_bucket(settings: CloudSettings) -> None:
    settings.bucket = "no-such-bucket-here"
    bucket = by_name(check_settings(settings))["bucket"]
    assert not bucket.ok and "does not exist" in bucket.message


def test_check_reports_a_missing_role(settings: CloudSettings) -> None:
    settings.role_arn = "arn:aws:iam::123456789012:role/nobody"
    role = by_name(check_settings(settings))["role"]
    assert not role.ok and "does not exist" in role.message


def test_check_reports_a_role_sagemaker_may_not_assume(settings: CloudSettings) -> None:
    import boto3

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = boto3.client("iam").create_role(
        RoleName="ec2-only", AssumeRolePolicyDocument=json.dumps(trust)
    )
    settings.role_arn = role["Role"]["Arn"]
    result = by_name(check_settings(settings))["role"]
    assert not result.ok and "sagemaker.amazonaws.com" in result.message


def test_check_reports_a_bad_region_and_a_disabled_key(settings: CloudSettings) -> None:
    import boto3

    key = boto3.client("kms").create_key()["KeyMetadata"]["KeyId"]
    boto3.client("kms").disable_key(KeyId=key)
    settings.kms_key_id = key
    assert not by_name(check_settings(settings))["kms key"].ok
    settings.region = "mars-north-1"
    results = check_settings(settings)
    assert [r.name for r in results] == ["region"] and not results[0].ok


def test_expired_token_is_explained() -> None:
    from botocore.exceptions import ClientError

    from tracknet_studio.cloud.check import explain

    error = ClientError({"Error": {"Code": "ExpiredToken", "Message": "x"}}, "GetCallerIdentity")
    assert "expired" in explain(error)


def test_clients_retry_adaptively_and_take_the_endpoint_from_the_environment(
    aws: str,
) -> None:
    from tracknet_studio.cloud.session import client

    s3 = client(CloudSettings(region="eu-west-1"), "s3")
    assert s3.meta.endpoint_url == aws
    assert s3.meta.region_name == "eu-west-1"
    # botocore keeps max_attempts=10 (retries) as 11 attempts in all.
    assert s3.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}


def test_a_missing_profile_is_named(aws: str) -> None:
    results = check_settings(CloudSettings(profile="nobody-has-this"))
    assert not results[-1].ok and "nobody-has-this" in results[-1].message
