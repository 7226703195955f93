"""Cloud > Settings…: where jobs run (this machine or SageMaker) and the AWS names they use.

The dialog edits a `CloudSettings` (names only: credentials always come from botocore's
standard chain, so there is no field for a key). "Check" runs `check_settings` off the UI
thread and lists every result on its own ✓/✗ line, in plain words.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from tracknet_studio.cloud.backends import LOCAL, SAGEMAKER
from tracknet_studio.cloud.check import CheckResult, check_settings
from tracknet_studio.cloud.settings import CloudSettings

from .cloud_tasks import run_quietly
from .tasks import BackgroundTask

BACKEND_KEY = "cloud/backend"
DEFAULT_PROFILE = "(default credential chain)"
PASS_MARK, FAIL_MARK, WARN_MARK = "✓", "✗", "⚠"


def chosen_backend(settings: QSettings) -> str:
    """The backend new jobs run on: "local" (the default) or "sagemaker"."""
    value = str(settings.value(BACKEND_KEY, LOCAL) or LOCAL)
    return value if value in (LOCAL, SAGEMAKER) else LOCAL


def available_profiles() -> list[str]:
    """The profiles of ~/.aws/config and credentials (SSO ones too), [] without boto3."""
    try:
        import boto3

        return sorted(boto3.Session().available_profiles)
    except Exception:  # no boto3, or a config file botocore cannot parse: type a name
        return []


def result_colour(result: CheckResult) -> Qt.GlobalColor:
    if result.ok:
        return Qt.GlobalColor.darkGreen
    return Qt.GlobalColor.darkYellow if result.warning else Qt.GlobalColor.red


def result_line(result: CheckResult) -> str:
    mark = PASS_MARK if result.ok else WARN_MARK if result.warning else FAIL_MARK
    return f"{mark} {result.name}: {result.message}"


class CloudSettingsDialog(QDialog):
    """Edit the cloud settings; OK saves them (and the backend choice)."""

    checked = Signal(list)  # the CheckResults, once a check finished (tests wait on it)

    def __init__(
        self,
        cloud: CloudSettings,
        app_settings: QSettings,
        parent: QWidget | None = None,
        *,
        checker: Callable[[CloudSettings], list[CheckResult]] = check_settings,
        profiles: list[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cloud Settings")
        self.setObjectName("cloudSettingsDialog")
        self._app_settings = app_settings
        self._checker = checker
        self._check_task: BackgroundTask | None = None
        self.results: list[CheckResult] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self._backend_box())
        layout.addWidget(self._aws_box(profiles if profiles is not None else available_profiles()))
        layout.addWidget(self._check_box(), 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.set_values(cloud)
        self.local_radio.setChecked(chosen_backend(app_settings) == LOCAL)
        self.sagemaker_radio.setChecked(chosen_backend(app_settings) == SAGEMAKER)
        self.resize(560, 640)

    # ================================================================= construction

    def _backend_box(self) -> QGroupBox:
        box = QGroupBox("Run jobs on")
        self.local_radio = QRadioButton("This computer (its GPU when there is one)")
        self.local_radio.setObjectName("backendLocal")
        self.sagemaker_radio = QRadioButton("Amazon SageMaker")
        self.sagemaker_radio.setObjectName("backendSageMaker")
        column = QVBoxLayout(box)
        column.addWidget(self.local_radio)
        column.addWidget(self.sagemaker_radio)
        return box

    def _aws_box(self, profiles: list[str]) -> QGroupBox:
        box = QGroupBox("AWS")
        form = QFormLayout(box)
        self.profile = QComboBox()
        self.profile.setEditable(True)  # an SSO profile added after start can be typed
        self.profile.addItem(DEFAULT_PROFILE)
        self.profile.addItems(profiles)
        self.region = QLineEdit()
        self.bucket = QLineEdit()
        self.prefix = QLineEdit()
        self.role_arn = QLineEdit()
        self.role_arn.setPlaceholderText("arn:aws:iam::123456789012:role/SageMakerExecution")
        self.processing_type = QLineEdit()
        self.training_type = QLineEdit()
        self.endpoint_type = QLineEdit()
        self.prediction_type = QLineEdit()
        self.network_isolation = QCheckBox("Network isolation (no internet in jobs or endpoints)")
        self.network_isolation.setObjectName("networkIsolation")
        self.network_isolation.setToolTip(
            "Jobs and endpoints run without network access; their dependencies travel with "
            "the code as wheels, so nothing needs the internet."
        )
        self.use_spot = QCheckBox("Managed spot training (checkpoints resume a stopped job)")
        self.kms_key = QLineEdit()
        self.kms_key.setPlaceholderText("empty: S3-managed encryption (SSE-S3)")
        self.workteam = QLineEdit()
        self.workteam.setPlaceholderText("Ground Truth private work team ARN")
        self.max_run_h = QSpinBox()
        self.max_run_h.setRange(1, 28 * 24)
        self.max_run_h.setSuffix(" h")
        rows: list[tuple[str, QWidget]] = [
            ("Profile", self.profile),
            ("Region", self.region),
            ("S3 bucket", self.bucket),
            ("S3 prefix", self.prefix),
            ("Job role ARN", self.role_arn),
            ("Processing instance", self.processing_type),
            ("Training instance", self.training_type),
            ("Endpoint instance", self.endpoint_type),
            ("Batch prediction instance", self.prediction_type),
            ("", self.use_spot),
            ("", self.network_isolation),
            ("Longest run", self.max_run_h),
            ("KMS key", self.kms_key),
            ("Work team", self.workteam),
        ]
        for label, widget in rows:
            form.addRow(label, widget)
        return box

    def _check_box(self) -> QGroupBox:
        box = QGroupBox("Check")
        column = QVBoxLayout(box)
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("checkSettings")
        self.check_button.setToolTip("Try the credentials, the bucket, the role and the key")
        self.check_button.clicked.connect(self.run_check)
        self.check_state = QLabel("Checks use the values above, before they are saved.")
        self.check_state.setWordWrap(True)
        self.check_list = QListWidget()
        self.check_list.setObjectName("checkResults")
        self.check_list.setWordWrap(True)
        column.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.check_state)
        column.addWidget(self.check_list, 1)
        return box

    # ================================================================= values

    def set_values(self, cloud: CloudSettings) -> None:
        self._base = cloud
        self.profile.setCurrentText(cloud.profile or DEFAULT_PROFILE)
        self.region.setText(cloud.region)
        self.bucket.setText(cloud.bucket)
        self.prefix.setText(cloud.prefix)
        self.role_arn.setText(cloud.role_arn)
        self.processing_type.setText(cloud.processing_instance_type)
        self.training_type.setText(cloud.training_instance_type)
        self.endpoint_type.setText(cloud.endpoint_instance_type)
        self.prediction_type.setText(cloud.prediction_instance_type)
        self.use_spot.setChecked(cloud.use_spot)
        self.network_isolation.setChecked(cloud.network_isolation)
        self.max_run_h.setValue(max(1, round(cloud.max_run_s / 3600)))
        self.kms_key.setText(cloud.kms_key_id)
        self.workteam.setText(cloud.workteam_arn)

    def values(self) -> CloudSettings:
        """The settings as the form shows them now (fields the form lacks keep their value)."""
        profile = self.profile.currentText().strip()
        data = self._base.to_dict()
        data.update(
            profile="" if profile == DEFAULT_PROFILE else profile,
            region=self.region.text().strip(),
            bucket=self.bucket.text().strip(),
            prefix=self.prefix.text().strip().strip("/"),
            role_arn=self.role_arn.text().strip(),
            processing_instance_type=self.processing_type.text().strip(),
            training_instance_type=self.training_type.text().strip(),
            endpoint_instance_type=self.endpoint_type.text().strip(),
            prediction_instance_type=self.prediction_type.text().strip(),
            use_spot=self.use_spot.isChecked(),
            network_isolation=self.network_isolation.isChecked(),
            max_run_s=self.max_run_h.value() * 3600,
            kms_key_id=self.kms_key.text().strip(),
            workteam_arn=self.workteam.text().strip(),
        )
        return CloudSettings.from_dict(data)

    def backend(self) -> str:
        return SAGEMAKER if self.sagemaker_radio.isChecked() else LOCAL

    def accept(self) -> None:
        self._app_settings.setValue(BACKEND_KEY, self.backend())
        super().accept()

    # ================================================================= check

    def run_check(self) -> None:
        """Check the form's values on a worker thread; the results fill the list."""
        if self._check_task is not None:
            return
        settings = self.values()
        self.check_button.setEnabled(False)
        self.check_list.clear()
        self.check_state.setText("Checking…")
        self._check_task = run_quietly(
            lambda _report: self._checker(settings), self._show_results, self._show_check_error
        )

    def _show_results(self, results: list[CheckResult]) -> None:
        self._check_done()
        self.results = list(results)
        for result in self.results:
            item = QListWidgetItem(result_line(result))
            item.setForeground(result_colour(result))
            self.check_list.addItem(item)
        failed = sum(r.blocking for r in self.results)
        warned = sum(r.warning and not r.ok for r in self.results)
        state = "Everything checked works." if not failed else f"{failed} problem(s) to fix."
        if warned:
            state += f" {warned} warning(s)."
        self.check_state.setText(state)
        self.checked.emit(self.results)

    def _show_check_error(self, exc: BaseException) -> None:
        self._check_done()
        self.results = [CheckResult("check", False, str(exc) or type(exc).__name__)]
        self.check_list.addItem(QListWidgetItem(result_line(self.results[0])))
        self.check_state.setText("The check itself failed.")
        self.checked.emit(self.results)

    def _check_done(self) -> None:
        self._check_task = None
        self.check_button.setEnabled(True)

    def check_lines(self) -> list[str]:
        return [self.check_list.item(i).text() for i in range(self.check_list.count())]
