"""The big screen on a store: the latest version in force, the 本季度变化 frame, reloading on import/withdrawal.

The 本季度变化 figures are checked against :func:`dashboard.engine.changes.diff_engines`
of the demo store's last two versions (the towns list recomputed here from
``VersionDiff.areas``).  Tests that change a store work on a private copy of
the demo store (``demo_store()``), with automatic backups off.  The browser
test starts its own ``streamlit run kiosk.py`` on such a copy and follows
``test_bigscreen.test_data_change_reloads_without_an_error``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from test_bigscreen import IFRAME, RESOLUTIONS, Screen, _parse, kiosk_server
from test_store_pages import NEW_DATE, next_quarter_folder

import loaders
from dashboard.bigscreen import build_payload, data, page, settings
from dashboard.bigscreen.cli import bigscreen_command
from dashboard.bigscreen.data import KioskSource, SnapshotStore, build_snapshot, kiosk_source
from dashboard.bigscreen.payload import CHANGE_FIGURES, CHANGE_TOWNS
from dashboard.cli import main
from dashboard.engine import Engine
from dashboard.engine.changes import VersionDiff, diff_engines
from dashboard.store import Store, prepare_import
from dashboard.store.demo import demo_store, demo_store_path
from geodata import DEMO_DIR
from loaders.errors import StoreError
from loaders.schema import OUTSIDE_AREA, UNLOCATED_AREA

ROOT = Path(__file__).resolve().parents[1]
METRIC = settings.DEFAULT_TOWN_METRIC
DEMO_DATES = ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
COUNTS = ("added", "removed", "first_ip", "lost_ip", "moved")


def payload_of(source: KioskSource | Path) -> dict:
    """The document the kiosk draws for ``source`` (read now, not cached)."""
    source = data.as_source(source)
    return json.loads(build_snapshot(source, source.signature(), METRIC).payload_json)


@pytest.fixture(scope="module")
def demo_pair() -> tuple[Engine, Engine, VersionDiff]:
    """Engines of the demo store's last two versions in force, and their diff at the town level."""
    store = Store(demo_store())
    before, latest = store.active_versions()[-2:]
    old, new = Engine(store.open_bundle(before)), Engine(store.open_bundle(latest))
    return old, new, diff_engines(old, new, "town")


@pytest.fixture(scope="module")
def demo_doc() -> dict:
    return payload_of(KioskSource.store(demo_store()))


