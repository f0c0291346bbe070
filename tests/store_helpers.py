"""Shared pieces of the store's tests: a fresh store on each backend, the CLI run in-process, small folders.

``store_location`` is parametrized over ``gpkg`` (a new ``.gpkg`` under the
test's tmp_path) and ``postgis`` (a new PostGIS database of the session's
throwaway cluster, written the way users type it: ``postgresql://…``).  A
test module uses them by importing them (``from store_helpers import
store_location, store_env``; the latter is autouse: no automatic backups
unless a test turns them on, and a PostGIS store's under the test's
tmp_path, never the home folder).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from fixture_files import METRIC, square, three_towns, to_lonlat, write_csv

from dashboard.cli import main

BACKENDS = ("gpkg", "postgis")

CJK = re.compile(r"[\u4e00-\u9fff]")


def plain_url(url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql://…`` (how users write it)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def run_cli(*args: object) -> tuple[int, str, str]:
    """``ipgrid ARGS`` in this process: exit code, stdout, stderr (argparse's exits caught)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def ok(*args: object) -> str:
    """Run ``ipgrid ARGS`` and return stdout; fail with stderr unless it exits 0."""
    code, out, err = run_cli(*args)
    assert code == 0, f"ipgrid {' '.join(map(str, args))} → {code}\n{err}"
    return out


def ok_json(*args: object) -> Any:
    """Run ``ipgrid ARGS --json`` and parse its output."""
    return json.loads(ok(*args, "--json"))


def refused(expected: int, *args: object) -> str:
    """Run ``ipgrid ARGS``: it must exit ``expected`` with a Chinese message on stderr and no traceback."""
    code, _, err = run_cli(*args)
    assert code == expected, f"ipgrid {' '.join(map(str, args))} → {code}, expected {expected}\n{err}"
    assert "Traceback" not in err and CJK.search(err), err
    return err


def import_folder(location: str, folder: Path, as_of: str, *extra: object) -> str:
    """``ipgrid import FOLDER --store LOCATION --as-of AS_OF EXTRA``; stdout (must exit 0)."""
    return ok("import", folder, "--store", location, "--as-of", as_of, *extra)


# --------------------------------------------------------------------------- stores


@pytest.fixture(autouse=True)
def store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No automatic backups unless a test turns them on (``IPGRID_STORE_BACKUPS``); a PostGIS store's
    go under the test's tmp_path, never the home folder."""
    monkeypatch.setenv("IPGRID_STORE_BACKUPS", "0")
    monkeypatch.setenv("IPGRID_BACKUP_DIR", str(tmp_path / "pg-backups"))


@pytest.fixture(params=BACKENDS)
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location that does not exist yet: a tmp ``.gpkg``, or an empty PostGIS database."""
    if request.param == "gpkg":
        return str(tmp_path / "store" / "ipgrid.gpkg")
    return plain_url(request.getfixturevalue("pg_url"))


@contextlib.contextmanager
def module_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 name: str) -> Iterator[str]:
    """A store for a whole module on backend ``request.param`` (for read-only tests)."""
    folder = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPGRID_STORE_BACKUPS", "0")
        patch.setenv("IPGRID_BACKUP_DIR", str(folder / "pg-backups"))
        if request.param == "gpkg":
            yield str(folder / "ipgrid.gpkg")
            return
        cluster = request.getfixturevalue("pg_cluster")
        db = re.sub(r"[^a-z0-9_]", "_", f"m_{name}_{request.module.__name__}".lower())[:63]
        url = cluster.new_database(db)
        try:
            yield plain_url(url)
        finally:
            cluster.drop_database(db)


# --------------------------------------------------------------------------- folders


TOML = '[district]\nname = "测试区"\n[enterprises]\ncrs = "WGS-84"\n'


def write_grid_folder(root: Path, *, toml: str = TOML, error_row: bool = False,
                      commissioners: tuple[str | None, ...] = ("张三", "张三", "李四", None)) -> Path:
    """Three towns (``fixture_files.three_towns``), cells G1–G4 (2 km squares), one park, five firms.

    G1 甲镇, G2 乙镇, G3 and G4 丙街道; ``commissioners`` names each cell's
    commissioner.  Firms: 甲一 (500,500) G1, 1 invention; 甲二 (1500,1500)
    G1; 乙一 (3000,500) G2 in A园, 2 inventions; 丙一 (1000,3000) G3, 1
    trademark; 丙二 (3000,3000) G4.  ``error_row`` adds a row without a name
    (an error: the import is refused unless ``--allow-errors``).
    """
    root.mkdir(parents=True, exist_ok=True)
    three_towns().to_file(root / "镇街.gpkg")
    gpd.GeoDataFrame({"园区名称": ["A园"]}, geometry=[square(2500, 0, 3500, 1000)],
                     crs=METRIC).to_file(root / "园区.gpkg")
    gpd.GeoDataFrame(
        {"网格编号": ["G1", "G2", "G3", "G4"], "网格名称": ["甲格", "乙格", "丙西格", "丙东格"],
         "网格专员": list(commissioners)},
        geometry=[square(0, 0, 2000, 2000), square(2000, 0, 4000, 2000), square(0, 2000, 2000, 4000),
                  square(2000, 2000, 4000, 4000)], crs=METRIC).to_file(root / "网格.gpkg")
    firms = [("甲一", 500, 500, 1, 0), ("甲二", 1500, 1500, 0, 0), ("乙一", 3000, 500, 2, 0),
             ("丙一", 1000, 3000, 0, 1), ("丙二", 3000, 3000, 0, 0)]
    rows: list[list[object]] = [[name, *to_lonlat(x, y), inv, tm] for name, x, y, inv, tm in firms]
    if error_row:
        rows.append([None, *to_lonlat(600, 600), 1, 0])
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利", "有效注册商标"], rows, "utf-8-sig")
    (root / "ipgrid.toml").write_text(toml, encoding="utf-8")
    return root


def version_tables(names: set[str]) -> set[str]:
    """The names of version tables (``v0001_enterprises`` …) among ``names``."""
    return {n for n in names if re.match(r"^v\d{4,}_", n)}


def with_first_invention(folder: Path, firm: str = "甲二") -> Path:
    """``write_grid_folder``'s folder with ``firm`` holding one invention (its first IP, for a later quarter)."""
    csv = folder / "企业.csv"
    lines = csv.read_text(encoding="utf-8-sig").splitlines()
    lines = [",".join([*line.split(",")[:3], "1", line.split(",")[4]]) if line.startswith(f"{firm},") else line
             for line in lines]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return folder
