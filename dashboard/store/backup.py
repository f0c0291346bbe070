"""Backups of a store: one before every write, the last N kept, and ``ipgrid backup`` / ``ipgrid restore``.

A backup is always a GeoPackage store (QGIS opens it; ``ipgrid`` reads it
like any store).  A GeoPackage store is copied with SQLite's online backup;
a PostGIS store is written table by table into a new GeoPackage store.
Restoring puts a backup's versions and assignments back in place of the
store's, in one step (a file replaced atomically, or one transaction), after
backing up what is being replaced; the audit trail is never rolled back (the
store's and the backup's are merged, and the restore is recorded).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyogrio
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard.store import tables as tb
from dashboard.store.backends import GeoPackageBackend, copy_file_consistently
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


_WRITE_ERRORS: tuple[type[BaseException], ...] = (OSError, sqlite3.Error, pyogrio.errors.DataSourceError,
                                                 pyogrio.errors.DataLayerError)
"""What writing a backup file raises when the folder cannot be written (no right, no space, not a folder)."""

_BACKUP_FAILURES: tuple[type[BaseException], ...] = (*_WRITE_ERRORS, StoreError)


def _unwritable(target: Path, exc: BaseException) -> StoreError:
    text = str(exc).strip()
    reason = getattr(exc, "strerror", None) or (text.splitlines()[0] if text else type(exc).__name__)
    return StoreError(f"无法写入 {target}：{reason}")


def write_backup(store: Store, target: Path) -> Path:
    """Write the whole store into the GeoPackage ``target`` (which must not exist); returns it."""
    try:
        return _write_backup(store, target)
    except _WRITE_ERRORS as exc:
        raise _unwritable(target, exc) from None


def _write_backup(store: Store, target: Path) -> Path:
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
    try:
        copy = GeoPackageBackend(partial)
        copy.create()
        # GDAL writes each layer table on its own connection: none may wait behind an open SQLite
        # transaction, so the layers first, then the store's own tables in one transaction
        for name in _committed_tables(store):
            copy.write_frame(None, name, backend.read_frame(name), name)  # type: ignore[arg-type]
        with copy.sql.begin() as conn:
            _copy_own_tables(store, conn)
        copy.sql.dispose()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _committed_tables(store: Store) -> list[str]:
    """The tables of the store's committed versions (never those of an import that was killed)."""
    committed = {v.version_id for v in store.versions()}
    return sorted(name for name in store.backend.tables()
                  if (found := tb.VERSION_TABLE.match(name)) and int(found.group("id")) in committed)


def _rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A frame's rows as plain Python values, missing ones ``None``."""
    plain = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in plain.to_dict("records")]


def kept_records(store: Store, backup: Store) -> dict[str, pd.DataFrame]:
    """The accounts and visits a restore of ``backup`` into ``store`` leaves in place.

    They are not the imported content.  A store with accounts keeps its own
    (a restore never revives an old password); a store without any — a new
    one, after the old was lost — gets the backup's, or nobody could log in.
    Visits are never lost: a visit's rows are only ever added, so the store's
    and the backup's are put together, each row once (by visit and revision).

    Raises
    ------
    loaders.errors.StoreError
        The two logs number different visits alike (a backup of another store).
    """
    accounts = _own_frame(store, tb.users.name)
    if accounts.empty:
        accounts = _own_frame(backup, tb.users.name)
    current, saved = _own_frame(store, tb.visits.name), _own_frame(backup, tb.visits.name)
    visits = (pd.concat([saved, current], ignore_index=True)
              .drop_duplicates(subset=["visit_id", "revision"], keep="last").sort_values("id", kind="stable"))
    if visits["id"].duplicated().any():
        msg = (f"备份 {backup.location} 与存储 {store.location} 的走访记录编号冲突（不是同一存储的备份？）；"
               "未恢复任何内容")
        raise StoreError(msg)
    return {tb.users.name: accounts, tb.visits.name: visits.reset_index(drop=True)}


def _own_frame(store: Store, name: str) -> pd.DataFrame:
    with store.backend.sql.connect() as conn:
        return pd.read_sql(sa.select(tb.metadata.tables[name]), conn)


def _copy_own_tables(source: Store, conn: Connection, *, audit: pd.DataFrame | None = None,
                     kept: dict[str, pd.DataFrame] | None = None) -> None:
    """Replace the store's own tables on ``conn`` by ``source``'s (the audit by ``audit``, others by ``kept``'s)."""
    kept = {**({tb.audit.name: audit} if audit is not None else {}), **(kept or {})}
    for name in tb.OWN_TABLES:
        table = tb.metadata.tables[name]
        given = kept.get(name)
        frame = given if given is not None else _own_frame(source, name)
        conn.execute(sa.delete(table))
        rows = _rows(frame)
        if rows:
            conn.execute(sa.insert(table), rows)
    if conn.dialect.name == "postgresql":  # ids were inserted as they were: move the sequences past them
        for table in (tb.audit, tb.assignments, tb.visits):
            conn.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"))


