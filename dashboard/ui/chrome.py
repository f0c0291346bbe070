"""What every page shares: the header with the 示例数据 badge, the problems banner, the sidebar, page actions.

:func:`sidebar` is the one place the sidebar's controls are drawn (level,
metric, classification, layers, basemap), each bound to the URL.
:func:`page_actions` is the one place a page offers its downloads, and where
the static-map export button goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.app_data import (
    ASOF_KEY,
    ASOF_PARAM,
    DISTRICT_KEY,
    DISTRICT_PARAM,
    YEAR_KEY,
    YEAR_PARAM,
    LoadedData,
    year_choices,
)
from dashboard.classify import DEFAULT_K, DEFAULT_SCHEME, SCHEMES
from dashboard.engine import Kpi
from dashboard.engine.catalog import (
    DEFAULT_METRIC,
    FIRM_LABELS,
    LEVEL_LABELS,
    MAPPABLE_METRICS,
    cell_text,
    column_label,
    format_number,
    format_percent,
)
from dashboard.engine.metrics import METRICS
from dashboard.maps.basemaps import BASEMAP_KINDS, TILE_SYSTEMS, Basemap, BasemapError
from dashboard.maps.views import DEFAULT_LAYERS, LAYERS
from dashboard.pages import page_file
from dashboard.theme import DEMO_BADGE
from dashboard.ui.state import bind, label_of
from dashboard.ui.tables import download_xlsx, present

APP_TITLE = "知识产权网格地图"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|<>~$:])")

BADGE_HTML = (
    '<span class="ipgrid-demo-badge" style="display:inline-block;background:#b42318;color:#fff;'
    'font-weight:700;font-size:1rem;padding:0.15rem 0.7rem;border-radius:0.3rem;">'
    f"{DEMO_BADGE}</span>"
)


def md_text(value: object) -> str:
    """Escape ``value`` so Streamlit markdown shows it literally, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def demo_badge() -> None:
    """The red 示例数据 badge."""
    st.markdown(BADGE_HTML, unsafe_allow_html=True)


def header(data: LoadedData, title: str, *, caption: str | None = None) -> None:
    """Page title, the 示例数据 badge on demo data, data date and source."""
    engine = data.engine
    st.title(md_text(title), anchor=False)
    if data.is_demo:
        demo_badge()
    name = engine.settings.district.name or ""
    line = f"{md_text(name)}　数据截至 {md_text(engine.data_date)}　·　来源 {md_text(engine.source)}"
    if caption:
        line += f"　·　{caption}"
    st.caption(line)


