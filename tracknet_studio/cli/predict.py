"""`tracknet-studio predict VIDEO -o TRACK.csv [--method motion|model|fused]`: the ball in
every frame, from the auto-track (no model), a trained model, or both fused.

Frames are decoded in order by the app's frame-exact VideoReader (so frame numbers match
the app's), fed to the method's predictor (tracknet_studio.inference.methods: motion
candidates and/or the network's, one physics tracker) and written through
tracknet_studio.formats in the seed's prediction form `Frame,Visibility,X,Y,Time` unless
--form says otherwise. Memory does not grow with the video's length. The default weights
are the shipped ones (their README: tracknet_studio/resources/weights/).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..extras import missing_message
from ..formats.csv_tracks import CsvForm
from ..inference import DEFAULT_WEIGHTS
from ..inference.batch import predict_file
from ..inference.local import SHIPPED_WEIGHTS, model_extra_installed
from ..inference.methods import METHODS, default_method, make_predictor
from ..video import VideoError
from ._common import ProgressBar, frame_range

__all__ = ["DEFAULT_WEIGHTS", "SHIPPED_WEIGHTS", "register", "run"]


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
            print(f"error: {missing_message('model', f'--method {method}')}", file=sys.stderr)
            return 2
        if not args.weights.exists():
            print(f"error: no weights at {args.weights}", file=sys.stderr)
            return 2
    predictor = make_predictor(method, args.weights, args.device, args.runtime,
                               args.batch_size)  # fmt: skip
    bar = ProgressBar(0, not args.quiet)
    try:
        result = predict_file(args.video, args.output, predictor, frames=args.range or (None, None),
                              form=args.form, progress=bar)  # fmt: skip
    except VideoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # an empty frame range
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.finish(result.frames)
    for note in getattr(predictor, "notes", []):
        print(f"warning: {note}", file=sys.stderr)
    print(
        f"{result.frames} frames in {result.seconds:.1f} s ({result.fps:.1f} fps, "
        f"{result.predictor}): ball in {result.found}; wrote {args.output}"
    )
    return 0