_AUDIT_FIELDS = ("at", "user", "action", "version_id", "as_of", "files", "rows", "detail")


def merged_audit(current: pd.DataFrame, restored: pd.DataFrame) -> pd.DataFrame:
    """Both audit trails as one, each entry once: restoring content never loses its history.

    A backup of this store holds the first part of the store's own trail
    (kept once, in place); a backup of another store (one rebuilt after a
    loss, or moved to a server) brings the entries this store does not have,
    placed before its own.  Ids are numbered afresh.
    """
    def text(value: object) -> str | None:  # 3 and 3.0 alike (a column with gaps reads as float)
        if value is None:
            return None
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)

    def key(record: dict[str, object]) -> tuple[str | None, ...]:
        return tuple(text(record[f]) for f in _AUDIT_FIELDS)

    own = _rows(current)
    known = {key(r) for r in own}
    records = [r for r in _rows(restored) if key(r) not in known] + own
    out = pd.DataFrame([{f: r[f] for f in _AUDIT_FIELDS} for r in records], columns=list(_AUDIT_FIELDS))
    out.insert(0, "id", range(1, len(out) + 1))
    return out


def backup_before(store: Store, action: str, user: str) -> Path | None:
    """The automatic backup before a write (``None`` when turned off or the store has no version yet)."""
    keep = keep_count()
    if keep == 0 or not store.versions():
        return None
    folder = backup_dir(store)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("auto-*.gpkg.partial*"):  # a backup killed half-way (the write lock is held)
            stale.unlink(missing_ok=True)
        target = write_backup(store, folder / f"auto-{stamp}-{action}.gpkg")
    except _BACKUP_FAILURES as exc:
        reason = exc if isinstance(exc, StoreError) else _unwritable(folder, exc)
        msg = (f"写入前的自动备份失败，本次操作未写入任何内容：{reason}；"
               f"可用环境变量 {DIR_ENV} 指定其他备份文件夹（PostGIS 存储），或 {KEEP_ENV}=0 关闭自动备份")
        raise StoreError(msg) from None
    autos = sorted(p for p in folder.iterdir() if _AUTO.match(p.name))
    for old in autos[:-keep]:
        old.unlink(missing_ok=True)
    store._audit_now("backup", user, files=[{"name": str(target), "size": target.stat().st_size}],  # noqa: SLF001
                     detail={"before": action, "automatic": True})
    return target


def restore(store: Store, source: Path, *, user: str) -> None:
    """Replace the store's versions and assignments by the backup ``source`` (a GeoPackage store), in one step.

    What is replaced is backed up first; the audit trail is kept (the
    backup's and the store's, merged by :func:`merged_audit`) and records the
    restore.  A GeoPackage store is a new file moved into place; a PostGIS
    store is changed in one transaction.
    """
    from dashboard.store.importer import sha256_of
    from dashboard.store.store import Store as StoreClass

    if not source.is_file():
        msg = f"备份文件 {source} 不存在"
        raise StoreError(msg)
    backup = StoreClass(source)
    count = len(backup.versions())
    backend = store.backend
    with backend.lock("恢复"):
        before = backup_before(store, "restore", user)
        audit = merged_audit(store.audit_log(), backup.audit_log())
        users = kept_records(store, backup)
        files = [{"name": str(source), "size": source.stat().st_size, "sha256": sha256_of(source)}]
        detail = {"versions": count, "previous_saved_as": str(before) if before else None}
        if isinstance(backend, GeoPackageBackend):
            partial = backend.path.with_name(backend.path.stem + ".restoring.gpkg")
            try:
                copy_file_consistently(source, partial)
                copy = StoreClass(partial)
                with copy.backend.sql.begin() as conn:
                    _copy_own_tables(copy, conn, audit=audit, kept=users)
                    copy._audit(conn, "restore", user, files=files, detail=detail)  # noqa: SLF001
                copy.backend.sql.dispose()
                os.replace(partial, backend.path)
            except _WRITE_ERRORS as exc:
                raise _unwritable(backend.path, exc) from None
            finally:
                partial.unlink(missing_ok=True)
        else:
            with backend.sql.begin() as conn:
                backend.drop_tables(conn, sorted(t for t in backend.tables() if tb.VERSION_TABLE.match(t)))
                for name in _committed_tables(backup):
                    backend.write_frame(conn, name, backup.backend.read_frame(name), name)
                _copy_own_tables(backup, conn, audit=audit, kept=users)
                store._audit(conn, "restore", user, files=files, detail=detail)  # noqa: SLF001
    backup.backend.sql.dispose()


def list_backups(store: Store) -> pd.DataFrame:
    """The automatic backups, newest first: file, size."""
    folder = backup_dir(store)
    files = sorted((p for p in folder.iterdir() if _AUTO.match(p.name)), reverse=True) if folder.is_dir() else []
    return pd.DataFrame({"file": [str(p) for p in files], "size": [p.stat().st_size for p in files]})


def now_stamp() -> str:
    """Now as a file-name stamp (YYYYmmddTHHMMSS)."""
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S")
