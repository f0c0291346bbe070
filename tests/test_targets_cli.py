"""`ipgrid targets`: every indicator against its target, from the engine's one status rule, worked out by hand."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from fixture_files import three_towns, to_lonlat, write_csv

from dashboard.cli import TARGET_JSON_KEYS, main
from dashboard.engine.targets import TargetStatus

# One indicator per status.  Units as the catalog writes them; the last name is not in the catalog, so its key is
# the name itself.
INDICATOR_ROWS = [
    # target year 2024 passed, latest 2025 = 25 ≥ 20: 达标, progress 25 / 20
    [2023, "知识产权质押融资金额", 15, "亿元", "实际"],
    [2025, "知识产权质押融资金额", 25, "亿元", "实际"],
    [2024, "知识产权质押融资金额", 20, "亿元", "目标"],
    # 2025 reached, 12 < 16: 未达标 by 16 − 12 = 4 percentage points, progress 12 / 16
    [2024, "专利密集型产业增加值占GDP比重", 14, "%", "实际"],
    [2025, "专利密集型产业增加值占GDP比重", 12, "%", "实际"],
    [2025, "专利密集型产业增加值占GDP比重", 16, "%", "目标"],
    # 10, 12, 14 in 2021–2023: +2 a year reaches 18 in 2025: 按趋势可达标, progress 14 / 18
    [2021, "每万人口高价值发明专利拥有量", 10, "件", "实际"],
    [2022, "每万人口高价值发明专利拥有量", 12, "件", "实际"],
    [2023, "每万人口高价值发明专利拥有量", 14, "件", "实际"],
    [2025, "每万人口高价值发明专利拥有量", 18, "件", "目标"],
    # flat at 8 in 2022–2024: stays 8 < 10 in 2025: 按趋势难以达标, progress 8 / 10
    [2022, "版权产业增加值占GDP比重", 8, "%", "实际"],
    [2023, "版权产业增加值占GDP比重", 8, "%", "实际"],
    [2024, "版权产业增加值占GDP比重", 8, "%", "实际"],
    [2025, "版权产业增加值占GDP比重", 10, "%", "目标"],
    # one year before the target year: no trend: 无数据 (progress is still 300 / 400)
    [2024, "商标有效注册量", 300, "件", "实际"],
    [2025, "商标有效注册量", 400, "件", "目标"],
]

EXPECTED = [
    {"indicator": "pledge_financing_yi", "label": "知识产权质押融资金额", "unit": "亿元", "latest_year": 2025,
     "latest_value": 25.0, "target_year": 2024, "target_value": 20.0, "progress": 1.25, "projected": 25.0,
     "status": "达标", "gap": None},
    {"indicator": "patent_intensive_share", "label": "专利密集型产业增加值占GDP比重", "unit": "%", "latest_year": 2025,
     "latest_value": 12.0, "target_year": 2025, "target_value": 16.0, "progress": 0.75, "projected": 12.0,
     "status": "未达标", "gap": 4.0},
    {"indicator": "high_value_per_10k_pop", "label": "每万人口高价值发明专利拥有量", "unit": "件", "latest_year": 2023,
     "latest_value": 14.0, "target_year": 2025, "target_value": 18.0, "progress": 14 / 18, "projected": 18.0,
     "status": "按趋势可达标", "gap": None},
    {"indicator": "copyright_industry_share", "label": "版权产业增加值占GDP比重", "unit": "%", "latest_year": 2024,
     "latest_value": 8.0, "target_year": 2025, "target_value": 10.0, "progress": 0.8, "projected": 8.0,
     "status": "按趋势难以达标", "gap": None},
    {"indicator": "商标有效注册量", "label": "商标有效注册量", "unit": "件", "latest_year": 2024,
     "latest_value": 300.0, "target_year": 2025, "target_value": 400.0, "progress": 0.75, "projected": None,
     "status": "无数据", "gap": None},
]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def base_folder(root: Path) -> Path:
    three_towns().to_file(root / "镇街.gpkg")
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度"], [["甲", *to_lonlat(500, 500)]], "utf-8")
    (root / "ipgrid.toml").write_text('[district]\nname = "测试区"\n[enterprises]\ncrs = "WGS-84"\n',
                                      encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = base_folder(tmp_path_factory.mktemp("targets"))
    write_csv(root / "指标.csv", ["年份", "指标", "数值", "单位", "类型"], INDICATOR_ROWS, "utf-8-sig")
    return root


def test_json_is_one_record_per_indicator(folder: Path) -> None:
    code, out, _ = run("targets", str(folder), "--json")
    assert code == 0
    records = json.loads(out)
    assert [list(r) for r in records] == [list(TARGET_JSON_KEYS)] * len(EXPECTED)
    for record, expected in zip(records, EXPECTED, strict=True):
        assert record["projected"] == pytest.approx(expected["projected"])  # a least-squares fit: not exact
        assert {k: v for k, v in record.items() if k != "projected"} == {
            k: v for k, v in expected.items() if k != "projected"}
    assert {r["status"] for r in records} == {s.value for s in TargetStatus}
    assert "NaN" not in out


def test_text_table(folder: Path) -> None:
    code, out, _ = run("targets", str(folder))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "测试区 · 指标与目标（5 项）"
    assert lines[1].split() == ["指标", "单位", "最新年份", "最新值", "目标年份", "目标值", "完成进度", "达标情况"]
    assert [line.split() for line in lines[3:]] == [
        ["知识产权质押融资金额", "亿元", "2025", "25", "2024", "20", "125%", "达标"],
        ["专利密集型产业增加值占GDP比重", "%", "2025", "12", "2025", "16", "75%", "未达标（差", "4", "个百分点）"],
        ["每万人口高价值发明专利拥有量", "件", "2023", "14", "2025", "18", "78%", "按趋势可达标"],
        ["版权产业增加值占GDP比重", "%", "2024", "8", "2025", "10", "80%", "按趋势难以达标"],
        ["商标有效注册量", "件", "2024", "300", "2025", "400", "75%", "无数据"],
    ]


def test_folder_without_indicators(tmp_path: Path) -> None:
    folder = base_folder(tmp_path)
    code, out, err = run("targets", str(folder), "--json")
    assert (code, json.loads(out)) == (0, [])
    assert "没有指标图层" in err
    code, out, _ = run("targets", str(folder))
    assert code == 0 and "没有指标图层" in out


def test_folder_errors_exit_two(tmp_path: Path) -> None:
    code, _, err = run("targets", str(tmp_path / "nowhere"))
    assert code == 2 and err.startswith("错误：") and "不存在" in err
