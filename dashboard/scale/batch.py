"""Every district of a store, one engine task per district, on a Dask cluster or in this process.

The work of a city or province is the work of its districts: each district's
engine runs as one task (:func:`dashboard.scale.tasks.run_district`) and the
tables come back to be put end to end, in the store's order of districts.
Nothing here computes a figure; a region's own totals are
:func:`dashboard.engine.regions.region_total` of the districts' rows.

Where the tasks run:

- ``workers=0``: one after another in this process (the single-process path,
  and the reference the distributed path must equal);
- ``scheduler=None``: a :class:`distributed.LocalCluster` of ``workers``
  processes of one thread each on this machine — one district per worker
  at a time, so a worker's memory is one district's;
- ``scheduler="tcp://host:8786"``: an existing cluster (``dask scheduler`` and
  ``dask worker …`` on other machines, see docs/deploy.md); every worker must
  reach the store (PostGIS, or a GeoPackage on a path they all see).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dashboard.engine import DEFAULT_GRID_CELL_M
from dashboard.engine.catalog import LEVELS
from dashboard.scale.tasks import DISTRICT_COLUMN, DistrictResult, DistrictTask, run_district
from dashboard.store import Store
from loaders.errors import EngineInputError, IpgridError

CONNECT_TIMEOUT = "15s"
"""How long to wait for a cluster's scheduler before giving up with a message."""

LOOPBACK = "127.0.0.1"
"""Where a LocalCluster's scheduler, workers and (random-port) status page listen: this machine only."""


class BatchError(IpgridError):
    """A batch could not run: no cluster to reach, no district to count."""


@dataclass
class BatchResult:
    """The districts' tables end to end, and what the run cost."""

    table: pd.DataFrame
    """One level's rows of every district, ``district`` first."""
    results: list[DistrictResult]
    """Each district's task (its seconds, the firms it read, the peak memory of the process that ran it)."""
    seconds: float
    """Wall-clock time of the whole batch, the cluster's start included."""
    runner: str
    """Where it ran: ``本进程``, ``LocalCluster（N 个进程）`` or the scheduler's address."""
    skipped: list[str] = field(default_factory=list)
    """Districts without a version in force (every version withdrawn)."""

    def peak_rss_by_worker(self) -> dict[str, int]:
        """Highest resident memory seen per process that ran tasks (bytes)."""
        out: dict[str, int] = {}
        for r in self.results:
            out[r.worker] = max(out.get(r.worker, 0), r.peak_rss_bytes)
        return out


def district_tasks(location: str, level: str, *, year: int | None = None,
                   grid_cell_m: float = DEFAULT_GRID_CELL_M) -> tuple[list[DistrictTask], list[str]]:
    """One task per district of the store (its latest version in force), and the districts left out.

    Raises
    ------
    loaders.errors.EngineInputError
        ``level`` is not a level.
    BatchError
        The store holds no district with a version in force.
    """
    if level not in LEVELS:
        msg = f"层级应为 {list(LEVELS)} 之一，而不是 {level!r}"
        raise EngineInputError(msg)
    store = Store(location)
    tasks, skipped = [], []
    for name, latest in store.latest_by_district().items():
        if latest is None:
            skipped.append(name)
            continue
        tasks.append(DistrictTask(location=location, district=name, version_id=latest.version_id,
                                  as_of=latest.as_of, level=level, year=year, grid_cell_m=grid_cell_m))
    if not tasks:
        msg = f"存储 {store.location} 中没有有效的区县版本；先用 ipgrid import … --district 区县名 导入"
        raise BatchError(msg)
    return tasks, skipped


Progress = Callable[[int, int, str], None]
"""``progress(done, total, district)`` as each district's task finishes."""


def _in_process(tasks: list[DistrictTask], progress: Progress) -> Iterator[DistrictResult]:
    for i, task in enumerate(tasks):
        result = run_district(task)
        progress(i + 1, len(tasks), task.district)
        yield result


