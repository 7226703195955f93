"""Import/Export Labels, autosave and crash recovery, and the video fingerprint check."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tracknet_studio.core import Source, Track, Visibility
from tracknet_studio.formats import (
    CsvForm,
    read_csv,
    read_groundtruth,
    write_csv,
    write_groundtruth,
)
from tracknet_studio.ui import label_io

from ._project_support import file_dialog_returns, install_answers, place

pytestmark = pytest.mark.ui


@pytest.fixture
def reports(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """(imported, applied, kept) of each import report, instead of a modal box."""
    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(
        label_io,
        "show_report",
        lambda parent, report, applied, kept: seen.append((report.imported, len(applied), kept)),
    )
    return seen


def some_track(n: int = 40) -> Track:
    track = Track(n)
    track.set_points([2, 3, 10], [10.0, 20.5, 30.0], [5.0, 6.0, 7.25], source=Source.IMPORTED)
    track.set_no_ball([4], source=Source.IMPORTED)
    return track


@pytest.mark.parametrize("form", [CsvForm.BADMINTON, CsvForm.TENNIS_A, CsvForm.PREDICTION])
def test_import_csv_is_one_undo_step(open_window, tmp_path, reports, form) -> None:
    window = open_window
    path = tmp_path / "labels.csv"
    write_csv(some_track(), path, form, fps=30.0)
    assert label_io.import_labels(window.shell, path)
    labels = window.project.labels
    assert labels.x[3] == 20.5 and labels.visibility[4] == Visibility.NO_BALL
    assert labels.source[3] == Source.IMPORTED
    assert reports == [(4, 4, 0)]
    assert window.undo_stack.count() == 1 and window.files.dirty
    window.undo_stack.undo()
    assert not labels.labeled.any()


def test_import_never_overwrites_human_frames_unless_asked(
    open_window, tmp_path, reports, monkeypatch
) -> None:
    window = open_window
    place(window, 3, x=1.0, y=1.0)
    path = tmp_path / "labels.csv"
    write_csv(some_track(), path)
    answers = install_answers(monkeypatch)
    answers.queue.append("Keep Human Labels")
    assert label_io.import_labels(window.shell, path)
    assert window.project.labels.x[3] == 1.0 and window.project.labels.x[2] == 10.0
    assert reports[-1] == (4, 3, 1)
    answers.queue.append("Replace Human Labels")
    assert label_io.import_labels(window.shell, path)
    assert window.project.labels.x[3] == 20.5


def test_ambiguous_csv_asks_naming_the_column(open_window, tmp_path, reports, monkeypatch) -> None:
    window = open_window
    path = tmp_path / "xy.csv"
    write_csv(some_track(), path, CsvForm.FRAME_XY_VISIBLE, image_size=(320, 180))
    asked: list[str] = []

    def dialog(parent, p, column):
        asked.append(column)
        return None  # cancelled: nothing changes

    monkeypatch.setattr(label_io, "csv_options_dialog", dialog)
    assert not label_io.import_labels(window.shell, path)
    assert asked == ["visible"] and window.undo_stack.count() == 0


def test_groundtruth_folder_import_and_export_round_trip(open_window, tmp_path, reports) -> None:
    window = open_window
    folder = tmp_path / "gt"
    write_groundtruth(some_track(), folder)
    assert label_io.import_labels(window.shell, folder)
    assert window.project.labels.x[10] == 30.0

    out = tmp_path / "out"
    assert label_io.export_labels(window.shell, out, label_io.GT_OUTPUT)
    back, _ = read_groundtruth(out)
    assert np.array_equal(back.labeled_frames(), window.project.labels.labeled_frames())
    assert np.allclose(back.x[[2, 3, 10]], window.project.labels.x[[2, 3, 10]])


def test_groundtruth_with_several_objects_lets_the_user_pick(
    open_window, tmp_path, reports, monkeypatch
) -> None:
    window = open_window
    folder = tmp_path / "gt"
    write_groundtruth(some_track(), folder)
    seqlabel = next(folder.rglob("SeqLabel.json"))
    import json

    doc = json.loads(seqlabel.read_text())
    for frame in doc["tracking-annotations"]:
        for ann in list(frame.get("keypoints", [])):
            twin = dict(ann, **{"object-name": "ball:2", "object-id": "ball-2"})
            twin["x"] = ann["x"] + 1  # a second object, one pixel to the right
            frame["keypoints"].append(twin)
    seqlabel.write_text(json.dumps(doc))
    offered: list[list[str]] = []

    def pick(parent, path, objects):
        offered.append([o.name for o in objects])
        return objects[-1].name

    monkeypatch.setattr(label_io, "pick_object", pick)
    assert label_io.import_labels(window.shell, folder)
    assert len(offered) == 1 and len(offered[0]) == 2
    assert window.project.labels.labeled[10]


@pytest.mark.parametrize("form", [CsvForm.BADMINTON, CsvForm.TENNIS_A])
def test_export_csv_reimports_equal(open_window, tmp_path, form) -> None:
    window = open_window
    place(window, 5, x=11.0, y=12.0)
    path = tmp_path / "out.csv"
    assert label_io.export_labels(window.shell, path, form)
    back, _ = read_csv(path)
    assert back.labeled_frames().tolist() == [5]
    assert (back.x[5], back.y[5]) == (11.0, 12.0)


def test_autosave_reaches_disk_and_a_new_window_recovers(
    make_window, qtbot, ui_clip, settings, tmp_path, monkeypatch
) -> None:
    first = make_window()
    with qtbot.waitSignal(first.shell.project_changed, timeout=10_000):
        first.files.open_video(ui_clip.path)
    place(first, 6, x=21.0, y=22.0)
    recovery = tmp_path / "recovery"
    qtbot.waitUntil(lambda: any(recovery.glob("untitled-*.recovery")), timeout=2000)
    # The crash: the window vanishes without closing its project.
    first.files._stop_autosave(keep_file=True)
    first.shell.project = None

    answers = install_answers(monkeypatch)
    answers.queue.append("Recover")
    second = make_window()
    with qtbot.waitSignal(second.shell.project_changed, timeout=10_000):
        assert second.files.check_startup_recovery()
    assert answers.titles == ["Recover unsaved changes?"]
    assert f"(on {ui_clip.path.name})" in answers.asked[0][1]  # which video's changes
    assert second.project.labels.x[6] == 21.0
    assert second.files.dirty and second.windowTitle().endswith("*")


def test_saved_project_recovery_is_offered_when_opening_it(
    make_window, qtbot, ui_clip, tmp_path, monkeypatch
) -> None:
    first = make_window()
    with qtbot.waitSignal(first.shell.project_changed, timeout=10_000):
        first.files.open_video(ui_clip.path)
    assert first.files.save_to(tmp_path / "p.tnproj")
    place(first, 8, x=3.0, y=4.0)
    first.files.flush_autosave()
    assert (tmp_path / ".p.tnproj.recovery").is_file()
    first.files._stop_autosave(keep_file=True)
    first.shell.project = None

    answers = install_answers(monkeypatch)
    answers.queue.append("Recover")
    second = make_window()
    with qtbot.waitSignal(second.shell.project_changed, timeout=10_000):
        assert second.files.open_file(tmp_path / "p.tnproj")
    assert second.project.labels.x[8] == 3.0 and second.files.dirty


def test_autosave_can_be_turned_off(make_window, qtbot, ui_clip, settings, tmp_path) -> None:
    settings.setValue("autosave/enabled", False)
    window = make_window()
    assert not window.action_by_id["file.autosave"].isChecked()
    with qtbot.waitSignal(window.shell.project_changed, timeout=10_000):
        window.files.open_video(ui_clip.path)
    place(window, 6)
    qtbot.wait(800)
    assert window.files.autosaver is None
    assert not any((tmp_path / "recovery").glob("*.recovery"))
    window.action_by_id["file.autosave"].trigger()
    assert window.files.autosave_enabled and window.files.autosaver is not None


@pytest.fixture
def own_clip(ui_clip, tmp_path: Path) -> Path:
    """A private copy of the session's clip, for tests that change or move the video."""
    path = tmp_path / "own" / ui_clip.path.name
    path.parent.mkdir()
    shutil.copyfile(ui_clip.path, path)
    return path


