"""scripts/real_pretraining.py: pseudo-labels from the auto-track are right where it is
confident and absent where it is not, and the real videos are split by whole video (the
test clips never reach training). The split test skips where ../shared/data is absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tracknet.metrics import evaluate

from tracknet_studio.synthetic import ClipSpec, generate_clip

ROOT = Path(__file__).resolve().parents[2]

import real_pretraining  # noqa: E402

from tracknet_studio.inference.real_set import load_clips, shared_data_missing  # noqa: E402


@pytest.fixture(scope="module")
def flight(tmp_path_factory: pytest.TempPathFactory):
    """A synthetic rally (a still camera, players) auto-tracked, and its true track."""
    path = tmp_path_factory.mktemp("pseudo") / "rally.mp4"
    spec = ClipSpec(width=640, height=360, frames=60, seed=3)
    truth = generate_clip(spec, path)
    size, candidates = real_pretraining.detect(path)
    return real_pretraining.RealVideo(path, size, candidates), truth


def test_confident_pseudo_labels_are_right(flight) -> None:
    video, truth = flight
    labels = video.pseudo_labels(real_pretraining.MIN_BELIEF)
    given = labels[:, 0] > 0
    assert given.sum() >= 10, "a clear synthetic flight gets pseudo-labels"
    assert set(np.unique(labels[:, 0])) <= {real_pretraining.UNLABELLED, 1}, "never 'no ball'"
    counts = evaluate(given, labels[:, 1:], truth.visibility, np.stack([truth.x, truth.y], 1),
                      tolerance=4.0, space="input", original_size=video.size)  # fmt: skip
    assert counts.precision >= 0.95, counts


def test_a_higher_threshold_gives_fewer_labels_and_none_at_the_extreme(flight) -> None:
    video, _ = flight
    counts = [int((video.pseudo_labels(t)[:, 0] > 0).sum()) for t in (0.005, 0.015, 0.03, 10.0)]
    assert counts == sorted(counts, reverse=True) and counts[-1] == 0, counts


def test_label_table_keeps_positions_and_skips_unlabelled(tmp_path: Path) -> None:
    labels = np.array([[-1, np.nan, np.nan], [1, 10.5, 20.25], [0, 0, 0], [3, np.nan, np.nan]])
    path = tmp_path / "l.csv"
    assert real_pretraining.write_label_table(path, labels) == 2
    assert path.read_text() == "Frame,Visibility,X,Y\n1,1,10.50,20.25\n2,0,0,0\n"


@pytest.mark.skipif(shared_data_missing() is not None, reason=str(shared_data_missing()))
def test_the_test_clips_and_the_validating_clips_never_reach_training() -> None:
    train, validation = real_pretraining.video_split()
    trained = {path.name for path, _ in train}
    for clip in load_clips():
        name = Path(clip.video).name
        if clip.split == "test" or clip.name in real_pretraining.VALIDATION:
            assert name not in trained, clip.name
    assert {c.name for c in validation} == set(real_pretraining.VALIDATION)
    dev = {c.name for _, c in train if c is not None}
    assert dev and all(c.split == "dev" for _, c in train if c is not None)
    assert len(trained) >= 15, "every other real video is trained on"
