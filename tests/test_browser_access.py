"""Login, roles and scope in headless Chromium: what each account's browser is actually sent.

The module starts its own app server (``conftest.AppServers``) on a copy of the
demo store that requires login (``access_helpers.accounts_store``, plus the
account ``locktest`` for the lockout), and a second small one whose sessions
end after 3 s without any action (``IPGRID_IDLE_MINUTES=0.05``).  Both are
stopped at the end.

What is checked is what reaches the browser: every websocket frame the server
sends (protobuf; Arrow tables and the maps' inline HTML carry names as UTF-8)
and the HTML of every frame of the page (the maps are component iframes), after
each step, and the workbooks and the week's visit sheet (PDF) downloaded.  A login lives in one Streamlit
session (one websocket), so within a login the pages are opened in the app: by
the sidebar's links, or — for URLs a person could type or tamper with — by
moving the URL and letting Streamlit's own history handler navigate
(:func:`go_in_app`), which sends the server exactly that path and query.

When a run has ended is read from the websocket too (``script_finished``), not guessed
from the DOM: a quick login-page run may never show as running there.

The tests run in module order and the last one (:func:`test_audit_log_names_what_happened`)
reads the audit the earlier ones left; run the whole module.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import openpyxl
import pytest
from access_helpers import (
    COMMISSIONER,
    CREDENTIALS,
    KIOSK_ACCOUNT,
    accounts_store,
    firm_names,
    found_names,
    other_commissioner,
)
from conftest import AppServers
from google.protobuf.message import DecodeError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from dashboard.access.gate import LOGIN_TITLE
from dashboard.access.roles import DENIED_TEXT, may_open
from dashboard.access.settings import IDLE_MINUTES_ENV
from dashboard.app_data import DATA_ENV, STORE_ENV
from dashboard.bigscreen.page import IFRAME_TITLE
from dashboard.engine import Engine
from dashboard.pages import PAGES
from dashboard.store import Store
from dashboard.store.accounts import WRONG_CREDENTIALS, Accounts
from dashboard.store.visits import Visits

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Response

pytestmark = pytest.mark.browser

LOAD_TIMEOUT_MS = 60_000
SETTLE_MS = 400
"""After a run has finished: late websocket frames and the maps' iframes drawing."""

LOCK_USER, LOCK_PASSWORD = "locktest", "locktest-pass-2025"
UNKNOWN_USER = "nosuchuser"
IDLE_MINUTES = "0.05"
"""3 seconds: the idle server's sessions end after that long without any action."""

KIOSK_IFRAME = f'iframe[title="{IFRAME_TITLE}"]'
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'

VIEW_PATHS = [spec.url_path for spec in PAGES if may_open("commissioner", spec.key)]
"""The pages a commissioner may open (the first page first)."""
MENU_VIEW_PATHS = [p for p in VIEW_PATHS if p != "region"]
"""Those the menu links to: 全部区县 is not in the menu of a store of one district (tests/test_region_page.py)."""
MENU_PATHS = [*MENU_VIEW_PATHS[1:], ""]
"""The commissioner's menu by link (the first page is at /), ending where it started."""
ADMIN_PATHS = [spec.url_path for spec in PAGES if not may_open("commissioner", spec.key)]
"""Pages outside a commissioner's role (专员分配, 数据, 审计)."""
LEADER_DENIED = [spec.url_path for spec in PAGES if not may_open("leader", spec.key)]

TIMINGS: dict[str, list[float]] = {}
"""Role → login round trips (click 登录 → the first page's title visible), seconds."""

SHOTS: list[Path] = []
"""Screenshots saved by this module (printed by the last test)."""

# Streamlit connected, not running, nothing stale: the page at rest (the websocket tells when a run ended).
AT_REST_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale="true"]');
}
"""

# Moves the URL and lets Streamlit's popstate handler open it, as the browser's back/forward does: the
# page of the path with the URL's query, in the same session (a typed URL would start a new one).
GO_IN_APP_JS = """
(url) => {
  history.pushState({}, '', url);
  window.dispatchEvent(new PopStateEvent('popstate', {state: {}}));
}
"""

# The main area's first h1 is there and is not the login page's.
LANDED_JS = """
(login) => {
  const h = document.querySelector('[data-testid="stMain"] h1');
  return !!h && h.innerText.trim() !== login && h.getBoundingClientRect().height > 0;
}
"""


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class AccessApp:
    """The accounts store, its server and what the commissioner 黄亚平 may and may not see in it."""

    base: str
    store: Path
    token: str
    mine: set[str]
    """Names of the firms in 黄亚平's cells (latest version)."""
    others: set[str]
    """Names of every other firm."""
    other_commissioner: str
    inside_town: tuple[str, str, int]
    """(id, name, firms of 黄亚平 there) of the town holding 黄亚平's cells."""
    outside_town: tuple[str, str]
    """(id, name) of the town with most firms and none of 黄亚平's."""
    inside_park: tuple[str, str, int]
    outside_park: tuple[str, str]

    @property
    def every(self) -> set[str]:
        return self.mine | self.others


