"""The store's promises, on a GeoPackage and on PostGIS: kill -9 safety, one writer at a time, backups and
restore with an audit trail, stored placement and matching, and a GeoPackage that is a real GeoPackage.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import sqlalchemy as sa
from fixture_files import write_rights_folder
from store_helpers import (
    import_folder,
    ok,
    ok_json,
    plain_url,
    refused,
    run_cli,
    store_env,
    store_location,
    version_tables,
    write_grid_folder,
)

from dashboard.engine import Engine
from dashboard.store import Store, backends
from dashboard.store.backup import backup_dir, list_backups
from loaders import load_folder
from loaders.errors import StoreBusyError

__all__ = ["store_env", "store_location"]  # fixtures, imported for pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "geodata" / "demo"


@pytest.fixture(scope="module")
def grid_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_grid_folder(tmp_path_factory.mktemp("grid") / "grid")


def _state(location: str) -> tuple[list[dict[str, object]], str]:
    """What must survive anything: the versions as listed, and the first version's grid figures."""
    return ok_json("versions", location), ok("stats", location, "--as-of", "2025-03-31", "--level", "grid", "--json")


# --------------------------------------------------------------------------- 5. kill -9


KILLER = r"""
import os, signal, sys

mode = os.environ["IPGRID_TEST_KILL_AT"]


def die():
    os.kill(os.getpid(), signal.SIGKILL)


if mode == "before-commit":  # every table written, the version's row inserted, not yet committed
    from dashboard.store import store as st

    audit = st.Store._audit

    def _audit(self, conn, action, *args, **kwargs):
        audit(self, conn, action, *args, **kwargs)
        if action == "import":
            die()

    st.Store._audit = _audit
elif mode in ("mid-layers", "mid-backup"):  # after the first layer of the new version / of a PostGIS backup
    from dashboard.store import backends as b

    for cls in (b.GeoPackageBackend, b.PostgisBackend):
        def write_frame(self, conn, table, frame, description, _orig=cls.write_frame):
            _orig(self, conn, table, frame, description)
            if table.startswith("v0002_" if mode == "mid-layers" else "v0001_"):
                die()

        cls.write_frame = write_frame
    if mode == "mid-backup":  # a GeoPackage store's backup: the copy made, not yet in place
        import sqlite3
        from dashboard.store import backup as bk

        def copy(source, target):
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            src, dst = sqlite3.connect(source), sqlite3.connect(partial)
            src.backup(dst)
            dst.close()
            die()

        bk.copy_file_consistently = copy

from dashboard.cli import main

sys.exit(main(sys.argv[1:]))
"""


