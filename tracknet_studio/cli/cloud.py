"""`tracknet-studio cloud ACTION`: the jobs of the Cloud menu, headless.

  check                 validate the AWS settings (credentials, bucket, role, region)
  upload DIR            upload a folder to S3 (resumable; skips what is already there)
  process INPUT         featurize videos + CSVs (entrypoints/featurize.py)
  train DATA            train a model (entrypoints/train.py)
  deploy MODEL          deploy a model to a real-time endpoint
  invoke ENDPOINT VIDEO predict a video's ball track through an endpoint
  predict VIDEO...      predict many videos in one batch job (no endpoint), into projects
  results NAME          bring a finished batch job's tracks into the videos' projects
  delete ENDPOINT       delete an endpoint (and its configuration and model)
  label ...             create a Ground Truth labeling job, or import its output
  status [NAME]         list jobs, or show one with its last log lines and metrics
  stop NAME             stop a job

`--backend local` (the default) runs the same scripts on this machine; `--backend
sagemaker` runs them on SageMaker with the saved settings (tracknet-studio cloud check
--save stores any --bucket/--role-arn/... given). `--wait` follows a job until it ends,
printing its log. AWS_ENDPOINT_URL is honoured by botocore itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..cloud.backends import BACKENDS, SAGEMAKER, backend_named
from ..cloud.check import check_settings
from ..cloud.jobs import JobRecord, JobStore, parse_metrics
from ..cloud.settings import CloudSettings
from ..inference.methods import METHODS
from ._common import frame_range

# Settings that options may override: option dest -> CloudSettings field.
_SETTING_OPTIONS = {
    "profile": "profile",
    "region": "region",
    "bucket": "bucket",
    "prefix": "prefix",
    "role_arn": "role_arn",
    "kms_key_id": "kms_key_id",
    "workteam_arn": "workteam_arn",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("cloud", help="SageMaker and local jobs: upload, train, deploy")
    actions = p.add_subparsers(dest="action", required=True)
    common = _common_options()

    a = actions.add_parser("check", parents=[common], help="validate the AWS settings")
    a.add_argument("--save", action="store_true", help="save the settings given as options")
    a.set_defaults(run=run_check)

    a = actions.add_parser("upload", parents=[common], help="upload a folder to S3")
    a.add_argument("folder", type=Path)
    a.add_argument("--to", help="s3:// destination (default: PREFIX/datasets/FOLDER-NAME)")
    a.set_defaults(run=run_upload)

    a = actions.add_parser("process", parents=[common], help="featurize videos and CSVs")
    a.add_argument("input", help="folder of videos + CSVs (local), or s3:// (sagemaker)")
    a.add_argument("--output", help="output folder or s3:// prefix")
    a.add_argument("--height", type=int)
    a.add_argument("--width", type=int)
    a.add_argument("--val-fraction", type=float)
    a.add_argument("--instance-type", help="processing instance (sagemaker)")
    a.set_defaults(run=run_process)

    a = actions.add_parser("train", parents=[common], help="train on a featurized dataset")
    a.add_argument("data", help="featurized dataset: folder (local) or s3:// (sagemaker)")
    a.add_argument("--validation", help="separate validation dataset")
    a.add_argument("--init", help="model to fine-tune from: a folder or model.tar.gz (local), "
                   "a model.tar.gz in s3:// (sagemaker)")  # fmt: skip
    a.add_argument(
        "--hp",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a train.py option, e.g. --hp epochs=10 --hp arch=tracknetv2 (repeatable)",
    )
    a.add_argument("--instance-type", help="training instance (sagemaker)")
    a.add_argument("--spot", action=argparse.BooleanOptionalAction, help="managed spot training")
    a.set_defaults(run=run_train)

    a = actions.add_parser("deploy", parents=[common], help="deploy a model to an endpoint")
    a.add_argument("model", help="model.tar.gz in S3 (sagemaker) or a model folder (local)")
    a.add_argument("--name", help="endpoint name (default: generated)")
    a.add_argument("--instance-type", help="endpoint instance (sagemaker)")
    a.set_defaults(run=run_deploy)

    a = actions.add_parser("invoke", parents=[common], help="predict a video through an endpoint")
    a.add_argument("endpoint")
    a.add_argument("video", type=Path)
    a.add_argument("-o", "--output", type=Path, required=True, help="track CSV to write")
    a.add_argument("--input-size", default="288x512", help="the model's HxW (default 288x512)")
    a.add_argument("--range", type=frame_range, metavar="A:B", help="frames A..B-1 only")
    a.set_defaults(run=run_invoke)

    a = actions.add_parser("predict", parents=[common], help="predict many videos in one job")
    a.add_argument("videos", type=Path, nargs="+")
    a.add_argument("--method", choices=METHODS, default="fused")
    a.add_argument("--weights", help="model folder or model.tar.gz, local or s3:// "
                   "(default: the shipped weights)")  # fmt: skip
    a.add_argument("--overlay", action="store_true", help="also write overlay videos")
    a.add_argument("--instance-type", help="processing instance (sagemaker)")
    a.add_argument("--instance-count", type=int, default=1,
                   help="instances to share the videos among (sagemaker)")  # fmt: skip
    a.set_defaults(run=run_predict)

    a = actions.add_parser("results", parents=[common],
                           help="add a batch job's tracks to the videos' projects")  # fmt: skip
    a.add_argument("name")
    a.add_argument("--layer", help="prediction layer name (default: the method)")
    a.set_defaults(run=run_results)

    a = actions.add_parser("delete", parents=[common], help="delete an endpoint")
    a.add_argument("endpoint")
    a.set_defaults(run=run_delete)

    a = actions.add_parser("status", parents=[common], help="list jobs, or show one")
    a.add_argument("name", nargs="?")
    a.add_argument("--lines", type=int, default=20, help="log lines to show (default 20)")
    a.set_defaults(run=run_status)

    a = actions.add_parser("stop", parents=[common], help="stop a job")
    a.add_argument("name")
    a.set_defaults(run=run_stop)

    _register_label(actions, common)


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--backend", choices=BACKENDS, default="local")
    common.add_argument("--wait", action="store_true", help="follow the job until it ends")
    common.add_argument("--poll", type=float, help="seconds between polls (default 2 / 20)")
    group = common.add_argument_group("settings (override the saved ones)")
    group.add_argument("--profile")
    group.add_argument("--region")
    group.add_argument("--bucket")
    group.add_argument("--prefix")
    group.add_argument("--role-arn")
    group.add_argument("--kms-key-id")
    group.add_argument("--workteam-arn")
    return common


def load_settings(args: argparse.Namespace) -> CloudSettings:
    settings = CloudSettings.load()
    for dest, name in _SETTING_OPTIONS.items():
        value = getattr(args, dest, None)
        if value is not None:
            setattr(settings, name, value)
    return settings


def make_backend(args: argparse.Namespace, backend: str | None = None) -> Any:
    name = backend or args.backend
    settings = load_settings(args) if name == SAGEMAKER else CloudSettings()
    return backend_named(name, settings, JobStore())


def backend_of(args: argparse.Namespace, name: str) -> Any:
    """The backend that ran job `name` (from the store), else the one asked for."""
    record = JobStore().get(name)
    return make_backend(args, record.backend if record else None)


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """AWS errors and missing things become one plain line and exit status 1."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (KeyError, FileNotFoundError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:
            if type(exc).__module__.startswith(("botocore", "boto3", "s3transfer")):
                from ..cloud.check import explain

                print(f"error: {explain(exc)}", file=sys.stderr)
                return 1
            raise

    wrapper.__doc__ = run.__doc__
    return wrapper


