"""A vectorised parser for all-numeric CSV bodies (the badminton and prediction forms).

Python's csv module plus float() costs about 2 s for 650,000 rows on a slow laptop core;
this parses the bytes with numpy in a few passes. It accepts only plain decimals (optional
'-', digits, optional '.', at most 15 significant digits, so mantissa / 10**k is exact and
correctly rounded, i.e. equal to float(text)) and empty fields (NaN). Anything else
(quotes, exponents, 'nan', ragged rows, blank lines) returns None, and the caller falls back
to the general parser, which also names the line of any error.
"""

from __future__ import annotations

import numpy as np

_COMMA, _NEWLINE, _DOT, _MINUS = 44, 10, 46, 45
_MAX_DIGITS = 15


def parse_numeric_body(body: str, n_columns: int) -> np.ndarray | None:
    """The (rows, n_columns) float64 values of `body` (rows ended by '\\n'), or None."""
    if not body:
        return np.empty((0, n_columns))
    if not body.endswith("\n"):
        body += "\n"
    try:
        raw = np.frombuffer(body.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return None
    is_digit = (raw >= 48) & (raw <= 57)
    is_sep = (raw == _COMMA) | (raw == _NEWLINE)
    is_dot, is_minus = raw == _DOT, raw == _MINUS
    if not (is_digit | is_sep | is_dot | is_minus).all():
        return None
    sep_at = np.flatnonzero(is_sep)
    n_fields = len(sep_at)
    if n_fields % n_columns:
        return None
    expected = np.full(n_fields, _COMMA, dtype=np.uint8)
    expected[n_columns - 1 :: n_columns] = _NEWLINE
    if not np.array_equal(raw[sep_at], expected):
        return None  # a ragged row or a blank line
    starts = np.empty(n_fields, dtype=np.int64)
    starts[0], starts[1:] = 0, sep_at[:-1] + 1
    # Per-byte counters in the narrowest type that holds them: at 650,000 rows these arrays
    # are 20 million entries, and a first import pays for every page of them (int64 took
    # 1.5 s of page faults more than int32 on a fresh process).
    counter = np.int32 if len(raw) < np.iinfo(np.int32).max else np.int64
    field = np.cumsum(is_sep, dtype=counter)  # the field each byte belongs to
    field -= is_sep
    return _values(raw, is_digit, is_dot, is_minus, field, starts, n_fields, n_columns, counter)


def _values(
    raw: np.ndarray,
    is_digit: np.ndarray,
    is_dot: np.ndarray,
    is_minus: np.ndarray,
    field: np.ndarray,
    starts: np.ndarray,
    n_fields: int,
    n_columns: int,
    counter: type = np.int64,
) -> np.ndarray | None:
    minus_at = np.flatnonzero(is_minus)
    if len(minus_at) and not np.isin(minus_at, starts).all():
        return None  # a '-' inside a number
    dots = np.bincount(field[is_dot], minlength=n_fields)
    digit_at = np.flatnonzero(is_digit)
    digit_field = field[digit_at]
    n_digits = np.bincount(digit_field, minlength=n_fields)
    if (dots > 1).any() or (n_digits > _MAX_DIGITS).any():
        return None
    empty = n_digits == 0
    if ((dots > 0) & empty).any() or np.isin(minus_at, starts[empty]).any():
        return None  # "." or "-" without digits
    # Digits before each digit's field start, to rank digits within their field.
    before = np.cumsum(is_digit, dtype=counter)[starts] - is_digit[starts]
    rank = np.arange(len(digit_at)) - before[digit_field]
    power = n_digits[digit_field] - 1 - rank
    mantissa = np.bincount(
        digit_field, weights=(raw[digit_at] - 48) * 10.0**power, minlength=n_fields
    )
    dot_pos = np.full(n_fields, np.iinfo(np.int64).max)
    dot_at = np.flatnonzero(is_dot)
    dot_pos[field[dot_at]] = dot_at
    n_frac = np.bincount(digit_field[digit_at > dot_pos[digit_field]], minlength=n_fields)
    values = mantissa / 10.0**n_frac
    if len(minus_at):
        values[field[minus_at]] *= -1
    values[empty] = np.nan
    return values.reshape(-1, n_columns)
