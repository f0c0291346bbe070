"""Benchmark: the store (dashboard/store) — import, open a version + every level, diff, size — GeoPackage vs PostGIS.

Data: the engine benchmark's generator (``bench/engine.py``: N firms over the
demo district, 10 rights each, an official grid of about 10,000 cells, 200
service points), written as a data folder (企业.csv, 知识产权.csv, 网格.gpkg,
服务站点.csv and the demo's towns, parks, GIs and indicators) into a
temporary directory (never into git, removed at the end).  Each later quarter
is the one before with some firms closed (their rights gone), new firms (some
with rights), new patents (some firms' first), lapsed and granted rights and a
few moved firms, so ``ipgrid diff`` has something realistic to find.

For each size and backend (a GeoPackage file; a PostGIS database in a throwaway
cluster, ``tests/pg_cluster.py``) it times:

* import of every quarter: ``prepare_import`` (read + validate, engine +
  precompute, checksums, diff with the version before) and ``Store.commit``
  (the automatic backup, then the tables);
* open + every level: a new ``Store``, ``Engine(store.open_bundle(as_of))``,
  ``stats`` of district/town/park/grid, against the plain way
  (``load_folder`` + ``Engine`` + the same stats), both from a cold process
  state (module caches cleared; the OS file cache is warm for both);
* diff of the last two versions: ``diff_of`` as ``ipgrid diff`` runs it (opens
  both), and ``diff_engines`` on two opened versions whose layers are read;
* store size after every quarter (file size; ``pg_total_relation_size`` of the
  store's tables and ``pg_database_size``);

and how each figure grows per 10× firms; at the largest size the open + stats
path is profiled (cProfile).  Prints tables and, as the last line, JSON.

The default run takes about 14 minutes on a 2-core machine, most of it the
16 imports at 100,000 firms (about 9.5 minutes: PostGIS commits take about
40 s each); ``--quarters 4`` takes about 8, ``--quick`` under 2.

Run: ``python bench/store.py [--firms 10000,100000] [--runs 5] [--backends gpkg,postgis] [--quarters 8]
[--quick] [--keep]``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import math
import os
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from engine import METRIC, make_bundle, random_points, to_lonlat  # noqa: E402  (bench/engine.py)

from dashboard.engine import Engine  # noqa: E402
from dashboard.engine.changes import diff_engines  # noqa: E402
from dashboard.store import Store, prepare_import  # noqa: E402
from dashboard.store import backends as store_backends  # noqa: E402
from dashboard.store import backup as store_backup  # noqa: E402
from dashboard.store import tables as store_tables  # noqa: E402
from dashboard.store.cli import diff_of  # noqa: E402
from loaders import load_folder  # noqa: E402

LEVELS = ("district", "town", "park", "grid")
DEMO = ROOT / "geodata" / "demo"
STATIC_FILES = ("镇街.gpkg", "园区.geojson", "地理标志.geojson", "指标.csv")
QUARTER_ENDS = ("03-31", "06-30", "09-30", "12-31")
FIRST_YEAR = 2024
BACKEND_LABELS = {"gpkg": "GeoPackage", "postgis": "PostGIS"}
OPEN_GOAL_RATIO, OPEN_GOAL_S, DIFF_GOAL_S = 5.0, 1.0, 1.0


def log(text: str) -> None:
    """A progress line (stdout, flushed; the JSON line comes last)."""
    print(text, flush=True)


# -- figures ------------------------------------------------------------------------------------


def summary(times: list[float]) -> dict[str, Any]:
    """Median, min, max (seconds) and the number of runs."""
    if not times:
        return {"median_s": None, "min_s": None, "max_s": None, "runs": 0}
    return {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
            "max_s": round(max(times), 4), "runs": len(times)}


def med(block: dict[str, Any] | None, key: str = "median_s") -> float | None:
    return None if not block else block.get(key)


def growth_per_10x(small: float | None, large: float | None, n_small: int, n_large: int) -> float | None:
    """How a figure grows per 10× firms: (large/small) ** (1 / log10(n_large/n_small))."""
    if not small or large is None or n_large <= n_small:
        return None
    return round((large / small) ** (1.0 / math.log10(n_large / n_small)), 2)


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def fmt_mb(value: float | None) -> str:
    return "—" if value is None else f"{value / 1e6:.1f} MB"


def fmt_x(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"


def clear_caches() -> None:
    """Drop every module-level cache of the engine, the store and the loaders (a cold process state).

    The engine memoises per Engine object (a new one each run); what lives at
    module level is the pyproj transformers of :mod:`dashboard.engine.placement`
    and the ``functools`` caches of :mod:`loaders.crs` — cleared here.
    """
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("dashboard.engine", "dashboard.store", "loaders")):
            continue
        for value in list(vars(module).values()):
            if callable(value) and hasattr(value, "cache_clear"):
                with contextlib.suppress(Exception):
                    value.cache_clear()
    from dashboard.engine import placement

    with contextlib.suppress(AttributeError):
        placement._TRANSFORMERS.clear()  # noqa: SLF001 — the module's transformer cache
    gc.collect()


# -- data ---------------------------------------------------------------------------------------


def quarter_dates(n: int) -> list[str]:
    """``n`` quarter-end dates from 2024-03-31 on."""
    return [f"{FIRST_YEAR + q // 4}-{QUARTER_ENDS[q % 4]}" for q in range(n)]


def toml_text(as_of: str) -> str:
    return ("[district]\n"
            'name = "基准区"\n'
            f'data_date = "{as_of}"\n'
            'source = "存储基准测试（合成数据）"\n'
            "population = 1261000\n\n"
            "[settings]\n"
            'metric_crs = "EPSG:4549"\n\n'
            "[enterprises]\n"
            'crs = "WGS-84"\n\n'
            "[service_points]\n"
            'crs = "WGS-84"\n')


class Quarters:
    """The engine benchmark's data as a folder's tables, moved on one quarter at a time."""

    def __init__(self, n_firms: int, seed: int, static: Path) -> None:
        bundle = make_bundle(n_firms, 10, seed)
        self.rng = np.random.default_rng(seed + 1000)
        self.base = n_firms
        self.next_id = n_firms
        self.union = shapely.union_all(bundle.frame("towns").to_crs(METRIC).geometry.values)
        f = bundle.frame("enterprises")
        self.firms = pd.DataFrame({
            "企业名称": f["name"].to_numpy(dtype=object), "经度": f["lon"].to_numpy(), "纬度": f["lat"].to_numpy(),
            "主导产业": f["industry"].to_numpy(dtype=object), "企业类别": f["tier"].to_numpy(dtype=object),
            "质押融资金额（万元）": f["pledge_amount_wan"].to_numpy()})
        r = bundle.frame("ip_records")
        self.records = pd.DataFrame({
            "申请号": r["number"].to_numpy(dtype=object), "权利人": r["holder"].to_numpy(dtype=object),
            "法律状态": r["legal_status"].to_numpy(dtype=object),
            "是否高价值": np.where(r["high_value"].to_numpy(dtype=bool, na_value=False), "是", "否")})
        self.cells = len(bundle.frame("grids"))
        static.mkdir(parents=True, exist_ok=True)
        for name in STATIC_FILES:
            shutil.copy2(DEMO / name, static / name)
        grids = bundle.frame("grids")
        grids[["grid_id", "geometry"]].rename(columns={"grid_id": "网格编号"}).to_file(static / "网格.gpkg",
                                                                                     driver="GPKG")
        sp = bundle.frame("service_points")
        pd.DataFrame({"站点名称": sp["name"], "站点类型": sp["type"], "经度": sp.geometry.x,
                      "纬度": sp.geometry.y}).to_csv(static / "服务站点.csv", index=False)
        self.static = static
        self.changes: dict[str, int] = {}

    def write(self, folder: Path, as_of: str) -> Path:
        """Write this quarter's data folder."""
        folder.mkdir(parents=True, exist_ok=True)
        for item in self.static.iterdir():
            shutil.copy2(item, folder / item.name)
        self.firms.to_csv(folder / "企业.csv", index=False)
        self.records.to_csv(folder / "知识产权.csv", index=False)
        (folder / "ipgrid.toml").write_text(toml_text(as_of), encoding="utf-8")
        return folder

    def _points(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        pts = to_lonlat(random_points(self.union, k, self.rng))
        return pts.x.to_numpy(), pts.y.to_numpy()

    def _rights(self, holders: np.ndarray, status_p: tuple[float, float, float] = (0.5, 0.2, 0.3)) -> pd.DataFrame:
        rng, k = self.rng, len(holders)
        digit = rng.choice(np.array(["1", "2", "3"]), k, p=[0.3, 0.5, 0.2])
        year = rng.integers(2024, 2027, k).astype(str)
        serial = np.char.zfill(rng.integers(0, 9_999_999, k).astype(str), 7)
        number = np.char.add(np.char.add(np.char.add(year, digit), serial), ".1")
        status = rng.choice(np.array(["有效", "授权", "审中"]), k, p=list(status_p)).astype(object)
        return pd.DataFrame({"申请号": number.astype(object), "权利人": holders.astype(object), "法律状态": status,
                             "是否高价值": np.where(rng.random(k) < 0.1, "是", "否")})

    def advance(self) -> None:
        """Three months later: closed firms, new firms, new, lapsed and granted rights, moved firms."""
        rng, firms, records = self.rng, self.firms, self.records
        n = len(firms)
        closed = rng.random(n) < 0.008
        gone = set(firms.loc[closed, "企业名称"])
        firms = firms[~closed].reset_index(drop=True)
        records = records[~records["权利人"].isin(gone)].reset_index(drop=True)

        moved = (rng.random(len(firms)) < 0.003) & firms["经度"].notna().to_numpy()
        lon, lat = self._points(int(moved.sum()))
        firms.loc[moved, "经度"], firms.loc[moved, "纬度"] = lon, lat

        k = int(round(0.012 * self.base))
        names = np.array([f"基准企业{self.next_id + i}有限公司" for i in range(k)], dtype=object)
        self.next_id += k
        lon, lat = self._points(k)
        industries = ["汽车及零部件", "新一代信息技术", "智能装备", "高端纺织", "电子元器件"]
        new = pd.DataFrame({
            "企业名称": names, "经度": lon, "纬度": lat, "主导产业": rng.choice(industries, k).astype(object),
            "企业类别": np.where(rng.random(k) < 0.05, "成长型", None).astype(object),
            "质押融资金额（万元）": np.where(rng.random(k) < 0.02, rng.uniform(10, 500, k), 0.0)})
        firms = pd.concat([firms, new], ignore_index=True)

        valid = records["法律状态"].isin(["有效", "授权"]).to_numpy()
        holding = set(records.loc[valid, "权利人"].str.split(";").explode())
        without = np.flatnonzero(~firms["企业名称"].isin(holding).to_numpy()[: len(firms) - k])
        first = rng.choice(without, min(len(without), int(round(0.004 * self.base))), replace=False)
        m = int(round(0.015 * len(records)))
        owner = (rng.pareto(1.2, m) * len(firms) / 50).astype(np.int64) % len(firms)
        with_new = names[rng.random(k) < 0.3]
        holders = np.concatenate([firms["企业名称"].to_numpy()[owner], firms["企业名称"].to_numpy()[first],
                                  np.repeat(with_new, rng.integers(1, 6, len(with_new)))])
        status = records["法律状态"].to_numpy(dtype=object).copy()
        lapse = (status == "有效") & (rng.random(len(status)) < 0.01)
        grant = (status == "审中") & (rng.random(len(status)) < 0.1)
        status[lapse], status[grant] = "失效", "授权"
        records["法律状态"] = status
        first_rights = self._rights(holders[m:], (0.7, 0.3, 0.0))
        records = pd.concat([records, self._rights(holders[:m]), first_rights], ignore_index=True)
        self.firms, self.records = firms, records
        self.changes = {"closed": int(closed.sum()), "new_firms": k, "new_rights": len(holders),
                        "first_right_firms": len(first), "lapsed": int(lapse.sum()), "granted": int(grant.sum()),
                        "moved": int(moved.sum())}


# -- instrumentation ------------------------------------------------------------------------------


class WriteTimes:
    """Seconds per version table written, and of the automatic backup, while installed."""

    def __init__(self) -> None:
        self.tables: dict[str, float] = {}
        self.backup_s: float | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[WriteTimes]:
        """Time the backends' ``write_frame`` and ``backup_before`` while the block runs."""
        originals = {cls: cls.write_frame for cls in (store_backends.GeoPackageBackend,
                                                      store_backends.PostgisBackend)}
        backup_before = store_backup.backup_before

        def timed_write(original: Callable[..., None]) -> Callable[..., None]:
            def write(self_: Any, conn: Any, table: str, frame: pd.DataFrame, description: str) -> None:
                start = time.perf_counter()
                original(self_, conn, table, frame, description)
                part = store_tables.VERSION_TABLE.match(table)
                key = part.group("part") if part else table
                self.tables[key] = self.tables.get(key, 0.0) + time.perf_counter() - start
            return write

        def timed_backup(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return backup_before(*args, **kwargs)
            finally:
                self.backup_s = (self.backup_s or 0.0) + time.perf_counter() - start

        for cls, original in originals.items():
            cls.write_frame = timed_write(original)  # type: ignore[method-assign]
        store_backup.backup_before = timed_backup  # Store.commit imports it at each call
        try:
            yield self
        finally:
            for cls, original in originals.items():
                cls.write_frame = original  # type: ignore[method-assign]
            store_backup.backup_before = backup_before


@contextlib.contextmanager
def backups(keep: int) -> Iterator[None]:
    """Automatic backups kept during the block (``IPGRID_STORE_BACKUPS``; 0: none)."""
    before = os.environ.get(store_backup.KEEP_ENV)
    os.environ[store_backup.KEEP_ENV] = str(keep)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(store_backup.KEEP_ENV, None)
        else:
            os.environ[store_backup.KEEP_ENV] = before


def prepare_timed(folder: Path, as_of: str, store: Store) -> tuple[Any, float, dict[str, float]]:
    """``prepare_import``, its seconds, and its steps' seconds (from its progress reports)."""
    marks: list[tuple[str, float]] = []
    steps = {"企业定位": "engine_precompute", "计算文件校验值": "checksums", "与上一版本": "diff_previous",
             "完成": "done"}

    def progress(text: str, _fraction: float) -> None:
        for prefix, key in steps.items():
            if text.startswith(prefix):
                marks.append((key, time.perf_counter()))

    start = time.perf_counter()
    prepared = prepare_import(folder, as_of, store=store, progress=progress)
    total = time.perf_counter() - start
    split: dict[str, float] = {}
    previous, previous_t = "read_validate", start
    for key, at in marks:
        split[previous] = round(at - previous_t, 4)
        previous, previous_t = key, at
    return prepared, total, split


# -- one backend --------------------------------------------------------------------------------


class Target:
    """One store being filled: its location, figures and sizes."""

    def __init__(self, kind: str, location: str, size_of: Callable[[], dict[str, int]]) -> None:
        self.kind = kind
        self.location = location
        self.size_of = size_of
        self.store = Store(location, create=True)
        self.imports: list[dict[str, Any]] = []
        self.sizes: list[dict[str, int]] = []
        self.notes: list[str] = []
        self.backup_keep = 5
        self.last_parts: dict[str, int] = {}


def gpkg_size(path: Path) -> Callable[[], dict[str, int]]:
    def size() -> dict[str, int]:
        folder = path.with_name(path.stem + ".backups")
        extra = sum(p.stat().st_size for p in folder.iterdir()) if folder.is_dir() else 0
        return {"store_bytes": path.stat().st_size, "backups_bytes": extra}
    return size


def pg_size(url: str) -> Callable[[], dict[str, int]]:
    import sqlalchemy as sa

    query = sa.text(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') "
        "AND n.nspname = current_schema() AND (c.relname LIKE 'ipgrid\\_%' OR c.relname ~ '^v[0-9]{4,}_')")

    def size() -> dict[str, int]:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                tables = int(conn.execute(query).scalar() or 0)
                database = int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar())
        finally:
            engine.dispose()
        return {"store_bytes": tables, "database_bytes": database}
    return size


def commit_timed(target: Target, prepared: Any) -> dict[str, Any]:
    """``Store.commit`` with its backup and per-table write seconds."""
    times = WriteTimes()
    with times.installed(), backups(target.backup_keep):
        start = time.perf_counter()
        target.store.commit(prepared, user="bench")
        total = time.perf_counter() - start
    return {"commit_s": round(total, 4), "backup_s": None if times.backup_s is None else round(times.backup_s, 4),
            "tables_s": {k: round(v, 4) for k, v in sorted(times.tables.items(), key=lambda kv: -kv[1])}}


def open_and_stats(location: str, as_of: str) -> tuple[float, float, dict[str, pd.DataFrame]]:
    """Seconds of (new Store + open_bundle + Engine) and of the four levels' stats; the tables."""
    start = time.perf_counter()
    engine = Engine(Store(location).open_bundle(as_of))
    opened = time.perf_counter()
    tables = {level: engine.stats(level) for level in LEVELS}
    return opened - start, time.perf_counter() - opened, tables


def plain_and_stats(folder: Path) -> tuple[float, float, dict[str, pd.DataFrame]]:
    start = time.perf_counter()
    engine = Engine(load_folder(folder))
    loaded = time.perf_counter()
    tables = {level: engine.stats(level) for level in LEVELS}
    return loaded - start, time.perf_counter() - loaded, tables


def same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> str | None:
    """``None`` when the stats tables agree, else the first difference."""
    for level in LEVELS:
        try:
            pd.testing.assert_frame_equal(a[level].reset_index(drop=True), b[level].reset_index(drop=True),
                                          check_dtype=False, check_exact=False, rtol=1e-9)
        except AssertionError as exc:
            return f"{level}: {' '.join(str(exc).split())[:300]}"
    return None


NAMED_COSTS = (
    ("Store.open_bundle", "dashboard/store/store.py", "open_bundle"),
    ("  Store._apply_assignments", "dashboard/store/store.py", "_apply_assignments"),
    ("  Store._precomputed", "dashboard/store/store.py", "_precomputed"),
    ("backend.read_frame (all tables)", "dashboard/store/backends.py", "read_frame"),
    ("  pyogrio.read_dataframe", "pyogrio/geopandas.py", "read_dataframe"),
    ("  geopandas read_postgis", "geopandas/io/sql.py", "_read_postgis"),
    ("  pandas.read_sql", "pandas/io/sql.py", "read_sql"),
    ("  shapely.from_wkb", "shapely/io.py", "from_wkb"),
    ("codec.restored", "dashboard/store/codec.py", "restored"),
    ("  codec._typed", "dashboard/store/codec.py", "_typed"),
    ("codec.problems_from_frame", "dashboard/store/codec.py", "problems_from_frame"),
    ("Engine.stats (4 levels)", "dashboard/engine/core.py", "stats"),
    ("  Engine.firms", "dashboard/engine/core.py", "firms"),
    ("diff_engines", "dashboard/engine/changes.py", "diff_engines"),
)
"""Functions whose cumulative time the profiles report (label, file suffix, function name)."""


def profiled(location: str, work: Callable[[Store], object], top: int = 14) -> dict[str, Any]:
    """Profile ``work(new Store)``: seconds per table read, named costs, top functions by own and cumulative time."""
    clear_caches()
    reads: dict[str, float] = {}
    store = Store(location)
    original = store.backend.read_frame

    def read_frame(table: str) -> pd.DataFrame:
        start = time.perf_counter()
        try:
            return original(table)
        finally:
            part = store_tables.VERSION_TABLE.match(table)
            key = part.group("part") if part else table
            reads[key] = reads.get(key, 0.0) + time.perf_counter() - start

    store.backend.read_frame = read_frame  # type: ignore[method-assign]
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    work(store)
    prof.disable()
    total = time.perf_counter() - start
    st = pstats.Stats(prof, stream=io.StringIO())
    rows, named = [], {label: 0.0 for label, _f, _n in NAMED_COSTS}
    for (file, line, func), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        short = file
        for marker in ("/site-packages/", str(ROOT) + "/"):
            if marker in file:
                short = file.split(marker, 1)[1]
        for label, suffix, name in NAMED_COSTS:
            if func == name and file.endswith(suffix):
                named[label] += ct
        rows.append({"function": f"{short}:{line}({func})", "calls": nc, "own_s": round(tt, 4),
                     "cumulative_s": round(ct, 4), "ours": file.startswith(str(ROOT)) and "/bench/" not in file})
    by_own = sorted(rows, key=lambda r: -r["own_s"])[:top]
    by_cum = sorted((r for r in rows if r["ours"]), key=lambda r: -r["cumulative_s"])[:top]
    for r in rows:
        r.pop("ours")
    return {"total_s": round(total, 4), "read_s": {k: round(v, 4) for k, v in sorted(reads.items(),
                                                                                     key=lambda kv: -kv[1])},
            "read_total_s": round(sum(reads.values()), 4), "named_cumulative_s": {k: round(v, 4)
                                                                                for k, v in named.items() if v},
            "top_own": by_own, "top_cumulative_ours": by_cum}


def open_work(as_of: str) -> Callable[[Store], object]:
    def work(store: Store) -> object:
        engine = Engine(store.open_bundle(as_of))
        return [engine.stats(level) for level in LEVELS]
    return work


def diff_work(store: Store) -> object:
    return diff_of(store, None, None, "town")


def size_by_part(target: Target) -> dict[str, int]:
    """Bytes of each table of the store's latest version (GeoPackage: with its spatial index)."""
    vid = max(v.version_id for v in target.store.versions())
    prefix = store_tables.version_table(vid, "")
    parts = sorted((t.removeprefix(prefix) for t in target.store.backend.tables() if t.startswith(prefix)),
                   key=len, reverse=True)
    out: dict[str, int] = {}
    if target.kind == "gpkg":
        import sqlite3

        with contextlib.closing(sqlite3.connect(target.location)) as db:
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                              "AND (name LIKE ? OR name LIKE ?)", (prefix + "%", f"rtree_{prefix}%"))]
            for name in names:
                rest = name.removeprefix("rtree_").removeprefix(prefix)
                part = next((p for p in parts if rest == p or rest.startswith(p + "_")), rest)
                try:
                    size = db.execute("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?", (name,)).fetchone()
                except sqlite3.OperationalError:  # an SQLite without dbstat
                    return {}
                out[part] = out.get(part, 0) + int(size[0])
    else:
        import sqlalchemy as sa

        with target.store.backend.sql.connect() as conn:
            for part in parts:
                size = conn.execute(sa.text("SELECT pg_total_relation_size(CAST(:t AS regclass))"),
                                    {"t": f'"{prefix}{part}"'}).scalar()
                out[part] = int(size or 0)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


