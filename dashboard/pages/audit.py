"""审计: every audited action of the store — imports, assignments, logins, lockouts, exports, downloads — for admins.

The entries are the store's ``ipgrid_audit`` table (the same as ``ipgrid
audit``), newest first, filtered by action, account and date, and
downloadable as shown.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import current_data
from dashboard.store.store import ACTION_LABELS, detail_text

PAGE = "audit"

COLUMNS = {"at": "时间", "user": "操作人", "action": "操作", "as_of": "数据截至", "rows": "行数", "detail": "详情"}


def audit_table(log: pd.DataFrame) -> pd.DataFrame:
    """The audit log, newest first, under Chinese headings with each detail in words."""
    out = pd.DataFrame({
        "时间": log["at"].astype(str).str.slice(0, 19).str.replace("T", " ", regex=False),
        "操作人": log["user"].astype(str),
        "操作": [ACTION_LABELS.get(str(a), str(a)) for a in log["action"]],
        "数据截至": log["as_of"].fillna("").astype(str),
        "详情": [detail_text(d) for d in log["detail"]],
    })
    return out.iloc[::-1].reset_index(drop=True)


def render() -> None:
    """Draw the page."""
    data = current_data()
    ui.sidebar(PAGE, data)
    ui.header(data, "审计")
    from dashboard.access.session import configured_store

    store = configured_store()
    if store is None:
        st.info("数据文件夹没有操作记录；审计记录保存在存储中（环境变量 IPGRID_STORE）。", icon=":material/info:")
        return
    table = audit_table(store.audit_log())
    actions = sorted(set(table["操作"]))
    users = sorted(set(table["操作人"]))
    c1, c2, c3 = st.columns(3)
    chosen_actions = c1.multiselect("操作", actions, key=f"{PAGE}.actions", placeholder="全部操作")
    chosen_users = c2.multiselect("操作人", users, key=f"{PAGE}.users", placeholder="全部操作人")
    since = c3.date_input("起始日期", value=None, format="YYYY-MM-DD", key=f"{PAGE}.since")
    shown = table
    if chosen_actions:
        shown = shown[shown["操作"].isin(chosen_actions)]
    if chosen_users:
        shown = shown[shown["操作人"].isin(chosen_users)]
    if isinstance(since, dt.date):
        shown = shown[shown["时间"] >= since.isoformat()]
    counts = table["操作"].value_counts()
    cols = st.columns(4)
    for col, label in zip(cols, ("登录", "登录失败", "下载表格", "导出地图"), strict=True):
        ui.kpi(col, label, f"{int(counts.get(label, 0)):,} 次")
    ui.show_table(shown.reset_index(drop=True), key=f"{PAGE}.log", file_name="操作记录", height=560,
                  labels={c: c for c in shown.columns}, meta=ui.meta_rows(data, ("内容", "审计记录")))


if __name__ == "__main__":
    render()
