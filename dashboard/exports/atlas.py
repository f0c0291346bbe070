"""Atlases: one PDF with a cover, a summary table, one page per area, and the commissioners' visit sheets.

* cover — title, 示例数据 badge on demo data, an overview map of the level,
  data date, source, CRS, contents with page numbers;
* summary — every area of the level with its main figures and the district
  total (several pages when the level has many areas);
* one page per area — its map (the area, its firms with and without IP,
  service points, parks or cells inside) and its figures table (value, the
  district's value, rank among the areas);
* at grid level, when cells have commissioners, one visit sheet per
  commissioner (:mod:`dashboard.exports.visits`) — the weekly visit sheet
  when the firms' visits are given (the data is a store).

Pages are planned first (so the contents and "第 n 页 / 共 N 页" are right),
then drawn one at a time into :class:`~matplotlib.backends.backend_pdf.PdfPages`:
memory stays flat however many pages there are.  Every page is A4 portrait
except the visit sheets (A4 landscape: their firm tables are wide).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from dashboard.engine import LEVEL_LABELS, Engine
from dashboard.engine.catalog import DEFAULT_METRIC, MAPPABLE_METRICS, MISSING_TEXT, cell_text, column_label, text_of
from dashboard.engine.metrics import METRICS
from dashboard.engine.visits import FirmVisits
from dashboard.exports import furniture as fu
from dashboard.exports.atlas_page import AtlasPage, page_footer
from dashboard.exports.fonts import font
from dashboard.exports.options import ATLAS_LEVELS
from dashboard.exports.pages import PAGE_SIZES, PageSize
from dashboard.exports.static_map import Overlays, draw_map, new_figure
from dashboard.exports.tables import Column, draw_table, rows_that_fit
from dashboard.exports.view import APP_NAME, ExportError, Focus, MapView, crs_label, map_view
from dashboard.exports.visits import plan_visit_sheets
from dashboard.theme import DEMO_BADGE

LAYOUT_DPI = 150
"""Resolution of the layout pass of atlas pages (the PDF itself is vector)."""

SUMMARY_KEYS: tuple[str, ...] = (
    "enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents", "high_value_inventions",
    "trademarks", "copyrights", "pledge_amount_wan", "high_value_per_10k_pop", "service_coverage_rate",
)
"""Metrics of the summary table, in order."""

A4 = PAGE_SIZES["a4"]

MAX_CELL_PAGES = 400
"""A grid atlas has one page per cell holding firms, unless there are more such cells than this
(generated 1 km cells over a whole district): then the summary table and the visit sheets stand alone."""

AREA_MAP_MM = 128.0
"""Height of the map on an area page (the figures table takes the rest)."""


@dataclass
class AtlasInfo:
    """What :func:`write_atlas` wrote: the kind and title of every page."""

    pages: list[tuple[str, str]] = field(default_factory=list)

    def count(self, kind: str) -> int:
        """Number of pages of ``kind``."""
        return sum(1 for k, _ in self.pages if k == kind)


# --------------------------------------------------------------------------- formatting


def rank_text(engine: Engine, level: str, metric: str, pos: int) -> str:
    """``"3 / 16"``: the engine's rank of the area in row ``pos`` among the areas with the figure; ``—`` without."""
    rank, of = engine.rank_at(level, metric, pos)
    return MISSING_TEXT if rank is None else f"{rank} / {of}"


# --------------------------------------------------------------------------- pages


