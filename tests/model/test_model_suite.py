"""synthetic.model_suite: the benchmark's clips made in parallel, featurized in shards, scored
per clip (what scripts/compare_networks and bench/ build on)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tracknet.config import ModelConfig
from tracknet.dataset import load_clips
from tracknet.metrics import Counts
from tracknet.modelfile import save_model
from tracknet.networks import build_network

from tracknet_studio.synthetic import model_suite

FRAMES = 6


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("suite")
    return folder, model_suite.generate_suite("test", folder, FRAMES, jobs=2)


def test_parallel_generation_writes_every_clip_once(suite) -> None:
    folder, videos = suite
    assert [v.name for v in videos] == [f"test{i:02d}.mp4" for i in range(8)]
    assert all(v.is_file() and v.with_suffix(".csv").is_file() for v in videos)
    stamps = [v.stat().st_mtime_ns for v in videos]
    model_suite.generate_suite("test", folder, FRAMES, jobs=2)  # nothing left to make
    assert [v.stat().st_mtime_ns for v in videos] == stamps


def test_sharded_featurize_gives_the_same_dataset_as_one_process(suite, tmp_path: Path) -> None:
    folder, _ = suite
    model_suite.featurize(folder, tmp_path / "one", 0.25)
    model_suite.featurize(folder, tmp_path / "three", 0.25, shards=3)
    assert sorted(p.name for p in (tmp_path / "three").glob("manifest*.json")) == [
        "manifest-algo-1.json",
        "manifest-algo-2.json",
        "manifest-algo-3.json",
    ]
    one = {c.name: c for c in load_clips(tmp_path / "one")}
    three = {c.name: c for c in load_clips(tmp_path / "three")}
    assert {n: c.split for n, c in one.items()} == {n: c.split for n, c in three.items()}
    for name, clip in one.items():
        np.testing.assert_array_equal(clip.labels, three[name].labels)


def test_held_out_counts_are_the_sum_of_the_per_clip_counts(suite, tmp_path: Path) -> None:
    _, videos = suite
    config = ModelConfig(arch="fasttracknet", arch_kwargs={"base": 4})
    save_model(tmp_path / "model", build_network(config), config.with_changes(threshold=0.01))
    held_out = model_suite.score_held_out(tmp_path / "model", videos[:3], runtime="torch")
    assert list(held_out.per_clip) == ["test00", "test01", "test02"]
    total = sum(held_out.per_clip.values(), Counts())
    assert total == held_out.input_space
    assert held_out.frames == 3 * FRAMES == held_out.input_space.total
