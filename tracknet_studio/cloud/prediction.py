"""Batch prediction jobs: how the videos reach the job, and the job's command.

The job runs `python -m tracknet_studio.inference.batch` (the predictor of `tracknet-studio
predict`, over a folder of videos) on this machine or in a SageMaker processing job. Both
see the videos laid out the same way, `<key>/<file name>` with a key made from the file's
stem and content, so that namesakes from different folders stay apart, the same file is
uploaded to S3 once however many jobs use it, and a result `<key>/<stem>.csv` leads back to
its video through the job record's `details["videos"]`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tracknet_studio.video.packet_index import file_fingerprint

BATCH_MODULE = "tracknet_studio.inference.batch"
METHODS = ("motion", "model", "fused")  # tracknet_studio.inference.methods.METHODS


def video_key(video: Path) -> str:
    """`<stem>-<hash>-<size>`: the stem for people, the hash of the file's ends and its size
    to tell files apart."""
    size, digest = file_fingerprint(video)
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in video.stem)[:40]
    return f"{stem}-{digest[:10]}-{size}"


def video_layout(videos: Iterable[Path]) -> dict[str, str]:
    """Relative path in the job's input -> the video's absolute path."""
    layout: dict[str, str] = {}
    for video in videos:
        video = Path(video).resolve()
        if not video.is_file():
            raise FileNotFoundError(f"no video {video}")
        layout[f"{video_key(video)}/{video.name}"] = str(video)
    if not layout:
        raise ValueError("no videos to predict")
    return layout


def stage(layout: dict[str, str], folder: Path) -> Path:
    """The layout as files under `folder`: links where the system allows, else copies."""
    for relative, video in layout.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            continue
        try:
            target.symlink_to(video)
        except OSError:  # Windows without the privilege to link: a copy does the same
            shutil.copy2(video, target)
    return folder


def batch_arguments(
    input_dir: str, output_dir: str, *, method: str, weights: str | None, overlay: bool
) -> list[str]:
    """The batch module's command-line arguments."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: one of {', '.join(METHODS)}")
    args = ["--input", input_dir, "--output", output_dir, "--method", method]
    if weights:
        args += ["--weights", weights]
    if overlay:
        args.append("--overlay")
    return args


def prediction_details(
    layout: dict[str, str], method: str, overlay: bool, weights: str | None
) -> dict[str, Any]:
    """What a prediction job's record keeps, so its results can be imported later."""
    return {"videos": layout, "method": method, "overlay": overlay, "weights": weights or ""}


def results_folder(record: Any, settings: Any = None, progress: Any = None) -> Path:
    """A finished prediction job's results on this machine: a local job's output folder,
    or a SageMaker job's output downloaded (overlays too) into the data folder."""
    if record.backend == "local":
        return Path(record.artifact)
    from tracknet_studio.core.paths import data_dir

    from .transfer import download_prefix

    folder = data_dir() / "predictions" / record.name
    download_prefix(settings, record.artifact, folder, progress)
    return folder
