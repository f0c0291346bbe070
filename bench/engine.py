"""Benchmark: the engine's placement + every level + service coverage vs the plain geopandas way.

Generates (seeded, in memory, never in git) over the demo district's towns and
parks: N enterprises (default 100,000), 10 rights each in an ip_records table
(1,000,000), an official-style grid of about 10,000 cells and 200 service
points.  Then times, load-free (the layers are already in memory):

* ipgrid: a fresh ``Engine`` — rights rolled up, firms placed in towns,
  parks and cells, the district/town/park/grid tables, service reach and the
  nearest service point of every firm;
* plain: the same figures done the usual way — rights classified with pandas
  string methods, exploded by holder, merged and grouped; one
  ``geopandas.sjoin`` per level then ``groupby``; ``sjoin_nearest`` to the
  service points.

Prints a table and, as the last line, JSON with the medians and the ratio.
Run: ``python bench/engine.py [--firms N] [--repeat K] [--scales 10000,1000000]``.
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
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import timed  # noqa: E402

from dashboard.engine import Engine  # noqa: E402
from dashboard.engine.grids import generate_grid  # noqa: E402
from loaders import DataBundle, Layer, load_folder  # noqa: E402
from loaders.config import DEFAULT_SERVICE_RADIUS_M  # noqa: E402
from loaders.layers import normalize_company_names  # noqa: E402
from loaders.schema import HOLDING_FIELDS  # noqa: E402

METRIC = "EPSG:4549"
TYPES = list(DEFAULT_SERVICE_RADIUS_M)
STATUSES = np.array(["有效", "有效", "有效", "失效", "审中", "授权", "驳回"])
VALID = {"有效", "授权"}
GRID_CELL_M = 367.0  # about 10,000 cells over the demo district


def random_points(union_metric: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points (metric x, y) in the union's bounding box, about 95 % inside it (rest are 区外)."""
    xmin, ymin, xmax, ymax = union_metric.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        xy = np.column_stack([rng.uniform(xmin, xmax, 2 * n), rng.uniform(ymin, ymax, 2 * n)])
        inside = shapely.contains_xy(union_metric, xy[:, 0], xy[:, 1])
        keep = inside | (rng.random(len(xy)) < 0.05)
        out = np.vstack([out, xy[keep]])
    return out[:n]


def to_lonlat(xy: np.ndarray) -> gpd.GeoSeries:
    return gpd.GeoSeries.from_xy(xy[:, 0], xy[:, 1], crs=METRIC).to_crs(4326)


