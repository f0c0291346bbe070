"""Every page of the app, run headless with Streamlit's AppTest: figures from the engine, widgets, URL state."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import FORMULA_NAME, XSS_NAME
from streamlit.testing.v1 import AppTest

import loaders
from dashboard.app_data import DATA_ENV, DEFAULT_DATA_FOLDER, data_folder, folder_signature
from dashboard.engine import Engine
from dashboard.engine.metrics import METRICS
from dashboard.pages import PAGES
from dashboard.theme import DEMO_BADGE
from dashboard.ui import to_xlsx

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT_S = 120
PAGE_KEYS = [p.key for p in PAGES]


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def demo_engine() -> Engine:
    return Engine(loaders.load_folder(DEFAULT_DATA_FOLDER))


@pytest.fixture(scope="module")
def faulty_engine(faulty_app_folder: Path) -> Engine:
    return Engine(loaders.load_folder(faulty_app_folder))


def open_page(monkeypatch: pytest.MonkeyPatch, folder: Path | None, page: str = "overview",
              **params: str) -> AppTest:
    """Run the app on ``folder`` (None: the demo), on ``page``, with URL ``params``."""
    if folder is None:
        monkeypatch.delenv(DATA_ENV, raising=False)
    else:
        monkeypatch.setenv(DATA_ENV, str(folder))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    if page == "overview":
        at.query_params.update(params)
        return at.run()
    at.run()
    at.switch_page(f"dashboard/pages/{page}.py")
    at.query_params.clear()
    at.query_params.update(params)
    return at.run()


def unescape(markdown: str) -> str:
    """Text of markdown written with ``md_text`` (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def page_text(at: AppTest) -> str:
    kinds = ("title", "subheader", "markdown", "caption", "info", "warning", "success")
    parts = [e.value for kind in kinds for e in getattr(at, kind)]
    return unescape("\n".join(str(p) for p in parts))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str, nth: int = 0) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) > nth, f"no table with column {column!r}; tables: {[list(d.value.columns) for d in at.dataframe]}"
    return found[nth]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def kpi_label(key: str) -> str:
    m = METRICS[key]
    return f"{m.label}（{m.unit}）" if m.unit and m.unit != "%" else m.label


def kpi_value(key: str, value: object) -> str:
    m = METRICS[key]
    text = m.format(value)
    return text[: -len(m.unit) - 1] if m.unit and m.unit != "%" else text


def area_id(engine: Engine, level: str, name: str) -> str:
    table = engine.stats(level)
    return str(table.loc[table["name"] == name, "id"].iloc[0])


# --------------------------------------------------------------------------- every page


