"""变化: what changed between two versions of the store — by area on a diverging map, and firm by firm.

Leaders ask what moved since the last meeting; commissioners follow up the
firms that changed.  The two versions default to the one shown and the one
before it; the firm lists (new, closed, moved, 培育成功, lost IP) each
download as .xlsx.  Every figure comes from
:func:`dashboard.engine.changes.diff_engines`, kept on the later version's engine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.access import scope
from dashboard.app_data import LoadedData, current_data
from dashboard.engine import LEVEL_LABELS, Engine
from dashboard.engine.catalog import change_text, column_label, value_text
from dashboard.engine.changes import DIFF_METRICS, FIRM_LISTS, VersionDiff
from dashboard.maps import show_map
from dashboard.maps.changes import change_map
from dashboard.maps.render import map_payload
from dashboard.store import Version

PAGE = "changes"
LEVELS = ("town", "park", "grid")

FIRM_COLUMNS = {"uscc": "统一社会信用代码", "name": "企业名称", "town": "所在镇街", "from": "原镇街", "to": "现镇街"}


def version_diff(old: Engine, new: Engine, old_version: Version, level: str) -> VersionDiff:
    """What changed from ``old`` to ``new`` at ``level`` as this session may see it, computed once per pair."""
    return scope.version_diff(old, new, level, old_version.version_id)


def area_table(diff: VersionDiff) -> pd.DataFrame:
    """Areas with each metric before, after and its change, under Chinese headings."""
    out = pd.DataFrame({"名称": diff.areas["name"].astype(str)})
    for key in DIFF_METRICS:
        label = column_label(key)
        out[f"{label}（之前）"] = [value_text(key, v) for v in diff.areas[f"{key}_from"]]
        out[f"{label}（之后）"] = [value_text(key, v) for v in diff.areas[f"{key}_to"]]
        out[f"{label}（变化）"] = [change_text(key, v) for v in diff.areas[f"{key}_change"]]
    return out


def firm_list(diff: VersionDiff, key: str) -> pd.DataFrame:
    """One firm list of the diff under Chinese headings."""
    frame: pd.DataFrame = getattr(diff, key)
    shown = [c for c in FIRM_COLUMNS if c in frame.columns]
    return frame[shown].rename(columns=FIRM_COLUMNS).reset_index(drop=True)


def _choose_versions(data: LoadedData) -> tuple[Version, Version] | None:
    dates = [v.as_of for v in data.versions]
    shown = data.version.as_of if data.version is not None else dates[-1]
    earlier = [d for d in dates if d < shown]
    default_from = earlier[-1] if earlier else dates[0]
    c1, c2 = st.columns(2)
    b_from = ui.bind(PAGE, "from", default_from, options=dates)
    b_to = ui.bind(PAGE, "to", shown, options=dates)
    c1.selectbox("对比：之前（数据截至）", dates, key=b_from.key)
    c2.selectbox("之后（数据截至）", dates, key=b_to.key)
    if str(b_from.value) >= str(b_to.value):
        st.warning("「之前」的数据截至日应早于「之后」，请重新选择。", icon=":material/warning:")
        return None
    by_date = {v.as_of: v for v in data.versions}
    return by_date[str(b_from.value)], by_date[str(b_to.value)]


def _summary(diff: VersionDiff, old: Version, new: Version) -> None:
    st.caption(f"数据截至 {old.as_of} → {new.as_of}")
    cols = st.columns(len(FIRM_LISTS))
    for col, (key, (title, help_text)) in zip(cols, FIRM_LISTS.items(), strict=True):
        ui.kpi(col, title, f"{len(getattr(diff, key)):,} 家", help=help_text)


def render() -> None:
    """Draw the page."""
    data = current_data()
    ui.sidebar(PAGE, data)
    ui.header(data, "变化")
    if data.store is None or len(data.versions) < 2:
        st.info("变化对比需要存储中至少两个数据版本：用「数据」页或 `ipgrid import 文件夹 --store 存储 --as-of 日期` "
                "每季度导入一次，即可在这里看到与上一季度相比的变化。", icon=":material/info:")
        return
    chosen = _choose_versions(data)
    if chosen is None:
        return
    old_version, new_version = chosen
    c1, c2 = st.columns(2)
    b_level = ui.bind(PAGE, "level", "town", options=list(LEVELS))
    b_metric = ui.bind(PAGE, "metric", "enterprises_with_ip", options=list(DIFF_METRICS))
    c1.radio("区域层级", list(LEVELS), key=b_level.key, format_func=ui.label_of(LEVEL_LABELS), horizontal=True)
    c2.selectbox("地图指标", list(DIFF_METRICS), key=b_metric.key, format_func=column_label)
    level, metric = str(b_level.value), str(b_metric.value)
    old, new = data.engine_of(old_version), data.engine_of(new_version)
    diff = version_diff(old, new, old_version, level)
    _summary(diff, old_version, new_version)

    st.subheader(f"{LEVEL_LABELS[level]}：{column_label(metric)}的变化", anchor=False)
    payload = map_payload(new, ("change-map", old_version.version_id, level, metric),
                          lambda: change_map(new, level, metric, diff.areas, demo=data.is_demo))
    show_map(payload, key=f"{PAGE}.map.{level}")

    meta = [*ui.meta_rows(data), ("对比", f"数据截至 {old_version.as_of} → {new_version.as_of}")]
    areas = area_table(diff)
    ui.show_table(areas, key=f"{PAGE}.areas", file_name=f"{LEVEL_LABELS[level]}变化", meta=meta,
                  labels={c: c for c in areas.columns})

    st.subheader("企业名单", anchor=False)
    tabs = st.tabs([f"{title}（{len(getattr(diff, key))}）" for key, (title, _) in FIRM_LISTS.items()])
    for tab, (key, (title, help_text)) in zip(tabs, FIRM_LISTS.items(), strict=True):
        with tab:
            frame = firm_list(diff, key)
            if len(frame) == 0:
                st.caption(f"没有{title}。")
                continue
            ui.show_table(frame, key=f"{PAGE}.firms.{key}", file_name=title, meta=meta, caption=help_text,
                          labels={c: c for c in frame.columns})
    tables: dict[str, Callable[[], pd.DataFrame]] = {"区域变化": lambda: areas}
    for key, (title, _) in FIRM_LISTS.items():
        tables[title] = functools.partial(firm_list, diff, key)
    ui.page_actions(PAGE, data, tables, file_name=f"变化_{old_version.as_of}_{new_version.as_of}", meta=meta[-1:])


if __name__ == "__main__":
    render()
