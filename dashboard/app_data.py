"""Which data folder the app shows, loading it once per change of its files, and the shared engine.

The folder is the one chosen on the 数据 page for this session, else
``$IPGRID_DATA``, else the bundled demo district (:data:`geodata.DEMO_DIR`,
found beside the package, not in the working directory).

Loading is cached per (folder, signature) in one process-wide store
(:func:`data_store`, an ``st.cache_resource``): editing, adding or removing a
file changes the signature and the next run reloads, showing progress while
it does.  Each loaded folder has one :class:`CachedEngine`: the engine plus a
memo of its tables and of the maps' prepared layers, shared by every page and
session.  Everything it returns is shared: never change it in place.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import loaders
from dashboard.engine import Engine
from dashboard.maps.views import firm_tips
from geodata import DEMO_DIR
from loaders.bundle import DataBundle

DATA_ENV = "IPGRID_DATA"
"""Environment variable naming the data folder."""

DEFAULT_DATA_FOLDER: Path = DEMO_DIR
"""Folder shown when :data:`DATA_ENV` is not set: the synthetic demo district."""

SESSION_FOLDER = "ipgrid.folder"
"""Session-state key of the folder chosen on the 数据 page (a string path)."""

LOAD_ERROR = "ipgrid.load_error"
"""Session-state key holding the message of this run's loading failure (the 数据 page then loads nothing)."""

IGNORED_PREFIXES = (".", "~$", ".~lock")
"""Names of editor lock files and hidden files, left out of the signature."""

STORE_ENTRIES = 4
"""Loaded folders kept in memory (the least recently used is dropped)."""

Signature = tuple[tuple[str, int, int], ...]
"""(relative path, size in bytes, mtime in ns) of every file, sorted by path."""

Progress = Callable[[str, float], None]
"""``progress(text, fraction)`` while a folder loads."""


def data_folder() -> Path:
    """Return the data folder named by the environment.

    Returns
    -------
    Path
        ``$IPGRID_DATA`` resolved against the working directory when set,
        else :data:`DEFAULT_DATA_FOLDER`.
    """
    value = os.environ.get(DATA_ENV, "").strip()
    if not value:
        return DEFAULT_DATA_FOLDER
    return Path(value).expanduser().resolve()


def active_folder() -> Path:
    """The folder this session shows: its choice on the 数据 page, else :func:`data_folder`."""
    chosen = st.session_state.get(SESSION_FOLDER) if get_script_run_ctx() is not None else None
    return Path(chosen).expanduser().resolve() if chosen else data_folder()


def folder_signature(folder: str | os.PathLike[str]) -> Signature:
    """Describe the files of ``folder`` cheaply enough to run on every rerun.

    Parameters
    ----------
    folder
        The data folder (searched recursively).

    Returns
    -------
    Signature
        One (relative path, size, mtime) tuple per file; empty when the
        folder does not exist, so loading then reports the missing folder.

    Examples
    --------
    >>> folder_signature("/nonexistent")
    ()
    """
    root = Path(folder)
    if not root.is_dir():
        return ()
    entries = []
    for path in sorted(root.rglob("*")):
        if path.name.startswith(IGNORED_PREFIXES) or not path.is_file():
            continue
        stat = path.stat()
        entries.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