@pytest.mark.parametrize("page", PAGE_KEYS)
def test_every_page_runs_on_the_demo_and_is_labelled(monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    at = open_page(monkeypatch, None, page)
    assert_clean(at)
    assert at.title, "every page has a title"
    assert DEMO_BADGE in "\n".join(m.value for m in at.markdown), "示例数据 badge on every page of the demo"
    assert "数据截至" in page_text(at)


@pytest.mark.parametrize("page", PAGE_KEYS)
def test_every_page_runs_on_a_folder_with_faults(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path,
                                                 page: str) -> None:
    at = open_page(monkeypatch, faulty_app_folder, page)
    assert_clean(at)
    assert DEMO_BADGE not in "\n".join(m.value for m in at.markdown)
    if page != "data":
        # rejected rows: a banner with a link to 数据, never a traceback
        assert at.warning and "2 个错误" not in at.warning[0].value
        assert "1 个错误" in at.warning[0].value and "数据" in at.warning[0].value
        assert any(link.proto.page.endswith("data") or "问题清单" in link.proto.label
                   for link in at.get("page_link"))


def test_default_folder_is_the_packaged_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.chdir("/")
    assert data_folder() == DEFAULT_DATA_FOLDER
    assert DEFAULT_DATA_FOLDER.is_absolute() and DEFAULT_DATA_FOLDER.is_dir()


# --------------------------------------------------------------------------- 总览


def test_overview_kpis_are_the_engines(monkeypatch: pytest.MonkeyPatch, demo_engine: Engine) -> None:
    at = open_page(monkeypatch, None)
    assert_clean(at)
    district = demo_engine.stats("district").iloc[0]
    shown = metrics(at)
    for key in ("enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
                "high_value_per_10k_pop"):
        assert shown[kpi_label(key)] == kpi_value(key, district[key]), key
    assert shown[kpi_label("enterprises")] == f"{int(district['enterprises']):,}"
    # the 2025 target beside the figure
    deltas = {m.label: m.proto.delta for m in at.metric}
    assert "2025 年目标 18 件" in deltas[kpi_label("high_value_per_10k_pop")]
    # pledge financing is summed in 万元 and targeted in 亿元: the card shows it in the target's unit
    assert shown["质押融资金额（亿元）"] == f"{district['pledge_amount_wan'] / 10000:,.2f}"
    pledge = deltas["质押融资金额（亿元）"]
    assert pledge.startswith("2025 年目标 ") and pledge.endswith(" 亿元")


def test_overview_metric_and_level_change_the_ranking(monkeypatch: pytest.MonkeyPatch,
                                                      demo_engine: Engine) -> None:
    at = open_page(monkeypatch, None)
    ranking = table_with(at, "排名")
    towns = demo_engine.choropleth("town")
    top = towns.sort_values("enterprises", ascending=False).iloc[0]
    assert ranking.iloc[0]["名称"] == top["name"]
    assert ranking.iloc[0]["企业数（家）"] == top["enterprises"]

    at.selectbox(key="overview.metric").set_value("invention_patents").run()
    assert_clean(at)
    ranking = table_with(at, "排名")
    top = towns.sort_values("invention_patents", ascending=False).iloc[0]
    assert ranking.iloc[0]["名称"] == top["name"]
    assert ranking.columns[2] == "有效发明专利（件）"
    assert "镇街 · 有效发明专利（件）" in page_text(at)
    assert at.query_params.get("metric") in ("invention_patents", ["invention_patents"])

    at.selectbox(key="overview.level").set_value("park").run()
    assert_clean(at)
    ranking = table_with(at, "排名")
    assert set(ranking["名称"]) == set(demo_engine.choropleth("park")["name"])


def test_overview_opens_the_chosen_town(monkeypatch: pytest.MonkeyPatch, demo_engine: Engine) -> None:
    at = open_page(monkeypatch, None)
    town = demo_engine.stats("town").iloc[3]
    at.selectbox(key="overview.open").set_value(str(town["id"])).run()
    assert_clean(at)
    assert at.title[0].value == town["name"]
    assert at.selectbox(key="town.area").value == str(town["id"])


def test_overview_reads_its_state_from_the_url(monkeypatch: pytest.MonkeyPatch, demo_engine: Engine) -> None:
    at = open_page(monkeypatch, None, metric="trademarks", scheme="quantiles", k="4", level="park",
                   layers="towns,gi_areas")
    assert_clean(at)
    assert at.selectbox(key="overview.metric").value == "trademarks"
    assert at.selectbox(key="overview.scheme").value == "quantiles"
    assert at.select_slider(key="overview.k").value == 4
    assert at.selectbox(key="overview.level").value == "park"
    assert at.multiselect(key="overview.layers").value == ["towns", "gi_areas"]
    assert "园区 · 有效注册商标（件）" in page_text(at)


def test_overview_ignores_bad_url_values(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(monkeypatch, None, metric="<script>", k="99", level="nowhere", layers="x,towns")
    assert_clean(at)
    assert at.selectbox(key="overview.metric").value == "enterprises"
    assert at.select_slider(key="overview.k").value == 5
    assert at.selectbox(key="overview.level").value == "town"
    assert at.multiselect(key="overview.layers").value == ["towns"]


# --------------------------------------------------------------------------- 镇街 / 园区


def test_town_page_shows_the_towns_figures(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path,
                                           faulty_engine: Engine) -> None:
    jia = area_id(faulty_engine, "town", "甲镇")
    at = open_page(monkeypatch, faulty_app_folder, "town", area=jia)
    assert_clean(at)
    assert at.title[0].value == "甲镇"
    row = faulty_engine.stats("town").set_index("name").loc["甲镇"]
    shown = metrics(at)
    assert shown[kpi_label("enterprises")] == f"{int(row['enterprises'])}" == "4"
    assert shown[kpi_label("invention_patents")] == kpi_value("invention_patents", row["invention_patents"])
    firms = table_with(at, "企业名称")
    expected = faulty_engine.firm_table().query("town == '甲镇'")
    assert sorted(firms["企业名称"]) == sorted(expected["name"])
    assert XSS_NAME in set(firms["企业名称"])  # shown as text, as it is
    assert "第 1 / 3 名" in page_text(at)  # 甲镇 has the most firms


def test_town_filters_narrow_the_table(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path,
                                       faulty_engine: Engine) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "town", area=area_id(faulty_engine, "town", "甲镇"))
    firms = faulty_engine.firm_table().query("town == '甲镇'")
    at.selectbox(key="town.ip").set_value("without").run()
    assert_clean(at)
    shown = table_with(at, "企业名称")
    assert sorted(shown["企业名称"]) == sorted(firms.loc[~firms["has_ip"], "name"])
    assert at.query_params.get("ip") in ("without", ["without"])
    at.selectbox(key="town.ip").set_value("all")
    at.multiselect(key="town.industry").set_value(["高端纺织"]).run()
    shown = table_with(at, "企业名称")
    assert sorted(shown["企业名称"]) == sorted(firms.loc[firms["industry"] == "高端纺织", "name"])


def test_town_search_finds_by_name_and_credit_code(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path,
                                                  faulty_engine: Engine) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "town", area=area_id(faulty_engine, "town", "甲镇"), q="纺织")
    assert_clean(at)
    shown = table_with(at, "企业名称")
    assert list(shown["企业名称"]) == ["甲纺织公司"]
    focus = [s for s in at.selectbox if s.label.startswith("定位到")]
    assert focus and focus[0].value == int(faulty_engine.firm_table().query("name == '甲纺织公司'").index[0])
    # a firm of another town: the page says where it is and links there
    at.text_input(key="town.q").set_value("乙汽车").run()
    assert_clean(at)
    assert "乙镇" in page_text(at)
    assert any("乙镇" in link.proto.label for link in at.get("page_link"))


