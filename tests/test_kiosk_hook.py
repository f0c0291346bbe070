"""`?kiosk=1` on the main app shows the big screen, not the pages; `ipgrid bigscreen` is wired into the CLI."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from dashboard.bigscreen import page
from dashboard.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_kiosk_query_param_renders_the_big_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("IPGRID_DATA", raising=False)
    monkeypatch.delenv("IPGRID_STORE", raising=False)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
    at.query_params["kiosk"] = "1"
    at.run()
    assert not at.exception
    frames = at.get("iframe")
    assert len(frames) == 1 and frames[0].proto.alt == page.IFRAME_TITLE
    assert "每万人口高价值发明专利拥有量" in frames[0].proto.srcdoc
    assert not at.sidebar.children  # no page navigation, no controls


def test_bigscreen_subcommand_dry_run() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["bigscreen", str(ROOT / "geodata" / "demo"), "--port", "8765", "--dry-run"])
    assert code == 0
    text = out.getvalue()
    assert "大屏地址：http://127.0.0.1:8765/" in text and "kiosk.py" in text and "--server.port 8765" in text


def test_bigscreen_missing_folder_exits_two(tmp_path: Path) -> None:
    assert main(["bigscreen", str(tmp_path / "nowhere"), "--dry-run"]) == 2
