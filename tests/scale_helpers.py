"""A small city of three districts for the scale-out tests, every figure worked out by hand.

- **东区** (EPSG:4549, 3° zone 120°E): 东甲镇 [0,2000]², 东乙镇 [2000,4000]×[0,2000],
  park 东园 [2500,3500]×[0,1000], cells G1 = 东甲镇, G2 = 东乙镇 (commissioners 张东, 李东).
  Firms (inventions, trademarks): 东一 (500,500) 1,0 · 东二 (2000,500) 0,1, on the edge of
  东甲镇 and 东乙镇 (a vertex of both: the first town, 东甲镇, and the first cell, G1, take it) ·
  东三 (3000,500) 2,0 in 东园 · 东四 (3000,2000) 0,0, on the border with 北区 (a vertex of 东乙镇,
  G2 and 北甲镇): listed by 东区 only · 东五 without coordinates 1,0 (未定位).
- **北区** (EPSG:4549), north of 东区: 北乙镇 [0,2000]×[2000,4000], 北甲镇 [2000,4000]×[2000,4000],
  overlapping parks 北园 [2200,2800]² + 2000 and 北二园 [2500,3500]² + 2000; cells G1 = 北乙镇,
  G2 = 北甲镇 (same ids as 东区's: assignments must not mix).  A rights layer: 北一科技 (2600,2600),
  in both parks, one valid invention and one utility model; 北二科技 (1000,3000) one design; 北三科技
  (3500,3800) nothing; 南通大学 one invention (matches no firm).
- **西区** (EPSG:4548, 3° zone 117°E, another Gauss-Krüger zone): 西甲镇 [0,3000]², 西乙镇
  [3000,6000]×[0,3000] in that zone's metres, **no parks**, cells G1, G2 = the towns.  Firms: 西一
  (1000,1000) 1 invention · 西二 (4000,1000) nothing · 西三 (9000,9000) 1 trademark, outside every town (区外).

So 东区 has 5 firms, 4 with IP, 4 inventions, 1 trademark; 北区 3 firms, 2 with IP, 1 invention,
1 utility model, 1 design; 西区 3 firms, 2 with IP, 1 invention, 1 trademark — 11 firms, 8 with IP.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from fixture_files import write_csv, write_xlsx
from shapely.geometry import Polygon

ZONES = {"东区": ("EPSG:4549", (498_000.0, 3_549_000.0)), "北区": ("EPSG:4549", (498_000.0, 3_549_000.0)),
         "西区": ("EPSG:4548", (480_000.0, 3_500_000.0))}
"""District → (metric CRS, origin of its metre offsets)."""

DISTRICTS = ("东区", "北区", "西区")
"""In the order the tests import them."""

EXPECTED_DISTRICTS = {
    "东区": {"enterprises": 5, "enterprises_with_ip": 4, "invention_patents": 4, "trademarks": 1, "utility_models": 0,
             "designs": 0},
    "北区": {"enterprises": 3, "enterprises_with_ip": 2, "invention_patents": 1, "trademarks": 0, "utility_models": 1,
             "designs": 1},
    "西区": {"enterprises": 3, "enterprises_with_ip": 2, "invention_patents": 1, "trademarks": 1, "utility_models": 0,
             "designs": 0},
}
"""Hand-counted district totals."""

EXPECTED_TOWNS = {  # (district, town) → (firms, with IP, inventions, trademarks)
    ("东区", "东甲镇"): (2, 2, 1, 1), ("东区", "东乙镇"): (2, 1, 2, 0), ("东区", "区外"): (0, 0, 0, 0),
    ("东区", "未定位"): (1, 1, 1, 0),
    ("北区", "北乙镇"): (1, 1, 0, 0), ("北区", "北甲镇"): (2, 1, 1, 0), ("北区", "区外"): (0, 0, 0, 0),
    ("北区", "未定位"): (0, 0, 0, 0),
    ("西区", "西甲镇"): (1, 1, 1, 0), ("西区", "西乙镇"): (1, 0, 0, 0), ("西区", "区外"): (1, 1, 0, 1),
    ("西区", "未定位"): (0, 0, 0, 0),
}
EXPECTED_PARKS = {("东区", "东园"): (1, 2), ("北区", "北园"): (1, 1), ("北区", "北二园"): (1, 1)}
"""(district, park) → (firms, inventions); 西区 has no parks."""

EXPECTED_CELLS = {("东区", "G1"): 2, ("东区", "G2"): 2, ("北区", "G1"): 1, ("北区", "G2"): 2, ("西区", "G1"): 1,
                  ("西区", "G2"): 1}
"""(district, cell) → firms (东五 and 西三 are in no cell)."""


def _frame(district: str, records: dict[str, list[object]], shapes: list[list[tuple[float, float]]]
           ) -> gpd.GeoDataFrame:
    crs, (ox, oy) = ZONES[district]
    return gpd.GeoDataFrame(records, geometry=[Polygon([(ox + x, oy + y) for x, y in s]) for s in shapes], crs=crs)


def lonlat(district: str, x: float, y: float) -> tuple[float, float]:
    """WGS-84 lon/lat of a point given in metres from ``district``'s origin, in its own zone."""
    crs, (ox, oy) = ZONES[district]
    pt = gpd.GeoSeries.from_xy([ox + x], [oy + y], crs=crs).to_crs(4326)
    return float(pt.x.iloc[0]), float(pt.y.iloc[0])


