"""SageMaker PyTorch serving handler: several frames in, ball positions out as JSON.

Request: content type `application/x-tracknet-frames`, an .npz archive made by
`tracknet.predict.encode_frames_request`: the frames as JPEGs already resized to the model
input (about 30-60 kB each at 288x512, so 9 frames stay far below SageMaker's 6 MB
limit), the original video size (answers come back in its pixels) and the number of the
first frame. Each request is predicted on its own: its frames form the model's windows,
and the tracker starts fresh, so send whole windows (multiples of 3 frames) in order.

Response: `application/json`,
`{"predictions": [{"frame": 12, "x": 640.5, "y": 301.2, "confidence": 0.93,
"visible": true}, ...]}`, with x and y null when no ball is visible.

The container runs this file from `code/` next to the `tracknet` package, so the very
post-processing of local prediction (tracknet.predict.Predictor) serves the endpoint.
"""

from __future__ import annotations

import json
import math
from typing import Any

from tracknet.modelfile import load_model
from tracknet.predict import (
    REQUEST_CONTENT_TYPE,
    FramePrediction,
    FramesRequest,
    Predictor,
    decode_frames_request,
    pick_device,
)

JSON_CONTENT_TYPE = "application/json"


def model_fn(model_dir: str) -> Predictor:
    """Load the model folder SageMaker unpacked (model.safetensors + config.json)."""
    device = pick_device()
    model, config = load_model(model_dir, device=device)
    return Predictor(model, config, device=str(device))


def input_fn(request_body: bytes, request_content_type: str) -> FramesRequest:
    """Decode the frames of a request; any other content type is refused."""
    if request_content_type.split(";")[0].strip() != REQUEST_CONTENT_TYPE:
        raise ValueError(
            f"unsupported content type {request_content_type!r}; send {REQUEST_CONTENT_TYPE}"
        )
    if isinstance(request_body, str):  # some runtimes hand over text; the body is binary
        request_body = request_body.encode("latin-1")
    return decode_frames_request(bytes(request_body))


def predict_fn(request: FramesRequest, predictor: Predictor) -> list[FramePrediction]:
    """Run the shared prediction path, numbering frames from the request's first frame."""
    predictions = predictor.predict_frames(request.frames, original_size=request.original_size)
    return [
        FramePrediction(p.index + request.first_frame, p.x, p.y, p.confidence, p.visible)
        for p in predictions
    ]


def output_fn(predictions: list[FramePrediction], accept: str = JSON_CONTENT_TYPE) -> str:
    """The JSON response: positions and confidences, never heatmaps."""
    if accept and accept.split(";")[0].strip() not in (JSON_CONTENT_TYPE, "*/*"):
        raise ValueError(f"unsupported accept type {accept!r}; ask for {JSON_CONTENT_TYPE}")
    return json.dumps({"predictions": [_as_json(p) for p in predictions]})


def _as_json(p: FramePrediction) -> dict[str, Any]:
    return {
        "frame": p.index,
        "x": None if math.isnan(p.x) else round(p.x, 2),
        "y": None if math.isnan(p.y) else round(p.y, 2),
        "confidence": round(p.confidence, 4),
        "visible": p.visible,
    }
