"""全部区县: a city's or province's districts side by side — key figures, the map, the ranking; pick one → 总览.

The first step of the drill-down 全部区县 → 区县 → 镇街 → 园区 → 网格 → 企业.  The
figures come from :func:`dashboard.app_data.region_data` (each district's
latest version in force, counted by the same engine) and the region's ratios
from its summed counts (:func:`dashboard.engine.regions.region_total`); this
page only formats them.  Opening a district sets the sidebar's 区县 selector
and switches to 总览.  A store of one district (or a folder) has nothing to set
side by side: the page then says so and links to 总览.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import (
    DISTRICT_KEY,
    DISTRICT_PARAM,
    LoadedData,
    RegionData,
    active_store_location,
    current_data,
    region_data,
)
from dashboard.engine.catalog import metric_title
from dashboard.engine.metrics import METRICS
from dashboard.engine.regions import region_ranking
from dashboard.maps import map_payload, show_map
from dashboard.maps.region import DISTRICT_KIND, region_map
from dashboard.pages import page_file
from loaders.errors import IpgridError

PAGE = "region"
MAP_KEY = "region.map"
PICK_KEY = "region.open"
GOTO = "_ipgrid.region.goto"

KPIS: tuple[str, ...] = ("enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
                         "high_value_per_10k_pop", "pledge_amount_wan")
"""The region's figures in the top row."""

RANK_COLUMNS: tuple[str, ...] = ("district", "enterprises", "enterprises_with_ip", "ip_coverage_rate",
                                 "invention_patents", "high_value_inventions", "trademarks", "pledge_amount_wan",
                                 "high_value_per_10k_pop", "as_of")
"""Columns of the ranking after ``rank`` and the chosen metric (``as_of``: the district's 数据截至)."""

ONE_DISTRICT = "当前数据只有一个区县"
"""How the page's answer on data of one district begins (there is nothing to set side by side)."""

NOTE = ("各区县的数字取自其当前有效的最新版本，由同一计算引擎统计；全部区县的比率（覆盖率、每万人、每平方千米）"
        "由合计的数量计算，不是各区县比率的平均。")


def open_district(name: str) -> None:
    """Show district ``name`` on every page from the next run on, and go to 总览.

    Called from a widget callback: the sidebar's 区县 selector is not drawn yet, so its value may be set.
    """
    st.session_state[DISTRICT_KEY] = name
    st.session_state[GOTO] = name


def on_map_click() -> None:
    """streamlit-folium callback: a click on a district opens it."""
    drawing = (st.session_state.get(MAP_KEY) or {}).get("last_active_drawing") or {}
    props = drawing.get("properties") or {}
    if props.get("kind") == DISTRICT_KIND and props.get("id") is not None:
        open_district(str(props["id"]))


def on_pick() -> None:
    """Selectbox callback: open the chosen district, and clear the box."""
    name = st.session_state.get(PICK_KEY)
    if name is not None:
        open_district(str(name))
    st.session_state[PICK_KEY] = None


def kpi_row(region: RegionData) -> None:
    """The region's figures, formatted by the catalog (no targets: a region has none of its own)."""
    total = region.total.iloc[0]
    cols = st.columns(3)
    for i, key in enumerate(KPIS):
        ui.metric_kpi(cols[i % 3], key, total[key])


def ranking(region: RegionData, metric: str) -> pd.DataFrame:
    """The districts ranked by ``metric`` (the engine's one rule), ties ordered by the district's name shown."""
    rows = pd.DataFrame(region.districts.drop(columns="geometry"))
    rows["name"] = rows["district"]  # an unnamed district's own name is 全区: order ties by the store's name
    table = region_ranking(rows, metric)
    table["as_of"] = table["district"].map(region.as_of)
    cols = [c for c in dict.fromkeys(("rank", "district", metric, *RANK_COLUMNS[1:])) if c in table.columns]
    return table[cols]


def title(data: LoadedData, count: int) -> None:
    """The page title with the number of districts, and the 示例数据 badge on demo data."""
    st.title(f"全部区县（{count} 个）", anchor=False)
    if data.is_demo:
        ui.demo_badge()


def one_district(data: LoadedData) -> None:
    """What the page says when the data holds one district: nothing to compare; the district is on 总览."""
    ui.sidebar(PAGE, data)
    ui.header(data, "全部区县（1 个）")
    st.info(f"{ONE_DISTRICT}（{ui.md_text(data.engine.district_name)}），没有可并列比较的区县；"
            "存储中导入多个区县（ipgrid import … --district 区县名）后，这里显示全市（省）各区县。",
            icon=":material/info:")
    st.page_link(page_file("overview"), label="查看总览", icon=":material/map:")


def render() -> None:
    """Draw the page."""
    data = current_data()
    goto = st.session_state.pop(GOTO, None)
    if goto is not None:
        st.switch_page(page_file("overview"), query_params={DISTRICT_PARAM: goto})
    location = active_store_location()
    if len(data.districts) < 2 or location is None:
        one_district(data)
        return
    bar = st.empty()  # the first time a set of versions is counted (about 1 s a district), a bar per district

    def progress(done: int, total: int, name: str) -> None:
        bar.progress(done / total, text=f"正在统计各区县：{ui.md_text(name)}（{done}/{total}）")

    try:
        region = region_data(location, progress)
    except IpgridError as exc:  # a district that cannot be counted: say which, as the CLI does
        bar.empty()
        ui.sidebar(PAGE, data)
        st.error(f"无法统计全部区县：{ui.md_text(exc)}", icon=":material/error:")
        return
    bar.empty()
    controls = ui.sidebar(PAGE, data, metric=True, basemap=True, version=False)
    metric = controls.metric
    title(data, len(region.districts))
    st.caption(NOTE)
    kpi_row(region)

    map_col, rank_col = st.columns([3, 2], gap="medium")
    with map_col:
        st.subheader(f"区县 · {metric_title(metric)}", anchor=False)
        fmap = map_payload(region, (PAGE, metric, controls.scheme, controls.k, controls.basemap, data.is_demo),
                           lambda: region_map(region.districts, metric, controls.scheme, controls.k,
                                              basemap=controls.basemap, demo=data.is_demo))
        show_map(fmap, key=MAP_KEY, height=560, returned_objects=["last_active_drawing"], on_change=on_map_click)
        st.caption("点击地图上的区县，打开该区县的总览。")
    with rank_col:
        st.subheader("区县排名", anchor=False)
        table = ranking(region, metric)
        name = str(region.total["name"].iloc[0])
        ui.show_table(table, key=f"{PAGE}.rank", file_name=f"区县排名_{METRICS[metric].label}", height=480,
                      meta=ui.region_meta_rows(data, name, region.as_of, ("排序指标", metric_title(metric))))
        districts = [str(d) for d in region.districts["district"]]
        st.selectbox("打开区县", districts, index=None, key=PICK_KEY, placeholder="选择区县…", on_change=on_pick,
                     help="打开该区县的总览（侧栏的区县随之切换），再逐级查看镇街、园区、网格和企业")


if __name__ == "__main__":
    render()
