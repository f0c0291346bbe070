"""专员分配: which commissioner looks after which grid cell, changed with a valid-from date and kept with its history.

The store keeps every change (:meth:`dashboard.store.Store.assign`); each
version shows the assignment in force at its date, so a reassignment made
in November shows in the 2025-12-31 version and not in the 2025-09-30 one.
Only admins open this page (:data:`dashboard.access.roles.PAGE_ROLES`); every
change is audited with the account that made it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.access.session import current_viewer
from dashboard.app_data import LoadedData, current_data
from dashboard.store.assignments import cell_assignments
from loaders import IpgridError

PAGE = "assignments"

HISTORY_LABELS = {"grid_id": "网格", "commissioners": "专员", "valid_from": "生效日期", "changed_by": "调整人",
                  "changed_at": "调整时间", "source": "来源", "note": "备注"}


def current_table(data: LoadedData) -> pd.DataFrame:
    """Every cell of the version shown with its commissioners and firms."""
    engine = data.engine
    assigned = cell_assignments(engine.cells, engine.commissioners)
    cells = engine.cells[["grid_id", "parent"]].astype({"grid_id": str})
    firms = engine.stats("grid")[["id", "enterprises"]].astype({"id": str}).rename(columns={"id": "grid_id"})
    table = cells.merge(firms, on="grid_id", how="left")
    table["专员"] = ["、".join(assigned.get(g, [])) or "（无人负责）" for g in table["grid_id"]]
    return table.rename(columns={"grid_id": "网格", "parent": "所属园区/镇街", "enterprises": "企业数（家）"})


def history_table(data: LoadedData) -> pd.DataFrame:
    """Every assignment change in the store, newest first, under Chinese headings."""
    assert data.store is not None
    frame = data.store.assignment_history()
    frame["source"] = frame["source"].map({"import": "导入", "edit": "手工调整"}).fillna(frame["source"])
    frame["commissioners"] = frame["commissioners"].replace("", "（无人负责）")
    frame["changed_at"] = frame["changed_at"].astype(str).str.slice(0, 19).str.replace("T", " ")
    return frame.drop(columns="id").iloc[::-1].rename(columns=HISTORY_LABELS).reset_index(drop=True)


def _form(data: LoadedData) -> None:
    assert data.store is not None and data.version is not None
    engine = data.engine
    ids = engine.cells["grid_id"].astype(str).tolist()
    people = list(engine.commissioner_directory())
    assigned = cell_assignments(engine.cells, engine.commissioners)
    cell = st.selectbox("网格", ids, key=f"{PAGE}.cell")
    st.caption(f"当前（数据截至 {data.version.as_of}）：{'、'.join(assigned.get(cell, [])) or '无人负责'}")
    with st.form(f"{PAGE}.form"):
        chosen = st.multiselect("负责该网格的专员（可多选；不选即为无人负责）", people,
                                default=[p for p in assigned.get(cell, []) if p in people], key=f"{PAGE}.who.{cell}")
        extra = st.text_input("新专员姓名（不在名单中时填写）", key=f"{PAGE}.new.{cell}")
        c1, c2 = st.columns(2)
        valid_from = c1.date_input("生效日期", value=dt.date.fromisoformat(data.version.as_of), format="YYYY-MM-DD",
                                   key=f"{PAGE}.from.{cell}")
        note = c2.text_input("备注", key=f"{PAGE}.note.{cell}", placeholder="如：人员调整")
        saved = st.form_submit_button("保存调整", icon=":material/save:")
    if saved:
        names = [*chosen, *([extra.strip()] if extra.strip() else [])]
        try:
            data.store.assign(cell, names, valid_from=str(valid_from), user=current_viewer().name, note=note.strip())
        except IpgridError as exc:
            st.error(ui.md_text(exc), icon=":material/error:")
            return
        who = "、".join(names) or "无人"
        st.session_state[f"{PAGE}.done"] = f"已保存：网格 {cell} 自 {valid_from} 起由 {who}负责。"
        st.rerun()


def render() -> None:
    """Draw the page."""
    data = current_data()
    ui.sidebar(PAGE, data)
    ui.header(data, "专员分配")
    if data.store is None:
        st.info("调整专员分配需要存储（环境变量 IPGRID_STORE，或 ipgrid assign 命令）；"
                "数据文件夹中的分配请直接修改专员表。",
                icon=":material/info:")
        return
    done = st.session_state.pop(f"{PAGE}.done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    st.caption("每次调整都保留记录（生效日期、调整人）；各版本按其数据截至日显示当时有效的分配。")
    st.subheader("调整分配", anchor=False)
    _form(data)
    st.subheader("各网格专员", anchor=False)
    current = current_table(data)
    ui.show_table(current, key=f"{PAGE}.current", file_name="网格专员分配", meta=ui.meta_rows(data),
                  labels={c: c for c in current.columns})
    st.subheader("调整记录", anchor=False)
    history = history_table(data)
    ui.show_table(history, key=f"{PAGE}.history", file_name="专员分配调整记录", meta=ui.meta_rows(data),
                  labels={c: c for c in history.columns})
    ui.page_actions(PAGE, data, {"网格专员分配": lambda: current, "调整记录": lambda: history},
                    file_name="专员分配")


if __name__ == "__main__":
    render()
