"""What the overlay draws on a frame: markers and fading trails, as plain data.

The window paints these primitives with QPainter and the video exporter rasterizes the very
same ones with OpenCV, so everything here is Qt-free, in video-pixel coordinates (origin at
the top-left corner of the top-left pixel), with colours as 8-bit RGB and opacity in 0..1.

Per layer (the labels, then each prediction layer) a frame gets:
- a trail: one segment between each pair of consecutive frames among the last
  `trail_length` frames that both hold a ball, fading from `trail_alpha` (newest) to nothing;
  a frame without a ball breaks the trail rather than bridging the gap with a straight line,
  and so does a step longer than a ball can fly in a frame (core.physics), given the
  frame size: a track that jumps from the ball to a player never draws a line across;
- a marker at the current frame's position. Labels are rings coloured by where the label
  came from (human, imported, interpolated, accepted model); predictions are crosses in the
  layer's own colour with the model's confidence as opacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import NamedTuple, Protocol

import numpy as np

from tracknet_studio.core import LABELS, Source, Track, Visibility
from tracknet_studio.core.physics import plausible_steps

RGB = tuple[int, int, int]


class Shape(StrEnum):
    RING = "ring"  # a circle outline: labels
    CROSS = "cross"  # an X inside the radius: predictions


# Label colours by source; a label marker says at a glance whether a person placed it.
SOURCE_COLOURS: dict[Source, RGB] = {
    Source.HUMAN: (255, 214, 10),
    Source.IMPORTED: (255, 159, 67),
    Source.INTERPOLATED: (120, 200, 255),
    Source.MODEL: (110, 230, 140),
    Source.NONE: (200, 200, 200),
}
# Prediction layers take these colours in order (chosen to stay apart from the label colours).
PREDICTION_COLOURS: tuple[RGB, ...] = (
    (255, 70, 160),
    (170, 110, 255),
    (0, 220, 200),
    (255, 110, 70),
)


@dataclass(frozen=True)
class OverlaySettings:
    """How much to draw and how big. Sizes are in video pixels."""

    trail_length: int = 15  # frames before the current one that the trail covers
    show_trail: bool = True
    hidden_layers: frozenset[str] = frozenset()
    marker_radius: float = 7.0
    line_width: float = 1.5
    trail_width: float = 2.0
    trail_alpha: float = 0.85  # opacity of the newest trail segment
    min_confidence_alpha: float = 0.2  # a prediction with confidence 0 stays faintly visible
    occluded_alpha: float = 0.55  # an occluded ball's position is a guess: drawn fainter

    def __post_init__(self) -> None:
        if self.trail_length < 0:
            raise ValueError(f"trail_length must be >= 0, got {self.trail_length}")

    def with_layer(self, layer: str, visible: bool) -> OverlaySettings:
        """A copy with one layer shown or hidden."""
        hidden = self.hidden_layers - {layer} if visible else self.hidden_layers | {layer}
        return replace(self, hidden_layers=frozenset(hidden))


class Marker(NamedTuple):
    """The ball of one layer at the current frame.

    Primitives are named tuples: tens of them are made for every frame painted or exported,
    and a frozen dataclass takes four times as long to make."""

    layer: str
    frame: int
    x: float
    y: float
    radius: float
    colour: RGB
    alpha: float
    shape: Shape
    line_width: float


class TrailSegment(NamedTuple):
    """A straight piece of a layer's recent path, from (x0, y0) to (x1, y1)."""

    layer: str
    frame: int  # the later of the two frames it joins
    x0: float
    y0: float
    x1: float
    y1: float
    colour: RGB
    alpha: float
    width: float


Primitive = Marker | TrailSegment


class HasLayers(Protocol):
    """What `overlay_items` needs of a project: the label layer and the prediction layers."""

    labels: Track
    predictions: Mapping[str, Track]


@dataclass(frozen=True)
class _Layer:
    name: str
    track: Track
    is_prediction: bool
    colour: RGB = (255, 255, 255)


@dataclass(frozen=True)
class LegendEntry:
    """One line of an exported video's legend: a marker as the overlay draws it, a name."""

    name: str
    colour: RGB
    shape: Shape


SOURCE_WORDS = {
    Source.HUMAN: "by hand",
    Source.IMPORTED: "imported",
    Source.INTERPOLATED: "interpolated",
    Source.MODEL: "accepted prediction",
}


def legend_entries(label_sources: np.ndarray, predictions: Sequence[str]) -> list[LegendEntry]:
    """What each colour means in a video drawn with these layers: one line per source that
    the drawn labels use (`label_sources`: theirs; a label's colour says who placed it),
    one per prediction layer."""
    entries = []
    present = set(np.unique(label_sources).tolist())
    for source, words in SOURCE_WORDS.items():
        if int(source) in present:
            entries.append(LegendEntry(f"label ({words})", SOURCE_COLOURS[source], Shape.RING))
    colours = layer_colours(list(predictions))
    entries += [LegendEntry(name, colours[name], Shape.CROSS) for name in predictions]
    return entries


def layer_colours(names: Sequence[str]) -> dict[str, RGB]:
    """Each prediction layer's colour, by its position among the prediction layers."""
    return {name: PREDICTION_COLOURS[i % len(PREDICTION_COLOURS)] for i, name in enumerate(names)}


