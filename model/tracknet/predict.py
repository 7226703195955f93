"""Streaming prediction: RGB frames of any size in, one ball position per frame out.

Frames are resized once to the network input and grouped into windows of `frames_in`
frames that advance by `frames_out` (TrackNet's non-overlapping triplets for 3-in-3-out);
windows are batched, run on the best runtime found, turned into candidates and passed
through the online tracker. Only the current window and one batch of windows are ever
held, so memory does not depend on the length of the video.

The serving request format (`encode_frames_request` / `decode_frames_request`) lives
here too, so the client and the endpoint share one definition.
"""

from __future__ import annotations

import io
import itertools
import math
import tempfile
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import torch
from torch import nn

from tracknet.config import ModelConfig
from tracknet.heatmap import scale_to_original
from tracknet.postprocess import BallTracker, Blob, find_blobs
from tracknet.tracking import Candidate, FrameCandidates, PhysicsTracker, fuse, without_candidates

Tracker = Literal["physics", "nearest"]

Runtime = Literal["auto", "torch", "onnx"]
REQUEST_CONTENT_TYPE = "application/x-tracknet-frames"


@dataclass(frozen=True)
class FramePrediction:
    """One frame's answer in original pixels; x and y are NaN when no ball is visible.

    `confidence` is the chosen blob's peak heat, or the map's maximum when none was
    chosen (how close the frame came to showing a ball).
    """

    index: int
    x: float
    y: float
    confidence: float
    visible: bool
    trajectory: int = -1  # the flight the point belongs to (physics tracker), -1 without


# ---------------------------------------------------------------------------- devices


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_has_amx() -> bool:
    """Whether this CPU has AMX bf16 tiles, the only CPUs where bf16 inference pays off."""
    return "amx_bf16" in cpu_flags()


def pick_device(preferred: str = "auto") -> torch.device:
    """`preferred` if not "auto", else CUDA, then Apple MPS, then the CPU."""
    if preferred != "auto":
        return torch.device(preferred)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------- runtimes


def frames_to_input(windows: np.ndarray) -> np.ndarray:
    """uint8 (B, F, H, W, 3) RGB windows to the float32 (B, 3F, H, W) network input.

    Channels run frame by frame, oldest first, RGB within a frame, values in [0, 1]: the
    layout the training dataset produces.
    """
    b, f, h, w, _ = windows.shape
    stacked = windows.transpose(0, 1, 4, 2, 3).reshape(b, 3 * f, h, w)
    return stacked.astype(np.float32) * np.float32(1.0 / 255.0)


def export_onnx(model: nn.Module, config: ModelConfig, path: str | Path) -> Path:
    """Write `model` as ONNX with a dynamic batch axis; input "frames", output "heatmaps"."""
    path = Path(path)
    example = torch.zeros(1, config.in_channels, config.height, config.width)
    model = model.cpu().eval()
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
        # onnxscript; for these plain convolutional networks both give the same graph.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=["frames"],
            output_names=["heatmaps"],
            dynamic_axes={"frames": {0: "batch"}, "heatmaps": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    return path


class TorchRunner:
    """Runs the network with torch; bf16 autocast only on CPUs with AMX."""

    def __init__(self, model: nn.Module, device: torch.device, bf16: bool | None = None) -> None:
        self.device = device
        self.model = model.to(device).eval()
        self.bf16 = (device.type == "cpu" and cpu_has_amx()) if bf16 is None else bf16

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(batch).to(self.device)
        with (
            torch.inference_mode(),
            torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16),
        ):
            return self.model(x).float().cpu().numpy()


def fastest_runner(
    runners: dict[str, Callable[[np.ndarray], np.ndarray]], sample: np.ndarray, calls: int = 2
) -> str:
    """The name of the runner that ran `sample` fastest (best of `calls`, after a warm-up)."""

    def best_seconds(run: Callable[[np.ndarray], np.ndarray]) -> float:
        run(sample)
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            run(sample)
            times.append(time.perf_counter() - started)
        return min(times)

    return min(runners, key=lambda name: best_seconds(runners[name]))


