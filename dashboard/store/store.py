"""A store of versions: each quarter's import, kept whole and never changed, with its audit trail and assignments.

:class:`Store` is the one interface; where the tables live is a backend's
business (:mod:`dashboard.store.backends`).  Writing a version is
:meth:`Store.commit` of a :class:`~dashboard.store.importer.PreparedImport`
(made without touching the store, so the app can show it before anything is
written); reading one is :meth:`Store.open_bundle`, which gives the same
:class:`~loaders.DataBundle` the loaders gave, with the engine's stored work
on it, every layer read only when first asked for.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import getpass
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard.engine.precomputed import Precomputed
from dashboard.store import codec
from dashboard.store import tables as tb
from dashboard.store.backends import GeoPackageBackend, PostgisBackend, backend_for
from loaders.bundle import DataBundle, Layer
from loaders.errors import (
    DistrictNotFoundError,
    DistrictRequiredError,
    ImportRefusedError,
    StoreError,
    VersionNotFoundError,
)
from loaders.problems import ProblemLog

if TYPE_CHECKING:
    from dashboard.store.importer import PreparedImport

STATUS_LABELS = {"active": "有效", "superseded": "已被取代", "withdrawn": "已撤回"}
"""Status of a version → how every interface says it."""

ACTION_LABELS = {"import": "导入", "withdraw": "撤回", "assign": "调整专员分配", "backup": "备份",
                 "restore": "恢复", "create": "创建存储", "login": "登录", "login_failed": "登录失败",
                 "lockout": "账号锁定", "logout": "退出登录", "timeout": "会话超时", "export": "导出地图",
                 "download": "下载表格", "denied": "无权查看", "user_add": "创建账号", "user_passwd": "修改密码",
                 "user_disable": "停用账号", "user_enable": "启用账号", "user_token": "更换大屏令牌",
                 "user_rehash": "更新口令散列", "visit_add": "记录走访", "visit_import": "导入走访记录",
                 "visit_edit": "修改走访记录", "visit_delete": "删除走访记录"}
"""Audit action → its Chinese name."""

DETAIL_LABELS = {"account": "账号", "role": "角色", "reason": "原因", "what": "文件", "scope": "范围", "page": "页面",
                 "grid_id": "网格", "valid_from": "生效日期", "note": "备注", "until": "锁定至", "failures": "连续失败",
                 "source": "来自", "method": "方式", "minutes": "时长（分钟）", "versions": "版本数", "to": "调整为",
                 "from": "调整前", "commissioner": "专员姓名", "visits": "走访编号", "firms": "企业",
                 "visit": "走访编号", "firm": "企业", "bytes": "字节"}
"""Key of an audit entry's detail → how the 审计 page and ``ipgrid audit`` name it."""

REASON_LABELS = {"unknown": "无此账号", "wrong_password": "密码错误", "disabled": "账号已停用", "locked": "账号已锁定",
                 "kiosk": "大屏账号不能用密码登录", "bad_token": "大屏令牌无效"}
"""Why a login failed → its Chinese words (the audit says which; the login page never does)."""


def detail_text(detail: object) -> str:
    """An audit entry's detail (its JSON text or a dict) in one line of Chinese, keys in a fixed order.

    >>> detail_text('{"reason": "wrong_password", "failures": 2}')
    '原因：密码错误；连续失败：2'
    """
    try:
        found = json.loads(detail) if isinstance(detail, str) else detail
    except json.JSONDecodeError:
        return str(detail)
    if not isinstance(found, dict):
        return "" if found is None else str(found)
    parts = []
    for key, value in found.items():
        if value in (None, "", [], {}):
            continue
        if key == "reason":
            value = REASON_LABELS.get(str(value), value)
        elif key == "role":
            from dashboard.access.roles import role_label

            value = role_label(str(value))
        elif isinstance(value, list):
            value = "、".join(str(v) for v in value)
        parts.append(f"{DETAIL_LABELS.get(key, key)}：{value}")
    return "；".join(parts)


