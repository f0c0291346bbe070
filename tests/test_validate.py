"""`ipgrid validate` on a folder with every planted fault: exact rows, fields, codes and counts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import pytest
from fixture_files import (
    METRIC,
    square,
    three_towns,
    to_lonlat,
    valid_uscc,
    write_csv,
    write_shapefile,
    write_xlsx,
)

from dashboard.cli import main
from loaders import load_folder
from loaders.crs import wgs84_to_gcj02

ENTERPRISE_HEADER = ["单位名称", "统一社会信用代码", "经度", "纬度", "所属行业", "有效发明专利",
                     "实用新型", "质押融资金额（亿元）"]


def faulty_folder(root: Path) -> Path:
    """A data folder with one of each fault, at known rows."""
    towns = three_towns()
    towns.loc[2, "常住人口"] = None
    towns["常住人口"] = towns["常住人口"].astype(object)
    towns.loc[1, "常住人口"] = "abc"  # row 2: not a number
    # 乙镇 reaches 100 m into 甲镇: overlap 100 × 2000 m = 200,000 m².
    towns.loc[1, "geometry"] = square(1900, 0, 4000, 2000)
    # 丙街道 has a 500 × 500 m hole that no town fills: a gap of 250,000 m².
    towns.loc[2, "geometry"] = square(0, 2000, 4000, 4000).difference(square(1000, 2500, 1500, 3000))
    write_shapefile(towns, root / "镇街.shp", encoding="GBK", cpg=False)

    a = to_lonlat(500, 500)
    b = to_lonlat(3000, 500)
    c = to_lonlat(2000, 3500)
    outside = to_lonlat(9000, 9000)
    rows = [
        ["甲公司", valid_uscc(1), *a, "高端纺织", 3, 1, 0.05],            # 4
        ["乙公司", valid_uscc(2)[:-1] + "0", *b, "智能装备", 0, 2, None],  # 5 bad check digit
        ["甲公司分号", valid_uscc(1), *a, "高端纺织", 1, 0, None],         # 6 duplicate of 4
        ["重复公司", None, *c, "其他", 0, 0, None],                        # 7
        ["重复 公司", None, *c, "其他", 0, 0, None],                       # 8 duplicate name of 7
        ["无坐标公司", valid_uscc(3), None, None, "其他", 2, 0, None],     # 9 unmapped
        ["反了公司", valid_uscc(4), b[1], b[0], "其他", 0, 0, None],       # 10 swapped
        ["区外公司", valid_uscc(5), *outside, "其他", 1, 0, None],         # 11 outside
        [None, valid_uscc(6), *a, "其他", 0, 0, None],                     # 12 no name
        ["若干公司", valid_uscc(7), *b, "其他", "若干", 0, None],          # 13 bad number
        [None, None, None, None, None, None, None, None],                  # 14 blank
        ["最后公司", valid_uscc(8), *c, "其他", "5件", 0, None],           # 15
    ]
    write_xlsx(root / "企业.xlsx", ENTERPRISE_HEADER, rows,
               titles=("通州区企业知识产权情况表", "填报单位：区市场监管局    数据截至：2025-12-31"))

    gcj = [wgs84_to_gcj02(*to_lonlat(x, y)) for x, y in [(500, 1500), (3500, 3500)]]
    write_csv(root / "服务站点.csv", ["站点名称", "站点类型", "经度", "纬度", "坐标系"], [
        ["甲镇工作站", "基层知识产权工作站", float(gcj[0][0]), float(gcj[0][1]), "GCJ-02"],
        ["丙街道网点", "信息公共服务网点", float(gcj[1][0]), float(gcj[1][1]), "高德"],
        ["神秘站", "不明类型", float(gcj[1][0]), float(gcj[1][1]), "GCJ-02"],
    ], encoding="gbk")

    write_xlsx(root / "地理标志.xlsx", ["产品名称", "保护类型", "保护范围"], [
        ["甲乙大米", "地理标志产品", "保护范围为甲镇、乙镇、丁镇现辖行政区域"],  # 2: 丁镇 unknown
        ["戊镇脆饼", "地理标志产品", "戊镇"],                                   # 3: nothing known
    ])
    write_csv(root / "指标.csv", ["年份", "指标", "数值", "单位", "类型"], [
        [2024, "每万人口高价值发明专利拥有量", 12.5, "件", "实际"],
        [2025, "每万人口高价值发明专利拥有量", 18, "件", "目标"],
        [2025, "知识产权质押融资金额", 150000, "万元", "实际"],
        ["二〇二五", "版权产业增加值占GDP比重", 8.6, "%", "目标"],  # 5: year not a number
        [1025, "版权产业增加值占GDP比重", 8.6, "%", "目标"],        # 6: impossible year
    ], encoding="utf-8-sig")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return faulty_folder(tmp_path_factory.mktemp("faulty"))


@pytest.fixture(scope="module")
def report(folder: Path) -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["validate", str(folder), "--json"])
    assert code == 1  # a layer has errors
    return json.loads(out.getvalue())


def found(report: dict, code: str) -> list[tuple[str, int | None, str | None]]:
    return [(p["layer"], p["row"], p["field"]) for p in report["problems"] if p["code"] == code]


def test_json_has_exactly_the_documented_keys(report: dict) -> None:
    assert set(report) == {"layers", "problems"}
    for layer in report["layers"].values():
        assert set(layer) == {"file", "rows", "accepted", "crs"}
    for problem in report["problems"]:
        assert set(problem) == {"layer", "file", "row", "field", "code", "severity", "message"}


def test_layer_counts(report: dict) -> None:
    layers = report["layers"]
    assert layers["towns"] == {"file": "镇街.shp", "rows": 3, "accepted": 3,
                               "crs": layers["towns"]["crs"]}
    assert layers["towns"]["crs"].startswith("EPSG:4549")
    # 12 sheet rows below the header, one blank: 11 data rows; no name (12), two duplicates out.
    assert layers["enterprises"]["rows"] == 11
    assert layers["enterprises"]["accepted"] == 8
    assert layers["service_points"] == {"file": "服务站点.csv", "rows": 3, "accepted": 3, "crs": "GCJ-02"}
    assert layers["gi_areas"]["rows"] == 2 and layers["gi_areas"]["accepted"] == 1
    assert layers["indicators"]["rows"] == 5 and layers["indicators"]["accepted"] == 3


def test_town_faults(report: dict) -> None:
    assert found(report, "encoding_guessed") == [("towns", None, None)]
    assert found(report, "bad_number")[0] == ("towns", 2, "population")
    overlap = [p for p in report["problems"] if p["code"] == "town_overlap"]
    assert len(overlap) == 1 and overlap[0]["row"] == 1
    assert "乙镇" in overlap[0]["message"] and "200000 平方米" in overlap[0]["message"]
    gap = [p for p in report["problems"] if p["code"] == "town_gap"]
    assert len(gap) == 1 and "250000 平方米" in gap[0]["message"]


def test_enterprise_faults_at_their_rows(report: dict) -> None:
    assert found(report, "bad_uscc") == [("enterprises", 5, "uscc")]
    assert found(report, "duplicate_uscc") == [("enterprises", 6, "uscc")]
    assert found(report, "duplicate_name") == [("enterprises", 8, "name")]
    assert found(report, "no_coordinates") == [("enterprises", 9, "lon")]
    assert found(report, "swapped_lonlat") == [("enterprises", 10, "lon")]
    assert found(report, "outside_towns") == [("enterprises", 11, "geometry")]
    assert found(report, "missing_value") == [("enterprises", 12, "name")]
    assert ("enterprises", 13, "invention_patents") in found(report, "bad_number")
    messages = {p["code"]: p["message"] for p in report["problems"]}
    assert "第 4 行" in messages["duplicate_uscc"]
    assert "第 7 行" in messages["duplicate_name"]
    assert "若干" in messages["bad_number"] or any("若干" in p["message"] for p in report["problems"])
    severities = {p["code"]: p["severity"] for p in report["problems"]}
    assert severities["missing_value"] == "error"
    assert severities["bad_uscc"] == severities["duplicate_uscc"] == "warning"


def test_other_layer_faults(report: dict) -> None:
    assert found(report, "unknown_service_type") == [("service_points", 4, "type")]
    assert found(report, "unknown_town") == [("gi_areas", 2, "towns")]
    assert found(report, "no_towns_resolved") == [("gi_areas", 3, "towns")]
    assert found(report, "bad_required_number") == [("indicators", 5, "year")]
    assert found(report, "bad_year") == [("indicators", 6, "year")]
    assert "丁镇" in next(p["message"] for p in report["problems"] if p["code"] == "unknown_town")


def test_canonical_values(folder: Path) -> None:
    bundle = load_folder(folder)
    towns = bundle.frame("towns")
    assert towns["name"].tolist() == ["甲镇", "乙镇", "丙街道"]  # GBK decoded, not mojibake
    assert towns["population"].tolist()[0] == 10000 and math.isnan(towns["population"].iat[1])
    firms = bundle.frame("enterprises").set_index("source_row")
    assert list(firms.index) == [4, 5, 7, 9, 10, 11, 13, 15]
    assert firms.loc[4, "pledge_amount_wan"] == pytest.approx(500.0)  # 0.05 亿元
    assert firms.loc[15, "invention_patents"] == 5  # "5件"
    assert math.isnan(firms.loc[13, "invention_patents"])
    assert firms.loc[9, "geometry"] is None
    # the swapped row is placed where it belongs, in 乙镇
    swapped = gpd.GeoSeries([firms.loc[10, "geometry"]], crs=4326).to_crs(METRIC).iloc[0]
    assert square(2000, 0, 4000, 2000).contains(swapped)


def test_gcj02_points_land_within_half_a_metre(folder: Path) -> None:
    pts = load_folder(folder).frame("service_points").geometry.to_crs(METRIC)
    expected = gpd.GeoSeries([square(500, 1500, 500, 1500).centroid,
                              square(3500, 3500, 3500, 3500).centroid], crs=METRIC)
    assert pts.iloc[0].distance(expected.iloc[0]) < 0.5
    assert pts.iloc[1].distance(expected.iloc[1]) < 0.5


def test_gi_from_town_list_is_union_of_towns(folder: Path) -> None:
    gi = load_folder(folder).frame("gi_areas")
    assert gi["name"].tolist() == ["甲乙大米"]
    assert gi["towns_resolved"].iat[0] == "甲镇、乙镇"
    area = gi.to_crs(METRIC).area.iat[0]
    assert area == pytest.approx(4000 * 2000, rel=1e-5)


def test_indicators_units_and_kinds(folder: Path) -> None:
    ind = load_folder(folder).frame("indicators")
    pledge = ind[ind["key"] == "pledge_financing_yi"].iloc[0]
    assert pledge["value"] == pytest.approx(15.0) and pledge["unit"] == "亿元"
    assert ind[ind["kind"] == "target"]["key"].tolist() == ["high_value_per_10k_pop"]


def test_text_summary_is_chinese(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    for text in ("图层", "镇街", "企业", "行数", "导入", "坐标系", "错误", "警告", "校验位错误"):
        assert text in out


def test_problems_written_to_excel(folder: Path, tmp_path: Path) -> None:
    import pandas as pd

    target = tmp_path / "问题清单.xlsx"
    main(["validate", str(folder), "--problems", str(target)])
    table = pd.read_excel(target, engine="calamine")
    assert list(table.columns) == ["图层", "文件", "行号", "字段", "代码", "级别", "说明"]
    assert ((table["代码"] == "missing_value") & (table["行号"] == 12)).sum() == 1
