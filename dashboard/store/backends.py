"""Where a store's tables live: a GeoPackage file, or a PostGIS database. One interface, two backends.

Both keep the store's own tables (:mod:`dashboard.store.tables`) through
SQLAlchemy and the layers through the field's libraries: pyogrio (GDAL) for
a GeoPackage, geopandas ``to_postgis`` / ``read_postgis`` (GeoAlchemy2 on
psycopg) for PostGIS.  What differs is how writes are made atomic and
exclusive:

- **PostGIS**: a version's tables and its row in ``ipgrid_versions`` are
  written in one database transaction; a session-level advisory lock keeps
  two writers apart.
- **GeoPackage**: GDAL commits each table on its own, so a version's tables
  are written first and its row last, in one SQLite transaction; tables of a
  version whose row never came (the process was killed) belong to no version,
  are never read, and the next write removes them.  An exclusive ``flock``
  on ``<store>.lock`` keeps two writers apart.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from dashboard.store import tables as tb
from loaders.errors import StoreBusyError, StoreError

LOCK_WAIT_S = 30.0
"""How long a write waits for another to finish before it is refused."""

ROW_ORDER = "ipgrid_row"
"""Column keeping a PostGIS table's row order (SQL tables have none of their own)."""


class Backend(Protocol):
    """What the store needs from where its tables live."""

    kind: str
    """``gpkg`` or ``postgis``."""
    location: str
    """The store as a user may see it (a path, a URL without its password)."""
    sql: sa.Engine

    def exists(self) -> bool:
        """Whether the store has been created."""

    def create(self) -> None:
        """Create an empty store (the file or the tables)."""

    def lock(self, action: str, wait_s: float | None = None) -> contextlib.AbstractContextManager[None]:
        """Hold the store's write lock; :class:`StoreBusyError` after ``wait_s`` s (default :data:`LOCK_WAIT_S`)."""

    def write_frame(self, conn: Connection, table: str, frame: pd.DataFrame, description: str) -> None:
        """Write ``frame`` as a new table (part of ``conn``'s transaction where the backend can)."""

    def read_frame(self, table: str) -> pd.DataFrame:
        """A table written by :meth:`write_frame`, rows in the order written."""

    def tables(self) -> set[str]:
        """Every table in the store."""

    def drop_tables(self, conn: Connection, names: list[str]) -> None:
        """Remove tables of versions that were never committed."""


_WRITE_KEY, _CREATE_KEY = 0x1F0D, 0x1F0E
"""PostgreSQL advisory lock keys: ipgrid's writes, and the creation of a store."""


def _seed_info(conn: Connection) -> None:
    """The store's format and creation time, written with its tables (two creators at once: the first's kept)."""
    import datetime as dt

    now = dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
    present = set(conn.execute(sa.select(tb.store_info.c.key)).scalars())
    for key, value in (("format", tb.FORMAT), ("created_at", now)):
        if key not in present:
            conn.execute(sa.insert(tb.store_info).values(key=key, value=value))


def _lock_wait(wait_s: float | None) -> float:
    """``wait_s``, or :data:`LOCK_WAIT_S` as it is now (read at each call, so it can be changed)."""
    return LOCK_WAIT_S if wait_s is None else wait_s


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_PERMISSION = ("42501",)  # insufficient_privilege
_FULL = ("53100", "53200")  # disk_full, out_of_memory


def _refusals(engine: sa.Engine, location: str) -> sa.Engine:
    """Word the refusals a user can do something about (no right to write, a full disk) as :class:`StoreError`.

    A Chinese message instead of the driver's traceback; every other error is left as it was.
    """

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: sa.engine.ExceptionContext) -> BaseException | None:
        original = context.original_exception
        state = getattr(original, "sqlstate", None)
        text = _first_line(original)
        if state in _PERMISSION or "readonly database" in text:
            return StoreError(f"存储 {location} 拒绝了本次操作（数据库账号或文件的权限不够）：{text}；"
                              "查看需要读取权限，导入、撤回、调整分配和恢复还需要写入权限")
        if state in _FULL or "database or disk is full" in text:
            return StoreError(f"存储 {location} 的磁盘空间不足，本次操作未完成：{text}")
        return None

    return engine


def _sqlite_engine(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi: sqlite3.Connection, _record: object) -> None:
        dbapi.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT_S * 1000)}")

    return _refusals(engine, str(path))


