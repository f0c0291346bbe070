"""服务站点: service points by type with their reach, the firms no point reaches, suggested new sites."""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import LoadedData, current_data
from dashboard.maps import map_payload, show_map
from dashboard.maps.shapes import bounds_of
from dashboard.maps.views import (
    add_firms,
    add_outline,
    add_service_points,
    add_sites,
    firm_legend,
    fit,
    level_shapes,
    new_map,
    service_frame,
    service_legend,
)

PAGE = "service"
UNCOVERED_COLUMNS = ("name", "town", "industry", "has_ip", "nearest_service", "nearest_service_m", "address",
                     "uscc", "source_row")
COVERAGE_COLUMNS = ("name", "located", "covered", "service_coverage_rate", "enterprises")
SITE_COLUMNS = ("rank", "town", "grid_id", "gain", "cumulative", "cumulative_share", "radius_m", "lon", "lat")
MAX_SITES = 20


def service_map(data: LoadedData, uncovered: pd.DataFrame, sites: pd.DataFrame | None,
                controls: ui.Controls) -> folium.Map:
    """Service points with their reach, the uncovered firms and the suggested sites over the towns."""
    engine = data.engine
    fmap, shift = new_map(basemap=controls.basemap, demo=data.is_demo)
    add_outline(fmap, engine, "town", shift=shift, color="#3b5b7a", weight=1.2, interactive=True,
                fill_opacity=0.03)
    add_service_points(fmap, engine, shift=shift, reach=True, radius=7)
    if add_firms(fmap, uncovered, shift=shift, src=engine) is not None:
        firm_legend(with_ip_label="未覆盖·有知识产权", without_ip_label="未覆盖·无知识产权",
                    position="bottomright").add_to(fmap)
    add_sites(fmap, sites, shift=shift)
    legend = service_legend(engine, sites=sites is not None and len(sites) > 0)
    if legend is not None:
        legend.add_to(fmap)
    fit(fmap, bounds_of(level_shapes(engine, "town", shift)))
    return fmap


def render() -> None:
    """Draw the page."""
    data = current_data()
    engine = data.engine
    controls = ui.sidebar(PAGE, data, basemap=True)
    ui.header(data, "服务站点")
    points = service_frame(engine)
    if len(points) == 0:
        st.info("数据中没有服务站点图层（服务站点.xlsx/.csv）。", icon=":material/info:")
        return
    district = engine.stats("district").iloc[0]
    uncovered = engine.uncovered_firms()
    c = st.columns(4)
    ui.kpi(c[0], "服务站点", f"{len(points):,} 个")
    ui.metric_kpi(c[1], "covered", district["covered"])
    ui.metric_kpi(c[2], "service_coverage_rate", district["service_coverage_rate"])
    ui.kpi(c[3], "未覆盖企业", f"{len(uncovered):,} 家", help="已定位、但不在任何站点服务半径内的企业")

    k = ui.bind(PAGE, "sites", 5, options=list(range(0, MAX_SITES + 1)), parse=int)
    st.slider("建议新增站点数", 0, MAX_SITES, key=k.key,
              help="在全区 1 千米网格中心中，逐个选出能新覆盖最多未覆盖企业的位置（贪心最大覆盖）")
    sites = engine.suggest_sites(int(k.value)) if int(k.value) > 0 else None

    fmap = map_payload(engine, (PAGE, int(k.value), controls.basemap, data.is_demo),
                       lambda: service_map(data, uncovered, sites, controls))
    show_map(fmap, key=f"{PAGE}.map", height=600)
    st.caption("圆圈为各站点的服务半径；地图上的企业点是未被任何站点覆盖的企业；紫色为建议新增站点及其半径。")

    meta = ui.meta_rows(data)
    tab_points, tab_cov, tab_unc, tab_sites = st.tabs(
        ["站点", "各镇街覆盖", f"未覆盖企业（{len(uncovered):,}）", "建议新增站点"])
    with tab_points:
        ui.show_table(points, key=f"{PAGE}.points", file_name="服务站点",
                      columns=("name", "type", "address", "phone", "radius_m", "lon", "lat"), meta=meta)
    with tab_cov:
        ui.show_table(engine.stats("town"), key=f"{PAGE}.coverage", file_name="各镇街服务覆盖",
                      columns=COVERAGE_COLUMNS, meta=meta)
    with tab_unc:
        ui.show_table(uncovered, key=f"{PAGE}.uncovered", labels=ui.FIRM_LABELS, file_name="未覆盖企业",
                      columns=UNCOVERED_COLUMNS,
                      meta=meta)
    with tab_sites:
        if sites is None or len(sites) == 0:
            st.caption("没有建议：把上面的数量调大，或所有已定位企业都已覆盖。")
        else:
            ui.show_table(sites, key=f"{PAGE}.sites", file_name="建议新增站点", columns=SITE_COLUMNS,
                          meta=ui.meta_rows(data, ("建议站点数", str(int(k.value)))))
    ui.page_actions(PAGE, data, {
        "服务站点": lambda: points, "未覆盖企业": lambda: uncovered[list(UNCOVERED_COLUMNS)],
        **({"建议新增站点": lambda: sites} if sites is not None else {}),
    }, file_name="服务站点", spec=ui.MapSpec("town", "service_coverage_rate", None))


if __name__ == "__main__":
    render()
