"""指标: the yearly indicators against their 2025 targets — progress, trend and the figures from enterprise data."""

from __future__ import annotations

from typing import cast

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import current_data
from dashboard.engine.catalog import column_label, format_number, with_unit
from dashboard.engine.targets import STATUS_TONES, TargetStatus, status_text

PAGE = "indicators"
TABLE_COLUMNS = ("label", "unit", "latest_year", "latest", "target_year", "target", "progress", "status", "gap",
                 "slope_per_year", "projected", "bottom_up")
TONE_COLOURS = {"good": "green", "bad": "orange"}
"""Tone of a status (:data:`~dashboard.engine.targets.STATUS_TONES`) → Streamlit text colour; none stays plain."""


def _num(value: object, unit: str = "") -> str:
    return with_unit(format_number(value, 2, trim=True), unit)


def _trend(cell: object) -> list[tuple[int, float]]:
    """The (year, value) pairs of a ``trend`` cell of :meth:`Engine.targets` (none when empty or missing)."""
    return cast("list[tuple[int, float]]", cell or [])  # an object column: pandas types its cells as scalars


def series(targets: pd.DataFrame) -> pd.DataFrame:
    """The actual values of every indicator as a long table (指标, 年份, 数值)."""
    rows = [{"label": r.label, "year": int(y), "value": float(v), "unit": r.unit}
            for r in targets.itertuples(index=False) for y, v in _trend(r.trend)]
    return pd.DataFrame(rows, columns=["label", "year", "value", "unit"])


def trend_chart(row: pd.Series) -> alt.LayerChart | alt.FacetChart | None:
    """Actual values by year, the target as a red line, and the trend extended to the target year (dashed)."""
    trend = pd.DataFrame(row["trend"] or [], columns=["year", "value"])
    if trend.empty:
        return None
    unit = str(row["unit"] or "")
    y_title = f"数值（{unit}）" if unit else "数值"
    actual = alt.Chart(trend).mark_line(point=True, color="#2b8cbe").encode(
        x=alt.X("year:O", title="年份"), y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("year:O", title="年份"), alt.Tooltip("value:Q", title="实际值", format=",.2f")],
    )
    layers: list[alt.Chart] = [actual]
    target, target_year = row["target"], row["target_year"]
    if pd.notna(target):
        rule = pd.DataFrame({"value": [float(target)], "label": [f"目标 {_num(target, unit)}"]})
        layers.append(alt.Chart(rule).mark_rule(color="#d73027", strokeDash=[6, 4]).encode(y="value:Q"))
        layers.append(alt.Chart(rule).mark_text(align="left", dx=4, dy=-6, color="#d73027").encode(
            y="value:Q", text="label:N", x=alt.value(0)))
    if pd.notna(row["projected"]) and pd.notna(target_year) and pd.notna(row["latest_year"]) \
            and int(target_year) > int(row["latest_year"]):
        proj = pd.DataFrame({"year": [int(row["latest_year"]), int(target_year)],
                             "value": [float(row["latest"]), float(row["projected"])]})
        layers.append(alt.Chart(proj).mark_line(strokeDash=[4, 3], color="#6b7280").encode(
            x="year:O", y="value:Q",
            tooltip=[alt.Tooltip("year:O", title="年份"), alt.Tooltip("value:Q", title="按趋势", format=",.2f")]))
    return alt.layer(*layers).properties(height=220)


def status_markdown(row: pd.Series) -> str:
    """The engine's status (达标 / 未达标（差 …） / 按趋势可达标 / 按趋势难以达标 / 无数据), coloured by its tone."""
    status = TargetStatus(row["status"])
    text = status_text(status, row["gap"], str(row["unit"] or ""))
    colour = TONE_COLOURS.get(STATUS_TONES[status])
    return f":{colour}[**{ui.md_text(text)}**]" if colour else ui.md_text(text)


def indicator_card(row: pd.Series) -> None:
    """One indicator: latest vs target, progress bar, status, trend chart, the enterprise-data figure."""
    unit = str(row["unit"] or "")
    with st.container(border=True):
        st.markdown(f"**{ui.md_text(row['label'])}**")
        latest = f"{_num(row['latest'], unit)}（{int(row['latest_year'])} 年）" if pd.notna(row["latest_year"]) else "—"
        target = (f"{_num(row['target'], unit)}（{int(row['target_year'])} 年）"
                  if pd.notna(row["target_year"]) else "未设目标")
        st.markdown(f"最新值 **{ui.md_text(latest)}**　目标 **{ui.md_text(target)}**")
        if pd.notna(row["progress"]):
            progress = float(row["progress"])
            st.progress(min(max(progress, 0.0), 1.0), text=f"完成进度 {progress * 100:.0f}%")
        st.caption(status_markdown(row) + (f"　·　企业数据测算：{_num(row['bottom_up'], unit)}"
                                           if pd.notna(row["bottom_up"]) else ""))
        chart = trend_chart(row)
        if chart is not None:
            st.altair_chart(chart, width="stretch")


def render() -> None:
    """Draw the page."""
    data = current_data()
    ui.sidebar(PAGE, data)
    ui.header(data, "年度指标与 2025 年目标")
    targets = data.engine.targets()
    if len(targets) == 0:
        st.info("数据中没有指标图层（指标.xlsx/.csv：年份、指标、数值、单位、类型）。", icon=":material/info:")
        return
    with_target = int(targets["target"].notna().sum())
    counts = targets["status"].value_counts()
    cols = st.columns(3)
    ui.kpi(cols[0], "有目标的指标", f"{with_target} 项")
    ui.kpi(cols[1], "已达标", f"{int(counts.get(TargetStatus.REACHED.value, 0))} 项")
    ui.kpi(cols[2], TargetStatus.ON_TRACK.value, f"{int(counts.get(TargetStatus.ON_TRACK.value, 0))} 项")
    cards = st.columns(2)
    for i, (_, row) in enumerate(targets.iterrows()):
        with cards[i % 2]:
            indicator_card(row)
    st.subheader("指标表", anchor=False)
    ui.show_table(targets, key=f"{PAGE}.table", file_name="指标与目标", columns=TABLE_COLUMNS,
                  meta=ui.meta_rows(data), caption="「企业数据测算值」由企业名录自下而上计算，供核对",
                  labels={k: column_label(k) for k in ("status", "gap")})
    ui.show_table(series(targets), key=f"{PAGE}.series", file_name="指标历年数值",
                  columns=("label", "year", "value", "unit"), meta=ui.meta_rows(data))
    ui.page_actions(PAGE, data, {"指标": lambda: targets[list(TABLE_COLUMNS)], "历年数值": lambda: series(targets)},
                    file_name="指标")


if __name__ == "__main__":
    render()
