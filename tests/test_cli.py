"""`ipgrid` exit codes and messages: 0 warnings only, 1 errors, 2 could not run or a bad option — never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_files import three_towns, to_lonlat, write_csv

from dashboard.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True,
                          check=False)


def good_folder(root: Path) -> Path:
    three_towns().to_file(root / "镇街.gpkg")
    lon, lat = to_lonlat(500, 500)
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利"], [["甲", lon, lat, 2]], "utf-8-sig")
    (root / "ipgrid.toml").write_text('[enterprises]\ncrs = "WGS-84"\n', encoding="utf-8")
    return root


def test_clean_folder_exits_zero_with_no_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(good_folder(tmp_path)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["problems"] == []
    assert report["layers"]["enterprises"] == {"file": "企业.csv", "rows": 1, "accepted": 1,
                                               "crs": "EPSG:4326 (WGS 84)"}


def test_warnings_only_exit_zero(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    (folder / "ipgrid.toml").unlink()  # the lon/lat CRS is now guessed: a warning
    assert main(["validate", str(folder)]) == 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: None, "缺少必需的镇街图层"),
        (lambda d: (three_towns().to_file(d / "towns.gpkg")), "缺少必需的企业图层"),
        (lambda d: (three_towns().to_file(d / "towns.gpkg"), (d / "企业.csv").write_bytes(b"")), "文件是空的"),
        (lambda d: (three_towns().to_file(d / "towns.gpkg"), (d / "企业.docx").write_bytes(b"PK")),
         "不支持的文件类型「.docx」"),
        (lambda d: (good_folder(d), (d / "ipgrid.toml").write_text("[enterprises\n")), "不是有效的 TOML"),
        (lambda d: (good_folder(d), (d / "ipgrid.toml").write_text("[firms]\n")), "未知的节"),
        (lambda d: (good_folder(d), (d / "enterprises.xlsx").write_bytes(b"x")), "有多个文件都可作为企业图层"),
    ],
    ids=["no-towns", "no-enterprises", "empty-file", "wrong-type", "bad-toml", "unknown-section", "two-files"],
)
def test_could_not_run_exits_two_without_traceback(tmp_path: Path, make, message: str) -> None:
    make(tmp_path)
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("错误：")


def test_missing_folder_exits_two(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "不存在" in result.stderr


# --------------------------------------------------------------------------- nothing a user types gives a traceback

CHINESE = re.compile(r"[\u4e00-\u9fff]")

BAD_OPTIONS = [
    # (arguments after the folder, text the message must hold)
    ("stats", ["--level", "grid", "--over", "towns", "--cell-m", "0"], "应为大于 0 的数"),
    ("stats", ["--cell-m", "-5"], "应为大于 0 的数"),
    ("stats", ["--cell-m", "nan"], "应为大于 0 的数"),
    ("stats", ["--cell-m", "inf"], "应为大于 0 的数"),
    ("stats", ["--cell-m=-inf"], "应为大于 0 的数"),
    ("stats", ["--cell-m", "-inf"], "缺少参数值（以 - 开头的值请写成 --选项=值）"),
    ("stats", ["--cell-m", "米"], "应为大于 0 的数"),
    ("stats", ["--cell-m", "0.5"], "请把 --cell-m 设为"),  # no grid layer: too many cells to generate
    ("stats", ["--level", "grid", "--shape", "hex", "--cell-m", "1"], "超过上限 200,000 个"),
    ("stats", ["--year", "abc"], "应为 1900–2100 之间的整数"),
    ("stats", ["--year", "2023.5"], "应为 1900–2100 之间的整数"),
    ("stats", ["--year", "-1"], "应为 1900–2100 之间的整数"),
    ("stats", ["--year", "99999"], "应为 1900–2100 之间的整数"),
    ("stats", ["--level", "county"], "无效的选项 'county'"),
    ("stats", ["--shape", "circle"], "无效的选项 'circle'"),
    ("stats", ["--over", "lakes"], "无效的选项 'lakes'"),
    ("stats", ["--json", "--csv"], "不能与参数"),
    ("coverage", ["--suggest", "-1"], "应为 0–1000 之间的整数"),
    ("coverage", ["--suggest", "1.5"], "应为 0–1000 之间的整数"),
    ("coverage", ["--suggest", "x"], "应为 0–1000 之间的整数"),
    ("coverage", ["--suggest", "1000000"], "应为 0–1000 之间的整数"),
    ("export", ["--k", "0", "--out", "{out}.png"], "应为 1–7 之间的整数"),
    ("export", ["--k", "8", "--out", "{out}.png"], "应为 1–7 之间的整数"),
    ("export", ["--k", "three", "--out", "{out}.png"], "应为 1–7 之间的整数"),
    ("export", ["--year", "nan", "--out", "{out}.png"], "应为 1900–2100 之间的整数"),
    ("export", ["--metric", "gdp", "--out", "{out}.png"], "无效的选项 'gdp'"),
    ("export", ["--level", "county", "--out", "{out}.png"], "无效的选项 'county'"),
    ("export", ["--size", "a3", "--out", "{out}.png"], "无效的选项 'a3'"),
    ("export", ["--area", "不存在的镇", "--out", "{out}.png"], "不存在的镇"),
    ("export", [], "缺少必需的参数：--out"),
    ("atlas", ["--k", "-3", "--out", "{out}.pdf"], "应为 1–7 之间的整数"),
    ("atlas", ["--year", "0", "--out", "{out}.pdf"], "应为 1900–2100 之间的整数"),
    ("atlas", ["--metric", "gdp", "--out", "{out}.pdf"], "无效的选项 'gdp'"),
    ("atlas", ["--level", "district", "--out", "{out}.pdf"], "无效的选项 'district'"),
    ("bigscreen", ["--interval", "0", "--dry-run"], "interval 应为"),
    ("bigscreen", ["--poll", "inf", "--dry-run"], "poll 应为"),
    ("bigscreen", ["--port", "http", "--dry-run"], "端口应为 1–65535 之间的整数"),
    ("bigscreen", ["--metric", "gdp", "--dry-run"], "无效的选项 'gdp'"),
    ("bigscreen", ["--port", "0", "--dry-run"], "端口"),
    ("bigscreen", ["--port", "65536", "--dry-run"], "端口应为 1–65535 之间的整数"),
    ("targets", ["--year", "2025"], "无法识别的参数：--year 2025"),
    ("validate", ["--jsn"], "无法识别的参数：--jsn"),
]


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in this process: exit code (argparse's own exits included), stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return int(code or 0), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def plain_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Towns and one firm: no grid layer (cells are generated) and no parks."""
    return good_folder(tmp_path_factory.mktemp("plain"))


