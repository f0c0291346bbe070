"""Shared fixtures: small data folders, one app server per data folder, one Chromium.

Browser tests (``@pytest.mark.browser``) share the servers and the browser for
the whole session: starting Streamlit takes seconds, Chromium about one more.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pg_cluster import PgCluster, PgStartError, PgUnavailableError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
"""Repository root (where ``streamlit_app.py`` is)."""

APP_SCRIPT = ROOT / "streamlit_app.py"

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium (never ``playwright install``)."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

SERVER_START_TIMEOUT_S = 90.0

XSS_NAME = "<img src=x onerror=alert(1)>"
"""A town and enterprise name that runs script if any view puts it into HTML unescaped."""

FORMULA_NAME = '=HYPERLINK("http://example.invalid","点我")公司'
"""An enterprise name Excel would run as a formula if a download wrote it as one."""


# --------------------------------------------------------------------------- data folders


def _square(west: float, south: float, size: float = 0.08) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size],
            [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_xss_folder(folder: Path) -> Path:
    """Write a minimal data folder whose first town and one enterprise are named :data:`XSS_NAME`.

    ``镇街.geojson`` (名称, 区划代码, 常住人口, polygons in EPSG:4326) and
    ``企业.csv`` (企业名称, 经度, 纬度), the two layers a folder needs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    towns = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [
            {"type": "Feature",
             "properties": {"名称": XSS_NAME, "区划代码": "320612001000", "常住人口": 52000},
             "geometry": _square(120.90, 32.00)},
            {"type": "Feature",
             "properties": {"名称": "安宁镇", "区划代码": "320612002000", "常住人口": 61000},
             "geometry": _square(120.98, 32.00)},
        ],
    }
    (folder / "镇街.geojson").write_text(json.dumps(towns, ensure_ascii=False), encoding="utf-8")
    (folder / "企业.csv").write_text(
        "企业名称,经度,纬度,有效发明专利\n甲企业,120.95,32.04,1\n乙企业,121.02,32.03,0\n"
        f'"{XSS_NAME}",120.93,32.02,2\n', encoding="utf-8"
    )
    return folder


@pytest.fixture
def xss_name() -> str:
    """The hostile town name of :func:`xss_folder`."""
    return XSS_NAME


@pytest.fixture
def xss_folder(tmp_path: Path) -> Path:
    """A data folder with a town named ``<img src=x onerror=alert(1)>``."""
    return write_xss_folder(tmp_path / "xss")