def _areas(engine: Engine, mine: set[str]) -> dict[str, tuple]:
    """The inside and outside town and park of 黄亚平 (see :class:`AccessApp`)."""
    firms = engine.firm_table()
    own = firms[firms["name"].astype(str).isin(mine)]
    found: dict[str, tuple] = {}
    for level, column in (("town", "town"), ("park", "parks")):
        table = engine.areas(level)
        names = dict(zip(table["name"].astype(str), table["id"].astype(str), strict=True))
        counts = own[column].astype(str).value_counts()
        inside = next(n for n in counts.index if n in names)
        found[f"inside_{level}"] = (names[inside], inside, int(counts[inside]))
        everyone = firms[column].astype(str).value_counts()
        outside = next(n for n in everyone.index if n in names and n not in counts.index)
        found[f"outside_{level}"] = (names[outside], outside)
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccessApp]:
    """The accounts store (with ``locktest``) and one app server on it; stopped at the end of the module."""
    root = tmp_path_factory.mktemp("access-store")
    store, token = accounts_store(root / "store" / "ipgrid.gpkg")
    accounts = Accounts(Store(store))
    accounts.add(LOCK_USER, "commissioner", by="test", commissioner=COMMISSIONER, password=LOCK_PASSWORD)
    accounts.store.backend.sql.dispose()
    mine, others = firm_names(store, COMMISSIONER)
    engine = Engine(Store(store).open_bundle())
    servers = AppServers(root)
    with pytest.MonkeyPatch.context() as mp:  # the server inherits the environment when it starts
        mp.setenv(STORE_ENV, str(store))
        mp.delenv(DATA_ENV, raising=False)
        mp.delenv(IDLE_MINUTES_ENV, raising=False)
        url = servers()
    try:
        yield AccessApp(base=url, store=store, token=token, mine=mine, others=others,
                        other_commissioner=other_commissioner(engine), **_areas(engine, mine))
    finally:
        servers.close()


@pytest.fixture(scope="module")
def idle_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, store) of a second server, on its own accounts store, whose sessions end after 3 s idle."""
    root = tmp_path_factory.mktemp("access-idle")
    store, _ = accounts_store(root / "store" / "ipgrid.gpkg")
    servers = AppServers(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(STORE_ENV, str(store))
        mp.delenv(DATA_ENV, raising=False)
        mp.setenv(IDLE_MINUTES_ENV, IDLE_MINUTES)
        url = servers()
    try:
        yield url, store
    finally:
        servers.close()


@pytest.fixture(scope="module")
def downloads_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("access-downloads")


# --------------------------------------------------------------------------- one browser tab, recorded


@dataclass
class Tab:
    """A page of its own context, with every websocket frame it received and the HTML of its frames by step."""

    page: Page
    step: str = "start"
    seen: dict[str, list[str]] = field(default_factory=dict)
    """Step → texts received in it (websocket frames decoded as UTF-8, frames' HTML)."""
    wire: dict[str, list[str]] = field(default_factory=dict)
    """Step → websocket frames only (what the server sent; the DOM also holds what was typed)."""
    exceptions: list[str] = field(default_factory=list)
    finished: int = 0
    """Script runs the server said were over (``script_finished``, a rerun's early end not counted)."""
    running: bool = False
    """A run has started (``new_session``) and not finished."""

    def __post_init__(self) -> None:
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.page.on("response", self._response)

    def _frame(self, payload: str | bytes) -> None:
        text = payload.decode("utf-8", errors="ignore") if isinstance(payload, bytes) else payload
        self.seen.setdefault(self.step, []).append(text)
        self.wire.setdefault(self.step, []).append(text)
        if isinstance(payload, bytes):
            try:
                msg = ForwardMsg.FromString(payload)
            except DecodeError:
                return
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.running = True
            elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.running = False
                self.finished += 1

    def _response(self, response: Response) -> None:
        """A cached message the frontend fetched over HTTP instead of the websocket: checked too."""
        if "/_stcore/message" in response.url:
            try:
                self.seen.setdefault(self.step, []).append(response.body().decode("utf-8", errors="ignore"))
            except Exception:  # noqa: BLE001 - a response gone before it was read
                self.seen.setdefault(self.step, []).append(f"UNREAD {response.url}")

    def begin(self, step: str) -> None:
        """Name what follows (the frames received from now on are filed under it)."""
        self.step = step

    def capture(self) -> None:
        """Settle, then file the HTML of every frame of the page (main document and component iframes)."""
        self.page.wait_for_timeout(SETTLE_MS)
        for frame in self.page.frames:
            try:
                self.seen.setdefault(self.step, []).append(frame.content())
            except Exception:  # noqa: BLE001 - a frame detached while being read has nothing left to show
                continue
        if self.page.locator("[data-testid='stException']").count():
            self.exceptions.append(f"{self.step}: {self.page.url}")

    def sent(self, secret: str) -> list[str]:
        """Steps in which the server sent ``secret`` over the websocket."""
        return [step for step, texts in self.wire.items() if any(secret in t for t in texts)]

    def found(self, names: set[str]) -> dict[str, list[str]]:
        """Step → those of ``names`` seen in it (steps with none left out)."""
        out = {}
        for step, texts in self.seen.items():
            hits = found_names("\n".join(texts), names)
            if hits:
                out[step] = hits
        return out


@contextmanager
def new_tab(browser: Browser, **options: object) -> Iterator[Tab]:
    """A fresh context (no cookies, own sessions) and page, 1440×900 unless told otherwise, recorded."""
    options.setdefault("viewport", {"width": 1440, "height": 900})
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **options)
    try:
        yield Tab(context.new_page())
    finally:
        context.close()