@pytest.fixture
def store_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the four-quarter demo store (automatic backups off)."""
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "0")
    path = tmp_path / "store" / "ipgrid.gpkg"
    path.parent.mkdir()
    shutil.copyfile(demo_store(), path)
    return path


def import_next_quarter(store: Path, work: Path) -> None:
    """Import the demo folder as the quarter ending :data:`NEW_DATE` (three firms fewer) into ``store``."""
    folder = next_quarter_folder(work / "q")
    target = Store(store)
    target.commit(prepare_import(folder, NEW_DATE, store=target, note="大屏测试"), user="测试")


# --------------------------------------------------------------------------- the 本季度变化 frame


def expected_towns(diff: VersionDiff) -> list[dict]:
    """The towns (not 区外/未定位) with a known change of enterprises_with_ip, largest first, at most eight."""
    rows = []
    for _, row in diff.areas.iterrows():
        change = row["enterprises_with_ip_change"]
        if row["name"] in (OUTSIDE_AREA, UNLOCATED_AREA) or pd.isna(change):
            continue
        rows.append({"name": row["name"], "from": int(row["enterprises_with_ip_from"]),
                     "to": int(row["enterprises_with_ip_to"]), "change": int(change)})
    return sorted(rows, key=lambda r: -r["change"])[:CHANGE_TOWNS]  # stable: ties in the table's order


def test_changes_frame_is_the_diff_of_the_last_two_versions(demo_doc: dict, demo_pair: tuple) -> None:
    old, new, diff = demo_pair
    changes = demo_doc["changes"]
    assert (changes["from"], changes["to"]) == (DEMO_DATES[-2], DEMO_DATES[-1])
    assert changes["title"] == "本季度变化（2025-09-30 → 2025-12-31）"
    assert {key: changes[key] for key in COUNTS} == {key: len(getattr(diff, key)) for key in COUNTS}
    assert all(changes[key] > 0 for key in COUNTS)  # the demo quarters change every list
    shown = [{k: t[k] for k in ("name", "from", "to", "change")} for t in changes["towns"]]
    assert shown == expected_towns(diff)
    assert len(shown) == CHANGE_TOWNS
    rate = {"from": float(old.stats("district")["ip_coverage_rate"].iloc[0]),
            "to": float(new.stats("district")["ip_coverage_rate"].iloc[0])}
    assert changes["coverage"] == pytest.approx(rate)


def test_changes_frame_texts(demo_doc: dict) -> None:
    changes = demo_doc["changes"]
    figures = changes["figures"]
    assert [f["label"] for f in figures] == ["新增企业", "培育成功", "减少企业", "迁移企业"]
    assert [f["value"] for f in figures] == [f"{changes[key]:,}" for key in CHANGE_FIGURES]
    top = changes["towns"][0]
    assert top["value"] == f"+{top['change']}" and top["share"] == 1.0
    assert top["sub"] == f"{top['from']} → {top['to']} 家"
    shares = [t["share"] for t in changes["towns"]]
    assert shares == sorted(shares, reverse=True)
    features = demo_doc["towns"]["features"]
    assert all(features[t["feature"]]["name"] == t["name"] for t in changes["towns"])
    assert changes["coverage_text"].startswith("知识产权覆盖率 59.5% → 60.6%（+1.0 个百分点")


def test_changes_frame_names_no_firm(demo_doc: dict, demo_pair: tuple) -> None:
    """A wall screen: aggregate figures only."""
    _, _, diff = demo_pair
    text = json.dumps(demo_doc["changes"], ensure_ascii=False)
    firms = pd.concat([getattr(diff, key) for key in COUNTS])
    assert len(firms) > 0
    assert not any(str(name) in text for name in firms["name"])
    assert not any(str(code) in text for code in firms["uscc"] if code)
    assert "uscc" not in text


def test_store_shows_its_latest_version(demo_doc: dict) -> None:
    assert demo_doc["data_date"] == DEMO_DATES[-1] and demo_doc["demo"] is True
    assert len(demo_doc["towns"]["features"]) == 16
    assert [c["title"] for c in demo_doc["cards"]][0] == "专利密集型产业增加值占比"


def test_no_changes_frame_for_a_folder() -> None:
    assert payload_of(DEMO_DIR)["changes"] is None
    assert build_payload(Engine(loaders.load_folder(DEMO_DIR)))["changes"] is None


def test_withdrawals_change_the_signature_and_the_frame(store_copy: Path) -> None:
    """Withdrawing the latest shows the one before; with one version left there is no 本季度变化."""
    source = KioskSource.store(store_copy)
    assert source.signature()[0] == ("@version", 4, 3)
    store = Store(store_copy)
    store.withdraw(DEMO_DATES[-1], user="测试")
    assert source.signature()[0] == ("@version", 3, 2)
    doc = payload_of(source)
    assert doc["data_date"] == DEMO_DATES[-2] and doc["changes"]["title"] == "本季度变化（2025-06-30 → 2025-09-30）"
    store.withdraw(DEMO_DATES[0], user="测试")  # not shown: the signature stays
    assert source.signature()[0] == ("@version", 3, 2)
    store.withdraw(DEMO_DATES[1], user="测试")
    assert source.signature()[0] == ("@version", 3, 0)
    doc = payload_of(source)
    assert doc["data_date"] == DEMO_DATES[-2] and doc["changes"] is None


def test_an_import_changes_the_signature(store_copy: Path, tmp_path: Path) -> None:
    source = KioskSource.store(store_copy)
    import_next_quarter(store_copy, tmp_path)
    assert source.signature()[0] == ("@version", 5, 4)
    snap = build_snapshot(source, source.signature(), METRIC)
    assert snap.data_date == NEW_DATE and snap.signature[0] == ("@version", 5, 4)
    assert json.loads(snap.payload_json)["changes"]["title"] == f"本季度变化（2025-12-31 → {NEW_DATE}）"


def test_a_store_that_cannot_be_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signature ``()`` (never an exception); the failure is remembered, and tried again after a while."""
    missing = KioskSource.store(tmp_path / "nowhere.gpkg")
    assert missing.signature() == ()
    store = SnapshotStore()
    assert store.try_load(missing, (), METRIC) is None
    assert "不存在" in store.failure(missing).message
    assert store.failed(missing, ())
    monkeypatch.setattr(data, "STORE_RETRY_S", 0.0)
    assert store.try_load(missing, (), METRIC) is None
    assert not store.failed(missing, ())  # a store's failure is due again at once here


