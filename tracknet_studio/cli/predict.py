"""`tracknet-studio predict VIDEO -o TRACK.csv [--method motion|model|fused]`: the ball in
every frame, from the auto-track (no model), a trained model, or both fused.

Frames are decoded in order by the app's frame-exact VideoReader (so frame numbers match
the app's), fed to the method's predictor (tracknet_studio.inference.methods: motion
candidates and/or the network's, one physics tracker) and written through
tracknet_studio.formats in the seed's prediction form `Frame,Visibility,X,Y,Time` unless
--form says otherwise. Memory does not grow with the video's length. The default weights
are the shipped ones, trained on synthetic clips only (resources/weights/*/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..formats.csv_tracks import CsvForm, write_csv
from ..inference import DEFAULT_WEIGHTS, clamp_range, predict_track
from ..inference.local import SHIPPED_WEIGHTS, model_extra_installed
from ..inference.methods import METHODS, default_method, make_predictor
from ..video import VideoError, VideoReader
from ._common import ProgressBar, frame_range

__all__ = ["DEFAULT_WEIGHTS", "SHIPPED_WEIGHTS", "register", "run"]
READER_CACHE_MB = 16  # frames are read once, in order: a big cache would only cost memory


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict", help="predict the ball track of a video (auto-track or model)"
    )
    p.add_argument("video", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="track CSV to write")
    p.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="model folder, model.tar.gz, .safetensors or checkpoint (default: shipped)",
    )
    p.add_argument("--device", default="auto", help="auto (CUDA > MPS > CPU), cpu, cuda, mps")
    p.add_argument("--runtime", choices=("auto", "torch", "onnx"), default="auto")
    p.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="motion: auto-track, no model; model: the network; fused: candidates of both "
        "(default; motion when no model can run and no --weights were given)",
    )
    p.add_argument("--range", type=frame_range, metavar="A:B", help="frames A..B-1 only")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument(
        "--form",
        choices=[f.value for f in CsvForm],
        default=CsvForm.PREDICTION.value,
        help="CSV form to write (default: prediction, Frame,Visibility,X,Y,Time)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Weights asked for by name must be used; the shipped ones only where they can run.
    method = args.method or ("fused" if args.weights else default_method())
    args.weights = args.weights or DEFAULT_WEIGHTS
    if method != "motion":
        if not model_extra_installed():
            print("error: the model extra is not installed (no torch)", file=sys.stderr)
            return 2
        if not args.weights.exists():
            print(f"error: no weights at {args.weights}", file=sys.stderr)
            return 2
    try:
        reader = VideoReader(args.video, cache_mb=READER_CACHE_MB)
    except VideoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with reader:
        start, stop = clamp_range(reader.frame_count, *(args.range or (None, None)))
        if start >= stop:
            print(f"error: empty frame range {start}:{stop}", file=sys.stderr)
            return 2
        predictor = make_predictor(method, args.weights, args.device, args.runtime,
                                   args.batch_size)  # fmt: skip
        predictor.load()
        bar = ProgressBar(stop - start, not args.quiet)
        started = time.monotonic()
        track = predict_track(reader, predictor, start, stop, lambda done, _total: bar.update(done))
        seconds = time.monotonic() - started
        bar.finish(stop - start)
        write_csv(track, args.output, args.form, fps=reader.fps or None,
                  image_size=(reader.width, reader.height))  # fmt: skip
    for note in getattr(predictor, "notes", []):
        print(f"warning: {note}", file=sys.stderr)
    found = int(track.has_ball.sum())
    print(
        f"{stop - start} frames in {seconds:.1f} s ({(stop - start) / seconds:.1f} fps, "
        f"{predictor.describe()}): ball in {found}; wrote {args.output}"
    )
    return 0
