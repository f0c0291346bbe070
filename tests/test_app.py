"""The entry page, run headless with Streamlit's AppTest (no browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import loaders
from dashboard.app_data import DATA_ENV, DEFAULT_DATA_FOLDER, data_folder, folder_signature
from dashboard.maps import DEMO_LABEL

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT_S = 120


def run_app(monkeypatch: pytest.MonkeyPatch, folder: Path | None) -> AppTest:
    if folder is None:
        monkeypatch.delenv(DATA_ENV, raising=False)
    else:
        monkeypatch.setenv(DATA_ENV, str(folder))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    return at.run()


def unescape(markdown: str) -> str:
    """Text of markdown written with ``md_text`` (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "caption") for e in getattr(at, kind)]
    return unescape("\n".join(str(p) for p in parts))


# --------------------------------------------------------------------------- demo district


def test_demo_page_runs_and_is_labelled(monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(monkeypatch, None)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = page_text(at)
    assert DEMO_LABEL in text
    assert "数据截至" in text and "来源" in text
    demo = loaders.load_folder(DEFAULT_DATA_FOLDER)
    assert demo.is_demo
    table = at.table[0].value
    assert list(table.columns) == ["名称", "区划代码", "常住人口"]
    assert [unescape(v) for v in table["名称"]] == list(demo.frame("towns")["name"])


def test_default_folder_is_the_packaged_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.chdir("/")
    assert data_folder() == DEFAULT_DATA_FOLDER
    assert DEFAULT_DATA_FOLDER.is_absolute() and DEFAULT_DATA_FOLDER.is_dir()


# --------------------------------------------------------------------------- other folders


def test_user_folder_escapes_names_and_has_no_demo_badge(
    monkeypatch: pytest.MonkeyPatch, xss_folder: Path, xss_name: str
) -> None:
    at = run_app(monkeypatch, xss_folder)
    assert not at.exception, [e.value for e in at.exception]
    assert DEMO_LABEL not in page_text(at)
    assert xss_name in [unescape(v) for v in at.table[0].value["名称"]]


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
def test_broken_folder_shows_error_not_traceback(
    monkeypatch: pytest.MonkeyPatch, xss_folder: Path, damage, expected: str
) -> None:
    if damage is None:
        folder = xss_folder / "does-not-exist"
    else:
        folder = xss_folder
        damage(folder)
    at = run_app(monkeypatch, folder)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    assert expected in unescape(at.error[0].value)
    assert not at.table


def test_empty_folder_shows_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    assert at.error and "缺少必需的镇街图层" in unescape(at.error[0].value)


def test_rejected_rows_show_warning_with_validate_hint(
    monkeypatch: pytest.MonkeyPatch, xss_folder: Path, xss_name: str
) -> None:
    folder = xss_folder
    towns = json.loads((folder / "镇街.geojson").read_text(encoding="utf-8"))
    towns["features"][1]["properties"]["名称"] = ""  # a town without a name is rejected
    (folder / "镇街.geojson").write_text(json.dumps(towns, ensure_ascii=False), encoding="utf-8")
    at = run_app(monkeypatch, folder)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert at.warning and "ipgrid validate" in at.warning[0].value
    assert [unescape(v) for v in at.table[0].value["名称"]] == [xss_name]


# --------------------------------------------------------------------------- cache key


def test_folder_signature_changes_with_files(xss_folder: Path, tmp_path: Path) -> None:
    folder = xss_folder
    first = folder_signature(folder)
    assert [name for name, _, _ in first] == ["企业.csv", "镇街.geojson"]
    (folder / "~$企业.xlsx").write_text("lock")
    assert folder_signature(folder) == first
    (folder / "企业.csv").write_text("企业名称,经度,纬度\n丙企业,121.0,32.0\n", encoding="utf-8")
    assert folder_signature(folder) != first
    assert folder_signature(tmp_path / "missing") == ()
