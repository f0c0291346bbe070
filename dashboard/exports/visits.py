"""Commissioners' visit sheets (走访清单), the last part of a grid atlas, and one commissioner's as a PDF.

One sheet per commissioner (A4 landscape): a map of their cells with every
firm (blue dot: holds IP; red triangle: no IP yet, 培育对象) and the service
points; their cells with firm counts; the service points nearest to their
firms with phone numbers; then the firm list, as many pages as it needs.

Without visits (a data folder) the list is in cell order — grid cell, name,
address, contact and phone, holdings, whether it holds IP (rows without IP
shaded red) and the nearest service point with its distance.

With visits (:class:`~dashboard.engine.visits.FirmVisits`, from a store) it
is the **weekly visit sheet**: the first page names the day it is for and
counts the overdue follow-ups, those due within a week and the firms never
visited; the list is in the order of a week's work (:func:`work_order`) and
gains the last visit, its needs, the follow-up (逾期 / 到期) and a ruled
blank 记录 column for notes by hand.  To make room the grid cell, the
service point and the distance go (the first page has the cells and the
service points near the firms) and the other columns narrow.

Text from data is drawn as text, never interpreted: :func:`plain` escapes the
``$`` that would make matplotlib read a name as math.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import shapely
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from dashboard.engine import Engine
from dashboard.engine.catalog import (
    DEFAULT_METRIC,
    as_float,
    cell_text,
    format_distance,
    format_number,
    text_of,
)
from dashboard.engine.visits import DUE_DAYS, FirmVisits
from dashboard.exports import furniture as fu
from dashboard.exports.atlas_page import AtlasPage, page_footer
from dashboard.exports.fonts import font
from dashboard.exports.pages import PAGE_SIZES, PageSize
from dashboard.exports.static_map import Overlays, draw_map, new_figure
from dashboard.exports.tables import Column, draw_table, fit_text, row_height_mm, rows_that_fit
from dashboard.exports.view import APP_NAME, ExportError, Focus, MapView, map_view
from dashboard.theme import LAYER_COLORS, LIGHT

LANDSCAPE = PAGE_SIZES["a4-landscape"]

FIRM_COLUMNS: tuple[Column, ...] = (
    Column("序号", 8.0, "right"), Column("网格", 22.0), Column("企业名称", 52.0), Column("地址", 42.0),
    Column("联系人", 14.0), Column("联系电话", 24.0), Column("发明", 9.0, "right"), Column("实用\n新型", 9.0, "right"),
    Column("外观", 9.0, "right"), Column("商标", 9.0, "right"), Column("作品\n著作权", 11.0, "right"),
    Column("软件\n著作权", 11.0, "right"), Column("知识产权", 16.0, "center"), Column("最近服务站点", 27.0),
    Column("距离", 14.0, "right"),
)
"""Columns of the firm list without visits (277 mm: the width of A4 landscape inside its margins)."""

NOTES_LABEL: Final = "记录"
"""Heading of the weekly sheet's blank column for notes by hand (its last column)."""

WEEKLY_COLUMNS: tuple[Column, ...] = (
    Column("序号", 7.0, "right"), Column("企业名称", 42.0), Column("地址", 36.0), Column("联系人", 10.0),
    Column("联系电话", 20.5), Column("发明", 6.5, "right"), Column("实用\n新型", 6.5, "right"),
    Column("外观", 6.5, "right"), Column("商标", 6.5, "right"), Column("作品\n著作权", 9.5, "right"),
    Column("软件\n著作权", 8.5, "right"), Column("知识\n产权", 7.5, "center"), Column("上次走访", 16.5),
    Column("需求", 25.0), Column("回访", 22.5), Column(NOTES_LABEL, 46.0),
)
"""Columns of the weekly visit sheet's firm list (277 mm).

Widths are the text they must hold at 7 pt: a mobile or ``0513-…`` landline
(20.5), three-digit holdings (6.5; the two copyright columns hold ``1,816``),
an ISO date (16.5), two needs (``专利申请、商标注册``, 25), a date with 逾期
(22.5); the blank 记录 column takes the rest.  To make room the grid cell
(the first page maps and lists the cells), the service point and the
distance (the first page lists the service points near the firms) are left
out, and names and addresses are cut with "…" a little sooner — an address
at its start (:func:`fit_tail`).
"""

