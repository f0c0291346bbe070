"""Commissioners' visit sheets (走访清单), the last part of a grid atlas.

One sheet per commissioner (A4 landscape): a map of their cells with every
firm (blue dot: holds IP; red triangle: no IP yet, 培育对象) and the service
points; their cells with firm counts; the service points nearest to their
firms with phone numbers; then the firm list, as many pages as it needs —
grid cell, name, address, contact and phone, holdings, whether it holds IP
(rows without IP shaded red) and the nearest service point with its distance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure

from dashboard.engine import Engine
from dashboard.engine.catalog import as_float, cell_text, format_distance, format_number, text_of
from dashboard.exports import furniture as fu
from dashboard.exports.atlas_page import AtlasPage, page_footer
from dashboard.exports.fonts import font
from dashboard.exports.pages import PAGE_SIZES, PageSize
from dashboard.exports.static_map import Overlays, draw_map
from dashboard.exports.tables import Column, draw_table, rows_that_fit
from dashboard.exports.view import Focus, MapView
from dashboard.theme import LAYER_COLORS

LANDSCAPE = PAGE_SIZES["a4-landscape"]

FIRM_COLUMNS: tuple[Column, ...] = (
    Column("序号", 8.0, "right"), Column("网格", 22.0), Column("企业名称", 52.0), Column("地址", 42.0),
    Column("联系人", 14.0), Column("联系电话", 24.0), Column("发明", 9.0, "right"), Column("实用\n新型", 9.0, "right"),
    Column("外观", 9.0, "right"), Column("商标", 9.0, "right"), Column("作品\n著作权", 11.0, "right"),
    Column("软件\n著作权", 11.0, "right"), Column("知识产权", 16.0, "center"), Column("最近服务站点", 27.0),
    Column("距离", 14.0, "right"),
)
"""Columns of the firm list (277 mm: the width of A4 landscape inside its margins)."""

HOLDINGS = ("invention_patents", "utility_models", "designs", "trademarks", "copyrights", "software_copyrights")
"""Holdings shown per firm, in the order of :data:`FIRM_COLUMNS`."""

TABLE_SIZE_PT = 7.0
MAP_WIDTH_MM = 150.0


_text = text_of


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


def _service_lookup(engine: Engine) -> dict[str, tuple[str, str, str]]:
    points = engine.layer("service_points")
    if points is None:
        return {}
    out: dict[str, tuple[str, str, str]] = {}
    for _, row in points.iterrows():
        out.setdefault(str(row["name"]), (_text(row.get("type")), _text(row.get("phone")), _text(row.get("address"))))
    return out


def plan_visit_sheets(engine: Engine, view: MapView) -> list[AtlasPage]:
    """The pages of every commissioner's visit sheet (none when no cell has a commissioner)."""
    assignments = engine.commissioners.assignments
    assignments = assignments[assignments["commissioner"].notna()]
    if assignments.empty:
        return []
    firms = visit_firms(engine)
    order = {gid: i for i, gid in enumerate(view.table["id"])}
    services = _service_lookup(engine)
    pages: list[AtlasPage] = []
    per_page = rows_that_fit(LANDSCAPE.height_mm - 2 * LANDSCAPE.margin_mm - LANDSCAPE.title_mm
                             - LANDSCAPE.footer_mm - 10, TABLE_SIZE_PT, 2)
    for who, group in assignments.groupby("commissioner", sort=True):
        ids = sorted(dict.fromkeys(group["grid_id"].astype(str)), key=lambda g: order.get(g, 10**9))
        phones = [p for p in group["phone"] if _text(p)]
        phone = _text(phones[0]) if phones else "未登记"
        mine = firms[firms["grid_id"].isin(ids)].copy()
        mine["_cell"] = mine["grid_id"].map(order)
        mine = mine.sort_values(["_cell", "has_ip", "name"], kind="stable").reset_index(drop=True)
        sheet = _Sheet(view, str(who), phone, ids, mine, services)
        pages.append(AtlasPage("visit", f"{who} 走访清单", LANDSCAPE, sheet.first_page))
        chunks = [mine.iloc[i:i + per_page] for i in range(0, len(mine), per_page)]
        for n, chunk in enumerate(chunks):
            pages.append(AtlasPage("visit-table", f"{who} 企业名单 {n + 1}/{len(chunks)}", LANDSCAPE,
                                   sheet.table_page(chunk, n, len(chunks))))
    return pages


