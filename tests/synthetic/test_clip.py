"""The generator: reproducible, physically sane tracks, and pixels that match the track."""

from __future__ import annotations

import itertools

import av
import cv2
import numpy as np
import pytest

from tracknet_studio.core.track import Event, Visibility
from tracknet_studio.formats.csv_tracks import read_csv
from tracknet_studio.synthetic import (
    SPORTS,
    ClipSpec,
    GenerationCancelled,
    Scene,
    benchmark_specs,
    generate_clip,
)
from tracknet_studio.video.framecode import read_frame_number


def long_scene(seed: int, sport: str = "tennis-hard") -> Scene:
    """Planning is cheap without encoding: 20 s of play at a small size."""
    return Scene(ClipSpec(width=320, height=180, frames=600, seed=seed, sport=sport))


def decode_rgb(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def colour_distance(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)))


# ----- reproducibility ---------------------------------------------------------------------
def test_same_seed_gives_identical_track_and_pixels(tmp_path, small_spec):
    a = generate_clip(small_spec, tmp_path / "a.mp4", tmp_path / "a.csv")
    b = generate_clip(small_spec, tmp_path / "b.mp4", tmp_path / "b.csv")
    assert a.equals(b)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    first_a, first_b = decode_rgb(tmp_path / "a.mp4")[0], decode_rgb(tmp_path / "b.mp4")[0]
    assert np.array_equal(first_a, first_b)


def test_different_seed_gives_a_different_clip(small_spec):
    a = Scene(small_spec)
    b = Scene(ClipSpec(**{**small_spec.__dict__, "seed": small_spec.seed + 1}))
    assert not a.track.equals(b.track)
    assert not np.array_equal(a.frame(0), b.frame(0))


# ----- physics -----------------------------------------------------------------------------
@pytest.mark.parametrize("sport", SPORTS)
def test_between_events_the_ball_follows_a_parabola(sport):
    t = long_scene(SPORTS.index(sport), sport).track
    ddx, ddy = np.diff(t.x, 2), np.diff(t.y, 2)
    # Second difference at frame i uses i-1, i, i+1: valid inside one flight only.
    inside = np.isfinite(ddy) & (t.event[1:-1] == Event.NONE)
    assert inside.sum() > 300
    assert np.abs(ddx[inside]).max() < 1e-6
    moving = inside & (np.abs(np.diff(t.y)[1:]) > 0)  # a dead shuttle lies still
    assert (ddy[moving] > 0).all()  # gravity pulls down the image
    # Constant within each flight: neighbouring valid second differences agree.
    same_flight = inside[:-1] & inside[1:]
    assert same_flight.sum() > 250
    assert np.abs(np.diff(ddy)[same_flight]).max() < 1e-6


def _court_polygon(scene: Scene) -> np.ndarray:
    hw, hl = scene.style.width / 2, scene.style.length / 2
    corners = np.array([[-hw, -hl], [hw, -hl], [hw, hl], [-hw, hl]])
    return scene.camera.project(corners).astype(np.float32)


def _steps(t, k: int) -> tuple[np.ndarray, np.ndarray]:
    before = np.array([t.x[k] - t.x[k - 1], t.y[k] - t.y[k - 1]])
    after = np.array([t.x[k + 1] - t.x[k], t.y[k + 1] - t.y[k]])
    return before, after


@pytest.mark.parametrize("sport", SPORTS)
def test_bounces_are_on_the_court_and_kick_the_ball_up(sport):
    scene = long_scene(SPORTS.index(sport) + 10, sport)
    t, court = scene.track, _court_polygon(scene)
    bounces = np.flatnonzero(t.event == Event.BOUNCE)
    assert len(bounces) >= 2
    for k in bounces:
        assert cv2.pointPolygonTest(court, (float(t.x[k]), float(t.y[k])), False) >= 0
    kicked = [k for k in bounces if 0 < k < len(t) - 1 and t.y[k + 1] != t.y[k]]
    if not scene.style.rests:  # a shuttle stays down; everything else bounces
        assert len(kicked) >= 2
    for k in bounces[(bounces > 0) & (bounces < len(t) - 1)]:
        before, after = _steps(t, k)
        if k in kicked:
            assert after[1] < before[1], f"frame {k}: the bounce did not turn the ball upward"
        else:
            assert before[1] > 0, f"frame {k}: the ball landed while rising"


@pytest.mark.parametrize("sport", SPORTS)
def test_returns_send_the_ball_back(sport):
    """A hit that answers the previous shot (not a serve, which follows a pause without a
    ball) reverses the ball's direction."""
    t = long_scene(SPORTS.index(sport) + 20, sport).track
    events = np.flatnonzero(t.event)
    returns = [
        k
        for prev, k in itertools.pairwise(events)
        if t.event[k] == Event.HIT and k + 1 < len(t) and np.isfinite(t.y[prev : k + 2]).all()
    ]
    assert len(returns) >= 3
    for k in returns:
        before, after = _steps(t, k)
        assert before @ after < 0, f"frame {k}: the hit did not send the ball back"


def test_out_of_frame_stretches_and_pauses_have_no_visible_ball():
    t = long_scene(0).track
    none = t.visibility == Visibility.NO_BALL
    outside = (t.x < 0) | (t.x >= t.width) | (t.y < 0) | (t.y >= t.height)
    assert (np.isnan(t.x[none]) | outside[none]).all()
    assert (outside & none).sum() > 0, "the ball never leaves the picture"
    assert np.isnan(t.x[none]).sum() > 0, "no pause without a ball between rallies"
    assert not outside[~none].any()


def test_fast_balls_are_marked_hard():
    t = long_scene(0).track
    hard = t.visibility == Visibility.HARD
    assert hard.any()
    speed = np.hypot(np.gradient(t.x), np.gradient(t.y))
    assert np.nanmedian(speed[hard]) > np.nanmedian(speed[t.visibility == Visibility.VISIBLE])


