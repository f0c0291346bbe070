"""The visit part of 我的网格: reminders, the firm list to work through, a firm's card and the 记录走访 form.

Made for a phone (~400 px) on a slow connection: one column, text and small
widgets only (the map comes after it), the visit date prefilled, so recording
a visit is two taps — choose the firm, press 保存走访.  Whether the visit may
be recorded is checked on the server when it is saved
(:func:`dashboard.access.visits.may_record`), not by hiding the form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.access import visits as seen
from dashboard.access.roles import may
from dashboard.access.session import current_viewer
from dashboard.access.settings import reminder_months, visit_today
from dashboard.app_data import LoadedData
from dashboard.engine.catalog import format_number, text_of
from dashboard.engine.metrics import METRICS
from dashboard.engine.visits import FOLLOW_UP_LABELS, STATUS_LABELS, VISIT_KINDS, VISIT_NEEDS, FirmVisits, reminders
from dashboard.store import Store
from dashboard.store.visits import VisitError, VisitRecord, Visits
from dashboard.ui.tables import safe_file_name
from loaders import IpgridError

PAGE = "my_grid"

SORTS = {"stale": "最久未走访", "due": "回访到期", "targets": "培育对象优先"}
"""Orders of the firm list → their Chinese names."""

VISIT_LIST_COLUMNS = ("visit_date", "firm_name", "kind", "needs", "outcome", "follow_up", "commissioner", "note",
                      "entered_by")
VISIT_LABELS = {"kind": "方式", "commissioner": "走访人"}

DONE = f"{PAGE}.visit.done"

HOLDINGS = ("invention_patents", "utility_models", "designs", "trademarks", "copyrights", "software_copyrights")
"""Holdings named on a firm's card."""


@dataclass(frozen=True)
class VisitContext:
    """What the visit part needs once per run."""

    store: Store
    visits: pd.DataFrame
    """The visit records the viewer may see."""
    today: dt.date
    months: int
    firms: FirmVisits
    """Each firm the viewer sees, with its visits."""


def visit_context(data: LoadedData) -> VisitContext | None:
    """The visits of the store shown (``None`` on a folder: visits live in a store)."""
    store = data.store
    if store is None:
        return None
    today = visit_today(store.info("demo_today"))
    log = Visits(store).current()
    firms = seen.firm_visit_table(data.engine, log, today)
    return VisitContext(store=store, visits=seen.seen_visits(data.engine, log), today=today,
                        months=reminder_months(), firms=firms)


def sorted_firms(firms: pd.DataFrame, ctx: VisitContext, how: str) -> pd.DataFrame:
    """``firms`` (firm-table rows) in the order ``how`` of :data:`SORTS`."""
    table = ctx.firms.table.loc[firms.index]
    never = table["last_visit"].to_numpy() == ""
    if how == "due":
        follow = table["follow_up"].replace("", "9999-12-31")
        order = follow.sort_values(kind="stable").index
    elif how == "targets":
        without = ~firms["has_ip"].fillna(False).to_numpy(dtype=bool)
        key = pd.DataFrame({"w": ~without, "d": table["last_visit"].to_numpy()}, index=firms.index)
        order = key.sort_values(["w", "d"], kind="stable").index
    else:  # never visited first, then the longest ago
        key = pd.DataFrame({"n": ~never, "d": table["last_visit"].to_numpy()}, index=firms.index)
        order = key.sort_values(["n", "d"], kind="stable").index
    return firms.loc[order]


def _label(row: pd.Series, visit: pd.Series) -> str:
    last = visit["last_visit"] or "从未走访"
    follow = f" · 回访 {visit['follow_up']}" if visit["follow_up"] else ""
    target = "" if bool(pd.notna(row["has_ip"]) and row["has_ip"]) else "【培育】"
    return f"{target}{text_of(row['name'])} · {last}{follow}"


