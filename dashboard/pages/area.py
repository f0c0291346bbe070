"""One town or park in detail: key figures, its map, rank among its peers, industries, firms with filters and search.

Shared by the 镇街 and 园区 pages (:func:`render_area`).  The firms table and
the map show the same filtered firms; a search by name or credit code
narrows both and flies the map to the first match.
"""

from __future__ import annotations

import functools

import altair as alt
import folium
import numpy as np
import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import LoadedData, current_data
from dashboard.engine.catalog import LEVEL_LABELS, change_text, metric_title, text_of, value_text
from dashboard.engine.history import area_history, change_since_previous
from dashboard.engine.metrics import METRICS
from dashboard.maps import map_payload, show_map
from dashboard.maps.layers import FlyTo
from dashboard.maps.shapes import bounds_of
from dashboard.maps.views import (
    FIRM_POINTS_LIMIT,
    add_firms,
    add_outline,
    add_service_points,
    firm_bubbles,
    firm_legend,
    fit,
    level_shapes,
    new_map,
)
from dashboard.pages import page_file

LEVEL_TITLES = {level: LEVEL_LABELS[level] for level in ("town", "park")}

KPIS: tuple[str, ...] = ("enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
                         "high_value_inventions", "trademarks", "pledge_amount_wan", "service_coverage_rate")

FIRM_COLUMNS: tuple[str, ...] = (
    "name", "uscc", "industry", "tier", "invention_patents", "utility_models", "designs",
    "high_value_inventions", "trademarks", "copyrights", "software_copyrights", "pledge_amount_wan", "has_ip",
    "town", "parks", "grid_id", "nearest_service", "nearest_service_m", "address", "source_row",
)
"""Columns of the firms table (and its download)."""

IP_FILTER = {"all": "全部", "with": "有知识产权", "without": "无知识产权（培育对象）"}
SEARCH_LIMIT = 50
"""Most matches offered in the 定位到 list."""

NONE_LABEL = "（未填写）"


def _category(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna() & (series.astype(str).str.strip() != ""), NONE_LABEL).astype(str)


def filter_firms(firms: pd.DataFrame, industries: list[str], tiers: list[str], ip: str) -> pd.DataFrame:
    """Firms of the chosen industries, tiers and IP status (empty choice = all)."""
    keep = np.ones(len(firms), dtype=bool)
    if industries:
        keep &= _category(firms["industry"]).isin(industries).to_numpy()
    if tiers:
        keep &= _category(firms["tier"]).isin(tiers).to_numpy()
    if ip != "all":
        has = firms["has_ip"].fillna(False).to_numpy(dtype=bool)
        keep &= has if ip == "with" else ~has
    return firms[keep]


def search_firms(firms: pd.DataFrame, query: str) -> pd.DataFrame:
    """Firms whose name contains ``query`` or whose credit code starts with it (case-insensitive)."""
    q = query.strip()
    if not q:
        return firms
    names = firms["name"].astype(str).str.contains(q, case=False, regex=False, na=False)
    codes = firms["uscc"].astype(str).str.upper().str.startswith(q.upper(), na=False)
    return firms[(names | codes).to_numpy()]


def bar_chart(table: pd.DataFrame, title: str, *, highlight: str | None = None, value: str = "enterprises",
              label: str = "label", height: int | None = None) -> alt.Chart:
    """A horizontal bar chart of ``value`` by ``label`` (text drawn by vega, never as HTML)."""
    color = (alt.value("#2b8cbe") if highlight is None
             else alt.condition(alt.datum[label] == highlight, alt.value("#e6842a"), alt.value("#9ecae1")))
    return alt.Chart(table).mark_bar().encode(
        x=alt.X(f"{value}:Q", title=title),
        y=alt.Y(f"{label}:N", sort="-x", title=None),
        color=color,
        tooltip=[alt.Tooltip(f"{label}:N", title="名称"), alt.Tooltip(f"{value}:Q", title=title, format=",.4~f")],
    ).properties(height=height or alt.Step(22))