ADDRESS_COLUMN: Final = [c.label for c in WEEKLY_COLUMNS].index("地址")
IP_COLUMN: Final = [c.label for c in WEEKLY_COLUMNS].index("知识\n产权")
FOLLOW_UP_COLUMN: Final = [c.label for c in WEEKLY_COLUMNS].index("回访")
"""Positions of the weekly list's address (cut at its start) and of its columns drawn in colour."""

HOLDINGS = ("invention_patents", "utility_models", "designs", "trademarks", "copyrights", "software_copyrights")
"""Holdings shown per firm, in the order of :data:`FIRM_COLUMNS`."""

FOLLOW_UP_MARKS: Final = {"overdue": "逾期", "due": "到期"}
"""Follow-up status → the word after its date on the weekly sheet (an open one has none)."""

VISIT_FIELDS: Final = ("last_visit", "last_needs", "follow_up", "follow_up_status")
"""Columns of :attr:`FirmVisits.table` the weekly sheet shows or sorts by."""

NEVER_TEXT: Final = "从未"
"""The last visit of a firm never visited."""

TABLE_SIZE_PT = 7.0
CELL_PAD_MM = 2.4
"""What a table cell keeps free of text (as :func:`dashboard.exports.tables.draw_table` fits its cells)."""
MAP_WIDTH_MM = 150.0
NOTE_RULE = "#9ca3af"
"""Colour of the writing lines in the 记录 column (lighter than the table's rules)."""

SHEET_DPI = 150
"""Resolution of the layout pass of a standalone sheet (as the atlas's; the PDF itself is vector)."""

WEEKDAYS: Final = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

_text = text_of


def plain(value: object) -> str:
    """Text from data as drawn: its text (mathtext is off for every export, :func:`dashboard.exports.fonts.font`).

    >>> plain("A$x$B"), plain(None)
    ('A$x$B', '')
    """
    return text_of(value)


def fit_tail(text: str, width_mm: float, size_pt: float = TABLE_SIZE_PT) -> str:
    """``text`` cut at its start with "…" to fit a table cell ``width_mm`` wide.

    Within one district an address's end (road and number) tells firms apart,
    its start (province, city, district) does not.

    >>> fit_tail("江苏省南通市通州区川姜镇家纺城路88号", 20.0)
    '…家纺城路88号'
    """
    return fit_text(text[::-1], width_mm - CELL_PAD_MM, size_pt)[::-1]


def _count(value: object) -> str:
    """A holding in the firm list: its number, or a dot for none (easier to scan on paper than a column of 0)."""
    number = as_float(value)
    return format_number(number) if number else "·"


def visit_firms(engine: Engine) -> pd.DataFrame:
    """:meth:`Engine.firm_table` with the firms' contact person and phone from the enterprises layer."""
    table = engine.firm_table()
    firms = engine.firms
    for column in ("contact", "phone"):
        table[column] = firms[column].to_numpy() if column in firms else None
    return table


def with_visits(firms: pd.DataFrame, visits: FirmVisits) -> pd.DataFrame:
    """``firms`` (rows of the firm table) with their :data:`VISIT_FIELDS`; a firm ``visits`` lacks was never visited."""
    seen = visits.table.reindex(firms.index)[list(VISIT_FIELDS)]
    return firms.join(seen.fillna("").astype(str))


def work_order(firms: pd.DataFrame) -> pd.DataFrame:
    """``firms`` (with :data:`VISIT_FIELDS` and their cell's position ``_cell``) in the order of a week's work.

    Overdue follow-ups first, then those due, each the earliest first; then the
    firms without IP (培育对象) never visited; then every other firm, the longest
    since its last visit first (never visited before any visit).  Ties keep the
    cells' order, then the name's.
    """
    status = firms["follow_up_status"].to_numpy()
    never = firms["last_visit"].to_numpy() == ""
    without_ip = ~firms["has_ip"].fillna(False).to_numpy(dtype=bool)
    bucket = np.select([status == "overdue", status == "due", never & without_ip], [0, 1, 2], 3)
    keys = firms.assign(_bucket=bucket, _follow=np.where(bucket < 2, firms["follow_up"], ""),
                        _last=np.where(bucket == 3, firms["last_visit"], ""))
    ordered = keys.sort_values(["_bucket", "_follow", "_last", "_cell", "name"], kind="stable")
    return ordered.drop(columns=["_bucket", "_follow", "_last"])


