"""The real app in headless Chromium: every page draws, nothing leaves the host, clicks drill down, text stays text.

One app server per data folder and one Chromium for the whole session
(``conftest.py``); screenshots go to ``$IPGRID_SCREENSHOTS`` or a temporary folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import pytest

from dashboard.maps import DEMO_LABEL
from dashboard.pages import PAGES

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, FrameLocator, Page

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LOAD_TIMEOUT_MS = 60_000
SETTLE_MS = 1_500
"""Wait after the map has drawn, so late requests (icons, fonts) are recorded too."""

STREAMLIT_PROBES = re.compile(r"/[^/?]+/_stcore/(health|host-config)$")
"""Opened at a page's own URL (``/town``), Streamlit's frontend first probes its server one
path level too deep and gets 404, then finds it at the root: expected, not a fault of the app."""

MAP_PAGES = {"overview", "town", "park", "my_grid", "service", "gi"}


class Recorder:
    """Every request, failed request, HTTP error and dialog of a page."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.http_errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", self._on_response)
        page.on("dialog", self._on_dialog)

    def _on_response(self, response) -> None:  # noqa: ANN001
        if response.status >= 400 and not STREAMLIT_PROBES.search(urlsplit(response.url).path):
            self.http_errors.append(f"{response.status} {response.url}")

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


def page_url(base: str, key: str, query: str = "") -> str:
    spec = next(p for p in PAGES if p.key == key)
    path = "" if key == PAGES[0].key else f"/{spec.url_path}"
    return f"{base}{path}{'?' + query if query else ''}"


def wait_for_map(page: Page) -> FrameLocator:
    """Wait until Leaflet has drawn area paths in the page's map; return the map's frame locator."""
    page.wait_for_selector(MAP_IFRAME, timeout=LOAD_TIMEOUT_MS)
    frame = page.frame_locator(MAP_IFRAME).first
    # paths outside the view are empty ("M0 0") and hidden: wait for one that is drawn
    frame.locator(".leaflet-container .leaflet-overlay-pane svg path:not([d='M0 0'])").first.wait_for(
        timeout=LOAD_TIMEOUT_MS)
    return frame


def open_page(page: Page, url: str, *, with_map: bool = True) -> FrameLocator | None:
    page.goto(url, wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    frame = wait_for_map(page) if with_map else None
    page.wait_for_timeout(SETTLE_MS)
    return frame


def heading(page: Page) -> str:
    return page.locator("h1").first.inner_text().strip()


def test_every_page_opens_offline(app_server: Callable[..., str], page: Page, screenshot_dir: Path) -> None:
    base = app_server()
    rec = Recorder(page)
    page.set_viewport_size({"width": 1440, "height": 1400})
    for spec in PAGES:
        frame = open_page(page, page_url(base, spec.key), with_map=spec.key in MAP_PAGES)
        if frame is not None:
            box = page.locator(MAP_IFRAME).first.bounding_box()
            assert box is not None and box["height"] > 300, (spec.key, box)  # a failed script collapses it
            assert frame.locator(".ipgrid-map-label").first.inner_text() == DEMO_LABEL, spec.key
        elif spec.key == "region":  # the demo is one district: the page says so (tests/test_region_page.py)
            page.get_by_text("当前数据只有一个区县").first.wait_for(timeout=LOAD_TIMEOUT_MS)
        elif spec.key == "indicators":
            page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
                         ).first.wait_for(timeout=LOAD_TIMEOUT_MS)
        else:
            page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=LOAD_TIMEOUT_MS)
        assert page.get_by_text(DEMO_LABEL, exact=True).first.is_visible(), spec.key
        assert page.locator("[data-testid='stException']").count() == 0, spec.key
        page.screenshot(path=str(screenshot_dir / f"page-{spec.key}.png"))

    assert rec.foreign(base) == []
    assert rec.failed == []
    assert rec.http_errors == []
    assert rec.dialogs == []
    assert any("/app/static/vendor/leaflet/leaflet.js" in u for u in rec.requests)