def _cover(view: MapView, contents: list[tuple[str, str]]) -> Callable[..., None]:
    def draw(fig: Figure, renderer: RendererBase, page: PageSize, number: str) -> None:
        m = page.margin_mm
        left = m / page.width_mm
        title = f"{view.district_name}知识产权地图集"
        fig.text(left, 1 - 22 / page.height_mm, title, ha="left", va="top", color=fu.TEXT,
                 fontproperties=font(26))
        sub = f"{LEVEL_LABELS[view.level]}分册　·　专题：{view.legend_title}"
        fig.text(left, 1 - 36 / page.height_mm, sub, ha="left", va="top", color=fu.MUTED, fontproperties=font(12))
        if view.is_demo:
            fig.text(1 - left, 1 - 22 / page.height_mm, DEMO_BADGE, ha="right", va="top", color="white",
                     fontproperties=font(11), bbox={"boxstyle": "round,pad=0.4", "facecolor": fu.BADGE,
                                                    "edgecolor": "none"})
        rect = page.fig_rect(m, page.height_mm - 178, page.width_mm - 2 * m, 128)
        draw_map(fig, rect, view, page, Overlays(values=False), renderer=renderer)
        lines = [f"数据截至：{view.data_date}", f"来源：{view.source}", f"坐标系：{crs_label(view.crs)}",
                 f"制图：{APP_NAME}　制图日期：{dt.date.today().isoformat()}"]
        y = 186.0
        for line in lines:
            fig.text(left, 1 - y / page.height_mm, line, ha="left", va="top", color=fu.TEXT, fontproperties=font(9))
            y += 6.0
        fig.text(left, 1 - (y + 4) / page.height_mm, "目录", ha="left", va="top", color=fu.TEXT,
                 fontproperties=font(11))
        y += 12.0
        for name, pages in contents:
            fig.text(left + 4 / page.width_mm, 1 - y / page.height_mm, name, ha="left", va="top", color=fu.TEXT,
                     fontproperties=font(9))
            fig.text(1 - left, 1 - y / page.height_mm, pages, ha="right", va="top", color=fu.TEXT,
                     fontproperties=font(9))
            y += 5.5
        page_footer(fig, page, view, number)

    return draw


def _summary_rows(engine: Engine, level: str) -> tuple[list[list[str]], list[Column], set[int]]:
    table = engine.stats(level)
    if level == "town":  # 区外 / 未定位 rows only when they hold firms
        n = len(engine.towns)
        extra = table.iloc[n:]
        table = pd.concat([table.iloc[:n], extra[extra["enterprises"].fillna(0) > 0]])
    district = engine.stats("district").iloc[0]
    name_w = 34.0 if level != "grid" else 24.0
    columns = [Column("名称", name_w)]
    prefix: list[Callable[[pd.Series], str]] = []
    if level == "grid":
        who = engine.commissioners.assignments.groupby("grid_id")["commissioner"].agg(
            lambda s: "、".join(dict.fromkeys(str(v) for v in s)))
        columns = [Column("网格编号", 20.0), Column("名称", name_w), Column("专员", 14.0)]
        prefix = [lambda r: text_of(r["id"]), lambda r: text_of(r["name"]),
                  lambda r: text_of(who.get(r["id"], "未分配"))]
        keys: tuple[str, ...] = ("enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
                                 "trademarks", "copyrights", "service_coverage_rate")
    else:
        prefix = [lambda r: text_of(r["name"])]
        keys = SUMMARY_KEYS
    room = A4.width_mm - 2 * A4.margin_mm - sum(c.width_mm for c in columns)
    columns += [Column(column_label(k), room / len(keys), "right") for k in keys]
    rows = [[f(r) for f in prefix] + [cell_text(k, r[k]) for k in keys] for _, r in table.iterrows()]
    total_name = "全区合计" if level == "town" else f"全区（含{LEVEL_LABELS[level]}外）"
    total = [total_name] + [""] * (len(prefix) - 1) + [cell_text(k, district[k]) for k in keys]
    rows.append(total)
    return rows, columns, {len(rows) - 1}


def _summary(view: MapView, rows: list[list[str]], columns: list[Column], totals: set[int], first: int,
             part: str) -> Callable[..., None]:
    def draw(fig: Figure, renderer: RendererBase, page: PageSize, number: str) -> None:
        title = f"{view.district_name}各{LEVEL_LABELS[view.level]}知识产权主要指标汇总{part}"
        fu.draw_title(fig, page, title, view.subtitle.split("　")[-1], view.is_demo, renderer)
        top = page.margin_mm + page.title_mm + 2
        shifted = {t - first for t in totals}
        height = draw_table(fig, page, page.margin_mm, top, columns, rows, size_pt=7.2, bold_rows=shifted)
        notes = [f"{METRICS[k].label}：{METRICS[k].definition}" for k in
                 ("ip_coverage_rate", "high_value_per_10k_pop", "service_coverage_rate")]
        if view.level != "town":
            notes.insert(0, f"各{LEVEL_LABELS[view.level]}之外的企业只计入全区一行，因此各行之和小于全区。")
        y = top + height + 5
        for note in notes:
            fig.text(page.margin_mm / page.width_mm, 1 - y / page.height_mm, note, ha="left", va="top",
                     color=fu.MUTED, fontproperties=font(6.5))
            y += 4
        page_footer(fig, page, view, number)

    return draw