class _Sheet:
    """The pages of one commissioner."""

    def __init__(self, view: MapView, who: str, phone: str, ids: list[str], firms: pd.DataFrame,
                 services: dict[str, tuple[str, str, str]]) -> None:
        self.view, self.who, self.phone, self.ids, self.firms, self.services = view, who, phone, ids, firms, services

    @property
    def without_ip(self) -> int:
        return int((~self.firms["has_ip"].astype(bool)).sum())

    def _subtitle(self) -> str:
        return (f"联系电话 {self.phone}　负责网格 {len(self.ids)} 个　企业 {len(self.firms)} 家，"
                f"其中无知识产权 {self.without_ip} 家　数据截至 {self.view.data_date}")

    def first_page(self, fig: Figure, renderer: RendererBase, page: PageSize, number: str) -> None:
        view = self.view
        fu.draw_title(fig, page, f"网格专员走访清单 · {self.who}", self._subtitle(), view.is_demo, renderer)
        table = view.table
        pos = [int(i) for i in np.flatnonzero(table["id"].astype(str).isin(self.ids).to_numpy())]
        union = shapely.union_all(table.geometry.values[pos])
        sheet_view = view.focused(Focus("grid", f"{self.who}负责网格", union))
        m = page.margin_mm
        top = m + page.title_mm
        height = page.height_mm - top - m - page.footer_mm
        draw_map(fig, page.fig_rect(m, page.height_mm - top - height, MAP_WIDTH_MM, height), sheet_view, page,
                 Overlays(firms=True, service_points=True, values=False), renderer=renderer)
        x = m + MAP_WIDTH_MM + 6
        width = page.width_mm - m - x
        y = top
        self._heading(fig, page, x, y, "负责网格")
        cells = [Column("网格编号", 26.0), Column("名称", width - 26.0 - 3 * 17.0), Column("企业", 17.0, "right"),
                 Column("无知识产权", 17.0, "right"), Column("有效发明", 17.0, "right")]
        rows = []
        grid = view.engine.stats("grid").set_index(view.engine.stats("grid")["id"].astype(str))
        for gid in self.ids:
            if gid in grid.index:  # the engine's per-cell figures, not a recount of the firm list
                cell = grid.loc[gid]
                without = as_float(cell["enterprises"]) - as_float(cell["enterprises_with_ip"])
                rows.append([gid, text_of(cell["name"]) or gid, cell_text("enterprises", cell["enterprises"]),
                             format_number(without), cell_text("invention_patents", cell["invention_patents"])])
            else:
                rows.append([gid, gid, "0", "0", "0"])
        y += 5 + draw_table(fig, page, x, y + 5, cells, rows, size_pt=7.0)
        y += 7
        self._heading(fig, page, x, y, "就近服务站点（企业最近的站点）")
        near = self.firms[self.firms["nearest_service"].astype(str) != ""]
        counts = near.groupby("nearest_service").agg(n=("name", "size"), d=("nearest_service_m", "max"))
        counts = counts.sort_values("n", ascending=False).head(8)
        service_cols = [Column("站点", width - 22.0 - 25.0 - 14.0), Column("类型", 22.0), Column("电话", 25.0),
                        Column("企业", 14.0, "right")]
        srows = [[str(name), *self.services.get(str(name), ("", "", ""))[:2], f"{int(r['n'])}"]
                 for name, r in counts.iterrows()]
        if srows:
            y += 5 + draw_table(fig, page, x, y + 5, service_cols, srows, size_pt=7.0)
        notes = ["图例：蓝色圆点为已有知识产权的企业；红色三角为尚无知识产权的企业（培育对象），",
                 "企业名单中以红底标出。距离为到最近服务站点的直线距离。",
                 "企业名单按网格排列，同一网格中无知识产权企业在前。"]
        y += 8
        for note in notes:
            fig.text(x / page.width_mm, 1 - y / page.height_mm, note, ha="left", va="top", color=fu.MUTED,
                     fontproperties=font(6.8))
            y += 4.2
        page_footer(fig, page, view, number)

    @staticmethod
    def _heading(fig: Figure, page: PageSize, x: float, y: float, text: str) -> None:
        fig.text(x / page.width_mm, 1 - y / page.height_mm, text, ha="left", va="top", color=fu.TEXT,
                 fontproperties=font(9))

    def table_page(self, chunk: pd.DataFrame, n: int, total: int) -> Callable[..., None]:
        def draw(fig: Figure, renderer: RendererBase, page: PageSize, number: str) -> None:
            view = self.view
            part = f"（{n + 1}/{total}）" if total > 1 else ""
            fu.draw_title(fig, page, f"网格专员走访清单 · {self.who} · 企业名单{part}", self._subtitle(), view.is_demo,
                          renderer)
            rows, highlight, colors = [], set(), {}
            for i, (_, firm) in enumerate(chunk.iterrows()):
                has_ip = bool(firm["has_ip"])
                nearest = _text(firm["nearest_service"])
                distance = format_distance(firm["nearest_service_m"]) if nearest else ""
                rows.append([str(chunk.index[i] + 1), _text(firm["grid_id"]), _text(firm["name"]),
                             _text(firm["address"]), _text(firm["contact"]), _text(firm["phone"]),
                             *[_count(firm[k]) for k in HOLDINGS], "有" if has_ip else "无（培育）", nearest,
                             distance])
                if not has_ip:
                    highlight.add(i)
                    colors[(i, 12)] = LAYER_COLORS["firm_without_ip"]
            draw_table(fig, page, page.margin_mm, page.margin_mm + page.title_mm, list(FIRM_COLUMNS), rows,
                       size_pt=TABLE_SIZE_PT, highlight=highlight, colors=colors)
            page_footer(fig, page, view, number)

        return draw
