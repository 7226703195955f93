"""Hostile and generated inputs: every reader raises the project's FormatError (naming the
file, and the line where there is one) or reads the file; nothing else escapes, nothing
allocates gigabytes first, and the commands print one line and exit non-zero."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracknet_studio.core.project import Project
from tracknet_studio.core.track import MAX_FRAMES, Track
from tracknet_studio.formats.csv_tracks import CsvOptions, parse_csv, read_csv
from tracknet_studio.formats.errors import FormatError
from tracknet_studio.formats.groundtruth import read_groundtruth
from tracknet_studio.formats.project_file import dumps_project, loads_project

HEADER = "Frame,Visibility,X,Y\n"
HOSTILE_CSV = {
    "a 10 MB field": (HEADER + "0,1," + "9" * (10 * 1024 * 1024) + ",5\n", 2),
    "a 10 MB header": ("Frame" + "x" * (10 * 1024 * 1024) + ",Visibility,X,Y\n0,1,5,5\n", 1),
    "a frame beyond int64": (HEADER + "99999999999999999999999,1,5,5\n", 2),
    "a superscript digit": (HEADER + "²,1,5,5\n", 2),
    "frame 3,000,000,000": (HEADER + "3000000000,1,5,5\n", 2),
    "a NUL byte": (HEADER + "0,1,5\x00,5\n", 2),
    "a quoted frame 10**30": (HEADER + '"1000000000000000000000000000000",1,5,5\n', 2),
}


@pytest.mark.parametrize("name", HOSTILE_CSV)
def test_hostile_csv_is_a_format_error_naming_the_line(name: str, tmp_path: Path) -> None:
    text, line = HOSTILE_CSV[name]
    path = tmp_path / "hostile.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError) as raised:
        read_csv(path)
    assert "hostile.csv" in str(raised.value) and f"line {line}" in str(raised.value)


def test_a_huge_frame_count_fails_before_allocating(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="a track has 0 to"):
        parse_csv(HEADER + "0,1,5,5\n", tmp_path / "t.csv", CsvOptions(n_frames=10**12))
    with pytest.raises(ValueError, match="10,000,000"):
        Track(MAX_FRAMES + 1)


@pytest.mark.parametrize("command", ["convert", "interpolate"])
@pytest.mark.parametrize("name", ["a superscript digit", "frame 3,000,000,000"])
def test_commands_print_one_line_and_fail(command: str, name: str, tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    path.write_text(HOSTILE_CSV[name][0], encoding="utf-8")
    (tmp_path / "bytes.csv").write_bytes(HEADER.encode() + b"0,1,5,5\n\xff\xfe garbage\n")
    for source in (path, tmp_path / "bytes.csv"):
        args = [str(source), str(tmp_path / "out.csv")]
        if command == "convert":
            args += ["--to", "csv"]
        done = subprocess.run([sys.executable, "-m", "tracknet_studio", command, *args],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode != 0
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert source.name in done.stderr


# ----- generated inputs ------------------------------------------------------------------
CELLS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=6),
    st.sampled_from(["", "nan", "-0", "1e400", "²", "٣", " 1", "0x10", "1_0"]),
)
HEADERS = st.sampled_from([
    "Frame,Visibility,X,Y",
    "Frame,Visibility,X,Y,Time",
    "file name,visibility,x-coordinate,y-coordinate,status",
    "frame,x,y,visible",
    "Frame,X,Y",
])  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=HEADERS, rows=st.lists(st.lists(CELLS, min_size=0, max_size=6), max_size=8))
# Found by a CI rehearsal: a file name whose digits overflow int64 (an OverflowError).
@example(header="file name,visibility,x-coordinate,y-coordinate,status",
         rows=[["9223372036854775808", "0", "0", "0", "0"]])  # fmt: skip
def test_generated_csv_reads_or_is_a_format_error(header: str, rows: list[list[str]]) -> None:
    text = header + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    try:
        parse_csv(text, "generated.csv", CsvOptions())
    except FormatError as exc:
        assert "generated.csv" in str(exc)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(doc=JSON_VALUES)
def test_generated_projects_load_or_are_a_format_error(doc: object) -> None:
    try:
        loads_project(json.dumps(doc).encode(), "generated.tnproj")
    except FormatError as exc:
        assert "generated.tnproj" in str(exc)


@settings(max_examples=100, deadline=None)
@given(labels=st.dictionaries(st.sampled_from(["n_frames", "version", "labels", "view"]),
                              JSON_VALUES, max_size=4))  # fmt: skip
def test_mutated_real_projects_load_or_are_a_format_error(labels: dict) -> None:
    doc = json.loads(dumps_project(Project(labels=Track(5))))
    doc.update(labels)
    try:
        loads_project(json.dumps(doc).encode(), "mutated.tnproj")
    except FormatError as exc:
        assert "mutated.tnproj" in str(exc)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=JSON_VALUES)
def test_generated_manifests_import_or_are_a_format_error(line: object, tmp_path: Path) -> None:
    manifest = tmp_path / "output.manifest"
    manifest.write_text(json.dumps(line) + "\n", encoding="utf-8")
    try:
        read_groundtruth(manifest)
    except FormatError as exc:
        assert "output.manifest" in str(exc)


@pytest.mark.parametrize("reference", ["absolute", "dotdot"])
def test_a_manifest_cannot_make_the_importer_read_outside_its_folder(
    reference: str, tmp_path: Path
) -> None:
    from tracknet_studio.formats.groundtruth import OUTPUT_MANIFEST
    from tracknet_studio.formats.groundtruth_export import write_groundtruth

    track = Track(5)
    track.set_points([1, 2], [10.0, 11.0], [20.0, 21.0])
    out = tmp_path / "job" / "output"
    write_groundtruth(track, out, job_name="job")
    secret = tmp_path / "secret.json"  # a readable file outside the output folder
    secret.write_text((next(out.rglob("SeqLabel.json"))).read_text())
    manifest = out / OUTPUT_MANIFEST
    line = json.loads(manifest.read_text().splitlines()[0])
    key = next(k for k in line if k.endswith("-ref") and k != "source-ref")
    line[key] = str(secret) if reference == "absolute" else "../../secret.json"
    manifest.write_text(json.dumps(line) + "\n")
    for found in out.rglob("SeqLabel.json"):
        found.unlink()  # only the outside copy is left to find
    with pytest.raises(FormatError):
        read_groundtruth(out)


def test_a_project_column_cannot_inflate_beyond_its_frames() -> None:
    """A zip bomb in a column: 1 GB of zeros in a few kB must fail without being inflated."""
    import base64
    import zlib

    doc = json.loads(dumps_project(Project(labels=Track(5))))
    bomb = zlib.compressobj(9)
    packed = b"".join(bomb.compress(bytes(1 << 20)) for _ in range(1024)) + bomb.flush()
    doc["layers"]["labels"]["x"]["data"] = base64.b64encode(packed).decode()
    raw = json.dumps(doc).encode()
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match=r"labels\.x"):
            loads_project(raw, "bomb.tnproj")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # not the 1 GB the column claims
    doc["n_frames"] = 10**12
    with pytest.raises(FormatError, match="a project has 0 to"):
        loads_project(json.dumps(doc).encode(), "huge.tnproj")