def test_park_page_uses_park_names_when_codes_are_missing(monkeypatch: pytest.MonkeyPatch,
                                                          faulty_app_folder: Path, faulty_engine: Engine) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "park", area="B园")
    assert_clean(at)
    assert at.title[0].value == "B园"
    assert at.selectbox(key="park.area").options == ["A园", "B园"]
    b = faulty_engine.stats("park").set_index("name").loc["B园"]
    assert metrics(at)[kpi_label("enterprises")] == str(int(b["enterprises"])) == "1"
    assert list(table_with(at, "企业名称")["企业名称"]) == ["乙汽车公司"]


def test_area_selector_changes_the_page(monkeypatch: pytest.MonkeyPatch, demo_engine: Engine) -> None:
    at = open_page(monkeypatch, None, "town")
    towns = demo_engine.stats("town")
    last = towns.iloc[15]
    at.selectbox(key="town.area").set_value(str(last["id"])).run()
    assert_clean(at)
    assert at.title[0].value == last["name"]
    assert metrics(at)[kpi_label("enterprises")] == f"{int(last['enterprises']):,}"
    assert at.query_params.get("area") in (str(last["id"]), [str(last["id"])])


# --------------------------------------------------------------------------- 我的网格


def test_my_grid_lists_the_commissioners_cells_and_firms(monkeypatch: pytest.MonkeyPatch,
                                                         faulty_app_folder: Path, faulty_engine: Engine) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "my_grid", commissioner="张三")
    assert_clean(at)
    firms = faulty_engine.firm_table()
    mine = firms[firms["grid_id"].isin(["G1", "G2"])]
    text = page_text(at)
    assert f"**2** 个网格　**{len(mine)}** 家企业" in "\n".join(m.value for m in at.markdown)
    targets = table_with(at, "最近服务站点")
    assert sorted(targets["企业名称"]) == sorted(mine.loc[~mine["has_ip"], "name"])
    assert "未分配专员的网格（1 个）" in text or any("未分配专员的网格（1 个）" in e.proto.label for e in at.expander)
    unassigned = [d.value for d in at.dataframe if "网格编号" in d.value.columns and "企业数（家）" in d.value.columns]
    assert any(list(t["网格编号"]) == ["G4"] for t in unassigned)

    at.selectbox(key="my_grid.commissioner").set_value("李四").run()
    assert_clean(at)
    li = firms[firms["grid_id"] == "G3"]
    assert f"**1** 个网格　**{len(li)}** 家企业" in "\n".join(m.value for m in at.markdown)


