"""走访: how the grid's visits cover the district — per town, park, cell and commissioner — and what came of them.

For leaders (and admins) the figures of every area and commissioner, the
visits per month, the overdue follow-ups and every visit record; a
commissioner sees the same figures (counts) and only the records of the
firms in their own cells.  "Visited, then a first IP within 12 months" uses
every version of the store up to the one shown.  Definitions are in the
metrics registry (``docs/metrics.md``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.access import visits as seen
from dashboard.access.settings import reminder_months, visit_today
from dashboard.app_data import LoadedData, current_data
from dashboard.engine.catalog import format_number, value_text
from dashboard.engine.metrics import METRICS
from dashboard.engine.visits import AREA_VISIT_COLUMNS, reminders, visits_by_month
from dashboard.store.visits import Visits

PAGE = "visits"

LEVELS = {"town": "镇街", "park": "园区", "grid": "网格", "commissioner": "网格专员"}

KPIS = ("visited_rate_90d", "cultivation_visited_rate_90d", "overdue_followups", "first_ip_after_visit_rate")

RECORD_COLUMNS = ("visit_date", "firm_name", "uscc", "commissioner", "kind", "needs", "outcome", "follow_up",
                  "note", "entered_by", "entered_at", "source")
RECORD_LABELS = {"kind": "方式", "commissioner": "走访人", "source": "来源"}


def level_table(data: LoadedData, log: pd.DataFrame, level: str) -> pd.DataFrame:
    """The visit figures of every area of ``level`` (or of every commissioner), as for every viewer."""
    today = visit_today(data.store.info("demo_today") if data.store else None)
    history = data.history()
    if level == "commissioner":
        return seen.commissioner_visits(data.engine, log, today, history)
    return seen.area_visits(data.engine, log, today, level, history)


def render() -> None:
    """Draw the page."""
    data = current_data()
    ui.sidebar(PAGE, data)
    ui.header(data, "网格走访")
    if data.store is None:
        st.info("走访记录保存在存储中（环境变量 IPGRID_STORE）；数据文件夹没有走访记录。", icon=":material/info:")
        return
    today = visit_today(data.store.info("demo_today"))
    log = Visits(data.store).current()
    district = level_table(data, log, "district").iloc[0]
    st.caption(f"统计日：{today.isoformat()}（近 90 天 = {today.isoformat()} 之前 90 天内）")
    cols = st.columns(len(KPIS))
    for col, key in zip(cols, KPIS, strict=True):
        ui.kpi(col, METRICS[key].label, value_text(key, district[key]), help=METRICS[key].definition)
    levels = {k: v for k, v in LEVELS.items() if k in (*ui.available_levels(data), "commissioner")}
    chosen = ui.bind(PAGE, "level", "town", options=list(levels))
    st.radio("按", list(levels), key=chosen.key, format_func=ui.label_of(levels), horizontal=True)
    table = level_table(data, log, str(chosen.value))
    columns = ("name", "enterprises", *AREA_VISIT_COLUMNS)
    ui.show_table(table, key=f"{PAGE}.areas", columns=columns, file_name=f"走访_{levels[str(chosen.value)]}",
                  meta=ui.meta_rows(data, ("统计日", today.isoformat())))
    if len(table) and str(chosen.value) != "grid":
        chart = table.set_index("name")["visited_rate_90d"].astype("float64") * 100
        st.bar_chart(chart, horizontal=True, y_label="", x_label="近 90 天走访率（%）", height=320)

    records = seen.seen_visits(data.engine, log)
    st.subheader("每月走访", anchor=False)
    months = visits_by_month(records, today)
    if len(months):
        st.bar_chart(months.set_index("month")[["visits"]].rename(columns={"visits": "走访次数"}), height=240)
    else:
        st.caption("还没有走访记录。")

    firms = data.engine.firm_table()
    due = reminders(seen.firm_visit_table(data.engine, log, today), firms, reminder_months())  # the viewer's firms
    overdue = due[due["reason"] == "回访逾期"]
    st.subheader(f"回访逾期（{format_number(len(overdue))} 家）", anchor=False)
    ui.show_table(overdue, key=f"{PAGE}.overdue", file_name="回访逾期", labels={"name": "企业名称"},
                  meta=ui.meta_rows(data, ("统计日", today.isoformat())))

    months_limit = reminder_months()
    people = seen.commissioner_reminders(data.engine, log, today, months_limit)
    st.subheader("各网格专员的走访提醒", anchor=False)
    labels = {"name": "网格专员", "overdue": "回访逾期（家）", "stale": f"超过 {months_limit} 个月未走访（家）",
              "never": "从未走访（家）"}
    ui.show_table(people, key=f"{PAGE}.people", file_name="各专员走访提醒", labels=labels,
                  meta=ui.meta_rows(data, ("统计日", today.isoformat())))

    st.subheader(f"走访记录（{format_number(len(records))} 条）", anchor=False)
    shown = records.sort_values(["visit_date", "visit_id"], ascending=False)
    ui.show_table(shown, key=f"{PAGE}.records", columns=RECORD_COLUMNS, labels=RECORD_LABELS, file_name="走访记录",
                  height=420, meta=ui.meta_rows(data, ("统计日", today.isoformat())))
    ui.page_actions(PAGE, data, {"走访统计": lambda: table[list(columns)],
                                 "走访记录": lambda: shown[list(RECORD_COLUMNS)], "回访逾期": lambda: overdue},
                    file_name="网格走访",
                    meta=[("统计日", today.isoformat())])


if __name__ == "__main__":
    render()