NOT_READ_BY_DIFF = ("ip_records", "indicators")
"""Layers a diff of two stored versions never reads (the stored roll-up replaces the rights): not prefetched."""


def diff_runs(location: str, old_as_of: str, new_as_of: str, runs: int) -> dict[str, Any]:
    """``ipgrid diff``'s ``diff_of`` (opens both), and ``diff_engines`` on opened versions: cold and warm engines."""
    total, cold, warm, counts = [], [], [], {}
    for _ in range(runs):
        clear_caches()
        start = time.perf_counter()
        _old, _new, diff = diff_of(Store(location), None, None, "town")
        total.append(time.perf_counter() - start)
        counts = {k: len(getattr(diff, k)) for k in ("added", "removed", "first_ip", "lost_ip", "moved")}
        del diff
        clear_caches()
        store = Store(location)
        bundles = [store.open_bundle(old_as_of), store.open_bundle(new_as_of)]
        for bundle in bundles:
            for name, layer in bundle.layers.items():
                if name not in NOT_READ_BY_DIFF:
                    _ = layer.frame  # read the layers now: "without the time to open"
        engines = [Engine(b) for b in bundles]
        start = time.perf_counter()
        diff_engines(engines[0], engines[1], "town")
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        diff_engines(engines[0], engines[1], "town")
        warm.append(time.perf_counter() - start)
        del engines, bundles, store
    return {"with_open": summary(total), "without_open": summary(cold), "warm_engines": summary(warm),
            "changes": counts, "goal_met": (statistics.median(total) < DIFF_GOAL_S)}


