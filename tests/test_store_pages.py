"""The app on a store (AppTest): the 变化 page, the 数据 page's preview → 确认导入 / 取消, the 数据截至 selector.

Each test has its own copy of the four-quarter demo store (``demo_store()``)
named by ``IPGRID_STORE``; the process-wide cache of loaded versions is
cleared around each test.  AppTest cannot drive ``st.file_uploader``, so the
import tests put a prepared import into session state, as the upload form would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from store_helpers import ok, ok_json
from streamlit.testing.v1 import AppTest

from dashboard.app_data import ASOF_KEY, DATA_ENV, STORE_ENV, data_store
from dashboard.engine.catalog import change_text, column_label, value_text
from dashboard.pages.changes import FIRM_LISTS
from dashboard.pages.data_upload import PENDING
from dashboard.store import PreparedImport, Store, prepare_import
from dashboard.store.demo import demo_store
from geodata import DEMO_DIR

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT_S = 120
NEW_DATE = "2026-03-31"
DEMO_DATES = ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
REMOVED_ROWS = (10, 3)
"""企业.xlsx rows deleted from the next quarter (Excel row 10 and the two below it: three firms)."""


# --------------------------------------------------------------------------- helpers


def next_quarter_folder(target: Path, *, error_row: int | None = None) -> Path:
    """A copy of the demo folder as the quarter ending :data:`NEW_DATE`, three firms fewer.

    ``error_row`` empties the 企业名称 of that Excel row (an error: the row is not imported).
    """
    shutil.copytree(DEMO_DIR, target)
    toml = target / "ipgrid.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("2025-12-31", NEW_DATE), encoding="utf-8")
    book = openpyxl.load_workbook(target / "企业.xlsx")
    sheet = book["名录"]
    assert sheet.cell(3, 2).value == "企业名称"
    sheet.delete_rows(*REMOVED_ROWS)
    if error_row is not None:
        sheet.cell(error_row, 2).value = None
    book.save(target / "企业.xlsx")
    return target


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the demo store, shown by the app (``IPGRID_STORE``)."""
    path = tmp_path / "store" / "ipgrid.gpkg"
    path.parent.mkdir()
    shutil.copyfile(demo_store(), path)
    monkeypatch.setenv(STORE_ENV, str(path))
    monkeypatch.delenv(DATA_ENV, raising=False)
    data_store().clear()
    yield path
    data_store().clear()


def open_page(page: str = "overview", **params: str) -> AppTest:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    at.query_params.update(params)
    at.run()
    if page != "overview":
        at.switch_page(f"dashboard/pages/{page}.py")
        at.query_params.clear()
        at.query_params.update(params)
        at.run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    kinds = ("title", "subheader", "markdown", "caption", "info", "warning", "success", "error")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with {column!r}: {[list(d.value.columns) for d in at.dataframe]}"
    return found[0]


def active_dates(path: Path) -> list[str]:
    return [v.as_of for v in Store(path).active_versions()]


def diff_json(store: Path, *dates: str) -> dict:
    args = ["diff", str(store)]
    if dates:
        args += ["--from", dates[0], "--to", dates[1]]
    return ok_json(*args)


def shown_counts(at: AppTest) -> dict[str, str]:
    shown = metrics(at)
    return {key: shown[title] for key, (title, _) in FIRM_LISTS.items()}


def expected_counts(diff: dict) -> dict[str, str]:
    return {key: f"{len(diff['enterprises'][key]):,} 家" for key in FIRM_LISTS}


# --------------------------------------------------------------------------- 变化


def test_changes_page_defaults_to_the_last_two_versions(store_path: Path) -> None:
    at = open_page("changes")
    assert_clean(at)
    assert at.selectbox(key="changes.from").value == "2025-09-30"
    assert at.selectbox(key="changes.to").value == "2025-12-31"
    assert "数据截至 2025-09-30 → 2025-12-31" in texts(at)
    diff = diff_json(store_path)
    assert (diff["from"], diff["to"]) == ("2025-09-30", "2025-12-31")
    assert shown_counts(at) == expected_counts(diff)
    assert len(diff["enterprises"]["added"]) > 0 and len(diff["enterprises"]["removed"]) > 0

    # the area table: one row per town of the CLI's diff, with the same changes
    change_col = f"{column_label('enterprises')}（变化）"
    areas = table_with(at, change_col)
    assert list(areas["名称"]) == [a["name"] for a in diff["areas"]]
    assert list(areas[change_col]) == [change_text("enterprises", a["enterprises_change"]) for a in diff["areas"]]
    after_col = f"{column_label('enterprises')}（之后）"
    assert list(areas[after_col]) == [value_text("enterprises", a["enterprises_to"]) for a in diff["areas"]]
    # the firm-list tabs carry the same counts
    tab_labels = [t.label for t in at.tabs]
    for key, (title, _) in FIRM_LISTS.items():
        assert f"{title}（{len(diff['enterprises'][key])}）" in tab_labels


