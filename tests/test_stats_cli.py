"""`ipgrid stats` and `ipgrid coverage` on a hand-worked folder, and rights problems in `validate`."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import geopandas as gpd
import pytest
from fixture_files import METRIC, square, to_lonlat, write_csv, write_rights_folder

from dashboard.cli import main

STATS_KEYS = {"id", "name", "enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
              "utility_models", "designs", "high_value_inventions", "trademarks", "copyrights",
              "pledge_amount_wan", "area_km2", "population", "high_value_per_10k_pop", "service_coverage_rate"}


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_rights_folder(tmp_path_factory.mktemp("stats"))
    s1 = to_lonlat(500, 1000)
    write_csv(root / "服务站点.csv", ["站点名称", "站点类型", "经度", "纬度"],
              [["S1", "基层知识产权工作站", *s1]], "utf-8")
    (root / "ipgrid.toml").write_text('[district]\nname = "测试区"\n[enterprises]\ncrs = "WGS-84"\n'
                                      '[service_points]\ncrs = "WGS-84"\n'
                                      '[service_radius_m]\n"基层知识产权工作站" = 1000\n', encoding="utf-8")
    return root


def test_stats_json_keys_and_values(folder: Path) -> None:
    code, out = run("stats", str(folder), "--level", "town", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == {"甲镇", "乙镇", "丙街道", "区外", "未定位"}
    assert set(rows["甲镇"]) >= STATS_KEYS
    # as of the data date: 甲 holds the valid utility model and the joint design; the invention lapsed
    assert (rows["甲镇"]["invention_patents"], rows["甲镇"]["utility_models"], rows["甲镇"]["designs"]) == (0, 1, 1)
    assert rows["乙镇"]["designs"] == 1
    assert rows["丙街道"]["ip_coverage_rate"] is None  # no firms: null, not 0
    assert rows["甲镇"]["service_coverage_rate"] == 1.0 and rows["乙镇"]["service_coverage_rate"] == 0.0


@pytest.mark.parametrize(("year", "expected"), [(2021, (0, 0, 1)), (2022, (1, 0, 1)), (2023, (1, 1, 1)),
                                                (2024, (0, 1, 1))])
def test_stats_by_year(folder: Path, year: int, expected: tuple[int, int, int]) -> None:
    _, out = run("stats", str(folder), "--level", "district", "--year", str(year), "--json")
    (row,) = json.loads(out)
    jia_and_yi = (row["invention_patents"], row["utility_models"], row["designs"])
    # the joint design counts once for each of the two firms
    assert jia_and_yi == (expected[0], expected[1], 2 * expected[2])


def test_stats_csv_and_table(folder: Path) -> None:
    _, csv_out = run("stats", str(folder), "--level", "town", "--csv")
    assert csv_out.splitlines()[0].startswith("level,id,name,enterprises,")
    _, table = run("stats", str(folder), "--level", "town")
    assert "测试区 · 镇街统计" in table and "知识产权覆盖率" in table and "—" in table


def test_validate_reports_unmatched_holders(folder: Path) -> None:
    code, out = run("validate", str(folder), "--json")
    report = json.loads(out)
    unmatched = [p for p in report["problems"] if p["code"] == "unmatched_holder"]
    assert code == 0 and len(unmatched) == 1
    assert unmatched[0]["row"] == 5 and "南通大学" in unmatched[0]["message"] and "1 件" in unmatched[0]["message"]


def test_coverage_json_and_suggestion(folder: Path) -> None:
    code, out = run("coverage", str(folder), "--suggest", "1", "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["district"]["located"] == 2 and doc["district"]["covered"] == 1
    assert [u["name"] for u in doc["uncovered"]] == ["南通乙科技有限责任公司"]
    (site,) = doc["suggestions"]
    assert site["gain"] == 1 and site["town"] in {"甲镇", "乙镇"}


def run_with_stderr(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def gridded(tmp_path_factory: pytest.TempPathFactory, folder: Path) -> Path:
    """The stats folder plus an official grid of two cells (甲 and 乙 each in one)."""
    root = tmp_path_factory.mktemp("gridded")
    for file in folder.iterdir():
        (root / file.name).write_bytes(file.read_bytes())
    gpd.GeoDataFrame({"网格编号": ["G1", "G2"]}, geometry=[square(0, 0, 2000, 2000), square(2000, 0, 4000, 2000)],
                     crs=METRIC).to_file(root / "网格.gpkg")
    return root


def test_generated_grid_options_are_noted_as_unused_with_an_official_grid(gridded: Path) -> None:
    code, out, err = run_with_stderr("stats", str(gridded), "--level", "grid", "--cell-m", "250", "--shape", "hex",
                                     "--json")
    assert code == 0
    assert "有网格图层（网格.gpkg）" in err and "--cell-m、--shape 只用于自动生成网格，已忽略" in err
    assert [r["id"] for r in json.loads(out)] == ["G1", "G2"]
    _, _, quiet = run_with_stderr("stats", str(gridded), "--level", "grid", "--json")
    assert quiet == ""  # no option given: nothing to note


def test_generated_grid_follows_the_options(folder: Path) -> None:
    # three towns of 4 km × 4 km together, no parks: 2 km squares over each town's extent
    _, out, err = run_with_stderr("stats", str(folder), "--level", "grid", "--cell-m", "2000", "--json")
    rows = json.loads(out)
    assert err == "" and rows and all(r["id"].startswith("S2000-") for r in rows)
    assert sum(r["enterprises"] for r in rows) == 2


def test_table_headings_come_from_the_catalog(folder: Path) -> None:
    _, table = run("stats", str(folder), "--level", "town")
    header = table.splitlines()[1]
    assert "质押融资金额（万元）" in header and "有效发明专利（件）" in header