def test_a_failed_reload_keeps_the_store_snapshot(store_copy: Path) -> None:
    source = KioskSource.store(store_copy)
    store = SnapshotStore()
    first = store.load(source, source.signature(), METRIC)
    moved = store_copy.with_name("away.gpkg")
    store_copy.rename(moved)
    try:
        assert source.signature() == ()
        assert store.try_load(source, (), METRIC) is None
        assert store.current(source, METRIC) is first and store.failure(source).message
    finally:
        moved.rename(store_copy)
    assert store.load(source, source.signature(), METRIC) is first  # the same version: not read again


# --------------------------------------------------------------------------- which source


def test_which_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IPGRID_STORE", "IPGRID_DATA"):
        monkeypatch.delenv(name, raising=False)
    demo = kiosk_source()
    assert demo == KioskSource(str(demo_store_path()), is_store=True, demo=True)
    monkeypatch.setenv("IPGRID_DATA", str(DEMO_DIR))
    assert kiosk_source() == KioskSource.folder(DEMO_DIR) and not kiosk_source().is_store
    monkeypatch.setenv("IPGRID_STORE", str(tmp_path / "s.gpkg"))
    assert kiosk_source() == KioskSource(str((tmp_path / "s.gpkg").resolve()), is_store=True)
    assert kiosk_source(DEMO_DIR).is_store is False  # given: wins over the environment
    url = kiosk_source("postgresql://kiosk:secret@db.example/ipgrid")
    assert url.is_store and url.location == "postgresql://kiosk:secret@db.example/ipgrid"
    assert "secret" not in url.shown and "secret" not in url.short and "db.example/ipgrid" in url.shown


def test_cli_store_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPGRID_STORE", "/elsewhere/other.gpkg")
    store = tmp_path / "ipgrid.gpkg"
    shutil.copyfile(demo_store(), store)
    _, env = bigscreen_command(_parse(["bigscreen", str(store)]))
    assert env["IPGRID_STORE"] == str(store.resolve())
    url = "postgresql://kiosk@db.example/ipgrid"
    assert bigscreen_command(_parse(["bigscreen", url]))[1]["IPGRID_STORE"] == url
    _, env = bigscreen_command(_parse(["bigscreen", str(DEMO_DIR)]))  # a folder given: no store from outside
    assert env["IPGRID_DATA"] == str(DEMO_DIR.resolve()) and "IPGRID_STORE" not in env
    with pytest.raises(StoreError, match="存储不存在"):
        bigscreen_command(_parse(["bigscreen", str(tmp_path / "none.gpkg")]))
    assert main(["bigscreen", str(tmp_path / "none.gpkg"), "--dry-run"]) == 2


def test_as_of_pins_a_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "ipgrid.gpkg"
    shutil.copyfile(demo_store(), store)
    _, env = bigscreen_command(_parse(["bigscreen", str(store), "--as-of", "2025-06-30"]))
    assert env[settings.ASOF_ENV] == "2025-06-30"
    monkeypatch.setenv(settings.ASOF_ENV, "2025-06-30")
    doc = payload_of(KioskSource.store(store))
    assert doc["data_date"] == "2025-06-30"
    assert (doc["changes"]["from"], doc["changes"]["to"]) == ("2025-03-31", "2025-06-30")
    monkeypatch.setenv(settings.ASOF_ENV, "2025-03-31")
    assert payload_of(KioskSource.store(store))["changes"] is None  # nothing before the first quarter
    assert main(["bigscreen", str(DEMO_DIR), "--as-of", "2025-06-30", "--dry-run"]) == 2  # a folder has no versions
    assert main(["bigscreen", str(store), "--as-of", "昨天", "--dry-run"]) == 2


