"""The ``ipgrid`` command line.

Exit codes: 0 when the data has at most warnings, 1 when a layer has errors,
2 when the command could not run (missing folder or layer, empty or
unsupported file, bad ``ipgrid.toml``, an option out of range, a grid too
fine for the area) — always one Chinese line, never a traceback, for
mistakes a user can fix.  Options are checked by the parser (usage and a
Chinese message, exit 2); what only the data can tell (an unknown area, too
many grid cells) raises an :class:`~loaders.IpgridError` that :func:`main`
prints as ``错误：…``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO, cast

import numpy as np
import pandas as pd

from dashboard.bigscreen.cli import add_bigscreen_parser
from dashboard.cli_args import integer_in, positive_number
from dashboard.engine import DEFAULT_GRID_CELL_M, LEVEL_LABELS, Engine
from dashboard.engine.catalog import (
    COORD_DECIMALS,
    DEFAULT_METRIC,
    MAPPABLE_METRICS,
    cell_text,
    column_label,
    format_distance,
    format_number,
    is_missing,
    text_of,
    value_text,
)
from dashboard.engine.grids import SHAPES, cell_count_text
from dashboard.engine.targets import TargetStatus, status_text
from dashboard.scale.cli import add_batch_options
from dashboard.store import open_data
from dashboard.store.cli import add_store_parsers
from dashboard.store.user_cli import add_user_parser
from dashboard.store.visits_cli import add_visits_parser
from dashboard.theme import SEQUENTIAL
from loaders import DataBundle, IpgridError, ProblemLog
from loaders.config import DEFAULT_MAX_GENERATED_CELLS
from loaders.errors import GeneratedGridTooLargeError, GridSizeError
from loaders.problems import PROBLEM_LABELS, SEVERITY_LABELS
from loaders.schema import LAYERS
from loaders.spreadsheet import write_csv, write_xlsx

EXIT_OK, EXIT_DATA_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2
MAX_PRINTED_PROBLEMS = 50

MAX_SUGGESTED_SITES = 1000
"""Largest ``coverage --suggest K``."""

YEAR_RANGE = (1900, 2100)
"""Years ``--year`` accepts."""

GRID_OVER = {"parks": "园区", "towns": "镇街"}
"""``--over`` choice → the layer cells are generated over."""


def validation_report(bundle: DataBundle, problems: ProblemLog | None = None) -> dict[str, object]:
    """The ``validate --json`` document: layers with file/rows/accepted/crs, and every problem."""
    problems = bundle.problems if problems is None else problems
    return {
        "layers": {
            name: {"file": layer.file, "rows": layer.rows, "accepted": layer.accepted,
                   "crs": layer.crs}
            for name, layer in bundle.layers.items()
        },
        "problems": problems.to_records(),
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table aligned for CJK (wide) characters."""
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(str(c), w) for c, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(str(c), w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def print_validation(bundle: DataBundle, problems: ProblemLog, out: TextIO | None = None) -> None:
    """Print the Chinese summary table and the first problems."""
    out = out or sys.stdout
    rows = []
    for name, layer in bundle.layers.items():
        rows.append([
            LAYERS[name].label, layer.file, str(layer.rows), str(layer.accepted), layer.crs or "-",
            str(problems.count(name, "error")), str(problems.count(name, "warning")),
        ])
    version = bundle.version
    title = (f"数据文件夹：{bundle.folder}" if version is None
             else f"存储版本：数据截至 {getattr(version, 'as_of', '')}（导入自 {bundle.folder}）")
    if bundle.is_demo:
        title += "（示例数据）"
    print(title, file=out)
    header = ["图层", "文件", "行数", "导入", "坐标系", "错误", "警告"]
    print(format_table(header, rows), file=out)
    if not len(problems):
        print("\n未发现问题。", file=out)
        return
    print(f"\n问题 {len(problems)} 条（错误 {problems.count(severity='error')}，"
          f"警告 {problems.count(severity='warning')}）：", file=out)
    listed = []
    for p in list(problems)[:MAX_PRINTED_PROBLEMS]:
        listed.append([SEVERITY_LABELS[p.severity], LAYERS[p.layer].label, p.file,
                       "" if p.row is None else str(p.row), p.field or "", p.message])
    cols = ["severity", "layer", "file", "row", "field", "message"]
    print(format_table([PROBLEM_LABELS[c] for c in cols], listed), file=out)
    if len(problems) > MAX_PRINTED_PROBLEMS:
        print(f"……另有 {len(problems) - MAX_PRINTED_PROBLEMS} 条；"
              "用 --json 或 --problems 问题清单.xlsx 查看全部", file=out)


def write_problems(problems: ProblemLog, path: Path) -> None:
    """Write the whole problems table as .xlsx or .csv (UTF-8 with BOM, opens in Excel)."""
    frame = problems.to_frame()
    frame["severity"] = frame["severity"].map(SEVERITY_LABELS)
    frame["layer"] = frame["layer"].map(lambda n: LAYERS[n].label)
    frame = frame.rename(columns=PROBLEM_LABELS)
    if path.suffix.lower() == ".xlsx":  # text as text: a formula in a data file is shown, never run
        write_xlsx(frame, path, sheet="问题清单")
    else:
        write_csv(frame, path, encoding="utf-8-sig")


def _cmd_validate(args: argparse.Namespace) -> int:
    bundle = open_data(args.path, as_of=args.as_of, district=args.district, analysis=False)
    problems = Engine(bundle).problems  # the loaders' problems + unmatched rights holders
    if args.json:
        json.dump(validation_report(bundle, problems), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print_validation(bundle, problems)
    if args.problems:
        write_problems(problems, Path(args.problems))
    return EXIT_DATA_ERRORS if problems.has_errors() else EXIT_OK


def _json_value(v: object) -> object:
    if not isinstance(v, str | list | tuple) and is_missing(v):
        return None
    return v.item() if isinstance(v, np.generic) else v


def records_for_json(table: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts with NaN/NA → null and numpy scalars → Python numbers."""
    rows = cast(list[dict[str, object]], table.to_dict("records"))  # typed Hashable keys; our columns are names
    return [{k: _json_value(v) for k, v in row.items()} for row in rows]


AREA_TABLE_KEYS = ("enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
                   "high_value_inventions", "trademarks", "copyrights", "pledge_amount_wan", "area_km2",
                   "population", "high_value_per_10k_pop", "service_coverage_rate")
"""Columns of the plain-text area tables (``stats`` without ``--json``/``--csv``)."""


def print_area_table(table: pd.DataFrame, title: str) -> None:
    """A readable Chinese table of the main metrics, formatted with their units (a 区县 column when there is one)."""
    print(title)
    keys = [k for k in AREA_TABLE_KEYS if k in table]
    names = [k for k in ("district", "name") if k in table]
    header = [column_label(k) for k in (*names, *keys)]
    rows = [[str(row[k]) for k in names] + [cell_text(k, row[k]) for k in keys] for _, row in table.iterrows()]
    print(format_table(header, rows))


def check_generated_grid(engine: Engine) -> None:
    """Generate the engine's grid cells now, refusing too many in the words of the command line.

    The cap and the smallest cell size that fits are the engine's
    (:func:`dashboard.engine.grids.check_generated_cells`, ``[settings]
    max_generated_cells``); only the wording names ``--cell-m``.

    Raises
    ------
    loaders.errors.GridSizeError
        The cell size is too small for the area.
    """
    try:
        _ = engine.cells
    except GeneratedGridTooLargeError as exc:
        msg = (f"按 --cell-m {exc.cell_m:g} 米在{exc.areas}上生成网格需要{cell_count_text(exc.cells)}网格，"
               f"超过上限 {exc.limit:,} 个；请把 --cell-m 设为 {exc.fit_m:g} 米或更大，或在数据文件夹中提供网格图层"
               "（上限可在 ipgrid.toml 的 [settings] max_generated_cells 中修改）")
        raise GridSizeError(msg) from None


def _grid_engine(args: argparse.Namespace) -> Engine:
    """The engine of ``stats``: generated-grid options applied, checked, or noted as unused."""
    chosen = {"--cell-m": args.cell_m, "--shape": args.shape, "--over": args.over}
    engine = Engine(open_data(args.path, as_of=args.as_of, district=args.district), year=args.year,
                    grid_cell_m=DEFAULT_GRID_CELL_M if args.cell_m is None else args.cell_m,
                    grid_shape=args.shape or "square", grid_over=args.over or "parks")
    if engine.has_layer("grids"):
        given = [name for name, value in chosen.items() if value is not None]
        if given:
            print(f"提示：数据文件夹有网格图层（{engine.bundle.layers['grids'].file}），按其中的网格统计；"
                  f"{'、'.join(given)} 只用于自动生成网格，已忽略", file=sys.stderr)
    else:
        check_generated_grid(engine)
    return engine


def _cmd_stats(args: argparse.Namespace) -> int:
    if args.all_districts or args.workers is not None or args.scheduler or args.via:
        from dashboard.scale.cli import all_district_stats

        return all_district_stats(args)
    engine = _grid_engine(args)
    table = engine.stats(args.level)
    if args.json:
        json.dump(records_for_json(table), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif args.csv:
        write_csv(table, sys.stdout)  # names starting with = + - @ are quoted, not run by Excel
    else:
        year = f"{args.year} 年末" if args.year else "数据截至日"
        print_area_table(table, f"{engine.district_name} · {LEVEL_LABELS[args.level]}统计（{year}）")
    return EXIT_OK


def _cmd_coverage(args: argparse.Namespace) -> int:
    engine = Engine(open_data(args.path, as_of=args.as_of, district=args.district))
    town = engine.stats("town")
    uncovered = engine.uncovered_firms()
    suggestions = engine.suggest_sites(args.suggest) if args.suggest else pd.DataFrame()
    district = engine.stats("district").iloc[0]
    if args.json:
        doc = {
            "radius_m": engine.bundle.config.service_radius_m,
            "district": records_for_json(district.to_frame().T[["enterprises", "located", "covered",
                                                                "service_coverage_rate"]])[0],
            "areas": records_for_json(town[["id", "name", "enterprises", "located", "covered",
                                            "service_coverage_rate"]]),
            "uncovered": records_for_json(uncovered[["name", "uscc", "town", "has_ip", "nearest_service",
                                                     "nearest_service_m", "source_row"]]),
            "suggestions": records_for_json(suggestions),
        }
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    if not engine.has_layer("service_points"):  # coverage is no data, not 0 %: say why instead of a table of —
        print(f"{engine.district_name} · 服务覆盖：数据文件夹中没有服务站点图层（服务站点.xlsx/.csv），无法计算覆盖率")
        return EXIT_OK
    rate = value_text("service_coverage_rate", district["service_coverage_rate"])
    print(f"{engine.district_name} · 服务覆盖：已定位企业 {cell_text('located', district['located'])} 家，"
          f"覆盖 {cell_text('covered', district['covered'])} 家（{rate}），未覆盖 {len(uncovered):,} 家")
    rows = [[text_of(r["name"]), cell_text("located", r["located"]), cell_text("covered", r["covered"]),
             cell_text("service_coverage_rate", r["service_coverage_rate"])] for _, r in town.iterrows()]
    print(format_table([column_label(k) for k in ("town", "located", "covered", "service_coverage_rate")], rows))
    if len(suggestions):
        radius = format_distance(suggestions["radius_m"].iat[0])
        print(f"\n建议新增 {len(suggestions)} 个服务站点（半径 {radius}，贪心选址）：")
        rows = [[str(int(r["rank"])), str(r["town"]), str(r["grid_id"]),
                 f"{r['lon']:.{COORD_DECIMALS}f}, {r['lat']:.{COORD_DECIMALS}f}",
                 cell_text("gain", r["gain"]), cell_text("cumulative", r["cumulative"])]
                for _, r in suggestions.iterrows()]
        print(format_table(["序号", *(column_label(k) for k in ("town", "grid_id")), "经纬度",
                            *(column_label(k) for k in ("gain", "cumulative"))], rows))
    return EXIT_OK


TARGET_JSON_KEYS = ("indicator", "label", "unit", "latest_year", "latest_value", "target_year", "target_value",
                    "progress", "projected", "status", "gap")
"""Keys of each record of ``ipgrid targets --json``, in order."""

NO_INDICATORS = "数据文件夹中没有指标图层（指标.xlsx/.csv：年份、指标、数值、单位、类型），没有可列出的目标"


def _year(value: object) -> int | None:
    return None if is_missing(value) else int(value)  # type: ignore[call-overload]  # a number, not missing


def target_records(targets: pd.DataFrame) -> list[dict[str, object]]:
    """``ipgrid targets --json``: one object per indicator of :meth:`Engine.targets`.

    Each has :data:`TARGET_JSON_KEYS`: ``indicator`` (the indicator's key),
    ``label``, ``unit``, ``latest_year``/``latest_value``, ``target_year``/
    ``target_value``, ``progress`` (latest ÷ target), ``projected`` (the
    trend's value at the target year), ``status`` (a
    :class:`~dashboard.engine.targets.TargetStatus` label) and ``gap``
    (target − latest for 未达标); a missing value is ``null``.
    """
    records = []
    for row in records_for_json(targets):
        fields = {
            "indicator": row["key"], "label": row["label"], "unit": row["unit"],
            "latest_year": _year(row["latest_year"]), "latest_value": row["latest"],
            "target_year": _year(row["target_year"]), "target_value": row["target"],
            "progress": row["progress"], "projected": row["projected"], "status": row["status"], "gap": row["gap"],
        }
        records.append({key: fields[key] for key in TARGET_JSON_KEYS})
    return records


def print_targets(targets: pd.DataFrame, title: str) -> None:
    """Every indicator against its target as a Chinese table, the status with the gap of a missed one."""
    print(title)
    keys = ("label", "unit", "latest_year", "latest", "target_year", "target", "progress", "status")

    def cell(row: pd.Series, key: str) -> str:
        value = row[key]
        if key == "status":
            return status_text(TargetStatus(value), row["gap"], str(row["unit"] or ""))
        if key in ("latest_year", "target_year"):
            return "—" if is_missing(value) else str(int(value))
        if key in ("latest", "target"):
            return format_number(value, 2, trim=True)
        return cell_text(key, value) or "—"

    rows = [[cell(row, k) for k in keys] for _, row in targets.iterrows()]
    print(format_table([column_label(k) for k in keys], rows))


def _cmd_targets(args: argparse.Namespace) -> int:
    engine = Engine(open_data(args.path, as_of=args.as_of, district=args.district))
    targets = engine.targets()
    if args.json:
        if not len(targets):
            print(f"提示：{NO_INDICATORS}", file=sys.stderr)
        json.dump(target_records(targets), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif not len(targets):
        print(f"{NO_INDICATORS}。")
    else:
        print_targets(targets, f"{engine.district_name} · 指标与目标（{len(targets)} 项）")
    return EXIT_OK


def _check_output(out: Path) -> None:
    """Fail before any work when the output cannot be written where asked."""
    from dashboard.exports import ExportError

    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        msg = f"无法写入输出文件 {out}：文件夹 {folder} 不存在"
        raise ExportError(msg)
    if out.is_dir():
        msg = f"无法写入输出文件 {out}：这是一个文件夹"
        raise ExportError(msg)


def _write_output(out: Path, data: bytes) -> None:
    from dashboard.exports import ExportError

    try:
        out.write_bytes(data)
    except OSError as exc:
        msg = f"无法写入输出文件 {out}：{exc.strerror or exc}"
        raise ExportError(msg) from None


def _cmd_export(args: argparse.Namespace) -> int:
    from dashboard.exports import FORMATS, PAGE_SIZES, ExportError, export_map, format_for_path

    out = Path(args.out)
    fmt = args.format or format_for_path(out.name)
    if args.format and out.suffix and out.suffix.lower() != FORMATS[fmt].suffix:
        msg = f"输出文件「{out.name}」的扩展名与格式 {fmt} 不符：请用 {FORMATS[fmt].suffix} 结尾"
        raise ExportError(msg)
    _check_output(out)
    engine = Engine(open_data(args.path, as_of=args.as_of, district=args.district), year=args.year)
    data = export_map(engine, args.level, args.area, args.metric, fmt, args.size, args.scheme, args.k)
    _write_output(out, data)
    size = "" if fmt == "html" else f"，{PAGE_SIZES[args.size].label}"
    print(f"已导出 {out}（{FORMATS[fmt].label}{size}，{len(data) / 1024:,.0f} KB）")
    return EXIT_OK


def _cmd_atlas(args: argparse.Namespace) -> int:
    import io

    from dashboard.exports import write_atlas
    from dashboard.store import is_store_location

    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        from dashboard.exports import ExportError

        msg = f"图集是 PDF 文件：输出文件「{out.name}」请用 .pdf 结尾"
        raise ExportError(msg)
    _check_output(out)
    engine = Engine(open_data(args.path, as_of=args.as_of, district=args.district), year=args.year)
    visits = None
    if args.level == "grid" and is_store_location(args.path):  # a store's visits make the weekly visit sheets
        from dashboard.access.settings import visit_today
        from dashboard.engine.visits import firm_visits
        from dashboard.store import Store
        from dashboard.store.visits import Visits

        store = Store(args.path)
        visits = firm_visits(engine, Visits(store).current(), visit_today(store.info("demo_today")))
    buffer = io.BytesIO()
    info = write_atlas(engine, args.level, buffer, args.metric, args.scheme, args.k, visits=visits)
    _write_output(out, buffer.getvalue())
    parts = [f"封面 {info.count('cover')}", f"汇总表 {info.count('summary')}",
             f"{LEVEL_LABELS[args.level]} {info.count('area')}"]
    if info.count("visit"):
        sheets = "专员走访清单" if visits is None else f"专员本周走访清单（{visits.today.isoformat()}）"
        parts.append(f"{sheets} {info.count('visit')} 人（{info.count('visit') + info.count('visit-table')} 页）")
    print(f"已导出图集 {out}：共 {len(info.pages)} 页（{'，'.join(parts)}）")
    return EXIT_OK


# --------------------------------------------------------------------------- options


_ARGPARSE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^argument (?P<arg>[^:]+): (?P<rest>.*)$", re.S), "参数 {arg}：{rest}"),
    (re.compile(r"^invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)$", re.S),
     "无效的选项 {value}，应为 {choices} 之一"),
    (re.compile(r"^invalid (?P<kind>\w+) value: (?P<value>.+)$", re.S), "应为{kind}，而不是 {value}"),
    (re.compile(r"^the following arguments are required: (?P<args>.+)$", re.S), "缺少必需的参数：{args}"),
    (re.compile(r"^unrecognized arguments: (?P<args>.+)$", re.S), "无法识别的参数：{args}"),
    (re.compile(r"^expected one argument$"), "缺少参数值（以 - 开头的值请写成 --选项=值）"),
    (re.compile(r"^not allowed with argument (?P<arg>.+)$", re.S), "不能与参数 {arg} 同时使用"),
)
_KINDS = {"int": "整数", "float": "数"}


def chinese_usage_error(message: str) -> str:
    """The English error message of argparse in Chinese (unknown wording is kept as it is).

    Examples
    --------
    >>> chinese_usage_error("argument --level: invalid choice: 'x' (choose from 'town', 'park')")
    "参数 --level：无效的选项 'x'，应为 'town', 'park' 之一"
    """
    for pattern, template in _ARGPARSE_MESSAGES:
        found = pattern.match(message)
        if found:
            parts = dict(found.groupdict())
            if "rest" in parts:
                parts["rest"] = chinese_usage_error(parts["rest"])
            if "kind" in parts:
                parts["kind"] = _KINDS.get(parts["kind"], parts["kind"])
            return template.format(**parts)
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    """An argument parser whose errors are usage plus one Chinese line, exit code 2 (subcommands inherit it)."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and ``ipgrid stats：错误：…``, then exit with code 2."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_CANNOT_RUN, f"{self.prog}：错误：{chinese_usage_error(message)}\n")


YEAR_HELP = "按该年末有效的权利统计（需要带申请日/授权公告日的知识产权明细，年份在数据范围内）"


def _year_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=integer_in(*YEAR_RANGE), help=YEAR_HELP)


def _add_theme_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metric", choices=MAPPABLE_METRICS, default=DEFAULT_METRIC, metavar="M",
                   help=f"专题指标（默认 {DEFAULT_METRIC}）：{', '.join(MAPPABLE_METRICS)}")
    p.add_argument("--scheme", help="分级方法：natural_breaks、quantiles 或 equal_interval（默认与应用一致）")
    p.add_argument("--k", type=integer_in(1, max(SEQUENTIAL), "分级数"),
                   help=f"分级数 1–{max(SEQUENTIAL)}（默认与应用一致）")
    _year_option(p)


PATH_HELP = "数据文件夹，或存储（.gpkg 文件、postgresql:// 地址）"
AS_OF_HELP = "存储中的数据截至日 YYYY-MM-DD（默认最新版本；只用于存储）"


DISTRICT_HELP = "存储中的区县名称（存储中有多个区县时必须指定；只用于存储）"


def _path_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help=PATH_HELP)
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help=AS_OF_HELP)
    p.add_argument("--district", metavar="NAME", help=DISTRICT_HELP)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = ChineseArgumentParser(prog="ipgrid", description="知识产权网格地图：数据检查、统计与地图导出")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="检查数据文件夹，列出每个图层的行数、坐标系和问题")
    _path_argument(p)
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--problems", metavar="FILE", help="把全部问题写入 .xlsx 或 .csv")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("stats", help="按全区、镇街、园区或网格统计企业与知识产权指标")
    _path_argument(p)
    p.add_argument("--level", choices=list(LEVEL_LABELS), default="town", help="统计层级（默认 town）")
    _year_option(p)
    p.add_argument("--cell-m", type=positive_number("米"),
                   help=f"没有正式网格时生成网格的边长（米，默认 {DEFAULT_GRID_CELL_M:g}；默认最多生成 "
                        f"{DEFAULT_MAX_GENERATED_CELLS:,} 个网格，见 ipgrid.toml 的 [settings] max_generated_cells）")
    p.add_argument("--shape", choices=list(SHAPES), help="生成网格的形状（默认 square）")
    p.add_argument("--over", choices=list(GRID_OVER), help="在园区还是镇街上生成网格（默认 parks）")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="以 JSON 输出")
    fmt.add_argument("--csv", action="store_true", help="以 CSV 输出")
    add_batch_options(p)
    p.set_defaults(func=_cmd_stats)

    p = sub.add_parser("coverage", help="服务站点覆盖：各镇街覆盖率、未覆盖企业、建议新增站点")
    _path_argument(p)
    p.add_argument("--suggest", type=integer_in(0, MAX_SUGGESTED_SITES), default=0, metavar="K",
                   help=f"建议新增 K 个站点（0–{MAX_SUGGESTED_SITES}）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_coverage)

    p = sub.add_parser("targets", help="年度指标对照目标：最新值、完成进度、达标情况（与应用、大屏一致）")
    _path_argument(p)
    p.add_argument("--json", action="store_true", help="以 JSON 输出（对象列表）")
    p.set_defaults(func=_cmd_targets)

    from dashboard.exports.options import ATLAS_LEVELS, FORMAT_KEYS
    from dashboard.exports.pages import DEFAULT_SIZE, PAGE_SIZES

    p = sub.add_parser("export", help="导出专题地图：PNG（300 dpi）、PDF（矢量）、SVG 或离线 HTML")
    _path_argument(p)
    p.add_argument("--level", choices=list(LEVEL_LABELS), default="town", help="地图层级（默认 town）")
    p.add_argument("--area", metavar="NAME", help="只画某个镇街、园区或网格（名称或网格编号）及其范围")
    p.add_argument("--format", choices=FORMAT_KEYS, help="导出格式（默认按 --out 的扩展名）")
    p.add_argument("--size", choices=list(PAGE_SIZES), default=DEFAULT_SIZE,
                   help=f"纸张：a4（纵向）、a4-landscape（横向）、16x9（幻灯片）；默认 {DEFAULT_SIZE}")
    p.add_argument("--out", required=True, metavar="FILE", help="输出文件")
    _add_theme_options(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("atlas", help="导出地图集 PDF：封面、汇总表、每个区域一页；网格层级另附专员走访清单")
    _path_argument(p)
    p.add_argument("--level", choices=ATLAS_LEVELS, default="town", help="图集层级（默认 town）")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="输出的 PDF 文件")
    _add_theme_options(p)
    p.set_defaults(func=_cmd_atlas)

    add_bigscreen_parser(sub)
    add_store_parsers(sub)
    add_user_parser(sub)
    add_visits_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by the console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except IpgridError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