class GeoPackageBackend:
    """A store in one GeoPackage file (OGC; SQLite inside; QGIS and ArcGIS open it)."""

    kind = "gpkg"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self.sql = _sqlite_engine(path)

    def exists(self) -> bool:
        """Whether the file exists."""
        return self.path.is_file()

    def create(self) -> None:
        """A new GeoPackage holding the store's own tables, each listed as an attribute table."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        seed = pd.DataFrame({"key": ["format"], "value": [tb.FORMAT]})
        partial = self.path.with_name(f"{self.path.stem}.creating-{os.getpid()}.gpkg")
        partial.unlink(missing_ok=True)
        pyogrio.write_dataframe(seed, partial, layer="ipgrid_seed", driver="GPKG")
        engine = _sqlite_engine(partial)
        with engine.begin() as conn:
            _drop_gpkg_tables(conn, ["ipgrid_seed"])
            tb.metadata.create_all(conn)
            for table in tb.metadata.sorted_tables:
                _register_attributes(conn, table.name, str(table.comment or table.name))
            _seed_info(conn)
        engine.dispose()
        # the store appears whole or not at all, and never over one another process has just created
        try:
            os.link(partial, self.path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not self.path.exists():
                os.replace(partial, self.path)
        partial.unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self, action: str, wait_s: float | None = None) -> Iterator[None]:
        """An exclusive ``flock`` on ``<store>.lock`` (released by the kernel if the process dies)."""
        wait_s = _lock_wait(wait_s)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+b") as handle:
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        msg = (f"存储 {self.path} 正被另一个操作写入（导入、撤回或备份），"
                               f"等待 {wait_s:g} 秒后仍未结束；"
                               f"本次{action}未写入任何内容，请稍后再试")
                        raise StoreBusyError(msg) from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write_frame(self, conn: Connection, table: str, frame: pd.DataFrame, description: str) -> None:
        """Write with GDAL (its own transaction); the caller commits the version's row afterwards on ``conn``."""
        del conn  # GDAL writes the file itself; see the module docstring
        spatial = isinstance(frame, gpd.GeoDataFrame)
        options = {"DESCRIPTION": description}
        if spatial:
            # the layer's own geometry type when it has one (QGIS shows a point layer as points), else
            # Unknown (GEOMETRY); never promoted to multi: a version keeps the geometries it was given
            pyogrio.write_dataframe(frame, self.path, layer=table, driver="GPKG", promote_to_multi=False,
                                    layer_options=options, use_arrow=True)
        else:  # through Arrow: ~4.6x faster for a million rights than row by row
            pyogrio.write_dataframe(pd.DataFrame(frame), self.path, layer=table, driver="GPKG", layer_options=options,
                                    use_arrow=True)

    def read_frame(self, table: str) -> pd.DataFrame:
        """A table in the order of its feature ids (the order written)."""
        frame = pyogrio.read_dataframe(self.path, layer=table, use_arrow=True)
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.isna().all() and "geometry" not in _spatial(
                self.path, table):
            return pd.DataFrame(frame.drop(columns=frame.geometry.name))
        return frame

    def add_missing_own_tables(self) -> None:
        """Create the store's own tables a store made by an earlier release lacks (``ipgrid_users``), listed in QGIS."""
        with self.sql.begin() as conn:
            present = set(sa.inspect(conn).get_table_names())
            missing = [t for t in tb.metadata.sorted_tables if t.name not in present]
            for table in missing:
                table.create(conn)
                _register_attributes(conn, table.name, str(table.comment or table.name))

    def tables(self) -> set[str]:
        """Every table listed in ``gpkg_contents``, plus any other."""
        return set(sa.inspect(self.sql).get_table_names())

    def drop_tables(self, conn: Connection, names: list[str]) -> None:
        """Drop tables and their GeoPackage registrations (contents, geometry columns, spatial index)."""
        _drop_gpkg_tables(conn, names)


def _spatial(path: Path, table: str) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)).fetchall()
    return {"geometry" for _ in rows}


def _register_attributes(conn: Connection, table: str, description: str) -> None:
    conn.execute(sa.text(
        "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (:t, 'attributes', :t, :d)"), {"t": table, "d": description})


_SAFE_NAME = re.compile(r"^[a-z0-9_]+$")
_RTREE_SHADOWS = ("_node", "_parent", "_rowid")