def _area_options(data: LoadedData, level: str) -> dict[str, str]:
    table = data.engine.choropleth(level)
    return dict(zip(table["id"].astype(str), table["name"].astype(str), strict=True))


def on_area_click(page: str, map_key: str, level: str) -> None:
    """Map callback: a click on another area of the level opens it."""
    value = st.session_state.get(map_key) or {}
    props = (value.get("last_active_drawing") or {}).get("properties") or {}
    if props.get("kind") == level and props.get("id") is not None:
        st.session_state[f"{page}.area"] = str(props["id"])


def render_area(level: str, page: str) -> None:
    """Draw the detail page of a town (``level="town"``) or park (``"park"``)."""
    data = current_data()
    engine = data.engine
    title = LEVEL_TITLES[level]
    controls = ui.sidebar(page, data, metric=True, basemap=True)
    options = _area_options(data, level)
    if not options:
        ui.header(data, title)
        st.info(f"数据中没有{title}图层。", icon=":material/info:")
        return
    area = ui.bind(page, "area", next(iter(options)), options=list(options))
    st.selectbox(title, list(options), key=area.key, format_func=ui.label_of(options))
    area_id = str(area.value)
    name = options[area_id]
    stats = engine.choropleth(level)
    pos = int(np.flatnonzero(stats["id"].astype(str).to_numpy() == area_id)[0])
    row = stats.iloc[pos]
    ui.header(data, name, caption=f"{title}详情")

    history = area_history(data.history(), level, area_id, KPIS)
    changes = change_since_previous(history)
    previous = data.previous
    cols = st.columns(4)
    for i, key in enumerate(KPIS):
        delta = None if previous is None else change_text(key, changes[key])
        ui.metric_kpi(cols[i % 4], key, row[key], delta=delta,
                      since=None if previous is None else f"较 {previous.as_of}", trend=history[key].tolist())

    metric = controls.metric
    place, of = engine.rank_of(level, metric, area_id)
    rank_text = f"第 {place} / {of} 名" if place is not None else "无数据"
    st.markdown(f"**{ui.md_text(metric_title(metric))}**：{ui.md_text(value_text(metric, row[metric]))}"
                f"，在全部{title}中 **{rank_text}**")

    all_firms = engine.firms_in(level, area_id)
    firms_section(data, level, page, area_id, name, all_firms, controls)

    st.subheader(f"{title}排名 · {metric_title(metric)}", anchor=False)
    peers = engine.ranking(level, metric)[list(dict.fromkeys(["rank", "id", "name", metric, "enterprises"]))]
    left, right = st.columns([3, 2])
    with left:
        chart_data = pd.DataFrame({"label": peers["name"].astype(str),
                                   "value": pd.to_numeric(peers[metric], errors="coerce").fillna(0.0)})
        st.altair_chart(bar_chart(chart_data, metric_title(metric), highlight=name, value="value"),
                        width="stretch")
    with right:
        ui.show_table(peers.drop(columns=["id"]), key=f"{page}.peers", file_name=f"{title}排名_{METRICS[metric].label}",
                      meta=ui.meta_rows(data, ("排序指标", metric_title(metric))), height=360)

    if len(history) >= 2:
        trend_section(data, page, name, history)

    st.subheader("产业与企业类别", anchor=False)
    left, right = st.columns(2)
    industries = engine.breakdown(level, area_id, "industry")
    tiers = engine.breakdown(level, area_id, "tier")
    with left:
        st.markdown("**主导产业（企业数）**")
        if len(industries):
            st.altair_chart(bar_chart(industries, "企业数（家）"), width="stretch")
            ui.show_table(industries.rename(columns={"label": "industry"}), key=f"{page}.industries",
                          file_name=f"{name}_产业", meta=ui.meta_rows(data, (title, name)))
        else:
            st.caption("没有产业信息。")
    with right:
        st.markdown("**企业类别（企业数）**")
        if len(tiers):
            st.altair_chart(bar_chart(tiers, "企业数（家）"), width="stretch")
            ui.show_table(tiers.rename(columns={"label": "tier"}), key=f"{page}.tiers", file_name=f"{name}_企业类别",
                          meta=ui.meta_rows(data, (title, name)))
        else:
            st.caption("没有企业类别信息。")

    ui.page_actions(page, data, {
        f"{title}统计": lambda: stats.iloc[[pos]],
        "企业": lambda: all_firms[list(FIRM_COLUMNS)],
        "排名": lambda: peers,
    }, file_name=f"{name}_{title}详情", spec=ui.MapSpec(level, metric, name, controls.scheme, controls.k))