def _start_import(location: str, folder: Path, mode: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IPGRID_TEST_KILL_AT": mode, "PYTHONPATH": str(ROOT),
           "IPGRID_BACKUP_DIR": str(tmp_path / "pg-backups")}
    district = "通州区" if folder == DEMO else "测试区"  # the demo (big enough to be caught writing): another district
    return subprocess.Popen([sys.executable, "-c", KILLER, "import", str(folder), "--store", location,
                             "--as-of", "2025-12-31", "--district", district], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _writing_v2(location: str) -> Callable[[], bool]:
    """Whether the import under way is writing version 2's tables (GeoPackage: they exist; PostGIS: the
    server is running a statement on one — in the import's transaction, invisible to anyone else)."""
    if location.startswith("postgresql"):
        engine = sa.create_engine(location.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.NullPool)
        query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE :q")

        def pg() -> bool:
            with engine.connect() as conn:
                return bool(conn.execute(query, {"q": "%v0002\\_%"}).scalar())
        return pg

    def gpkg() -> bool:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{location}?mode=ro", uri=True, timeout=0)) as db:
                return bool(db.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'v0002%'").fetchone()[0])
        except sqlite3.Error:
            return False
    return gpkg


def _kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert proc.poll() is None, f"the import ended before it could be killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the import never reached the moment to kill it"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.parametrize("store_location", ["gpkg", "postgis"], indirect=True)
def test_an_import_killed_at_any_moment_leaves_the_store_as_it_was(store_location: str, grid_folder: Path,
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "LOCK_WAIT_S", 10.0)  # a lock left behind would show as a refusal
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "5")
    import_folder(store_location, grid_folder, "2025-03-31")
    before = _state(store_location)
    moments: list[tuple[str, Path, Callable[[subprocess.Popen[bytes]], None]]] = [
        ("start", DEMO, lambda p: _kill_when(p, lambda: True)),
        ("writing", DEMO, lambda p: _kill_when(p, _writing_v2(store_location))),
        ("mid-backup", grid_folder, lambda p: p.wait(timeout=60)),
        ("mid-layers", grid_folder, lambda p: p.wait(timeout=60)),
        ("before-commit", grid_folder, lambda p: p.wait(timeout=60)),
    ]
    for mode, folder, kill in moments:
        proc = _start_import(store_location, folder, mode, tmp_path)
        kill(proc)
        assert proc.returncode == -signal.SIGKILL, (mode, proc.returncode, proc.stderr.read())  # type: ignore[union-attr]
        assert _state(store_location) == before, mode
        if not store_location.startswith("postgresql"):
            with contextlib.closing(sqlite3.connect(store_location)) as db:
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",), mode

    import_folder(store_location, grid_folder, "2025-12-31")
    store = Store(store_location)
    assert [(v.version_id, v.as_of) for v in store.versions()] == [(1, "2025-03-31"), (2, "2025-12-31")]
    tables = version_tables(store.backend.tables())
    first = {t for t in tables if t.startswith("v0001_")}
    assert tables == first | {t.replace("v0001_", "v0002_") for t in first}  # no orphan left
    assert ok("stats", store_location, "--as-of", "2025-12-31", "--level", "grid", "--json") == before[1]
    assert [p.name for p in backup_dir(store).glob("*partial*")] == []  # the killed backup's copy removed


# --------------------------------------------------------------------------- 6. one writer at a time


def test_a_second_import_waits_then_is_refused(store_location: str, grid_folder: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "5")
    import_folder(store_location, grid_folder, "2025-03-31")
    store = Store(store_location)
    before = (_state(store_location), sorted(store.backend.tables()), len(store.audit_log()), len(list_backups(store)))
    monkeypatch.setattr(backends, "LOCK_WAIT_S", 0.5)
    with store.backend.lock("测试"):
        started = time.monotonic()
        err = refused(2, "import", grid_folder, "--store", store_location, "--as-of", "2025-06-30")
        assert time.monotonic() - started >= 0.5
        assert "正被另一个操作写入" in err and "本次导入未写入任何内容，请稍后再试" in err
        assert "撤回未写入任何内容" in refused(2, "versions", store_location, "--withdraw", "2025-03-31")
        assert "调整专员分配未写入任何内容" in refused(2, "assign", store_location, "G4", "王五",
                                                     "--valid-from", "2025-03-31")
        with pytest.raises(StoreBusyError, match="正被另一个操作写入"), Store(store_location).backend.lock("恢复", 0.2):
            pass
    after = (_state(store_location), sorted(store.backend.tables()), len(store.audit_log()), len(list_backups(store)))
    assert after == before


def test_a_second_import_that_waits_long_enough_goes_through(store_location: str, grid_folder: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import_folder(store_location, grid_folder, "2025-03-31")
    monkeypatch.setattr(backends, "LOCK_WAIT_S", 20.0)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with Store(store_location).backend.lock("测试"):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    threading.Timer(0.7, release.set).start()
    started = time.monotonic()
    import_folder(store_location, grid_folder, "2025-06-30")
    assert time.monotonic() - started >= 0.6
    holder.join(10)
    assert [v["as_of"] for v in ok_json("versions", store_location)] == ["2025-03-31", "2025-06-30"]


def test_two_first_imports_at_once_never_interleave(store_location: str, grid_folder: Path, tmp_path: Path) -> None:
    """Two processes import into a store that does not exist yet: one creates it, both versions are whole."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IPGRID_BACKUP_DIR": str(tmp_path / "pg-backups")}
    procs = [subprocess.Popen([sys.executable, "-m", "dashboard.cli", "import", str(grid_folder), "--store",
                               store_location, "--as-of", day], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for day in ("2025-03-31", "2025-06-30")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()  # type: ignore[union-attr]
    store = Store(store_location)
    assert sorted((v.version_id, v.as_of) for v in store.versions()) in (
        [(1, "2025-03-31"), (2, "2025-06-30")], [(1, "2025-06-30"), (2, "2025-03-31")])
    tables = version_tables(store.backend.tables())
    assert {t[6:] for t in tables if t.startswith("v0001_")} == {t[6:] for t in tables if t.startswith("v0002_")}
    for day in ("2025-03-31", "2025-06-30"):
        assert ok("stats", store_location, "--as-of", day, "--json") == ok("stats", grid_folder, "--json")
    assert store.audit_log()["action"].tolist().count("create") >= 1


# --------------------------------------------------------------------------- 7. backups, restore, audit


def test_backups_restore_and_the_audit_trail(store_location: str, grid_folder: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "2")
    user = ["--user", "测试员"]
    import_folder(store_location, grid_folder, "2025-03-31", *user)
    store = Store(store_location)
    assert len(list_backups(store)) == 0  # nothing to back up before the first version
    import_folder(store_location, grid_folder, "2025-06-30", *user)
    import_folder(store_location, grid_folder, "2025-09-30", *user)
    ok("versions", store_location, "--withdraw", "2025-06-30", "--note", "有误", *user)
    autos = list_backups(store)
    assert len(autos) == 2  # three made, the last two kept
    newest = Store(autos["file"].iloc[0])  # the one made before the withdrawal
    assert [(v.as_of, v.status) for v in newest.versions()] == [
        ("2025-03-31", "active"), ("2025-06-30", "active"), ("2025-09-30", "active")]
    assert ok("stats", autos["file"].iloc[0], "--as-of", "2025-06-30", "--json") == \
        ok("stats", grid_folder, "--json")  # a backup is a store ipgrid reads

    saved = tmp_path / "saved" / "备份.gpkg"
    out = ok("backup", store_location, "--out", saved, *user)
    assert "已备份到" in out and "3 个版本" in out
    assert "已存在" in refused(2, "backup", store_location, "--out", saved)
    listed = ok_json("versions", store_location)
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "0")  # (turned off: every automatic backup costs time)
    import_folder(store_location, grid_folder, "2025-12-31", *user)
    assert len(ok_json("versions", store_location)) == 4

    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "2")
    out = ok("restore", store_location, "--from", saved, *user)
    assert "已从" in out and "3 个版本" in out
    assert ok_json("versions", store_location) == listed
    assert sorted(version_tables(Store(store_location).backend.tables())) == sorted(
        version_tables(Store(saved).backend.tables()))
    assert ok("stats", store_location, "--as-of", "2025-09-30", "--json") == ok("stats", grid_folder, "--json")

    audit = Store(store_location).audit_log()
    actions = audit["action"].tolist()
    assert actions[0] == "create" and actions[-1] == "restore"
    assert actions.count("import") == 4  # the import undone by the restore stays on record
    assert actions.count("withdraw") == 1 and actions.count("backup") == 5  # 4 automatic, 1 manual
    assert audit["id"].tolist() == sorted(audit["id"]) and audit["id"].is_unique
    assert set(audit.loc[audit["action"] != "create", "user"]) == {"测试员"}
    imports = audit[audit["action"] == "import"]
    assert imports["as_of"].tolist() == ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
    assert (imports["rows"] > 0).all()
    files = json.loads(imports["files"].iloc[0])
    firms = grid_folder / "企业.csv"
    assert {"name": "企业.csv", "size": firms.stat().st_size,
            "sha256": hashlib.sha256(firms.read_bytes()).hexdigest()} in files
    manual = [json.loads(d) for a, d in zip(audit["action"], audit["detail"], strict=True) if a == "backup"]
    assert {"automatic": False} in manual
    restored = audit.iloc[-1]
    assert json.loads(restored["detail"])["versions"] == 3
    assert json.loads(restored["files"])[0]["sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()

    assert len(list_backups(store)) == 2
    restored_from = Path(json.loads(restored["detail"])["previous_saved_as"])
    assert [v.as_of for v in Store(restored_from).versions()] == ["2025-03-31", "2025-06-30", "2025-09-30",
                                                                  "2025-12-31"]  # what the restore replaced
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "0")
    import_folder(store_location, grid_folder, "2025-12-31", *user)  # the restored store takes the next import
    log = Store(store_location).audit_log()
    assert log["action"].iloc[-1] == "import" and log["id"].is_unique
    assert ok_json("versions", store_location)[-1]["version"] == 4


def test_backup_and_restore_errors(store_location: str, grid_folder: Path, tmp_path: Path) -> None:
    import_folder(store_location, grid_folder, "2025-03-31")
    assert "应为 .gpkg" in refused(2, "backup", store_location, "--out", tmp_path / "b.zip")
    assert "不存在" in refused(2, "restore", store_location, "--from", tmp_path / "none.gpkg")
    assert "不是 ipgrid 存储" in refused(2, "restore", store_location, "--from", grid_folder / "镇街.gpkg")
    assert len(ok_json("versions", store_location)) == 1
    out = ok("backup", store_location)  # default: the store's backup folder
    assert "manual-" in out


def test_a_backup_restored_into_a_new_store_on_the_other_backend(store_location: str, grid_folder: Path, tmp_path: Path,
                                                                 request: pytest.FixtureRequest) -> None:
    """Moving to a server (GeoPackage → PostGIS) or off one: ``restore`` into a store that does not exist yet."""
    import_folder(store_location, grid_folder, "2025-03-31", "--user", "甲")
    import_folder(store_location, grid_folder, "2025-06-30", "--user", "甲")
    ok("versions", store_location, "--withdraw", "2025-06-30")
    ok("backup", store_location, "--out", tmp_path / "moving.gpkg")
    if store_location.startswith("postgresql"):
        other = str(tmp_path / "new" / "ipgrid.gpkg")
    else:
        other = plain_url(request.getfixturevalue("pg_url"))
    assert "不存在" in refused(2, "versions", other)
    ok("restore", other, "--from", tmp_path / "moving.gpkg", "--user", "乙")
    assert ok_json("versions", other) == ok_json("versions", store_location)
    assert ok("stats", other, "--as-of", "2025-03-31", "--level", "grid", "--json") == \
        ok("stats", store_location, "--as-of", "2025-03-31", "--level", "grid", "--json")
    actions = Store(other).audit_log()["action"].tolist()
    assert actions.count("import") == 2 and actions[-1] == "restore"  # the history came along
    import_folder(other, grid_folder, "2025-09-30")
    assert [v["version"] for v in ok_json("versions", other)] == [1, 2, 3]


def test_a_backup_that_cannot_be_written_stops_the_write(store_location: str, grid_folder: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "5")
    import_folder(store_location, grid_folder, "2025-03-31")
    blocked = backup_dir(Store(store_location))
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("not a folder", encoding="utf-8")  # where the backups should go
    before = _state(store_location)
    err = refused(2, "import", grid_folder, "--store", store_location, "--as-of", "2025-06-30")
    assert "写入前的自动备份失败，本次操作未写入任何内容" in err and "IPGRID_STORE_BACKUPS=0" in err
    refused(2, "versions", store_location, "--withdraw", "2025-03-31")
    assert _state(store_location) == before
    assert "无法写入" in refused(2, "backup", store_location, "--out", blocked / "b.gpkg")


# --------------------------------------------------------------------------- 9. stored work is used


def test_opening_a_version_does_not_place_or_match_again(store_location: str, grid_folder: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rights = write_rights_folder(tmp_path / "rights")
    import_folder(store_location, grid_folder, "2025-03-31")
    import_folder(store_location, rights, "2024-12-31")
    folder_engine = Engine(load_folder(grid_folder))
    expected = {level: folder_engine.stats(level) for level in ("town", "park", "grid")}
    years = {year: ok("stats", rights, "--year", str(year), "--level", "town", "--json") for year in (2021, 2022, 2023)}

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("placement or matching computed again")

    for name in ("first_covering", "first_covering_via_cells", "all_covering"):
        monkeypatch.setattr(f"dashboard.engine.placement.{name}", refuse)
    monkeypatch.setattr("dashboard.engine.core.match_holders", refuse)
    engine = Engine(Store(store_location).open_bundle("2025-03-31"))
    for level, table in expected.items():
        pd.testing.assert_frame_equal(engine.stats(level), table)
    for year, text in years.items():
        assert ok("stats", store_location, "--as-of", "2024-12-31", "--year", str(year), "--level", "town",
                  "--json") == text
    assert years[2021] != years[2023]


def test_a_shapefiles_sidecars_are_checksummed_with_it(tmp_path: Path) -> None:
    from fixture_files import three_towns, write_shapefile

    from dashboard.store import prepare_import

    root = write_grid_folder(tmp_path / "shp")
    (root / "镇街.gpkg").unlink()
    towns = three_towns().rename(columns={"名称": "name", "区划代码": "xzqdm", "常住人口": "pop"})
    write_shapefile(towns, root / "镇街.shp")  # a .dbf keeps 10 bytes of a field name: ASCII names
    prepared = prepare_import(root, "2025-03-31")  # no store: reads and checks, writes nothing
    names = {f["name"] for f in prepared.files}
    assert {"镇街.shp", "镇街.shx", "镇街.dbf", "镇街.prj", "镇街.cpg", "企业.csv", "ipgrid.toml"} <= names
    for f in prepared.files:
        data = (root / f["name"]).read_bytes()
        assert (f["size"], f["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert prepared.previous is None and prepared.diff is None and prepared.errors == 0


# --------------------------------------------------------------------------- 10. a real GeoPackage


def test_a_geopackage_store_is_a_real_geopackage(tmp_path: Path, grid_folder: Path) -> None:
    location = tmp_path / "ipgrid.gpkg"
    import_folder(str(location), grid_folder, "2025-03-31")
    layers = dict(pyogrio.list_layers(location).tolist())
    assert layers["v0001_enterprises"] == "Point"
    assert layers["v0001_towns"] == "Polygon" and layers["v0001_grids"] == "Polygon"
    assert layers["ipgrid_versions"] is None and layers["v0001_placement"] is None
    with contextlib.closing(sqlite3.connect(location)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA application_id").fetchone() == (0x47504B47,)  # "GPKG"
        kinds = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
        described = dict(db.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
    assert kinds["ipgrid_versions"] == kinds["ipgrid_audit"] == kinds["ipgrid_assignments"] == "attributes"
    assert kinds["v0001_enterprises"] == "features" and kinds["v0001_placement"] == "attributes"
    assert described["v0001_enterprises"] == "企业 · 数据截至 2025-03-31 · 版本 1"
    frame = pyogrio.read_dataframe(location, layer="v0001_enterprises")
    assert frame.crs.to_epsg() == 4326 and len(frame) == 5


def test_a_postgis_store_and_its_backup(pg_url: str, grid_folder: Path, tmp_path: Path) -> None:
    """The ``postgresql+psycopg://`` form works too; its backup is a GeoPackage QGIS opens."""
    import_folder(pg_url, grid_folder, "2025-03-31")
    ok("backup", pg_url, "--out", tmp_path / "b.gpkg")
    layers = dict(pyogrio.list_layers(tmp_path / "b.gpkg").tolist())
    assert layers["v0001_enterprises"] == "Point" and layers["ipgrid_versions"] is None
    engine = sa.create_engine(pg_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        kind = conn.execute(sa.text("SELECT type FROM geometry_columns WHERE f_table_name = 'v0001_enterprises'"))
        assert kind.scalar() == "POINT"
        comment = conn.execute(sa.text("SELECT obj_description('v0001_enterprises'::regclass)")).scalar()
    assert comment == "企业 · 数据截至 2025-03-31 · 版本 1"
    code, out, err = run_cli("versions", pg_url)
    assert code == 0 and "postgresql://postgres:***@" in out and "Warning" not in err
