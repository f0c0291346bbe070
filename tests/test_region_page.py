"""The 全部区县 page (AppTest) on a store of three districts, and on a store of one.

The store holds ``scale_helpers.write_city``'s three districts, each imported
with ``--district``; every figure is the hand count of that module's
docstring: 东区 5 firms (4 with IP), 北区 3 (2), 西区 3 (2) — 11 firms, 8 with
IP, coverage 8/11 = 72.7 % (from the sums, not the mean of 80 %, 66.7 %,
66.7 %, which would be 71.1 %); 6 inventions.  Ranked by firms (the engine's
rule: equal values share the best place, ties ordered by name), 东区 is first
and 北区 and 西区 share second place, 北区 (U+5317) before 西区 (U+897F).
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import folium
import openpyxl
import pandas as pd
import pytest
import streamlit
from access_helpers import recorded_downloads
from scale_helpers import DISTRICTS, write_city
from store_helpers import import_folder
from streamlit.testing.v1 import AppTest

from dashboard.app_data import DATA_ENV, DISTRICT_KEY, STORE_ENV, data_store, region_data
from dashboard.maps.region import region_map
from dashboard.pages import BY_KEY, region
from dashboard.pages.region import ONE_DISTRICT
from dashboard.store.demo import demo_store
from dashboard.theme import NO_DATA
from loaders.errors import EngineInputError

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT_S = 120
REGION = BY_KEY["region"]
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def city_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The three districts imported into one GeoPackage store (once per module), shown by the app."""
    root = tmp_path_factory.mktemp("region")
    folders = write_city(root / "folders")
    store = root / "city.gpkg"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPGRID_STORE_BACKUPS", "0")
        for name in DISTRICTS:
            import_folder(str(store), folders[name], "2025-12-31", "--district", name)
        patch.setenv(STORE_ENV, str(store))
        patch.delenv(DATA_ENV, raising=False)
        data_store().clear()
        yield store
    data_store().clear()


def open_region() -> AppTest:
    """The app opened on the 全部区县 page."""
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    at.switch_page(REGION.file).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def region_page(city_store: Path) -> AppTest:
    """One run of the app on the 全部区县 page, shared by the tests that only read it."""
    return open_region()