def show_reminders(data: LoadedData, ctx: VisitContext, firms: pd.DataFrame, who: str) -> None:
    """The reminders line, and their list in an expander."""
    due = reminders(ctx.firms, firms, ctx.months)
    overdue = int((due["reason"] == "回访逾期").sum())
    never = int((due["reason"] == "从未走访").sum())
    stale = len(due) - overdue - never
    line = (f":red[**回访逾期 {overdue} 家**]　超过 {ctx.months} 个月未走访 {stale} 家　从未走访 {never} 家"
            if len(due) else "没有逾期的回访，也没有久未走访的企业。")
    st.markdown(line, help=f"回访逾期：上次走访定的回访日期已过；提醒期限 {ctx.months} 个月"
                           "（IPGRID_VISIT_REMINDER_MONTHS）")
    if len(due):
        with st.expander(f"提醒（{len(due)}）", icon=":material/notifications:"):
            ui.show_table(due, key=f"{PAGE}.reminders", file_name=f"{who}_走访提醒",
                          labels={"name": "企业名称", "reason": "提醒"},
                          meta=ui.meta_rows(data, ("网格专员", who), ("统计日", ctx.today.isoformat())))


def visit_section(data: LoadedData, ctx: VisitContext, who: str, firms: pd.DataFrame) -> None:
    """Reminders, then the firm to work on: its card, its last visits and the form."""
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    show_reminders(data, ctx, firms, who)
    if not len(firms):
        return
    how = ui.bind(PAGE, "sort", "stale", options=list(SORTS))
    st.radio("排序", list(SORTS), key=how.key, format_func=ui.label_of(SORTS), horizontal=True)
    ordered = sorted_firms(firms, ctx, str(how.value))
    labels = {int(i): _label(ordered.loc[i], ctx.firms.table.loc[i]) for i in ordered.index}
    choice = st.selectbox("选择企业", list(labels), format_func=ui.label_of(labels), key=f"{PAGE}.visit.firm",
                          index=None, placeholder="点选一家企业，查看情况并记录走访")
    if choice is None or int(choice) not in labels:  # a stale or planted choice is no firm of this list
        return
    firm_card(data, ctx, who, int(choice))


def firm_card(data: LoadedData, ctx: VisitContext, who: str, index: int) -> None:
    """One firm: what it holds, its last visits, and the 记录走访 form (for those who may record)."""
    row = data.engine.firm_table().loc[index]
    visit = ctx.firms.table.loc[index]
    held = "、".join(f"{METRICS[k].label} {METRICS[k].format(row[k])}" for k in HOLDINGS
                     if (pd.to_numeric(pd.Series([row[k]]), errors="coerce").fillna(0) > 0).iloc[0]) \
        or "暂无有效知识产权（培育对象）"
    st.markdown(f"**{ui.md_text(text_of(row['name']))}**　{ui.md_text(text_of(row['industry']))}　"
                f"网格 {ui.md_text(text_of(row['grid_id']))}\n\n{ui.md_text(held)}")
    status = STATUS_LABELS[str(visit["visit_status"])]
    follow = FOLLOW_UP_LABELS[str(visit["follow_up_status"])]
    extra = f"　·　{follow} {visit['follow_up']}" if follow else ""
    st.caption(f"{status}（{format_number(visit['visits'])} 次）{extra}")
    mine = ctx.visits[ctx.visits["firm_key"] == visit["firm_key"]].sort_values(["visit_date", "visit_id"],
                                                                               ascending=False)
    for _, past in mine.head(3).iterrows():
        needs = f"　需求：{past['needs']}" if past["needs"] else ""
        back = f"　回访：{past['follow_up']}" if past["follow_up"] else ""
        st.markdown(f"- {past['visit_date']} {ui.md_text(past['kind'])}（{ui.md_text(past['commissioner'])}）"
                    f"{ui.md_text(needs)}{ui.md_text(back)}　{ui.md_text(past['outcome'])}")
    if may(data.scope.role, "record_visits"):
        visit_form(data, ctx, who, index)
        own = mine if data.scope.role == "admin" else mine[mine["commissioner"] == data.scope.commissioner]
        if len(own):
            edit_form(data, ctx, own.iloc[0])


