"""The streaming predictor: order, tail, scaling, bounded memory, runtimes, ONNX export."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tracknet import predict  # noqa: E402
from tracknet.config import ModelConfig  # noqa: E402
from tracknet.networks import build_network  # noqa: E402
from tracknet.predict import (  # noqa: E402
    OnnxRunner,
    Predictor,
    TorchRunner,
    cpu_has_amx,
    decode_frames_request,
    encode_frames_request,
    export_onnx,
    fastest_runner,
    pick_device,
)

CONFIG = ModelConfig(arch="fasttracknet", height=32, width=64, arch_kwargs={"base": 4})


class EchoRed(torch.nn.Module):
    """A stand-in network whose heatmap k is the red channel of input frame k."""

    def __init__(self, frames_out: int = 3) -> None:
        super().__init__()
        self.frames_out = frames_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frames_in = x.shape[1] // 3
        first = frames_in - self.frames_out  # outputs belong to the newest frames
        return x[:, 3 * first :: 3]


def _spot_frames(count: int, width: int = 256, height: int = 128) -> Iterator[np.ndarray]:
    """Frame i has an 8x8 red square with its top-left corner at (8 + 16 i mod 224, 40),
    over a still background textured in green and blue (like a court, for the cut test)."""
    background = np.random.default_rng(0).integers(0, 120, (height, width, 3), np.uint8)
    background[..., 0] = 0
    for i in range(count):
        frame = background.copy()
        left = 8 + (16 * i) % 224
        frame[40:48, left : left + 8, 0] = 255
        yield frame


def _expected_x(i: int) -> float:
    # The 8x8 square shrinks to 2x2 input pixels whose centroid is 0.5 px past its corner;
    # plain scaling (x4), the convention shared with the training targets, maps it back.
    return ((8 + (16 * i) % 224) / 4 + 0.5) * 4


@pytest.mark.parametrize("count", [0, 1, 3, 10, 11])
def test_every_frame_gets_one_answer_in_original_pixels(count: int) -> None:
    predictor = Predictor(
        EchoRed(), CONFIG, device="cpu", runtime="torch", batch_size=2, tracker="nearest"
    )
    out = list(predictor.predict_frames(_spot_frames(count)))
    assert [p.index for p in out] == list(range(count))
    for p in out:
        assert p.visible and p.confidence == pytest.approx(1.0)
        assert p.x == pytest.approx(_expected_x(p.index))
        assert p.y == pytest.approx(42.0)  # (40 / 4 + 0.5) * 4


def test_one_frame_out_windows_slide_by_one() -> None:
    config = CONFIG.with_changes(frames_out=1)
    predictor = Predictor(
        EchoRed(frames_out=1), config, device="cpu", runtime="torch", tracker="nearest"
    )
    out = list(predictor.predict_frames(_spot_frames(7)))
    assert [p.index for p in out] == list(range(7))
    assert [p.x for p in out] == pytest.approx([_expected_x(i) for i in range(7)])


def test_frames_resized_beforehand_are_scaled_to_the_given_original_size() -> None:
    small = [f[::4, ::4].copy() for f in _spot_frames(3)]  # already 64x32
    predictor = Predictor(EchoRed(), CONFIG, device="cpu", runtime="torch", tracker="nearest")
    out = list(predictor.predict_frames(small, original_size=(1280, 640)))
    assert out[0].x == pytest.approx((8 / 4 + 0.5) * 20)  # 20x: 1280 / 64
    assert out[0].y == pytest.approx((40 / 4 + 0.5) * 20)


def test_no_ball_gives_nan_and_the_heat_maximum() -> None:
    predictor = Predictor(EchoRed(), CONFIG, device="cpu", runtime="torch", tracker="nearest")
    dark = np.full((32, 64, 3), 60, np.uint8)
    (p,) = predictor.predict_frames([dark])
    assert not p.visible and np.isnan(p.x) and np.isnan(p.y)
    assert p.confidence == pytest.approx(60 / 255)


def test_the_physics_tracker_follows_a_moving_ball_in_original_pixels() -> None:
    predictor = Predictor(EchoRed(), CONFIG, device="cpu", runtime="torch", batch_size=2)
    out = list(predictor.predict_frames(_spot_frames(12)))
    assert [p.index for p in out] == list(range(12))
    assert all(p.visible for p in out)
    assert len({p.trajectory for p in out}) == 1
    assert [p.x for p in out] == pytest.approx([_expected_x(i) for i in range(12)])


def test_the_physics_tracker_says_no_ball_for_a_static_spot() -> None:
    """A spot that never moves (a score overlay the network likes) is not the ball."""
    still = [next(_spot_frames(1)) for _ in range(12)]
    predictor = Predictor(EchoRed(), CONFIG, device="cpu", runtime="torch")
    out = list(predictor.predict_frames(still))
    assert len(out) == 12 and not any(p.visible for p in out)
    assert all(p.confidence == pytest.approx(1.0) for p in out)  # it was seen, not believed


def _peak_memory(count: int) -> int:
    predictor = Predictor(EchoRed(), CONFIG, device="cpu", runtime="torch", batch_size=4)
    tracemalloc.start()
    try:
        for _ in predictor.predict_frames(_spot_frames(count)):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_frames() -> None:
    # The motion detector's running maps settle within the first ~200 frames; measured after.
    short, long = _peak_memory(300), _peak_memory(900)
    frame_bytes = 256 * 128 * 3
    # 600 more frames would add ~59 MB if any were kept; allow a couple of frames of noise.
    assert long < short + 2 * frame_bytes


def test_onnx_export_matches_torch(tmp_path) -> None:
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    model = build_network(CONFIG).eval()
    path = export_onnx(model, CONFIG, tmp_path / "m.onnx")
    x = torch.rand(2, 9, 32, 64)
    with torch.no_grad():
        expected = model(x).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(["heatmaps"], {"frames": x.numpy()})[0]
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-4


def test_onnx_and_torch_runtimes_agree_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    model = build_network(CONFIG).eval()
    frames = list(_spot_frames(6))
    # fp32 both: on a CPU with AMX the torch runtime would otherwise pick bf16 by itself.
    torch_fp32 = Predictor(model, CONFIG, runtime="torch", bf16=False)
    via_torch = list(torch_fp32.predict_frames(frames))
    via_onnx = list(Predictor(model, CONFIG, runtime="onnx").predict_frames(frames))
    assert [p.confidence for p in via_onnx] == pytest.approx(
        [p.confidence for p in via_torch], abs=1e-5
    )
    assert [p.visible for p in via_onnx] == [p.visible for p in via_torch]
    monkeypatch.setattr(predict, "cpu_has_amx", lambda: False)
    assert Predictor(model, CONFIG, device="cpu").runtime == "onnx"


def test_fastest_runner_keeps_the_faster() -> None:
    def slow(batch: np.ndarray) -> np.ndarray:
        time.sleep(0.02)
        return batch

    assert fastest_runner({"slow": slow, "fast": lambda b: b}, np.zeros(1)) == "fast"
    assert fastest_runner({"fast": lambda b: b, "slow": slow}, np.zeros(1)) == "fast"


@pytest.mark.parametrize("winner", ["torch", "onnx"])
def test_auto_runtime_on_amx_times_onnx_against_torch_bf16(
    monkeypatch: pytest.MonkeyPatch, winner: str
) -> None:
    pytest.importorskip("onnxruntime")
    timed = []

    def pretend_timing(runners: dict, sample: np.ndarray) -> str:
        timed.append((sorted(runners), sample.shape))
        return winner

    monkeypatch.setattr(predict, "cpu_has_amx", lambda: True)
    monkeypatch.setattr(predict, "fastest_runner", pretend_timing)
    predictor = Predictor(build_network(CONFIG).eval(), CONFIG, device="cpu")
    assert timed == [(["onnx", "torch"], (1, 9, CONFIG.height, CONFIG.width))]
    assert predictor.runtime == winner
    assert isinstance(predictor._run, TorchRunner if winner == "torch" else OnnxRunner)
    if winner == "torch":
        assert predictor._run.bf16 is True
    # Told not to use bf16, or without AMX, nothing is timed: ONNX Runtime in fp32.
    timed.clear()
    assert (
        Predictor(build_network(CONFIG).eval(), CONFIG, bf16=False, device="cpu").runtime == "onnx"
    )
    assert timed == []


def test_device_choice_and_no_bf16_without_amx() -> None:
    assert pick_device("cpu").type == "cpu"
    assert pick_device().type in {"cuda", "mps", "cpu"}
    predictor = Predictor(EchoRed(), CONFIG, device="cpu", runtime="torch")
    assert predictor._run.bf16 == cpu_has_amx()
    forced = Predictor(EchoRed(), CONFIG, device="cpu", runtime="torch", bf16=True)
    assert forced._run.bf16 is True  # asked for (scripts/compare_networks.py scores so)


def test_request_round_trip_keeps_frames_close_and_rgb() -> None:
    rows, cols = np.indices((32, 64))
    frames = [
        np.dstack([cols * 4, rows * 8, np.full_like(rows, 30 + 40 * k)]).astype(np.uint8)
        for k in range(4)
    ]  # red grows to the right, green downwards, blue per frame
    request = decode_frames_request(encode_frames_request(frames, (1280, 720), first_frame=30))
    assert request.original_size == (1280, 720) and request.first_frame == 30
    assert len(request.frames) == 4
    for original, back in zip(frames, request.frames, strict=True):
        assert back.shape == original.shape and back.dtype == np.uint8
        assert np.abs(back.astype(int) - original).mean() < 3


def test_the_onnx_export_is_made_once_in_a_child_and_used(tmp_path, monkeypatch) -> None:
    """The app exports in a child process (the export holds the GIL for a second) into a
    cache; a later run reads the kept file, and the predictions are the same."""
    import os
    import subprocess

    pytest.importorskip("onnxruntime")
    from tracknet import onnx_cache
    from tracknet.modelfile import load_model, save_model

    torch.manual_seed(0)
    weights = save_model(tmp_path / "tiny", build_network(CONFIG), CONFIG)
    children: list[list[str]] = []
    real_run = subprocess.run

    def run(command, **kwargs):
        children.append(command)
        return real_run(command, **kwargs)

    monkeypatch.setattr(onnx_cache.subprocess, "run", run)
    kept = onnx_cache.export_in_child(weights, tmp_path / "cache")
    assert kept is not None and kept.is_file() and len(children) == 1
    assert children[0][1:3] == ["-m", "tracknet.onnx_cache"]
    assert onnx_cache.export_in_child(weights, tmp_path / "cache") == kept
    assert len(children) == 1  # kept: no second child
    frames = list(_spot_frames(6))
    loaded, config = load_model(weights)
    fresh = list(Predictor(loaded, config, runtime="onnx").predict_frames(frames))
    cached = list(Predictor(loaded, config, runtime="onnx", onnx_file=kept).predict_frames(frames))
    assert [p.confidence for p in cached] == pytest.approx([p.confidence for p in fresh], abs=1e-6)
    newer = os.stat(next(p for p in weights.rglob("*") if p.is_file())).st_mtime_ns + 10**9
    os.utime(next(p for p in weights.rglob("*") if p.is_file()), ns=(newer, newer))
    assert onnx_cache.cached_path(weights, tmp_path / "cache") != kept  # weights changed