def test_click_a_town_opens_its_detail(app_server: Callable[..., str], page: Page, screenshot_dir: Path) -> None:
    base = app_server()
    rec = Recorder(page)
    frame = open_page(page, page_url(base, "overview"))
    towns = frame.locator("path.ipgrid-choropleth-town")
    assert towns.count() == 16
    town = towns.nth(5)
    town.hover()
    tip = frame.locator(".ipgrid-tooltip .ipgrid-tip-title").first
    tip.wait_for(timeout=10_000)
    name = tip.inner_text().strip()
    page.screenshot(path=str(screenshot_dir / "overview-tooltip.png"))
    town.click()
    page.wait_for_url(re.compile(r"/town\?.*area="), timeout=LOAD_TIMEOUT_MS)
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=LOAD_TIMEOUT_MS)
    wait_for_map(page)
    page.wait_for_timeout(SETTLE_MS)
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "town-after-click.png"))
    assert heading(page) == name
    assert rec.foreign(base) == [] and rec.dialogs == []


def test_search_flies_the_map_to_the_firm(app_server: Callable[..., str], page: Page,
                                          screenshot_dir: Path) -> None:
    base = app_server()
    frame = open_page(page, page_url(base, "town", "area=320612002000&q=" + quote("南通")))
    label = frame.locator(".ipgrid-focus-label").first
    label.wait_for(timeout=LOAD_TIMEOUT_MS)
    page.wait_for_timeout(2_000)  # the flight takes 0.8 s
    name = label.inner_text().strip()
    assert name.startswith("南通")
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    zoom = frame.locator(".leaflet-container").first.evaluate("c => window.map.getZoom()")
    assert zoom >= 14  # flown in from the town's view (about 12)
    page.screenshot(path=str(screenshot_dir / "town-search.png"))


def test_names_with_html_stay_text(app_server: Callable[..., str], page: Page, xss_data: Path, xss_name: str,
                                   screenshot_dir: Path) -> None:
    base = app_server(xss_data)
    rec = Recorder(page)
    frame = open_page(page, page_url(base, "overview"))
    first_town = frame.locator("path.ipgrid-choropleth-town").first
    first_town.hover()
    tooltip = frame.locator(".ipgrid-tooltip").first
    tooltip.wait_for(timeout=10_000)
    assert xss_name in tooltip.inner_text()
    page.screenshot(path=str(screenshot_dir / "xss-overview.png"))

    # the town page: the name as the title, and the firm of the same name found by search and labelled
    frame = open_page(page, page_url(base, "town", "q=" + quote("<img")))
    assert heading(page) == xss_name
    label = frame.locator(".ipgrid-focus-label").first
    label.wait_for(timeout=LOAD_TIMEOUT_MS)
    assert label.inner_text().strip() == xss_name
    page.wait_for_timeout(SETTLE_MS)
    page.locator(MAP_IFRAME).first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "xss-town.png"))

    assert rec.dialogs == []
    assert page.locator('img[src="x"]').count() == 0
    assert frame.locator('img[src="x"]').count() == 0
    assert page.get_by_text(DEMO_LABEL).count() == 0
    assert rec.foreign(base) == []


def test_my_grid_fits_a_phone(app_server: Callable[..., str], browser: Browser, screenshot_dir: Path) -> None:
    base = app_server()
    context = browser.new_context(viewport={"width": 400, "height": 800}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    try:
        page = context.new_page()
        rec = Recorder(page)
        open_page(page, page_url(base, "my_grid"))
        widths = page.evaluate("""() => {
            const main = document.querySelector('[data-testid="stMain"]') || document.body;
            return {doc: document.documentElement.scrollWidth, view: window.innerWidth,
                    main: main.scrollWidth, mainClient: main.clientWidth};
        }""")
        assert widths["doc"] <= widths["view"], widths
        assert widths["main"] <= widths["mainClient"], widths
        box = page.locator(MAP_IFRAME).first.bounding_box()
        assert box is not None and box["width"] <= 400 and box["height"] > 300
        assert page.get_by_text("培育对象").first.is_visible()
        page.screenshot(path=str(screenshot_dir / "my-grid-phone.png"), full_page=True)
        assert rec.foreign(base) == []
    finally:
        context.close()