def _toml(name: str, crs: str) -> str:
    return (f'[district]\nname = "{name}"\n[enterprises]\ncrs = "WGS-84"\n'
            f'[settings]\nmetric_crs = "{crs}"\n')


def _east(root: Path) -> None:
    towns = [[(0, 0), (2000, 0), (2000, 500), (2000, 2000), (0, 2000)],
             [(2000, 0), (4000, 0), (4000, 2000), (3000, 2000), (2000, 2000), (2000, 500)]]
    _frame("东区", {"名称": ["东甲镇", "东乙镇"], "区划代码": ["E100", "E200"], "常住人口": [10000, 20000]},
           towns).to_file(root / "镇街.gpkg")
    park = [(2500, 0), (3500, 0), (3500, 1000), (2500, 1000)]
    _frame("东区", {"园区名称": ["东园"]}, [park]).to_file(root / "园区.gpkg")
    _frame("东区", {"网格编号": ["G1", "G2"], "网格专员": ["张东", "李东"]}, towns).to_file(root / "网格.gpkg")
    firms = [("东一", 500, 500, 1, 0), ("东二", 2000, 500, 0, 1), ("东三", 3000, 500, 2, 0), ("东四", 3000, 2000, 0, 0)]
    rows: list[list[object]] = [[n, *lonlat("东区", x, y), inv, tm] for n, x, y, inv, tm in firms]
    rows.append(["东五", None, None, 1, 0])
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利", "有效注册商标"], rows, "utf-8-sig")


def _north(root: Path) -> None:
    towns = [[(0, 2000), (2000, 2000), (2000, 4000), (0, 4000)],
             [(2000, 2000), (3000, 2000), (4000, 2000), (4000, 4000), (2000, 4000)]]
    _frame("北区", {"名称": ["北乙镇", "北甲镇"], "区划代码": ["N200", "N100"], "常住人口": [5000, 8000]},
           towns).to_file(root / "镇街.gpkg")
    parks = [[(2200, 2200), (2800, 2200), (2800, 2800), (2200, 2800)],
             [(2500, 2500), (3500, 2500), (3500, 3500), (2500, 3500)]]
    _frame("北区", {"园区名称": ["北园", "北二园"]}, parks).to_file(root / "园区.gpkg")
    _frame("北区", {"网格编号": ["G1", "G2"], "网格专员": ["王北", "赵北"]}, towns).to_file(root / "网格.gpkg")
    firms = [("北一科技有限公司", 2600, 2600), ("北二科技有限公司", 1000, 3000), ("北三科技有限公司", 3500, 3800)]
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度"],
              [[n, *lonlat("北区", x, y)] for n, x, y in firms], "utf-8-sig")
    write_xlsx(root / "知识产权.xlsx", ["申请号", "申请(专利权)人", "法律状态", "申请日", "授权公告日", "失效日"], [
        ["202110000001.1", "北一科技有限公司", "有效", "2021-01-02", "2022-05-01", None],
        ["202220000002.2", "北一科技有限公司", "有效", "2022-01-02", "2022-08-01", None],
        ["202330000003.3", "北二科技有限公司", "有效", "2023-01-02", "2023-06-01", None],
        ["202410000004.4", "南通大学", "有效", "2024-01-02", "2024-09-01", None],
    ])


def _west(root: Path) -> None:
    towns = [[(0, 0), (3000, 0), (3000, 3000), (0, 3000)], [(3000, 0), (6000, 0), (6000, 3000), (3000, 3000)]]
    _frame("西区", {"名称": ["西甲镇", "西乙镇"], "区划代码": ["W100", "W200"], "常住人口": [3000, 4000]},
           towns).to_file(root / "镇街.gpkg")
    _frame("西区", {"网格编号": ["G1", "G2"], "网格专员": ["孙西", "周西"]}, towns).to_file(root / "网格.gpkg")
    firms = [("西一", 1000, 1000, 1, 0), ("西二", 4000, 1000, 0, 0), ("西三", 9000, 9000, 0, 1)]
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利", "有效注册商标"],
              [[n, *lonlat("西区", x, y), inv, tm] for n, x, y, inv, tm in firms], "utf-8-sig")


def write_city(root: Path, *, named: bool = True) -> dict[str, Path]:
    """The three districts' data folders under ``root`` (``named``: each ``ipgrid.toml`` names its district)."""
    out = {}
    for name, write in (("东区", _east), ("北区", _north), ("西区", _west)):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        write(folder)
        (folder / "ipgrid.toml").write_text(_toml(name if named else "", ZONES[name][0]), encoding="utf-8")
        out[name] = folder
    return out
