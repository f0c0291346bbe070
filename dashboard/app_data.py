"""Which data the app shows — a folder or a store's version — loading it once per change, and the shared engine.

The data is the folder chosen on the 数据 page for this session, else the
store ``$IPGRID_STORE``, else the folder ``$IPGRID_DATA``, else the demo
store (four quarters of the synthetic district, :mod:`dashboard.store.demo`).
A store's version is chosen with the 数据截至 selector (``asof=`` in the
URL), the latest by default; each version is loaded once and never changes.  A folder typed on
the 数据 page must lie inside one of the allowed roots (:func:`allowed_roots`:
``$IPGRID_DATA_ROOTS``, else the parent of ``$IPGRID_DATA`` and the demo folder);
:func:`check_folder_choice` refuses anything else before it is read.

Every rerun fingerprints the folder (:func:`scan_folder`): only what the
loaders read (its own files, and the folders of files ``ipgrid.toml`` names),
at most :data:`MAX_SCANNED_ENTRIES` entries, never a walk of a tree; an
unreadable entry is noted, never raised.

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

import dataclasses
import os
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import loaders
from dashboard.access.scope import FULL_SCOPE, Scope, scoped
from dashboard.engine import Engine
from dashboard.engine.core import count_years
from dashboard.engine.memo import Memo
from dashboard.store import Store, Version
from dashboard.store.demo import demo_store
from geodata import DEMO_DIR
from loaders.bundle import DataBundle
from loaders.errors import FolderChoiceError, FolderScanError

DATA_ENV = "IPGRID_DATA"
"""Environment variable naming the data folder."""

STORE_ENV = "IPGRID_STORE"
"""Environment variable naming the store (a ``.gpkg`` file or a ``postgresql://`` URL); wins over :data:`DATA_ENV`."""

ASOF_PARAM = "asof"
"""URL parameter of the version shown (its as-of date)."""

ASOF_KEY = "app.asof"
"""Widget key of the 数据截至 selector."""

DISTRICT_PARAM = "district"
"""URL parameter of the district shown, in a store of several districts (a city's or province's)."""

DISTRICT_KEY = "app.district"
"""Widget key of the 区县 selector."""

NEXT_ASOF = "ipgrid.asof.next"
"""Session key: the as-of date to show on the next run (set after an import)."""

ROOTS_ENV = "IPGRID_DATA_ROOTS"
"""Environment variable listing (``os.pathsep``-separated) the folders under which an admin may open data on the
数据 page (:data:`dashboard.access.settings.DATA_ROOTS_ENV`)."""

MAX_SCANNED_ENTRIES = 2000
"""Most directory entries :func:`scan_folder` looks at: a folder with more is not a data folder."""

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
"""(relative path, size in bytes, mtime in ns) of every file the loaders read, sorted by path."""

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


def _resolved(path: str | os.PathLike[str]) -> Path | None:
    """``path`` with ``~``, ``..`` and links resolved; ``None`` when it cannot be (a NUL byte, a link loop)."""
    try:
        return Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def allowed_roots() -> tuple[Path, ...]:
    """The folders under which a folder may be opened from the 数据 page.

    ``$IPGRID_DATA_ROOTS`` (several separated by ``os.pathsep``: ``:`` on Linux)
    when set; otherwise the parent of ``$IPGRID_DATA`` when that is set (the
    folder itself when its parent is the file system's root, which would
    allow everything), plus the bundled demo folder.  Each is resolved (links
    and ``..``).

    Returns
    -------
    tuple of Path
        Distinct roots, in the order given.
    """
    # Only an admin may choose a folder (the 数据 page is theirs, chosen_folder checks the role again);
    # these roots bound what even an admin may make the server read.
    listed = [p.strip() for p in os.environ.get(ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    if not listed:
        if os.environ.get(DATA_ENV, "").strip():
            shown = data_folder()
            listed.append(str(shown if shown.parent == shown.parent.parent else shown.parent))
        listed.append(str(DEMO_DIR))
    roots = (_resolved(p) for p in listed)
    return tuple(dict.fromkeys(r for r in roots if r is not None))


def within_roots(folder: Path, roots: tuple[Path, ...] | None = None) -> bool:
    """Whether the resolved ``folder`` is one of ``roots`` (default :func:`allowed_roots`) or inside one."""
    return any(folder.is_relative_to(root) for root in (allowed_roots() if roots is None else roots))


def check_folder_choice(text: str) -> Path:
    """The folder a user typed, resolved, when the app may open it.

    Nothing is listed or read: the path is resolved (``~``, ``..``, links)
    and must lie inside :func:`allowed_roots`, exist and be a folder.

    Raises
    ------
    loaders.errors.FolderChoiceError
        With one Chinese sentence saying which of these it is not.
    """
    typed = text.strip()
    folder = _resolved(typed)
    roots = allowed_roots()
    if folder is None or not within_roots(folder, roots):
        listed = "、".join(str(r) for r in roots) or "（无）"
        msg = (f"不能读取「{typed}」：只能读取允许的数据目录（{listed}）之内的文件夹；"
               f"请把数据文件夹放在这些目录下，或请管理员设置环境变量 {ROOTS_ENV}")
        raise FolderChoiceError(msg)
    try:
        exists, is_dir = folder.exists(), folder.is_dir()
    except OSError:
        exists = is_dir = False
    if not exists:
        msg = f"文件夹「{typed}」不存在"
        raise FolderChoiceError(msg)
    if not is_dir:
        msg = f"「{typed}」是文件，不是文件夹；请填写数据文件夹的路径"
        raise FolderChoiceError(msg)
    return folder


def chosen_folder() -> str | None:
    """The folder this session chose on the 数据 page — honoured only for a role that may choose one (an admin)."""
    if get_script_run_ctx() is None:
        return None
    chosen = st.session_state.get(SESSION_FOLDER)
    if not chosen:
        return None
    from dashboard.access.roles import may
    from dashboard.access.session import AccessRefusedError, current_viewer

    try:
        role = current_viewer().role
    except AccessRefusedError:
        return None
    return str(chosen) if may(role, "choose_folder") else None


def active_folder() -> Path:
    """The folder this session shows: its choice on the 数据 page (while still allowed), else :func:`data_folder`."""
    chosen = chosen_folder()
    folder = _resolved(chosen) if chosen else None
    return folder if folder is not None and within_roots(folder) else data_folder()


@dataclass(frozen=True)
class FolderScan:
    """What one cheap look at a data folder found.

    Attributes
    ----------
    signature
        (relative path, size, mtime) of each file the loaders read, sorted.
    problem
        Why the folder cannot be loaded (too many entries, unreadable), or ``None``.
    skipped
        Entries that could not be looked at (a broken link, no permission), relative paths.
    """

    signature: Signature
    problem: str | None = None
    skipped: tuple[str, ...] = ()


def _configured_dirs(root: Path) -> dict[Path, set[str]]:
    """Subfolders holding files ``ipgrid.toml`` names → those files' names (their sidecars share the stem)."""
    try:
        config = loaders.read_config(root)
        base = root.resolve()
        named = [(root / layer.file).resolve().relative_to(base) for layer in config.layers.values() if layer.file]
    except (loaders.IpgridError, OSError, RuntimeError, ValueError):
        return {}  # loading reports it; ipgrid.toml itself is in the signature
    dirs: dict[Path, set[str]] = {}
    for relative in named:
        if relative.parent != Path("."):
            dirs.setdefault(relative.parent, set()).add(relative.name)
    return dirs


def _reason(exc: OSError) -> str:
    return "没有读取权限" if isinstance(exc, PermissionError) else exc.strerror or type(exc).__name__


def _same_file_set(name: str, files: set[str]) -> bool:
    """Whether ``name`` is one of ``files`` or a sidecar of one (``x.shp`` → ``x.dbf``, ``x.prj``, ``x.shp.xml``)."""
    return any(name == f or name.startswith(f"{Path(f).stem}.") for f in files)


class _Scanner:
    """Lists directories for :func:`scan_folder`, counting every entry against one limit."""

    def __init__(self, root: Path, limit: int) -> None:
        self.root, self.limit, self.seen = root, limit, 0
        self.entries: list[tuple[str, int, int]] = []
        self.skipped: list[str] = []

    def add_dir(self, relative: Path, files: set[str] | None = None) -> str | None:
        """Add the files of ``root / relative`` (only ``files`` and their sidecars when given).

        Returns the problem that stops the scan, or ``None``.
        """
        shown = relative.as_posix() if relative != Path(".") else ""
        try:
            with os.scandir(self.root / relative) as found:
                for entry in found:
                    self.seen += 1
                    if self.seen > self.limit:
                        return (f"文件夹中文件过多（超过 {self.limit:,} 个），不像是数据文件夹；"
                                "请选择只含数据文件的文件夹")
                    self._add(entry, shown, files)
        except (FileNotFoundError, NotADirectoryError):
            return None  # loading reports the missing folder or file, with its name
        except OSError as exc:
            return f"无法读取文件夹{f'「{shown}」' if shown else ''}：{_reason(exc)}"
        return None

    def _add(self, entry: os.DirEntry[str], shown: str, files: set[str] | None) -> None:
        name = entry.name
        if name.startswith(IGNORED_PREFIXES) or (files is not None and not _same_file_set(name, files)):
            return
        path = f"{shown}/{name}" if shown else name
        try:
            if not entry.is_file():  # follows links; a broken link is neither file nor folder
                if entry.is_symlink() and not entry.is_dir():
                    self.skipped.append(path)
                return
            stat = entry.stat()
        except OSError:
            self.skipped.append(path)
            return
        self.entries.append((path, stat.st_size, stat.st_mtime_ns))


def scan_folder(folder: str | os.PathLike[str], limit: int = MAX_SCANNED_ENTRIES) -> FolderScan:
    """Fingerprint ``folder`` cheaply enough to run on every rerun, whatever folder it is.

    Only what :func:`loaders.load_folder` reads is looked at: the folder's
    own files (not its subfolders' — the loaders find layers at the top),
    and the files of the subfolders that ``ipgrid.toml`` names a file in.
    At most ``limit`` directory entries are looked at in all.

    Parameters
    ----------
    folder
        The data folder.
    limit
        Most directory entries looked at; beyond it the scan stops with a problem.

    Returns
    -------
    FolderScan
        Never raises: a folder that cannot be listed has a ``problem``, an
        entry that cannot be looked at is in ``skipped``.

    Examples
    --------
    >>> scan_folder("/nonexistent").signature
    ()
    """
    root = Path(folder)
    scanner = _Scanner(root, limit)
    problem = scanner.add_dir(Path("."))
    if problem is None:
        for relative, files in _configured_dirs(root).items():
            problem = scanner.add_dir(relative, files)
            if problem is not None:
                break
    return FolderScan(signature=tuple(sorted(scanner.entries)), problem=problem, skipped=tuple(scanner.skipped))


def folder_signature(folder: str | os.PathLike[str]) -> Signature:
    """The signature of :func:`scan_folder`: changes when a file the loaders read is added, removed or edited.

    Parameters
    ----------
    folder
        The data folder.

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
    return scan_folder(folder).signature


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
    store: Store | None = None
    """The store the data comes from, ``None`` for a folder."""
    version: Version | None = None
    """The store version shown."""
    versions: tuple[Version, ...] = ()
    """Every version in force in the store, oldest first (what the 数据截至 selector offers)."""
    districts: tuple[str, ...] = ()
    """Every district of the store when it holds several (what the 区县 selector offers), else empty."""
    scope: Scope = FULL_SCOPE
    """Whose view this is: :attr:`engine` (and every engine of :meth:`engine_of`) is scoped to it."""

    @property
    def is_demo(self) -> bool:
        """Whether every view must carry the 示例数据 label."""
        return bool(self.bundle.is_demo)

    @property
    def previous(self) -> Version | None:
        """The version in force before the one shown (for "since last quarter"), ``None`` when there is none."""
        if self.version is None:
            return None
        earlier = [v for v in self.versions if v.as_of < self.version.as_of]
        return earlier[-1] if earlier else None

    def history(self) -> list[tuple[str, Engine]]:
        """(as-of date, engine) of every version in force up to the one shown, oldest first (a folder: itself)."""
        if self.store is None or self.version is None:
            return [(self.engine.data_date, self.engine)]
        shown = self.version.as_of
        return [(v.as_of, self.engine if v.version_id == self.version.version_id else self.engine_of(v))
                for v in self.versions if v.as_of <= shown]

    def engine_of(self, version: Version) -> Engine:
        """The shared engine of another version of the same store (loaded once, like this one)."""
        if self.store is None:
            msg = "a folder has no other versions"
            raise ValueError(msg)
        return scoped(load_version(self.store, version, None).engine, self.scope)


def load(folder: Path, signature: Signature, progress: Progress | None = None) -> LoadedData:
    """Load ``folder`` and warm its engine up, reporting progress.

    Raises
    ------
    loaders.IpgridError
        The folder cannot be loaded (missing, no towns, unreadable file, bad ``ipgrid.toml``);
        an ``OSError`` while reading (no permission) becomes a :class:`~loaders.DataFolderError`
        naming the file, without the server's path.
    """
    start = time.perf_counter()
    report = progress or (lambda _text, _fraction: None)

    def on_layer(label: str, done: int, total: int) -> None:
        report(f"读取图层：{label}（{done + 1}/{total}）", 0.7 * done / max(total, 1))

    try:
        bundle = loaders.load_folder(folder, progress=on_layer)
    except OSError as exc:  # a file without read permission, a link loop: a message, not a traceback on every page
        name = Path(exc.filename).name if exc.filename else folder.name
        msg = f"无法读取「{name}」：{_reason(exc)}"
        raise loaders.DataFolderError(msg) from None
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
    """The data this session shows (:func:`loaded_data`), counted at the 统计年份 it chose (default: the data date).

    Raises
    ------
    loaders.IpgridError
        See :func:`loaded_data`.
    """
    from dashboard.access.session import current_viewer  # the session layer imports this module

    viewer = current_viewer()
    return scoped_data(with_chosen_year(loaded_data(folder)), viewer.scope)


def scoped_data(item: LoadedData, scope: Scope) -> LoadedData:
    """``item`` as ``scope`` sees it: its engine (and the engines of other versions) scoped."""
    if scope == item.scope:
        return item
    return dataclasses.replace(item, engine=scoped(item.engine, scope), scope=scope)


def loaded_data(folder: Path | None = None) -> LoadedData:
    """The loaded data of ``folder`` (default :func:`active_folder`), loading it with visible progress.

    Raises
    ------
    loaders.IpgridError
        See :func:`load`, and :class:`~loaders.errors.FolderScanError` for a
        folder :func:`scan_folder` cannot list; not cached, so fixing the files fixes the app.
    """
    if folder is None and active_store_location() is not None:
        return current_store_data(str(active_store_location()))
    folder = active_folder() if folder is None else folder
    scan = scan_folder(folder)
    if scan.problem is not None:
        raise FolderScanError(scan.problem)
    signature = scan.signature
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


def active_store_location() -> str | None:
    """The store this session shows, ``None`` when it shows a folder.

    A folder chosen on the 数据 page wins, then ``$IPGRID_STORE``; without
    either, ``$IPGRID_DATA`` names a folder, and without that the demo store is shown.
    """
    if chosen_folder():
        return None
    configured = os.environ.get(STORE_ENV, "").strip()
    if configured:
        return configured
    if os.environ.get(DATA_ENV, "").strip():
        return None
    return str(demo_store())


def _version_key(store: Store, version: Version) -> tuple[str, Signature]:
    # A version never changes; what is shown of it changes with the assignment history.
    stamp = store.assignment_stamp()  # one query on every rerun, not the whole history
    return (store.location, (("@version", version.version_id, stamp),))


def load_version(store: Store, version: Version, progress: Progress | None) -> LoadedData:
    """The loaded data of one store version (once per process, shared by every session)."""
    key = _version_key(store, version)

    def build() -> LoadedData:
        start = time.perf_counter()
        report = progress or (lambda _text, _fraction: None)
        report(f"打开版本：数据截至 {version.as_of}", 0.1)
        bundle = store.open_bundle(version)
        engine = Engine(bundle)
        for i, (label, step) in enumerate(WARM_UP):
            report(f"计算：{label}", 0.3 + 0.7 * i / len(WARM_UP))
            step(engine)
        return LoadedData(folder=bundle.folder, signature=key[1], bundle=bundle, engine=engine,
                          seconds=time.perf_counter() - start, loaded_at=time.time(), store=store, version=version,
                          versions=tuple(store.active_versions()))

    item: LoadedData = data_store().get(key, build)
    return item


def first_district(store: Store, districts: tuple[str, ...]) -> str:
    """The district a session opens on: a commissioner's own (where their cells are), else the store's first."""
    from dashboard.access.session import current_viewer  # the session layer imports this module

    scope = current_viewer().scope
    own = store.districts_of(scope.commissioner) if scope.role == "commissioner" and scope.commissioner else []
    return own[0] if own else districts[0]


def chosen_district(districts: tuple[str, ...], default: str | None = None) -> str:
    """The district the session asked for (the 区县 selector, ``district=`` in the URL), else ``default``."""
    first = default if default in districts else districts[0]
    if get_script_run_ctx() is None:
        return first
    from dashboard.ui.state import bind  # URL-bound session values; imported here: ui imports this module

    return str(bind("app", DISTRICT_PARAM, first, options=list(districts), key=DISTRICT_KEY).value)


def chosen_version(versions: list[Version]) -> Version:
    """The version the session asked for (the 数据截至 selector, ``asof=`` in the URL), else the latest."""
    from dashboard.ui.state import bind  # URL-bound session values; imported here: ui imports this module

    dates = [v.as_of for v in versions]
    shown_next = st.session_state.pop(NEXT_ASOF, None) if get_script_run_ctx() else None
    if shown_next in dates:  # a version just imported on the 数据 page: show it (set before the selector is drawn)
        st.session_state[ASOF_KEY] = shown_next
    bound = bind("app", ASOF_PARAM, dates[-1], options=dates, key=ASOF_KEY) if get_script_run_ctx() else None
    wanted = dates[-1] if bound is None else str(bound.value)
    return next(v for v in versions if v.as_of == wanted)


YEAR_PARAM = "year"
"""URL parameter of the year whose end the rights are counted at (none: as of the data date)."""

YEAR_KEY = "app.year"
"""Widget key of the 统计年份 selector."""


def year_choices(item: LoadedData) -> list[int]:
    """Years the data can be counted at (needs a dated rights layer), newest first."""
    return list(reversed(item.engine.memo(("count-years",), lambda: count_years(item.bundle))))


def with_chosen_year(item: LoadedData) -> LoadedData:
    """``item`` with the engine of the year the session chose (统计年份, ``year=`` in the URL), shared per year."""
    if get_script_run_ctx() is None:
        return item
    years = year_choices(item)
    if not years:
        return item
    from dashboard.ui.state import bind  # URL-bound session values; imported here: ui imports this module

    bound = bind("app", YEAR_PARAM, 0, options=[0, *years], parse=int, key=YEAR_KEY)
    year = int(bound.value)
    if not year:
        return item
    engine = item.engine.memo(("year-engine", year), lambda: Engine(item.bundle, year=year))
    return dataclasses.replace(item, engine=engine)


def current_store_data(location: str) -> LoadedData:
    """The loaded version of the store at ``location`` this session shows, with visible progress the first time.

    Raises
    ------
    loaders.IpgridError
        The store cannot be opened or has no version in force.
    """
    store = Store(location)
    districts = tuple(store.districts())
    if len(districts) > 1:
        store = store.for_district(chosen_district(districts, first_district(store, districts)))
    versions = store.active_versions()
    if not versions:
        store.version()  # raises the message saying how to import a first version
    version = chosen_version(versions)
    key = _version_key(store, version)
    item: LoadedData | None = data_store().peek(key)
    if item is not None:  # the store may have gained a version or a district since
        return dataclasses.replace(item, versions=tuple(versions), districts=districts if len(districts) > 1 else ())
    with st.status(f"正在打开数据版本（数据截至 {version.as_of}）…", expanded=False) as status:
        bar = st.progress(0.0, text="开始")

        def progress(text: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=text)

        item = load_version(store, version, progress)
        status.update(label=f"已打开：数据截至 {version.as_of}（{item.seconds:.1f} 秒）", state="complete")
    return dataclasses.replace(item, versions=tuple(versions), districts=districts if len(districts) > 1 else ())


REGION_DERIVED_ENTRIES = 16
"""Results kept per :class:`RegionData` (one rendered map per metric and classification)."""

T = TypeVar("T")


@dataclass(frozen=True)
class RegionData:
    """Every district of a store of several, side by side: what the 全部区县 page shows.

    Attributes
    ----------
    districts
        One row per district (``stats("district")`` of its latest version in
        force, ``district`` first), with its outline (EPSG:4326) as geometry.
    total
        The region's one row (:func:`dashboard.engine.regions.region_total`).
    as_of
        District → the as-of date of the version counted.
    seconds
        How long computing it took (once per set of versions, shared by every session).
    """

    districts: gpd.GeoDataFrame
    total: pd.DataFrame
    as_of: dict[str, str]
    seconds: float
    _derived: Memo = dataclasses.field(default_factory=lambda: Memo(entries=REGION_DERIVED_ENTRIES),
                                       compare=False, repr=False)

    def memo(self, key: Hashable, compute: Callable[[], T], *, volatile: bool = False) -> T:
        """``compute()`` once per ``key`` for these districts (the page's rendered maps), as :meth:`Engine.memo`.

        Kept as long as this set of versions is, shared by every session; every
        result is bounded (``volatile`` is accepted for the engine's signature).
        """
        return self._derived.get(key, compute)


def region_data(location: str, progress: Callable[[int, int, str], None] | None = None) -> RegionData:
    """The districts of the store at ``location`` side by side, computed once per set of latest versions.

    Each district is one task of :func:`dashboard.scale.run_batch`, run here one
    after another (``workers=0``: a page run never starts a cluster), each
    district's layers let go before the next is read.

    ``progress(done, total, district)`` is told of each district counted (only
    when they are counted: not when this set of versions is already in memory).

    Raises
    ------
    loaders.IpgridError
        The store cannot be opened or a district cannot be counted.
    """
    from dashboard.engine.regions import region_total
    from dashboard.scale import district_tasks, run_batch

    tasks, _ = district_tasks(location, "district")
    key = (location, (("@region", *((t.district, t.version_id, 0) for t in tasks)),))

    def build() -> RegionData:
        start = time.perf_counter()
        result = run_batch(location, "district", workers=0, progress=progress)
        outlines = [shapely.from_wkb(r.outline_wkb) for r in result.results]
        districts = gpd.GeoDataFrame(result.table, geometry=outlines, crs="EPSG:4326")
        total = region_total(result.table, f"全部 {len(districts)} 个区县")
        return RegionData(districts=districts, total=total, as_of={r.district: r.as_of for r in result.results},
                          seconds=time.perf_counter() - start)

    item: RegionData = region_store().get(key, build)
    return item


REGION_ENTRIES = 2
"""Sets of districts side by side kept in memory (each a few rows per district: small)."""


@st.cache_resource(show_spinner=False)
def region_store() -> Memo:
    """The process-wide store of :class:`RegionData`, apart from the loaded versions (it never pushes one out)."""
    return Memo(entries=REGION_ENTRIES)


def reload_data() -> None:
    """Drop every loaded folder so the next run reads the files again."""
    data_store().clear()
    region_store().clear()
