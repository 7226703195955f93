"""A SageMaker real-time endpoint as a Predictor.

Frames are resized to the model input and sent in the compact request of
`tracknet.predict.encode_frames_request` (JPEGs in an .npz, tens of kB a frame), many
frames per request but always under SageMaker's 6 MB payload limit: a request that comes
out too large is split in two. The serving handler (model/inference.py) starts its tracker
fresh on each request and wants whole windows, so requests hold multiples of the window
length, and the last one is padded by repeating its final frame (those answers are dropped).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

import cv2
import numpy as np

from tracknet_studio.cloud import session as aws
from tracknet_studio.cloud.settings import CloudSettings

from .base import FramePrediction, Progress

REQUEST_CONTENT_TYPE = "application/x-tracknet-frames"
# SageMaker refuses request bodies over 6 MB; keep a margin for the archive's headers.
MAX_PAYLOAD = 5_500_000


class PayloadTooLarge(ValueError):
    """One window of frames alone is over the payload limit."""


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
        frames_per_request: int = 60,
        max_payload: int = MAX_PAYLOAD,
        runtime: Any = None,
    ) -> None:
        self.name = f"SageMaker endpoint {endpoint_name}"
        self.endpoint_name = endpoint_name
        self.input_size = input_size
        self.window = window
        self.frames_per_request = max(window, frames_per_request - frames_per_request % window)
        self.max_payload = max_payload
        self.runtime = runtime or aws.client(settings, "sagemaker-runtime")

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
        answers = self.invoke(body)
        for index in range(first, first + n):
            yield answers.get(index) or FramePrediction(index, math.nan, math.nan, 0.0, False)

    def invoke(self, body: bytes) -> dict[int, FramePrediction]:
        """Send one request; its answers by frame number."""
        reply = self.runtime.invoke_endpoint(
            EndpointName=self.endpoint_name,
            Body=body,
            ContentType=REQUEST_CONTENT_TYPE,
            Accept="application/json",
        )
        return parse_reply(reply["Body"].read())


def encode_request(
    frames: list[np.ndarray], original_size: tuple[int, int], first_frame: int
) -> bytes:
    """The serving request (tracknet.predict's format; imported here, as it loads torch)."""
    from tracknet.predict import encode_frames_request

    return encode_frames_request(frames, original_size, first_frame)


def parse_reply(raw: bytes) -> dict[int, FramePrediction]:
    """model/inference.py's JSON answer: positions in original pixels, null when unseen."""
    answers: dict[int, FramePrediction] = {}
    for item in json.loads(raw)["predictions"]:
        x, y = item.get("x"), item.get("y")
        visible = bool(item.get("visible")) and x is not None and y is not None
        answers[int(item["frame"])] = FramePrediction(
            int(item["frame"]),
            float(x) if visible else math.nan,
            float(y) if visible else math.nan,
            float(item.get("confidence", 0.0)),
            visible,
        )
    return answers
