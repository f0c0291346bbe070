"""A city of three districts in one store: imports per district, every level's figures on Dask equal to one process,
PostGIS's own counts equal to the engine's, each district's own CRS and assignments.

The city is ``scale_helpers.write_city``: 东区 and 北区 in the 120°E Gauss-Krüger zone sharing a border with a
firm on it, 西区 in the 117°E zone without parks; the figures are counted by hand in its docstring.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa
from scale_helpers import (
    DISTRICTS,
    EXPECTED_CELLS,
    EXPECTED_DISTRICTS,
    EXPECTED_PARKS,
    EXPECTED_TOWNS,
    write_city,
)
from store_helpers import import_folder, module_store, ok, ok_json, refused, run_cli, store_env  # noqa: F401

from dashboard.engine import Engine
from dashboard.engine.regions import region_ranking, region_total
from dashboard.scale import batch as batch_mod
from dashboard.scale import district_tasks, run_batch, run_district
from dashboard.scale.batch import BatchError
from dashboard.scale.postgis import COUNT_KEYS, postgis_counts
from dashboard.store import Store, open_data
from loaders.errors import DistrictNotFoundError, DistrictRequiredError

AS_OF = "2025-12-31"
LEVELS = ("district", "town", "park", "grid")


def _import_city(location: str, folders: dict[str, Path]) -> None:
    for name in DISTRICTS:
        import_folder(location, folders[name], AS_OF, "--district", name)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three districts' folders (written once)."""
    return write_city(tmp_path_factory.mktemp("city"))


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def city_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               city: dict[str, Path]) -> Iterator[str]:
    """The city imported district by district into one store of each backend (read-only for the tests)."""
    with module_store(request, tmp_path_factory, "city") as location:
        _import_city(location, city)
        yield location


@pytest.fixture(scope="module")
def gpkg_city(tmp_path_factory: pytest.TempPathFactory, city: dict[str, Path]) -> Iterator[str]:
    """The city in a GeoPackage store (read-only)."""
    location = str(tmp_path_factory.mktemp("gpkg-city") / "city.gpkg")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPGRID_STORE_BACKUPS", "0")
        _import_city(location, city)
    yield location


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """One two-process LocalCluster for the module (its scheduler's address, as a real cluster's would be given)."""
    import logging

    from distributed import LocalCluster

    with batch_mod._spawn_safe_main():  # noqa: SLF001 - the workers must not re-import an earlier test's app script
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                             dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    with local:
        yield str(local.scheduler_address)


def _rows(records: list[dict[str, object]], key: str = "name") -> dict[tuple[object, object], dict[str, object]]:
    return {(r["district"], r[key]): r for r in records}


# --------------------------------------------------------------------------- one store, several districts


def test_each_district_keeps_its_own_versions_in_one_store(gpkg_city: str) -> None:
    store = Store(gpkg_city)
    assert store.districts() == list(DISTRICTS)
    listed = ok_json("versions", gpkg_city)
    assert [(v["district"], v["as_of"], v["status"]) for v in listed] == [(d, AS_OF, "active") for d in DISTRICTS]
    text = ok("versions", gpkg_city)
    assert "区县" in text.splitlines()[1] and all(d in text for d in DISTRICTS)
    assert [v.district for v in store.for_district("北区").active_versions()] == ["北区"]
    # the same date in three districts: none supersedes another
    assert ok_json("versions", gpkg_city, "--district", "西区")[0]["status"] == "active"


def test_a_store_of_several_districts_asks_which_one(gpkg_city: str) -> None:
    err = refused(2, "stats", gpkg_city)
    assert "3 个区县（东区、北区、西区）" in err and "--district" in err and "--all-districts" in err
    north = ok_json("stats", gpkg_city, "--district", "北区", "--level", "district")
    assert north[0]["name"] == "北区" and north[0]["enterprises"] == 3
    err = refused(2, "stats", gpkg_city, "--district", "南区")
    assert "没有区县「南区」" in err and "东区、北区、西区" in err
    with pytest.raises(DistrictRequiredError):
        Store(gpkg_city).version()
    with pytest.raises(DistrictNotFoundError):
        open_data(gpkg_city, district="南区")
    refused(2, "stats", Path(gpkg_city).parent, "--district", "北区")  # a folder has no districts


