"""Interpolation: exact on parabolas, flights broken at hits, human work untouched, limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracknet_studio.core.interpolate import (
    BallisticSettings,
    Method,
    find_gaps,
    interpolate,
    plan_edit,
)
from tracknet_studio.core.track import Event, Source, Track, Visibility


def parabola(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A lob in image space: steady x, y falling under constant acceleration."""
    return 100.0 + 6.0 * t, 600.0 - 25.0 * t + 0.7 * t**2


def keyed_track(
    x: np.ndarray, y: np.ndarray, keys: np.ndarray, source: Source = Source.HUMAN
) -> Track:
    """A track of len(x) frames labeled (visible) only at `keys`."""
    n = len(x)
    key = np.zeros(n, dtype=bool)
    key[keys] = True
    return Track.from_columns(
        x=np.where(key, x, np.nan),
        y=np.where(key, y, np.nan),
        visibility=np.where(key, Visibility.VISIBLE, Visibility.UNLABELED),
        source=np.where(key, source, Source.NONE),
    )


def filled(edit, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The edit's x, y spread over n frames (NaN where it writes nothing)."""
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    x[edit.after.frames] = edit.after.values["x"]
    y[edit.after.frames] = edit.after.values["y"]
    return x, y


def test_ballistic_is_exact_on_a_parabola_and_linear_is_not() -> None:
    t = np.arange(41.0)
    x, y = parabola(t)
    track = keyed_track(x, y, np.arange(0, 41, 8))
    gaps = ~np.isin(np.arange(41), np.arange(0, 41, 8))

    bx, by = filled(interpolate(track, "ballistic"), 41)
    np.testing.assert_allclose(bx[gaps], x[gaps], atol=1e-3)
    np.testing.assert_allclose(by[gaps], y[gaps], atol=1e-3)

    lx, ly = filled(interpolate(track, Method.LINEAR), 41)
    np.testing.assert_allclose(lx[gaps], x[gaps], atol=1e-3)  # x is linear in time
    assert np.abs(ly[gaps] - y[gaps]).max() > 5.0  # y sags between keyframes


def test_textbook_steady_x_setting_is_also_exact_on_a_parabola() -> None:
    t = np.arange(25.0)
    x, y = parabola(t)
    track = keyed_track(x, y, np.arange(0, 25, 4))
    bx, by = filled(interpolate(track, "ballistic", settings=BallisticSettings(x_degree=1)), 25)
    hidden = np.isfinite(bx)
    np.testing.assert_allclose(by[hidden], y[hidden], atol=1e-3)
    np.testing.assert_allclose(bx[hidden], x[hidden], atol=1e-3)


def two_flights() -> tuple[np.ndarray, np.ndarray]:
    """Two parabolic flights that meet at frame 20, where the ball is hit back (x reverses)."""
    t = np.arange(41.0)
    x1, y1 = parabola(t)
    s = t - 20
    x2 = x1[20] - 7.0 * s
    y2 = y1[20] - 30.0 * s + 0.9 * s**2
    return np.where(t <= 20, x1, x2), np.where(t <= 20, y1, y2)


@pytest.mark.parametrize("tagged", [True, False], ids=["hit-event", "untagged-turn"])
def test_flights_are_broken_at_hits(tagged: bool) -> None:
    x, y = two_flights()
    keys = np.array([0, 5, 10, 15, 20, 25, 30, 35, 40])
    track = keyed_track(x, y, keys)
    if tagged:
        track.set_event([20], Event.HIT)
    # Untagged, the sharp turn at the contact keyframe alone must end the flight.
    bx, by = filled(interpolate(track, "ballistic"), 41)
    hidden = ~np.isin(np.arange(41), keys)
    np.testing.assert_allclose(bx[hidden], x[hidden], atol=1e-3)
    np.testing.assert_allclose(by[hidden], y[hidden], atol=1e-3)


def test_a_fit_across_an_unmarked_hit_would_be_wrong() -> None:
    # Guards the test above: with turn detection off, the window spans both flights.
    x, y = two_flights()
    keys = np.array([0, 5, 10, 15, 20, 25, 30, 35, 40])
    no_turns = BallisticSettings(turn_angle_deg=180.0)
    _, by = filled(interpolate(keyed_track(x, y, keys), "ballistic", settings=no_turns), 41)
    hidden = ~np.isin(np.arange(41), keys)
    assert np.abs(by[hidden] - y[hidden]).max() > 1.0


def test_no_ball_label_ends_a_flight_and_blocks_filling() -> None:
    t = np.arange(30.0)
    x, y = parabola(t)
    track = keyed_track(x, y, np.array([0, 4, 8, 12, 20, 24, 28]))
    track.set_no_ball([16])
    edit = interpolate(track, "ballistic")
    assert not np.isin(np.arange(13, 20), edit.frames).any()  # 12..20 holds a no-ball label
    np.testing.assert_array_equal(
        edit.frames, [1, 2, 3, 5, 6, 7, 9, 10, 11, 21, 22, 23, 25, 26, 27]
    )


@pytest.mark.parametrize("method", list(Method))
def test_only_unlabeled_and_interpolated_frames_are_written(method: Method) -> None:
    n = 30
    x, y = parabola(np.arange(n, dtype=float))
    track = keyed_track(x, y, np.array([0, 10, 20, 29]))
    track.set_points([5], [1.0], [2.0], source=Source.IMPORTED)
    track.set_points([15], [3.0], [4.0], source=Source.MODEL, confidence=0.9)
    track.set_points([25], [5.0], [6.0], source=Source.INTERPOLATED)
    before = track.copy()

    edit = interpolate(track, method)

    assert track.equals(before)  # planned, not applied
    assert not np.isin(edit.frames, [0, 5, 10, 15, 20, 29]).any()
    assert 25 in edit.frames  # an old interpolation is redone
    assert (track.source[edit.frames] != Source.HUMAN).all()
    track.apply(edit.after)
    assert (track.source[edit.frames] == Source.INTERPOLATED).all()
    assert (track.visibility[edit.frames] == Visibility.VISIBLE).all()
    assert np.isnan(track.confidence[edit.frames]).all()
    assert track.source[[0, 5, 10, 15, 20, 29]].tolist() == [1, 2, 1, 4, 1, 1]
    track.validate()
    track.apply(edit.before)
    assert track.equals(before)


def test_never_extrapolates_beyond_the_keyframes() -> None:
    x, y = parabola(np.arange(40.0))
    track = keyed_track(x, y, np.array([10, 14, 18, 22]))
    for method in Method:
        edit = interpolate(track, method)
        assert edit.frames.min() > 10 and edit.frames.max() < 22


def test_max_gap_and_range_limits() -> None:
    x, y = parabola(np.arange(40.0))
    keys = np.array([0, 3, 10, 12, 30, 39])  # gaps of 2, 6, 1, 17, 8 frames
    track = keyed_track(x, y, keys)
    assert find_gaps(track).lengths.tolist() == [2, 6, 1, 17, 8]
    assert find_gaps(track, max_gap=6).lengths.tolist() == [2, 6, 1]

    edit = interpolate(track, "ballistic", max_gap=6)
    np.testing.assert_array_equal(edit.frames, [1, 2, *range(4, 10), 11])

    edit = interpolate(track, "linear", start=5, stop=20)
    np.testing.assert_array_equal(edit.frames, [5, 6, 7, 8, 9, 11, *range(13, 20)])
    # Frames in range inside a gap that crosses the range still use the outer keyframes.
    lx, _ = filled(edit, 40)
    np.testing.assert_allclose(lx[13:20], x[12] + (np.arange(13, 20) - 12) / 18 * (x[30] - x[12]))


def test_too_few_keyframes_fall_back_to_linear() -> None:
    x, y = parabola(np.arange(11.0))
    track = keyed_track(x, y, np.array([0, 10]))
    ballistic = interpolate(track, "ballistic")
    linear = interpolate(track, "linear")
    np.testing.assert_allclose(ballistic.after.values["y"], linear.after.values["y"])


def test_fill_no_ball_fills_a_detectors_misses_but_not_a_persons() -> None:
    x, y = parabola(np.arange(12.0))
    track = keyed_track(x, y, np.arange(12), source=Source.MODEL)
    track.set_no_ball([3, 4], source=Source.MODEL)
    track.set_no_ball([8], source=Source.HUMAN)
    assert len(interpolate(track, "linear").frames) == 0
    edit = interpolate(track, "linear", fill_no_ball=True)
    np.testing.assert_array_equal(edit.frames, [3, 4])


def test_plan_edit_keeps_only_frames_that_change() -> None:
    track = Track(5)
    track.set_points([1, 2], [1.0, 2.0], [1.0, 2.0])
    edit = plan_edit(track, [1, 2, 3], x=[1.0, 9.0, 3.0], y=[1.0, 2.0, 3.0], visibility=1)
    np.testing.assert_array_equal(edit.frames, [2, 3])
    assert track.x[2] == 2.0  # not applied
    track.apply(edit.after)
    assert track.x[2] == 9.0 and track.y[3] == 3.0


def test_empty_and_keyless_tracks() -> None:
    for track in (Track(0), Track(10)):
        for method in Method:
            assert len(interpolate(track, method).frames) == 0


# ----- real trajectories -----------------------------------------------------------------
def hide_gaps(visible: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hide gaps of 3-8 frames inside visible runs, 2-9 known frames apart."""
    hidden = np.zeros(len(visible), dtype=bool)
    edges = np.diff(np.concatenate([[0], visible.astype(np.int8), [0]]))
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        a = start + int(rng.integers(2, 7))
        while (b := a + int(rng.integers(3, 9))) < stop - 1:
            hidden[a:b] = True
            a = b + int(rng.integers(2, 10))
    return hidden


def rally_errors(path: Path, rng: np.random.Generator) -> dict[Method, np.ndarray]:
    _, vis, x, y = np.loadtxt(path, delimiter=",", skiprows=1).T
    visible = vis > 0
    hidden = hide_gaps(visible, rng)
    known = visible & ~hidden
    track = Track.from_columns(
        x=np.where(known, x, np.nan),
        y=np.where(known, y, np.nan),
        visibility=np.where(hidden, -1, np.where(visible, 1, 0)),
        source=np.where(hidden, Source.NONE, Source.HUMAN),
    )
    errors = {}
    for method in Method:
        edit = interpolate(track, method)
        np.testing.assert_array_equal(edit.frames, np.flatnonzero(hidden))
        f = edit.frames
        errors[method] = np.hypot(edit.after.values["x"] - x[f], edit.after.values["y"] - y[f])
    return errors


def test_ballistic_beats_linear_on_real_badminton_rallies(shared_data: Path) -> None:
    paths = sorted(shared_data.glob("labels/tracknetv3-corrected/match*/corrected_csv/*_ball.csv"))
    if len(paths) != 29:
        pytest.skip(f"expected the 29 corrected badminton rallies, found {len(paths)}")
    rng = np.random.default_rng(2024)
    per_rally = [rally_errors(p, rng) for p in paths]
    errors = {m: np.concatenate([r[m] for r in per_rally]) for m in Method}
    linear, ballistic = (np.median(errors[m]) for m in (Method.LINEAR, Method.BALLISTIC))
    assert len(errors[Method.LINEAR]) > 3000
    assert ballistic < 0.8 * linear, (ballistic, linear)
    assert np.percentile(errors[Method.BALLISTIC], 95) < np.percentile(errors[Method.LINEAR], 95)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(Visibility)), st.sampled_from(list(Source))),
        min_size=0,
        max_size=40,
    ),
    st.sampled_from(list(Method)),
    st.one_of(st.none(), st.integers(1, 6)),
)
def test_any_track_gets_only_its_gaps_filled(
    frames: list[tuple[Visibility, Source]], method: Method, max_gap: int | None
) -> None:
    n = len(frames)
    vis = np.array([v for v, _ in frames], dtype=np.int8)
    source = np.array([s if v != Visibility.UNLABELED else Source.NONE for v, s in frames])
    has_position = np.isin(vis, [Visibility.VISIBLE, Visibility.HARD, Visibility.OCCLUDED])
    t = np.arange(n, dtype=float)
    track = Track.from_columns(
        n,
        x=np.where(has_position, 10 * t, np.nan),
        y=np.where(has_position, (t - 20) ** 2, np.nan),
        visibility=vis,
        source=source.astype(np.int8),
    )
    edit = interpolate(track, method, max_gap=max_gap)
    written = edit.frames
    keys = np.flatnonzero(has_position & np.isin(source, [1, 2, 4]))
    labeled = vis != Visibility.UNLABELED
    assert (~labeled[written] | (source[written] == Source.INTERPOLATED)).all()
    if len(written):
        assert keys[0] < written.min() and written.max() < keys[-1]
    track.apply(edit.after)
    track.validate()
    assert np.isfinite(track.x[written]).all()
