"""The training loop: one process, several GPUs, or several hosts.

`train(...)` fits a network on featurized clips (tracknet.dataset) with the weighted
focal-style binary cross-entropy (tracknet.heatmap), validates every `val_every` epochs
with tracknet.metrics, prints one metric line per epoch that `METRIC_DEFINITIONS` (the
regexes SageMaker's CreateTrainingJob takes) match, writes a checkpoint after every epoch
and resumes from the newest one, so a spot instance that is stopped picks up at the next
epoch. The best validated weights go to the model folder with their configuration.

Distribution follows torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT); entrypoints/train.py sets it from SageMaker's SM_HOSTS / SM_NUM_GPUS
when SageMaker did not start torchrun itself. With WORLD_SIZE > 1 the model runs under
DistributedDataParallel (NCCL on GPUs, Gloo on CPUs), each rank sees its share of the
batches, and rank 0 alone validates, checkpoints and writes the model.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from .config import ModelConfig
from .dataset import Augment, ClipData, TrackNetDataset
from .heatmap import focal_bce
from .metrics import Counts, evaluate
from .modelfile import CHECKPOINT_CONFIG_KEY, CHECKPOINT_MODEL_KEY, save_model
from .networks import build_network
from .postprocess import detect_batch

# Regexes for SageMaker's metric definitions; each matches the line `log_epoch` prints, e.g.
# "epoch=3 train_loss=0.012300 val_loss=0.010100 val_f1=0.9512 val_precision=0.9600 ...".
_NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
METRIC_DEFINITIONS: list[dict[str, str]] = [
    {"Name": "epoch", "Regex": rf"\bepoch={_NUMBER}"},
    {"Name": "train:loss", "Regex": rf"\btrain_loss={_NUMBER}"},
    {"Name": "validation:loss", "Regex": rf"\bval_loss={_NUMBER}"},
    {"Name": "validation:f1", "Regex": rf"\bval_f1={_NUMBER}"},
    {"Name": "validation:precision", "Regex": rf"\bval_precision={_NUMBER}"},
    {"Name": "validation:recall", "Regex": rf"\bval_recall={_NUMBER}"},
    {"Name": "validation:accuracy", "Regex": rf"\bval_accuracy={_NUMBER}"},
    {"Name": "validation:f1_original", "Regex": rf"\bval_f1_original={_NUMBER}"},
]
CHECKPOINT_PATTERN = re.compile(r"checkpoint-(\d+)\.pt$")
DEFAULT_LR = {"adadelta": 1.0, "adamw": 2e-3}
# Heatmap thresholds a calibration tries on the validation clips.
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass
class TrainOptions:
    """Hyperparameters of one run (train.py maps its command-line arguments onto these)."""

    epochs: int = 30
    batch_size: int = 8
    optimizer: str = "adamw"  # "adamw" or "adadelta" (the seed's: lr 1.0)
    lr: float | None = None  # None: DEFAULT_LR of the optimizer
    weight_decay: float = 1e-4
    seed: int = 0
    val_every: int = 1
    workers: int = 2
    threads: int | None = None  # torch CPU threads; None: torch's default (all cores)
    amp: bool = True  # mixed precision where CUDA runs it; ignored on the CPU
    # bf16 autocast on the CPU. Off by default: it pays only where the CPU has native bf16
    # (avx512_bf16 or AMX); on this project's AVX-512 build machine it measured 2.0x faster
    # steps for TrackNetV2 and 1.6x for the fast network, with the loss kept in float32.
    cpu_bf16: bool = False
    tolerance: float = 4.0  # px at the network input, for validation
    steps_per_epoch: int | None = None  # None: one pass over the training windows
    time_budget: float | None = None  # seconds; stop after the epoch that crosses it
    keep_checkpoints: int = 2
    augment: Augment = field(default_factory=Augment)
    crop: tuple[int, int] | None = None  # (height, width) training crops; None: full frames
    crop_ball: float = 0.7  # share of crops placed to contain the ball
    static_repeat: int = 1  # windows with a ball at rest are listed this many times
    # After training, set the model's heatmap threshold to the one of THRESHOLDS with the
    # best validation F1 (the threshold in the config is used while training).
    calibrate_threshold: bool = False

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]


@dataclass(frozen=True)
class DistContext:
    """This process's place in a (possibly single-process) job."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


