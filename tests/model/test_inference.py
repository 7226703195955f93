"""The SageMaker serving handler: a real round trip through its four functions."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tracknet.config import ModelConfig  # noqa: E402
from tracknet.modelfile import load_model, save_model  # noqa: E402
from tracknet.networks import build_network  # noqa: E402
from tracknet.predict import (  # noqa: E402
    REQUEST_CONTENT_TYPE,
    Predictor,
    decode_frames_request,
    encode_frames_request,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ModelConfig(arch="fasttracknet", height=32, width=64, arch_kwargs={"base": 4})


def _handler():
    # The endpoint imports inference.py as a top-level module from code/: load it by path.
    from tracknet.entrypoints import folder

    spec = importlib.util.spec_from_file_location("inference", folder() / "inference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    torch.manual_seed(3)
    model = build_network(CONFIG).eval()
    with torch.no_grad():  # a head bias that puts some pixels above the threshold
        model.head.bias.fill_(0.05)
    return save_model(tmp_path / "model", model, CONFIG)


def test_round_trip_through_the_four_functions(model_dir: Path) -> None:
    handler = _handler()
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (32, 64, 3), dtype=np.uint8) for _ in range(6)]
    body = encode_frames_request(frames, (1280, 720), first_frame=100)

    predictor = handler.model_fn(str(model_dir))
    request = handler.input_fn(body, REQUEST_CONTENT_TYPE)
    text = handler.output_fn(handler.predict_fn(request, predictor), "application/json")
    answers = json.loads(text)["predictions"]

    assert [a["frame"] for a in answers] == list(range(100, 106))
    # Random frames hold no ball trajectory: the physics tracker answers "no ball", with
    # the strongest candidate's heat as the confidence, exactly as local prediction does.
    assert predictor.tracker == "physics"
    assert any(a["confidence"] > 0 for a in answers)
    # The same post-processing as local prediction, on the same decoded frames.
    model, config = load_model(model_dir)
    local = Predictor(model, config, device="cpu").predict_frames(
        decode_frames_request(body).frames, original_size=(1280, 720)
    )
    for answer, expected in zip(answers, local, strict=True):
        assert set(answer) == {"frame", "x", "y", "confidence", "visible"}
        assert answer["visible"] == expected.visible
        assert answer["confidence"] == pytest.approx(expected.confidence, abs=1e-4)
        if expected.visible:
            assert answer["x"] == pytest.approx(expected.x, abs=0.01)
            assert answer["y"] == pytest.approx(expected.y, abs=0.01)
        else:
            assert answer["x"] is None and answer["y"] is None


def test_other_content_types_are_refused() -> None:
    handler = _handler()
    with pytest.raises(ValueError, match="unsupported content type"):
        handler.input_fn(b"{}", "application/json")
    with pytest.raises(ValueError, match="unsupported accept"):
        handler.output_fn([], "text/csv")


def _payload_per_frame(frames: list[np.ndarray]) -> float:
    return len(encode_frames_request(frames, (1280, 720))) / len(frames)


def test_nine_synthetic_frames_stay_under_one_megabyte() -> None:
    from tracknet_studio.synthetic.clip import ClipSpec, Scene

    scene = Scene(ClipSpec(width=512, height=288, frames=9, seed=5))
    frames = [scene.frame(n) for n in range(9)]
    assert 9 * _payload_per_frame(frames) < 1_000_000


def test_nine_real_broadcast_frames_stay_under_one_megabyte() -> None:
    av = pytest.importorskip("av")
    cv2 = pytest.importorskip("cv2")
    data = Path(os.environ.get("TRACKNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
    clip = data / "badminton" / "1_02_01.mp4"
    if not clip.is_file():
        pytest.skip(f"real clip {clip} is absent")
    frames = []
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            frames.append(cv2.resize(rgb, (512, 288), interpolation=cv2.INTER_AREA))
            if len(frames) == 9:
                break
    assert 9 * _payload_per_frame(frames) < 1_000_000
