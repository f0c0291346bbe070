"""Benchmark: a province of districts in one store — one process, a Dask LocalCluster of 1 and 2 workers, PostGIS.

Data: a seeded synthetic province generated straight into the store (never
into spreadsheets, never into git).  Districts sit on a lon/lat lattice over
Jiangsu (116.4–121.8°E, 30.8–35.0°N); each is a convex outline of about
500–1,000 km² cut into 10–16 Voronoi towns, with 2–6 (possibly overlapping)
parks in about 80 % of the districts and none in the others, an official
square grid of 300–1,000 cells in about 40 % (the others' cells are generated
by the engine), 100 service points, ``--firms`` × U(0.5, 1.5) firms (about
95 % inside the district, 1 % without coordinates) and ``--rights-per-firm``
rights per firm in an ``ip_records`` layer, made as ``bench/engine.py`` makes
them.  Each district's metric CRS is its own CGCS2000 3-degree Gauss-Krüger
zone by central longitude (CM = 3·round(lon/3), EPSG = 4534 + (CM − 75)/3:
EPSG:4548 at 117°E, 4549 at 120°E, 4550 at 123°E).  District i is the same
whatever the sizes asked for (its generator is seeded with (seed, i)); only
its place on the lattice depends on the largest size.

Sizes are cumulative (``--sizes 10,30,100``): districts 1..10 are generated,
prepared (``prepare_bundle``: engine + precompute) and committed, then the
figures are measured; then districts 11..30 are added and measured again, and
so on.  The import logs a rate (districts/min) and the store's size
(``pg_database_size``).

At each size, for one level (``--level``, default ``town``), it times:

* single process: ``run_batch(store, level, workers=0)`` in a fresh Python
  process (every district one after another); its peak RSS is that process's
  own ``VmHWM`` (``ru_maxrss`` of a child started from a large parent starts at
  the parent's RSS on Linux, so it is recorded but not used);
* Dask: ``run_batch(store, level, workers=N)`` for N = 1 and 2, each in a fresh
  driver process (LocalCluster start included); the per-worker peak RSS is
  ``BatchResult.peak_rss_by_worker()`` (each worker's own ``VmHWM``, as
  :func:`dashboard.scale.tasks.peak_rss_bytes` reads it), the driver's own peak is its ``VmHWM``;
* one district alone: ``run_district`` of the largest district in a fresh
  process, its ``VmHWM`` (what "one district's data" costs);
* PostGIS: ``postgis_counts(store, level)`` (``ST_Covers`` in the database).

``--repeat`` runs each (default 3 up to 10 districts, 1 above; medians).  The
figures are checked: the Dask tables must equal the single-process table
exactly, and the PostGIS counts must equal the engine's count columns on every
row they share (``same_figures``; a mismatch is printed, never hidden).

The report: a table per size, the measured 1→2 worker speedup, the cost per
firm at the smallest against the largest size (linearity), and a paper
extrapolation to 16 cores and to a cluster of machines from the measured
per-district seconds (kept apart under ``extrapolated`` in the JSON).

The store is a throwaway PostgreSQL + PostGIS cluster (``tests/pg_cluster.py``,
fsync off) unless ``--store URL`` names an existing database (districts the
benchmark already put there are reused, other districts are refused).
Automatic backups are off during the imports (``IPGRID_STORE_BACKUPS=0``).

The default run (10, 30, 100 districts of 50,000 firms and 500,000 rights on
average: 5.1M firms and 51M rights at the end, about 10 GB of store) takes
about 15 minutes on a 2-core machine (5 of them the imports, about 20
districts a minute); ``--quick`` (2 and 4 districts of 3,000 firms) about a
minute.

Run: ``python bench/scale.py [--sizes 10,30,100] [--firms 50000] [--rights-per-firm 10] [--level town]
[--repeat K] [--seed 20251231] [--store URL] [--quick]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from engine import TYPES, random_points, random_rights  # noqa: E402  (bench/engine.py)

from dashboard.engine.grids import generate_grid  # noqa: E402
from dashboard.store import Store  # noqa: E402
from dashboard.store import backup as store_backup  # noqa: E402
from dashboard.store.importer import prepare_bundle  # noqa: E402
from loaders import DataBundle, Layer, load_folder  # noqa: E402
from loaders.config import DistrictInfo  # noqa: E402
from loaders.layers import normalize_company_names  # noqa: E402
from loaders.problems import ProblemLog  # noqa: E402
from loaders.schema import HOLDING_FIELDS  # noqa: E402

AS_OF = "2025-12-31"
BOX = (116.4, 30.8, 121.8, 35.0)
"""Jiangsu's extent (lon/lat) the districts are laid out over."""
DEFAULT_SEED = 20251231
INDUSTRIES = ["汽车及零部件", "新一代信息技术", "智能装备", "高端纺织", "电子元器件", "生物医药", "新材料"]
PARK_LEVELS = np.array(["国家级", "省级", "市级"])
SERVICE_POINTS = 100
PARK_SHARE, OFFICIAL_GRID_SHARE = 0.8, 0.4
LEVEL_CHOICES = ("district", "town", "park", "grid")
EXTRAPOLATE_WORKERS = {"16 cores (one machine)": 16, "4 machines × 16 cores": 64}
"""Paper clusters; a cluster of one worker per district is added for each size."""


def log(text: str) -> None:
    """A progress line (stdout, flushed; the JSON line comes last)."""
    print(text, flush=True)