@dataclass(frozen=True)
class WeekCounts:
    """What the first page of a weekly sheet counts among one commissioner's firms."""

    overdue: int
    due: int
    never: int

    @classmethod
    def of(cls, firms: pd.DataFrame) -> WeekCounts:
        """The counts of ``firms`` (with :data:`VISIT_FIELDS`)."""
        status = firms["follow_up_status"].to_numpy()
        return cls(overdue=int((status == "overdue").sum()), due=int((status == "due").sum()),
                   never=int((firms["last_visit"].to_numpy() == "").sum()))

    def text(self) -> str:
        """``回访逾期 N 家　本周到期 N 家　从未走访 N 家``."""
        return f"回访逾期 {self.overdue} 家　本周到期 {self.due} 家　从未走访 {self.never} 家"


def day_text(day: dt.date) -> str:
    """``2026-01-15（星期四）``: the day a weekly sheet is for.

    >>> day_text(dt.date(2026, 1, 15))
    '2026-01-15（星期四）'
    """
    return f"{day.isoformat()}（{WEEKDAYS[day.weekday()]}）"


def _service_lookup(engine: Engine) -> dict[str, tuple[str, str, str]]:
    points = engine.layer("service_points")
    if points is None:
        return {}
    out: dict[str, tuple[str, str, str]] = {}
    for _, row in points.iterrows():
        out.setdefault(str(row["name"]), (_text(row.get("type")), _text(row.get("phone")), _text(row.get("address"))))
    return out


def plan_visit_sheets(engine: Engine, view: MapView, visits: FirmVisits | None = None, *,
                      only: str | None = None) -> list[AtlasPage]:
    """The pages of every commissioner's visit sheet (none when no cell has a commissioner).

    Parameters
    ----------
    engine, view
        The data and the grid level's map view (its cells' order orders the lists).
    visits
        Each firm's visits (aligned with ``engine.firm_table()``): the sheets are the weekly visit
        sheets for ``visits.today``.  ``None`` (a data folder): the lists in cell order, no visit columns.
    only
        Just this commissioner's sheet.

    Raises
    ------
    ExportError
        ``only`` names nobody with cells.
    """
    assignments = engine.commissioners.assignments
    assignments = assignments[assignments["commissioner"].notna()]
    if only is not None:
        assignments = assignments[assignments["commissioner"].astype(str) == only]
        if assignments.empty:
            msg = f"没有网格专员「{only}」负责的网格：请检查专员姓名，或先在网格图层中为其分配网格"
            raise ExportError(msg)
    if assignments.empty:
        return []
    firms = visit_firms(engine)
    if visits is not None:
        firms = with_visits(firms, visits)
    order = {gid: i for i, gid in enumerate(view.table["id"])}
    services = _service_lookup(engine)
    pages: list[AtlasPage] = []
    per_page = rows_that_fit(LANDSCAPE.height_mm - 2 * LANDSCAPE.margin_mm - LANDSCAPE.title_mm
                             - LANDSCAPE.footer_mm - 10, TABLE_SIZE_PT, 2)
    name = "走访清单" if visits is None else "本周走访清单"
    for who, group in assignments.groupby("commissioner", sort=True):
        ids = sorted(dict.fromkeys(group["grid_id"].astype(str)), key=lambda g: order.get(g, 10**9))
        phones = [p for p in group["phone"] if _text(p)]
        phone = _text(phones[0]) if phones else "未登记"
        mine = firms[firms["grid_id"].isin(ids)].copy()
        mine["_cell"] = mine["grid_id"].map(order)
        ordered = mine.sort_values(["_cell", "has_ip", "name"], kind="stable") if visits is None else work_order(mine)
        mine = ordered.reset_index(drop=True)
        sheet = _Sheet(view, str(who), phone, ids, mine, services, None if visits is None else visits.today)
        pages.append(AtlasPage("visit", f"{who} {name}", LANDSCAPE, sheet.first_page))
        chunks = [mine.iloc[i:i + per_page] for i in range(0, len(mine), per_page)]
        for n, chunk in enumerate(chunks):
            pages.append(AtlasPage("visit-table", f"{who} 企业名单 {n + 1}/{len(chunks)}", LANDSCAPE,
                                   sheet.table_page(chunk, n, len(chunks))))
    return pages


