"""The store through ``ipgrid``: round trips, versions, refusals, diff, assignments — on a GeoPackage and on PostGIS.

Every test runs on both backends (``store_location``, ``demo_store``); every
error path exits 2 (1 for data errors) with a Chinese line on stderr and no
traceback.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_files import three_towns, write_csv
from pg_cluster import PgCluster
from store_helpers import (
    BACKENDS,
    import_folder,
    module_store,
    ok,
    ok_json,
    plain_url,
    refused,
    run_cli,
    store_env,
    store_location,
    write_grid_folder,
)
from test_changes import PARK_AREAS, TOWN_AREAS, U, write_d1, write_d2

from dashboard.engine import Engine
from dashboard.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "geodata" / "demo"
DEMO_DATE = "2025-12-31"

__all__ = ["store_env", "store_location"]  # fixtures, imported for pytest

# --------------------------------------------------------------------------- 1. round trip


@pytest.fixture(scope="module", params=BACKENDS)
def demo_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundled demo imported as version 2025-12-31 (read only)."""
    with module_store(request, tmp_path_factory, "demo") as location:
        import_folder(location, DEMO, DEMO_DATE, "--note", "示例")
        yield location


_FOLDER_OUTPUT: dict[tuple[str, ...], str] = {}


def folder_output(*args: str) -> str:
    """``ipgrid ARGS`` on the demo folder, run once per module."""
    if args not in _FOLDER_OUTPUT:
        _FOLDER_OUTPUT[args] = ok(args[0], DEMO, *args[1:])
    return _FOLDER_OUTPUT[args]


@pytest.mark.parametrize("level", ["district", "town", "park", "grid"])
def test_stats_of_a_version_are_the_folders_byte_for_byte(demo_store: str, level: str) -> None:
    assert ok("stats", demo_store, "--as-of", DEMO_DATE, "--level", level, "--json") == \
        folder_output("stats", "--level", level, "--json")


@pytest.mark.parametrize("command", ["coverage", "targets"])
def test_coverage_and_targets_of_a_version_are_the_folders(demo_store: str, command: str) -> None:
    assert ok(command, demo_store, "--as-of", DEMO_DATE, "--json") == folder_output(command, "--json")


def test_validate_of_a_version_gives_the_folders_problems(demo_store: str) -> None:
    stored = ok_json("validate", demo_store, "--as-of", DEMO_DATE)
    folder = json.loads(folder_output("validate", "--json"))
    assert stored["problems"] == folder["problems"] and len(stored["problems"]) == 8
    assert stored["layers"] == folder["layers"]


def test_latest_version_is_the_default(demo_store: str) -> None:
    assert ok("stats", demo_store, "--json") == folder_output("stats", "--json")
    text = ok("validate", demo_store)
    assert f"存储版本：数据截至 {DEMO_DATE}" in text


def test_a_folder_with_nothing_located_round_trips(store_location: str, tmp_path: Path) -> None:
    """Spatial layers without a single geometry (every firm and site without coordinates) are stored too."""
    root = tmp_path / "unlocated"
    root.mkdir()
    three_towns().to_file(root / "镇街.gpkg")
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利"],
              [["甲", None, None, 1], ["乙", None, None, 0]], "utf-8-sig")
    write_csv(root / "服务站点.csv", ["站点名称", "站点类型", "经度", "纬度"],
              [["S1", "基层知识产权工作站", None, None]], "utf-8-sig")
    (root / "ipgrid.toml").write_text('[enterprises]\ncrs = "WGS-84"\n[service_points]\ncrs = "WGS-84"\n',
                                      encoding="utf-8")
    import_folder(store_location, root, "2025-03-31")
    for args in (["stats", "--level", "grid"], ["stats", "--level", "town"], ["coverage"], ["validate"]):
        assert ok(args[0], store_location, *args[1:], "--json") == ok(args[0], root, *args[1:], "--json"), args
    code, _, err = run_cli("backup", store_location, "--out", tmp_path / "b.gpkg")
    assert code == 0 and "Warning" not in err, err
    assert ok("stats", tmp_path / "b.gpkg", "--json") == ok("stats", root, "--json")


# --------------------------------------------------------------------------- 2. versions


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """test_changes' hand-worked versions D1, D2; a small folder with cells G1–G4, with and without an error."""
    base = tmp_path_factory.mktemp("store-folders")
    return {"D1": write_d1(base / "D1"), "D2": write_d2(base / "D2"), "grid": write_grid_folder(base / "grid"),
            "faulty": write_grid_folder(base / "faulty", error_row=True),
            "dated": write_grid_folder(base / "dated", toml='[district]\ndata_date = "2025-12-31"\n'
                                                             '[enterprises]\ncrs = "WGS-84"\n')}


