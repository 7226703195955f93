"""Cloud > Create Labeling Job… and Import Labeling Job Output… (Ground Truth).

Creating a job reuses Export Labels' job-folder writer (every frame of the video, with the
current labels as prelabels for an adjustment job), then uploads the folder and sends the
CreateLabelingJob request (tracknet_studio.cloud.labeling). Before any of that, the bucket's
CORS rule for the workers' UI is checked (tracknet_studio.cloud.cors) and, when missing,
the user is shown the rule and asked whether to add it. Importing reads the job's output
manifest from S3 and applies it like File > Import Labels (one undo step, human labels kept
unless the user says otherwise).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from . import questions
from .tasks import Report

if TYPE_CHECKING:
    from tracknet_studio.cloud.settings import CloudSettings

    from .cloud_jobs import CloudJobs
    from .shell import Shell

NEW_JOB, ADJUSTMENT = "Label From Scratch", "Adjust Current Labels"
CORS_TITLE, ADD_CORS_RULE, WITHOUT_CORS_RULE = "Bucket CORS rule", "Add Rule", "Create Without It"


def create_labeling_job_dialog(shell: Shell, cloud: CloudJobs) -> None:
    settings = cloud.settings
    if not (settings.bucket and settings.role_arn and settings.workteam_arn):
        shell.show_error(
            "Create labeling job",
            "Set the S3 bucket, the job role and the work team in Cloud > Settings first.",
        )
        return
    answer = questions.choose(
        shell.window,
        "Create labeling job",
        "Send every frame of the video to your Ground Truth work team.",
        (NEW_JOB, ADJUSTMENT, questions.CANCEL),
        informative="An adjustment job shows the current labels for workers to correct.",
    )
    if answer == questions.CANCEL:
        return
    adjustment = answer == ADJUSTMENT

    def has_rule(_report: Report) -> bool:
        from tracknet_studio.cloud import session as aws
        from tracknet_studio.cloud.cors import allows_ground_truth, bucket_rules

        return allows_ground_truth(bucket_rules(aws.client(settings, "s3"), settings.bucket))

    def checked(present: bool) -> None:
        cors = ask_cors_rule(shell.window, settings.bucket) if not present else None
        if cors != questions.CANCEL:
            _export_and_send(shell, cloud, settings, adjustment, cors)

    # A job created through the API (not the console) needs the bucket's CORS rule, or the
    # workers' tasks fail: check before the long export, off the UI thread like all AWS calls.
    cloud.start("Check the bucket's CORS rule", has_rule, checked)


def ask_cors_rule(parent: QWidget, bucket: str) -> str:
    """ADD_CORS_RULE, WITHOUT_CORS_RULE or CANCEL; shows the exact rule it would add."""
    from tracknet_studio.cloud.cors import rule_json

    return questions.choose(
        parent,
        CORS_TITLE,
        f"The bucket {bucket} has no CORS rule for Ground Truth: without one, the "
        "workers' tasks of this job fail to load its frames.",
        (ADD_CORS_RULE, WITHOUT_CORS_RULE, questions.CANCEL),
        informative=f"<p>Add this rule to the bucket's CORS configuration? Its other rules "
        f"stay.</p><pre>{html.escape(rule_json())}</pre>",
        icon=QMessageBox.Icon.Warning,
    )


def _export_and_send(
    shell: Shell, cloud: CloudJobs, settings: CloudSettings, adjustment: bool, cors: str | None
) -> None:
    """Write the job folder, then (in the background) add the CORS rule when `cors` says so,
    upload the folder and create the job. `cors`: None when the bucket has the rule."""
    from tracknet_studio.cloud.labeling import labeling_base_uri, new_labeling_job_name

    from .label_io import export_labeling_job

    name = new_labeling_job_name()
    folder = cloud.local.work_dir / name
    export = export_labeling_job(shell, folder, labeling_base_uri(settings, name), adjustment)
    if export is None:
        return

    def send(_result: Any) -> None:
        from tracknet_studio.cloud import session as aws
        from tracknet_studio.cloud.cors import add_ground_truth_rule
        from tracknet_studio.cloud.labeling import create_labeling_job

        store = cloud.store

        def work(report: Report) -> Any:
            if cors == ADD_CORS_RULE:
                try:  # the same merge as `cloud label create --set-cors`
                    add_ground_truth_rule(aws.client(settings, "s3"), settings.bucket)
                except Exception as exc:
                    raise RuntimeError(
                        f"Cannot add the CORS rule to {settings.bucket}: {exc}"
                    ) from exc
            progress = lambda done, total: report(done >> 10, total >> 10)  # noqa: E731 (KiB)
            return create_labeling_job(
                settings, folder, name, adjustment=adjustment, store=store, progress=progress
            )

        def created(_record: Any) -> None:
            if cors == WITHOUT_CORS_RULE:  # stays until the next message: it matters
                shell.say(
                    f"{name} was created without the CORS rule on {settings.bucket}: "
                    "the workers' tasks will fail until the bucket has it."
                )

        cloud.start("Create labeling job", work, created)

    export.succeeded.connect(send, Qt.ConnectionType.QueuedConnection)


def import_labeling_output_dialog(shell: Shell, cloud: CloudJobs) -> None:
    from tracknet_studio.cloud.labeling import import_labeling_output, recorded_label_attribute
    from tracknet_studio.formats.groundtruth import AmbiguousObjectError, GtImportOptions

    from .label_io import apply_import, pick_object, video_size

    if shell.project is None:
        shell.show_error("Import labeling job output", "Open the video the job was made from.")
        return
    done = [r for r in cloud.store.all() if r.kind == "labeling" and r.artifact]
    uri, ok = QInputDialog.getText(
        shell.window,
        "Import Labeling Job Output",
        "Output manifest (S3 URI):",
        QLineEdit.EchoMode.Normal,
        done[0].artifact if done else "s3://",
    )
    uri = uri.strip()
    if not ok or not uri.startswith("s3://"):
        return
    settings = cloud.settings
    # The video's frame count and size, as File > Import Labels passes them: frames beyond
    # the video are then counted in the report instead of disappearing.
    # An adjustment job's output also carries the attribute it adjusted: take the job's own.
    attribute = recorded_label_attribute(cloud.store, uri)
    options = GtImportOptions(n_frames=shell.project.n_frames, image_size=video_size(shell),
                              label_attribute=attribute)  # fmt: skip

    def read(_report: Report) -> Any:
        # Several objects are a question for the user, not an error: it comes back here.
        try:
            return import_labeling_output(settings, uri, options)
        except AmbiguousObjectError as exc:
            return exc

    def imported(result: Any) -> None:
        if isinstance(result, AmbiguousObjectError):
            chosen = pick_object(shell.window, result.path, result.objects)
            if chosen is not None:
                options.object_name = chosen
                cloud.start("Import labeling job output", read, imported)
            return
        track, report = result
        apply_import(shell, track, report, uri.rsplit("/", 1)[-1])

    cloud.start("Import labeling job output", read, imported)
