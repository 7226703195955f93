"""Jobs' records: what the app knows of each job, local or on SageMaker, and the metrics
their logs carry.

Both backends (local_backend.LocalBackend, sagemaker_backend.SageMakerBackend) share one
vocabulary: a `JobRecord` per job, kept in a `JobStore` (a JSON file in the user data
folder) so that jobs outlive the app and are re-attached by name, and the methods
start_processing, start_training, start_prediction, describe, stop, logs, deploy,
delete_endpoint and invoke. Statuses use SageMaker's words (InProgress, Completed, Failed,
Stopping, Stopped; endpoints Creating, InService, Deleting, Deleted) for local jobs too.
"""

from __future__ import annotations

import ast
import json
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracknet_studio.core.paths import data_dir
from tracknet_studio.formats.atomic import atomic_write_text

from .bundle import tracknet_dir

KINDS = (
    "processing",
    "training",
    "labeling",
    "endpoint",
    "prediction",
    "local-featurize",
    "local-train",
    "local-prediction",
)
PREDICTION_KINDS = ("prediction", "local-prediction")
ACTIVE = {"InProgress", "Stopping", "Creating", "Updating", "Deleting", "Initializing", "Pending"}
JOBS_FILE = "jobs.json"


@dataclass
class JobRecord:
    """What the app knows about one job, local or on SageMaker."""

    name: str
    kind: str  # one of KINDS
    backend: str  # "local" or "sagemaker"
    status: str = "InProgress"
    created: float = field(default_factory=time.time)  # epoch seconds
    instance_type: str = ""
    artifact: str = ""  # model folder / model.tar.gz / output prefix, when known
    failure_reason: str = ""
    log_source: str = ""  # local log file, or "log group:stream prefix"
    ended: float | None = None
    details: dict[str, Any] = field(default_factory=dict)  # backend-specific (pid, dirs, ARNs)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def elapsed(self, now: float | None = None) -> float:
        end = self.ended if self.ended is not None else (now or time.time())
        return max(0.0, end - self.created)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobRecord:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class JobStore:
    """Job records in one JSON file, read fresh on each call so that the app and the
    command line see each other's jobs; writes are atomic (formats.atomic)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_jobs_path()
        self._lock = threading.Lock()

    def all(self) -> list[JobRecord]:
        """Every job, newest first."""
        return sorted(self._read().values(), key=lambda r: r.created, reverse=True)

    def get(self, name: str) -> JobRecord | None:
        return self._read().get(name)

    def put(self, record: JobRecord) -> JobRecord:
        with self._lock:
            records = self._read()
            records[record.name] = record
            self._write(records)
        return record

    def remove(self, name: str) -> None:
        with self._lock:
            records = self._read()
            if records.pop(name, None) is not None:
                self._write(records)

    def _read(self) -> dict[str, JobRecord]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {item["name"]: JobRecord.from_dict(item) for item in raw.get("jobs", [])}

    def _write(self, records: dict[str, JobRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": 1, "jobs": [r.to_dict() for r in records.values()]}
        atomic_write_text(self.path, json.dumps(payload, indent=1))


def default_jobs_path() -> Path:
    """The jobs file, in the data folder (see tracknet_studio.core.paths)."""
    return data_dir() / JOBS_FILE


def job_name(kind: str) -> str:
    """A unique name that SageMaker accepts: letters, digits and hyphens, 63 at most."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"tracknet-{kind}-{stamp}-{secrets.token_hex(2)}"


def parse_metrics(lines: Iterable[str]) -> list[dict[str, float]]:
    """One dict per metric line of train.py's log, with the metric names SageMaker uses
    (tracknet.training.METRIC_DEFINITIONS: the very regexes the training job gets)."""
    patterns = [(d["Name"], re.compile(d["Regex"])) for d in metric_definitions()]
    rows: list[dict[str, float]] = []
    for line in lines:
        row = {}
        for name, pattern in patterns:
            match = pattern.search(line)
            if match:
                try:
                    row[name] = float(match.group(1))
                except ValueError:  # "nan" and the like are floats; anything else is noise
                    continue
        if row:
            rows.append(row)
    return rows


def metric_definitions() -> list[dict[str, str]]:
    """tracknet.training.METRIC_DEFINITIONS; read from its source when torch (which that
    module imports) is missing, so the app can plot metrics without the model extra."""
    try:
        from tracknet.training import METRIC_DEFINITIONS
    except ImportError:
        return _metric_definitions_from_source()
    return METRIC_DEFINITIONS


def _metric_definitions_from_source() -> list[dict[str, str]]:
    source = (tracknet_dir() / "training.py").read_text(encoding="utf-8")
    number = re.search(r'^_NUMBER = (r".*")$', source, re.M)
    names = re.findall(r'\{"Name": "([^"]+)", "Regex": rf"(.*?)"\}', source)
    if not number or not names:
        raise RuntimeError("METRIC_DEFINITIONS not found in tracknet/training.py")
    num = ast.literal_eval(number.group(1))
    return [{"Name": n, "Regex": r.replace("{_NUMBER}", num)} for n, r in names]