def edit_form(data: LoadedData, ctx: VisitContext, past: pd.Series) -> None:
    """修改 or 删除 the latest own visit to this firm: a new revision each time, the old ones kept."""
    visit_id = int(past["visit_id"])
    with st.expander(f"修改或删除 {past['visit_date']} 的走访记录", icon=":material/edit:"), \
            st.form(f"{PAGE}.visit.edit.{visit_id}", border=False):
        given = visit_fields(ctx, past)
        left, right = st.columns(2)
        saved = left.form_submit_button("保存修改", icon=":material/save:")
        dropped = right.form_submit_button("删除这条记录", icon=":material/delete:")
    if saved or dropped:
        change_visit(data, ctx, past, given, delete=bool(dropped))


def change_visit(data: LoadedData, ctx: VisitContext, past: pd.Series, given: VisitInput, *, delete: bool) -> None:
    """Write the new revision of ``past`` after the server-side checks (own visit, firm still in scope)."""
    if data.scope.role == "commissioner" and past["commissioner"] != data.scope.commissioner:
        st.error("网格专员只能修改本人的走访", icon=":material/block:")
        return
    if seen.seen_visits(data.engine, ctx.visits[ctx.visits["visit_id"] == past["visit_id"]]).empty:
        st.error("这条走访记录不在您可见的范围内", icon=":material/block:")
        return
    record = VisitRecord(firm_key=str(past["firm_key"]), firm_name=str(past["firm_name"]), uscc=str(past["uscc"]),
                         commissioner=str(past["commissioner"]), visit_date=str(given.day), kind=given.kind,
                         needs=given.needs, outcome=given.outcome, note=given.note,
                         follow_up=str(given.follow) if given.follow else "", source=str(past["source"]))
    try:
        Visits(ctx.store).edit(int(past["visit_id"]), record, by=current_viewer().name, today=ctx.today,
                               delete=delete)
    except (VisitError, IpgridError) as exc:
        st.error(ui.md_text(exc), icon=":material/error:")
        return
    st.session_state[DONE] = f"已{'删除' if delete else '修改'}：{record.firm_name} {past['visit_date']} 的走访记录。"
    st.rerun()


def visit_fields(ctx: VisitContext, past: pd.Series | None = None) -> VisitInput:
    """The fields of a visit, empty for a new one (today, 走访) or filled with ``past`` (to correct it)."""
    def day_of(text: object) -> dt.date | None:
        return dt.date.fromisoformat(str(text)) if text else None

    kind_default = VISIT_KINDS[0] if past is None else (past["kind"] if past["kind"] in VISIT_KINDS else None)
    day = st.date_input("走访日期", value=ctx.today if past is None else day_of(past["visit_date"]),
                        max_value=ctx.today, format="YYYY-MM-DD")
    kind = st.segmented_control("方式", VISIT_KINDS, default=kind_default)
    needs = st.pills("需求", VISIT_NEEDS, selection_mode="multi",
                     default=[] if past is None else [n for n in str(past["needs"]).split("、") if n in VISIT_NEEDS])
    outcome = st.text_input("情况", value="" if past is None else str(past["outcome"]), max_chars=500,
                            placeholder="如：讲解了发明专利申请，企业有意向")
    note = st.text_area("备注", value="" if past is None else str(past["note"]), max_chars=2000, height=68)
    follow = st.date_input("回访日期（可不填）", value=None if past is None else day_of(past["follow_up"]),
                           min_value=ctx.today if past is None else None, format="YYYY-MM-DD")
    return VisitInput(day, kind or VISIT_KINDS[0], tuple(needs or ()), outcome, note, follow)


