"""Formula cells of an .xlsx/.xlsm that have no usable value, found in the sheet XML.

Calamine (:mod:`loaders.tables`) returns the value a formula cell had when
the workbook was last saved.  A workbook written by a program (openpyxl,
some system exports) and never opened in Excel saves formulas without any
result, and calamine reads those cells as empty; it reads an error result
(``#DIV/0!``, ``#N/A``) as empty too.  :func:`formulas_without_value` finds
both in the sheet's XML, so the reader can put a :class:`FormulaNoValue` in
the cell and :mod:`loaders.coerce` report it with its row and field, instead
of a silent empty (or 0) value.

The scan is cheap enough to run on every workbook, beside calamine (which
parses without the GIL): a sheet without formulas costs one streaming pass
looking for :data:`_FORMULA_HINT` (about 0.2 s of a second core for a
60 MB sheet), and only a sheet with formulas is searched cell by cell.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree


@dataclass(frozen=True)
class FormulaNoValue:
    """A formula cell without a usable value: saved without its result, or computed to an error.

    A workbook written by a program (openpyxl, some exports) and never opened
    in Excel holds formulas without results; calamine reads them as empty
    cells, and an error result (``#DIV/0!``, ``#N/A``) as empty too.  This
    stands in the raw cells instead, so the field it feeds reports it
    (:mod:`loaders.coerce`) rather than taking it as empty or 0.
    """

    formula: str
    """The formula text without the leading ``=`` (empty for a shared formula's later cells)."""
    error: str | None = None
    """The error value the formula was computed to (``#DIV/0!``), or ``None`` when it has no result."""


_SCAN_CHUNK = 1 << 20
_FORMULA_HINT = b"f>"
"""Every sheet with a formula holds a ``<f>`` or a closing ``</f>`` (``</x:f>``): one byte search, no parsing."""
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_F_ELEMENT = re.compile(
    rb"<" + _PREFIX + rb"f(?:\s[^>]*)?(?:/>|>([^<]*)</" + _PREFIX + rb"f>)"  # 1: the formula text
    rb"(?:\s*<" + _PREFIX + rb"v>([^<]+)<)?"  # 2: the saved result, when there is one
)
"""A formula element and the value after it: most formulas (Excel's, with a result) need nothing more."""
_C_TAG = re.compile(rb"<" + _PREFIX + rb"c\s")
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
_CELL_TYPE = re.compile(rb'\st="([A-Za-z]+)"')
_EMPTY_VALUE = re.compile(rb"\s*<" + _PREFIX + rb"v[\s>/]")
_INLINE_VALUE = re.compile(rb"\s*<" + _PREFIX + rb"is[\s>]")
_SCAN_ERRORS = (zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, ElementTree.ParseError)


def formulas_without_value(path: Path | IO[bytes], sheets: Sequence[str]
                           ) -> dict[str, list[tuple[int, int, FormulaNoValue]]]:
    """Formula cells without a usable value: sheet → ``(row index, column index, cell)``, 0-based.

    Only a sheet whose XML holds a formula is searched cell by cell.  A
    formula cell without ``<v>`` has no result; nor has one with an empty
    ``<v>``, unless it is typed ``t="str"`` (how Excel saves a formula whose
    result is the empty text).  One typed ``t="e"`` was computed to an error.
    Calamine reads the same workbook: when this scan cannot read the zip,
    calamine's result stands (and calamine reports a damaged file).

    Examples
    --------
    >>> import io, openpyxl
    >>> book = openpyxl.Workbook()
    >>> book.active.append(["发明专利", "=1+1"])
    >>> book.save(buffer := io.BytesIO())
    >>> formulas_without_value(buffer, ["Sheet"])
    {'Sheet': [(0, 1, FormulaNoValue(formula='1+1', error=None))]}
    """
    try:
        with zipfile.ZipFile(path) as z:
            parts = _sheet_parts(z)
            found = {}
            for name in sheets:
                part = parts.get(name)
                if part is not None and part in z.NameToInfo and _has_formulas(z, part):
                    found[name] = _formula_cells(z.read(part))
            return {name: cells for name, cells in found.items() if cells}
    except _SCAN_ERRORS:  # calamine reports a damaged workbook; this scan only adds to a readable one
        return {}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its XML part inside the workbook zip."""
    root_rels = ElementTree.fromstring(z.read("_rels/.rels"))
    book = next((r.get("Target", "") for r in root_rels if r.get("Type", "").endswith("/officeDocument")),
                "xl/workbook.xml").lstrip("/")
    base = posixpath.dirname(book)
    rels = ElementTree.fromstring(z.read(posixpath.join(base, "_rels", posixpath.basename(book) + ".rels")))
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else \
            posixpath.normpath(posixpath.join(base, target))
    parts = {}
    for element in ElementTree.fromstring(z.read(book)).iter():
        if _local(element.tag) == "sheet":
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            if rid in targets:
                parts[element.get("name", "")] = targets[rid]
    return parts


def _has_formulas(z: zipfile.ZipFile, part: str) -> bool:
    tail = b""
    with z.open(part) as f:
        while chunk := f.read(_SCAN_CHUNK):
            if _FORMULA_HINT in chunk or _FORMULA_HINT in tail + chunk[:1]:
                return True
            tail = chunk[-1:]
    return False


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ch - 64
    return index - 1


def _formula_cells(data: bytes) -> list[tuple[int, int, FormulaNoValue]]:
    cells = []
    for m in _F_ELEMENT.finditer(data):
        value = m.group(2)
        if value is not None and not value.startswith(b"#"):
            continue  # a saved result (only an error value starts with #)
        start = data.rfind(b"<", 0, m.start())
        tag = data[start:m.start()]
        ref = _CELL_REF.search(tag)
        if not _C_TAG.match(tag) or ref is None:
            continue  # a cell without r="…" cannot be placed; such files are rare and come from Excel-like apps
        typed = _CELL_TYPE.search(tag)
        kind = typed.group(1) if typed is not None else b"n"
        if value is not None and kind != b"e":
            continue  # a text result that starts with #
        if value is None and (_INLINE_VALUE.match(data, m.end())
                              or (kind == b"str" and _EMPTY_VALUE.match(data, m.end()))):
            continue  # an inline result, or an empty <v/> typed str: Excel's saved empty-text result
        error = None if value is None else html.unescape(value.decode("utf-8", "replace"))
        formula = html.unescape((m.group(1) or b"").decode("utf-8", "replace"))
        cells.append((int(ref.group(2)) - 1, _column_index(ref.group(1)), FormulaNoValue(formula, error)))
    return cells