# -- one size -----------------------------------------------------------------------------------


def make_targets(kinds: list[str], base: Path, n_firms: int, cluster: Any) -> list[Target]:
    """A new GeoPackage store and/or a new PostGIS database for this size."""
    targets: list[Target] = []
    for kind in kinds:
        if kind == "gpkg":
            path = base / "store.gpkg"
            targets.append(Target("gpkg", str(path), gpkg_size(path)))
        elif cluster is not None:
            url = cluster.new_database(f"bench_store_{n_firms}")
            target = Target("postgis", url.replace("postgresql+psycopg://", "postgresql://"), pg_size(url))
            target.backup_keep = 0  # see the notes: checked once (check_pg_auto_backup), off while filling
            targets.append(target)
    return targets


def import_quarter(q: int, as_of: str, folder: Path, data: Quarters, targets: list[Target], base: Path,
                   state: dict[str, Any]) -> None:
    """Prepare the quarter's folder once (against each backend's store in turn) and commit it to every store."""
    line = [f"  quarter {q + 1} {as_of}: {len(data.firms):,} firms, {len(data.records):,} rights"]
    if q:
        c = data.changes
        line.append(f"(closed {c['closed']}, new {c['new_firms']}, first right {c['first_right_firms']}, "
                    f"moved {c['moved']})")
    against = targets[q % len(targets)]  # its diff opens this store's previous version
    prepared, prep_s, prep_split = prepare_timed(folder, as_of, against.store)
    line.append(f"| prepare ({against.kind}) {prep_s:.2f} s")
    for target in targets:
        record: dict[str, Any] = {"quarter": q + 1, "as_of": as_of, "firms": len(data.firms),
                                  "rights": len(data.records), "prepare_s": round(prep_s, 4),
                                  "prepare_steps": prep_split, "prepared_against": against.kind}
        if target.kind == "postgis" and q == 1 and "postgis_auto_backup" not in state:
            state["postgis_auto_backup"] = check_pg_auto_backup(target)
        record.update(commit_timed(target, prepared))
        if target.backup_keep == 0:
            record["backup_s"] = None  # automatic backups off for this backend
        sizes = target.size_of()
        record.update(sizes)
        target.imports.append(record)
        target.sizes.append({"quarter": q + 1, **sizes})
        line.append(f"| {target.kind} commit {record['commit_s']:.2f} s"
                    + (f" (backup {record['backup_s']:.2f})" if record.get("backup_s") else "")
                    + f", {fmt_mb(record['store_bytes'])}")
        if target.kind == "postgis" and q == 0:
            record.update(backup_one_version(target, base / "pg_backup_1version.gpkg"))
    log(" ".join(line))


