"""Writing CSV and Excel files that a spreadsheet opens as data, never as formulas.

A name in a data file such as ``=HYPERLINK("http://…","点我")``,
``@SUM(1+1)`` or ``+cmd|' /C calc'!A0`` is text to ipgrid, but Excel, WPS
and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or
with a tab or carriage return before one) as a formula when they open the
CSV.  Following OWASP's guidance on CSV injection, every text cell that
starts with one of :data:`FORMULA_TRIGGERS` is written with a single quote
in front (``'=HYPERLINK(…)``): the text is kept, visibly, and nothing runs.
Only text is touched: a negative *number* stays a number.

In .xlsx files every text cell is also written with the string type
(openpyxl would otherwise store ``=…`` as a live formula and ``#N/A`` as an
error value), and the control characters that the format cannot hold are
dropped.  Every CSV and workbook ipgrid writes (``ipgrid stats --csv``, the
problems report of ``ipgrid validate --problems``, the app's Excel downloads)
goes through :func:`neutralise`.
"""

from __future__ import annotations

import io  # noqa: F401 - used by the doctest of write_csv
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""

QUOTE = "'"
"""Put before such a text: spreadsheets show it and evaluate nothing."""

_T = TypeVar("_T")


def neutralise(value: _T) -> _T | str:
    r"""``value`` as it is safe to write into a spreadsheet cell.

    Text starting with one of :data:`FORMULA_TRIGGERS` gets a leading single
    quote; any other value (numbers, dates, missing values, other text) is
    returned unchanged.

    Examples
    --------
    >>> neutralise('=HYPERLINK("http://evil","点我")')
    '\'=HYPERLINK("http://evil","点我")'
    >>> neutralise("-2+3"), neutralise(-2), neutralise("金沙街道"), neutralise(None)
    ("'-2+3", -2, '金沙街道', None)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype)
            or pd.api.types.is_object_dtype(dtype))


def _map_text(frame: pd.DataFrame, func: Callable[[str], str]) -> pd.DataFrame:
    """A copy of ``frame`` with ``func`` applied to every string cell and header (other values kept)."""
    out = frame.copy()
    for pos in range(out.shape[1]):
        column = out.iloc[:, pos]
        if _is_text_column(column):
            values = [func(v) if isinstance(v, str) else v for v in column.astype(object).tolist()]
            out.isetitem(pos, np.array(values, dtype=object))
    out.columns = pd.Index([func(c) if isinstance(c, str) else c for c in out.columns])
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`neutralise` applied to every text cell and to the headers.

    Numeric columns are not touched (a negative number stays a number); in a
    text or mixed column only the strings change.

    Examples
    --------
    >>> table = pd.DataFrame({"name": ["@SUM(1+1)", "兴仁镇"], "value": [-2, 3]})
    >>> neutralise_frame(table).to_dict("list")
    {'name': ["'@SUM(1+1)", '兴仁镇'], 'value': [-2, 3]}
    """
    return _map_text(frame, neutralise)


_CR = re.compile(r"\r\n?")


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str], *, encoding: str = "utf-8") -> None:
    r"""Write ``frame`` as CSV (no index) with every text cell neutralised.

    A carriage return inside a text becomes a line feed: Python's CSV writer
    quotes a field with a line feed but, before Python 3.12, not one with a
    bare ``\r``, which Excel would read as the end of the record (and the rest
    of the text as a new, unquoted cell).

    Parameters
    ----------
    frame
        The table, headers included.
    target
        A path, or an open text stream (``sys.stdout``).
    encoding
        Of a file written by path (``utf-8-sig`` opens in Excel with the Chinese intact).

    Examples
    --------
    >>> out = io.StringIO()
    >>> write_csv(pd.DataFrame({"name": ["\r=1+1", "-2+3"], "n": [-2, 3]}), out)
    >>> out.getvalue()
    'name,n\n"\'\n=1+1",-2\n\'-2+3,3\n'
    """
    safe = _map_text(neutralise_frame(frame), lambda text: _CR.sub("\n", text))
    if isinstance(target, str | Path):
        safe.to_csv(target, index=False, encoding=encoding)
    else:
        safe.to_csv(target, index=False)


def text_cell(ws: WriteOnlyWorksheet, text: str, **style: Any) -> Cell:
    r"""A write-only cell holding ``text`` as text: neutralised, string-typed, illegal characters removed.

    Parameters
    ----------
    ws
        The write-only worksheet the cell goes to.
    text
        The text.
    **style
        Cell attributes to set (``font=``, ``number_format=`` …).

    Examples
    --------
    >>> ws = openpyxl.Workbook(write_only=True).create_sheet()
    >>> cell = text_cell(ws, "#N/A")
    >>> cell.value, cell.data_type
    ('#N/A', 's')
    >>> text_cell(ws, "=1+1\x07").value
    "'=1+1"
    """
    clean = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell = WriteOnlyCell(ws, value=neutralise(clean))
    cell.data_type = "s"
    for name, value in style.items():
        setattr(cell, name, value)
    return cell


def text_value(ws: WriteOnlyWorksheet, text: str) -> str | Cell:
    """``text`` for ``ws.append``, stored as a string: :func:`text_cell`, or the fast way when that is the same.

    openpyxl types an appended plain string as text unless it starts with
    ``=`` (which :func:`neutralise` rules out) or is an error code such as
    ``#N/A``; only those get a typed cell of their own (creating one per cell
    makes a 100,000-row workbook about a fifth slower).

    Examples
    --------
    >>> ws = openpyxl.Workbook(write_only=True).create_sheet()
    >>> text_value(ws, "=1+1"), text_value(ws, "#N/A").data_type
    ("'=1+1", 's')
    """
    safe = neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))
    return text_cell(ws, safe) if safe in ERROR_CODES else safe


def sheet_row(ws: WriteOnlyWorksheet, values: Iterable[object]) -> list[object]:
    """One row for ``ws.append``: text as :func:`text_value`, missing values empty, numpy scalars as Python ones."""
    row: list[object] = []
    for value in values:
        plain = value.item() if isinstance(value, np.generic) else value
        if isinstance(plain, str):
            row.append(text_value(ws, plain))
        elif plain is None or plain is pd.NA or plain is pd.NaT or (isinstance(plain, float) and plain != plain):
            row.append(None)
        else:
            row.append(plain)
    return row


def write_xlsx(frame: pd.DataFrame, path: str | Path, sheet: str) -> None:
    """Write ``frame`` (bold headers, then one row per record) as a one-sheet .xlsx with text as text.

    Parameters
    ----------
    frame
        The table; numpy scalars are written as Python numbers, missing values as empty cells.
    path
        The .xlsx file.
    sheet
        Worksheet name (at most 31 characters).
    """
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    ws.append([text_cell(ws, str(c), font=bold) for c in frame.columns])
    for record in frame.itertuples(index=False, name=None):
        ws.append(sheet_row(ws, record))
    wb.save(path)
