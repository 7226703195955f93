"""Predict many videos in one job, and bring the results back into projects.

`python -m tracknet_studio.inference.batch --input DIR --output DIR [--method M]
[--weights W] [--overlay]` predicts every video under DIR with the predictor that
`tracknet-studio predict` uses (one predictor, loaded once) and writes, for
`DIR/a/match.mp4`, the track `OUT/a/match.csv` (the prediction form), a summary
`OUT/a/match.json` and, with --overlay, `OUT/a/match.overlay.mp4`. The very same command is
the local backend's job and a SageMaker processing job's entry point: there each instance
finds its share of the videos in its input folder (ShardedByS3Key) and writes only theirs,
so instances never write the same file. A video that cannot be read is reported in its
summary and the job goes on; the exit status is 1 when any video failed.

`import_results` reads a finished job's tracks into the videos' projects (`match.tnproj`
beside `match.mp4`, created when missing) as a new prediction layer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core.project import new_project_for, unique_layer_name
from ..core.track import Track
from ..formats.atomic import atomic_write_text
from ..formats.csv_tracks import CsvForm, CsvOptions, read_csv, write_csv
from ..formats.errors import FormatError
from ..formats.project_file import SUFFIX, load_project, save_project
from ..video import VideoError, VideoReader
from .base import Predictor, Progress, clamp_range, predict_track
from .methods import METHODS, make_predictor

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mts", ".ts")
READER_CACHE_MB = 16  # frames are read once, in order: a big cache would only cost memory
OVERLAY_SUFFIX = ".overlay.mp4"


@dataclass(frozen=True)
class VideoPrediction:
    """What one video's prediction gave (also its summary file)."""

    video: str
    frames: int = 0
    found: int = 0  # frames with a ball
    seconds: float = 0.0
    predictor: str = ""
    error: str = ""  # why the video could not be predicted; empty when it was

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def predict_file(
    video: Path,
    output: Path,
    predictor: Predictor,
    *,
    frames: tuple[int | None, int | None] = (None, None),
    form: str = CsvForm.PREDICTION.value,
    progress: Progress | None = None,
) -> VideoPrediction:
    """Predict `video` (frames start..stop-1) into the track CSV `output`, loading the
    predictor (once) only after the video opened. Raises VideoError when the video cannot
    be read, ValueError for an empty range."""
    with VideoReader(video, cache_mb=READER_CACHE_MB) as reader:
        start, stop = clamp_range(reader.frame_count, *frames)
        if start >= stop:
            raise ValueError(f"empty frame range {start}:{stop}")
        load = getattr(predictor, "load", None)
        if callable(load):
            load()  # once the video is known to open: loading torch takes seconds
        started = time.monotonic()
        track = predict_track(reader, predictor, start, stop, progress)
        seconds = time.monotonic() - started
        write_csv(track, output, form, fps=reader.fps or None,
                  image_size=(reader.width, reader.height))  # fmt: skip
    found = int(track.has_ball.sum())
    return VideoPrediction(str(video), stop - start, found, seconds, predictor.describe())


def find_videos(folder: Path) -> list[Path]:
    """The videos under `folder`, in a stable order (overlays we wrote are not videos)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in VIDEO_SUFFIXES
        and not p.name.endswith(OVERLAY_SUFFIX)
    )


def result_paths(output: Path, relative: Path) -> tuple[Path, Path, Path]:
    """The track CSV, summary and overlay of the video at `relative` (to the input)."""
    stem = output / relative.parent / relative.stem
    return (stem.with_suffix(".csv"), stem.with_suffix(".json"),
            stem.with_name(stem.name + OVERLAY_SUFFIX))  # fmt: skip


def predict_folder(
    input_dir: Path,
    output_dir: Path,
    predictor: Predictor,
    *,
    overlay: bool = False,
    log: Callable[[str], None] = print,
) -> list[VideoPrediction]:
    """Predict every video under `input_dir` into `output_dir` (see the module)."""
    videos = find_videos(input_dir)
    log(f"{len(videos)} videos under {input_dir}")
    results = []
    for i, video in enumerate(videos, start=1):
        relative = video.relative_to(input_dir)
        csv_path, summary_path, overlay_path = result_paths(output_dir, relative)
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            result = predict_file(video, csv_path, predictor)
            if overlay:
                _export_overlay(video, csv_path, overlay_path)
        except (VideoError, FormatError, ValueError, OSError) as exc:
            result = VideoPrediction(str(video), error=str(exc))
        result = VideoPrediction(**{**asdict(result), "video": relative.as_posix()})
        atomic_write_text(summary_path, json.dumps(asdict(result), indent=1))
        log(_progress_line(i, len(videos), result))
        results.append(result)
    return results


def _progress_line(i: int, n: int, result: VideoPrediction) -> str:
    head = f"video {i}/{n} {result.video}:"
    if result.error:
        return f"{head} FAILED: {result.error}"
    return (f"{head} {result.frames} frames, ball in {result.found}, "
            f"{result.fps:.1f} fps")  # fmt: skip


def _export_overlay(video: Path, track_csv: Path, output: Path) -> None:
    from ..video.export import ExportSettings, export_video

    track = read_result(video, track_csv)
    export_video(video, output, {"prediction": track}, ExportSettings())


# ----- importing the results -------------------------------------------------------------
@dataclass
class BatchImport:
    """What bringing a job's results home did."""

    written: list[Path] = field(default_factory=list)  # project files written
    problems: list[str] = field(default_factory=list)  # one line per video left out
    kept: dict[Path, Track] = field(default_factory=dict)  # video -> track, not written


