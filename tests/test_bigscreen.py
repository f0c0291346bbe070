"""The big screen: settings, the payload, the page, the CLI, the kiosk script (AppTest) and, in Chromium,
both wall-screen resolutions — no scroll, no error box, the four cards, rotation, pause, data reload, no
request off the app's host.  Screenshots go to ``screenshot_dir`` (``$IPGRID_SCREENSHOTS``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import loaders
from dashboard.bigscreen import build_payload, page, payload, settings
from dashboard.bigscreen.cli import KIOSK_SCRIPT, add_bigscreen_parser, bigscreen_command, run_bigscreen
from dashboard.bigscreen.data import SnapshotStore
from dashboard.engine import Engine
from geodata import DEMO_DIR

ROOT = Path(__file__).resolve().parents[1]
IFRAME = f'iframe[title="{page.IFRAME_TITLE}"]'
CARD_TITLES = ["专利密集型产业增加值占比", "版权产业增加值占比", "质押融资金额", "每万人口高价值发明专利拥有量"]
RESOLUTIONS = [(1920, 1080), (3840, 2160)]
INTERVAL_S = 1.5
POLL_S = 2


@pytest.fixture(scope="module")
def demo_engine() -> Engine:
    return Engine(loaders.load_folder(DEMO_DIR))


@pytest.fixture(scope="module")
def demo_payload(demo_engine: Engine) -> dict:
    return build_payload(demo_engine)


# --------------------------------------------------------------------------- settings


def test_settings_defaults() -> None:
    s = settings.resolve({}, environ={})
    assert (s.interval_s, s.poll_s, s.town_metric, s.notes) == (15.0, 15.0, "high_value_per_10k_pop", ())


def test_settings_query_wins_over_environment() -> None:
    s = settings.resolve({"interval": "4", "metric": "invention_patents"},
                         environ={"IPGRID_KIOSK_INTERVAL": "30", "IPGRID_KIOSK_POLL": "5"})
    assert (s.interval_s, s.poll_s, s.town_metric) == (4.0, 5.0, "invention_patents")


@pytest.mark.parametrize(("query", "match"), [
    ({"interval": "abc"}, "interval 应为 1–600 秒"),
    ({"interval": "0.2"}, "interval 应为 1–600 秒"),
    ({"poll": "9999"}, "poll 应为 1–300 秒"),
    ({"metric": "gi_names"}, "metric 应为"),
])
def test_settings_bad_values_fall_back_with_a_note(query: dict, match: str) -> None:
    s = settings.resolve(query, environ={})
    assert s == settings.KioskSettings(notes=s.notes)
    assert len(s.notes) == 1 and match in s.notes[0] and "网址参数" in s.notes[0]


def test_parse_seconds_message_names_setting_and_value() -> None:
    with pytest.raises(ValueError, match=r"interval 应为 1–600 秒之间的数，而不是 'x'"):
        settings.parse_seconds("x", settings.INTERVAL_RANGE_S, "interval")


# --------------------------------------------------------------------------- payload


def test_four_target_cards_from_the_indicators(demo_payload: dict) -> None:
    cards = {c["title"]: c for c in demo_payload["cards"]}
    assert list(cards) == CARD_TITLES
    share = cards["专利密集型产业增加值占比"]
    assert (share["value"], share["unit"], share["target"]) == ("15.2", "%", "2025 年目标 16%")
    assert (share["progress_text"], share["arrow"]) == ("完成 95%", "up")
    assert (share["status"], share["tone"]) == ("未达标", "bad")
    assert share["trend"] == "年均 +0.85 个百分点"
    pledge = cards["质押融资金额"]
    assert (pledge["value"], pledge["target"], pledge["status"], pledge["tone"]) == (
        "21.6", "2025 年目标 20 亿元", "达标", "good")


def test_card_of_a_missing_indicator_shows_a_dash() -> None:
    cards = payload.target_cards(pd.DataFrame(columns=["key"]))
    assert [c["value"] for c in cards] == ["—"] * 4
    assert all(c["status"] == "无数据" for c in cards)


@pytest.mark.parametrize(("latest_year", "engine_status", "status", "tone"), [
    (2023, "按趋势可达标", "按趋势可达标", "good"),
    (2023, "按趋势难以达标", "按趋势难以达标", "bad"),
    (2025, "达标", "达标", "good"),
    (2025, "未达标", "未达标", "bad"),
    (2023, "无数据", "无数据", "none"),
])
def test_card_status(latest_year: int, engine_status: str, status: str, tone: str) -> None:
    """The card shows the engine's status (dashboard.engine.targets), it does not judge by itself."""
    row = pd.Series({"unit": "件", "latest": 12.0, "target": 18.0, "progress": 12 / 18, "slope_per_year": -0.5,
                     "target_year": 2025, "latest_year": latest_year, "status": engine_status})
    card = payload.target_card("high_value_per_10k_pop", "每万人口", row)
    assert (card["status"], card["tone"], card["arrow"]) == (status, tone, "down")
    assert card["trend"] == "年均 -0.5 件"


