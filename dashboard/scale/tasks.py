"""The one task of a batch: open one district's version from the store, run the engine, return one level's table.

A task carries only the store's location and the district's name and
version, never data: each worker reads its own district from the store, so
no worker ever holds more than the district it is working on, and nothing
but the (small) area tables travels back.  The engine is the one every page
and command uses — the distributed figures are the single-process figures.
"""

from __future__ import annotations

import gc
import os
import resource
import socket
import time
from dataclasses import dataclass

import pandas as pd
import shapely

from dashboard.engine import DEFAULT_GRID_CELL_M, Engine
from loaders.errors import IpgridError

OUTLINE_TOLERANCE_DEG = 0.0005
"""Simplification of a district's outline for the city/province map (about 50 m: invisible at that scale)."""

DISTRICT_COLUMN = "district"
"""Column naming each row's district in a batch's table (and key of each ``--json`` record)."""


class DistrictTaskError(IpgridError):
    """One district's task failed (the message names the district and says why)."""


@dataclass(frozen=True)
class DistrictTask:
    """Which district's version to open and which level to count (picklable, a few bytes)."""

    location: str
    district: str
    version_id: int
    as_of: str
    level: str
    year: int | None = None
    grid_cell_m: float = DEFAULT_GRID_CELL_M


@dataclass(frozen=True)
class DistrictResult:
    """A task's table (``district`` first), with what it cost where it ran."""

    district: str
    as_of: str
    table: pd.DataFrame
    firms: int
    seconds: float
    peak_rss_bytes: int
    """Peak resident memory of the process that ran the task, over its life so far (a worker's high-water mark)."""
    worker: str
    """``host:pid`` of that process."""
    outline_wkb: bytes = b""
    """The district's outline (its towns' union, EPSG:4326, simplified to :data:`OUTLINE_TOLERANCE_DEG`) as WKB."""


def peak_rss_bytes() -> int:
    """Return this process's own peak resident set size in bytes (``VmHWM`` of ``/proc/self/status``).

    Not ``ru_maxrss``: on Linux a process started by another begins with its parent's peak (a worker
    spawned by a 2 GB driver would report 2 GB); ``ru_maxrss`` (KiB) only where there is no ``/proc``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def run_district(task: DistrictTask) -> DistrictResult:
    """Open ``task``'s version, compute ``task.level`` with the engine, and let the district go again.

    Raises
    ------
    DistrictTaskError
        The district could not be opened or counted (an :class:`IpgridError`
        of the store or the engine, reworded with the district's name).
    """
    from dashboard.store import Store

    start = time.perf_counter()
    try:
        store = Store(task.location).for_district(task.district)
        version = next((v for v in store.versions() if v.version_id == task.version_id), None)
        if version is None:
            msg = f"版本 {task.version_id} 已不在存储中"
            raise DistrictTaskError(msg)
        engine = Engine(store.open_bundle(version), year=task.year, grid_cell_m=task.grid_cell_m)
        table = engine.stats(task.level).copy()
        firms = len(engine.firms)
        outline = shapely.simplify(engine.areas("district").geometry.iloc[0], OUTLINE_TOLERANCE_DEG)
    except IpgridError as exc:
        raise DistrictTaskError(f"区县「{task.district}」（数据截至 {task.as_of}）：{exc}") from None
    table.insert(0, DISTRICT_COLUMN, task.district)
    del engine
    gc.collect()  # the district's frames go before the next task comes: one district per worker at a time
    return DistrictResult(district=task.district, as_of=task.as_of, table=table, firms=firms,
                          seconds=time.perf_counter() - start, peak_rss_bytes=peak_rss_bytes(),
                          worker=f"{socket.gethostname()}:{os.getpid()}", outline_wkb=shapely.to_wkb(outline))
