"""`ipgrid` exit codes and messages: 0 warnings only, 1 errors, 2 could not run — never a traceback."""

from __future__ import annotations

import json
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