def meta_rows(data: LoadedData, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    """Rows of an exported workbook's 说明 sheet."""
    engine = data.engine
    rows = [("区县", engine.settings.district.name or "—"), ("数据截至", engine.data_date),
            ("来源", engine.source), ("数据文件夹", str(data.folder))]
    return _whose_view(data, rows) + list(extra)


def region_meta_rows(data: LoadedData, name: str, as_of: Mapping[str, str],
                     *extra: tuple[str, str]) -> list[tuple[str, str]]:
    """Rows of the 说明 sheet of a workbook of several districts: which, each one's 数据截至, whose view."""
    rows = [("范围", name), ("数据截至", "；".join(f"{d} {date}" for d, date in as_of.items()))]
    return _whose_view(data, rows) + list(extra)


def _whose_view(data: LoadedData, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``rows`` with the viewer's scope (when not everything) after them and the demo label before them."""
    out = [*rows]
    if not data.scope.is_everything:
        out.append(("可见范围", data.scope.label()))
    if data.is_demo:
        out.insert(0, ("说明", DEMO_BADGE))
    return out


def problems_banner(data: LoadedData) -> None:
    """A warning with a link to 数据 when rows were rejected; a quiet line when there are only warnings."""
    problems = data.engine.problems
    errors = problems.count(severity="error")
    warnings = problems.count(severity="warning")
    if errors:
        st.warning(
            f"数据中有 {errors} 个错误、{warnings} 条警告，相关记录未导入，地图和统计可能不完整。"
            f"请在「数据」页查看问题清单（含行号），或运行 `ipgrid validate` 核对后修正。",
            icon=":material/warning:",
        )
        st.page_link(page_file("data"), label="查看问题清单 →", icon=":material/fact_check:")
    elif warnings:
        st.caption(f"数据有 {warnings} 条警告（不影响导入）。")
        st.page_link(page_file("data"), label="查看警告", icon=":material/fact_check:")


# --------------------------------------------------------------------------- sidebar


@dataclass(frozen=True)
class Controls:
    """What the sidebar's controls are set to."""

    level: str = "town"
    metric: str = DEFAULT_METRIC
    scheme: str = DEFAULT_SCHEME
    k: int = DEFAULT_K
    layers: tuple[str, ...] = DEFAULT_LAYERS
    basemap: Basemap = field(default_factory=Basemap)


def available_levels(data: LoadedData) -> list[str]:
    """Levels the folder has areas for."""
    levels = ["town"]
    if data.engine.has_layer("parks"):
        levels.append("park")
    if len(data.engine.cells):
        levels.append("grid")
    return levels


def available_layers(data: LoadedData) -> list[str]:
    """Overlay layers the folder can draw."""
    present_ = {"towns": True, "enterprises": True,
                "parks": data.engine.has_layer("parks"),
                "grids": len(data.engine.cells) > 0,
                "service_points": data.engine.has_layer("service_points"),
                "gi_areas": data.engine.has_layer("gi_areas")}
    return [k for k in LAYERS if present_.get(k)]


def sidebar(page: str, data: LoadedData | None, *, level: bool = False, metric: bool = False,
            layers: bool = False, default_layers: Sequence[str] = DEFAULT_LAYERS,
            basemap: bool = False, version: bool = True) -> Controls:
    """Draw the sidebar of ``page`` and return its settings (each bound to the URL).

    Parameters
    ----------
    page
        Page key (widget keys and URL state are per page).
    data
        The loaded folder (``None`` when loading failed: only the folder is shown).
    level, metric, layers, basemap
        Which controls the page has: area level; metric + classification;
        overlay layers; basemap.
    version
        Whether the page shows one district's version (区县, 数据截至, 统计年份);
        ``False`` on a page of every district's latest version (全部区县).
    default_layers
        Layers on until the user chooses.
    """
    values: dict[str, Any] = {}
    with st.sidebar:
        if data is not None and not version:
            st.caption("各区县均取当前有效的最新版本，按数据截至日统计。")
        elif data is not None:
            name = data.engine.settings.district.name or data.folder.name
            if data.version is None:
                st.caption(f"数据：{md_text(name)}（{md_text(data.folder.name)}）")
            else:
                district_selector(data)
                version_selector(data)
            year_selector(data)
            if data.is_demo:
                demo_badge()
        if level and data is not None:
            options = available_levels(data)
            b = bind(page, "level", "town", options=options)
            st.selectbox("分区层级", options, key=b.key, format_func=label_of(LEVEL_LABELS))
            values["level"] = b.value
        if metric:
            b = bind(page, "metric", DEFAULT_METRIC, options=MAPPABLE_METRICS)
            st.selectbox("指标", MAPPABLE_METRICS, key=b.key, format_func=lambda k: METRICS[k].label)
            values["metric"] = b.value
            b = bind(page, "scheme", DEFAULT_SCHEME, options=list(SCHEMES))
            st.selectbox("分级方法", list(SCHEMES), key=b.key, format_func=lambda s: SCHEMES[s][1])
            values["scheme"] = b.value
            b = bind(page, "k", DEFAULT_K, options=list(range(3, 8)), parse=int)
            st.select_slider("分级数", options=list(range(3, 8)), key=b.key)
            values["k"] = int(b.value)
        if layers and data is not None:
            options = available_layers(data)
            b = bind(page, "layers", [x for x in default_layers if x in options], options=options, multi=True)
            st.multiselect("图层", options, key=b.key, format_func=label_of(LAYERS))
            values["layers"] = tuple(b.value)
        if basemap:
            values["basemap"] = _basemap_controls()
    return Controls(**values)


def year_selector(data: LoadedData) -> None:
    """The 统计年份 selector (``year=`` in the URL), when the rights have dates to count them at a year's end."""
    years = year_choices(data)
    if not years:
        return
    options = [0, *years]
    bind("app", YEAR_PARAM, 0, options=options, parse=int, key=YEAR_KEY)
    labels = {0: f"数据截至日（{data.engine.data_date}）", **{y: f"{y} 年末" for y in years}}
    st.selectbox("统计年份", options, key=YEAR_KEY, format_func=label_of(labels),
                 help="按该年末有效的专利、商标统计（需要带申请日、授权公告日的知识产权明细）")


def district_selector(data: LoadedData) -> None:
    """The 区县 selector of a store of several districts (``district=`` in the URL); nothing for one district."""
    if len(data.districts) < 2:
        return
    bind("app", DISTRICT_PARAM, data.districts[0], options=list(data.districts), key=DISTRICT_KEY)
    st.selectbox("区县", list(data.districts), key=DISTRICT_KEY,
                 help="存储中有多个区县；选择后所有页面显示该区县（各区县的版本、设置和专员分配分开保存）")


def version_selector(data: LoadedData) -> None:
    """The 数据截至 selector of a store's versions (``asof=`` in the URL), latest first in the list."""
    dates = [v.as_of for v in data.versions]
    bind("app", ASOF_PARAM, dates[-1], options=dates, key=ASOF_KEY)
    name = data.engine.settings.district.name or "数据"
    st.selectbox(f"{name} · 数据截至", list(reversed(dates)), key=ASOF_KEY,
                 help="存储中的每个版本按数据截至日命名；选择后所有页面显示该版本")


def _basemap_controls() -> Basemap:
    """The 底图 expander: none by default; Tianditu with a key; an intranet XYZ mirror."""
    with st.expander("底图", icon=":material/layers:"):
        kind = bind("app", "basemap", "none", options=list(BASEMAP_KINDS), url=False, key="basemap.kind")
        st.radio("底图", list(BASEMAP_KINDS), key=kind.key, format_func=label_of(BASEMAP_KINDS),
                 label_visibility="collapsed")
        key = bind("app", "tk", "", url=False, key="basemap.tk")
        url = bind("app", "tiles", "", url=False, key="basemap.url")
        system = bind("app", "tilecrs", "WGS-84", options=list(TILE_SYSTEMS), url=False, key="basemap.system")
        if kind.value == "tianditu":
            st.text_input("天地图密钥（tk）", key=key.key, type="password")
        elif kind.value == "custom":
            st.text_input("瓦片地址", key=url.key, placeholder="http://10.0.0.8/tiles/{z}/{x}/{y}.png")
            st.selectbox("瓦片坐标系", list(TILE_SYSTEMS), key=system.key, format_func=label_of(TILE_SYSTEMS))
        chosen = Basemap(kind.value, str(key.value), str(url.value), str(system.value))
        try:
            chosen.check()
        except BasemapError as exc:
            if kind.value != "none":
                st.caption(md_text(exc))
            return Basemap()
        if kind.value != "none":
            st.caption("底图瓦片从上述地址加载；无法访问时地图仍显示边界。")
        return chosen


# --------------------------------------------------------------------------- page actions


@dataclass(frozen=True)
class MapSpec:
    """What a page's map shows, for the export button (issue: static exports)."""

    level: str
    metric: str
    area: str | None = None
    scheme: str = DEFAULT_SCHEME
    k: int = DEFAULT_K
    layers: tuple[str, ...] = ()


def page_actions(page: str, data: LoadedData, tables: Mapping[str, Callable[[], pd.DataFrame]], *,
                 file_name: str, spec: MapSpec | None = None,
                 meta: Sequence[tuple[str, str]] = ()) -> None:
    """The page's action row: every table of the page in one workbook, and the map export.

    Parameters
    ----------
    page
        Page key (widget keys).
    data
        The loaded folder.
    tables
        Sheet name → function giving the canonical frame (called only on click).
    file_name
        Workbook name without extension.
    spec
        What the page's map shows: the static-map export buttons of
        :func:`dashboard.exports.app.app_button` (PNG/PDF/SVG/HTML, rendered
        only when clicked) are offered for it here — the single place every map
        page's export goes.  They are drawn only while their expander is open,
        so a page's rerun does not prepare an export nobody asked for.
    meta
        Extra rows of the workbook's 说明 sheet (e.g. the filters).
    """
    download_xlsx("本页表格（Excel）", lambda: {name: _sheet(fn()) for name, fn in tables.items()},
                  file_name, key=f"{page}.actions.xlsx", meta=meta_rows(data, *meta),
                  help="本页全部表格，每个表一个工作表")
    if spec is not None:
        # lazy: the export view (classes, projected outlines) is built only while the expander is open
        box = st.expander("导出地图（PNG / PDF / SVG / 离线 HTML）", icon=":material/image:",
                          key=f"{page}.export.open", on_change="rerun")
        if box.open:
            with box:
                _export_button(page, data, spec)


def _sheet(frame: pd.DataFrame) -> pd.DataFrame:
    """A canonical frame as a worksheet: Chinese headers (those of firm tables for firms)."""
    return present(frame, labels=FIRM_LABELS if "uscc" in frame.columns else None)[0]


def _export_button(page: str, data: LoadedData, spec: MapSpec) -> None:
    """The static-map export buttons (the exports package renders a file only when its button is clicked)."""
    from dashboard.exports.app import app_button  # noqa: PLC0415 - matplotlib is loaded only on map pages

    app_button(data.engine, spec.level, spec.area, spec.metric, key=f"{page}.export", scheme=spec.scheme,
               k=spec.k)


def kpi(column: Any, label: str, value: str, *, help: str | None = None,  # noqa: A002
        delta: str | None = None) -> None:
    """One figure in a row of key figures (value already formatted with its unit)."""
    column.metric(label, value, delta=delta, delta_color="off", help=help, border=True)


def metric_kpi(column: Any, key: str, value: object, *, delta: str | None = None, help: str | None = None,  # noqa: A002
               since: str | None = None, trend: Sequence[float] | None = None) -> None:
    """A metric as a key figure: the unit goes in the label (``有效发明专利（件）``), the number stays short.

    ``delta`` (a change already worded, :func:`~dashboard.engine.catalog.change_text`) is shown with
    ``since`` beside it (e.g. ``较 2025-09-30``), an arrow only when it is not zero, and ``trend`` as a sparkline.
    """
    flat = delta is None or delta.startswith("0") or delta == "—"
    column.metric(column_label(key), cell_text(key, value), delta=delta, delta_color="off",
                  delta_arrow="off" if flat else "auto", delta_description=since,
                  chart_data=list(trend) if trend is not None and len(trend) >= 2 else None,
                  help=help or METRICS[key].definition, border=True)


def kpi_card(column: Any, figure: Kpi) -> None:
    """A district figure (:meth:`Engine.kpis`) as a key figure, with its target beside it when it has one.

    A figure with a target is written in the target's unit (质押融资金额 in 亿元
    beside a target in 亿元), with the target and the share of it reached.
    """
    definition = METRICS[figure.key].definition
    if figure.target is None:
        metric_kpi(column, figure.key, figure.value)
        return
    t = figure.target
    unit = figure.unit
    label = f"{figure.label}（{unit}）" if unit and unit != "%" else figure.label
    target = f"{format_number(t['target'], 2, trim=True)} {unit}".strip()
    delta = f"{int(t['target_year'])} 年目标 {target}"
    help_text = (f"{definition}。{int(t['target_year'])} 年目标：{t['label']} {target}；"
                 f"按企业数据测算为 {format_number(figure.value, figure.decimals)} {unit}，"
                 f"完成 {format_percent(figure.target_progress, 0)}")
    if pd.notna(t["latest"]):
        help_text += (f"；{int(t['latest_year'])} 年统计值 {format_number(t['latest'], 2, trim=True)} {unit}"
                      f"（{t['status']}，见「指标」页）")
    column.metric(label, format_number(figure.value, figure.decimals), delta=delta, delta_color="off",
                  help=help_text, border=True)
