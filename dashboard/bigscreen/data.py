"""The big screen's data: one snapshot per data folder, replaced when the folder's files change.

A :class:`Snapshot` is the finished JSON the screen draws, built once per
(folder, signature, metric) and shared by every screen watching that folder;
the engine that built it is dropped, so a server showing the kiosk for days
holds one small document per folder.

The :class:`SnapshotStore` keeps the last snapshot that loaded (a screen keeps
showing it while a newer version of the folder fails to load) and remembers
the signature that failed, so a broken folder is not re-read on every poll.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import loaders
from dashboard.app_data import Signature
from dashboard.bigscreen.payload import build_payload, to_script_json
from dashboard.bigscreen.settings import PARK_METRIC, SERVICE_METRIC
from dashboard.engine import Engine
from dashboard.engine.memo import Memo

LOG = logging.getLogger(__name__)

STORE_ENTRIES = 4
"""Snapshots kept (folder × metric); the least recently used is dropped."""


@dataclass(frozen=True)
class Snapshot:
    """What one screen shows of one version of a data folder.

    Attributes
    ----------
    folder
        The data folder.
    signature
        Its :func:`dashboard.app_data.folder_signature` when read.
    metric
        Metric of the town choropleth.
    payload_json
        The document the kiosk draws (see :mod:`dashboard.bigscreen.payload`).
    data_date
        数据截至 of the folder (``[district] data_date``), or ``None``.
    loaded_at
        When it was read (epoch seconds).
    seconds
        How long reading and computing took.
    """

    folder: Path
    signature: Signature
    metric: str
    payload_json: str
    data_date: str | None
    loaded_at: float
    seconds: float


@dataclass(frozen=True)
class Failure:
    """The last version of a folder that could not be read, and why (Chinese, for the screen)."""

    signature: Signature
    message: str
    at: float


def build_snapshot(folder: Path, signature: Signature, metric: str) -> Snapshot:
    """Read ``folder`` and compute the kiosk document.

    Raises
    ------
    loaders.IpgridError
        The folder cannot be read (missing, no towns, unreadable file, bad ``ipgrid.toml``).
    """
    start = time.perf_counter()
    bundle = loaders.load_folder(folder, analysis=True)
    engine = Engine(bundle)
    payload = build_payload(engine, metric, PARK_METRIC, SERVICE_METRIC)
    return Snapshot(folder=folder, signature=signature, metric=metric, payload_json=to_script_json(payload),
                    data_date=engine.settings.district.data_date, loaded_at=time.time(),
                    seconds=time.perf_counter() - start)


class SnapshotStore:
    """The last good snapshot per (folder, metric), and the last failure per folder. Thread-safe.

    Both are kept in bounded :class:`~dashboard.engine.memo.Memo` stores, the
    product's one cache; this class adds only the kiosk's rule: a failed
    version is remembered and the previous snapshot stays current.
    """

    def __init__(self, entries: int = STORE_ENTRIES) -> None:
        self.entries = entries
        self._snapshots = Memo(entries=entries)
        self._failures = Memo(entries=entries)
        self._loading = threading.Lock()

    def current(self, folder: Path, metric: str) -> Snapshot | None:
        """The last snapshot that loaded for ``folder`` (any signature), or ``None``."""
        snap: Snapshot | None = self._snapshots.peek((str(folder), metric))
        return snap

    def failure(self, folder: Path) -> Failure | None:
        """The last failed version of ``folder`` (cleared when a newer version loads)."""
        failure: Failure | None = self._failures.peek(str(folder))
        return failure

    def failed(self, folder: Path, signature: Signature) -> bool:
        """Whether exactly this version of ``folder`` already failed to load."""
        failure = self.failure(folder)
        return failure is not None and failure.signature == signature

    def load(self, folder: Path, signature: Signature, metric: str) -> Snapshot:
        """The snapshot of this version of ``folder``: kept, or read now (once, however many screens ask).

        A failure is remembered (see :meth:`failed`) and re-raised; the
        previous snapshot stays current.

        Raises
        ------
        Exception
            Whatever reading the folder raised: :class:`loaders.IpgridError`
            for what the user can fix, anything else for a file caught half-written.
        """
        with self._loading:
            snap = self.current(folder, metric)
            if snap is not None and snap.signature == signature:
                return snap
            try:
                snap = build_snapshot(folder, signature, metric)
            except Exception as exc:
                self._remember_failure(folder, signature, exc)
                raise
            self._snapshots.put((str(folder), metric), snap)
            self._failures.discard(lambda key: key != str(folder))
            return snap

    def try_load(self, folder: Path, signature: Signature, metric: str) -> Snapshot | None:
        """:meth:`load`, or ``None`` when it failed (the failure is remembered: see :meth:`failure`)."""
        try:
            return self.load(folder, signature, metric)
        except Exception:  # noqa: BLE001 - recorded by load(); a wall screen keeps its old data instead
            return None

    def _remember_failure(self, folder: Path, signature: Signature, exc: Exception) -> None:
        if isinstance(exc, loaders.IpgridError):
            message = str(exc)
        else:  # e.g. a workbook still being copied: not the user's mistake, logged with its traceback
            LOG.warning("kiosk: reading %s failed", folder, exc_info=exc)
            message = f"文件读取失败（{type(exc).__name__}），可能仍在复制中"
        self._failures.put(str(folder), Failure(signature=signature, message=message, at=time.time()))


@st.cache_resource(show_spinner=False)
def kiosk_store() -> SnapshotStore:
    """The process-wide store shared by every screen."""
    return SnapshotStore()
