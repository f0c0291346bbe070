"""Visits by hand: a five-firm district, two versions, four visits — every figure of engine/visits.py written out.

The district is ``store_helpers.write_grid_folder``: 甲一 甲二 in G1 and 乙一 in
G2 (张三), 丙一 in G3 (李四), 丙二 in G4 (nobody).  Version 2025-06-30 as
written (甲二 holds nothing); version 2025-12-31 gives 甲二 its first invention.
The day of the figures is 2026-01-15 (its quarter starts 2026-01-01).

Visits:

====  ========  ==========  ====  ======================================================
V1    甲二      2025-08-01  张三  no IP in the version in force (2025-06-30); IP at 2025-12-31
V2    甲一      2025-12-20  张三  follow-up 2026-01-05: overdue on 2026-01-15
V3    丙一      2026-01-10  李四  follow-up 2026-01-20: due (within 7 days)
V4    乙一      2025-05-01  张三  before the first version: says nothing of the effect
====  ========  ==========  ====  ======================================================
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from store_helpers import import_folder, store_env, with_first_invention, write_grid_folder

from dashboard.access import visits as seen
from dashboard.access.scope import Scope, scoped
from dashboard.engine import Engine
from dashboard.engine.visits import firm_visits, months_before, reminders, visits_by_month
from dashboard.store import Store
from dashboard.store.visits import VisitError, VisitRecord, Visits

__all__ = ["store_env"]

TODAY = dt.date(2026, 1, 15)




@pytest.fixture
def district(tmp_path: Path) -> tuple[Store, list[tuple[str, Engine]]]:
    """The store with both versions and the four visits; (store, history)."""
    location = str(tmp_path / "s.gpkg")
    import_folder(location, write_grid_folder(tmp_path / "q2"), "2025-06-30")
    import_folder(location, with_first_invention(write_grid_folder(tmp_path / "q4")), "2025-12-31")
    store = Store(location)
    history = [(v.as_of, Engine(store.open_bundle(v))) for v in store.active_versions()]
    engine = history[-1][1]
    keys = dict(zip(engine.firm_table()["name"], seen.firm_visit_table(engine, Visits(store).current(), TODAY)
                    .table["firm_key"], strict=True))

    def visit(name: str, day: str, who: str, follow: str = "", **extra: object) -> VisitRecord:
        return VisitRecord(firm_key=keys[name], firm_name=name, commissioner=who, visit_date=day, follow_up=follow,
                           **extra)  # type: ignore[arg-type]

    Visits(store).add_many([visit("甲二", "2025-08-01", "张三", needs=("专利申请",)),
                            visit("甲一", "2025-12-20", "张三", "2026-01-05", kind="电话"),
                            visit("丙一", "2026-01-10", "李四", "2026-01-20"),
                            visit("乙一", "2025-05-01", "张三")], by="test", today=TODAY)
    return store, history


def by_name(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(engine.firm_table().loc[frame.index, "name"])


def test_each_firms_last_visit_and_follow_up(district: tuple[Store, list[tuple[str, Engine]]]) -> None:
    store, history = district
    engine = history[-1][1]
    table = by_name(engine, firm_visits(engine, Visits(store).current(), TODAY, history).table)
    assert table.loc[["甲一", "甲二", "乙一", "丙一", "丙二"], "last_visit"].tolist() == [
        "2025-12-20", "2025-08-01", "2025-05-01", "2026-01-10", ""]
    assert table["visit_status"].to_dict() == {"甲一": "earlier", "甲二": "earlier", "乙一": "earlier",
                                               "丙一": "this_quarter", "丙二": "never"}
    assert table["follow_up_status"].to_dict() == {"甲一": "overdue", "甲二": "", "乙一": "", "丙一": "due", "丙二": ""}
    assert table["visited_90d"].to_dict() == {"甲一": True, "甲二": False, "乙一": False, "丙一": True, "丙二": False}
    assert table.loc["甲一", "days_since"] == 26 and pd.isna(table.loc["丙二", "days_since"])
    assert table["visited_without_ip"].to_dict() == {"甲一": False, "甲二": True, "乙一": False, "丙一": False,
                                                     "丙二": False}
    assert table["first_ip_after_visit"].sum() == 1 and bool(table.loc["甲二", "first_ip_after_visit"])
    assert table.loc["甲二", "last_needs"] == "专利申请" and table.loc["甲一", "last_kind"] == "电话"


def test_area_figures_by_hand(district: tuple[Store, list[tuple[str, Engine]]]) -> None:
    store, history = district
    engine = history[-1][1]
    log = Visits(store).current()
    whole = seen.area_visits(engine, log, TODAY, "district", history).iloc[0]
    assert (whole["enterprises"], whole["visited_90d"], whole["cultivation_targets"],
            whole["cultivation_visited_90d"], whole["overdue_followups"], whole["visited_without_ip"],
            whole["first_ip_after_visit"]) == (5, 2, 1, 0, 1, 1, 1)
    assert whole["visited_rate_90d"] == pytest.approx(0.4) and whole["cultivation_visited_rate_90d"] == 0
    assert whole["first_ip_after_visit_rate"] == 1.0
    towns = seen.area_visits(engine, log, TODAY, "town", history).set_index("name")
    assert towns["visited_rate_90d"].tolist() == [0.5, 0.0, 0.5]  # 甲镇 (甲一 of 2), 乙镇, 丙街道 (丙一 of 2)
    assert towns["overdue_followups"].tolist() == [1, 0, 0]
    assert towns["cultivation_targets"].tolist() == [0, 0, 1] and pd.isna(towns.loc["甲镇",
                                                                                   "cultivation_visited_rate_90d"])
    people = seen.commissioner_visits(engine, log, TODAY, history).set_index("name")
    assert people.loc["张三", ["enterprises", "visited_90d", "overdue_followups", "first_ip_after_visit"]].tolist() \
        == [3, 1, 1, 1]
    assert people.loc["李四", ["enterprises", "visited_90d", "overdue_followups"]].tolist() == [1, 1, 0]


def test_reminders_and_months(district: tuple[Store, list[tuple[str, Engine]]]) -> None:
    store, history = district
    engine = history[-1][1]
    got = firm_visits(engine, Visits(store).current(), TODAY)
    due = reminders(got, engine.firm_table(), 6)
    assert due["name"].tolist() == ["甲一", "丙二", "乙一"]  # overdue first, then never, then the oldest
    assert due["reason"].tolist() == ["回访逾期", "从未走访", "超过 6 个月未走访"]
    assert months_before(TODAY, 6) == dt.date(2025, 7, 15)
    months = visits_by_month(Visits(store).current(), TODAY)
    assert months["month"].tolist() == ["2025-05", "2025-08", "2025-12", "2026-01"]
    assert months["visits"].tolist() == [1, 1, 1, 1]


def test_edits_keep_their_history_and_deleting_withdraws(district: tuple[Store, list[tuple[str, Engine]]]) -> None:
    store, _ = district
    visits = Visits(store)
    log = visits.current()
    first = log[log["firm_name"] == "甲一"].iloc[0]
    record = VisitRecord(firm_key=first["firm_key"], firm_name="甲一", commissioner="张三", visit_date="2025-12-20",
                         kind="电话", follow_up="2026-02-01", outcome="改约二月")
    visits.edit(int(first["visit_id"]), record, by="张三", today=TODAY)
    now = visits.current()
    assert now.loc[now["firm_name"] == "甲一", "follow_up"].tolist() == ["2026-02-01"]
    assert visits.history(int(first["visit_id"]))["revision"].tolist() == [1, 2]
    visits.edit(int(first["visit_id"]), record, by="admin", today=TODAY, delete=True)
    assert "甲一" not in set(visits.current()["firm_name"])
    assert visits.history(int(first["visit_id"]))["status"].tolist() == ["active", "active", "deleted"]
    actions = store.audit_log()["action"].tolist()
    assert actions[-3:] == ["visit_add", "visit_edit", "visit_delete"]


@pytest.mark.parametrize(("change", "words"), [
    ({"visit_date": "2099-01-01"}, "晚于今天"),
    ({"visit_date": "2025-13-01"}, "不是日期"),
    ({"kind": "上门"}, "走访方式「上门」"),
    ({"needs": ("专利申请", "贷款")}, "需求「贷款」"),
    ({"follow_up": "2025-01-01"}, "早于走访日期"),
    ({"commissioner": " "}, "走访人"),
])
def test_a_bad_record_is_refused_and_nothing_written(district: tuple[Store, list[tuple[str, Engine]]],
                                                     change: dict[str, object], words: str) -> None:
    store, _ = district
    good = {"firm_key": "name:丙二", "firm_name": "丙二", "commissioner": "张三", "visit_date": "2025-12-01"}
    before = Visits(store).stamp()
    with pytest.raises(VisitError, match=words):
        Visits(store).add_many([VisitRecord(**good),  # type: ignore[arg-type]
                                VisitRecord(**{**good, **change})], by="test", today=TODAY)  # type: ignore[arg-type]
    assert Visits(store).stamp() == before  # all or nothing


def test_what_each_scope_sees_and_may_record(district: tuple[Store, list[tuple[str, Engine]]]) -> None:
    store, history = district
    engine = history[-1][1]
    log = Visits(store).current()
    zhang, li = scoped(engine, Scope("commissioner", "张三")), scoped(engine, Scope("commissioner", "李四"))
    assert sorted(seen.seen_visits(zhang, log)["firm_name"]) == ["乙一", "甲一", "甲二"]
    assert seen.seen_visits(li, log)["firm_name"].tolist() == ["丙一"]
    assert len(seen.seen_visits(scoped(engine, Scope("kiosk")), log)) == 0
    assert len(seen.seen_visits(scoped(engine, Scope("leader", contacts=False)), log)) == 4
    table = engine.firm_table()
    at = {n: int(i) for i, n in zip(table.index, table["name"], strict=True)}
    assert seen.may_record(zhang.scope, zhang, at["甲一"], "张三") is None  # type: ignore[attr-defined]
    assert "不在您负责的网格内" in str(seen.may_record(Scope("commissioner", "张三"), zhang, at["丙一"], "张三"))
    assert "本人" in str(seen.may_record(Scope("commissioner", "张三"), zhang, at["甲一"], "李四"))
    assert "只有网格专员和管理员" in str(seen.may_record(Scope("leader"), engine, at["甲一"], "张三"))
    assert seen.may_record(Scope("admin"), engine, at["丙一"], "李四") is None  # an admin enters for anyone
    # the figures are everyone's: a commissioner's view counts every firm of every town
    assert seen.area_visits(li, log, TODAY, "town", history).equals(seen.area_visits(engine, log, TODAY, "town",
                                                                                     history))


def test_reminders_per_commissioner_are_counts(district: tuple[Store, list[tuple[str, Engine]]]) -> None:
    store, history = district
    engine = history[-1][1]
    people = seen.commissioner_reminders(scoped(engine, Scope("commissioner", "李四")), Visits(store).current(),
                                         TODAY, 6).set_index("name")
    # 张三: 甲一 overdue, 乙一 last visited 2025-05-01 (> 6 months); 李四: 丙一 visited, follow-up not yet due
    assert people.loc["张三", ["enterprises", "overdue", "stale", "never"]].tolist() == [3, 1, 1, 0]
    assert people.loc["李四", ["enterprises", "overdue", "stale", "never"]].tolist() == [1, 0, 0, 0]
