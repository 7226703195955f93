"""Saving and loading model files: identical outputs, and no arbitrary unpickling."""

from __future__ import annotations

import os
import tarfile

import pytest

torch = pytest.importorskip("torch")

from tracknet.config import ModelConfig  # noqa: E402
from tracknet.modelfile import (  # noqa: E402
    ModelFileError,
    checkpoint_payload,
    load_model,
    save_model,
)
from tracknet.networks import build_network  # noqa: E402

CONFIG = ModelConfig(
    arch="fasttracknet", height=32, width=64, threshold=0.4, arch_kwargs={"base": 4}
)


def _trained_looking_model() -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_network(CONFIG)
    # Move batch-norm statistics off their defaults so the round trip must carry buffers too.
    model.train()
    with torch.no_grad():
        model(torch.rand(4, 9, 32, 64))
    return model.eval()


def _outputs(model: torch.nn.Module) -> torch.Tensor:
    torch.manual_seed(1)
    with torch.no_grad():
        return model(torch.rand(1, 9, 32, 64))


def test_folder_round_trip_gives_identical_outputs(tmp_path) -> None:
    model = _trained_looking_model()
    folder = save_model(tmp_path / "m", model, CONFIG)
    assert {p.name for p in folder.iterdir()} == {"model.safetensors", "config.json"}
    loaded, config = load_model(folder)
    assert config == CONFIG
    assert not loaded.training
    assert torch.equal(_outputs(loaded), _outputs(model))
    # The lone weights file carries its configuration in its header.
    os.remove(folder / "config.json")
    alone, config = load_model(folder / "model.safetensors")
    assert config == CONFIG and torch.equal(_outputs(alone), _outputs(model))


def test_training_archive_and_checkpoint_load(tmp_path) -> None:
    model = _trained_looking_model()
    folder = save_model(tmp_path / "m", model, CONFIG)
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder / "model.safetensors", "model.safetensors")
        tar.add(folder / "config.json", "config.json")
    from_archive, _ = load_model(archive)
    assert torch.equal(_outputs(from_archive), _outputs(model))

    checkpoint = tmp_path / "last.pt"
    wrapped = torch.nn.DataParallel(model)  # keys gain a "module." prefix
    torch.save(checkpoint_payload(wrapped, CONFIG, epoch=3), checkpoint)
    from_checkpoint, config = load_model(checkpoint)
    assert config == CONFIG and torch.equal(_outputs(from_checkpoint), _outputs(model))


class _Exploit:
    def __reduce__(self):  # runs os.system on unpickling, if anything unpickled it
        return (os.system, ("echo pwned > /dev/null",))


def test_loading_refuses_a_pickle_with_arbitrary_objects(tmp_path) -> None:
    payload = checkpoint_payload(_trained_looking_model(), CONFIG, note=_Exploit())
    path = tmp_path / "evil.pt"
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match="refused"):
        load_model(path)


def test_weights_of_another_architecture_are_refused(tmp_path) -> None:
    folder = save_model(tmp_path / "m", _trained_looking_model(), CONFIG)
    CONFIG.with_changes(arch="tracknetv2").save(folder / "config.json")
    with pytest.raises(ModelFileError, match="do not fit"):
        load_model(folder)


def test_an_archive_member_larger_than_any_model_is_refused(tmp_path, monkeypatch) -> None:
    """The member's declared size is checked before a byte of it is inflated (here with
    the limit lowered below a real model's size)."""
    from tracknet import modelfile

    folder = save_model(tmp_path / "m", _trained_looking_model(), CONFIG)
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for item in folder.iterdir():
            tar.add(item, arcname=item.name)
    load_model(archive)  # within the limit
    monkeypatch.setattr(modelfile, "MAX_MEMBER_BYTES", 1000)
    with pytest.raises(ModelFileError, match="more than any model"):
        load_model(archive)
