"""The big screen's data: one snapshot per data source, replaced when the source changes.

A source (:class:`KioskSource`) is a data folder, or a store shown at its
latest version in force (:mod:`dashboard.store`).  Its *signature* is cheap
to take on every poll: a folder's files (:func:`dashboard.app_data.folder_signature`),
a store's latest version id and the one before it (a new import or a
withdrawal changes it; one query of the versions table), and the id of the
latest revision of its visit log with the day of the visit figures (a visit
recorded, edited or deleted, or a new day, changes it; two small queries).

A :class:`Snapshot` is the finished JSON the screen draws, built once per
(source, signature, metric) and shared by every screen watching that source;
the engines that built it are dropped, so a server showing the kiosk for days
holds one small document per source.  A store's snapshot also has the
本季度变化 frame when the store has a version before the latest
(:func:`dashboard.bigscreen.payload.change_view`), and the 网格走访 frame when
the store has a visit (:func:`dashboard.bigscreen.visits.visit_view`).

The :class:`SnapshotStore` keeps the last snapshot that loaded (a screen keeps
showing it while a newer version fails to load) and remembers the signature
that failed, so a broken folder is not re-read on every poll (a store's failure
is tried again after :data:`STORE_RETRY_S`: a database may come back while the
version stays the same).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import streamlit as st

import loaders
from dashboard.access.settings import visit_today
from dashboard.app_data import DATA_ENV, STORE_ENV, Signature, data_folder, folder_signature
from dashboard.bigscreen.payload import build_payload, change_view, to_script_json
from dashboard.bigscreen.settings import ASOF_ENV, DISTRICT_ENV, PARK_METRIC, SERVICE_METRIC
from dashboard.bigscreen.visits import visit_view
from dashboard.engine import Engine
from dashboard.engine.memo import Memo
from dashboard.store import Store, Version, is_database_url, is_store_location
from dashboard.store.backends import backend_for
from dashboard.store.demo import demo_store, demo_store_path
from dashboard.store.visits import Visits

LOG = logging.getLogger(__name__)

STORE_ENTRIES = 4
"""Snapshots kept (source × metric); the least recently used is dropped."""

STORE_RETRY_S = 300.0
"""Seconds after which a store version that failed to load is tried again (a folder's is not: its files say)."""

VERSION_MARK = "@version"
"""First item of a store's signature: ``("@version", latest version id, id of the one before or 0)``."""

VISITS_MARK = "@visits"
"""Second item of a store's signature: ``("@visits", latest visit revision id or 0, day of the figures YYYYMMDD)``."""


def _shown_location(location: str) -> str:
    """A store location as a screen may show it: a URL without its password."""
    try:
        return backend_for(location).location
    except Exception:  # noqa: BLE001 - a malformed URL: opening it reports why; here only hide a password
        return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", location)


@dataclass(frozen=True)
class KioskSource:
    """Where the big screen's data comes from: a data folder, or a store (its latest version in force).

    Attributes
    ----------
    location
        The folder (resolved), or the store: a resolved ``.gpkg`` path or a ``postgresql://`` URL.
    is_store
        Whether :attr:`location` is a store.
    demo
        The four-quarter demo store, built on first use (:func:`dashboard.store.demo.demo_store`).
    """

    location: str
    is_store: bool = False
    demo: bool = False

    @classmethod
    def folder(cls, path: str | os.PathLike[str]) -> KioskSource:
        """A data folder."""
        return cls(str(Path(path).expanduser().resolve()))

    @classmethod
    def store(cls, location: str | os.PathLike[str], *, demo: bool = False) -> KioskSource:
        """A store: a ``.gpkg`` path or a ``postgresql://`` URL."""
        text = os.fspath(location).strip()
        return cls(text if is_database_url(text) else str(Path(text).expanduser().resolve()), True, demo)

    @property
    def path(self) -> Path:
        """The folder (or the ``.gpkg`` file) as a path."""
        return Path(self.location)

    @property
    def key(self) -> str:
        """Key of the source in the :class:`SnapshotStore`."""
        return f"store:{self.location}" if self.is_store else self.location

    @property
    def kind(self) -> str:
        """数据文件夹 or 数据存储, as messages say."""
        return "数据存储" if self.is_store else "数据文件夹"

    @property
    def shown(self) -> str:
        """The source as a screen may show it in full (a store URL without its password)."""
        return _shown_location(self.location) if self.is_store else self.location

    @property
    def short(self) -> str:
        """A short name: 示例数据, the folder's or file's name, a database URL without its password."""
        if self.demo:
            return "示例数据"
        if self.is_store and is_database_url(self.location):
            return self.shown
        return self.path.name or self.location

    def prepare(self) -> None:
        """Build the demo store when it is the source and does not exist yet (once per machine)."""
        if self.demo and not self.path.is_file():
            demo_store()

    def signature(self) -> Signature:
        """What changes when the data does; never raises (a store that cannot be opened: ``()``)."""
        if not self.is_store:
            return folder_signature(self.location)
        try:
            store = district_store_of(self.location)
        except Exception:  # noqa: BLE001 - not there (yet), or the database is down: loading will say why
            return ()
        try:
            return store_signature(store, store.active_versions())
        except Exception:  # noqa: BLE001 - idem
            return ()
        finally:
            store.backend.sql.dispose()


def district_store_of(location: str) -> Store:
    """The store a kiosk shows: the district ``$IPGRID_KIOSK_DISTRICT`` names in a store of several.

    Raises
    ------
    loaders.errors.DistrictNotFoundError
        The store holds no such district.
    """
    store = Store(location)
    district = os.environ.get(DISTRICT_ENV, "").strip()
    return store.for_district(district) if district else store


def as_source(source: KioskSource | str | os.PathLike[str]) -> KioskSource:
    """``source`` itself, or the folder or store a path (or URL) names (:func:`dashboard.store.is_store_location`)."""
    if isinstance(source, KioskSource):
        return source
    return KioskSource.store(source) if is_store_location(source) else KioskSource.folder(source)


def kiosk_source(location: str | os.PathLike[str] | None = None) -> KioskSource:
    """The source the kiosk shows: ``location`` when given, else as the app does without a choice.

    ``$IPGRID_STORE``, else the folder ``$IPGRID_DATA``, else the demo store
    (see :func:`dashboard.app_data.active_store_location`; the kiosk has no 数据 page).
    """
    if location is not None:
        return as_source(location)
    configured = os.environ.get(STORE_ENV, "").strip()
    if configured:
        return KioskSource.store(configured)
    if os.environ.get(DATA_ENV, "").strip():
        return KioskSource.folder(data_folder())
    return KioskSource.store(demo_store_path(), demo=True)


def version_signature(active: Sequence[Version]) -> Signature:
    """The versions part of a store's signature, from its versions in force (oldest first): the latest, the one before.

    Examples
    --------
    >>> version_signature([])
    ()
    """
    if not active:
        return ()
    before = active[-2].version_id if len(active) > 1 else 0
    return ((VERSION_MARK, active[-1].version_id, before),)


def visit_signature(store: Store) -> tuple[str, int, int]:
    """``("@visits", id of the visit log's latest revision, day of the figures as YYYYMMDD)`` of ``store``.

    Raises
    ------
    dashboard.access.settings.AccessSettingsError
        ``IPGRID_TODAY`` is set to something that is not a date.
    """
    try:
        stamp = Visits(store).stamp()
    except sa.exc.DBAPIError:  # a store of an earlier release has no visit table: no visits
        stamp = 0
    day = visit_today(store.info("demo_today"))
    return (VISITS_MARK, stamp, int(day.strftime("%Y%m%d")))


def store_signature(store: Store, active: Sequence[Version]) -> Signature:
    """A store's signature: :func:`version_signature` of ``active`` and :func:`visit_signature` (``()``: no version)."""
    versions = version_signature(active)
    return (*versions, visit_signature(store)) if versions else ()


@dataclass(frozen=True)
class Snapshot:
    """What one screen shows of one version of a data source.

    Attributes
    ----------
    source
        The data folder or store.
    signature
        Its :meth:`KioskSource.signature` when read (for a store: of the versions and the visit log read).
    metric
        Metric of the town choropleth.
    payload_json
        The document the kiosk draws (see :mod:`dashboard.bigscreen.payload`).
    data_date
        数据截至 of the data (``[district] data_date``; a store version's as-of date), or ``None``.
    loaded_at
        When it was read (epoch seconds).
    seconds
        How long reading and computing took.
    """

    source: KioskSource
    signature: Signature
    metric: str
    payload_json: str
    data_date: str | None
    loaded_at: float
    seconds: float


@dataclass(frozen=True)
class Failure:
    """The last version of a source that could not be read, and why (Chinese, for the screen)."""

    signature: Signature
    message: str
    at: float
    retry_at: float | None = None
    """When to try this version again (a store's), ``None``: not until the source changes."""


def _store_payload(source: KioskSource, metric: str) -> tuple[dict[str, Any], str | None, Signature]:
    """The payload of a store's latest version in force (with 本季度变化 and 网格走访 when there is one)."""
    store = district_store_of(source.location)
    try:
        active = store.active_versions()
        if not active:
            store.version()  # raises the message saying how to import a first version
        signature = store_signature(store, active)  # before the visit log is read: a visit added meanwhile reloads
        wanted = os.environ.get(ASOF_ENV, "").strip()
        latest = store.version(wanted) if wanted else active[-1]
        bundle = store.open_bundle(latest)
        bundle.require_usable()
        engines = {latest.version_id: Engine(bundle)}
        engine = engines[latest.version_id]
        changes = None
        previous = store.previous(latest.as_of)
        if previous is not None:
            engines[previous.version_id] = Engine(store.open_bundle(previous))
            changes = change_view(engines[previous.version_id], engine, previous.as_of, latest.as_of)
        payload = build_payload(engine, metric, PARK_METRIC, SERVICE_METRIC, changes,
                                _visit_frame(store, active, latest, engines))
        return payload, engine.settings.district.data_date or latest.as_of, signature
    finally:
        store.backend.sql.dispose()


def _visit_frame(store: Store, active: Sequence[Version], shown: Version,
                 engines: dict[int, Engine]) -> dict[str, Any] | None:
    """The 网格走访 frame of version ``shown`` (``None`` without visits); ``engines``: those already built."""
    log = Visits(store).current()
    if not len(log):
        return None
    history = []
    for version in active:  # every version in force up to the one shown, for 走访后培育成功率
        if version.as_of <= shown.as_of:
            if version.version_id not in engines:
                engines[version.version_id] = Engine(store.open_bundle(version))
            history.append((version.as_of, engines[version.version_id]))
    return visit_view(engines[shown.version_id], log, visit_today(store.info("demo_today")), history)


def build_snapshot(source: KioskSource | Path, signature: Signature, metric: str) -> Snapshot:
    """Read ``source`` (a folder; a store's latest version in force) and compute the kiosk document.

    Raises
    ------
    loaders.IpgridError
        The data cannot be read (a missing folder, no towns, an unreadable file, a bad
        ``ipgrid.toml``; a store that cannot be opened or has no version in force).
    """
    source = as_source(source)
    start = time.perf_counter()
    source.prepare()
    if source.is_store:
        payload, data_date, signature = _store_payload(source, metric)
    else:
        bundle = loaders.load_folder(source.path, analysis=True)
        engine = Engine(bundle)
        payload = build_payload(engine, metric, PARK_METRIC, SERVICE_METRIC)
        data_date = engine.settings.district.data_date
    return Snapshot(source=source, signature=signature, metric=metric, payload_json=to_script_json(payload),
                    data_date=data_date, loaded_at=time.time(), seconds=time.perf_counter() - start)


Where = KioskSource | str | os.PathLike[str]
"""A source, or the path (URL) of one (see :func:`as_source`)."""


class SnapshotStore:
    """The last good snapshot per (source, metric), and the last failure per source. Thread-safe.

    Both are kept in bounded :class:`~dashboard.engine.memo.Memo` stores, the
    product's one cache; this class adds only the kiosk's rule: a failed
    version is remembered and the previous snapshot stays current.  Every
    method takes a :class:`KioskSource` or a folder path.
    """

    def __init__(self, entries: int = STORE_ENTRIES) -> None:
        self.entries = entries
        self._snapshots = Memo(entries=entries)
        self._failures = Memo(entries=entries)
        self._loading = threading.Lock()

    def current(self, source: Where, metric: str) -> Snapshot | None:
        """The last snapshot that loaded for ``source`` (any signature), or ``None``."""
        snap: Snapshot | None = self._snapshots.peek((as_source(source).key, metric))
        return snap

    def failure(self, source: Where) -> Failure | None:
        """The last failed version of ``source`` (cleared when a newer version loads)."""
        failure: Failure | None = self._failures.peek(as_source(source).key)
        return failure

    def failed(self, source: Where, signature: Signature) -> bool:
        """Whether exactly this version of ``source`` already failed to load (and is not due for another try)."""
        failure = self.failure(source)
        return (failure is not None and failure.signature == signature
                and (failure.retry_at is None or time.time() < failure.retry_at))

    def load(self, source: Where, signature: Signature, metric: str) -> Snapshot:
        """The snapshot of this version of ``source``: kept, or read now (once, however many screens ask).

        A failure is remembered (see :meth:`failed`) and re-raised; the
        previous snapshot stays current.

        Raises
        ------
        Exception
            Whatever reading the data raised: :class:`loaders.IpgridError`
            for what the user can fix, anything else for a file caught half-written
            or a database gone away.
        """
        source = as_source(source)
        with self._loading:
            snap = self.current(source, metric)
            if snap is not None and snap.signature == signature:
                return snap
            try:
                snap = build_snapshot(source, signature, metric)
            except Exception as exc:
                self._remember_failure(source, signature, exc)
                raise
            self._snapshots.put((source.key, metric), snap)
            self._failures.discard(lambda key: key != source.key)
            return snap

    def try_load(self, source: Where, signature: Signature, metric: str) -> Snapshot | None:
        """:meth:`load`, or ``None`` when it failed (the failure is remembered: see :meth:`failure`)."""
        try:
            return self.load(source, signature, metric)
        except Exception:  # noqa: BLE001 - recorded by load(); a wall screen keeps its old data instead
            return None

    def _remember_failure(self, source: KioskSource, signature: Signature, exc: Exception) -> None:
        if isinstance(exc, loaders.IpgridError):
            message = str(exc)
        else:  # e.g. a workbook still being copied: not the user's mistake, logged with its traceback
            LOG.warning("kiosk: reading %s failed", source.shown, exc_info=exc)
            message = (f"读取存储失败（{type(exc).__name__}）" if source.is_store
                       else f"文件读取失败（{type(exc).__name__}），可能仍在复制中")
        now = time.time()
        retry_at = now + STORE_RETRY_S if source.is_store else None
        self._failures.put(source.key, Failure(signature=signature, message=message, at=now, retry_at=retry_at))


@st.cache_resource(show_spinner=False)
def kiosk_store() -> SnapshotStore:
    """The process-wide store shared by every screen."""
    return SnapshotStore()
