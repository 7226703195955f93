"""Judging a comparison of the networks: the gap between the fast network and TrackNetV2.

The runs are scripts/compare_networks.py's records (docs/model-comparison.json): each
network or variant, its seed, the tracker it was scored with, its held-out counts and F1.
The report and bench/bench_model.py judge them with these same functions.
"""

from __future__ import annotations

import json

from tracknet.networks import default_arch_kwargs

ARCHES = ("fasttracknet", "tracknetv2")
# Runs scored before 2026-12-06 have no "tracker" in their record: their tracker took the
# nearest candidate alone. Gaps are only taken between runs scored with the same one.
EARLIER_TRACKER = "nearest"


def report_order(item: tuple[str, dict]) -> tuple[bool, str, int]:
    """The networks first, then their variants; each run beside its other seeds."""
    base = unseeded(*item)
    return base not in ARCHES, base, seed_of(item[1])


def tracker_of(result: dict) -> str:
    return result.get("tracker", EARLIER_TRACKER)


def seed_of(result: dict) -> int:
    return result.get("seed", 0)


def unseeded(name: str, result: dict) -> str:
    """The run's name without its `-seed<N>`: the run it repeats from another seed."""
    return name.removesuffix(f"-seed{seed_of(result)}")


def gap_to_tracknetv2(runs: dict[str, dict], name: str) -> float | None:
    """TrackNetV2's held-out F1 (its seed-0 run) minus run `name`'s, in points (4 px, input
    space); None where either is missing or the two were scored with different trackers."""
    if "tracknetv2" not in runs or name not in runs:
        return None
    if tracker_of(runs["tracknetv2"]) != tracker_of(runs[name]):
        return None
    return 100 * (runs["tracknetv2"]["input"]["f1"] - runs[name]["input"]["f1"])


def seeded_f1s(runs: dict[str, dict], arch: str, tracker: str) -> list[float]:
    """Held-out F1 of `arch` as it is (no variant) from every seed scored with `tracker`."""
    return [
        r["input"]["f1"]
        for name, r in runs.items()
        if unseeded(name, r) == arch and tracker_of(r) == tracker
    ]


def seeds_summary(runs: dict[str, dict]) -> tuple[str, float] | None:
    """Both networks' mean held-out F1 over their seeds, when either network was trained
    from more than one seed, and the gap to judge by, in points: the fast network's mean
    against TrackNetV2's best seed, so that a poor TrackNetV2 run cannot flatter it."""
    tracker = tracker_of(runs["fasttracknet"])
    fast, slow = seeded_f1s(runs, "fasttracknet", tracker), seeded_f1s(runs, "tracknetv2", tracker)
    if not slow or max(len(fast), len(slow)) < 2:
        return None

    def spread(f1s: list[float]) -> str:
        return f"{sum(f1s) / len(f1s):.4f} over {len(f1s)} seed{'s' * (len(f1s) > 1)}" + (
            f" ({min(f1s):.4f}-{max(f1s):.4f})" if len(f1s) > 1 else ""
        )

    fast_mean = sum(fast) / len(fast)
    gap_of_means = 100 * (sum(slow) / len(slow) - fast_mean)
    gap_to_best = 100 * (max(slow) - fast_mean)
    text = (
        f"Mean held-out F1: the fast network {spread(fast)}, TrackNetV2 {spread(slow)}; "
        f"mean against mean {gap_of_means:+.2f}, the fast network's mean against TrackNetV2's "
        f"best seed **{gap_to_best:+.2f}** (judged by this one)"
    )
    return text, gap_to_best


def verdict_line(runs: dict[str, dict]) -> str:
    """The fast network's distance to TrackNetV2, and its closest variant's if it has any."""
    if "tracknetv2" not in runs:
        return ""
    gap = gap_to_tracknetv2(runs, "fasttracknet")
    if "fasttracknet" not in runs:
        line = "The fast network's current layout was not trained with this recipe."
    elif gap is None:
        line = "The fast network and TrackNetV2 were scored with different trackers."
    else:
        line = f"TrackNetV2 minus the fast network: **{gap:+.2f}** F1 points at 4 px in input space"
        seeds = seeds_summary(runs)
        if seeds:  # one run says little: judged by the fast mean against the best TrackNetV2
            line += f" from seed 0. {seeds[0]}"
            gap = seeds[1]
        line += (
            f": the fast network is {'within' if gap <= 1.0 else 'NOT within'} one point "
            "of TrackNetV2."
        )
    variants = [
        name
        for name, r in runs.items()
        if unseeded(name, r) not in ARCHES
        and r["arch"] == "fasttracknet"
        and gap_to_tracknetv2(runs, name) is not None
    ]
    if variants:
        closest = min(variants, key=lambda name: gap_to_tracknetv2(runs, name))
        line += (
            f" Closest variant: {closest} ({changed_arguments(runs[closest])}), "
            f"**{gap_to_tracknetv2(runs, closest):+.2f}**."
        )
    return line + "\n\n"


def changed_arguments(result: dict) -> str:
    """A run's network arguments that differ from its network's defaults, e.g. `base 48`."""
    defaults = default_arch_kwargs(result["arch"])
    changed = {k: v for k, v in result.get("arch_kwargs", {}).items() if defaults.get(k) != v}
    return ", ".join(f"{k} {json.dumps(v)}" for k, v in changed.items())