# --------------------------------------------------------------------------- 服务站点, 地理标志, 指标


def test_service_page_uncovered_and_suggested_sites(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path,
                                                    faulty_engine: Engine) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "service", sites="2")
    assert_clean(at)
    uncovered = faulty_engine.uncovered_firms()
    assert metrics(at)["未覆盖企业"] == f"{len(uncovered)} 家"
    assert sorted(table_with(at, "企业名称")["企业名称"]) == sorted(uncovered["name"])
    sites = faulty_engine.suggest_sites(2)
    shown = table_with(at, "新增覆盖企业（家）")
    assert list(shown["新增覆盖企业（家）"]) == list(sites["gain"])
    at.slider(key="service.sites").set_value(1).run()
    assert len(table_with(at, "新增覆盖企业（家）")) == len(faulty_engine.suggest_sites(1))


def test_gi_page_lists_authorised_users(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "gi")
    assert_clean(at)
    assert "甲乙大米" in page_text(at)
    users = table_with(at, "主导产业")
    assert list(users["企业名称"]) == ["甲纺织公司", "乙汽车公司", "外地米业公司"]
    assert users.set_index("企业名称").loc["甲纺织公司", "所在镇街"] == "甲镇"
    # not in the enterprise list: an empty cell, never the text "None"
    assert users.set_index("企业名称").loc["外地米业公司", "所在镇街"] == ""


def test_indicators_page_progress_and_targets(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path,
                                              faulty_engine: Engine) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "indicators")
    assert_clean(at)
    targets = faulty_engine.targets().set_index("key")
    table = table_with(at, "完成进度").set_index("指标")
    pledge = targets.loc["pledge_financing_yi"]
    assert table.loc[pledge["label"], "最新值"] == pledge["latest"] == 21
    assert table.loc[pledge["label"], "目标值"] == 20
    assert table.loc[pledge["label"], "完成进度"] == pytest.approx(21 / 20)
    bars = [p.proto.text for p in at.get("progress")]
    assert "完成进度 105%" in bars and "完成进度 67%" in bars
    assert "按趋势可达标" in page_text(at) and "按趋势难以达标" in page_text(at)
    # 质押融资 is above its 2025 target in 2024: on track, not yet 达标 (the target year has not come)
    assert metrics(at)["已达标"] == "0 项" and metrics(at)["按趋势可达标"] == "1 项"


# --------------------------------------------------------------------------- 数据