def test_a_folder_of_another_district_is_never_mixed_in(tmp_path: Path) -> None:
    store = str(tmp_path / "s.gpkg")
    unnamed = write_city(tmp_path / "unnamed", named=False)
    named = write_city(tmp_path / "named")
    import_folder(store, named["东区"], AS_OF, "--district", "东区")
    err = refused(2, "import", unnamed["北区"], "--store", store, "--as-of", AS_OF)
    assert "已有区县：东区" in err and "--district" in err
    err = refused(2, "import", named["北区"], "--store", store, "--as-of", AS_OF, "--district", "西区")
    assert "区县不一致" in err and "「北区」" in err and "「西区」" in err
    assert len(Store(store).versions()) == 1  # nothing written
    import_folder(store, unnamed["北区"], AS_OF, "--district", "北区")  # named on the command line: added
    import_folder(store, named["东区"], "2026-03-31")  # its own toml names 东区, already in the store: a new version
    assert [(v.district, v.as_of) for v in Store(store).versions()] == [
        ("东区", AS_OF), ("北区", AS_OF), ("东区", "2026-03-31")]
    assert Store(store).for_district("东区").previous("2026-03-31").as_of == AS_OF  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the figures, by hand


def test_every_district_counted_at_every_level_by_hand(city_store: str) -> None:
    districts = _rows(ok_json("stats", city_store, "--all-districts", "--level", "district", "--workers", "0"))
    for name, expected in EXPECTED_DISTRICTS.items():
        row = districts[(name, name)]
        assert {k: row[k] for k in expected} == expected, name
    towns = ok_json("stats", city_store, "--all-districts", "--level", "town", "--workers", "0")
    assert {(r["district"], r["name"]): (r["enterprises"], r["enterprises_with_ip"], r["invention_patents"],
                                         r["trademarks"]) for r in towns} == EXPECTED_TOWNS
    parks = ok_json("stats", city_store, "--all-districts", "--level", "park", "--workers", "0")
    assert {(r["district"], r["name"]): (r["enterprises"], r["invention_patents"]) for r in parks} == EXPECTED_PARKS
    cells = ok_json("stats", city_store, "--all-districts", "--level", "grid", "--workers", "0")
    assert {(r["district"], r["id"]): r["enterprises"] for r in cells} == EXPECTED_CELLS


def test_each_district_measures_in_its_own_zone(gpkg_city: str) -> None:
    towns = _rows(ok_json("stats", gpkg_city, "--all-districts", "--level", "town", "--workers", "0"))
    assert towns[("西区", "西甲镇")]["area_km2"] == pytest.approx(9.0, abs=1e-4)  # 3 km squares in EPSG:4548
    assert towns[("东区", "东甲镇")]["area_km2"] == pytest.approx(4.0, abs=1e-4)
    # measured in the other districts' zone the same square is visibly larger: the zone is the district's own
    west = Engine(open_data(gpkg_city, district="西区")).towns.geometry.iloc[:1]
    assert float(west.to_crs("EPSG:4549").area.iloc[0]) / 1e6 > 9.005


def test_the_region_adds_the_districts_up_by_the_registry(gpkg_city: str) -> None:
    table = run_batch(gpkg_city, "district", workers=0).table
    total = region_total(table, "某市").iloc[0]
    assert (total["enterprises"], total["enterprises_with_ip"]) == (11, 8)
    assert total["ip_coverage_rate"] == pytest.approx(8 / 11)  # from the sums, not the mean of 80 %, 66.7 %, 66.7 %
    assert total["area_km2"] == pytest.approx(4 + 4 + 4 + 4 + 9 + 9, abs=1e-3)
    assert total["population"] == 10000 + 20000 + 5000 + 8000 + 3000 + 4000
    ranked = region_ranking(table, "enterprises")
    assert list(ranked["district"])[0] == "东区" and list(ranked["rank"]) == [1, 2, 2]


# --------------------------------------------------------------------------- distributed = single process