VERSION_KEYS = {"version", "as_of", "status", "status_label", "imported_at", "imported_by", "note", "district",
                "source_folder", "rows", "problems", "files", "withdrawn_at", "withdrawn_by", "withdraw_note"}


def test_versions_record_what_was_imported(store_location: str, folders: dict[str, Path]) -> None:
    import_folder(store_location, folders["D1"], "2025-03-31", "--note", "一季度", "--user", "测试员")
    out = import_folder(store_location, folders["D2"], "2025-06-30")
    assert "与上一版本（数据截至 2025-03-31）相比：" in out and "新增企业（注销/迁出）" not in out
    assert "新增企业：1 家" in out and "迁移到其他镇街：2 家" in out

    first, second = ok_json("versions", store_location)
    assert set(first) == VERSION_KEYS
    assert (first["version"], first["as_of"], first["status"], first["note"]) == (1, "2025-03-31", "active", "一季度")
    assert (first["imported_by"], second["imported_by"]) == ("测试员", getpass.getuser())
    assert (second["version"], second["as_of"], second["status_label"]) == (2, "2025-06-30", "有效")
    stamp = dt.datetime.fromisoformat(first["imported_at"])
    assert stamp.tzinfo is not None and abs(dt.datetime.now(dt.UTC) - stamp) < dt.timedelta(minutes=5)
    assert first["rows"] == {"towns": 3, "parks": 2, "enterprises": 11}  # the second 重复公司 row left out
    assert first["problems"]["errors"] == 0 and first["problems"]["warnings"] >= 2
    assert first["district"] == "测试区" and Path(first["source_folder"]).name == "D1"
    files = {f["name"]: f for f in first["files"]}
    assert set(files) == {"镇街.gpkg", "园区.gpkg", "企业.csv", "ipgrid.toml"}
    firms = folders["D1"] / "企业.csv"
    assert files["企业.csv"] == {"name": "企业.csv", "size": firms.stat().st_size,
                                 "sha256": hashlib.sha256(firms.read_bytes()).hexdigest()}
    assert {f["name"] for f in second["files"]} == {"镇街.geojson", "园区.gpkg", "企业.xlsx", "ipgrid.toml"}

    text = ok("versions", store_location)
    assert "2025-03-31" in text and "一季度" in text and "有效" in text


def test_reimport_supersedes_and_withdraw_keeps_the_version_listed(store_location: str,
                                                                   folders: dict[str, Path]) -> None:
    import_folder(store_location, folders["D1"], "2025-03-31")
    import_folder(store_location, folders["D2"], "2025-06-30")
    import_folder(store_location, folders["D2"], "2025-03-31", "--note", "改正")  # a corrected first quarter
    listed = ok_json("versions", store_location)
    assert [(v["version"], v["as_of"], v["status"]) for v in listed] == [
        (1, "2025-03-31", "superseded"), (3, "2025-03-31", "active"), (2, "2025-06-30", "active")]
    assert listed[0]["status_label"] == "已被取代"
    d2_stats = ok("stats", folders["D2"], "--json")
    assert ok("stats", store_location, "--as-of", "2025-03-31", "--json") == d2_stats
    d1_stats = ok("stats", folders["D1"], "--json")
    assert d1_stats != d2_stats

    ok("versions", store_location, "--withdraw", "2025-06-30", "--note", "数据有误", "--user", "审核员")
    listed = ok_json("versions", store_location)
    withdrawn = next(v for v in listed if v["version"] == 2)
    assert (withdrawn["status"], withdrawn["status_label"]) == ("withdrawn", "已撤回")
    assert (withdrawn["withdrawn_by"], withdrawn["withdraw_note"]) == ("审核员", "数据有误")
    assert withdrawn["withdrawn_at"] and len(listed) == 3
    err = refused(2, "stats", store_location, "--as-of", "2025-06-30")
    assert "该日期的版本已撤回：「2025-06-30」" in err and "可选的数据截至日：2025-03-31" in err
    assert ok("stats", store_location, "--json") == d2_stats  # the latest in force: the corrected 2025-03-31
    refused(2, "versions", store_location, "--withdraw", "2025-06-30")  # nothing in force to withdraw
    assert len(ok_json("versions", store_location)) == 3