# ----- actions -----------------------------------------------------------------------------
def run_check(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if args.save:
        print(f"saved {settings.save()}")
    results = check_settings(settings)
    for result in results:
        mark = "ok  " if result.ok else "WARN" if result.warning else "FAIL"
        print(f"{mark} {result.name}: {result.message}")
    return 1 if any(r.blocking for r in results) else 0


@guarded
def run_upload(args: argparse.Namespace) -> int:
    from ..cloud.transfer import upload_folder

    settings = load_settings(args)
    if not args.folder.is_dir():
        raise FileNotFoundError(f"no folder {args.folder}")
    target = args.to or settings.s3_uri("datasets", args.folder.resolve().name)
    result = upload_folder(settings, args.folder, target, _progress_printer("upload"))
    print(
        f"\n{len(result.uploaded)} files uploaded ({result.bytes_uploaded / 1e6:.1f} MB), "
        f"{len(result.skipped)} already there -> {result.s3_uri}"
    )
    return 0


@guarded
def run_process(args: argparse.Namespace) -> int:
    arguments = {
        key.replace("_", "-"): value
        for key in ("height", "width", "val_fraction")
        if (value := getattr(args, key)) is not None
    }
    backend = make_backend(args)
    if args.backend == "sagemaker":
        if args.instance_type:
            backend.settings.processing_instance_type = args.instance_type
        source = _ensure_s3(backend.settings, args.input)
        record = backend.start_processing(source, args.output, arguments=arguments)
    else:
        record = backend.start_processing(Path(args.input), args.output, arguments=arguments)
    return _started(args, backend, record)


@guarded
def run_train(args: argparse.Namespace) -> int:
    hyperparameters = dict(_key_value(item) for item in args.hp)
    backend = make_backend(args)
    if args.backend == "sagemaker":
        if args.instance_type:
            backend.settings.training_instance_type = args.instance_type
        if args.spot is not None:
            backend.settings.use_spot = args.spot
        data = _ensure_s3(backend.settings, args.data)
        validation = _ensure_s3(backend.settings, args.validation) if args.validation else None
    else:
        data, validation = args.data, args.validation
    record = backend.start_training(data, validation=validation, hyperparameters=hyperparameters,
                                    init=args.init)  # fmt: skip
    return _started(args, backend, record)


@guarded
def run_deploy(args: argparse.Namespace) -> int:
    backend = make_backend(args)
    if args.backend == "sagemaker":
        name = backend.deploy(args.model, name=args.name, instance_type=args.instance_type)
    else:
        name = backend.deploy(Path(args.model).resolve(), name=args.name)
    print(f"endpoint {name} ({args.backend})")
    if args.wait:
        return _follow(args, backend, name)
    return 0


@guarded
def run_invoke(args: argparse.Namespace) -> int:
    from ..inference.batch import predict_file

    predictor = _endpoint_predictor(args)
    result = predict_file(args.video, args.output, predictor, frames=args.range or (None, None),
                          progress=_progress_printer("predict"))  # fmt: skip
    for note in getattr(predictor, "notes", []):
        print(f"warning: {note}", file=sys.stderr)
    rate = getattr(predictor, "frames_per_second", None)  # measured by a SageMaker endpoint
    speed = f" ({rate:.1f} frames/s)" if rate else ""
    print(f"\nball in {result.found} of {result.frames} frames{speed}; "
          f"wrote {args.output}")  # fmt: skip
    return 0


@guarded
def run_predict(args: argparse.Namespace) -> int:
    from ..inference import DEFAULT_WEIGHTS

    backend = make_backend(args)
    weights = args.weights or (str(DEFAULT_WEIGHTS) if args.method != "motion" else None)
    options = {"method": args.method, "weights": weights, "overlay": args.overlay}
    if args.backend == "sagemaker":
        if args.instance_type:
            backend.settings.prediction_instance_type = args.instance_type
        record = backend.start_prediction(args.videos, **options,
                                          instance_count=args.instance_count,
                                          progress=_progress_printer("upload"))  # fmt: skip
    else:
        record = backend.start_prediction(args.videos, **options)
    code = _started(args, backend, record)
    if args.wait and code == 0:
        args.name, args.layer = record.name, None
        return run_results(args)
    return code


@guarded
def run_results(args: argparse.Namespace) -> int:
    from ..cloud.jobs import PREDICTION_KINDS
    from ..cloud.prediction import results_folder
    from ..inference.batch import import_results

    backend = backend_of(args, args.name)
    record = backend.describe(args.name)
    if record.kind not in PREDICTION_KINDS:
        raise ValueError(f"{args.name} is a {record.kind} job, not a batch prediction")
    if record.status != "Completed":
        raise ValueError(f"{args.name} is {record.status}: its results are not all there")
    folder = results_folder(record, getattr(backend, "settings", None),
                            _progress_printer("download"))  # fmt: skip
    layer = args.layer or record.details.get("method", "prediction")
    done = import_results(record.details["videos"], folder, layer)
    for path in done.written:
        print(f"added layer {layer!r} to {path}")
    for problem in done.problems:
        print(f"warning: {problem}", file=sys.stderr)
    overlays = sorted(folder.rglob("*.overlay.mp4"))
    if overlays:
        print(f"{len(overlays)} overlay videos in {folder}")
    return 0 if done.written or not done.problems else 1


def _endpoint_predictor(args: argparse.Namespace) -> Any:
    record = JobStore().get(args.endpoint)
    if record is not None and record.backend == "local":
        from ..inference.local import LocalPredictor

        return LocalPredictor(Path(record.artifact))
    from ..inference.sagemaker import EndpointPredictor

    height, width = (int(v) for v in args.input_size.lower().split("x"))
    return EndpointPredictor(load_settings(args), args.endpoint, input_size=(height, width))


@guarded
def run_delete(args: argparse.Namespace) -> int:
    backend_of(args, args.endpoint).delete_endpoint(args.endpoint)
    print(f"deleted endpoint {args.endpoint}")
    return 0


@guarded
def run_stop(args: argparse.Namespace) -> int:
    backend = backend_of(args, args.name)
    backend.stop(args.name)
    print(f"stopping {args.name}")
    return _follow(args, backend, args.name) if args.wait else 0


@guarded
def run_status(args: argparse.Namespace) -> int:
    if args.name is None:
        records = JobStore().all()
        if not records:
            print("no jobs")
        for record in records:
            if record.active:
                record = _try_describe(args, record)
            print(_summary(record))
        return 0
    backend = backend_of(args, args.name)
    record = backend.describe(args.name)
    print(_summary(record))
    if record.failure_reason:
        print(f"failure: {record.failure_reason}")
    if record.artifact:
        print(f"artifact: {record.artifact}")
    lines = backend.logs(args.name)
    metrics = parse_metrics(lines)
    if metrics:
        print("last metrics: " + ", ".join(f"{k}={v:g}" for k, v in metrics[-1].items()))
    for line in lines[-args.lines :] if args.lines else []:
        print(f"  {line}")
    if args.wait:
        return _follow(args, backend, args.name, since=len(lines))
    return 0


def _try_describe(args: argparse.Namespace, record: JobRecord) -> JobRecord:
    try:
        return make_backend(args, record.backend).describe(record.name)
    except Exception:  # listing must work even when AWS cannot be reached right now
        return record


# ----- helpers -----------------------------------------------------------------------------
def _summary(record: JobRecord) -> str:
    minutes = record.elapsed() / 60
    return (
        f"{record.name}  {record.kind:<15} {record.backend:<9} {record.status:<11} "
        f"{minutes:7.1f} min  {record.instance_type}"
    )


def _started(args: argparse.Namespace, backend: Any, record: JobRecord) -> int:
    print(f"started {record.kind} job {record.name} ({record.backend})")
    if args.wait:
        return _follow(args, backend, record.name)
    return 0


def _follow(args: argparse.Namespace, backend: Any, name: str, since: int = 0) -> int:
    """Print new log lines until the job ends; exit status 0 when it completed."""
    default = 2.0 if backend.name == "local" else 20.0
    poll = args.poll or float(os.environ.get("TRACKNET_POLL_S", default))
    while True:
        record = backend.describe(name)
        try:
            lines = backend.logs(name, since)
        except Exception as exc:  # a log hiccup must not end the wait
            lines = [f"(logs unavailable: {exc})"]
        else:
            since += len(lines)
        for line in lines:
            print(line, flush=True)
        if not record.active:
            break
        time.sleep(poll)
    print(_summary(record))
    if record.failure_reason:
        print(f"failure: {record.failure_reason}")
    if record.artifact:
        print(f"artifact: {record.artifact}")
    return 0 if record.status in ("Completed", "InService", "Deleted") else 1


def _ensure_s3(settings: CloudSettings, source: str) -> str:
    """An s3:// URI as it is; a local folder is uploaded first (resumable)."""
    if source.startswith("s3://"):
        return source
    from ..cloud.transfer import upload_folder

    folder = Path(source)
    if not folder.is_dir():
        raise FileNotFoundError(f"{source} is neither s3:// nor a folder")
    target = settings.s3_uri("datasets", folder.resolve().name)
    result = upload_folder(settings, folder, target, _progress_printer("upload"))
    print(f"\nuploaded {len(result.uploaded)} files, {len(result.skipped)} already there")
    return result.s3_uri


def _key_value(item: str) -> tuple[str, Any]:
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise ValueError(f"--hp takes KEY=VALUE, got {item!r}")
    try:
        value = json.loads(text)
    except ValueError:
        value = text  # a bare word: a string hyperparameter
    return key, value


def _progress_printer(label: str) -> Callable[[int, int], None]:
    last = [-1]

    def show(done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if percent != last[0]:
            last[0] = percent
            print(f"\r{label}: {percent:3d}%", end="", file=sys.stderr, flush=True)

    return show


# ----- Ground Truth ------------------------------------------------------------------------
def _register_label(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    a = actions.add_parser("label", help="Ground Truth: create a labeling job, import its output")
    steps = a.add_subparsers(dest="step", required=True)
    create = steps.add_parser("create", parents=[common], help="create a labeling job")
    create.add_argument("video", type=Path)
    create.add_argument("--track", type=Path, help="current labels (CSV); needed to adjust")
    create.add_argument("--adjust", action="store_true", help="an adjustment job pre-filled "
                        "with --track instead of labeling from scratch")  # fmt: skip
    create.add_argument("--frames", default="::1", metavar="A:B:STEP",
                        help="frames to label (default: every frame)")  # fmt: skip
    create.add_argument("--name", help="job name (default: generated)")
    create.add_argument("--set-cors", action="store_true", help="add the CORS rule Ground "
                        "Truth's worker UI needs to the bucket if it lacks it")  # fmt: skip
    create.set_defaults(run=run_label_create)
    imported = steps.add_parser("import", parents=[common], help="import a job's output")
    imported.add_argument("job", help="job name, or the s3:// URI of an output manifest")
    imported.add_argument("-o", "--output", type=Path, required=True, help="track CSV to write")
    imported.add_argument("--frames", type=int, help="the video's frame count")
    imported.set_defaults(run=run_label_import)


def _ensure_cors(settings: Any, add: bool) -> None:
    """The bucket must let Ground Truth's worker UI in (cloud.cors); `add` adds the rule."""
    from ..cloud import session as aws
    from ..cloud.cors import (
        GROUND_TRUTH_CORS_RULE,
        add_ground_truth_rule,
        allows_ground_truth,
        bucket_rules,
        missing_rule_message,
    )

    s3 = aws.client(settings, "s3")
    if allows_ground_truth(bucket_rules(s3, settings.bucket)):
        return
    if not add:
        raise ValueError(missing_rule_message(settings.bucket))
    add_ground_truth_rule(s3, settings.bucket)
    print(f"added to the CORS rules of {settings.bucket}: {json.dumps(GROUND_TRUTH_CORS_RULE)}")


@guarded
def run_label_create(args: argparse.Namespace) -> int:
    import tempfile

    from ..cloud.labeling import create_labeling_job, labeling_base_uri, new_labeling_job_name
    from ..core import Track
    from ..formats.csv_tracks import read_csv
    from ..formats.groundtruth_export import write_labeling_job
    from ..video import VideoReader

    settings = load_settings(args)
    name = args.name or new_labeling_job_name()
    if args.adjust and args.track is None:
        raise ValueError("--adjust needs --track (the labels to adjust)")
    _ensure_cors(settings, args.set_cors)
    with VideoReader(args.video) as reader, tempfile.TemporaryDirectory() as folder:
        track = read_csv(args.track)[0] if args.track else Track(reader.frame_count)
        a, b, step = (int(v) if v else None for v in [*args.frames.split(":"), "", ""][:3])
        frames = range(a or 0, min(b or reader.frame_count, reader.frame_count), step or 1)
        write_labeling_job(track, folder, frames, reader.frame,
                           base_uri=labeling_base_uri(settings, name), job_name=name,
                           adjustment=args.adjust)  # fmt: skip
        record = create_labeling_job(settings, folder, name, adjustment=args.adjust,
                                     progress=_progress_printer("upload"))  # fmt: skip
    print(f"\ncreated labeling job {record.name}; its output will be {record.artifact}")
    return _follow(args, make_backend(args, "sagemaker"), record.name) if args.wait else 0


@guarded
def run_label_import(args: argparse.Namespace) -> int:
    from ..cloud.jobs import JobStore
    from ..cloud.labeling import (
        import_labeling_output,
        output_manifest_uri,
        recorded_label_attribute,
    )
    from ..formats.csv_tracks import CsvForm, write_csv
    from ..formats.groundtruth import GtImportOptions

    settings = load_settings(args)
    uri = args.job if args.job.startswith("s3://") else output_manifest_uri(settings, args.job)
    # The job's own label attribute, when this machine started it (an adjustment job's
    # output also carries the attribute it adjusted).
    attribute = recorded_label_attribute(JobStore(), uri)
    options = GtImportOptions(n_frames=args.frames, label_attribute=attribute)
    track, report = import_labeling_output(settings, uri, options)
    write_csv(track, args.output, CsvForm.PREDICTION)
    for note in report.notes:
        print(note)
    used = f" (label attribute {attribute!r}, the job's own)" if attribute else ""
    print(f"{report.imported} frames imported{used}, {report.n_skipped} skipped; "
          f"wrote {args.output}")  # fmt: skip
    return 0
