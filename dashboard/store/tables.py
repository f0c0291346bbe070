"""The store's own tables (the same on every backend); each version's layers live in tables of their own.

A version's tables are named ``v0003_enterprises`` (version 3, layer
enterprises): a GIS colleague opening the GeoPackage in QGIS sees each
layer of each version as it was imported, and ``ipgrid_versions`` says which
is which.  A version's tables are never written again after its row in
``ipgrid_versions`` is committed; that row is what makes them part of the store.
"""

from __future__ import annotations

import re

from sqlalchemy import Column, Integer, MetaData, Table, Text

FORMAT = "1"
"""Store format written into ``ipgrid_store``; a store of another format is refused with a message."""

metadata = MetaData()

store_info = Table(
    "ipgrid_store", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    comment="ipgrid 存储信息（格式版本、创建时间）",
)

versions = Table(
    "ipgrid_versions", metadata,
    Column("version_id", Integer, primary_key=True, autoincrement=False),
    Column("as_of", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("imported_at", Text, nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("district", Text, nullable=False),
    Column("source_folder", Text, nullable=False),
    Column("config", Text, nullable=False),
    Column("layers", Text, nullable=False),
    Column("files", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("withdrawn_at", Text),
    Column("withdrawn_by", Text),
    Column("withdraw_note", Text),
    comment="ipgrid 数据版本：每次导入一个版本，按数据截至日命名",
)

audit = Table(
    "ipgrid_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("version_id", Integer),
    Column("as_of", Text),
    Column("files", Text, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("detail", Text, nullable=False),
    comment="ipgrid 操作记录：导入、撤回、专员分配调整、备份、恢复、登录、退出、锁定、导出和下载",
)

assignments = Table(
    "ipgrid_assignments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("grid_id", Text, nullable=False),
    Column("commissioners", Text, nullable=False),
    Column("valid_from", Text, nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("changed_at", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("district", Text, nullable=False, server_default=""),
    comment="网格专员分配及其历史：每行是某区县某网格自某日起的专员（、分隔，空为无人负责）",
)

users = Table(
    "ipgrid_users", metadata,
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("commissioner", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("token_hash", Text, nullable=False),
    Column("disabled", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_until", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("changed_at", Text, nullable=False),
    Column("last_login_at", Text, nullable=False),
    comment="ipgrid 账号：角色、网格专员姓名、argon2id 口令散列（大屏为令牌的 SHA-256），从不保存明文",
)

visits = Table(
    "ipgrid_visits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("visit_id", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("firm_key", Text, nullable=False),
    Column("uscc", Text, nullable=False),
    Column("firm_name", Text, nullable=False),
    Column("commissioner", Text, nullable=False),
    Column("visit_date", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("needs", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("follow_up", Text, nullable=False),
    Column("entered_by", Text, nullable=False),
    Column("entered_at", Text, nullable=False),
    Column("source", Text, nullable=False),
    comment="网格专员走访记录：每次走访一行，修改另记一行（revision 加 1），最新一行为准；status=deleted 为删除",
)

ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"ipgrid_assignments": ("district",)}
"""Columns added to the store's own tables after their first release: added (empty) when an older store is opened."""

OWN_TABLES = tuple(metadata.tables)
"""Names of the store's own tables."""

VERSION_TABLE = re.compile(r"^v(?P<id>\d{4,})_(?P<part>[a-z_]+)$")
"""Name of a table of one version."""


def version_table(version_id: int, part: str) -> str:
    """Name of version ``version_id``'s table ``part`` (a layer name, ``placement``, ``problems`` …).

    >>> version_table(3, "enterprises")
    'v0003_enterprises'
    """
    return f"v{version_id:04d}_{part}"
