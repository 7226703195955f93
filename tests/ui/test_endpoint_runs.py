"""Model > Run Model… through a SageMaker endpoint, in the window, against moto in server
mode with canned endpoint replies: the dialog lists the endpoints in service (off the UI
thread) with their instances and model; a run adds a layer with the endpoint's points in
one undo step and shows what it costs; a failure keeps the frames answered and resumes;
Cancel changes nothing."""

from __future__ import annotations

import json
import re
import threading

import numpy as np
import pytest

pytest.importorskip("boto3", reason="the cloud extra (boto3) is not installed")
pytest.importorskip("moto", reason="moto[server] is not installed")

from cloud.conftest import aws, container_wheels_cached, moto_url  # noqa: F401  (fixtures)
from moto_support import binary_bodies_as_digests, bucket_and_role, queue_endpoint_results
from PySide6.QtWidgets import QProgressDialog

from tracknet_studio.cloud import sagemaker_backend
from tracknet_studio.cloud.endpoints import EndpointInfo, endpoints_in_service
from tracknet_studio.cloud.settings import CloudSettings
from tracknet_studio.core import Visibility
from tracknet_studio.ui import prediction, questions
from tracknet_studio.ui.prediction import RunModelDialog, RunSettings, endpoint_lister, run_model

from ._prediction_support import FRAMES, known_clip, open_with_labels  # noqa: F401

pytestmark = [pytest.mark.ui, pytest.mark.cloud]
ARTIFACT = "s3://tracknet-test-bucket/tn/training/job/output/model.tar.gz"
INSTANCE = "ml.g4dn.xlarge"


@pytest.fixture
def endpoint(aws: str, monkeypatch: pytest.MonkeyPatch) -> EndpointInfo:  # noqa: F811
    """Saved cloud settings and one endpoint in service (moto starts it InService)."""
    bucket_and_role().save()
    monkeypatch.setattr(sagemaker_backend, "image_uri", lambda *_args: "image:latest")
    backend = sagemaker_backend.SageMakerBackend(CloudSettings.load())
    backend.deploy(ARTIFACT, name="tn-endpoint-1", instance_type=INSTANCE)
    (info,) = endpoints_in_service(CloudSettings.load())
    return info


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every request body the window's endpoint runs send (moto is sent a digest)."""
    bodies: list[bytes] = []
    real = prediction.make_predictor

    def make(settings: RunSettings):
        predictor = real(settings)
        binary_bodies_as_digests(predictor.runtime, bodies)
        return predictor

    monkeypatch.setattr(prediction, "make_predictor", make)
    return bodies


def reply() -> dict[str, str]:
    """The endpoint's answer for every frame: even frames have the ball at (10f, 5 + f)."""
    predictions = [
        {"frame": f, "x": 10.0 * f, "y": 5.0 + f, "confidence": 0.9, "visible": True}
        if f % 2 == 0
        else {"frame": f, "x": None, "y": None, "confidence": 0.1, "visible": False}
        for f in range(FRAMES)
    ]
    return {"Body": json.dumps({"predictions": predictions}), "ContentType": "application/json"}


def assert_endpoint_points(layer, frames: range) -> None:
    for f in frames:
        if f % 2 == 0:
            assert layer.visibility[f] == Visibility.VISIBLE
            assert (layer.x[f], layer.y[f]) == (10.0 * f, 5.0 + f)
        else:
            assert layer.visibility[f] == Visibility.NO_BALL


def test_the_dialog_lists_the_endpoint_and_its_run_adds_its_points(
    window, known_clip, endpoint, sent, aws, qtbot  # noqa: F811
) -> None:  # fmt: skip
    open_with_labels(window, known_clip, qtbot)
    dialog = RunModelDialog(window, window.project, None, "", endpoint_lister())
    qtbot.addWidget(dialog)
    assert "Looking for SageMaker endpoints" in dialog.endpoint_note.text()
    qtbot.waitUntil(lambda: not dialog.endpoint_note.text().startswith("Looking"), timeout=20_000)
    assert dialog.endpoint_note.text() == "1 SageMaker endpoint in service."
    index = next(i for i in range(dialog.run_on.count()) if dialog.run_on.itemData(i) == endpoint)
    assert INSTANCE in dialog.run_on.itemText(index) and endpoint.model in dialog.run_on.itemText(
        index
    )
    assert dialog.run_on.currentData() in ("cpu", "cuda")  # this computer stays the default
    dialog.run_on.setCurrentIndex(index)
    assert not dialog.method.isEnabled() and not dialog.weights_choice.isEnabled()
    assert dialog.layer.text() == "endpoint"
    assert INSTANCE in dialog.problem.text() and "billed" in dialog.problem.text()
    settings = dialog.settings()
    assert settings.endpoint == endpoint and (settings.start, settings.stop) == (0, FRAMES)

    queue_endpoint_results(aws, [reply()] * 4)
    run_model(window.shell, settings)
    qtbot.waitUntil(lambda: "endpoint" in window.project.predictions, timeout=20_000)
    assert_endpoint_points(window.project.predictions["endpoint"], range(FRAMES))
    assert window.undo_stack.count() == 1
    assert window.undo_stack.undoText() == "Run model into 'endpoint'"
    assert len(sent) >= 2  # a small first request measures the endpoint, then the rest
    assert f"({len(sent)} requests, " in window.statusBar().toolTip()


