"""Backups of a store: one before every write, the last N kept, and ``ipgrid backup`` / ``ipgrid restore``.

A backup is always a GeoPackage store (QGIS opens it; ``ipgrid`` reads it
like any store).  A GeoPackage store is copied with SQLite's online backup;
a PostGIS store is written table by table into a new GeoPackage store.
Restoring puts a backup's versions, audit and assignments back in place of
the store's, in one step (a file replaced atomically, or one transaction),
after backing up what is being replaced.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from dashboard.store import tables as tb
from dashboard.store.backends import GeoPackageBackend, PostgisBackend, copy_file_consistently
from loaders.errors import StoreError

if TYPE_CHECKING:
    from dashboard.store.store import Store

KEEP_ENV = "IPGRID_STORE_BACKUPS"
"""How many automatic backups to keep (default :data:`DEFAULT_KEEP`; 0 turns them off)."""

DIR_ENV = "IPGRID_BACKUP_DIR"
"""Folder for a PostGIS store's backups (a GeoPackage store keeps them beside its file)."""

DEFAULT_KEEP = 5

_AUTO = re.compile(r"^auto-\d{8}T\d{6}(?:\d{6})?-[a-z]+\.gpkg$")


def keep_count() -> int:
    """Automatic backups kept, from :data:`KEEP_ENV`."""
    text = os.environ.get(KEEP_ENV, "").strip()
    if not text:
        return DEFAULT_KEEP
    try:
        value = int(text)
    except ValueError:
        msg = f"环境变量 {KEEP_ENV} 应为不小于 0 的整数，而不是「{text}」"
        raise StoreError(msg) from None
    if value < 0:
        msg = f"环境变量 {KEEP_ENV} 应为不小于 0 的整数，而不是「{text}」"
        raise StoreError(msg)
    return value


def backup_dir(store: Store) -> Path:
    """Where the store's automatic backups go."""
    backend = store.backend
    if isinstance(backend, GeoPackageBackend):
        return backend.path.with_name(backend.path.stem + ".backups")
    configured = os.environ.get(DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    name = backend.url.database or "ipgrid"
    return Path.home() / ".local" / "share" / "ipgrid" / "backups" / re.sub(r"[^\w.-]", "_", name)


def write_backup(store: Store, target: Path) -> Path:
    """Write the whole store into the GeoPackage ``target`` (which must not exist); returns it."""
    if target.exists():
        msg = f"备份文件 {target} 已存在；请换一个文件名"
        raise StoreError(msg)
    if target.suffix.lower() != ".gpkg":
        msg = f"备份文件应为 .gpkg，而不是「{target.name}」"
        raise StoreError(msg)
    backend = store.backend
    if isinstance(backend, GeoPackageBackend):
        copy_file_consistently(backend.path, target)
        return target
    partial = target.with_name(target.name + ".partial.gpkg")
    partial.unlink(missing_ok=True)
    copy = GeoPackageBackend(partial)
    copy.create()
    _copy_tables(store, copy)
    copy.sql.dispose()
    os.replace(partial, target)
    return target


def _copy_tables(store: Store, target: GeoPackageBackend | PostgisBackend) -> None:
    with target.sql.begin() as conn:
        for name, frame in store.iter_tables():
            if name in tb.OWN_TABLES:
                table = tb.metadata.tables[name]
                conn.execute(sa.delete(table))
                rows = [{str(k): v for k, v in r.items()}
                        for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]
                if rows:
                    conn.execute(sa.insert(table), rows)
            else:
                target.write_frame(conn, name, frame, name)


def backup_before(store: Store, action: str, user: str) -> Path | None:
    """The automatic backup before a write (``None`` when turned off or the store has no version yet)."""
    keep = keep_count()
    if keep == 0 or not store.versions():
        return None
    folder = backup_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = write_backup(store, folder / f"auto-{stamp}-{action}.gpkg")
    autos = sorted(p for p in folder.iterdir() if _AUTO.match(p.name))
    for old in autos[:-keep]:
        old.unlink(missing_ok=True)
    store._audit_now("backup", user, files=[{"name": str(target), "size": target.stat().st_size}],  # noqa: SLF001
                     detail={"before": action, "automatic": True})
    return target


def restore(store: Store, source: Path, *, user: str) -> None:
    """Replace the store's content by the backup ``source`` (a GeoPackage store), backing up the current one first."""
    from dashboard.store.store import Store as StoreClass

    if not source.is_file():
        msg = f"备份文件 {source} 不存在"
        raise StoreError(msg)
    backup = StoreClass(source)
    count = len(backup.versions())
    backend = store.backend
    with backend.lock("恢复"):
        before = backup_before(store, "restore", user)
        if isinstance(backend, GeoPackageBackend):
            partial = backend.path.with_name(backend.path.stem + ".restoring.gpkg")
            copy_file_consistently(source, partial)
            os.replace(partial, backend.path)
        else:
            with backend.sql.begin() as conn:
                drop = [t for t in backend.tables() if tb.VERSION_TABLE.match(t)]
                backend.drop_tables(conn, drop)
            _copy_tables(backup, backend)
    store._audit_now("restore", user, files=[{"name": str(source), "size": source.stat().st_size}],  # noqa: SLF001
                     detail={"versions": count, "previous_saved_as": str(before) if before else None})


def list_backups(store: Store) -> pd.DataFrame:
    """The automatic backups, newest first: file, size, time."""
    folder = backup_dir(store)
    files = sorted((p for p in folder.iterdir() if _AUTO.match(p.name)), reverse=True) if folder.is_dir() else []
    return pd.DataFrame({"file": [str(p) for p in files], "size": [p.stat().st_size for p in files]})


def now_stamp() -> str:
    """Now as a file-name stamp (YYYYmmddTHHMMSS)."""
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S")
