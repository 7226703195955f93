"""The local backend: jobs as subprocesses of this machine, with SageMaker's contract.

It runs featurize.py and train.py (tracknet/entrypoints) with the SageMaker container
contract (SM_CHANNEL_*, SM_MODEL_DIR, SM_OUTPUT_DATA_DIR), and the batch prediction module,
so the very same scripts run in both places; train.py picks the GPU itself when torch sees
one. Records and statuses are those of cloud.jobs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .bundle import entrypoints_dir
from .jobs import JobRecord, JobStore, job_name
from .prediction import BATCH_MODULE, batch_arguments, prediction_details, stage, video_layout

_NUMBER_OR_RC = re.compile(r"^-?\d+$")


def hyperparameter_args(hyperparameters: Mapping[str, Any]) -> list[str]:
    """--key value pairs as SageMaker's training toolkit passes them; True is a bare flag
    and False is left out (train.py's switches are store_true flags)."""
    args: list[str] = []
    for key, value in hyperparameters.items():
        flag = f"--{key}"
        if value is True:
            args.append(flag)
        elif value is False or value is None:
            continue
        else:
            text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
            args += [flag, text]
    return args


class LocalBackend:
    """Jobs as subprocesses of this machine, in a folder per job under `work_dir`.

    Each job runs under a small runner (tracknet_studio.cloud._runner) that writes the exit
    status to a file, so a job started by a previous session of the app still reports how
    it ended.
    """

    name = "local"

    def __init__(
        self, store: JobStore | None = None, work_dir: Path | None = None, python: str = ""
    ) -> None:
        self.store = store or JobStore()
        self.work_dir = work_dir or self.store.path.parent / "local-jobs"
        self.python = python or sys.executable
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._served: dict[str, tuple[Any, Any]] = {}  # endpoint -> (handler, model)

    def start_processing(
        self,
        dataset: str | Path,
        output: str | Path | None = None,
        *,
        name: str | None = None,
        arguments: Mapping[str, Any] | None = None,
    ) -> JobRecord:
        """Featurize the videos and CSVs under `dataset` (entrypoints/featurize.py)."""
        name = name or job_name("featurize")
        folder = self.work_dir / name
        out = Path(output).resolve() if output else folder / "output"
        # Absolute paths: the job runs in its own folder, where a relative one means nothing.
        cmd = [str(entrypoints_dir() / "featurize.py"), "--input", str(Path(dataset).resolve())]
        cmd += ["--output", str(out), *hyperparameter_args(arguments or {})]
        record = JobRecord(name, "local-featurize", self.name, artifact=str(out))
        return self._launch(record, folder, cmd, env={})

    def start_training(
        self,
        data: str | Path,
        *,
        validation: str | Path | None = None,
        name: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        init: str | Path | None = None,
    ) -> JobRecord:
        """Train on a featurized dataset (entrypoints/train.py) with SageMaker's variables; `init`
        (a model folder or model.tar.gz) comes in as the init channel, as on SageMaker."""
        name = name or job_name("train")
        folder = self.work_dir / name
        env = {
            "SM_MODEL_DIR": str(folder / "model"),
            "SM_OUTPUT_DATA_DIR": str(folder / "output"),
        }
        data = Path(data).resolve()  # the job runs in its own folder
        if validation:
            channels = {
                "SM_CHANNEL_TRAIN": data,
                "SM_CHANNEL_VALIDATION": Path(validation).resolve(),
            }
            env |= {k: str(v) for k, v in channels.items()}
        else:
            env["SM_CHANNEL_DATASET"] = str(data)
        if init:
            env["SM_CHANNEL_INIT"] = str(Path(init).resolve())
        hps = {"checkpoint-dir": str(folder / "checkpoints"), **(hyperparameters or {})}
        cmd = [str(entrypoints_dir() / "train.py"), *hyperparameter_args(hps)]
        record = JobRecord(name, "local-train", self.name, artifact=str(folder / "model"))
        return self._launch(record, folder, cmd, env)

    def start_prediction(
        self,
        videos: Iterable[Path],
        *,
        method: str = "fused",
        weights: str | Path | None = None,
        overlay: bool = False,
        name: str | None = None,
    ) -> JobRecord:
        """Predict each video's track (and overlay) with tracknet_studio.inference.batch,
        the script a SageMaker batch job runs; the videos are linked into the job's folder."""
        name = name or job_name("predict")
        folder = self.work_dir / name
        layout = video_layout(videos)
        staged = stage(layout, folder / "input")
        weights = str(Path(weights).resolve()) if weights else None
        out = folder / "output"
        args = batch_arguments(str(staged), str(out), method=method, weights=weights,
                               overlay=overlay)  # fmt: skip
        details = prediction_details(layout, method, overlay, weights)
        record = JobRecord(name, "local-prediction", self.name, artifact=str(out), details=details)
        return self._launch(record, folder, ["-m", BATCH_MODULE, *args], env={})

    def _launch(
        self, record: JobRecord, folder: Path, cmd: list[str], env: Mapping[str, str]
    ) -> JobRecord:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "log.txt"
        rc_file = folder / "exit-status"
        rc_file.unlink(missing_ok=True)
        full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        runner = [self.python, "-m", "tracknet_studio.cloud._runner", str(rc_file), "--"]
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*runner, self.python, *cmd],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=full_env,
                cwd=folder,
                start_new_session=True,  # its own process group: stop() ends the whole tree
            )
        self._processes[record.name] = process
        record.log_source = str(log)
        record.instance_type = "local"
        record.details = {**record.details, "pid": process.pid, "folder": str(folder),
                          "command": cmd}  # fmt: skip
        return self.store.put(record)

    def describe(self, name: str) -> JobRecord:
        record = self._record(name)
        if record.kind == "endpoint" or not record.active:
            return record
        status, reason = self._process_status(record)
        if status != record.status:
            record = replace(record, status=status, failure_reason=reason)
            if not record.active:
                record.ended = time.time()
            self.store.put(record)
        return record

    def _process_status(self, record: JobRecord) -> tuple[str, str]:
        rc_file = Path(record.details["folder"]) / "exit-status"
        process = self._processes.get(record.name)
        if process is not None:
            process.poll()  # reap it, so its pid does not linger as a zombie
        # The runner writes the status file as its last act: once it is there, the job ended.
        text = rc_file.read_text().strip() if rc_file.is_file() else ""
        if not text:
            if process is not None and process.returncode is None:
                return record.status, ""
            if process is None and _pid_alive(record.details.get("pid")):
                return record.status, ""
            if record.status == "Stopping":  # ended by stop() before the runner was ready
                return "Stopped", ""
            return "Failed", "the job's process ended without an exit status (killed?)"
        code = int(text) if _NUMBER_OR_RC.match(text) else 1
        if code == 0:
            return "Completed", ""
        if record.status == "Stopping" or code in (-signal.SIGTERM, 128 + signal.SIGTERM):
            return "Stopped", ""
        last = self.logs(record.name)[-5:]
        return "Failed", f"exit status {code}: " + " | ".join(line for line in last if line)

    def stop(self, name: str) -> None:
        """Terminate the job's process group (the runner and the script)."""
        record = self._record(name)
        if not record.active or record.kind == "endpoint":
            return
        pid = record.details.get("pid")
        if pid and _pid_alive(pid):
            try:
                if hasattr(os, "killpg"):
                    os.killpg(pid, signal.SIGTERM)
                else:  # Windows: no process groups by pid
                    os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.store.put(replace(record, status="Stopping"))

    def wait(self, name: str, timeout: float | None = None, poll_s: float = 0.5) -> JobRecord:
        """Poll until the job is no longer active (or the timeout passes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.describe(name)
            if not record.active or (deadline is not None and time.monotonic() > deadline):
                return record
            time.sleep(poll_s)

    def logs(self, name: str, since: int = 0) -> list[str]:
        """The lines of the job's output after the first `since`."""
        record = self._record(name)
        if not record.log_source:
            return []
        try:
            text = Path(record.log_source).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return text.splitlines()[since:]

    def deploy(self, model_artifact: str | Path, *, name: str | None = None) -> str:
        """A local "endpoint": a record pointing at the model, served by invoke()."""
        name = name or job_name("endpoint")
        record = JobRecord(name, "endpoint", self.name, status="InService")
        record.artifact, record.instance_type = str(model_artifact), "local"
        self.store.put(record)
        return name

    def delete_endpoint(self, name: str) -> None:
        record = self._record(name)
        self._served.pop(name, None)
        self.store.put(replace(record, status="Deleted", ended=time.time()))

    def invoke(self, endpoint: str, body: bytes, content_type: str) -> bytes:
        """Answer a request with entrypoints/inference.py's handler, as the endpoint would."""
        record = self._record(endpoint)
        if record.status != "InService":
            raise KeyError(f"endpoint {endpoint} is {record.status}")
        if endpoint not in self._served:  # load once, as a real endpoint does
            handler = _load_serving_handler()
            self._served[endpoint] = (handler, handler.model_fn(record.artifact))
        handler, model = self._served[endpoint]
        request = handler.input_fn(body, content_type)
        return handler.output_fn(handler.predict_fn(request, model)).encode()

    def _record(self, name: str) -> JobRecord:
        record = self.store.get(name)
        if record is None or record.backend != self.name:
            raise KeyError(f"no local job named {name}")
        return record


def _pid_alive(pid: int | None) -> bool:
    """Whether the process runs; a zombie (ended, not yet reaped by its parent) does not."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS, Windows): trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _load_serving_handler() -> Any:
    import importlib.util

    path = entrypoints_dir() / "inference.py"
    spec = importlib.util.spec_from_file_location("tracknet_serving_handler", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