def test_fingerprint_mismatch_warns_and_cancel_opens_nothing(
    make_window, qtbot, own_clip, make_clip, tmp_path, monkeypatch
) -> None:
    first = make_window()
    with qtbot.waitSignal(first.shell.project_changed, timeout=10_000):
        first.files.open_video(own_clip)
    project_file = tmp_path / "p.tnproj"
    assert first.files.save_to(project_file)
    first.close()
    # The video changes under the project: same name, other content.
    own_clip.write_bytes(make_clip("mp4", frame_count=12).path.read_bytes())

    answers = install_answers(monkeypatch)
    second = make_window()
    assert not second.files.open_file(project_file)  # the default answer is Cancel
    assert answers.titles == ["Video does not match"]
    assert second.project is None

    answers.queue.append("Open Read-Only")
    with qtbot.waitSignal(second.shell.project_changed, timeout=10_000):
        assert second.files.open_file(project_file)
    assert second.files.read_only and "[read-only]" in second.windowTitle()


def test_missing_video_asks_to_locate_it(
    make_window, qtbot, own_clip, tmp_path, monkeypatch
) -> None:
    first = make_window()
    with qtbot.waitSignal(first.shell.project_changed, timeout=10_000):
        first.files.open_video(own_clip)
    project_file = tmp_path / "p.tnproj"
    assert first.files.save_to(project_file)
    first.close()
    moved = tmp_path / "moved.mp4"
    own_clip.rename(moved)
    captions = file_dialog_returns(monkeypatch, moved, "getOpenFileName")
    second = make_window()
    with qtbot.waitSignal(second.shell.project_changed, timeout=10_000):
        assert second.files.open_file(project_file)
    assert captions and "missing" in captions[0]
    assert Path(second.project.video_path) == moved.resolve() and second.files.dirty