def random_rights(names: np.ndarray, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rights in ip_records' canonical columns: skewed owners among ``names``, 5 % joint, 2 % a university's."""
    n_firms = len(names)
    owner = (rng.pareto(1.2, n) * n_firms / 50).astype(np.int64) % n_firms
    digit = rng.choice(np.array(["1", "2", "3"]), n, p=[0.3, 0.5, 0.2])
    year = rng.integers(2010, 2026, n).astype(str)
    serial = np.char.zfill(rng.integers(0, 9_999_999, n).astype(str), 7)
    number = np.char.add(np.char.add(np.char.add(year, digit), serial), ".1")
    holder = names[owner].copy()
    joint = rng.random(n) < 0.05
    holder[joint] = holder[joint] + ";" + names[(owner[joint] + 1) % n_firms]
    holder[rng.random(n) < 0.02] = "南通大学"
    return pd.DataFrame({
        "number": number.astype(object), "holder": holder, "holder_uscc": None, "right_type": None,
        "legal_status": rng.choice(STATUSES, n).astype(object),
        "app_date": pd.NaT, "grant_date": pd.NaT, "lapse_date": pd.NaT,
        "high_value": pd.array(rng.random(n) < 0.1, dtype="boolean"), "title": None,
        "source_row": np.arange(2, n + 2),
    })


def make_bundle(n_firms: int, rights_per_firm: int, seed: int) -> DataBundle:
    """The demo's towns, parks and settings with synthetic firms, rights, grid and service points."""
    demo = load_folder(ROOT / "geodata" / "demo")
    rng = np.random.default_rng(seed)
    union = shapely.union_all(demo.frame("towns").to_crs(METRIC).geometry.values)

    pts = to_lonlat(random_points(union, n_firms, rng))
    lon, lat = pts.x.to_numpy().copy(), pts.y.to_numpy().copy()
    unmapped = rng.random(n_firms) < 0.01
    lon[unmapped] = lat[unmapped] = np.nan
    geometry = np.where(unmapped, None, pts.values)
    names = np.char.add(np.char.add("基准企业", np.arange(n_firms).astype(str)), "有限公司").astype(object)
    firms = pd.DataFrame({
        "name": names, "uscc": None, "address": None, "lon": lon, "lat": lat, "coord_system": None,
        "town": None, "industry": rng.choice(["汽车及零部件", "新一代信息技术", "智能装备", "高端纺织", "电子元器件"],
                                              n_firms),
        "tier": np.where(rng.random(n_firms) < 0.05, "成长型", None),
    })
    for key in HOLDING_FIELDS:
        firms[key] = 0.0
    firms["pledge_amount_wan"] = np.where(rng.random(n_firms) < 0.02, rng.uniform(10, 500, n_firms), 0.0)
    firms["contact"] = firms["phone"] = None
    firms["source_row"] = np.arange(4, n_firms + 4)
    firms = gpd.GeoDataFrame(firms, geometry=geometry, crs=4326)

    records = random_rights(names, n_firms * rights_per_firm, rng)

    cells = generate_grid(union, GRID_CELL_M, "square", crs=METRIC).to_crs(4326)
    grids = gpd.GeoDataFrame({"grid_id": cells["grid_id"], "name": None, "parent": None,
                              "commissioner": None, "phone": None,
                              "source_row": np.arange(1, len(cells) + 1)}, geometry=cells.geometry.values,
                             crs=4326)

    sp_xy = random_points(union, 200, rng)
    sp = gpd.GeoDataFrame({"name": [f"站点{i}" for i in range(200)], "type": rng.choice(TYPES, 200),
                           "address": None, "contact": None, "phone": None, "radius_m": np.nan,
                           "source_row": np.arange(2, 202)}, geometry=to_lonlat(sp_xy).values, crs=4326)

    # text columns as the loaders give them (pandas' Arrow-backed "str")
    for frame in (firms, records):
        for col in frame.columns:
            if frame[col].dtype == object and col != "geometry":
                frame[col] = frame[col].astype("str")
    firms["name_key"] = normalize_company_names(firms["name"])  # as the loaders give it
    bundle = DataBundle(folder=demo.folder, config=demo.config, problems=demo.problems)
    bundle.layers = dict(demo.layers)
    for name, frame in (("enterprises", firms), ("ip_records", records), ("grids", grids),
                        ("service_points", sp)):
        bundle.layers[name] = Layer(name, frame, "(generated)", len(frame), len(frame))
    return bundle


def ipgrid_way(bundle: DataBundle) -> dict[str, pd.DataFrame]:
    """Everything the pages need, from a fresh engine."""
    engine = Engine(bundle)
    tables = {level: engine.stats(level) for level in ("district", "town", "park", "grid")}
    tables["nearest"] = pd.DataFrame({"index": engine.nearest[0], "distance": engine.nearest[1]})
    return tables


def plain_way(bundle: DataBundle) -> dict[str, pd.DataFrame]:
    """The same figures with pandas/geopandas as one would write them directly."""
    cfg = bundle.config
    firms = bundle.frame("enterprises").to_crs(METRIC)
    rec = bundle.frame("ip_records")
    kind = rec["number"].str[4].map({"1": "invention_patents", "2": "utility_models", "3": "designs"})
    valid = rec["legal_status"].isin(VALID)
    rights = pd.DataFrame({"holder": rec["holder"].str.split(";"), "kind": kind,
                           "hv": rec["high_value"].fillna(False) & (kind == "invention_patents")})[valid]
    rights = rights.explode("holder")
    index = pd.Series(np.arange(len(firms)), index=firms["name"].to_numpy())
    rights["firm"] = rights["holder"].map(index)
    rights = rights.dropna(subset=["firm"])
    counts = rights.groupby(["firm", "kind"]).size().unstack(fill_value=0)
    hv = rights.groupby("firm")["hv"].sum()
    for key in ("invention_patents", "utility_models", "designs"):
        firms[key] = counts[key].reindex(np.arange(len(firms)), fill_value=0).to_numpy()
    firms["high_value_inventions"] = hv.reindex(np.arange(len(firms)), fill_value=0).to_numpy()
    firms["has_ip"] = firms[list(HOLDING_FIELDS)].sum(axis=1) > 0

    sp = bundle.frame("service_points").to_crs(METRIC)
    sp["radius"] = sp["type"].map(cfg.radius_for)
    located = firms[~firms.geometry.isna()]
    near = gpd.sjoin_nearest(located[["geometry"]], sp[["geometry", "radius"]], distance_col="d")
    near = near[~near.index.duplicated()]
    firms["covered"] = False
    firms.loc[near.index, "covered"] = (near["d"] <= near["radius"]).to_numpy()

    out = {}
    sums = ["invention_patents", "utility_models", "designs", "high_value_inventions", "pledge_amount_wan",
            "has_ip", "covered"]
    gi = bundle.frame("gi_areas").to_crs(METRIC)
    for level, name in (("town", "towns"), ("park", "parks"), ("grid", "grids")):
        areas = bundle.frame(name).to_crs(METRIC)
        joined = gpd.sjoin(firms[[*sums, "tier", "industry", "geometry"]], areas[["geometry"]], predicate="within")
        g = joined.groupby("index_right")[sums].sum()
        g["enterprises"] = joined.groupby("index_right").size()
        g = g.join(joined.groupby(["index_right", "tier"]).size().unstack(fill_value=0).add_prefix("tier:"))
        g = g.join(joined.groupby(["index_right", "industry"]).size().unstack(fill_value=0)
                   .add_prefix("industry:"))
        g = g.reindex(range(len(areas)), fill_value=0)
        g["area_km2"] = areas.area.to_numpy() / 1e6
        g["ip_coverage_rate"] = g["has_ip"] / g["enterprises"].where(g["enterprises"] > 0)
        g["inventions_per_km2"] = g["invention_patents"] / g["area_km2"]
        if "population" in areas:
            g["high_value_per_10k_pop"] = g["high_value_inventions"] / areas["population"].to_numpy() * 1e4
        hits = gpd.sjoin(areas[["geometry"]], gi[["geometry"]], predicate="intersects")
        touching = gpd.sjoin(areas[["geometry"]], gi[["geometry"]], predicate="touches")
        hits = hits[~hits.set_index("index_right", append=True).index.isin(
            touching.set_index("index_right", append=True).index)]
        g["gi_count"] = hits.groupby(level=0).size().reindex(range(len(areas)), fill_value=0)
        out[level] = g
    district = firms[sums].sum()
    district["enterprises"] = len(firms)
    district["area_km2"] = bundle.frame("towns").to_crs(METRIC).union_all().area / 1e6
    out["district"] = district
    out["nearest"] = near
    return out


def check_agreement(bundle: DataBundle) -> str:
    """The two ways agree on the town table (firms and inventions per town)."""
    ours = ipgrid_way(bundle)["town"].iloc[:-2]
    plain = plain_way(bundle)["town"]
    same_firms = (ours["enterprises"].to_numpy() == plain["enterprises"].to_numpy()).mean()
    same_inv = np.isclose(ours["invention_patents"].to_numpy(dtype=float),
                          plain["invention_patents"].to_numpy(dtype=float)).mean()
    return f"towns agreeing: firms {same_firms:.0%}, inventions {same_inv:.0%}"


def run_scale(n_firms: int, repeat: int, seed: int, *, plain: bool = True) -> dict[str, float]:
    start = time.perf_counter()
    bundle = make_bundle(n_firms, 10, seed)
    cells = len(bundle.frame("grids"))
    print(f"\n{n_firms:,} firms, {10 * n_firms:,} rights, {cells:,} cells, 200 service points "
          f"(generated in {time.perf_counter() - start:.1f} s)")
    if plain:
        print(check_agreement(bundle))
    ours = timed(lambda: ipgrid_way(bundle), repeat)
    result = {"firms": n_firms, "rights": 10 * n_firms, "cells": cells,
              "ipgrid_median_s": round(statistics.median(ours), 3)}
    print(f"  ipgrid Engine  median {statistics.median(ours):.3f} s  ({repeat} runs: "
          + ", ".join(f"{t:.3f}" for t in ours) + ")")
    if plain:
        theirs = timed(lambda: plain_way(bundle), repeat)
        result["plain_median_s"] = round(statistics.median(theirs), 3)
        result["ratio"] = round(statistics.median(theirs) / statistics.median(ours), 2)
        print(f"  plain geopandas median {statistics.median(theirs):.3f} s  -> {result['ratio']}x")
    return result


def main() -> None:
    """Run the benchmark and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scales", default="", help="extra sizes, e.g. 10000,1000000")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    main_result = run_scale(args.firms, args.repeat, args.seed)
    scales = [main_result]
    for size in filter(None, args.scales.split(",")):
        n = int(size)
        scales.append(run_scale(n, 3 if n > args.firms else args.repeat, args.seed, plain=n <= 200_000))
    print("\nfirms      rights      ipgrid s  plain s  ratio")
    for r in sorted(scales, key=lambda r: r["firms"]):
        print(f"{r['firms']:>9,}  {r['rights']:>10,}  {r['ipgrid_median_s']:>8.3f}  "
              f"{r.get('plain_median_s', float('nan')):>7.3f}  {r.get('ratio', float('nan')):>5}")
    print(json.dumps({**main_result, "scales": scales}))


if __name__ == "__main__":
    main()
