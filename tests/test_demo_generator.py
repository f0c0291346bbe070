"""The synthetic demo generator: files, tiling, enterprise table, determinism.

Checked with geopandas/pandas directly, not through the project's loaders.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from geodata import demo_faults as faults
from geodata.generate_demo import (
    DEFAULT_SEED,
    ENTERPRISE_HEADERS,
    SERVICE_TYPES,
    generate_demo,
    main,
    uscc_check_digit,
)

TOWN_NAMES = {
    "金沙街道", "金新街道", "兴东街道", "先锋街道", "张芝山镇", "五接镇", "川姜镇", "石港镇",
    "西亭镇", "二甲镇", "东社镇", "十总镇", "刘桥镇", "平潮镇", "兴仁镇", "三余镇",
}
FILES = {"镇街.gpkg", "园区.geojson", "网格.gpkg", "专员.xlsx", "企业.xlsx", "服务站点.csv", "地理标志.geojson",
         "指标.csv", "ipgrid.toml", "README.md"}
HOLDINGS = ["有效发明专利", "实用新型", "外观设计", "高价值发明专利", "PCT专利", "有效注册商标",
            "作品著作权", "软件著作权"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def _uscc_valid(code: str) -> bool:
    """Independent GB 32100-2015 check (not the generator's function)."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def _read_enterprises(folder: Path) -> pd.DataFrame:
    return pd.read_excel(folder / "企业.xlsx", sheet_name="名录", header=2, engine="openpyxl",
                         dtype={"统一社会信用代码": str, "联系电话": str})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, DEFAULT_SEED)
    return out