def test_data_page_problems_with_row_numbers(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path,
                                            faulty_engine: Engine) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "data")
    assert_clean(at)
    problems = table_with(at, "行号")
    expected = faulty_engine.problems.to_frame()
    assert list(problems["行号"]) == list(expected["row"]) == [8, 9, 10]
    assert list(problems["级别"]) == ["错误", "警告", "警告"]
    assert "问题清单（1 个错误，2 条警告）" in page_text(at)
    at.selectbox(key="data.severity").set_value("error").run()
    assert list(table_with(at, "行号")["行号"]) == [8]
    layers = table_with(at, "导入")
    assert layers.set_index("图层").loc["企业", "行数"] == 10
    assert layers.set_index("图层").loc["企业", "导入"] == 9
    assert str(faulty_app_folder) in "\n".join(c.value for c in at.code)


def test_data_page_switches_folder_and_back(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path) -> None:
    monkeypatch.setenv("IPGRID_DATA_ROOTS", str(faulty_app_folder.parent))  # the 数据 page opens folders in the roots
    at = open_page(monkeypatch, None, "data")
    assert DEMO_BADGE in "\n".join(m.value for m in at.markdown)
    at.text_input(key="data.folder.path").input(str(faulty_app_folder))
    next(b for b in at.button if b.label == "读取此文件夹").click().run()
    assert_clean(at)
    assert str(faulty_app_folder) in "\n".join(c.value for c in at.code)
    assert DEMO_BADGE not in "\n".join(m.value for m in at.markdown)
    next(b for b in at.button if b.label == "恢复默认文件夹").click().run()
    assert DEMO_BADGE in "\n".join(m.value for m in at.markdown)


def test_reload_button_reads_the_folder_again(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path) -> None:
    at = open_page(monkeypatch, faulty_app_folder, "data")
    before = "\n".join(c.value for c in at.caption if c.value.startswith("读取于"))
    next(b for b in at.button if b.label == "重新读取").click().run()
    assert_clean(at)
    after = "\n".join(c.value for c in at.caption if c.value.startswith("读取于"))
    assert before and after and list(table_with(at, "行号")["行号"]) == [8, 9, 10]


def test_basemap_choice_in_the_sidebar(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(monkeypatch, None)
    at.radio(key="basemap.kind").set_value("custom").run()
    assert any("自定义瓦片地址应以" in c.value for c in at.caption)  # no URL yet: told what to enter
    at.text_input(key="basemap.url").input("http://10.0.0.8/tiles/{z}/{x}/{y}.png")
    at.selectbox(key="basemap.system").set_value("GCJ-02").run()
    assert_clean(at)
    assert any("底图瓦片从上述地址加载" in c.value for c in at.caption)
    assert "tk" not in at.query_params and "tiles" not in at.query_params  # never in the URL
    at.switch_page("dashboard/pages/town.py").run()
    assert at.radio(key="basemap.kind").value == "custom"  # the choice follows the user


def test_changed_files_are_read_again(monkeypatch: pytest.MonkeyPatch, xss_folder: Path) -> None:
    at = open_page(monkeypatch, xss_folder)
    assert metrics(at)[kpi_label("enterprises")] == "3"
    with (xss_folder / "企业.csv").open("a", encoding="utf-8") as out:
        out.write("丁企业,120.95,32.05,0\n")
    at.run()
    assert_clean(at)
    assert metrics(at)[kpi_label("enterprises")] == "4"


def test_loading_reports_progress(faulty_app_folder: Path) -> None:
    from dashboard.app_data import load

    steps: list[tuple[str, float]] = []
    data = load(faulty_app_folder, folder_signature(faulty_app_folder), lambda text, f: steps.append((text, f)))
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any(text.startswith("读取图层：企业") for text, _ in steps)
    assert any(text.startswith("计算：") for text, _ in steps)
    assert data.engine.firm_table() is data.engine.firm_table()  # memoised, shared


# --------------------------------------------------------------------------- broken folders


def _break_towns(folder: Path) -> None:
    (folder / "镇街.geojson").write_text("这不是 GeoJSON", encoding="utf-8")


def _drop_towns(folder: Path) -> None:
    (folder / "镇街.geojson").unlink()


def _bad_config(folder: Path) -> None:
    (folder / "ipgrid.toml").write_text("[district\nname = ", encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (None, "不存在"),
        (_break_towns, "镇街.geojson"),
        (_drop_towns, "镇街"),
        (_bad_config, "ipgrid.toml"),
    ],
    ids=["missing-folder", "unreadable-towns", "no-towns", "bad-config"],
)
def test_broken_folder_shows_error_and_the_data_page(
    monkeypatch: pytest.MonkeyPatch, xss_folder: Path, damage, expected: str
) -> None:
    if damage is None:
        folder = xss_folder / "does-not-exist"
    else:
        folder = xss_folder
        damage(folder)
    at = open_page(monkeypatch, folder)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    assert expected in unescape(at.error[0].value)
    assert not at.dataframe
    assert any(b.label == "读取此文件夹" for b in at.button)  # 数据 lets the user pick another folder


