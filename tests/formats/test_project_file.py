"""The project file: round trips, atomic saves, fingerprint warnings, schema migration."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracknet_studio.core import Event, Project, Source, Track, Visibility
from tracknet_studio.formats import project_file
from tracknet_studio.formats.errors import FormatError
from tracknet_studio.formats.project_file import (
    SCHEMA_VERSION,
    dumps_project,
    load_project,
    loads_project,
    save_project,
)

FIXTURES = Path(__file__).parent / "fixtures"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def projects(draw: st.DrawFn) -> Project:
    n = draw(st.integers(0, 30))

    def track() -> Track:
        t = Track(n)
        for f in draw(st.lists(st.integers(0, max(n - 1, 0)), unique=True, max_size=n)):
            vis = draw(st.sampled_from(list(Visibility)))
            xy = draw(st.floats(-1e6, 1e6, allow_nan=False))
            conf = draw(st.floats(0, 1, width=32) | st.just(float("nan")))
            t.update(
                [f],
                x=xy,
                y=-xy,
                visibility=vis,
                event=draw(st.sampled_from(list(Event))),
                source=draw(st.sampled_from(list(Source))),
                confidence=conf,
                reviewed=draw(st.booleans()),
            )
        return t

    names = draw(
        st.lists(st.text(min_size=1, max_size=6).filter(str.strip), unique=True, max_size=3)
    )
    return Project(
        labels=track(),
        video_path=draw(st.none() | st.text(max_size=20)),
        fingerprint=draw(st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3)),
        predictions={name: track() for name in names if name != "labels"},
        review=draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3)),
        view=draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3)),
    )


@settings(max_examples=60, deadline=None)
@given(projects())
def test_save_load_round_trip(project: Project) -> None:
    loaded = loads_project(dumps_project(project)).project
    assert loaded.equals(project)


def test_save_is_atomic_and_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.tnproj"
    project = Project(labels=Track(3), video_path="v.mp4")
    save_project(project, path)
    project.labels.set_no_ball([1])

    def fail_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError, match="disk full"):
        save_project(project, path)
    monkeypatch.undo()
    assert load_project(path).project.labels.visibility[1] == Visibility.UNLABELED
    assert [p.name for p in tmp_path.iterdir()] == ["a.tnproj"]


def test_fingerprint_mismatch_is_reported_not_hidden(tmp_path: Path) -> None:
    path = tmp_path / "a.tnproj"
    save_project(Project(labels=Track(3), fingerprint={"size": 10, "frames": 3}), path)
    assert load_project(path, {"size": 10, "frames": 3}).fingerprint_matches is True
    result = load_project(path, {"size": 11, "frames": 3})
    assert result.fingerprint_mismatch and result.project.n_frames == 3
    assert load_project(path).fingerprint_matches is None


def test_v1_file_migrates_to_current_schema() -> None:
    result = load_project(FIXTURES / "project_v1.json")
    assert result.migrated_from == 1
    project = result.project
    assert project.video_path == "rally.mp4" and project.fingerprint["frames"] == 5
    labels = project.labels
    assert labels.visibility.tolist() == [1, 0, -1, 3, -1]
    assert labels.x[0] == 100.5 and labels.y[3] == 60.25 and np.isnan(labels.x[1])
    assert labels.source.tolist() == [1, 1, 0, 2, 0]
    model = project.predictions["model-a"]
    assert model.confidence[1] == pytest.approx(0.75) and np.isnan(model.confidence[3])
    assert project.review == {} and project.view == {}
    # and it saves in the current schema
    assert json.loads(dumps_project(project))["schema_version"] == SCHEMA_VERSION


def test_migrations_cover_every_older_version() -> None:
    assert sorted(project_file.MIGRATIONS) == list(range(1, SCHEMA_VERSION))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty project file"),
        (b'{"schema_version": 2, "n_frames": ', "line 1"),
        (b"[1, 2]", "no schema_version"),
        (b'{"schema_version": 99}', "newer"),
        (b'{"schema_version": 2, "n_frames": 3}', "malformed project"),
        (b'{"schema_version": 1, "labels": 5}', "cannot migrate"),
    ],
)
def test_bad_project_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.tnproj"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message) as err:
        load_project(path)
    assert str(err.value).startswith(str(path))


def test_corrupt_column_is_a_clear_error() -> None:
    doc = json.loads(dumps_project(Project(labels=Track(4))))
    doc["layers"]["labels"]["x"]["data"] = "!!!"
    with pytest.raises(FormatError, match=r"labels\.x: corrupt"):
        loads_project(json.dumps(doc).encode(), "p.tnproj")
    doc = json.loads(dumps_project(Project(labels=Track(4))))
    doc["n_frames"] = 5
    with pytest.raises(FormatError, match="4 values for 5 frames"):
        loads_project(json.dumps(doc).encode(), "p.tnproj")
