"""What ipgrid writes stays safe and clean: no formulas in its CSV/Excel, PDFs without warnings, readable labels.

Every test writes its own small folder: six 2 km towns in a 3 × 2 tiling whose
firms hold 0, 2, 5, 10, 20 and 40 invention patents (so the five natural-breaks
classes run from the lightest to the darkest colour of the ramp).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from fixture_files import METRIC, square, to_lonlat, write_csv

from dashboard.bigscreen.payload import MAP_BACKGROUND, TOWN_OPACITY, build_payload, town_label_styles
from dashboard.cli import main, write_problems
from dashboard.engine import Engine
from dashboard.exports import export_map, map_view, write_atlas
from dashboard.exports.static_map import CONTEXT_FILL, render
from dashboard.theme import (
    DARK_INK,
    LAYER_COLORS,
    LIGHT_INK,
    SEQUENTIAL,
    blend,
    ink_threshold,
    label_ink,
    relative_luminance,
)
from dashboard.ui import to_xlsx
from loaders import ProblemLog, load_folder
from loaders.spreadsheet import FORMULA_TRIGGERS, neutralise, neutralise_frame

FORMULAS = ['=HYPERLINK("http://evil","点我")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1+1", "\r=1+1"]
"""Texts Excel would evaluate (OWASP's CSV-injection examples), each the name of something in a data file."""

TOWNS = ["甲镇", *FORMULAS[:4], "己镇"]
PATENTS = [0, 2, 5, 10, 20, 40]
"""Invention patents of the one firm in each town (TOWNS order)."""


def write_folder(root: Path, towns: list[str] = TOWNS) -> Path:
    """Six square towns (names ``towns``) with one firm each; :data:`PATENTS` inventions per firm."""
    root.mkdir(parents=True, exist_ok=True)
    cells = [square(2000 * (i % 3), 2000 * (i // 3), 2000 * (i % 3 + 1), 2000 * (i // 3 + 1)) for i in range(6)]
    gpd.GeoDataFrame({"名称": towns, "区划代码": [f"32061210{i}000" for i in range(6)],
                      "常住人口": [10000] * 6}, geometry=cells, crs=METRIC).to_file(root / "镇街.gpkg")
    firms = [[f"南通{n}号科技有限公司", *to_lonlat(2000 * (i % 3) + 1000, 2000 * (i // 3) + 1000), n]
             for i, n in enumerate(PATENTS)]
    firms[0][0] = FORMULAS[0]  # a firm named like a formula, too
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利"], firms, "utf-8")
    (root / "ipgrid.toml").write_text('[district]\nname = "测试区"\n[enterprises]\ncrs = "WGS-84"\n',
                                      encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("hardening") / "data")


@pytest.fixture(scope="module")
def engine(folder: Path) -> Engine:
    return Engine(load_folder(folder))


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def assert_no_formula_text(cells: list[str]) -> None:
    risky = [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
    assert not risky, risky


# --------------------------------------------------------------------------- 1. formula injection


@pytest.mark.parametrize(("value", "expected"), [
    *[(f, "'" + f) for f in FORMULAS],
    ("金沙街道", "金沙街道"), ("", ""), ("'已加引号", "'已加引号"), (" =1", " =1"),
    (-2, -2), (-2.5, -2.5), (None, None),
])
def test_neutralise_quotes_text_that_would_run_and_nothing_else(value: object, expected: object) -> None:
    assert neutralise(value) == expected


def test_neutralise_frame_keeps_numbers_numbers() -> None:
    frame = pd.DataFrame({"name": ["-2+3", "甲"], "delta": [-2, 3], "mixed": ["@x", 1]})
    safe = neutralise_frame(frame)
    assert safe["name"].tolist() == ["'-2+3", "甲"]
    assert safe["delta"].tolist() == [-2, 3] and pd.api.types.is_integer_dtype(safe["delta"])
    assert safe["mixed"].tolist() == ["'@x", 1]
    assert frame["name"].tolist() == ["-2+3", "甲"]  # the caller's frame is not changed


def test_stats_csv_writes_formula_names_as_quoted_text(folder: Path) -> None:
    code, out = run("stats", str(folder), "--level", "town", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    names = [r["name"] for r in rows]
    for name in FORMULAS[:4]:
        assert "'" + name in names
    assert_no_formula_text([cell for r in rows for cell in r.values()])
    by_name = {r["name"]: r for r in rows}
    assert [int(by_name.get(n, by_name.get("'" + n))["invention_patents"]) for n in TOWNS] == PATENTS


def _cells(path_or_bytes: Path | bytes) -> list[openpyxl.cell.cell.Cell]:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    book = openpyxl.load_workbook(src)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def formula_problems() -> ProblemLog:
    log = ProblemLog()
    for i, text in enumerate(FORMULAS, start=2):
        log.add("encoding_guessed", layer="enterprises", file=text, row=i, field=text, detail=text)
    log.add("negative_number", layer="enterprises", file="企业.csv", row=9, field="pledge", label="质押", value=-2)
    return log


def test_problems_xlsx_has_text_cells_and_no_formula(tmp_path: Path) -> None:
    target = tmp_path / "问题清单.xlsx"
    write_problems(formula_problems(), target)
    cells = _cells(target)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if c.data_type == "s"]
    assert_no_formula_text(texts)
    for text in FORMULAS:  # file, field and message (XML reads a carriage return back as a line feed)
        assert texts.count("'" + text.replace("\r", "\n")) == 3
    rows = [c.value for c in cells if c.column == 3][1:]
    assert rows == [2, 3, 4, 5, 6, 7, 9]  # Excel row numbers stay numbers


def test_problems_csv_has_no_formula(tmp_path: Path) -> None:
    target = tmp_path / "问题清单.csv"
    write_problems(formula_problems(), target)
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert_no_formula_text([cell for row in rows for cell in row])
    assert rows[1][1] == "'" + FORMULAS[0]


def test_validate_problems_xlsx_from_a_folder(folder: Path, tmp_path: Path) -> None:
    spoiled = write_folder(tmp_path / "data")
    firms = pd.read_csv(spoiled / "企业.csv", dtype=str)
    firms.loc[1, "有效发明专利"] = "=1+1"  # not a number: a problem whose message quotes the value
    firms.to_csv(spoiled / "@SUM(1+1).csv", index=False)
    (spoiled / "企业.csv").unlink()
    (spoiled / "ipgrid.toml").write_text('[district]\nname = "测试区"\n[enterprises]\ncrs = "WGS-84"\n'
                                         'file = "@SUM(1+1).csv"\n', encoding="utf-8")
    target = tmp_path / "问题清单.xlsx"
    main(["validate", str(spoiled), "--problems", str(target)])
    cells = _cells(target)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    files = {c.value for c in cells if c.column == 2 and c.row > 1}
    assert "'@SUM(1+1).csv" in files
    assert_no_formula_text([c.value for c in cells if c.data_type == "s"])


def test_app_xlsx_text_is_text_numbers_are_numbers() -> None:
    frame = pd.DataFrame({"名称": [*FORMULAS, "#N/A", "甲\x07镇"], "变化": [-2, -1.5, 0, 1, 2, 3, 4, 5]})
    cells = _cells(to_xlsx({"表": frame}, [("筛选", "=1+1")]))
    assert not [c.coordinate for c in cells if c.data_type in ("f", "e")]
    texts = [c.value for c in cells if c.data_type == "s"]
    assert_no_formula_text(texts)
    assert {"'" + f.replace("\r", "\n") for f in FORMULAS} | {"#N/A", "甲镇", "'=1+1"} <= set(texts)
    numbers = [c.value for c in cells if c.data_type == "n"]
    assert numbers == [-2, -1.5, 0, 1, 2, 3, 4, 5]


# --------------------------------------------------------------------------- 2. clean PDFs


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: apt-get install {package}")  # scripts/test.sh installs it
    return path


def assert_clean_pdf(path: Path, names: list[str]) -> None:
    """qpdf finds no error; pdftoppm and Ghostscript render without a word; the names are text."""
    check = subprocess.run([_tool("qpdf", "qpdf"), "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout
    assert "WARNING" not in check.stdout + check.stderr
    raster = subprocess.run([_tool("pdftoppm", "poppler-utils"), "-r", "20", "-png", str(path),
                             str(path.with_suffix(""))], capture_output=True, text=True)
    assert raster.returncode == 0 and raster.stderr == "", raster.stderr
    gs = subprocess.run([_tool("gs", "ghostscript"), "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage",
                         str(path)], capture_output=True, text=True)
    assert gs.returncode == 0 and gs.stdout + gs.stderr == "", gs.stdout + gs.stderr
    fonts = subprocess.run([_tool("pdffonts", "poppler-utils"), str(path)], capture_output=True, text=True).stdout
    assert "CID TrueType" in fonts and "CID Type 0C" not in fonts, fonts
    text = subprocess.run([_tool("pdftotext", "poppler-utils"), "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True).stdout
    for name in names:
        assert name in text, name


@pytest.mark.parametrize(("level", "size"), [("town", "a4"), ("district", "16x9")])
def test_map_pdf_is_clean_with_searchable_chinese(engine: Engine, tmp_path: Path, level: str, size: str) -> None:
    path = tmp_path / f"{level}.pdf"
    path.write_bytes(export_map(engine, level, metric="invention_patents", fmt="pdf", size=size))
    assert_clean_pdf(path, ["甲镇", "己镇", "测试区"])


def test_atlas_pdf_is_clean_with_searchable_chinese(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "atlas.pdf"
    write_atlas(engine, "town", path)
    assert_clean_pdf(path, ["甲镇", "己镇", "目录"])


def test_svg_stays_xml_with_control_characters_in_a_name(tmp_path: Path) -> None:
    engine = Engine(load_folder(write_folder(tmp_path / "data", ["甲\x0b镇", *TOWNS[1:]])))
    svg = export_map(engine, "town", metric="invention_patents", fmt="svg", size="a4")
    ET.fromstring(svg)  # raises on a character XML does not allow


# --------------------------------------------------------------------------- 3. label colours


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, worked out here from the luminances."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_threshold_is_where_both_inks_contrast_equally() -> None:
    threshold = ink_threshold()
    # sqrt((L_white + 0.05) * (L_#111827 + 0.05)) - 0.05: both inks contrast 4.2 : 1 with such a fill
    assert threshold == pytest.approx(0.1993, abs=5e-4)
    grey = "#7f7f7f"  # luminance 0.212: just above
    assert relative_luminance(grey) > threshold and label_ink(grey).text == DARK_INK
    assert relative_luminance("#777777") < threshold and label_ink("#777777").text == LIGHT_INK


@pytest.mark.parametrize("fill", sorted({c for ramp in SEQUENTIAL.values() for c in ramp}))
def test_label_ink_takes_the_better_contrast(fill: str) -> None:
    ink = label_ink(fill)
    other = LIGHT_INK if ink.text == DARK_INK else DARK_INK
    assert ink.halo == other
    assert contrast_ratio(ink.text, fill) >= contrast_ratio(other, fill)
    assert contrast_ratio(ink.text, fill) >= 3.7


def _label_colours(fig_info) -> dict[str, tuple[str, str]]:
    """Area name → (text colour, halo colour) as drawn."""
    from matplotlib.colors import to_hex

    _, info = fig_info
    ax = info.ax
    out = {}
    for art in info.labels.artists:
        halo = next(t for t in ax.texts if t.get_text() == art.get_text() and t.get_zorder() == 29)
        out[art.get_text().split("\n")[0]] = (to_hex(art.get_color()), to_hex(halo.get_color()))
    return out


def test_static_map_labels_follow_the_fill(engine: Engine) -> None:
    view = map_view(engine, "town", metric="invention_patents")
    fills = dict(zip(view.frame["name"], view.frame["color"], strict=True))
    assert relative_luminance(fills["己镇"]) < ink_threshold() < relative_luminance(fills["甲镇"])
    colours = _label_colours(render(view, "a4"))
    assert colours["己镇"] == (LIGHT_INK, DARK_INK)  # the darkest class: light text, dark halo
    assert colours["甲镇"] == (DARK_INK, LIGHT_INK)
    for name, (text, _) in colours.items():
        assert text == label_ink(fills[name]).text, name


def test_context_labels_stay_grey_on_the_context_fill(engine: Engine) -> None:
    view = map_view(engine, "town", area="己镇", metric="invention_patents")
    colours = _label_colours(render(view, "a4"))
    others = {n: c for n, c in colours.items() if n != "己镇"}
    assert others and all(halo == LIGHT_INK and text == label_ink(CONTEXT_FILL, dark=text).text
                          for text, halo in others.values())


def test_kiosk_payload_carries_each_label_style(engine: Engine) -> None:
    towns = build_payload(engine, "invention_patents", "invention_patents", "service_coverage_rate")["towns"]
    assert towns["opacity"] == TOWN_OPACITY
    by_name = {f["name"]: f for f in towns["features"]}
    darkest, lightest = by_name["己镇"], by_name["甲镇"]
    assert darkest["label"] == town_label_styles(darkest["fill"])
    assert darkest["label"]["all"]["color"] == LIGHT_INK
    assert darkest["label"]["focus"]["color"] == LAYER_COLORS["highlight"]
    assert lightest["label"]["all"]["color"] == DARK_INK and LIGHT_INK in lightest["label"]["all"]["shadow"]
    assert lightest["label"]["focus"]["color"] == DARK_INK  # yellow on a pale fill would not read
    assert lightest["label"]["dim"]["color"] == LIGHT_INK  # a pale fill at 30 % over the dark map is dark
    for f in towns["features"]:
        for state, opacity in TOWN_OPACITY.items():
            seen = blend(f["fill"], MAP_BACKGROUND, opacity)
            light = LAYER_COLORS["highlight"] if state == "focus" else LIGHT_INK
            assert f["label"][state]["color"] == label_ink(seen, light=light).text


def test_kiosk_script_takes_label_colours_and_opacities_from_the_data() -> None:
    script = (Path(__file__).parents[1] / "dashboard" / "bigscreen" / "kiosk.js").read_text(encoding="utf-8")
    assert "f.label.all" in script and ".label[townState(" in script
    # the fill opacities of towns, parks and GI areas (which the label colours assume) come from the payload
    assert not re.search(r"fillOpacity:\s*0\.(85|95|9|3)\b", script)