# ----- pixels ------------------------------------------------------------------------------
def _shown_share(scene: Scene, n: int) -> float:
    """The share of the ball's disc whose pixels change when the ball is drawn."""
    t = scene.track
    r = float(t.radius[n])
    disc = np.zeros((scene.spec.height, scene.spec.width), np.uint8)
    centre = (round(t.x[n] * 16), round(t.y[n] * 16))
    cv2.circle(disc, centre, round(r * 16), 255, -1, cv2.LINE_AA, 4)
    changed = np.abs(scene.frame(n).astype(int) - scene.frame(n, ball=False)).max(axis=2) > 25
    return float((changed * disc.astype(float)).sum() / disc.astype(float).sum())


def test_occluded_ball_is_hidden_by_a_player_and_visible_ball_is_drawn():
    scene = Scene(ClipSpec(width=640, height=360, frames=400, seed=2, ball_radius=8))
    t = scene.track
    occluded = np.flatnonzero(t.visibility == Visibility.OCCLUDED)
    visible = np.flatnonzero(t.visibility == Visibility.VISIBLE)
    assert len(occluded) >= 3 and len(visible) >= 50
    for n in occluded:
        assert _shown_share(scene, n) < 0.7, f"frame {n}: an occluded ball shows"
    for n in visible[:: len(visible) // 20]:
        assert _shown_share(scene, n) > 0.45, f"frame {n}: a visible ball is missing"
        x, y = int(t.x[n]), int(t.y[n])
        pixel, behind = scene.frame(n)[y, x], scene.frame(n, ball=False)[y, x]
        assert colour_distance(pixel, scene.look.ball) < colour_distance(pixel, behind), n


def test_decoded_video_shows_the_ball_at_the_track_position(tmp_path, small_spec):
    track = generate_clip(small_spec, tmp_path / "c.mp4")
    scene = Scene(small_spec)
    frames = decode_rgb(tmp_path / "c.mp4")
    assert len(frames) == small_spec.frames
    checked = 0
    for n in np.flatnonzero(track.visibility == Visibility.VISIBLE):
        x, y = round(track.x[n]), round(track.y[n])
        if not (2 <= x < small_spec.width - 2 and 2 <= y < small_spec.height - 2):
            continue
        patch = frames[n][y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3).mean(axis=0)
        court = scene.background[y, x]
        assert colour_distance(patch, scene.look.ball) < colour_distance(patch, court), n
        checked += 1
    assert checked >= 20


def test_frame_numbers_read_back_from_the_decoded_video(tmp_path, small_spec):
    generate_clip(small_spec, tmp_path / "n.mp4", frame_numbers=True)
    frames = decode_rgb(tmp_path / "n.mp4")
    assert [read_frame_number(f) for f in frames] == list(range(small_spec.frames))


@pytest.mark.parametrize("frames", [1, 2, 3, 5, 8])
def test_clips_shorter_than_the_first_serve_still_render(frames, tmp_path):
    spec = ClipSpec(width=160, height=90, frames=frames, seed=11)
    track = generate_clip(spec, tmp_path / "short.mp4")
    assert len(track) == len(decode_rgb(tmp_path / "short.mp4")) == frames


@pytest.mark.parametrize("sport", SPORTS)
def test_every_sport_renders(sport):
    scene = Scene(ClipSpec(width=320, height=180, frames=30, sport=sport, seed=1))
    img = scene.frame(10)
    assert img.shape == (180, 320, 3) and img.dtype == np.uint8
    assert img.std() > 10  # a court, not a blank image


# ----- files -------------------------------------------------------------------------------
def test_track_csv_reads_back_with_the_project_reader(tmp_path, small_spec):
    synthetic = generate_clip(small_spec, tmp_path / "c.mp4", tmp_path / "c.csv")
    track, _report = read_csv(tmp_path / "c.csv")
    assert len(track) == small_spec.frames
    np.testing.assert_array_equal(track.visibility, synthetic.visibility)
    np.testing.assert_array_equal(track.event, synthetic.event)
    has = synthetic.visibility > 0
    np.testing.assert_allclose(track.x[has], synthetic.x[has])


def test_cancel_leaves_no_file(tmp_path, small_spec):
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(GenerationCancelled):
        generate_clip(small_spec, tmp_path / "c.mp4", tmp_path / "c.csv", cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_progress_reports_every_frame(tmp_path, small_spec):
    seen: list[tuple[int, int]] = []
    generate_clip(small_spec, tmp_path / "c.mp4", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (small_spec.frames, small_spec.frames)
    assert [d for d, _ in seen] == list(range(1, small_spec.frames + 1))


@pytest.mark.parametrize(
    "bad",
    [
        dict(width=321),
        dict(height=50),
        dict(fps=0),
        dict(frames=0),
        dict(sport="curling"),
        dict(players=3),
        dict(speed=0),
        dict(ball_radius=-1),
    ],
)
def test_bad_specs_are_refused(bad):
    with pytest.raises(ValueError):
        ClipSpec(**bad)


def test_benchmark_suite_is_fixed_and_held_out():
    train, test = benchmark_specs("train"), benchmark_specs("test")
    assert train == benchmark_specs("train") and test == benchmark_specs("test")
    assert not {s.seed for s in train} & {s.seed for s in test}
    assert {s.sport for s in test} - {s.sport for s in train}, "no unseen background"
    assert max(s.speed for s in test) > max(s.speed for s in train)
    assert min(s.speed for s in test) < min(s.speed for s in train)
    with pytest.raises(ValueError):
        benchmark_specs("validation")  # type: ignore[arg-type]
