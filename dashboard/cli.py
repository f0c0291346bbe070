"""The ``ipgrid`` command line.

Exit codes: 0 when the data has at most warnings, 1 when a layer has errors,
2 when the command could not run (missing folder or layer, empty or
unsupported file, bad ``ipgrid.toml``) — always one Chinese line, never a
traceback, for mistakes a user can fix.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from dashboard.bigscreen.cli import add_bigscreen_parser
from dashboard.engine import DEFAULT_GRID_CELL_M, LEVELS, Engine
from dashboard.engine.metrics import METRICS
from loaders import DataBundle, IpgridError, ProblemLog, load_folder
from loaders.problems import PROBLEM_LABELS, SEVERITY_LABELS
from loaders.schema import LAYERS

EXIT_OK, EXIT_DATA_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2
MAX_PRINTED_PROBLEMS = 50


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
    title = f"数据文件夹：{bundle.folder}"
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
    if path.suffix.lower() == ".xlsx":
        frame.to_excel(path, index=False, sheet_name="问题清单", engine="openpyxl")
    else:
        frame.to_csv(path, index=False, encoding="utf-8-sig")


def _cmd_validate(args: argparse.Namespace) -> int:
    bundle = load_folder(Path(args.path))
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
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def records_for_json(table: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts with NaN/NA → null and numpy scalars → Python numbers."""
    return [{k: _json_value(v) for k, v in row.items()} for row in table.to_dict("records")]


def print_area_table(table: pd.DataFrame, title: str) -> None:
    """A readable Chinese table of the main metrics, formatted with their units."""
    print(title)
    keys = ["enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents",
            "high_value_inventions", "trademarks", "copyrights", "pledge_amount_wan", "area_km2",
            "population", "high_value_per_10k_pop", "service_coverage_rate"]
    header = ["名称"] + [f"{METRICS[k].label}({METRICS[k].unit})" if METRICS[k].unit else METRICS[k].label
                         for k in keys]
    rows = []
    for _, row in table.iterrows():
        cells = [str(row["name"])]
        for k in keys:
            text = METRICS[k].format(row[k])
            unit = METRICS[k].unit
            cells.append(text.replace(f" {unit}", "") if unit and unit != "%" else text)
        rows.append(cells)
    print(format_table(header, rows))