def test_withdrawing_the_only_version(store_location: str, folders: dict[str, Path]) -> None:
    import_folder(store_location, folders["D1"], "2025-03-31")
    ok("versions", store_location, "--withdraw", "2025-03-31")
    assert "还没有有效的数据版本" in refused(2, "stats", store_location)
    assert [v["status"] for v in ok_json("versions", store_location)] == ["withdrawn"]
    import_folder(store_location, folders["D2"], "2025-03-31")  # the same date imported again
    assert [(v["version"], v["status"]) for v in ok_json("versions", store_location)] == [
        (1, "withdrawn"), (2, "active")]


def test_unknown_dates_and_as_of_on_a_folder(store_location: str, folders: dict[str, Path]) -> None:
    import_folder(store_location, folders["D1"], "2025-03-31")
    import_folder(store_location, folders["D2"], "2025-06-30")
    err = refused(2, "stats", store_location, "--as-of", "2024-12-31")
    assert "没有该日期的版本：「2024-12-31」" in err and "可选的数据截至日：2025-03-31、2025-06-30" in err
    for command in ("stats", "validate", "coverage", "targets"):
        err = refused(2, command, folders["D1"], "--as-of", "2025-03-31")
        assert "--as-of 只用于存储" in err
    refused(2, "versions", store_location, "--withdraw", "2025-13-01")


def test_a_store_that_is_not_there_or_not_a_store(tmp_path: Path, folders: dict[str, Path]) -> None:
    missing = tmp_path / "nothing.gpkg"
    for args in (["versions", missing], ["stats", missing], ["diff", missing], ["backup", missing],
                 ["assignments", missing]):
        assert "不存在" in refused(2, *args)
    assert not missing.exists()
    other = tmp_path / "镇街.gpkg"
    other.write_bytes((folders["D1"] / "镇街.gpkg").read_bytes())
    assert "不是 ipgrid 存储" in refused(2, "versions", other)
    assert "不是 ipgrid 存储" in refused(2, "import", folders["D1"], "--store", other, "--as-of", "2025-03-31")
    assert "存储应为 .gpkg 文件或 postgresql:// 地址" in refused(
        2, "import", folders["D1"], "--store", tmp_path / "x.sqlite", "--as-of", "2025-03-31")


def test_an_unreachable_database_is_a_chinese_message(folders: dict[str, Path]) -> None:
    url = "postgresql://ipgrid:secret@127.0.0.1:9/ipgrid"  # the discard port: nothing listens
    for args in (["versions", url], ["stats", url],
                 ["import", folders["D1"], "--store", url, "--as-of", "2025-03-31"]):
        err = refused(2, *args)
        assert "无法连接 PostGIS 存储" in err and "secret" not in err


def test_a_database_account_without_the_rights_gets_a_chinese_message(pg_cluster: PgCluster, pg_url: str,
                                                                      folders: dict[str, Path]) -> None:
    """A read-only account reads but cannot write; an account that may not add PostGIS cannot create a store."""
    with pg_cluster.connect() as su:
        su.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ipgrid_clerk') THEN "
                   "CREATE ROLE ipgrid_clerk LOGIN PASSWORD 'clerk-pw'; END IF; END $$")
        su.execute("DROP DATABASE IF EXISTS ipgrid_bare WITH (FORCE)")
        su.execute("CREATE DATABASE ipgrid_bare TEMPLATE template0")  # no PostGIS
    import_folder(plain_url(pg_url), folders["D1"], "2025-03-31")
    database = pg_url.rsplit("/", 1)[1]
    with pg_cluster.connect(database) as su:
        su.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO ipgrid_clerk")
    clerk = f"postgresql://ipgrid_clerk:clerk-pw@127.0.0.1:{pg_cluster.port}/{database}"
    assert ok("stats", clerk, "--json") == ok("stats", folders["D1"], "--json")
    err = refused(2, "import", folders["D2"], "--store", clerk, "--as-of", "2025-06-30")
    assert "权限不够" in err and "permission denied" in err and "clerk-pw" not in err
    assert "权限不够" in refused(2, "versions", clerk, "--withdraw", "2025-03-31")
    assert [v["status"] for v in ok_json("versions", clerk)] == ["active"]
    bare = f"postgresql://ipgrid_clerk:clerk-pw@127.0.0.1:{pg_cluster.port}/ipgrid_bare"
    err = refused(2, "import", folders["D1"], "--store", bare, "--as-of", "2025-03-31")
    assert "CREATE EXTENSION postgis" in err
    pg_cluster.drop_database("ipgrid_bare")


# --------------------------------------------------------------------------- 3. refusal


