"""Overlay primitives: positions, trails that fade and break at gaps, styles, confidence."""

from __future__ import annotations

import numpy as np
import pytest

from tracknet_studio.core import LABELS, Project, Source, Track, Visibility
from tracknet_studio.video.overlay import (
    PREDICTION_COLOURS,
    SOURCE_COLOURS,
    Marker,
    OverlaySettings,
    Shape,
    TrailSegment,
    overlay_items,
)


def _line_track(n: int = 30) -> Track:
    track = Track(n)
    frames = np.arange(n)
    track.set_points(frames, 10.0 + frames, 100.0 - 2.0 * frames)
    return track


def _split(items):
    markers = [i for i in items if isinstance(i, Marker)]
    trails = [i for i in items if isinstance(i, TrailSegment)]
    return markers, trails


def test_marker_at_the_exact_position_of_the_current_frame():
    track = Track(5)
    track.set_points([2], [12.375], [40.625])
    markers, trails = _split(overlay_items({LABELS: track}, 2))
    assert len(markers) == 1 and not trails
    m = markers[0]
    assert (m.x, m.y, m.frame, m.layer) == (12.375, 40.625, 2, LABELS)
    assert m.shape is Shape.RING and m.alpha == 1.0
    assert m.colour == SOURCE_COLOURS[Source.HUMAN]


def test_trail_covers_the_last_n_frames_and_fades_toward_the_past():
    settings = OverlaySettings(trail_length=5)
    _, trails = _split(overlay_items({LABELS: _line_track()}, 20, settings))
    assert [t.frame for t in trails] == [16, 17, 18, 19, 20]
    alphas = [t.alpha for t in trails]
    assert alphas == sorted(alphas) and alphas[-1] == pytest.approx(settings.trail_alpha)
    newest = trails[-1]
    assert (newest.x0, newest.y0, newest.x1, newest.y1) == (29.0, 62.0, 30.0, 60.0)


def test_trail_breaks_at_a_frame_without_ball_and_stops_at_frame_zero():
    track = _line_track()
    track.set_no_ball([18])
    _, trails = _split(overlay_items({LABELS: track}, 20, OverlaySettings(trail_length=5)))
    assert [t.frame for t in trails] == [16, 17, 20]  # 17-18 and 18-19 would cross the gap
    _, trails = _split(overlay_items({LABELS: track}, 2, OverlaySettings(trail_length=5)))
    assert [t.frame for t in trails] == [1, 2]


def test_no_marker_without_ball_and_trail_can_be_turned_off():
    track = _line_track()
    track.set_no_ball([20])
    assert not _split(overlay_items({LABELS: track}, 20, OverlaySettings(trail_length=0)))[0]
    items = overlay_items({LABELS: _line_track()}, 20, OverlaySettings(show_trail=False))
    assert [type(i) for i in items] == [Marker]


def test_predictions_are_crosses_with_confidence_as_opacity_under_the_labels():
    labels = _line_track()
    pred = _line_track()
    pred.set_points([10], [50.0], [50.0], source=Source.MODEL, confidence=0.0)
    pred.set_points([11], [51.0], [50.0], source=Source.MODEL, confidence=1.0)
    project = Project(labels=labels, predictions={"model": pred})
    settings = OverlaySettings(min_confidence_alpha=0.2, trail_length=3)
    markers, _ = _split(overlay_items(project, 10, settings))
    assert [m.layer for m in markers] == ["model", LABELS]  # the label is drawn on top
    assert markers[0].shape is Shape.CROSS and markers[0].colour == PREDICTION_COLOURS[0]
    assert markers[0].alpha == pytest.approx(0.2)
    markers, trails = _split(overlay_items(project, 11, settings))
    assert markers[0].alpha == pytest.approx(1.0)
    # Trails come before every marker, so markers are painted over them.
    assert items_order_ok(overlay_items(project, 11, settings))
    assert {t.layer for t in trails} == {"model", LABELS}


def items_order_ok(items) -> bool:
    kinds = [isinstance(i, Marker) for i in items]
    return kinds == sorted(kinds)


def test_hidden_layers_and_occluded_balls():
    labels = _line_track()
    labels.update([5], visibility=Visibility.OCCLUDED)
    pred = _line_track()
    settings = OverlaySettings().with_layer("p", visible=False)
    markers, trails = _split(overlay_items({LABELS: labels, "p": pred}, 5, settings))
    assert [m.layer for m in markers] == [LABELS]
    assert all(t.layer == LABELS for t in trails)
    assert markers[0].alpha == pytest.approx(settings.occluded_alpha)
    assert settings.with_layer("p", visible=True).hidden_layers == frozenset()


def test_interpolated_labels_have_their_own_colour_and_frames_outside_are_empty():
    track = _line_track()
    track.update([7], source=Source.INTERPOLATED)
    markers, _ = _split(overlay_items({LABELS: track}, 7))
    assert markers[0].colour == SOURCE_COLOURS[Source.INTERPOLATED]
    assert overlay_items({LABELS: track}, 99) == []
    with pytest.raises(ValueError):
        OverlaySettings(trail_length=-1)


def test_trail_breaks_at_a_jump_no_ball_can_make_given_the_frame_size():
    track = _line_track()
    # Frame 18 jumps 600 px to the score overlay and comes back: two impossible steps.
    track.set_points([18], [600.0], [20.0])
    settings = OverlaySettings(trail_length=5)
    _, trails = _split(overlay_items({LABELS: track}, 20, settings, frame_size=(1280, 720)))
    assert [t.frame for t in trails] == [16, 17, 20]
    assert max(np.hypot(t.x1 - t.x0, t.y1 - t.y0) for t in trails) < 5
    # Without the frame size nothing says what is possible: the old behaviour.
    _, trails = _split(overlay_items({LABELS: track}, 20, settings))
    assert [t.frame for t in trails] == [16, 17, 18, 19, 20]
