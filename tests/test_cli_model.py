"""`tracknet-studio predict`, `evaluate` and `train` end to end, in subprocesses."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from model._clips import make_dataset
from tracknet.config import ModelConfig
from tracknet.modelfile import save_model
from tracknet.networks import build_network

from tracknet_studio.cli.predict import DEFAULT_WEIGHTS
from tracknet_studio.synthetic import ClipSpec, generate_clip


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-m", "tracknet_studio", *args], capture_output=True,
                         text=True, timeout=300, env=env)  # fmt: skip
    if check:
        assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 720p synthetic clip and its exact track in the tennis CSV form (keeps classes 0-3)."""
    folder = tmp_path_factory.mktemp("clip")
    generate_clip(ClipSpec(frames=24, seed=77), folder / "clip.mp4", folder / "clip.csv")
    return folder / "clip.mp4"


def test_predict_writes_the_prediction_form_for_the_range(clip: Path, tmp_path: Path) -> None:
    weights = tmp_path / "untrained"
    save_model(
        weights, build_network(ModelConfig(arch="fasttracknet")), ModelConfig("fasttracknet")
    )
    out = tmp_path / "pred.csv"
    run = _cli("predict", str(clip), "-o", str(out), "--weights", str(weights),
               "--range", "5:17", "--device", "cpu")  # fmt: skip
    assert "12 frames" in run.stdout and "17/12" not in run.stderr
    assert "12/12 frames" in run.stderr  # the progress bar
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["Frame", "Visibility", "X", "Y", "Time"]
    assert [int(r[0]) for r in rows[1:]] == list(range(5, 17))
    assert float(rows[1][4]) == pytest.approx(5 / 30)


