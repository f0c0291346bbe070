"""Which data folder the app shows, loading it once per change of its files, and the shared engine.

The folder is the one chosen on the 数据 page for this session, else
``$IPGRID_DATA``, else the bundled demo district (:data:`geodata.DEMO_DIR`,
found beside the package, not in the working directory).

Loading is cached per (folder, signature) in one process-wide store
(:func:`data_store`, a bounded :class:`~dashboard.engine.memo.Memo` kept by
``st.cache_resource``): editing, adding or removing a file changes the
signature and the next run reloads, showing progress while it does.  Each
loaded folder has one :class:`~dashboard.engine.Engine`, which memoises its
own tables (and what the maps prepare from them, :meth:`Engine.memo`), shared
by every page and session.  Everything it returns is shared: never change it
in place.

This module is the data layer: it imports no page, map or export code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import loaders
from dashboard.engine import Engine
from dashboard.engine.memo import Memo
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


WarmUpStep = tuple[str, Callable[[Engine], object]]
"""(progress text, work on the engine) done while a folder loads."""

WARM_UP: list[WarmUpStep] = [
    ("企业落点（镇街、园区、网格）", lambda e: e.stats("town")),
    ("全区与园区统计", lambda e: (e.stats("district"), e.stats("park"))),
    ("网格统计", lambda e: e.stats("grid")),
    ("企业明细与最近服务站点", lambda e: e.firm_table()),
    ("指标与目标", lambda e: e.targets()),
    ("问题清单", lambda e: e.problems),
]
"""Work done while loading, so the first page opens at once.  The presentation layers append their own
steps (:func:`add_warm_up`: the maps' firm tooltips) without this module importing them."""


def add_warm_up(step: WarmUpStep) -> None:
    """Do ``step`` too while a folder loads (once per label, however often the app script reruns)."""
    if all(label != step[0] for label, _ in WARM_UP):
        WARM_UP.append(step)


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
    engine: Engine
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
    engine = Engine(bundle)
    for i, (label, step) in enumerate(WARM_UP):
        report(f"计算：{label}", 0.7 + 0.3 * i / len(WARM_UP))
        step(engine)
    report("完成", 1.0)
    return LoadedData(folder=folder, signature=signature, bundle=bundle, engine=engine,
                      seconds=time.perf_counter() - start, loaded_at=time.time())


def folder_key(folder: Path, signature: Signature) -> tuple[str, Signature]:
    """Key of a loaded folder in :func:`data_store`."""
    return (str(folder), signature)


def load_into(store: Memo, folder: Path, signature: Signature, progress: Progress | None = None) -> LoadedData:
    """Load ``folder`` into ``store`` (once, even when several sessions ask at the same time).

    A folder loaded with a new signature replaces its older versions: the
    store never holds two states of one folder.
    """
    key = folder_key(folder, signature)
    item: LoadedData = store.get(key, lambda: load(folder, signature, progress))
    store.discard(lambda k: not (isinstance(k, tuple) and k[0] == key[0] and k != key))
    return item


@st.cache_resource(show_spinner=False)
def data_store() -> Memo:
    """The process-wide store of loaded folders: (folder, signature) → :class:`LoadedData`."""
    return Memo(entries=STORE_ENTRIES)


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
    item: LoadedData | None = store.peek(folder_key(folder, signature))
    if item is not None:
        return item
    with st.status(f"正在读取数据文件夹 {folder.name or folder} …", expanded=True) as status:
        bar = st.progress(0.0, text="开始读取")

        def progress(text: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=text)

        try:
            item = load_into(store, folder, signature, progress)
        except loaders.IpgridError:
            status.update(label="读取失败", state="error", expanded=False)
            raise
        status.update(label=f"已读取 {folder.name or folder}（{item.seconds:.1f} 秒）", state="complete",
                      expanded=False)
    return item


def reload_data() -> None:
    """Drop every loaded folder so the next run reads the files again."""
    data_store().clear()
