"""read_track: one place that tells a track file's kind and reads it, asking its questions
through a callback (the window's dialogs) or taking the options it is given (the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracknet_studio.core import Project, Track
from tracknet_studio.formats import AmbiguousObjectError, CsvOptions, FormatError
from tracknet_studio.formats.project_file import save_project
from tracknet_studio.formats.tracks import (
    Questions,
    TrackKind,
    TrackOptions,
    read_track,
    track_kind,
)


def test_kinds_by_name(tmp_path: Path) -> None:
    assert track_kind(tmp_path / "a.csv") is TrackKind.CSV
    assert track_kind(tmp_path / "a.TXT") is TrackKind.CSV
    assert track_kind(tmp_path / "output.manifest") is TrackKind.GROUNDTRUTH
    assert track_kind(tmp_path) is TrackKind.GROUNDTRUTH  # an output folder
    assert track_kind(tmp_path / "match.tnproj") is TrackKind.PROJECT
    with pytest.raises(FormatError, match="not a track file"):
        track_kind(tmp_path / "notes.docx")


def test_a_project_gives_its_project_and_a_csv_its_form_and_report(tmp_path: Path) -> None:
    project = Project(labels=Track(4))
    project.labels.set_points([1], [5.0], [6.0])
    save_project(project, tmp_path / "p.tnproj")
    read = read_track(tmp_path / "p.tnproj")
    assert read.kind is TrackKind.PROJECT and read.report is None and read.track.has_ball[1]
    (tmp_path / "t.csv").write_text("Frame,Visibility,X,Y\n0,1,5,6\n9,1,7,8\n")
    read = read_track(tmp_path / "t.csv", TrackOptions(n_frames=5))
    assert read.kind is TrackKind.CSV and read.form == "badminton" and len(read.track) == 5
    assert read.report.n_skipped == 1  # frame 9 is beyond the video's 5 frames
    with pytest.raises(FormatError, match="does not exist"):
        read_track(tmp_path / "missing.csv")


class Recorder(Questions):
    def __init__(self, answer: object) -> None:
        self.answer, self.asked = answer, []

    def csv_meaning(self, path: Path, column: str) -> CsvOptions | None:
        self.asked.append(column)
        return self.answer  # type: ignore[return-value]


def test_an_ambiguous_csv_asks_what_its_column_means(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("frame_num,x,y,visible\n0,5,6,0\n1,7,8,1\n")
    asked = Recorder(CsvOptions(state_code_visibility=True))
    read = read_track(path, TrackOptions(), asked)
    assert asked.asked == ["visible"] and read.track.has_ball.tolist() == [True, False]
    assert read_track(path, TrackOptions(), Recorder(None)) is None  # cancelled
    told = TrackOptions(csv=CsvOptions(state_code_visibility=False))
    never = Recorder(None)
    assert read_track(path, told, never).track.has_ball.tolist() == [False, True]
    assert never.asked == []  # the options given stand


def test_several_tracked_objects_ask_which(tmp_path: Path, monkeypatch) -> None:
    from tracknet_studio.formats import tracks

    calls = []

    def fake(path, options):
        calls.append(options.object_name)
        if options.object_name is None:
            raise AmbiguousObjectError(str(path), [])
        return Track(3), tracks.ImportReport(str(path))

    monkeypatch.setattr(tracks, "read_groundtruth", fake)

    class Pick(Questions):
        def which_object(self, path: str, objects: list) -> str | None:
            return "ball:2"

    read = read_track(tmp_path, TrackOptions(), Pick())
    assert calls == [None, "ball:2"] and read.kind is TrackKind.GROUNDTRUTH
    with pytest.raises(AmbiguousObjectError):
        read_track(tmp_path)  # no one to ask: the command line's error