def _cmd_stats(args: argparse.Namespace) -> int:
    engine = Engine(load_folder(Path(args.path)), year=args.year, grid_cell_m=args.cell_m,
                    grid_shape=args.shape, grid_over=args.over)
    table = engine.stats(args.level)
    if args.json:
        json.dump(records_for_json(table), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif args.csv:
        table.to_csv(sys.stdout, index=False)
    else:
        year = f"{args.year} 年末" if args.year else "数据截至日"
        print_area_table(table, f"{engine.district_name} · {LEVELS[args.level]}统计（{year}）")
    return EXIT_OK


def _cmd_coverage(args: argparse.Namespace) -> int:
    engine = Engine(load_folder(Path(args.path)))
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
    rate = METRICS["service_coverage_rate"].format(district["service_coverage_rate"])
    print(f"{engine.district_name} · 服务覆盖：已定位企业 {int(district['located'])} 家，"
          f"覆盖 {int(district['covered'])} 家（{rate}），未覆盖 {len(uncovered)} 家")
    rows = [[str(r["name"]), str(int(r["located"])), str(int(r["covered"])),
             METRICS["service_coverage_rate"].format(r["service_coverage_rate"])] for _, r in town.iterrows()]
    print(format_table(["镇街", "已定位企业", "覆盖企业", "覆盖率"], rows))
    if len(suggestions):
        print(f"\n建议新增 {len(suggestions)} 个服务站点（半径 {suggestions['radius_m'].iat[0]:.0f} 米，贪心选址）：")
        rows = [[str(int(r["rank"])), str(r["town"]), str(r["grid_id"]), f"{r['lon']:.5f}, {r['lat']:.5f}",
                 f"{r['gain']:.0f}", f"{r['cumulative']:.0f}"] for _, r in suggestions.iterrows()]
        print(format_table(["序号", "镇街", "网格", "经纬度", "新增覆盖", "累计"], rows))
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
    engine = Engine(load_folder(Path(args.path)), year=args.year)
    data = export_map(engine, args.level, args.area, args.metric, fmt, args.size, args.scheme, args.k)
    _write_output(out, data)
    size = "" if fmt == "html" else f"，{PAGE_SIZES[args.size].label}"
    print(f"已导出 {out}（{FORMATS[fmt].label}{size}，{len(data) / 1024:,.0f} KB）")
    return EXIT_OK


def _cmd_atlas(args: argparse.Namespace) -> int:
    import io

    from dashboard.exports import write_atlas

    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        from dashboard.exports import ExportError

        msg = f"图集是 PDF 文件：输出文件「{out.name}」请用 .pdf 结尾"
        raise ExportError(msg)
    _check_output(out)
    engine = Engine(load_folder(Path(args.path)), year=args.year)
    buffer = io.BytesIO()
    info = write_atlas(engine, args.level, buffer, args.metric, args.scheme, args.k)
    _write_output(out, buffer.getvalue())
    parts = [f"封面 {info.count('cover')}", f"汇总表 {info.count('summary')}",
             f"{LEVELS[args.level]} {info.count('area')}"]
    if info.count("visit"):
        parts.append(f"专员走访清单 {info.count('visit')} 人（{info.count('visit') + info.count('visit-table')} 页）")
    print(f"已导出图集 {out}：共 {len(info.pages)} 页（{'，'.join(parts)}）")
    return EXIT_OK


def _add_theme_options(p: argparse.ArgumentParser) -> None:
    from dashboard.exports.options import DEFAULT_METRIC, MAPPABLE_METRICS

    p.add_argument("--metric", choices=MAPPABLE_METRICS, default=DEFAULT_METRIC, metavar="M",
                   help=f"专题指标（默认 {DEFAULT_METRIC}）：{', '.join(MAPPABLE_METRICS)}")
    p.add_argument("--scheme", help="分级方法：natural_breaks、quantiles 或 equal_interval（默认与应用一致）")
    p.add_argument("--k", type=int, help="分级数 1–7（默认与应用一致）")
    p.add_argument("--year", type=int, help="按该年末有效的权利统计（需要知识产权明细及日期）")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="ipgrid", description="知识产权网格地图：数据检查、统计与地图导出")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="检查数据文件夹，列出每个图层的行数、坐标系和问题")
    p.add_argument("path", help="数据文件夹")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--problems", metavar="FILE", help="把全部问题写入 .xlsx 或 .csv")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("stats", help="按全区、镇街、园区或网格统计企业与知识产权指标")
    p.add_argument("path", help="数据文件夹")
    p.add_argument("--level", choices=sorted(LEVELS), default="town", help="统计层级（默认 town）")
    p.add_argument("--year", type=int, help="按该年末有效的权利统计（需要知识产权明细及日期）")
    p.add_argument("--cell-m", type=float, default=DEFAULT_GRID_CELL_M,
                   help="没有正式网格时生成网格的边长（米，默认 1000）")
    p.add_argument("--shape", choices=["square", "hex"], default="square", help="生成网格的形状（默认 square）")
    p.add_argument("--over", choices=["parks", "towns"], default="parks", help="在园区还是镇街上生成网格（默认 parks）")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="以 JSON 输出")
    fmt.add_argument("--csv", action="store_true", help="以 CSV 输出")
    p.set_defaults(func=_cmd_stats)

    p = sub.add_parser("coverage", help="服务站点覆盖：各镇街覆盖率、未覆盖企业、建议新增站点")
    p.add_argument("path", help="数据文件夹")
    p.add_argument("--suggest", type=int, default=0, metavar="K", help="建议新增 K 个站点")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_coverage)

    from dashboard.exports.options import ATLAS_LEVELS, FORMAT_KEYS
    from dashboard.exports.pages import DEFAULT_SIZE, PAGE_SIZES

    p = sub.add_parser("export", help="导出专题地图：PNG（300 dpi）、PDF（矢量）、SVG 或离线 HTML")
    p.add_argument("path", help="数据文件夹")
    p.add_argument("--level", choices=list(LEVELS), default="town", help="地图层级（默认 town）")
    p.add_argument("--area", metavar="NAME", help="只画某个镇街、园区或网格（名称或网格编号）及其范围")
    p.add_argument("--format", choices=FORMAT_KEYS, help="导出格式（默认按 --out 的扩展名）")
    p.add_argument("--size", choices=list(PAGE_SIZES), default=DEFAULT_SIZE,
                   help=f"纸张：a4（纵向）、a4-landscape（横向）、16x9（幻灯片）；默认 {DEFAULT_SIZE}")
    p.add_argument("--out", required=True, metavar="FILE", help="输出文件")
    _add_theme_options(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("atlas", help="导出地图集 PDF：封面、汇总表、每个区域一页；网格层级另附专员走访清单")
    p.add_argument("path", help="数据文件夹")
    p.add_argument("--level", choices=ATLAS_LEVELS, default="town", help="图集层级（默认 town）")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="输出的 PDF 文件")
    _add_theme_options(p)
    p.set_defaults(func=_cmd_atlas)

    add_bigscreen_parser(sub)
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