def overlay_items(
    layers: HasLayers | Mapping[str, Track],
    frame: int,
    settings: OverlaySettings | None = None,
    frame_size: tuple[int, int] | None = None,
) -> list[Primitive]:
    """The primitives to draw on `frame`: trails first (under), then markers, labels last.

    `frame_size` (width, height) of the video lets trails break at impossible jumps.
    `layers` is a project (anything with `labels` and `predictions`) or a mapping of layer
    name to track in which the name `LABELS` ("labels") marks the label layer.
    """
    settings = settings or OverlaySettings()
    items: list[Primitive] = []
    markers: list[Marker] = []
    # Predictions first so the label, the thing being edited, is drawn on top of them.
    for layer in reversed(_layers(layers)):
        if layer.name in settings.hidden_layers or not 0 <= frame < len(layer.track):
            continue
        if settings.show_trail and settings.trail_length > 0:
            items.extend(_trail(layer, frame, settings, frame_size))
        marker = _marker(layer, frame, settings)
        if marker is not None:
            markers.append(marker)
    return items + markers


def _layers(layers: HasLayers | Mapping[str, Track]) -> list[_Layer]:
    if isinstance(layers, Mapping):
        labels = layers.get(LABELS)
        predictions = {n: t for n, t in layers.items() if n != LABELS}
    else:
        labels, predictions = layers.labels, dict(layers.predictions)
    colours = layer_colours(list(predictions))
    out = [] if labels is None else [_Layer(LABELS, labels, is_prediction=False)]
    out += [_Layer(n, t, is_prediction=True, colour=colours[n]) for n, t in predictions.items()]
    return out


def _marker(layer: _Layer, frame: int, settings: OverlaySettings) -> Marker | None:
    track = layer.track
    x, y = float(track.x[frame]), float(track.y[frame])
    visibility = int(track.visibility[frame])
    if visibility <= Visibility.NO_BALL or not (np.isfinite(x) and np.isfinite(y)):
        return None
    alpha = 1.0
    if layer.is_prediction:
        alpha = _confidence_alpha(float(track.confidence[frame]), settings)
        colour, shape = layer.colour, Shape.CROSS
    else:
        colour = source_colour(int(track.source[frame]))
        shape = Shape.RING
    if visibility == Visibility.OCCLUDED:
        alpha *= settings.occluded_alpha
    return Marker(
        layer=layer.name,
        frame=frame,
        x=x,
        y=y,
        radius=settings.marker_radius,
        colour=colour,
        alpha=alpha,
        shape=shape,
        line_width=settings.line_width,
    )


def _trail(
    layer: _Layer, frame: int, settings: OverlaySettings, frame_size: tuple[int, int] | None
) -> list[TrailSegment]:
    first = max(frame - settings.trail_length, 0)
    window = slice(first, frame + 1)
    track = layer.track
    xs, ys = track.x[window], track.y[window]
    ball = (track.visibility[window] > Visibility.NO_BALL) & np.isfinite(xs) & np.isfinite(ys)
    frames = np.arange(first, frame + 1)
    # Points without a ball join nothing anyway; zeros keep NaN and inf out of the steps.
    possible = plausible_steps(frames, np.where(ball, xs, 0.0), np.where(ball, ys, 0.0), frame_size)
    # Segment i joins frames first+i and first+i+1. In bulk, then plain lists: this runs
    # for every layer of every frame drawn or exported.
    joined = np.flatnonzero(ball[:-1] & ball[1:] & possible)
    if joined.size == 0:
        return []
    later = joined + 1
    age = frame - (first + later)  # 0 for the segment ending at the current frame
    alpha = settings.trail_alpha * (1.0 - age / settings.trail_length)
    if layer.is_prediction:
        alpha = alpha * _confidence_alphas(track.confidence[window][later], settings)
        colours = [layer.colour] * len(joined)
    else:
        colours = [source_colour(s) for s in track.source[window][later].tolist()]
    return [
        TrailSegment(layer.name, f, x0, y0, x1, y1, colour, a, settings.trail_width)
        for f, x0, y0, x1, y1, colour, a in zip(
            (first + later).tolist(), xs[joined].tolist(), ys[joined].tolist(),
            xs[later].tolist(), ys[later].tolist(), colours, alpha.tolist(), strict=True,
        )
    ]  # fmt: skip


def source_colour(source: int) -> RGB:
    """The colour of a label from this source (grey for unknown codes)."""
    return _COLOUR_BY_CODE.get(source, SOURCE_COLOURS[Source.NONE])


# By plain int code: looked up for every trail segment of every frame drawn.
_COLOUR_BY_CODE = {int(source): colour for source, colour in SOURCE_COLOURS.items()}


def _confidence_alpha(confidence: float, settings: OverlaySettings) -> float:
    """Opacity for a prediction's confidence; unknown confidence (NaN) draws fully opaque."""
    return float(_confidence_alphas(np.array([confidence]), settings)[0])


def _confidence_alphas(confidence: np.ndarray, settings: OverlaySettings) -> np.ndarray:
    """The opacity of each confidence (NaN, unknown: opaque)."""
    low = settings.min_confidence_alpha
    scaled = low + (1.0 - low) * np.clip(confidence.astype(np.float64), 0.0, 1.0)
    return np.where(np.isfinite(confidence), scaled, 1.0)