@pytest.fixture(scope="module")
def towns(demo: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(demo / "镇街.gpkg", layer="镇街")


PLANTED = set(faults.NO_COORDINATES + faults.SWAPPED + faults.BAD_CHECK_DIGIT + faults.OUTSIDE)


@pytest.fixture(scope="module")
def sheet(demo: Path) -> pd.DataFrame:
    """The enterprise sheet as written, planted faults included."""
    return _read_enterprises(demo)


@pytest.fixture(scope="module")
def enterprises(sheet: pd.DataFrame) -> pd.DataFrame:
    """The sheet without the planted faults (the rows a clean export would have)."""
    clean = sheet.iloc[:-1]  # the last row is the planted duplicate
    return clean.drop(index=sorted(PLANTED)).reset_index(drop=True)


def test_writes_every_file_small_enough(demo: Path) -> None:
    assert {p.name for p in demo.iterdir()} == FILES
    assert sum(p.stat().st_size for p in demo.iterdir()) < 1.5 * 1024 * 1024


def test_towns_are_the_sixteen_units(towns: gpd.GeoDataFrame, demo: Path) -> None:
    assert [name for name, _ in pyogrio.list_layers(demo / "镇街.gpkg")] == ["镇街"]
    assert towns.crs.to_epsg() == 4549
    assert set(towns["名称"]) == TOWN_NAMES and len(towns) == 16
    assert (towns["类型"] == "街道").sum() == 4
    assert towns["区划代码"].str.fullmatch(r"320612\d{6}").all()
    assert towns["区划代码"].is_unique
    assert towns["常住人口"].isna().sum() == 1
    assert towns["常住人口"].sum() > 1.1e6 and towns["常住人口"].sum() < 1.3e6


def test_towns_tile_the_district_without_gaps_or_overlaps(towns: gpd.GeoDataFrame) -> None:
    assert towns.is_valid.all()
    union = shapely.union_all(towns.geometry.values)
    assert union.geom_type == "Polygon"
    assert len(union.interiors) == 0
    assert abs(towns.area.sum() - union.area) <= 1.0 * len(towns)
    assert union.area / 1e6 == pytest.approx(1350, rel=0.15)
    lon_min, lat_min, lon_max, lat_max = towns.to_crs(4326).total_bounds
    assert lon_min >= 120 + 41 / 60 and lon_max <= 121 + 25 / 60
    assert lat_min >= 31 + 52 / 60 and lat_max <= 32 + 15 / 60


def test_parks(demo: Path, towns: gpd.GeoDataFrame) -> None:
    parks = gpd.read_file(demo / "园区.geojson")
    assert parks.crs.to_epsg() == 4326
    assert 6 <= len(parks) <= 8
    assert set(parks["级别"]) <= {"国家级", "省级", "市级", "镇级"}
    by_name = parks.set_index("园区名称")
    high_tech = by_name.loc["南通高新技术产业开发区", "所在镇街"].split("、")
    assert "金新街道" in high_tech and len(high_tech) == 2
    textile = by_name.loc["南通家纺城", "geometry"]
    chuanjiang = towns.to_crs(4326).set_index("名称").loc["川姜镇", "geometry"]
    assert shapely.difference(textile, chuanjiang).area < 1e-9


def test_grid_cells(demo: Path) -> None:
    grid = gpd.read_file(demo / "网格.gpkg")
    parks = set(gpd.read_file(demo / "园区.geojson")["园区名称"])
    assert grid.crs.to_epsg() == 4549
    assert grid["网格编号"].str.fullmatch(r"GX-\d{3}-\d{3}").all()
    assert grid["网格编号"].is_unique
    assert set(grid["所属园区"]) == parks
    assert grid.area.max() <= 1e6 * 1.5
    unassigned = grid["网格专员"].isna().mean()
    assert 0.05 <= unassigned <= 0.15
    assert 10 <= grid["网格专员"].nunique() <= 14
    assigned = grid.dropna(subset=["网格专员"])
    assert assigned["联系电话"].str.fullmatch(r"1380513\d{4}").all()
    for _, cells in assigned.groupby("网格专员"):
        assert shapely.union_all(cells.geometry.values).geom_type == "Polygon"


def test_enterprise_sheet_has_two_title_rows(demo: Path) -> None:
    wb = openpyxl.load_workbook(demo / "企业.xlsx")
    assert wb.sheetnames == ["名录"]
    ws = wb["名录"]
    assert "示例数据" in ws["A1"].value
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:T1"]
    assert ws["A2"].value.startswith("填报单位")
    assert [c.value for c in ws[3]] == list(ENTERPRISE_HEADERS)
    assert ws["B4"].value


def test_enterprises_rows_and_names(enterprises: pd.DataFrame) -> None:
    assert 2800 <= len(enterprises) <= 3200
    assert enterprises["企业名称"].is_unique
    assert set(enterprises["所属镇街"]) == TOWN_NAMES
    assert set(enterprises["主导产业"]) == {"汽车及零部件", "新一代信息技术", "智能装备",
                                         "高端纺织", "电子元器件", "其他"}


def test_enterprises_lie_in_their_declared_town(enterprises: pd.DataFrame,
                                                towns: gpd.GeoDataFrame) -> None:
    points = gpd.GeoDataFrame(
        enterprises[["所属镇街"]],
        geometry=gpd.points_from_xy(enterprises["经度"], enterprises["纬度"]), crs=4326,
    ).to_crs(4549)
    joined = points.sjoin(towns[["名称", "geometry"]], predicate="within", how="left")
    assert joined.index.is_unique
    assert (joined["名称"] == joined["所属镇街"]).all()


def test_uscc_check_digits(enterprises: pd.DataFrame) -> None:
    codes = enterprises["统一社会信用代码"]
    assert 0.02 <= codes.isna().mean() <= 0.08
    given = codes.dropna()
    assert given.is_unique
    assert given.str.startswith("91320612").all()
    assert given.map(_uscc_valid).all()


@pytest.mark.parametrize(("first17", "check"), [("91350100M000100Y4", "3")])
def test_uscc_check_digit_known_code(first17: str, check: str) -> None:
    assert uscc_check_digit(first17) == check


def test_uscc_check_digit_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_digit("9132")


def test_holdings_are_long_tailed(enterprises: pd.DataFrame, towns: gpd.GeoDataFrame) -> None:
    hold = enterprises[HOLDINGS]
    assert (hold >= 0).all().all()
    assert 0.3 <= (hold.sum(axis=1) == 0).mean() <= 0.5
    assert (enterprises["高价值发明专利"] <= enterprises["有效发明专利"]).all()
    assert hold["有效发明专利"].max() > 20 * hold["有效发明专利"].mean()
    per_10k = enterprises["高价值发明专利"].sum() / 1.26e6 * 1e4
    assert 10 <= per_10k <= 18
    assert (enterprises["质押融资金额（万元）"] == 0).mean() > 0.9
    textile = enterprises["主导产业"] == "高端纺织"
    assert enterprises.loc[textile, "作品著作权"].mean() > 5 * enterprises.loc[
        ~textile, "作品著作权"].mean()
    chuanjiang = enterprises[enterprises["所属镇街"] == "川姜镇"]
    assert (chuanjiang["主导产业"] == "高端纺织").mean() > 0.5
    assert enterprises["企业类别"].isna().mean() > 0.85


def test_service_points(demo: Path, towns: gpd.GeoDataFrame) -> None:
    assert (demo / "服务站点.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    points = pd.read_csv(demo / "服务站点.csv", encoding="utf-8-sig", dtype={"联系电话": str})
    assert 20 <= len(points) <= 30
    assert set(points["站点类型"]) == set(SERVICE_TYPES)
    assert (points["坐标系"] == "GCJ-02").all()
    stations = points.loc[points["站点类型"] == "基层知识产权工作站", "站点名称"]
    assert {name.removesuffix("基层知识产权工作站") for name in stations} == TOWN_NAMES
    assert "南通家纺知识产权快速维权中心" in set(points["站点名称"])
    assert "南通家纺城知识产权巡回审判点" in set(points["站点名称"])
    lon_min, lat_min, lon_max, lat_max = towns.to_crs(4326).total_bounds
    assert points["经度"].between(lon_min, lon_max + 0.01).all()
    assert points["纬度"].between(lat_min - 0.01, lat_max).all()


def test_geographic_indications(demo: Path) -> None:
    gis = gpd.read_file(demo / "地理标志.geojson")
    assert gis.crs.to_epsg() == 4326
    assert set(gis["地理标志名称"]) == {"骑岸大方柿", "西亭脆饼", "二甲葡萄", "石港大米",
                                      "二甲蓝印花布", "南通州家纺"}
    drawn = gis[gis.geometry.notna()]
    assert list(drawn["地理标志名称"]) == ["骑岸大方柿"]
    assert drawn.geom_type.iloc[0] == "Polygon"
    listed = gis[gis.geometry.isna()]
    assert len(listed) == 5
    for scope in listed["保护范围"]:
        assert set(scope.split("、")) <= TOWN_NAMES
    assert gis.loc[gis["地理标志名称"] == "南通州家纺", "保护类型"].iloc[0] == "集体商标"


def test_indicators(demo: Path) -> None:
    ind = pd.read_csv(demo / "指标.csv", encoding="utf-8")
    assert list(ind.columns) == ["年份", "指标", "数值", "单位", "类型"]
    actual = ind[ind["类型"] == "实际"]
    for _, years in actual.groupby("指标")["年份"]:
        assert sorted(years) == list(range(2021, 2026))
    assert actual["指标"].nunique() == 4
    assert (actual.sort_values("年份").groupby("指标")["数值"].apply(
        lambda s: s.is_monotonic_increasing)).all()
    targets = ind[ind["类型"] == "目标"].set_index("指标")["数值"].to_dict()
    assert targets == {"专利密集型产业增加值占GDP比重": 16.0, "版权产业增加值占GDP比重": 8.6,
                       "知识产权质押融资金额": 20.0, "每万人口高价值发明专利拥有量": 18.0}


def test_config_and_readme(demo: Path) -> None:
    conf = tomllib.loads((demo / "ipgrid.toml").read_text(encoding="utf-8"))
    assert conf["district"]["name"] == "通州区"
    assert conf["district"]["demo"] is True
    assert conf["district"]["population"] == 1_261_000
    assert conf["settings"]["metric_crs"] == "EPSG:4549"
    assert conf["enterprises"] == {"sheet": "名录", "crs": "WGS-84"}
    assert conf["service_points"] == {"crs": "GCJ-02"}
    assert "示例数据" in (demo / "README.md").read_text(encoding="utf-8")


def test_same_seed_same_data_other_seed_other_data(demo: Path, sheet: pd.DataFrame,
                                                   tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path / "again"), "--seed", str(DEFAULT_SEED)]) == 0
    pd.testing.assert_frame_equal(_read_enterprises(tmp_path / "again"), sheet)
    for name in sorted(FILES):
        assert (tmp_path / "again" / name).read_bytes() == (demo / name).read_bytes(), name
    generate_demo(tmp_path / "other", DEFAULT_SEED + 1)
    other = _read_enterprises(tmp_path / "other")
    assert not np.array_equal(other["经度"].to_numpy(), sheet["经度"].to_numpy())


def test_planted_faults_are_exactly_what_the_loaders_report(demo: Path, sheet: pd.DataFrame) -> None:
    from loaders import load_folder

    bundle = load_folder(demo)
    found: dict[str, list[int]] = {}
    for problem in bundle.problems:
        found.setdefault(problem.code, []).append(problem.row)
    assert found == faults.expected_problems(len(sheet) - 1)
    assert not bundle.problems.has_errors()
    assert bundle.layers["enterprises"].accepted == len(sheet) - 1


def test_commissioner_roster_has_one_without_cells(demo: Path) -> None:
    roster = pd.read_excel(demo / "专员.xlsx", engine="calamine")
    assert list(roster.columns) == ["姓名", "联系电话", "所属园区", "负责网格"]
    assert len(roster) == 13 and roster["负责网格"].isna().sum() == 1
    cells = gpd.read_file(demo / "网格.gpkg")
    listed = set("、".join(roster["负责网格"].dropna()).split("、"))
    assert listed == set(cells.loc[cells["网格专员"].notna(), "网格编号"])
