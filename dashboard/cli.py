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

from loaders import DataBundle, IpgridError, load_folder
from loaders.problems import PROBLEM_LABELS, SEVERITY_LABELS
from loaders.schema import LAYERS

EXIT_OK, EXIT_DATA_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2
MAX_PRINTED_PROBLEMS = 50


def validation_report(bundle: DataBundle) -> dict[str, object]:
    """The ``validate --json`` document: layers with file/rows/accepted/crs, and every problem."""
    return {
        "layers": {
            name: {"file": layer.file, "rows": layer.rows, "accepted": layer.accepted,
                   "crs": layer.crs}
            for name, layer in bundle.layers.items()
        },
        "problems": bundle.problems.to_records(),
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


def print_validation(bundle: DataBundle, out: TextIO | None = None) -> None:
    """Print the Chinese summary table and the first problems."""
    out = out or sys.stdout
    problems = bundle.problems
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


def write_problems(bundle: DataBundle, path: Path) -> None:
    """Write the whole problems table as .xlsx or .csv (UTF-8 with BOM, opens in Excel)."""
    frame = bundle.problems.to_frame()
    frame["severity"] = frame["severity"].map(SEVERITY_LABELS)
    frame["layer"] = frame["layer"].map(lambda n: LAYERS[n].label)
    frame = frame.rename(columns=PROBLEM_LABELS)
    if path.suffix.lower() == ".xlsx":
        frame.to_excel(path, index=False, sheet_name="问题清单", engine="openpyxl")
    else:
        frame.to_csv(path, index=False, encoding="utf-8-sig")


def _cmd_validate(args: argparse.Namespace) -> int:
    bundle = load_folder(Path(args.path))
    if args.json:
        json.dump(validation_report(bundle), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print_validation(bundle)
    if args.problems:
        write_problems(bundle, Path(args.problems))
    return EXIT_DATA_ERRORS if bundle.problems.has_errors() else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="ipgrid", description="知识产权网格地图：数据检查与统计")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="检查数据文件夹，列出每个图层的行数、坐标系和问题")
    p.add_argument("path", help="数据文件夹")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--problems", metavar="FILE", help="把全部问题写入 .xlsx 或 .csv")
    p.set_defaults(func=_cmd_validate)
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


if __name__ == "__main__":
    sys.exit(main())