def _figures_rows(view: MapView, pos: int) -> list[list[str]]:
    """Rows of an area page's figures table: label (unit), value, district, rank."""
    district = view.engine.stats("district").iloc[0]
    row = view.table.iloc[pos]
    return [[column_label(key), cell_text(key, row[key]), cell_text(key, district[key]),
             rank_text(view.engine, view.level, key, pos)] for key in MAPPABLE_METRICS]


def _figures_notes(view: MapView, pos: int) -> list[str]:
    """Text lines under an area's figures table: GI areas, leading industries, firm tiers."""
    row = view.table.iloc[pos]
    gi = text_of(row.get("gi_names", ""))
    lines = [f"地理标志：{gi or '无'}"]
    area_id = text_of(row["id"])
    for by, label in (("industry", "主导产业"), ("tier", "企业类别")):
        counts = view.engine.breakdown(view.level, area_id, by).sort_values(["enterprises", "label"],
                                                                           ascending=[False, True])
        lines.append(f"{label}：" + ("、".join(f"{name} {n} 家" for name, n in
                                              zip(counts["label"], counts["enterprises"], strict=True))
                                     or MISSING_TEXT))
    return lines


def _area(view: MapView, pos: int, overlays: Overlays) -> Callable[..., None]:
    def draw(fig: Figure, renderer: RendererBase, page: PageSize, number: str) -> None:
        name = str(view.table["name"].iat[pos])
        focus = Focus(view.level, name, view.table.geometry.values[pos])
        area_view = view.focused(focus)
        value = view.table[view.metric_key].iat[pos]
        sub = (f"{LEVEL_LABELS[view.level]}　·　{view.metric.label} {view.value_text(value)}"
               f"（第 {rank_text(view.engine, view.level, view.metric_key, pos)} 位）"
               f"　·　{view.subtitle.split('　')[-1]}")
        fu.draw_title(fig, page, f"{view.district_name} · {name}", sub, view.is_demo, renderer)
        m = page.margin_mm
        map_top = m + page.title_mm
        map_h = AREA_MAP_MM
        draw_map(fig, page.fig_rect(m, page.height_mm - map_top - map_h, page.width_mm - 2 * m, map_h), area_view,
                 page, overlays, renderer=renderer)
        columns = [Column("指标", 62.0), Column(name, 46.0, "right"), Column(view.district_name, 46.0, "right"),
                   Column(f"在各{LEVEL_LABELS[view.level]}中排名", 36.0, "right")]
        rows = _figures_rows(view, pos)
        y = map_top + map_h + 4
        y += draw_table(fig, page, m, y, columns, rows, size_pt=6.5) + 3
        for line in _figures_notes(view, pos):
            fig.text(m / page.width_mm, 1 - y / page.height_mm, line, ha="left", va="top", color=fu.TEXT,
                     fontproperties=font(6.5), wrap=True)
            y += 3.8
        page_footer(fig, page, view, number)

    return draw


# --------------------------------------------------------------------------- plan and write


def _area_overlays(level: str) -> Overlays:
    return Overlays(firms=True, service_points=True, parks=level == "town", cells=level in ("town", "park"),
                    values=True)