def test_dask_gives_the_single_process_figures_at_every_level(gpkg_city: str, cluster: str) -> None:
    for level in LEVELS:
        single = run_batch(gpkg_city, level, workers=0)
        spread = run_batch(gpkg_city, level, scheduler=cluster)
        pd.testing.assert_frame_equal(spread.table, single.table, check_exact=True)
        assert spread.runner == cluster and single.runner == "本进程"
        for name in DISTRICTS:  # and each district's rows are what its own engine says
            own = Engine(open_data(gpkg_city, district=name)).stats(level)
            mine = single.table[single.table["district"] == name].drop(columns="district").reset_index(drop=True)
            pd.testing.assert_frame_equal(mine.dropna(axis=1, how="all"), own.dropna(axis=1, how="all"),
                                          check_dtype=False)
    assert len(spread.peak_rss_by_worker()) >= 1 and all(p > 0 for p in spread.peak_rss_by_worker().values())


def test_the_command_line_starts_its_own_local_cluster(gpkg_city: str) -> None:
    code, out, err = run_cli("stats", gpkg_city, "--all-districts", "--level", "town", "--workers", "2", "--json")
    assert code == 0, err
    assert "LocalCluster（2 个进程）" in err and "已统计 3 个区县、11 家企业" in err
    assert {(r["district"], r["name"]): r["enterprises"] for r in json.loads(out)} == {
        k: v[0] for k, v in EXPECTED_TOWNS.items()}