def test_a_failed_run_keeps_its_frames_and_resumes_where_it_stopped(
    window, known_clip, endpoint, sent, aws, qtbot, monkeypatch  # noqa: F811
) -> None:  # fmt: skip
    open_with_labels(window, known_clip, qtbot)
    asked: list[tuple[str, str]] = []

    def resume(parent, title, text, choices, informative="", **kwargs):
        asked.append((text, informative))
        if len(asked) == 2:  # the first Resume fails at once too; then the endpoint answers
            queue_endpoint_results(aws, [reply()] * 2)
        return prediction.RESUME

    monkeypatch.setattr(questions, "choose", resume)
    # One good answer: the first request (two windows of 3 frames) goes through, the next
    # is answered with moto's default body, which is no TrackNet reply.
    queue_endpoint_results(aws, [reply()])
    run_model(window.shell, RunSettings(None, "cpu", 0, FRAMES, "endpoint", endpoint=endpoint))
    qtbot.waitUntil(lambda: "Resume" in window.undo_stack.undoText(), timeout=20_000)
    assert len(asked) == 2 and asked[0] == asked[1]  # a resume that got nowhere says so
    text, informative = asked[0]
    assert "stopped at frame 6" in text and "something other than TrackNet" in text
    assert f"Frames 0–5 (6 of {FRAMES}) are kept in layer 'endpoint'" in informative
    assert window.undo_stack.count() == 2  # it added no step of its own
    assert_endpoint_points(window.project.predictions["endpoint"], range(FRAMES))
    assert window.undo_stack.undoText() == "Resume model run into 'endpoint'"

    window.undo_stack.undo()  # back to what the failed attempt kept
    partial = window.project.predictions["endpoint"]
    labelled = np.flatnonzero(partial.visibility != Visibility.UNLABELED)
    assert labelled.tolist() == list(range(6))
    assert_endpoint_points(partial, range(6))
    window.undo_stack.undo()
    assert "endpoint" not in window.project.predictions


def test_cancel_leaves_the_project_unchanged_and_the_dialog_shows_the_cost(
    window, known_clip, endpoint, aws, qtbot, monkeypatch  # noqa: F811
) -> None:  # fmt: skip
    open_with_labels(window, known_clip, qtbot)
    before = window.project.copy()
    in_request, let_go = threading.Event(), threading.Event()
    real = prediction.make_predictor

    def make(settings: RunSettings):
        predictor = real(settings)
        binary_bodies_as_digests(predictor.runtime)

        def hold(**_: object) -> None:  # the request waits here until the test cancelled
            in_request.set()
            let_go.wait(10)

        predictor.runtime.meta.events.register("before-call.sagemaker-runtime.InvokeEndpoint", hold)
        return predictor

    monkeypatch.setattr(prediction, "make_predictor", make)
    queue_endpoint_results(aws, [reply()] * 4)
    task = run_model(
        window.shell, RunSettings(None, "cpu", 0, FRAMES, "endpoint", endpoint=endpoint)
    )
    assert in_request.wait(20)
    progress = window.findChild(QProgressDialog, "taskProgress")
    qtbot.waitUntil(lambda: "request" in progress.labelText(), timeout=5000)
    assert re.search(rf"\n1 request, \d+ KiB sent to {endpoint.name} \({INSTANCE}\)$",
                     progress.labelText())  # fmt: skip
    with qtbot.waitSignal(task.failed, timeout=20_000):
        task.cancel()
        let_go.set()
    qtbot.wait(50)  # the queued failure handler
    assert window.project.equals(before)
    assert window.undo_stack.count() == 0
