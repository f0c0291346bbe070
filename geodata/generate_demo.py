"""Generate the synthetic demo data folder of 通州区 (南通市, 320612).

Run as ``python -m geodata.generate_demo [--out DIR] [--seed N]``.  The folder
holds the files a district office really has, named by Chinese stems:

========================  ==========================================================
``镇街.gpkg``             16 towns/sub-districts, EPSG:4549, a gap-free tiling
``园区.geojson``          7 parks, EPSG:4326
``网格.gpkg``             1 km management cells over the parks, EPSG:4549
``企业.xlsx``             about 3,000 enterprises with IP holdings (sheet 名录, two
                          title rows above the header)
``服务站点.csv``          IP service points, coordinates in GCJ-02 (UTF-8 with BOM)
``地理标志.geojson``      six geographic indications, five as lists of towns
``指标.csv``              yearly indicators 2021–2025 and the 2025 targets
``ipgrid.toml``           folder settings
``README.md``             a note that all of it is synthetic
========================  ==========================================================

Everything is synthetic (示例数据): seats are placed near the real town seats,
but boundaries are a Voronoi tiling of the seats inside a hand-drawn outline,
bent by a smooth displacement field.  The same seed gives the same files.
"""

from __future__ import annotations

import argparse
import io
import math
import re
import sqlite3
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import MultiPoint, Polygon, box
from shapely.geometry.base import BaseGeometry

from geodata.demo_faults import expected_problems, plant_faults
from loaders.crs import wgs84_to_gcj02
from loaders.uscc import ALPHABET as USCC_ALPHABET
from loaders.uscc import check_digit

DEFAULT_SEED = 20251231
"""Seed of the bundled demo."""

DEFAULT_OUT = Path(__file__).resolve().parent / "demo"
"""Folder the bundled demo is written to."""

METRIC_CRS = "EPSG:4549"
WGS84 = "EPSG:4326"
TARGET_AREA_KM2 = 1350.0
"""Land area of 通州区 the outline is scaled to (before the boundaries are bent)."""

AREA_TOLERANCE = 0.15
DATA_DATE = "2025-12-31"
N_ENTERPRISES = 3000
CELL_SIZE_M = 1000.0
HV_PER_10K_2025 = 14.0
"""High-value invention patents per 10,000 residents the enterprise table is tuned to."""

_GRID_M = 0.01  # vertices of towns and cells are snapped to this grid (metres)
_FIXED_STAMP = (2025, 12, 31, 0, 0, 0)
_TOWNS_LAYER = "镇街"
_GRID_LAYER = "网格"

_TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)
_TO_WGS84 = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class _Town:
    name: str
    kind: str
    code: str
    lon: float
    lat: float
    population: int


# Seats near the real town seats (WGS-84); populations are rough 2020 weights.
_TOWNS: tuple[_Town, ...] = (
    _Town("金沙街道", "街道", "320612001000", 120.960, 32.075, 205000),
    _Town("金新街道", "街道", "320612002000", 120.995, 32.040, 128000),
    _Town("兴东街道", "街道", "320612003000", 121.005, 32.100, 92000),
    _Town("先锋街道", "街道", "320612004000", 120.930, 32.045, 66000),
    _Town("张芝山镇", "镇", "320612100000", 121.000, 31.925, 78000),
    _Town("五接镇", "镇", "320612101000", 120.895, 31.925, 52000),
    _Town("川姜镇", "镇", "320612102000", 121.080, 31.985, 112000),
    _Town("石港镇", "镇", "320612103000", 120.760, 32.215, 88000),
    _Town("西亭镇", "镇", "320612104000", 120.895, 32.140, 68000),
    _Town("二甲镇", "镇", "320612105000", 121.125, 32.160, 73000),
    _Town("东社镇", "镇", "320612106000", 121.205, 32.100, 51000),
    _Town("十总镇", "镇", "320612107000", 121.060, 32.130, 47000),
    _Town("刘桥镇", "镇", "320612108000", 120.880, 32.215, 59000),
    _Town("平潮镇", "镇", "320612109000", 120.775, 32.110, 96000),
    _Town("兴仁镇", "镇", "320612110000", 120.845, 32.085, 62000),
    _Town("三余镇", "镇", "320612111000", 121.320, 32.065, 84000),
)
_TOWN_NAMES = tuple(t.name for t in _TOWNS)
_TOTAL_POPULATION = 1_261_000
_MISSING_POPULATION_TOWN = "十总镇"

# Hand-drawn district outline (WGS-84), clockwise from the west; the notch in the
# south-west is 崇川区, the south-west edge the Yangtze.
_OUTLINE_LONLAT = (
    (120.700, 32.120), (120.700, 32.190), (120.720, 32.240), (120.800, 32.245),
    (120.900, 32.238), (120.970, 32.208), (121.050, 32.212), (121.120, 32.198),
    (121.200, 32.160), (121.280, 32.128), (121.360, 32.108), (121.395, 32.062),
    (121.345, 32.030), (121.240, 32.028), (121.150, 32.008), (121.100, 31.962),
    (121.040, 31.922), (121.000, 31.886), (120.940, 31.876), (120.880, 31.900),
    (120.850, 31.940), (120.900, 31.970), (120.910, 32.020), (120.870, 32.050),
    (120.800, 32.050), (120.760, 32.030), (120.730, 32.060),
)
_DISTRICT_LON = (120 + 41 / 60, 121 + 25 / 60)
_DISTRICT_LAT = (31 + 52 / 60, 32 + 15 / 60)

# Smooth bending of all boundaries: (wavelength m, amplitude m).  The sum of
# amplitude * 2π / wavelength stays below 0.5, so the map is one-to-one and the
# bent tiling has no gaps or overlaps.
_WIGGLE_WAVES = ((9000.0, 260.0), (4200.0, 90.0), (1900.0, 30.0))
_DENSIFY_STEP_M = 400.0


@dataclass(frozen=True)
class _Park:
    name: str
    level: str
    town: str
    short: str
    area_km2: float
    density: float
    lead_industry: str | None


_PARKS: tuple[_Park, ...] = (
    _Park("南通高新技术产业开发区", "国家级", "金新街道", "高新区", 22.0, 1.0, None),
    _Park("南通家纺城", "省级", "川姜镇", "家纺城", 6.5, 3.5, "高端纺织"),
    _Park("平潮镇工业集中区", "市级", "平潮镇", "平潮", 4.0, 0.9, "智能装备"),
    _Park("张芝山镇工业集中区", "镇级", "张芝山镇", "张芝山", 3.5, 0.9, "电子元器件"),
    _Park("石港镇工业集中区", "镇级", "石港镇", "石港", 3.0, 0.9, "高端纺织"),
    _Park("二甲镇工业集中区", "镇级", "二甲镇", "二甲", 3.0, 0.9, "汽车及零部件"),
    _Park("三余镇工业集中区", "镇级", "三余镇", "三余", 3.0, 0.9, "智能装备"),
)
_HIGH_TECH = _PARKS[0].name
_TEXTILE_CITY = _PARKS[1].name

INDUSTRIES = ("汽车及零部件", "新一代信息技术", "智能装备", "高端纺织", "电子元器件", "其他")
_P_DEFAULT = (0.14, 0.08, 0.18, 0.18, 0.12, 0.30)
_P_TEXTILE = (0.04, 0.03, 0.05, 0.72, 0.04, 0.12)
_P_HIGH_TECH = (0.18, 0.24, 0.22, 0.04, 0.16, 0.16)
_TEXTILE_TOWNS = ("川姜镇", "先锋街道", "张芝山镇", "三余镇")

