"""The TrackNet family's ball-position CSV files: detect the form by its header, read, write.

Forms (see docs/formats.md):
- badminton  `Frame,Visibility,X,Y` (0 no ball, 1 ball; `0,0` when no ball); read with the
  TrackNet classes 2 hard and 3 occluded too, since the model's label tables (featurize,
  the synthetic clips, tests/data/real) use this header with all four
- tennis-a   `file name,visibility,x-coordinate,y-coordinate,status` (0-3; status 0/1/2)
- tennis-b   `File Name,Visibility Class,X,Y,Trajectory Pattern` (as tennis-a)
- prediction `Frame,Visibility,X,Y,Time` (the seed sample's output; read as model values)
- frame-xy-visible `frame_num,x,y,visible` (mareksubocz/TrackNet; its `visible` column is a
  state code and its coordinates normalised, so reading it needs explicit options)

A file may list only some frames: frames without a row stay unlabeled. Normalised
coordinates and state-code visibility are never guessed; they need explicit options.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from os import PathLike
from pathlib import Path

import numpy as np

from ..core.track import MAX_FRAMES, Event, Source, Track, Visibility
from .atomic import atomic_write_text
from .errors import FormatError, ImportReport
from .fastcsv import parse_numeric_body


class CsvForm(StrEnum):
    BADMINTON = "badminton"
    TENNIS_A = "tennis-a"
    TENNIS_B = "tennis-b"
    PREDICTION = "prediction"
    FRAME_XY_VISIBLE = "frame-xy-visible"


HEADERS: dict[CsvForm, tuple[str, ...]] = {
    CsvForm.BADMINTON: ("Frame", "Visibility", "X", "Y"),
    CsvForm.TENNIS_A: ("file name", "visibility", "x-coordinate", "y-coordinate", "status"),
    CsvForm.TENNIS_B: ("File Name", "Visibility Class", "X", "Y", "Trajectory Pattern"),
    CsvForm.PREDICTION: ("Frame", "Visibility", "X", "Y", "Time"),
    CsvForm.FRAME_XY_VISIBLE: ("frame_num", "x", "y", "visible"),
}
# Column positions: frame (or file name), visibility, x, y, and event (None when absent).
_LAYOUT: dict[CsvForm, tuple[int, int, int, int, int | None]] = {
    CsvForm.BADMINTON: (0, 1, 2, 3, None),
    CsvForm.TENNIS_A: (0, 1, 2, 3, 4),
    CsvForm.TENNIS_B: (0, 1, 2, 3, 4),
    CsvForm.PREDICTION: (0, 1, 2, 3, None),
    CsvForm.FRAME_XY_VISIBLE: (0, 3, 1, 2, None),
}
_TENNIS = (CsvForm.TENNIS_A, CsvForm.TENNIS_B)
_INTEGER = re.compile(r"-?[0-9]+")
_INT_LIMIT = 2**53  # exact in a float64 too; any real frame number is far below
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class CsvOptions:
    """Explicit reading options; nothing here is ever guessed from the data.

    normalized: (width, height) when x, y are fractions of the image size.
    state_code_visibility: True when the visibility column is a state code (0 = visible,
        anything else = no ball); False when it is a flag; None = the form's own meaning
        (the frame-xy-visible form has none, so it must be told).
    image_size: (width, height) of the video; rows outside the image are skipped.
    n_frames: the video's frame count; rows beyond it are skipped. Default: last row + 1.
    """

    normalized: tuple[int, int] | None = None
    state_code_visibility: bool | None = None
    image_size: tuple[int, int] | None = None
    n_frames: int | None = None


def detect_form(header: Sequence[str]) -> CsvForm | None:
    """The form whose header matches (case and surrounding spaces ignored), or None."""
    key = tuple(h.strip().lower() for h in header)
    for form, names in HEADERS.items():
        if key == tuple(n.lower() for n in names):
            return form
    return None


def frame_from_name(name: str) -> int | None:
    """The frame number a file name carries: the last run of digits in its stem."""
    runs = _DIGITS.findall(Path(name.strip()).stem)
    return int(runs[-1]) if runs else None


@dataclass(frozen=True)
class Suggestion:
    """A reading of an ambiguous file that the data supports, and why (for a dialog to
    offer; the reader itself never guesses)."""

    state_code_visibility: bool
    normalized: bool
    reason: str


def suggest_meaning(path: str | PathLike[str]) -> Suggestion:
    """How the frame-xy-visible form's `visible` column and coordinates are most likely
    meant: the visibility meaning under which fewer rows that carry coordinates become "no
    ball" (losing them), and fractions of the image when every coordinate lies in 0..1."""
    try:
        rows = _csv_rows(Path(path).read_text(encoding="utf-8-sig"), path)[1:]
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read: {exc}") from exc
    _, v_col, x_col, y_col, _ = _LAYOUT[CsvForm.FRAME_XY_VISIBLE]
    x, y = (np.array([_number(r, c) for r in rows]) for c in (x_col, y_col))
    codes = np.array([_number(r, v_col) for r in rows])
    placed = np.isfinite(x) & np.isfinite(y) & ((x != 0) | (y != 0))
    lost_as_state = int((placed & (codes != 0)).sum())  # 0 = visible, anything else = none
    lost_as_flag = int((placed & (codes != 1)).sum())  # 1 = visible
    use_state = lost_as_state < lost_as_flag
    meaning = "a state code (0 = visible)" if use_state else "a flag (1 = visible)"
    lost, other = sorted((lost_as_state, lost_as_flag))
    if other:
        kept = "every row with coordinates keeps them" if not lost else (
            f"{lost} rows with coordinates lose them")  # fmt: skip
        reason = (f"Suggested: {meaning}, as {kept}; read the other way, {other} rows "
                  "with coordinates would become no ball.")  # fmt: skip
    else:
        reason = f"No row tells the two meanings apart; suggested: {meaning}."
    xs, ys = x[placed], y[placed]
    fractions = bool(placed.any()) and bool(((xs <= 1) & (ys <= 1) & (xs >= 0) & (ys >= 0)).all())
    if fractions:
        reason += " Every coordinate lies within 0..1: fractions of the image size."
    return Suggestion(use_state, fractions, reason)


