"""Small hand-built data files for tests: every test writes its own data with these helpers.

Towns are squares in EPSG:4549 metres so areas and distances can be worked
out by hand.  ``ORIGIN`` sits near 119.98°E, 32.07°N.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
from shapely.geometry import Polygon, box

ORIGIN = (498_000.0, 3_549_000.0)
METRIC = "EPSG:4549"


def square(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A rectangle given in metres relative to ``ORIGIN``."""
    return box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x1, ORIGIN[1] + y1)


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """WGS-84 lon/lat of a point given in metres relative to ``ORIGIN``."""
    pt = gpd.GeoSeries.from_xy([ORIGIN[0] + x], [ORIGIN[1] + y], crs=METRIC).to_crs(4326)
    return float(pt.x.iloc[0]), float(pt.y.iloc[0])


def polygon(*corners: tuple[float, float]) -> Polygon:
    """A polygon from corners given in metres relative to ``ORIGIN``."""
    return Polygon([(ORIGIN[0] + x, ORIGIN[1] + y) for x, y in corners])


SHARED_VERTICES = ((2000, 500), (1000, 2000))
"""Points that are vertices of two towns at once: exactly on a shared edge in any CRS."""


def three_towns() -> gpd.GeoDataFrame:
    """甲镇 [0,2000]², 乙镇 [2000,4000]×[0,2000], 丙街道 [0,4000]×[2000,4000]: an exact tiling.

    The shared edges carry the extra vertices :data:`SHARED_VERTICES`, so a test
    point placed there is exactly on both towns' boundary after reprojection.
    """
    jia = polygon((0, 0), (2000, 0), (2000, 500), (2000, 2000), (1000, 2000), (0, 2000))
    yi = polygon((2000, 0), (4000, 0), (4000, 2000), (2000, 2000), (2000, 500))
    bing = polygon((0, 2000), (1000, 2000), (2000, 2000), (4000, 2000), (4000, 4000), (0, 4000))
    return gpd.GeoDataFrame(
        {"名称": ["甲镇", "乙镇", "丙街道"], "区划代码": ["320612100000", "320612101000", "320612001000"],
         "常住人口": [10000, 20000, 5000]},
        geometry=[jia, yi, bing],
        crs=METRIC,
    )


def write_shapefile(gdf: gpd.GeoDataFrame, path: Path, *, encoding: str = "UTF-8",
                    cpg: bool = True, prj: bool = True) -> Path:
    """Write a shapefile, optionally without its .cpg or .prj (as some GIS exports are)."""
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    if not prj:
        path.with_suffix(".prj").unlink(missing_ok=True)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], *,
               titles: tuple[str, ...] = (), sheet: str = "Sheet1") -> Path:
    """Write an .xlsx with optional title rows above the header (the first merged across)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for i, title in enumerate(titles):
        ws.append([title])
        if i == 0:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str) -> Path:
    """Write a CSV in ``encoding`` (utf-8-sig, gbk, ...)."""
    pd.DataFrame(rows, columns=header).to_csv(path, index=False, encoding=encoding)
    return path


def uscc_with_check(first17: str) -> str:
    """A credit code with the correct check digit appended."""
    from loaders.uscc import check_digit

    return first17 + check_digit(first17)


def valid_uscc(n: int) -> str:
    """The ``n``-th distinct valid credit code."""
    return uscc_with_check(f"91320612MA{n:07d}")


def lonlat_array(points: list[tuple[float, float]]) -> np.ndarray:
    """Metre offsets → an (n, 2) array of WGS-84 lon/lat."""
    return np.array([to_lonlat(x, y) for x, y in points])


def write_rights_folder(root: Path) -> Path:
    """Two firms and dated rights (test_stats_cli, the store tests): ``--year`` views count differently each year.

    南通甲: an invention granted 2022, lapsed 2024-03-01; a utility model
    granted 2023.  甲 and 乙 jointly: a design granted 2021.  南通大学 holds
    one right alone (an unmatched holder).
    """
    root.mkdir(parents=True, exist_ok=True)
    three_towns().to_file(root / "镇街.gpkg")
    a, b = to_lonlat(500, 500), to_lonlat(3000, 500)
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度"],
              [["南通甲科技有限公司", *a], ["南通乙科技有限责任公司", *b]], "utf-8")
    write_xlsx(root / "知识产权.xlsx", ["申请号", "申请(专利权)人", "法律状态", "申请日", "授权公告日", "失效日"], [
        ["202010123456.7", "南通甲科技有限公司", "失效", "2020-01-02", "2022-05-01", "2024-03-01"],
        ["202320654321.X", "南通甲科技（有限公司）", "有效", "2023-01-02", "2023-08-01", None],
        ["202130111111.1", "南通甲科技有限公司；南通乙科技有限公司", "有效", "2021-01-02", "2021-06-01", None],
        ["202210999999.9", "南通大学", "有效", "2022-01-02", "2023-01-01", None],
    ])
    (root / "ipgrid.toml").write_text('[district]\nname = "测试区"\ndata_date = "2024-12-31"\n'
                                      '[enterprises]\ncrs = "WGS-84"\n', encoding="utf-8")
    return root
