"""Read spreadsheets and CSV files as offices really keep them.

Title rows above the header (a merged title, a "填报单位" line), a header that
is not on row 1, CSV in UTF-8, UTF-8 with BOM, UTF-16 (Excel's "Unicode 文本")
or GBK/GB18030, and several sheets are all normal.  This module only finds
the header and returns the raw cells with the row number each has in Excel;
mapping headers to canonical fields and typing the values is
:mod:`loaders.headers` and :mod:`loaders.coerce`.

What stops a file from being read is an :class:`~loaders.errors.IpgridError`
with a Chinese message naming the file: a damaged workbook or a file that is
not what its extension says (:class:`~loaders.errors.CorruptFileError`), two
columns with the same header (:class:`~loaders.errors.DuplicateHeaderError`),
no header in the first :data:`HEADER_SEARCH_ROWS` rows
(:class:`~loaders.errors.HeaderNotFoundError`).  A workbook whose extension
disagrees with its content (an .xlsx saved as "企业.xls") is read by its
content.

Excel files are read with python-calamine directly (about 6× faster than
pandas' default openpyxl engine on a 100,000-row sheet, see ``bench/load.py``).
Calamine returns the value a formula cell had when the file was last saved; a
workbook written by a program (openpyxl, some exports) saves formulas without
any value, and an error result reads as empty.  So the sheet XML is scanned
beside calamine (:func:`formulas_without_value`) and those cells are marked
:class:`FormulaNoValue` for :mod:`loaders.coerce` to report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from loaders.errors import (
    ConfigError,
    CorruptFileError,
    DataFolderError,
    DuplicateHeaderError,
    EmptyFileError,
    HeaderNotFoundError,
    UnsupportedFileError,
)
from loaders.headers import known_headers as _aliases
from loaders.schema import LAYERS, normalize_header, split_unit
from loaders.xlsx_formulas import FormulaNoValue, formulas_without_value

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
TABLE_SUFFIXES = EXCEL_SUFFIXES | CSV_SUFFIXES

HEADER_SEARCH_ROWS = 30
"""How many rows from the top are searched for the header row."""

HEADER_HINT_ROWS = 1000
"""When the first :data:`HEADER_SEARCH_ROWS` rows hold no header, how far down a header is looked
for, only to name its row in the message (it is not used: the user sets ``header_row``)."""

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in this order (after a UTF-16 byte-order mark); GB18030 is a superset of GBK and GB2312."""

Grid = Sequence[Sequence[object]]
"""The cells of one sheet, row by row, as read (rows may differ in length)."""

FileKind = Literal["zip", "ole", "markup", "other"]
"""What a file's first bytes say it is: a zip (.xlsx/.xlsm/.xlsb/.ods), an OLE2 compound file
(.xls, or an .xlsx with an opening password), HTML/XML text, or anything else."""

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXPECTED_KIND: dict[str, FileKind] = {".xlsx": "zip", ".xlsm": "zip", ".xlsb": "zip", ".ods": "zip",
                                       ".xls": "ole"}
_NO_SHEET_XML = frozenset({".xlsb", ".ods"})
"""Zip workbooks without SpreadsheetML sheet XML: not scanned for formulas (see :mod:`loaders.xlsx_formulas`)."""