def med(values: list[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


def mb(value: float | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


def fmt(value: float | None, spec: str = ".1f", unit: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{unit}"


# -- generation ---------------------------------------------------------------------------------


def zone_crs(lon: float) -> str:
    """The CGCS2000 3-degree Gauss-Krüger zone of a longitude: CM = 3·round(lon/3), EPSG 4534 + (CM − 75)/3."""
    cm = 3 * math.floor(lon / 3 + 0.5)
    return f"EPSG:{4534 + (cm - 75) // 3}"


@dataclasses.dataclass(frozen=True)
class DistrictPlan:
    """One synthetic district: where it is, its zone and how much it holds."""

    index: int
    name: str
    lon: float
    lat: float
    crs: str
    firms: int
    rights: int
    parks: bool
    official_grid: bool


def district_rng(seed: int, index: int, part: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, index, part])


def plan_districts(n: int, firms: int, rights_per_firm: int, seed: int) -> list[DistrictPlan]:
    """Districts 1..n on a lattice over :data:`BOX` (row by row from the south-west)."""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    west, south, east, north = BOX
    plans = []
    for i in range(1, n + 1):
        rng = district_rng(seed, i)
        row, col = divmod(i - 1, cols)
        lon = west + (col + 0.5 + rng.uniform(-0.05, 0.05)) * (east - west) / cols
        lat = south + (row + 0.5 + rng.uniform(-0.05, 0.05)) * (north - south) / rows
        k = max(1, round(firms * rng.uniform(0.5, 1.5)))
        plans.append(DistrictPlan(index=i, name=f"第{i:03d}区", lon=round(lon, 5), lat=round(lat, 5),
                                  crs=zone_crs(lon), firms=k, rights=k * rights_per_firm,
                                  parks=bool(rng.random() < PARK_SHARE),
                                  official_grid=bool(rng.random() < OFFICIAL_GRID_SHARE)))
    return plans


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as the loaders give them (pandas' Arrow-backed ``str``)."""
    for col in frame.columns:
        if frame[col].dtype == object and col != "geometry":
            frame[col] = frame[col].astype("str")
    return frame


def outline_of(rng: np.random.Generator, x0: float, y0: float) -> shapely.Polygon:
    """A convex outline of about 500–1,000 km² around (x0, y0), in metres."""
    a, b = rng.uniform(14_000, 19_000), rng.uniform(11_000, 15_000)
    angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    radius = rng.uniform(0.85, 1.1, len(angles))
    ring = np.column_stack([x0 + a * radius * np.cos(angles), y0 + b * radius * np.sin(angles)])
    return shapely.convex_hull(shapely.multipoints(ring))


def points_inside(poly: shapely.Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    xmin, ymin, xmax, ymax = poly.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        xy = np.column_stack([rng.uniform(xmin, xmax, 4 * n), rng.uniform(ymin, ymax, 4 * n)])
        out = np.vstack([out, xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]])
    return out[:n]


def towns_of(plan: DistrictPlan, outline: shapely.Polygon, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """10–16 Voronoi towns filling the outline, named and coded by position (north-west first)."""
    seeds = points_inside(outline, int(rng.integers(10, 17)), rng)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline)
    shapes = [shapely.intersection(c, outline) for c in shapely.get_parts(cells)]
    shapes = [s for s in shapes if isinstance(s, shapely.Polygon) and s.area > 0]
    shapes.sort(key=lambda s: (-round(s.centroid.y, -3), s.centroid.x))
    n = len(shapes)
    kinds = np.where(rng.random(n) < 0.3, "街道", "镇")
    return gpd.GeoDataFrame({
        "name": [f"{plan.name}第{j + 1:02d}{k}" for j, k in enumerate(kinds)],
        "code": [f"D{plan.index:03d}T{j + 1:02d}" for j in range(n)], "kind": kinds.astype(object),
        "population": rng.integers(20_000, 150_000, n).astype("float64"), "source_row": np.arange(2, n + 2),
    }, geometry=shapes, crs=plan.crs)


def parks_of(plan: DistrictPlan, outline: shapely.Polygon, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """2–6 rectangular parks inside the outline (they may overlap)."""
    n = int(rng.integers(2, 7))
    centres = points_inside(outline, n, rng)
    half = rng.uniform(400, 2_000, (n, 2))
    shapes = [shapely.intersection(shapely.box(x - w, y - h, x + w, y + h), outline)
              for (x, y), (w, h) in zip(centres, half, strict=True)]
    return gpd.GeoDataFrame({
        "name": [f"{plan.name}第{j + 1}园区" for j in range(n)], "code": [None] * n,
        "level": rng.choice(PARK_LEVELS, n).astype(object), "town": None, "population": np.nan,
        "source_row": np.arange(2, n + 2)}, geometry=shapes, crs=plan.crs)


def grids_of(plan: DistrictPlan, outline: shapely.Polygon, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """An official square grid of about 300–1,000 cells over the outline."""
    cell_m = math.sqrt(outline.area / int(rng.integers(300, 1_001)))
    cells = generate_grid(outline, cell_m, "square", crs=plan.crs)
    n = len(cells)
    return gpd.GeoDataFrame({"grid_id": [f"D{plan.index:03d}-{g}" for g in cells["grid_id"]], "name": None,
                             "parent": None, "commissioner": None, "phone": None,
                             "source_row": np.arange(2, n + 2)}, geometry=cells.geometry.values, crs=plan.crs)


def firms_of(plan: DistrictPlan, union: shapely.Polygon, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """The firms as ``bench/engine.py`` makes them (about 95 % inside, 1 % without coordinates)."""
    n = plan.firms
    pts = gpd.GeoSeries.from_xy(*random_points(union, n, rng).T, crs=plan.crs).to_crs(4326)
    lon, lat = pts.x.to_numpy().copy(), pts.y.to_numpy().copy()
    unmapped = rng.random(n) < 0.01
    lon[unmapped] = lat[unmapped] = np.nan
    names = np.char.add(np.char.add(f"{plan.name}企业", np.arange(n).astype(str)), "有限公司").astype(object)
    firms = pd.DataFrame({"name": names, "uscc": None, "address": None, "lon": lon, "lat": lat,
                          "coord_system": None, "town": None, "industry": rng.choice(INDUSTRIES, n),
                          "tier": np.where(rng.random(n) < 0.05, "成长型", None)})
    for key in HOLDING_FIELDS:
        firms[key] = 0.0
    firms["pledge_amount_wan"] = np.where(rng.random(n) < 0.02, rng.uniform(10, 500, n).round(2), 0.0)
    firms["contact"] = firms["phone"] = None
    firms["source_row"] = np.arange(2, n + 2)
    return gpd.GeoDataFrame(as_text(firms), geometry=np.where(unmapped, None, pts.values), crs=4326)


def rights_of(plan: DistrictPlan, names: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The rights as ``bench/engine.py`` makes them (skewed owners, 5 % joint, 2 % a university's)."""
    return as_text(random_rights(names, plan.rights, rng))


def service_points_of(plan: DistrictPlan, union: shapely.Polygon, rng: np.random.Generator) -> gpd.GeoDataFrame:
    xy = random_points(union, SERVICE_POINTS, rng)
    return gpd.GeoDataFrame({"name": [f"{plan.name}站点{i}" for i in range(SERVICE_POINTS)],
                             "type": rng.choice(TYPES, SERVICE_POINTS), "address": None, "contact": None,
                             "phone": None, "radius_m": np.nan, "source_row": np.arange(2, SERVICE_POINTS + 2)},
                            geometry=gpd.points_from_xy(*xy.T), crs=plan.crs)


def district_bundle(plan: DistrictPlan, base: DataBundle, seed: int) -> DataBundle:
    """One district's canonical layers in EPSG:4326, its config naming its own metric CRS."""
    rng = district_rng(seed, plan.index, 1)
    x0, y0 = gpd.GeoSeries.from_xy([plan.lon], [plan.lat], crs=4326).to_crs(plan.crs).iloc[0].coords[0]
    outline = outline_of(rng, x0, y0)
    towns = towns_of(plan, outline, rng)
    union = shapely.union_all(towns.geometry.values)
    layers: dict[str, pd.DataFrame] = {"towns": towns}
    if plan.parks:
        layers["parks"] = parks_of(plan, outline, rng)
    if plan.official_grid:
        layers["grids"] = grids_of(plan, outline, rng)
    layers["service_points"] = service_points_of(plan, union, rng)
    layers = {name: as_text(frame.to_crs(4326)) for name, frame in layers.items()}
    firms = firms_of(plan, union, rng)
    firms["name_key"] = normalize_company_names(firms["name"])  # as the loaders give it
    layers["enterprises"] = firms
    layers["ip_records"] = rights_of(plan, firms["name"].to_numpy(dtype=object), rng)
    info = DistrictInfo(name="", data_date="", source="规模基准测试（合成数据）", demo=False,
                        population=float(towns["population"].sum()))
    config = dataclasses.replace(base.config, district=info, metric_crs=plan.crs)
    bundle = DataBundle(folder=base.folder, config=config, problems=ProblemLog())
    bundle.layers = {name: Layer(name, frame, "(generated)", len(frame), len(frame))
                     for name, frame in layers.items()}
    return bundle


# -- store --------------------------------------------------------------------------------------


def store_bytes(location: str) -> int | None:
    """``pg_database_size`` of a PostGIS store, the file's size of a GeoPackage."""
    if not location.startswith("postgresql"):
        path = Path(location)
        return path.stat().st_size if path.exists() else None
    import sqlalchemy as sa

    engine = sa.create_engine(location.replace("postgresql://", "postgresql+psycopg://", 1),
                              poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar())
    finally:
        engine.dispose()


def existing_districts(store: Store, plans: list[DistrictPlan]) -> dict[str, dict[str, int]]:
    """Districts of ours already in the store (their rows); refuse a store holding any other district."""
    ours = {p.name for p in plans}
    known = store.districts()
    others = [d for d in known if d not in ours]
    if others:
        raise SystemExit(f"--store already holds other districts ({'、'.join(others[:5])} …): "
                         "use an empty database for this benchmark")
    out = {}
    for name in known:
        active = store.for_district(name).active_versions()
        if active:
            rows = active[-1].rows
            out[name] = {"firms": rows.get("enterprises", 0), "rights": rows.get("ip_records", 0)}
    return out


def import_districts(plans: list[DistrictPlan], store: Store, base: DataBundle, args: argparse.Namespace,
                     done: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Generate, prepare and commit each planned district not yet in the store; log a rate and the size."""
    steps: dict[str, list[float]] = {"generate": [], "prepare": [], "commit": []}
    start, added = time.perf_counter(), 0
    for plan in plans:
        if plan.name in done:
            log(f"  {plan.name} already in the store: {done[plan.name]['firms']:,} firms (reused)")
            continue
        t0 = time.perf_counter()
        bundle = district_bundle(plan, base, args.seed)
        t1 = time.perf_counter()
        prepared = prepare_bundle(bundle, AS_OF, store=store, district=plan.name, note="规模基准（合成数据）")
        t2 = time.perf_counter()
        store.commit(prepared, user="bench-scale")
        t3 = time.perf_counter()
        done[plan.name] = {"firms": plan.firms, "rights": plan.rights}
        del bundle, prepared
        gc.collect()
        for key, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            steps[key].append(seconds)
        added += 1
        rate = added / (time.perf_counter() - start) * 60
        log(f"  {plan.name} {plan.crs} ({plan.lon:.2f}°E {plan.lat:.2f}°N) {plan.firms:,} firms "
            f"{plan.rights:,} rights, parks {'yes' if plan.parks else 'no'}, grid "
            f"{'official' if plan.official_grid else 'generated'}: generated {t1 - t0:.1f} s, "
            f"prepared {t2 - t1:.1f} s, committed {t3 - t2:.1f} s; {len(done)} districts in the store, "
            f"{rate:.1f} districts/min, store {fmt(mb(store_bytes(args.url)), '.0f', ' MB')}")
    elapsed = time.perf_counter() - start
    return {"added": added, "seconds": round(elapsed, 1),
            "districts_per_min": round(added / elapsed * 60, 2) if added else None,
            "median_s": {k: med(v) for k, v in steps.items()}, "total_s": {k: round(sum(v), 1) for k, v in
                                                                             steps.items()}}


def start_store(args: argparse.Namespace, work: Path) -> Any:
    """Set ``args.url``: the ``--store`` given, or a new database in a throwaway cluster (returned, to stop)."""
    if args.store:
        args.url = args.store
        return None
    from pg_cluster import PgCluster, PgStartError, PgUnavailableError

    try:
        cluster = PgCluster().start()
    except (PgUnavailableError, PgStartError) as exc:
        raise SystemExit(f"PostGIS unavailable ({exc}); give an existing database with --store URL") from None
    log(f"PostGIS cluster on 127.0.0.1:{cluster.port} (server {cluster.version}) in {cluster.base}, "
        f"started in {cluster.startup_s:.1f} s")
    args.url = cluster.new_database("bench_scale").replace("postgresql+psycopg://", "postgresql://", 1)
    return cluster


# -- measurement --------------------------------------------------------------------------------

DRIVER = r"""
import json, pickle, resource, sys, time
spec = json.loads(sys.argv[1])
sys.path.insert(0, spec["root"])

def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))

from dashboard.scale import district_tasks, run_batch, run_district
out = {"imports_hwm_bytes": hwm()}
start = time.perf_counter()
if spec["mode"] == "district":
    tasks, _ = district_tasks(spec["url"], spec["level"])
    r = run_district(next(t for t in tasks if t.district == spec["district"]))
    out.update(seconds=r.seconds, firms=r.firms, rows=len(r.table), task_peak_rss_bytes=r.peak_rss_bytes)
elif spec["mode"] == "worker-hwm":  # the same batch on a cluster of our own, to read each worker's VmHWM
    import logging, os
    from distributed import Client, LocalCluster

    def whoami():
        return os.getpid(), hwm()

    cluster = LocalCluster(n_workers=spec["workers"], threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        b = run_batch(spec["url"], spec["level"], scheduler=cluster.scheduler_address)
        pids = {f"{r.worker.rsplit(':', 1)[-1]}": r.worker for r in b.results}
        out.update(seconds=b.seconds, peak_rss_by_worker=b.peak_rss_by_worker(),
                   worker_hwm_bytes={pids.get(str(pid), str(pid)): v for pid, v in client.run(whoami).values()})
    finally:
        client.close()
        cluster.close()
else:
    b = run_batch(spec["url"], spec["level"], workers=spec["workers"])
    out.update(seconds=b.seconds, runner=b.runner, skipped=b.skipped, rows=len(b.table),
               peak_rss_by_worker=b.peak_rss_by_worker(),
               districts=[{"district": r.district, "firms": r.firms, "seconds": r.seconds,
                           "peak_rss_bytes": r.peak_rss_bytes, "worker": r.worker} for r in b.results])
    if spec.get("table"):
        with open(spec["table"], "wb") as f:
            pickle.dump(b.table, f)
out["wall_s"] = time.perf_counter() - start
out["hwm_bytes"] = hwm()
out["ru_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out, ensure_ascii=False))
"""


def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :data:`DRIVER` in a fresh Python process; its JSON line (``error`` with stderr's tail if it failed)."""
    spec = {"root": str(ROOT), **spec}
    proc = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(spec, ensure_ascii=False)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"driver exited {proc.returncode}: {proc.stderr[-3000:]}"}
    return json.loads(lines[-1])


def busy_by_worker(districts: list[dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in districts:
        out[d["worker"]] = out.get(d["worker"], 0.0) + d["seconds"]
    return out


def cost_fit(districts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Least squares of each task's seconds on its district's firms: a fixed cost per task plus a cost per firm."""
    if len(districts) < 3:
        return None
    x = np.array([d["firms"] for d in districts], dtype=float)
    y = np.array([d["seconds"] for d in districts], dtype=float)
    if np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    r2 = 1 - float((residual**2).sum() / ((y - y.mean()) ** 2).sum()) if np.ptp(y) else None
    return {"intercept_s": round(float(intercept), 3), "s_per_100k_firms": round(float(slope) * 1e5, 3),
            "r2": None if r2 is None else round(r2, 3), "tasks": len(districts),
            "firms_min": int(x.min()), "firms_max": int(x.max())}


def run_path(url: str, level: str, workers: int, repeat: int, table: Path) -> dict[str, Any]:
    """``repeat`` drivers of ``run_batch(workers=…)``; medians, the first run's table saved to ``table``."""
    runs = []
    for k in range(repeat):
        run = drive({"mode": "batch", "url": url, "level": level, "workers": workers,
                     "table": str(table) if k == 0 else None})
        if "error" in run:
            return {"error": run["error"], "runs": runs}
        runs.append(run)
    last = runs[-1]
    busy = busy_by_worker(last["districts"])
    largest = max(last["districts"], key=lambda d: d["firms"])
    out = {"seconds": [round(r["seconds"], 3) for r in runs], "median_s": med([r["seconds"] for r in runs]),
           "driver_wall_median_s": med([r["wall_s"] for r in runs]),
           "driver_peak_bytes": max(r["hwm_bytes"] for r in runs),
           "driver_imports_peak_bytes": max(r["imports_hwm_bytes"] for r in runs),
           "driver_ru_maxrss_bytes": max(r["ru_maxrss_bytes"] for r in runs),
           "runner": last["runner"], "skipped": last["skipped"], "rows": last["rows"],
           "district_median_s": med([d["seconds"] for d in last["districts"]]),
           "district_max_s": round(max(d["seconds"] for d in last["districts"]), 3),
           "largest_district_s": round(largest["seconds"], 3), "fit": cost_fit(last["districts"]),
           "busy_by_worker_s": {w: round(s, 2) for w, s in busy.items()},
           "overhead_s": round(last["seconds"] - max(busy.values()), 2),
           "districts": last["districts"]}
    if workers:
        peaks = [max(r["peak_rss_by_worker"].values()) for r in runs]
        out["peak_rss_by_worker"] = last["peak_rss_by_worker"]
        out["worker_peak_max_bytes"] = max(peaks)
    return out


def postgis_path(url: str, level: str, repeat: int) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """``postgis_counts`` timed ``repeat`` times in this process; the first run's table."""
    from dashboard.scale.postgis import postgis_counts

    times, table = [], None
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            got = postgis_counts(url, level)
            times.append(time.perf_counter() - start)
            table = got if table is None else table
    except Exception as exc:  # noqa: BLE001 — recorded and printed: the benchmark reports, never hides
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]}, None
    return {"seconds": [round(t, 3) for t in times], "median_s": med(times), "rows": len(table)}, table


def keyed(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(["district", "id"], kind="stable").reset_index(drop=True)


def same_as_single(single: pd.DataFrame, other: pd.DataFrame) -> dict[str, Any]:
    """``assert_frame_equal`` (exact) of two batch tables sorted by district and id."""
    try:
        pd.testing.assert_frame_equal(keyed(single), keyed(other), check_exact=True)
    except AssertionError as exc:
        return {"same": False, "detail": str(exc)[:1500]}
    return {"same": True, "rows": len(single)}


def same_as_postgis(engine_table: pd.DataFrame, pg: pd.DataFrame) -> dict[str, Any]:
    """The PostGIS counts against the engine's columns of the same names, on every (district, id) both have."""
    from dashboard.scale.postgis import COUNT_KEYS

    keys = [k for k in COUNT_KEYS if k in engine_table.columns and k in pg.columns]
    both = engine_table[["district", "id", *keys]].merge(pg[["district", "id", *keys]], on=["district", "id"],
                                                         suffixes=("_engine", "_postgis"))
    bad: dict[str, int] = {}
    examples = []
    for key in keys:
        a = both[f"{key}_engine"].to_numpy(dtype="float64", na_value=0.0)
        b = both[f"{key}_postgis"].to_numpy(dtype="float64", na_value=0.0)
        # counts must be equal; an amount summed in another order may differ in the last bits
        equal = np.isclose(a, b, rtol=1e-9, atol=1e-6) if key == "pledge_amount_wan" else a == b
        if not equal.all():
            bad[key] = int((~equal).sum())
            row = both.loc[~equal].iloc[0]
            examples.append(f"{row['district']}/{row['id']} {key}: engine {row[f'{key}_engine']}, "
                            f"PostGIS {row[f'{key}_postgis']}")
    return {"same": not bad and len(both) > 0, "rows_compared": len(both), "engine_rows": len(engine_table),
            "postgis_rows": len(pg), "columns": keys, "mismatched_rows_by_column": bad, "examples": examples[:5]}


def load_table(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    with path.open("rb") as f:
        return pickle.load(f)  # noqa: S301 — our own driver's file


def check_figures(work: Path, n: int, pg_table: pd.DataFrame | None) -> dict[str, Any]:
    single = load_table(work / f"single_{n}.pkl")
    if single is None:
        return {"same_figures": False, "detail": "no single-process table"}
    out: dict[str, Any] = {}
    for tag in ("dask1", "dask2"):
        other = load_table(work / f"{tag}_{n}.pkl")
        out[tag] = same_as_single(single, other) if other is not None else {"same": False, "detail": "no table"}
    if pg_table is not None:
        out["postgis"] = same_as_postgis(single, pg_table)
    out["same_figures"] = all(v["same"] for v in out.values())
    return out


def measure_size(n: int, args: argparse.Namespace, work: Path, done: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Every path at ``n`` districts, checked against the single-process figures."""
    repeat = args.repeat or (3 if n <= 10 else 1)
    result: dict[str, Any] = {"districts": n, "firms": sum(d["firms"] for d in done.values()),
                              "rights": sum(d["rights"] for d in done.values()), "repeat": repeat,
                              "store_bytes": store_bytes(args.url)}
    paths = {}
    for tag, workers in (("single", 0), ("dask1", 1), ("dask2", 2)):
        start = time.perf_counter()
        paths[tag] = run_path(args.url, args.level, workers, repeat, work / f"{tag}_{n}.pkl")
        p = paths[tag]
        log(f"  {tag}: " + (f"ERROR {p['error'][-800:]}" if "error" in p else
                            f"median {p['median_s']:.2f} s ({', '.join(f'{s:.2f}' for s in p['seconds'])}), "
                            f"driver peak {mb(p['driver_peak_bytes'])} MB"
                            + (f", worker peaks {sorted(mb(v) for v in p['peak_rss_by_worker'].values())} MB"
                               if workers else "")
                            + f" [{time.perf_counter() - start:.0f} s]"))
    result.update(paths)
    firms_by = {d: v["firms"] for d, v in done.items()}
    largest = max(firms_by, key=lambda d: firms_by[d])
    one = drive({"mode": "district", "url": args.url, "level": args.level, "district": largest})
    result["largest_district"] = {"district": largest, **one}
    log(f"  one district alone ({largest}, {firms_by[largest]:,} firms): "
        + (f"ERROR {one['error'][-800:]}" if "error" in one else
           f"{one['seconds']:.2f} s, peak {mb(one['hwm_bytes'])} MB"))
    hw = drive({"mode": "worker-hwm", "url": args.url, "level": args.level, "workers": 2})
    result["worker_hwm"] = hw
    log("  2 workers of our own LocalCluster, each worker's VmHWM after the batch: "
        + (f"ERROR {hw['error'][-800:]}" if "error" in hw else
           f"{sorted(mb(v) for v in hw['worker_hwm_bytes'].values())} MB (their ru_maxrss: "
           f"{sorted(mb(v) for v in hw['peak_rss_by_worker'].values())} MB), {hw['seconds']:.2f} s"))
    start = time.perf_counter()
    result["postgis"], pg_table = postgis_path(args.url, args.level, repeat)
    pg = result["postgis"]
    log("  PostGIS: " + (f"ERROR {pg['error']}" if "error" in pg else
                         f"median {pg['median_s']:.2f} s ({', '.join(f'{s:.2f}' for s in pg['seconds'])})")
        + f" [{time.perf_counter() - start:.0f} s]")
    result["checks"] = check_figures(work, n, pg_table)
    log(f"  same_figures: {str(result['checks']['same_figures']).lower()}"
        + "".join(f"; {k}: {v.get('detail') or v.get('examples') or 'same'}" for k, v in result["checks"].items()
                  if isinstance(v, dict) and not v["same"]))
    return result


# -- analysis -----------------------------------------------------------------------------------


def path_s(r: dict[str, Any], tag: str) -> float | None:
    block = r.get(tag) or {}
    return block.get("median_s")


def per_100k(r: dict[str, Any], tag: str) -> float | None:
    s = path_s(r, tag)
    return None if s is None or not r["firms"] else round(s / r["firms"] * 1e5, 4)


def linearity(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Seconds per firm at the largest size over seconds per firm at the smallest (1.0 = linear)."""
    if len(results) < 2:
        return {}
    small, large = results[0], results[-1]
    out: dict[str, Any] = {"from_districts": small["districts"], "to_districts": large["districts"],
                           "from_firms": small["firms"], "to_firms": large["firms"]}
    for tag in ("single", "dask1", "dask2", "postgis"):
        a, b = per_100k(small, tag), per_100k(large, tag)
        out[tag] = None if not a or b is None else round(b / a, 3)
    return out


def paper_time(districts: int, workers: int, median_s: float, max_s: float, start_s: float) -> float:
    """Tasks = districts: max(ceil(D / W) × median district s, largest district's s) + cluster start."""
    return round(max(math.ceil(districts / workers) * median_s, max_s) + start_s, 1)


def extrapolate(r: dict[str, Any]) -> dict[str, Any]:
    """The paper model at this size, checked against the measured 1 and 2 workers, then 16 and more workers."""
    single, dask2 = r.get("single") or {}, r.get("dask2") or {}
    if any("error" in (r.get(t) or {"error": 1}) for t in ("single", "dask1", "dask2")):
        return {}
    d, med_s, big_s = r["districts"], single["district_median_s"], single["largest_district_s"]
    start_s = max(dask2["overhead_s"], 0.0)
    model: dict[str, Any] = {"districts": d, "median_district_s": med_s, "largest_district_s": big_s,
                             "cluster_start_s": start_s, "model_check": {}}
    for w in (1, 2):
        run = r[f"dask{w}"]
        model["model_check"][f"{w} worker{'s' if w > 1 else ''}"] = {
            "model_s": paper_time(d, w, med_s, big_s, start_s), "measured_s": path_s(r, f"dask{w}"),
            "model_at_own_task_time_s": paper_time(d, w, run["district_median_s"], run["largest_district_s"],
                                                   start_s)}
    clusters = {**EXTRAPOLATE_WORKERS, f"one worker per district ({d})": d}
    med2, big2 = dask2["district_median_s"], max(big_s, dask2["largest_district_s"])
    model["clusters"] = {label: {"workers": w, "districts_per_worker": math.ceil(d / w),
                                 "seconds": paper_time(d, w, med_s, big_s, start_s),
                                 "seconds_at_2_worker_task_time": paper_time(d, w, med2, big2, start_s)}
                         for label, w in clusters.items()}
    return model


ASSUMPTIONS = [
    "tasks = districts (one partition each); a worker runs one task at a time (one thread)",
    "time ≈ max(ceil(districts / workers) × median district seconds, largest district's seconds) + cluster start",
    "median district seconds and the largest district's (most firms) seconds: the single-process run's tasks at "
    "that size (no other task competing)",
    "cluster start: the measured 2-worker run's seconds minus its busiest worker's task seconds (start, listing "
    "the districts, scheduling, gathering); assumed not to grow with workers (they start in parallel)",
    "'seconds_at_2_worker_task_time': the same with the median task time of the 2-worker run, where the two "
    "workers and the PostgreSQL server shared 2 cores",
    "the store answers every worker at the speed one worker saw: PostGIS on its own machine(s), enough "
    "connections (max_connections ≥ workers + 10) and a network that moves each district's tables (the store "
    "size per district is an upper bound of what a task reads) in well under a task's time",
]


# -- report -------------------------------------------------------------------------------------


def print_table(results: list[dict[str, Any]]) -> None:
    head = (f"{'districts':>9} {'firms':>10} {'rights':>11} {'single s':>9} {'peak MB':>8} {'dask-1 s':>9} "
            f"{'dask-2 s':>9} {'dask-2 worker peak MB':>22} {'PostGIS s':>10} │ s per 100k firms: "
            f"{'single':>7} {'dask-1':>7} {'dask-2':>7} {'PostGIS':>7}")
    print("\n" + head)
    print("─" * len(head))
    for r in results:
        peaks = r.get("dask2", {}).get("peak_rss_by_worker") or {}
        peak_text = " / ".join(f"{mb(v):.0f}" for v in sorted(peaks.values())) or "—"
        print(f"{r['districts']:>9} {r['firms']:>10,} {r['rights']:>11,} {fmt(path_s(r, 'single'), '.2f'):>9} "
              f"{fmt(mb(r.get('single', {}).get('driver_peak_bytes')), '.0f'):>8} "
              f"{fmt(path_s(r, 'dask1'), '.2f'):>9} {fmt(path_s(r, 'dask2'), '.2f'):>9} {peak_text:>22} "
              f"{fmt(path_s(r, 'postgis'), '.2f'):>10} │ {'':>18}"
              + "".join(f"{fmt(per_100k(r, t), '.3f'):>8}" for t in ("single", "dask1", "dask2", "postgis")))


def print_memory(results: list[dict[str, Any]]) -> None:
    print("\nmemory: one district alone (run_district of the largest, a fresh process) against the workers' peaks")
    print(f"{'districts':>9} {'largest district':>17} {'its firms':>10} {'alone MB':>9} {'worker peak MB':>20} "
          f"{'worker VmHWM MB':>16} {'÷ alone':>8} {'single MB':>10} {'store MB':>9} {'same_figures':>13}")
    for r in results:
        one = r.get("largest_district", {})
        worker = r.get("dask2", {}).get("worker_peak_max_bytes")
        clean = max((r.get("worker_hwm", {}).get("worker_hwm_bytes") or {}).values(), default=None)
        alone = one.get("hwm_bytes")
        ratio = None if not clean or not alone else clean / alone
        print(f"{r['districts']:>9} {one.get('district', '—'):>17} {one.get('firms', 0):>10,} "
              f"{fmt(mb(alone), '.0f'):>9} {fmt(mb(worker), '.0f'):>20} {fmt(mb(clean), '.0f'):>16} "
              f"{fmt(ratio, '.2f'):>8} {fmt(mb(r.get('single', {}).get('driver_peak_bytes')), '.0f'):>10} "
              f"{fmt(mb(r['store_bytes']), '.0f'):>9} {str(r['checks']['same_figures']).lower():>13}")
    print("  (every figure is a process's own high-water mark, VmHWM: a worker's as BatchResult reports it, "
          "the VmHWM column read from the workers after the batch)")


def print_scaling(results: list[dict[str, Any]], lin: dict[str, Any], extra: dict[str, Any]) -> None:
    print("\nmeasured 1 → 2 workers (Dask LocalCluster on these 2 cores, PostgreSQL on the same cores):")
    for r in results:
        s = r.get("speedup_1_to_2")
        print(f"  {r['districts']:>4} districts: dask-1 {fmt(path_s(r, 'dask1'), '.2f', ' s')}, dask-2 "
              f"{fmt(path_s(r, 'dask2'), '.2f', ' s')} → speedup {fmt(s, '.2f', '×')} (efficiency "
              f"{fmt(None if s is None else s / 2 * 100, '.0f', ' %')}); median task single "
              f"{fmt(r.get('single', {}).get('district_median_s'), '.2f', ' s')}, in the 2-worker run "
              f"{fmt(r.get('dask2', {}).get('district_median_s'), '.2f', ' s')}")
    print("\ncost per task against its district's firms (least squares over the single-process run's tasks):")
    for r in results:
        f = (r.get("single") or {}).get("fit")
        if f:
            print(f"  {r['districts']:>4} districts: seconds ≈ {f['intercept_s']:.3f} + {f['s_per_100k_firms']:.3f} "
                  f"× firms/100k (R² {fmt(f['r2'], '.3f')}, {f['tasks']} tasks of {f['firms_min']:,}–"
                  f"{f['firms_max']:,} firms)")
    if lin:
        print(f"\nlinearity: seconds per firm at {lin['to_districts']} districts ({lin['to_firms']:,} firms) ÷ at "
              f"{lin['from_districts']} ({lin['from_firms']:,}); 1.00 = linear: "
              + ", ".join(f"{t} {fmt(lin.get(t), '.2f')}" for t in ("single", "dask1", "dask2", "postgis")))
    if not extra:
        return
    print(f"\nEXTRAPOLATED on paper (not measured) at {extra['districts']} districts: median district "
          f"{extra['median_district_s']:.2f} s, largest district {extra['largest_district_s']:.2f} s, cluster start "
          f"{extra['cluster_start_s']:.2f} s")
    for label, c in extra["model_check"].items():
        print(f"  model check, {label}: model {c['model_s']} s (with that run's own task times "
              f"{c['model_at_own_task_time_s']} s), measured {fmt(c['measured_s'], '.1f', ' s')}")
    for label, c in extra["clusters"].items():
        print(f"  {label}: {c['workers']} workers, at most {c['districts_per_worker']} districts each → "
              f"≈ {c['seconds']} s (at the 2-worker run's task time ≈ {c['seconds_at_2_worker_task_time']} s)")
    print("  assumptions: " + "; ".join(ASSUMPTIONS))


def report(results: list[dict[str, Any]], imports: list[dict[str, Any]], args: argparse.Namespace,
           started: float, load_before: float, errors: list[str]) -> None:
    for r in results:
        a, b = path_s(r, "dask1"), path_s(r, "dask2")
        r["speedup_1_to_2"] = None if not a or not b else round(a / b, 3)
    lin = linearity(results)
    extra = {"at_largest_size": extrapolate(results[-1]), "assumptions": ASSUMPTIONS} if results else {}
    print_table(results)
    print_memory(results)
    print_scaling(results, lin, extra.get("at_largest_size") or {})
    for e in errors:
        print(f"ERROR: {e}")
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"\nload average (1 min) at start {load_before:.2f}, at end {load_after:.2f} on {os.cpu_count()} CPUs")
    print(f"total {elapsed:.0f} s (imports {sum(i['seconds'] for i in imports):.0f} s); this process's peak RSS "
          f"{rss} MB; same_figures {all(r['checks']['same_figures'] for r in results)}".replace("True", "true")
          .replace("False", "false"))
    measured = [{k: v for k, v in r.items() if k not in ("largest_district",)} | {
        "largest_district": {k: v for k, v in r.get("largest_district", {}).items() if k != "error"}}
        for r in results]
    for r in measured:
        for tag in ("single", "dask1", "dask2"):
            (r.get(tag) or {}).pop("districts", None)  # per-district rows: in the log, too long for one line
    print(json.dumps({
        "sizes": [r["districts"] for r in results], "firms_per_district": args.firms,
        "rights_per_firm": args.rights_per_firm, "level": args.level, "seed": args.seed,
        "store": "throwaway PgCluster" if not args.store else "--store", "imports": imports,
        "measured": measured, "same_figures": all(r["checks"]["same_figures"] for r in results),
        "linearity_time_per_firm_ratio": lin, "extrapolated": extra, "errors": errors,
        "elapsed_s": round(elapsed, 1), "cpus": os.cpu_count(), "load_average_start": round(load_before, 2),
        "load_average_end": round(load_after, 2), "peak_rss_mb": rss}, ensure_ascii=False, default=str))


# -- main ---------------------------------------------------------------------------------------


def parse_args() -> tuple[argparse.Namespace, list[int]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,30,100", help="district counts, cumulative, comma-separated")
    parser.add_argument("--firms", type=int, default=50_000, help="firms per district on average (× U(0.5, 1.5))")
    parser.add_argument("--rights-per-firm", type=int, default=10)
    parser.add_argument("--level", default="town", choices=LEVEL_CHOICES)
    parser.add_argument("--repeat", type=int, default=0, help="runs of each path (default 3 up to 10 districts, "
                                                              "1 above; medians)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--store", default="", help="an existing store (postgresql://…) instead of a throwaway "
                                                    "cluster; it keeps the generated districts")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 and 4 districts of 3,000 firms")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.firms = "2,4", 3_000
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if not sizes or sizes[0] < 1 or args.firms < 1 or args.rights_per_firm < 0 or args.repeat < 0:
        parser.error("--sizes, --firms ≥ 1; --rights-per-firm, --repeat ≥ 0")
    return args, sizes


def main() -> None:
    """Generate the province size by size, measure every path, print the tables and the JSON line."""
    args, sizes = parse_args()
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="ipgrid-bench-scale-"))
    os.environ[store_backup.KEEP_ENV] = "0"  # a PostGIS backup rewrites every version: not what is measured
    os.environ[store_backup.DIR_ENV] = str(work / "backups")  # never the home folder
    plans = plan_districts(sizes[-1], args.firms, args.rights_per_firm, args.seed)
    log(f"work folder {work}; sizes {sizes}; ~{args.firms:,} firms × {args.rights_per_firm} rights per district; "
        f"level {args.level}; seed {args.seed}; zones "
        + ", ".join(f"{c} ×{sum(p.crs == c for p in plans)}" for c in sorted({p.crs for p in plans})))
    results: list[dict[str, Any]] = []
    imports: list[dict[str, Any]] = []
    errors: list[str] = []
    cluster = start_store(args, work)
    try:
        store = Store(args.url, create=True)
        done = existing_districts(store, plans)
        base = load_folder(ROOT / "geodata" / "demo")
        for n in sizes:
            log(f"\n{n} districts: importing {plans[len(done)].name if len(done) < n else '—'} … {plans[n - 1].name}")
            imports.append({"districts": n, **import_districts(plans[:n], store, base, args, done)})
            log(f"  imported {imports[-1]['added']} districts in {imports[-1]['seconds']:.0f} s; measuring "
                f"level {args.level}")
            start = time.perf_counter()
            results.append(measure_size(n, args, work, done))
            results[-1]["measure_s"] = round(time.perf_counter() - start, 1)
            log(f"  measured in {results[-1]['measure_s']:.0f} s")
            errors += [f"{n} districts, {tag}: {results[-1][tag]['error'][-600:]}"
                       for tag in ("single", "dask1", "dask2", "postgis") if "error" in results[-1][tag]]
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(results, imports, args, started, load_before, errors)


if __name__ == "__main__":
    main()