def trend_chart(history: pd.DataFrame, metrics: tuple[str, ...]) -> alt.FacetChart:
    """One small line chart per metric over the versions (each with its own scale)."""
    long = history.melt(id_vars="as_of", value_vars=list(metrics), var_name="key", value_name="value")
    long["指标"] = long["key"].map(metric_title)
    base = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("as_of:O", title="数据截至"), y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("as_of:O", title="数据截至"), alt.Tooltip("指标:N"), alt.Tooltip("value:Q", title="值")])
    return base.properties(width=220, height=150).facet(facet=alt.Facet("指标:N", title=None), columns=4).resolve_scale(
        y="independent")


def trend_section(data: LoadedData, page: str, name: str, history: pd.DataFrame) -> None:
    """The key figures of the area in every version up to the one shown."""
    st.subheader("各季度趋势", anchor=False)
    st.altair_chart(trend_chart(history, KPIS), width="stretch")
    table = history.rename(columns={"as_of": "数据截至"})
    ui.show_table(table, key=f"{page}.trend", file_name=f"{name}_各季度趋势", meta=ui.meta_rows(data, ("区域", name)),
                  labels={"数据截至": "数据截至"})


def area_map(data: LoadedData, level: str, area_id: str, shown: pd.DataFrame, focus: pd.Series | None,
             controls: ui.Controls) -> folium.Map:
    """The area outlined among its peers, parks, service points and the ``shown`` firms; flying to ``focus``."""
    engine = data.engine
    fmap, shift = new_map(basemap=controls.basemap, demo=data.is_demo)
    add_outline(fmap, engine, level, shift=shift, color="#3b5b7a", weight=1.2, fill_opacity=0.04,
                interactive=True, selected=area_id)
    if level == "town" and engine.has_layer("parks"):
        add_outline(fmap, engine, "park", shift=shift, weight=2, dash="5 3", labels=False)
    add_service_points(fmap, engine, shift=shift)
    drawn = add_firms(fmap, shown, shift=shift, src=engine)
    if drawn is not None:
        firm_legend(bubbles=drawn.layer_name == "firm-bins").add_to(fmap)
    if focus is not None:
        lon, lat = shift.lonlat(np.array([focus["lon"]], dtype="float64"), np.array([focus["lat"]], dtype="float64"))
        FlyTo(float(lat[0]), float(lon[0]), str(focus["name"])).add_to(fmap)
    pos = np.flatnonzero(engine.choropleth(level)["id"].astype(str).to_numpy() == area_id)
    fit(fmap, bounds_of(level_shapes(engine, level, shift)[pos]))
    return fmap


