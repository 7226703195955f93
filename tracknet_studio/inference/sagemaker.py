"""A SageMaker real-time endpoint as a Predictor.

Frames are resized to the model input and sent in the compact request of
`tracknet.predict.encode_frames_request` (JPEGs in an .npz, tens of kB a frame), many
frames per request but always under SageMaker's 6 MB payload limit: a request that comes
out too large is split in two. An invocation must answer within 60 s: the first request is
small, and the next ones are sized from the speed it measured to take about 20 s; a model
too slow for that is refused with a clear message. The serving handler
(entrypoints/inference.py) starts its tracker fresh on each request and wants
whole windows, so requests hold multiples of the window length, and the last one is padded
by repeating its final frame
(those answers are dropped).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import cv2
import numpy as np

from tracknet_studio.cloud.settings import CloudSettings

from .base import FramePrediction, Progress

REQUEST_CONTENT_TYPE = "application/x-tracknet-frames"
# SageMaker refuses request bodies over 6 MB; keep a margin for the archive's headers.
MAX_PAYLOAD = 5_500_000
# A real-time invocation must answer within 60 s (SageMaker Developer Guide, "Real-time
# inference": the container has 60 seconds to respond to /invocations). Requests are sized
# from the endpoint's measured speed to take about a third of that.
INVOCATION_LIMIT_S = 60.0
TARGET_REQUEST_S = 20.0
FIRST_REQUEST_WINDOWS = 2  # the first request is small: it measures the endpoint's speed
MAX_FRAMES_PER_REQUEST = 600
# A request is sized to this share of the payload limit: frames vary in how well they
# compress, so the next request's frames may take a little more than the last one's.
PAYLOAD_MARGIN = 0.9


class PayloadTooLarge(ValueError):
    """One window of frames alone is over the payload limit."""


class EndpointTooSlow(RuntimeError):
    """One window of frames would take longer than an invocation may."""


class UnreadableReply(ValueError):
    """The endpoint answered something other than the serving handler's JSON."""


