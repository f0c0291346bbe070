"""Table readers on damaged and odd files: corrupt workbooks, duplicate headers, deep headers, formulas.

Every file is written by the test.  A fault that stops a file from being read
is one Chinese line and exit code 2 from ``ipgrid validate`` (never a
traceback); a fault in a cell is a problem with its Excel row and field.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from fixture_files import three_towns, to_lonlat, valid_uscc, write_xlsx

from dashboard.cli import main
from loaders import load_folder
from loaders.coerce import clean_text, to_bool, to_date, to_number
from loaders.errors import (
    CorruptFileError,
    DuplicateHeaderError,
    EmptyFileError,
    HeaderNotFoundError,
    IpgridError,
)
from loaders.headers import known_headers
from loaders.problems import ProblemLog
from loaders.schema import ENTERPRISES, INDICATORS, IP_RECORDS
from loaders.tables import HEADER_SEARCH_ROWS, read_table
from loaders.xlsx_formulas import FormulaNoValue, _formula_cells

KNOWN = known_headers(ENTERPRISES)
HEADER = ["企业名称", "统一社会信用代码", "经度", "纬度", "所属行业", "有效发明专利", "实用新型"]
CHINESE_FIRST = re.compile(r"^[^：]+：[\u4e00-\u9fff]")


def noise(n: int) -> bytes:
    """``n`` bytes of seeded noise (the same every run)."""
    return np.random.default_rng(n).bytes(n)


def firm_rows(n: int) -> list[list[object]]:
    """``n`` firms inside 甲镇, each with a valid credit code: a folder of them validates clean."""
    lon, lat = to_lonlat(500, 500)
    return [[f"南通{i:03d}公司", valid_uscc(i + 1), lon, lat, "高端纺织", i % 3, 1] for i in range(n)]


def folder_with(root: Path, write: Callable[[Path], object], toml: str = "") -> Path:
    """Towns plus an enterprise file written by ``write(root)``; lon/lat declared WGS-84."""
    three_towns().to_file(root / "镇街.gpkg")
    write(root)
    (root / "ipgrid.toml").write_text('[enterprises]\ncrs = "WGS-84"\n' + toml, encoding="utf-8")
    return root


def validate(folder: Path, *extra: str) -> tuple[int, str, str]:
    """``ipgrid validate`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(folder), *extra])
    return code, out.getvalue(), err.getvalue()


def one_error_line(err: str) -> str:
    """The single ``错误：…`` line of a run that could not go on (and no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), err
    assert "Traceback" not in err
    return lines[0].removeprefix("错误：")


def rewrite_member(path: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite one part of a zip (a workbook) with ``change`` applied to its bytes."""
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            z.writestr(info, change(data) if info.filename == member else data)
    return path


def corrupt_deflate(path: Path, member: str = "xl/worksheets/sheet1.xml") -> Path:
    """Damage the compressed bytes of ``member`` in place; the zip directory stays intact."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len + info.compress_size // 3
    for k in range(start, start + 40):
        data[k] ^= 0x5A
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:  # still a zip: the directory lists the member
        assert member in z.namelist()
    return path


# ----------------------------------------------------------------------------- 1, 5: damaged files


def test_corrupt_xlsx_is_one_chinese_line_and_exit_two(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, lambda d: corrupt_deflate(write_xlsx(d / "企业.xlsx", HEADER, firm_rows(300))))
    with pytest.raises(CorruptFileError) as caught:
        read_table(folder / "企业.xlsx", known_headers=KNOWN)
    message = str(caught.value)
    assert message.startswith("企业.xlsx：无法作为 Excel 文件读取——文件已损坏或不是有效的 Excel 文件；")
    assert re.search(r"（详情：\w*Error: .+）$", message)  # the library's English text last, in brackets
    code, out, err = validate(folder)
    assert code == 2 and out == ""
    assert one_error_line(err) == message


def _truncated_xls(path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("名录")
    for j, text in enumerate(HEADER[:2]):
        sheet.write(0, j, text)
    for i in range(1, 300):
        sheet.write(i, 0, f"公司{i}")
    book.save(str(path))
    path.write_bytes(path.read_bytes()[:1500])


@pytest.mark.parametrize(
    ("name", "write", "expected"),
    [
        ("企业.xls", _truncated_xls, "文件已损坏或不是有效的 Excel 文件"),
        ("企业.xls", lambda p: p.write_bytes(noise(4096)), "文件已损坏或不是有效的 Excel 文件"),
        ("企业.xlsx", lambda p: p.write_bytes(b"PK\x03\x04" + noise(2000)), "文件已损坏"),
        ("企业.xls", lambda p: p.write_text("<html><body><table><tr><td>企业名称</td></tr></table></body></html>",
                                             encoding="utf-8"), "实际是网页（HTML）或 XML 格式，只是扩展名为 .xls"),
        ("企业.xlsx", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000)), "打开密码"),
        ("企业.csv", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise(500)),
         "不是文本格式的 CSV 文件"),
        ("企业.csv", lambda p: p.write_text('企业名称,经度\n"' + "甲" * 200_000 + "\n", encoding="utf-8"),
         "第 2 行不是有效的 CSV 内容"),
    ],
    ids=["truncated-xls", "random-xls", "broken-zip-xlsx", "html-as-xls", "ole-as-xlsx", "binary-csv",
         "csv-unclosed-quote"],
)
def test_unreadable_tables_name_the_file_in_chinese(tmp_path: Path, name: str, write: Callable[[Path], object],
                                                    expected: str) -> None:
    write(tmp_path / name)
    with pytest.raises(CorruptFileError, match=re.escape(expected)) as caught:
        read_table(tmp_path / name, known_headers=KNOWN)
    assert CHINESE_FIRST.match(str(caught.value)) and str(caught.value).startswith(name)


def test_corrupt_optional_layer_stops_validate_like_any_unreadable_file(tmp_path: Path) -> None:
    """Today every unreadable layer file stops the folder (see loaders/folder.py): exit 2, one line."""
    def write(d: Path) -> None:
        write_xlsx(d / "企业.xlsx", HEADER, firm_rows(3))
        rows = [[f"ZL2023{i:07d}.1", "南通000公司"] for i in range(300)]
        corrupt_deflate(write_xlsx(d / "知识产权.xlsx", ["申请号", "权利人"], rows))

    code, _, err = validate(folder_with(tmp_path, write))
    assert code == 2 and "知识产权.xlsx：无法作为 Excel 文件读取" in one_error_line(err)


@pytest.mark.parametrize("target", ["企业.xls", "企业.csv"])
def test_workbook_with_the_wrong_extension_is_read_by_its_content(tmp_path: Path, target: str) -> None:
    write_xlsx(tmp_path / "book.xlsx", HEADER, firm_rows(2))
    (tmp_path / "book.xlsx").rename(tmp_path / target)
    table = read_table(tmp_path / target, known_headers=KNOWN)
    assert table.frame["企业名称"].tolist() == ["南通000公司", "南通001公司"]
    assert table.source_rows.tolist() == [2, 3]


def test_formulas_of_a_workbook_named_xls_are_still_found(tmp_path: Path) -> None:
    formula_book(tmp_path / "book.xlsx").rename(tmp_path / "企业.xls")
    table = read_table(tmp_path / "企业.xls", known_headers=KNOWN)
    assert table.frame["有效发明专利"].iat[0] == FormulaNoValue("1+1")


def test_utf16_text_export_is_read(tmp_path: Path) -> None:
    """Excel's 「Unicode 文本」: UTF-16 with a byte-order mark, tab-separated, saved as .txt."""
    (tmp_path / "企业.txt").write_bytes("企业名称\t有效发明专利\r\n南通甲公司\t3\r\n".encode("utf-16"))
    table = read_table(tmp_path / "企业.txt", known_headers=KNOWN)
    assert table.encoding == "utf-16"
    assert table.frame.iloc[0].tolist() == ["南通甲公司", "3"]


# ----------------------------------------------------------------------------- 2: duplicate headers


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ("经度", "第 C 列和第 H 列都是「经度」"),
        ("经 度", "第 C 列「经度」和第 H 列「经 度」是同一列名"),
        ("经度（°）", "第 C 列「经度」和第 H 列「经度（°）」是同一列名"),
    ],
    ids=["same", "space", "unit"],
)
def test_duplicate_header_is_one_error_naming_both_columns(tmp_path: Path, second: str, expected: str) -> None:
    lon, _ = to_lonlat(500, 500)
    rows = [[*r[:2], None, *r[3:], lon] for r in firm_rows(30)]  # the real longitudes are in column H
    folder = folder_with(tmp_path, lambda d: write_xlsx(d / "企业.xlsx", [*HEADER, second], rows))
    with pytest.raises(DuplicateHeaderError, match=re.escape(expected)):
        read_table(folder / "企业.xlsx", known_headers=KNOWN)
    # the layer fails with this one problem (exit 1) and no per-row coordinate warnings; analyses refuse it
    bundle = load_folder(folder)
    problems = [p for p in bundle.problems if p.layer == "enterprises"]
    assert [p.code for p in problems] == ["duplicate_header"] and bundle.layers["enterprises"].failed
    line = problems[0].message
    assert line.startswith("企业.xlsx（工作表「Sheet1」）：") and expected in line
    assert "无法确定用哪一列" in line and "请删除多余的一列" in line
    code, out, err = validate(folder)
    assert code == 1 and expected in out and err == ""


def test_two_duplicate_fields_are_both_named(tmp_path: Path) -> None:
    header = ["企业名称", "经度", "纬度", "企业名称", "经度"]
    write_xlsx(tmp_path / "企业.xlsx", header, [["甲", 120.0, 32.0, "甲", 120.0]])
    with pytest.raises(DuplicateHeaderError) as caught:
        read_table(tmp_path / "企业.xlsx", known_headers=KNOWN)
    assert "第 A 列和第 D 列都是「企业名称」；第 B 列和第 E 列都是「经度」" in str(caught.value)


def test_duplicate_header_no_field_reads_is_harmless(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "企业.xlsx", ["企业名称", "备注", "备注"], [["甲", "a", "b"]])
    table = read_table(tmp_path / "企业.xlsx", known_headers=KNOWN)
    assert table.headers == ["企业名称", "备注", "备注.1"]


# ----------------------------------------------------------------------------- 3: a header below row 30


def deep_header_book(path: Path, header_row: int, n: int = 5) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "填表说明"
    for r in range(2, header_row, 4):
        sheet.cell(r, 1, f"第 {r} 行：说明文字，请按要求填写")
    for j, text in enumerate(HEADER, start=1):
        sheet.cell(header_row, j, text)
    for i, row in enumerate(firm_rows(n), start=header_row + 1):
        for j, value in enumerate(row, start=1):
            sheet.cell(i, j, value)
    book.save(path)
    return path


def test_header_below_the_search_rows_says_where_and_how_to_set_it(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, lambda d: deep_header_book(d / "企业.xlsx", 40))
    expected = (
        f"企业.xlsx：前 {HEADER_SEARCH_ROWS} 行中没有找到表头（应有「企业名称」等列）；第 40 行像是表头。"
        f"表头不在前 {HEADER_SEARCH_ROWS} 行时请指定它的行号：在 ipgrid.toml 的 [enterprises] 中写 header_row = 40")
    problems = [p for p in load_folder(folder).problems if p.layer == "enterprises"]
    assert [(p.code, p.message) for p in problems] == [("header_not_found", expected)]
    code, out, err = validate(folder)
    assert code == 1 and "没有找到表头" in out and err == ""
    assert main(["stats", str(folder)]) == 2  # the analyses refuse a failed required layer


def test_header_row_40_set_in_toml_is_read(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, lambda d: deep_header_book(d / "企业.xlsx", 40), "header_row = 40\n")
    code, out, _ = validate(folder)
    assert code == 0 and "未发现问题" in out
    frame = load_folder(folder).frame("enterprises")
    assert frame["source_row"].tolist() == [41, 42, 43, 44, 45]
    assert frame["invention_patents"].tolist() == [0, 1, 2, 0, 1]


def test_no_header_anywhere_explains_header_row_and_columns(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "2025名录.xlsx", ["公司", "专利"], [["甲", 1]], titles=("某区企业表",))  # named in toml
    with pytest.raises(HeaderNotFoundError) as caught:
        read_table(tmp_path / "2025名录.xlsx", known_headers=KNOWN)
    assert str(caught.value) == (
        f"2025名录.xlsx：前 {HEADER_SEARCH_ROWS} 行中没有找到表头（应有「企业名称」等列）；"
        f"如果表头在第 {HEADER_SEARCH_ROWS} 行以下，请在 ipgrid.toml 的 [enterprises] 中写 header_row = 表头所在的 "
        "Excel 行号；如果列名写法不同（第 2 行为：公司、专利），请在 ipgrid.toml 的 [enterprises.columns] "
        '中指定列名，如 name = "公司"')


def test_deep_header_on_a_later_sheet_names_the_sheet(tmp_path: Path) -> None:
    path = deep_header_book(tmp_path / "企业.xlsx", 35)
    book = openpyxl.load_workbook(path)
    book.active.title = "名录"
    book.create_sheet("说明", 0).append(["本表由区市场监管局填报"])
    book.save(path)
    with pytest.raises(HeaderNotFoundError, match=re.escape("工作表「名录」的第 35 行像是表头")):
        read_table(path, known_headers=KNOWN)
    assert read_table(path, known_headers=KNOWN, header_row=35).sheet == "名录"


def test_header_of_another_layer_is_named_by_its_own_section(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "专利.xlsx", ["序号", "说明"], [[1, "x"]])
    with pytest.raises(HeaderNotFoundError, match=re.escape("[ip_records]")):
        read_table(tmp_path / "专利.xlsx", known_headers=known_headers(IP_RECORDS))


# ----------------------------------------------------------------------------- 4: formulas without a value


def formula_book(path: Path) -> Path:
    lon, lat = to_lonlat(500, 500)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["甲公司", valid_uscc(1), lon, lat, "高端纺织", "=1+1", 3])          # 2
    sheet.append(["乙公司", valid_uscc(2), lon, lat, '="高端"&"纺织"', 2, "=F3*2"])    # 3
    sheet.append(["丙公司", valid_uscc(3), lon, lat, "其他", 1, 1])                    # 4
    book.save(path)  # openpyxl stores formulas and never their results
    return path


def test_formula_without_result_is_warned_per_cell_and_not_zero(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, lambda d: formula_book(d / "企业.xlsx"))
    bundle = load_folder(folder)
    problems = [p for p in bundle.problems if p.code == "formula_no_value"]
    assert [(p.layer, p.row, p.field, p.severity) for p in problems] == [
        ("enterprises", 2, "invention_patents", "warning"),
        ("enterprises", 3, "industry", "warning"),  # a text field's formula is warned too
        ("enterprises", 3, "utility_models", "warning"),
    ]
    assert problems[0].message == ("「有效发明专利」的公式「=1+1」没有计算结果（文件可能由程序生成），按空值处理；"
                                   "请在 Excel 中打开并保存后再导入")
    assert "「实用新型」的公式「=F3*2」没有计算结果" in problems[2].message
    frame = bundle.frame("enterprises")
    assert np.isnan(frame["invention_patents"].iat[0]) and np.isnan(frame["utility_models"].iat[1])
    assert pd.isna(frame["industry"].iat[1])  # a text formula is missing, never its formula text
    code, out, _ = validate(folder)
    assert code == 0 and "没有计算结果" in out


def test_saved_results_are_used_without_warning(tmp_path: Path) -> None:
    """As Excel saves them: a value beside each formula, an empty text result typed t="str"."""
    path = formula_book(tmp_path / "企业.xlsx")

    def computed(xml: bytes) -> bytes:
        xml = xml.replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")
        xml = xml.replace(b"<f>F3*2</f><v />", b"<f>F3*2</f><v>4</v>")
        xml, count = re.subn(rb'<c r="E3"[^>]*><f>(.*?)</f><v />', rb'<c r="E3" t="str"><f>\1</f><v></v>', xml)
        assert count == 1
        return xml

    rewrite_member(path, "xl/worksheets/sheet1.xml", computed)
    table = read_table(path, known_headers=KNOWN)
    assert table.frame["有效发明专利"].tolist() == [2.0, 2.0, 1.0]
    assert table.frame["实用新型"].tolist() == [3.0, 4.0, 1.0]
    assert table.frame["所属行业"].iat[1] is None  # the formula's result is the empty text
    assert not any(isinstance(v, FormulaNoValue) for v in table.frame.to_numpy().ravel())


def test_formula_only_row_below_the_last_value_is_kept(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["甲公司", None, None, None, None, 1, 1])
    sheet["F4"] = "=SUM(F2:F3)"  # calamine's range ends at row 2: nothing is read for row 4
    book.save(tmp_path / "企业.xlsx")
    table = read_table(tmp_path / "企业.xlsx", known_headers=KNOWN)
    assert table.source_rows.tolist() == [2, 4]
    assert table.frame["有效发明专利"].iat[1] == FormulaNoValue("SUM(F2:F3)")


def test_shared_and_prefixed_formulas_without_values_are_found() -> None:
    xml = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
           b'<x:row r="2"><x:c r="F2"><x:f t="shared" ref="F2:F3" si="0">B2+C2</x:f></x:c></x:row>'
           b'<x:row r="3"><x:c r="F3"><x:f t="shared" si="0"/></x:c>'
           b'<x:c r="G3" t="str"><x:f>IF(A3&gt;0,"","x")</x:f><x:v></x:v></x:c>'
           b'<x:c r="H3" t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c>'
           b'<x:c r="AA3"><x:f>1</x:f><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>')
    assert _formula_cells(xml) == [(1, 5, FormulaNoValue("B2+C2")), (2, 5, FormulaNoValue("")),
                                   (2, 7, FormulaNoValue("1/0", "#DIV/0!"))]


def test_formula_computed_to_an_error_is_warned(tmp_path: Path) -> None:
    """Excel saves #DIV/0! or #N/A as the result; calamine reads it as an empty cell."""
    def write(d: Path) -> None:
        path = formula_book(d / "企业.xlsx")
        rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
            b'<c r="F2"><f>1+1</f><v /></c>', b'<c r="F2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))

    problems = [p for p in load_folder(folder_with(tmp_path, write)).problems if p.row == 2]
    assert [(p.code, p.field, p.severity, p.message) for p in problems] == [
        ("formula_error", "invention_patents", "warning",
         "「有效发明专利」的公式「=1/0」结果为错误值「#DIV/0!」，按空值处理；请在 Excel 中修正该公式")]


@pytest.mark.parametrize(
    ("parse", "field"),
    [(lambda v, spec, **ctx: to_number(v, spec, factor=1.0, **ctx), "year"),
     (to_date, "app_date"), (to_bool, "high_value")],
    ids=["number", "date", "bool"],
)
def test_formula_cells_are_reported_by_every_parser(parse: Callable[..., pd.Series], field: str) -> None:
    layer = {"year": INDICATORS, "app_date": IP_RECORDS, "high_value": IP_RECORDS}[field]
    log = ProblemLog()
    values = pd.Series([None, FormulaNoValue("A1"), FormulaNoValue("1/0", "#DIV/0!")], dtype=object)
    out = parse(values, layer.field(field), rows=np.array([5, 6, 7]), log=log, layer=layer.name, file="x.xlsx")
    assert out.isna().all()
    assert [(p.row, p.field, p.code) for p in log] == [(6, field, "formula_no_value"), (7, field, "formula_error")]


def test_text_formula_is_reported_when_the_caller_passes_the_context() -> None:
    log = ProblemLog()
    values = pd.Series(["高端纺织", FormulaNoValue('"高"&"端"'), None], dtype=object)
    out = clean_text(values, ENTERPRISES.field("industry"), rows=np.array([2, 3, 4]), log=log,
                     layer="enterprises", file="企业.xlsx")
    assert out.isna().tolist() == [False, True, True]
    (problem,) = list(log)
    assert (problem.row, problem.field, problem.code) == (3, "industry", "formula_no_value")
    assert problem.message.startswith('「主导产业」的公式「="高"&"端"」没有计算结果')


# ----------------------------------------------------------------------------- relatives


def test_blank_template_sheet_does_not_hide_the_data_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "模板"
    book.active.append(HEADER)
    data = book.create_sheet("名录")
    data.append(HEADER)
    data.append(firm_rows(1)[0])
    book.save(tmp_path / "企业.xlsx")
    table = read_table(tmp_path / "企业.xlsx", known_headers=KNOWN)
    assert table.sheet == "名录" and table.source_rows.tolist() == [2]


def test_header_only_sheet_is_an_empty_file(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "企业.xlsx", HEADER, [])
    with pytest.raises(EmptyFileError, match=re.escape("表头（第 1 行）下面没有数据行")):
        read_table(tmp_path / "企业.xlsx", known_headers=KNOWN)


def test_column_numbering_row_under_the_header_is_not_a_firm(tmp_path: Path) -> None:
    numbering = ["甲", "乙", 1, 2, 3, 4, 5]
    write_xlsx(tmp_path / "企业.xlsx", HEADER, [numbering, *firm_rows(2)])
    table = read_table(tmp_path / "企业.xlsx", known_headers=KNOWN)
    assert table.frame["企业名称"].tolist() == ["南通000公司", "南通001公司"]
    assert table.source_rows.tolist() == [3, 4]


def test_numeric_header_cells_read_as_written(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "企业.xlsx", ["企业名称", 2023, 2024.5], [["甲", 1, 2]])
    assert read_table(tmp_path / "企业.xlsx", known_headers=KNOWN).headers == ["企业名称", "2023", "2024.5"]


def test_every_reader_error_is_an_ipgrid_error() -> None:
    """The CLI turns IpgridError into one line and exit 2: the new errors must be of that family."""
    for cls in (CorruptFileError, DuplicateHeaderError, HeaderNotFoundError):
        assert issubclass(cls, IpgridError) and issubclass(cls, ValueError)