def firms_section(data: LoadedData, level: str, page: str, area_id: str, name: str, all_firms: pd.DataFrame,
                  controls: ui.Controls) -> None:
    """Filters and search, then the map and the table of the same firms."""
    engine = data.engine
    st.subheader("企业", anchor=False)
    if not data.scope.all_firms:
        st.caption(f"企业名单只含{ui.md_text(data.scope.label())}内的企业（本{LEVEL_TITLES[level]} "
                   f"{len(all_firms):,} 家）；其他企业只计入统计数字。",
                   help="网格专员账号只能查看自己负责网格内企业的名称、联系方式和位置")
    industry_opts = sorted(_category(all_firms["industry"]).unique().tolist())
    tier_opts = sorted(_category(all_firms["tier"]).unique().tolist())
    f1, f2, f3, f4 = st.columns([2, 2, 2, 3])
    b_ind = ui.bind(page, "industry", [], options=industry_opts, multi=True)
    f1.multiselect("主导产业", industry_opts, key=b_ind.key, placeholder="全部产业")
    b_tier = ui.bind(page, "tier", [], options=tier_opts, multi=True)
    f2.multiselect("企业类别", tier_opts, key=b_tier.key, placeholder="全部类别")
    b_ip = ui.bind(page, "ip", "all", options=list(IP_FILTER))
    f3.selectbox("知识产权", list(IP_FILTER), key=b_ip.key, format_func=ui.label_of(IP_FILTER))
    b_q = ui.bind(page, "q", "")
    f4.text_input("搜索企业（名称或统一社会信用代码）", key=b_q.key, placeholder="例如：纺织 或 91320612…")

    shown = filter_firms(all_firms, list(b_ind.value), list(b_tier.value), str(b_ip.value))
    query = str(b_q.value).strip()
    focus = None
    focus_id: int | None = None
    if query:
        shown = search_firms(shown, query)
        if len(shown) == 0:
            elsewhere = search_firms(engine.firm_table(), query)
            if len(elsewhere):
                first = elsewhere.iloc[0]
                st.info(f"本{LEVEL_TITLES[level]}（按当前筛选）没有匹配「{ui.md_text(query)}」的企业；"
                        f"全区有 {len(elsewhere)} 家，例如 {ui.md_text(text_of(first['name']))}"
                        f"（{ui.md_text(text_of(first['town']))}）。",
                        icon=":material/search:")
                towns = _area_options(data, "town")
                target = next((i for i, n in towns.items() if n == str(first["town"])), None)
                if target is not None:
                    st.page_link(page_file("town"), label=f"打开 {first['town']}",
                                 query_params={"area": target, "q": query})
            else:
                st.info(f"没有找到「{ui.md_text(query)}」。", icon=":material/search:")
        else:
            located = shown[np.isfinite(pd.to_numeric(shown["lon"], errors="coerce").to_numpy(dtype="float64",
                                                                                                na_value=np.nan))]
            picks = located.head(SEARCH_LIMIT)
            if len(picks):
                labels = {int(i): f"{n}（{u if isinstance(u, str) and u else '无信用代码'}）"
                          for i, n, u in zip(picks.index, picks["name"], picks["uscc"], strict=True)}
                chosen = st.selectbox(f"定位到（{len(shown)} 家匹配）", list(labels), format_func=ui.label_of(labels),
                                      key=f"{page}.focus.{query}")
                focus_id = int(chosen)
                focus = engine.firm_table().loc[[focus_id]].iloc[0]
            else:
                st.caption("匹配的企业没有坐标，无法在地图上定位。")

    map_col, table_col = st.columns([1, 1], gap="medium")
    with map_col:
        inputs = (page, level, area_id, tuple(b_ind.value), tuple(b_tier.value), str(b_ip.value), query,
                  focus_id, controls.basemap, data.is_demo)
        fmap = map_payload(engine, inputs, lambda: area_map(data, level, area_id, shown, focus, controls))
        map_key = f"{page}.map"
        show_map(fmap, key=map_key, height=520, returned_objects=["last_active_drawing"],
                 on_change=functools.partial(on_area_click, page, map_key, level))
        if firm_bubbles(shown):
            st.caption(f"企业超过 {FIRM_POINTS_LIMIT:,} 家，地图按约 1 千米聚合显示；"
                       "按产业、类别或名称筛选后显示每家企业。")
    with table_col:
        filters = [("筛选·主导产业", "、".join(b_ind.value) or "全部"),
                   ("筛选·企业类别", "、".join(b_tier.value) or "全部"),
                   ("筛选·知识产权", IP_FILTER[str(b_ip.value)]), ("搜索", query or "—")]
        ui.show_table(shown, key=f"{page}.firms", labels=ui.FIRM_LABELS, file_name=f"{name}_企业",
                      columns=FIRM_COLUMNS, height=470,
                      meta=ui.meta_rows(data, (LEVEL_TITLES[level], name), *filters),
                      caption=f"（{LEVEL_TITLES[level]}内共 {len(all_firms):,} 家）")