def test_changes_page_other_pair(store_path: Path) -> None:
    at = open_page("changes")
    before = shown_counts(at)
    at.selectbox(key="changes.from").set_value("2025-03-31").run()
    at.selectbox(key="changes.to").set_value("2025-06-30").run()
    assert_clean(at)
    diff = diff_json(store_path, "2025-03-31", "2025-06-30")
    assert shown_counts(at) == expected_counts(diff)
    assert shown_counts(at) != before
    assert "数据截至 2025-03-31 → 2025-06-30" in texts(at)
    areas = table_with(at, f"{column_label('enterprises')}（之后）")
    assert list(areas["名称"]) == [a["name"] for a in diff["areas"]]

    # a wrong order is refused with a warning, not a traceback
    at.selectbox(key="changes.from").set_value("2025-12-31").run()
    assert not at.exception
    assert any("应早于" in w.value for w in at.warning)


def test_changes_page_default_follows_asof_in_the_url(store_path: Path) -> None:
    at = open_page("changes", asof="2025-06-30")
    assert_clean(at)
    assert at.selectbox(key=ASOF_KEY).value == "2025-06-30"
    assert at.selectbox(key="changes.from").value == "2025-03-31"
    assert at.selectbox(key="changes.to").value == "2025-06-30"
    assert shown_counts(at) == expected_counts(diff_json(store_path, "2025-03-31", "2025-06-30"))


def test_changes_page_with_one_version_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "one.gpkg"
    ok("import", DEMO_DIR, "--store", path, "--as-of", "2025-12-31")
    monkeypatch.setenv(STORE_ENV, str(path))
    monkeypatch.delenv(DATA_ENV, raising=False)
    data_store().clear()
    try:
        at = open_page("changes")
        assert_clean(at)
        assert any("至少两个数据版本" in i.value for i in at.info)
        assert not at.metric
    finally:
        data_store().clear()


# --------------------------------------------------------------------------- 数据: preview → 确认导入 / 取消


def prepared_in(store: Path, tmp_path: Path, *, error_row: int | None = None) -> tuple[PreparedImport, Path]:
    """A checked import of the next quarter and its (upload) folder, as the upload form leaves them."""
    folder = next_quarter_folder(tmp_path / "upload" / "q", error_row=error_row)
    return prepare_import(folder, NEW_DATE, store=Store(store), note="测试导入"), folder.parent


def data_page_with(pending: tuple[PreparedImport, Path]) -> AppTest:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page("dashboard/pages/data.py")
    at.session_state[PENDING] = pending
    return at.run()


def button(at: AppTest, label: str):  # noqa: ANN201
    return next(b for b in at.button if b.label == label)


def test_preview_then_commit_writes_a_version(store_path: Path, tmp_path: Path) -> None:
    prepared, upload = prepared_in(store_path, tmp_path)
    counts = prepared.change_counts()
    assert counts is not None and counts["removed"] == 3 and prepared.errors == 0
    at = data_page_with((prepared, upload))
    assert_clean(at)
    text = texts(at)
    assert f"待导入：数据截至 {NEW_DATE}" in text
    assert "与上一版本（数据截至 2025-12-31）相比" in text
    shown = metrics(at)
    assert shown["减少企业"] == "3 家" and shown["新增企业"] == f"{counts['added']:,} 家"
    assert shown["企业"] == f"{3000 - 3:,} 家"
    assert active_dates(store_path) == DEMO_DATES, "the preview writes nothing"
    assert not button(at, "确认导入").disabled
    assert not at.checkbox, "no errors: nothing to acknowledge"

    button(at, "确认导入").click().run()
    assert_clean(at)
    assert active_dates(store_path) == [*DEMO_DATES, NEW_DATE]
    assert any(f"已导入：版本 5（数据截至 {NEW_DATE}）" in s.value for s in at.success)
    assert PENDING not in at.session_state
    assert not upload.exists(), "the upload folder is removed after 确认导入"
    assert not any(b.label == "确认导入" for b in at.button)
    assert any(b.label == "检查数据（不会写入）" for b in at.button), "the upload form is back"
    versions = table_with(at, "导入人")
    assert list(versions["数据截至"]) == [*DEMO_DATES, NEW_DATE]
    assert versions.iloc[-1]["导入人"] == "本机用户" and versions.iloc[-1]["备注"] == "测试导入"  # no login here
    assert list((store_path.parent / "ipgrid.backups").glob("auto-*-import.gpkg")), "backed up before writing"