# --------------------------------------------------------------------------- AppTest


def _kiosk_on(monkeypatch: pytest.MonkeyPatch, store: Path):  # noqa: ANN202
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("IPGRID_STORE", str(store))
    monkeypatch.delenv("IPGRID_DATA", raising=False)
    for name in settings.ENV.values():
        monkeypatch.delenv(name, raising=False)
    return AppTest.from_file(str(ROOT / "kiosk.py"), default_timeout=120)


def _srcdoc(at) -> str:  # noqa: ANN001
    frames = at.get("iframe")
    assert len(frames) == 1
    return str(frames[0].proto.srcdoc)


def test_apptest_kiosk_on_a_store_reloads_after_an_import(monkeypatch: pytest.MonkeyPatch, store_copy: Path,
                                                          tmp_path: Path) -> None:
    at = _kiosk_on(monkeypatch, store_copy)
    at.run()
    assert not at.exception
    doc = _srcdoc(at)
    assert "本季度变化（2025-09-30 → 2025-12-31）" in doc and '"data_date":"2025-12-31"' in doc
    import_next_quarter(store_copy, tmp_path)
    for _ in range(3):  # one look sees the change, the next (unchanged) loads it
        at.run()
        assert not at.exception
        if NEW_DATE in _srcdoc(at):
            break
    doc = _srcdoc(at)
    assert f"本季度变化（2025-12-31 → {NEW_DATE}）" in doc and f'"data_date":"{NEW_DATE}"' in doc


def test_apptest_kiosk_on_a_missing_store_is_a_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _kiosk_on(monkeypatch, tmp_path / "none.gpkg")
    at.run()
    assert not at.exception and not at.get("iframe")
    assert any("无法打开数据存储" in str(h.proto) for h in at.get("html"))


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def kiosk_store_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kiosk-store") / "ipgrid.gpkg"
    shutil.copyfile(demo_store(), path)
    return path


