"""总览: district key figures against the 2025 targets, the choropleth, the ranking; click an area → its page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import LoadedData, current_data
from dashboard.engine.catalog import LEVEL_LABELS, metric_title
from dashboard.engine.metrics import METRICS
from dashboard.maps import map_payload, show_map
from dashboard.maps.views import level_map
from dashboard.pages import page_file

PAGE = "overview"
MAP_KEY = "overview.map"
GOTO = "_ipgrid.overview.goto"
# Level whose areas open a detail page when clicked → page key.
DETAIL_PAGES = {"town": "town", "park": "park"}

# District figures in the top row.
KPIS: tuple[str, ...] = ("enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
                         "high_value_per_10k_pop", "pledge_amount_wan", "service_coverage_rate")

RANK_COLUMNS = ("name", "enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
                "high_value_inventions", "trademarks", "pledge_amount_wan", "high_value_per_10k_pop")


def on_map_click() -> None:
    """streamlit-folium callback: remember which area was clicked (navigation happens in the run)."""
    value = st.session_state.get(MAP_KEY) or {}
    drawing = value.get("last_active_drawing") or {}
    props = drawing.get("properties") or {}
    if props.get("kind") in DETAIL_PAGES and props.get("id") is not None:
        st.session_state[GOTO] = (props["kind"], str(props["id"]))


def on_pick(level: str) -> None:
    """Selectbox callback: open the chosen area's page on this rerun, and clear the box."""
    area = st.session_state.get(f"{PAGE}.open")
    if area is not None:
        st.session_state[GOTO] = (level, str(area))
    st.session_state[f"{PAGE}.open"] = None


def kpi_row(data: LoadedData) -> None:
    """The district's figures, each with its target beside it when it has one (in the target's unit)."""
    cols = st.columns(4)
    for i, figure in enumerate(data.engine.kpis(KPIS)):
        ui.kpi_card(cols[i % 4], figure)


def ranking(data: LoadedData, level: str, metric: str) -> pd.DataFrame:
    """Areas of ``level`` ordered by ``metric`` with their rank (the engine's one ranking rule)."""
    table = data.engine.ranking(level, metric)
    cols = [c for c in dict.fromkeys(("rank", "name", metric, *RANK_COLUMNS[1:])) if c in table.columns]
    return table[cols]


def render() -> None:
    """Draw the page."""
    data = current_data()
    goto = st.session_state.pop(GOTO, None)
    if goto is not None:
        kind, area = goto
        st.switch_page(page_file(DETAIL_PAGES[kind]), query_params={"area": area})
    controls = ui.sidebar(PAGE, data, level=True, metric=True, layers=True, basemap=True)
    ui.header(data, f"{data.engine.district_name} · {ui.APP_TITLE}")
    kpi_row(data)

    level, metric = controls.level, controls.metric
    map_col, rank_col = st.columns([3, 2], gap="medium")
    with map_col:
        st.subheader(f"{LEVEL_LABELS[level]} · {metric_title(metric)}", anchor=False)
        fmap = map_payload(data.engine, (PAGE, level, metric, controls.scheme, controls.k, controls.layers,
                                         controls.basemap, data.is_demo),
                           lambda: level_map(data.engine, level, metric, controls.scheme, controls.k, controls.layers,
                                             basemap=controls.basemap, demo=data.is_demo))
        show_map(fmap, key=MAP_KEY, height=560,
                 returned_objects=["last_active_drawing"] if level in DETAIL_PAGES else (),
                 on_change=on_map_click if level in DETAIL_PAGES else None)
        if level in DETAIL_PAGES:
            st.caption(f"点击地图上的{LEVEL_LABELS[level]}查看详情。")
    with rank_col:
        st.subheader(f"{LEVEL_LABELS[level]}排名", anchor=False)
        table = ranking(data, level, metric)
        ui.show_table(table, key=f"{PAGE}.rank", file_name=f"{LEVEL_LABELS[level]}排名_{METRICS[metric].label}",
                      height=480, meta=ui.meta_rows(data, ("排序指标", metric_title(metric))))
        if level in DETAIL_PAGES:
            areas = data.engine.choropleth(level)
            names = dict(zip(areas["id"].astype(str), areas["name"].astype(str), strict=True))
            st.selectbox(f"打开{LEVEL_LABELS[level]}详情", list(names), index=None, key=f"{PAGE}.open",
                         format_func=ui.label_of(names), placeholder=f"选择{LEVEL_LABELS[level]}…",
                         on_change=on_pick, args=(level,))

    ui.page_actions(PAGE, data, {
        "全区": lambda: data.engine.stats("district"),
        "镇街": lambda: data.engine.stats("town"),
        **({"园区": lambda: data.engine.stats("park")} if "park" in ui.available_levels(data) else {}),
        **({"网格": lambda: data.engine.stats("grid")} if "grid" in ui.available_levels(data) else {}),
    }, file_name=f"{data.engine.district_name}_总览", spec=ui.MapSpec(level, metric, None, controls.scheme,
                                                                      controls.k, controls.layers))


if __name__ == "__main__":
    render()