def _snapshot(location: str) -> tuple[object, ...]:
    store = Store(location)
    audit = store.audit_log()
    return ([v.to_json() for v in store.versions()], sorted(store.backend.tables()),
            audit.astype(object).where(audit.notna(), None).to_dict("records"))


def test_an_import_with_errors_is_refused_and_writes_nothing(store_location: str, folders: dict[str, Path]) -> None:
    code, out, err = run_cli("import", folders["faulty"], "--store", store_location, "--as-of", "2025-03-31")
    assert code == 1 and "Traceback" not in err
    assert "未导入：数据有 1 条错误" in err and "--allow-errors" in err
    assert "错误" in out and "企业" in out  # the problems table
    refused(2, "versions", store_location)  # a refused first import does not even create the store

    import_folder(store_location, folders["grid"], "2025-03-31")
    before = _snapshot(store_location)
    code, _, err = run_cli("import", folders["faulty"], "--store", store_location, "--as-of", "2025-06-30")
    assert code == 1 and "未导入" in err
    assert _snapshot(store_location) == before

    import_folder(store_location, folders["faulty"], "2025-06-30", "--allow-errors")
    latest = ok_json("versions", store_location)[-1]
    assert latest["as_of"] == "2025-06-30" and latest["problems"]["errors"] == 1
    assert latest["rows"]["enterprises"] == 5  # the row without a name left out


@pytest.mark.parametrize("as_of", ["2025-13-01", "yesterday", "2025-2-1", "2025-02-30", ""])
def test_a_bad_as_of_is_refused(tmp_path: Path, folders: dict[str, Path], as_of: str) -> None:
    store = tmp_path / "s.gpkg"
    err = refused(2, "import", folders["grid"], "--store", store, "--as-of", as_of)
    assert "数据截至日应为 YYYY-MM-DD 格式的日期" in err
    assert not store.exists()


def test_a_data_date_that_disagrees_is_refused(store_location: str, folders: dict[str, Path]) -> None:
    err = refused(2, "import", folders["dated"], "--store", store_location, "--as-of", "2025-09-30")
    assert "数据截至日不一致" in err and "2025-12-31" in err
    import_folder(store_location, folders["dated"], "2025-12-31")  # the date it says
    assert [v["as_of"] for v in ok_json("versions", store_location)] == ["2025-12-31"]


def test_a_folder_that_cannot_be_read(store_location: str, tmp_path: Path) -> None:
    refused(2, "import", tmp_path / "no-such-folder", "--store", store_location, "--as-of", "2025-03-31")
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(2, "import", empty, "--store", store_location, "--as-of", "2025-03-31")


# --------------------------------------------------------------------------- 4. diff


def _close(value: object, want: float) -> bool:
    if math.isnan(want):
        return value is None
    return isinstance(value, int | float) and math.isclose(float(value), want, abs_tol=1e-12)


def _check_areas(areas: list[dict[str, object]], expected: list[tuple]) -> None:
    assert [a["name"] for a in areas] == [e[0] for e in expected]
    metrics = ("enterprises", "enterprises_with_ip", "invention_patents", "ip_coverage_rate")
    for area, (name, *figures) in zip(areas, expected, strict=True):
        for metric, (want_from, want_to, _) in zip(metrics, figures, strict=True):
            got = (area[f"{metric}_from"], area[f"{metric}_to"])
            assert _close(got[0], want_from) and _close(got[1], want_to), (name, metric, got)


def test_diff_of_two_hand_worked_versions(store_location: str, folders: dict[str, Path]) -> None:
    import_folder(store_location, folders["D1"], "2025-03-31")
    import_folder(store_location, folders["D2"], "2025-06-30")
    doc = ok_json("diff", store_location, "--from", "2025-03-31", "--to", "2025-06-30")
    assert (doc["from"], doc["to"], doc["level"]) == ("2025-03-31", "2025-06-30", "town")
    assert doc["enterprises"] == {
        "added": [U(4)], "removed": [U(3)], "first_ip": [U(2)], "lost_ip": [U(9)],
        "moved": [{"uscc": U(1), "from": "甲镇", "to": "乙镇"}, {"uscc": U(12), "from": "区外", "to": "丁镇"}],
    }
    _check_areas(doc["areas"], TOWN_AREAS)
    assert doc["areas"][0]["enterprises_from"] == 4 and type(doc["areas"][0]["enterprises_from"]) is int

    assert ok_json("diff", store_location) == doc  # default: the last two versions in force
    park = ok_json("diff", store_location, "--from", "2025-03-31", "--to", "2025-06-30", "--level", "park")
    assert park["level"] == "park" and park["enterprises"] == doc["enterprises"]
    _check_areas(park["areas"], PARK_AREAS)
    grid = ok_json("diff", store_location, "--from", "2025-03-31", "--to", "2025-06-30", "--level", "grid")
    assert grid["level"] == "grid" and grid["areas"] and grid["enterprises"] == doc["enterprises"]

    text = ok("diff", store_location, "--level", "park")
    assert "数据截至 2025-03-31 → 2025-06-30 的变化" in text and "新增企业：1 家" in text and "A园" in text