@pytest.fixture(scope="session")
def xss_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`write_xss_folder` once per session (one app server for the browser tests)."""
    return write_xss_folder(tmp_path_factory.mktemp("xss-session") / "xss")


def write_faulty_app_folder(folder: Path) -> Path:
    """A small district with every layer and planted faults, for the app's pages.

    Three towns (甲镇, 乙镇, 丙街道; see ``fixture_files.three_towns``), two
    parks without codes, four grid cells (张三 has G1 and G2, 李四 has G3,
    G4 has nobody), ten enterprise rows of which one has no name (an error),
    one an unreadable number (a warning), one no coordinates, one the name
    :data:`XSS_NAME` and one a formula (:data:`FORMULA_NAME`); two service
    points, one GI over 甲镇 and 乙镇 with its users, indicators with 2025 targets.
    """
    import geopandas as gpd
    from fixture_files import METRIC, square, three_towns, to_lonlat, write_csv, write_xlsx

    folder.mkdir(parents=True, exist_ok=True)
    towns = three_towns()
    towns.to_file(folder / "镇街.gpkg")
    gpd.GeoDataFrame({"园区名称": ["A园", "B园"], "级别": ["省级", "镇级"]},
                     geometry=[square(1500, 0, 2500, 1000), square(2400, 0, 3000, 600)],
                     crs=METRIC).to_file(folder / "园区.gpkg")
    gpd.GeoDataFrame(
        {"网格编号": ["G1", "G2", "G3", "G4"], "网格名称": ["甲一格", "乙一格", "丙西格", "丙东格"],
         "所属镇街": ["甲镇", "乙镇", "丙街道", "丙街道"],
         "网格专员": ["张三", "张三", "李四", None], "联系电话": ["13800000001", "13800000001", "13800000002", None]},
        geometry=[square(0, 0, 2000, 2000), square(2000, 0, 4000, 2000), square(0, 2000, 2000, 4000),
                  square(2000, 2000, 4000, 4000)], crs=METRIC).to_file(folder / "网格.gpkg")
    header = ["企业名称", "统一社会信用代码", "经度", "纬度", "主导产业", "企业类别", "有效发明专利", "实用新型",
              "有效注册商标", "质押融资金额（万元）", "地址"]
    firms = [
        ("甲纺织公司", 500, 500, "高端纺织", "成长型知识产权强企", 2, 0, 0, None),
        ("甲装备公司", 1500, 1500, "智能装备", None, 0, 0, 0, None),
        (XSS_NAME, 800, 300, "高端纺织", None, 0, 1, 0, None),
        ("乙汽车公司", 3000, 500, "汽车及零部件", "引领型知识产权强企", 4, 0, 1, 100),
        ("乙空白公司", 3500, 1500, "智能装备", None, 0, 0, 0, None),
        ("丙商标公司", 1000, 3000, "其他", None, 0, 0, 2, None),
        (None, 1200, 3100, "其他", None, 1, 0, 0, None),  # row 8: no name, rejected
        ("丙若干公司", 3000, 3000, "其他", None, "若干", 0, 0, None),  # row 9: a number that is not one
        ("无坐标公司", None, None, "其他", None, 1, 0, 0, None),  # row 10: not on the map
        (FORMULA_NAME, 600, 1800, "其他", None, 0, 0, 0, None),
    ]
    rows = []
    for name, x, y, industry, tier, inv, um, tm, pledge in firms:
        lon, lat = to_lonlat(x, y) if x is not None else (None, None)
        rows.append([name, None, lon, lat, industry, tier, inv, um, tm, pledge, f"{name or ''}地址"])
    write_csv(folder / "企业.csv", header, rows, "utf-8-sig")  # CSV: the formula name stays text
    s1, s2 = to_lonlat(500, 1000), to_lonlat(3000, 3500)
    write_csv(folder / "服务站点.csv", ["站点名称", "站点类型", "经度", "纬度", "地址"],
              [["甲镇工作站", "基层知识产权工作站", *s1, "甲镇大街1号"],
               ["丙街道网点", "信息公共服务网点", *s2, "丙街道2号"]], "utf-8-sig")
    write_xlsx(folder / "地理标志.xlsx", ["产品名称", "保护类型", "保护范围", "授权使用企业"],
               [["甲乙大米", "地理标志产品", "甲镇、乙镇", "甲纺织公司、乙汽车公司、外地米业公司"]])
    write_csv(folder / "指标.csv", ["年份", "指标", "数值", "单位", "类型"], [
        [2023, "每万人口高价值发明专利拥有量", 10.0, "件", "实际"],
        [2024, "每万人口高价值发明专利拥有量", 12.0, "件", "实际"],
        [2025, "每万人口高价值发明专利拥有量", 18, "件", "目标"],
        [2023, "知识产权质押融资金额", 15, "亿元", "实际"],
        [2024, "知识产权质押融资金额", 21, "亿元", "实际"],
        [2025, "知识产权质押融资金额", 20, "亿元", "目标"],
    ], encoding="utf-8-sig")
    (folder / "ipgrid.toml").write_text(
        '[district]\nname = "测试区"\ndata_date = "2025-12-31"\nsource = "测试"\n'
        '[service_radius_m]\n"基层知识产权工作站" = 1000\n"信息公共服务网点" = 600\n'
        '[enterprises]\ncrs = "WGS-84"\n[service_points]\ncrs = "WGS-84"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def faulty_app_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`write_faulty_app_folder`, written once per session (do not change it)."""
    return write_faulty_app_folder(tmp_path_factory.mktemp("faulty-app") / "测试区")


