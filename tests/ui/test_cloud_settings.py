"""Cloud > Settings…: the form, the backend choice, and Check against the moto emulator."""

from __future__ import annotations

import pytest

pytest.importorskip("boto3", reason="the cloud extra (boto3) is not installed")

from cloud.conftest import (  # noqa: F401  (the emulator fixtures, used by name)
    BUCKET,
    REGION,
    aws,
    moto_url,
)
from moto_support import bucket_and_role
from PySide6.QtCore import QSettings

from tracknet_studio.cloud.cors import add_ground_truth_rule
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.ui.cloud_settings import (
    FAIL_MARK,
    LOCAL,
    PASS_MARK,
    SAGEMAKER,
    WARN_MARK,
    CloudSettingsDialog,
    chosen_backend,
)

pytestmark = [pytest.mark.ui, pytest.mark.cloud]


@pytest.fixture
def role_arn(aws: str) -> str:  # noqa: F811

    return bucket_and_role().role_arn


def check(qtbot, dialog: CloudSettingsDialog) -> list[str]:
    with qtbot.waitSignal(dialog.checked, timeout=30_000):
        dialog.check_button.click()
    return dialog.check_lines()


def test_check_reports_a_missing_bucket(qtbot, settings: QSettings, role_arn: str) -> None:
    cloud = CloudSettings(region=REGION, bucket="no-such-bucket-tn", role_arn=role_arn)
    dialog = CloudSettingsDialog(cloud, settings, profiles=[])
    qtbot.addWidget(dialog)
    lines = check(qtbot, dialog)

    failed = [line for line in lines if line.startswith(FAIL_MARK)]
    assert len(failed) == 1, lines
    assert "no-such-bucket-tn" in failed[0]
    assert any(line.startswith(PASS_MARK) and "credentials" in line for line in lines)
    assert "1 problem" in dialog.check_state.text()
    assert dialog.check_button.isEnabled()


def test_check_uses_the_form_not_the_saved_values(
    qtbot, settings: QSettings, role_arn: str
) -> None:
    dialog = CloudSettingsDialog(CloudSettings(region=REGION), settings, profiles=[])
    qtbot.addWidget(dialog)
    dialog.bucket.setText(BUCKET)
    dialog.role_arn.setText(role_arn)
    lines = check(qtbot, dialog)
    # A fresh bucket lacks Ground Truth's CORS rule: a warning, not a problem.
    assert [line for line in lines if not line.startswith(PASS_MARK)] == [
        next(line for line in lines if line.startswith(f"{WARN_MARK} cors"))
    ]
    assert dialog.check_state.text() == "Everything checked works. 1 warning(s)."
    assert any(BUCKET in line for line in lines)
    import boto3

    add_ground_truth_rule(boto3.client("s3", region_name=REGION), BUCKET)
    lines = check(qtbot, dialog)
    assert lines and all(line.startswith(PASS_MARK) for line in lines), lines


def test_form_round_trip_and_backend_choice(qtbot, settings: QSettings) -> None:
    cloud = CloudSettings(
        profile="work-sso",
        region="eu-west-1",
        bucket="b",
        prefix="p",
        use_spot=True,
        kms_key_id="alias/tn",
        max_run_s=7200,
    )
    dialog = CloudSettingsDialog(cloud, settings, profiles=["default", "work-sso"])
    qtbot.addWidget(dialog)
    assert dialog.values() == cloud
    assert dialog.local_radio.isChecked() and chosen_backend(settings) == LOCAL

    dialog.profile.setCurrentIndex(0)  # the default credential chain
    dialog.training_type.setText("ml.g6.xlarge")
    dialog.sagemaker_radio.setChecked(True)
    dialog.accept()
    values = dialog.values()
    assert values.profile == "" and values.training_instance_type == "ml.g6.xlarge"
    assert not hasattr(values, "aws_secret_access_key")  # names only, never keys
    assert chosen_backend(settings) == SAGEMAKER
