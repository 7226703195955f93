"""tracknet.training: a tiny model learns a tiny synthetic set; metric lines; checkpoints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from tracknet.config import ModelConfig
from tracknet.dataset import Augment, load_clips
from tracknet.modelfile import load_model
from tracknet.training import (
    METRIC_DEFINITIONS,
    CheckpointStore,
    EpochResult,
    TrainOptions,
    best_threshold,
    format_epoch_line,
    make_optimizer,
    make_scheduler,
    train,
)

from ._clips import make_dataset

# A small input and a narrow network, so a couple of hundred CPU steps suffice.
TINY = ModelConfig(arch="fasttracknet", height=96, width=160, arch_kwargs={"base": 8})
F1_BOUND = 0.9  # measured: 1.0 after 150 steps, 0.76 after 40


@pytest.mark.slow
def test_a_tiny_model_learns_to_find_the_ball(tmp_path: Path) -> None:
    data = make_dataset(tmp_path, 4, frames=40, val_fraction=0.25, noise=0.0, ball_radius=6.0)
    options = TrainOptions(
        epochs=10, batch_size=8, lr=1e-2, workers=0, threads=1, steps_per_epoch=15,
        augment=Augment.none(), crop=(48, 80), crop_ball=1.0,
    )  # fmt: skip
    lines: list[str] = []
    threads = torch.get_num_threads()
    try:
        result = train(
            TINY, load_clips(data, "train"), load_clips(data, "val"), options,
            model_dir=tmp_path / "model", checkpoint_dir=tmp_path / "ckpt", log=lines.append,
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    losses = [e.train_loss for e in result.epochs]
    f1s = [e.val["f1"] for e in result.epochs]
    assert losses[-1] < losses[0] / 3, losses
    assert f1s[0] < F1_BOUND <= f1s[-1], f1s
    assert result.best_f1 == max(f1s)
    _model, config = load_model(tmp_path / "model")
    assert config == TINY  # no calibration asked for: the threshold stays
    assert result.threshold == TINY.threshold and result.threshold_f1 is None
    assert sum(line.startswith("epoch=") for line in lines) == 10


def test_the_best_threshold_wins_and_a_tie_goes_to_the_one_nearest_one_half() -> None:
    assert best_threshold({0.3: 0.9, 0.4: 0.95, 0.5: 0.93}) == 0.4
    assert best_threshold({0.3: 0.95, 0.5: 0.95, 0.6: 0.95}) == 0.5
    assert best_threshold({0.3: 0.95, 0.6: 0.94999, 0.8: 0.9}) == 0.6  # equal to 4 places


def test_metric_definitions_match_the_epoch_line() -> None:
    line = format_epoch_line(
        EpochResult(
            epoch=3, train_loss=0.0123, seconds=9.5, val_loss=1.5e-05,
            val={"f1": 0.9512, "precision": 0.96, "recall": 0.94, "accuracy": 0.9,
                 "f1_original": 0.8, "tp": 10},
        )
    )  # fmt: skip
    found = {}
    for definition in METRIC_DEFINITIONS:
        match = re.search(definition["Regex"], line)
        assert match, definition
        found[definition["Name"]] = float(match.group(1))
    assert found["epoch"] == 3 and found["train:loss"] == 0.0123
    assert found["validation:loss"] == 1.5e-05 and found["validation:f1"] == 0.9512
    assert found["validation:f1_original"] == 0.8  # not confused with val_f1


def test_checkpoints_keep_the_newest(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep=2)
    assert store.latest() is None
    for epoch in (1, 2, 10):
        store.save(epoch, {"epoch": epoch, "w": torch.ones(2)})
    assert [p.name for p in store.paths()] == ["checkpoint-0002.pt", "checkpoint-0010.pt"]
    assert CheckpointStore.load(store.latest())["epoch"] == 10


def test_the_schedule_warms_up_decays_and_follows_the_time_budget() -> None:
    model = torch.nn.Linear(2, 2)
    options = TrainOptions(epochs=10, lr=1.0, time_budget=100.0)
    clock = {"t": 0.0}
    optimizer = make_optimizer(model, options)
    scheduler = make_scheduler(optimizer, options, 100, lambda: clock["t"])
    rates = []
    for _ in range(150):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates[0] < rates[99] and rates[99] == pytest.approx(1.0, abs=0.01)  # warm-up
    clock["t"] = 100.0  # the budget is spent long before the planned 1000 steps
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05)
    adadelta = make_optimizer(model, TrainOptions(optimizer="adadelta"))
    assert adadelta.param_groups[0]["lr"] == 1.0


@pytest.mark.parametrize(("cpu_bf16", "expected"), [(False, torch.float32), (True, torch.bfloat16)])
def test_cpu_bf16_runs_the_network_in_bfloat16(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpu_bf16: bool, expected: torch.dtype
) -> None:
    import tracknet.training as training

    data = make_dataset(tmp_path, 2, frames=12, val_fraction=0.5, noise=0.0, ball_radius=6.0)
    dtypes: list[torch.dtype] = []
    real_build = training.build_network

    def build_and_watch(config: ModelConfig) -> torch.nn.Module:
        model = real_build(config)
        first_conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
        first_conv.register_forward_hook(lambda _m, _i, out: dtypes.append(out.dtype))
        return model

    monkeypatch.setattr(training, "build_network", build_and_watch)
    options = TrainOptions(
        epochs=1, batch_size=4, workers=0, threads=1, steps_per_epoch=2, cpu_bf16=cpu_bf16,
        augment=Augment.none(), crop=(48, 80), crop_ball=1.0,
    )  # fmt: skip
    threads = torch.get_num_threads()
    try:
        result = train(
            TINY, load_clips(data, "train"), load_clips(data, "val"), options,
            model_dir=tmp_path / "model", log=lambda _line: None,
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    assert dtypes and set(dtypes) == {expected}  # training steps and validation alike
    assert torch.isfinite(torch.tensor(result.epochs[0].train_loss))
    model, _config = load_model(tmp_path / "model")
    assert all(p.dtype == torch.float32 for p in model.parameters())  # weights stay fp32