def _drop_gpkg_tables(conn: Connection, names: list[str]) -> None:
    present = set(sa.inspect(conn).get_table_names())
    for name in names:
        if not _SAFE_NAME.match(name):  # only our own generated names ever reach here
            msg = f"refusing to drop table {name!r}"
            raise StoreError(msg)
        for meta in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents"):
            if meta in present:
                conn.execute(sa.text(f"DELETE FROM {meta} WHERE lower(table_name) = :t"), {"t": name})
        # the spatial index: its virtual table first (that drops its _node, _parent and _rowid tables),
        # then any of those left on their own; a shadow table dropped first makes the virtual one undroppable
        rtrees = sorted(t for t in present if t.startswith(f"rtree_{name}_"))
        shadows = [t for t in rtrees if t.endswith(_RTREE_SHADOWS)]
        for rtree in [t for t in rtrees if t not in shadows] + shadows:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{rtree}"'))
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))


class PostgisBackend:
    """A store in a PostgreSQL database with PostGIS (``postgresql://user:password@host:port/db``)."""

    kind = "postgis"

    def __init__(self, url: str) -> None:
        parsed = sa.make_url(url)
        if parsed.drivername in ("postgresql", "postgres", "postgis"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.url = parsed
        self.location = parsed.render_as_string(hide_password=True).replace("postgresql+psycopg", "postgresql")
        self.sql = _refusals(sa.create_engine(parsed, poolclass=NullPool), self.location)

    def _connect_error(self, exc: Exception) -> StoreError:
        first = _first_line(exc)
        return StoreError(f"无法连接 PostGIS 存储 {self.location}：{first}")

    def add_missing_own_tables(self) -> None:
        """Create the store's own tables a store made by an earlier release lacks (``ipgrid_users``)."""
        with self.sql.begin() as conn:
            tb.metadata.create_all(conn)

    def exists(self) -> bool:
        """Whether the database has the store's tables."""
        try:
            return "ipgrid_store" in sa.inspect(self.sql).get_table_names()
        except sa.exc.OperationalError as exc:
            raise self._connect_error(exc) from None

    def create(self) -> None:
        """The PostGIS extension (when allowed) and the store's own tables, in one transaction."""
        try:
            with self.sql.begin() as conn:
                # two first imports at once: the second waits here, then finds the tables made
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CREATE_KEY})
                if not conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar():
                    conn.execute(sa.text("CREATE EXTENSION postgis"))
                tb.metadata.create_all(conn)
                _seed_info(conn)
        except sa.exc.OperationalError as exc:
            raise self._connect_error(exc) from None
        except sa.exc.DBAPIError as exc:  # no PostGIS and no right to add it
            msg = (f"无法在 {self.location} 中创建存储：{_first_line(exc.orig or exc)}；"
                   "需要已安装 PostGIS 扩展（由数据库管理员执行 CREATE EXTENSION postgis）和建表权限")
            raise StoreError(msg) from None
        except StoreError as exc:  # a refusal already worded (see _refusals)
            msg = f"{exc}；需要已安装 PostGIS 扩展（由数据库管理员执行 CREATE EXTENSION postgis）和建表权限"
            raise StoreError(msg) from None

    @contextlib.contextmanager
    def lock(self, action: str, wait_s: float | None = None) -> Iterator[None]:
        """A session advisory lock (released by the server if the process dies)."""
        wait_s = _lock_wait(wait_s)
        key = _WRITE_KEY  # one lock per database: ipgrid's writes
        with self.sql.connect() as conn:
            deadline = time.monotonic() + wait_s
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() >= deadline:
                    msg = (f"存储 {self.location} 正被另一个操作写入，等待 {wait_s:g} 秒后仍未结束；"
                           f"本次{action}未写入任何内容，请稍后再试")
                    raise StoreBusyError(msg)
                time.sleep(0.2)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()

    def write_frame(self, conn: Connection, table: str, frame: pd.DataFrame, description: str) -> None:
        """Write inside ``conn``'s transaction, with a row-order column and the description as the table comment."""
        out = frame.copy()
        out[ROW_ORDER] = range(len(out))
        if isinstance(out, gpd.GeoDataFrame) and out.geometry.notna().any():
            out.to_postgis(table, conn, index=False)
        elif isinstance(out, gpd.GeoDataFrame):  # no geometry at all (no rows, or none located): to_postgis refuses
            from geoalchemy2 import Geometry

            srid = (out.crs.to_epsg() if out.crs is not None else None) or 4326
            column = out.geometry.name
            plain = pd.DataFrame(out).astype({column: object})
            plain[column] = None
            plain.to_sql(table, conn, index=False, dtype={column: Geometry("GEOMETRY", srid=srid)})
        else:
            pd.DataFrame(out).to_sql(table, conn, index=False, method=_copy_rows)
        conn.execute(sa.text(f'COMMENT ON TABLE "{table}" IS {_quoted(description)}'))

    def read_frame(self, table: str) -> pd.DataFrame:
        """A table in the order written.

        Geometry comes as WKB bytes decoded in one vectorised ``shapely.from_wkb`` call (geopandas'
        ``read_postgis`` decodes row by row: 0.6 s of 1.4 s for 100k firms); the CRS is the column's SRID.
        """
        with self.sql.connect() as conn:
            # information_schema, not sa.inspect: SQLAlchemy alone does not know the geometry type and warns
            columns = [c for c in _ordered_columns(conn, table) if c != ROW_ORDER]
            if "geometry" not in columns:
                frame = pd.read_sql(sa.text(f'SELECT * FROM "{table}" ORDER BY {ROW_ORDER}'), conn)
                return frame.drop(columns=ROW_ORDER)
            listed = ", ".join("ST_AsBinary(\"geometry\") AS geometry" if c == "geometry"
                               else '"' + c.replace('"', '""') + '"' for c in columns)
            raw = pd.read_sql(sa.text(f'SELECT {listed} FROM "{table}" ORDER BY {ROW_ORDER}'), conn)
            srid = conn.execute(sa.text("SELECT Find_SRID(current_schema()::text, :t, 'geometry')"),
                                {"t": table}).scalar()
        wkb = np.asarray([None if v is None else bytes(v) for v in raw["geometry"]], dtype=object)
        frame = gpd.GeoDataFrame(raw.drop(columns="geometry"), geometry=shapely.from_wkb(wkb),
                                 crs=int(srid) if srid and int(srid) > 0 else None)
        return frame[columns]

    def tables(self) -> set[str]:
        """Every table in the database's search path."""
        return set(sa.inspect(self.sql).get_table_names())

    def drop_tables(self, conn: Connection, names: list[str]) -> None:
        """Drop tables (only ever left by a write that did not commit, which PostGIS rolls back anyway)."""
        for name in names:
            if not _SAFE_NAME.match(name):
                msg = f"refusing to drop table {name!r}"
                raise StoreError(msg)
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))