def plan_atlas(engine: Engine, level: str, metric: str = DEFAULT_METRIC, scheme: str | None = None,
               k: int | None = None, *, visits: FirmVisits | None = None) -> tuple[list[AtlasPage], MapView]:
    """Every page of the atlas, in order, with its size and drawing function (nothing drawn yet).

    ``visits`` (each firm's, from a store) make the grid atlas's visit sheets the weekly ones.
    """
    if level not in ATLAS_LEVELS:
        msg = f"图集的层级应为 {list(ATLAS_LEVELS)} 之一，而不是 {level!r}"
        raise ExportError(msg)
    view = map_view(engine, level, None, metric, scheme, k)
    rows, columns, totals = _summary_rows(engine, level)
    per_page = rows_that_fit(A4.height_mm - 2 * A4.margin_mm - A4.title_mm - A4.footer_mm - 20, 7.2, 2)
    summary: list[AtlasPage] = []
    chunks = [(i, rows[i:i + per_page]) for i in range(0, len(rows), per_page)]
    for n, (first, chunk) in enumerate(chunks):
        part = f"（{n + 1}/{len(chunks)}）" if len(chunks) > 1 else ""
        summary.append(AtlasPage("summary", f"汇总表{part}", A4,
                                 _summary(view, chunk, columns, totals, first, part)))
    overlays = _area_overlays(level)
    areas = [AtlasPage("area", str(view.table["name"].iat[pos]), A4, _area(view, pos, overlays))
             for pos in _area_pages(view)]
    sheets = plan_visit_sheets(engine, view, visits) if level == "grid" else []
    start = 2
    contents = [("汇总表", _range(start, len(summary)))]
    start += len(summary)
    left_out = len(view.table) - len(areas)
    note = f"，另有 {left_out} 个无企业的{LEVEL_LABELS[level]}从略" if left_out and areas else ""
    if not areas and left_out:
        note = f"：{left_out} 个{LEVEL_LABELS[level]}过多，逐个分页从略，见汇总表"
    contents.append((f"各{LEVEL_LABELS[level]}分页（{len(areas)} 个{note}）", _range(start, len(areas))))
    start += len(areas)
    if sheets:
        people = sum(1 for p in sheets if p.kind == "visit")
        name = "网格专员走访清单" if visits is None else f"网格专员本周走访清单（{visits.today.isoformat()}）"
        contents.append((f"{name}（{people} 人）", _range(start, len(sheets))))
    cover = AtlasPage("cover", "封面", A4, _cover(view, contents))
    return [cover, *summary, *areas, *sheets], view


def _area_pages(view: MapView) -> list[int]:
    """Rows of the level that get a page: every town and park; grid cells holding firms, up to a limit."""
    if view.level != "grid":
        return list(range(len(view.table)))
    firms = pd.to_numeric(view.table["enterprises"], errors="coerce").fillna(0).to_numpy()
    rows = [int(i) for i in np.flatnonzero(firms > 0)]
    return rows if len(rows) <= MAX_CELL_PAGES else []


def _range(start: int, count: int) -> str:
    if count <= 0:
        return "—"
    return f"第 {start} 页" if count == 1 else f"第 {start}–{start + count - 1} 页"


def write_atlas(engine: Engine, level: str, out: str | os.PathLike[str] | io.BufferedIOBase,
                metric: str = DEFAULT_METRIC, scheme: str | None = None, k: int | None = None, *,
                visits: FirmVisits | None = None) -> AtlasInfo:
    """Write the atlas of ``level`` as one PDF.

    Parameters
    ----------
    engine
        The analysis engine of a data folder.
    level
        ``town``, ``park`` or ``grid``.
    out
        File path or binary file object.
    metric, scheme, k
        Theme of the maps and their classification.
    visits
        Each firm's visits (:func:`dashboard.engine.visits.firm_visits` of ``engine``): at grid level
        the visit sheets are the weekly visit sheets for ``visits.today``.  ``None`` (a data folder):
        the sheets without visits.

    Returns
    -------
    AtlasInfo
        Kind and title of every page written.

    Raises
    ------
    ExportError
        Unknown level or metric, or the folder has no areas of ``level``.
    """
    pages, view = plan_atlas(engine, level, metric, scheme, k, visits=visits)
    info = AtlasInfo()
    total = len(pages)
    title = f"{view.district_name}知识产权地图集（{LEVEL_LABELS[level]}）"
    subject = view.credit + ("" if not view.is_demo or DEMO_BADGE in view.credit else f"　{DEMO_BADGE}")
    target = str(out) if isinstance(out, str | Path) else out
    with PdfPages(target, metadata={"Title": title, "Subject": subject, "Creator": APP_NAME}) as pdf:
        for number, spec in enumerate(pages, start=1):
            fig, renderer = new_figure(spec.size, LAYOUT_DPI)
            spec.draw(fig, renderer, spec.size, f"第 {number} 页 / 共 {total} 页")
            pdf.savefig(fig)
            info.pages.append((spec.kind, spec.title))
    return info
