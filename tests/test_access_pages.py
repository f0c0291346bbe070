"""Roles × pages in AppTest: who may open what, what each sees, and that nothing outside a scope is drawn or downloaded.

The store (``access_helpers.accounts_store``) is a copy of the demo that
requires login.  For each role every page is opened by its URL path; a page
outside the role must answer 无权查看 and nothing else, a page inside it must
draw without an exception, and for the commissioner (黄亚平) neither any element
of the run (values, labels, tables, the maps' data) nor any workbook its
download buttons would give names a firm outside their cells.  Downloads are
deferred in Streamlit (made on click), so ``st.download_button`` is wrapped to
make each workbook at once and keep it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from access_helpers import (
    APP_SCRIPT,
    COMMISSIONER,
    CREDENTIALS,
    KIOSK_SCRIPT,
    TIMEOUT_S,
    accounts_store,
    all_text,
    errors,
    firm_names,
    found_names,
    login,
    open_page,
    recorded_downloads,
)
from streamlit.testing.v1 import AppTest

from dashboard.access.roles import DENIED_TEXT, PAGE_ROLES, may_open
from dashboard.access.session import SESSION_KEY
from dashboard.app_data import DATA_ENV, STORE_ENV
from dashboard.engine import Engine
from dashboard.pages import PAGES
from dashboard.pages.region import ONE_DISTRICT
from dashboard.store import Store
from dashboard.store.accounts import WRONG_CREDENTIALS

ROLES = ("admin", "leader", "commissioner")

SCOPE_LINES = {"admin": "", "leader": "全区（不含联系方式）", "commissioner": f"网格专员 {COMMISSIONER} 负责的网格"}
"""What the 说明 sheet of each role's workbooks says under 可见范围 (an admin's has no such line)."""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(store path, kiosk token) of a store with one account per role."""
    return accounts_store(tmp_path_factory.mktemp("access") / "ipgrid.gpkg")


@pytest.fixture(scope="module")
def names(store: tuple[Path, str]) -> tuple[set[str], set[str]]:
    """(firms in 黄亚平's cells, every other firm) of the latest version."""
    return firm_names(store[0], COMMISSIONER)