def visit_form(data: LoadedData, ctx: VisitContext, who: str, index: int) -> None:
    """记录走访: date prefilled (today), 走访 by default; saved by one press of 保存走访."""
    with st.form(f"{PAGE}.visit.form.{index}", clear_on_submit=True, border=True):
        st.markdown("**记录走访**")
        given = visit_fields(ctx)
        saved = st.form_submit_button("保存走访", type="primary", icon=":material/save:", width="stretch")
    if saved:
        save_visit(data, ctx, who, index, given)


@dataclass(frozen=True)
class VisitInput:
    """What the form gave."""

    day: object
    kind: str
    needs: tuple[str, ...]
    outcome: str
    note: str
    follow: object


def save_visit(data: LoadedData, ctx: VisitContext, who: str, index: int, given: VisitInput) -> None:
    """Check on the server that this viewer may record it, then record it (or say why not)."""
    viewer = current_viewer()
    commissioner = data.scope.commissioner if data.scope.role == "commissioner" else who
    refused = seen.may_record(data.scope, data.engine, index, commissioner)
    if refused:
        st.error(refused, icon=":material/block:")
        return
    key, name, uscc = seen.firm_key_of(data.engine, index)
    record = VisitRecord(firm_key=key, firm_name=name, uscc=uscc, commissioner=commissioner,
                         visit_date=str(given.day), kind=given.kind, needs=given.needs, outcome=given.outcome,
                         note=given.note, follow_up=str(given.follow) if given.follow else "")
    try:
        Visits(ctx.store).add(record, by=viewer.name, today=ctx.today)
    except (VisitError, IpgridError) as exc:
        st.error(ui.md_text(exc), icon=":material/error:")
        return
    st.session_state[DONE] = f"已记录：{name} {record.visit_date} {record.kind}。"
    st.rerun()


def visit_list(ctx: VisitContext, firms: pd.DataFrame, who: str, meta: list[tuple[str, str]]) -> None:
    """The visits of these firms, newest first, downloadable."""
    keys = set(ctx.firms.table.loc[firms.index, "firm_key"])
    shown = ctx.visits[ctx.visits["firm_key"].isin(keys)].sort_values(["visit_date", "visit_id"], ascending=False)
    ui.show_table(shown, key=f"{PAGE}.visits", columns=VISIT_LIST_COLUMNS, labels=VISIT_LABELS,
                  file_name=f"{who}_走访记录", meta=meta)


def with_visits(firms: pd.DataFrame, ctx: VisitContext) -> pd.DataFrame:
    """``firms`` with their last visit, number of visits and follow-up (for the lists)."""
    table = ctx.firms.table.loc[firms.index]
    out = firms.copy()
    out["last_visit"] = table["last_visit"]
    out["visits"] = table["visits"]
    out["follow_up"] = table["follow_up"]
    return out


def weekly_sheet_button(data: LoadedData, ctx: VisitContext | None, who: str) -> None:
    """下载本周走访清单（PDF）: the printable sheet of this week's visits, made only when clicked (audited)."""
    from dashboard.access.audit import audited
    from dashboard.exports.visits import visit_sheet_pdf

    engine = data.engine
    firms = ctx.firms if ctx is not None else None
    day = ctx.today if ctx is not None else visit_today()
    stamp = (len(ctx.visits), int(ctx.visits["visit_id"].max()) if len(ctx.visits) else 0) if ctx is not None else ()

    def make() -> bytes:
        return engine.memo(("weekly-sheet", who, day.isoformat(), stamp),
                           lambda: visit_sheet_pdf(engine, who, firms, today=day), volatile=True)

    name = f"{safe_file_name(who)}_本周走访清单_{day.isoformat()}.pdf"
    st.download_button("下载本周走访清单（PDF）", data=audited("export", name, make), file_name=name,
                       mime="application/pdf", key=f"{PAGE}.weekly", on_click="ignore", icon=":material/print:",
                       help="A4 横向：网格地图、逾期和到期的回访在前、留有记录栏，打印后带去走访")