class OnnxRunner:
    """Runs an ONNX export of the network with ONNX Runtime on the CPU."""

    def __init__(
        self,
        model: nn.Module,
        config: ModelConfig,
        threads: int | None = None,
        spin: bool = False,
        onnx_file: Path | None = None,
    ) -> None:
        import onnxruntime

        if onnx_file is not None:  # exported before (tracknet.onnx_cache)
            onnx_bytes = Path(onnx_file).read_bytes()
        else:
            with tempfile.TemporaryDirectory() as folder:
                onnx_bytes = export_onnx(model, config, Path(folder) / "model.onnx").read_bytes()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        if not spin:
            # Idle ORT threads otherwise spin between calls and take the cores from the
            # video decoder feeding them: end to end on a 720p clip this measured 72
            # frames/s against 28 with spinning.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            onnx_bytes, options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(["heatmaps"], {"frames": batch})[0]


# ---------------------------------------------------------------------------- predictor


@dataclass
class _Window:
    """The frames of one network input, and which output frames are real (not padding)."""

    frames: np.ndarray  # (frames_in, H, W, 3) uint8
    first_output: int  # video index of the first output heatmap
    valid_outputs: int


class Predictor:
    """Predicts ball positions over a stream of frames with one trained network.

    device: "auto" (CUDA > MPS > CPU) or a torch device string. runtime: "torch", "onnx"
    (CPU only) or "auto", which takes ONNX Runtime on the CPU when it is installed (on
    this 2-core CPU it ran FastTrackNet 3-30x faster than eager torch, which neither folds
    batch norm nor copes well with busy cores) and torch elsewhere; on a CPU with AMX it
    times ONNX Runtime against torch in bf16 on one window and keeps the faster (on the AMX
    machine measured: torch bf16 for TrackNetV2, ONNX Runtime for the fast network).
    batch_size: windows per forward pass; by default 1 on the CPU and 16 on accelerators.
    bf16: autocast for the torch runtime; None leaves it to TorchRunner (CPUs with AMX).
    tracker: "physics" (tracknet.tracking, the one every method shares: trajectories, cuts,
    "no ball" rather than a jump) or "nearest" (the per-frame BallTracker that the recorded
    synthetic network comparisons were scored with).
    """

    def __init__(
        self,
        model: nn.Module,
        config: ModelConfig,
        device: str = "auto",
        runtime: Runtime = "auto",
        batch_size: int | None = None,
        tracker_factory: Callable[[], BallTracker] = BallTracker,
        bf16: bool | None = None,
        tracker: Tracker = "physics",
        onnx_file: Path | None = None,
    ) -> None:
        self.config = config
        self._onnx_file = onnx_file  # the model's ONNX export, when one was made already
        self.device = pick_device(device)
        # On the CPU one window at a time measured fastest (its activations stay in cache):
        # FastTrackNet with ONNX Runtime, end to end on 720p, 72 frames/s at batch 1 and
        # 60 at batch 4.
        self.batch_size = batch_size or (1 if self.device.type == "cpu" else 16)
        self.runtime, self._run = self._make_runner(model, config, runtime, bf16)
        self._tracker_factory = tracker_factory
        self.tracker = tracker

    def _make_runner(
        self, model: nn.Module, config: ModelConfig, runtime: Runtime, bf16: bool | None
    ) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
        on_cpu = self.device.type == "cpu"
        if runtime == "onnx" and not on_cpu:
            raise ValueError("the ONNX runtime here runs on the CPU only")
        if runtime == "torch" or (runtime == "auto" and not (on_cpu and onnxruntime_available())):
            return "torch", TorchRunner(model, self.device, bf16)
        onnx = OnnxRunner(model, config, onnx_file=self._onnx_file)
        wants_bf16 = cpu_has_amx() if bf16 is None else bf16
        if runtime == "onnx" or not wants_bf16:
            return "onnx", onnx
        # ONNX Runtime in fp32 beat eager torch on every CPU measured, except torch in bf16
        # on AMX for a large network (TrackNetV2: 7.1 frames/s against 4.2; the fast network
        # the other way round, 112 against 228): there, time both and keep the faster.
        candidates = {"onnx": onnx, "torch": TorchRunner(model, self.device, bf16=True)}
        shape = (self.batch_size, config.in_channels, config.height, config.width)
        fastest = fastest_runner(candidates, np.zeros(shape, np.float32))
        return fastest, candidates[fastest]

    def predict_frames(
        self,
        frames: Iterable[np.ndarray],
        original_size: tuple[int, int] | None = None,
        fuse_motion: bool = False,
    ) -> Iterator[FramePrediction]:
        """One prediction per frame, in order, in the frames' own pixels.

        `original_size` (width, height) overrides the frames' size as the space of the
        answers, for frames that were resized before they got here. `fuse_motion` adds
        motion candidates (tracknet.motion) to the network's before tracking; without it
        motion only tells the tracker where the shot cuts.
        """
        if self.tracker == "nearest":
            yield from self._predict_nearest(frames, original_size)
            return
        from tracknet.motion import MotionDetector

        frames = iter(frames)
        first = next(frames, None)
        if first is None:
            return
        size = original_size or (first.shape[1], first.shape[0])
        to_model, to_motion = itertools.tee(itertools.chain([first], frames))
        scale = (size[0] / first.shape[1], size[1] / first.shape[0])
        motion = _in_answer_pixels(MotionDetector().detect(to_motion), scale)
        if not fuse_motion:
            motion = without_candidates(motion)
        stream = fuse(self.candidates(to_model, size), motion, frame_size=size)
        for point in PhysicsTracker(size).track(stream):
            yield FramePrediction(
                point.index, point.x, point.y, point.confidence, point.visible, point.trajectory
            )

    def candidates(
        self, frames: Iterable[np.ndarray], original_size: tuple[int, int] | None = None
    ) -> Iterator[FrameCandidates]:
        """The network's heatmap blobs of each frame, as tracker candidates in original
        pixels (score: the blob's peak heat)."""
        for batch, sizes in self._batches(frames, original_size):
            yield from self._candidates_of_batch(batch, sizes)

    def _candidates_of_batch(
        self, batch: Sequence[_Window], sizes: Sequence[tuple[int, int]]
    ) -> Iterator[FrameCandidates]:
        for index, heat, size in self._heatmaps(batch, sizes):
            blobs = find_blobs(heat, self.config.threshold)
            yield FrameCandidates(index, tuple(self._candidate(b, size) for b in blobs))

    def _candidate(self, blob: Blob, size: tuple[int, int]) -> Candidate:
        x, y = scale_to_original(blob.x, blob.y, self.config.input_size, size)
        area = blob.area * (size[0] / self.config.width) * (size[1] / self.config.height)
        return Candidate(x, y, blob.peak, area)

    def _predict_nearest(
        self, frames: Iterable[np.ndarray], original_size: tuple[int, int] | None
    ) -> Iterator[FramePrediction]:
        tracker = self._tracker_factory()
        for batch, sizes in self._batches(frames, original_size):
            yield from self._predict_batch(batch, sizes, tracker)

    def _batches(
        self, frames: Iterable[np.ndarray], original_size: tuple[int, int] | None
    ) -> Iterator[tuple[list[_Window], list[tuple[int, int]]]]:
        """Windows in batches of `batch_size`, with the size each window's answers are in."""
        batch: list[_Window] = []
        sizes: list[tuple[int, int]] = []
        for window, size in self._windows(frames):
            batch.append(window)
            sizes.append(original_size or size)
            if len(batch) == self.batch_size:
                yield batch, sizes
                batch, sizes = [], []
        if batch:
            yield batch, sizes

    def _windows(self, frames: Iterable[np.ndarray]) -> Iterator[tuple[_Window, tuple[int, int]]]:
        """Windows of resized frames, with the original (width, height) of their frames."""
        frames_in, step = self.config.frames_in, self.config.frames_out
        recent: deque[np.ndarray] = deque(maxlen=frames_in)
        fresh = 0  # frames added since the last window
        count = 0
        size = (0, 0)
        for count, frame in enumerate(frames, start=1):
            size = (frame.shape[1], frame.shape[0])
            small = self._resize(frame)
            if not recent:
                # A window predicting one frame needs frames before the first one: repeat it.
                recent.extend([small] * (frames_in - step))
            recent.append(small)
            fresh += 1
            if fresh == step:
                yield _Window(np.stack(recent), count - step, step), size
                fresh = 0
        if fresh:
            # The tail: pad with the last frame; the padded outputs are dropped.
            recent.extend([recent[-1]] * (step - fresh))
            yield _Window(np.stack(recent), count - fresh, fresh), size

    def _resize(self, frame: np.ndarray) -> np.ndarray:
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected an RGB frame (H, W, 3), got shape {frame.shape}")
        if (frame.shape[1], frame.shape[0]) == self.config.input_size:
            return np.ascontiguousarray(frame, dtype=np.uint8)
        return cv2.resize(frame, self.config.input_size, interpolation=cv2.INTER_AREA)

    def _heatmaps(
        self, batch: Sequence[_Window], sizes: Sequence[tuple[int, int]]
    ) -> Iterator[tuple[int, np.ndarray, tuple[int, int]]]:
        """(frame index, heatmap, original size) of every real output frame of a batch."""
        heatmaps = self._run(frames_to_input(np.stack([w.frames for w in batch])))
        for window, heat, size in zip(batch, heatmaps, sizes, strict=True):
            for offset in range(window.valid_outputs):
                yield window.first_output + offset, heat[offset], size

    def _predict_batch(
        self, batch: Sequence[_Window], sizes: Sequence[tuple[int, int]], tracker: BallTracker
    ) -> Iterator[FramePrediction]:
        for index, heat, size in self._heatmaps(batch, sizes):
            yield self._frame_prediction(index, heat, size, tracker)

    def _frame_prediction(
        self, index: int, heat: np.ndarray, size: tuple[int, int], tracker: BallTracker
    ) -> FramePrediction:
        chosen = tracker.update(index, find_blobs(heat, self.config.threshold))
        if chosen is None:
            return FramePrediction(index, math.nan, math.nan, float(heat.max()), False)
        x, y = scale_to_original(chosen.x, chosen.y, self.config.input_size, size)
        return FramePrediction(index, x, y, chosen.peak, True)