@dataclass
class EpochResult:
    epoch: int
    train_loss: float
    seconds: float
    val_loss: float | None = None
    val: dict[str, float] | None = None


@dataclass
class TrainResult:
    epochs: list[EpochResult]
    best_epoch: int | None
    best_f1: float | None
    model_dir: Path | None
    threshold: float | None = None  # the saved model's
    threshold_f1: dict[float, float] | None = None  # validation F1 by threshold, if swept


def pick_device(preferred: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then the CPU; or exactly what was asked."""
    if preferred != "auto":
        return torch.device(preferred)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def setup_distributed(device: str = "auto") -> DistContext:
    """Join the process group torchrun's environment describes, or run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank % max(torch.cuda.device_count(), 1))
        torch.cuda.set_device(dev)
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if dev.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend, rank=rank, world_size=world)
    return DistContext(rank, local_rank, world, dev)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class CheckpointStore:
    """`checkpoint-NNNN.pt` files in one folder: the newest resumes a stopped run.

    A checkpoint holds plain tensors and numbers only, so it loads with
    `torch.load(weights_only=True)`; tracknet.modelfile can also load one as a model.
    """

    def __init__(self, directory: Path, keep: int = 2) -> None:
        self.directory = Path(directory)
        self.keep = keep

    def paths(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        found = [p for p in self.directory.iterdir() if CHECKPOINT_PATTERN.search(p.name)]
        return sorted(found, key=lambda p: int(CHECKPOINT_PATTERN.search(p.name).group(1)))

    def latest(self) -> Path | None:
        paths = self.paths()
        return paths[-1] if paths else None

    def save(self, epoch: int, state: dict) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"checkpoint-{epoch:04d}.pt"
        temp = path.with_suffix(".tmp")
        torch.save(state, temp)
        os.replace(temp, path)  # a stop mid-write never leaves a broken newest checkpoint
        for old in self.paths()[: -self.keep]:
            old.unlink(missing_ok=True)
        return path

    @staticmethod
    def load(path: Path) -> dict:
        return torch.load(path, map_location="cpu", weights_only=True)


def make_optimizer(model: nn.Module, options: TrainOptions) -> torch.optim.Optimizer:
    if options.optimizer == "adadelta":
        return torch.optim.Adadelta(model.parameters(), lr=options.learning_rate)
    if options.optimizer == "adamw":
        return torch.optim.AdamW(
            model.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay
        )
    raise ValueError(f"unknown optimizer {options.optimizer!r}: use adamw or adadelta")


def make_scheduler(
    optimizer: torch.optim.Optimizer,
    options: TrainOptions,
    steps_per_epoch: int,
    elapsed: Callable[[], float] | None = None,
) -> torch.optim.lr_scheduler.LRScheduler:
    """Short linear warm-up, then cosine decay to 5% (AdamW); Adadelta keeps its constant
    rate, as the seed trained it.

    The decay follows the planned steps, or the time budget when that runs out first
    (`elapsed()` gives the seconds trained so far), so a run cut by its budget still ends
    at a low learning rate instead of in the middle of the schedule.
    """
    total = max(options.epochs * steps_per_epoch, 1)
    warmup = min(200, total // 10)

    def factor(step: int) -> float:
        if options.optimizer == "adadelta":
            return 1.0
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(total - warmup, 1)
        if options.time_budget and elapsed is not None:
            progress = max(progress, elapsed() / options.time_budget)
        progress = min(progress, 1.0)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def optimisation_step(
    model: nn.Module,
    frames: torch.Tensor,
    target: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    autocast: contextlib.AbstractContextManager,
) -> torch.Tensor:
    """One step on one batch (what training and the benchmarks time); returns the loss."""
    with autocast:
        pred = model(frames)
    # The loss takes logs of probabilities: compute it in float32 whatever autocast did.
    loss = focal_bce(pred.float(), target)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss


def format_epoch_line(result: EpochResult) -> str:
    """The metric line for one epoch (see METRIC_DEFINITIONS)."""
    parts = [f"epoch={result.epoch}", f"train_loss={result.train_loss:.6f}"]
    if result.val_loss is not None:
        parts.append(f"val_loss={result.val_loss:.6f}")
    for key, value in (result.val or {}).items():
        parts.append(f"val_{key}={value:.4f}" if isinstance(value, float) else f"val_{key}={value}")
    parts.append(f"seconds={result.seconds:.1f}")
    return " ".join(parts)


def _loader(
    dataset: TrackNetDataset, options: TrainOptions, ctx: DistContext, train: bool
) -> DataLoader:
    sampler = (
        DistributedSampler(dataset, ctx.world_size, ctx.rank, shuffle=train, seed=options.seed)
        if ctx.distributed and train
        else None
    )
    generator = torch.Generator().manual_seed(options.seed)
    return DataLoader(
        dataset,
        batch_size=options.batch_size,
        shuffle=train and sampler is None,
        sampler=sampler,
        num_workers=options.workers,
        pin_memory=ctx.device.type == "cuda",
        drop_last=train and len(dataset) >= options.batch_size,
        persistent_workers=options.workers > 0,
        generator=generator,
    )


def _autocast(ctx: DistContext, options: TrainOptions) -> contextlib.AbstractContextManager:
    if options.amp and ctx.device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    if options.cpu_bf16 and ctx.device.type == "cpu":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _cycle(loader: DataLoader, epoch: int) -> Iterator[dict[str, torch.Tensor]]:
    """Batches without end, re-shuffled on every pass (for a fixed steps_per_epoch)."""
    passes = 0
    while True:
        if isinstance(loader.sampler, DistributedSampler):
            loader.sampler.set_epoch(epoch * 1000 + passes)
        yield from loader
        passes += 1


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    ctx: DistContext,
    options: TrainOptions,
    epoch: int,
) -> float:
    """One epoch of steps; returns the mean loss over all ranks."""
    model.train()
    dataset = loader.dataset
    assert isinstance(dataset, TrackNetDataset)
    dataset.set_epoch(epoch)
    steps = options.steps_per_epoch or len(loader)
    total = torch.zeros(2, device=ctx.device)
    for step, batch in enumerate(_cycle(loader, epoch)):
        if step >= steps:
            break
        frames = batch["frames"].to(ctx.device, non_blocking=True)
        target = batch["heatmap"].to(ctx.device, non_blocking=True)
        loss = optimisation_step(model, frames, target, optimizer, scaler, _autocast(ctx, options))
        scheduler.step()
        total += torch.stack(
            [loss.detach() * len(frames), torch.tensor(len(frames), device=ctx.device)]
        )
    if ctx.distributed:
        torch.distributed.all_reduce(total)
    return float(total[0] / total[1].clamp(min=1))


def _validation_batches(
    model: nn.Module, dataset: TrackNetDataset, ctx: DistContext, options: TrainOptions
) -> Iterator[tuple[dict[str, torch.Tensor], torch.Tensor, np.ndarray, np.ndarray, np.ndarray]]:
    """Per batch: the batch, the heatmaps (float32, on the device) and, one row per predicted
    frame, the heatmaps on the host, the true visibility and the true position."""
    model.eval()
    loader = DataLoader(dataset, batch_size=options.batch_size, num_workers=options.workers)
    for batch in loader:
        with _autocast(ctx, options):
            pred = model(batch["frames"].to(ctx.device)).float()
        heat = pred.cpu().numpy().reshape(-1, *pred.shape[2:])
        yield (batch, pred, heat, batch["visibility"].numpy().reshape(-1),
               batch["xy"].numpy().reshape(-1, 2))  # fmt: skip


@torch.no_grad()
def threshold_sweep(
    model: nn.Module,
    dataset: TrackNetDataset,
    ctx: DistContext,
    options: TrainOptions,
    thresholds: Sequence[float] = THRESHOLDS,
) -> dict[float, float]:
    """Validation F1 (input space, without the tracker) at each threshold, in one pass."""
    counts = {t: Counts() for t in thresholds}
    for _batch, _pred, heat, truth_vis, truth_xy in _validation_batches(
        model, dataset, ctx, options
    ):
        for t in thresholds:
            found, xy = detect_batch(heat, t)
            counts[t] += evaluate(found, xy, truth_vis, truth_xy, tolerance=options.tolerance)
    return {t: c.f1 for t, c in counts.items()}


def best_threshold(f1_by_threshold: dict[float, float]) -> float:
    """The threshold with the best F1; of equal ones (to 4 places), the nearest to 0.5."""
    return max(f1_by_threshold, key=lambda t: (round(f1_by_threshold[t], 4), -abs(t - 0.5)))


@torch.no_grad()
def validate(
    model: nn.Module,
    dataset: TrackNetDataset,
    ctx: DistContext,
    options: TrainOptions,
    threshold: float,
) -> tuple[float, dict[str, float]]:
    """Mean loss and the metrics (input space at `options.tolerance`, and original space)."""
    counts_input = Counts()
    counts_original = Counts()
    loss_sum, n = 0.0, 0
    for batch, pred, heat, truth_vis, truth_xy in _validation_batches(model, dataset, ctx, options):
        loss_sum += float(focal_bce(pred, batch["heatmap"].to(ctx.device))) * len(pred)
        n += len(pred)
        found, xy = detect_batch(heat, threshold)
        # Positions are at the network input; "original" scales them to the video first.
        counts_input += evaluate(found, xy, truth_vis, truth_xy, tolerance=options.tolerance)
        scale = _original_scale(dataset, batch)
        counts_original += evaluate(
            found, xy * scale, truth_vis, truth_xy * scale, tolerance=options.tolerance
        )
    metrics: dict[str, float] = dict(counts_input.metrics())
    metrics["f1_original"] = counts_original.f1
    metrics.update(counts_input.as_dict())
    return loss_sum / max(n, 1), metrics


def _original_scale(dataset: TrackNetDataset, batch: dict[str, torch.Tensor]) -> np.ndarray:
    """Per predicted frame, (sx, sy) from the network input to the original video."""
    scales = []
    for clip_index in batch["clip"].numpy():
        clip = dataset.clips[int(clip_index)]
        sx = clip.original_size[0] / dataset.config.width
        sy = clip.original_size[1] / dataset.config.height
        scales.extend([(sx, sy)] * dataset.config.frames_out)
    return np.asarray(scales, np.float64)


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def train(
    config: ModelConfig,
    train_clips: list[ClipData],
    val_clips: list[ClipData],
    options: TrainOptions,
    *,
    model_dir: Path | None,
    checkpoint_dir: Path | None = None,
    output_dir: Path | None = None,
    ctx: DistContext | None = None,
    log: Callable[[str], None] = print,
    initial_state: dict[str, torch.Tensor] | None = None,
) -> TrainResult:
    """Train, validate, checkpoint; rank 0 writes the best model into `model_dir`.

    `initial_state` (weights of a model of the same `config`) starts from a trained model
    instead of random weights: fine-tuning. A checkpoint to resume from still wins."""
    ctx = ctx or setup_distributed()
    if options.threads:
        # On a shared or small CPU, fewer threads than cores avoid OpenMP oversubscription,
        # which measured 10-50x slower steps on a busy 2-core machine.
        torch.set_num_threads(options.threads)
    seed_everything(options.seed + ctx.rank)
    say = log if ctx.is_main else (lambda _line: None)
    train_set = TrackNetDataset(
        train_clips,
        config,
        stride=1,
        augment=options.augment,
        seed=options.seed,
        crop=options.crop,
        crop_ball=options.crop_ball,
        static_repeat=options.static_repeat,
    )
    val_set = TrackNetDataset(val_clips, config, stride=config.frames_out)
    if not len(train_set):
        raise ValueError("no labelled training windows: check the dataset's train split")
    loader = _loader(train_set, options, ctx, train=True)
    steps = options.steps_per_epoch or len(loader)

    model = build_network(config)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    model = model.to(ctx.device)
    if ctx.distributed:
        if ctx.device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        model = nn.parallel.DistributedDataParallel(
            model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None
        )
    optimizer = make_optimizer(model, options)
    started = time.monotonic()
    scheduler = make_scheduler(optimizer, options, steps, lambda: time.monotonic() - started)
    scaler = torch.amp.GradScaler("cuda", enabled=options.amp and ctx.device.type == "cuda")
    store = CheckpointStore(checkpoint_dir, options.keep_checkpoints) if checkpoint_dir else None

    start_epoch, best = 1, {"epoch": None, "f1": None, "state": None}
    history: list[EpochResult] = []
    if store is not None and (latest := store.latest()) is not None:
        state = store.load(latest)
        _unwrap(model).load_state_dict(state[CHECKPOINT_MODEL_KEY])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        start_epoch = int(state["epoch"]) + 1
        # The epochs before the stop, so history.json covers the whole run.
        history = [EpochResult(**epoch) for epoch in state.get("history", [])]
        if state.get("best_f1") is not None:
            best = {
                "epoch": state["best_epoch"],
                "f1": state["best_f1"],
                "state": state["best_model"],
            }
        say(f"resumed from {latest.name}: continuing at epoch {start_epoch}")
    say(
        f"training {config.arch} on {ctx.device} x{ctx.world_size}: {len(train_set)} windows "
        f"({len(train_clips)} clips), validation {len(val_set)} windows ({len(val_clips)} clips), "
        f"{steps} steps/epoch of {options.batch_size}, epochs {start_epoch}..{options.epochs}"
    )

    for epoch in range(start_epoch, options.epochs + 1):
        epoch_start = time.monotonic()
        loss = train_one_epoch(model, loader, optimizer, scheduler, scaler, ctx, options, epoch)
        result = EpochResult(epoch, loss, 0.0)
        last = epoch == options.epochs or _out_of_time(options, started)
        if ctx.is_main and len(val_set) and (epoch % options.val_every == 0 or last):
            result.val_loss, result.val = validate(
                _unwrap(model), val_set, ctx, options, config.threshold
            )
            f1 = result.val["f1"]
            if best["f1"] is None or f1 >= best["f1"]:
                best = {"epoch": epoch, "f1": f1, "state": _cpu_state(model)}
        result.seconds = time.monotonic() - epoch_start
        history.append(result)
        say(format_epoch_line(result))
        if ctx.is_main and store is not None:
            store.save(
                epoch, _checkpoint(model, optimizer, scheduler, scaler, config, best, history)
            )
        if ctx.distributed:
            torch.distributed.barrier()
        if last:
            break

    model_path, sweep = None, None
    if ctx.is_main:
        final = _unwrap(model)
        if best["state"] is not None:  # training is over: the model may take the best state
            final.load_state_dict(best["state"])
        if options.calibrate_threshold and len(val_set):
            sweep = threshold_sweep(final, val_set, ctx, options)
            config = config.with_changes(threshold=best_threshold(sweep))
            say(f"threshold={config.threshold} (validation F1 by threshold: "
                + ", ".join(f"{t}: {f1:.4f}" for t, f1 in sweep.items()) + ")")  # fmt: skip
        if model_dir is not None:
            model_path = save_model(model_dir, final, config)
            best_line = f"best epoch {best['epoch']}, val_f1 {best['f1']}"
            say(f"saved {config.arch} ({best_line}) to {model_dir}")
        if len(val_set) and history and not best["f1"]:
            say(NOTHING_LEARNED)
    if ctx.is_main and output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "history.json").write_text(json.dumps([asdict(r) for r in history], indent=1))
        if sweep is not None:
            record = {"threshold": config.threshold, "validation_f1": sweep}
            (output_dir / "threshold.json").write_text(json.dumps(record, indent=1))
    return TrainResult(history, best["epoch"], best["f1"], model_path, config.threshold, sweep)


NOTHING_LEARNED = (
    "WARNING: the model learned nothing: it finds no ball in the validation frames "
    "(val_f1 0.0). Train longer, start from trained weights (--init), check that the labels "
    "match the video, or use larger crops placed on the ball (--crop, --crop-ball)."
)


def _out_of_time(options: TrainOptions, started: float) -> bool:
    return options.time_budget is not None and time.monotonic() - started > options.time_budget


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in _unwrap(model).state_dict().items()}


def _checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    config: ModelConfig,
    best: dict,
    history: list[EpochResult],
) -> dict:
    return {
        CHECKPOINT_MODEL_KEY: _cpu_state(model),
        CHECKPOINT_CONFIG_KEY: config.to_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "epoch": history[-1].epoch,
        "best_epoch": best["epoch"],
        "best_f1": best["f1"],
        "best_model": best["state"],
        "history": [asdict(r) for r in history],  # so history.json survives a resume
    }
