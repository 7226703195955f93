"""File > Export Video… through the dialog to the exporter (a small clip), cancel leaving
nothing, and Export Labels of a prediction layer in every CSV form, read back equal."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QDialog

from tracknet_studio.core import Visibility
from tracknet_studio.formats import CsvForm, CsvOptions, read_csv
from tracknet_studio.ui import export_dialog, label_io
from tracknet_studio.ui.export_dialog import ExportVideoDialog, output_size, start_export
from tracknet_studio.ui.prediction import RunSettings, run_model
from tracknet_studio.ui.tasks import Cancelled
from tracknet_studio.video import VideoReader
from tracknet_studio.video.export import ExportSettings, export_video

from ._prediction_support import (
    FRAMES,
    SIZE,
    known_clip,
    open_with_labels,
    stub_with_mistakes,
)

pytestmark = pytest.mark.ui
__all__ = ["known_clip"]  # a fixture, used by name


@pytest.fixture
def with_layer(window, known_clip, qtbot):
    open_with_labels(window, known_clip, qtbot)
    stub, _mistakes = stub_with_mistakes(known_clip)
    run_model(window.shell, RunSettings(None, "cpu", 2, FRAMES - 2, "model"), stub)
    qtbot.waitUntil(lambda: "model" in window.project.predictions, timeout=20_000)
    return window


def test_the_dialog_exports_the_chosen_frames_through_the_exporter(
    with_layer, tmp_path: Path, qtbot, monkeypatch
) -> None:
    window = with_layer
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "overlay.mp4"
    window.editing.range_in, window.editing.range_out = (
        3,
        12,
    )  # the dialog offers (and picks) the range

    def fill_in(dialog: ExportVideoDialog) -> QDialog.DialogCode:
        assert set(dialog.layer_checks) == {"labels", "model"}
        dialog.path.setText(str(out))
        dialog.trail.setValue(5)
        dialog.layer_checks["labels"].setChecked(False)
        dialog.size_combo.setCurrentIndex(dialog.size_combo.findData(360))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportVideoDialog, "exec", fill_in)
    assert window.prediction.export_video_dialog() is not None
    qtbot.waitUntil(out.exists, timeout=60_000)
    qtbot.waitUntil(lambda: "Exported 10 frames" in window.statusBar().toolTip())
    with VideoReader(out, cache_mb=4) as reader:
        assert reader.frame_count == 10
        assert (reader.width, reader.height) == (640, 360)
    assert [p.name for p in folder.iterdir()] == ["overlay.mp4"]


def test_dialog_settings(with_layer, qtbot) -> None:
    window = with_layer
    dialog = ExportVideoDialog(window, window.project, SIZE, None, Path("x.mp4"))
    qtbot.addWidget(dialog)
    dialog.crf.setValue(28)
    dialog.info_box.setChecked(True)
    dialog.legend.setChecked(True)
    settings = dialog.settings()
    assert settings == ExportSettings(
        start=0, stop=None, layers=frozenset({"labels", "model"}), trail_length=15,
        output_size=None, crf=28, info_box=True, legend=True,
    )  # fmt: skip
    assert output_size((1920, 1080), 720) == (1280, 720)
    assert output_size((320, 180), 480) == (854, 480)


def test_cancel_leaves_no_file(with_layer, tmp_path: Path, qtbot, monkeypatch) -> None:
    window = with_layer
    folder = tmp_path / "out"
    folder.mkdir()
    started, cancelled = threading.Event(), threading.Event()

    def gated_export(*args, progress, **kwargs):
        def report(done: int, total: int) -> None:
            if done == 3:  # a partial file exists by now; wait for the user's Cancel
                started.set()
                cancelled.wait(10)
            progress(done, total)

        return export_video(*args, progress=report, **kwargs)

    monkeypatch.setattr(export_dialog, "export_video", gated_export)
    task = start_export(window.shell, folder / "cancelled.mp4", ExportSettings())
    assert started.wait(30)
    with qtbot.waitSignal(task.failed, timeout=30_000) as failure:
        task.cancel()
        cancelled.set()
    assert isinstance(failure.args[0], Cancelled)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("form", list(CsvForm))
def test_a_prediction_layer_exports_in_every_csv_form(
    with_layer, form: CsvForm, tmp_path: Path, monkeypatch
) -> None:
    window = with_layer
    layer = window.project.predictions["model"]
    path = tmp_path / f"model-{form.value}.csv"
    monkeypatch.setattr(label_io, "pick_layer", lambda window, names: "model")
    monkeypatch.setattr(
        label_io.QFileDialog, "getSaveFileName",
        staticmethod(lambda *a, **k: (str(path), _filter_of(form))),
    )  # fmt: skip
    label_io.export_labels_dialog(window.shell)
    track, _report = read_csv(path, _read_options(form))
    frames = layer.labeled_frames()
    assert frames.tolist() == list(range(2, FRAMES - 2))
    assert track.labeled_frames().tolist() == frames.tolist()
    assert np.array_equal(track.has_ball[frames], layer.has_ball[frames])
    ball = frames[layer.has_ball[frames]]
    np.testing.assert_allclose(track.x[ball], layer.x[ball], atol=0.01)
    np.testing.assert_allclose(track.y[ball], layer.y[ball], atol=0.01)
    no_ball = frames[~layer.has_ball[frames]]
    assert (track.visibility[no_ball] == Visibility.NO_BALL).all()
    if form is CsvForm.PREDICTION:
        header = path.read_text().splitlines()[0]
        assert header == "Frame,Visibility,X,Y,Time"


def _filter_of(form: CsvForm) -> str:
    return next(name for name, f in label_io.EXPORT_FORMS.items() if f is form)


def _read_options(form: CsvForm) -> CsvOptions:
    if form is CsvForm.FRAME_XY_VISIBLE:  # normalised x, y and a state code: say so
        return CsvOptions(normalized=SIZE, state_code_visibility=True, n_frames=FRAMES)
    return CsvOptions(n_frames=FRAMES)
