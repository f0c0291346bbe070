"""The ``ipgrid visits`` commands: ``import`` an office's visit log into the store, ``list`` the visits in force.

Same rules as the store's other commands (:mod:`dashboard.store.cli`): an
import exits 0 when every row was recorded (or was already), 1 when some
rows were refused for errors (the others recorded; the problems listed), 2
when it cannot run — no such file, not a store, no version, a sheet that
cannot be read — with one Chinese line, never a traceback, and nothing
written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.store.cli import add_district_option, district_view
from dashboard.store.store import Store, checked_date, default_user
from dashboard.store.visits import Visits
from dashboard.store.visits_import import VisitImport, import_visit_log
from loaders.problems import PROBLEM_LABELS, SEVERITY_LABELS
from loaders.visits import VISITS, read_visit_log

EXIT_OK, EXIT_DATA_ERRORS = 0, 1

LIST_KEYS = ("visit_id", "firm_name", "uscc", "commissioner", "visit_date", "kind", "needs", "outcome", "note",
             "follow_up", "entered_by", "entered_at", "source")
"""Keys of each visit of ``ipgrid visits list --json`` (``needs`` a list)."""


def _field_label(key: str | None) -> str:
    if not key:
        return ""
    return VISITS.field(key).label if key in VISITS.field_names else key


def print_visit_import(result: VisitImport, out: Any = None) -> None:
    """The Chinese summary line of an import, then its problems as a table."""
    from dashboard.cli import format_table

    out = out or sys.stdout
    line = f"{result.file}：共 {result.rows} 行，已导入 {result.imported} 条走访记录"
    if result.refused_rows:
        line += f"；{result.refused_rows} 行有错误未导入"
    if result.already_recorded:
        line += f"；{result.already_recorded} 行已在存储中，未重复导入"
    print(f"{line}（按数据截至 {result.as_of} 的版本核对）。", file=out)
    if not result.problems:
        return
    cols = ["severity", "row", "field", "message"]
    rows = [[SEVERITY_LABELS[p.severity], "" if p.row is None else str(p.row), _field_label(p.field), p.message]
            for p in result.problems]
    print(file=out)
    print(format_table([PROBLEM_LABELS[c] for c in cols], rows), file=out)


def _cmd_import(args: argparse.Namespace) -> int:
    log = read_visit_log(Path(args.file))  # before the store is opened: a file that cannot be read touches nothing
    result = import_visit_log(district_view(args.store, args.district), log, by=args.user or default_user())
    if args.json:
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print_visit_import(result)
    return EXIT_DATA_ERRORS if result.refused_rows else EXIT_OK


def visit_list(visits: pd.DataFrame, *, commissioner: str | None = None, since: str | None = None) -> pd.DataFrame:
    """The visits of ``commissioner`` dated ``since`` or later (each filter only when given)."""
    keep = pd.Series(True, index=visits.index)
    if commissioner:
        keep &= visits["commissioner"].astype(str) == commissioner.strip()
    if since:
        keep &= visits["visit_date"].astype(str) >= since
    return visits[keep.to_numpy(dtype=bool)]


def visit_records(visits: pd.DataFrame) -> list[dict[str, object]]:
    """Visits as JSON-ready dicts with the keys of :data:`LIST_KEYS` (``needs`` split into a list)."""
    out: list[dict[str, object]] = []
    for record in visits.to_dict("records"):
        item: dict[str, object] = {k: "" if record[k] is None else str(record[k]) for k in LIST_KEYS}
        item["visit_id"] = int(record["visit_id"])
        item["needs"] = [n for n in str(record["needs"] or "").split("、") if n]
        out.append(item)
    return out


def _cmd_list(args: argparse.Namespace) -> int:
    from dashboard.cli import format_table

    since = checked_date(args.since, "--since") if args.since else None
    store = Store(args.store)
    chosen = visit_list(Visits(store).current(), commissioner=args.commissioner, since=since)
    records = visit_records(chosen)
    if args.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    if not records:
        print(f"存储 {store.location} 中没有符合条件的走访记录。")
        return EXIT_OK
    header = ["编号", "企业", "走访日期", "走访人", "方式", "需求", "回访日期", "备注"]
    rows = [[str(r["visit_id"]), str(r["firm_name"]), str(r["visit_date"]), str(r["commissioner"]), str(r["kind"]),
             "、".join(map(str, r["needs"])) if isinstance(r["needs"], list) else "", str(r["follow_up"]),
             str(r["note"])] for r in records]
    print(f"走访记录 {len(records)} 条：")
    print(format_table(header, rows))
    return EXIT_OK


def add_visits_parser(sub: Any) -> None:
    """Add ``ipgrid visits import`` and ``ipgrid visits list`` to the ``ipgrid`` parser."""
    visits = sub.add_parser("visits", help="网格专员走访记录：从台账导入存储，列出在册的走访")
    commands = visits.add_subparsers(dest="visits_command", required=True)

    p = commands.add_parser("import", help="导入走访台账（.xlsx/.xls/.csv），按最新版本核对企业、专员和网格")
    p.add_argument("file", help="走访台账文件")
    p.add_argument("--store", required=True, help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("--json", action="store_true", help="以 JSON 输出：导入条数和问题")
    p.add_argument("--user", help="记录为录入人（默认当前系统用户）")
    add_district_option(p)
    p.set_defaults(func=_cmd_import)

    p = commands.add_parser("list", help="列出在册的走访记录")
    p.add_argument("--store", required=True, help="存储：.gpkg 文件或 postgresql:// 地址")
    p.add_argument("--commissioner", metavar="姓名", help="只列该专员的走访")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="只列该日期及以后的走访")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（对象列表）")
    p.set_defaults(func=_cmd_list)
