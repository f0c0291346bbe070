"""Read spreadsheets and CSV files as offices really keep them.

Title rows above the header (a merged title, a "填报单位" line), a header that
is not on row 1, CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, and several
sheets are all normal.  This module only finds the header and returns the raw
cells with the row number each has in Excel; mapping headers to canonical
fields and typing the values is :mod:`loaders.headers` and
:mod:`loaders.coerce`.

Excel files are read with python-calamine directly (about 6× faster than
pandas' default openpyxl engine on a 100,000-row sheet, see ``bench/load.py``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.errors import ConfigError, EmptyFileError, UnsupportedFileError
from loaders.schema import normalize_header, split_unit

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
TABLE_SUFFIXES = EXCEL_SUFFIXES | CSV_SUFFIXES

HEADER_SEARCH_ROWS = 30
"""How many rows from the top are searched for the header row."""

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in this order; GB18030 is a superset of GBK and GB2312."""

Grid = Sequence[Sequence[object]]
"""The cells of one sheet, row by row, as read (rows may differ in length)."""


@dataclass
class RawTable:
    """The cells of one sheet below its header, untyped.

    Attributes
    ----------
    frame
        One column per header cell (header text as written, made unique),
        values as read: ``str``, ``float``, ``datetime`` or ``None``.
    source_rows
        Excel row number (1-based, as the user sees it) of each frame row.
    header_row
        Excel row number of the header.
    sheet
        Sheet name, or ``None`` for CSV.
    encoding
        Encoding used for CSV, or ``None`` for Excel.
    """

    frame: pd.DataFrame
    source_rows: np.ndarray
    header_row: int
    sheet: str | None = None
    encoding: str | None = None

    @property
    def headers(self) -> list[str]:
        """Header cells as written in the file."""
        return [str(c) for c in self.frame.columns]