def _in_answer_pixels(
    frames: Iterable[FrameCandidates], scale: tuple[float, float]
) -> Iterator[FrameCandidates]:
    """Motion candidates found in the frames as given, moved into the answers' pixels (an
    endpoint gets frames already resized to the network input: upscaling them back for the
    detector would only cost time)."""
    if scale == (1.0, 1.0):
        yield from frames
        return
    sx, sy = scale
    for frame in frames:
        moved = tuple(
            Candidate((c.x + 0.5) * sx - 0.5, (c.y + 0.5) * sy - 0.5, c.score, c.area * sx * sy)
            for c in frame.candidates
        )
        yield FrameCandidates(frame.index, moved, frame.cut, frame.repeat)


# ---------------------------------------------------------------------- request format


@dataclass(frozen=True)
class FramesRequest:
    """A decoded serving request: RGB frames, the video size, the first frame's number."""

    frames: list[np.ndarray]
    original_size: tuple[int, int]
    first_frame: int = 0


def encode_frames_request(
    frames: Sequence[np.ndarray],
    original_size: tuple[int, int],
    first_frame: int = 0,
    quality: int = 90,
) -> bytes:
    """The body of an `application/x-tracknet-frames` request.

    An .npz archive (read back without pickle) with `jpeg`: the JPEG files of the RGB
    frames, already resized to the model input, concatenated; `offsets`: int64 (N+1,)
    byte offsets into it; `orig_size`: int64 (width, height) of the video that answers
    are scaled to; `first_frame`: the number the answers start counting from. JPEG keeps
    a 288x512 frame at tens of kB, where raw pixels take 442 kB.
    """
    encoded = []
    for frame in frames:
        bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        encoded.append(data.ravel())
    offsets = np.cumsum([0] + [len(e) for e in encoded]).astype(np.int64)
    joined = np.concatenate(encoded) if encoded else np.zeros(0, np.uint8)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        jpeg=joined,
        offsets=offsets,
        orig_size=np.asarray(original_size, np.int64),
        first_frame=np.int64(first_frame),
    )
    return buffer.getvalue()


def decode_frames_request(body: bytes) -> FramesRequest:
    """The request `encode_frames_request` wrote.

    Also accepts `frames`: uint8 (N, H, W, 3) RGB instead of `jpeg`/`offsets`, for
    clients that want lossless input; `first_frame` is optional.
    """
    with np.load(io.BytesIO(body), allow_pickle=False) as archive:
        width, height = (int(v) for v in archive["orig_size"])
        first = int(archive["first_frame"]) if "first_frame" in archive else 0
        if "frames" in archive:
            frames = list(archive["frames"].astype(np.uint8, copy=False))
        else:
            joined, offsets = archive["jpeg"], archive["offsets"]
            frames = [_decode_jpeg(joined[a:b]) for a, b in itertools.pairwise(offsets)]
    return FramesRequest(frames, (width, height), first)


def _decode_jpeg(data: np.ndarray) -> np.ndarray:
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("a frame of the request is not a readable JPEG")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
