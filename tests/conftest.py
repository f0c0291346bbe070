"""Shared fixtures: small data folders, one app server per data folder, one Chromium.

Browser tests (``@pytest.mark.browser``) share the servers and the browser for
the whole session: starting Streamlit takes seconds, Chromium about one more.
"""

from __future__ import annotations

import json
import os
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
"""A town name that runs script if any view puts it into HTML unescaped."""


# --------------------------------------------------------------------------- data folders


def _square(west: float, south: float, size: float = 0.08) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size],
            [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_xss_folder(folder: Path) -> Path:
    """Write a minimal data folder whose first town is named :data:`XSS_NAME`.

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
        "企业名称,经度,纬度\n甲企业,120.95,32.04\n乙企业,121.02,32.03\n", encoding="utf-8"
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
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
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
