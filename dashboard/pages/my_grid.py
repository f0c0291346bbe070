"""我的网格: a commissioner's cells, every enterprise in them, the firms without IP (培育对象), gaps.

Laid out in one column so it works on a phone (~400 px): the commissioner
(a commissioner's own account sees only themself), the figures, on a store the
visit reminders and the 记录走访 form (:mod:`dashboard.pages.visit_panel`),
the map, then the lists.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.access.roles import may
from dashboard.access.scope import version_diff
from dashboard.app_data import LoadedData, current_data
from dashboard.engine.catalog import change_text, format_number
from dashboard.engine.history import CellsChange, cells_change
from dashboard.maps import map_payload, show_map
from dashboard.maps.shapes import bounds_of
from dashboard.maps.views import add_firms, add_outline, add_service_points, firm_legend, fit, level_shapes, new_map
from dashboard.maps.visits import add_visit_layer, visit_legend
from dashboard.pages.visit_panel import (
    VisitContext,
    visit_context,
    visit_list,
    visit_section,
    weekly_sheet_button,
    with_visits,
)

PAGE = "my_grid"

FIRM_COLUMNS = ("name", "grid_id", "industry", "has_ip", "invention_patents", "utility_models", "designs",
                "trademarks", "copyrights", "software_copyrights", "nearest_service", "nearest_service_m",
                "address", "uscc", "source_row")
# Columns of the 培育对象 list (firms without IP): where they are and the service point to send them to.
TARGET_COLUMNS = ("name", "grid_id", "industry", "address", "nearest_service", "nearest_service_m", "uscc",
                  "source_row")
CELL_COLUMNS = ("grid_id", "name", "parent", "enterprises", "enterprises_with_ip", "ip_coverage_rate")


def render() -> None:
    """Draw the page."""
    data = current_data()
    engine = data.engine
    controls = ui.sidebar(PAGE, data, basemap=True)
    ui.header(data, "我的网格")
    people = engine.commissioner_directory()
    if not may(data.scope.role, "choose_commissioner"):  # a commissioner's page is their own, whatever the URL says
        mine = data.scope.commissioner
        people = {mine: people.get(mine, "")} if mine else {}
    report = engine.commissioners
    if not people:
        st.info("数据中没有网格专员：请在网格图层填写「网格专员」，或提供专员名单（专员.xlsx）。",
                icon=":material/info:")
    else:
        who = ui.bind(PAGE, "commissioner", next(iter(people)), options=list(people))
        st.selectbox("网格专员", list(people), key=who.key,
                     format_func=lambda n: f"{n}（{people[n]}）" if people.get(n) else n)
        show_commissioner(data, str(who.value), controls)

    unassigned = engine.unassigned_cells()
    with st.expander(f"未分配专员的网格（{len(unassigned)} 个）", expanded=not people):
        if len(unassigned):
            ui.show_table(unassigned, key=f"{PAGE}.unassigned", file_name="未分配专员的网格",
                          meta=ui.meta_rows(data))
        else:
            st.caption("每个网格都有专员。")
    if len(report.contested_cells):
        with st.expander(f"有多名专员的网格（{report.contested_cells['grid_id'].nunique()} 个）"):
            ui.show_table(report.contested_cells, key=f"{PAGE}.contested", file_name="有多名专员的网格",
                          meta=ui.meta_rows(data))
    if len(report.unknown_cells):
        with st.expander(f"专员名单中找不到的网格编号（{len(report.unknown_cells)} 个）"):
            ui.show_table(report.unknown_cells, key=f"{PAGE}.unknown", file_name="专员名单中找不到的网格",
                          meta=ui.meta_rows(data), caption="请核对专员名单中的网格编号与网格图层是否一致")
    if len(report.idle_commissioners):
        with st.expander(f"没有网格的专员（{len(report.idle_commissioners)} 人）"):
            ui.show_table(report.idle_commissioners, key=f"{PAGE}.idle", file_name="没有网格的专员",
                          meta=ui.meta_rows(data))


def commissioner_map(data: LoadedData, ids: list[str], firms: pd.DataFrame, controls: ui.Controls,
                     ctx: VisitContext | None = None) -> folium.Map:
    """The commissioner's cells, the service points and the firms in them.

    With visits (a store), firms are coloured by their last visit and due follow-ups ringed (the 走访 layer);
    without, 培育对象 are drawn larger.
    """
    engine = data.engine
    fmap, shift = new_map(basemap=controls.basemap, demo=data.is_demo)
    add_outline(fmap, engine, "grid", shift=shift, ids=ids, color="#6a51a3", weight=2, fill_opacity=0.08,
                interactive=True)
    add_service_points(fmap, engine, shift=shift)
    if ctx is not None:
        if add_visit_layer(fmap, firms, ctx.firms.table, shift=shift, src=engine) is not None:
            visit_legend().add_to(fmap)
    elif add_firms(fmap, firms, shift=shift, emphasise_without_ip=True, src=engine) is not None:
        firm_legend(without_ip_label="培育对象（无知识产权）").add_to(fmap)
    pos = np.flatnonzero(engine.areas("grid")["id"].astype(str).isin(set(ids)).to_numpy())
    fit(fmap, bounds_of(level_shapes(engine, "grid", shift)[pos]), padding=6)
    return fmap


CHANGE_LABELS = {"uscc": "统一社会信用代码", "name": "企业名称", "town": "所在镇街"}


def since_previous(data: LoadedData, ids: list[str]) -> CellsChange | None:
    """What changed in these cells since the version before the one shown (``None`` without one)."""
    previous = data.previous
    if previous is None:
        return None
    old = data.engine_of(previous)
    engine = data.engine
    diff = version_diff(old, engine, "town", previous.version_id)
    return cells_change(old, engine, ids, diff)


def show_commissioner(data: LoadedData, who: str, controls: ui.Controls) -> None:
    """Figures, map and lists of one commissioner."""
    engine = data.engine
    ids = engine.cells_of(who)
    if not ids:
        st.info(f"{ui.md_text(who)} 还没有分配网格。", icon=":material/info:")
        return
    firms = engine.firms_of(who)
    targets = firms[~firms["has_ip"].fillna(False).to_numpy(dtype=bool)]
    summary = engine.commissioner_summary(who)
    # one line of figures, not four cards: this page is read on a phone
    st.markdown(f"**{format_number(summary.cells)}** 个网格　**{format_number(summary.enterprises)}** 家企业　"
                f"**{format_number(summary.with_ip)}** 家有知识产权　"
                f":red[**{format_number(summary.without_ip)}** 家培育对象]",
                help="培育对象：辖区内还没有任何有效专利、商标、著作权的企业")
    change = since_previous(data, ids)
    if change is not None and data.previous is not None:
        st.markdown(f"较 {data.previous.as_of}：企业 {change_text('enterprises', change.enterprises)} 家，"
                    f"有知识产权 {change_text('enterprises', change.with_ip)} 家，"
                    f"**培育成功 {len(change.first_ip)} 家**，新增企业 {len(change.added)} 家",
                    help="培育成功：上期没有任何有效专利、商标、著作权，本期有；网格按当前编号对比")
    ctx = visit_context(data)
    weekly_sheet_button(data, ctx, who)
    if ctx is not None:
        visit_section(data, ctx, who, firms)
        firms = with_visits(firms, ctx)
        targets = firms[~firms["has_ip"].fillna(False).to_numpy(dtype=bool)]
    stamp = (len(ctx.visits), int(ctx.visits["visit_id"].max()) if len(ctx.visits) else 0, ctx.today) if ctx else None
    fmap = map_payload(engine, (PAGE, who, controls.basemap, data.is_demo, stamp),
                       lambda: commissioner_map(data, ids, firms, controls, ctx))
    show_map(fmap, key=f"{PAGE}.map", height=380)

    meta = ui.meta_rows(data, ("网格专员", who), ("网格", "、".join(ids)))
    titles = [f"培育对象（{len(targets)}）", f"全部企业（{len(firms)}）", f"网格（{len(ids)}）"]
    if ctx is not None:
        titles.append("走访记录")
    if change is not None:
        titles.append(f"本季度变化（{len(change.first_ip) + len(change.added)}）")
    tab1, tab2, tab3, *more = st.tabs(titles)
    if ctx is not None:
        with more.pop(0):
            visit_list(ctx, firms, who, meta)
    tab4 = more
    visit_columns = ("last_visit", "visits", "follow_up") if ctx is not None else ()
    with tab1:
        ui.show_table(targets.sort_values("nearest_service_m"), key=f"{PAGE}.targets", labels=ui.FIRM_LABELS,
                      columns=(*TARGET_COLUMNS[:1], *visit_columns, *TARGET_COLUMNS[1:]),
                      file_name=f"{who}_培育对象走访清单", meta=meta)
    with tab2:
        ui.show_table(firms, key=f"{PAGE}.firms", labels=ui.FIRM_LABELS,
                      columns=(*FIRM_COLUMNS[:1], *visit_columns, *FIRM_COLUMNS[1:]),
                      file_name=f"{who}_网格企业", meta=meta)
    with tab3:
        ui.show_table(engine.cell_table(ids), key=f"{PAGE}.cells", columns=CELL_COLUMNS, file_name=f"{who}_网格",
                      meta=meta)
    if change is not None and tab4:
        with tab4[0]:
            st.markdown("**培育成功**（首次拥有知识产权）")
            ui.show_table(change.first_ip, key=f"{PAGE}.first_ip", labels=CHANGE_LABELS, file_name=f"{who}_培育成功",
                          meta=meta)
            st.markdown("**新增企业**")
            ui.show_table(change.added, key=f"{PAGE}.added", labels=CHANGE_LABELS, file_name=f"{who}_新增企业",
                          meta=meta)
    ui.page_actions(PAGE, data, {"培育对象": lambda: targets[list(TARGET_COLUMNS)],
                                 "全部企业": lambda: firms[list(FIRM_COLUMNS)]},
                    file_name=f"{who}_我的网格", meta=[("网格专员", who)],
                    spec=ui.MapSpec("grid", "enterprises", None))


if __name__ == "__main__":
    render()