def import_results(
    videos: Mapping[str, str | Path],
    results_dir: Path,
    layer: str,
    *,
    keep: Collection[Path] = (),
) -> BatchImport:
    """Read each video's track from `results_dir` (keyed as the job named its input:
    relative path -> local video) into its project as prediction layer `layer`.

    Videos in `keep` (the window's open one, whose project the window owns) are not
    written: their tracks come back in `kept` for the caller to add."""
    done = BatchImport()
    keep = {Path(v).resolve() for v in keep}
    for relative, video in videos.items():
        video = Path(video)
        csv_path, summary_path, _ = result_paths(results_dir, Path(relative))
        error = _summary_error(summary_path)
        if error or not csv_path.is_file():
            done.problems.append(f"{video.name}: {error or 'no result (the job skipped it?)'}")
            continue
        try:
            if video.resolve() in keep:
                done.kept[video] = read_result(video, csv_path)
            else:
                done.written.append(_add_layer(video, csv_path, layer))
        except (VideoError, FormatError, ValueError, OSError) as exc:
            done.problems.append(f"{video.name}: {exc}")
    return done


def read_result(video: Path, track_csv: Path) -> Track:
    """A result track fitted to its video's frames."""
    with VideoReader(video, cache_mb=1) as reader:
        size, n = (reader.width, reader.height), reader.frame_count
    return read_csv(track_csv, CsvOptions(image_size=size, n_frames=n))[0].resized(n)


def _summary_error(path: Path) -> str:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("error", "")
    except (OSError, ValueError):
        return ""


def _add_layer(video: Path, track_csv: Path, layer: str) -> Path:
    """Add the track to the video's project (made when missing); the project file is
    written atomically, so an interrupted import leaves the old one whole."""
    path = video.with_suffix(SUFFIX)
    if path.exists():
        project = load_project(path).project
    else:
        with VideoReader(video, cache_mb=1) as reader:
            project = new_project_for(reader)
    track = read_result(video, track_csv)
    if len(track) != project.n_frames:
        raise ValueError(f"{path} has {project.n_frames} frames, the video {len(track)}")
    project.add_prediction(unique_layer_name(project, layer), track)
    save_project(project, path)
    return path


# ----- the job's entry point -------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tracknet_studio.inference.batch",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--input", type=Path, required=True, help="folder of videos")
    parser.add_argument("--output", type=Path, required=True, help="folder for the results")
    parser.add_argument("--method", choices=METHODS, default="fused")
    parser.add_argument("--weights", type=Path, help="model folder or model.tar.gz")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--overlay", action="store_true", help="also write overlay videos")
    args = parser.parse_args(argv)
    if not args.input.is_dir():
        print(f"error: no folder {args.input}", file=sys.stderr)
        return 2
    # The weights may be a model folder, a model.tar.gz or a folder holding one (what a
    # processing job's model input receives): tracknet.modelfile reads each.
    predictor = make_predictor(args.method, args.weights, args.device,
                               batch_size=args.batch_size)  # fmt: skip
    predictor.load()
    print(f"predictor: {predictor.describe()}", flush=True)
    results = predict_folder(args.input, args.output, predictor, overlay=args.overlay,
                             log=lambda line: print(line, flush=True))  # fmt: skip
    failed = [r for r in results if r.error]
    print(f"done: {len(results) - len(failed)} predicted, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
