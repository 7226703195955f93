"""Cloud > Predict Videos… in the window: the dialog, a local batch job followed in the jobs
dock, and Import Results: the open video's track as one undo step, the others written to
their projects."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("boto3", reason="the cloud extra (boto3) is not installed")

from cloud.conftest import aws, container_wheels_cached, moto_url  # noqa: F401  (fixtures)
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from tracknet_studio.formats.project_file import load_project
from tracknet_studio.ui import batch_predict
from tracknet_studio.ui.cloud_jobs import JOBS_FILE_KEY
from tracknet_studio.ui.cloud_settings import BACKEND_KEY, LOCAL
from tracknet_studio.ui.main_window import MainWindow

pytestmark = [pytest.mark.ui, pytest.mark.cloud]


@pytest.fixture
def local_jobs(settings: QSettings, tmp_path: Path) -> Path:
    settings.setValue(BACKEND_KEY, LOCAL)
    settings.setValue(JOBS_FILE_KEY, str(tmp_path / "jobs.json"))
    return tmp_path / "jobs.json"


def other_clips(tmp_path: Path) -> list[Path]:
    from cloud.test_batch_prediction import make_clips

    return make_clips(tmp_path / "season", 2)


def test_predict_videos_runs_a_batch_job_and_imports_its_tracks(
    qtbot, local_jobs: Path, make_window, ui_clip, tmp_path: Path, monkeypatch
) -> None:
    window: MainWindow = make_window()
    with qtbot.waitSignal(window.player.frame_shown, timeout=10_000):
        assert window.files.open_video(ui_clip.path)
    others = other_clips(tmp_path)
    shown: list[list[str]] = []

    def exec_(dialog: batch_predict.PredictVideosDialog) -> int:
        shown.append([dialog.videos.item(i).text() for i in range(dialog.videos.count())])
        dialog.add_videos([str(p) for p in others])
        dialog.method.setCurrentIndex(dialog.method.findData("motion"))
        assert not dialog.instances.isEnabled()  # one process on this computer
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(batch_predict.PredictVideosDialog, "exec", exec_)
    window.action_by_id["cloud.predict_videos"].trigger()
    qtbot.waitUntil(lambda: not window.cloud.tasks, timeout=20_000)
    assert shown == [[str(Path(ui_clip.path).resolve())]]  # the open video comes first
    panel = window.cloud.panel
    [record] = window.cloud.store.all()
    assert record.kind == "local-prediction" and len(record.details["videos"]) == 3
    qtbot.waitUntil(lambda: panel.status_text(record.name) == "Completed", timeout=120_000)

    panel.select(record.name)
    qtbot.waitUntil(panel.import_button.isEnabled, timeout=5_000)
    assert not panel.stop_button.isEnabled()
    assert panel.plots.isHidden()  # no training curves for a prediction job: the log gets the room
    undo_before = window.undo_stack.count()
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.cloud.tasks, timeout=30_000)
    assert "motion" in window.project.predictions  # the open project, in the window
    assert window.undo_stack.count() == undo_before + 1
    assert window.undo_stack.undoText() == "Import 'motion'"
    assert not Path(ui_clip.path).with_suffix(".tnproj").exists()  # the window saves it
    for clip in others:
        assert set(load_project(clip.with_suffix(".tnproj")).project.predictions) == {"motion"}
    window.undo_stack.undo()
    assert "motion" not in window.project.predictions
    assert "2 other project(s) written" in window.statusBar().toolTip()


def test_the_dialog_needs_a_video_and_removes_the_ones_picked(qtbot, tmp_path: Path) -> None:
    dialog = batch_predict.PredictVideosDialog(None, [], LOCAL, "ml.g4dn.xlarge")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.add_videos(["/a.mp4", "/b.mp4", "/a.mp4"])
    assert dialog.videos.count() == 2 and ok.isEnabled()
    dialog.videos.item(0).setSelected(True)
    dialog._remove_selected()
    request = dialog.request()
    assert request.videos == (Path("/b.mp4"),) and request.weights == ""
    sagemaker = batch_predict.PredictVideosDialog(None, [], "sagemaker", "ml.g4dn.xlarge")
    qtbot.addWidget(sagemaker)
    assert sagemaker.instances.isEnabled() and "ml.g4dn.xlarge" in sagemaker.where.text()


def test_predict_videos_on_sagemaker_sends_one_sharded_processing_job(
    qtbot, aws, settings: QSettings, make_window, tmp_path: Path, monkeypatch,  # noqa: F811
) -> None:  # fmt: skip

    import boto3
    from moto_support import REGION, bucket_and_role

    from tracknet_studio.cloud import sagemaker_backend

    bucket_and_role().save()
    settings.setValue(BACKEND_KEY, "sagemaker")
    settings.setValue(JOBS_FILE_KEY, str(tmp_path / "jobs.json"))
    monkeypatch.setattr(sagemaker_backend, "image_uri", lambda *_args: "image:latest")
    sent: list[dict] = []
    build = sagemaker_backend.SageMakerBackend.processing_request

    def keep(self, *args, **kwargs) -> dict:
        sent.append(build(self, *args, **kwargs))
        return sent[-1]

    monkeypatch.setattr(sagemaker_backend.SageMakerBackend, "processing_request", keep)
    clips = other_clips(tmp_path)

    def exec_(dialog: batch_predict.PredictVideosDialog) -> int:
        dialog.add_videos([str(p) for p in clips])
        dialog.method.setCurrentIndex(dialog.method.findData("motion"))
        dialog.overlay.setChecked(True)
        dialog.instances.setValue(2)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(batch_predict.PredictVideosDialog, "exec", exec_)
    window: MainWindow = make_window()
    window.action_by_id["cloud.predict_videos"].trigger()
    qtbot.waitUntil(lambda: not window.cloud.tasks, timeout=30_000)
    [record] = window.cloud.store.all()
    assert record.kind == "prediction" and record.backend == "sagemaker"
    boto3.client("sagemaker", region_name=REGION).describe_processing_job(
        ProcessingJobName=record.name
    )  # sent, and known to SageMaker
    [job] = sent
    assert job["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2
    inputs = {i["InputName"]: i["S3Input"] for i in job["ProcessingInputs"]}
    assert inputs["videos"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert "--overlay" in job["AppSpecification"]["ContainerArguments"]
    panel = window.cloud.panel
    assert panel is not None and panel.status_text(record.name)