def test_empty_folder_shows_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = open_page(monkeypatch, tmp_path)
    assert not at.exception
    assert at.error and "缺少必需的镇街图层" in unescape(at.error[0].value)


def test_user_folder_escapes_names_and_has_no_demo_badge(monkeypatch: pytest.MonkeyPatch, xss_folder: Path,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(xss_folder, folder)
    at = open_page(monkeypatch, folder, "town")
    assert_clean(at)
    assert DEMO_BADGE not in "\n".join(m.value for m in at.markdown)
    assert XSS_NAME in set(at.selectbox(key="town.area").options) | {
        at.selectbox(key="town.area").format_func(o) for o in at.selectbox(key="town.area").options}
    assert XSS_NAME in set(table_with(at, "企业名称")["企业名称"])
    assert unescape(at.title[0].value) == XSS_NAME


# --------------------------------------------------------------------------- downloads and cache key


def test_every_page_offers_excel(monkeypatch: pytest.MonkeyPatch, faulty_app_folder: Path) -> None:
    for page in PAGE_KEYS:
        if page in ("changes", "visits", "assignments", "audit", "region"):  # need a store: on a folder they say how
            continue  # (tests/test_store_pages.py, tests/test_history_pages.py, tests/test_access_pages.py)
        at = open_page(monkeypatch, faulty_app_folder, page)
        labels = [b.proto.label for b in at.get("download_button")]
        assert "本页表格（Excel）" in labels, page
        assert labels.count("下载 Excel") >= 1 or page == "data", page


def test_xlsx_keeps_text_as_text_and_shares_as_percent() -> None:
    frame = pd.DataFrame({"企业名称": [FORMULA_NAME, XSS_NAME], "知识产权覆盖率": [0.25, None],
                          "有知识产权": [True, False], "企业数（家）": [3, 4]})
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx({"企业": frame}, [("说明", DEMO_BADGE)])))
    assert book.sheetnames == ["企业", "说明"]
    sheet = book["企业"]
    assert [c.value for c in sheet[1]] == list(frame.columns)
    assert sheet["A2"].value == "'" + FORMULA_NAME and sheet["A2"].data_type == "s"  # quoted (OWASP)
    assert sheet["A3"].value == XSS_NAME
    assert sheet["B2"].value == 0.25 and sheet["B2"].number_format == "0.0%"
    assert sheet["B3"].value is None
    assert [sheet["C2"].value, sheet["C3"].value] == ["是", "否"]
    assert sheet["D3"].value == 4
    notes = {row[0].value: row[1].value for row in book["说明"].iter_rows()}
    assert notes["说明"] == DEMO_BADGE and "导出时间" in notes


def test_folder_signature_changes_with_files(xss_folder: Path, tmp_path: Path) -> None:
    folder = xss_folder
    first = folder_signature(folder)
    assert [name for name, _, _ in first] == ["企业.csv", "镇街.geojson"]
    (folder / "~$企业.xlsx").write_text("lock")
    assert folder_signature(folder) == first
    (folder / "企业.csv").write_text("企业名称,经度,纬度\n丙企业,121.0,32.0\n", encoding="utf-8")
    assert folder_signature(folder) != first
    assert folder_signature(tmp_path / "missing") == ()