@contextmanager
def _spawn_safe_main() -> Iterator[None]:
    """Hide the parent's ``__main__`` file while LocalCluster spawns its workers.

    A spawned process re-imports its parent's ``__main__`` by path. A script without a
    ``if __name__ == "__main__"`` guard would run again in every worker: the app script under AppTest,
    or a user's script calling :func:`run_batch`. The workers need nothing from ``__main__``: a task is
    :func:`~dashboard.scale.tasks.run_district`, imported by its module's name.
    """
    main = sys.modules.get("__main__")
    if main is None or not getattr(main, "__file__", None):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


@contextmanager
def _client(workers: int, scheduler: str | None) -> Iterator[tuple[Any, str]]:
    """A Dask client of a new LocalCluster (closed afterwards) or of the cluster at ``scheduler``."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            msg = f"无法连接 Dask 调度器 {scheduler}：{exc}；请确认 dask scheduler 已启动、地址和端口无误"
            raise BatchError(msg) from None
        try:
            yield client, scheduler
        finally:
            client.close()
        return
    try:
        with _spawn_safe_main():
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host=LOOPBACK,
                                   dashboard_address=f"{LOOPBACK}:0", silence_logs=logging.ERROR)
    except (RuntimeError, OSError, TimeoutError) as exc:  # a worker process that cannot start: say so
        msg = f"无法在本机启动 {workers} 个 Dask 进程：{exc}；可用 --workers 0 在本进程中逐个区县计算"
        raise BatchError(msg) from None
    client = Client(cluster)
    try:
        yield client, f"LocalCluster（{workers} 个进程）"
    finally:
        client.close()
        cluster.close()


def _gathered(client: Any, tasks: list[DistrictTask], progress: Progress) -> list[DistrictResult]:
    """Every task's result from the cluster; a worker that died (out of memory, killed) as a :class:`BatchError`."""
    from distributed import KilledWorker, as_completed

    futures = client.map(run_district, tasks, pure=False, retries=0)
    names = {f.key: t.district for f, t in zip(futures, tasks, strict=True)}
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            progress(done, len(tasks), names[future.key])
        return list(client.gather(futures))
    except KilledWorker as exc:
        district = next((t.district for t, f in zip(tasks, futures, strict=True) if f.status == "error"), "?")
        msg = (f"计算区县「{district}」的进程意外退出（常见原因：内存不足）：{exc}；"
               "请减少每台机器的进程数（--workers）或给每个进程更多内存")
        raise BatchError(msg) from None


def run_batch(location: str, level: str, *, workers: int | None = None, scheduler: str | None = None,
              year: int | None = None, grid_cell_m: float = DEFAULT_GRID_CELL_M,
              progress: Progress | None = None) -> BatchResult:
    """``level``'s table of every district of the store at ``location``, each district one task.

    Parameters
    ----------
    location
        The store as given (a PostGIS URL keeps its password: the workers connect with it).
    level
        ``district`` (one row per district), ``town``, ``park`` or ``grid``.
    workers
        Processes of a LocalCluster; 0 runs the tasks in this process; ``None``:
        one per core, at most one per district (ignored with ``scheduler``).
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``).
    progress
        Told of each district as its task finishes (the app's progress bar).

    Raises
    ------
    BatchError
        No district to count, or the scheduler cannot be reached.
    dashboard.scale.tasks.DistrictTaskError
        A district could not be opened or counted (the first such, by district order).
    """
    start = time.perf_counter()
    tasks, skipped = district_tasks(location, level, year=year, grid_cell_m=grid_cell_m)
    if workers is None:
        workers = max(1, min(os.cpu_count() or 1, len(tasks)))
    report = progress or (lambda _done, _total, _name: None)
    if workers == 0 and not scheduler:
        results, runner = list(_in_process(tasks, report)), "本进程"
    else:
        with _client(workers, scheduler) as (client, runner):
            results = _gathered(client, tasks, report)
    table = pd.concat([r.table for r in results], ignore_index=True) if results else pd.DataFrame()
    for column in table.columns:  # a tier or industry one district lacks: none of its firms, not unknown
        if str(column).startswith(("tier:", "industry:")):
            table[column] = table[column].fillna(0).astype("int64")
    ordered = [DISTRICT_COLUMN, *[c for c in table.columns if c != DISTRICT_COLUMN]]
    return BatchResult(table=table[ordered], results=list(results), seconds=time.perf_counter() - start,
                       runner=runner, skipped=skipped)
