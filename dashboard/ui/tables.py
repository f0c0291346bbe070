"""Tables on pages and in Excel: Chinese column labels with units, and .xlsx downloads.

Every table a page shows goes through :func:`show_table`: the same frame is
shown (``st.dataframe``, which draws text, never HTML) and offered as an
``.xlsx`` built only when the user clicks (a deferred download: building a
100,000-row workbook takes seconds and must not slow every rerun).

Text that Excel would run as a formula (``=HYPERLINK(…)``, ``@SUM(…)``,
``+cmd|…`` from a data file) is written as text with a leading quote, and
every text cell has the string type (:mod:`loaders.spreadsheet`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import openpyxl
import pandas as pd
import streamlit as st
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dashboard.access.audit import audited
from dashboard.engine.catalog import COLUMNS, column_label, is_percent
from dashboard.engine.metrics import METRICS
from loaders.spreadsheet import text_cell, text_value

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PERCENT_HEADINGS = frozenset(c.heading for c in COLUMNS.values() if c.percent)
"""Headings whose values are shares (written with Excel's 0.0% format)."""

AUTO_HEIGHT_ROWS = 10
"""Tables with at most this many rows take their natural height."""

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def present(frame: pd.DataFrame, columns: Sequence[str] | None = None,
            labels: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, dict]:
    """The frame as shown: chosen columns under Chinese headers, and the column formats.

    Parameters
    ----------
    frame
        Canonical columns (metric keys, firm fields …).
    columns
        Columns to keep, in order (default: all).
    labels
        Headers that replace :func:`column_label`'s (e.g. :data:`FIRM_LABELS`).

    Returns
    -------
    table : pandas.DataFrame
        A new frame with Chinese headers (values unchanged: numbers stay numbers).
    column_config : dict
        ``st.dataframe`` formats: percentages, decimals per metric, thousands separators.
    """
    # outlines are for maps: a table (and its workbook, which cannot hold them) leaves them out
    shown = columns or [c for c in frame.columns if getattr(frame[c].dtype, "name", "") != "geometry"]
    cols = [c for c in shown if c in frame.columns]
    table = frame[cols].copy()
    config: dict[str, object] = {}
    headers: dict[str, str] = {}
    for col in cols:
        lab = (labels or {}).get(col) or column_label(col)
        while lab in headers.values():  # keep headers unique
            lab += "·"
        headers[col] = lab
        decimals = COLUMNS[col].decimals if col in COLUMNS else None
        if is_percent(col):
            config[lab] = st.column_config.NumberColumn(lab, format="percent")
        elif decimals is not None and (col in METRICS or pd.api.types.is_numeric_dtype(table[col])):
            config[lab] = st.column_config.NumberColumn(lab, format="localized" if decimals == 0 else f"%.{decimals}f")
    for col in cols:
        if _is_text(table[col]) and table[col].hasnans:  # a missing name or tier is an empty cell, never "None"
            table[col] = table[col].fillna("")  # keeps pandas' Arrow-backed str: no re-encoding for st.dataframe
    table.columns = [headers[c] for c in cols]
    return table, config


def _is_text(series: pd.Series) -> bool:
    """Whether ``series`` holds text (a string dtype, or objects that are all strings)."""
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        return True
    return pd.api.types.is_object_dtype(series.dtype) and pd.api.types.infer_dtype(series, skipna=True) == "string"


# --------------------------------------------------------------------------- Excel


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def sheet_title(name: str, taken: set[str]) -> str:
    r"""A valid, unique worksheet name (at most 31 characters, none of ``[ ] : * ? / \``)."""
    base = _SHEET_BAD.sub("_", str(name)).strip() or "表"
    title, n = base[:31], 2
    while title in taken:
        suffix = f"_{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def to_xlsx(sheets: Mapping[str, pd.DataFrame], meta: Sequence[tuple[str, str]] = ()) -> bytes:
    """An .xlsx workbook: one sheet per frame (headers bold, shares as %), then a 说明 sheet.

    Parameters
    ----------
    sheets
        Sheet name → frame with its final (Chinese) headers, as :func:`present` gives.
    meta
        (item, value) rows of the 说明 sheet: district, data date, source, filters, the demo label.

    Returns
    -------
    bytes
        The workbook.
    """
    wb = openpyxl.Workbook(write_only=True)
    taken: set[str] = set()
    bold = Font(bold=True)
    for name, frame in sheets.items():
        ws = wb.create_sheet(sheet_title(name, taken))
        headers = [str(c) for c in frame.columns]
        percent = [h.rstrip("·") in PERCENT_HEADINGS for h in headers]
        for i, header in enumerate(headers, start=1):
            width = min(max(8, len(header) * 2 + 2), 40)
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        ws.append([text_cell(ws, header, font=bold) for header in headers])
        for row in frame.itertuples(index=False, name=None):
            out: list[object] = []
            for j, raw in enumerate(row):
                value = _cell_value(raw)
                if isinstance(value, str):
                    out.append(text_value(ws, value))
                elif percent[j] and isinstance(value, float):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "0.0%"
                    out.append(cell)
                else:
                    out.append(value)
            ws.append(out)
    info = wb.create_sheet(sheet_title("说明", taken))
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 60
    for item, value in [*meta, ("导出时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M"))]:
        info.append([text_cell(info, str(item)), text_cell(info, str(value))])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def safe_file_name(name: str) -> str:
    """A file name without path separators or characters Windows refuses."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", str(name)).strip("_") or "表格"


def download_xlsx(label: str, sheets: Callable[[], Mapping[str, pd.DataFrame]], file_name: str, *, key: str,
                  meta: Sequence[tuple[str, str]] = (), help: str | None = None) -> None:  # noqa: A002
    """A download button whose workbook is built only when clicked.

    Parameters
    ----------
    label
        Button text.
    sheets
        Called on click: sheet name → frame (Chinese headers).
    file_name
        Without extension; cleaned by :func:`safe_file_name`.
    key
        Widget key.
    meta
        Rows of the 说明 sheet.
    help
        Tooltip of the button.
    """
    name = f"{safe_file_name(file_name)}.xlsx"
    st.download_button(label, data=audited("download", name, lambda: to_xlsx(sheets(), meta)), file_name=name,
                       mime=XLSX_MIME, key=key, on_click="ignore", icon=":material/download:", help=help)


def show_table(frame: pd.DataFrame, *, key: str, file_name: str, columns: Sequence[str] | None = None,
               meta: Sequence[tuple[str, str]] = (), height: int | Literal["auto"] = "auto", sheet: str | None = None,
               caption: str | None = None, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Show ``frame`` under Chinese headers with an .xlsx download of exactly what is shown.

    Parameters
    ----------
    frame
        Canonical columns.
    key
        Base of the widget keys.
    file_name
        Download name without extension.
    columns
        Columns shown (and downloaded), in order.
    meta
        Rows of the workbook's 说明 sheet.
    height
        Table height (pixels or ``"auto"``).
    sheet
        Worksheet name (default: ``file_name``).
    caption
        Small text under the table.
    labels
        Header overrides (:data:`FIRM_LABELS` for tables of enterprises).

    Returns
    -------
    pandas.DataFrame
        The table as shown.
    """
    table, config = present(frame, columns, labels)
    if isinstance(height, int) and len(table) <= AUTO_HEIGHT_ROWS:
        height = "auto"  # a short table needs no empty rows below it
    st.dataframe(table, hide_index=True, column_config=config, height=height, key=f"{key}.table",
                 width="stretch")
    note = f"共 {len(table):,} 行" + (f"　{caption}" if caption else "")
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.caption(note)
    with right:
        download_xlsx("下载 Excel", lambda: {sheet or file_name: table}, file_name, key=f"{key}.xlsx", meta=meta)
    return table