def test_a_task_carries_no_data_and_returns_one_district(gpkg_city: str) -> None:
    tasks, skipped = district_tasks(gpkg_city, "town")
    assert skipped == [] and [t.district for t in tasks] == list(DISTRICTS)
    assert max(len(pickle.dumps(t)) for t in tasks) < 1024  # the store's location and a version id, never layers
    result = run_district(tasks[2])
    assert set(result.table["district"]) == {"西区"} and result.firms == 3 and result.peak_rss_bytes > 0
    import resource  # the process's own peak (VmHWM), never more than ru_maxrss, which counts a parent's too

    assert result.peak_rss_bytes <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_batch_options_need_all_districts_and_a_reachable_cluster(gpkg_city: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert "只用于 --all-districts" in refused(2, "stats", gpkg_city, "--workers", "2")
    assert "不能与 --district" in refused(2, "stats", gpkg_city, "--all-districts", "--district", "东区")
    assert "只用于 PostGIS" in refused(2, "stats", gpkg_city, "--all-districts", "--via", "postgis")
    assert "数据文件夹" in refused(2, "stats", Path(gpkg_city).parent, "--all-districts")
    monkeypatch.setattr(batch_mod, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(BatchError, match="无法连接 Dask 调度器 tcp://127.0.0.1:9"):
        run_batch(gpkg_city, "town", scheduler="tcp://127.0.0.1:9")


# --------------------------------------------------------------------------- PostGIS's own counts


@pytest.mark.parametrize("city_store", ["postgis"], indirect=True)
def test_postgis_counts_equal_the_engines_at_every_level(city_store: str) -> None:
    for level in LEVELS:
        engine = run_batch(city_store, level, workers=0).table
        sql = postgis_counts(city_store, level)
        keys = ["district", "id"]
        merged = engine.merge(sql, on=keys, suffixes=("", "_sql"), how="outer", indicator=True)
        assert set(merged["_merge"]) == {"both"}, (level, merged[merged["_merge"] != "both"][keys])
        for key in (*COUNT_KEYS, "ip_coverage_rate"):
            assert list(merged[key].astype("float64").fillna(-1)) == list(merged[f"{key}_sql"].astype("float64")
                                                                          .fillna(-1)), (level, key)
    rows = _rows(ok_json("stats", city_store, "--all-districts", "--level", "town", "--via", "postgis"))
    assert rows[("东区", "东甲镇")]["enterprises"] == 2 and rows[("东区", "未定位")]["enterprises"] == 1


@pytest.mark.parametrize("city_store", ["postgis"], indirect=True)
def test_the_border_firm_is_on_both_districts_and_counted_once(city_store: str) -> None:
    store = Store(city_store)
    east, north = (store.for_district(d).version() for d in ("东区", "北区"))
    with store.backend.sql.connect() as conn:
        # the naive province-wide join: 东四 lies in 东乙镇 and in 北甲镇 (their shared border)
        hits = conn.execute(sa.text(
            f'SELECT t.name FROM "v{east.version_id:04d}_enterprises" e JOIN ('
            f'SELECT name, geometry FROM "v{east.version_id:04d}_towns" UNION ALL '
            f'SELECT name, geometry FROM "v{north.version_id:04d}_towns") t ON ST_Covers(t.geometry, e.geometry) '
            "WHERE e.name = '东四' ORDER BY t.name")).scalars().all()
        indexed = conn.execute(sa.text(
            "SELECT count(*) FROM pg_indexes WHERE indexdef ILIKE '%USING gist%' AND tablename = :t"),
            {"t": f"v{east.version_id:04d}_towns"}).scalar()
    assert sorted(hits) == ["东乙镇", "北甲镇"]
    assert indexed == 1  # the ST_Covers joins use a GiST index
    towns = _rows(ok_json("stats", city_store, "--all-districts", "--level", "town", "--via", "postgis"))
    assert towns[("东区", "东乙镇")]["enterprises"] == 2 and towns[("北区", "北甲镇")]["enterprises"] == 2


# --------------------------------------------------------------------------- assignments, older stores


def test_assignments_stay_in_their_own_district(tmp_path: Path, city: dict[str, Path]) -> None:
    store = str(tmp_path / "s.gpkg")
    _import_city(store, city)
    ok("assign", store, "G1", "新专员", "--valid-from", AS_OF, "--district", "东区")
    east = ok_json("assignments", store, "--district", "东区")["cells"]
    north = ok_json("assignments", store, "--district", "北区")["cells"]
    assert (east["G1"], north["G1"]) == (["新专员"], ["王北"])
    history = Store(store).for_district("东区").assignment_history()
    assert set(history["district"]) == {"东区"} and "新专员" in set(history["commissioners"])
    assert "请指定其中一个" in refused(2, "assign", store, "G1", "某人", "--valid-from", "2025-06-30")


def test_a_store_of_an_earlier_release_gains_the_district_column(tmp_path: Path, city: dict[str, Path]) -> None:
    store = tmp_path / "old.gpkg"
    import_folder(str(store), city["东区"], AS_OF)  # its toml names 东区
    with contextlib.closing(sqlite3.connect(store)) as db:
        db.execute("ALTER TABLE ipgrid_assignments DROP COLUMN district")
        db.commit()
    history = Store(store).assignment_history()
    assert list(history["district"]) == ["东区", "东区"] and list(history["grid_id"]) == ["G1", "G2"]
    assert ok_json("assignments", store)["cells"] == {"G1": ["张东"], "G2": ["李东"]}


def test_the_outline_of_each_district_comes_back_with_its_figures(gpkg_city: str) -> None:
    import shapely

    result = run_batch(gpkg_city, "district", workers=0)
    outlines = gpd.GeoSeries([shapely.from_wkb(r.outline_wkb) for r in result.results], crs="EPSG:4326")
    areas = outlines.to_crs("EPSG:4549").area / 1e6
    assert list(areas.round(1))[:2] == [8.0, 8.0]  # 东区 and 北区: two 2 km × 2 km towns each
    assert outlines.iloc[0].touches(outlines.iloc[1])  # 东区 and 北区 share their border


def test_the_plain_text_table_ends_with_the_regions_total(gpkg_city: str) -> None:
    out = ok("stats", gpkg_city, "--all-districts", "--level", "district", "--workers", "0")
    lines = out.splitlines()
    assert lines[1].split()[:2] == ["区县", "名称"] and [ln.split()[0] for ln in lines[3:6]] == list(DISTRICTS)
    total = next(ln for ln in lines if ln.startswith("合计（3 个区县）")).split()
    assert total[2:5] == ["11", "8", "72.7%"]  # 8 ÷ 11, not the mean of 80.0 %, 66.7 %, 66.7 % (71.1 %)


def test_workers_never_run_the_callers_script_again(gpkg_city: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A spawned worker re-imports ``__main__`` by path: a script without a guard (the app under AppTest) would run."""
    import sys
    import types

    script = tmp_path / "unguarded.py"
    script.write_text("raise SystemExit('this script ran again in a worker')\n", encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    result = run_batch(gpkg_city, "district", workers=1)
    assert list(result.table["enterprises"]) == [5, 3, 3] and result.runner == "LocalCluster（1 个进程）"