def time_plain(folder: Path, runs: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The plain way on a folder: ``load_folder`` + Engine + the four levels."""
    loads, engines_s, totals = [], [], []
    tables: dict[str, pd.DataFrame] = {}
    for _ in range(runs):
        clear_caches()
        load_s, stats_s, tables = plain_and_stats(folder)
        loads.append(load_s)
        engines_s.append(stats_s)
        totals.append(load_s + stats_s)
    log(f"  plain load_folder + Engine + 4 levels: median {statistics.median(totals):.3f} s "
        f"(load {statistics.median(loads):.3f}, stats {statistics.median(engines_s):.3f}; {runs} runs)")
    return {"total": summary(totals), "load_folder": summary(loads), "engine_stats": summary(engines_s)}, tables


def time_open(target: Target, as_of: str, runs: int, plain: dict[str, Any],
              plain_tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Open + the four levels from the store, against the plain way's median and figures."""
    opens, stats_t, totals = [], [], []
    tables: dict[str, pd.DataFrame] = {}
    for _ in range(runs):
        clear_caches()
        open_s, stats_s, tables = open_and_stats(target.location, as_of)
        opens.append(open_s)
        stats_t.append(stats_s)
        totals.append(open_s + stats_s)
    disagreement = same_tables(tables, plain_tables)
    total = summary(totals)
    ratio = round(plain["total"]["median_s"] / total["median_s"], 2)
    log(f"  {target.kind}: open + 4 levels median {total['median_s']:.3f} s "
        f"(open {statistics.median(opens):.3f}, stats {statistics.median(stats_t):.3f}; {runs} runs) "
        f"-> {ratio}x faster than plain; agrees with plain: {disagreement is None}")
    return {"total": total, "open": summary(opens), "stats": summary(stats_t), "ratio_plain_over_store": ratio,
            "goal_ratio_met": ratio >= OPEN_GOAL_RATIO, "goal_time_met": total["median_s"] < OPEN_GOAL_S,
            "agrees_with_plain": disagreement is None, "disagreement": disagreement}


def profile_target(target: Target, last: str, before: str | None) -> dict[str, Any]:
    """Profile open + stats and ``ipgrid diff`` with cProfile."""
    out = {"profile": profiled(target.location, open_work(last))}
    log(f"  {target.kind}: profiled open + stats {out['profile']['total_s']:.3f} s, "
        f"reading tables {out['profile']['read_total_s']:.3f} s")
    if before is not None:
        out["profile_diff"] = profiled(target.location, diff_work)
        log(f"  {target.kind}: profiled ipgrid diff {out['profile_diff']['total_s']:.3f} s, "
            f"reading tables {out['profile_diff']['read_total_s']:.3f} s")
    return out


def run_size(n_firms: int, args: argparse.Namespace, work: Path, cluster: Any, state: dict[str, Any],
             profile: bool) -> dict[str, Any]:
    plain_runs = args.plain_runs or (min(args.runs, 2) if n_firms >= 50_000 else args.runs)
    diff_n = args.diff_runs or min(args.runs, 2 if n_firms >= 50_000 else 3)
    base = work / f"firms_{n_firms}"
    start = time.perf_counter()
    data = Quarters(n_firms, args.seed, base / "static")
    log(f"\n=== {n_firms:,} firms, {10 * n_firms:,} rights, {data.cells:,} cells, 200 service points, "
        f"{args.quarters} quarters (generated in {time.perf_counter() - start:.1f} s) ===")
    targets = make_targets(args.backends, base, n_firms, cluster)
    spent = {"generate": time.perf_counter() - start, "write_folders": 0.0, "imports": 0.0}
    dates = quarter_dates(args.quarters)
    folders: list[Path] = []
    for q, as_of in enumerate(dates):
        mark = time.perf_counter()
        if q:
            data.advance()
        folders.append(data.write(base / as_of, as_of))
        if q >= 2:
            shutil.rmtree(folders[q - 2], ignore_errors=True)  # only the last two are read again
        spent["write_folders"] += time.perf_counter() - mark
        mark = time.perf_counter()
        import_quarter(q, as_of, folders[-1], data, targets, base, state)
        gc.collect()
        spent["imports"] += time.perf_counter() - mark
    for target in targets:
        target.last_parts = size_by_part(target)

    result: dict[str, Any] = {"firms": n_firms, "rights_first_quarter": 10 * n_firms, "cells": data.cells,
                              "quarters": args.quarters, "firms_last_quarter": len(data.firms),
                              "rights_last_quarter": len(data.records), "backends": {}}
    last, before = dates[-1], (dates[-2] if len(dates) > 1 else None)
    mark = time.perf_counter()
    result["plain"], plain_tables = time_plain(folders[-1], plain_runs)
    spent["plain"] = time.perf_counter() - mark
    spent.update(open_stats=0.0, diff=0.0, profile=0.0)
    for target in targets:
        mark = time.perf_counter()
        block: dict[str, Any] = {
            "import": import_summary(target.imports, target.kind), "imports": target.imports,
            "open_stats": time_open(target, last, args.runs, result["plain"], plain_tables),
            "sizes": target.sizes, "size": size_summary(target.sizes), "notes": target.notes,
            "last_version_bytes_by_table": target.last_parts,
        }
        spent["open_stats"] += time.perf_counter() - mark
        mark = time.perf_counter()
        if before is not None:
            block["diff"] = d = diff_runs(target.location, before, last, diff_n)
            log(f"  {target.kind}: diff {before} -> {last}: with open {d['with_open']['median_s']:.3f} s, "
                f"without {d['without_open']['median_s']:.3f} s, warm {d['warm_engines']['median_s']:.3f} s "
                f"({diff_n} runs); changes {d['changes']}")
        spent["diff"] += time.perf_counter() - mark
        mark = time.perf_counter()
        if profile:
            block.update(profile_target(target, last, before))
        spent["profile"] += time.perf_counter() - mark
        result["backends"][target.kind] = block
        gc.collect()
    result["bench_seconds"] = {k: round(v, 1) for k, v in spent.items()}
    log("  benchmark time here: " + ", ".join(f"{k} {v:.0f} s" for k, v in spent.items()))
    return result


def backup_one_version(target: Target, out: Path) -> dict[str, Any]:
    """Seconds and bytes of ``write_backup`` of a store holding one version."""
    start = time.perf_counter()
    try:
        store_backup.write_backup(target.store, out)
    except Exception as exc:  # noqa: BLE001 — reported, the run goes on
        first = " ".join(str(exc).split())[:300]
        log(f"  !! write_backup of the {target.kind} store FAILED: {type(exc).__name__}: {first}")
        return {"backup_1_version_s": None, "backup_1_version_error": f"{type(exc).__name__}: {first}"}
    seconds = time.perf_counter() - start
    readable = len(Store(out).versions()) == 1
    size = out.stat().st_size
    out.unlink()
    return {"backup_1_version_s": round(seconds, 4), "backup_1_version_bytes": size,
            "backup_1_version_readable": readable}


def check_pg_auto_backup(target: Target) -> dict[str, Any]:
    """Whether a PostGIS store's automatic backup before an import works (it is on by default)."""
    start = time.perf_counter()
    try:
        with backups(5):
            store_backup.backup_before(target.store, "import", "bench")
    except Exception as exc:  # noqa: BLE001 — report whatever it is
        first = " ".join(str(exc).split())[:300]
        folder = store_backup.backup_dir(target.store)
        left = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        log(f"  !! PostGIS automatic backup FAILED after {time.perf_counter() - start:.2f} s: "
            f"{type(exc).__name__}: {first}")
        log("     (Store.commit runs it first, so every import after the first into a PostGIS store fails "
            "while IPGRID_STORE_BACKUPS > 0; PostGIS imports below run with IPGRID_STORE_BACKUPS=0)")
        return {"ok": False, "error": f"{type(exc).__name__}: {first}", "seconds_until_error":
                round(time.perf_counter() - start, 3), "left_in_backup_dir": left,
                "traceback_tail": traceback.format_exc().strip().splitlines()[-3:]}
    log(f"  PostGIS automatic backup works ({time.perf_counter() - start:.2f} s); imports below still run "
        "with IPGRID_STORE_BACKUPS=0 for time")
    return {"ok": True, "seconds": round(time.perf_counter() - start, 3)}


def import_summary(imports: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """First quarter, and median/min/max of the later ones (a version before: diff and backup included)."""
    first, later = imports[0], imports[1:]
    out: dict[str, Any] = {"first": {k: first.get(k) for k in ("prepare_s", "commit_s", "backup_s")}}
    own_prepare = [r["prepare_s"] for r in later if r.get("prepared_against") == kind]
    out["later_prepare"] = summary([r["prepare_s"] for r in later])
    out["later_prepare_own_store"] = summary(own_prepare)
    out["later_commit"] = summary([r["commit_s"] for r in later])
    out["later_backup"] = summary([r["backup_s"] for r in later if r.get("backup_s") is not None])
    out["later_commit_without_backup"] = summary([r["commit_s"] - (r.get("backup_s") or 0.0) for r in later])
    out["later_import"] = summary([r["prepare_s"] + r["commit_s"] for r in later])
    steps: dict[str, list[float]] = {}
    tables: dict[str, list[float]] = {}
    for r in imports[1:] or imports:
        if r.get("prepared_against") == kind or len(imports) == 1:
            for k, v in r.get("prepare_steps", {}).items():
                steps.setdefault(k, []).append(v)
        for k, v in r["tables_s"].items():
            tables.setdefault(k, []).append(v)
    out["prepare_steps_median_s"] = {k: round(statistics.median(v), 4) for k, v in steps.items()}
    out["commit_tables_median_s"] = {k: round(statistics.median(v), 4)
                                     for k, v in sorted(tables.items(), key=lambda kv: -statistics.median(kv[1]))}
    for key in ("backup_1_version_s", "backup_1_version_bytes", "backup_1_version_error"):
        if key in first:
            out[key] = first[key]
    if "backup_1_version_s" not in out and len(imports) > 1 and imports[1].get("backup_s") is not None:
        out["backup_1_version_s"] = imports[1]["backup_s"]  # the automatic backup before quarter 2
    return out


def size_summary(sizes: list[dict[str, int]]) -> dict[str, Any]:
    stored = [s["store_bytes"] for s in sizes]
    growth = [b - a for a, b in zip(stored, stored[1:], strict=False)]
    out = {"after_last_bytes": stored[-1], "after_first_bytes": stored[0],
           "growth_per_quarter_median_bytes": int(statistics.median(growth)) if growth else None,
           "growth_per_quarter_min_bytes": min(growth) if growth else None,
           "growth_per_quarter_max_bytes": max(growth) if growth else None}
    for key in ("database_bytes", "backups_bytes"):
        if key in sizes[-1]:
            out[f"{key}_after_last"] = sizes[-1][key]
    return out


# -- report -------------------------------------------------------------------------------------


def print_size_table(r: dict[str, Any]) -> None:
    kinds = list(r["backends"])
    b = r["backends"]
    width = 46
    head = f"{'':<{width}}" + "".join(f"{BACKEND_LABELS[k]:>16}" for k in kinds) + f"{'plain folder':>16}"
    print(f"\n{r['firms']:,} firms ({r['rights_first_quarter']:,} rights, {r['cells']:,} cells; last quarter "
          f"{r['firms_last_quarter']:,} firms, {r['rights_last_quarter']:,} rights), {r['quarters']} quarters")
    print(head)

    def row(label: str, values: list[str], plain: str = "") -> None:
        print(f"{label:<{width}}" + "".join(f"{v:>16}" for v in values) + f"{plain:>16}")

    imp = {k: b[k]["import"] for k in kinds}
    row("import q1: prepare", [fmt_s(imp[k]["first"]["prepare_s"]) for k in kinds])
    row("import q1: commit", [fmt_s(imp[k]["first"]["commit_s"]) for k in kinds])
    row("import q2..: prepare (median)", [fmt_s(med(imp[k]["later_prepare"])) for k in kinds])
    row("  prepared against this store (median)", [fmt_s(med(imp[k]["later_prepare_own_store"])) for k in kinds])
    row("    read+validate / engine / diff with previous",
        ["/".join(f"{imp[k]['prepare_steps_median_s'].get(x, 0):.1f}" for x in ("read_validate", "engine_precompute",
                                                                              "diff_previous")) for k in kinds])
    row("import q2..: commit (median)", [fmt_s(med(imp[k]["later_commit"])) for k in kinds])
    row("  of which automatic backup", [fmt_s(med(imp[k]["later_backup"])) if imp[k]["later_backup"]["runs"]
                                        else "off" for k in kinds])
    row("  commit without backup", [fmt_s(med(imp[k]["later_commit_without_backup"])) for k in kinds])
    row("backup of a store of 1 version", [fmt_s(imp[k].get("backup_1_version_s")) for k in kinds])
    o = {k: b[k]["open_stats"] for k in kinds}
    row("open + 4 levels (median)", [fmt_s(med(o[k]["total"])) for k in kinds], fmt_s(med(r["plain"]["total"])))
    row("  open (Store + open_bundle + Engine)", [fmt_s(med(o[k]["open"])) for k in kinds],
        fmt_s(med(r["plain"]["load_folder"])))
    row("  stats of 4 levels (reads layers)", [fmt_s(med(o[k]["stats"])) for k in kinds],
        fmt_s(med(r["plain"]["engine_stats"])))
    row("  min … max", [f"{o[k]['total']['min_s']:.2f}…{o[k]['total']['max_s']:.2f}" for k in kinds],
        f"{r['plain']['total']['min_s']:.2f}…{r['plain']['total']['max_s']:.2f}")
    row("  runs", [str(o[k]["total"]["runs"]) for k in kinds], str(r["plain"]["total"]["runs"]))
    row("  plain ÷ store", [fmt_x(o[k]["ratio_plain_over_store"]) for k in kinds])
    row("  same figures as plain", [str(o[k]["agrees_with_plain"]) for k in kinds])
    if all("diff" in b[k] for k in kinds):
        d = {k: b[k]["diff"] for k in kinds}
        row("diff last 2 versions: ipgrid diff (median)", [fmt_s(med(d[k]["with_open"])) for k in kinds])
        row("  without opening (layers read)", [fmt_s(med(d[k]["without_open"])) for k in kinds])
        row("  engines warm (stats computed)", [fmt_s(med(d[k]["warm_engines"])) for k in kinds])
        row("  runs", [str(d[k]["with_open"]["runs"]) for k in kinds])
    s = {k: b[k]["size"] for k in kinds}
    row(f"store size after {r['quarters']} quarters", [fmt_mb(s[k]["after_last_bytes"]) for k in kinds])
    row("  after quarter 1", [fmt_mb(s[k]["after_first_bytes"]) for k in kinds])
    row("  growth per quarter (median)", [fmt_mb(s[k]["growth_per_quarter_median_bytes"]) for k in kinds])
    row("  PostGIS pg_database_size", [fmt_mb(s[k].get("database_bytes_after_last")) for k in kinds])
    row("  automatic backups beside it", [fmt_mb(s[k].get("backups_bytes_after_last")) for k in kinds])
    for k in kinds:
        tables = list(imp[k]["commit_tables_median_s"].items())[:4]
        print(f"  {BACKEND_LABELS[k]} commit, slowest tables (median s): "
              + ", ".join(f"{t} {v:.2f}" for t, v in tables))
        parts = list(b[k].get("last_version_bytes_by_table", {}).items())[:5]
        if parts:
            print(f"  {BACKEND_LABELS[k]} last version's largest tables: "
                  + ", ".join(f"{t} {fmt_mb(v)}" for t, v in parts))


FIGURES: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "prepare_s": lambda b: med(b["import"]["later_prepare"]) or b["import"]["first"]["prepare_s"],
    "commit_without_backup_s": lambda b: med(b["import"]["later_commit_without_backup"]) or
    b["import"]["first"]["commit_s"],
    "open_stats_s": lambda b: med(b["open_stats"]["total"]),
    "open_s": lambda b: med(b["open_stats"]["open"]),
    "stats_s": lambda b: med(b["open_stats"]["stats"]),
    "diff_with_open_s": lambda b: med(b.get("diff", {}).get("with_open")),
    "diff_without_open_s": lambda b: med(b.get("diff", {}).get("without_open")),
    "store_bytes": lambda b: b["size"]["after_last_bytes"],
    "growth_per_quarter_bytes": lambda b: b["size"]["growth_per_quarter_median_bytes"],
}


def growth_table(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's growth per 10× firms between the smallest and the largest size."""
    if len(results) < 2:
        return {}
    small, large = results[0], results[-1]
    out: dict[str, Any] = {"from_firms": small["firms"], "to_firms": large["firms"]}
    for kind in large["backends"]:
        if kind not in small["backends"]:
            continue
        out[kind] = {name: growth_per_10x(fig(small["backends"][kind]), fig(large["backends"][kind]),
                                          small["firms"], large["firms"]) for name, fig in FIGURES.items()}
    out["plain"] = {"open_stats_s": growth_per_10x(med(small["plain"]["total"]), med(large["plain"]["total"]),
                                                   small["firms"], large["firms"])}
    return out


def print_growth(growth: dict[str, Any]) -> None:
    if not growth:
        return
    kinds = [k for k in growth if k in BACKEND_LABELS]
    print(f"\ngrowth per 10× firms ({growth['from_firms']:,} → {growth['to_firms']:,}; 10.0× = linear)")
    print(f"{'':<30}" + "".join(f"{BACKEND_LABELS[k]:>14}" for k in kinds))
    for name in FIGURES:
        print(f"{name:<30}" + "".join(f"{fmt_x(growth[k].get(name)):>14}" for k in kinds))
    print(f"{'plain open_stats_s':<30}{fmt_x(growth['plain']['open_stats_s']):>14}")


def print_profile(kind: str, prof: dict[str, Any], n_firms: int, what: str = "open + 4 levels") -> None:
    print(f"\nprofile: {BACKEND_LABELS[kind]} {what} at {n_firms:,} firms, {prof['total_s']:.3f} s "
          f"under cProfile; reading the store's tables {prof['read_total_s']:.3f} s:")
    print("  reads: " + ", ".join(f"{k} {v:.3f}" for k, v in list(prof["read_s"].items())[:8]))
    print("  named cumulative costs: " + ", ".join(f"{k.strip()} {v:.3f}" for k, v in
                                                prof["named_cumulative_s"].items()))
    print("  top own time:")
    for r in prof["top_own"][:10]:
        print(f"    {r['own_s']:>7.3f} s own {r['cumulative_s']:>7.3f} s cum {r['calls']:>8}×  {r['function']}")
    print("  top cumulative (ipgrid code):")
    for r in prof["top_cumulative_ours"][:12]:
        print(f"    {r['cumulative_s']:>7.3f} s cum {r['own_s']:>7.3f} s own {r['calls']:>8}×  {r['function']}")


# -- main ---------------------------------------------------------------------------------------


NOTES = [
    "data folders, stores and backups in a temporary directory (removed at the end unless --keep)",
    "open+stats and plain runs: new Store/Engine each run, module caches cleared; OS file cache warm for both",
    "imports: one per quarter; 'later' = quarters 2.., which diff against the version before; each quarter's "
    "folder is prepared once, against each backend's store in turn (its diff opens that store's previous "
    "version), and the same PreparedImport committed to every backend",
    "fewer repeats for the slow parts from 50,000 firms: the plain way and the diff run at most twice "
    "(--plain-runs, --diff-runs); imports are not repeated: their medians are over quarters 2..N",
    "GeoPackage imports run with the default automatic backups (IPGRID_STORE_BACKUPS=5, kept beside the file)",
    "PostGIS imports run with IPGRID_STORE_BACKUPS=0 (its automatic backup is checked once, see "
    "postgis_auto_backup: a PostGIS backup rewrites every version into a GeoPackage, so with backups on "
    "quarter q's commit would add (q-1) × the per-version backup cost, measured once after quarter 1)",
    "PostGIS: throwaway cluster (tests/pg_cluster.py) with fsync=off, synchronous_commit=off, "
    "shared_buffers=32MB — writes are faster than on a production server",
]


def parse_args() -> tuple[argparse.Namespace, list[int]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", default="10000,100000", help="sizes, comma-separated (rights: 10× firms)")
    parser.add_argument("--runs", type=int, default=5, help="repeats of open + stats (medians)")
    parser.add_argument("--plain-runs", type=int, default=0, help="repeats of the plain way (default: runs, "
                                                                     "at most 2 from 50,000 firms)")
    parser.add_argument("--diff-runs", type=int, default=0, help="repeats of the diff (default: at most 3, "
                                                                    "at most 2 from 50,000 firms)")
    parser.add_argument("--backends", default="gpkg,postgis")
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 and 10,000 firms, 3 quarters, 2 runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data and stores)")
    args = parser.parse_args()
    if args.quick:
        args.firms, args.quarters, args.runs = "2000,10000", 3, 2
    sizes = sorted(int(s) for s in args.firms.split(",") if s.strip())
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - set(BACKEND_LABELS)
    if unknown or not args.backends or not sizes or args.quarters < 1 or args.runs < 1:
        parser.error(f"--backends: gpkg and/or postgis (not {sorted(unknown)}); --firms, --quarters, --runs ≥ 1")
    return args, sizes


def start_cluster(args: argparse.Namespace, notes: list[str]) -> Any:
    """A throwaway PostGIS cluster, or ``None`` (PostGIS dropped from the backends when it cannot start)."""
    if "postgis" not in args.backends:
        return None
    from pg_cluster import PgCluster, PgStartError, PgUnavailableError

    try:
        cluster = PgCluster().start()
    except (PgUnavailableError, PgStartError) as exc:
        log(f"PostGIS unavailable, GeoPackage only: {exc}")
        notes.append(f"PostGIS unavailable: {str(exc)[:200]}")
        args.backends = [b for b in args.backends if b != "postgis"]
        if not args.backends:
            raise SystemExit(2) from None
        return None
    log(f"PostGIS cluster on 127.0.0.1:{cluster.port} (server {cluster.version}), started in {cluster.startup_s:.1f} s")
    return cluster


def goals_of(largest: dict[str, Any]) -> dict[str, Any]:
    goals: dict[str, Any] = {"at_firms": largest["firms"]}
    for kind, block in largest["backends"].items():
        o, d = block["open_stats"], block.get("diff")
        goals[kind] = {"open_stats_median_s": med(o["total"]), "ratio_plain_over_store": o["ratio_plain_over_store"],
                       "open_ratio_ge_5x": o["goal_ratio_met"], "open_under_1s": o["goal_time_met"],
                       "diff_with_open_median_s": med(d["with_open"]) if d else None,
                       "diff_with_open_under_1s": med(d["with_open"]) < DIFF_GOAL_S if d else None,
                       "diff_without_open_median_s": med(d["without_open"]) if d else None,
                       "diff_without_open_under_1s": med(d["without_open"]) < DIFF_GOAL_S if d else None}
    return goals


def report(results: list[dict[str, Any]], state: dict[str, Any], notes: list[str], args: argparse.Namespace,
           sizes: list[int], started: float, load_before: float) -> None:
    """The tables, the profiles, the goals and the JSON line."""
    for r in results:
        print_size_table(r)
    growth = growth_table(results)
    print_growth(growth)
    largest = results[-1]
    for kind, block in largest["backends"].items():
        if "profile" in block:
            print_profile(kind, block["profile"], largest["firms"])
        if "profile_diff" in block:
            print_profile(kind, block["profile_diff"], largest["firms"], "ipgrid diff (diff_of, opens 2 versions)")
    goals = goals_of(largest)
    print(f"\ngoals at {largest['firms']:,} firms (open+stats ≥ {OPEN_GOAL_RATIO:g}× plain and < {OPEN_GOAL_S:g} s; "
          f"diff < {DIFF_GOAL_S:g} s):")
    for kind in largest["backends"]:
        g = goals[kind]
        print(f"  {BACKEND_LABELS[kind]:<11} open+stats {g['open_stats_median_s']:.3f} s, "
              f"{g['ratio_plain_over_store']}× plain: ≥5× {g['open_ratio_ge_5x']}, <1 s {g['open_under_1s']}; "
              f"diff <1 s with open {g['diff_with_open_under_1s']}, without {g['diff_without_open_under_1s']}")
    if "postgis_auto_backup" in state:
        pb = state["postgis_auto_backup"]
        print(f"  PostGIS automatic backup before an import works: {pb['ok']}"
              + ("" if pb["ok"] else f" — {pb['error'][:160]}"))
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("\n" + "\n".join(f"note: {n}" for n in notes))
    print(f"load average (1 min) at start {load_before:.2f}, at end {load_after:.2f} on {os.cpu_count()} CPUs "
          "(this benchmark keeps about 1–1.5 busy: Python and the PostgreSQL server; more means other processes "
          "shared the machine and inflated the times)")
    print(f"total {elapsed:.0f} s; peak RSS {rss} MB")
    print(json.dumps({"sizes": sizes, "backends": args.backends, "quarters": args.quarters, "runs": args.runs,
                      "results": results, "growth_per_10x": growth, "goals": goals,
                      "postgis_auto_backup": state.get("postgis_auto_backup"), "notes": notes,
                      "elapsed_s": round(elapsed, 1), "cpus": os.cpu_count(),
                      "load_average_start": round(load_before, 2), "load_average_end": round(load_after, 2),
                      "peak_rss_mb": rss}, ensure_ascii=False, default=str))


def main() -> None:
    """Run the benchmark and print the tables and the JSON line."""
    args, sizes = parse_args()
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="ipgrid-bench-store-"))
    os.environ[store_backup.DIR_ENV] = str(work / "pg_backups")  # never the home folder
    notes = list(NOTES)
    state: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    cluster = None
    log(f"work folder {work}; sizes {sizes}; backends {args.backends}; {args.quarters} quarters; runs {args.runs}")
    try:
        cluster = start_cluster(args, notes)
        for n in sizes:
            results.append(run_size(n, args, work, cluster, state, profile=n == sizes[-1]))
            if not args.keep:  # keep disk use bounded: this size's stores and folders are no longer needed
                shutil.rmtree(work / f"firms_{n}", ignore_errors=True)
                if cluster is not None:
                    cluster.drop_database(f"bench_store_{n}")
    finally:
        if cluster is not None:
            cluster.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(results, state, notes, args, sizes, started, load_before)


if __name__ == "__main__":
    main()