def _number(row: list[str], column: int) -> float:
    """A cell as a number; NaN when missing or not one (the reader names such rows)."""
    try:
        return float(row[column])
    except (IndexError, ValueError):
        return float("nan")


def sniff_form(path: str | PathLike[str]) -> CsvForm:
    """The form of a CSV file, from its header; FormatError when unknown."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read: {exc}") from exc
    except csv.Error as exc:  # a header over the csv module's field limit, a NUL byte
        raise FormatError(path, f"cannot be read as CSV: {exc}", line=1) from None
    form = detect_form(header)
    if form is None:
        raise FormatError(path, f"unknown header {','.join(header)!r}", line=1)
    return form


# ----- reading ---------------------------------------------------------------------------
def read_csv(
    path: str | PathLike[str], options: CsvOptions | None = None
) -> tuple[Track, ImportReport]:
    """Read a ball-position CSV of any known form into a track, with a report of skips."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read: {exc}") from exc
    return parse_csv(text, path, options or CsvOptions())


def parse_csv(
    text: str, path: str | PathLike[str], options: CsvOptions
) -> tuple[Track, ImportReport]:
    """Read CSV text (named `path` in messages) of any known form."""
    fast = _parse_numeric(text, path, options)
    if fast is not None:
        return fast
    rows = _csv_rows(text, path)
    if not rows or not any(rows):
        raise FormatError(path, "empty file (no header, no rows)", line=1)
    form = detect_form(rows[0])
    if form is None:
        known = "; ".join(",".join(h) for h in HEADERS.values())
        raise FormatError(path, f"unknown header {','.join(rows[0])!r}; known: {known}", line=1)
    header = rows[0]
    body = rows[1:]
    lines = np.arange(2, len(body) + 2)
    keep = np.fromiter((bool(r) for r in body), dtype=bool, count=len(body))
    body = [r for r in body if r]  # blank lines carry no data
    lines = lines[keep]
    widths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    if len(body) and (widths != len(header)).any():
        bad = int(np.argmax(widths != len(header)))
        raise FormatError(
            path, f"{widths[bad]} fields, the header has {len(header)}", line=int(lines[bad])
        )
    report = ImportReport(str(path))
    return _Reader(path, form, header, body, lines, options, report).read(), report