def visit_sheet_pdf(engine: Engine, commissioner: str, visits: FirmVisits | None, *, today: dt.date) -> bytes:
    """One commissioner's (weekly) visit sheet as a PDF: the pages a grid atlas has for them.

    Parameters
    ----------
    engine
        The data (the commissioner's cells and firms; a scoped engine shows what its viewer sees).
    commissioner
        The name as in the grid assignments.
    visits
        Each firm's visits for ``today`` (aligned with ``engine.firm_table()``); ``None`` (a data
        folder) gives the sheet without visit columns.
    today
        The day the sheet is for: the day ``visits`` were worked out for.

    Returns
    -------
    bytes
        The PDF (A4 landscape: the map page, then the firm list).

    Raises
    ------
    ExportError
        ``commissioner`` has no cells, the data has no grid, or ``visits`` are for another day.
    """
    if visits is not None and visits.today != today:
        msg = f"走访统计日 {visits.today.isoformat()} 与清单日期 {today.isoformat()} 不一致：请用同一天的走访统计"
        raise ExportError(msg)
    view = map_view(engine, "grid", None, DEFAULT_METRIC)
    pages = plan_visit_sheets(engine, view, visits, only=commissioner)
    what = "走访清单" if visits is None else f"本周走访清单（{today.isoformat()}）"
    out = io.BytesIO()
    with PdfPages(out, metadata={"Title": f"网格专员{what} · {commissioner}", "Subject": view.credit,
                                 "Creator": APP_NAME}) as pdf:
        for number, spec in enumerate(pages, start=1):
            fig, renderer = new_figure(spec.size, SHEET_DPI)
            spec.draw(fig, renderer, spec.size, f"第 {number} 页 / 共 {len(pages)} 页")
            pdf.savefig(fig)
    return out.getvalue()


