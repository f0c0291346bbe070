"""地理标志: GI production/protection areas with their products and, where known, their authorised users."""

from __future__ import annotations

import functools

import folium
import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import LoadedData, current_data
from dashboard.engine import gi as gi_mod
from dashboard.engine.catalog import MISSING_TEXT, text_of
from dashboard.maps import map_payload, show_map
from dashboard.maps.shapes import bounds_of
from dashboard.maps.views import add_gi_areas, add_outline, fit, level_shapes, new_map

PAGE = "gi"
USER_COLUMNS = gi_mod.USER_COLUMNS
def on_gi_click(key: str) -> None:
    """Map callback: a click on a GI area selects it."""
    props = ((st.session_state.get(key) or {}).get("last_active_drawing") or {}).get("properties") or {}
    if props.get("kind") == "gi" and props.get("id") is not None:
        st.session_state[f"{PAGE}.gi"] = str(props["id"])


def gi_map(data: LoadedData, name: str, controls: ui.Controls) -> folium.Map:
    """The production areas over the towns, ``name`` emphasised."""
    engine = data.engine
    fmap, shift = new_map(basemap=controls.basemap, demo=data.is_demo)
    add_outline(fmap, engine, "town", shift=shift, color="#3b5b7a", weight=1.0, fill_opacity=0.03)
    add_gi_areas(fmap, engine, shift=shift, selected=name)
    fit(fmap, bounds_of(level_shapes(engine, "town", shift)))
    return fmap


def render() -> None:
    """Draw the page."""
    data = current_data()
    engine = data.engine
    controls = ui.sidebar(PAGE, data, basemap=True)
    ui.header(data, "地理标志")
    gi = engine.layer("gi_areas")
    if gi is None:
        st.info("数据中没有地理标志图层（地理标志.geojson/.gpkg，或列出保护范围镇街的表格）。", icon=":material/info:")
        return
    table = engine.gi_table()
    names = [str(n) for n in table["name"]]
    chosen = ui.bind(PAGE, "gi", names[0], options=names)
    ui.kpi(st.columns(3)[0], "地理标志", f"{len(table)} 个")

    map_col, info_col = st.columns([3, 2], gap="medium")
    with info_col:
        st.selectbox("地理标志", names, key=chosen.key)
        name = str(chosen.value)
        row = table.iloc[names.index(name)]
        st.subheader(ui.md_text(name), anchor=False)
        for field, label in (("category", "保护类型"), ("towns", "保护范围"), ("holder", "申请人/注册人"),
                             ("year", "登记年份")):
            st.markdown(f"**{label}**：{ui.md_text(text_of(row[field]) or MISSING_TEXT)}")
        listed = engine.gi_users(name)
        st.markdown(f"**授权使用企业**：{len(listed)} 家" if len(listed) else "**授权使用企业**：未提供")
        if len(listed):
            ui.show_table(listed, key=f"{PAGE}.users", labels=ui.FIRM_LABELS, file_name=f"{name}_授权使用企业",
                          columns=USER_COLUMNS,
                          meta=ui.meta_rows(data, ("地理标志", name)),
                          caption="镇街等信息取自企业名录（名称完全一致时）")
    with map_col:
        fmap = map_payload(engine, (PAGE, name, controls.basemap, data.is_demo), lambda: gi_map(data, name, controls))
        key = f"{PAGE}.map"
        show_map(fmap, key=key, height=560, returned_objects=["last_active_drawing"],
                 on_change=functools.partial(on_gi_click, key))
        st.caption("点击地图上的产区查看详情。")

    st.subheader("全部地理标志", anchor=False)
    ui.show_table(table, key=f"{PAGE}.table", file_name="地理标志", meta=ui.meta_rows(data))
    towns = engine.stats("town")
    with_gi = towns[pd.to_numeric(towns["gi_count"], errors="coerce").fillna(0) > 0]
    st.subheader("各镇街的地理标志", anchor=False)
    ui.show_table(with_gi, key=f"{PAGE}.towns", file_name="各镇街地理标志", columns=("name", "gi_count", "gi_names"),
                  meta=ui.meta_rows(data))
    ui.page_actions(PAGE, data, {"地理标志": lambda: table,
                                 "各镇街": lambda: with_gi[["name", "gi_count", "gi_names"]]},
                    file_name="地理标志", spec=ui.MapSpec("town", "gi_count", None))


if __name__ == "__main__":
    render()
