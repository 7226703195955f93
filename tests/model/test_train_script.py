"""The training script as SageMaker runs it: SM_* variables, checkpoint resume, the model folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from tracknet.modelfile import load_model

from ._clips import load_script, make_dataset

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "model" / "tracknet" / "entrypoints" / "train.py"
# A network and input small enough that an epoch of two steps takes about a second.
TINY_ARGS = [
    "--height", "96", "--width", "160", "--arch-kwargs", '{"base": 4}', "--batch-size", "2",
    "--steps-per-epoch", "2", "--workers", "0", "--threads", "1",
]  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("train-data"), 3, frames=8)


def _sagemaker_env(tmp_path: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "RANK", "WORLD"))}
    env.update(
        SM_CHANNEL_TRAIN=str(data), SM_CHANNEL_VALIDATION=str(data),
        SM_MODEL_DIR=str(tmp_path / "model"), SM_OUTPUT_DATA_DIR=str(tmp_path / "output"),
        SM_NUM_GPUS="0", SM_HOSTS='["algo-1"]', SM_CURRENT_HOST="algo-1",
    )  # fmt: skip
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    run = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


@pytest.mark.slow
def test_sagemaker_contract_and_resume_after_a_stop(tmp_path: Path, data: Path) -> None:
    env = _sagemaker_env(tmp_path, data)
    checkpoints = ["--checkpoint-dir", str(tmp_path / "checkpoints")]
    first = _run(["--epochs", "1", *checkpoints, *TINY_ARGS], env)
    assert "epoch=1 " in first and "val_f1=" in first
    assert (tmp_path / "checkpoints" / "checkpoint-0001.pt").is_file()
    # The job is stopped after epoch 1 and started again with the same arguments.
    second = _run(["--epochs", "2", *checkpoints, *TINY_ARGS], env)
    assert "continuing at epoch 2" in second
    assert "epoch=2 " in second and "epoch=1 " not in second

    model_dir = tmp_path / "model"
    serving = ("code/inference.py", "code/requirements.txt", "code/tracknet/predict.py")
    for name in ("model.safetensors", "config.json", *serving):
        assert (model_dir / name).is_file(), name
    history = json.loads((tmp_path / "output" / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]  # the epochs before the stop too
    _model, config = load_model(model_dir)
    assert (config.height, config.width, config.arch_kwargs["base"]) == (96, 160, 4)
    # Every network argument is written out, so later changes of defaults cannot break it.
    assert set(config.arch_kwargs) >= {"base", "quarter_blocks", "dilations"}
    # No --threshold: the model's is the best of a sweep on the validation clips.
    sweep = json.loads((tmp_path / "output" / "threshold.json").read_text())
    assert config.threshold == sweep["threshold"] and f"threshold={config.threshold} " in second
    assert sweep["validation_f1"][str(config.threshold)] == max(sweep["validation_f1"].values())


def test_local_paths_and_the_archive(tmp_path: Path, data: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SM_")}
    _run(["--data", str(data), "--out", str(tmp_path), "--epochs", "1", "--tar",
          "--threshold", "0.45", *TINY_ARGS], env)  # fmt: skip
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"model.safetensors", "config.json", "code/inference.py"} <= names
    _model, config = load_model(archive)
    assert config.width == 160
    # A threshold given is kept: nothing is swept.
    assert config.threshold == 0.45 and not (tmp_path / "output" / "threshold.json").exists()
    assert (tmp_path / "checkpoints" / "checkpoint-0001.pt").is_file()


def test_metric_definitions_are_printable_for_the_cloud() -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "--print-metric-definitions"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    names = {d["Name"] for d in json.loads(out)}
    assert {"train:loss", "validation:f1"} <= names


def test_several_folders_are_one_dataset(tmp_path: Path, data: Path) -> None:
    """--train and --validation take several featurized folders (the shipped weights train
    on synthetic and real datasets together); each gives its own split, or all its clips
    where it has no such split."""
    train = load_script("train")
    other = make_dataset(tmp_path, 2, frames=8, val_fraction=0.0)  # all "train"
    args = train.parse_args(["--train", str(data), str(other), "--validation", str(data),
                             str(other), "--out", str(tmp_path / "out")])  # fmt: skip
    train_clips, val_clips = train.load_data(args)
    ours = {c.name: c.split for c in train.load_clips(data)}
    assert sorted(c.root for c in train_clips) == sorted(
        [*(data / "train" / n for n, s in ours.items() if s == "train"),
         *(other / "train" / n for n in ("clip0", "clip1"))]
    )  # fmt: skip
    assert {c.root.parent.parent for c in val_clips} == {data, other}
    assert [c.name for c in val_clips if c.root.parent.parent == data] == [
        n for n, s in ours.items() if s == "val"
    ]


def test_distributed_plan_from_sagemaker_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    train = load_script("train")
    monkeypatch.setenv("SM_HOSTS", '["algo-1", "algo-2"]')
    monkeypatch.setenv("SM_CURRENT_HOST", "algo-2")
    monkeypatch.setenv("SM_NUM_GPUS", "4")
    assert train.distributed_plan() == (["algo-1", "algo-2"], 4, 1)
    monkeypatch.setenv("SM_NUM_GPUS", "0")
    assert train.distributed_plan()[1] == 1  # CPU hosts run one process each


@pytest.mark.slow
def test_two_ranks_train_under_ddp_on_the_cpu(tmp_path: Path, data: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = []
    for rank in (0, 1):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SM_")}
        env.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))  # fmt: skip
        procs.append(subprocess.Popen(
            [sys.executable, str(SCRIPT), "--data", str(data), "--out", str(tmp_path / f"r{rank}"),
             "--epochs", "2", "--device", "cpu", *TINY_ARGS],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))  # fmt: skip
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert "x2" in outputs[0] and "epoch=2 " in outputs[0]
    assert "epoch=" not in outputs[1]  # only rank 0 reports and writes
    assert (tmp_path / "r0" / "model" / "model.safetensors").is_file()
    assert not (tmp_path / "r1" / "model").exists()


def _local_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SM_")}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Path:
    """A tiny trained model (one epoch) to start other runs from."""
    out = tmp_path_factory.mktemp("tiny")
    _run(["--data", str(data), "--out", str(out), "--epochs", "1", "--tar",
          "--threshold", "0.4", *TINY_ARGS], _local_env())  # fmt: skip
    return out / "model"


def _weights(path: Path) -> dict:
    model, config = load_model(path)
    return {"config": config, **{k: v.clone() for k, v in model.state_dict().items()}}


@pytest.mark.parametrize("form", ["folder", "archive"])
def test_init_starts_exactly_from_the_model(tmp_path: Path, data: Path, tiny_model: Path,
                                            form: str) -> None:  # fmt: skip
    """A run of zero epochs from --init writes the initial model back unchanged: the
    weights are loaded exactly, from a folder or a model.tar.gz, shape taken from it."""
    init = tiny_model if form == "folder" else tiny_model.parent / "model.tar.gz"
    shape_free = [a for a in TINY_ARGS if a not in ("--height", "96", "--width", "160",
                                                    "--arch-kwargs", '{"base": 4}')]  # fmt: skip
    # The same threshold: without one, even a zero-epoch run calibrates it on validation.
    _run(["--data", str(data), "--out", str(tmp_path), "--epochs", "0", "--init", str(init),
          "--threshold", "0.4", *shape_free], _local_env())  # fmt: skip
    before, after = _weights(tiny_model), _weights(tmp_path / "model")
    assert after["config"] == before["config"]  # 96x160, base 4, threshold 0.4 kept
    for name, tensor in before.items():
        if name != "config":
            assert (after[name] == tensor).all(), name


def test_init_refuses_another_network_with_a_clear_message(
    tmp_path: Path, data: Path, tiny_model: Path
) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(data), "--out", str(tmp_path),
         "--init", str(tiny_model), "--arch", "tracknetv2", "--epochs", "0"],
        env=_local_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0
    assert "fasttracknet at 96x160" in run.stderr and "--arch tracknetv2" in run.stderr
    missing = subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(data), "--out", str(tmp_path),
         "--init", str(tmp_path / "nothing"), "--epochs", "0"],
        env=_local_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode != 0 and "cannot load a model" in missing.stderr
    assert "Traceback" not in missing.stderr + run.stderr


def test_fine_tuning_from_init_trains_on(tmp_path: Path, data: Path, tiny_model: Path) -> None:
    out = _run(["--data", str(data), "--out", str(tmp_path), "--epochs", "1",
                "--init", str(tiny_model), "--batch-size", "2", "--steps-per-epoch", "2",
                "--workers", "0", "--threads", "1"], _local_env())  # fmt: skip
    assert "epoch=1 " in out
    assert _weights(tmp_path / "model")["config"].height == 96


def test_a_model_that_learned_nothing_is_said_loudly(tmp_path: Path, data: Path) -> None:
    out = _run(["--data", str(data), "--out", str(tmp_path), "--epochs", "1",
                "--threshold", "0.99", *TINY_ARGS], _local_env())  # fmt: skip
    # One epoch of a tiny network at a threshold of 0.99 finds nothing; the run still ends
    # well (exit 0, a model written) but says so in words, not only "val_f1 0.0".
    assert "val_f1 0.0" in out and "WARNING: the model learned nothing" in out
    assert (tmp_path / "model" / "model.safetensors").is_file()