@dataclass
class RawTable:
    """The cells of one sheet below its header, untyped.

    Attributes
    ----------
    frame
        One column per header cell (header text as written, made unique),
        values as read: ``str``, ``float``, ``datetime``, ``None`` or
        :class:`FormulaNoValue`.
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
    layer: str | None = None,
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
        recognisable header (and data rows under it).
    header_row
        Excel row number (1-based) of the header, skipping detection.
    encoding
        CSV encoding, skipping detection.
    layer
        Layer name, for the ``ipgrid.toml`` section named in messages; by
        default the layer whose aliases ``known_headers`` holds.

    Raises
    ------
    UnsupportedFileError
        The extension is not a table format.
    CorruptFileError
        The file is damaged, or is not the format its extension says.
    HeaderNotFoundError
        None of the first :data:`HEADER_SEARCH_ROWS` rows holds a known header.
    DuplicateHeaderError
        Two columns carry the same known header.
    EmptyFileError
        The file has no cells, or no data rows under the header.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    known = frozenset(known_headers)
    grids: list[tuple[str | None, Grid]]
    used_encoding: str | None = None
    kind = _sniff(path) if suffix in TABLE_SUFFIXES else "other"
    if suffix in EXCEL_SUFFIXES or kind in ("zip", "ole"):
        grids = list(_excel_grids(path, sheet, kind))
    elif suffix in CSV_SUFFIXES:
        csv_grid, used_encoding = _csv_grid(path, encoding, delimiter="\t" if suffix == ".tsv" else None)
        grids = [(None, csv_grid)]
    else:
        msg = f"{path.name}：不支持的表格格式「{suffix}」，请另存为 .xlsx 或 .csv"
        raise UnsupportedFileError(msg)

    sheet_name, grid, row_index, score = _choose_grid(path, grids, known, sheet, header_row)
    if score <= 0 and header_row is None and known:
        raise HeaderNotFoundError(_no_header_message(path, grids, known, layer))
    return _to_raw(path, grid, row_index, sheet_name, used_encoding, known)


def _choose_grid(
    path: Path, grids: list[tuple[str | None, Grid]], known: frozenset[str], sheet: str | int | None,
    header_row: int | None,
) -> tuple[str | None, Grid, int, int]:
    """The sheet to read: the one whose header holds most known headers, with data rows under it."""
    best: tuple[tuple[bool, bool, int], str | None, Grid, int] | None = None
    for name, grid in grids:
        if not any(_filled(v) for row in grid for v in row):
            continue
        row_index = header_row - 1 if header_row else _find_header(grid, known)
        score = _score_row(grid[row_index], known) if row_index < len(grid) else -1
        # A sheet with a known header first, then one with data under it (not a blank template).
        rank = (score > 0, any(_filled(v) for row in grid[row_index + 1:] for v in row), score)
        if best is None or rank > best[0]:
            best = (rank, name, grid, row_index)
    if best is None:
        msg = f"{path.name}：文件中没有任何数据"
        raise EmptyFileError(msg)
    (_, _, score), sheet_name, grid, row_index = best
    if row_index >= len(grid):
        msg = f"{path.name}：表头行 {row_index + 1} 超出了文件的行数（{len(grid)} 行）"
        raise ConfigError(msg)
    return sheet_name, grid, row_index, score


def _filled(value: object) -> bool:
    return value is not None and value != "" and not (isinstance(value, float) and np.isnan(value))


def _known_key(cell: object, known: frozenset[str]) -> str | None:
    """The known header a header cell means (with its bracketed unit removed if need be), else ``None``."""
    if not isinstance(cell, str) or not cell.strip():
        return None
    h = normalize_header(cell)
    if h in known:
        return h
    base = split_unit(h)[0]
    return base if base in known else None


def _score_row(row: Sequence[object], known: frozenset[str]) -> int:
    return sum(_known_key(cell, known) is not None for cell in row)


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


def layer_of(known: frozenset[str]) -> str | None:
    """The layer whose header aliases ``known`` holds (the one with most aliases), for messages.

    Examples
    --------
    >>> from loaders.headers import known_headers
    >>> layer_of(frozenset(known_headers(LAYERS["enterprises"])))
    'enterprises'
    """
    fits = [(len(aliases), name) for name, schema in LAYERS.items()
            if (aliases := _aliases(schema)) <= known]
    return max(fits)[1] if fits else None


def _no_header_message(path: Path, grids: list[tuple[str | None, Grid]], known: frozenset[str],
                       layer: str | None) -> str:
    """Say that no header is in the first rows, where one seems to be, and how to set ``header_row``."""
    layer = layer or layer_of(known)
    section = f"[{layer}]" if layer else "该图层的节（如 [enterprises]）"
    expected = ""
    if layer:
        schema = LAYERS[layer]
        labels = "」「".join(schema.field(n).label for n in schema.required_fields)
        expected = f"（应有「{labels}」等列）"
    head = f"{path.name}：前 {HEADER_SEARCH_ROWS} 行中没有找到表头{expected}；"
    for name, grid in grids:
        for i in range(HEADER_SEARCH_ROWS, min(len(grid), HEADER_HINT_ROWS)):
            if _score_row(grid[i], known) > 0:
                where = f"工作表「{name}」的" if name is not None and len(grids) > 1 else ""
                return (f"{head}{where}第 {i + 1} 行像是表头。表头不在前 {HEADER_SEARCH_ROWS} 行时请指定它的行号："
                        f"在 ipgrid.toml 的 {section} 中写 header_row = {i + 1}")
    first, seen = next(((r, [t for c in row if (t := _header_text(c))]) for _, grid in grids
                        for r, row in enumerate(grid[:HEADER_SEARCH_ROWS])
                        if sum(_header_text(c) is not None for c in row) >= 2), (0, []))
    shown = f"（第 {first + 1} 行为：{'、'.join(seen[:8])}{'……' if len(seen) > 8 else ''}）" if seen else ""
    columns = f"[{layer}.columns]" if layer else "该图层的 columns 节"
    example = ""
    if layer and seen and LAYERS[layer].required_fields:
        example = f"，如 {LAYERS[layer].required_fields[0]} = \"{seen[0]}\""
    return (f"{head}如果表头在第 {HEADER_SEARCH_ROWS} 行以下，请在 ipgrid.toml 的 {section} 中写 "
            f"header_row = 表头所在的 Excel 行号；如果列名写法不同{shown}，请在 ipgrid.toml 的 {columns} "
            f"中指定列名{example}")


# -- Excel -----------------------------------------------------------------------------------------

def _sniff(path: Path) -> FileKind:
    """What the first bytes of ``path`` say it is (see :data:`FileKind`)."""
    try:
        with path.open("rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise DataFolderError(_unreadable_message(path, exc)) from None
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "markup"
    return "other"


def _unreadable_message(path: Path, exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return (f"{path.name}：无法打开文件——没有读取权限，或文件正被其他程序占用（例如在 Excel 中打开着），"
            f"请关闭后再试（{reason}）")


def corrupt_message(path: Path, kind: FileKind, detail: object) -> str:
    """The Chinese message for a workbook that cannot be read, naming the file, the library's detail last.

    Examples
    --------
    >>> corrupt_message(Path("企业.xlsx"), "other", "invalid Zip archive")  # doctest: +ELLIPSIS
    '企业.xlsx：无法作为 Excel 文件读取——文件已损坏或不是有效的 Excel 文件；...（详情：invalid Zip archive）'
    """
    suffix = path.suffix.lower()
    if kind == "markup":
        hint = f"这个文件实际是网页（HTML）或 XML 格式，只是扩展名为 {suffix}；请在 Excel 中打开后另存为 .xlsx"
    elif kind == "ole" and _EXPECTED_KIND.get(suffix) == "zip":
        hint = "如果文件设置了打开密码，请取消密码后保存；否则请在 Excel 中打开后另存为 .xlsx"
    else:
        hint = "请在 Excel 或 WPS 中打开（如能打开）后另存为 .xlsx，或重新导出该文件"
    return f"{path.name}：无法作为 Excel 文件读取——文件已损坏或不是有效的 Excel 文件；{hint}（详情：{detail}）"


def _open_workbook(path: Path, kind: FileKind) -> CalamineWorkbook:
    from python_calamine import CalamineWorkbook

    if kind in ("zip", "ole") and _EXPECTED_KIND.get(path.suffix.lower()) != kind:
        # The extension lies (an .xlsx saved as .xls, a workbook named .csv): calamine reads by content.
        with path.open("rb") as f:
            return CalamineWorkbook.from_filelike(f)
    return CalamineWorkbook.from_path(str(path))


def _choose_sheets(path: Path, names: list[str], sheet: str | int | None) -> list[str]:
    if sheet is None:
        return names
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            msg = f"{path.name}：没有第 {sheet} 个工作表；工作表有 {names}"
            raise ConfigError(msg)
        return [names[sheet]]
    if sheet not in names:
        msg = f"{path.name}：没有名为「{sheet}」的工作表；工作表有 {names}"
        raise ConfigError(msg)
    return [sheet]


def _excel_grids(path: Path, sheet: str | int | None, kind: FileKind) -> list[tuple[str, Grid]]:
    from python_calamine import CalamineError, PasswordError

    if kind == "markup":
        raise CorruptFileError(corrupt_message(path, kind, "HTML/XML"))
    scan_formulas = kind == "zip" and path.suffix.lower() not in _NO_SHEET_XML
    try:
        wb = _open_workbook(path, kind)
        chosen = _choose_sheets(path, list(wb.sheet_names), sheet)
        # Calamine parses without the GIL: the formula scan runs beside it, on the second core.
        with ThreadPoolExecutor(max_workers=1) as pool:
            formulas = pool.submit(formulas_without_value, path, chosen) if scan_formulas else None
            grids = [(n, wb.get_sheet_by_name(n).to_python(skip_empty_area=False))
                     for n in chosen]
            cells = formulas.result() if formulas is not None else {}
    except PasswordError:
        msg = f"{path.name}：文件设置了打开密码，无法读取；请在 Excel 中取消密码后保存，再导入"
        raise CorruptFileError(msg) from None
    except OSError as exc:
        raise DataFolderError(_unreadable_message(path, exc)) from None
    except CalamineError as exc:  # XmlError, ZipError, CFB errors: a damaged or mislabelled file
        raise CorruptFileError(corrupt_message(path, kind, f"{type(exc).__name__}: {exc}")) from None
    return [(n, _with_formulas(g, cells.get(n, ()))) for n, g in grids]


def _with_formulas(grid: list[list[Any]], cells: Sequence[tuple[int, int, FormulaNoValue]]) -> Grid:
    """``grid`` with a :class:`FormulaNoValue` in each empty cell that holds one (grown to reach them)."""
    for r, c, formula in cells:
        while len(grid) <= r:
            grid.append([])
        row = grid[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        if not _filled(row[c]):
            row[c] = formula
    return grid


# -- CSV -------------------------------------------------------------------------------------------

def _csv_grid(
    path: Path, encoding: str | None, delimiter: str | None
) -> tuple[list[list[object]], str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFolderError(_unreadable_message(path, exc)) from None
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
    try:
        return [list(row) for row in reader], used
    except csv.Error as exc:
        msg = (f"{path.name}：第 {reader.line_num} 行不是有效的 CSV 内容（例如引号没有成对），"
               f"请在 Excel 中打开后另存为 .xlsx 或 CSV（详情：{exc}）")
        raise CorruptFileError(msg) from None


def _decode(data: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            msg = f"{path.name}：无法按 ipgrid.toml 中设置的编码「{encoding}」读取（{exc}）"
            raise ConfigError(msg) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode 文本" is UTF-16 with a BOM
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise CorruptFileError(f"{path.name}：文件以 UTF-16 标记开头，但内容不是有效的 UTF-16 文本（{exc}）") \
                from None
    if b"\x00" in data[:8192]:
        msg = (f"{path.name}：不是文本格式的 CSV 文件（含有二进制内容，可能是改了扩展名的其他文件）；"
               "请在 Excel 中打开原表后另存为 .xlsx 或 CSV")
        raise CorruptFileError(msg)
    for candidate in CSV_ENCODINGS:
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    msg = f"{path.name}：编码既不是 UTF-8 也不是 GBK/GB18030，请在 ipgrid.toml 中设置 encoding"
    raise UnsupportedFileError(msg)


# -- Header and body -------------------------------------------------------------------------------

def column_letter(index: int) -> str:
    """Excel column letters of a 0-based column index.

    Examples
    --------
    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _header_text(cell: object) -> str | None:
    """A header cell as text (``2023.0`` → ``"2023"``), or ``None`` when it is empty."""
    if not _filled(cell) or isinstance(cell, FormulaNoValue):
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip() or None