@pytest.fixture
def menus(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """Title → visibility of the pages of every ``st.navigation`` call (the menu of each run)."""
    made: list[dict[str, str]] = []
    real = streamlit.navigation

    def recording(pages: list[Any], **kwargs: Any) -> Any:
        made.append({p.title: p.visibility for p in pages})
        return real(pages, **kwargs)

    monkeypatch.setattr(streamlit, "navigation", recording)
    return made


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """File name → bytes of every workbook a download button of the run would give (made at once)."""
    return recorded_downloads(monkeypatch)


def metric_values(at: AppTest) -> dict[str, str]:
    """Label → shown value of every key-figure card."""
    return {m.label: m.value for m in at.metric}


def ranking_table(at: AppTest) -> pd.DataFrame:
    """The one table with a 排名 column."""
    (found,) = [d.value for d in at.dataframe if "排名" in d.value.columns]
    return found


def test_region_kpis_are_the_sums_and_the_ratio_of_the_sums(region_page: AppTest) -> None:
    assert [t.value for t in region_page.title] == ["全部区县（3 个）"]
    shown = metric_values(region_page)
    assert shown["企业数（家）"] == "11"
    assert shown["有知识产权企业数（家）"] == "8"
    assert shown["知识产权覆盖率"] == "72.7%"  # 8 / 11, not the districts' mean 71.1 %
    assert shown["有效发明专利（件）"] == "6"
    assert len(shown) == 6
    assert any("不是各区县比率的平均" in c.value for c in region_page.caption)


def test_ranking_by_firms_puts_east_first_and_the_tie_by_name(region_page: AppTest) -> None:
    table = ranking_table(region_page)
    assert table["区县"].tolist() == ["东区", "北区", "西区"]
    assert table["排名"].tolist() == [1, 2, 2]  # 3 and 3 share second place
    assert table["企业数（家）"].tolist() == [5, 3, 3]
    assert table["有知识产权企业数（家）"].tolist() == [4, 2, 2]
    assert table["数据截至"].tolist() == ["2025-12-31"] * 3
    assert list(table.columns[:3]) == ["排名", "区县", "企业数（家）"]
    labels = [b.proto.label for b in region_page.get("download_button")]
    assert "下载 Excel" in labels


def test_the_ranking_downloads_as_a_workbook_that_says_what_it_holds(city_store: Path,
                                                                      downloads: dict[str, bytes]) -> None:
    open_region()
    data = downloads["区县排名_企业数.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("排名", "区县", "企业数（家）") and rows[0][-1] == "数据截至"
    assert [r[:3] for r in rows[1:]] == [(1, "东区", 5), (2, "北区", 3), (2, "西区", 3)]
    notes = dict(r[:2] for r in book["说明"].iter_rows(values_only=True))
    assert notes["范围"] == "全部 3 个区县"
    assert notes["数据截至"] == "东区 2025-12-31；北区 2025-12-31；西区 2025-12-31"
    assert notes["排序指标"] == "企业数（家）"


def test_the_map_draws_the_three_districts_with_a_legend(region_page: AppTest) -> None:
    (component,) = region_page.get("component_instance")
    script = json.loads(component.proto.json_args)["script"]
    for name in DISTRICTS:  # the district's name is its id (what a click reports) and its tooltip title
        assert f'{{"id":"{name}","c":' in script and f'"t":["{name}",' in script, name
    assert '"kind":"district"' in script
    assert '"title":"企业数（家）"' in script  # the legend's title, with the unit
    assert "分级：自然断点" in script
    assert "tileLayer" not in script  # no basemap chosen: nothing from the network


def map_layers(fmap: folium.Map) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the region map sends to the browser: (area layer data, legend data)."""
    layers = [c for c in fmap._children.values() if hasattr(c, "data_json")]  # noqa: SLF001 - folium's tree
    area = next(json.loads(c.data_json) for c in layers if type(c).__name__ == "AreaLayer")
    legend = next(json.loads(c.data_json) for c in layers if type(c).__name__ == "Legend")
    return area, legend


def test_region_map_colours_by_the_metric_and_says_when_a_value_is_missing(city_store: Path) -> None:
    districts = region_data(str(city_store)).districts.copy()  # a copy: the shared rows stay as they are
    districts.loc[districts["district"] == "西区", "ip_coverage_rate"] = float("nan")
    districts.loc[districts["district"] == "北区", "district"] = XSS
    fmap = region_map(districts, "ip_coverage_rate", "quantiles", 3, selected="东区")
    area, legend = map_layers(fmap)
    assert area["kind"] == "district" and area["selected"] == "东区"
    assert [p["id"] for p in area["props"]] == ["东区", XSS, "西区"]
    assert [p["t"] for p in area["props"]] == [["东区", "80.0%", "5 家"], [XSS, "66.7%", "3 家"], ["西区", "—", "3 家"]]
    assert area["props"][2]["c"] == NO_DATA and len(area["shapes"]) == 3
    assert legend["title"] == "知识产权覆盖率" and legend["entries"][-1][1] == "无数据"
    html = fmap.get_root().render()
    assert XSS not in html  # a name from data stays data: escaped in the JSON, written as text by the layer
    assert "tileLayer" not in html  # no basemap chosen: nothing from the network
    with pytest.raises(EngineInputError, match="gi_names"):
        region_map(districts, "gi_names")


def test_picking_a_district_opens_its_overview(city_store: Path) -> None:
    at = open_region()
    at.selectbox(key="region.open").set_value("北区").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[DISTRICT_KEY] == "北区"
    assert at.selectbox(key=DISTRICT_KEY).value == "北区"
    assert at.title[0].value.startswith("北区")  # 总览 of 北区
    assert metric_values(at)["企业数（家）"] == "3"
    assert at.query_params.get("district") in ("北区", ["北区"])


def test_a_click_on_a_district_opens_it_and_a_click_elsewhere_does_nothing(monkeypatch: pytest.MonkeyPatch
                                                                           ) -> None:
    state: dict[str, Any] = {}
    monkeypatch.setattr(streamlit, "session_state", state)
    state[region.MAP_KEY] = {"last_active_drawing": {"properties": {"id": "town-1", "kind": "town"}}}
    region.on_map_click()
    assert region.GOTO not in state and DISTRICT_KEY not in state
    state[region.MAP_KEY] = {"last_active_drawing": {"properties": {"id": "西区", "kind": "district"}}}
    region.on_map_click()
    assert state[region.GOTO] == state[DISTRICT_KEY] == "西区"


def test_the_sidebar_offers_every_district_and_the_menu_the_page(city_store: Path,
                                                                  menus: list[dict[str, str]]) -> None:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert list(at.sidebar.selectbox(key=DISTRICT_KEY).options) == list(DISTRICTS)
    assert menus[-1][REGION.title] == "visible"


def test_one_district_store_hides_the_page_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         menus: list[dict[str, str]]) -> None:
    copy = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_store(), copy)
    monkeypatch.setenv(STORE_ENV, str(copy))
    monkeypatch.delenv(DATA_ENV, raising=False)
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert menus[-1][REGION.title] == "hidden" and menus[-1]["总览"] == "visible"
    assert DISTRICT_KEY not in [s.key for s in at.sidebar.selectbox]
    at.switch_page(REGION.file).run()  # opened by its address all the same: it says why there is nothing
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["全部区县（1 个）"]
    assert [i.value for i in at.info if i.value.startswith(ONE_DISTRICT)]
    (link,) = [link for link in at.get("page_link") if link.proto.label == "查看总览"]
    overview = at._registered_pages[link.proto.page_script_hash]  # noqa: SLF001 - AppTest resolves hashes only
    assert overview["page_name"] == "总览"
    assert not at.dataframe and not at.metric and not at.get("component_instance")


def test_a_commissioner_opens_on_their_own_district_and_sees_only_their_cells(
        city_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from access_helpers import login, open_page
    from store_helpers import run_cli

    store = tmp_path / "city.gpkg"
    shutil.copy(city_store, store)
    password = "north-cells-2025"
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    code, _, err = run_cli("user", "add", "wangbei", "--role", "commissioner", "--commissioner", "王北",
                           "--password-stdin", "--store", store)
    assert code == 0, err
    monkeypatch.setenv(STORE_ENV, str(store))
    data_store().clear()
    at = login(AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run(), "wangbei", password)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[DISTRICT_KEY] == "北区"  # 王北's cells are in 北区, not in the store's first district
    at = open_page(at, "my_grid")
    shown = json.dumps([str(getattr(e, "value", "")) for e in at.dataframe], ensure_ascii=False)
    assert "北二科技有限公司" in shown  # in G1 of 北区, 王北's cell
    assert "北一科技有限公司" not in shown and "东一" not in shown  # G2 of 北区 is 赵北's; 东区 is not theirs
    data_store().clear()