class _Sheet:
    """The pages of one commissioner (``today``: the weekly sheet for that day; ``None``: without visits)."""

    def __init__(self, view: MapView, who: str, phone: str, ids: list[str], firms: pd.DataFrame,
                 services: dict[str, tuple[str, str, str]], today: dt.date | None = None) -> None:
        self.view, self.who, self.phone, self.ids, self.firms, self.services = view, who, phone, ids, firms, services
        self.today = today

    @property
    def without_ip(self) -> int:
        return int((~self.firms["has_ip"].astype(bool)).sum())

    @property
    def title(self) -> str:
        """The sheet's title (the commissioner's name is data: escaped)."""
        return f"网格专员{'走访清单' if self.today is None else '本周走访清单'} · {plain(self.who)}"

    def _subtitle(self) -> str:
        day = "" if self.today is None else f"　清单日期 {self.today.isoformat()}"
        return (f"联系电话 {plain(self.phone)}　负责网格 {len(self.ids)} 个　企业 {len(self.firms)} 家，"
                f"其中无知识产权 {self.without_ip} 家　数据截至 {self.view.data_date}{day}")

    def first_page(self, fig: Figure, renderer: RendererBase, page: PageSize, number: str) -> None:
        view = self.view
        fu.draw_title(fig, page, self.title, self._subtitle(), view.is_demo, renderer)
        table = view.table
        pos = [int(i) for i in np.flatnonzero(table["id"].astype(str).isin(self.ids).to_numpy())]
        union = shapely.union_all(table.geometry.values[pos])
        sheet_view = view.focused(Focus("grid", f"{plain(self.who)}负责网格", union))
        m = page.margin_mm
        top = m + page.title_mm
        height = page.height_mm - top - m - page.footer_mm
        draw_map(fig, page.fig_rect(m, page.height_mm - top - height, MAP_WIDTH_MM, height), sheet_view, page,
                 Overlays(firms=True, service_points=True, values=False), renderer=renderer)
        x = m + MAP_WIDTH_MM + 6
        width = page.width_mm - m - x
        y = top
        if self.today is not None:
            y = self._week(fig, page, x, y, self.today)
        self._heading(fig, page, x, y, "负责网格")
        cells = [Column("网格编号", 26.0), Column("名称", width - 26.0 - 3 * 17.0), Column("企业", 17.0, "right"),
                 Column("无知识产权", 17.0, "right"), Column("有效发明", 17.0, "right")]
        rows = []
        grid = view.engine.stats("grid").set_index(view.engine.stats("grid")["id"].astype(str))
        for gid in self.ids:
            if gid in grid.index:  # the engine's per-cell figures, not a recount of the firm list
                cell = grid.loc[gid]
                without = as_float(cell["enterprises"]) - as_float(cell["enterprises_with_ip"])
                rows.append([plain(gid), plain(cell["name"]) or plain(gid),
                             cell_text("enterprises", cell["enterprises"]), format_number(without),
                             cell_text("invention_patents", cell["invention_patents"])])
            else:
                rows.append([plain(gid), plain(gid), "0", "0", "0"])
        y += 5 + draw_table(fig, page, x, y + 5, cells, rows, size_pt=7.0)
        y += 7
        self._heading(fig, page, x, y, "就近服务站点（企业最近的站点）")
        near = self.firms[self.firms["nearest_service"].astype(str) != ""]
        counts = near.groupby("nearest_service").agg(n=("name", "size"), d=("nearest_service_m", "max"))
        counts = counts.sort_values("n", ascending=False).head(8)
        service_cols = [Column("站点", width - 22.0 - 25.0 - 14.0), Column("类型", 22.0), Column("电话", 25.0),
                        Column("企业", 14.0, "right")]
        srows = [[plain(name), *(plain(t) for t in self.services.get(str(name), ("", "", ""))[:2]), f"{int(r['n'])}"]
                 for name, r in counts.iterrows()]
        if srows:
            y += 5 + draw_table(fig, page, x, y + 5, service_cols, srows, size_pt=7.0)
        y += 8
        for note in self._notes():
            fig.text(x / page.width_mm, 1 - y / page.height_mm, note, ha="left", va="top", color=fu.MUTED,
                     fontproperties=font(6.8))
            y += 4.2
        page_footer(fig, page, view, number)

    def _week(self, fig: Figure, page: PageSize, x: float, y: float, today: dt.date) -> float:
        """The weekly sheet's day and counts at the top of the first page's side column; the y below them."""
        self._heading(fig, page, x, y, f"本周走访　清单日期 {day_text(today)}")
        fig.text(x / page.width_mm, 1 - (y + 6) / page.height_mm, WeekCounts.of(self.firms).text(), ha="left",
                 va="top", color=LIGHT["bad"], fontproperties=font(9))
        return y + 15

    def _notes(self) -> list[str]:
        """The legend lines under the side column's tables (how the list is ordered)."""
        if self.today is None:
            return ["图例：蓝色圆点为已有知识产权的企业；红色三角为尚无知识产权的企业（培育对象），",
                    "企业名单中以红底标出。距离为到最近服务站点的直线距离。",
                    "企业名单按网格排列，同一网格中无知识产权企业在前。"]
        return ["图例：蓝色圆点为已有知识产权的企业；红色三角为尚无知识产权的企业（培育对象），",
                "企业名单中以红底标出。",
                f"企业名单按本周工作排列：回访逾期的在前，其次 {DUE_DAYS} 天内到期的回访，",
                "再次从未走访的培育对象，其余按距上次走访由久到近。",
                f"「{NOTES_LABEL}」栏留空，供走访时手写。"]

    @staticmethod
    def _heading(fig: Figure, page: PageSize, x: float, y: float, text: str) -> None:
        fig.text(x / page.width_mm, 1 - y / page.height_mm, text, ha="left", va="top", color=fu.TEXT,
                 fontproperties=font(9))

    def table_page(self, chunk: pd.DataFrame, n: int, total: int) -> Callable[..., None]:
        def draw(fig: Figure, renderer: RendererBase, page: PageSize, number: str) -> None:
            view = self.view
            part = f"（{n + 1}/{total}）" if total > 1 else ""
            fu.draw_title(fig, page, f"{self.title} · 企业名单{part}", self._subtitle(), view.is_demo, renderer)
            columns, row_of = (FIRM_COLUMNS, _folder_row) if self.today is None else (WEEKLY_COLUMNS, _weekly_row)
            rows, highlight, colors = [], set(), {}
            for i, (_, firm) in enumerate(chunk.iterrows()):
                cells, inks = row_of(firm, str(chunk.index[i] + 1))
                rows.append(cells)
                colors.update({(i, c): ink for c, ink in inks.items()})
                if not bool(firm["has_ip"]):
                    highlight.add(i)
            top = page.margin_mm + page.title_mm
            height = draw_table(fig, page, page.margin_mm, top, list(columns), rows, size_pt=TABLE_SIZE_PT,
                                highlight=highlight, colors=colors)
            if self.today is not None:
                _rule_notes(fig, page, top, height, len(rows))
            page_footer(fig, page, view, number)

        return draw