def test_predict_reports_missing_weights(clip: Path, tmp_path: Path) -> None:
    run = _cli("predict", str(clip), "-o", str(tmp_path / "p.csv"), "--weights",
               str(tmp_path / "none"), check=False)  # fmt: skip
    assert run.returncode == 2 and "no weights" in run.stderr


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_dir(), reason="no shipped weights in resources/")
def test_shipped_weights_find_the_synthetic_ball(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred.csv"
    _cli("predict", str(clip), "-o", str(out), "--quiet")
    run = _cli("evaluate", str(out), str(clip.with_suffix(".csv")), "--json",
               "--space", "input", "--video", str(clip))  # fmt: skip
    result = json.loads(run.stdout)
    assert result["f1"] >= 0.8, result


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_evaluate_counts_a_case_worked_by_hand(tmp_path: Path) -> None:
    # frame 0: TP (3 px off); 1: FP1 (10 px off); 2: FP2; 3: FN; 4: TN; 5: occluded ball, hit.
    gt = _write(tmp_path / "gt.csv", "file name,visibility,x-coordinate,y-coordinate,status\n"
                "0000.jpg,1,100,100,0\n0001.jpg,1,100,100,0\n0002.jpg,0,,,0\n"
                "0003.jpg,2,50,50,0\n0004.jpg,0,,,0\n0005.jpg,3,80,80,0\n")  # fmt: skip
    pred = _write(tmp_path / "pred.csv", "Frame,Visibility,X,Y,Time\n"
                  "0,1,103,100,0\n1,1,110,100,0\n2,1,5,5,0\n3,0,0,0,0\n4,0,0,0,0\n"
                  "5,1,80,81,0\n")  # fmt: skip
    result = json.loads(
        _cli("evaluate", str(pred), str(gt), "--json", "--space", "original").stdout
    )
    assert [result[k] for k in ("tp", "fp1", "fp2", "fn", "tn")] == [2, 1, 1, 1, 1]
    assert result["precision"] == pytest.approx(2 / 4) and result["recall"] == pytest.approx(2 / 3)
    # Occluded balls left out; 10 px at 1024x576 is 5 px at 512x288: still outside 4 px.
    result = json.loads(_cli("evaluate", str(pred), str(gt), "--json", "--ignore", "3",
                             "--space", "input", "--size", "1024x576").stdout)  # fmt: skip
    assert [result[k] for k in ("tp", "fp1", "fp2", "fn", "tn")] == [1, 1, 1, 1, 1]
    assert "input space" in result["protocol"]
    text = _cli("evaluate", str(pred), str(gt), "--tolerance", "12", "--size", "512x288").stdout
    assert "TP 3" in text and "f1" in text and "input space" in text  # the default, said


def test_evaluate_input_space_needs_a_size(tmp_path: Path) -> None:
    gt = _write(tmp_path / "gt.csv", "Frame,Visibility,X,Y\n0,1,1,1\n")
    run = _cli("evaluate", str(gt), str(gt), check=False)  # input space is the default
    assert run.returncode == 2 and "--size" in run.stderr and "--space original" in run.stderr


@pytest.mark.slow
def test_train_command_runs_the_training_script(tmp_path: Path) -> None:
    data = make_dataset(tmp_path, 2, frames=6, val_fraction=0.5)
    run = _cli("train", "--data", str(data), "--out", str(tmp_path / "run"), "--epochs", "1",
               "--steps-per-epoch", "1", "--batch-size", "2", "--crop", "64x64",
               "--workers", "0", "--arch-kwargs", '{"base": 4}')  # fmt: skip
    assert "epoch=1 " in run.stdout
    config = json.loads((tmp_path / "run" / "model" / "config.json").read_text())
    assert config["arch_kwargs"]["base"] == 4 and config["arch_kwargs"]["half_blocks"] == 2
    assert (tmp_path / "run" / "model" / "model.safetensors").is_file()
    assert (tmp_path / "run" / "model" / "code" / "inference.py").is_file()


def test_predict_motion_needs_no_model_and_says_no_ball_across_a_cut(tmp_path: Path) -> None:
    from model.scenes import cut_clip_frames, write_clip

    frames, truth = cut_clip_frames()
    video = write_clip(tmp_path / "cut.mp4", frames)
    rows = [f"{t},1,{x:.3f},{y:.3f}" for t, (x, y) in truth.items()]
    gt = _write(tmp_path / "gt.csv", "Frame,Visibility,X,Y\n" + "\n".join(rows) + "\n")
    out = tmp_path / "auto.csv"
    run = _cli("predict", str(video), "-o", str(out), "--method", "motion", "--quiet",
               "--weights", str(tmp_path / "no-such-weights"))  # fmt: skip
    assert "motion, no model" in run.stdout
    predicted = {int(r[0]): r for r in list(csv.reader(out.open()))[1:]}
    assert predicted[19][1] == "0" and predicted[20][1] == "0"  # no ball bridges the cut
    run = _cli("evaluate", str(out), str(gt), "--json", "--tolerance", "3", "--space", "original")
    result = json.loads(run.stdout)
    assert result["fp1"] == 0 and result["fp2"] == 0 and result["tp"] >= 30, result


def test_sheet_draws_one_tile_per_frame(clip: Path, tmp_path: Path) -> None:
    import cv2

    out = tmp_path / "sheet.png"
    run = _cli("sheet", str(clip), "--track", str(clip.with_suffix(".csv")), "--frames",
               "3:9", "--crop", "40", "--zoom", "2", "--columns", "3", "-o", str(out))  # fmt: skip
    assert "6 frames" in run.stdout
    sheet = cv2.imread(str(out))
    # 2 rows x 3 columns of 80x80 tiles under an 18 px caption, 2 px apart.
    assert sheet.shape[:2] == (2 * (80 + 18 + 2), 3 * (80 + 2))
    missing = _cli("sheet", str(tmp_path / "none.mp4"), "-o", str(out), check=False)
    assert missing.returncode == 1 and "none.mp4" in missing.stderr


def test_train_passes_init_and_names_the_shipped_weights_by_place(tmp_path: Path) -> None:
    from tracknet_studio.cli import _build_parser
    from tracknet_studio.cli.train import command_line

    args = _build_parser("train").parse_args(
        ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--init", "shipped"]
    )
    command = command_line(args)
    assert command[command.index("--init") + 1] == str(DEFAULT_WEIGHTS)
    args.init = str(tmp_path / "m.tar.gz")
    assert command_line(args)[-1] == str(tmp_path / "m.tar.gz")


@pytest.mark.slow
def test_finetune_runs_the_whole_loop_with_a_time_split(clip: Path, tmp_path: Path) -> None:
    """featurize (train and held-out by time), train from --init, F1 before and after, the
    model folder; the held-out frames never reach training."""
    weights = tmp_path / "tiny"
    config = ModelConfig(arch="fasttracknet", height=96, width=160, arch_kwargs={"base": 4})
    save_model(weights, build_network(config), config)
    out, work = tmp_path / "tuned", tmp_path / "work"
    run = _cli("finetune", str(clip), str(clip.with_suffix(".csv")), "-o", str(out),
               "--init", str(weights), "--frames", "0:20", "--minutes", "0.05",
               "--device", "cpu", "--threads", "1", "--work", str(work))  # fmt: skip
    assert "held-out F1 before:" in run.stdout and "held-out F1 after:" in run.stdout
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    assert json.loads((out / "config.json").read_text())["height"] == 96  # the init's shape
    train_rows = (work / "input-train" / "clip.csv").read_text().splitlines()[1:]
    heldout_rows = (work / "input-heldout" / "clip.csv").read_text().splitlines()[1:]
    train_frames = [int(r.split(",")[0]) for r in train_rows]
    heldout_frames = [int(r.split(",")[0]) for r in heldout_rows]
    assert max(train_frames) < min(heldout_frames) and max(heldout_frames) < 20
    assert len(heldout_frames) == 4  # the last 20 % of 20 labelled frames


def negative_clip(folder: Path, frames: int) -> Path:
    """A synthetic badminton rally in negative colours (a dark shuttle on a light court),
    a look the shipped weights never saw, with its labels beside it."""
    import av

    spec = ClipSpec(width=512, height=288, frames=frames, seed=7, sport="badminton")
    track = generate_clip(spec, folder / "positive.mp4")
    with av.open(str(folder / "positive.mp4")) as source:
        pictures = [255 - f.to_ndarray(format="rgb24") for f in source.decode(video=0)]
    video = folder / "negative.mp4"
    with av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 512, 288, "yuv420p"
        stream.options = {"crf": "18"}
        for picture in pictures:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(stream.encode())
    track.write_label_table(video.with_suffix(".csv"))
    return video


@pytest.mark.slow
def test_finetune_adapts_the_shipped_weights_to_a_look_they_never_saw(tmp_path: Path) -> None:
    """Measured: the shipped weights find no ball in the negative rally's held-out frames
    (F1 0.00); two minutes of fine-tuning on its first 160 frames gave 0.93."""
    video = negative_clip(tmp_path, frames=200)
    run = _cli("finetune", str(video), str(video.with_suffix(".csv")), "-o", str(tmp_path / "m"),
               "--minutes", "2", "--device", "cpu", "--threads", "2")  # fmt: skip
    before = float(run.stdout.split("held-out F1 before:")[1].split()[0])
    after = float(run.stdout.split("held-out F1 after:")[1].split()[0])
    assert before < 0.3 and after >= before + 0.4, run.stdout[-2000:]


@pytest.mark.slow
def test_a_fine_tuned_model_worse_than_its_start_is_not_kept(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Early stopping with the initial model as a candidate: when the held-out frames score
    worse after training, the model written is the initial one, and the result says so."""
    import torch
    from tracknet.modelfile import load_model

    from tracknet_studio.formats.csv_tracks import read_csv
    from tracknet_studio.inference import finetune as loop

    weights = tmp_path / "tiny"
    config = ModelConfig(arch="fasttracknet", height=96, width=160, arch_kwargs={"base": 4})
    save_model(weights, build_network(config), config)
    scores = iter([0.9, 0.1])  # before, after
    monkeypatch.setattr(loop, "heldout_f1", lambda *a: next(scores))
    labels, _ = read_csv(clip.with_suffix(".csv"))
    clips = [loop.labelled_clip(clip, labels, (0, 20), 0.2)]
    result = loop.finetune(clips, weights, tmp_path / "out", minutes=0.05, device="cpu",
                           threads=1, say=lambda _line: None)  # fmt: skip
    assert result.kept_initial and (result.before, result.after) == (0.9, 0.1)
    kept, _ = load_model(tmp_path / "out", "cpu")
    initial, _ = load_model(weights, "cpu")
    for a, b in zip(kept.state_dict().values(), initial.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_finetune_refuses_too_few_labels(clip: Path, tmp_path: Path) -> None:
    run = _cli("finetune", str(clip), str(clip.with_suffix(".csv")), "-o", str(tmp_path / "m"),
               "--frames", "0:5", check=False)  # fmt: skip
    assert run.returncode == 1 and "fine-tuning needs 20+" in run.stderr


def test_train_offers_every_option_of_the_training_script_and_passes_them_as_written(
    tmp_path: Path,
) -> None:
    import argparse

    from tracknet.train_options import add_training_arguments

    from tracknet_studio.cli import _build_parser
    from tracknet_studio.cli.train import command_line

    script = argparse.ArgumentParser()
    add_training_arguments(script)
    cli_help = _build_parser("train").format_help()
    flags = [f for a in script._actions for f in a.option_strings if f.startswith("--")]
    assert set(flags) >= {"--threads", "--crop-ball", "--still", "--static-repeat", "--hflip",
                          "--jitter", "--cpu-bf16", "--val-every", "--init"}  # fmt: skip
    sub = _build_parser("train")._subparsers._group_actions[0].choices["train"]
    assert all(f in sub.format_help() for f in flags), cli_help
    given = ["--crop", "64x128", "--still", "0.2", "--cpu-bf16", "--arch-kwargs", '{"base": 4}',
             "--threads", "1", "--validation", str(tmp_path / "val")]  # fmt: skip
    args = _build_parser("train").parse_args(
        ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o"), *given]
    )
    command = command_line(args)
    for flag, value in (("--crop", "64x128"), ("--still", "0.2"), ("--threads", "1"),
                        ("--arch-kwargs", '{"base": 4}')):  # fmt: skip
        assert command[command.index(flag) + 1] == value
    assert "--cpu-bf16" in command and "--epochs" not in command  # only what was given
    bad = _cli("train", "--data", str(tmp_path), "--out", str(tmp_path), "--crop", "60x100",
               check=False)  # fmt: skip
    assert bad.returncode == 2 and "multiples of 8" in bad.stderr


@pytest.mark.parametrize("broken", ["folder", "archive", "safetensors"])
def test_predict_with_broken_weights_says_so_in_one_line(broken: str, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    from tracknet_studio.cli import main

    assert main(["demo", "-o", str(clip), "--frames", "6", "--quiet"]) == 0
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"garbage")
    (tmp_path / "model.tar.gz").write_bytes(b"not a tar")
    weights = {"folder": folder, "archive": tmp_path / "model.tar.gz",
               "safetensors": folder / "model.safetensors"}[broken]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "tracknet_studio", "predict", str(clip), "-o",
         str(tmp_path / "p.csv"), "--weights", str(weights), "--quiet"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "cannot be read as a model" in done.stderr