def wait_idle(tab: Tab, before: int = -1) -> None:
    """Wait until more than ``before`` runs have finished, none is going, and the page is at rest."""
    deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
    while True:
        if tab.finished > before and not tab.running and tab.page.evaluate(AT_REST_JS):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the app did not finish a run within {LOAD_TIMEOUT_MS / 1000:.0f} s after {tab.step} "
                        f"({tab.page.url}; runs finished {tab.finished}, running {tab.running})")
        tab.page.wait_for_timeout(40)  # lets playwright deliver the frames meanwhile


def open_url(tab: Tab, url: str) -> None:
    """Type ``url`` (a new Streamlit session) and wait for its first run to end."""
    tab.begin(url)
    before = tab.finished
    tab.page.goto(url, wait_until="domcontentloaded")
    tab.page.locator("[data-testid='stMain'] h1, [data-testid='stMain'] [data-testid='stAlert']").first.wait_for(
        timeout=LOAD_TIMEOUT_MS)
    wait_idle(tab, before)
    tab.capture()


def go_in_app(tab: Tab, url: str) -> None:
    """Open ``url`` (path and query) within the session, as back/forward would, and wait for the run."""
    tab.begin(f"in-app {url}")
    before = tab.finished
    tab.page.evaluate(GO_IN_APP_JS, url)
    wait_idle(tab, before)
    tab.capture()


def click_nav(tab: Tab, path: str) -> None:
    """Click the sidebar's link to page ``path`` ("" for the first page, at /) and wait for the run."""
    tab.begin(f"sidebar /{path}")
    before = tab.finished
    links = tab.page.locator(f"[data-testid='stSidebarNav'] a[href$='/{path}']")
    assert links.count() == 1, (path, tab.page.locator("[data-testid='stSidebarNav'] a").all_inner_texts())
    links.first.click()
    wait_idle(tab, before)
    tab.capture()