# ----- issue 23.2: an ambiguous CSV's default reading keeps its coordinates ---------------

REAL_VOLLEYBALL = (
    Path(__file__).resolve().parents[3] / "shared/data/volleyball/VolleyballShortClip.csv"
)


def state_code_csv(path: Path, rows: int = 21) -> Path:
    """frame_num,x,y,visible where every labelled row says visible = 0 (a state code)."""
    lines = ["frame_num,x,y,visible"]
    lines += [f"{n},{0.40 + n / 100:.5f},{0.5 + n / 200:.5f},0" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def answer_csv_dialog(state_code: bool | None = None) -> dict:
    """Accept the CSV dialog when it opens (changing the state-code box if asked); returns
    what it showed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QCheckBox, QLabel

    shown: dict = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        box = dialog.findChild(QCheckBox, "stateCode")
        shown["state_code"] = box.isChecked()
        shown["normalised"] = dialog.findChild(QCheckBox, "normalised").isChecked()
        shown["text"] = dialog.findChild(QLabel, "csvSuggestion").text()
        if state_code is not None:
            box.setChecked(state_code)
        dialog.accept()

    QTimer.singleShot(0, answer)
    return shown


@pytest.mark.parametrize("source", ["generated", "real"])
def test_the_dialog_suggests_the_reading_that_keeps_the_coordinates(
    open_window, tmp_path, reports, source
) -> None:
    if source == "real":
        if not REAL_VOLLEYBALL.is_file():
            pytest.skip(f"the real clip's labels are not here: {REAL_VOLLEYBALL}")
        path = REAL_VOLLEYBALL
    else:
        path = state_code_csv(tmp_path / "volley.csv")
    window = open_window
    shown = answer_csv_dialog()
    assert label_io.import_labels(window.shell, path)
    assert shown["state_code"] and shown["normalised"]
    assert "21 rows with coordinates would become no ball" in shown["text"]
    labels = window.project.labels
    assert (labels.visibility[:21] == Visibility.VISIBLE).all()
    first_x = float(path.read_text().splitlines()[1].split(",")[1])
    assert np.isfinite(labels.x[:21]).all() and labels.x[0] == pytest.approx(first_x * 192)
    assert reports[-1] == (21, 21, 0)


def test_dropping_coordinates_is_asked_before_and_counted_by_visibility(
    open_window, tmp_path, monkeypatch
) -> None:
    window = open_window
    path = state_code_csv(tmp_path / "volley.csv")
    answers = install_answers(monkeypatch)
    answers.queue.append("Cancel")
    answer_csv_dialog(state_code=False)  # the user insists on the flag reading
    assert not label_io.import_labels(window.shell, path)
    assert "21 rows carry coordinates but were read as no ball" in answers.asked[-1][1]
    assert window.undo_stack.count() == 0  # nothing applied
    boxes: list[str] = []
    monkeypatch.setattr(label_io.QMessageBox, "exec", lambda box: boxes.append(
        box.informativeText()))  # fmt: skip
    answers.queue.append("Import Anyway")
    answer_csv_dialog(state_code=False)
    assert label_io.import_labels(window.shell, path)
    assert "21 frames applied to the labels: 0 visible, 0 hard, 0 occluded, 21 no ball" in (
        boxes[-1])  # fmt: skip