def test_towns_ranked_and_coloured_with_the_app_classes(demo_payload: dict, demo_engine: Engine) -> None:
    towns = demo_payload["towns"]
    names = [f["name"] for f in towns["features"]]
    assert names == list(demo_engine.choropleth("town")["name"])
    top = towns["features"][towns["order"][0]]
    assert (top["name"], top["rank"], top["value"]) == ("先锋街道", 1, "60.01 件")
    last = towns["features"][towns["order"][-1]]
    assert last["value"] == "—" and last["fill"] == "#d9d9d9"  # no population: no data, ranked last
    assert towns["legend"][-1] == {"color": "#d9d9d9", "label": "无数据"}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in towns["features"])


def test_views_of_the_demo(demo_payload: dict) -> None:
    assert demo_payload["parks"]["ranking"][0]["name"] == "南通高新技术产业开发区"
    assert len(demo_payload["gi"]["items"]) == 6
    service = demo_payload["service"]
    assert service["coverage"] == "93.0%" and len(service["points"]) == 26
    values = [float(r["value"].rstrip("%")) for r in service["ranking"]]
    assert values == sorted(values)  # the least covered towns first
    assert demo_payload["demo"] is True and demo_payload["data_date"] == "2025-12-31"


def test_hostile_names_stay_data(xss_folder: Path, xss_name: str) -> None:
    doc = build_payload(Engine(loaders.load_folder(xss_folder)))
    assert doc["parks"] is None and doc["gi"] is None and doc["service"] is None
    text = payload.to_script_json(doc)
    assert "<" not in text and ">" not in text
    assert json.loads(text)["towns"]["features"][0]["name"] == xss_name


# --------------------------------------------------------------------------- page


def test_kiosk_document_loads_only_from_the_app(demo_payload: dict) -> None:
    doc = page.kiosk_html(payload.to_script_json(demo_payload), settings.KioskSettings(interval_s=20))
    assert "/app/static/vendor/leaflet/leaflet.js" in doc
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", doc)
    assert '"interval_s":20' in doc and "20 秒" in doc
    assert doc == page.kiosk_html(payload.to_script_json(demo_payload), settings.KioskSettings(interval_s=20))


@pytest.mark.parametrize(("seconds", "text"), [(15, "15 秒"), (1.5, "1.5 秒"), (120, "2 分钟")])
def test_interval_text(seconds: float, text: str) -> None:
    assert page.interval_text(seconds) == text


# --------------------------------------------------------------------------- data store


def test_store_keeps_the_last_good_snapshot(tmp_path: Path, xss_folder: Path) -> None:
    store = SnapshotStore()
    first = store.load(xss_folder, ("v1",), "enterprises")
    assert store.current(xss_folder, "enterprises") is first
    assert store.load(xss_folder, ("v1",), "enterprises") is first  # not read again
    (xss_folder / "镇街.geojson").write_text("not json", encoding="utf-8")
    assert store.try_load(xss_folder, ("v2",), "enterprises") is None
    assert store.failed(xss_folder, ("v2",)) and not store.failed(xss_folder, ("v3",))
    assert store.current(xss_folder, "enterprises") is first
    missing = tmp_path / "nowhere"
    with pytest.raises(loaders.IpgridError):
        store.load(missing, (), "enterprises")
    assert store.failure(missing).message


