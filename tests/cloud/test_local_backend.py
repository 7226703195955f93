"""The local backend: job records and store, metrics, subprocess jobs, and the whole
featurize -> train -> predict flow on a synthetic clip."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.cloud.jobs import JobRecord, JobStore, metric_definitions, parse_metrics
from tracknet_studio.cloud.local_backend import LocalBackend, hyperparameter_args

pytestmark = pytest.mark.cloud
# A network and input small enough that an epoch of two steps takes about a second.
TINY_TRAINING = {
    "epochs": 2,
    "height": 96,
    "width": 160,
    "arch-kwargs": {"base": 4},
    "batch-size": 2,
    "steps-per-epoch": 2,
    "workers": 0,
    "threads": 1,
    "device": "cpu",
}


def test_store_persists_and_re_attaches(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.json")
    first = store.put(JobRecord("a", "training", "sagemaker", created=1.0))
    store.put(JobRecord("b", "local-train", "local", created=2.0, details={"pid": 5}))
    again = JobStore(tmp_path / "jobs.json")
    assert [r.name for r in again.all()] == ["b", "a"]
    assert again.get("a") == first and again.get("b").details == {"pid": 5}
    again.remove("a")
    assert store.get("a") is None
    (tmp_path / "jobs.json").write_text("not json")
    assert store.all() == []


def test_record_activity_and_elapsed() -> None:
    record = JobRecord("a", "training", "sagemaker", created=100.0)
    assert record.active and record.elapsed(now=160.0) == 60.0
    record.status, record.ended = "Failed", 130.0
    assert not record.active and record.elapsed(now=1000.0) == 30.0


def test_parse_metrics_uses_the_training_regexes() -> None:
    lines = [
        "loading data",
        "epoch=3 train_loss=0.125000 val_loss=0.250000 val_f1=0.9000 val_precision=0.95 "
        "val_recall=0.85 val_accuracy=0.9100 val_f1_original=0.8800",
        "epoch=4 train_loss=1e-3",
    ]
    rows = parse_metrics(lines)
    assert rows[0] == {
        "epoch": 3.0,
        "train:loss": 0.125,
        "validation:loss": 0.25,
        "validation:f1": 0.9,
        "validation:precision": 0.95,
        "validation:recall": 0.85,
        "validation:accuracy": 0.91,
        "validation:f1_original": 0.88,
    }
    assert rows[1] == {"epoch": 4.0, "train:loss": 0.001}
    assert {d["Name"] for d in metric_definitions()} >= {"train:loss", "validation:f1"}


def test_metric_definitions_read_from_source_match_the_module() -> None:
    from tracknet.training import METRIC_DEFINITIONS

    from tracknet_studio.cloud.jobs import _metric_definitions_from_source

    assert _metric_definitions_from_source() == METRIC_DEFINITIONS


def test_hyperparameters_become_arguments() -> None:
    args = hyperparameter_args({"epochs": 3, "no-amp": True, "tar": False, "arch-kwargs": {"b": 4}})
    assert args == ["--epochs", "3", "--no-amp", "--arch-kwargs", '{"b": 4}']


def test_a_failing_job_reports_why(tmp_path: Path) -> None:
    backend = LocalBackend(JobStore(tmp_path / "jobs.json"), tmp_path / "work")
    record = backend.start_processing(tmp_path / "empty-folder")
    done = backend.wait(record.name, timeout=60, poll_s=0.1)
    assert done.status == "Failed" and done.ended is not None
    assert "no video with a matching .csv" in done.failure_reason
    assert any("no video" in line for line in backend.logs(record.name))


def test_stop_ends_the_job_and_a_new_backend_re_attaches(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.json")
    backend = LocalBackend(store, tmp_path / "work")
    script = "import time; print('started', flush=True); time.sleep(60)"
    record = JobRecord("sleeper", "local-train", "local")
    backend._launch(record, tmp_path / "work" / "sleeper", ["-c", script], env={})
    other = LocalBackend(JobStore(store.path), tmp_path / "work")  # the app restarted
    assert other.describe("sleeper").status == "InProgress"
    for _ in range(100):  # the runner is up once the script prints
        if other.logs("sleeper"):
            break
        time.sleep(0.1)
    assert other.logs("sleeper") == ["started"]
    other.stop("sleeper")
    stopped = other.wait("sleeper", timeout=30, poll_s=0.1)
    assert stopped.status == "Stopped", stopped
    assert backend.describe("sleeper").status == "Stopped"
    assert (tmp_path / "work" / "sleeper" / "exit-status").read_text().strip() == "-15"


def test_a_job_stopped_before_its_runner_is_ready_is_stopped(tmp_path: Path) -> None:
    backend = LocalBackend(JobStore(tmp_path / "jobs.json"), tmp_path / "work")
    record = JobRecord("early", "local-train", "local")
    backend._launch(record, tmp_path / "work" / "early", ["-c", "import time; time.sleep(60)"], {})
    backend.stop("early")
    assert backend.wait("early", timeout=30, poll_s=0.1).status == "Stopped"


def write_clip(folder: Path, name: str, frames: int, seed: int) -> None:
    from tracknet_studio.synthetic import ClipSpec, generate_clip

    spec = ClipSpec(width=320, height=180, frames=frames, seed=seed, players=0)
    generate_clip(spec, folder / f"{name}.mp4").write_label_table(folder / f"{name}.csv")


@pytest.mark.slow
def test_featurize_train_predict_locally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch", reason="the model extra is not installed")
    monkeypatch.chdir(tmp_path)  # the clips are named relative to here, as a user types them
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(2):
        write_clip(clips, f"rally{i}", frames=12, seed=i)
    backend = LocalBackend(JobStore(tmp_path / "jobs.json"), tmp_path / "work", sys.executable)

    featurize = backend.start_processing(
        Path("clips"), arguments={"height": 96, "width": 160, "val-fraction": 0.5}
    )
    featurized = backend.wait(featurize.name, timeout=120, poll_s=0.2)
    assert featurized.status == "Completed", featurized.failure_reason
    manifest = json.loads((Path(featurized.artifact) / "manifest.json").read_text())
    assert sorted(c["split"] for c in manifest["clips"]) == ["train", "val"]

    train = backend.start_training(featurized.artifact, hyperparameters=TINY_TRAINING)
    trained = backend.wait(train.name, timeout=300, poll_s=0.5)
    log = backend.logs(train.name)
    assert trained.status == "Completed", "\n".join(log[-20:])
    metrics = parse_metrics(log)
    assert [m["epoch"] for m in metrics if "validation:f1" in m] == [1.0, 2.0]
    model_dir = Path(trained.artifact)
    assert (model_dir / "config.json").is_file() and (model_dir / "code" / "inference.py").is_file()
    assert list((Path(trained.details["folder"]) / "checkpoints").glob("checkpoint-*.pt"))

    frames = [np.zeros((180, 320, 3), np.uint8) + i for i in range(6)]
    predictor = _local_predictor(model_dir)
    answers = list(predictor.predict(frames, start=40, original_size=(320, 180)))
    assert [a.frame for a in answers] == list(range(40, 46))
    assert all(0.0 <= a.confidence <= 1.0 for a in answers)

    # The serving handler answers a request built the way EndpointPredictor builds it.
    from tracknet_studio.inference.sagemaker import REQUEST_CONTENT_TYPE, encode_request

    endpoint = backend.deploy(model_dir)
    small = [f[:96, :160] for f in frames]
    reply = json.loads(backend.invoke(endpoint, encode_request(small, (320, 180), 7),
                                      REQUEST_CONTENT_TYPE))  # fmt: skip
    assert [p["frame"] for p in reply["predictions"]] == list(range(7, 13))
    backend.delete_endpoint(endpoint)
    assert backend.store.get(endpoint).status == "Deleted"


def _local_predictor(model_dir: Path):
    try:
        from tracknet_studio.inference.local import LocalPredictor
    except ImportError:  # the local predictor is optional here; tracknet.predict is the core
        pytest.skip("tracknet_studio.inference.local is not available")
    return LocalPredictor(model_dir, device="cpu")


def test_local_training_gets_the_init_channel_as_sagemaker_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = LocalBackend(JobStore(tmp_path / "jobs.json"), tmp_path / "work", sys.executable)
    launched = {}

    def launch(record, folder, cmd, env):
        launched.update(env)
        return record

    monkeypatch.setattr(backend, "_launch", launch)
    monkeypatch.chdir(tmp_path)
    backend.start_training(Path("data"), init=Path("models") / "shipped")
    assert launched["SM_CHANNEL_INIT"] == str(tmp_path / "models" / "shipped")
    assert launched["SM_CHANNEL_DATASET"] == str(tmp_path / "data")
