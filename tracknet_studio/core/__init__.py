"""The ball track and everything computed from it. No Qt, no torch, no boto3, no project imports."""

from .project import LABELS, Project
from .track import COLUMNS, Event, Source, Track, TrackEdit, TrackPatch, Visibility

__all__ = [
    "COLUMNS",
    "LABELS",
    "Event",
    "Project",
    "Source",
    "Track",
    "TrackEdit",
    "TrackPatch",
    "Visibility",
]