def main_text(page: Page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def heading(page: Page) -> str:
    return page.locator("[data-testid='stMain'] h1").first.inner_text().strip()


def login(tab: Tab, role: str | None = None, *, name: str = "", password: str = "") -> float:
    """Log in on the login page shown; the round trip (click 登录 → the first page's title visible), seconds."""
    if role is not None:
        name, password = CREDENTIALS[role]
    page = tab.page
    tab.begin(f"login {name}")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    before = tab.finished
    button = page.get_by_role("button", name="登录")
    started = time.perf_counter()
    button.click()
    page.wait_for_function(LANDED_JS, arg=LOGIN_TITLE, timeout=LOAD_TIMEOUT_MS, polling=20)
    seconds = time.perf_counter() - started
    wait_idle(tab, before)
    tab.capture()
    if role is not None:
        TIMINGS.setdefault(role, []).append(seconds)
    assert page.locator("[data-testid='stSidebar']").get_by_text("退出登录").count() == 1
    return seconds


def login_answer(tab: Tab, name: str, password: str) -> str:
    """Submit the login form with wrong (or locked) credentials; the error it answers, as shown."""
    page = tab.page
    tab.begin(f"login attempt {name}")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    before = tab.finished
    page.get_by_role("button", name="登录").click()
    wait_idle(tab, before)
    tab.capture()
    errors = page.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 1, main_text(page)
    return errors.first.inner_text().strip()


def assert_login_page(page: Page, where: str, *, menu: bool = False) -> None:
    """The login page and nothing else: its title, 用户名, 密码, 登录; no page, table or map.

    ``menu``: the sidebar's page menu may still be there.  After a logout or a timeout the
    frontend keeps the menu of the last run that called ``st.navigation`` (the login page's run
    does not); its links only lead to the login page again.  A fresh session has none.
    """
    assert heading(page) == LOGIN_TITLE, where
    assert page.get_by_label("用户名").is_visible(), where
    assert page.get_by_label("密码").is_visible(), where
    assert page.get_by_label("密码").get_attribute("type") == "password", where
    assert page.get_by_role("button", name="登录").is_visible(), where
    assert page.locator("[data-testid='stMain'] h1").count() == 1, where
    selectors = ["[data-testid='stDataFrame']", "iframe", "[data-testid='stMetric']", "[data-testid='stException']",
                 "[data-testid='stDownloadButton']"]
    if not menu:
        selectors.append("[data-testid='stSidebarNav']")
    for selector in selectors:
        assert page.locator(selector).count() == 0, (where, selector)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.count() == 0 or "退出登录" not in sidebar.inner_text(), where


def assert_denied(page: Page, where: str) -> None:
    """The main area answers 无权查看 and nothing else."""
    text = main_text(page).replace("block", "").strip()  # "block": the alert's icon ligature
    assert text == DENIED_TEXT, (where, text[:300])
    for selector in ("[data-testid='stMain'] h1", "[data-testid='stMain'] [data-testid='stDataFrame']",
                     "[data-testid='stMain'] iframe", "[data-testid='stMain'] [data-testid='stDownloadButton']",
                     "[data-testid='stException']"):
        assert page.locator(selector).count() == 0, (where, selector)


def wait_for_map(page: Page) -> None:
    """Wait until Leaflet has drawn into the main area's map."""
    page.wait_for_selector(MAP_IFRAME, timeout=LOAD_TIMEOUT_MS)
    page.frame_locator(MAP_IFRAME).first.locator(
        ".leaflet-container .leaflet-overlay-pane svg path:not([d='M0 0']), "
        ".leaflet-container .leaflet-overlay-pane canvas").first.wait_for(timeout=LOAD_TIMEOUT_MS)


def shot(page: Page, folder: Path, name: str, *, full_page: bool = False) -> Path:
    path = folder / name
    page.screenshot(path=str(path), full_page=full_page)
    SHOTS.append(path)
    return path


# --------------------------------------------------------------------------- downloads


def download_all(tab: Tab, buttons: Locator, folder: Path, prefix: str) -> list[Path]:
    """Click every visible button of ``buttons`` (download buttons), saving each file; their paths."""
    saved = []
    for i in range(buttons.count()):
        with tab.page.expect_download(timeout=LOAD_TIMEOUT_MS) as info:
            buttons.nth(i).click()
        download = info.value
        assert download.failure() is None, download.failure()
        path = folder / f"{prefix}-{len(saved)}-{download.suggested_filename}"
        download.save_as(path)
        saved.append(path)
    return saved


def pdf_text(path: Path) -> str:
    """The text of a PDF (poppler's pdftotext), and again without white space (names wrapped in a cell)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext not found: apt-get install poppler-utils")  # scripts/test.sh installs it
    text = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text + "\n" + re.sub(r"\s+", "", text)


def workbook_text(path: Path) -> str:
    """Every cell of every sheet of an .xlsx, one line per row."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return "\n".join("\t".join("" if v is None else str(v) for v in row)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    finally:
        book.close()


def check_workbooks(paths: list[Path], app: AccessApp) -> dict[str, int]:
    """Assert no workbook names a firm outside the cells; file name → how many of the commissioner's it names."""
    mine_in = {}
    for path in paths:
        text = pdf_text(path) if path.suffix == ".pdf" else workbook_text(path)
        leaked = found_names(text, app.others)
        assert leaked == [], f"LEAK: {path.name} names {len(leaked)} firms outside {COMMISSIONER}'s cells: {leaked[:5]}"
        mine_in[path.name] = len(found_names(text, app.mine))
    return mine_in


# --------------------------------------------------------------------------- 1. nobody logged in


def test_anonymous_sees_only_the_login_page(app: AccessApp, browser: Browser, screenshot_dir: Path) -> None:
    base = app.base
    inside_town, outside_town = app.inside_town[0], app.outside_town[0]
    urls = [f"{base}/", *(f"{base}/{p}" for p in VIEW_PATHS + ADMIN_PATHS),
            f"{base}/my-grid?commissioner={quote(COMMISSIONER)}",
            f"{base}/my-grid?commissioner={quote(app.other_commissioner)}",
            f"{base}/town?area={inside_town}", f"{base}/town?area={outside_town}&q={quote('纺织')}",
            f"{base}/park?area={quote(app.inside_park[0])}", f"{base}/?asof=2025-03-31",
            f"{base}/changes?from=2025-03-31", f"{base}/data?severity=all"]
    with new_tab(browser) as tab:
        for url in urls:
            open_url(tab, url)
            assert_login_page(tab.page, url)
            assert WRONG_CREDENTIALS not in main_text(tab.page)
        shot(tab.page, screenshot_dir, "access-login-page.png")

        # the big screen: no token or a wrong one is refused; the right one shows it, with figures only
        for url in (f"{base}/?kiosk=1", f"{base}/?kiosk=1&token=not-the-token",
                    f"{base}/?kiosk=1&token={app.token[:-1]}"):
            open_url(tab, url)
            assert DENIED_TEXT in main_text(tab.page), url
            assert tab.page.locator(KIOSK_IFRAME).count() == 0, url
            assert tab.page.get_by_label("密码").count() == 0, url
        url = f"{base}/?kiosk=1&token={app.token}"
        tab.begin(url)
        tab.page.goto(url, wait_until="domcontentloaded")
        tab.page.wait_for_selector(KIOSK_IFRAME, timeout=LOAD_TIMEOUT_MS)
        kiosk = tab.page.frame_locator(KIOSK_IFRAME).first
        tab.page.query_selector(KIOSK_IFRAME).content_frame().wait_for_function(
            "window.kiosk && window.kiosk.ready", timeout=LOAD_TIMEOUT_MS)
        assert kiosk.locator("#district").inner_text().strip() != ""
        assert DENIED_TEXT not in main_text(tab.page)
        tab.page.wait_for_timeout(1_500)
        tab.capture()
        shot(tab.page, screenshot_dir, "access-kiosk.png")

        leaks = tab.found(app.every)
        assert leaks == {}, "LEAK: firm names reached a browser that is not logged in: " + json.dumps(
            {k: v[:5] for k, v in leaks.items()}, ensure_ascii=False)
        assert tab.exceptions == []
        received = sum(len(t) for texts in tab.seen.values() for t in texts)
        assert received > 100_000  # the big screen's payload came through the same channel that was checked
    print(f"\nanonymous: {len(urls)} page URLs → login page only; kiosk refused without/with a wrong token, "
          f"shown with the right one; {received:,} characters checked, no firm name")


# --------------------------------------------------------------------------- 2. a commissioner


def test_commissioner_sees_only_their_cells(app: AccessApp, browser: Browser, screenshot_dir: Path,
                                            downloads_dir: Path) -> None:
    town_id, town_name, town_mine = app.inside_town
    out_town_id, out_town_name = app.outside_town
    park_id, park_name, park_mine = app.inside_park
    out_park_id, out_park_name = app.outside_park
    files: dict[str, list[Path]] = {}
    with new_tab(browser) as tab:
        page = tab.page
        open_url(tab, f"{app.base}/")
        assert_login_page(page, "/")
        login(tab, "commissioner")
        shot(page, screenshot_dir, "access-commissioner-first-page.png")
        sidebar = page.locator("[data-testid='stSidebar']").inner_text()
        assert f"{COMMISSIONER}（网格专员）" in sidebar
        nav = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
        assert not {"专员分配", "数据", "审计"} & {t.strip() for t in nav}, nav

        # every page of the menu, by its link
        for path in MENU_PATHS:
            click_nav(tab, path)
            assert page.locator("[data-testid='stMain'] h1").count() >= 1, path
            assert DENIED_TEXT not in main_text(page), path

        # 我的网格: their own, whatever the URL asks for
        click_nav(tab, "my-grid")
        wait_for_map(page)
        page.wait_for_timeout(800)
        shot(page, screenshot_dir, "access-commissioner-my-grid-1440.png")
        own = main_text(page)
        mine_line = f"{len(app.mine)} 家企业"
        assert mine_line in own
        files["my_grid"] = download_all(tab, page.get_by_role("button", name="本页表格（Excel）"), downloads_dir,
                                        "my-grid-page")
        files["my_grid"] += download_all(tab, page.get_by_role("button", name="下载 Excel"), downloads_dir,
                                         "my-grid-targets")
        files["my_grid_pdf"] = download_all(tab, page.get_by_role("button", name="下载本周走访清单（PDF）"),
                                            downloads_dir, "my-grid-week")
        page.get_by_role("tab", name=f"全部企业（{len(app.mine)}）").click()
        files["my_grid"] += download_all(tab, page.get_by_role("button", name="下载 Excel"), downloads_dir,
                                         "my-grid-firms")

        go_in_app(tab, f"/my-grid?commissioner={quote(app.other_commissioner)}")
        assert heading(page) == "我的网格"
        assert mine_line in main_text(page), "another commissioner's page was opened by its URL"
        selected = page.locator("[data-testid='stMain']").get_by_role("combobox", name="网格专员").input_value()
        assert COMMISSIONER in selected and app.other_commissioner not in selected, selected
        go_in_app(tab, "/my-grid?asof=2025-03-31")
        assert "数据截至 2025-03-31" in main_text(page)
        go_in_app(tab, "/my-grid?asof=2025-12-31")  # the version chosen stays with the session: back to the latest
        assert "数据截至 2025-12-31" in main_text(page)

        # 镇街 / 园区: figures of any area, firms only of their cells
        go_in_app(tab, f"/town?area={town_id}")
        assert heading(page) == town_name
        assert f"镇街内共 {town_mine:,} 家" in main_text(page)
        files["town"] = download_all(tab, page.get_by_role("button", name="下载 Excel"), downloads_dir, "town")
        files["town"] += download_all(tab, page.get_by_role("button", name="本页表格（Excel）"), downloads_dir,
                                      "town-page")
        go_in_app(tab, f"/town?area={out_town_id}")
        assert heading(page) == out_town_name
        assert "镇街内共 0 家" in main_text(page)
        files["town_outside"] = download_all(tab, page.get_by_role("button", name="本页表格（Excel）"),
                                             downloads_dir, "town-outside-page")
        go_in_app(tab, f"/town?area={out_town_id}&q={quote('纺织')}")  # found elsewhere: only among their firms
        assert heading(page) == out_town_name
        go_in_app(tab, f"/park?area={quote(park_id)}")
        assert heading(page) == park_name
        assert f"园区内共 {park_mine:,} 家" in main_text(page)
        go_in_app(tab, f"/park?area={quote(out_park_id)}")
        assert heading(page) == out_park_name
        assert "园区内共 0 家" in main_text(page)
        go_in_app(tab, "/changes?from=2025-03-31")
        assert heading(page) == "变化"

        # the admin's pages: 无权查看 and nothing else, by URL too
        for path in ADMIN_PATHS:
            go_in_app(tab, f"/{path}")
            assert_denied(page, path)
        go_in_app(tab, "/data?severity=all&layer=enterprises")
        assert_denied(page, "data with a query")
        go_in_app(tab, f"/?kiosk=1&token={app.token}")  # the big screen's URL inside a commissioner's session
        assert page.locator(KIOSK_IFRAME).count() == 0
        assert DENIED_TEXT in main_text(page)

        leaks = tab.found(app.others)
        shown_mine = tab.found(app.mine)
        exceptions = tab.exceptions
        assert tab.sent(CREDENTIALS["commissioner"][1]) == [], "the server sent the password back"
    assert exceptions == [], exceptions
    assert leaks == {}, (f"LEAK: names of firms outside {COMMISSIONER}'s cells reached their browser: "
                         + json.dumps({k: v[:5] for k, v in leaks.items()}, ensure_ascii=False))
    seen_mine = set().union(*shown_mine.values()) if shown_mine else set()
    assert len(seen_mine) >= len(app.mine) * 0.9, len(seen_mine)  # the check looked where the names are
    assert any(step.startswith("sidebar /my-grid") for step in shown_mine)
    assert any(f"area={town_id}" in step for step in shown_mine)

    # the workbooks: nothing outside the cells, and the firm tables do name theirs
    for key in ("my_grid", "my_grid_pdf", "town", "town_outside"):
        assert files[key], key
    counts = {key: check_workbooks(paths, app) for key, paths in files.items()}
    assert sum(counts["my_grid"].values()) > 0 and sum(counts["town"].values()) > 0, counts
    assert max(counts["my_grid"].values()) >= len(app.mine) * 0.9, counts["my_grid"]
    assert max(counts["town"].values()) >= town_mine * 0.9, counts["town"]
    assert sum(counts["town_outside"].values()) == 0, counts["town_outside"]
    assert sum(counts["my_grid_pdf"].values()) > 0, counts["my_grid_pdf"]  # the week's sheet names their firms
    print(f"\ncommissioner {COMMISSIONER}: {len(seen_mine)} of their {len(app.mine)} firms seen, none of the "
          f"{len(app.others)} others; workbooks: " + json.dumps(counts, ensure_ascii=False))


def test_commissioner_my_grid_on_a_phone(app: AccessApp, browser: Browser, screenshot_dir: Path) -> None:
    with new_tab(browser, viewport={"width": 400, "height": 800}, is_mobile=True, has_touch=True,
                 device_scale_factor=2) as tab:
        page = tab.page
        open_url(tab, f"{app.base}/my-grid")
        assert_login_page(page, "phone /my-grid")
        login(tab, "commissioner")
        assert heading(page) == "我的网格"  # the address asked for is the page shown after logging in
        go_in_app(tab, "/my-grid")
        wait_for_map(page)
        page.wait_for_timeout(800)
        assert f"{len(app.mine)} 家企业" in main_text(page)
        widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
        assert widths["doc"] <= widths["view"], widths
        shot(page, screenshot_dir, "access-commissioner-my-grid-400.png", full_page=True)
        assert tab.found(app.others) == {}
        assert tab.exceptions == []

        # record a visit in two taps: the firm, then 保存走访 (the date is the day's, 走访 the default)
        visits = Visits(Store(app.store))
        before = len(visits.current())
        tab.begin("choose a firm")
        done = tab.finished
        firm = sorted(app.mine)[0]
        picker = page.get_by_label("选择企业")
        picker.tap()  # tap 1: the list of firms (searchable: the first letters find one)
        picker.fill(firm)
        page.get_by_role("option", name=re.compile(re.escape(firm))).first.tap()
        wait_idle(tab, done)
        page.get_by_role("button", name="保存走访").wait_for(timeout=LOAD_TIMEOUT_MS)
        tab.begin("保存走访")
        done = tab.finished
        page.get_by_role("button", name="保存走访").click()
        wait_idle(tab, done)
        wait_for_map(page)
        page.wait_for_timeout(800)
        day = Store(app.store).info("demo_today")
        assert f"已记录：{firm} {day} 走访。" in main_text(page)
        log = visits.current()
        assert len(log) == before + 1 and log.iloc[-1]["firm_name"] == firm
        tab.capture()
        shown = "\n".join(tab.seen.get("保存走访", []))
        assert f"{day}（走访）" in shown or json.dumps(f"{day}（走访）")[1:-1] in shown  # the map's tooltip data
        page.get_by_role("tab", name="走访记录").click()
        page.wait_for_timeout(600)
        assert tab.sent(firm), "the visit list (an Arrow table) names the firm"
        widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
        assert widths["doc"] <= widths["view"], widths  # still no horizontal scroll
        shot(page, screenshot_dir, "visit-recorded-400.png", full_page=True)
        assert tab.found(app.others) == {}


# --------------------------------------------------------------------------- 3. a leader


def test_leader_sees_every_firm_but_not_the_admin_pages(app: AccessApp, browser: Browser,
                                                         screenshot_dir: Path) -> None:
    with new_tab(browser) as tab:
        page = tab.page
        open_url(tab, f"{app.base}/")
        login(tab, "leader")
        shot(page, screenshot_dir, "access-leader-first-page.png")
        go_in_app(tab, f"/town?area={app.inside_town[0]}")
        assert heading(page) == app.inside_town[1]
        leader_saw = tab.found(app.others)
        assert {"data", "audit"} <= set(LEADER_DENIED)
        for path in LEADER_DENIED:
            go_in_app(tab, f"/{path}")
            assert_denied(page, f"leader /{path}")
        assert tab.exceptions == []
    seen = set().union(*leader_saw.values()) if leader_saw else set()
    # the same check that found nothing for the commissioner finds the other commissioners' firms here
    assert len(seen) > 100, leader_saw.keys()
    print(f"\nleader: {len(seen)} firms outside {COMMISSIONER}'s cells seen on {app.inside_town[1]} "
          "(the leak check does find names); 数据/审计/专员分配 → 无权查看")


# --------------------------------------------------------------------------- 4. lockout


def test_wrong_passwords_lock_the_account(app: AccessApp, browser: Browser) -> None:
    with new_tab(browser) as tab:
        open_url(tab, f"{app.base}/")
        unknown = login_answer(tab, UNKNOWN_USER, "whatever-pass-2025")
        known = login_answer(tab, CREDENTIALS["commissioner2"][0], "not-their-pass-2025")
        assert unknown == known, (unknown, known)  # nothing tells an account name from a made-up one
        assert WRONG_CREDENTIALS in unknown

        answers = [login_answer(tab, LOCK_USER, f"wrong-{i}-pass") for i in range(6)]
        assert all(WRONG_CREDENTIALS in a for a in answers[:4]), answers
        locked_at = next((i for i, a in enumerate(answers) if "锁定" in a), None)
        assert locked_at in (4, 5), answers  # the fifth (or sixth) answer says so
        right = login_answer(tab, LOCK_USER, LOCK_PASSWORD)
        assert "锁定" in right, right
        assert_login_page(tab.page, "locked")
        assert tab.found(app.every) == {}
    print(f"\nlockout: answers {[('锁定' if '锁定' in a else '错误') for a in answers]}; right password → {right!r}; "
          f"unknown and known user both → {unknown!r}")


# --------------------------------------------------------------------------- 5. idle timeout


def test_idle_session_ends(idle_app: tuple[str, Path], browser: Browser) -> None:
    base, store = idle_app
    with new_tab(browser) as tab:
        page = tab.page
        open_url(tab, f"{base}/")
        login(tab, "leader")
        page.wait_for_timeout(5_000)  # longer than IPGRID_IDLE_MINUTES=0.05 (3 s)
        click_nav(tab, "town")
        assert_login_page(page, "after idle", menu=True)
        notice = page.locator("[data-testid='stAlertContentInfo']").first.inner_text()
        assert "没有操作" in notice, notice
        assert tab.exceptions == []
    log = Store(store).audit_log()
    timeouts = log[log["action"] == "timeout"]
    assert list(timeouts["user"]) == [CREDENTIALS["leader"][0]], log.tail(5).to_dict("records")
    print(f"\nidle: after 5 s without action the next click shows the login page: {notice.strip()!r}")


# --------------------------------------------------------------------------- 6. logout


def test_logout_while_the_first_page_runs_leaves_no_credentials(idle_app: tuple[str, Path], browser: Browser) -> None:
    """退出登录 clicked while the first page after login is still drawing: the form must come back empty.

    The first page of an older version (``?asof=``, not loaded yet on this server) takes a moment;
    the sidebar's 退出登录 is there before the page is.  Up to three versions are tried until the
    click lands while the run is still going (the server says so over the websocket).
    """
    base, _ = idle_app
    name, password = CREDENTIALS["leader"]
    tried = []
    for asof in ("2025-06-30", "2025-09-30", "2025-03-31"):
        with new_tab(browser) as tab:
            page = tab.page
            open_url(tab, f"{base}/?asof={asof}")
            page.get_by_label("用户名").fill(name)
            page.get_by_label("密码").fill(password)
            tab.begin("login")
            page.get_by_role("button", name="登录").click()
            out = page.locator("[data-testid='stSidebar']").get_by_role("button", name="退出登录")
            out.wait_for(timeout=LOAD_TIMEOUT_MS)
            during = tab.running
            tab.begin("退出登录 while the first page runs")
            before = tab.finished
            out.click()
            wait_idle(tab, before)
            assert heading(page) == LOGIN_TITLE
            left = (page.get_by_label("用户名").input_value(), page.get_by_label("密码").input_value())
            tab.begin("登录 with nothing typed")
            before = tab.finished
            page.get_by_role("button", name="登录").click()  # nothing typed
            wait_idle(tab, before)
            sidebar = page.locator("[data-testid='stSidebar']")  # the login page has none
            back_in = sidebar.count() > 0 and "退出登录" in sidebar.inner_text()
            tried.append({"asof": asof, "clicked_while_running": during, "form_after_logout": left,
                          "登录_with_nothing_typed_logs_in": back_in,
                          "password_sent_by_server_in": tab.sent(password)})
        if during:
            break
    print(f"\nquick logout: {tried}")
    assert any(t["clicked_while_running"] for t in tried), f"never clicked while the first page ran: {tried}"
    bad = [t for t in tried if t["form_after_logout"] != ("", "") or t["登录_with_nothing_typed_logs_in"]
           or t["password_sent_by_server_in"]]
    # The login form after a login is a new one (fresh widget keys, dashboard/access/gate.py), so what the
    # browser kept of the earlier one — a run cut short by 退出登录 never cleared it — cannot come back.
    assert bad == [], f"after 退出登录 the login form still holds the credentials: {bad}"



@pytest.mark.parametrize("role", ["admin", "commissioner2"])
def test_logout_brings_the_login_page_back(app: AccessApp, browser: Browser, screenshot_dir: Path,
                                          role: str) -> None:
    with new_tab(browser) as tab:
        page = tab.page
        open_url(tab, f"{app.base}/")
        login(tab, role)
        shot(page, screenshot_dir, f"access-{role}-first-page.png")
        tab.begin("logout")
        before = tab.finished
        page.get_by_role("button", name="退出登录").click()
        wait_idle(tab, before)
        assert_login_page(page, f"{role} logged out", menu=True)
        assert "已退出登录" in page.locator("[data-testid='stAlertContentInfo']").first.inner_text()
        go_in_app(tab, "/town")  # the session is over: the next page asks for login again
        assert_login_page(page, f"{role} after logout", menu=True)
        assert page.get_by_label("用户名").input_value() == "" and page.get_by_label("密码").input_value() == ""
        assert tab.exceptions == []


# --------------------------------------------------------------------------- 7. audit


def test_audit_log_names_what_happened(app: AccessApp) -> None:
    """The audit the tests above left (run the whole module): logins, failures, lockout, refusals, downloads."""
    log = Store(app.store).audit_log()
    details = [json.loads(d) if isinstance(d, str) and d.startswith("{") else {} for d in log["detail"]]
    log = log.assign(detail=details)
    by = {action: set(log.loc[log["action"] == action, "user"]) for action in set(log["action"])}
    admin, leader, commissioner, commissioner2 = (CREDENTIALS[r][0] for r in
                                                  ("admin", "leader", "commissioner", "commissioner2"))
    missing = []

    def expect(action: str, users: set[str]) -> None:
        if not users <= by.get(action, set()):
            missing.append(f"{action}: {sorted(users - by.get(action, set()))}")

    expect("login", {admin, leader, commissioner, commissioner2, KIOSK_ACCOUNT})
    expect("login_failed", {LOCK_USER, UNKNOWN_USER, commissioner2, "（大屏令牌）"})
    expect("lockout", {LOCK_USER})
    expect("denied", {commissioner, leader})
    expect("download", {commissioner})
    expect("export", {commissioner})  # the week's visit sheet (PDF)
    expect("logout", {admin, commissioner2})
    assert missing == [], f"audit lacks {missing}; has {sorted(by.items())} (run the whole module)"

    assert commissioner not in by.get("lockout", set()) and LOCK_USER not in by.get("login", set())
    denied = log[log["action"] == "denied"]
    pages = {(u, d.get("page")) for u, d in zip(denied["user"], denied["detail"], strict=True)}
    assert {(commissioner, s.key) for s in PAGES if not may_open("commissioner", s.key)} <= pages, pages
    assert {(leader, "data"), (leader, "audit")} <= pages, pages
    downloads = log[log["action"] == "download"]
    what = [d.get("what", "") for d in downloads["detail"]]
    assert any(w.startswith(f"{COMMISSIONER}_") and w.endswith(".xlsx") for w in what), what
    assert any(w.startswith(f"{app.inside_town[1]}_") for w in what), what
    scopes = {d.get("scope") for u, d in zip(downloads["user"], downloads["detail"], strict=True) if u == commissioner}
    assert scopes == {f"网格专员 {COMMISSIONER} 负责的网格"}, scopes
    failures = log[(log["action"] == "login_failed") & (log["user"] == LOCK_USER)]
    assert "locked" in {d.get("reason") for d in failures["detail"]}

    summary = log.groupby(["action", "user"]).size().rename("n").reset_index()
    print("\naudit (action, user → entries):")
    for row in summary.itertuples(index=False):
        print(f"  {row.action:<14} {row.user:<12} {row.n}")
    print("login round trip (click 登录 → first page's title), seconds:")
    every = [s for values in TIMINGS.values() for s in values]
    for role, values in TIMINGS.items():
        print(f"  {role:<14} median {statistics.median(values):.2f}  ({', '.join(f'{v:.2f}' for v in values)})")
    if every:
        print(f"  all            median {statistics.median(every):.2f} over {len(every)} logins")
    print("screenshots:")
    for path in SHOTS:
        print(f"  {path}")