def _unique_headers(cells: list[object]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, cell in enumerate(cells):
        text = _header_text(cell) or f"(第{i + 1}列)"
        if text in seen:
            seen[text] += 1
            text = f"{text}.{seen[text]}"
        else:
            seen[text] = 0
        out.append(text)
    return out


def _check_duplicate_headers(path: Path, sheet: str | None, header: Sequence[object],
                             known: frozenset[str]) -> None:
    """Refuse two columns meaning the same field: which one holds the data cannot be told."""
    columns: dict[str, list[int]] = {}
    for i, cell in enumerate(header):
        key = _known_key(cell, known)
        if key is not None:
            columns.setdefault(key, []).append(i)
    clashes = []
    for indexes in (c for c in columns.values() if len(c) > 1):
        written = [str(header[i]).strip() for i in indexes]
        if len(set(written)) == 1:
            where = "和".join(f"第 {column_letter(i)} 列" for i in indexes)
            clashes.append(f"{where}都是「{written[0]}」")
        else:
            where = "和".join(f"第 {column_letter(i)} 列「{w}」" for i, w in zip(indexes, written, strict=True))
            clashes.append(f"{where}是同一列名")
    if clashes:
        where = f"（工作表「{sheet}」）" if sheet else ""
        msg = (f"{path.name}{where}：{'；'.join(clashes)}，无法确定用哪一列；"
               "请删除多余的一列，或把其中一列改成别的列名")
        raise DuplicateHeaderError(msg)


_COLUMN_NUMBER_LABELS = "甲乙丙丁戊己庚辛"


def _is_column_numbering(row: Sequence[object], header: Sequence[object]) -> bool:
    """Whether a row numbers the header's columns (``1 2 3 …``, maybe after ``甲 乙``), as statistical forms do.

    Every header column gets a label: 甲, 乙 … in order, then 1, 2, 3 … (at least three numbers).

    Examples
    --------
    >>> header = ["企业名称", "信用代码", "发明", "实用新型", "外观"]
    >>> _is_column_numbering(["甲", "乙", 1.0, 2.0, 3.0], header)
    True
    >>> _is_column_numbering(["南通甲公司", "x", 1, 2, 3], header), _is_column_numbering(["甲", 1, 2, 3], header)
    (False, False)
    """
    cells = [c for c in row if _filled(c)]
    if len(cells) != sum(_header_text(h) is not None for h in header):
        return False
    labels = 0
    while labels < len(cells) and cells[labels] == _COLUMN_NUMBER_LABELS[labels:labels + 1]:
        labels += 1
    numbers = [_header_text(c) for c in cells[labels:]]
    return len(numbers) >= 3 and numbers == [str(k) for k in range(1, len(numbers) + 1)]


def _to_raw(
    path: Path, grid: Grid, row_index: int, sheet: str | None, encoding: str | None,
    known: frozenset[str] = frozenset(),
) -> RawTable:
    header = grid[row_index]
    _check_duplicate_headers(path, sheet, header, known)
    width = max(len(header), max((len(r) for r in grid[row_index + 1 :]), default=0))
    header = list(header) + [""] * (width - len(header))
    first = row_index + 1
    if first < len(grid) and _is_column_numbering(grid[first], header):
        first += 1  # a 1 2 3 … row under the header numbers the columns: layout, not a record
    body = grid[first:]
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
    source_rows = np.asarray(keep, dtype=np.int64) + first + 1
    return RawTable(frame, source_rows, row_index + 1, sheet, encoding)