class EndpointPredictor:
    """Predict through a deployed endpoint.

    `input_size` is the model's (height, width); `window` its frames per pass (frames_in);
    `frames_per_request` the batch aimed at (fewer when the payload would be too large).
    """

    def __init__(
        self,
        settings: CloudSettings,
        endpoint_name: str,
        *,
        input_size: tuple[int, int] = (288, 512),
        window: int = 3,
        frames_per_request: int | None = None,
        max_payload: int = MAX_PAYLOAD,
        runtime: Any = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.name = f"SageMaker endpoint {endpoint_name}"
        self.endpoint_name = endpoint_name
        self.input_size = input_size
        self.window = window
        # None: sized from the endpoint's measured speed, starting small.
        self.adaptive = frames_per_request is None
        self.frames_per_request = self._whole_windows(
            frames_per_request or FIRST_REQUEST_WINDOWS * window
        )
        self.max_payload = max_payload
        self.settings = settings
        self._runtime = runtime
        self.clock = clock
        self.frames_per_second: float | None = None  # measured on the last request
        # The most frames one request body holds under max_payload, once a body measured
        # it: adaptive sizing never asks for more, so no request is encoded twice.
        self.frames_that_fit: int | None = None
        self.notes: list[str] = []
        # What the run costs beyond the endpoint's hours: requests made, bytes sent.
        self.requests_sent = 0
        self.bytes_sent = 0

    @property
    def runtime(self) -> Any:
        """The sagemaker-runtime client, made when first used: boto3 takes a while to
        import, and the window builds predictors on its UI thread."""
        if self._runtime is None:
            from tracknet_studio.cloud import session as aws

            self._runtime = aws.client(self.settings, "sagemaker-runtime")
        return self._runtime

    def explain_failure(self, exc: BaseException) -> str:
        return explain_failure(exc, self.endpoint_name)

    def cost(self) -> str:
        """What the run has cost so far beyond the endpoint's hours: "3 requests, 1.2 MiB"."""
        n, sent = self.requests_sent, self.bytes_sent
        size = f"{sent / 2**20:.1f} MiB" if sent >= 2**20 else f"{sent / 2**10:.0f} KiB"
        return f"{n} request{'' if n == 1 else 's'}, {size} sent"

    def describe(self) -> str:
        return f"{self.name} ({self.cost()})"

    def _whole_windows(self, frames: int) -> int:
        return max(self.window, frames - frames % self.window)

    def predict(
        self,
        frames: Iterable[np.ndarray],
        *,
        start: int,
        original_size: tuple[int, int],
        progress: Progress | None = None,
    ) -> Iterator[FramePrediction]:
        total = len(frames) if hasattr(frames, "__len__") else 0  # type: ignore[arg-type]
        done = 0
        batch: list[np.ndarray] = []
        for frame in frames:
            batch.append(self._resize(frame))
            if len(batch) == self.frames_per_request:
                yield from self._answer(batch, start + done, original_size)
                done += len(batch)
                batch = []
                if progress is not None:
                    progress(done, total)
        if batch:
            yield from self._answer(batch, start + done, original_size)
            done += len(batch)
            if progress is not None:
                progress(done, total)

    def _resize(self, frame: np.ndarray) -> np.ndarray:
        height, width = self.input_size
        if frame.shape[:2] == (height, width):
            return frame
        return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)

    def _answer(
        self, frames: list[np.ndarray], first: int, original_size: tuple[int, int]
    ) -> Iterator[FramePrediction]:
        """Answers for `frames`, numbered from `first`, in as few requests as fit."""
        n = len(frames)
        padded = frames + [frames[-1]] * (-n % self.window)
        body = encode_request(padded, original_size, first)
        self._learn_size(len(body), len(padded))
        if len(body) > self.max_payload:
            windows = math.ceil(len(padded) / self.window)
            if windows == 1:
                raise PayloadTooLarge(
                    f"{len(padded)} frames make {len(body)} bytes, over {self.max_payload}"
                )
            half = (windows // 2) * self.window
            yield from self._answer(frames[:half], first, original_size)
            yield from self._answer(frames[half:], first + half, original_size)
            return
        started = self.clock()
        answers = self.invoke(body)
        self._measured(len(padded), self.clock() - started)
        for index in range(first, first + n):
            yield answers.get(index) or FramePrediction(index, math.nan, math.nan, 0.0, False)

    def _learn_size(self, body_bytes: int, frames: int) -> None:
        per_frame = body_bytes / max(frames, 1)
        fit = self._whole_windows(int(self.max_payload * PAYLOAD_MARGIN / per_frame))
        self.frames_that_fit = (
            fit if self.frames_that_fit is None else min(fit, self.frames_that_fit)
        )
        self.frames_per_request = min(self.frames_per_request, self.frames_that_fit)

    def _measured(self, frames: int, seconds: float) -> None:
        """Size the next requests to take TARGET_REQUEST_S at the speed just measured."""
        if seconds <= 0:
            return
        self.frames_per_second = frames / seconds
        if self.window / self.frames_per_second > INVOCATION_LIMIT_S:
            raise EndpointTooSlow(
                f"{self.endpoint_name} answered {frames} frames in {seconds:.0f} s: one window "
                f"of {self.window} frames would take longer than the {INVOCATION_LIMIT_S:.0f} s "
                "an invocation may; this model is too slow for a real-time endpoint (use a "
                "faster instance type or predict locally)"
            )
        if seconds > INVOCATION_LIMIT_S / 2:
            limit = INVOCATION_LIMIT_S
            self.notes.append(f"a request of {frames} frames took {seconds:.0f} s, more than "
                              f"half of the {limit:.0f} s SageMaker allows")  # fmt: skip
        if self.adaptive:
            wanted = int(self.frames_per_second * TARGET_REQUEST_S)
            most = min(MAX_FRAMES_PER_REQUEST, self.frames_that_fit or MAX_FRAMES_PER_REQUEST)
            self.frames_per_request = self._whole_windows(min(wanted, most))

    def invoke(self, body: bytes) -> dict[int, FramePrediction]:
        """Send one request; its answers by frame number."""
        self.requests_sent += 1
        self.bytes_sent += len(body)
        reply = self.runtime.invoke_endpoint(
            EndpointName=self.endpoint_name,
            Body=body,
            ContentType=REQUEST_CONTENT_TYPE,
            Accept="application/json",
        )
        return parse_reply(reply["Body"].read(), self.endpoint_name)


def encode_request(
    frames: list[np.ndarray], original_size: tuple[int, int], first_frame: int
) -> bytes:
    """The serving request (tracknet.predict's format; imported here, as it loads torch)."""
    from tracknet.predict import encode_frames_request

    return encode_frames_request(frames, original_size, first_frame)


def parse_reply(raw: bytes, endpoint: str = "the endpoint") -> dict[int, FramePrediction]:
    """entrypoints/inference.py's JSON answer: positions in original pixels, null when unseen.

    Raises UnreadableReply, naming the endpoint and quoting the reply's start, for anything
    else (an endpoint serving another model answers in its own format)."""
    try:
        items = json.loads(raw)["predictions"]
        return dict(_prediction(item) for item in items)
    except (ValueError, KeyError, TypeError) as exc:
        quoted = raw[:80].decode("utf-8", "replace")
        raise UnreadableReply(
            f"{endpoint} answered something other than TrackNet predictions "
            f"({type(exc).__name__}: {exc}; the reply starts {quoted!r}): does it serve a "
            "TrackNet Studio model?"
        ) from exc


def _prediction(item: dict[str, Any]) -> tuple[int, FramePrediction]:
    x, y = item.get("x"), item.get("y")
    visible = bool(item.get("visible")) and x is not None and y is not None
    frame = int(item["frame"])
    return frame, FramePrediction(
        frame,
        float(x) if visible else math.nan,
        float(y) if visible else math.nan,
        float(item.get("confidence", 0.0)),
        visible,
    )


def explain_failure(exc: BaseException, endpoint: str) -> str:
    """Why a run through `endpoint` stopped, in plain words, keeping AWS's own message.

    The codes are InvokeEndpoint's documented errors (SageMaker Runtime API Reference);
    throttling and 5xx answers reach here only after the client's retries gave up."""
    from tracknet_studio.cloud.check import explain

    response = getattr(exc, "response", None)  # botocore's ClientError carries one
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    code, message = error.get("Code", ""), error.get("Message", "") or str(exc)
    logs = f"its log is in CloudWatch under /aws/sagemaker/Endpoints/{endpoint}"
    if code == "ValidationException" and "not found" in message.lower():
        return f"The endpoint {endpoint} no longer exists (deleted meanwhile?): {message}"
    if code == "ModelError":
        return f"The model on {endpoint} failed on a request ({message}); {logs}."
    if code == "ModelNotReadyException":
        return f"The model on {endpoint} is not ready to answer yet ({message}): resume later."
    if code in ("ThrottlingException", "ServiceUnavailable", "InternalFailure",
                "InternalDependencyException"):  # fmt: skip
        return f"{endpoint} stayed unavailable after retries ({code}: {message}): resume later."
    if isinstance(exc, (UnreadableReply, EndpointTooSlow, PayloadTooLarge)):
        return str(exc)
    return explain(exc)
