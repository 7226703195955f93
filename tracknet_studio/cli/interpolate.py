"""`tracknet-studio interpolate TRACK OUT`: fill the gaps of a ball track's file and write it.

TRACK is a project file (.tnproj: its label layer is filled, everything else kept) or a
CSV of any form the formats package knows (detected from the header). OUT is written as a
project when it ends in .tnproj (or with `--to project`), otherwise as CSV in the input's
CSV form, or badminton for a project, unless `--form` names another. Frames without a row
are the gaps; labeled frames are never changed. With `--fill-no-ball`, the "no ball" rows
of a prediction file (the detector's misses) count as gaps too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.interpolate import Method, find_gaps, interpolate
from ..core.project import Project
from ..formats.csv_tracks import CsvForm, CsvOptions, write_csv
from ..formats.errors import FormatError
from ..formats.project_file import SUFFIX as PROJECT_SUFFIX
from ..formats.project_file import save_project
from ..formats.tracks import TrackKind, TrackOptions, read_track

PROG = "tracknet-studio interpolate"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("interpolate", help="fill the gaps of a ball track between keyframes")
    p.add_argument("track", type=Path, help=f"project ({PROJECT_SUFFIX}) or ball-track CSV")
    p.add_argument("out", type=Path, help="file to write")
    p.add_argument(
        "--method",
        choices=[m.value for m in Method],
        default=Method.BALLISTIC.value,
        help="linear, or ballistic: a parabolic fit per flight (default %(default)s)",
    )
    p.add_argument("--max-gap", type=int, metavar="N", help="fill only gaps of at most N frames")
    p.add_argument(
        "--to",
        choices=["csv", "project"],
        help=f"what to write (default: project when OUT ends in {PROJECT_SUFFIX}, else csv)",
    )
    p.add_argument(
        "--form",
        choices=[f.value for f in CsvForm],
        help="CSV form to write (default: the input's form; badminton for a project)",
    )
    p.add_argument("--start", type=int, default=0, help="first frame that may be filled")
    p.add_argument("--stop", type=int, help="fill frames before this one only")
    p.add_argument(
        "--fill-no-ball",
        action="store_true",
        help="treat 'no ball' rows no person labeled (a detector's misses) as gaps",
    )
    p.add_argument(
        "--normalized",
        type=int,
        nargs=2,
        metavar=("WIDTH", "HEIGHT"),
        help="x, y are fractions of a WIDTHxHEIGHT image (read and written so)",
    )
    p.add_argument(
        "--state-code-visibility",
        action="store_true",
        help="the visibility column is a state code where 0 means visible",
    )
    p.add_argument("--fps", type=float, help="frame rate, for the prediction form's Time column")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.max_gap is not None and args.max_gap < 1:
        return _fail("--max-gap must be at least 1")
    try:
        project, in_form = _read(args)
        out_form = CsvForm(args.form) if args.form else in_form or CsvForm.BADMINTON
        to_project = (args.to or _output_kind(args.out)) == "project"
    except FormatError as exc:
        return _fail(str(exc))
    track = project.labels
    in_gaps = int(find_gaps(track, args.max_gap, args.fill_no_ball).lengths.sum())
    edit = interpolate(
        track,
        args.method,
        start=args.start,
        stop=args.stop,
        max_gap=args.max_gap,
        fill_no_ball=args.fill_no_ball,
    )
    track.apply(edit.after)
    try:
        if to_project:
            save_project(project, args.out)
        else:
            image_size = tuple(args.normalized) if args.normalized else None
            write_csv(track, args.out, out_form, fps=args.fps, image_size=image_size)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot write {args.out}: {exc}")
    limit = "" if args.max_gap is None else f" of at most {args.max_gap} frames"
    print(
        f"{args.out}: filled {len(edit.frames)} frames ({args.method}); "
        f"gaps{limit} held {in_gaps} frames"
    )
    return 0


def _read(args: argparse.Namespace) -> tuple[Project, CsvForm | None]:
    """The input as a project, and its CSV form (None for a project file)."""
    csv = CsvOptions(
        normalized=tuple(args.normalized) if args.normalized else None,
        state_code_visibility=True if args.state_code_visibility else None,
    )
    read = read_track(args.track, TrackOptions(csv=csv))
    assert read is not None  # the command line asks no questions
    if read.kind is TrackKind.GROUNDTRUTH:
        raise FormatError(args.track, "interpolate reads CSV tracks and projects: convert a "
                          "Ground Truth output first")  # fmt: skip
    if read.report is not None and read.report.n_skipped:
        print(read.report.summary(), file=sys.stderr)
    return read.project, read.form


def _output_kind(path: Path) -> str:
    """ "project" for a .tnproj output, "csv" for anything else (a new file's name)."""
    return "project" if path.suffix.lower() == PROJECT_SUFFIX else "csv"


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2
