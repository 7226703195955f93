"""The CORS rule Ground Truth's worker UI needs on the bucket of a video frame job.

Developer Guide, "CORS Requirement for Input Image Data": a labeling job created through
the CreateLabelingJob API (not the console, which adds it itself) needs a CORS configuration
on the buckets holding its input data, or the workers' tasks fail; video frame (and 3D point
cloud) jobs need GET, HEAD and PUT from any origin, with Access-Control-Allow-Origin
exposed. The app keeps the job's input and output in one bucket, so that bucket needs it.
"""

from __future__ import annotations

import json
from typing import Any

GROUND_TRUTH_CORS_RULE: dict[str, Any] = {
    "AllowedHeaders": [],
    "AllowedMethods": ["GET", "HEAD", "PUT"],
    "AllowedOrigins": ["*"],
    "ExposeHeaders": ["Access-Control-Allow-Origin"],
    "MaxAgeSeconds": 3000,
}
NEEDED_METHODS = frozenset(GROUND_TRUTH_CORS_RULE["AllowedMethods"])


def bucket_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """The bucket's CORS rules ([] when it has no CORS configuration)."""
    from botocore.exceptions import ClientError

    try:
        return s3.get_bucket_cors(Bucket=bucket).get("CORSRules", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchCORSConfiguration":
            return []
        raise


def allows_ground_truth(rules: list[dict[str, Any]]) -> bool:
    """Whether one rule lets the worker UI (any origin) GET, HEAD and PUT."""
    return any(
        "*" in rule.get("AllowedOrigins", []) and set(rule["AllowedMethods"]) >= NEEDED_METHODS
        for rule in rules
    )


def rule_json() -> str:
    """The rule as JSON, one key a line: what the window shows before adding it."""
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in GROUND_TRUTH_CORS_RULE.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def missing_rule_message(bucket: str) -> str:
    return (
        f"The bucket {bucket} has no CORS rule for Ground Truth: video frame labeling jobs "
        "created here would fail for the workers. Add it with `tracknet-studio cloud label "
        "create --set-cors` (or when creating a job in the window); it allows GET, HEAD and "
        "PUT from any origin and keeps the bucket's other rules."
    )


def add_ground_truth_rule(s3: Any, bucket: str) -> bool:
    """Add the rule beside the bucket's own (which stay); False when one already allows it."""
    rules = bucket_rules(s3, bucket)
    if allows_ground_truth(rules):
        return False
    s3.put_bucket_cors(
        Bucket=bucket, CORSConfiguration={"CORSRules": [*rules, GROUND_TRUTH_CORS_RULE]}
    )
    return True