def read_table(
    path: Path,
    *,
    known_headers: Iterable[str] = (),
    sheet: str | int | None = None,
    header_row: int | None = None,
    encoding: str | None = None,
) -> RawTable:
    """Read a spreadsheet or CSV file and find its header row.

    Parameters
    ----------
    path
        ``.xlsx``/``.xlsm``/``.xls``/``.xlsb``/``.ods`` or ``.csv``/``.tsv``/``.txt``.
    known_headers
        Normalized header aliases of the layer; the header row is the row
        among the first :data:`HEADER_SEARCH_ROWS` that holds the most of them.
    sheet
        Sheet name or 0-based index; by default the first sheet that has a
        recognisable header.
    header_row
        Excel row number (1-based) of the header, skipping detection.
    encoding
        CSV encoding, skipping detection.

    Raises
    ------
    UnsupportedFileError
        The extension is not a table format, or the file cannot be parsed.
    EmptyFileError
        The file has no cells, or no data rows under the header.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    known = frozenset(known_headers)
    grids: list[tuple[str | None, Grid]]
    used_encoding: str | None
    if suffix in EXCEL_SUFFIXES:
        grids = list(_excel_grids(path, sheet))
        used_encoding = None
    elif suffix in CSV_SUFFIXES:
        csv_grid, used_encoding = _csv_grid(path, encoding, delimiter="\t" if suffix == ".tsv" else None)
        grids = [(None, csv_grid)]
    else:
        msg = f"{path.name}：不支持的表格格式「{suffix}」，请另存为 .xlsx 或 .csv"
        raise UnsupportedFileError(msg)

    best: tuple[int, str | None, Grid, int] | None = None
    for name, grid in grids:
        if not any(_filled(v) for row in grid for v in row):
            continue
        row_index = header_row - 1 if header_row else _find_header(grid, known)
        score = _score_row(grid[row_index], known) if row_index < len(grid) else -1
        if best is None or score > best[0]:
            best = (score, name, grid, row_index)
        if sheet is not None or (score > 0 and header_row is None and len(grids) == 1):
            break
    if best is None:
        msg = f"{path.name}：文件中没有任何数据"
        raise EmptyFileError(msg)
    _, sheet_name, grid, row_index = best
    if row_index >= len(grid):
        msg = f"{path.name}：表头行 {row_index + 1} 超出了文件的行数（{len(grid)} 行）"
        raise ConfigError(msg)
    return _to_raw(path, grid, row_index, sheet_name, used_encoding)


def _filled(value: object) -> bool:
    return value is not None and value != "" and not (isinstance(value, float) and np.isnan(value))


def _score_row(row: Sequence[object], known: frozenset[str]) -> int:
    score = 0
    for cell in row:
        if isinstance(cell, str) and cell.strip():
            h = normalize_header(cell)
            if h in known or split_unit(h)[0] in known:
                score += 1
    return score


def _find_header(grid: Grid, known: frozenset[str]) -> int:
    """Row index holding the most known headers; else the first row with ≥ 2 text cells."""
    best_index, best_score = -1, 0
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        score = _score_row(row, known)
        if score > best_score:
            best_index, best_score = i, score
    if best_index >= 0:
        return best_index
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if sum(isinstance(c, str) and bool(c.strip()) for c in row) >= 2:
            return i
    return 0


def _excel_grids(path: Path, sheet: str | int | None) -> list[tuple[str, Grid]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        msg = f"{path.name}：无法作为 Excel 文件读取（{exc}）"
        raise UnsupportedFileError(msg) from None
    names = list(wb.sheet_names)
    if sheet is None:
        chosen = names
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            msg = f"{path.name}：没有第 {sheet} 个工作表；工作表有 {names}"
            raise ConfigError(msg)
        chosen = [names[sheet]]
    else:
        if sheet not in names:
            msg = f"{path.name}：没有名为「{sheet}」的工作表；工作表有 {names}"
            raise ConfigError(msg)
        chosen = [sheet]
    return [(n, wb.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in chosen]


def _csv_grid(
    path: Path, encoding: str | None, delimiter: str | None
) -> tuple[list[list[object]], str]:
    data = path.read_bytes()
    if not data.strip():
        msg = f"{path.name}：文件是空的"
        raise EmptyFileError(msg)
    text, used = _decode(data, encoding, path)
    if delimiter is None:
        sample = text[:8192]
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [list(row) for row in reader], used


def _decode(data: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            msg = f"{path.name}：无法按 ipgrid.toml 中设置的编码「{encoding}」读取（{exc}）"
            raise ConfigError(msg) from None
    for candidate in CSV_ENCODINGS:
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    msg = f"{path.name}：编码既不是 UTF-8 也不是 GBK/GB18030，请在 ipgrid.toml 中设置 encoding"
    raise UnsupportedFileError(msg)


def _unique_headers(cells: list[object]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, cell in enumerate(cells):
        text = str(cell).strip() if _filled(cell) else f"(第{i + 1}列)"
        if text in seen:
            seen[text] += 1
            text = f"{text}.{seen[text]}"
        else:
            seen[text] = 0
        out.append(text)
    return out


def _to_raw(
    path: Path, grid: Grid, row_index: int, sheet: str | None, encoding: str | None
) -> RawTable:
    header = grid[row_index]
    width = max(len(header), max((len(r) for r in grid[row_index + 1 :]), default=0))
    header = list(header) + [""] * (width - len(header))
    body = grid[row_index + 1 :]
    keep = [i for i, row in enumerate(body) if any(_filled(v) for v in row)]
    if not keep:
        msg = f"{path.name}：表头（第 {row_index + 1} 行）下面没有数据行"
        raise EmptyFileError(msg)
    rows = [[*body[i], *[""] * (width - len(body[i]))] for i in keep]
    frame = pd.DataFrame(rows, columns=_unique_headers(header), dtype=object)
    # Columns without a header and without any value are layout, not data.
    empty_cols = [
        c for c, h in zip(frame.columns, header, strict=True)
        if not _filled(h) and not frame[c].map(_filled).any()
    ]
    frame = frame.drop(columns=empty_cols).replace({"": None})
    source_rows = np.asarray(keep, dtype=np.int64) + row_index + 2
    return RawTable(frame, source_rows, row_index + 1, sheet, encoding)
