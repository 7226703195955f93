"""Which backend runs a job, and following jobs: one place for the window and the CLI.

`backend_named` builds the local or the SageMaker backend; `backend_for` the one that can
follow a given job record (Ground Truth jobs through `LabelingJobs`); `poll_jobs` describes
jobs and reads their new log lines, each job's failure kept to itself. No Qt here: the
jobs dock runs `poll_jobs` on its poll thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from .jobs import JobRecord, JobStore
from .local_backend import LocalBackend
from .settings import CloudSettings

LOCAL, SAGEMAKER = "local", "sagemaker"
BACKENDS = (LOCAL, SAGEMAKER)


class Backend(Protocol):
    """What following a job needs of LocalBackend, SageMakerBackend and LabelingJobs."""

    def describe(self, name: str) -> JobRecord: ...

    def logs(self, name: str, since: int = 0) -> list[str]: ...

    def stop(self, name: str) -> None: ...


BackendFor = Callable[[JobRecord], Backend]


def backend_named(name: str, settings: CloudSettings, store: JobStore) -> Backend:
    """The local backend, or SageMaker's (which needs the cloud extra: boto3)."""
    if name == LOCAL:
        return LocalBackend(store)
    if name != SAGEMAKER:
        raise ValueError(f"unknown backend {name!r}: {LOCAL} or {SAGEMAKER}")
    from .sagemaker_backend import SageMakerBackend

    return SageMakerBackend(settings, store)


def backend_for(
    record: JobRecord,
    settings: CloudSettings,
    store: JobStore,
    named: Callable[[str], Backend] | None = None,
) -> Backend:
    """The backend that can follow `record`'s job; `named` gives a backend by name (the
    window's keeps them), by default a new one."""
    if record.kind == "labeling":
        return LabelingJobs(settings, store)
    named = named or (lambda name: backend_named(name, settings, store))
    return named(LOCAL if record.backend == LOCAL else SAGEMAKER)


class LabelingJobs:
    """Ground Truth jobs seen through the Backend protocol (no log to tail:
    the dock shows the status, the label counters in the record and the failure reason)."""

    def __init__(self, settings: CloudSettings, store: JobStore) -> None:
        self.settings = settings
        self.store = store

    def describe(self, name: str) -> JobRecord:
        from .labeling import describe_labeling_job

        return describe_labeling_job(self.settings, name, self.store)

    def logs(self, name: str, since: int = 0) -> list[str]:
        return []

    def stop(self, name: str) -> None:
        from . import session as aws

        aws.client(self.settings, "sagemaker").stop_labeling_job(LabelingJobName=name)


@dataclass
class PollResult:
    records: dict[str, JobRecord]
    lines: dict[str, list[str]]
    errors: list[str]


def poll_jobs(jobs: Iterable[tuple[JobRecord, Backend, int]]) -> PollResult:
    """Describe each job and read its new log lines (runs on the poll thread).

    One job's failure (its log group not created yet, a job deleted on the console) must not
    hide the others, so errors are collected per job; credentials that expired fail them all
    and the panel says so.
    """
    result = PollResult({}, {}, [])
    for record, backend, since in jobs:
        try:
            fresh = backend.describe(record.name)
        except Exception as exc:
            result.errors.append(f"{record.name}: {_brief(exc)}")
            continue
        result.records[record.name] = fresh
        if fresh.kind == "endpoint":
            continue  # an endpoint has no log stream of ours to tail
        try:
            result.lines[record.name] = [str(x) for x in backend.logs(record.name, since)]
        except Exception as exc:
            result.errors.append(f"{record.name} log: {_brief(exc)}")
    return result


def _brief(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
