"""scripts/compare_networks.py: variants named on the command line, scored at once, reported
with the arguments that make them variants."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

from tracknet.config import ModelConfig
from tracknet.modelfile import save_model
from tracknet.networks import build_network, default_arch_kwargs

ROOT = Path(__file__).resolve().parents[2]

import compare_networks  # noqa: E402

from tracknet_studio.synthetic import comparison  # noqa: E402


def test_a_variant_is_a_label_and_a_json_object() -> None:
    assert compare_networks.variant('wide={"base": 48}') == ("wide", '{"base": 48}')
    for bad in ('{"base": 48}', '=({"base": 48})', "wide=[48]", "wide={base: 48}", "wide"):
        with pytest.raises(argparse.ArgumentTypeError, match="LABEL=JSON"):
            compare_networks.variant(bad)


def test_every_recipe_network_and_variant_is_one_run() -> None:
    args = argparse.Namespace(recipe=["gpu", "gpu-wide"], arch=["fasttracknet"],
                              variant=[("a", "{}"), ("b", '{"base": 8}')], seed=[0])  # fmt: skip
    names = [f"{r.recipe}/{r.name}" for r in compare_networks.planned_runs(args)]
    assert names == ["gpu/fasttracknet-a", "gpu/fasttracknet-b",
                     "gpu-wide/fasttracknet-a", "gpu-wide/fasttracknet-b"]  # fmt: skip
    args.variant = []
    assert [r.name for r in compare_networks.planned_runs(args)] == ["fasttracknet"] * 2


def test_each_seed_is_a_run_of_its_own_trained_from_that_seed() -> None:
    args = argparse.Namespace(recipe=["cpu-still"], arch=["fasttracknet"], variant=[],
                              seed=[0, 2], suite=Path("suite"), work=Path("work"),
                              device="cpu", workers=None, threads=None, cpu_bf16=False,
                              time_budget=None)  # fmt: skip
    plain, second = compare_networks.planned_runs(args)
    assert (plain.name, second.name) == ("fasttracknet", "fasttracknet-seed2")
    assert second.folder(args.work) == Path("work/cpu-still/fasttracknet-seed2")
    command = compare_networks.train_command(second, args)
    # The run's seed takes the place of the recipe's --seed 0.
    assert command[len(command) - 1 - command[::-1].index("--seed") + 1] == "2"
    assert "--seed" not in compare_networks.train_command(plain, args)[-4:]


def _result(f1: float, **arch_kwargs: object) -> dict:
    kwargs = default_arch_kwargs("fasttracknet") | arch_kwargs
    return {"arch": "fasttracknet", "arch_kwargs": kwargs, "input": {"f1": f1}}


def test_the_verdict_names_the_closest_variant_and_what_makes_it_one() -> None:
    runs = {"fasttracknet": _result(0.95), "tracknetv2": _result(0.98) | {"arch": "tracknetv2"},
            "fasttracknet-wide": _result(0.972, base=48, full_res=32),
            "fasttracknet-deep": _result(0.96, half_blocks=2)}  # fmt: skip
    runs["tracknetv2"]["arch_kwargs"] = default_arch_kwargs("tracknetv2")
    line = comparison.verdict_line(runs)
    assert "**+3.00**" in line and "NOT within one point" in line
    assert "Closest variant: fasttracknet-wide (base 48, full_res 32), **+0.80**" in line
    assert comparison.changed_arguments(runs["fasttracknet"]) == ""
    del runs["fasttracknet"]
    line = comparison.verdict_line(runs)
    assert line.startswith("The fast network's current layout was not trained")
    assert "Closest variant: fasttracknet-wide" in line


def test_gaps_are_only_taken_between_runs_scored_with_the_same_tracker() -> None:
    now = {"tracker": compare_networks.TRACKER}
    runs = {"tracknetv2": _result(0.98) | now, "fasttracknet": _result(0.97),
            "fasttracknet-wide": _result(0.975, base=48) | now}  # fmt: skip
    assert comparison.gap_to_tracknetv2(runs, "fasttracknet") is None
    assert comparison.gap_to_tracknetv2(runs, "fasttracknet-wide") == pytest.approx(0.5)
    line = comparison.verdict_line(runs)
    assert line.startswith("The fast network and TrackNetV2 were scored with different")
    assert "Closest variant: fasttracknet-wide (base 48), **+0.50**" in line
    runs["fasttracknet"] |= now
    assert "**+1.00** F1 points" in comparison.verdict_line(runs)


def _recorded(f1: float) -> dict:
    counts = {"tp": 90, "fp1": 2, "fp2": 3, "fn": 5, "tn": 10, "f1": f1}
    clips = {f"test{i:02d}": counts for i in range(8)}
    return _result(f1) | {"input": counts, "original": counts, "per_clip": clips,
                          "params": 2e5, "steps": 100, "train_minutes": 1.0, "best_epoch": 1,
                          "val_f1": 0.9, "frames": 120, "score_seconds": 3.0}  # fmt: skip


def test_a_runs_note_is_recorded_so_the_report_keeps_it_after_build_is_gone(
    tmp_path: Path,
) -> None:
    work, docs = tmp_path / "work", tmp_path / "docs"
    docs.mkdir()
    recorded = {"gpu-wide": {"fasttracknet-old": _recorded(0.95) | {"note": "Ran on a GPU."}}}
    (docs / "model-comparison.json").write_text(json.dumps(recorded))
    run = work / "gpu-wide" / "fasttracknet-new"
    run.mkdir(parents=True)
    (run / "held_out.json").write_text(json.dumps(_recorded(0.96)))
    (run / "NOTE.md").write_text("Ran on the 2-core CPU.\n")
    args = argparse.Namespace(docs=docs, work=work, frames=15)
    compare_networks.write_report(compare_networks.collect(args), args)
    runs = json.loads((docs / "model-comparison.json").read_text())["gpu-wide"]
    assert runs["fasttracknet-new"]["note"] == "Ran on the 2-core CPU."
    report = (docs / "model-comparison.md").read_text()
    assert "- fasttracknet-old: Ran on a GPU." in report
    assert "- fasttracknet-new: Ran on the 2-core CPU." in report


@pytest.mark.slow
def test_score_only_scores_every_variant_in_parallel_and_reports_them(tmp_path: Path) -> None:
    work, docs = tmp_path / "work", tmp_path / "docs"
    docs.mkdir()
    first = {"base": 4, "full_res": 0, "full_res_stem": False, "half_blocks": 0}
    variants = {"plain": {"base": 4}, "first": first}
    for label, kwargs in variants.items():
        run = work / "gpu-wide" / f"fasttracknet-{label}"
        config = ModelConfig(arch="fasttracknet", arch_kwargs=kwargs, threshold=0.01)
        save_model(run / "model", build_network(config), config)
        (run / "output").mkdir()
        history = [{"epoch": 1, "seconds": 6.0, "val": {"f1": 0.5}}]
        (run / "output" / "history.json").write_text(json.dumps(history))
    variant_options = [f"--variant={label}={json.dumps(kw)}" for label, kw in variants.items()]
    command = [sys.executable, str(ROOT / "scripts" / "compare_networks.py"),
               "--recipe", "gpu-wide", "--arch", "fasttracknet", "--score-only", "--parallel",
               "--frames", "4", "--jobs", "2", "--work", str(work),
               "--suite", str(tmp_path / "suite"), "--docs", str(docs),
               *variant_options]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    for label in variants:
        held_out = json.loads(
            (work / "gpu-wide" / f"fasttracknet-{label}" / "held_out.json").read_text()
        )
        assert held_out["frames"] == 8 * 4 and held_out["steps"] == 100
        assert set(held_out["per_clip"]) == {f"test{i:02d}" for i in range(8)}
    recorded = json.loads((docs / "model-comparison.json").read_text())
    assert set(recorded["gpu-wide"]) == {"fasttracknet-plain", "fasttracknet-first"}
    report = (docs / "model-comparison.md").read_text()
    assert "| fasttracknet-plain | base 4 |" in report
    assert (
        "| fasttracknet-first | base 4, full_res 0, full_res_stem false, half_blocks 0 |" in report
    )


def test_seeds_are_listed_together_and_the_fast_mean_judged_against_the_best_v2() -> None:
    now = {"tracker": compare_networks.TRACKER}
    v2 = {"arch": "tracknetv2", "arch_kwargs": default_arch_kwargs("tracknetv2")} | now
    runs = {"fasttracknet": _result(0.96) | now,
            "fasttracknet-seed1": _result(0.95) | now | {"seed": 1},
            "fasttracknet-seed2": _result(0.97) | now | {"seed": 2},
            "tracknetv2": _result(0.968) | v2,
            "tracknetv2-seed1": _result(0.958) | v2 | {"seed": 1},
            "fasttracknet-wide": _result(0.972, base=48) | now}  # fmt: skip
    order = [name for name, _ in sorted(runs.items(), key=comparison.report_order)]
    assert order == ["fasttracknet", "fasttracknet-seed1", "fasttracknet-seed2", "tracknetv2",
                     "tracknetv2-seed1", "fasttracknet-wide"]  # fmt: skip
    gap = comparison.gap_to_tracknetv2
    assert gap(runs, "fasttracknet-seed1") == pytest.approx(1.8)  # seed 0 of both
    assert gap(runs, "fasttracknet-seed2") == pytest.approx(-0.2)
    line = comparison.verdict_line(runs)
    assert "**+0.80** F1 points at 4 px in input space from seed 0." in line
    assert "the fast network 0.9600 over 3 seeds (0.9500-0.9700)" in line
    assert "TrackNetV2 0.9630 over 2 seeds (0.9580-0.9680)" in line
    assert "mean against mean +0.30, the fast network's mean against TrackNetV2's best" in line
    assert "**+0.80** (judged by this one): the fast network is within one point" in line
    # Seeds of the network as it is are not variants of it.
    assert "Closest variant: fasttracknet-wide (base 48), **-0.40**" in line
    runs["fasttracknet-seed2"]["input"]["f1"] = 0.94
    assert "NOT within one point" in comparison.verdict_line(runs)
    del runs["fasttracknet-seed1"], runs["fasttracknet-seed2"], runs["tracknetv2-seed1"]
    assert "seed" not in comparison.verdict_line(runs)