@pytest.fixture(scope="module")
def store_kiosk_url(kiosk_store_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run kiosk.py`` with ``IPGRID_STORE`` on :func:`kiosk_store_copy`."""
    log = tmp_path_factory.mktemp("kiosk-store-log") / "streamlit.log"
    with kiosk_server({"IPGRID_STORE": str(kiosk_store_copy)}, log) as url:
        yield url


def _wait_inner(screen: Screen, element: str, text: str, timeout_ms: int = 45_000) -> None:
    """Wait until the kiosk document (possibly a new one after a reload) shows ``text`` in #``element``."""
    screen.page.wait_for_function(
        f"""() => {{ const f = document.querySelector('{IFRAME}');
             const d = f && f.contentDocument && f.contentDocument.getElementById('{element}');
             return d && d.textContent.includes({json.dumps(text)}); }}""", timeout=timeout_ms)


def _to_changes_frame(screen: Screen) -> None:
    """Pause, then step to the 本季度变化 frame."""
    screen.page.keyboard.press("Space")
    for _ in range(25):
        if screen.kiosk("window.kiosk.view") == "changes":
            return
        screen.page.keyboard.press("ArrowRight")
    pytest.fail("no 本季度变化 frame in the rotation")


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), RESOLUTIONS)
def test_store_kiosk_changes_frame(browser, store_kiosk_url: str, screenshot_dir: Path,  # noqa: ANN001
                                   width: int, height: int) -> None:
    screen = Screen(browser, store_kiosk_url, width, height)
    try:
        # district, 本季度变化, 网格走访 (the demo store has visits), towns, parks, GI, service
        assert screen.kiosk("window.kiosk.total") == 1 + 1 + 1 + 16 + 3
        _to_changes_frame(screen)
        assert screen.kiosk("window.kiosk.index") == 1  # right after the district overview
        assert screen.kiosk("document.getElementById('view-name').textContent") == \
            "本季度变化（2025-09-30 → 2025-12-31）"
        shown = screen.kiosk("Array.from(document.querySelectorAll('.panel'))"
                             ".filter(p => getComputedStyle(p).display !== 'none').map(p => p.id)")
        assert shown == ["panel-changes"]
        figures = screen.kiosk("""Array.from(document.querySelectorAll('#panel-changes .change-figure')).map(f => ({
            label: f.querySelector('.change-label').textContent, value: f.querySelector('b').textContent,
            px: parseFloat(getComputedStyle(f.querySelector('b')).fontSize)}))""")
        assert [f["label"] for f in figures] == ["新增企业", "培育成功", "减少企业", "迁移企业"]
        assert all(f["value"].isdigit() and f["px"] >= 48 * height / 1080 for f in figures)
        rows = screen.kiosk("Array.from(document.querySelectorAll('#panel-changes .row .row-value'))"
                            ".map(v => v.textContent)")
        assert len(rows) == CHANGE_TOWNS and rows[0].startswith("+")
        assert screen.kiosk("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == \
            [width, height]
        clipped = screen.kiosk("""Array.from(document.querySelectorAll('#panel-changes *')).filter(n => {
            const r = n.getBoundingClientRect(), side = n.closest('.side').getBoundingClientRect();
            return r.height > 0 && (r.bottom > side.bottom + 1 || r.right > side.right + 1); }).length""")
        assert clipped == 0
        names = screen.kiosk("""Array.from(document.querySelectorAll('.change-town-label > span'))
            .filter(s => s.parentNode.style.visibility !== 'hidden' && s.getBoundingClientRect().width > 0)
            .map(s => s.textContent)""")
        listed = screen.kiosk("Array.from(document.querySelectorAll('#panel-changes .row .row-name'))"
                              ".map(n => n.firstChild.textContent)")
        assert names and set(names) <= set(listed)  # the towns that rose are named on the map (those that fit)
        screen.page.wait_for_timeout(1000)
        screen.page.screenshot(path=str(screenshot_dir / f"bigscreen-{width}x{height}-changes.png"))
        assert screen.errors == []
    finally:
        screen.close()


@pytest.mark.browser
def test_store_kiosk_reloads_on_import_and_withdrawal(browser, store_kiosk_url: str,  # noqa: ANN001
                                                      kiosk_store_copy: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "0")
    screen = Screen(browser, store_kiosk_url, 1920, 1080)
    try:
        _to_changes_frame(screen)  # paused: the frame stays across the reloads below
        import_next_quarter(kiosk_store_copy, tmp_path)  # a new version in force: the screen reloads
        _wait_inner(screen, "data-date", NEW_DATE)
        _wait_inner(screen, "view-name", f"本季度变化（2025-12-31 → {NEW_DATE}）")
        assert screen.page.locator('[data-testid="stException"]').count() == 0

        moved = kiosk_store_copy.with_name("away.gpkg")  # the store gone: the old data stays, a note says why
        kiosk_store_copy.rename(moved)
        try:
            screen.page.wait_for_selector(f".{page.NOTE_CLASS}", timeout=45_000)
            assert "数据更新失败" in screen.page.inner_text(f".{page.NOTE_CLASS}")
            assert NEW_DATE in screen.kiosk("document.getElementById('data-date').textContent")
        finally:
            moved.rename(kiosk_store_copy)
        screen.page.wait_for_selector(f".{page.NOTE_CLASS}", state="detached", timeout=45_000)

        Store(kiosk_store_copy).withdraw(NEW_DATE, user="测试")  # withdrawn: back to the version before
        _wait_inner(screen, "data-date", "2025-12-31")
        _wait_inner(screen, "view-name", "本季度变化（2025-09-30 → 2025-12-31）")
        assert screen.page.locator('[data-testid="stException"]').count() == 0
        time.sleep(0.5)
        assert [e for e in screen.errors if "failed" not in e] == []
    finally:
        screen.close()
