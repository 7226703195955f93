"""Model files: weights next to the configuration that built them, never a pickle.

A saved model is a folder with `model.safetensors` and `config.json`; the safetensors
header carries the same configuration too, so a lone `.safetensors` file is complete on
its own. `load_model` also reads the `model.tar.gz` a training job produces and training
checkpoints (`torch.save` of a dict with "model" = state dict and "config" =
`ModelConfig.to_dict()`), the latter through `torch.load(weights_only=True)`, which
refuses arbitrary objects.
"""

from __future__ import annotations

import io
import json
import pickle
import tarfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save_file
from torch import nn

from tracknet.config import ModelConfig
from tracknet.networks import build_network

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
# Keys of a training checkpoint dict; other keys (optimizer, epoch, ...) are ignored here.
CHECKPOINT_MODEL_KEY = "model"
CHECKPOINT_CONFIG_KEY = "config"
_METADATA_CONFIG_KEY = "tracknet_config"


# The largest member read from a model archive: TrackNetV2's fp32 weights are ~45 MB.
MAX_MEMBER_BYTES = 1 << 30


class ModelFileError(ValueError):
    """The file is not a model this code can load safely."""


def save_model(directory: str | Path, model: nn.Module, config: ModelConfig) -> Path:
    """Write `model.safetensors` and `config.json` into `directory`; returns the folder."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in _unwrap(model).state_dict().items()}
    metadata = {_METADATA_CONFIG_KEY: json.dumps(config.to_dict())}
    save_file(state, str(directory / WEIGHTS_NAME), metadata=metadata)
    config.save(directory / CONFIG_NAME)
    return directory


def load_model(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[nn.Module, ModelConfig]:
    """The network in eval mode on `device`, and its configuration.

    `path` is a folder from `save_model`, a `.safetensors` file, a `model.tar.gz`, or a
    training checkpoint (`.pt`/`.pth`/`.ckpt`).
    """
    try:
        state, config = _read_state_and_config(Path(path))
    except (ModelFileError, FileNotFoundError):
        raise
    except Exception as error:  # a broken archive, safetensors header, pickle...: one message
        reason = " ".join(str(error).split())  # tarfile explains itself over several lines
        raise ModelFileError(f"{path}: cannot be read as a model: {reason}") from error
    model = build_network(config)
    try:
        model.load_state_dict(_strip_wrapper_prefix(state))
    except RuntimeError as error:
        raise ModelFileError(f"{path}: weights do not fit {config.arch}: {error}") from error
    return model.to(device).eval(), config


def _read_state_and_config(path: Path) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    if path.is_dir():
        return _read_folder(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    if path.suffix == ".safetensors":
        return _read_safetensors(path.read_bytes(), path.with_name(CONFIG_NAME), str(path))
    if path.name.endswith((".tar.gz", ".tgz", ".tar")):
        return _read_archive(path)
    return _read_checkpoint(path)


def _read_folder(folder: Path) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    weights = folder / WEIGHTS_NAME
    if weights.is_file():
        return _read_safetensors(weights.read_bytes(), folder / CONFIG_NAME, str(weights))
    archive = folder / "model.tar.gz"
    if archive.is_file():
        return _read_archive(archive)
    raise ModelFileError(f"{folder} holds neither {WEIGHTS_NAME} nor model.tar.gz")


def _read_safetensors(
    data: bytes, config_path: Path | None, label: str
) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    state = load_safetensors_bytes(data)
    metadata = _safetensors_metadata(data)
    # config.json beside the weights wins, so a threshold edited there takes effect.
    if config_path is not None and config_path.is_file():
        config = ModelConfig.load(config_path)
    elif _METADATA_CONFIG_KEY in metadata:
        config = ModelConfig.from_dict(json.loads(metadata[_METADATA_CONFIG_KEY]))
    else:
        raise ModelFileError(f"{label}: no configuration in the file or beside it")
    return state, config


def _safetensors_metadata(data: bytes) -> dict[str, str]:
    # The format: 8-byte little-endian header length, then a JSON header.
    header_length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_length])
    return header.get("__metadata__", {}) or {}


def _read_archive(path: Path) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    # Read the two members into memory instead of extracting: nothing in the archive
    # ever touches the file system, so hostile member paths do no harm.
    with tarfile.open(path) as archive:
        members = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
        if WEIGHTS_NAME in members:
            weights = _member_bytes(archive, members[WEIGHTS_NAME])
            if CONFIG_NAME in members:
                config = _config_member(archive, members[CONFIG_NAME])
                return load_safetensors_bytes(weights), config
            return _read_safetensors(weights, None, f"{path}:{WEIGHTS_NAME}")
        for name, member in members.items():
            if name.endswith((".pt", ".pth", ".ckpt")):
                return _checkpoint_from_bytes(_member_bytes(archive, member), f"{path}:{name}")
    raise ModelFileError(f"{path} holds no {WEIGHTS_NAME} or checkpoint")


def _member_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if member.size > MAX_MEMBER_BYTES:  # a member that would inflate into gigabytes
        raise ModelFileError(f"{member.name} is {member.size:,} bytes: more than any model "
                             f"this loads ({MAX_MEMBER_BYTES:,})")  # fmt: skip
    handle = archive.extractfile(member)
    if handle is None:
        raise ModelFileError(f"cannot read {member.name}")
    return handle.read()


def _config_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> ModelConfig:
    return ModelConfig.from_dict(json.loads(_member_bytes(archive, member)))


def _read_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    return _checkpoint_from_bytes(path.read_bytes(), str(path))


def _checkpoint_from_bytes(data: bytes, label: str) -> tuple[dict[str, torch.Tensor], ModelConfig]:
    try:
        payload: Any = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ModelFileError(
            f"{label}: refused, it holds more than plain weights: {error}"
        ) from error
    if not isinstance(payload, dict) or CHECKPOINT_MODEL_KEY not in payload:
        raise ModelFileError(f"{label}: not a checkpoint dict with a {CHECKPOINT_MODEL_KEY!r} key")
    if CHECKPOINT_CONFIG_KEY not in payload:
        raise ModelFileError(f"{label}: the checkpoint carries no {CHECKPOINT_CONFIG_KEY!r}")
    return payload[CHECKPOINT_MODEL_KEY], ModelConfig.from_dict(payload[CHECKPOINT_CONFIG_KEY])


def checkpoint_payload(model: nn.Module, config: ModelConfig, **extra: Any) -> dict[str, Any]:
    """The dict to `torch.save` as a checkpoint that `load_model` reads back.

    `extra` (epoch, optimizer state, ...) must hold only tensors and plain Python values
    so that `torch.load(weights_only=True)` accepts it.
    """
    return {
        CHECKPOINT_MODEL_KEY: _unwrap(model).state_dict(),
        CHECKPOINT_CONFIG_KEY: config.to_dict(),
        **extra,
    }


def _unwrap(model: nn.Module) -> nn.Module:
    """The bare network inside DistributedDataParallel / DataParallel / torch.compile."""
    for attribute in ("module", "_orig_mod"):
        inner = getattr(model, attribute, None)
        if isinstance(inner, nn.Module):
            return _unwrap(inner)
    return model


def _strip_wrapper_prefix(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    for prefix in ("module.", "_orig_mod."):
        if state and all(key.startswith(prefix) for key in state):
            state = {key[len(prefix) :]: value for key, value in state.items()}
    return state