def _ordered_columns(conn: Connection, table: str) -> list[str]:
    """The table's columns in their order."""
    return list(conn.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = :t ORDER BY ordinal_position"), {"t": table}).scalars())


def _copy_rows(table: Any, conn: Connection, keys: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Pandas ``to_sql`` insertion through PostgreSQL's COPY (psycopg 3): 1M rows in ~1 s instead of ~17 s of INSERTs.

    NaN floats are sent as NULL, as pandas' own INSERTs send them.
    """
    name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    columns = ", ".join('"' + k.replace('"', '""') + '"' for k in keys)
    count = 0
    dbapi = cast(psycopg.Connection[Any], conn.connection.dbapi_connection)
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([None if isinstance(v, float) and v != v else v for v in row])
            count += 1
    return count


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def backend_for(location: str | os.PathLike[str]) -> GeoPackageBackend | PostgisBackend:
    """The backend of a store location: a ``postgresql://`` URL, else a ``.gpkg`` path."""
    text = os.fspath(location).strip()
    if is_database_url(text):
        return PostgisBackend(text)
    path = Path(text).expanduser()
    if path.suffix.lower() != ".gpkg":
        msg = f"存储应为 .gpkg 文件或 postgresql:// 地址，而不是「{text}」"
        raise StoreError(msg)
    return GeoPackageBackend(path.resolve())


def is_database_url(text: str) -> bool:
    """Whether ``text`` names a PostgreSQL database.

    >>> is_database_url("postgresql://ipgrid@db/ipgrid"), is_database_url("数据/ipgrid.gpkg")
    (True, False)
    """
    return re.match(r"^(postgres|postgresql|postgis)(\+\w+)?://", text.strip()) is not None


def copy_file_consistently(source: Path, target: Path) -> None:
    """Copy a GeoPackage with SQLite's online backup (a consistent copy even while others read it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    os.replace(partial, target)


__all__ = ["Backend", "GeoPackageBackend", "PostgisBackend", "backend_for", "copy_file_consistently",
           "is_database_url"]