def test_diff_errors(store_location: str, folders: dict[str, Path]) -> None:
    import_folder(store_location, folders["D1"], "2025-03-31")
    assert "至少需要两个" in refused(2, "diff", store_location)
    assert "之前没有版本可对比" in refused(2, "diff", store_location, "--to", "2025-03-31")
    assert "没有该日期的版本" in refused(2, "diff", store_location, "--from", "2024-01-01", "--to", "2025-03-31")
    refused(2, "diff", store_location, "--level", "district")


# --------------------------------------------------------------------------- 8. assignments


def _cells(location: str, as_of: str) -> dict[str, list[str]]:
    doc = ok_json("assignments", location, "--as-of", as_of)
    assert doc["as_of"] == as_of
    return dict(doc["cells"])


def test_assignments_change_views_from_their_date_on(store_location: str, folders: dict[str, Path]) -> None:
    for as_of in ("2025-03-31", "2025-06-30", "2025-09-30"):
        import_folder(store_location, folders["grid"], as_of)
    original = {"G1": ["张三"], "G2": ["张三"], "G3": ["李四"], "G4": []}
    assert _cells(store_location, "2025-03-31") == original

    out = ok("assign", store_location, "G4", "王五", "--valid-from", "2025-06-30", "--user", "管理员",
             "--note", "新专员")
    assert "网格 G4 自 2025-06-30 起由 王五 负责" in out
    ok("assign", store_location, "G1", "李四", "--valid-from", "2025-09-30", "--user", "管理员")
    assert _cells(store_location, "2025-03-31") == original
    assert _cells(store_location, "2025-06-30") == {**original, "G4": ["王五"]}
    assert _cells(store_location, "2025-09-30") == {"G1": ["李四"], "G2": ["张三"], "G3": ["李四"], "G4": ["王五"]}

    store = Store(store_location)
    early, middle, late = (Engine(store.open_bundle(d)) for d in ("2025-03-31", "2025-06-30", "2025-09-30"))
    assert early.cells_of("王五") == [] and middle.cells_of("王五") == ["G4"]
    assert late.cells_of("李四") == ["G1", "G3"] and late.cells_of("张三") == ["G2"]
    assert middle.cells_of("张三") == ["G1", "G2"]

    history = ok_json("assignments", store_location, "--history")
    edits = [h for h in history if h["source"] == "edit"]
    assert [(h["grid_id"], h["commissioners"], h["valid_from"], h["changed_by"], h["note"]) for h in edits] == [
        ("G4", "王五", "2025-06-30", "管理员", "新专员"), ("G1", "李四", "2025-09-30", "管理员", "")]
    imported = [h for h in history if h["source"] == "import"]
    # the first import's, once; G4 has nobody, which is what the history says of a cell it has never seen
    assert {h["grid_id"] for h in imported} == {"G1", "G2", "G3"}
    assert all(h["valid_from"] == "2025-03-31" for h in imported)
    assert "手工调整" in ok("assignments", store_location, "--history")

    ok("assign", store_location, "G4", "--valid-from", "2025-09-30")  # nobody
    assert _cells(store_location, "2025-09-30")["G4"] == []
    actions = store.audit_log()["action"].tolist()
    assert actions.count("assign") == 3


def test_assignment_errors(store_location: str, folders: dict[str, Path]) -> None:
    import_folder(store_location, folders["grid"], "2025-03-31")
    before = ok_json("assignments", store_location, "--history")
    assert "网格「G9」不在最新版本（2025-03-31）的网格中" in refused(
        2, "assign", store_location, "G9", "王五", "--valid-from", "2025-06-30")
    assert "生效日期应为 YYYY-MM-DD" in refused(2, "assign", store_location, "G1", "王五", "--valid-from", "明天")
    refused(2, "assign", store_location, "G1", "王五")  # --valid-from is required
    refused(2, "assignments", store_location, "--as-of", "2020-01-01")
    assert ok_json("assignments", store_location, "--history") == before