def _folder_row(firm: pd.Series, number: str) -> tuple[list[str], dict[int, str]]:
    """One firm's cells in :data:`FIRM_COLUMNS`, and the colour of any cell not drawn in black."""
    has_ip = bool(firm["has_ip"])
    nearest = plain(firm["nearest_service"])
    distance = format_distance(firm["nearest_service_m"]) if nearest else ""
    cells = [number, plain(firm["grid_id"]), plain(firm["name"]), plain(firm["address"]), plain(firm["contact"]),
             plain(firm["phone"]), *[_count(firm[k]) for k in HOLDINGS], "有" if has_ip else "无（培育）", nearest,
             distance]
    return cells, {} if has_ip else {12: LAYER_COLORS["firm_without_ip"]}


def _weekly_row(firm: pd.Series, number: str) -> tuple[list[str], dict[int, str]]:
    """One firm's cells in :data:`WEEKLY_COLUMNS` (the last, 记录, blank), and the colour of any cell not in black."""
    has_ip = bool(firm["has_ip"])
    status = str(firm["follow_up_status"])
    follow = plain(firm["follow_up"])
    mark = FOLLOW_UP_MARKS.get(status, "")
    address = plain(fit_tail(text_of(firm["address"]), WEEKLY_COLUMNS[ADDRESS_COLUMN].width_mm))
    cells = [number, plain(firm["name"]), address, plain(firm["contact"]), plain(firm["phone"]),
             *[_count(firm[k]) for k in HOLDINGS], "有" if has_ip else "无",
             plain(firm["last_visit"]) or NEVER_TEXT, plain(firm["last_needs"]),
             f"{follow} {mark}" if follow and mark else follow, ""]
    inks = {} if has_ip else {IP_COLUMN: LAYER_COLORS["firm_without_ip"]}
    if status == "overdue":
        inks[FOLLOW_UP_COLUMN] = LIGHT["bad"]
    return cells, inks


def _rule_notes(fig: Figure, page: PageSize, top: float, height: float, rows: int) -> None:
    """Writing lines in the 记录 column: a light rule under every row, and one down its left edge."""
    left = page.margin_mm + sum(c.width_mm for c in WEEKLY_COLUMNS[:-1])
    right = left + WEEKLY_COLUMNS[-1].width_mm
    rh = row_height_mm(TABLE_SIZE_PT)
    body_top = top + height - rows * rh
    xs = [left / page.width_mm, (right - 1.0) / page.width_mm]
    for r in range(1, rows):
        y = 1 - (body_top + r * rh) / page.height_mm
        fig.add_artist(Line2D([xs[0] + 1.0 / page.width_mm, xs[1]], [y, y], color=NOTE_RULE, linewidth=0.4))
    fig.add_artist(Line2D([xs[0], xs[0]], [1 - top / page.height_mm, 1 - (top + height) / page.height_mm],
                          color=NOTE_RULE, linewidth=0.4))
