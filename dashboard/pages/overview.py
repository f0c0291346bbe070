"""总览: district key figures against the 2025 targets, the choropleth, the ranking; click an area → its page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import LoadedData, current_data
from dashboard.engine.metrics import METRICS
from dashboard.maps import show_map
from dashboard.maps.views import LEVEL_LABELS, level_map, metric_title
from dashboard.pages import page_file

PAGE = "overview"
MAP_KEY = "overview.map"
GOTO = "_ipgrid.overview.goto"
# Level whose areas open a detail page when clicked → page key.
DETAIL_PAGES = {"town": "town", "park": "park"}

# District figures in the top row.
KPIS: tuple[str, ...] = ("enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
                         "high_value_per_10k_pop", "pledge_amount_wan", "service_coverage_rate")

# District metric → indicator key whose 2025 target it is measured against.
TARGET_OF: dict[str, str] = {"high_value_per_10k_pop": "high_value_per_10k_pop",
                             "pledge_amount_wan": "pledge_financing_yi"}

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


def target_note(data: LoadedData, key: str) -> tuple[str | None, str | None]:
    """(``2025 年目标 18 件``, a longer help text) for a KPI that has a target, else (None, None)."""
    targets = data.engine.targets()
    if key not in TARGET_OF or len(targets) == 0:
        return None, None
    row = targets[targets["key"] == TARGET_OF[key]]
    if row.empty or pd.isna(row["target"].iloc[0]):
        return None, None
    r = row.iloc[0]
    target = f"{r['target']:,.4g} {r['unit']}".strip()
    share = r["bottom_up"] / r["target"] if pd.notna(r["bottom_up"]) and r["target"] else np.nan
    help_text = f"{METRICS[key].definition}。{int(r['target_year'])} 年目标：{r['label']} {target}"
    if np.isfinite(share):
        help_text += f"；按企业数据测算为 {r['bottom_up']:,.2f} {r['unit']}，完成 {share * 100:.0f}%"
    if pd.notna(r["latest"]):
        help_text += f"；{int(r['latest_year'])} 年统计值 {r['latest']:,.4g} {r['unit']}（见「指标」页）"
    return f"{int(r['target_year'])} 年目标 {target}", help_text


def kpi_row(data: LoadedData) -> None:
    """The district's figures, with the target beside those that have one."""
    district = data.engine.stats("district").iloc[0]
    cols = st.columns(4)
    for i, key in enumerate(KPIS):
        delta, help_text = target_note(data, key)
        ui.metric_kpi(cols[i % 4], key, district[key], delta=delta, help=help_text)


def ranking(data: LoadedData, level: str, metric: str) -> pd.DataFrame:
    """Areas of ``level`` ordered by ``metric`` (largest first) with their rank."""
    table = data.engine.choropleth(level)
    cols = [c for c in dict.fromkeys(("name", metric, *RANK_COLUMNS[1:])) if c in table.columns]
    out = pd.DataFrame(table[cols]).copy()
    values = pd.to_numeric(out[metric], errors="coerce")
    out.insert(0, "rank", values.rank(ascending=False, method="min").astype("Int64"))
    return out.sort_values(["rank", "name"], na_position="last").reset_index(drop=True)


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
        fmap = level_map(data.engine, level, metric, controls.scheme, controls.k, controls.layers,
                         basemap=controls.basemap, demo=data.is_demo)
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
                         format_func=names.get, placeholder=f"选择{LEVEL_LABELS[level]}…",
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
