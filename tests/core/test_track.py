"""The ball track: invariants, edits that report their frames, undo patches, listeners."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracknet_studio.core import LABELS, Event, Project, Source, Track, Visibility


def test_new_track_is_unlabeled_not_no_ball() -> None:
    track = Track(5)
    assert (track.visibility == Visibility.UNLABELED).all()
    assert not track.labeled.any()
    assert np.isnan(track.x).all() and np.isnan(track.confidence).all()
    assert len(track.labeled_frames()) == 0


def test_set_points_reports_changed_frames_and_listeners_hear_them() -> None:
    track = Track(10)
    heard: list[list[int]] = []
    track.add_listener(lambda frames: heard.append(frames.tolist()))
    edit = track.set_points([2, 5], [10.5, 20.0], [30.0, 40.0])
    assert edit.frames.tolist() == [2, 5]
    assert heard == [[2, 5]]
    assert track.x[5] == 20.0 and track.source[2] == Source.HUMAN
    assert track.labeled_frames().tolist() == [2, 5]


def test_edit_undo_redo_restores_exact_values() -> None:
    track = Track(6)
    track.set_points([1, 2], [1.0, 2.0], [3.0, 4.0], source=Source.IMPORTED)
    before = track.copy()
    edit = track.set_no_ball([2, 3])
    assert np.isnan(track.x[2]), "no ball carries no position"
    after = track.copy()
    track.apply(edit.before)
    assert track.equals(before)
    track.apply(edit.after)
    assert track.equals(after)


def test_protect_human_keeps_human_work() -> None:
    track = Track(4)
    track.set_points([0], [5.0], [5.0], source=Source.HUMAN)
    edit = track.set_points(
        [0, 1], [9.0, 9.0], [9.0, 9.0], source=Source.MODEL, confidence=0.9, protect_human=True
    )
    assert edit.frames.tolist() == [1]
    assert track.x[0] == 5.0 and track.source[1] == Source.MODEL
    assert track.confidence[1] == pytest.approx(0.9)


def test_columns_are_read_only_views() -> None:
    track = Track(3)
    with pytest.raises(ValueError):
        track.x[0] = 1.0


@pytest.mark.parametrize(
    ("frames", "kwargs", "error"),
    [
        ([7], {"visibility": Visibility.NO_BALL}, IndexError),
        ([-1], {"visibility": Visibility.NO_BALL}, IndexError),
        ([1, 1], {"visibility": Visibility.NO_BALL}, ValueError),
        ([1], {"visibility": Visibility.VISIBLE}, ValueError),  # visible without x, y
        ([1], {"visibility": 9}, ValueError),
        ([1], {"colour": 1}, KeyError),
        ([1.5], {"visibility": Visibility.NO_BALL}, TypeError),
    ],
)
def test_bad_edits_raise_clear_errors(frames: list, kwargs: dict, error: type) -> None:
    track = Track(5)
    with pytest.raises(error):
        track.update(frames, **kwargs)
    assert not track.labeled.any(), "a refused edit changes nothing"


def test_occluded_may_have_no_position_and_clear_unlabels() -> None:
    track = Track(3)
    track.update([0], visibility=Visibility.OCCLUDED, source=Source.HUMAN)
    track.set_event([0], Event.HIT)
    track.set_reviewed(slice(0, 2))
    assert track.event[0] == Event.HIT and track.reviewed[:2].all()
    track.clear([0])
    assert track.visibility[0] == Visibility.UNLABELED and track.event[0] == Event.NONE


def test_from_columns_validates() -> None:
    with pytest.raises(ValueError, match="frame 1"):
        Track.from_columns(x=[1.0, np.nan], y=[1.0, 2.0], visibility=[1, 1])
    track = Track.from_columns(x=[1.0, np.nan], y=[1.0, np.nan], visibility=[1, 0])
    assert track.has_ball.tolist() == [True, False]


def test_capture_from_another_thread_sees_whole_edits() -> None:
    track = Track(1000)
    track.set_points(np.arange(1000), np.full(1000, -1.0), np.full(1000, -1.0))

    def edit_loop() -> None:
        for i in range(200):
            track.set_points(np.arange(1000), np.full(1000, i, float), np.full(1000, i, float))

    worker = threading.Thread(target=edit_loop)
    worker.start()
    for _ in range(50):
        cols = track.columns()
        assert len(np.unique(np.concatenate([cols["x"], cols["y"]]))) == 1
    worker.join()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 19), st.floats(0, 1000), st.sampled_from([0, 1, 2, 3]))))
def test_any_edit_sequence_undoes_to_the_start(edits: list[tuple[int, float, int]]) -> None:
    track = Track(20)
    start = track.copy()
    undo = []
    for frame, value, vis in edits:
        undo.append(track.update([frame], x=value, y=value, visibility=vis))
    for edit in reversed(undo):
        track.apply(edit.before)
    assert track.equals(start)


def test_project_forwards_layer_changes_and_checks_lengths() -> None:
    project = Project(labels=Track(5), video_path="clip.mp4", fingerprint={"size": 1})
    heard: list[tuple[str, list[int]]] = []
    project.add_listener(lambda name, frames: heard.append((name, frames.tolist())))
    project.labels.set_no_ball([3])
    project.add_prediction("model-a", Track(5))
    project.predictions["model-a"].set_points([1], [2.0], [2.0], source=Source.MODEL)
    assert heard[0] == (LABELS, [3])
    assert heard[-1] == ("model-a", [1])
    with pytest.raises(ValueError, match="6 frames"):
        project.add_prediction("model-b", Track(6))
    with pytest.raises(ValueError, match="already exists"):
        project.add_prediction("model-a", Track(5))
    copy = project.copy()
    assert copy.equals(project)
    copy.labels.set_no_ball([0])
    assert not copy.equals(project)


def test_resized_pads_and_refuses_to_drop_labels() -> None:
    track = Track(5)
    track.set_points([3], [1.0], [2.0])
    longer = track.resized(8)
    assert len(longer) == 8 and longer.x[3] == 1.0 and not longer.labeled[5:].any()
    assert len(track.resized(4)) == 4
    with pytest.raises(ValueError, match="frame 3 is labeled"):
        track.resized(3)
