"""Benchmark: the app's page reruns and the overview map's size with 100,000 enterprises.

Uses the engine benchmark's data set (:func:`bench.engine.make_bundle`: the
demo's towns and parks, N synthetic enterprises with 10 rights each, an
official-style grid of about 10,000 cells, 200 service points), loaded once
into the app's store, then drives the real app headless with Streamlit's
``AppTest`` — every figure is a full script run: the sidebar, the engine's
memoised tables, the filtered firms, the map built and serialised by
streamlit-folium, the tables sent to the browser.

* rerun after a filter change: on 镇街 (industry, has-IP, search that flies
  the map), on 总览 (metric, classification, level), median of all;
* the overview map's HTML: the default view, and with every layer on
  (enterprises aggregated, 10,000 grid cells), against a naive
  ``folium.GeoJson`` of everything (every firm as a point with all its
  columns, every cell and town with all their figures).

Goal: rerun < 0.5 s, map HTML < 2 MB.  Prints a table and, as the last
line, JSON.  Run: ``python bench/app.py [--firms N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import folium  # noqa: E402
from engine import make_bundle  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard.app_data import DATA_ENV, WARM_UP, LoadedData, data_store, folder_key  # noqa: E402
from dashboard.engine import Engine  # noqa: E402
from dashboard.maps import level_map, map_html  # noqa: E402
from dashboard.maps.views import DEFAULT_LAYERS, LAYERS, firm_tips  # noqa: E402

APP = ROOT / "streamlit_app.py"
GOAL_RERUN_S = 0.5
GOAL_HTML_MB = 2.0


def load_into_store(n_firms: int, seed: int) -> tuple[Path, LoadedData]:
    """Build the data set and put it in the app's store as if the app had loaded a folder."""
    start = time.perf_counter()
    bundle = make_bundle(n_firms, 10, seed)
    made = time.perf_counter() - start
    engine = Engine(bundle)
    start = time.perf_counter()
    for _label, step in WARM_UP:
        step(engine)
    firm_tips(engine)  # the app adds this step (streamlit_app.py)
    warm = time.perf_counter() - start
    folder = Path(tempfile.mkdtemp(prefix="ipgrid-bench-app-"))
    data = LoadedData(folder=folder.resolve(), signature=(), bundle=bundle, engine=engine, seconds=made + warm,
                      loaded_at=time.time())
    data_store().put(folder_key(folder.resolve(), ()), data)
    print(f"{n_firms:,} firms, {len(bundle.frame('ip_records')):,} rights, {len(engine.cells):,} cells, "
          f"{len(bundle.frame('service_points'))} service points: generated in {made:.1f} s, engine warm-up "
          f"{warm:.1f} s")
    return folder, data


def timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def town_reruns(at: AppTest, repeat: int) -> list[float]:
    """镇街: switch industry, has-IP filter and search back and forth."""
    at.switch_page("dashboard/pages/town.py")
    timed_run(at)
    industries = at.multiselect(key="town.industry").options
    times = []
    for i in range(repeat):
        at.multiselect(key="town.industry").set_value([industries[i % len(industries)]])
        times.append(timed_run(at))
        at.selectbox(key="town.ip").set_value("without" if i % 2 == 0 else "all")
        times.append(timed_run(at))
        at.text_input(key="town.q").set_value(f"基准企业{i + 1}" if i % 2 == 0 else "")
        times.append(timed_run(at))
    return times


def overview_reruns(at: AppTest, repeat: int) -> list[float]:
    """总览: change the metric, the classification and the level."""
    at.switch_page("dashboard/pages/overview.py")
    timed_run(at)
    metrics = ["ip_coverage_rate", "invention_patents", "high_value_per_10k_pop", "enterprises"]
    times = []
    for i in range(repeat):
        at.selectbox(key="overview.metric").set_value(metrics[i % len(metrics)])
        times.append(timed_run(at))
        at.selectbox(key="overview.scheme").set_value(["quantiles", "natural_breaks"][i % 2])
        times.append(timed_run(at))
        at.selectbox(key="overview.level").set_value(["park", "town"][i % 2])
        times.append(timed_run(at))
    return times