DATE_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def checked_date(text: object, what: str = "数据截至日") -> str:
    """``text`` when it is a real calendar date written YYYY-MM-DD, else :class:`ImportRefusedError`.

    >>> checked_date("2025-12-31")
    '2025-12-31'
    """
    value = str(text).strip() if text is not None else ""
    try:
        if not DATE_FORMAT.match(value):
            raise ValueError(value)
        dt.date.fromisoformat(value)
    except ValueError:
        msg = f"{what}应为 YYYY-MM-DD 格式的日期（如 2025-12-31），而不是「{value}」"
        raise ImportRefusedError(msg) from None
    return value


def now_text() -> str:
    """Now in local time, to the second (how the store writes times)."""
    return dt.datetime.now().astimezone().replace(microsecond=0).isoformat()


def default_user() -> str:
    """Who runs the command (the operating-system account) until the app has its own accounts."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "未知用户"


@dataclass(frozen=True)
class Version:
    """One import: its as-of date, where it came from, what it holds, and whether it is still in force."""

    version_id: int
    as_of: str
    status: str
    """``active``, ``superseded`` (a later import has the same as-of date) or ``withdrawn``."""
    imported_at: str
    imported_by: str
    note: str
    district: str
    source_folder: str
    layers: dict[str, dict[str, Any]]
    files: list[dict[str, Any]]
    summary: dict[str, Any]
    withdrawn_at: str | None = None
    withdrawn_by: str | None = None
    withdraw_note: str | None = None

    @property
    def status_label(self) -> str:
        """有效, 已被取代 or 已撤回."""
        return STATUS_LABELS[self.status]

    @property
    def rows(self) -> dict[str, int]:
        """Accepted rows per layer."""
        return {name: int(meta["accepted"]) for name, meta in self.layers.items()}

    @property
    def errors(self) -> int:
        """Problems of severity error found on import."""
        return int(self.summary.get("errors", 0))

    @property
    def warnings(self) -> int:
        """Problems of severity warning found on import."""
        return int(self.summary.get("warnings", 0))

    @property
    def label(self) -> str:
        """How a selector names it: its as-of date, and its status when not in force."""
        return self.as_of if self.status == "active" else f"{self.as_of}（{self.status_label}）"

    def to_json(self) -> dict[str, object]:
        """The ``ipgrid versions --json`` record."""
        return {
            "version": self.version_id, "as_of": self.as_of, "status": self.status, "status_label": self.status_label,
            "imported_at": self.imported_at, "imported_by": self.imported_by, "note": self.note,
            "district": self.district, "source_folder": self.source_folder, "rows": self.rows,
            "problems": {"errors": self.errors, "warnings": self.warnings}, "files": self.files,
            "withdrawn_at": self.withdrawn_at, "withdrawn_by": self.withdrawn_by, "withdraw_note": self.withdraw_note,
        }


class DeferredLayer(Layer):
    """A stored layer whose frame is read from the store the first time someone asks for it."""

    def __init__(self, load: Callable[[], pd.DataFrame], **fields: Any) -> None:
        self._load: Callable[[], pd.DataFrame] | None = load
        self._frame: pd.DataFrame | None = None
        super().__init__(frame=None, **fields)  # type: ignore[arg-type]  # set through the property below

    @property  # the dataclass field, read lazily
    def frame(self) -> pd.DataFrame:
        """The canonical frame, read on first use."""
        if self._frame is None and self._load is not None:
            self._frame, self._load = self._load(), None
        assert self._frame is not None
        return self._frame

    @frame.setter
    def frame(self, value: pd.DataFrame | None) -> None:
        if value is not None:
            self._frame, self._load = value, None


@dataclass
class _Tables:
    """A version's tables as they are about to be written."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)

    def add(self, part: str, frame: pd.DataFrame, description: str) -> None:
        self.frames[part] = frame
        self.descriptions[part] = description