# Per-industry multipliers: holds-any probability, inventions, utility models,
# designs, trademarks, copyrights (works), software copyrights, high-value share, PCT share.
_IND_PARAMS: dict[str, tuple[float, ...]] = {
    "汽车及零部件": (0.62, 1.2, 1.4, 0.4, 1.0, 0.05, 0.3, 0.40, 0.02),
    "新一代信息技术": (0.66, 1.6, 0.6, 0.3, 1.2, 0.3, 9.0, 0.55, 0.05),
    "智能装备": (0.63, 1.4, 1.5, 0.4, 1.0, 0.05, 1.5, 0.50, 0.03),
    "高端纺织": (0.57, 0.5, 0.8, 3.0, 2.5, 14.0, 0.1, 0.30, 0.01),
    "电子元器件": (0.63, 1.5, 1.2, 0.5, 1.0, 0.05, 2.0, 0.50, 0.04),
    "其他": (0.42, 0.7, 0.9, 0.6, 1.4, 0.3, 0.3, 0.30, 0.01),
}

_NAME_SUFFIXES: dict[str, tuple[str, ...]] = {
    "汽车及零部件": ("汽车零部件有限公司", "汽车配件有限公司", "精密机械有限公司",
                 "汽车部件科技有限公司", "车辆配件制造有限公司"),
    "新一代信息技术": ("信息科技有限公司", "软件科技有限公司", "网络科技有限公司",
                  "数据科技有限公司", "智能科技有限公司"),
    "智能装备": ("智能装备有限公司", "机电设备有限公司", "自动化设备有限公司",
             "重工机械有限公司", "智能制造有限公司"),
    "高端纺织": ("纺织科技有限公司", "家纺有限公司", "家用纺织品有限公司", "纺织品有限公司",
             "织造有限公司", "家居用品有限公司", "床上用品有限公司"),
    "电子元器件": ("电子有限公司", "电子科技有限公司", "电子元件有限公司", "微电子有限公司",
              "光电科技有限公司"),
    "其他": ("新材料有限公司", "建设工程有限公司", "化工有限公司", "食品有限公司",
           "生物科技有限公司", "医疗器械有限公司", "环保科技有限公司", "包装材料有限公司",
           "建材有限公司", "船舶配件有限公司"),
}
_TRADE_CHARS = "".join(dict.fromkeys(
    "华通鑫恒瑞盛泰宏达锦润丰源嘉和新益隆昌祥金海江宇辰博晟诚信德联创弘正泽凯晨悦佳远航"
    "腾豪荣亿美森尚永天安邦凌星汇峰顺东银中帆力睿卓越誉振兴旺明优科伟捷富"
))
_SURNAMES = "陈张王李顾陆施曹季黄朱徐杨周吴刘孙沈钱袁姜范邱瞿葛缪茅"
_GIVEN = (
    "建华", "卫东", "海峰", "晓燕", "志刚", "静", "敏", "磊", "婷", "佳", "亚楠", "军", "红梅",
    "伟", "丽", "明", "强", "勇", "芳", "慧", "杰", "涛", "霞", "琳", "斌", "洁", "鹏", "宇",
    "浩然", "欣怡", "晨", "建国", "海燕", "丽娟", "志强", "俊", "峰", "艳", "秀英", "晓峰",
    "建军", "卫国", "春华", "雪梅", "玉兰", "国庆", "文静", "一鸣", "思远", "海军", "金龙",
    "建新", "红霞", "晓东", "永强", "美华", "新华", "爱军", "亚平", "小燕", "振华", "雨婷",
)
_ROADS = (
    "人民路", "建设路", "工农路", "兴业路", "创业路", "振兴路", "光明路", "团结路", "长江路",
    "黄海路", "世纪大道", "通扬路", "金霞路", "新光路", "东方大道", "府前路", "希望路",
    "富民路", "科技路", "育才路", "纺织路", "川港路", "朝阳路", "文化路", "银河路", "青年路",
    "解放路", "民主路", "运河路", "滨江路",
)

TIERS = ("引领型知识产权强企", "优势型知识产权强企", "成长型知识产权强企", "专精特新",
         "优势示范企业")
SERVICE_TYPES = ("基层知识产权工作站", "商标品牌指导站", "快速维权中心", "巡回审判点",
                 "知识产权保护中心", "信息公共服务网点")

ENTERPRISE_HEADERS = (
    "序号", "企业名称", "统一社会信用代码", "注册地址", "经度", "纬度", "所属镇街", "主导产业",
    "企业类别", "有效发明专利", "实用新型", "外观设计", "高价值发明专利", "PCT专利",
    "有效注册商标", "作品著作权", "软件著作权", "质押融资金额（万元）", "联系人", "联系电话",
)
ENTERPRISE_TITLE = "通州区重点企业知识产权情况表（示例数据）"
ENTERPRISE_SUBTITLE = f"填报单位：通州区市场监管局（示例）    数据截至：{DATA_DATE}"
ENTERPRISE_SHEET = "名录"

INDICATOR_TARGETS: dict[str, tuple[float, str]] = {
    "专利密集型产业增加值占GDP比重": (16.0, "%"),
    "版权产业增加值占GDP比重": (8.6, "%"),
    "知识产权质押融资金额": (20.0, "亿元"),
    "每万人口高价值发明专利拥有量": (18.0, "件"),
}

# name, type, holder, year, towns (None: drawn polygon over the former 骑岸镇)
_GIS: tuple[tuple[str, str, str, int, str | None], ...] = (
    ("骑岸大方柿", "地理标志证明商标", "南通市通州区骑岸大方柿协会（示例）", 2014, None),
    ("西亭脆饼", "地理标志证明商标", "南通市通州区西亭脆饼行业协会（示例）", 2011, "西亭镇、兴仁镇"),
    ("二甲葡萄", "地理标志证明商标", "南通市通州区二甲葡萄协会（示例）", 2017, "二甲镇、东社镇"),
    ("石港大米", "地理标志产品", "南通市通州区石港镇农业技术服务中心（示例）", 2019,
     "石港镇、刘桥镇、平潮镇"),
    ("二甲蓝印花布", "地理标志证明商标", "南通市通州区蓝印花布研究会（示例）", 2013, "二甲镇"),
    ("南通州家纺", "集体商标", "南通市通州区家用纺织品行业协会（示例）", 2009,
     "川姜镇、先锋街道、张芝山镇、三余镇"),
)

_COMMISSIONER_COUNT = 12
_UNASSIGNED_SHARE = 0.10

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


# --------------------------------------------------------------------------- helpers


def uscc_check_digit(first17: str) -> str:
    """Return the GB 32100-2015 check character of a Unified Social Credit Code.

    The rule is the loaders' (:func:`loaders.uscc.check_digit`): the demo's codes are checked by the very
    code that made them.

    Parameters
    ----------
    first17 : str
        The first 17 characters of the code, from :data:`loaders.uscc.ALPHABET`.

    Returns
    -------
    str
        The 18th character.

    Examples
    --------
    >>> uscc_check_digit("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17:
        msg = f"`first17` must have 17 characters, got {len(first17)}: {first17!r}"
        raise ValueError(msg)
    return check_digit(first17)


def _org_check_digit(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _make_uscc(rng: np.random.Generator) -> str:
    """A synthetic enterprise USCC registered in 通州区, with valid check characters."""
    if rng.random() < 0.6:  # issued after 2015: organisation part starts with MA
        body = "MA" + "".join(rng.choice(list(USCC_ALPHABET), size=6))
    else:
        body = "".join(rng.choice(list("0123456789"), size=8))
        body = rng.choice(list("0567")) + body[1:]
    first17 = "91320612" + body + _org_check_digit(body)
    return first17 + uscc_check_digit(first17)


def _person(rng: np.random.Generator) -> str:
    return str(rng.choice(list(_SURNAMES))) + str(rng.choice(_GIVEN))


def _mobile(rng: np.random.Generator, prefix: str | None = None) -> str:
    if prefix is None:
        prefix = "1" + str(rng.choice(["38", "39", "51", "52", "57", "58", "59", "87", "88",
                                       "36", "80", "81", "89"]))
    return prefix + "".join(rng.choice(list("0123456789"), size=11 - len(prefix)))


def _landline(rng: np.random.Generator) -> str:
    return "0513-86" + "".join(rng.choice(list("0123456789"), size=6))


def _to_metric(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = _TO_METRIC.transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _TO_WGS84.transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def _sample_in(region: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (x, y) inside ``region`` by rejection from its box."""
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    out: list[np.ndarray] = []
    count = 0
    while count < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        xy = xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]
        out.append(xy)
        count += len(xy)
    return np.concatenate(out)[:n]


