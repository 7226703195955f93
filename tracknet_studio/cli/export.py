"""`tracknet-studio export VIDEO -o OUT.mp4`: the video with the ball overlay burned in.

Layers come from track files read by the formats package, any form `convert` reads: a CSV
of a known form, a project file (its label layer), a Ground Truth output manifest or
folder. `--labels` gives the label layer (rings), each `--predictions` a prediction layer
(crosses, named after the file); `--project` adds a project's labels and all its prediction
layers. The export keeps the source's frame timestamps and audio; `--range A:B` exports
frames A..B-1 as a clip starting at time 0. A text progress bar runs on stderr; Ctrl+C or
an error leaves no output file behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.project import LABELS
from ..core.track import Track
from ..formats.errors import FormatError
from ..formats.project_file import load_project
from ..formats.tracks import TrackOptions, read_track
from ..video import VideoError, VideoReader
from ..video.export import ExportSettings, export_video
from ._common import ProgressBar, even_image_size, frame_range


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export", help="export the video with the ball overlay drawn in")
    p.add_argument("video", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="video to write (.mp4)")
    p.add_argument("--labels", type=Path, help="label track: CSV, project or Ground Truth output")
    p.add_argument(
        "--predictions",
        type=Path,
        nargs="+",
        default=[],
        metavar="TRACK",
        help="prediction tracks, one layer each, named after the file",
    )
    p.add_argument("--project", type=Path, help="project file: its labels and prediction layers")
    p.add_argument("--force", action="store_true",
                   help="draw a project's layers on a video it was not labelled on")  # fmt: skip
    p.add_argument("--trail", type=int, default=15, metavar="N", help="trail length in frames")
    p.add_argument("--range", type=frame_range, metavar="A:B", help="frames A..B-1 only")
    p.add_argument("--size", type=even_image_size, metavar="WxH", help="output size (even numbers)")
    p.add_argument("--crf", type=int, default=20, help="H.264 quality, 0..51, lower is better")
    p.add_argument("--preset", default="veryfast", help="x264 speed preset (default veryfast)")
    p.add_argument("--info", action="store_true", help="draw frame, time and speed")
    p.add_argument(
        "--legend", action="store_true", help="draw what each marker colour means (each layer)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        with VideoReader(args.video, cache_mb=1) as reader:
            n_frames, size = reader.frame_count, (reader.width, reader.height)
            fingerprint = dict(reader.fingerprint)
        layers = _layers(args, n_frames, size, fingerprint)
        start, stop = args.range or (None, None)
        settings = ExportSettings(
            start=start or 0,
            stop=stop,
            trail_length=args.trail,
            output_size=args.size,
            crf=args.crf,
            preset=args.preset,
            info_box=args.info,
            legend=args.legend,
        )
        bar = ProgressBar(0, enabled=not args.quiet)
        result = export_video(args.video, args.output, layers, settings, progress=bar)
        bar.finish(result.frames)
    except KeyboardInterrupt:
        print("\ncancelled: no file written", file=sys.stderr)
        return 130
    except (VideoError, FormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    audio = ", audio copied" if result.audio else ""
    rate = result.frames / max(result.seconds, 1e-9)
    print(f"wrote {result.path}: {result.frames} frames in {result.seconds:.1f} s "
          f"({rate:.1f} fps){audio}")  # fmt: skip
    return 0


def _layers(
    args: argparse.Namespace, n_frames: int, size: tuple[int, int], fingerprint: dict
) -> dict[str, Track]:
    """Layer name -> track fitted to the video's frame count; labels under LABELS."""
    layers: dict[str, Track] = {}
    if args.project is not None:
        loaded = load_project(args.project, current_fingerprint=fingerprint)
        if loaded.fingerprint_mismatch and not args.force:
            # As the window does: labels belong to exact frames of one video.
            raise ValueError(f"{args.project} was labelled on another video than "
                             f"{args.video.name} (size or content differ); --force draws it "
                             "anyway")  # fmt: skip
        project = loaded.project
        layers[LABELS] = project.labels
        layers.update(project.predictions)
    if args.labels is not None:
        layers[LABELS] = _read_track(args.labels, n_frames, size)
    for path in args.predictions:
        layers[_unique_name(path.stem, layers)] = _read_track(path, n_frames, size)
    if not layers:
        raise ValueError("nothing to draw: give --labels, --predictions or --project")
    return {name: track.resized(n_frames) for name, track in layers.items()}


def _unique_name(stem: str, taken: dict[str, Track]) -> str:
    name, k = stem, 2
    while name in taken or name == LABELS:
        name, k = f"{stem}-{k}", k + 1
    return name


def _read_track(path: Path, n_frames: int, size: tuple[int, int]) -> Track:
    """A track file of any form `convert` reads; a project file gives its labels."""
    read = read_track(path, TrackOptions(n_frames=n_frames, image_size=size))
    assert read is not None  # the command line asks no questions
    return read.track