class Store:
    """A store of versions in a GeoPackage file or a PostGIS database, of one district or of several.

    A store of a city or province holds several districts
    (``ipgrid import … --district NAME``): each keeps its own versions,
    settings (its metric CRS among them) and commissioner assignments, and a
    :class:`Store` shows one of them at a time — the one named by
    ``district``, or the only one there is.  :meth:`districts` lists them and
    :meth:`for_district` gives the view of another.

    Parameters
    ----------
    location
        A ``.gpkg`` path or a ``postgresql://`` URL.
    create
        Create the store when it does not exist yet (an import does; reading
        never does).
    district
        The district shown; ``None``: the store's only district (a store of
        several districts then lists every version, but asks for a district
        before it opens one).

    Raises
    ------
    loaders.errors.StoreError
        Not a store location, a store that does not exist (when not
        creating), a file that is not an ipgrid store, a store of another format.
    """

    def __init__(self, location: str | os.PathLike[str], *, create: bool = False, district: str | None = None) -> None:
        self.district: str | None = None if district is None else district.strip()
        """The district this view shows (``None``: the store's only one)."""
        self.backend: GeoPackageBackend | PostgisBackend = backend_for(location)
        if not self.backend.exists():
            if not create:
                msg = f"存储 {self.backend.location} 不存在；先用 ipgrid import 导入一个季度的数据文件夹来创建它"
                raise StoreError(msg)
            self.backend.create()
            self._audit_now("create", detail={"backend": self.backend.kind})
        self._check_format()

    @property
    def location(self) -> str:
        """The store as users may see it (no password)."""
        return self.backend.location

    def _check_format(self) -> None:
        try:
            with self.backend.sql.connect() as conn:
                value = conn.execute(sa.select(tb.store_info.c.value).where(tb.store_info.c.key == "format")).scalar()
        except sa.exc.DBAPIError as exc:
            msg = f"{self.location} 不是 ipgrid 存储（没有 ipgrid_store 表）：{str(exc).splitlines()[0]}"
            raise StoreError(msg) from None
        if value is None:
            with self.backend.sql.begin() as conn:
                conn.execute(sa.insert(tb.store_info).values(key="format", value=tb.FORMAT))
                conn.execute(sa.insert(tb.store_info).values(key="created_at", value=now_text()))
        elif value != tb.FORMAT:
            msg = f"存储 {self.location} 的格式版本为 {value}，本程序只能读写格式 {tb.FORMAT}；请升级 ipgrid"
            raise StoreError(msg)
        with self.backend.sql.connect() as conn:
            inspector = sa.inspect(conn)
            present = set(inspector.get_table_names())
            missing_columns = {table: [c for c in columns if c not in
                                       {col["name"] for col in inspector.get_columns(table)}]
                               for table, columns in tb.ADDED_COLUMNS.items() if table in present}
        if not set(tb.OWN_TABLES) <= present:  # written before accounts or visits existed: the tables are added
            with contextlib.suppress(sa.exc.DBAPIError, OSError):  # read-only: it has no accounts, as before
                self.backend.add_missing_own_tables()
        if any(missing_columns.values()):
            with contextlib.suppress(sa.exc.DBAPIError, OSError):  # read-only: read as one district, as before
                self._add_columns(missing_columns)

    def _add_columns(self, missing: dict[str, list[str]]) -> None:
        """Columns a store of an earlier release lacks: ``district`` of the assignments, given its only district."""
        with self.backend.sql.begin() as conn:
            for table, columns in missing.items():
                for column in columns:
                    conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"))
            names = sorted({str(n) for n in conn.execute(sa.select(tb.versions.c.district).distinct()).scalars()})
            if "district" in missing.get("ipgrid_assignments", []) and len(names) == 1:
                conn.execute(sa.update(tb.assignments).values(district=names[0]))

    def info(self, key: str) -> str | None:
        """A value of ``ipgrid_store`` (``format``, ``created_at``, the demo's ``demo_today``), ``None`` when unset."""
        with self.backend.sql.connect() as conn:
            value = conn.execute(sa.select(tb.store_info.c.value).where(tb.store_info.c.key == key)).scalar()
        return None if value is None else str(value)

    def set_info(self, key: str, value: str) -> None:
        """Set a value of ``ipgrid_store``."""
        with self.backend.sql.begin() as conn:
            conn.execute(sa.delete(tb.store_info).where(tb.store_info.c.key == key))
            conn.execute(sa.insert(tb.store_info).values(key=key, value=value))

    # -- districts ----------------------------------------------------------------------------

    def districts(self) -> list[str]:
        """The districts the store holds, in the order of their first import."""
        with self.backend.sql.connect() as conn:
            rows = conn.execute(sa.select(tb.versions.c.district, sa.func.min(tb.versions.c.version_id))
                                .group_by(tb.versions.c.district)).all()
        return [str(name) for name, _ in sorted(rows, key=lambda r: r[1])]

    def for_district(self, name: str) -> Store:
        """The view of district ``name`` of this store (sharing its connection).

        Raises
        ------
        loaders.errors.DistrictNotFoundError
            The store has no version of that district (the message lists those it has).
        """
        wanted = name.strip()
        known = self.districts()
        if wanted not in known:
            listed = "、".join(d or "（未命名）" for d in known) or "无"
            msg = f"存储 {self.location} 中没有区县「{wanted}」；已有的区县：{listed}"
            raise DistrictNotFoundError(msg)
        view = copy.copy(self)
        view.district = wanted
        return view

    def latest_by_district(self) -> dict[str, Version | None]:
        """Each district (store order) → its latest version in force, ``None`` when every one is withdrawn.

        One read of ``ipgrid_versions`` for the whole store (a page's rerun, a batch's task list).
        """
        every = self._unbound().versions()
        first: dict[str, int] = {}
        latest: dict[str, Version | None] = {}
        for v in every:
            first[v.district] = min(first.get(v.district, v.version_id), v.version_id)
            latest.setdefault(v.district, None)
            if v.status == "active":
                latest[v.district] = v  # versions come by as-of date: the last in force wins
        return {d: latest[d] for d in sorted(first, key=first.__getitem__)}

    def _unbound(self) -> Store:
        view = copy.copy(self)
        view.district = None
        return view

    def districts_of(self, commissioner: str) -> list[str]:
        """The districts (store order) where ``commissioner`` is assigned a cell today or in any recorded change.

        What a commissioner's session opens first in a city's store: their own district, not the store's first.
        """
        name = commissioner.strip()
        with self.backend.sql.connect() as conn:
            rows = conn.execute(sa.select(tb.assignments.c.district, tb.assignments.c.commissioners)).all()
        theirs = {str(d) for d, names in rows if name and name in str(names).split("、")}
        return [d for d in self.districts() if d in theirs]

    @property
    def district_key(self) -> str | None:
        """The district whose versions, assignments and figures this view shows; ``None`` before any import.

        Raises
        ------
        loaders.errors.DistrictRequiredError
            The store holds several districts and none was chosen.
        """
        if self.district is not None:
            return self.district
        known = self.districts()
        if len(known) > 1:
            listed = "、".join(d or "（未命名）" for d in known)
            msg = (f"存储 {self.location} 中有 {len(known)} 个区县（{listed}）；请指定其中一个"
                   "（命令行加 --district 区县名；统计全部区县用 ipgrid stats … --all-districts）")
            raise DistrictRequiredError(msg)
        return known[0] if known else None

    # -- versions -----------------------------------------------------------------------------

    def versions(self) -> list[Version]:
        """Every version of the district shown (of every district when several and none chosen), withdrawn too.

        Ordered by as-of date then import order; a version is superseded by a
        later import of the same district and date.
        """
        query = sa.select(tb.versions).order_by(tb.versions.c.as_of, tb.versions.c.version_id)
        if self.district is not None:
            query = query.where(tb.versions.c.district == self.district)
        with self.backend.sql.connect() as conn:
            rows = conn.execute(query).all()
        latest: dict[tuple[str, str], int] = {}
        for r in rows:
            if r.status != "withdrawn":
                latest[(r.district, r.as_of)] = r.version_id
        out = []
        for r in rows:
            in_force = latest.get((r.district, r.as_of)) == r.version_id
            status = r.status if r.status == "withdrawn" or in_force else "superseded"
            out.append(Version(
                version_id=r.version_id, as_of=r.as_of, status=status, imported_at=r.imported_at,
                imported_by=r.imported_by, note=r.note, district=r.district, source_folder=r.source_folder,
                layers=json.loads(r.layers), files=json.loads(r.files), summary=json.loads(r.summary),
                withdrawn_at=r.withdrawn_at, withdrawn_by=r.withdrawn_by, withdraw_note=r.withdraw_note))
        return out

    def active_versions(self) -> list[Version]:
        """The version in force for each as-of date of the district shown, oldest first.

        Raises
        ------
        loaders.errors.DistrictRequiredError
            The store holds several districts and none was chosen.
        """
        key = self.district_key
        return [v for v in self.versions() if v.status == "active" and (key is None or v.district == key)]

    def version(self, as_of: str | None = None) -> Version:
        """The version in force for ``as_of`` (YYYY-MM-DD), or the latest when ``None``.

        Raises
        ------
        loaders.errors.VersionNotFoundError
            The store has no version in force for that date (the message lists those it has).
        """
        active = self.active_versions()
        if not active:
            msg = f"存储 {self.location} 中还没有有效的数据版本；先用 ipgrid import 导入"
            raise VersionNotFoundError(msg)
        if as_of is None:
            return active[-1]
        wanted = str(as_of).strip()
        for version in active:
            if version.as_of == wanted:
                return version
        listed = "、".join(v.as_of for v in active)
        withdrawn = [v for v in self.versions() if v.as_of == wanted]
        reason = "该日期的版本已撤回" if withdrawn else "没有该日期的版本"
        msg = f"存储中{reason}：「{wanted}」；可选的数据截至日：{listed}"
        raise VersionNotFoundError(msg)

    def previous(self, as_of: str) -> Version | None:
        """The version in force just before ``as_of``, ``None`` when there is none."""
        earlier = [v for v in self.active_versions() if v.as_of < as_of]
        return earlier[-1] if earlier else None

    # -- reading a version --------------------------------------------------------------------

    def open_bundle(self, version: Version | str | None = None) -> DataBundle:
        """The version's layers as the loaders gave them, the engine's stored work on :attr:`DataBundle.precomputed`.

        Each layer is read when first used; the commissioner assignments valid at
        the version's date (:meth:`assignment_history`) replace the imported ones
        where they differ.
        """
        chosen = version if isinstance(version, Version) else self.version(version)
        vid = chosen.version_id
        layers: dict[str, Layer] = {}
        for name, meta in chosen.layers.items():
            table = tb.version_table(vid, name)
            load = self._typed_reader(table, meta)
            layers[name] = DeferredLayer(load, name=name, file=meta["file"], rows=int(meta["rows"]),
                                         accepted=int(meta["accepted"]), crs=meta["crs"],
                                         crs_guessed=bool(meta["crs_guessed"]), failed=bool(meta["failed"]))
        config = codec.config_from_json(self._config_text(vid))
        problems = self.backend.read_frame(tb.version_table(vid, "problems"))
        loader_problems = codec.problems_from_frame(problems[problems["origin"] == "loaders"])
        bundle = DataBundle(folder=Path(chosen.source_folder), config=config, layers=layers,
                            problems=loader_problems, version=chosen)
        bundle.precomputed = self._precomputed(chosen, codec.problems_from_frame(problems))
        self._apply_assignments(bundle, chosen)
        return bundle

    def _typed_reader(self, table: str, meta: dict[str, Any]) -> Callable[[], pd.DataFrame]:
        return lambda: codec.restored(self.backend.read_frame(table), meta)

    def _config_text(self, vid: int) -> str:
        with self.backend.sql.connect() as conn:
            text = conn.execute(sa.select(tb.versions.c.config).where(tb.versions.c.version_id == vid)).scalar()
        return str(text)

    def _precomputed(self, version: Version, problems: ProblemLog) -> Precomputed:
        vid, summary = version.version_id, version.summary
        frame = self.backend.read_frame(tb.version_table(vid, "placement"))
        parks = self.backend.read_frame(tb.version_table(vid, "park_members"))
        holders = (self.backend.read_frame(tb.version_table(vid, "unmatched_holders"))
                   if summary.get("has_rights") else pd.DataFrame())

        def load_matching() -> Any:
            if not summary.get("has_rights"):
                return None
            parts = {p: self.backend.read_frame(tb.version_table(vid, p))
                     for p in ("match_records", "match_firms", "match_holders")}
            return codec.matching_from(parts, int(summary["match_groups"]))

        return Precomputed(grid_key=str(summary["grid_key"]), placement=codec.placement_from(frame, parks),
                           rights=codec.rights_from(frame, summary, holders), problems=problems,
                           load_matching=load_matching)

    # -- writing a version --------------------------------------------------------------------

    def commit(self, prepared: PreparedImport, *, user: str | None = None) -> Version:
        """Write a prepared import as a new version, in one step that either happens whole or not at all.

        The store is backed up first (:mod:`dashboard.store.backup`); the
        write lock keeps a second import waiting (then refused) rather than
        interleaved.  Returns the committed version.
        """
        from dashboard.store.backup import backup_before

        who = user or default_user()
        with self.backend.lock("导入"):
            backup_before(self, "import", who)
            with self.backend.sql.begin() as conn:
                self._drop_orphans(conn)
            vid = self._next_id()
            parts = self._version_tables(prepared, vid)
            record = prepared.version_record(vid, who, now_text())
            with self.backend.sql.begin() as conn:
                for part, frame in parts.frames.items():
                    self.backend.write_frame(conn, tb.version_table(vid, part), frame, parts.descriptions[part])
                conn.execute(sa.insert(tb.versions).values(**record))
                self._record_assignments(conn, prepared, who)
                # The history as this import left it: later rows in force at its date are what can change its view.
                summary = json.loads(str(record["summary"]))
                summary["assignment_id"] = int(conn.execute(sa.select(sa.func.max(tb.assignments.c.id))).scalar() or 0)
                conn.execute(sa.update(tb.versions).where(tb.versions.c.version_id == vid)
                             .values(summary=json.dumps(summary, ensure_ascii=False)))
                rows = sum(int(m["accepted"]) for m in prepared.layer_meta.values())
                self._audit(conn, "import", who, version_id=vid, as_of=prepared.as_of, files=prepared.files,
                            rows=rows, detail={"note": prepared.note, "errors": prepared.errors,
                                               "warnings": prepared.warnings})
        return next(v for v in self.versions() if v.version_id == vid)

    def _all_version_ids(self) -> set[int]:
        """Every version of every district (what owns a table)."""
        with self.backend.sql.connect() as conn:
            return {int(v) for v in conn.execute(sa.select(tb.versions.c.version_id)).scalars()}

    def _next_id(self) -> int:
        ids = list(self._all_version_ids())
        for name in self.backend.tables():
            found = tb.VERSION_TABLE.match(name)
            if found:
                ids.append(int(found.group("id")))
        return max(ids, default=0) + 1

    def _drop_orphans(self, conn: Connection) -> list[str]:
        """Remove tables of versions that were never committed (a killed import)."""
        committed = self._all_version_ids()
        orphans = sorted(name for name in self.backend.tables()
                         if (m := tb.VERSION_TABLE.match(name)) and int(m.group("id")) not in committed)
        if orphans:
            self.backend.drop_tables(conn, orphans)
        return orphans

    def _version_tables(self, prepared: PreparedImport, vid: int) -> _Tables:
        parts = _Tables()
        as_of = prepared.as_of
        for name, layer in prepared.bundle.layers.items():
            label = prepared.layer_label(name)
            parts.add(name, codec.storable(layer.frame), f"{label} · 数据截至 {as_of} · 版本 {vid}")
        problems = prepared.problems_frame()
        parts.add("problems", problems, f"问题清单 · 数据截至 {as_of} · 版本 {vid}")
        pre = prepared.precomputed
        n_firms = len(prepared.bundle.layers["enterprises"].frame)
        parts.add("placement", codec.placement_frame(pre.placement, pre.rights, n_firms),
                  f"企业定位（镇街、网格、投影坐标）与知识产权计数 · 版本 {vid}")
        parts.add("park_members", codec.park_pairs_frame(pre.placement), f"企业所在园区 · 版本 {vid}")
        matching = pre.load_matching()
        if pre.rights is not None and matching is not None:
            holders = pre.rights.unmatched_holders
            parts.add("unmatched_holders", pd.DataFrame(holders), f"未匹配到企业的权利人 · 版本 {vid}")
            for part, frame in codec.matching_frames(matching).items():
                parts.add(part, frame, f"知识产权与权利人企业的匹配 · 版本 {vid}")
        return parts

    def withdraw(self, as_of: str, *, user: str | None = None, note: str = "") -> Version:
        """Withdraw the version in force for ``as_of``: it stays listed, is no longer shown, nothing is deleted."""
        from dashboard.store.backup import backup_before

        who = user or default_user()
        with self.backend.lock("撤回"):
            version = self.version(checked_date(as_of))
            backup_before(self, "withdraw", who)
            with self.backend.sql.begin() as conn:
                conn.execute(sa.update(tb.versions).where(tb.versions.c.version_id == version.version_id)
                             .values(status="withdrawn", withdrawn_at=now_text(), withdrawn_by=who,
                                     withdraw_note=note))
                self._audit(conn, "withdraw", who, version_id=version.version_id, as_of=version.as_of,
                            detail={"note": note})
        return next(v for v in self.versions() if v.version_id == version.version_id)

    # -- assignments --------------------------------------------------------------------------

    def _record_assignments(self, conn: Connection, prepared: PreparedImport, who: str) -> None:
        """Record the imported cells' commissioners where they differ from those in force at the as-of date."""
        district = prepared.district
        current = self._assignments_at(conn, prepared.as_of, district)
        stamp = now_text()
        for grid_id, names in prepared.assignments().items():
            if current.get(grid_id, []) != names:
                conn.execute(sa.insert(tb.assignments).values(
                    grid_id=grid_id, commissioners="、".join(names), valid_from=prepared.as_of, changed_by=who,
                    changed_at=stamp, source="import", note=f"导入 {prepared.as_of}", district=district))

    def assignment_stamp(self) -> int:
        """The id of the latest assignment change (0: none): it moves whenever what a version shows of it may change."""
        with self.backend.sql.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(tb.assignments.c.id))).scalar() or 0)

    def assignment_history(self) -> pd.DataFrame:
        """Every assignment change of the district shown, oldest first (the columns of ``ipgrid_assignments``)."""
        key = self.district_key or ""
        with self.backend.sql.connect() as conn:
            rows = conn.execute(sa.select(tb.assignments).where(tb.assignments.c.district == key)
                                .order_by(tb.assignments.c.id)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in tb.assignments.columns])

    def _assignments_at(self, conn: Connection, date: str, district: str | None = None) -> dict[str, list[str]]:
        key = (self.district_key or "") if district is None else district
        rows = conn.execute(sa.select(tb.assignments).where((tb.assignments.c.valid_from <= date)
                                                            & (tb.assignments.c.district == key))
                            .order_by(tb.assignments.c.valid_from, tb.assignments.c.id)).all()
        out: dict[str, list[str]] = {}
        for r in rows:
            out[r.grid_id] = [n for n in r.commissioners.split("、") if n]
        return out

    def assign(self, grid_id: str, commissioners: list[str], *, valid_from: str, user: str | None = None,
               note: str = "") -> None:
        """Give cell ``grid_id`` these commissioners from ``valid_from`` on (an empty list: nobody)."""
        from dashboard.store.backup import backup_before

        who = user or default_user()
        day = checked_date(valid_from, "生效日期")
        names = [n.strip() for n in commissioners if n.strip()]
        latest = self.version()
        known = self.open_bundle(latest)
        from dashboard.engine import Engine

        cells = set(Engine(known).cells["grid_id"].astype(str))
        if grid_id not in cells:
            msg = f"网格「{grid_id}」不在最新版本（{latest.as_of}）的网格中"
            raise StoreError(msg)
        with self.backend.lock("调整专员分配"):
            backup_before(self, "assign", who)
            with self.backend.sql.begin() as conn:
                before = self._assignments_at(conn, day, latest.district).get(grid_id)
                conn.execute(sa.insert(tb.assignments).values(
                    grid_id=grid_id, commissioners="、".join(names), valid_from=day, changed_by=who,
                    changed_at=now_text(), source="edit", note=note, district=latest.district))
                self._audit(conn, "assign", who, detail={"grid_id": grid_id, "from": before or [], "to": names,
                                                         "valid_from": day, "note": note})

    def _apply_assignments(self, bundle: DataBundle, version: Version) -> None:
        """Replace the version's commissioner columns by the assignments in force at its date when they differ.

        Nothing to do (and nothing computed) when no change in force at its date was recorded after the
        version's own import: the history then says what the version's files say.
        """
        from dashboard.store.assignments import apply_assignments

        date, seen = version.as_of, version.summary.get("assignment_id")
        with self.backend.sql.connect() as conn:
            if seen is not None:
                later = conn.execute(sa.select(sa.func.count()).select_from(tb.assignments).where(
                    (tb.assignments.c.valid_from <= date) & (tb.assignments.c.id > int(seen))
                    & (tb.assignments.c.district == version.district))).scalar()
                if not later:
                    return
            history = self._assignments_at(conn, date, version.district)
        if history:
            apply_assignments(bundle, history)

    # -- audit --------------------------------------------------------------------------------

    def _audit(self, conn: Connection, action: str, user: str, *, version_id: int | None = None,
               as_of: str | None = None, files: list[dict[str, Any]] | None = None, rows: int = 0,
               detail: dict[str, Any] | None = None) -> None:
        conn.execute(sa.insert(tb.audit).values(
            at=now_text(), user=user, action=action, version_id=version_id, as_of=as_of,
            files=json.dumps(files or [], ensure_ascii=False), rows=rows,
            detail=json.dumps(detail or {}, ensure_ascii=False)))

    def _audit_now(self, action: str, user: str | None = None, **kwargs: Any) -> None:
        with self.backend.sql.begin() as conn:
            self._audit(conn, action, user or default_user(), **kwargs)

    def audit_log(self) -> pd.DataFrame:
        """Every audited action, oldest first: at, user, action, version_id, as_of, files, rows, detail."""
        with self.backend.sql.connect() as conn:
            rows = conn.execute(sa.select(tb.audit).order_by(tb.audit.c.id)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in tb.audit.columns])
