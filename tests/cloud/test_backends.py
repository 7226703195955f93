"""One place chooses a job's backend, for the window and the command line alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracknet_studio.cloud.backends import LabelingJobs, backend_for, backend_named, poll_jobs
from tracknet_studio.cloud.jobs import JobRecord, JobStore
from tracknet_studio.cloud.local_backend import LocalBackend
from tracknet_studio.cloud.settings import CloudSettings

pytestmark = pytest.mark.cloud


def test_backends_by_name_and_by_record(tmp_path: Path) -> None:
    store, settings = JobStore(tmp_path / "jobs.json"), CloudSettings()
    assert isinstance(backend_named("local", settings, store), LocalBackend)
    with pytest.raises(ValueError, match="unknown backend"):
        backend_named("azure", settings, store)
    labeling = JobRecord("gt", "labeling", "sagemaker")
    assert isinstance(backend_for(labeling, settings, store), LabelingJobs)
    local = JobRecord("t", "local-train", "local")
    kept = LocalBackend(store)
    assert backend_for(local, settings, store, named=lambda name: kept) is kept
    assert isinstance(backend_for(local, settings, store), LocalBackend)


def test_polling_keeps_each_jobs_failure_to_itself(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.json")
    backend = LocalBackend(store, tmp_path / "work")
    ok = store.put(JobRecord("ok", "local-train", "local", status="Completed",
                             log_source=str(tmp_path / "log.txt")))  # fmt: skip
    (tmp_path / "log.txt").write_text("one\ntwo\n")
    missing = JobRecord("gone", "local-train", "local")
    result = poll_jobs([(ok, backend, 1), (missing, backend, 0)])
    assert result.records["ok"].status == "Completed" and result.lines["ok"] == ["two"]
    assert result.errors == ["gone: 'no local job named gone'"]