class CachedEngine:
    """An :class:`~dashboard.engine.Engine` whose tables are computed once and shared.

    ``stats``, ``choropleth``, ``areas``, ``firm_table``, ``uncovered_firms``,
    ``suggest_sites`` and ``targets`` are memoised by their arguments;
    :meth:`memo` caches anything else derived from this folder (the maps'
    prepared layers).  Other attributes pass through to the engine.
    Returned frames are shared: copy before changing them.

    Parameters
    ----------
    engine
        The engine of one loaded folder.
    """

    VOLATILE_ENTRIES = 64
    """Most results kept of the ``volatile`` kind (one per metric × classification the users tried)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._memo: dict[tuple, Any] = {}
        self._volatile: OrderedDict[tuple, Any] = OrderedDict()
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def memo(self, key: tuple, fn: Callable[[], Any], *, volatile: bool = False) -> Any:
        """``fn()`` computed once per ``key`` (thread-safe: concurrent callers wait for the first).

        ``volatile`` results (one per choice of metric and classification) are
        kept in a bounded store, the least recently used dropped first; the
        others (tables, outlines) live as long as the loaded folder.
        """
        store = self._volatile if volatile else self._memo
        with self._guard:
            if key in store:
                if volatile:
                    self._volatile.move_to_end(key)
                return store[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in store:
                    return store[key]
            value = fn()
            with self._guard:
                store[key] = value
                if volatile:
                    while len(self._volatile) > self.VOLATILE_ENTRIES:
                        old, _ = self._volatile.popitem(last=False)
                        self._locks.pop(old, None)
        return value

    def stats(self, level: str) -> pd.DataFrame:
        """:meth:`Engine.stats`, memoised."""
        return self.memo(("stats", level), lambda: self.engine.stats(level))

    def choropleth(self, level: str) -> Any:
        """:meth:`Engine.choropleth`, memoised."""
        return self.memo(("choropleth-frame", level), lambda: self.engine.choropleth(level))

    def areas(self, level: str) -> Any:
        """:meth:`Engine.areas`, memoised."""
        return self.memo(("areas", level), lambda: self.engine.areas(level))

    def firm_table(self) -> pd.DataFrame:
        """:meth:`Engine.firm_table`, memoised."""
        return self.memo(("firm_table",), self.engine.firm_table)

    def uncovered_firms(self) -> pd.DataFrame:
        """:meth:`Engine.uncovered_firms`, memoised."""
        return self.memo(("uncovered",), self.engine.uncovered_firms)

    def suggest_sites(self, k: int) -> pd.DataFrame:
        """:meth:`Engine.suggest_sites`, memoised per ``k``."""
        return self.memo(("sites", int(k)), lambda: self.engine.suggest_sites(int(k)))

    def targets(self) -> pd.DataFrame:
        """:meth:`Engine.targets`, memoised."""
        return self.memo(("targets",), self.engine.targets)

    @property
    def is_demo(self) -> bool:
        """Whether every view must carry the 示例数据 label."""
        return bool(self.engine.bundle.is_demo)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.engine, name)


WARM_UP: tuple[tuple[str, Callable[[CachedEngine], object]], ...] = (
    ("企业落点（镇街、园区、网格）", lambda e: e.stats("town")),
    ("全区与园区统计", lambda e: (e.stats("district"), e.stats("park"))),
    ("网格统计", lambda e: e.stats("grid")),
    ("企业明细与最近服务站点", lambda e: e.firm_table()),
    ("地图上的企业信息", lambda e: firm_tips(e)),
    ("问题清单", lambda e: e.problems),
)
"""Engine work done while loading, so the first page opens at once."""


@dataclass
class LoadedData:
    """One loaded folder.

    Attributes
    ----------
    folder
        The data folder.
    signature
        Its :func:`folder_signature` when loaded.
    bundle
        Canonical layers and problems.
    engine
        The shared, memoised engine.
    seconds
        How long loading took.
    loaded_at
        When (epoch seconds).
    """

    folder: Path
    signature: Signature
    bundle: DataBundle
    engine: CachedEngine
    seconds: float
    loaded_at: float

    @property
    def is_demo(self) -> bool:
        """Whether every view must carry the 示例数据 label."""
        return bool(self.bundle.is_demo)


def load(folder: Path, signature: Signature, progress: Progress | None = None) -> LoadedData:
    """Load ``folder`` and warm its engine up, reporting progress.

    Raises
    ------
    loaders.IpgridError
        The folder cannot be loaded (missing, no towns, unreadable file, bad ``ipgrid.toml``).
    """
    start = time.perf_counter()
    report = progress or (lambda _text, _fraction: None)

    def on_layer(label: str, done: int, total: int) -> None:
        report(f"读取图层：{label}（{done + 1}/{total}）", 0.7 * done / max(total, 1))

    bundle = loaders.load_folder(folder, progress=on_layer)
    engine = CachedEngine(Engine(bundle))
    for i, (label, step) in enumerate(WARM_UP):
        report(f"计算：{label}", 0.7 + 0.3 * i / len(WARM_UP))
        step(engine)
    report("完成", 1.0)
    return LoadedData(folder=folder, signature=signature, bundle=bundle, engine=engine,
                      seconds=time.perf_counter() - start, loaded_at=time.time())


class DataStore:
    """Loaded folders by (folder, signature), the most recent :data:`STORE_ENTRIES` kept."""

    def __init__(self, entries: int = STORE_ENTRIES) -> None:
        self.entries = entries
        self._items: OrderedDict[tuple[str, Signature], LoadedData] = OrderedDict()
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, Signature], threading.Lock] = {}

    def get(self, folder: Path, signature: Signature) -> LoadedData | None:
        """The loaded folder, or ``None`` when it has not been loaded with this signature."""
        key = (str(folder), signature)
        with self._guard:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def load(self, folder: Path, signature: Signature, progress: Progress | None = None) -> LoadedData:
        """Load (once, even when several sessions ask at the same time) and keep."""
        key = (str(folder), signature)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            item = self.get(folder, signature)
            if item is not None:
                return item
            item = load(folder, signature, progress)
            with self._guard:
                self._items[key] = item
                # a changed folder replaces its older versions
                for old in [k for k in self._items if k[0] == key[0] and k != key]:
                    del self._items[old]
                while len(self._items) > self.entries:
                    self._items.popitem(last=False)
            return item

    def put(self, folder: Path, signature: Signature, data: LoadedData) -> None:
        """Keep already loaded data (benchmarks and tests that build a bundle in memory)."""
        with self._guard:
            self._items[(str(folder), signature)] = data

    def clear(self) -> None:
        """Forget every loaded folder (the 重新读取 button)."""
        with self._guard:
            self._items.clear()
            self._locks.clear()


@st.cache_resource(show_spinner=False)
def data_store() -> DataStore:
    """The process-wide store of loaded folders."""
    return DataStore()


def current_data(folder: Path | None = None) -> LoadedData:
    """The loaded data of ``folder`` (default :func:`active_folder`), loading it with visible progress.

    Raises
    ------
    loaders.IpgridError
        See :func:`load`; not cached, so fixing the files fixes the app.
    """
    folder = active_folder() if folder is None else folder
    signature = folder_signature(folder)
    store = data_store()
    item = store.get(folder, signature)
    if item is not None:
        return item
    with st.status(f"正在读取数据文件夹 {folder.name or folder} …", expanded=True) as status:
        bar = st.progress(0.0, text="开始读取")

        def progress(text: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=text)

        try:
            item = store.load(folder, signature, progress)
        except loaders.IpgridError:
            status.update(label="读取失败", state="error", expanded=False)
            raise
        status.update(label=f"已读取 {folder.name or folder}（{item.seconds:.1f} 秒）", state="complete",
                      expanded=False)
    return item


def reload_data() -> None:
    """Drop every loaded folder so the next run reads the files again."""
    data_store().clear()