def _case_id(case: object) -> str:
    command, options, _ = getattr(case, "values", case)  # a pytest.param carries its values
    return f"{command} {' '.join(options)}"


@pytest.mark.parametrize(("command", "options", "message"), BAD_OPTIONS, ids=[_case_id(c) for c in BAD_OPTIONS])
def test_bad_option_exits_two_with_one_chinese_line(plain_folder: Path, tmp_path: Path, command: str,
                                                    options: list[str], message: str) -> None:
    argv = [command, str(plain_folder), *(o.format(out=tmp_path / "out") for o in options)]
    code, out, err = run_main(argv)
    assert code == 2, (out, err)
    last = err.strip().splitlines()[-1]
    assert message in last and "错误：" in last and CHINESE.search(last.split("错误：", 1)[1])
    assert "Traceback" not in err + out
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize(("options", "message"), [
    (["--level", "grid", "--over", "towns", "--cell-m", "0"],
     "ipgrid stats：错误：参数 --cell-m：应为大于 0 的数（米）"),
    (["--cell-m", "0.5"], "错误：按 --cell-m 0.5 米在镇街上生成网格需要"),
])
def test_bad_cell_size_in_a_real_process(plain_folder: Path, options: list[str], message: str) -> None:
    result = run_cli("stats", str(plain_folder), *options)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_grid_too_fine_names_a_size_that_fits(plain_folder: Path) -> None:
    code, _, err = run_main(["stats", str(plain_folder), "--cell-m", "0.5"])
    fit = float(re.search(r"请把 --cell-m 设为 (\d+) 米或更大", err).group(1))
    assert code == 2 and "超过上限 200,000 个" in err
    code, out, _ = run_main(["stats", str(plain_folder), "--level", "grid", "--cell-m", f"{fit:g}", "--json"])
    assert code == 0 and 0 < len(json.loads(out)) <= 200_000
    code, _, _ = run_main(["stats", str(plain_folder), "--level", "grid", "--cell-m", f"{fit * 0.9:g}"])
    assert code == 2  # and a size just below it does not fit