@pytest.fixture(scope="session")
def app_script() -> Path:
    """Path of ``streamlit_app.py``."""
    return APP_SCRIPT


# --------------------------------------------------------------------------- app servers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AppServers:
    """Start ``streamlit run streamlit_app.py`` once per data folder; stop them all at the end."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._servers: dict[str, tuple[subprocess.Popen[bytes], str, Path]] = {}

    def __call__(self, data_folder: Path | None = None) -> str:
        """Return the base URL of a server showing ``data_folder`` (``None``: the demo)."""
        key = "" if data_folder is None else str(Path(data_folder).resolve())
        if key not in self._servers:
            self._servers[key] = self._start(key)
        proc, url, log = self._servers[key]
        if proc.poll() is not None:
            pytest.fail(f"app server for {key or 'demo'} exited:\n{log.read_text()[-4000:]}")
        return url

    def _start(self, data_folder: str) -> tuple[subprocess.Popen[bytes], str, Path]:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = dict(os.environ)
        env.pop("IPGRID_DATA", None)
        if data_folder:
            env["IPGRID_DATA"] = data_folder
        log = self._log_dir / f"streamlit-{port}.log"
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
            "--server.headless", "true",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return proc, url, log
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self._stop(proc)
        pytest.fail(f"streamlit did not answer within {SERVER_START_TIMEOUT_S:.0f} s:\n"
                    f"{log.read_text()[-4000:]}")

    @staticmethod
    def _stop(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)

    def close(self) -> None:
        """Stop every server this object started."""
        for proc, _, _ in self._servers.values():
            self._stop(proc)
        self._servers.clear()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """Factory ``app_server(data_folder=None) -> base URL``; one server per folder per session."""
    servers = AppServers(tmp_path_factory.mktemp("streamlit-logs"))
    try:
        yield servers
    finally:
        servers.close()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the session (playwright's sync API)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: apt-get install chromium fonts-noto-cjk"
        pytest.fail(reason)  # scripts/test.sh installs it; a missing tool is a broken setup, not a skip
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own context: no shared cookies or cache) at 1440×900."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where browser tests save screenshots: ``$IPGRID_SCREENSHOTS`` or a session tmp folder."""
    configured = os.environ.get("IPGRID_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --------------------------------------------------------------------------- PostgreSQL + PostGIS


@pytest.fixture(scope="session")
def pg_cluster(request: pytest.FixtureRequest) -> PgCluster:
    """One throwaway PostgreSQL + PostGIS cluster (``tests/pg_cluster.py``), started on first use.

    Stopped at the end of the session by a finalizer (also after Ctrl-C); its watchdog stops it
    if pytest is killed. Fails (never skips) when PostgreSQL or PostGIS is not installed.
    """
    cluster = PgCluster()
    request.addfinalizer(cluster.stop)  # before start(): a half-started cluster is stopped too
    try:
        cluster.start()
    except PgUnavailableError as exc:
        problem = f"PostgreSQL tests need a local PostgreSQL + PostGIS: {exc}"
    except PgStartError as exc:
        problem = f"the test PostgreSQL cluster did not start: {exc}"
    else:
        return cluster
    pytest.fail(problem, pytrace=False)  # outside the except: no chained traceback


_pg_databases = itertools.count(1)


@pytest.fixture
def pg_url(pg_cluster: PgCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL (``postgresql+psycopg://…``) of a new empty database with PostGIS, dropped after the test."""
    name = f"t{next(_pg_databases)}_{re.sub(r'[^a-z0-9]+', '_', request.node.name.lower())}"[:63]
    url = pg_cluster.new_database(name)
    yield url
    pg_cluster.drop_database(name)
