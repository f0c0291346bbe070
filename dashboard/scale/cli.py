"""``ipgrid stats STORE --all-districts``: one level of every district of a city's or province's store.

The options are the issue's interface: ``--all-districts``, ``--workers N``
(processes of a LocalCluster; 0: this process), ``--scheduler tcp://…`` (a
real cluster), ``--via engine|postgis`` and the usual ``--level`` /
``--json`` / ``--csv``; each record names its ``district``.  Timings and
memory go to stderr, so ``--json`` output stays a document.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from dashboard.cli_args import integer_in
from dashboard.engine import DEFAULT_GRID_CELL_M, LEVEL_LABELS
from dashboard.scale.batch import BatchError, BatchResult, run_batch
from dashboard.scale.tasks import DISTRICT_COLUMN
from dashboard.store.source import is_store_location

MAX_WORKERS = 1024
VIA = ("engine", "postgis")
"""How the figures are made: the engine, one task per district (every metric); or PostGIS's own aggregation
(``ST_Covers`` joins on GiST indexes: the firm and rights counts only, see :mod:`dashboard.scale.postgis`)."""


def add_batch_options(p: argparse.ArgumentParser) -> None:
    """The city/province options of ``ipgrid stats``."""
    p.add_argument("--all-districts", action="store_true",
                   help="统计存储中的全部区县（市、省级存储；每个区县取最新有效版本，每行注明 district）")
    p.add_argument("--workers", type=integer_in(0, MAX_WORKERS, "进程数"), metavar="N",
                   help="本机 Dask LocalCluster 的进程数（默认每核一个；0 为在本进程中逐个区县计算）")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786", help="已有 Dask 集群调度器的地址（替代本机 LocalCluster）")
    p.add_argument("--via", choices=VIA, help="engine：引擎逐区县计算全部指标（默认）；"
                                              "postgis：由 PostGIS 以 ST_Covers 直接汇总企业数和知识产权数")


def _check(args: argparse.Namespace) -> None:
    if not args.all_districts:
        given = [o for o, v in (("--workers", args.workers), ("--scheduler", args.scheduler), ("--via", args.via))
                 if v is not None]
        msg = f"{'、'.join(given)} 只用于 --all-districts（统计存储中的全部区县）"
        raise BatchError(msg)
    if not is_store_location(args.path):
        msg = f"--all-districts 只用于存储（.gpkg 文件或 postgresql:// 地址），而「{args.path}」是数据文件夹"
        raise BatchError(msg)
    for option, value in (("--district", args.district), ("--as-of", args.as_of), ("--shape", args.shape),
                          ("--over", args.over)):
        if value is not None:
            msg = f"--all-districts 统计每个区县的最新有效版本，不能与 {option} 同时使用"
            raise BatchError(msg)
    if args.via == "postgis" and (args.workers is not None or args.scheduler or args.year):
        msg = "--via postgis 在数据库中汇总，不能与 --workers、--scheduler 或 --year 同时使用"
        raise BatchError(msg)


def _report(result: BatchResult) -> None:
    """Seconds, districts, firms and each worker's peak memory, on stderr."""
    firms = sum(r.firms for r in result.results)
    peaks = result.peak_rss_by_worker()
    peak_text = "、".join(f"{p / 2**20:,.0f} MB" for p in peaks.values())
    print(f"已统计 {len(result.results)} 个区县、{firms:,} 家企业，用时 {result.seconds:.1f} 秒（{result.runner}；"
          f"各进程内存峰值 {peak_text}）", file=sys.stderr)
    if result.skipped:
        print(f"提示：以下区县没有有效版本，未统计：{'、'.join(result.skipped)}", file=sys.stderr)


def all_district_stats(args: argparse.Namespace) -> int:
    """Run ``stats --all-districts`` and print its table (text, ``--json`` or ``--csv``)."""
    from dashboard.cli import EXIT_OK, print_area_table, records_for_json
    from loaders.spreadsheet import write_csv

    _check(args)
    if args.via == "postgis":
        from dashboard.scale.postgis import postgis_counts

        table: pd.DataFrame = postgis_counts(args.path, args.level)
    else:
        result = run_batch(args.path, args.level, workers=args.workers, scheduler=args.scheduler, year=args.year,
                           grid_cell_m=DEFAULT_GRID_CELL_M if args.cell_m is None else args.cell_m)
        _report(result)
        table = result.table
    if args.json:
        json.dump(records_for_json(table), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif args.csv:
        write_csv(table, sys.stdout)
    else:
        year = f"{args.year} 年末" if args.year else "各区县数据截至日"
        print_area_table(table, f"全部区县 · {LEVEL_LABELS[args.level]}统计（{year}）")
        if args.level == "district" and args.via != "postgis":
            from dashboard.engine.regions import region_total

            total = region_total(table, f"合计（{table[DISTRICT_COLUMN].nunique()} 个区县）")
            print()
            print_area_table(total, "合计（比率由各区县的合计数计算，不是各区县比率的平均）")
    return EXIT_OK
