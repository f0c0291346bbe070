"""Benchmark: map exports of the demo district — one A4 PNG, one PDF, the town atlas (and SVG, HTML).

Times, on a warm engine (the folder loaded and the figures computed once,
as in the app, where the engine is cached):

* ``export_map(…, "town", fmt="png", size="a4")`` — A4 portrait, 300 dpi, full furniture;
* the same as PDF (vector, CJK font embedded and subset) and as SVG;
* the self-contained HTML map (Leaflet inlined);
* ``write_atlas(…, "town")`` — cover, summary, one page per town (18 pages);
* for reference, the plain way an analyst would do it: ``GeoDataFrame.plot(column=…,
  scheme="NaturalBreaks", legend=True)`` saved at 300 dpi — no title, scale bar,
  north arrow, inset, CJK font, labels or date.

Goals (issue 7): under 2 s per map, under 30 s per atlas.  Prints a table
and, as the last line, JSON with the medians.
Run: ``python bench/export.py [--repeat K]``.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import timed  # noqa: E402

from dashboard.cli import format_table  # noqa: E402
from dashboard.engine import Engine  # noqa: E402
from dashboard.exports import export_map, write_atlas  # noqa: E402
from loaders import load_folder  # noqa: E402

GOAL_MAP_S = 2.0
GOAL_ATLAS_S = 30.0
METRIC = "invention_patents"


def plain_png(engine: Engine) -> bytes:
    """A bare geopandas choropleth at 300 dpi: what the exports replace."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(8.27, 11.69))
    engine.choropleth("town").plot(column=METRIC, scheme="NaturalBreaks", k=5, legend=True, ax=ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=300)
    plt.close(fig)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per map (the atlas runs max(2, K // 2))")
    args = parser.parse_args()

    engine = Engine(load_folder(ROOT / "geodata" / "demo"))
    start = time.perf_counter()
    export_map(engine, "town", metric=METRIC, fmt="png", size="a4")  # engine figures, fonts, caches
    first = time.perf_counter() - start
    plain_png(engine)  # pyplot and mapclassify warm too

    cases = {
        "png_a4": ("A4 PNG 300 dpi（镇街专题图）", lambda: export_map(engine, "town", metric=METRIC, fmt="png",
                                                                  size="a4")),
        "pdf_a4": ("A4 PDF 矢量（同一幅图）", lambda: export_map(engine, "town", metric=METRIC, fmt="pdf", size="a4")),
        "svg_a4": ("A4 SVG（同一幅图）", lambda: export_map(engine, "town", metric=METRIC, fmt="svg", size="a4")),
        "html": ("离线 HTML（同一幅图）", lambda: export_map(engine, "town", metric=METRIC, fmt="html")),
        "png_grid_focus": ("A4 横向 PNG（南通家纺城各网格）",
                           lambda: export_map(engine, "grid", area="南通家纺城", metric=METRIC, fmt="png")),
        "plain_png": ("常规做法：geopandas plot + savefig 300 dpi（无图饰）", lambda: plain_png(engine)),
    }
    medians: dict[str, float] = {}
    rows = []
    for key, (label, fn) in cases.items():
        medians[key] = statistics.median(timed(fn, args.repeat))
        rows.append((label, medians[key]))

    pages = []

    def atlas() -> None:
        info = write_atlas(engine, "town", io.BytesIO(), metric=METRIC)
        pages.append(len(info.pages))

    medians["town_atlas"] = statistics.median(timed(atlas, max(2, args.repeat // 2)))
    rows.append((f"镇街图集 PDF（{pages[-1]} 页）", medians["town_atlas"]))

    print(f"示例区（{engine.district_name}，16 个镇街），引擎已加载；首次导出（含字体注册）{first:.2f} s")
    print(format_table(["导出", "中位数"], [[label, f"{seconds:.2f} s"] for label, seconds in rows]))
    maps = [medians[k] for k in ("png_a4", "pdf_a4", "svg_a4", "html", "png_grid_focus")]
    ok = max(maps) < GOAL_MAP_S and medians["town_atlas"] < GOAL_ATLAS_S
    print(f"目标：每幅地图 < {GOAL_MAP_S:.0f} s，图集 < {GOAL_ATLAS_S:.0f} s — {'达到' if ok else '未达到'}")
    result = {k: round(v, 3) for k, v in medians.items()}
    result.update({"first_export_s": round(first, 3), "atlas_pages": pages[-1], "goal_map_s": GOAL_MAP_S,
                   "goal_atlas_s": GOAL_ATLAS_S, "goals_met": ok, "repeat": args.repeat})
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
