"""The real app in headless Chromium: the map draws, nothing leaves the host, text stays text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from dashboard.maps import DEMO_LABEL

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, FrameLocator, Page

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LOAD_TIMEOUT_MS = 60_000
SETTLE_MS = 1_500
"""Wait after the map has drawn, so late requests (icons, fonts) are recorded too."""


class Recorder:
    """Every request, failed request, HTTP error and dialog of a page."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.http_errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: self.http_errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def foreign(self, base_url: str) -> list[str]:
        """Requests that went anywhere but the app's own host (data:/blob: are local)."""
        host = urlsplit(base_url).netloc
        return [
            url for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob", "about")
            and urlsplit(url).netloc != host
        ]


def open_map(page: Page, url: str) -> FrameLocator:
    """Open the app and wait until Leaflet has drawn paths; return the map's frame locator."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(MAP_IFRAME, timeout=LOAD_TIMEOUT_MS)
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator(".leaflet-container .leaflet-overlay-pane svg path").first.wait_for(
        timeout=LOAD_TIMEOUT_MS
    )
    page.wait_for_timeout(SETTLE_MS)
    return frame


def test_demo_map_draws_offline(
    app_server: Callable[..., str], page: Page, screenshot_dir: Path
) -> None:
    url = app_server()
    rec = Recorder(page)
    frame = open_map(page, url)

    paths = frame.locator(".leaflet-container .leaflet-overlay-pane svg path")
    assert paths.count() >= 2
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box is not None and box["height"] > 300, box  # a failed script collapses it to 0
    assert frame.locator(".ipgrid-map-label").inner_text() == DEMO_LABEL
    assert page.get_by_text(DEMO_LABEL, exact=True).first.is_visible()
    assert page.get_by_text("数据截至").first.is_visible()

    page.screenshot(path=str(screenshot_dir / "demo.png"), full_page=True)

    paths.first.hover()
    tooltip = frame.locator(".leaflet-tooltip").first
    tooltip.wait_for(timeout=10_000)
    assert "名称" in tooltip.inner_text() and "常住人口" in tooltip.inner_text()
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "demo-tooltip.png"))

    assert rec.foreign(url) == []
    assert rec.failed == []
    assert rec.http_errors == []
    assert any("/app/static/vendor/leaflet/leaflet.js" in u for u in rec.requests)


def test_town_name_with_html_stays_text(
    app_server: Callable[..., str],
    page: Page,
    xss_folder: Path,
    xss_name: str,
    screenshot_dir: Path,
) -> None:
    url = app_server(xss_folder)
    rec = Recorder(page)
    frame = open_map(page, url)

    # The table shows the name as text.
    assert page.locator("table").get_by_text(xss_name, exact=True).first.is_visible()
    # The tooltip shows it as text when the pointer is over that town.
    first_town = frame.locator(".leaflet-overlay-pane svg path").first
    first_town.hover()
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=10_000)
    assert xss_name in tooltip.first.inner_text()
    # The popup too, after a click.
    first_town.click()
    popup = frame.locator(".leaflet-popup-content")
    popup.first.wait_for(timeout=10_000)
    assert xss_name in popup.first.inner_text()
    page.wait_for_timeout(SETTLE_MS)

    page.screenshot(path=str(screenshot_dir / "xss.png"), full_page=True)
    assert rec.dialogs == []
    assert page.locator('img[src="x"]').count() == 0
    assert frame.locator('img[src="x"]').count() == 0
    assert page.get_by_text(DEMO_LABEL).count() == 0
    assert rec.foreign(url) == []
