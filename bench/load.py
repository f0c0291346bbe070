"""Benchmark: load and validate a 100,000-row enterprise workbook vs plain ``pandas.read_excel``.

Writes (seeded, cached under ``bench/.cache``, never in git) an .xlsx with two
title rows, Chinese headers and a few planted faults, beside a towns layer,
then times

* ipgrid: ``loaders.load_folder`` — read, find the header, map and type every
  field, build points, check credit codes and duplicates, place against towns;
* plain: ``pandas.read_excel(path, header=2)`` with its default engine, which
  only reads the cells.

Prints a table and, as the last line, JSON with both medians and the ratio.
Run: ``python bench/load.py [--rows N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import timed  # noqa: E402

from loaders import load_folder  # noqa: E402
from loaders.uscc import check_digit  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
HEADER = ["企业名称", "统一社会信用代码", "注册地址", "经度", "纬度", "所属镇街", "主导产业", "企业类别",
          "有效发明专利", "实用新型", "外观设计", "高价值发明专利", "有效注册商标", "作品著作权",
          "质押融资金额（万元）"]
INDUSTRIES = ["汽车及零部件", "新一代信息技术", "智能装备", "高端纺织", "电子元器件", "其他"]


def towns_layer() -> gpd.GeoDataFrame:
    """The demo district's towns when generated, else a 4 × 4 grid of 8 km squares."""
    demo = ROOT / "geodata" / "demo"
    for candidate in sorted(demo.glob("镇街.*")):
        if candidate.suffix in (".gpkg", ".geojson", ".shp"):
            return gpd.read_file(candidate)
    cells = [box(470_000 + i * 8000, 3_530_000 + j * 8000, 478_000 + i * 8000, 3_538_000 + j * 8000)
             for i in range(4) for j in range(4)]
    return gpd.GeoDataFrame({"名称": [f"第{k + 1}镇" for k in range(16)]}, geometry=cells, crs="EPSG:4549")


def make_folder(rows: int, seed: int) -> Path:
    """Write (once) the benchmark folder with ``rows`` enterprises."""
    folder = CACHE / f"load_{rows}_{seed}"
    book = folder / "企业.xlsx"
    if book.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    towns = towns_layer()
    towns.to_file(folder / "镇街.gpkg")
    rng = np.random.default_rng(seed)
    metric = towns.to_crs("EPSG:4549")
    xmin, ymin, xmax, ymax = metric.total_bounds
    xy = gpd.GeoSeries.from_xy(rng.uniform(xmin, xmax, rows), rng.uniform(ymin, ymax, rows),
                               crs="EPSG:4549").to_crs(4326)
    lon, lat = xy.x.round(6).to_numpy().copy(), xy.y.round(6).to_numpy()
    lon[rng.random(rows) < 0.01] = np.nan  # 1 % without coordinates

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名录")
    ws.append(["某区重点企业知识产权情况表（基准测试数据）"])
    ws.append(["填报单位：基准测试    数据截至：2025-12-31"])
    ws.append(HEADER)
    counts = rng.negative_binomial(0.6, 0.15, size=(rows, 6))
    for i in range(rows):
        code = f"91320612MA{i:07d}"
        uscc = code + check_digit(code) if i % 97 else code + "0"  # ~1 % bad check digits
        ws.append([
            f"南通基准{i:06d}科技有限公司", uscc, f"某路{i % 999}号",
            None if np.isnan(lon[i]) else float(lon[i]), float(lat[i]), None,
            INDUSTRIES[i % 6], None, *map(int, counts[i]),
            float(rng.integers(0, 500)) if i % 50 == 0 else 0,
        ])
    wb.save(book)
    return folder


def main() -> None:
    """Run the benchmark and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plain-repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    folder = make_folder(args.rows, args.seed)
    print(f"data: {folder} ({(folder / '企业.xlsx').stat().st_size / 1e6:.1f} MB, "
          f"prepared in {time.perf_counter() - start:.1f} s)")

    bundle = load_folder(folder)
    layer = bundle.layers["enterprises"]
    print(f"ipgrid: {layer.rows} rows, {layer.accepted} accepted, {len(bundle.problems)} problems")

    ours = timed(lambda: load_folder(folder), args.repeat)
    plain = timed(lambda: pd.read_excel(folder / "企业.xlsx", header=2), args.plain_repeat)
    m_ours, m_plain = statistics.median(ours), statistics.median(plain)
    print(f"{'method':<44}{'median s':>10}{'runs':>6}")
    print(f"{'ipgrid load_folder (read + validate + place)':<44}{m_ours:>10.2f}{len(ours):>6}")
    print(f"{'pandas.read_excel (openpyxl, cells only)':<44}{m_plain:>10.2f}{len(plain):>6}")
    print(f"ratio plain/ipgrid: {m_plain / m_ours:.1f}x")
    print(json.dumps({"rows": args.rows, "ipgrid_median_s": round(m_ours, 3),
                      "plain_read_excel_median_s": round(m_plain, 3),
                      "ratio": round(m_plain / m_ours, 2)}))


if __name__ == "__main__":
    main()