def _csv_rows(text: str, path: str | PathLike[str]) -> list[list[str]]:
    """The rows of `text`; a line the csv module cannot take (a field over its 128 KiB
    limit, a NUL byte) is a format error that names it."""
    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as exc:
        raise FormatError(path, f"cannot be read as CSV: {exc}", line=reader.line_num) from None


def _parse_numeric(
    text: str, path: str | PathLike[str], options: CsvOptions
) -> tuple[Track, ImportReport] | None:
    """The fast path for plain all-numeric files; None sends the text to the general parser."""
    end = text.find("\n")
    if end < 0 or '"' in text or "\r" in text:
        return None
    header = text[:end].split(",")
    form = detect_form(header)
    if form is None or form in _TENNIS:
        return None
    values = parse_numeric_body(text[end + 1 :], len(header))
    if values is None:
        return None
    lines = np.arange(2, len(values) + 2)
    report = ImportReport(str(path))
    reader = _Reader(path, form, header, [], lines, options, report, numeric=values)
    return reader.read(), report


class _Reader:
    """One file's columns, converted and checked with numpy (650,000 rows in well under 1 s)."""

    def __init__(
        self,
        path: str | PathLike[str],
        form: CsvForm,
        header: list[str],
        body: list[list[str]],
        lines: np.ndarray,
        options: CsvOptions,
        report: ImportReport,
        numeric: np.ndarray | None = None,
    ) -> None:
        self.path, self.form, self.header = path, form, header
        self.body, self.lines, self.options, self.report = body, lines, options, report
        self.numeric = numeric  # (rows, columns) values when the fast parser read the file

    def column(self, i: int) -> list[str]:
        return [r[i].strip() for r in self.body]

    def numeric_ints(self, col: int, what: str) -> np.ndarray:
        values = self.numeric[:, col]  # type: ignore[index]
        bad = ~np.isfinite(values) | (values != np.floor(values)) | (np.abs(values) > _INT_LIMIT)
        if bad.any():
            i = int(np.argmax(bad))
            text = "empty" if np.isnan(values[i]) else f"{values[i]!r}"
            raise self.fail(i, col, f"{text} is not {what}")
        return values.astype(np.int64)

    def read(self) -> Track:
        f_col, v_col, x_col, y_col, e_col = _LAYOUT[self.form]
        frames = self.frames(f_col)
        vis = self.visibility(v_col)
        x = self.floats(x_col)
        y = self.floats(y_col)
        event = self.events(e_col)
        self.count_dropped_positions(vis, x, y)
        x, y = self.scaled(x, y, vis)
        keep = self.checked_rows(frames, vis, x, y)
        frames, vis, x, y, event, lines = (a[keep] for a in (frames, vis, x, y, event, self.lines))
        keep = self.unique_rows(frames, vis, x, y, event, lines)
        frames, vis, x, y, event = (a[keep] for a in (frames, vis, x, y, event))
        n = self.options.n_frames
        if n is None:
            n = int(frames.max()) + 1 if len(frames) else 0
            if n > MAX_FRAMES:  # before allocating a track of that length
                row = int(np.argmax(frames >= MAX_FRAMES))
                raise FormatError(self.path, f"frame {frames[row]:,} is beyond the longest "
                                  f"track kept ({MAX_FRAMES:,} frames, 46 hours at 60 fps)",
                                  line=int(lines[keep][row]))  # fmt: skip
        elif not 0 <= n <= MAX_FRAMES:
            raise FormatError(self.path, f"{n:,} frames: a track has 0 to {MAX_FRAMES:,}")
        beyond = frames >= n
        places = [f"line {line}" for line in lines[keep][beyond][: ImportReport.MAX_EXAMPLES]]
        reason = f"frame beyond the video's last frame {n - 1}"
        self.report.skip_many(reason, places, int(beyond.sum()))
        if beyond.any():
            frames, vis, x, y, event = (a[~beyond] for a in (frames, vis, x, y, event))
        track = Track(n)
        source = Source.MODEL if self.form is CsvForm.PREDICTION else Source.IMPORTED
        track.update(frames, x=x, y=y, visibility=vis, event=event, source=source)
        self.report.imported = len(frames)
        return track

    def count_dropped_positions(self, vis: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
        """Rows with a position (not 0,0) read as no ball lose it: count them, and say so."""
        placed = np.isfinite(x) & np.isfinite(y) & ((x != 0) | (y != 0))
        dropped = placed & (vis == Visibility.NO_BALL)
        count = int(dropped.sum())
        self.report.dropped_positions = count
        if count:
            where = ", ".join(f"line {n}" for n in self.lines[dropped][:3])
            self.report.note(f"{count} rows carry coordinates but read as no ball, so their "
                             f"coordinates are dropped (e.g. {where})")  # fmt: skip

    def fail(self, row: int, column: int, message: str) -> FormatError:
        name = self.header[column].strip()
        return FormatError(self.path, f"column {name!r}: {message}", line=int(self.lines[row]))

    def frames(self, col: int) -> np.ndarray:
        if self.numeric is not None:
            frames = self.numeric_ints(col, "a frame number")
            if (frames < 0).any():
                raise self.fail(int(np.argmax(frames < 0)), col, "negative frame number")
            return frames
        values = self.column(col)
        if self.form in _TENNIS:
            numbers = [frame_from_name(v) for v in values]
            for i, n in enumerate(numbers):
                if n is None:
                    raise self.fail(i, col, f"file name {values[i]!r} carries no frame number")
                if n > _INT_LIMIT:
                    raise self.fail(i, col, f"file name {values[i]!r}: {n} is not a frame number")
            return np.array(numbers, dtype=np.int64)
        frames = self.int_column(values, col, "a frame number")
        if (frames < 0).any():
            raise self.fail(int(np.argmax(frames < 0)), col, "negative frame number")
        return frames

    def ints(self, col: int) -> np.ndarray:
        if self.numeric is not None:
            return self.numeric_ints(col, "an integer code")
        return self.int_column(self.column(col), col, "an integer code")

    def int_column(self, values: list[str], col: int, what: str) -> np.ndarray:
        """Whole numbers in ASCII digits ("²" is a digit to str.isdigit, not to us), each
        within _INT_LIMIT; the first that is not one is named with its line."""
        for i, v in enumerate(values):
            text = v.strip()
            if not _INTEGER.fullmatch(text) or abs(int(text)) > _INT_LIMIT:
                raise self.fail(i, col, f"{v!r} is not {what}")
        return np.array(values, dtype=np.int64) if values else np.empty(0, np.int64)

    def floats(self, col: int) -> np.ndarray:
        if self.numeric is not None:
            return self.numeric[:, col].copy()
        values = [v or "nan" for v in self.column(col)]
        try:
            return np.array(values, dtype=np.float64) if values else np.empty(0)
        except ValueError:
            for i, v in enumerate(values):
                try:
                    float(v)
                except ValueError:
                    raise self.fail(i, col, f"{v!r} is not a number") from None
            raise

    def visibility(self, col: int) -> np.ndarray:
        codes = self.ints(col)
        state = self.options.state_code_visibility
        if self.form is CsvForm.FRAME_XY_VISIBLE and state is None:
            name = self.header[col].strip()
            raise FormatError(
                self.path,
                f"column {name!r} is ambiguous: a state code (0 = visible) or a flag "
                "(1 = visible)? Pass state_code_visibility=True (--state-code-visibility) "
                "or False.",
                line=1,
            )
        if state:
            return np.where(codes == 0, Visibility.VISIBLE, Visibility.NO_BALL).astype(np.int8)
        four_classes = (*_TENNIS, CsvForm.BADMINTON)
        allowed = (0, 1, 2, 3) if self.form in four_classes else (0, 1)
        bad = ~np.isin(codes, allowed)
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(i, col, f"visibility {codes[i]} is not one of {allowed}")
        return codes.astype(np.int8)

    def events(self, col: int | None) -> np.ndarray:
        if col is None:
            return np.zeros(len(self.lines), dtype=np.int8)
        values = [v or "0" for v in self.column(col)]
        codes = np.array(values, dtype=object)
        bad = ~np.isin(codes, ["0", "1", "2"])
        if bad.any():
            i = int(np.argmax(bad))
            raise self.fail(i, col, f"{values[i]!r} is not 0 (flying), 1 (hit) or 2 (bounce)")
        mapping = {"0": Event.NONE, "1": Event.HIT, "2": Event.BOUNCE}
        return np.array([mapping[v] for v in values], dtype=np.int8)

    def scaled(self, x: np.ndarray, y: np.ndarray, vis: np.ndarray) -> tuple[np.ndarray, ...]:
        """Apply the normalised-coordinates option, or refuse a file that looks normalised."""
        has_pos = vis > Visibility.NO_BALL
        if self.options.normalized is not None:
            width, height = self.options.normalized
            return x * width, y * height
        xs, ys = x[has_pos], y[has_pos]
        finite = np.isfinite(xs) & np.isfinite(ys)
        if finite.sum() >= 2 and (xs[finite] <= 1).all() and (ys[finite] <= 1).all():
            _, _, x_col, y_col, _ = _LAYOUT[self.form]
            names = f"{self.header[x_col].strip()!r} and {self.header[y_col].strip()!r}"
            raise FormatError(
                self.path,
                f"columns {names} hold only values in 0..1: if they are normalised, pass "
                "normalized=(width, height) (--normalized WxH)",
            )
        return x, y

    def checked_rows(
        self, frames: np.ndarray, vis: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> np.ndarray:
        """Skip (and report) balls without a position or outside the image."""
        keep = np.ones(len(frames), dtype=bool)
        needs = (vis == Visibility.VISIBLE) | (vis == Visibility.HARD)
        no_pos = needs & ~(np.isfinite(x) & np.isfinite(y))
        self._skip(keep, no_pos, "ball marked visible without a finite x, y (empty or NaN)")
        has = (vis > Visibility.NO_BALL) & np.isfinite(x) & np.isfinite(y)
        size = self.options.image_size or self.options.normalized
        if size is not None:
            width, height = size
            outside = has & ((x < 0) | (y < 0) | (x > width) | (y > height))
            self._skip(keep, outside, f"position outside the {width}x{height} image")
        else:
            self._skip(keep, has & ((x < 0) | (y < 0)), "negative coordinate")
        return keep

    def unique_rows(self, frames: np.ndarray, *values: np.ndarray) -> np.ndarray:
        """Skip exact duplicate rows; two different rows for one frame are an error."""
        *cols, lines = values
        keep = np.ones(len(frames), dtype=bool)
        if len(frames) < 2:
            return keep
        order = np.argsort(frames, kind="stable")
        same = frames[order][1:] == frames[order][:-1]
        for k in np.flatnonzero(same):
            first, second = order[k], order[k + 1]
            if all(_same(c[first], c[second]) for c in cols):
                keep[second] = False
                self.report.skip("duplicate row", f"line {lines[second]}")
            else:
                raise FormatError(
                    self.path,
                    f"two different rows for one frame (the other is line {lines[first]})",
                    line=int(lines[second]),
                    frame=int(frames[second]),
                )
        return keep

    def _skip(self, keep: np.ndarray, mask: np.ndarray, reason: str) -> None:
        mask = mask & keep
        places = [f"line {line}" for line in self.lines[mask][: ImportReport.MAX_EXAMPLES]]
        self.report.skip_many(reason, places, int(mask.sum()))
        keep &= ~mask


def _same(a: object, b: object) -> bool:
    return bool(a == b) or (a != a and b != b)  # NaN equals NaN here


# ----- writing ---------------------------------------------------------------------------
def format_csv(
    track: Track,
    form: CsvForm | str = CsvForm.BADMINTON,
    *,
    fps: float | None = None,
    image_size: tuple[int, int] | None = None,
    name_pattern: str = "{:04d}.jpg",
) -> str:
    """The CSV text of a track's labeled frames in `form` (unlabeled frames get no row).

    badminton/prediction/frame-xy-visible can only say "ball" or "no ball": hard and
    occluded balls with a position are written as visible, occluded ones without as no ball.
    prediction needs `fps` for its Time column (seconds; empty without fps);
    frame-xy-visible needs `image_size` to normalise; tennis names rows by `name_pattern`.
    """
    form = CsvForm(form)
    frames = track.labeled_frames()
    vis = track.visibility[frames]
    x, y = track.x[frames], track.y[frames]
    has = (vis > Visibility.NO_BALL) & np.isfinite(x) & np.isfinite(y)
    out = io.StringIO()
    out.write(",".join(HEADERS[form]) + "\n")
    rows: list[str]
    if form in _TENNIS:
        rows = _tennis_rows(frames, vis, x, y, has, track.event[frames], name_pattern)
    elif form is CsvForm.FRAME_XY_VISIBLE:
        if image_size is None:
            raise ValueError("the frame-xy-visible form stores normalised x, y: give image_size")
        width, height = image_size
        xs = _numbers(np.where(has, x / width, 0.0))
        ys = _numbers(np.where(has, y / height, 0.0))
        state = np.where(has, 0, 1).tolist()  # a state code: 0 means visible
        rows = [
            f"{f},{a},{b},{s}" for f, a, b, s in zip(frames.tolist(), xs, ys, state, strict=True)
        ]
    else:
        xs = _numbers(np.where(has, x, 0.0))
        ys = _numbers(np.where(has, y, 0.0))
        flag = has.astype(np.int8).tolist()
        rows = [
            f"{f},{v},{a},{b}" for f, v, a, b in zip(frames.tolist(), flag, xs, ys, strict=True)
        ]
        if form is CsvForm.PREDICTION:
            times = _numbers(frames / fps) if fps else [""] * len(frames)
            rows = [f"{r},{t}" for r, t in zip(rows, times, strict=True)]
    if rows:
        out.write("\n".join(rows) + "\n")
    return out.getvalue()


def write_csv(
    track: Track,
    path: str | PathLike[str],
    form: CsvForm | str = CsvForm.BADMINTON,
    *,
    fps: float | None = None,
    image_size: tuple[int, int] | None = None,
    name_pattern: str = "{:04d}.jpg",
) -> None:
    """Write `format_csv(...)` to `path` atomically."""
    text = format_csv(track, form, fps=fps, image_size=image_size, name_pattern=name_pattern)
    atomic_write_text(path, text)


def _tennis_rows(
    frames: np.ndarray,
    vis: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    has: np.ndarray,
    event: np.ndarray,
    name_pattern: str,
) -> list[str]:
    xs = _numbers(x, empty_where=~has)
    ys = _numbers(y, empty_where=~has)
    rows = []
    for f, v, a, b, e in zip(frames.tolist(), vis.tolist(), xs, ys, event.tolist(), strict=True):
        name = name_pattern.format(f)
        if frame_from_name(name) != f:
            raise ValueError(f"name pattern {name_pattern!r} loses the frame number of {f}")
        rows.append(f"{name},{v},{a},{b},{e}")
    return rows


def _numbers(values: np.ndarray, empty_where: np.ndarray | None = None) -> list[str]:
    """Shortest text that reads back to the same float ("492", "491.25")."""
    values = np.asarray(values, dtype=np.float64)
    integral = np.isfinite(values) & (np.abs(values) < 2**53)
    integral[integral] = values[integral] == np.floor(values[integral])
    out: list[str] = np.where(integral, values, 0).astype(np.int64).astype(str).tolist()
    rest = np.flatnonzero(~integral)
    for i, v in zip(rest.tolist(), values[rest].tolist(), strict=True):
        out[i] = repr(v)
    if empty_where is not None:
        for i in np.flatnonzero(empty_where).tolist():
            out[i] = ""
    return out