def test_a_new_session_shows_the_new_version(store_path: Path, tmp_path: Path) -> None:
    at = data_page_with(prepared_in(store_path, tmp_path))
    button(at, "确认导入").click().run()
    fresh = open_page()
    assert_clean(fresh)
    selector = fresh.selectbox(key=ASOF_KEY)
    assert selector.value == NEW_DATE and list(selector.options) == [NEW_DATE, *reversed(DEMO_DATES)]
    enterprises = next(k for k in metrics(fresh) if k.startswith("企业数"))
    assert metrics(fresh)[enterprises] == "2,997"


def test_the_importing_session_shows_the_new_version(store_path: Path, tmp_path: Path) -> None:
    at = data_page_with(prepared_in(store_path, tmp_path))
    button(at, "确认导入").click().run()
    assert_clean(at)
    assert NEW_DATE in at.selectbox(key=ASOF_KEY).options
    assert at.selectbox(key=ASOF_KEY).value == NEW_DATE


def test_preview_then_cancel_writes_nothing(store_path: Path, tmp_path: Path) -> None:
    prepared, upload = prepared_in(store_path, tmp_path)
    at = data_page_with((prepared, upload))
    assert f"待导入：数据截至 {NEW_DATE}" in texts(at)
    button(at, "取消").click().run()
    assert_clean(at)
    assert active_dates(store_path) == DEMO_DATES
    assert PENDING not in at.session_state
    assert not upload.exists()
    assert "待导入" not in texts(at)
    assert not any(b.label == "确认导入" for b in at.button)
    assert not (store_path.parent / "ipgrid.backups").exists() or not list(
        (store_path.parent / "ipgrid.backups").iterdir())


def test_import_with_errors_needs_the_checkbox(store_path: Path, tmp_path: Path) -> None:
    prepared, upload = prepared_in(store_path, tmp_path, error_row=20)
    assert prepared.errors == 1
    assert [p.code for p in prepared.engine.problems if p.severity == "error"] == ["missing_value"]
    at = data_page_with((prepared, upload))
    assert not at.exception
    assert any("数据有 1 个错误" in e.value for e in at.error)
    assert any("问题清单（1 个错误" in e.label for e in at.expander)
    problems = table_with(at, "行号")
    errors = problems[problems["级别"] == "错误"]
    assert list(errors["行号"]) == [20] and list(errors["代码"]) == ["missing_value"]
    assert button(at, "确认导入").disabled
    at.checkbox(key="data.upload.allow").check().run()
    assert not button(at, "确认导入").disabled
    assert active_dates(store_path) == DEMO_DATES
    button(at, "确认导入").click().run()
    assert not at.exception
    assert active_dates(store_path) == [*DEMO_DATES, NEW_DATE]
    assert Store(store_path).version(NEW_DATE).errors == 1
    assert not upload.exists()


# --------------------------------------------------------------------------- the 数据截至 selector


def test_asof_selector_switches_the_overview(store_path: Path) -> None:
    stats = {d: ok_json("stats", store_path, "--as-of", d, "--level", "district")[0]
             for d in ("2025-03-31", "2025-12-31")}
    assert stats["2025-12-31"]["enterprises"] == 3000 and stats["2025-03-31"]["enterprises"] == 2894
    at = open_page()
    assert_clean(at)
    selector = at.selectbox(key=ASOF_KEY)
    assert selector.value == "2025-12-31"
    assert list(selector.options) == list(reversed(DEMO_DATES))
    label = f"{column_label('enterprises')}"
    enterprises = next(k for k in metrics(at) if k.startswith("企业数"))
    assert label.startswith("企业数")
    assert metrics(at)[enterprises] == "3,000"
    with_ip = next(k for k in metrics(at) if k.startswith("有知识产权企业"))
    assert metrics(at)[with_ip] == f"{stats['2025-12-31']['enterprises_with_ip']:,}"

    selector.set_value("2025-03-31").run()
    assert_clean(at)
    assert metrics(at)[enterprises] == "2,894"
    assert metrics(at)[with_ip] == f"{stats['2025-03-31']['enterprises_with_ip']:,}"
    assert at.query_params.get("asof") in ("2025-03-31", ["2025-03-31"])
    assert "2025-03-31" in texts(at)
