"""CSV families: detection by header, round trips, real files, and every bad-input case."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracknet_studio.core import Event, Source, Track, Visibility
from tracknet_studio.formats.csv_tracks import (
    CsvForm,
    CsvOptions,
    detect_form,
    format_csv,
    parse_csv,
    read_csv,
    write_csv,
)
from tracknet_studio.formats.errors import FormatError
from tracknet_studio.formats.fastcsv import parse_numeric_body

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("TRACKNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
BADMINTON = sorted((SHARED / "labels" / "tracknetv3-corrected").glob("match*/corrected_csv/*.csv"))
VOLLEYBALL = SHARED / "volleyball" / "VolleyballShortClip.csv"


def parse(text: str, **options: object) -> tuple[Track, object]:
    return parse_csv(text, "t.csv", CsvOptions(**options))  # type: ignore[arg-type]


# ----- round trips -----------------------------------------------------------------------
@st.composite
def tracks(draw: st.DrawFn, rich: bool) -> Track:
    """Tracks a form can express: rich (tennis) forms carry 0-3 and events."""
    n = draw(st.integers(1, 40))
    track = Track(n)
    frames = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    coords = st.floats(
        2, 1280, allow_nan=False
    )  # > 1: never looks normalised.map(lambda v: round(v, 3))
    for f in frames:
        vis = draw(st.sampled_from([0, 1, 2, 3] if rich else [0, 1]))
        x, y = draw(coords), draw(coords)
        if vis == 3 and draw(st.booleans()):
            x = y = np.nan  # occluded without an estimate
        event = draw(st.sampled_from(list(Event))) if rich else Event.NONE
        track.update([f], x=x, y=y, visibility=vis, event=event, source=Source.IMPORTED)
    return track


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(track=tracks(rich=False), form=st.sampled_from([CsvForm.BADMINTON, CsvForm.PREDICTION]))
def test_flag_forms_round_trip(track: Track, form: CsvForm) -> None:
    text = format_csv(track, form, fps=30.0)
    back, report = parse(text, n_frames=len(track))
    if form is CsvForm.PREDICTION:  # predictions read back as model values
        expected = track.copy()
        labeled = expected.labeled_frames()
        expected.update(labeled, source=Source.MODEL)
        track = expected
    assert back.equals(track)
    assert report.imported == len(track.labeled_frames()) and report.n_skipped == 0


@settings(max_examples=60, deadline=None)
@given(track=tracks(rich=True), form=st.sampled_from([CsvForm.TENNIS_A, CsvForm.TENNIS_B]))
def test_tennis_forms_round_trip(track: Track, form: CsvForm) -> None:
    back, _ = parse(format_csv(track, form), n_frames=len(track))
    assert back.equals(track)


@settings(max_examples=40, deadline=None)
@given(track=tracks(rich=False))
def test_normalised_state_code_form_round_trips_with_its_options(track: Track) -> None:
    text = format_csv(track, CsvForm.FRAME_XY_VISIBLE, image_size=(1280, 1280))
    back, _ = parse(text, n_frames=len(track), normalized=(1280, 1280), state_code_visibility=True)
    np.testing.assert_allclose(back.x, track.x, atol=1e-9)
    np.testing.assert_array_equal(back.visibility, track.visibility)


def test_write_csv_is_a_file_that_reads_back(tmp_path: Path) -> None:
    track = Track(4)
    track.set_points([1, 3], [10.0, 11.5], [20.0, 21.0])
    write_csv(track, tmp_path / "out.csv")
    back, _ = read_csv(tmp_path / "out.csv")
    assert back.x[3] == 11.5 and back.visibility[0] == Visibility.UNLABELED


# ----- detection and partial files -------------------------------------------------------
def test_detect_form_by_header() -> None:
    assert detect_form(["Frame", "Visibility", "X", "Y"]) is CsvForm.BADMINTON
    assert detect_form([" frame", "visibility ", "x", "y", "time"]) is CsvForm.PREDICTION
    assert detect_form(["File Name", "Visibility Class", "X", "Y", "Trajectory Pattern"]) is (
        CsvForm.TENNIS_B
    )
    assert detect_form(["a", "b"]) is None


def test_missing_rows_are_unlabeled_not_no_ball() -> None:
    track, _ = parse("Frame,Visibility,X,Y\n0,1,5,5\n3,0,0,0\n", n_frames=6)
    assert track.visibility.tolist() == [1, -1, -1, 0, -1, -1]


def test_tennis_names_give_frame_numbers_and_status_gives_events() -> None:
    text = (
        "file name,visibility,x-coordinate,y-coordinate,status\n0007.jpg,2,10,20,2\n0009.jpg,0,,,\n"
    )
    track, _ = parse(text)
    assert len(track) == 10
    assert track.visibility[7] == Visibility.HARD and track.event[7] == Event.BOUNCE
    assert track.visibility[9] == Visibility.NO_BALL


# ----- real files ------------------------------------------------------------------------
@pytest.mark.skipif(not BADMINTON, reason=f"real badminton CSVs not found under {SHARED}")
def test_real_badminton_csvs_import_and_write_back_byte_identical() -> None:
    assert len(BADMINTON) == 29
    rows = 0
    for path in BADMINTON:
        track, report = read_csv(path, CsvOptions(image_size=(1280, 720)))
        assert report.n_skipped == 0, report.summary()
        rows += report.imported
        assert format_csv(track) == path.read_text()
    assert rows == 12656


@pytest.mark.skipif(not VOLLEYBALL.exists(), reason=f"{VOLLEYBALL} not found")
def test_volleyball_csv_needs_its_options_and_imports_with_them() -> None:
    with pytest.raises(FormatError, match="'visible'") as err:
        read_csv(VOLLEYBALL)
    assert str(VOLLEYBALL) in str(err.value)
    with pytest.raises(FormatError, match="'x' and 'y'"):
        read_csv(VOLLEYBALL, CsvOptions(state_code_visibility=True))
    track, report = read_csv(
        VOLLEYBALL, CsvOptions(state_code_visibility=True, normalized=(1280, 720))
    )
    assert report.imported == 21 and (track.visibility == Visibility.VISIBLE).all()
    assert track.x[0] == pytest.approx(0.43828125 * 1280)
    assert track.y[0] == pytest.approx(0.6361111111111111 * 720)


# ----- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", "line 1"),
        ("Frame,Ball,X,Y\n0,1,2,3\n", "line 1"),
        ("Frame,Visibility,X,Y\n0,1,2,3\n1,1,2\n", "line 3"),
        ("Frame,Visibility,X,Y\n0,1,2,3\nx,1,2,3\n", "line 3"),
        ("Frame,Visibility,X,Y\n0,1,2,3\n1,7,2,3\n", "line 3"),
        ("Frame,Visibility,X,Y\n0,1,abc,3\n", "line 2"),
        ("Frame,Visibility,X,Y\n0,1,2,3\n-4,1,2,3\n", "line 3"),
        ("Frame,Visibility,X,Y\n0,1,2,3\n0,1,5,3\n", "line 3, frame 0"),
        ("Frame,Visibility,X,Y\n0,1,2,3\n1.5,1,2,3\n", "line 3"),
        ("Frame,Visibility,X,Y\n0,1,2,3\n,1,2,3\n", "line 3"),
        ("Frame,Visibility,X,Y\n0,1,2,3\n1,1.5,2,3\n", "line 3"),
        ("file name,visibility,x-coordinate,y-coordinate,status\nabc.jpg,1,2,3,0\n", "line 2"),
        ("file name,visibility,x-coordinate,y-coordinate,status\n1.jpg,1,2,3,5\n", "line 2"),
    ],
)
def test_bad_files_raise_errors_naming_file_and_line(text: str, where: str) -> None:
    with pytest.raises(FormatError) as err:
        parse(text)
    assert str(err.value).startswith(f"t.csv, {where}"), str(err.value)


def test_skips_are_counted_with_reasons_and_lines() -> None:
    text = (
        "Frame,Visibility,X,Y\n"
        "0,1,10,10\n"
        "1,1,nan,10\n"  # NaN
        "2,1,2000,10\n"  # outside a 1280x720 image
        "0,1,10,10\n"  # exact duplicate
        "9,1,10,10\n"  # beyond the video
        "3,1,,\n"  # empty
    )
    track, report = parse(text, image_size=(1280, 720), n_frames=5)
    assert report.imported == 1 and report.n_skipped == 5
    reasons = dict(report.skipped)
    assert reasons["ball marked visible without a finite x, y (empty or NaN)"] == 2
    assert reasons["position outside the 1280x720 image"] == 1
    assert reasons["duplicate row"] == 1
    assert reasons["frame beyond the video's last frame 4"] == 1
    assert "line 4" in report.summary() and "line 3" in report.summary()
    assert track.labeled_frames().tolist() == [0]


def test_empty_file_on_disk_names_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(FormatError, match=r"empty\.csv, line 1: empty file"):
        read_csv(empty)


def test_writer_refuses_what_it_cannot_express() -> None:
    track = Track(2)
    with pytest.raises(ValueError, match="image_size"):
        format_csv(track, CsvForm.FRAME_XY_VISIBLE)
    track.set_points([1], [1.0], [1.0])
    with pytest.raises(ValueError, match="loses the frame number"):
        format_csv(track, CsvForm.TENNIS_A, name_pattern="frame.jpg")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 4)) | st.none(),
            min_size=3,
            max_size=3,
        ),
        max_size=20,
    )
)
def test_fast_parser_reads_exactly_what_float_reads(rows: list[list[float | None]]) -> None:
    def text(v: float | None) -> str:
        return "" if v is None else str(int(v)) if v.is_integer() else repr(v)

    body = "".join(",".join(text(v) for v in row) + "\n" for row in rows)
    parsed = parse_numeric_body(body, 3)
    expected = np.array([[np.nan if v is None else float(text(v)) for v in r] for r in rows])
    if any(len(text(v).replace("-", "").replace(".", "")) > 15 for r in rows for v in r):
        return  # too many digits for the exact fast path; it must decline those (below)
    assert parsed is not None
    np.testing.assert_array_equal(parsed, expected.reshape(-1, 3))


def test_fast_parser_declines_what_it_cannot_read_exactly() -> None:
    for body in [
        "1e5,1\n",
        "nan,1\n",
        "1,2\n3\n",
        "1-2,3\n",
        "1.2.3,4\n",
        ".,1\n",
        "0.30000000000000004,1\n",
        '"1",2\n',
        "1,2\n\n3,4\n",
    ]:
        assert parse_numeric_body(body, 2) is None, body


def test_the_label_table_form_reads_all_four_visibility_classes():
    """The model's label tables (featurize, tests/data/real) use `Frame,Visibility,X,Y` with
    TrackNet's four classes; a code outside them is still refused."""
    track, _ = parse("Frame,Visibility,X,Y\n0,0,0,0\n1,1,5,5\n2,2,6,6\n3,3,7,7\n", n_frames=4)
    assert track.visibility.tolist() == [0, 1, 2, 3]
    assert track.x[1:].tolist() == [5.0, 6.0, 7.0]


def test_suggested_meaning_keeps_coordinates_and_spots_fractions(tmp_path: Path) -> None:
    from tracknet_studio.formats.csv_tracks import suggest_meaning

    state = tmp_path / "state.csv"  # labelled rows say visible = 0: a state code
    state.write_text("frame_num,x,y,visible\n0,0.5,0.5,0\n1,0.6,0.4,0\n2,0,0,1\n")
    guess = suggest_meaning(state)
    assert guess.state_code_visibility and guess.normalized
    assert "2 rows with coordinates would become no ball" in guess.reason
    flag = tmp_path / "flag.csv"  # pixels, and 1 where there is a ball
    flag.write_text("frame_num,x,y,visible\n0,640,360,1\n1,0,0,0\n2,650,350,1\n")
    guess = suggest_meaning(flag)
    assert not guess.state_code_visibility and not guess.normalized
    _track, report = read_csv(state, CsvOptions(state_code_visibility=False, normalized=(10, 10)))
    assert report.dropped_positions == 2 and "read as no ball" in report.summary()