def naive_html(data: LoadedData) -> int:
    """Size of one folium map holding everything as plain ``folium.GeoJson`` (no simplification, all columns)."""
    engine = data.engine
    fmap = folium.Map(tiles=None)
    for level in ("town", "park", "grid"):
        frame = engine.choropleth(level)
        frame = frame.drop(columns=[c for c in frame.columns if ":" in c])
        folium.GeoJson(frame.to_json(na="null"), name=level).add_to(fmap)
    firms = engine.firm_table().dropna(subset=["lon", "lat"])
    import geopandas as gpd  # noqa: PLC0415

    points = gpd.GeoDataFrame(firms, geometry=gpd.points_from_xy(firms["lon"], firms["lat"]), crs=4326)
    folium.GeoJson(points.to_json(na="null"), name="firms").add_to(fmap)
    sp = data.bundle.frame("service_points")
    folium.GeoJson(sp.to_json(na="null"), name="service").add_to(fmap)
    return len(fmap.get_root().render().encode("utf-8"))


def html_sizes(data: LoadedData) -> dict[str, float]:
    """Overview map HTML (MB): default layers, every layer, and the naive way."""
    engine = data.engine
    out = {}
    for name, layers in (("default", DEFAULT_LAYERS), ("all_layers", tuple(LAYERS))):
        start = time.perf_counter()
        html = map_html(level_map(engine, "town", "enterprises", "natural_breaks", 5, layers))
        out[f"html_{name}_mb"] = round(len(html.encode("utf-8")) / 1e6, 3)
        out[f"build_{name}_s"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    out["html_naive_mb"] = round(naive_html(data) / 1e6, 1)
    out["build_naive_s"] = round(time.perf_counter() - start, 1)
    return out


def main() -> None:
    """Run the benchmark and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=4, help="rounds of filter changes per page")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    folder, data = load_into_store(args.firms, args.seed)
    os.environ[DATA_ENV] = str(folder)
    at = AppTest.from_file(str(APP), default_timeout=600)
    first = timed_run(at)
    town = town_reruns(at, args.repeat)
    overview = overview_reruns(at, args.repeat)
    both = town + overview
    sizes = html_sizes(data)

    result = {
        "firms": args.firms, "cells": len(data.engine.cells),
        "first_run_s": round(first, 3),
        "town_rerun_median_s": round(statistics.median(town), 3),
        "overview_rerun_median_s": round(statistics.median(overview), 3),
        "rerun_median_s": round(statistics.median(both), 3),
        "rerun_max_s": round(max(both), 3),
        "reruns": len(both),
        **sizes,
    }
    result["goal_met"] = bool(result["rerun_median_s"] < GOAL_RERUN_S and sizes["html_all_layers_mb"] < GOAL_HTML_MB)
    print(f"\nfirst run (overview, data already loaded)  {first:.3f} s")
    print(f"镇街 rerun after a filter change   median {result['town_rerun_median_s']:.3f} s  "
          f"({len(town)} runs: {min(town):.3f}–{max(town):.3f})")
    print(f"总览 rerun after a control change  median {result['overview_rerun_median_s']:.3f} s  "
          f"({len(overview)} runs: {min(overview):.3f}–{max(overview):.3f})")
    print(f"all reruns                         median {result['rerun_median_s']:.3f} s  (goal < {GOAL_RERUN_S} s)")
    print(f"overview map HTML: default {sizes['html_default_mb']:.2f} MB, every layer "
          f"{sizes['html_all_layers_mb']:.2f} MB (goal < {GOAL_HTML_MB} MB); naive folium.GeoJson of everything "
          f"{sizes['html_naive_mb']:.1f} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
