"""The big screen's 网格走访 frame: the engine's visit figures, for stores with visits only, naming no firm.

The small district is ``store_helpers.write_grid_folder`` (甲一 甲二 in 甲镇,
乙一 in 乙镇, 丙一 丙二 in 丙街道) in two versions: 2025-06-30 as written and
2025-12-31 where 甲二 holds its first invention.  The day of the figures is
2026-01-15 (``IPGRID_TODAY``).  Visits, as in ``tests/test_visits.py``:

====  ========  ==========  ============================================================
V1    甲二      2025-08-01  without IP in the version in force, IP at 2025-12-31: an effect
V2    甲一      2025-12-20  follow-up 2026-01-05: overdue on 2026-01-15
V3    丙一      2026-01-10  follow-up 2026-01-20: not yet due
V4    乙一      2025-05-01  before the first version: says nothing of the effect
====  ========  ==========  ============================================================

By hand: 2 of 5 firms visited in the last 90 days (甲一, 丙一): 40.0%; the one
cultivation target (丙二) not visited: 0.0%; one overdue follow-up (甲一); one
firm visited without IP (甲二) and it has IP since: 100.0%.  Towns: 甲镇 1 of 2,
丙街道 1 of 2 (50.0% each, both first), 乙镇 0 of 1 (0.0%, third).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from store_helpers import import_folder, store_env, with_first_invention, write_grid_folder
from test_bigscreen import IFRAME, RESOLUTIONS, Screen, kiosk_server

from dashboard.access.settings import TODAY_ENV
from dashboard.bigscreen import data, settings
from dashboard.bigscreen.data import VISITS_MARK, KioskSource, SnapshotStore, build_snapshot
from dashboard.bigscreen.visits import VISIT_FIGURES, VISIT_MONTHS, month_bars
from dashboard.engine import Engine
from dashboard.engine.catalog import cell_text, value_text
from dashboard.engine.changes import firm_keys
from dashboard.engine.metrics import METRICS
from dashboard.engine.visits import area_visit_table, firm_visits, visits_by_month
from dashboard.store import Store
from dashboard.store.demo import demo_store
from dashboard.store.visits import VisitRecord, Visits

__all__ = ["store_env"]

ROOT = Path(__file__).resolve().parents[1]
METRIC = settings.DEFAULT_TOWN_METRIC
TODAY = dt.date(2026, 1, 15)
FIRMS = ("甲一", "甲二", "乙一", "丙一", "丙二")
PEOPLE = ("张三", "李四")
PRIVATE = ("约定带代理机构上门", "联系人王五 13800000009")
"""An outcome and a note of a visit: they stay in the store."""




@pytest.fixture(autouse=True)
def visit_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TODAY_ENV, TODAY.isoformat())
    monkeypatch.delenv(settings.ASOF_ENV, raising=False)


@pytest.fixture
def bare_store(tmp_path: Path) -> Path:
    """The small district's two versions, no visit yet."""
    location = tmp_path / "store" / "ipgrid.gpkg"
    import_folder(str(location), write_grid_folder(tmp_path / "q2"), "2025-06-30")
    import_folder(str(location), with_first_invention(write_grid_folder(tmp_path / "q4")), "2025-12-31")
    return location


def firm_key(store: Store, name: str) -> str:
    table = Engine(store.open_bundle()).firm_table()
    return str(dict(zip(table["name"], firm_keys(table), strict=True))[name])


def visit(store: Store, name: str, day: str, who: str, follow: str = "", **extra: object) -> VisitRecord:
    return VisitRecord(firm_key=firm_key(store, name), firm_name=name, commissioner=who, visit_date=day,
                       follow_up=follow, **extra)  # type: ignore[arg-type]


@pytest.fixture
def visited_store(bare_store: Path) -> Path:
    """:func:`bare_store` with the four visits of the module docstring."""
    store = Store(bare_store)
    Visits(store).add_many([visit(store, "甲二", "2025-08-01", "张三", needs=("专利申请",)),
                            visit(store, "甲一", "2025-12-20", "张三", "2026-01-05", kind="电话",
                                  outcome=PRIVATE[0], note=PRIVATE[1]),
                            visit(store, "丙一", "2026-01-10", "李四", "2026-01-20"),
                            visit(store, "乙一", "2025-05-01", "张三")], by="test", today=TODAY)
    return bare_store


