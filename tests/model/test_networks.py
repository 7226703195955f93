"""Network shapes, parameter counts and the registry."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tracknet.config import ModelConfig  # noqa: E402
from tracknet.networks import (  # noqa: E402
    FastTrackNet,
    TrackNetV2,
    build_network,
    count_parameters,
    default_arch_kwargs,
)


def test_tracknetv2_has_the_published_parameter_count() -> None:
    # TrackNetV2 as published: about 11.3 M parameters for 9 channels in, 3 heatmaps out.
    assert count_parameters(TrackNetV2(9, 3)) == pytest.approx(11.3e6, rel=0.02)


@pytest.mark.parametrize(
    ("arch", "kwargs"),
    [("tracknetv2", {"base": 4}), ("fasttracknet", {"base": 4}),
     ("fasttracknet", {"base": 4, "full_res": 0, "full_res_stem": False, "half_blocks": 0}),
     ("fasttracknet", {"base": 4, "full_res": 4, "full_res_stem": False})],
)  # fmt: skip
def test_output_is_one_probability_map_per_output_frame(arch: str, kwargs: dict) -> None:
    config = ModelConfig(arch=arch, height=32, width=64, arch_kwargs=kwargs)
    model = build_network(config).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 9, 32, 64))
    assert out.shape == (2, 3, 32, 64)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


def test_one_frame_out_and_five_frames_in() -> None:
    config = ModelConfig(arch="fasttracknet", frames_in=5, frames_out=1, height=16, width=32)
    with torch.no_grad():
        out = build_network(config).eval()(torch.rand(1, 15, 16, 32))
    assert out.shape == (1, 1, 16, 32)


FIRST_LAYOUT = {"full_res": 0, "full_res_stem": False, "half_blocks": 0}


def test_full_res_stem_needs_full_res_channels() -> None:
    with pytest.raises(ValueError, match="full_res_stem needs full_res"):
        FastTrackNet(base=4, full_res=0)
    FastTrackNet(base=4, **FIRST_LAYOUT)


def test_each_layout_option_adds_the_layers_it_names() -> None:
    first = count_parameters(FastTrackNet(base=4, **FIRST_LAYOUT))
    assert count_parameters(FastTrackNet(base=4, **FIRST_LAYOUT | {"half_blocks": 2})) > first
    full_res = FIRST_LAYOUT | {"full_res": 4}
    assert count_parameters(FastTrackNet(base=4, **full_res)) > first
    # The stride-2 stem reads 4 full-resolution channels instead of 9 input channels.
    with_stem = full_res | {"full_res_stem": True}
    assert count_parameters(FastTrackNet(base=4, **with_stem)) < count_parameters(
        FastTrackNet(base=4, **full_res)
    )


def test_format_1_model_files_rebuild_the_first_layout() -> None:
    # A format-1 file lists the arguments the network took then; the ones added since
    # must take the values that rebuild it, not today's defaults.
    first = {"base": 32, "dilations": [1, 2, 4, 8], "quarter_blocks": 2}
    old = ModelConfig.from_dict({"arch": "fasttracknet", "arch_kwargs": first, "format_version": 1})
    assert old.arch_kwargs == first | FIRST_LAYOUT
    assert count_parameters(build_network(old)) == 199_267  # the first shipped weights' count
    # Arguments a format-1 file does list are kept (full_res variants predate format 2).
    variant = {"arch": "fasttracknet", "arch_kwargs": {"full_res": 16}, "format_version": 1}
    assert ModelConfig.from_dict(variant).arch_kwargs["full_res"] == 16
    # Format 2 means today's defaults for what it leaves out, as any config made in code.
    new = ModelConfig.from_dict({"arch": "fasttracknet", "arch_kwargs": {}, "format_version": 2})
    assert count_parameters(build_network(new)) > 199_267


def test_fast_network_is_far_smaller_than_tracknetv2() -> None:
    assert count_parameters(FastTrackNet()) < count_parameters(TrackNetV2()) / 20


def test_unknown_architecture_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown architecture"):
        build_network(ModelConfig(arch="resnet"))


def test_config_round_trips_through_json(tmp_path) -> None:
    config = ModelConfig(arch="fasttracknet", threshold=0.4, arch_kwargs={"base": 8})
    config.save(tmp_path / "c.json")
    assert ModelConfig.load(tmp_path / "c.json") == config
    with pytest.raises(ValueError, match="unknown model config keys"):
        ModelConfig.from_dict({**config.to_dict(), "colour": "red"})
    with pytest.raises(ValueError):
        ModelConfig(frames_in=3, frames_out=2)


@pytest.mark.parametrize(
    ("arch", "kwargs"),
    [("tracknetv2", {"base": 4}), ("fasttracknet", {"base": 4}),
     ("fasttracknet", {"base": 4, "full_res": 4})],
)  # fmt: skip
def test_untrained_heads_start_at_the_one_percent_prior(arch: str, kwargs: dict) -> None:
    torch.manual_seed(0)
    model = build_network(ModelConfig(arch=arch, height=32, width=64, arch_kwargs=kwargs))
    with torch.no_grad():
        out = model.eval()(torch.rand(1, 9, 32, 64))
    assert float(out.mean()) == pytest.approx(0.01, abs=0.01)


def test_default_arguments_are_what_a_model_file_would_record() -> None:
    defaults = default_arch_kwargs("fasttracknet")
    assert defaults["base"] == 32 and defaults["dilations"] == [1, 2, 4, 8]
    assert defaults["full_res_stem"] is True and "in_channels" not in defaults
    config = ModelConfig(arch="fasttracknet", arch_kwargs=defaults)
    assert count_parameters(build_network(config)) == count_parameters(FastTrackNet())
