"""Accounts for the access tests: a store with one account per role (not the demo's), and AppTest helpers.

:func:`accounts_store` copies the four-quarter demo store, removes the demo's
accounts and its demo mark (so it is an ordinary store that requires login),
and adds :data:`CREDENTIALS`: an admin, a leader, two commissioners (the
demo's busiest, 黄亚平, and one more) and a kiosk account whose token it returns.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from dashboard.engine import Engine
from dashboard.store import Store
from dashboard.store.accounts import Accounts
from dashboard.store.demo import demo_store

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
KIOSK_SCRIPT = Path(__file__).resolve().parents[1] / "kiosk.py"
TIMEOUT_S = 120

COMMISSIONER = "黄亚平"
"""The demo's commissioner with the most firms (the demo's own 网格专员 account is this one)."""

CREDENTIALS: dict[str, tuple[str, str]] = {
    "admin": ("guanli", "admin-pass-2025"),
    "leader": ("lingdao", "leader-pass-2025"),
    "commissioner": ("zhuanyuan1", "zhuanyuan-pass-2025"),
    "commissioner2": ("zhuanyuan2", "zhuanyuan2-pass-2025"),
}
"""Role → (account, password) in :func:`accounts_store`."""

KIOSK_ACCOUNT = "wall"


def other_commissioner(engine: Engine) -> str:
    """A commissioner with cells other than :data:`COMMISSIONER` (the first by name)."""
    return sorted(n for n in engine.commissioner_directory() if n != COMMISSIONER and engine.cells_of(n))[0]


def accounts_store(target: Path) -> tuple[Path, str]:
    """A copy of the demo store at ``target`` that requires login, with :data:`CREDENTIALS`; (path, kiosk token)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_store(), target)
    with sqlite3.connect(target) as conn:
        conn.execute("DELETE FROM ipgrid_users")
        conn.execute("DELETE FROM ipgrid_store WHERE key = 'demo_accounts'")
    store = Store(target)
    accounts = Accounts(store)
    engine = Engine(store.open_bundle())
    for role, (name, password) in CREDENTIALS.items():
        if role.startswith("commissioner"):
            who = COMMISSIONER if role == "commissioner" else other_commissioner(engine)
            accounts.add(name, "commissioner", by="test", commissioner=who, password=password)
        else:
            accounts.add(name, role, by="test", password=password)
    token = accounts.add(KIOSK_ACCOUNT, "kiosk", by="test")
    assert token is not None
    store.backend.sql.dispose()
    return target, token


def firm_names(store: Path, commissioner: str | None = None) -> tuple[set[str], set[str]]:
    """(names of the firms in ``commissioner``'s cells, names of every other firm) in the latest version."""
    engine = Engine(Store(store).open_bundle())
    every = set(engine.firm_table()["name"].astype(str))
    mine = set(engine.firms_of(commissioner)["name"].astype(str)) if commissioner else every
    return mine, every - mine


def login(at: AppTest, name: str, password: str) -> AppTest:
    """Fill the login form and press 登录."""
    next(t for t in at.text_input if t.label == "用户名").input(name)
    next(t for t in at.text_input if t.label == "密码").input(password)
    next(b for b in at.button if b.label == "登录").click()
    return at.run()


def open_page(at: AppTest, key: str) -> AppTest:
    """Open page ``key`` as the browser would (by its URL path), allowed or not (a refused page is no file)."""
    from dashboard.pages import BY_KEY

    spec = BY_KEY[key]
    for page_hash, info in at._registered_pages.items():  # noqa: SLF001 - AppTest resolves files only
        if info.get("page_name") == spec.title:  # the default page's url_pathname is ""
            at._page_hash = page_hash  # noqa: SLF001
            return at.run()
    raise AssertionError(f"page {key} not registered: {at._registered_pages}")  # noqa: SLF001


def _texts(node: Any, out: list[str]) -> None:
    for attr in ("value", "label", "body", "help", "placeholder", "options", "caption"):
        try:
            value = getattr(node, attr, None)
        except Exception:  # noqa: BLE001 - some elements raise for attributes they lack
            value = None
        if value is None:
            continue
        if isinstance(value, pd.DataFrame):
            out.append(value.to_csv())
        else:
            out.append(str(value))
    proto = getattr(node, "proto", None)
    if proto is not None:  # components' arguments (the maps' HTML and data); Arrow tables are in ``value``
        out.append(text_format.MessageToString(proto, as_utf8=True))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _texts(child, out)


def all_text(at: AppTest) -> str:
    """Everything the run drew: every element's values, labels and protobuf (maps and tables included)."""
    out: list[str] = []
    _texts(at._tree, out)  # noqa: SLF001 - the whole tree, main, sidebar and every container
    return "\n".join(out)


def errors(at: AppTest) -> list[str]:
    """Texts of the run's st.error elements."""
    return [str(e.value) for e in at.error]


def found_names(text: str, names: set[str]) -> list[str]:
    """Those of ``names`` in ``text`` as they are or JSON-escaped (``\\u6c5f…``, as a map's data may carry them)."""
    return sorted(n for n in names if n in text or json.dumps(n)[1:-1] in text)


def recorded_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """File name → bytes of every workbook a download button of the run would give (made at once; drawn still)."""
    made: dict[str, bytes] = {}
    real = streamlit.download_button

    def recording(label: str, data: Any, file_name: str | None = None, **kwargs: Any) -> Any:
        if file_name and file_name.endswith(".xlsx"):
            made[file_name] = data() if callable(data) else data
        return real(label, data, file_name=file_name, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", recording)
    return made