def _blob(center: tuple[float, float], area_m2: float, rng: np.random.Generator,
          aspect: float = 1.3) -> Polygon:
    """An irregular, roughly elliptic polygon of about ``area_m2`` around ``center``."""
    k = 28
    radius = math.sqrt(area_m2 / math.pi)
    angles = np.sort(np.linspace(0, 2 * np.pi, k, endpoint=False)
                     + rng.uniform(-0.08, 0.08, size=k))
    radii = radius * rng.uniform(0.65, 1.35, size=k)
    radii = (radii + 0.5 * np.roll(radii, 1) + 0.5 * np.roll(radii, -1)) / 2  # smooth
    rot = rng.uniform(0, np.pi)
    ex = radii * np.cos(angles) * math.sqrt(aspect)
    ey = radii * np.sin(angles) / math.sqrt(aspect)
    x = center[0] + ex * math.cos(rot) - ey * math.sin(rot)
    y = center[1] + ex * math.sin(rot) + ey * math.cos(rot)
    return Polygon(np.column_stack([x, y]))


def _blocky(center: tuple[float, float], area_m2: float,
            rng: np.random.Generator) -> BaseGeometry:
    """A blocky polygon of about ``area_m2`` (a park laid out along roads)."""
    side = math.sqrt(area_m2)
    rects = []
    for _ in range(int(rng.integers(3, 6))):
        w, h = side * rng.uniform(0.4, 0.85), side * rng.uniform(0.3, 0.7)
        cx, cy = center[0] + rng.normal(0, 0.18 * side), center[1] + rng.normal(0, 0.18 * side)
        rects.append(box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    shape = affinity.rotate(shapely.union_all(rects), rng.uniform(-40, 40), origin=center)
    factor = math.sqrt(area_m2 / shape.area)
    return affinity.scale(shape, factor, factor, origin=center)


def _largest_part(geom: BaseGeometry) -> Polygon:
    parts = shapely.get_parts(geom)
    largest: Polygon = max(parts, key=lambda p: p.area)
    return largest


def _shared_border_midpoint(a: Polygon, b: Polygon) -> tuple[float, float]:
    line = shapely.line_merge(shapely.intersection(a.boundary, b.boundary))
    longest = max(shapely.get_parts(line), key=lambda p: p.length)
    mid = longest.interpolate(0.5, normalized=True)
    return mid.x, mid.y


# --------------------------------------------------------------------------- towns


def _densify_ring(coords: np.ndarray, step: float) -> np.ndarray:
    """Insert points every ``step`` metres, identically for both sides of a shared edge.

    A segment is always split from its lexicographically smaller end, so the
    two towns sharing an edge get bit-identical new vertices.
    """
    out: list[tuple[float, float]] = []
    for a, b in zip(coords[:-1], coords[1:], strict=True):
        ta, tb = (float(a[0]), float(a[1])), (float(b[0]), float(b[1]))
        out.append(ta)
        n = math.ceil(math.hypot(tb[0] - ta[0], tb[1] - ta[1]) / step)
        if n <= 1:
            continue
        lo, hi = (ta, tb) if ta <= tb else (tb, ta)
        inner = [(lo[0] + (hi[0] - lo[0]) * (i / n), lo[1] + (hi[1] - lo[1]) * (i / n))
                 for i in range(1, n)]
        out.extend(inner if ta <= tb else inner[::-1])
    out.append((float(coords[-1][0]), float(coords[-1][1])))
    return np.asarray(out)


def _densify(poly: Polygon, step: float) -> Polygon:
    shell = _densify_ring(np.asarray(poly.exterior.coords), step)
    holes = [_densify_ring(np.asarray(r.coords), step) for r in poly.interiors]
    return Polygon(shell, holes)


def _wiggle_field(rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """A smooth, one-to-one displacement of (x, y) metres (sum of plane waves)."""
    waves = []
    for wavelength, amplitude in _WIGGLE_WAVES:
        for axis in (0, 1):
            theta = rng.uniform(0, 2 * np.pi)
            k = 2 * np.pi / wavelength
            waves.append((axis, k * math.cos(theta), k * math.sin(theta),
                          rng.uniform(0, 2 * np.pi), amplitude))

    def displace(xy: np.ndarray) -> np.ndarray:
        out = np.array(xy, dtype=float, copy=True)
        for axis, kx, ky, phase, amplitude in waves:
            out[:, axis] += amplitude * np.sin(kx * xy[:, 0] + ky * xy[:, 1] + phase)
        return out

    return displace


def _snapped(func: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Apply ``func`` once per distinct vertex and snap to the vertex grid.

    Shared vertices of neighbouring towns thus move to exactly the same place.
    """

    def apply(coords: np.ndarray) -> np.ndarray:
        uniq, inverse = np.unique(coords, axis=0, return_inverse=True)
        moved = np.round(func(uniq) / _GRID_M) * _GRID_M
        return moved[inverse.reshape(-1)]

    return apply


def _voronoi_tiling(seats: np.ndarray, outline: Polygon) -> list[Polygon]:
    """Voronoi cells of ``seats`` clipped to ``outline``, each a single polygon."""
    vor = shapely.voronoi_polygons(MultiPoint(seats), extend_to=outline.buffer(20000))
    cells = list(shapely.get_parts(vor))
    pts = cast(npt.NDArray[np.object_], shapely.points(seats))  # (n, 2) coordinates → n points
    ordered = [next(c for c in cells if c.contains(p)) for p in pts]
    tiles = [shapely.intersection(c, outline, grid_size=_GRID_M) for c in ordered]
    # A cell cut by the concave outline may fall apart: give stray parts to the
    # neighbour that shares the longest border with them.
    for i, tile in enumerate(tiles):
        parts = list(shapely.get_parts(tile))
        if len(parts) == 1:
            continue
        keep = next(p for p in parts if p.contains(pts[i]))
        for part in parts:
            if part is keep:
                continue
            shared = [part.boundary.intersection(t).length if j != i else -1.0
                      for j, t in enumerate(tiles)]
            j = int(np.argmax(shared))
            tiles[j] = shapely.union(tiles[j], part, grid_size=_GRID_M)
        tiles[i] = keep
    return tiles


def build_towns(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Build the 16 towns as a gap-free tiling of a synthetic district outline.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (boundary bending and populations).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns 名称, 区划代码, 类型, 常住人口 (nullable integer, one town empty),
        geometry in EPSG:4549, plus the seat coordinates ``seat_x``/``seat_y``.
    """
    ox, oy = _to_metric(*np.array(_OUTLINE_LONLAT).T)
    outline = Polygon(np.column_stack([ox, oy]))
    scale = math.sqrt(TARGET_AREA_KM2 * 1e6 / outline.area)
    outline = affinity.scale(outline, scale, scale, origin="centroid")
    sx, sy = _to_metric(np.array([t.lon for t in _TOWNS]), np.array([t.lat for t in _TOWNS]))
    seats = np.column_stack([sx, sy])

    tiles = _voronoi_tiling(seats, outline)
    tiles = [_densify(t, _DENSIFY_STEP_M) for t in tiles]
    displace = _wiggle_field(rng)
    tiles = list(shapely.transform(np.array(tiles, dtype=object), _snapped(displace)))
    seats = displace(seats)

    pop = np.array([t.population for t in _TOWNS], dtype=float)
    pop *= rng.uniform(0.97, 1.03, size=len(pop))
    pop = np.round(pop / pop.sum() * _TOTAL_POPULATION / 10) * 10
    population = pd.array(pop.astype(int), dtype="Int64")
    population[_TOWN_NAMES.index(_MISSING_POPULATION_TOWN)] = pd.NA

    towns = gpd.GeoDataFrame(
        {
            "名称": list(_TOWN_NAMES),
            "区划代码": [t.code for t in _TOWNS],
            "类型": [t.kind for t in _TOWNS],
            "常住人口": population,
            "seat_x": seats[:, 0],
            "seat_y": seats[:, 1],
        },
        geometry=tiles,
        crs=METRIC_CRS,
    )
    _check_towns(towns)
    return towns


def _check_towns(towns: gpd.GeoDataFrame) -> None:
    """Raise ``RuntimeError`` when the tiling is broken or the district looks wrong."""
    problems = []
    if not towns.is_valid.all() or set(towns.geom_type) != {"Polygon"}:
        problems.append("town geometries are not all valid single polygons")
    union = shapely.union_all(towns.geometry.values, grid_size=_GRID_M)
    if not isinstance(union, Polygon) or len(union.interiors) > 0:
        problems.append(f"the towns' union is a {union.geom_type} with holes or parts")
    if abs(towns.area.sum() - union.area) > len(towns):
        problems.append(f"towns overlap: {towns.area.sum() - union.area:.1f} m2")
    area_km2 = union.area / 1e6
    if abs(area_km2 / TARGET_AREA_KM2 - 1) > AREA_TOLERANCE:
        problems.append(f"district area {area_km2:.0f} km2 is not near {TARGET_AREA_KM2}")
    if isinstance(union, Polygon):  # (else reported above)
        lon, lat = _to_lonlat(*np.asarray(union.exterior.coords).T)
        if (lon.min() < _DISTRICT_LON[0] or lon.max() > _DISTRICT_LON[1]
                or lat.min() < _DISTRICT_LAT[0] or lat.max() > _DISTRICT_LAT[1]):
            problems.append("the outline leaves the district's extent")
    seats = shapely.points(towns["seat_x"], towns["seat_y"])
    if not shapely.contains(towns.geometry.values, seats).all():
        problems.append("a seat is outside its town")
    if problems:
        raise RuntimeError("; ".join(problems))


# --------------------------------------------------------------------------- parks


def build_parks(towns: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Build the parks: irregular polygons inside their towns (高新区 straddles two).

    Parameters
    ----------
    towns : geopandas.GeoDataFrame
        Output of :func:`build_towns`.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns 园区名称, 级别, 所在镇街, ``short``, ``density`` and
        ``lead_industry``; geometry in EPSG:4549.
    """
    geom = dict(zip(towns["名称"], towns.geometry, strict=True))
    seat = {n: (x, y) for n, x, y in zip(towns["名称"], towns["seat_x"], towns["seat_y"],
                                         strict=True)}
    rows = []
    for park in _PARKS:
        home = geom[park.town]
        if park.name == _HIGH_TECH:
            # Straddle the border with the neighbouring 街道 sharing the longest border.
            streets = towns[(towns["类型"] == "街道") & (towns["名称"] != park.town)]
            shared = [home.boundary.intersection(g).length for g in streets.geometry]
            neighbour = streets["名称"].iloc[int(np.argmax(shared))]
            center = _shared_border_midpoint(home, geom[neighbour])
            allowed = shapely.union(home, geom[neighbour]).buffer(-150)
        else:
            center, allowed = seat[park.town], home.buffer(-150)
        for _ in range(200):
            offset = 0.0 if park.name == _HIGH_TECH else rng.uniform(1200, 2500)
            angle = rng.uniform(0, 2 * np.pi)
            c = (center[0] + offset * math.cos(angle), center[1] + offset * math.sin(angle))
            shape = _blocky(c, park.area_km2 * 1e6, rng)
            clipped = _largest_part(shapely.intersection(shape, allowed, grid_size=_GRID_M))
            if shape.geom_type == "Polygon" and clipped.area > 0.85 * shape.area:
                break
        else:
            msg = f"could not place park {park.name!r} inside {park.town!r}"
            raise RuntimeError(msg)
        share = {n: shapely.intersection(clipped, g).area / clipped.area
                 for n, g in geom.items()}
        in_towns = [n for n, s in sorted(share.items(), key=lambda kv: -kv[1]) if s > 0.01]
        rows.append({"园区名称": park.name, "级别": park.level, "所在镇街": "、".join(in_towns),
                     "short": park.short, "density": park.density,
                     "lead_industry": park.lead_industry, "geometry": clipped})
    parks = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
    if shapely.union_all(parks.geometry.values).area < parks.area.sum() - 1:
        raise RuntimeError("parks overlap")
    return parks


# --------------------------------------------------------------------------- grid cells


def _adjacency(cells: Sequence[BaseGeometry]) -> list[set[int]]:
    """Neighbours of each cell: cells sharing a border longer than 1 m."""
    adj: list[set[int]] = [set() for _ in cells]
    for i, a in enumerate(cells):
        for j in range(i + 1, len(cells)):
            if a.boundary.intersection(cells[j].boundary).length > 1.0:
                adj[i].add(j)
                adj[j].add(i)
    return adj


def _grow(start: int, pool: set[int], adj: list[set[int]], size: int,
          centers: np.ndarray) -> list[int]:
    """A connected region of up to ``size`` cells from ``pool``, grown compactly from ``start``."""
    region = [start]
    while len(region) < size:
        frontier = {n for r in region for n in adj[r] if n in pool and n not in region}
        if not frontier:
            break
        d = {c: float(np.hypot(*(centers[c] - centers[start]))) for c in frontier}
        region.append(min(frontier, key=lambda c: (d[c], c)))
    return region


def _park_cells(park: pd.Series, x0: float, y1: float) -> list[dict[str, Any]]:
    """1 km lattice cells clipped to ``park``; slivers merged into a neighbour."""
    minx, miny, maxx, maxy = park.geometry.bounds
    pieces = []
    for col in range(int((minx - x0) // CELL_SIZE_M), int((maxx - x0) // CELL_SIZE_M) + 1):
        for row in range(int((y1 - maxy) // CELL_SIZE_M), int((y1 - miny) // CELL_SIZE_M) + 1):
            left, top = x0 + col * CELL_SIZE_M, y1 - row * CELL_SIZE_M
            square = box(left, top - CELL_SIZE_M, left + CELL_SIZE_M, top)
            clipped = shapely.intersection(square, park.geometry, grid_size=_GRID_M)
            pieces += [{"网格编号": f"GX-{col + 1:03d}-{row + 1:03d}", "geometry": part}
                       for part in shapely.get_parts(clipped) if part.area > 1.0]
    # Merge slivers (< 15 % of a full cell) into the neighbour sharing the longest border.
    while len(pieces) > 1:
        small = [i for i, c in enumerate(pieces)
                 if c["geometry"].area < 0.15 * CELL_SIZE_M**2 and not c.get("stuck")]
        if not small:
            break
        i = min(small, key=lambda k: (pieces[k]["geometry"].area, k))
        border = [pieces[i]["geometry"].boundary.intersection(c["geometry"].boundary).length
                  if j != i else -1.0 for j, c in enumerate(pieces)]
        j = int(np.argmax(border))
        if border[j] <= 1.0:
            pieces[i]["stuck"] = True
            continue
        pieces[j]["geometry"] = shapely.union(pieces[j]["geometry"], pieces[i]["geometry"],
                                              grid_size=_GRID_M)
        del pieces[i]
    # Parts of one lattice cell that stayed apart are one (multi-part) cell.
    cells: dict[str, BaseGeometry] = {}
    for piece in pieces:
        gid = piece["网格编号"]
        cells[gid] = (shapely.union(cells[gid], piece["geometry"], grid_size=_GRID_M)
                      if gid in cells else piece["geometry"])
    return [{"网格编号": gid, "geometry": geom} for gid, geom in sorted(cells.items())]


def _commissioner_contacts(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Distinct three-character names of every commissioner, then their mobile numbers."""
    names: list[str] = []
    while len(names) < _COMMISSIONER_COUNT + 1:
        name = _person(rng)
        if len(name) == 3 and name not in names:
            names.append(name)
    phones = [_mobile(rng, "1380513") for _ in names]
    return names, phones


def _commissioners_per_park(n_cells: list[int]) -> list[int]:
    """Commissioners per park by number of cells (largest remainder), at least one each."""
    sizes = np.array(n_cells, dtype=float)
    quota = _COMMISSIONER_COUNT * sizes / sizes.sum()
    counts = np.maximum(np.floor(quota).astype(int), 1)
    while counts.sum() != _COMMISSIONER_COUNT:
        if counts.sum() < _COMMISSIONER_COUNT:
            counts[int(np.argmax(quota - counts))] += 1
        else:
            counts[int(np.argmax(np.where(counts > 1, counts - quota, -np.inf)))] -= 1
    return [int(n) for n in counts]


def _assign_cells(cells: list[dict[str, Any]], n_comm: int) -> dict[int, int]:
    """Cell position → commissioner (0 … ``n_comm`` - 1) for one park's cells; unassigned cells absent.

    Each commissioner gets a contiguous region grown from the north-west; parks
    with 5+ cells keep an unassigned block in the south-east corner.
    """
    geoms = [c["geometry"] for c in cells]
    centers = np.array([[g.centroid.x, g.centroid.y] for g in geoms])
    adj = _adjacency(geoms)
    pool = set(range(len(cells)))
    owner: dict[int, int] = {}
    n_gap = round(_UNASSIGNED_SHARE * len(cells)) if len(cells) >= 5 else 0
    if n_gap:
        start = max(pool, key=lambda c: (centers[c, 0] - centers[c, 1], -c))
        pool -= set(_grow(start, pool, adj, n_gap, centers))
    for k in range(n_comm):
        if not pool:
            break
        size = math.ceil(len(pool) / (n_comm - k))
        start = min(pool, key=lambda c: (centers[c, 0] - centers[c, 1], c))
        region = _grow(start, pool, adj, size, centers)
        for c in region:
            owner[c] = k
        pool -= set(region)
    # Cells a region could not reach join an adjacent region.
    while pool:
        joined = [c for c in sorted(pool) if any(n in owner for n in adj[c])]
        if not joined:
            break
        for c in joined:
            owner[c] = owner[min(n for n in adj[c] if n in owner)]
            pool.discard(c)
    return owner


def build_grid(towns: gpd.GeoDataFrame, parks: gpd.GeoDataFrame,
               rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """Cut 1 km cells over the parks and assign commissioners to contiguous sets of them.

    Parameters
    ----------
    towns : geopandas.GeoDataFrame
        Output of :func:`build_towns` (fixes the district-wide cell lattice).
    parks : geopandas.GeoDataFrame
        Output of :func:`build_parks`.
    rng : numpy.random.Generator
        Source of randomness (names and phones).

    Returns
    -------
    cells : geopandas.GeoDataFrame
        Columns 网格编号 (``GX-<column>-<row>`` on the district lattice, counted
        from the north-west), 网格名称, 所属园区, 网格专员, 联系电话; EPSG:4549.
    commissioners : list of (name, phone)
        Every commissioner; the last one has no cell.
    """
    minx, _, _, maxy = towns.total_bounds
    x0 = math.floor(minx / CELL_SIZE_M) * CELL_SIZE_M
    y1 = math.ceil(maxy / CELL_SIZE_M) * CELL_SIZE_M
    per_park = [_park_cells(p, x0, y1) for _, p in parks.iterrows()]
    names, phones = _commissioner_contacts(rng)
    counts = _commissioners_per_park([len(c) for c in per_park])

    rows = []
    next_person = 0
    for park, cells, n_comm in zip(parks.itertuples(), per_park, counts, strict=True):
        owner = {c: next_person + k for c, k in _assign_cells(cells, n_comm).items()}
        next_person += n_comm
        order = sorted(range(len(cells)), key=lambda c: cells[c]["网格编号"])
        for seq, c in enumerate(order, start=1):
            person = owner.get(c)
            rows.append({
                "网格编号": cells[c]["网格编号"],
                "网格名称": f"{park.short}第{seq:02d}网格",
                "所属园区": park.园区名称,
                "网格专员": names[person] if person is not None else None,
                "联系电话": phones[person] if person is not None else None,
                "geometry": cells[c]["geometry"],
            })
    grid = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
    if grid["网格编号"].duplicated().any():
        raise RuntimeError("two parks share a lattice cell: duplicate 网格编号")
    return grid, list(zip(names, phones, strict=True))


# --------------------------------------------------------------------------- enterprises


def _locate(towns: gpd.GeoDataFrame, parks: gpd.GeoDataFrame,
            rng: np.random.Generator) -> pd.DataFrame:
    """Enterprise positions: dense in parks, clustered at seats, sparse elsewhere."""
    interiors = [g.buffer(-30) for g in towns.geometry]  # keep clear of borders
    land = shapely.union_all(interiors)
    pop = towns["常住人口"].astype(float).fillna(45000).to_numpy()
    weight = pop * np.where(towns["名称"] == "川姜镇", 1.5, 1.0)
    n_park, n_seat = int(0.42 * N_ENTERPRISES), int(0.23 * N_ENTERPRISES)
    n_rest = N_ENTERPRISES - n_park - n_seat

    chunks: list[tuple[np.ndarray, str | None]] = []
    park_w = parks.area.to_numpy() * parks["density"].to_numpy()
    for (_, park), n in zip(parks.iterrows(), rng.multinomial(n_park, park_w / park_w.sum()),
                            strict=True):
        chunks.append((_sample_in(shapely.intersection(park.geometry, land), n, rng),
                       park["园区名称"]))
    for i, n in enumerate(rng.multinomial(n_seat, weight / weight.sum())):
        sd = 1800.0 if towns["类型"].iloc[i] == "街道" else 1300.0
        got: list[np.ndarray] = []
        while sum(len(g) for g in got) < n:
            xy = rng.normal((towns["seat_x"].iloc[i], towns["seat_y"].iloc[i]), sd,
                            size=(2 * n + 8, 2))
            got.append(xy[shapely.contains_xy(interiors[i], xy[:, 0], xy[:, 1])])
        chunks.append((np.concatenate(got)[:n] if got else np.empty((0, 2)), None))
    for i, n in enumerate(rng.multinomial(n_rest, weight / weight.sum())):
        chunks.append((_sample_in(interiors[i], n, rng), None))

    xy = np.concatenate([c for c, _ in chunks])
    park = np.concatenate([np.array([p] * len(c), dtype=object) for c, p in chunks])
    town_idx = np.full(len(xy), -1)
    for i, g in enumerate(interiors):
        town_idx[shapely.contains_xy(g, xy[:, 0], xy[:, 1])] = i
    if (town_idx < 0).any():
        raise RuntimeError("an enterprise fell outside every town")
    # Points sampled around seats may lie in a park too.
    for p in parks.itertuples():
        inside = shapely.contains_xy(p.geometry, xy[:, 0], xy[:, 1]) & pd.isna(park)
        park[inside] = p.园区名称
    lon, lat = _to_lonlat(xy[:, 0], xy[:, 1])
    frame = pd.DataFrame({"lon": np.round(lon, 6), "lat": np.round(lat, 6),
                          "town": np.asarray(_TOWN_NAMES)[town_idx], "park": park,
                          "town_idx": town_idx})
    order = np.lexsort((rng.random(len(frame)), frame["town_idx"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _industries(loc: pd.DataFrame, parks: gpd.GeoDataFrame,
                rng: np.random.Generator) -> np.ndarray:
    lead = dict(zip(parks["园区名称"], parks["lead_industry"], strict=True))
    out = []
    for town, park in zip(loc["town"], loc["park"], strict=True):
        if park == _TEXTILE_CITY or town == "川姜镇":
            p = np.array(_P_TEXTILE)
        elif park == _HIGH_TECH:
            p = np.array(_P_HIGH_TECH)
        else:
            p = np.array(_P_DEFAULT)
            if town in _TEXTILE_TOWNS:
                p[INDUSTRIES.index("高端纺织")] += 0.15
            if isinstance(park, str) and lead.get(park):
                p[INDUSTRIES.index(lead[park])] += 0.2
        out.append(INDUSTRIES[rng.choice(len(INDUSTRIES), p=p / p.sum())])
    return np.array(out, dtype=object)


def _holdings(industry: np.ndarray, in_park: np.ndarray, total_population: float,
              rng: np.random.Generator) -> pd.DataFrame:
    """Long-tailed IP holdings: about 40 % hold nothing, a few hold hundreds."""
    n = len(industry)
    par = np.array([_IND_PARAMS[i] for i in industry])
    p_any, inv, util, des, tm, cr, sw, hv_share, pct_share = par.T
    holds = rng.random(n) < np.clip(p_any + 0.08 * in_park, 0, 0.95)
    size = rng.lognormal(0.0, 1.25, size=n) * np.where(in_park, 1.3, 1.0) * holds
    # Scale inventions so the district lands near HV_PER_10K_2025 per 10,000 residents.
    target_hv = HV_PER_10K_2025 * total_population / 1e4
    c_inv = target_hv / float((size * inv * hv_share).sum())
    inventions = rng.poisson(size * inv * c_inv)
    frame = pd.DataFrame({
        "有效发明专利": inventions,
        "实用新型": rng.poisson(size * 4.0 * util),
        "外观设计": rng.poisson(size * 0.8 * des),
        "高价值发明专利": rng.binomial(inventions, hv_share),
        "PCT专利": rng.binomial(inventions, pct_share),
        "有效注册商标": rng.poisson(size * 1.5 * tm),
        "作品著作权": rng.poisson(size * cr),
        "软件著作权": rng.poisson(size * sw),
    })
    empty = holds & (frame.sum(axis=1) == 0).to_numpy()
    frame.loc[empty, "有效注册商标"] = 1  # a holder holds at least one right
    patents = (frame["有效发明专利"] + frame["实用新型"]).to_numpy()
    pledged = (patents >= 5) & (rng.random(n) < 0.10)
    amount = np.round(rng.lognormal(math.log(600), 0.9, size=n) / 10) * 10
    frame["质押融资金额（万元）"] = np.where(pledged, np.maximum(amount, 50), 0).astype(int)
    return frame


def _tiers(hold: pd.DataFrame, industry: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    score = (5 * hold["高价值发明专利"] + 3 * hold["有效发明专利"] + hold["实用新型"]
             + 10 * hold["PCT专利"] + 0.5 * hold["有效注册商标"]).to_numpy(dtype=float)
    rank = np.argsort(-score - rng.random(len(score)) * 1e-3, kind="stable")
    tier = np.full(len(score), None, dtype=object)
    tier[rank[:6]], tier[rank[6:26]], tier[rank[26:76]] = TIERS[0], TIERS[1], TIERS[2]
    tech = np.isin(industry, ["新一代信息技术", "智能装备", "电子元器件", "汽车及零部件"])
    for k in rank[76:450]:
        r = rng.random()
        if tech[k] and r < 0.22:
            tier[k] = TIERS[3]
        elif r > 0.93:
            tier[k] = TIERS[4]
    return tier


def build_enterprises(towns: gpd.GeoDataFrame, parks: gpd.GeoDataFrame,
                      rng: np.random.Generator) -> pd.DataFrame:
    """Build the enterprise table exactly as written to ``企业.xlsx``.

    Parameters
    ----------
    towns, parks : geopandas.GeoDataFrame
        Outputs of :func:`build_towns` and :func:`build_parks`.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    pandas.DataFrame
        One row per enterprise, columns :data:`ENTERPRISE_HEADERS`, plus a
        ``park`` column (not written) naming the park a firm lies in.
    """
    loc = _locate(towns, parks, rng)
    n = len(loc)
    industry = _industries(loc, parks, rng)
    in_park = loc["park"].notna().to_numpy()
    hold = _holdings(industry, in_park, _TOTAL_POPULATION, rng)
    tier = _tiers(hold, industry, rng)
    top = set(np.argsort(-hold["有效发明专利"].to_numpy(), kind="stable")[:40].tolist())

    names: list[str] = []
    seen: set[str] = set()
    for k in range(n):
        while True:
            prefix = str(rng.choice(["南通", "江苏", "南通市通州区"], p=[0.7, 0.12, 0.18]))
            trade = "".join(rng.choice(list(_TRADE_CHARS), size=2, replace=False))
            suffix = str(rng.choice(_NAME_SUFFIXES[industry[k]]))
            if k in top and rng.random() < 0.5:
                suffix = suffix.replace("有限公司", "股份有限公司")
            name = prefix + trade + suffix
            if name not in seen:
                break
        seen.add(name)
        names.append(name)

    codes: list[str | None] = []
    used: set[str] = set()
    for _ in range(n):
        code = _make_uscc(rng)
        while code in used:
            code = _make_uscc(rng)
        used.add(code)
        codes.append(code if rng.random() >= 0.05 else None)

    town_roads = {t: list(rng.choice(_ROADS, size=6, replace=False)) for t in _TOWN_NAMES}
    addresses = []
    for town, park in zip(loc["town"], loc["park"], strict=True):
        head = str(rng.choice(["江苏省南通市通州区", "南通市通州区", "通州区"], p=[0.5, 0.4, 0.1]))
        place = {_HIGH_TECH: "高新技术产业开发区", _TEXTILE_CITY: f"{town}家纺城"}.get(park, town)
        addresses.append(f"{head}{place}{rng.choice(town_roads[town])}{rng.integers(1, 999)}号")

    contacts = [_person(rng) if rng.random() > 0.03 else None for _ in range(n)]
    phones = [(_mobile(rng) if rng.random() < 0.7 else _landline(rng)) if c else None
              for c in contacts]
    table = pd.DataFrame({
        "序号": np.arange(1, n + 1),
        "企业名称": names,
        "统一社会信用代码": codes,
        "注册地址": addresses,
        "经度": loc["lon"],
        "纬度": loc["lat"],
        "所属镇街": loc["town"],
        "主导产业": industry,
        "企业类别": tier,
    })
    table = pd.concat([table, hold], axis=1)
    table["联系人"] = contacts
    table["联系电话"] = phones
    table["park"] = loc["park"]
    return table


# --------------------------------------------------------------------------- points, GIs


def _near(towns: gpd.GeoDataFrame, town: str, center: tuple[float, float], radius: float,
          rng: np.random.Generator) -> tuple[float, float]:
    """A point within ``radius`` metres of ``center`` and at least 300 m inside ``town``."""
    inner = towns.loc[towns["名称"] == town].geometry.iloc[0].buffer(-300)
    for _ in range(1000):
        a, r = rng.uniform(0, 2 * np.pi), radius * math.sqrt(rng.random())
        x, y = center[0] + r * math.cos(a), center[1] + r * math.sin(a)
        if shapely.contains_xy(inner, x, y):
            return x, y
    p = inner.point_on_surface()
    return p.x, p.y


def build_service_points(towns: gpd.GeoDataFrame, parks: gpd.GeoDataFrame,
                         rng: np.random.Generator) -> pd.DataFrame:
    """Build the service points, coordinates shifted to GCJ-02 as a geocoder gives them.

    Parameters
    ----------
    towns, parks : geopandas.GeoDataFrame
        Outputs of :func:`build_towns` and :func:`build_parks`.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    pandas.DataFrame
        Columns 站点名称, 站点类型, 地址, 经度, 纬度, 坐标系 (always GCJ-02), 联系电话,
        and ``town`` (not written) with the town each point lies in.
    """
    seat = {n: (x, y) for n, x, y in zip(towns["名称"], towns["seat_x"], towns["seat_y"],
                                         strict=True)}
    pc = {p.园区名称: (p.geometry.centroid.x, p.geometry.centroid.y)
          for p in parks.itertuples()}
    ht = shapely.Point(pc[_HIGH_TECH])
    high_tech_town = next(n for n, g in zip(towns["名称"], towns.geometry, strict=True)
                          if g.contains(ht))
    specs: list[tuple[str, str, str, tuple[float, float], float]] = [
        (f"{t}基层知识产权工作站", SERVICE_TYPES[0], t, seat[t], 600.0) for t in _TOWN_NAMES
    ]
    specs += [
        ("南通家纺城商标品牌指导站", SERVICE_TYPES[1], "川姜镇", pc[_TEXTILE_CITY], 500.0),
        ("二甲镇商标品牌指导站", SERVICE_TYPES[1], "二甲镇", seat["二甲镇"], 900.0),
        ("西亭镇商标品牌指导站", SERVICE_TYPES[1], "西亭镇", seat["西亭镇"], 900.0),
        ("石港镇商标品牌指导站", SERVICE_TYPES[1], "石港镇", seat["石港镇"], 900.0),
        ("南通家纺知识产权快速维权中心", SERVICE_TYPES[2], "川姜镇", pc[_TEXTILE_CITY], 600.0),
        ("南通家纺城知识产权巡回审判点", SERVICE_TYPES[3], "川姜镇", pc[_TEXTILE_CITY], 600.0),
        ("南通市通州区知识产权保护中心", SERVICE_TYPES[4], "金新街道", seat["金新街道"], 500.0),
        ("南通高新区知识产权信息公共服务网点", SERVICE_TYPES[5], high_tech_town,
         pc[_HIGH_TECH], 800.0),
        ("南通家纺城知识产权信息公共服务网点", SERVICE_TYPES[5], "川姜镇", pc[_TEXTILE_CITY],
         600.0),
        ("通州区图书馆知识产权信息公共服务网点", SERVICE_TYPES[5], "金沙街道", seat["金沙街道"],
         700.0),
    ]
    rows = []
    for name, kind, town, center, radius in specs:
        x, y = _near(towns, town, center, radius, rng)
        lon, lat = _to_lonlat(np.array([x]), np.array([y]))
        glon, glat = wgs84_to_gcj02(lon, lat)
        rows.append({
            "站点名称": name, "站点类型": kind,
            "地址": f"南通市通州区{town}{rng.choice(_ROADS)}{rng.integers(1, 400)}号",
            "经度": round(float(glon[0]), 6), "纬度": round(float(glat[0]), 6),
            "坐标系": "GCJ-02", "联系电话": _landline(rng), "town": town,
        })
    return pd.DataFrame(rows)


def build_gis(towns: gpd.GeoDataFrame, enterprises: pd.DataFrame,
              rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Build the six geographic indications; only 骑岸大方柿 has a drawn polygon.

    Parameters
    ----------
    towns : geopandas.GeoDataFrame
        Output of :func:`build_towns`.
    enterprises : pandas.DataFrame
        Output of :func:`build_enterprises` (textile GI users are taken from it).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns 地理标志名称, 保护类型, 保护范围, 申请人, 授权使用企业, 登记年份;
        EPSG:4326, geometry null except for the drawn GI.
    """
    geom = dict(zip(towns["名称"], towns.geometry, strict=True))
    rows = []
    for name, kind, holder, year, scope in _GIS:
        area_towns = scope.split("、") if scope else ["二甲镇", "东社镇"]
        if name in ("南通州家纺", "二甲蓝印花布"):
            pool = enterprises[enterprises["所属镇街"].isin(area_towns)
                               & (enterprises["主导产业"] == "高端纺织")]["企业名称"]
            users = list(rng.choice(pool.to_numpy(), size=min(len(pool), 4), replace=False))
        else:
            forms = ("南通{}食品有限公司", "南通市通州区{}农业科技有限公司",
                     "南通市通州区{}果品专业合作社", "南通{}农产品有限公司")
            users = [str(rng.choice(forms)).format(
                "".join(rng.choice(list(_TRADE_CHARS), size=2, replace=False)))
                for _ in range(int(rng.integers(2, 5)))]
        shape = None
        if scope is None:
            # The former 骑岸镇, now split between 二甲镇 and 东社镇.
            center = _shared_border_midpoint(geom["二甲镇"], geom["东社镇"])
            allowed = shapely.union(geom["二甲镇"], geom["东社镇"])
            shape = _largest_part(shapely.intersection(
                _blob(center, 45e6, rng, aspect=1.1), allowed, grid_size=_GRID_M))
        rows.append({"地理标志名称": name, "保护类型": kind, "保护范围": scope or "",
                     "申请人": holder, "授权使用企业": "、".join(dict.fromkeys(users)),
                     "登记年份": year, "geometry": shape})
    gis = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
    return gis.to_crs(WGS84)


def build_indicators(enterprises: pd.DataFrame) -> pd.DataFrame:
    """Build the yearly indicators 2021–2025 (实际) and the 2025 targets (目标).

    The 2025 high-value-patent density sits a little above the enterprise
    table's bottom-up figure (the table covers key enterprises only).

    Parameters
    ----------
    enterprises : pandas.DataFrame
        Output of :func:`build_enterprises`.

    Returns
    -------
    pandas.DataFrame
        Columns 年份, 指标, 数值, 单位, 类型.
    """
    hv_2025 = round(enterprises["高价值发明专利"].sum() / _TOTAL_POPULATION * 1e4 * 1.06, 1)
    series = {
        "专利密集型产业增加值占GDP比重": [11.8, 12.6, 13.5, 14.3, 15.2],
        "版权产业增加值占GDP比重": [6.9, 7.2, 7.6, 8.0, 8.4],
        "知识产权质押融资金额": [8.5, 11.2, 14.8, 18.3, 21.6],
        "每万人口高价值发明专利拥有量": [round(hv_2025 * f, 1)
                                    for f in (0.55, 0.66, 0.77, 0.88, 1.0)],
    }
    rows = [{"年份": year, "指标": name, "数值": value,
             "单位": INDICATOR_TARGETS[name][1], "类型": "实际"}
            for name, values in series.items()
            for year, value in zip(range(2021, 2026), values, strict=True)]
    rows += [{"年份": 2025, "指标": name, "数值": target, "单位": unit, "类型": "目标"}
             for name, (target, unit) in INDICATOR_TARGETS.items()]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- writers


def _fix_gpkg_timestamps(path: Path, data_date: str = DATA_DATE) -> None:
    """Pin the GeoPackage change stamps (to ``data_date``) so the same seed writes the same bytes."""
    con = sqlite3.connect(path)
    try:
        con.execute("UPDATE gpkg_contents SET last_change = ?", (f"{data_date}T00:00:00.000Z",))
        con.commit()
    finally:
        con.close()
    # SQLite's file change counter (header bytes 24-27) counts GDAL's write transactions, which vary between
    # runs; it and its "version valid for" copy (bytes 92-95) are pinned together, so the file stays valid
    with path.open("r+b") as f:
        for offset in (24, 92):
            f.seek(offset)
            f.write((1).to_bytes(4, "big"))


def _write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str, *, data_date: str = DATA_DATE) -> None:
    path.unlink(missing_ok=True)
    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    _fix_gpkg_timestamps(path, data_date)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    path.unlink(missing_ok=True)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio",
                  layer_options={"COORDINATE_PRECISION": 6})


def _write_xlsx(table: pd.DataFrame, path: Path, *, subtitle: str = ENTERPRISE_SUBTITLE,
                stamp: tuple[int, int, int, int, int, int] = _FIXED_STAMP) -> None:
    """Write the enterprise sheet: title row, subtitle row, header on row 3."""
    wb = Workbook()
    ws = wb.worksheets[0]  # the one sheet a new workbook has (the active one)
    ws.title = ENTERPRISE_SHEET
    width = len(ENTERPRISE_HEADERS)
    ws.append([ENTERPRISE_TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([subtitle])
    ws.append(list(ENTERPRISE_HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in table[list(ENTERPRISE_HEADERS)].itertuples(index=False):
        ws.append([None if (v is None or (isinstance(v, float) and math.isnan(v)))
                   else v.item() if isinstance(v, np.generic) else v for v in row])
    for col, w in zip("ABCDEFGHIJ", (6, 34, 22, 46, 11, 10, 10, 14, 18, 8), strict=True):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "C4"
    buffer = io.BytesIO()
    wb.save(buffer)
    _write_stable_zip(buffer.getvalue(), path, stamp)


def _write_stable_zip(data: bytes, path: Path,
                      stamp: tuple[int, int, int, int, int, int] = _FIXED_STAMP) -> None:
    """Re-pack an xlsx with fixed zip and document timestamps (``stamp``; byte-stable output)."""
    text_stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*stamp)
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rf"\g<1>{text_stamp}",
                              body.decode("utf-8"))
                body = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, body)


_TOML = f"""# 示例数据文件夹的设置（由 python -m geodata.generate_demo 生成）
[district]
name = "通州区"
data_date = "{DATA_DATE}"
source = "示例数据（合成，非真实）"
demo = true
population = {_TOTAL_POPULATION}

[settings]
metric_crs = "{METRIC_CRS}"

[enterprises]
sheet = "{ENTERPRISE_SHEET}"
crs = "WGS-84"

[service_points]
crs = "GCJ-02"
"""


def build_commissioner_roster(grid: gpd.GeoDataFrame, commissioners: Sequence[tuple[str, str]]
                              ) -> pd.DataFrame:
    """The office's roster of commissioners (专员.xlsx): name, phone, park and the cells they keep.

    The last commissioner has no cell yet, so the app can show a commissioner
    without a cell beside cells without a commissioner.
    """
    rows = []
    for name, phone in commissioners:
        mine = grid[grid["网格专员"] == name]
        rows.append({
            "姓名": name,
            "联系电话": phone,
            "所属园区": "、".join(dict.fromkeys(mine["所属园区"])) if len(mine) else None,
            "负责网格": "、".join(mine["网格编号"]) if len(mine) else None,
        })
    return pd.DataFrame(rows)


def _write_plain_xlsx(table: pd.DataFrame, path: Path, sheet: str, *,
                      stamp: tuple[int, int, int, int, int, int] = _FIXED_STAMP) -> None:
    """Write a one-sheet workbook with the header on row 1, byte-stable."""
    wb = Workbook()
    ws = wb.worksheets[0]  # the one sheet a new workbook has (the active one)
    ws.title = sheet
    ws.append(list(table.columns))
    for row in table.itertuples(index=False):
        ws.append([None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    _write_stable_zip(buffer.getvalue(), path, stamp)


def _readme(seed: int, spare: tuple[str, str], missing_town: str, n_firms: int) -> str:
    faults = expected_problems(n_firms)
    rows = {code: "、".join(str(r) for r in rs) for code, rs in faults.items()}
    return f"""# 通州区示例数据

本文件夹中的全部内容均为程序合成的示例数据（示例数据，非真实）：镇街边界是以各镇街驻地为种子\
的泰森多边形，并非真实行政区划边界；园区、网格、企业名称、统一社会信用代码、联系人、电话、\
知识产权数量、服务站点位置和指标数值均为虚构，仅用于演示和测试，不得作为统计或执法依据。\
如需重新生成，请在项目根目录运行 `python -m geodata.generate_demo --out geodata/demo --seed {seed}`\
（相同的随机种子生成相同的数据）。

说明：

- `镇街.gpkg`、`网格.gpkg` 为 CGCS2000 3 度带高斯-克吕格投影（EPSG:4549，中央经线 120°E）；\
`园区.geojson`、`地理标志.geojson` 与企业坐标为 WGS-84；`服务站点.csv` 的坐标为 GCJ-02（高德坐标），\
见“坐标系”列。
- {missing_town}的常住人口故意留空，用于检验缺失值的处理。
- 约一成网格暂无网格专员（管理空白）；网格专员{spare[0]}（{spare[1]}）已在册但尚未分配网格。
- 地理标志“骑岸大方柿”以原骑岸镇一带的绘制多边形表示，其余按“保护范围”所列镇街确定。
- `企业.xlsx` 中故意保留了几处常见的数据问题，供「数据」页和 `ipgrid validate` 演示（均为警告）：
  第 {rows["no_coordinates"]} 行没有坐标（未定位）；第 {rows["swapped_lonlat"]} 行经纬度填反；
  第 {rows["bad_uscc"]} 行统一社会信用代码校验位错误；第 {rows["outside_towns"]} 行位于区外；
  第 {rows["duplicate_uscc"]} 行与前面某行重复。
"""


def generate_demo(out: Path | str = DEFAULT_OUT, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the synthetic demo data folder.

    Parameters
    ----------
    out : path-like, default ``geodata/demo``
        Folder to write to; created when missing, files in it are overwritten.
    seed : int, default 20251231
        Seed of every random choice; the same seed writes the same data.

    Returns
    -------
    dict of str to pathlib.Path
        Each written file by its name.

    Examples
    --------
    >>> paths = generate_demo("/tmp/demo")  # doctest: +SKIP
    >>> sorted(paths)[:2]  # doctest: +SKIP
    ['README.md', 'ipgrid.toml']
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    towns = build_towns(streams[0])
    parks = build_parks(towns, streams[1])
    grid, commissioners = build_grid(towns, parks, streams[2])
    enterprises = build_enterprises(towns, parks, streams[3])
    points = build_service_points(towns, parks, streams[4])
    gis = build_gis(towns, enterprises, streams[5])
    indicators = build_indicators(enterprises)
    roster = build_commissioner_roster(grid, commissioners)
    n_firms = len(enterprises)
    enterprises = plant_faults(enterprises)

    paths = {name: out / name for name in (
        "镇街.gpkg", "园区.geojson", "网格.gpkg", "专员.xlsx", "企业.xlsx", "服务站点.csv",
        "地理标志.geojson", "指标.csv", "ipgrid.toml", "README.md")}
    _write_gpkg(towns[["名称", "区划代码", "类型", "常住人口", "geometry"]],
                paths["镇街.gpkg"], _TOWNS_LAYER)
    _write_geojson(parks[["园区名称", "级别", "所在镇街", "geometry"]].to_crs(WGS84),
                   paths["园区.geojson"])
    _write_gpkg(grid, paths["网格.gpkg"], _GRID_LAYER)
    _write_plain_xlsx(roster, paths["专员.xlsx"], "专员")
    _write_xlsx(enterprises, paths["企业.xlsx"])
    points.drop(columns="town").to_csv(paths["服务站点.csv"], index=False, encoding="utf-8-sig")
    _write_geojson(gis, paths["地理标志.geojson"])
    indicators.to_csv(paths["指标.csv"], index=False, encoding="utf-8")
    paths["ipgrid.toml"].write_text(_TOML, encoding="utf-8")
    paths["README.md"].write_text(
        _readme(seed, commissioners[-1], _MISSING_POPULATION_TOWN, n_firms), encoding="utf-8")
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m geodata.generate_demo [--out DIR] [--seed N]``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        Exit code (0).
    """
    parser = argparse.ArgumentParser(
        prog="python -m geodata.generate_demo",
        description="生成通州区合成示例数据（示例数据，非真实）。",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"输出文件夹（默认 {DEFAULT_OUT}）")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"随机种子（默认 {DEFAULT_SEED}）")
    args = parser.parse_args(argv)
    paths = generate_demo(args.out, args.seed)
    for name, path in paths.items():
        print(f"{name}\t{path.stat().st_size / 1024:.1f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
