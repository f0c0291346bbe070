"""Accounts in the store and ``ipgrid user``: argon2id hashes, kiosk tokens, lockout, audit; the scope rule by hand.

Stores are made by importing ``store_helpers.write_grid_folder`` (cells G1–G4:
张三 has G1 and G2 with 甲一, 甲二 and 乙一; 李四 has G3 with 丙一; G4 with 丙二 has
nobody), on both backends where the backend matters.
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
import uuid
from pathlib import Path

import pytest
from store_helpers import (
    import_folder,
    ok,
    ok_json,
    refused,
    run_cli,
    store_env,
    store_location,
    with_first_invention,
    write_grid_folder,
)

from dashboard.access.scope import FULL_SCOPE, Scope, ScopedEngine, ScopeError, scoped, version_diff
from dashboard.engine import Engine
from dashboard.store import Store
from dashboard.store.accounts import WRONG_CREDENTIALS, Accounts, is_argon2id, token_digest
from dashboard.store.demo import DEMO_ACCOUNT_NAMES, DEMO_KIOSK_TOKEN, DEMO_PASSWORDS, demo_store

__all__ = ["store_env", "store_location"]

PASSWORD = "correct-horse-9"


@pytest.fixture
def grid_store(tmp_path: Path, store_location: str) -> str:
    """A store (each backend) with one version of the grid folder."""
    import_folder(store_location, write_grid_folder(tmp_path / "q"), "2025-12-31")
    return store_location


def add(store: str, name: str, role: str, *extra: str, password: str = PASSWORD) -> tuple[int, str, str]:
    """``ipgrid user add NAME --role ROLE --password-stdin --store STORE`` with ``password`` on stdin."""
    return add_args(store, name, "--role", role, *extra, password=password)


def add_args(store: str, *args: str, password: str = PASSWORD) -> tuple[int, str, str]:
    """``ipgrid user add ARGS --password-stdin --store STORE`` with ``password`` on stdin."""
    old = sys.stdin
    sys.stdin = io.StringIO(password + "\n")
    try:
        return run_cli("user", "add", *args, "--password-stdin", "--store", store)
    finally:
        sys.stdin = old


# --------------------------------------------------------------------------- the commands


def test_user_add_list_passwd_disable_enable(grid_store: str) -> None:
    assert add(grid_store, "王科长", "admin")[0] == 0
    assert add(grid_store, "zs", "commissioner", "--commissioner", "张三")[0] == 0
    listed = ok_json("user", "list", "--store", grid_store)
    assert [(a["name"], a["role"], a["commissioner"], a["disabled"]) for a in listed] == [
        ("zs", "commissioner", "张三", False), ("王科长", "admin", None, False)]
    assert PASSWORD not in json.dumps(listed) and "argon2" not in json.dumps(listed)
    accounts = Accounts(Store(grid_store))
    assert accounts.login("王科长", PASSWORD).outcome == "ok"
    old = sys.stdin
    sys.stdin = io.StringIO("another-pass-77\n")
    try:
        assert run_cli("user", "passwd", "王科长", "--password-stdin", "--store", grid_store)[0] == 0
    finally:
        sys.stdin = old
    assert accounts.login("王科长", PASSWORD).outcome == "wrong"
    assert accounts.login("王科长", "another-pass-77").outcome == "ok"
    ok("user", "disable", "zs", "--store", grid_store)
    assert accounts.login("zs", PASSWORD).message == WRONG_CREDENTIALS
    ok("user", "enable", "zs", "--store", grid_store)
    assert accounts.login("zs", PASSWORD).outcome == "ok"
    actions = Store(grid_store).audit_log()["action"].tolist()
    assert [a for a in actions if a.startswith("user_")] == ["user_add", "user_add", "user_passwd", "user_disable",
                                                            "user_enable"]


def test_kiosk_token_is_printed_once_alone_on_the_last_line(grid_store: str) -> None:
    out = ok("user", "add", "wall", "--role", "kiosk", "--store", grid_store)
    token = out.rstrip("\n").splitlines()[-1]
    assert len(token) == 43 and " " not in token  # 256 random bits, URL-safe
    accounts = Accounts(Store(grid_store))
    assert accounts.kiosk_login(token) is not None
    assert accounts.token_digest_of("wall") == token_digest(token)  # only its digest is kept
    again = ok("user", "token", "wall", "--store", grid_store).rstrip("\n").splitlines()[-1]
    assert again != token
    assert accounts.kiosk_login(token) is None  # the old one stops working at once
    assert accounts.kiosk_login(again) is not None
    assert accounts.login("wall", token).message == WRONG_CREDENTIALS  # a token is no password
    assert token not in ok("user", "list", "--store", grid_store)


@pytest.mark.parametrize(("args", "password", "words"), [
    (("nobody", "--role", "boss"), PASSWORD, "invalid choice"),
    (("zs", "--role", "commissioner"), PASSWORD, "--commissioner"),
    (("ld", "--role", "leader", "--commissioner", "张三"), PASSWORD, "只有网格专员"),
    (("ld", "--role", "leader"), "short", "密码太短"),
    (("leader1", "--role", "leader"), "leader1", "密码太短"),
    (("leader12", "--role", "leader"), "LEADER12", "不能与账号名相同"),
    (("有 空格", "--role", "leader"), PASSWORD, "不含空格"),
])
def test_user_add_refuses_with_one_chinese_line(grid_store: str, args: tuple[str, ...], password: str,
                                                words: str) -> None:
    code, _, err = add_args(grid_store, *args, password=password)
    assert code == 2 and "Traceback" not in err
    assert words in err or (words == "invalid choice" and "boss" in err and "admin" in err), err
    assert Accounts(Store(grid_store)).count() == 0


def test_user_commands_on_a_missing_account_or_store(grid_store: str, tmp_path: Path) -> None:
    assert "没有账号「ghost」" in refused(2, "user", "disable", "ghost", "--store", grid_store)
    assert "不存在" in refused(2, "user", "list", "--store", str(tmp_path / "none.gpkg"))
    assert not (tmp_path / "none.gpkg").exists()
    ok("user", "add", "wall", "--role", "kiosk", "--store", grid_store)
    assert "大屏账号没有密码" in refused(2, "user", "passwd", "wall", "--password-stdin", "--store", grid_store)
    assert add(grid_store, "ld", "leader")[0] == 0
    assert "只有大屏账号有令牌" in refused(2, "user", "token", "ld", "--store", grid_store)
    assert "已存在" in add(grid_store, "ld", "leader")[2]


def test_password_hashes_are_argon2id_and_nothing_is_kept_in_clear(tmp_path: Path) -> None:
    import_folder(str(tmp_path / "s.gpkg"), write_grid_folder(tmp_path / "q"), "2025-12-31")
    store = str(tmp_path / "s.gpkg")
    assert add(store, "ld", "leader")[0] == 0
    with sqlite3.connect(store) as conn:
        stored = conn.execute("SELECT password_hash, token_hash FROM ipgrid_users WHERE name = 'ld'").fetchone()
    assert is_argon2id(stored[0]) and stored[0].startswith("$argon2id$v=19$m=65536,t=3,p=4$") and stored[1] == ""
    assert PASSWORD.encode() not in Path(store).read_bytes()
    assert PASSWORD not in Store(store).audit_log().to_csv()


# --------------------------------------------------------------------------- lockout


def test_five_failures_lock_the_account_and_say_so(grid_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert add(grid_store, "ld", "leader")[0] == 0
    accounts = Accounts(Store(grid_store))
    answers = [accounts.login("ld", f"wrong-{i}").outcome for i in range(5)]
    assert answers == ["wrong"] * 4 + ["locked"]
    right = accounts.login("ld", PASSWORD)
    assert right.outcome == "locked" and "连续 5 次登录失败已被锁定 15 分钟" in right.message
    log = Store(grid_store).audit_log()
    assert log["action"].tolist()[-7:] == ["login_failed"] * 5 + ["lockout", "login_failed"]
    # the lock ends by itself: move it into the past
    with Store(grid_store).backend.sql.begin() as conn:
        from sqlalchemy import update

        from dashboard.store import tables as tb

        conn.execute(update(tb.users).values(locked_until="2000-01-01T00:00:00+00:00"))
    assert accounts.login("ld", PASSWORD).outcome == "ok"
    assert accounts.get("ld").failures == 0  # type: ignore[union-attr]
    monkeypatch.setenv("IPGRID_LOCKOUT_FAILURES", "2")
    monkeypatch.setenv("IPGRID_LOCKOUT_MINUTES", "1")
    assert [accounts.login("ld", "bad-pass-1").outcome for _ in range(2)] == ["wrong", "locked"]
    assert "连续 2 次登录失败已被锁定 1 分钟" in accounts.login("ld", PASSWORD).message
    ok("user", "enable", "ld", "--store", grid_store)  # an admin unlocks
    assert accounts.login("ld", PASSWORD).outcome == "ok"


def test_a_bad_setting_is_refused_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.access.settings import AccessSettingsError, access_settings

    monkeypatch.setenv("IPGRID_IDLE_MINUTES", "abc")
    with pytest.raises(AccessSettingsError, match="IPGRID_IDLE_MINUTES.*abc"):
        access_settings()


# --------------------------------------------------------------------------- demo, restore, old stores


def test_demo_accounts_exist_only_on_the_demo(tmp_path: Path) -> None:
    demo = Accounts(Store(demo_store()))
    assert demo.is_demo()
    assert sorted((a.role, a.name) for a in demo.all()) == sorted((r, n) for r, n in DEMO_ACCOUNT_NAMES.items())
    for role, password in DEMO_PASSWORDS.items():
        name = DEMO_ACCOUNT_NAMES[role]
        assert demo.login(name, password).outcome == "ok"
    assert demo.kiosk_login(DEMO_KIOSK_TOKEN) is not None
    store = str(tmp_path / "new.gpkg")
    import_folder(store, write_grid_folder(tmp_path / "q"), "2025-12-31")
    fresh = Accounts(Store(store))
    assert fresh.count() == 0 and not fresh.is_demo()
    assert fresh.login("admin", DEMO_PASSWORDS["admin"]).outcome == "wrong"
    assert fresh.kiosk_login(DEMO_KIOSK_TOKEN) is None


def test_restore_keeps_the_accounts_of_now(tmp_path: Path) -> None:
    store = str(tmp_path / "s.gpkg")
    import_folder(store, write_grid_folder(tmp_path / "q"), "2025-12-31")
    backup = tmp_path / "b.gpkg"
    ok("backup", store, "--out", backup)
    assert add(store, "ld", "leader")[0] == 0  # added after the backup
    ok("restore", store, "--from", backup)
    assert Accounts(Store(store)).login("ld", PASSWORD).outcome == "ok"


def test_a_lost_store_restored_into_a_new_one_gets_its_accounts_and_visits(tmp_path: Path) -> None:
    from dashboard.store.visits import VisitRecord, Visits

    store = str(tmp_path / "s.gpkg")
    import_folder(store, write_grid_folder(tmp_path / "q"), "2025-12-31")
    assert add(store, "ld", "leader")[0] == 0
    Visits(Store(store)).add_many([VisitRecord("甲二", "甲二", "张三", "2025-11-03")], by="张三")
    backup = tmp_path / "b.gpkg"
    ok("backup", store, "--out", backup)
    new = str(tmp_path / "new" / "s.gpkg")  # the server was lost: a new store from the night's backup
    ok("restore", new, "--from", backup)
    assert Accounts(Store(new)).login("ld", PASSWORD).outcome == "ok"
    assert list(Visits(Store(new)).current()["firm_name"]) == ["甲二"]
    Visits(Store(new)).add_many([VisitRecord("丙一", "丙一", "李四", "2025-12-01")], by="李四")
    ok("restore", new, "--from", backup)  # an older backup again: the visit recorded since is kept
    assert sorted(Visits(Store(new)).current()["firm_name"]) == ["丙一", "甲二"]


def test_a_store_of_an_earlier_release_gains_the_accounts_table(tmp_path: Path) -> None:
    store = tmp_path / "s.gpkg"
    import_folder(str(store), write_grid_folder(tmp_path / "q"), "2025-12-31")
    with sqlite3.connect(store) as conn:
        conn.execute("DROP TABLE ipgrid_users")
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'ipgrid_users'")
    assert Accounts(Store(store)).count() == 0
    with sqlite3.connect(store) as conn:
        listed = conn.execute("SELECT description FROM gpkg_contents WHERE table_name = 'ipgrid_users'").fetchone()
    assert listed and "argon2id" in listed[0]  # QGIS lists it with its description


# --------------------------------------------------------------------------- the scope rule, by hand


@pytest.fixture
def grid_engine(tmp_path: Path) -> Engine:
    return Engine(Store(_grid_gpkg(tmp_path)).open_bundle())


def _grid_gpkg(tmp_path: Path) -> str:
    store = str(tmp_path / "s.gpkg")
    import_folder(store, write_grid_folder(tmp_path / "q"), "2025-12-31")
    return store


def test_commissioner_scope_by_hand(grid_engine: Engine) -> None:
    zhang = scoped(grid_engine, Scope("commissioner", "张三"))
    assert isinstance(zhang, ScopedEngine)
    assert sorted(zhang.firm_table()["name"]) == ["乙一", "甲一", "甲二"]
    assert sorted(zhang.firms_in("town", zhang.stats("town")["id"].iloc[2])["name"]) == []  # 丙街道: not his
    assert sorted(zhang.firms_of("李四")["name"]) == []  # another commissioner's firms: none
    assert len(zhang.firm_xy) == 3 and len(zhang.enterprises) == 3
    # the figures are everyone's: 丙街道 has its two firms, the district five
    assert zhang.stats("town")["enterprises"].tolist() == grid_engine.stats("town")["enterprises"].tolist()
    assert int(zhang.stats("district")["enterprises"].iloc[0]) == 5
    li = scoped(grid_engine, Scope("commissioner", "李四"))
    assert li.firm_table()["name"].tolist() == ["丙一"]
    nobody = scoped(grid_engine, Scope("kiosk"))
    assert len(nobody.firm_table()) == 0 and len(nobody.uncovered_firms()) == 0
    assert scoped(grid_engine, FULL_SCOPE) is grid_engine
    assert len(scoped(grid_engine, Scope("leader", contacts=False)).firm_table()) == 5
    assert not len(zhang.problems) and len(grid_engine.problems) >= 0


def test_a_scoped_engine_refuses_what_is_not_classified(grid_engine: Engine) -> None:
    zhang = scoped(grid_engine, Scope("commissioner", "张三"))
    for name in ("placement", "matching", "rights", "bundle", "nearest", "_values"):
        with pytest.raises(ScopeError):
            getattr(zhang, name)
    with pytest.raises(ScopeError):
        zhang.layer("ip_records")
    assert zhang.layer("towns") is grid_engine.layer("towns")


def test_every_engine_member_is_classified() -> None:
    """Each public member of Engine is either an aggregate the scope passes on, or filtered in ScopedEngine."""
    from dashboard.access.scope import AGGREGATE_MEMBERS

    own = set(vars(ScopedEngine))
    public = {n for n in dir(Engine) if not n.startswith("_")}
    filtered = {"enterprises", "firms", "firm_xy", "covered", "firm_table", "firms_in", "firms_of", "uncovered_firms",
                "gi_table", "gi_users", "problems", "layer", "memo"}
    refused_ = {"placement", "matching", "rights", "nearest"}
    assert public <= AGGREGATE_MEMBERS | filtered | refused_, public - AGGREGATE_MEMBERS - filtered - refused_
    assert filtered <= own


def test_a_diff_as_a_commissioner_sees_it(tmp_path: Path) -> None:
    """Next quarter 甲二 (张三's G1) gets its first invention: 张三 sees it in 培育成功, 李四 does not."""
    store = _grid_gpkg(tmp_path)
    import_folder(store, with_first_invention(write_grid_folder(tmp_path / "q2")), "2026-03-31")
    s = Store(store)
    old, new = (Engine(s.open_bundle(v)) for v in s.active_versions())
    zhang = scoped(new, Scope("commissioner", "张三"))
    li = scoped(new, Scope("commissioner", "李四"))
    assert version_diff(old, new, "town", 1).first_ip["name"].tolist() == ["甲二"]
    assert version_diff(old, zhang, "town", 1).first_ip["name"].tolist() == ["甲二"]
    assert version_diff(old, li, "town", 1).first_ip["name"].tolist() == []
    areas = version_diff(old, li, "town", 1).areas
    assert areas.equals(version_diff(old, new, "town", 1).areas)  # every area's figures, as for everyone


def test_bigscreen_beyond_this_machine_needs_a_kiosk_account(tmp_path: Path) -> None:
    """The rule does not depend on the backend: one GeoPackage store."""
    grid_store = _grid_gpkg(tmp_path)
    err = refused(2, "bigscreen", grid_store, "--address", "0.0.0.0", "--dry-run")
    assert "拒绝启动" in err and f"ipgrid user add 大屏 --role kiosk --store {grid_store}" in err
    assert "拒绝启动" in refused(2, "bigscreen", str(tmp_path / "q"), "--address", "0.0.0.0", "--dry-run")
    assert "--server.address 127.0.0.1" in ok("bigscreen", grid_store, "--dry-run")  # this machine: as before
    ok("user", "add", "wall", "--role", "kiosk", "--store", grid_store)
    assert "--server.address 0.0.0.0" in ok("bigscreen", grid_store, "--address", "0.0.0.0", "--dry-run")


def test_a_made_up_name_locks_like_a_real_one(grid_store: str) -> None:
    """The lock message must not tell which names are accounts: five failures of any name answer the same."""
    accounts = Accounts(Store(grid_store))
    assert add(grid_store, "real", "leader")[0] == 0
    real = [accounts.login("real", f"bad-{i}").message for i in range(6)]
    made_up = f"ghost-{uuid.uuid4().hex[:8]}"  # the count is the process's: a name no other test used
    ghost = [accounts.login(made_up, f"bad-{i}").message for i in range(6)]
    assert real == ghost
    assert real[3] == WRONG_CREDENTIALS and "锁定" in real[4] and "锁定" in real[5]
