"""The store's commands: ``import``, ``versions``, ``diff``, ``backup``, ``restore``, ``assign``, ``assignments``.

Same rules as the rest of the CLI (:mod:`dashboard.cli`): exit 0 on
success, 1 when an import is refused for errors in the data (the problems
listed), 2 when the command could not run, always a Chinese line and never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dashboard.engine import Engine
from dashboard.engine.catalog import LEVEL_LABELS, change_text, format_number, format_percent, json_ready, text_of
from dashboard.engine.changes import DIFF_METRICS, VersionDiff, diff_engines
from dashboard.store.backends import backend_for
from dashboard.store.backup import restore, write_backup
from dashboard.store.importer import PreparedImport, prepare_import
from dashboard.store.store import Store, Version, checked_date, default_user
from loaders.errors import StoreError

EXIT_OK, EXIT_DATA_ERRORS = 0, 1

DIFF_LEVELS = ("town", "park", "grid")

CHANGE_LABELS = {"added": "新增企业", "removed": "减少企业（注销/迁出）", "first_ip": "培育成功（首次拥有知识产权）",
                 "lost_ip": "不再拥有有效知识产权", "moved": "迁移到其他镇街"}
"""Firm list of a diff → its Chinese name."""


def _print_changes(diff: VersionDiff, title: str, out: Any = None) -> None:
    out = out or sys.stdout
    print(title, file=out)
    for key, label in CHANGE_LABELS.items():
        frame = getattr(diff, key)
        print(f"  {label}：{len(frame)} 家", file=out)


def print_import_summary(prepared: PreparedImport) -> None:
    """The validation table, then what changed against the version before."""
    from dashboard.cli import print_validation

    print_validation(prepared.bundle, prepared.engine.problems)
    district = prepared.engine.stats("district").iloc[0]
    print(f"\n数据截至 {prepared.as_of}：企业 {format_number(district['enterprises'])} 家，"
          f"有知识产权 {format_number(district['enterprises_with_ip'])} 家，"
          f"覆盖率 {format_percent(district['ip_coverage_rate'])}")
    if prepared.diff is None:
        print("这是存储中最早的版本，没有可对比的上一版本。")
    else:
        assert prepared.previous is not None
        _print_changes(prepared.diff, f"与上一版本（数据截至 {prepared.previous.as_of}）相比：")


def district_view(location: str, district: str | None) -> Store:
    """The store at ``location``, showing ``district`` (``--district``) when given.

    Raises
    ------
    loaders.errors.DistrictNotFoundError
        The store holds no such district.
    """
    store = Store(location)
    return store if district is None else store.for_district(district)


def add_district_option(p: argparse.ArgumentParser) -> None:
    """``--district NAME``: which district of a store of several districts."""
    p.add_argument("--district", metavar="NAME",
                   help="区县名称（存储中有多个区县时必须指定；只有一个区县时可省略）")


def _cmd_import(args: argparse.Namespace) -> int:
    as_of = checked_date(args.as_of)
    existing = Store(args.store) if backend_for(args.store).exists() else None  # a refused import creates nothing
    prepared = prepare_import(Path(args.folder), as_of, store=existing, note=args.note or "", district=args.district)
    print_import_summary(prepared)
    if prepared.errors and not args.allow_errors:
        print(f"\n未导入：数据有 {prepared.errors} 条错误（见上表）。请修正后重新导入；"
              "确认这些行可以不导入时，加 --allow-errors。", file=sys.stderr)
        return EXIT_DATA_ERRORS
    store = existing or Store(args.store, create=True)
    version = store.commit(prepared, user=args.user)
    where = f"区县 {version.district}，" if version.district else ""
    print(f"\n已导入：存储 {store.location}，{where}版本 {version.version_id}（数据截至 {version.as_of}）。")
    return EXIT_OK


def _version_row(v: Version, with_district: bool) -> list[str]:
    rows = v.rows
    return [str(v.version_id), *([v.district] if with_district else []), v.as_of, v.status_label,
            v.imported_at.replace("T", " ")[:19], v.imported_by, format_number(rows.get("enterprises", 0)),
            format_number(rows.get("ip_records", 0)), str(v.errors), str(v.warnings), v.note]


def _cmd_versions(args: argparse.Namespace) -> int:
    from dashboard.cli import format_table

    store = district_view(args.store, args.district)
    if args.withdraw:
        version = store.withdraw(args.withdraw, user=args.user, note=args.note or "")
        print(f"已撤回：数据截至 {version.as_of} 的版本 {version.version_id}（仍保留在版本列表中）。", file=sys.stderr)
    versions = store.versions()
    if args.json:
        json.dump([v.to_json() for v in versions], sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    if not versions:
        print(f"存储 {store.location} 中还没有版本。")
        return EXIT_OK
    several = len({v.district for v in versions}) > 1
    header = ["版本", *(["区县"] if several else []), "数据截至", "状态", "导入时间", "导入人", "企业", "知识产权明细",
              "错误", "警告", "备注"]
    print(f"存储：{store.location}")
    print(format_table(header, [_version_row(v, several) for v in versions]))
    return EXIT_OK


def diff_of(store: Store, date_from: str | None, date_to: str | None, level: str) -> tuple[Version, Version,
                                                                                           VersionDiff]:
    """The two versions (default: the last two in force) and what changed between them at ``level``."""
    active = store.active_versions()
    if date_from is None and date_to is None and len(active) < 2:
        from loaders.errors import VersionNotFoundError

        msg = f"存储 {store.location} 中只有 {len(active)} 个有效版本，至少需要两个才能对比"
        raise VersionNotFoundError(msg)
    new = store.version(date_to) if date_to else active[-1]
    old = store.version(date_from) if date_from else store.previous(new.as_of)
    if old is None:
        from loaders.errors import VersionNotFoundError

        msg = f"数据截至 {new.as_of} 之前没有版本可对比；请用 --from 指定"
        raise VersionNotFoundError(msg)
    diff = diff_engines(Engine(store.open_bundle(old)), Engine(store.open_bundle(new)), level)
    return old, new, diff


def _cmd_diff(args: argparse.Namespace) -> int:
    from dashboard.cli import format_table

    store = district_view(args.store, args.district)
    old, new, diff = diff_of(store, args.date_from, args.date_to, args.level)
    if args.json:
        doc = {"from": old.as_of, "to": new.as_of, **diff.to_json()}
        json.dump(json_ready(doc), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    _print_changes(diff, f"数据截至 {old.as_of} → {new.as_of} 的变化（{LEVEL_LABELS[args.level]}）：")
    header = ["名称"]
    for key in DIFF_METRICS:
        header += [f"{_metric_label(key)}（前）", "（后）", "变化"]
    rows = []
    for _, row in diff.areas.iterrows():
        cells = [str(row["name"])]
        for key in DIFF_METRICS:
            fmt = format_percent if key.endswith("_rate") else format_number
            cells += [fmt(row[f"{key}_from"]), fmt(row[f"{key}_to"]), change_text(key, row[f"{key}_change"])]
        rows.append(cells)
    print()
    print(format_table(header, rows))
    return EXIT_OK


def _metric_label(key: str) -> str:
    from dashboard.engine.catalog import column_label

    return column_label(key)


def _cmd_backup(args: argparse.Namespace) -> int:
    from dashboard.store.backup import backup_dir, now_stamp

    store = Store(args.store)
    if args.list:
        from dashboard.cli import format_table
        from dashboard.store.backup import list_backups

        found = list_backups(store)
        print(f"自动备份（{backup_dir(store)}，最新在前）：")
        print(format_table(["文件", "大小（MB）"], [[str(f), f"{s / 1e6:.1f}"]
                                                  for f, s in zip(found["file"], found["size"], strict=True)]))
        return EXIT_OK
    target = Path(args.out) if args.out else backup_dir(store) / f"manual-{now_stamp()}.gpkg"
    with store.backend.lock("备份"):
        write_backup(store, target)
        store._audit_now("backup", args.user, files=[{"name": str(target), "size": target.stat().st_size}],  # noqa: SLF001
                         detail={"automatic": False})
    print(f"已备份到 {target}（{target.stat().st_size / 1e6:.1f} MB，{len(store.versions())} 个版本）")
    return EXIT_OK


def _cmd_audit(args: argparse.Namespace) -> int:
    from dashboard.cli import format_table
    from dashboard.store.store import ACTION_LABELS, detail_text

    log = Store(args.store).audit_log()
    if args.json:
        records = log.to_dict("records")
        for record in records:
            for key in ("files", "detail"):
                record[key] = json.loads(str(record[key] or "null"))
        json.dump(json_ready(records), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    rows = [[str(r.at)[:19].replace("T", " "), str(r.user), ACTION_LABELS.get(str(r.action), str(r.action)),
             text_of(r.as_of), str(r.rows or ""),
             "、".join(str(f.get("name", "")) for f in json.loads(str(r.files or "[]"))), detail_text(r.detail)]
            for r in log.itertuples()]
    print(format_table(["时间", "操作人", "操作", "数据截至", "行数", "文件", "详情"], rows))
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not source.is_file():
        msg = f"备份文件 {source} 不存在"
        raise StoreError(msg)
    Store(source)  # a store this program reads, checked before anything is created
    store = Store(args.store, create=True)  # a store lost, or moved to another server, is restored into a new one
    restore(store, source, user=args.user or default_user())
    print(f"已从 {args.source} 恢复：{len(store.versions())} 个版本；恢复前的内容已另行备份。")
    return EXIT_OK


def _cmd_assign(args: argparse.Namespace) -> int:
    store = district_view(args.store, args.district)
    store.assign(args.grid, args.commissioners, valid_from=args.valid_from, user=args.user, note=args.note or "")
    who = "、".join(args.commissioners) or "无人负责"
    print(f"已调整：网格 {args.grid} 自 {args.valid_from} 起由 {who} 负责。")
    return EXIT_OK


def _cmd_assignments(args: argparse.Namespace) -> int:
    from dashboard.cli import format_table

    store = district_view(args.store, args.district)
    if args.history:
        table = store.assignment_history()
        if args.json:
            json.dump(json_ready(table.to_dict("records")), sys.stdout, ensure_ascii=False, indent=1)
            print()
        else:
            header = ["网格", "专员", "生效日期", "调整人", "调整时间", "来源", "备注"]
            rows = [[str(r.grid_id), str(r.commissioners or "（无）"), str(r.valid_from), str(r.changed_by),
                     str(r.changed_at)[:19].replace("T", " "), "导入" if r.source == "import" else "手工调整",
                     str(r.note)]
                    for r in table.itertuples()]
            print(format_table(header, rows))
        return EXIT_OK
    version = store.version(args.as_of)
    engine = Engine(store.open_bundle(version))
    from dashboard.store.assignments import cell_assignments

    current = cell_assignments(engine.cells, engine.commissioners)
    if args.json:
        json.dump({"as_of": version.as_of, "cells": current}, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print(f"数据截至 {version.as_of} 的网格专员：")
        print(format_table(["网格", "专员"], [[g, "、".join(n) or "（无人负责）"] for g, n in current.items()]))
    return EXIT_OK


def _user_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="记录为操作人（默认当前系统用户）")


def add_store_parsers(sub: Any) -> None:
    """Add the store's subcommands to the ``ipgrid`` parser."""
    p = sub.add_parser("import", help="把一个季度的数据文件夹导入存储，成为一个按数据截至日命名的版本")
    p.add_argument("folder", help="数据文件夹")
    p.add_argument("--store", required=True, help="存储：.gpkg 文件（不存在时创建）或 postgresql:// 地址")
    p.add_argument("--as-of", required=True, metavar="YYYY-MM-DD", help="数据截至日，如 2025-12-31")
    p.add_argument("--note", help="备注")
    p.add_argument("--allow-errors", action="store_true", help="数据有错误时仍导入（有错误的行不导入）")
    p.add_argument("--district", metavar="NAME",
                   help="区县名称：向一个市、省的存储添加或更新该区县（各区县的版本、设置和专员分配分开保存）")
    _user_option(p)
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("versions", help="列出存储中的全部版本（含已撤回的）；--withdraw 撤回一个版本")
    p.add_argument("store", help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--withdraw", metavar="YYYY-MM-DD", help="撤回该数据截至日的有效版本（保留在列表中）")
    p.add_argument("--note", help="撤回原因")
    add_district_option(p)
    _user_option(p)
    p.set_defaults(func=_cmd_versions)

    p = sub.add_parser("diff", help="两个版本之间的变化：新增、减少、培育成功、迁移的企业，各区域指标前后对比")
    p.add_argument("store", help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("--from", dest="date_from", metavar="D1", help="较早的数据截至日（默认倒数第二个版本）")
    p.add_argument("--to", dest="date_to", metavar="D2", help="较晚的数据截至日（默认最新版本）")
    p.add_argument("--level", choices=DIFF_LEVELS, default="town", help="区域层级（默认 town）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    add_district_option(p)
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser("backup", help="把整个存储备份为一个 GeoPackage 文件")
    p.add_argument("store", help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("--out", metavar="FILE.gpkg", help="备份文件（默认存储旁的备份文件夹）")
    p.add_argument("--list", action="store_true",
                   help="列出自动备份（每次写入前自动备份，保留最近 IPGRID_STORE_BACKUPS 个）")
    _user_option(p)
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("audit", help="操作记录：导入、撤回、调整专员分配、备份、恢复（谁、何时、哪些文件、多少行）")
    p.add_argument("store", help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser("restore", help="用备份文件替换存储的内容（替换前先自动备份）")
    p.add_argument("store", help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("--from", dest="source", required=True, metavar="FILE.gpkg", help="备份文件")
    _user_option(p)
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser("assign", help="调整网格的专员分配（保留历史）；不写专员姓名即为无人负责")
    p.add_argument("store", help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("grid", help="网格编号")
    p.add_argument("commissioners", nargs="*", metavar="专员", help="负责该网格的专员姓名（可多个）")
    p.add_argument("--valid-from", required=True, metavar="YYYY-MM-DD", help="生效日期")
    p.add_argument("--note", help="备注")
    add_district_option(p)
    _user_option(p)
    p.set_defaults(func=_cmd_assign)

    p = sub.add_parser("assignments", help="某版本日期的网格专员分配；--history 列出全部调整记录")
    p.add_argument("store", help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="数据截至日（默认最新版本）")
    p.add_argument("--history", action="store_true", help="列出全部调整记录")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    add_district_option(p)
    p.set_defaults(func=_cmd_assignments)
