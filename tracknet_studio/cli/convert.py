"""`tracknet-studio convert SRC DST`: any readable ball-track file to any writable one.

SRC: a CSV of a known form (detected by header), a project file, a Ground Truth output
manifest (`*.manifest`) or a folder in Ground Truth's output layout.
DST: `--to csv|groundtruth|project|labeling-job|adjustment-job`, by default from DST's name
(.csv, .tnproj, otherwise a Ground Truth output folder). The two job targets write what a new
Ground Truth labeling job (or an adjustment job pre-filled with the track) needs: frame
images from `--video`, the sequence file, the input manifest and the label configuration.
`--video` gives the frame count, image size, frame rate and
fingerprint (a project written with it is tied to that video). Prints what was read:
frames imported, frames skipped and why.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.project import Project
from ..core.track import Track
from ..formats.csv_tracks import CsvForm, CsvOptions, write_csv
from ..formats.errors import FormatError, ImportReport
from ..formats.groundtruth import FrameMap, GtImportOptions
from ..formats.groundtruth_export import write_groundtruth, write_labeling_job
from ..formats.project_file import SUFFIX as PROJECT_SUFFIX
from ..formats.project_file import save_project
from ..formats.tracks import TrackOptions, read_track
from ._common import ProgressBar, frame_range, image_size

TARGETS = ("csv", "groundtruth", "project", "labeling-job", "adjustment-job")
JOB_TARGETS = ("labeling-job", "adjustment-job")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "convert", help="convert a ball track between CSV, Ground Truth, project"
    )
    p.add_argument("src", type=Path, help="CSV, project, GT output manifest or GT output folder")
    p.add_argument("dst", type=Path, help="file or folder to write")
    p.add_argument("--to", choices=TARGETS, help="what to write (default: from DST's name)")
    p.add_argument("--video", type=Path, help="the video: frame count, size, fps, fingerprint")
    p.add_argument(
        "--csv-form",
        choices=[f.value for f in CsvForm],
        help="CSV form to write (default: the source's form, else badminton)",
    )
    p.add_argument(
        "--normalized", type=image_size, metavar="WxH", help="CSV x, y are fractions of WxH"
    )
    p.add_argument(
        "--state-code-visibility",
        action="store_true",
        help="the CSV visibility column is a state code where 0 means visible",
    )
    p.add_argument(
        "--image-size", type=image_size, metavar="WxH", help="skip positions outside WxH"
    )
    p.add_argument("--n-frames", type=int, help="the video's frame count (default: from --video)")
    p.add_argument("--fps", type=float, help="frame rate for the prediction form's Time column")
    p.add_argument("--layer", help="the project layer to convert (default: labels)")
    gt = p.add_argument_group("Ground Truth input")
    gt.add_argument("--object", help="the tracked object to import when there are several")
    gt.add_argument("--label-attribute", help="the '*-ref' attribute when a line has several")
    gt.add_argument(
        "--by-position",
        action="store_true",
        help="number frames by their position in the sequence, not by their file names",
    )
    gt.add_argument("--stride", type=int, default=1, help="video frames per sequence frame")
    gt.add_argument("--offset", type=int, default=0, help="video frame of sequence frame 0")
    job = p.add_argument_group("Ground Truth job output (--to labeling-job|adjustment-job)")
    job.add_argument("--base-uri", help="where DST will be uploaded, e.g. s3://bucket/jobs/rally1/")
    job.add_argument("--frames", type=frame_range, metavar="A:B", help="frames A..B-1 only")
    job.add_argument("--every", type=int, default=1, help="take every N-th frame (default 1)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        video = _video_facts(args.video) if args.video else None
        n_frames = args.n_frames or (video["frame_count"] if video else None)
        image_size = args.image_size or (video["size"] if video else None)
        project, report, form = _read(args, n_frames, image_size)
        if report is not None:
            print(report.summary())
        track = project.layer(args.layer) if args.layer else project.labels
        if n_frames is not None and len(track) != n_frames:
            track = track.resized(n_frames)
        target = args.to or _target_of(args.dst)
        fps = args.fps or (video["fps"] if video else None)
        _write(args, target, project, track, form, fps, video)
    except FormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {target} {args.dst}: {int(track.labeled.sum())} labeled of {len(track)} frames")
    return 0


def _video_facts(path: Path) -> dict:
    from ..video import VideoError, VideoReader  # the CLI sits above video and formats

    try:
        with VideoReader(path) as reader:
            return {
                "frame_count": reader.frame_count,
                "size": (reader.width, reader.height),
                "fps": reader.fps,
                "fingerprint": dict(reader.fingerprint),
                "path": str(path),
            }
    except VideoError as exc:
        raise FormatError(path, exc.problem) from exc


def _target_of(dst: Path) -> str:
    suffix = dst.suffix.lower()
    return "csv" if suffix == ".csv" else "project" if suffix == PROJECT_SUFFIX else "groundtruth"


def _read(
    args: argparse.Namespace, n_frames: int | None, image_size: tuple[int, int] | None
) -> tuple[Project, ImportReport | None, CsvForm | None]:
    csv = CsvOptions(
        normalized=args.normalized,
        state_code_visibility=True if args.state_code_visibility else None,
    )
    frame_map = FrameMap(by="position" if args.by_position else "name", stride=args.stride,
                         offset=args.offset)  # fmt: skip
    groundtruth = GtImportOptions(frame_map=frame_map, object_name=args.object,
                                  label_attribute=args.label_attribute)  # fmt: skip
    options = TrackOptions(n_frames, image_size, csv, groundtruth)
    read = read_track(args.src, options)
    assert read is not None  # the command line asks no questions
    return read.project, read.report, read.form


def _write(
    args: argparse.Namespace,
    target: str,
    project: Project,
    track: Track,
    form: CsvForm | None,
    fps: float | None,
    video: dict | None,
) -> None:
    if target == "csv":
        out_form = CsvForm(args.csv_form) if args.csv_form else form or CsvForm.BADMINTON
        size = args.normalized or (video["size"] if video else None)
        write_csv(track, args.dst, out_form, fps=fps, image_size=size)
    elif target == "groundtruth":
        write_groundtruth(track, args.dst)
    elif target in JOB_TARGETS:
        _write_job(args, track, adjustment=target == "adjustment-job")
    else:  # the whole project: every layer, fitted to the video's frame count
        if video and project.fingerprint and project.fingerprint != video["fingerprint"]:
            # Labels belong to exact frames: say so when they are tied to another video.
            print(f"note: the labels were made on another video than {video['path']}; "
                  "the project now points at it", file=sys.stderr)  # fmt: skip
        n = len(track)
        out = Project(
            labels=project.labels.resized(n),
            video_path=video["path"] if video else project.video_path,
            fingerprint=video["fingerprint"] if video else project.fingerprint,
            predictions={n: t.resized(n) for n, t in project.predictions.items()},
            review=project.review,
            view=project.view,
        )
        save_project(out, args.dst)


def _write_job(args: argparse.Namespace, track: Track, *, adjustment: bool) -> None:
    if args.video is None or not args.base_uri:
        raise ValueError("a Ground Truth job needs --video (for the frames) and --base-uri")
    if args.every < 1:
        raise ValueError(f"--every must be at least 1, got {args.every}")
    from ..video import VideoReader  # the CLI sits above video and formats

    start, stop = args.frames or (None, None)
    frames = range(len(track))[slice(start, stop, args.every)]
    bar = ProgressBar(len(frames))
    with VideoReader(args.video) as reader:
        write_labeling_job(
            track,
            args.dst,
            frames,
            reader.frame,
            base_uri=args.base_uri,
            job_name=args.dst.name or "tracknet-studio",
            adjustment=adjustment,
            progress=bar,
        )
    bar.finish(len(frames))
