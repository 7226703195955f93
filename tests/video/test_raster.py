"""The rasteriser's bookkeeping: which primitives share a region."""

from __future__ import annotations

import random

from tracknet_studio.video.raster import _groups, _overlap, _union


def connected_boxes(boxes: list[tuple[int, int, int, int]]) -> list:
    """The slow, obvious answer: merge any two overlapping groups until none overlap."""
    groups = [(box, [i]) for i, box in enumerate(boxes)]
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if _overlap(groups[i][0], groups[j][0]):
                    (a, ma), (b, mb) = groups[i], groups.pop(j)
                    groups[i] = (_union(a, b), ma + mb)
                    merged = True
                    break
            if merged:
                break
    return sorted((box, sorted(members)) for box, members in groups)


def test_groups_are_the_connected_sets_of_overlapping_boxes() -> None:
    rng = random.Random(1)
    for _ in range(2000):
        boxes = []
        for _ in range(rng.randint(0, 25)):
            x, y = rng.randint(0, 300), rng.randint(0, 200)
            boxes.append((x, y, x + rng.randint(1, 60), y + rng.randint(1, 60)))
        groups = _groups(boxes)
        assert sorted(groups) == connected_boxes(boxes), boxes
        assert all(members == sorted(members) for _, members in groups)  # drawing order


def test_a_chain_far_from_a_marker_stays_apart_until_something_bridges_them() -> None:
    chain = [(10 * i, 0, 10 * i + 12, 12) for i in range(5)]  # each touches the next
    marker = (200, 100, 220, 120)
    assert [m for _, m in _groups([*chain, marker])] == [[0, 1, 2, 3, 4], [5]]
    bridge = (50, 10, 205, 105)
    assert [m for _, m in _groups([*chain, marker, bridge])] == [[0, 1, 2, 3, 4, 5, 6]]
