"""Tables and vector files as offices have them: title rows, encodings, sheets, GBK shapefiles, GK zones."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from fixture_files import METRIC, three_towns, to_lonlat, write_csv, write_shapefile, write_xlsx

from loaders import load_folder
from loaders.config import FolderConfig, LayerConfig
from loaders.errors import ConfigError, EmptyFileError, UnsupportedFileError
from loaders.headers import known_headers, map_headers
from loaders.problems import ProblemLog
from loaders.read import read_layer_file
from loaders.schema import ENTERPRISES, TOWNS, normalize_header
from loaders.tables import read_table

KNOWN = known_headers(ENTERPRISES)


def test_xlsx_with_two_title_rows_finds_header_and_excel_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ["企业名称", "有效发明专利"], [["甲", 1], [None, None], ["乙", 2]],
                      titles=("某某区企业知识产权情况表", "填报单位：某局"))
    table = read_table(path, known_headers=KNOWN)
    assert table.header_row == 3
    assert table.headers == ["企业名称", "有效发明专利"]
    assert table.source_rows.tolist() == [4, 6]  # the blank Excel row 5 is not data
    assert table.frame["企业名称"].tolist() == ["甲", "乙"]


def test_sheet_is_chosen_by_its_header_or_by_name(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由区市场监管局填报"])
    ws = wb.create_sheet("名录")
    ws.append(["企业名称", "统一社会信用代码"])
    ws.append(["甲", "x"])
    wb.save(tmp_path / "b.xlsx")
    assert read_table(tmp_path / "b.xlsx", known_headers=KNOWN).sheet == "名录"
    assert read_table(tmp_path / "b.xlsx", known_headers=KNOWN, sheet="名录").header_row == 1
    with pytest.raises(ConfigError, match="没有名为「台账」的工作表"):
        read_table(tmp_path / "b.xlsx", known_headers=KNOWN, sheet="台账")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_detected(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "c.csv", ["企业名称", "所属行业"], [["南通甲纺织有限公司", "高端纺织"]], encoding)
    table = read_table(path, known_headers=KNOWN)
    assert table.frame.iloc[0].tolist() == ["南通甲纺织有限公司", "高端纺织"]
    assert table.encoding in ({"gbk": "gb18030"}.get(encoding, encoding), "utf-8-sig")
    assert table.source_rows.tolist() == [2]


def test_xls_read(tmp_path: Path) -> None:
    import xlwt
    wb = xlwt.Workbook()
    ws = wb.add_sheet("名录")
    for j, v in enumerate(["标题"]):
        ws.write(0, j, v)
    for j, v in enumerate(["企业名称", "有效发明专利"]):
        ws.write(1, j, v)
    ws.write(2, 0, "甲")
    ws.write(2, 1, 3)
    wb.save(str(tmp_path / "d.xls"))
    table = read_table(tmp_path / "d.xls", known_headers=KNOWN)
    assert table.header_row == 2 and table.source_rows.tolist() == [3]
    assert table.frame.iloc[0].tolist() == ["甲", 3.0]


def test_empty_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(EmptyFileError, match="文件是空的"):
        read_table(tmp_path / "e.csv")
    write_csv(tmp_path / "h.csv", ["企业名称"], [], "utf-8")
    with pytest.raises(EmptyFileError, match="没有数据行"):
        read_table(tmp_path / "h.csv", known_headers=KNOWN)
    (tmp_path / "f.xlsx").write_text("not a zip")
    with pytest.raises(UnsupportedFileError, match="无法作为 Excel 文件读取"):
        read_table(tmp_path / "f.xlsx")


def test_header_aliases_full_width_and_units() -> None:
    headers = ["单位名称", "统一社会信用代码 ", "质押融资金额（亿元）", "有效发明专利（件）", "备注"]
    hmap = map_headers(ENTERPRISES, headers)
    assert hmap.columns["name"] == "单位名称"
    assert hmap.columns["uscc"] == "统一社会信用代码 "
    assert hmap.columns["pledge_amount_wan"] == "质押融资金额（亿元）"
    assert hmap.factors["pledge_amount_wan"] == 10000.0
    assert hmap.columns["invention_patents"] == "有效发明专利（件）"
    assert "备注" not in hmap.columns.values()
    assert hmap.missing == []
    assert normalize_header("Ｎａｍｅ") == "name"


def test_missing_required_header_names_field_and_lists_headers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "企业.xlsx", ["公司", "发明专利"], [["甲", 1]])
    log = ProblemLog()
    result = read_layer_file(ENTERPRISES, path, "企业.xlsx", LayerConfig(), FolderConfig(), log)
    assert result.missing_fields == ["name"] and len(result.frame) == 0 and result.rows == 1
    (problem,) = list(log)
    assert problem.code == "missing_field" and problem.severity == "error"
    assert "企业名称" in problem.message and "公司、发明专利" in problem.message


def test_toml_column_override(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "企业.xlsx", ["公司", "发明专利"], [["甲", 1]])
    cfg = LayerConfig(columns={"name": "公司"})
    result = read_layer_file(ENTERPRISES, path, "企业.xlsx", cfg, FolderConfig(), ProblemLog())
    assert result.frame["name"].tolist() == ["甲"]
    with pytest.raises(ConfigError, match="没有这一列"):
        read_layer_file(ENTERPRISES, path, "企业.xlsx", LayerConfig(columns={"name": "单位"}),
                        FolderConfig(), ProblemLog())


def _towns_folder(tmp_path: Path, towns: gpd.GeoDataFrame, **shp: bool) -> Path:
    if shp.get("encoding", "UTF-8") == "UTF-8":
        # DBF field names hold 10 bytes: 3 Chinese characters in UTF-8, so use English headers.
        towns = towns.rename(columns={"名称": "name", "区划代码": "code", "常住人口": "pop"})
    write_shapefile(towns, tmp_path / "towns.shp", **shp)
    lon, lat = to_lonlat(500, 500)
    write_csv(tmp_path / "enterprises.csv", ["name", "lon", "lat"], [["A", lon, lat]], "utf-8")
    return tmp_path


def test_gbk_shapefile_without_cpg_is_not_mojibake(tmp_path: Path) -> None:
    folder = _towns_folder(tmp_path, three_towns(), encoding="GBK", cpg=False)
    bundle = load_folder(folder)
    assert bundle.frame("towns")["name"].tolist() == ["甲镇", "乙镇", "丙街道"]
    assert [p.code for p in bundle.problems if p.layer == "towns"] == ["encoding_guessed"]


def _zone_prefixed(towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return towns.to_crs("EPSG:4528")  # CGCS2000 3° GK zone 40: eastings start with 40


@pytest.mark.parametrize(
    ("transform", "prj", "expected_crs", "guessed"),
    [
        (lambda t: t, True, "EPSG:4549", False),
        (lambda t: t, False, "EPSG:4549", True),
        (_zone_prefixed, True, "EPSG:4528", False),
        (_zone_prefixed, False, "EPSG:4528", True),
    ],
    ids=["gk-cm120-prj", "gk-cm120-no-prj", "gk-zone40-prj", "gk-zone40-no-prj"],
)
def test_gauss_kruger_with_and_without_zone_prefix(tmp_path: Path, transform, prj: bool,
                                                  expected_crs: str, guessed: bool) -> None:
    towns = three_towns()
    folder = _towns_folder(tmp_path, transform(towns), prj=prj)
    bundle = load_folder(folder)
    layer = bundle.layers["towns"]
    assert layer.crs.startswith(expected_crs)
    codes = [p.code for p in bundle.problems if p.layer == "towns"]
    assert ("crs_guessed" in codes) is guessed
    got = bundle.frame("towns").to_crs(METRIC)
    # the same towns, within a centimetre, whichever way they were stored
    shift = np.array([a.hausdorff_distance(b) for a, b in zip(got.geometry, towns.geometry, strict=True)])
    assert shift.max() < 0.01


def test_wrong_geometry_and_repair(tmp_path: Path) -> None:
    from shapely.geometry import Point, Polygon

    towns = three_towns()
    x0, y0 = towns.geometry.iloc[0].bounds[:2]
    bowtie = Polygon([(x0, y0), (x0 + 2000, y0 + 2000), (x0 + 2000, y0), (x0, y0 + 2000)])
    towns = gpd.GeoDataFrame({"名称": ["甲镇", "乙镇"]}, geometry=[bowtie, Point(x0, y0)], crs=METRIC)
    towns.to_file(tmp_path / "镇街.gpkg")
    lon, lat = to_lonlat(500, 500)
    write_csv(tmp_path / "企业.csv", ["企业名称", "经度", "纬度"], [["A", lon, lat]], "utf-8")
    bundle = load_folder(tmp_path)
    codes = {(p.code, p.row) for p in bundle.problems if p.layer == "towns"}
    assert ("invalid_geometry", 1) in codes and ("wrong_geometry", 2) in codes
    frame = bundle.frame("towns")
    assert frame["name"].tolist() == ["甲镇"] and frame.geometry.iloc[0].is_valid
    assert frame.to_crs(METRIC).area.iloc[0] == pytest.approx(2 * 1000 * 2000 / 2, rel=1e-4)


def test_towns_as_a_table_is_refused(tmp_path: Path) -> None:
    write_csv(tmp_path / "镇街.csv", ["名称"], [["甲镇"]], "utf-8")
    write_csv(tmp_path / "企业.csv", ["企业名称"], [["A"]], "utf-8")
    with pytest.raises(UnsupportedFileError, match="需要边界"):
        load_folder(tmp_path)


def test_town_schema_requires_only_name() -> None:
    assert TOWNS.required_fields == ["name"]


def test_kml_towns(tmp_path: Path) -> None:
    three_towns().to_crs(4326).to_file(tmp_path / "镇街.kml", driver="KML")
    lon, lat = to_lonlat(500, 500)
    write_csv(tmp_path / "企业.csv", ["企业名称", "经度", "纬度"], [["A", lon, lat]], "utf-8")
    bundle = load_folder(tmp_path)
    assert bundle.frame("towns")["name"].tolist() == ["甲镇", "乙镇", "丙街道"]
    assert bundle.layers["towns"].crs.startswith("EPSG:4326")


def test_bd09_table_declared_in_toml(tmp_path: Path) -> None:
    from loaders.crs import wgs84_to_bd09

    three_towns().to_file(tmp_path / "镇街.gpkg")
    lon, lat = to_lonlat(1500, 700)
    bd_lon, bd_lat = wgs84_to_bd09(np.array([lon]), np.array([lat]))
    write_csv(tmp_path / "企业.csv", ["企业名称", "经度", "纬度"], [["A", float(bd_lon[0]), float(bd_lat[0])]], "gbk")
    (tmp_path / "ipgrid.toml").write_text('[enterprises]\ncrs = "百度"\n', encoding="utf-8")
    bundle = load_folder(tmp_path)
    assert bundle.layers["enterprises"].crs == "BD-09"
    got = gpd.GeoSeries(bundle.frame("enterprises").geometry.values, crs=4326).to_crs(METRIC).iloc[0]
    want = gpd.GeoSeries.from_xy([lon], [lat], crs=4326).to_crs(METRIC).iloc[0]
    assert got.distance(want) < 0.5
    assert not [p for p in bundle.problems if p.layer == "enterprises"]


def test_an_unreadable_date_is_reported_not_silently_emptied() -> None:
    """pandas 3 turns the None a failed parse returns into NaT, which looked blank: each must be reported."""
    from loaders.coerce import to_date
    from loaders.problems import ProblemLog
    from loaders.schema import FieldSpec

    log = ProblemLog()
    out = to_date(pd.Series(["2023-01-05", "不是日期", None, 45000, "2023年1月5日", "2023-02-30"]),
                  FieldSpec("apply_date", "申请日", dtype="date"), rows=np.arange(2, 8), log=log,
                  layer="ip_records", file="专利.xlsx")
    assert [None if pd.isna(v) else v.date().isoformat() for v in out] == [
        "2023-01-05", None, None, "2023-03-15", "2023-01-05", None]
    assert [(p.row, p.code) for p in log] == [(3, "bad_date"), (7, "bad_date")]
