"""Read an office's visit log (走访记录台账): one row per visit, as the offices keep it in Excel or CSV.

The sheet is read like every other table (:func:`loaders.tables.read_table`:
title rows above the header, .xlsx/.xls/.csv, GBK CSV) and its headers are
matched to :data:`VISITS` by :func:`loaders.headers.map_headers`, so 单位名称,
企业 and 名称 all mean the firm.  This module only reads and types: dates as
dates, 需求 split into single needs with their usual variants mapped
(专利 → 专利申请), 方式 empty → :data:`DEFAULT_KIND`.  Whether the firm, the
commissioner and the values are known is a question for the store
(:mod:`dashboard.store.visits_import`); a row the file itself makes unusable
(no firm, no date, a date that is not one) is marked unreadable and
reported.  Row faults are :class:`~loaders.problems.Problem` data, worded in
:data:`VISIT_MESSAGES`; a file that cannot be read at all raises
:class:`VisitLogError`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from loaders import coerce
from loaders.errors import DataFolderError, HeaderNotFoundError
from loaders.headers import known_headers, map_headers
from loaders.problems import MESSAGES, Problem, ProblemLog, Severity
from loaders.records import canonical_attributes
from loaders.schema import FieldSpec, LayerSchema
from loaders.tables import HEADER_SEARCH_ROWS, read_table

__all__ = ["DEFAULT_KIND", "KIND_VARIANTS", "NEED_VARIANTS", "VISITS", "VISIT_LAYER", "VISIT_MESSAGES", "VisitLog",
           "VisitLogError", "VisitRow", "canonical_kind", "read_visit_log", "split_needs", "visit_problem"]

VISIT_LAYER: Final = "visits"
"""The ``layer`` of every problem of a visit log."""

VISITS: Final = LayerSchema(
    name=VISIT_LAYER,
    label="走访记录",
    stems=("走访记录", "走访台账", "visits"),
    geometry="none",
    description="Commissioners' visits to firms, one row per visit (not a layer of the data folder).",
    fields=(
        FieldSpec("firm_name", "企业名称", aliases=("企业名称", "企业", "单位名称", "名称", "firm_name")),
        FieldSpec("uscc", "统一社会信用代码",
                  aliases=("统一社会信用代码", "社会信用代码", "信用代码", "USCC", "uscc")),
        FieldSpec("visit_date", "走访日期", required=True, aliases=("走访日期", "日期", "走访时间", "visit_date")),
        FieldSpec("commissioner", "走访人", required=True,
                  aliases=("走访人", "专员", "网格专员", "走访专员", "commissioner")),
        FieldSpec("kind", "方式", aliases=("方式", "走访方式", "形式", "kind")),
        FieldSpec("needs", "需求", aliases=("需求", "企业需求", "需求类型", "needs")),
        FieldSpec("outcome", "走访结果", aliases=("走访结果", "结果", "成效", "outcome")),
        FieldSpec("note", "备注", aliases=("备注", "情况", "走访情况", "说明", "note")),
        FieldSpec("follow_up", "回访日期", aliases=("回访日期", "下次走访", "回访时间", "跟进日期", "follow_up")),
    ),
)
"""The columns of a visit log and the headers that mean each (matched as every layer's are)."""

FIRM_LABEL: Final = "企业名称或统一社会信用代码"
"""What a row needs at least one of to name its firm."""

DEFAULT_KIND: Final = "走访"
"""方式 of a row that leaves it empty (the form's default too)."""

KIND_VARIANTS: Final[dict[str, str]] = {
    "上门": "走访", "上门走访": "走访", "实地走访": "走访", "现场走访": "走访", "现场": "走访", "入企走访": "走访",
    "电话回访": "电话", "电话走访": "电话", "电话沟通": "电话", "电访": "电话",
    "培训会": "培训", "宣讲": "培训", "讲座": "培训",
    "帮办服务": "帮办", "代办": "帮办",
}
"""How offices write a 方式 → the kind it means (values of ``dashboard.engine.visits.VISIT_KINDS``)."""

NEED_VARIANTS: Final[dict[str, str]] = {
    "专利": "专利申请", "申请专利": "专利申请", "专利申报": "专利申请",
    "商标": "商标注册", "注册商标": "商标注册", "商标申请": "商标注册",
    "质押": "质押融资", "融资": "质押融资", "知识产权质押": "质押融资", "质押贷款": "质押融资",
    "知识产权质押融资": "质押融资",
    "维权援助": "维权", "侵权": "维权", "知识产权维权": "维权",
}
"""How offices write a need → the need it means (values of ``dashboard.engine.visits.VISIT_NEEDS``)."""

NO_NEED: Final = frozenset({"无", "暂无", "没有", "无需求", "-", "—", "/"})
"""Texts in 需求 that say there was none."""

_NEED_SEPARATORS: Final = re.compile(r"[、,;/|\s]+")
"""Between two needs of one cell (after NFKC, so ，；／ are , ; / too)."""

_TIME_OF_DAY: Final = re.compile(r"^(\S+)\s+\d{1,2}:\d{2}(:\d{2})?$")
"""A date written with its time (2025-03-05 10:30): the day is the part before it."""

VISIT_MESSAGES: Final[dict[str, tuple[Severity, str]]] = {
    # read from the file (this module)
    "visit_bad_date": ("error", "「{label}」的值「{value}」不是日期，该行未导入；请写成 2025-03-05 这样的格式"),
    # checked against the store (dashboard.store.visits_import)
    "visit_unknown_firm": ("error", "企业「{value}」在数据截至 {as_of} 的企业名录中找不到，该行未导入；"
                                    "请核对企业名称或统一社会信用代码"),
    "visit_uscc_not_found": ("warning", "统一社会信用代码「{value}」在企业名录中找不到，已按企业名称匹配到「{name}」"
                                        "（名录中的代码：{listed}），该行仍导入；请核对代码"),
    "visit_future_date": ("error", "走访日期 {value} 晚于今天（{today}），该行未导入；计划中的走访请填在回访日期中"),
    "visit_follow_up_before": ("error", "回访日期 {value} 早于走访日期 {visit_date}，该行未导入"),
    "visit_unknown_kind": ("error", "方式「{value}」不在可选项中（{choices}），该行未导入"),
    "visit_unknown_need": ("error", "需求「{value}」不在可选项中（{choices}），该行未导入"),
    "visit_unknown_commissioner": ("error", "走访人「{value}」不是数据截至 {as_of} 的网格专员（{known}），该行未导入"),
    "visit_outside_cells": ("error", "企业「{firm}」{where}，不在{commissioner}负责的网格（{cells}）内，该行未导入；"
                                     "请核对走访人，或先调整网格专员分配"),
    "visit_duplicate_row": ("error", "与第 {first_row} 行重复（同一企业、走访日期、走访人），该行未导入"),
    "visit_already_recorded": ("warning", "存储中已有这次走访（{firm}，{visit_date}，{commissioner}；走访编号 "
                                          "{visit_id}），未重复导入"),
    "visit_rejected": ("error", "{detail}，该行未导入"),
}
"""Problem code of a visit log → (severity, Chinese message template); the loaders' codes (``missing_value``,
``formula_no_value`` …) keep their wording from :data:`loaders.problems.MESSAGES`."""


class VisitLogError(DataFolderError):
    """A visit log that cannot be read at all: no such file, no header, a required column missing."""


@dataclass(frozen=True)
class VisitRow:
    """One row of a visit log, typed (texts stripped, "" when empty).

    Attributes
    ----------
    row
        The row number Excel shows.
    visit_date, follow_up
        ``None`` when empty or not a date (a problem of the row says which).
    kind
        As read, a variant mapped (:data:`KIND_VARIANTS`), :data:`DEFAULT_KIND` when empty.
    needs
        Each need once, variants mapped (:data:`NEED_VARIANTS`), unknown ones as written.
    readable
        ``False`` when the file already makes the row unusable (an error of the row was reported).
    """

    row: int
    firm_name: str
    uscc: str
    visit_date: dt.date | None
    commissioner: str
    kind: str = DEFAULT_KIND
    needs: tuple[str, ...] = ()
    outcome: str = ""
    note: str = ""
    follow_up: dt.date | None = None
    readable: bool = True


@dataclass(frozen=True)
class VisitLog:
    """A visit log read from one file: its rows in file order and the problems reading them found."""

    file: str
    """The file's bare name (problems and the store's audit name it so)."""
    rows: tuple[VisitRow, ...]
    problems: tuple[Problem, ...]
    header_row: int
    """The Excel row number of the header."""
    sheet: str | None = None


def visit_problem(code: str, *, file: str, row: int | None, field: str | None, **params: object) -> Problem:
    """The :class:`Problem` of a visit log for ``code`` (from :data:`VISIT_MESSAGES`, else the loaders' registry).

    Examples
    --------
    >>> visit_problem("visit_duplicate_row", file="走访.xlsx", row=9, field="visit_date", first_row=3).message
    '与第 3 行重复（同一企业、走访日期、走访人），该行未导入'
    """
    known = VISIT_MESSAGES.get(code) or MESSAGES.get(code)
    if known is None:
        msg = f"unknown visit problem code {code!r}; add it to loaders.visits.VISIT_MESSAGES"
        raise KeyError(msg)
    severity, template = known
    return Problem(layer=VISIT_LAYER, file=file, row=row, field=field, code=code, severity=severity,
                   message=template.format(**params))


def canonical_kind(text: str) -> str:
    """The 方式 a cell means: :data:`DEFAULT_KIND` when empty, a variant mapped, else the text as written.

    Examples
    --------
    >>> canonical_kind(""), canonical_kind(" 上门走访 "), canonical_kind("飞鸽传书")
    ('走访', '走访', '飞鸽传书')
    """
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return DEFAULT_KIND
    return KIND_VARIANTS.get(value, value)


def split_needs(text: str) -> tuple[str, ...]:
    """The needs a 需求 cell lists, each once in the cell's order, variants mapped; unknown ones as written.

    Examples
    --------
    >>> split_needs("专利、商标，融资；质押 维权")
    ('专利申请', '商标注册', '质押融资', '维权')
    >>> split_needs("无"), split_needs("专利申请/买房")
    ((), ('专利申请', '买房'))
    """
    out: list[str] = []
    for part in _NEED_SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        token = part.strip()
        if not token or token in NO_NEED:
            continue
        need = NEED_VARIANTS.get(token, token)
        if need not in out:
            out.append(need)
    return tuple(out)


def read_visit_log(path: Path) -> VisitLog:
    """Read a visit log (.xlsx/.xls/.csv …), title rows above the header allowed.

    A row needs a firm (企业名称 or 统一社会信用代码), a 走访日期 and a 走访人;
    one without is kept as unreadable with a ``missing_value`` problem, one
    whose date is not a date with ``visit_bad_date``, so no row goes unaccounted for.

    Raises
    ------
    VisitLogError
        No such file, no header in the first rows, or no column for the firm, the date or the commissioner.
    loaders.errors.DataFolderError
        The file cannot be read as a table (damaged, not what its extension says, two columns with one header).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"走访记录文件 {path} 不存在"
        raise VisitLogError(msg)
    try:
        table = read_table(path, known_headers=known_headers(VISITS), layer=VISIT_LAYER)
    except HeaderNotFoundError:
        msg = (f"{path.name}：前 {HEADER_SEARCH_ROWS} 行中没有找到走访记录的表头"
               "（应有「企业名称」「走访日期」「走访人」等列）")
        raise VisitLogError(msg) from None
    hmap = map_headers(VISITS, table.headers)
    missing = [VISITS.field(name).label for name in hmap.missing]
    if "firm_name" not in hmap.columns and "uscc" not in hmap.columns:
        missing.insert(0, FIRM_LABEL)
    if missing:
        msg = (f"{path.name}：缺少「{'」「'.join(missing)}」列；文件中的表头（第 {table.header_row} 行）为："
               f"{'、'.join(table.headers)}")
        raise VisitLogError(msg)
    log = ProblemLog()
    frame, _ = canonical_attributes(VISITS, table.frame, table.source_rows, hmap, log, path.name)
    problems = list(log)
    reported = {(p.row, p.field) for p in problems if p.severity == "error"}
    error_rows = {r for r, _ in reported}
    dates = {key: _dates(table.frame[hmap.columns[key]], VISITS.field(key)) if key in hmap.columns
             else ([None] * len(frame), [False] * len(frame)) for key in ("visit_date", "follow_up")}
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        row = int(table.source_rows[i])
        texts = {key: _text(record[key]) for key in VISITS.field_names}
        found = _row_problems(path.name, row, texts, reported, dates["visit_date"][0][i] is None,
                              dates["visit_date"][1][i], dates["follow_up"][1][i])
        problems += found
        rows.append(VisitRow(
            row=row, firm_name=texts["firm_name"], uscc=texts["uscc"], visit_date=dates["visit_date"][0][i],
            commissioner=texts["commissioner"], kind=canonical_kind(texts["kind"]), needs=split_needs(texts["needs"]),
            outcome=texts["outcome"], note=texts["note"], follow_up=dates["follow_up"][0][i],
            readable=row not in error_rows and not any(p.severity == "error" for p in found)))
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return VisitLog(file=path.name, rows=tuple(rows), problems=tuple(problems), header_row=table.header_row,
                    sheet=table.sheet)


def _text(value: object) -> str:
    """A cleaned cell as text, "" for a missing one or a text that means none (无, -)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or coerce.is_blank(value):
        return ""
    return str(value).strip()


def _row_problems(file: str, row: int, texts: dict[str, str], reported: set[tuple[int | None, str | None]],
                  no_date: bool, bad_visit: bool, bad_follow: bool) -> list[Problem]:
    """What the file alone says is wrong with one row, beside what the loaders reported (``reported``)."""
    out = []

    def missing(key: str, label: str) -> None:
        if (row, key) not in reported:  # 无 or - is text to the loaders, so they did not call it empty
            out.append(visit_problem("missing_value", file=file, row=row, field=key, label=label))

    if not texts["firm_name"] and not texts["uscc"]:
        missing("firm_name", FIRM_LABEL)
    if bad_visit:
        out.append(visit_problem("visit_bad_date", file=file, row=row, field="visit_date", label="走访日期",
                                 value=texts["visit_date"]))
    elif no_date:
        missing("visit_date", "走访日期")
    if not texts["commissioner"]:
        missing("commissioner", "走访人")
    if bad_follow:
        out.append(visit_problem("visit_bad_date", file=file, row=row, field="follow_up", label="回访日期",
                                 value=texts["follow_up"]))
    return out


def _dates(values: pd.Series, spec: FieldSpec) -> tuple[list[dt.date | None], list[bool]]:
    """Each cell as a date (``None`` when empty or not a date) and whether it was text that is not a date.

    Parsed by the loaders' own rules (:func:`loaders.coerce.to_date`: Excel dates and serial numbers,
    2025-03-05, 2025/3/5, 2025.3.5, 20250305, 2025年3月5日), a time of day after the date ignored.
    """
    cells = values.map(_without_time).reset_index(drop=True)
    scratch = ProblemLog()  # formula cells are reported with the texts; a bad date is an error here, worded apart
    parsed = coerce.to_date(cells, spec, rows=np.zeros(len(cells), dtype=np.int64), log=scratch,
                            layer=VISIT_LAYER, file="")
    blank = cells.map(coerce.is_blank).to_numpy(dtype=bool)
    missing = parsed.isna().to_numpy(dtype=bool)
    days: list[dt.date | None] = [None if m else pd.Timestamp(v).date() for v, m in zip(parsed, missing, strict=True)]
    return days, (missing & ~blank).tolist()


def _without_time(value: object) -> object:
    if isinstance(value, str):
        found = _TIME_OF_DAY.match(value.strip())
        if found:
            return found.group(1)
    return value