# --------------------------------------------------------------------------- CLI


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ipgrid")
    add_bigscreen_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_builds_the_streamlit_command(tmp_path: Path) -> None:
    args = _parse(["bigscreen", str(tmp_path), "--port", "8610", "--interval", "20", "--metric", "enterprises"])
    assert args.func is run_bigscreen
    cmd, env = bigscreen_command(args)
    assert cmd[:5] == [sys.executable, "-m", "streamlit", "run", str(KIOSK_SCRIPT)]
    assert cmd[cmd.index("--server.port") + 1] == "8610"
    assert env["IPGRID_DATA"] == str(tmp_path.resolve())
    assert (env["IPGRID_KIOSK_INTERVAL"], env["IPGRID_KIOSK_METRIC"]) == ("20", "enterprises")
    assert KIOSK_SCRIPT.is_file() and KIOSK_SCRIPT.parent == ROOT


def test_cli_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(loaders.DataFolderError, match="数据文件夹不存在"):
        bigscreen_command(_parse(["bigscreen", str(tmp_path / "nope")]))


def test_cli_refuses_a_bad_interval(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parse(["bigscreen", "--interval", "0"])
    assert "interval 应为 1–600 秒" in capsys.readouterr().err


def test_cli_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bigscreen(_parse(["bigscreen", "--dry-run", "--port", "8620"])) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8620/" in out and "kiosk.py" in out


# --------------------------------------------------------------------------- AppTest


def _kiosk_app(monkeypatch: pytest.MonkeyPatch, folder: Path | None):  # noqa: ANN202
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("IPGRID_STORE", raising=False)
    if folder is None:  # nothing set: the demo store, as in the app
        monkeypatch.delenv("IPGRID_DATA", raising=False)
    else:
        monkeypatch.setenv("IPGRID_DATA", str(folder))
    for name in settings.ENV.values():
        monkeypatch.delenv(name, raising=False)
    return AppTest.from_file(str(ROOT / "kiosk.py"), default_timeout=90)


def test_apptest_kiosk_shows_one_iframe(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _kiosk_app(monkeypatch, None)
    at.query_params["interval"] = "abc"
    at.run()
    assert not at.exception
    frames = at.get("iframe")
    assert len(frames) == 1 and frames[0].proto.alt == page.IFRAME_TITLE
    doc = frames[0].proto.srcdoc
    assert "kiosk-data" in doc and "质押融资金额" in doc
    assert "interval 应为 1–600 秒" in doc  # the refused value is noted on screen, the default used
    assert '"interval_s":15' in doc


def test_apptest_metric_from_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _kiosk_app(monkeypatch, None)
    at.query_params["metric"] = "invention_patents"
    at.run()
    assert not at.exception
    doc = at.get("iframe")[0].proto.srcdoc
    assert "有效发明专利（件）" in doc and "每万人口高价值发明专利拥有量（件）" not in doc


def test_apptest_unreadable_folder_is_a_message_not_an_error(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    at = _kiosk_app(monkeypatch, tmp_path / "missing")
    at.run()
    assert not at.exception
    assert not at.get("iframe")
    assert any("无法读取数据文件夹" in str(h.proto) for h in at.get("html"))


# --------------------------------------------------------------------------- browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def kiosk_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo district the data-reload tests may change."""
    folder = tmp_path_factory.mktemp("kiosk") / "demo"
    shutil.copytree(DEMO_DIR, folder)
    return folder


@contextlib.contextmanager
def kiosk_server(env_set: dict[str, str], log: Path) -> Iterator[str]:
    """``streamlit run kiosk.py`` on a free port with ``env_set`` over a clean environment; its base URL.

    The kiosk's own settings and data variables are dropped from the inherited
    environment first, so the server shows exactly what ``env_set`` names.
    """
    port = _free_port()
    dropped = {*settings.ENV.values(), "IPGRID_DATA", "IPGRID_STORE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_set)
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "kiosk.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kiosk server did not start:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def kiosk_url(kiosk_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``streamlit run kiosk.py`` for this module, on :func:`kiosk_folder`."""
    log = tmp_path_factory.mktemp("kiosk-log") / "streamlit.log"
    with kiosk_server({"IPGRID_DATA": str(kiosk_folder)}, log) as url:
        yield url


class Screen:
    """A kiosk page at one resolution, with every request and error recorded."""

    def __init__(self, browser, url: str, width: int, height: int) -> None:  # noqa: ANN001
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed {r.url}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console {m.text}"))
        self.page.goto(f"{url}/?interval={INTERVAL_S}&poll={POLL_S}")
        self.page.wait_for_selector(IFRAME, timeout=60_000)
        self.frame.wait_for_function("window.kiosk && window.kiosk.ready", timeout=60_000)

    @property
    def frame(self):  # noqa: ANN201
        return self.page.query_selector(IFRAME).content_frame()

    def kiosk(self, expr: str):  # noqa: ANN201
        return self.frame.evaluate(expr)

    def wait_frames_beyond(self, frames: int, timeout_s: float = 15) -> int:
        self.frame.wait_for_function(f"window.kiosk.frames > {frames}", timeout=timeout_s * 1000)
        return int(self.kiosk("window.kiosk.frames"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def screen_at(browser, kiosk_url: str) -> Iterator:  # noqa: ANN001
    screens: list[Screen] = []

    def open_screen(width: int = 1920, height: int = 1080) -> Screen:
        screens.append(Screen(browser, kiosk_url, width, height))
        return screens[-1]

    yield open_screen
    for s in screens:
        s.close()


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), RESOLUTIONS)
def test_screen_fills_the_viewport_with_the_cards(screen_at, kiosk_url: str, screenshot_dir: Path,  # noqa: ANN001
                                                  width: int, height: int) -> None:
    screen = screen_at(width, height)
    size = [width, height]
    assert screen.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == size
    assert screen.kiosk("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == size
    box = screen.page.query_selector(IFRAME).bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, width, height)
    assert screen.page.locator('[data-testid="stException"]').count() == 0
    assert screen.page.locator('[data-testid="stHeader"]').is_hidden()

    cards = screen.kiosk("""Array.from(document.querySelectorAll('.card')).map(c => ({
        title: c.querySelector('.card-title').textContent, value: c.querySelector('.card-value').textContent,
        px: parseFloat(getComputedStyle(c.querySelector('.card-value')).fontSize),
        target: c.querySelector('.card-target').textContent}))""")
    assert [c["title"] for c in cards] == CARD_TITLES
    assert all(re.fullmatch(r"[\d,.]+", c["value"]) and "目标" in c["target"] for c in cards)
    assert min(c["px"] for c in cards) >= 48 * height / 1080
    footer = screen.kiosk("document.getElementById('bottom').innerText")
    assert "数据截至 2025-12-31" in footer and "来源" in footer
    assert screen.kiosk("document.getElementById('demo-badge').hidden") is False

    frames = screen.wait_frames_beyond(1)
    screen.page.screenshot(path=str(screenshot_dir / f"bigscreen-{width}x{height}.png"))
    assert frames >= 2
    host = kiosk_url
    assert [u for u in screen.requests if not u.startswith((host, "data:", "about:", "blob:"))] == []
    assert screen.errors == []


@pytest.mark.browser
def test_rotation_tours_the_towns_and_pause_holds_it(screen_at, screenshot_dir: Path) -> None:  # noqa: ANN001
    screen = screen_at()
    screen.page.keyboard.press("Space")  # pause: hold the frame
    assert screen.kiosk("window.kiosk.paused") is True
    for _ in range(25):  # step (paused, so it stays) to a town of the tour
        screen.page.keyboard.press("ArrowRight")
        if screen.kiosk("window.kiosk.town"):
            break
    held = screen.kiosk("[window.kiosk.frames, window.kiosk.index, window.kiosk.town]")
    time.sleep(INTERVAL_S * 2.5)
    assert screen.kiosk("[window.kiosk.frames, window.kiosk.index, window.kiosk.town]") == held
    assert screen.kiosk("document.getElementById('status').textContent").startswith("‖ 已暂停")
    town = held[2]
    assert screen.kiosk("document.querySelector('.row.current .row-name').textContent") == town
    assert re.fullmatch(rf"第 \d+ 名 · {town}", screen.kiosk("document.getElementById('town-box-name').textContent"))
    assert screen.kiosk("document.querySelectorAll('.row.current').length") == 1
    screen.page.wait_for_timeout(1200)  # the map's fly-to
    screen.page.screenshot(path=str(screenshot_dir / "bigscreen-1920x1080-town.png"))

    screen.page.mouse.click(960, 540)  # a click resumes
    assert screen.kiosk("window.kiosk.paused") is False
    later = screen.wait_frames_beyond(held[0])
    assert later > held[0]
    screen.page.keyboard.press("p")  # any key pauses again
    assert screen.kiosk("window.kiosk.paused") is True
    assert screen.errors == []


@pytest.mark.browser
def test_every_view_comes_round(screen_at) -> None:  # noqa: ANN001
    screen = screen_at()
    total = screen.kiosk("window.kiosk.total")
    assert total == 1 + 16 + 3  # district, 16 towns, parks, GI, service
    seen = set()
    screen.page.keyboard.press("Space")
    for _ in range(total):
        screen.page.keyboard.press("ArrowLeft")
        view = screen.kiosk("window.kiosk.view")
        seen.add(view)
        shown = screen.kiosk("Array.from(document.querySelectorAll('.panel'))"
                             ".filter(p => getComputedStyle(p).display !== 'none').map(p => p.id)")
        assert shown == [f"panel-{view}"]
    assert seen == {"towns", "parks", "gi", "service"}
    assert screen.kiosk("document.querySelectorAll('#panel-service .row').length") > 0
    assert screen.errors == []


@pytest.mark.browser
def test_data_change_reloads_without_an_error(screen_at, kiosk_folder: Path) -> None:  # noqa: ANN001
    screen = screen_at()
    toml = kiosk_folder / "ipgrid.toml"
    original = toml.read_text(encoding="utf-8")
    towns = kiosk_folder / "镇街.gpkg"
    towns_bytes = towns.read_bytes()
    try:
        toml.write_text(original.replace("2025-12-31", "2026-03-31"), encoding="utf-8")
        screen.page.wait_for_function(
            f"""() => {{ const f = document.querySelector('{IFRAME}');
                 const d = f && f.contentDocument && f.contentDocument.getElementById('data-date');
                 return d && d.textContent.includes('2026-03-31'); }}""", timeout=45_000)
        assert screen.page.locator('[data-testid="stException"]').count() == 0

        towns.write_bytes(b"not a geopackage")  # a broken copy: the old data stays, a note says why
        screen.page.wait_for_selector(f".{page.NOTE_CLASS}", timeout=45_000)
        assert "数据更新失败" in screen.page.inner_text(f".{page.NOTE_CLASS}")
        assert "2026-03-31" in screen.kiosk("document.getElementById('data-date').textContent")
        assert screen.page.locator('[data-testid="stException"]').count() == 0
    finally:
        toml.write_text(original, encoding="utf-8")
        towns.write_bytes(towns_bytes)
    screen.page.wait_for_function(
        f"""() => {{ const f = document.querySelector('{IFRAME}');
             const d = f && f.contentDocument && f.contentDocument.getElementById('data-date');
             return d && d.textContent.includes('2025-12-31'); }}""", timeout=45_000)
    assert screen.page.locator(f".{page.NOTE_CLASS}").count() == 0
    assert [e for e in screen.errors if "failed" not in e] == []
