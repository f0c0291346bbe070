"""The engine on a hand-worked district: every figure below is worked out by hand.

Towns (metres from ORIGIN): 甲镇 [0,2000]², 乙镇 [2000,4000]×[0,2000], 丙街道
[0,4000]×[2000,4000] (no population). Parks: A [1500,2500]×[0,1000] straddling
甲/乙, B [2400,3000]×[0,600] overlapping A. Official grid: G1 = 甲镇 (张三), G2 = 乙镇
(no commissioner). Service points: S1 (500,1000) 工作站 reach 1000 m, S2 (3000,3500)
网点 reach 600 m. GI 甲乙大米 listed by towns 甲镇、乙镇.

Firms: F1 (500,500) 2 inv / 1 hv · F2 (1600,500) 3 utility · F3 (2000,500) on the
甲/乙 edge (a vertex of both), nothing · F4 (2450,500) in parks A and B, 4 inv / 2 hv, pledge 100 ·
F5 (3500,1500) 1 trademark · F6 (1000,2000) on the 甲/丙 edge, nothing ·
F7 (3000,3000) 5 copyrights · F8 outside every town, 1 inv · F9 no coordinates,
3 inv / 1 hv · F10 (500,3500) nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from fixture_files import METRIC, square, three_towns, to_lonlat, write_csv, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.engine import Engine
from loaders import load_folder

FIRMS = [
    # name, x, y, inventions, hv, utility, trademarks, copyrights, pledge, tier, industry
    ("F1", 500, 500, 2, 1, 0, 0, 0, None, "成长型", "高端纺织"),
    ("F2", 1600, 500, 0, 0, 3, 0, 0, None, None, "智能装备"),
    ("F3", 2000, 500, 0, 0, 0, 0, 0, None, None, "智能装备"),
    ("F4", 2450, 500, 4, 2, 0, 0, 0, 100, "引领型", "高端纺织"),
    ("F5", 3500, 1500, 0, 0, 0, 1, 0, None, None, None),
    ("F6", 1000, 2000, 0, 0, 0, 0, 0, None, None, None),
    ("F7", 3000, 3000, 0, 0, 0, 0, 5, None, None, "高端纺织"),
    ("F8", 9000, 9000, 1, 0, 0, 0, 0, None, None, None),
    ("F9", None, None, 3, 1, 0, 0, 0, None, None, None),
    ("F10", 500, 3500, 0, 0, 0, 0, 0, None, None, None),
]


def district_folder(root: Path) -> Path:
    towns = three_towns()
    towns["常住人口"] = [10000, 20000, None]
    towns.to_file(root / "镇街.gpkg")
    gpd.GeoDataFrame({"园区名称": ["A园", "B园"]},
                     geometry=[square(1500, 0, 2500, 1000), square(2400, 0, 3000, 600)],
                     crs=METRIC).to_file(root / "园区.gpkg")
    gpd.GeoDataFrame({"网格编号": ["G1", "G2"], "网格专员": ["张三", None]},
                     geometry=towns.geometry.iloc[:2].to_numpy(), crs=METRIC).to_file(root / "网格.gpkg")
    rows = []
    for name, x, y, inv, hv, um, tm, cr, pledge, tier, industry in FIRMS:
        lon, lat = to_lonlat(x, y) if x is not None else (None, None)
        rows.append([name, lon, lat, inv, hv, um, tm, cr, pledge, tier, industry])
    # CSV keeps every digit (Excel keeps 15), so F3 and F6 stay exactly on the shared vertices.
    header = ["企业名称", "经度", "纬度", "有效发明专利", "高价值发明专利", "实用新型", "有效注册商标", "作品著作权",
              "质押融资金额（万元）", "企业类别", "主导产业"]
    write_csv(root / "企业.csv", header, rows, "utf-8-sig")
    s1, s2 = to_lonlat(500, 1000), to_lonlat(3000, 3500)
    write_csv(root / "服务站点.csv", ["站点名称", "站点类型", "经度", "纬度"],
              [["S1", "基层知识产权工作站", *s1], ["S2", "信息公共服务网点", *s2]], "utf-8-sig")
    write_xlsx(root / "地理标志.xlsx", ["产品名称", "保护范围"], [["甲乙大米", "甲镇、乙镇"]])
    (root / "ipgrid.toml").write_text(
        '[district]\nname = "测试区"\npopulation = 50000\n'
        '[service_radius_m]\n"基层知识产权工作站" = 1000\n"信息公共服务网点" = 600\n'
        '[enterprises]\ncrs = "WGS-84"\n[service_points]\ncrs = "WGS-84"\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine(load_folder(district_folder(tmp_path_factory.mktemp("district"))))


def row(table: pd.DataFrame, name: str) -> pd.Series:
    return table.set_index("name").loc[name]


def test_placement_with_shared_edges(engine: Engine) -> None:
    firms = engine.firm_table().set_index("name")
    assert firms.loc["F3", "town"] == "甲镇"  # on the 甲/乙 edge: the first town in the file
    assert firms.loc["F6", "town"] == "甲镇"  # on the 甲/丙 edge
    assert firms.loc["F8", "town"] == "区外"
    assert firms.loc["F9", "town"] == "未定位"
    assert firms.loc["F4", "parks"] == "A园、B园"
    assert firms.loc["F3", "grid_id"] == "G1" and firms.loc["F4", "grid_id"] == "G2"


def test_town_table(engine: Engine) -> None:
    t = engine.stats("town")
    assert t["name"].tolist() == ["甲镇", "乙镇", "丙街道", "区外", "未定位"]
    assert t["enterprises"].tolist() == [4, 2, 2, 1, 1]
    assert t["enterprises_with_ip"].tolist() == [2, 2, 1, 1, 1]
    assert t["invention_patents"].tolist() == [2, 4, 0, 1, 3]
    assert t["high_value_inventions"].tolist() == [1, 2, 0, 0, 1]
    assert t["utility_models"].tolist() == [3, 0, 0, 0, 0]
    assert t["pledge_amount_wan"].tolist() == [0, 100, 0, 0, 0]
    assert t["ip_coverage_rate"].tolist()[:4] == [0.5, 1.0, 0.5, 1.0]
    assert t["area_km2"].tolist()[:3] == pytest.approx([4, 4, 8], rel=1e-4)
    assert math.isnan(t["area_km2"].iat[3])
    assert t["high_value_per_10k_pop"].tolist()[:2] == pytest.approx([1.0, 1.0])
    assert math.isnan(row(t, "丙街道")["high_value_per_10k_pop"])  # no population: null, not 0
    assert t["inventions_per_km2"].tolist()[:3] == pytest.approx([0.5, 1.0, 0.0], rel=1e-4)
    assert t["located"].tolist() == [4, 2, 2, 1, 0]
    assert t["covered"].tolist() == [1, 0, 1, 0, 0]
    assert t["service_coverage_rate"].tolist()[:4] == [0.25, 0.0, 0.5, 0.0]
    assert math.isnan(row(t, "未定位")["service_coverage_rate"])
    assert t["gi_count"].tolist()[:3] == [1, 1, 0]  # 丙 only touches the GI along an edge
    assert row(t, "甲镇")["tier:成长型"] == 1 and row(t, "乙镇")["tier:引领型"] == 1
    assert row(t, "甲镇")["industry:智能装备"] == 2 and row(t, "丙街道")["industry:高端纺织"] == 1


def test_district_table(engine: Engine) -> None:
    d = engine.stats("district").iloc[0]
    assert d["name"] == "测试区"
    assert (d["enterprises"], d["enterprises_with_ip"]) == (10, 7)
    assert d["ip_coverage_rate"] == pytest.approx(0.7)
    assert d["invention_patents"] == 10 and d["high_value_inventions"] == 4
    assert d["population"] == 50000
    assert d["high_value_per_10k_pop"] == pytest.approx(0.8)
    assert d["area_km2"] == pytest.approx(16, rel=1e-4)
    assert d["inventions_per_km2"] == pytest.approx(10 / 16, rel=1e-4)
    assert (d["located"], d["covered"]) == (9, 2)
    assert d["service_coverage_rate"] == pytest.approx(2 / 9)
    assert d["gi_count"] == 1 and d["gi_names"] == "甲乙大米"


def test_towns_add_up_to_the_district(engine: Engine) -> None:
    t = engine.stats("town")
    d = engine.stats("district").iloc[0]
    for key in ("enterprises", "enterprises_with_ip", "invention_patents", "pledge_amount_wan", "covered"):
        assert t[key].sum() == d[key]


def test_park_table_counts_a_firm_in_each_of_its_parks(engine: Engine) -> None:
    p = engine.stats("park")
    assert p["name"].tolist() == ["A园", "B园"]
    assert p["enterprises"].tolist() == [3, 1]
    assert p["enterprises_with_ip"].tolist() == [2, 1]
    assert p["invention_patents"].tolist() == [4, 4]
    assert p["area_km2"].tolist() == pytest.approx([1.0, 0.36], rel=1e-4)
    assert p["population"].isna().all() and p["high_value_per_10k_pop"].isna().all()
    assert p["gi_count"].tolist() == [1, 1]


def test_grid_table(engine: Engine) -> None:
    g = engine.stats("grid")
    assert g["id"].tolist() == ["G1", "G2"]
    assert g["enterprises"].tolist() == [4, 2]


def test_nearest_service(engine: Engine) -> None:
    firms = engine.firm_table().set_index("name")
    assert firms.loc["F2", "nearest_service"] == "S1"
    assert firms.loc["F2", "nearest_service_m"] == pytest.approx(math.hypot(1100, 500), abs=0.05)
    assert firms.loc["F7", "nearest_service_m"] == pytest.approx(500, abs=0.05)
    assert bool(firms.loc["F1", "covered"]) and not bool(firms.loc["F2", "covered"])
    assert math.isnan(firms.loc["F9", "nearest_service_m"])
    uncovered = engine.uncovered_firms()
    assert sorted(uncovered["name"]) == ["F10", "F2", "F3", "F4", "F5", "F6", "F8"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.none(), st.tuples(st.floats(-3000, 7000), st.floats(-3000, 7000))),
                min_size=1, max_size=40))
def test_property_towns_plus_outside_plus_unlocated_equal_district(tmp_path_factory, points) -> None:
    root = tmp_path_factory.mktemp("prop")
    three_towns().to_file(root / "镇街.gpkg")
    rows = []
    for i, p in enumerate(points):
        lon, lat = to_lonlat(*p) if p is not None else (None, None)
        rows.append([f"企业{i}", lon, lat, i % 3])
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利"], rows, "utf-8")
    engine = Engine(load_folder(root))
    towns = engine.stats("town")
    district = engine.stats("district").iloc[0]
    assert towns["enterprises"].sum() == district["enterprises"] == len(points)
    assert towns["invention_patents"].sum() == district["invention_patents"]
    assert row(towns, "未定位")["enterprises"] == sum(p is None for p in points)
    def inside(p, margin: float) -> bool:
        return p is not None and -margin <= p[0] <= 4000 + margin and -margin <= p[1] <= 4000 + margin

    in_towns = towns["enterprises"].iloc[:3].sum()
    # points within a centimetre of the outer edge may land either side after reprojection
    assert sum(inside(p, -0.01) for p in points) <= in_towns <= sum(inside(p, 0.01) for p in points)
