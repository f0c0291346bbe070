"""How a value is written: missing values, numbers, shares and distances — one rule for every output.

These are the primitives of :mod:`dashboard.engine.catalog` (which re-exports
them; import them from there).  They live in their own module only so that
the metrics registry can format with them without importing the catalog that
is built from it.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import pandas as pd

MISSING_TEXT: Final = "—"
"""What every table, label, tooltip and card shows for a figure that has no value."""


def is_missing(value: object) -> bool:
    """Whether ``value`` has no value: ``None``, NaN, ±inf, ``pd.NA``, ``NaT`` or a blank string.

    Examples
    --------
    >>> [is_missing(v) for v in (None, float("nan"), pd.NA, "  ", 0, "0", np.float64(1.5))]
    [True, True, True, True, False, False, False]
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | float | np.integer | np.floating):
        return not math.isfinite(float(value))
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]  # any other scalar (NaT-likes, Decimal …)
    except (TypeError, ValueError):
        return False


def as_float(value: object) -> float:
    """``value`` as a float, NaN when it has none or is not a number.

    Examples
    --------
    >>> as_float("12.5"), as_float(None), as_float(pd.NA)
    (12.5, nan, nan)
    """
    if is_missing(value):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]  # anything float() takes; the rest is NaN
    except (TypeError, ValueError):
        return math.nan


def text_of(value: object) -> str:
    """Text from data for a cell or label: stripped, empty when missing (never ``None`` or ``nan``).

    Examples
    --------
    >>> text_of(None), text_of(" 川姜镇 "), text_of(float("nan"))
    ('', '川姜镇', '')
    """
    return "" if is_missing(value) else str(value).strip()


def format_number(value: object, decimals: int = 0, *, trim: bool = False) -> str:
    """A number with thousands separators and ``decimals`` places; :data:`MISSING_TEXT` when missing.

    ``trim`` drops trailing zeros (``8.60`` → ``8.6``, ``16.00`` → ``16``), for
    figures typed by people (targets, indicator values) rather than computed.

    Examples
    --------
    >>> format_number(1234.5, 1), format_number(16.0, 2, trim=True), format_number(None)
    ('1,234.5', '16', '—')
    """
    number = as_float(value)
    if math.isnan(number):
        return MISSING_TEXT
    text = f"{number:,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "-0.0") else text


def format_percent(share: object, decimals: int = 1) -> str:
    """A share (0–1) as a percentage: ``0.123`` → ``12.3%``; :data:`MISSING_TEXT` when missing.

    Examples
    --------
    >>> format_percent(0.1234), format_percent(1, 0), format_percent(None)
    ('12.3%', '100%', '—')
    """
    number = as_float(share)
    return MISSING_TEXT if math.isnan(number) else f"{number * 100:.{decimals}f}%"


def with_unit(number_text: str, unit: str) -> str:
    """``1,234 件``; a missing value or an empty unit gets no unit; ``%`` is written without a space.

    Examples
    --------
    >>> with_unit("12", "件"), with_unit("—", "件"), with_unit("5", "")
    ('12 件', '—', '5')
    """
    if number_text == MISSING_TEXT or not unit:
        return number_text
    return f"{number_text}{unit}" if unit == "%" else f"{number_text} {unit}"


def format_distance(metres: object) -> str:
    """A ground distance: ``850 米`` below one kilometre, else ``1.2 千米``.

    Examples
    --------
    >>> format_distance(850.4), format_distance(1250), format_distance(float("nan"))
    ('850 米', '1.2 千米', '—')
    """
    m = as_float(metres)
    if math.isnan(m):
        return MISSING_TEXT
    return f"{m / 1000:,.1f} 千米" if m >= 1000 else f"{m:,.0f} 米"


def json_ready(value: object) -> object:
    """A JSON-ready copy of ``value``: numpy arrays and scalars unwrapped, every missing value ``None``.

    Dicts and lists are copied recursively; lists of plain ``str``/``int``
    (ids, labels, big point arrays) pass through untouched, which keeps large
    map payloads fast.  The CLI's ``--json``, the map layers and the big screen
    all write JSON through this one function.

    Examples
    --------
    >>> json_ready({"a": np.float64("nan"), "b": [np.int64(3), pd.NA], "c": np.array([1.5])})
    {'a': None, 'b': [3, None], 'c': [1.5]}
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        if value and type(value[0]) in (str, int) and all(type(v) is type(value[0]) for v in value):
            return list(value)
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, str) and is_missing(value):
        return None
    return value


def change_text(key: str, value: object) -> str:
    """A change of metric ``key`` with its sign: ``+12``, ``-3``, ``0``; a rate in 个百分点; — when unknown.

    >>> change_text("enterprises", 12.0), change_text("ip_coverage_rate", -0.0126), change_text("enterprises", None)
    ('+12', '-1.3 个百分点', '—')
    """
    if is_missing(value):
        return "—"
    number = float(value)  # type: ignore[arg-type]  # a figure: not missing, checked above
    if key.endswith("_rate"):
        return "0 个百分点" if round(number * 100, 1) == 0 else f"{number * 100:+.1f} 个百分点"
    text = format_number(abs(number))
    return "0" if text == "0" else ("+" if number > 0 else "-") + text
