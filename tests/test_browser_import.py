"""The 数据 page's import in headless Chromium: upload a quarter's files, check, then 确认导入 or 取消.

The module starts its own app server (``conftest.AppServers``) with
``IPGRID_STORE`` set to a private copy of the demo store, and stops it at the
end; the shared Chromium comes from ``conftest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import AppServers
from test_store_pages import DEMO_DATES, NEW_DATE, next_quarter_folder

from dashboard.app_data import DATA_ENV, STORE_ENV
from dashboard.pages.data_upload import UPLOAD_TYPES
from dashboard.store import Store
from dashboard.store.demo import demo_store

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

LOAD_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def store_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, store path) of an app server of its own, on a copy of the demo store."""
    root = tmp_path_factory.mktemp("import-store")
    store = root / "store" / "ipgrid.gpkg"
    store.parent.mkdir()
    shutil.copyfile(demo_store(), store)
    servers = AppServers(root)
    with pytest.MonkeyPatch.context() as mp:  # the server inherits the environment when it starts
        mp.setenv(STORE_ENV, str(store))
        mp.delenv(DATA_ENV, raising=False)
        url = servers()
    try:
        yield url, store
    finally:
        servers.close()


@pytest.fixture(scope="module")
def upload_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The files of the next quarter (data_date 2026-03-31, three firms fewer) the clerk uploads."""
    folder = next_quarter_folder(tmp_path_factory.mktemp("next-quarter") / "q")
    files = sorted(p for p in folder.iterdir() if p.suffix.lstrip(".") in UPLOAD_TYPES)
    assert {"企业.xlsx", "镇街.gpkg", "ipgrid.toml"} <= {p.name for p in files}
    return files


def active_dates(store: Path) -> list[str]:
    return [v.as_of for v in Store(store).active_versions()]


def upload_and_check(page: Page, base: str, files: list[Path]) -> None:
    """Open 数据, upload ``files``, set 数据截至 to :data:`NEW_DATE`, click 检查数据 and wait for the preview."""
    page.goto(f"{base}/data", wait_until="domcontentloaded")
    page.get_by_text("导入本季度数据").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    uploader = page.locator("[data-testid='stFileUploader']").first
    uploader.locator("input[type='file']").set_input_files([str(p) for p in files])
    # every file is uploaded to the server before the form is sent (the list pages after a few)
    uploader.get_by_text("企业.xlsx").or_(uploader.locator("[data-testid='stFileUploaderFile']").first
                                         ).first.wait_for(timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stFileUploader'] [role='progressbar']\")",
        timeout=LOAD_TIMEOUT_MS)
    # a react-aria date field: year, month and day segments; typing a segment full moves to the next
    field = page.locator("[data-testid='stDateInput']").filter(has_text="数据截至").first
    field.get_by_role("spinbutton", name="year, 数据截至").click()
    page.keyboard.type(NEW_DATE.replace("-", ""))
    page.keyboard.press("Tab")
    assert field.locator("input[type='date']").input_value() == NEW_DATE
    page.get_by_role("button", name="检查数据（不会写入）").click()
    page.get_by_text(f"待导入：数据截至 {NEW_DATE}").wait_for(timeout=LOAD_TIMEOUT_MS)


def kpi_value(page: Page, label: str) -> str:
    card = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']").get_by_text(label, exact=True))
    return card.locator("[data-testid='stMetricValue']").first.inner_text().strip()


def test_upload_check_and_cancel_writes_nothing(store_server: tuple[str, Path], page: Page,
                                               upload_files: list[Path], screenshot_dir: Path) -> None:
    base, store = store_server
    before = active_dates(store)
    assert before[: len(DEMO_DATES)] == DEMO_DATES
    upload_and_check(page, base, upload_files)
    assert kpi_value(page, "减少企业") == "3 家"
    assert page.get_by_text("与上一版本（数据截至").first.is_visible()
    page.screenshot(path=str(screenshot_dir / "import-preview-cancel.png"), full_page=True)
    assert active_dates(store) == before
    page.get_by_role("button", name="取消").click()
    page.get_by_role("button", name="检查数据（不会写入）").wait_for(timeout=LOAD_TIMEOUT_MS)
    page.wait_for_timeout(500)
    assert page.get_by_text("待导入：数据截至").count() == 0
    assert active_dates(store) == before
    assert page.locator("[data-testid='stException']").count() == 0


def test_upload_check_and_commit_writes_a_version(store_server: tuple[str, Path], page: Page,
                                                 upload_files: list[Path], screenshot_dir: Path) -> None:
    base, store = store_server
    before = active_dates(store)
    assert NEW_DATE not in before
    upload_and_check(page, base, upload_files)
    assert kpi_value(page, "减少企业") == "3 家"
    assert kpi_value(page, "企业") == "2,997 家"
    page.get_by_text("待导入：数据截至").first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "import-preview.png"))
    assert active_dates(store) == before, "the check writes nothing"

    page.get_by_role("button", name="确认导入").click()
    done = page.get_by_text(f"已导入：版本 {len(before) + 1}（数据截至 {NEW_DATE}）")
    done.wait_for(timeout=LOAD_TIMEOUT_MS)
    done.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "import-done.png"))
    assert active_dates(store) == [*before, NEW_DATE]
    assert page.get_by_text("待导入：数据截至").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0

    # a new session (the page opened again) shows the new version by default
    page.goto(f"{base}/data", wait_until="domcontentloaded")
    page.get_by_text(f"当前显示：数据截至 {NEW_DATE}").wait_for(timeout=LOAD_TIMEOUT_MS)
    selector = page.locator("[data-testid='stSidebar']").get_by_role("combobox", name="通州区 · 数据截至")
    assert selector.input_value() == NEW_DATE
    page.screenshot(path=str(screenshot_dir / "import-new-session.png"))