def payload_of(source: KioskSource | Path) -> dict:
    """The document the kiosk draws for ``source`` (read now, not cached)."""
    source = data.as_source(source)
    return json.loads(build_snapshot(source, source.signature(), METRIC).payload_json)


def engine_tables(location: Path) -> tuple[Engine, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(latest engine, visit log, district row table, town table) recomputed here from the engine."""
    store = Store(location)
    history = [(v.as_of, Engine(store.open_bundle(v))) for v in store.active_versions()]
    engine = history[-1][1]
    log = Visits(store).current()
    seen = firm_visits(engine, log, TODAY, history)
    return engine, log, area_visit_table(engine, seen, "district"), area_visit_table(engine, seen, "town")


# --------------------------------------------------------------------------- the figures


def test_district_figures_are_the_engines(visited_store: Path) -> None:
    frame = payload_of(KioskSource.store(visited_store))["visits"]
    _, _, district, _ = engine_tables(visited_store)
    row = district.iloc[0]
    figures = frame["figures"]
    assert [f["key"] for f in figures] == list(VISIT_FIGURES)
    assert [f["label"] for f in figures] == [METRICS[k].label for k in VISIT_FIGURES]
    assert [f["label"] for f in figures] == ["近 90 天走访率", "培育对象走访率", "回访逾期企业数", "走访后培育成功率"]
    assert [f["number"] for f in figures] == pytest.approx([float(row[k]) for k in VISIT_FIGURES])
    assert [f["number"] for f in figures] == pytest.approx([0.4, 0.0, 1, 1.0])  # by hand (module docstring)
    assert [f["value"] + f["unit"] for f in figures] == ["40.0%", "0.0%", "1家", "100.0%"]
    assert [f["value"] for f in figures] == [cell_text(k, row[k]) for k in VISIT_FIGURES]
    assert [f["tone"] for f in figures] == ["info", "info", "bad", "info"]
    assert (frame["day"], frame["period"], frame["title"]) == ("2026-01-15", "统计日 2026-01-15",
                                                               "网格走访（统计日 2026-01-15）")


def test_towns_are_coloured_and_ranked_by_the_engines_rate(visited_store: Path) -> None:
    doc = payload_of(KioskSource.store(visited_store))
    frame = doc["visits"]
    engine, _, _, towns = engine_tables(visited_store)
    rate = dict(zip(towns["name"], towns["visited_rate_90d"], strict=True))
    ranking = frame["ranking"]
    assert [(r["name"], r["rank_label"], r["value"]) for r in ranking] == [
        ("丙街道", "1", "50.0%"), ("甲镇", "1", "50.0%"), ("乙镇", "3", "0.0%")]  # a tie shares the place
    assert {r["name"]: r["rate"] for r in ranking} == pytest.approx(rate)
    assert [r["value"] for r in ranking] == [value_text("visited_rate_90d", rate[r["name"]]) for r in ranking]
    assert [r["share"] for r in ranking] == [1.0, 1.0, 0.0]
    features = doc["towns"]["features"]
    assert all(features[r["feature"]]["name"] == r["name"] for r in ranking)
    assert len(frame["fills"]) == len(features)
    fills = {features[i]["name"]: f["fill"] for i, f in enumerate(frame["fills"])}
    assert fills["甲镇"] == fills["丙街道"] != fills["乙镇"]
    assert {e["color"] for e in frame["legend"]} >= set(fills.values())
    assert frame["legend_title"] == "近 90 天走访率" and frame["ranking_title"] == "近 90 天走访率"
    assert len(engine.choropleth("town")) == 3


def test_visits_per_month_are_the_engines(visited_store: Path) -> None:
    frame = payload_of(KioskSource.store(visited_store))["visits"]
    _, log, _, _ = engine_tables(visited_store)
    months = frame["months"]
    assert len(months) == VISIT_MONTHS
    assert [m["month"] for m in months] == ["2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07",
                                            "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]
    assert [m["label"] for m in months][:2] == ["2月", "3月"] and months[-1]["label"] == "1月"
    per_month = visits_by_month(log, TODAY).set_index("month")["visits"]
    assert {m["month"]: m["count"] for m in months if m["count"]} == {k: int(v) for k, v in per_month.items()}
    assert [m["count"] for m in months] == [0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1]
    assert max(m["share"] for m in months) == 1.0
    assert frame["months_title"] == "每月走访次数（2025-02 至 2026-01）"


def test_month_bars_without_visits_in_the_window() -> None:
    empty = pd.DataFrame({"visit_id": [1], "firm_key": ["k"], "visit_date": ["2020-05-01"]})
    bars = month_bars(empty, TODAY)
    assert [b["count"] for b in bars] == [0] * VISIT_MONTHS and all(b["share"] == 0.0 for b in bars)


# --------------------------------------------------------------------------- when there is a frame


def test_no_frame_for_a_folder(tmp_path: Path) -> None:
    folder = write_grid_folder(tmp_path / "folder")
    assert payload_of(KioskSource.folder(folder))["visits"] is None
    assert all(item[0] != VISITS_MARK for item in KioskSource.folder(folder).signature())


def test_no_frame_for_a_store_without_visits(bare_store: Path) -> None:
    source = KioskSource.store(bare_store)
    assert source.signature() == (("@version", 2, 1), (VISITS_MARK, 0, 20260115))
    doc = payload_of(source)
    assert doc["visits"] is None and doc["changes"] is not None


def kiosk_on(monkeypatch: pytest.MonkeyPatch, store: Path) -> Any:
    """An AppTest of ``kiosk.py`` on ``store`` with the kiosk's settings at their defaults (not yet run)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("IPGRID_STORE", str(store))
    monkeypatch.delenv("IPGRID_DATA", raising=False)
    for name in settings.ENV.values():
        monkeypatch.delenv(name, raising=False)
    return AppTest.from_file(str(ROOT / "kiosk.py"), default_timeout=120)


def test_kiosk_document_names_no_firm(monkeypatch: pytest.MonkeyPatch, visited_store: Path) -> None:
    """The whole kiosk document (the AppTest's iframe): the 网格走访 frame, and no firm, person or note."""

    at = kiosk_on(monkeypatch, visited_store)
    at.run()
    assert not at.exception
    frames = at.get("iframe")
    assert len(frames) == 1
    doc = str(frames[0].proto.srcdoc)
    assert "网格走访（统计日 2026-01-15）" in doc and "每月走访次数" in doc and "甲镇" in doc
    log = Visits(Store(visited_store)).current()
    secrets = [*FIRMS, *PEOPLE, *PRIVATE, *log["firm_key"], *log["firm_name"], *log["commissioner"]]
    assert [s for s in secrets if s in doc] == []


def test_demo_store_frame_names_no_firm() -> None:
    """The four-quarter demo store's ~1,000 visits: none of their firms, codes or commissioners is in the document."""
    store = Store(demo_store())
    log = Visits(store).current()
    assert len(log) > 500
    snap = build_snapshot(KioskSource.store(demo_store()), (), METRIC)
    text = json.loads(snap.payload_json)
    frame = text["visits"]
    assert frame["title"] == "网格走访（统计日 2026-01-15）" and len(frame["ranking"]) == 16
    whole = json.dumps(text, ensure_ascii=False)
    names = {str(v) for column in ("firm_name", "commissioner", "uscc", "outcome", "note") for v in log[column]
             if len(str(v)) >= 2}
    leaked = [n for n in names if n in whole and n not in (t["name"] for t in text["towns"]["features"])]
    assert leaked == []


# --------------------------------------------------------------------------- polling


def test_recording_a_visit_changes_the_payload_on_the_next_poll(visited_store: Path) -> None:
    source = KioskSource.store(visited_store)
    kept = SnapshotStore()
    before = source.signature()
    first = kept.load(source, before, METRIC)
    assert before[1][:2] == (VISITS_MARK, 4)
    store = Store(visited_store)
    Visits(store).add(visit(store, "丙二", "2026-01-14", "李四"), by="test", today=TODAY)
    after = source.signature()
    assert after != before and after[0] == before[0]  # the same version: only the visit log changed
    second = kept.load(source, after, METRIC)
    assert second is not first and second.signature == after
    figures = {f["key"]: f["number"] for f in json.loads(second.payload_json)["visits"]["figures"]}
    assert figures["visited_rate_90d"] == pytest.approx(0.6)  # 3 of 5
    assert figures["cultivation_visited_rate_90d"] == pytest.approx(1.0)  # 丙二 was the one target
    assert kept.load(source, after, METRIC) is second  # nothing new: not read again

    last = int(Visits(store).current()["visit_id"].max())
    Visits(store).edit(last, visit(store, "丙二", "2026-01-14", "李四"), by="test", today=TODAY, delete=True)
    assert source.signature() not in (before, after)  # a deletion is a new revision too
    figures = {f["key"]: f["number"] for f in payload_of(source)["visits"]["figures"]}
    assert figures["visited_rate_90d"] == pytest.approx(0.4)


def test_apptest_kiosk_reloads_after_a_visit(monkeypatch: pytest.MonkeyPatch, bare_store: Path) -> None:
    """The first visit recorded: the frame appears within two looks (as after an import)."""

    at = kiosk_on(monkeypatch, bare_store)
    at.run()
    assert not at.exception
    assert '"visits":null' in str(at.get("iframe")[0].proto.srcdoc)
    store = Store(bare_store)
    Visits(store).add(visit(store, "丙二", "2026-01-14", "李四"), by="test", today=TODAY)
    for _ in range(3):  # one look sees the change, the next (unchanged) loads it
        at.run()
        assert not at.exception
        if "网格走访（统计日" in str(at.get("iframe")[0].proto.srcdoc):
            break
    doc = str(at.get("iframe")[0].proto.srcdoc)
    assert "网格走访（统计日 2026-01-15）" in doc and "丙二" not in doc and "李四" not in doc


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def visits_kiosk_url(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """``streamlit run kiosk.py`` on a copy of the demo store (its day of the figures: 2026-01-15)."""
    folder = tmp_path_factory.mktemp("kiosk-visits")
    path = folder / "ipgrid.gpkg"
    shutil.copyfile(demo_store(), path)
    with kiosk_server({"IPGRID_STORE": str(path)}, folder / "streamlit.log") as url:
        yield url


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), RESOLUTIONS)
def test_visits_frame_follows_the_changes(browser, visits_kiosk_url: str, screenshot_dir: Path,  # noqa: ANN001
                                          width: int, height: int) -> None:
    screen = Screen(browser, visits_kiosk_url, width, height)
    try:
        screen.page.keyboard.press("Space")
        for _ in range(25):
            if screen.kiosk("window.kiosk.view") == "visits":
                break
            screen.page.keyboard.press("ArrowRight")
        assert screen.kiosk("window.kiosk.index") == 2  # district, 本季度变化, 网格走访
        assert screen.kiosk("document.getElementById('view-name').textContent") == "网格走访（统计日 2026-01-15）"
        shown = screen.kiosk("Array.from(document.querySelectorAll('.panel'))"
                             ".filter(p => getComputedStyle(p).display !== 'none').map(p => p.id)")
        assert shown == ["panel-visits"]
        figures = screen.kiosk("""Array.from(document.querySelectorAll('#panel-visits .change-figure')).map(f => ({
            label: f.querySelector('.change-label').textContent,
            px: parseFloat(getComputedStyle(f.querySelector('b')).fontSize)}))""")
        assert [f["label"] for f in figures] == [METRICS[k].label for k in VISIT_FIGURES]
        assert all(f["px"] >= 48 * height / 1080 for f in figures)
        assert screen.kiosk("document.querySelectorAll('#panel-visits .row').length") == 16
        assert screen.kiosk("document.querySelectorAll('#visit-months .month').length") == VISIT_MONTHS
        screen.page.wait_for_timeout(1200)  # the map's fly-to
        boxes = screen.kiosk("""['#visit-months', '.legend[data-view="visits"]'].map(s => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom]; })""")
        (a, b) = boxes
        assert a[0] > b[2] or b[0] > a[2] or a[1] > b[3] or b[1] > a[3], boxes  # months and legend apart
        clipped = screen.kiosk("""Array.from(document.querySelectorAll('#panel-visits *, #visit-months *'))
            .filter(n => { const r = n.getBoundingClientRect();
              const box = n.closest('.side, .map-wrap').getBoundingClientRect();
              return r.height > 0 && (r.bottom > box.bottom + 1 || r.right > box.right + 1); }).length""")
        assert clipped == 0
        assert screen.kiosk("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == \
            [width, height]
        screen.page.screenshot(path=str(screenshot_dir / f"bigscreen-{width}x{height}-visits.png"))
        assert screen.page.locator(IFRAME).count() == 1 and screen.errors == []
    finally:
        screen.close()
