"""Synthetic broadcast-like clips with their exact ball track, and the built-in demo clip."""

from .clip import (
    SPORTS,
    ClipSpec,
    GenerationCancelled,
    Scene,
    SyntheticTrack,
    generate_clip,
    write_track,
)
from .demo import ensure_demo_clip
from .suite import benchmark_specs

__all__ = [
    "SPORTS",
    "ClipSpec",
    "GenerationCancelled",
    "Scene",
    "SyntheticTrack",
    "benchmark_specs",
    "ensure_demo_clip",
    "generate_clip",
    "write_track",
]
