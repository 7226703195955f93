"""tracknet.dataset: windows, heatmap targets and each augmentation, on featurized clips."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tracknet.config import ModelConfig
from tracknet.dataset import (
    Augment,
    TrackNetDataset,
    ball_at_rest,
    colour_jitter,
    flip_x,
    load_clips,
)

from ._clips import make_dataset

CONFIG = ModelConfig(arch="fasttracknet")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("ds"), 3, frames=8, ball_radius=6.0, noise=0.0)


def _ball_index(dataset: TrackNetDataset) -> int:
    for i in range(len(dataset)):
        if (dataset[i]["visibility"] > 0).all():
            return i
    raise AssertionError("no window with the ball in every frame")


def _ball_item(dataset: TrackNetDataset) -> dict:
    return dataset[_ball_index(dataset)]


def test_items_have_the_network_layout_and_targets_on_the_ball(data: Path) -> None:
    clips = load_clips(data)
    dataset = TrackNetDataset(clips, CONFIG)
    assert len(dataset) == sum(c.n_frames - 2 for c in clips)
    item = _ball_item(dataset)
    assert item["frames"].shape == (9, 288, 512) and item["heatmap"].shape == (3, 288, 512)
    assert float(item["frames"].min()) >= 0.0 and float(item["frames"].max()) <= 1.0
    for heat, (x, y) in zip(item["heatmap"].numpy(), item["xy"].numpy(), strict=True):
        rows, cols = np.nonzero(heat)
        assert 15 <= len(rows) <= 25  # a disc of radius 2.5 px has 21 pixels
        assert abs(cols.mean() - x) < 0.6 and abs(rows.mean() - y) < 0.6
    # Channels are frame-major RGB: channels 6..8 are the newest frame.
    clip = clips[int(item["clip"])]
    newest = clip.read_rgb(int(item["frame"][-1])).transpose(2, 0, 1) / 255.0
    np.testing.assert_allclose(item["frames"][6:].numpy(), newest, atol=1e-6)


def test_windows_need_labelled_targets_and_one_output_takes_the_newest(data: Path) -> None:
    clips = load_clips(data)
    clips[0].labels[3, 0] = -1  # unlabelled frame
    dataset = TrackNetDataset(clips[:1], CONFIG)
    assert [w.start for w in dataset.windows] == [0, 4, 5]  # windows 1, 2, 3 contain frame 3
    single = TrackNetDataset(clips[:1], CONFIG.with_changes(frames_out=1), stride=1)
    assert [w.start for w in single.windows] == [0, 2, 3, 4, 5]
    assert single[0]["heatmap"].shape == (1, 288, 512)
    assert single[0]["frame"].tolist() == [2]


def test_validation_stride_scores_each_frame_once(data: Path) -> None:
    clips = load_clips(data, "val")
    dataset = TrackNetDataset(clips, CONFIG, stride=3)
    frames = np.concatenate([dataset[i]["frame"].numpy() for i in range(len(dataset))])
    assert len(frames) == len(set(frames.tolist()))


def test_horizontal_flip_mirrors_frames_targets_and_positions(data: Path) -> None:
    clips = load_clips(data)
    plain_set = TrackNetDataset(clips, CONFIG)
    index = _ball_index(plain_set)
    plain = plain_set[index]
    flipped = TrackNetDataset(clips, CONFIG, augment=Augment(hflip=1.0, jitter=0.0))[index]
    np.testing.assert_array_equal(flipped["frames"].numpy(), plain["frames"].numpy()[:, :, ::-1])
    np.testing.assert_array_equal(flipped["heatmap"].numpy(), plain["heatmap"].numpy()[:, :, ::-1])
    np.testing.assert_allclose(flipped["xy"][:, 0].numpy(), 511 - plain["xy"][:, 0].numpy())
    assert flip_x(np.array([0.0, 511.0]), 512).tolist() == [511.0, 0.0]


def test_colour_jitter_changes_every_frame_the_same_way() -> None:
    rng = np.random.default_rng(0)
    frame = rng.random((1, 20, 30, 3), dtype=np.float32)
    stack = np.repeat(frame, 3, axis=0)
    out = colour_jitter(stack, Augment(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1), rng)
    assert out.shape == stack.shape and out.min() >= 0 and out.max() <= 1
    assert not np.allclose(out, stack, atol=1e-3)
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)
    np.testing.assert_allclose(out[0], out[2], atol=1e-6)


def test_augmentation_is_seeded_per_epoch(data: Path) -> None:
    dataset = TrackNetDataset(load_clips(data), CONFIG, augment=Augment(hflip=0.5, jitter=1.0))
    first = dataset[1]["frames"]
    assert np.array_equal(first.numpy(), dataset[1]["frames"].numpy())
    dataset.set_epoch(1)
    assert not np.array_equal(first.numpy(), dataset[1]["frames"].numpy())


def test_whole_clip_mixup_blends_frames_and_targets_with_one_weight(data: Path) -> None:
    clips = load_clips(data)
    plain = TrackNetDataset(clips, CONFIG)
    mixed = TrackNetDataset(clips, CONFIG, augment=Augment(hflip=0, jitter=0, mixup=1.0))
    item, base = mixed[0], plain[0]
    heat = item["heatmap"].numpy()
    levels = set(np.unique(np.round(heat, 5)).tolist()) - {0.0, 1.0}
    assert levels, "the targets should be blended"
    lam_candidates = {round(v, 4) for v in levels}
    # Blended with another clip's window: frames = lam * own + (1 - lam) * other.
    other = [plain[i] for i in range(len(plain)) if int(plain[i]["clip"]) != int(base["clip"])]
    ok = False
    for lam in lam_candidates | {round(1 - v, 4) for v in lam_candidates}:
        rest = (item["frames"].numpy() - lam * base["frames"].numpy()) / max(1 - lam, 1e-6)
        ok |= any(np.allclose(rest, o["frames"].numpy(), atol=1e-3) for o in other)
    assert ok, "frames are not one blend of this window and another clip's window"


def test_crops_keep_the_ball_when_asked(data: Path) -> None:
    dataset = TrackNetDataset(load_clips(data), CONFIG, crop=(64, 128), crop_ball=1.0)
    item = _ball_item(dataset)
    assert item["frames"].shape == (9, 64, 128) and item["heatmap"].shape == (3, 64, 128)
    assert float(item["heatmap"][-1].sum()) >= 15


def test_ball_at_rest_needs_a_visible_ball_that_did_not_move() -> None:
    labels = np.array(
        [
            [1, 10.0, 10.0],  # first frame: nothing to compare with
            [1, 10.5, 10.0],  # moved 0.5 px: at rest
            [1, 14.0, 10.0],  # moved
            [1, 14.0, 10.0],  # at rest
            [0, np.nan, np.nan],  # no ball
            [1, 14.0, 10.0],  # the frame before had no ball
            [-1, 14.0, 10.0],  # unlabelled
        ]
    )
    assert ball_at_rest(labels).tolist() == [False, True, False, True, False, False, False]


def test_static_repeat_lists_windows_ending_on_a_ball_at_rest_again(data: Path) -> None:
    clips = load_clips(data)[:1]
    clips[0].labels[2:6] = [[1, 90.0, 60.0], [1, 100.0, 60.0], [1, 110.0, 60.0], [1, 110.0, 60.0]]
    # The ball moves in frames 3 and 4 and rests in frame 5.
    plain = TrackNetDataset(clips, CONFIG)
    repeated = TrackNetDataset(clips, CONFIG, static_repeat=3)
    starts = [w.start for w in repeated.windows]
    assert len(repeated) == len(plain) + 2
    assert starts.count(3) == 3  # the window of frames 3, 4, 5
    assert all(starts.count(w.start) == 1 for w in plain.windows if w.start != 3)


def test_still_windows_repeat_the_newest_frame_and_its_target(data: Path) -> None:
    clips = load_clips(data)
    plain_set = TrackNetDataset(clips, CONFIG)
    index = _ball_index(plain_set)
    plain = plain_set[index]
    still = TrackNetDataset(clips, CONFIG, augment=replace(Augment.none(), still=1.0))[index]
    newest = plain["frames"][6:].numpy()
    for first_channel in (0, 3, 6):
        np.testing.assert_array_equal(still["frames"][first_channel : first_channel + 3], newest)
    for heat in still["heatmap"].numpy():
        np.testing.assert_array_equal(heat, plain["heatmap"][-1].numpy())
    assert (still["xy"].numpy() == plain["xy"][-1].numpy()).all()
    assert not np.array_equal(plain["frames"][:3].numpy(), newest)  # the ball moved
