"""Pages over a store's history: figures since the last version, trends, 我的网格's 本季度变化, 专员分配, 统计年份.

The store is a copy of the demo store (four quarters); every figure is
checked against the CLI on the same store, worked out independently.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from fixture_files import three_towns, to_lonlat, write_csv, write_xlsx
from streamlit.testing.v1 import AppTest

from dashboard.app_data import DATA_ENV, STORE_ENV, data_store
from dashboard.cli import main
from dashboard.store import Store
from dashboard.store.demo import demo_store

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT_S = 120


def run_json(argv: list[str]) -> object:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return json.loads(out.getvalue())


@pytest.fixture
def store_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ipgrid.gpkg"
    shutil.copy(demo_store(), path)
    monkeypatch.setenv(STORE_ENV, str(path))
    monkeypatch.delenv(DATA_ENV, raising=False)
    data_store().clear()
    return path


def open_app(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    at.query_params.update(params)
    at.run()
    if page != "overview":
        at.switch_page(f"dashboard/pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def town_figures(store: Path, as_of: str, town: str) -> dict[str, float]:
    rows = run_json(["stats", str(store), "--as-of", as_of, "--level", "town", "--json"])
    assert isinstance(rows, list)
    return next(r for r in rows if r["name"] == town)


def test_town_page_shows_change_since_last_version_and_trend(store_copy: Path) -> None:
    at = open_app("town")
    town = at.selectbox(key="town.area")
    name = town.format_func(town.value)
    now, before = town_figures(store_copy, "2025-12-31", name), town_figures(store_copy, "2025-09-30", name)
    firms = next(m for m in at.metric if m.label == "企业数（家）")
    change = int(now["enterprises"] - before["enterprises"])
    sign = "+" if change > 0 else ("-" if change < 0 else "")
    assert firms.proto.delta == (f"{sign}{abs(change)}" if change else "0")
    assert firms.proto.delta_description == "较 2025-09-30"
    history = [town_figures(store_copy, d, name)["enterprises"]
               for d in ("2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31")]
    assert list(firms.proto.chart_data) == history  # the sparkline: the town's firms in every version
    assert "各季度趋势" in [s.value for s in at.subheader]
    trend = next(df.value for df in at.dataframe if "数据截至" in df.value.columns)
    assert trend["数据截至"].tolist() == ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]


def test_an_earlier_version_has_a_shorter_trend_and_its_own_change(store_copy: Path) -> None:
    at = open_app("town", asof="2025-06-30")
    assert at.selectbox(key="app.asof").value == "2025-06-30"
    trend = next(df.value for df in at.dataframe if "数据截至" in df.value.columns)
    assert trend["数据截至"].tolist() == ["2025-03-31", "2025-06-30"]
    assert all(m.proto.delta_description == "较 2025-03-31" for m in at.metric)


def test_the_first_version_has_no_change_and_no_trend(store_copy: Path) -> None:
    at = open_app("town", asof="2025-03-31")
    assert all(not m.proto.delta for m in at.metric)
    assert "各季度趋势" not in [s.value for s in at.subheader]


def test_my_grid_lists_first_patents_in_the_commissioners_cells(store_copy: Path) -> None:
    at = open_app("my_grid")
    who = at.selectbox(key="my_grid.commissioner").value
    line = next(m.value for m in at.markdown if m.value.startswith("较 2025-09-30"))
    diff = run_json(["diff", str(store_copy), "--json"])
    assert isinstance(diff, dict)
    store = Store(store_copy)
    from dashboard.engine import Engine

    engine = Engine(store.open_bundle("2025-12-31"))
    mine = engine.firms_of(str(who))
    codes = {str(u) for u in mine["uscc"].dropna()}
    first = [u for u in diff["enterprises"]["first_ip"] if u in codes]
    assert f"**培育成功 {len(first)} 家**" in line
    assert any(t.label.startswith("本季度变化") for t in at.tabs)


def test_assignment_page_changes_the_cells_of_a_commissioner_from_a_date(store_copy: Path) -> None:
    at = open_app("assignments")
    cell = at.selectbox(key="assignments.cell")
    target = cell.options[0]
    cell.set_value(target).run()
    people = at.multiselect(key=f"assignments.who.{target}")
    newcomer = "测试专员"
    people.set_value([])
    at.text_input(key=f"assignments.new.{target}").input(newcomer)
    at.date_input(key=f"assignments.from.{target}").set_value("2025-12-01")
    next(b for b in at.button if b.label == "保存调整").click().run()
    assert not at.exception
    assert at.success and newcomer in at.success[0].value
    cells = run_json(["assignments", str(store_copy), "--as-of", "2025-12-31", "--json"])
    before = run_json(["assignments", str(store_copy), "--as-of", "2025-09-30", "--json"])
    assert isinstance(cells, dict) and isinstance(before, dict)
    assert cells["cells"][target] == [newcomer]
    assert newcomer not in before["cells"][target]
    audit = Store(store_copy).audit_log()
    assert "assign" in set(audit["action"])


def test_year_selector_counts_rights_at_a_years_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "dated"
    root.mkdir()
    three_towns().to_file(root / "镇街.gpkg")
    lon, lat = to_lonlat(500, 500)
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度"], [["甲", lon, lat]], "utf-8-sig")
    (root / "ipgrid.toml").write_text('[enterprises]\ncrs = "WGS-84"\n[district]\ndata_date = "2024-12-31"\n',
                                      encoding="utf-8")
    # one invention granted in 2022 (applied 2020), one in 2023: 1 valid at the end of 2022, 2 at the data date
    write_xlsx(root / "知识产权.xlsx", ["申请号", "申请(专利权)人", "法律状态", "申请日", "授权公告日"], [
        ["202010123456.7", "甲", "有效", "2020-01-02", "2022-05-01"],
        ["202310654321.X", "甲", "有效", "2023-01-02", "2023-08-01"],
    ])
    monkeypatch.setenv(DATA_ENV, str(root))
    monkeypatch.delenv(STORE_ENV, raising=False)
    data_store().clear()
    at = open_app("town")
    year = at.selectbox(key="app.year")
    assert year.options == [year.format_func(o) for o in [0, 2024, 2023, 2022, 2021, 2020]] or len(year.options) == 6
    patents = next(m for m in at.metric if m.label == "有效发明专利（件）")
    assert patents.value == "2"
    year.set_value(2022).run()
    patents = next(m for m in at.metric if m.label == "有效发明专利（件）")
    assert patents.value == "1"
    assert at.query_params.get("year") in ("2022", ["2022"])