@pytest.fixture
def app_env(store: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(STORE_ENV, str(store[0]))
    monkeypatch.delenv(DATA_ENV, raising=False)
    return store[0]


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """File name → bytes of every download button drawn (made at once; the button itself is still drawn)."""
    return recorded_downloads(monkeypatch)


def logged_in(role: str) -> AppTest:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    name, password = CREDENTIALS[role]
    return login(at, name, password)


def table_with(at: AppTest, column: str) -> Any:
    """The one table of the run that has ``column``."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def workbook_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for c in row if c is not None)


# --------------------------------------------------------------------------- anonymous


def test_anonymous_gets_the_login_page_on_every_page(app_env: Path, names: tuple[set[str], set[str]]) -> None:
    every = names[0] | names[1]
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert [t.value for t in at.title] == ["知识产权网格地图 · 登录"]
    assert [w.label for w in at.text_input] == ["用户名", "密码"]
    assert [b.label for b in at.button] == ["登录"]
    assert not found_names(all_text(at), every)
    assert not at.dataframe  # not the demo store: no accounts are listed
    for params in ({"area": "1"}, {"commissioner": COMMISSIONER}, {"asof": "2025-09-30"}):
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
        at.query_params.update(params)
        at.run()
        assert [t.value for t in at.title] == ["知识产权网格地图 · 登录"], params
        assert not found_names(all_text(at), every)


def test_a_planted_session_value_is_no_login(app_env: Path, names: tuple[set[str], set[str]]) -> None:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    at.session_state[SESSION_KEY] = "guanli"  # a name, or any key the server did not hand out, names no session
    at.session_state["ipgrid.folder"] = "/"
    at.run()
    assert [t.value for t in at.title] == ["知识产权网格地图 · 登录"]
    assert not found_names(all_text(at), names[1])


def test_wrong_credentials_get_one_message_whatever_was_wrong(app_env: Path) -> None:
    seen = []
    for name, password in (("nobody", "whatever-123"), ("lingdao", "wrong-password"), ("wall", "x" * 10), ("", "")):
        at = login(AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run(), name, password)
        seen.append(errors(at))
    assert seen == [[WRONG_CREDENTIALS]] * 4


def test_kiosk_needs_its_token(app_env: Path, store: tuple[Path, str], names: tuple[set[str], set[str]]) -> None:
    for script in (APP_SCRIPT, KIOSK_SCRIPT):
        for params in ({"kiosk": "1"}, {"kiosk": "1", "token": "not-the-token"}):
            at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S)
            at.query_params.update(params)
            at.run()
            assert errors(at) == [DENIED_TEXT], (script.name, params)
            assert not at.get("iframe") and "kiosk" not in all_text(at).lower().replace("?kiosk=1", "")
        at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S)
        at.query_params.update({"kiosk": "1", "token": store[1]})
        at.run()
        assert not errors(at) and not at.exception, script.name
        text = all_text(at)
        assert "通州区" in text  # the screen's own title
        assert not found_names(text, names[0] | names[1])  # a wall screen names no firm


# --------------------------------------------------------------------------- the matrix


def test_the_page_roles_cover_every_page() -> None:
    assert set(PAGE_ROLES) == {p.key for p in PAGES}
    assert not any(may_open("kiosk", p.key) for p in PAGES)
    assert [p.key for p in PAGES if may_open("leader", p.key)] == [p.key for p in PAGES if may_open("commissioner",
                                                                                                    p.key)]
    assert {p.key for p in PAGES if not may_open("leader", p.key)} == {"assignments", "data", "audit"}


@pytest.mark.parametrize("role", ROLES)
def test_role_page_matrix(role: str, app_env: Path, names: tuple[set[str], set[str]],
                          downloads: dict[str, bytes]) -> None:
    mine, others = names
    districts = Store(app_env).districts()
    at = logged_in(role)
    assert not errors(at), errors(at)
    seen_mine = False
    for spec in PAGES:
        downloads.clear()
        open_page(at, spec.key)
        assert not at.exception, (role, spec.key, [e.message for e in at.exception])
        text = all_text(at)
        if not may_open(role, spec.key):
            assert errors(at) == [DENIED_TEXT], (role, spec.key)
            assert not at.title and not at.dataframe and not downloads, (role, spec.key)
            continue
        assert DENIED_TEXT not in errors(at), (role, spec.key)
        assert at.title, (role, spec.key)
        if spec.key == "region" and len(districts) < 2:  # nothing to set side by side: it says so, and only that
            assert [i.value for i in at.info if i.value.startswith(ONE_DISTRICT)], role
            assert not at.dataframe and not at.metric and not downloads and not at.get("component_instance"), role
        else:
            assert downloads, (role, spec.key)  # every page offers its tables as workbooks
        for file, data in downloads.items():  # each workbook's 说明 sheet says whose view it is
            book = workbook_text(data)
            assert (SCOPE_LINES[role] in book) if SCOPE_LINES[role] else ("可见范围" not in book), (spec.key, file)
            if role == "commissioner":
                assert not found_names(book, others), (spec.key, file)
        if role == "commissioner":
            assert not found_names(text, others), (spec.key, found_names(text, others)[:3])
            seen_mine = seen_mine or bool(found_names(text, mine))
    if role == "commissioner":
        assert seen_mine  # the check above is not vacuous: their own firms are shown


def test_commissioner_cannot_choose_another_commissioner(app_env: Path, names: tuple[set[str], set[str]]) -> None:
    store = Store(app_env)
    engine = Engine(store.open_bundle())
    other = sorted(n for n in engine.commissioner_directory() if n != COMMISSIONER and engine.cells_of(n))[0]
    at = logged_in("commissioner")
    at.query_params["commissioner"] = other
    open_page(at, "my_grid")
    box = at.selectbox(key="my_grid.commissioner")
    assert len(box.options) == 1 and box.options[0].startswith(COMMISSIONER) and box.value == COMMISSIONER
    assert not found_names(all_text(at), names[1])
    firms = engine.firms_of(COMMISSIONER)
    assert f"**{len(firms):,}** 家企业" in all_text(at)


def test_leader_chooses_any_commissioner_and_sees_their_firms(app_env: Path) -> None:
    store = Store(app_env)
    engine = Engine(store.open_bundle())
    other = sorted(n for n in engine.commissioner_directory() if n != COMMISSIONER and engine.cells_of(n))[0]
    at = logged_in("leader")
    open_page(at, "my_grid")
    at.selectbox(key="my_grid.commissioner").set_value(other).run()
    theirs = set(engine.firms_of(other)["name"].astype(str))
    assert found_names(all_text(at), theirs)


def test_commissioner_sees_other_towns_only_as_figures(app_env: Path, names: tuple[set[str], set[str]]) -> None:
    """A town without any of 黄亚平's cells: its figures as for everyone, an empty firm list, no firm on its map."""
    engine = Engine(Store(app_env).open_bundle())
    mine = engine.firms_of(COMMISSIONER)
    towns = engine.stats("town")
    foreign = towns[~towns["name"].isin(set(mine["town"])) & (towns["enterprises"] > 0)].iloc[0]
    at = logged_in("commissioner")
    at.query_params["area"] = str(foreign["id"])
    open_page(at, "town")
    assert at.title[0].value == foreign["name"]
    firms = table_with(at, "企业名称")
    assert len(firms) == 0
    text = all_text(at)
    assert "本镇街 0 家" in text and not found_names(text, names[1])
    assert f"{int(foreign['enterprises']):,}" in text  # the town's own count, every firm counted


def test_commissioner_search_finds_nothing_outside_their_cells(app_env: Path, names: tuple[set[str], set[str]]
                                                               ) -> None:
    outsider = sorted(names[1])[0]
    at = logged_in("commissioner")
    open_page(at, "town")
    at.text_input(key="town.q").input(outsider).run()
    assert [i.value for i in at.info if outsider in i.value] == [f"没有找到「{outsider}」。"]  # not 全区有 … 家
    assert not any(outsider in d.value.to_csv() for d in at.dataframe)
    assert not found_names(all_text(at).replace(outsider, ""), names[1])


def test_leader_sees_no_contact_phones_unless_enabled(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.access.scope import Scope, scoped

    engine = Engine(Store(app_env).open_bundle())
    assert {"contact", "phone"} <= set(engine.firms.columns)
    hidden = scoped(engine, Scope("leader", contacts=False))
    assert not {"contact", "phone"} & set(hidden.firms.columns) and len(hidden.firms) == len(engine.firms)
    shown = scoped(engine, Scope("leader", contacts=True))
    assert {"contact", "phone"} <= set(shown.firms.columns)
    monkeypatch.setenv("IPGRID_LEADER_CONTACTS", "1")
    from dashboard.access.session import scope_for

    assert scope_for("leader").contacts
    monkeypatch.delenv("IPGRID_LEADER_CONTACTS")
    assert not scope_for("leader").contacts


def test_logout_ends_the_session_and_is_audited(app_env: Path) -> None:
    at = logged_in("leader")
    key = at.session_state[SESSION_KEY]
    next(b for b in at.button if b.label == "退出登录").click().run()
    assert [t.value for t in at.title] == ["知识产权网格地图 · 登录"]
    assert "已退出登录。" in [i.value for i in at.info]
    from dashboard.access.session import registry

    assert registry().get(key) is None
    log = Store(app_env).audit_log()
    assert log[log["action"] == "logout"]["user"].iloc[-1] == "lingdao"


def test_idle_session_ends(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in("leader")
    from dashboard.access.session import registry

    record = registry().get(at.session_state[SESSION_KEY])
    assert record is not None
    record.last_seen -= 31 * 60  # 31 minutes without any action
    at.run()
    assert [t.value for t in at.title] == ["知识产权网格地图 · 登录"]
    assert any("30 分钟没有操作" in i.value for i in at.info)
    log = Store(app_env).audit_log()
    assert log["action"].iloc[-1] == "timeout" and log["user"].iloc[-1] == "lingdao"


def test_closed_tabs_are_forgotten_by_the_next_login(app_env: Path) -> None:
    from dashboard.access.session import registry

    first = logged_in("leader")
    record = registry().get(first.session_state[SESSION_KEY])
    assert record is not None
    record.last_seen -= 31 * 60  # a tab closed half an hour ago: it never comes back to log out
    second = logged_in("admin")
    assert registry().get(first.session_state[SESSION_KEY]) is None
    assert registry().get(second.session_state[SESSION_KEY]) is not None


def test_disabling_an_account_ends_its_sessions(app_env: Path) -> None:
    from dashboard.store.accounts import Accounts

    at = logged_in("commissioner2")
    accounts = Accounts(Store(app_env))
    accounts.set_disabled(CREDENTIALS["commissioner2"][0], True, by="test")
    try:
        at.run()
        assert [t.value for t in at.title] == ["知识产权网格地图 · 登录"]
        at = login(at, *CREDENTIALS["commissioner2"])
        assert errors(at) == [WRONG_CREDENTIALS]
    finally:
        accounts.set_disabled(CREDENTIALS["commissioner2"][0], False, by="test")


def test_admin_audit_page_lists_logins_and_downloads(app_env: Path, downloads: dict[str, bytes]) -> None:
    at = logged_in("admin")
    open_page(at, "town")
    made = sorted(downloads)
    assert made  # the downloads were made (as on click) and so audited
    open_page(at, "audit")
    log = table_with(at, "操作")
    assert {"登录", "下载表格"} <= set(log["操作"])
    mine = log[(log["操作"] == "下载表格") & (log["操作人"] == "guanli")]
    assert any(made[0] in d for d in mine["详情"])


# --------------------------------------------------------------------------- when login applies


@pytest.fixture
def beyond_this_machine() -> Iterator[None]:
    """The server listens on every interface (``--server.address 0.0.0.0``)."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        yield
    finally:
        config.set_option("server.address", before)


def test_beyond_this_machine_without_accounts_the_app_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              beyond_this_machine: None) -> None:
    from store_helpers import import_folder, write_grid_folder

    store = tmp_path / "s.gpkg"
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "0")
    import_folder(str(store), write_grid_folder(tmp_path / "q"), "2025-12-31")
    monkeypatch.setenv(STORE_ENV, str(store))
    monkeypatch.delenv(DATA_ENV, raising=False)
    for script in (APP_SCRIPT, KIOSK_SCRIPT):
        at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S).run()
        (message,) = errors(at)
        assert "拒绝提供服务" in message and f"ipgrid user add 管理员 --role admin --store {store}" in message
        assert not at.title and not at.dataframe and "甲一" not in all_text(at)
    monkeypatch.delenv(STORE_ENV)
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "q"))  # a folder has no accounts at all
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert "拒绝提供服务" in errors(at)[0] and "甲一" not in all_text(at)


def test_demo_beyond_this_machine_asks_for_login_and_lists_its_accounts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beyond_this_machine: None) -> None:
    import shutil

    from dashboard.store.demo import DEMO_PASSWORDS, demo_store

    copy = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_store(), copy)
    monkeypatch.setenv(STORE_ENV, str(copy))
    monkeypatch.delenv(DATA_ENV, raising=False)
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert [t.value for t in at.title] == ["知识产权网格地图 · 登录"]
    listed = at.dataframe[0].value
    assert sorted(listed["用户名"]) == ["admin", "dapingmu", "leader", "zhuanyuan"]
    assert set(DEMO_PASSWORDS.values()) <= set(listed["密码"])
    assert not any("不登录" in b.label for b in at.button)  # beyond this machine there is no way around it


def test_local_demo_needs_no_login_and_offers_its_roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from dashboard.store.demo import DEMO_PASSWORDS, demo_commissioner, demo_store

    copy = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_store(), copy)
    monkeypatch.setenv(STORE_ENV, str(copy))
    monkeypatch.delenv(DATA_ENV, raising=False)
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert at.title[0].value.endswith("知识产权网格地图") and "本机使用，无需登录。" in [c.value for c in at.caption]
    next(b for b in at.button if b.label.startswith("用演示账号登录")).click().run()
    assert [t.value for t in at.title] == ["知识产权网格地图 · 登录"]
    login(at, "zhuanyuan", DEMO_PASSWORDS["commissioner"])
    open_page(at, "my_grid")
    who = demo_commissioner(Store(copy))
    assert at.selectbox(key="my_grid.commissioner").value == who
    assert any(f"当前用户：{who}（网格专员）" in c.value for c in at.sidebar.caption)
    open_page(at, "data")
    assert errors(at) == [DENIED_TEXT]
