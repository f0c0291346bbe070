"""Visits in the app (AppTest): a commissioner records one in two taps; reminders, sorting, the 走访 page, refusals.

The store is ``access_helpers.accounts_store`` (the four-quarter demo with its
seeded visits — their day is the demo's 2026-01-15 — and one account per
role).  The figures the page shows are checked against the engine's own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from access_helpers import APP_SCRIPT, COMMISSIONER, CREDENTIALS, TIMEOUT_S, accounts_store, errors, login, open_page
from streamlit.testing.v1 import AppTest

from dashboard.access import visits as seen
from dashboard.app_data import DATA_ENV, STORE_ENV
from dashboard.engine import Engine
from dashboard.engine.visits import reminders
from dashboard.store import Store
from dashboard.store.visits import Visits

TODAY = dt.date(2026, 1, 15)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path, _ = accounts_store(tmp_path / "ipgrid.gpkg")
    monkeypatch.setenv(STORE_ENV, str(path))
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "0")
    return path


def my_grid(role: str) -> AppTest:
    at = login(AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run(), *CREDENTIALS[role])
    return open_page(at, "my_grid")


def test_a_commissioner_records_a_visit_in_two_taps(store: Path) -> None:
    engine = Engine(Store(store).open_bundle())
    firms = engine.firms_of(COMMISSIONER)
    before = len(Visits(Store(store)).current())
    at = my_grid("commissioner")
    box = at.selectbox(key="my_grid.visit.firm")
    assert len(box.options) == len(firms)
    target = int(firms.index[0])
    box.set_value(target).run()  # tap 1: the firm
    assert not at.exception
    next(b for b in at.button if b.label == "保存走访").click().run()  # tap 2: save (date prefilled, 走访)
    name = str(engine.firm_table().loc[target, "name"])
    assert [s.value for s in at.success] == [f"已记录：{name} {TODAY.isoformat()} 走访。"]
    log = Visits(Store(store)).current()
    assert len(log) == before + 1
    new = log[log["visit_id"] == log["visit_id"].max()].iloc[0]
    assert (new["firm_name"], new["commissioner"], new["visit_date"], new["kind"], new["entered_by"]) == (
        name, COMMISSIONER, TODAY.isoformat(), "走访", CREDENTIALS["commissioner"][0])
    assert Store(store).audit_log()["action"].iloc[-1] == "visit_add"


def test_reminders_line_is_the_engines(store: Path) -> None:
    s = Store(store)
    engine = Engine(s.open_bundle())
    firms = engine.firms_of(COMMISSIONER)
    due = reminders(seen.firm_visit_table(engine, Visits(s).current(), TODAY), firms, 6)
    overdue = int((due["reason"] == "回访逾期").sum())
    never = int((due["reason"] == "从未走访").sum())
    at = my_grid("commissioner")
    line = next(m.value for m in at.markdown if "回访逾期" in m.value)
    assert f"回访逾期 {overdue} 家" in line and f"从未走访 {never} 家" in line
    assert f"超过 6 个月未走访 {len(due) - overdue - never} 家" in line


def test_sorting_by_follow_up_puts_the_overdue_first(store: Path) -> None:
    at = my_grid("commissioner")
    at.radio(key="my_grid.sort").set_value("due").run()
    first = at.selectbox(key="my_grid.visit.firm").options[0]
    assert "回访 2025-" in first or "回访 2026-01-0" in first  # the earliest follow-up date: past the 15th


def test_a_planted_firm_outside_the_cells_gets_no_form(store: Path) -> None:
    engine = Engine(Store(store).open_bundle())
    outside = engine.firm_table().index.difference(engine.firms_of(COMMISSIONER).index)[0]
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    at.session_state["my_grid.visit.firm"] = int(outside)  # before the widget exists: as a forged session would
    login(at.run(), *CREDENTIALS["commissioner"])
    open_page(at, "my_grid")
    assert not at.exception
    assert not any(b.label == "保存走访" for b in at.button)
    assert str(engine.firm_table().loc[outside, "name"]) not in " ".join(m.value for m in at.markdown)


def test_a_leader_reads_but_does_not_record(store: Path) -> None:
    at = my_grid("leader")
    firms = Engine(Store(store).open_bundle()).firms_of(at.selectbox(key="my_grid.commissioner").value)
    at.selectbox(key="my_grid.visit.firm").set_value(int(firms.index[0])).run()
    assert not at.exception
    assert not any(b.label == "保存走访" for b in at.button)


def test_the_visits_page_figures_are_the_engines(store: Path) -> None:
    s = Store(store)
    history = [(v.as_of, Engine(s.open_bundle(v))) for v in s.active_versions()]
    whole = seen.area_visits(history[-1][1], Visits(s).current(), TODAY, "district", history).iloc[0]
    at = login(AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run(), *CREDENTIALS["leader"])
    open_page(at, "visits")
    assert not at.exception and not errors(at)
    cards = {m.label: m.value for m in at.metric}
    assert cards["近 90 天走访率"] == f"{whole['visited_rate_90d'] * 100:.1f}%"
    assert cards["回访逾期企业数"] == f"{int(whole['overdue_followups']):,} 家"
    assert cards["走访后培育成功率"] == f"{whole['first_ip_after_visit_rate'] * 100:.1f}%"
    assert whole["first_ip_after_visit"] > 0  # the demo's visits do show an effect
    records = next(d.value for d in at.dataframe if "走访日期" in d.value.columns and "录入人" in d.value.columns)
    assert len(records) == len(Visits(s).current())


def test_a_commissioner_corrects_then_deletes_their_visit(store: Path) -> None:
    engine = Engine(Store(store).open_bundle())
    target = int(engine.firms_of(COMMISSIONER).index[1])
    at = my_grid("commissioner")
    at.selectbox(key="my_grid.visit.firm").set_value(target).run()
    next(b for b in at.button if b.label == "保存走访").click().run()
    visits = Visits(Store(store))
    new_id = int(visits.current()["visit_id"].max())
    edit_outcome = [t for t in at.text_input if t.label == "情况"][-1]  # the edit form comes after the new one
    edit_outcome.input("改为：电话回访确认需求")
    next(b for b in at.button if b.label == "保存修改").click().run()
    assert any("已修改" in s.value for s in at.success)
    assert visits.history(new_id)["revision"].tolist() == [1, 2]
    assert visits.current().set_index("visit_id").loc[new_id, "outcome"] == "改为：电话回访确认需求"
    next(b for b in at.button if b.label == "删除这条记录").click().run()
    assert new_id not in set(visits.current()["visit_id"])
    assert visits.history(new_id)["status"].tolist() == ["active", "active", "deleted"]
