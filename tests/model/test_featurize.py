"""entrypoints/featurize.py on small synthetic clips: layout, sizes, labels, split, sharding."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from tracknet.dataset import load_clips, read_manifest

from ._clips import make_clips

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "model" / "tracknet" / "entrypoints" / "featurize.py"


def _load_featurize():
    spec = importlib.util.spec_from_file_location("featurize", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["featurize"] = module
    spec.loader.exec_module(module)
    return module


featurize = _load_featurize()


@pytest.fixture(scope="module")
def clips_dir(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("clips")
    tracks = make_clips(folder, 4, frames=8)
    return folder, tracks


def test_layout_sizes_and_scaled_labels(clips_dir, tmp_path: Path) -> None:
    folder, tracks = clips_dir
    out = tmp_path / "out"
    assert featurize.main(["--input", str(folder), "--output", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["width"] == 512 and manifest["config"]["height"] == 288
    assert len(manifest["clips"]) == 4
    for record in manifest["clips"]:
        clip_dir = out / record["path"]
        assert record["frames"] == 8 and record["labelled_frames"] == 8
        assert (record["original_width"], record["original_height"]) == (320, 180)
        frames = sorted((clip_dir / "frames").glob("*.jpg"))
        assert [p.name for p in frames] == [f"{i:06d}.jpg" for i in range(8)]
        assert cv2.imread(str(frames[0])).shape == (288, 512, 3)
        assert record["bytes"] == sum(p.stat().st_size for p in frames)
        track = tracks[int(record["name"].removeprefix("clip"))]
        with (clip_dir / "labels.csv").open() as f:
            rows = list(csv.DictReader(f))
        for n, row in enumerate(rows):
            assert int(row["Visibility"]) == int(track.visibility[n])
            if int(row["Visibility"]) > 0:
                assert float(row["X"]) == pytest.approx(track.x[n] * 512 / 320, abs=1e-2)
                assert float(row["Y"]) == pytest.approx(track.y[n] * 288 / 180, abs=1e-2)
                assert float(row["OriginalX"]) == pytest.approx(track.x[n], abs=1e-2)


def test_frames_match_the_resized_video(clips_dir, tmp_path: Path) -> None:
    folder, _ = clips_dir
    out = tmp_path / "out"
    featurize.main(["--input", str(folder), "--output", str(out), "--image-format", "png"])
    clip = next(c for c in load_clips(out) if c.name == "clip0")
    decoded = next(featurize.decode_rgb(folder / "clip0.mp4"))
    expected = cv2.resize(decoded, (512, 288), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(clip.read_rgb(0), expected)  # PNG is lossless


def test_split_is_by_clip_and_seeded() -> None:
    names = [f"c{i}" for i in range(10)]
    splits = featurize.assign_splits(names, 0.2, seed=3)
    assert sorted(splits.values()).count("val") == 2
    assert splits == featurize.assign_splits(list(reversed(names)), 0.2, seed=3)
    assert splits != featurize.assign_splits(names, 0.2, seed=4)
    # Two clips and any positive fraction still give one of each.
    assert sorted(featurize.assign_splits(["a", "b"], 0.01, 0).values()) == ["train", "val"]


def test_each_clip_lives_in_one_split(clips_dir, tmp_path: Path) -> None:
    folder, _ = clips_dir
    out = tmp_path / "out"
    featurize.main(["--input", str(folder), "--output", str(out), "--val-fraction", "0.5"])
    train = {p.name for p in (out / "train").iterdir()}
    val = {p.name for p in (out / "val").iterdir()}
    assert len(train) == len(val) == 2 and not train & val


def test_shards_split_the_clips_and_agree_on_the_split(clips_dir, tmp_path: Path) -> None:
    folder, _ = clips_dir
    out = tmp_path / "out"
    for host in ("algo-2", "algo-1"):
        config = tmp_path / f"{host}.json"
        config.write_text(json.dumps({"current_host": host, "hosts": ["algo-1", "algo-2"]}))
        featurize.main(
            [
                "--input",
                str(folder),
                "--output",
                str(out),
                "--resource-config",
                str(config),
                "--val-fraction",
                "0.5",
            ]
        )
    one = json.loads((out / "manifest-algo-1.json").read_text())["clips"]
    two = json.loads((out / "manifest-algo-2.json").read_text())["clips"]
    assert [c["name"] for c in one] == ["clip0", "clip2"]
    assert [c["name"] for c in two] == ["clip1", "clip3"]
    merged = read_manifest(out)
    single = featurize.assign_splits([f"clip{i}" for i in range(4)], 0.5, 0)
    assert {c["name"]: c["split"] for c in merged["clips"]} == single


def test_unlisted_frames_are_unlabelled(tmp_path: Path) -> None:
    labels = tmp_path / "l.csv"
    labels.write_text("Frame,Visibility,X,Y\n0,1,10,20\n2,0,0,0\n9,1,5,5\n")
    table = featurize.read_labels(labels, 4)
    assert table[:, 0].tolist() == [1, -1, 0, -1]
    assert table[0, 1:].tolist() == [10, 20] and np.isnan(table[2, 1])


def test_runs_as_a_script_and_prints_progress(clips_dir, tmp_path: Path) -> None:
    folder, _ = clips_dir
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--input", str(folder), "--output", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "[4/4]" in run.stdout and "KiB/frame" in run.stdout


def test_a_single_clip_is_split_in_time(tmp_path: Path) -> None:
    """One clip cannot be split by clip: its last 20 % of labelled frames validate, and no
    labelled frame is in both splits."""
    folder = tmp_path / "one"
    make_clips(folder, 1, frames=10)
    out = tmp_path / "out"
    assert featurize.main(["--input", str(folder), "--output", str(out)]) == 0
    train, val = load_clips(out, "train"), load_clips(out, "val")
    assert len(train) == len(val) == 1
    labelled_train = np.flatnonzero(train[0].labels[:, 0] >= 0)
    labelled_val = np.flatnonzero(val[0].labels[:, 0] >= 0)
    assert labelled_train.tolist() == list(range(8)) and labelled_val.tolist() == [8, 9]
    assert train[0].n_frames == val[0].n_frames == 10  # windows still see their neighbours
