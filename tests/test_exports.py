"""Map exports: real properties of the files (text in the PDF, embedded font, 300 dpi, legend = classes,
no external URL, page counts), the furniture's geometry, and the CLI's exit codes.

Each file is rendered once per module (fixtures), so the module stays at a few seconds per render.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.text import Text
from PIL import Image

from dashboard.classify import classify, legend_labels
from dashboard.cli import main
from dashboard.engine import Engine
from dashboard.engine.metrics import METRICS
from dashboard.exports import (
    ExportError,
    export_map,
    file_name,
    format_for_path,
    map_view,
    render_view,
    write_atlas,
)
from dashboard.exports import furniture as fu
from dashboard.exports.atlas import plan_atlas
from dashboard.exports.html_map import html_map
from dashboard.exports.labels import LabelRequest, place_labels
from dashboard.exports.pages import PAGE_SIZES
from dashboard.exports.static_map import new_figure, render
from dashboard.exports.tables import fit_text, wrap_text
from dashboard.theme import DEMO_BADGE
from geodata import DEMO_DIR
from loaders import load_folder

POPPLER = ("pdftotext", "pdffonts", "pdfinfo")


def _need_poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        reason = f"{', '.join(missing)} not found: apt-get install poppler-utils"
        pytest.fail(reason)  # scripts/test.sh installs it; a missing tool is a broken setup, not a skip


def pdftext(path: Path, first: int | None = None, last: int | None = None) -> str:
    _need_poppler()
    cmd = ["pdftotext", "-enc", "UTF-8"]
    if first:
        cmd += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*cmd, str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(path: Path) -> int:
    _need_poppler()
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_folder(DEMO_DIR))


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def town_pdf(engine: Engine, out_dir: Path) -> Path:
    path = out_dir / "towns.pdf"
    path.write_bytes(export_map(engine, "town", metric="invention_patents", fmt="pdf", size="a4"))
    return path


@pytest.fixture(scope="module")
def town_render(engine: Engine):
    view = map_view(engine, "town", metric="invention_patents", scheme="quantiles")
    fig, info = render(view, "a4-landscape")
    return view, fig, info


@pytest.fixture(scope="module")
def grid_png(engine: Engine) -> bytes:
    return export_map(engine, "grid", area="南通家纺城", metric="ip_coverage_rate", fmt="png", size="a4-landscape")


@pytest.fixture(scope="module")
def town_atlas(engine: Engine, out_dir: Path):
    path = out_dir / "atlas.pdf"
    info = write_atlas(engine, "town", path, metric="invention_patents")
    return path, info


# --------------------------------------------------------------------------- PDF


def test_pdf_has_the_town_names_as_text(engine: Engine, town_pdf: Path) -> None:
    text = pdftext(town_pdf)
    names = list(engine.towns["name"])
    assert len(names) == 16
    missing = [n for n in names if n not in text]
    assert missing == []
    assert "通州区各镇街有效发明专利分布图" in text
    assert "数据截至 2025-12-31" in text and "来源" in text


def test_pdf_embeds_the_cjk_font(town_pdf: Path) -> None:
    _need_poppler()
    out = subprocess.run(["pdffonts", str(town_pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows, out
    noto = [r for r in rows if "NotoSansCJK" in r[0]]
    assert noto, out
    # columns: name type... encoding emb sub uni object-id generation: emb is the 5th from the end
    assert all(r[-5] == "yes" for r in rows), out


def test_pdf_is_a4_portrait_vector(town_pdf: Path) -> None:
    _need_poppler()
    out = subprocess.run(["pdfinfo", str(town_pdf)], capture_output=True, text=True, check=True).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", out).groups())
    assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (210, 297)
    assert town_pdf.stat().st_size < 1_000_000  # vector: no page-sized raster inside


# --------------------------------------------------------------------------- PNG


def test_png_is_300_dpi_a4_landscape_and_not_blank(grid_png: bytes) -> None:
    image = Image.open(io.BytesIO(grid_png))
    assert tuple(round(d) for d in image.info["dpi"]) == (300, 300)
    assert image.size == (3507, 2480)
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20
    assert (pixels < 200).mean() > 0.10  # a real share of the page is drawn, not a white page


def test_png_metadata_names_the_map_and_the_demo(grid_png: bytes) -> None:
    info = Image.open(io.BytesIO(grid_png)).info
    assert info["Title"] == "通州区南通家纺城各网格知识产权覆盖率分布图"
    assert "示例数据" in info["Description"]


# --------------------------------------------------------------------------- legend and classes


def test_legend_bounds_are_the_classes_of_the_engine_values(engine: Engine, town_render) -> None:
    view, fig, info = town_render
    values = engine.choropleth("town")["invention_patents"].to_numpy(dtype="float64", na_value=np.nan)
    expected = classify(values, "quantiles", 5)
    assert view.classes.bins == expected.bins
    labels = legend_labels(expected, METRICS["invention_patents"].unit)
    assert info.class_labels == labels
    drawn = {t.get_text() for t in fig.findobj(Text)}
    assert set(labels) <= drawn
    assert "有效发明专利（件）" in drawn


def test_area_colours_follow_the_classes(town_render) -> None:
    view, _, _ = town_render
    colors = view.frame["color"].to_numpy()
    yb = view.classes.yb
    assert all(colors[i] == view.colors[yb[i]] for i in range(len(yb)) if yb[i] >= 0)


def test_percent_metric_legend_reads_as_percent(engine: Engine) -> None:
    view = map_view(engine, "town", metric="ip_coverage_rate", scheme="equal_interval")
    assert all(label.endswith("%") for label in view.legend)
    assert view.legend_title == "知识产权覆盖率"  # the catalog's title, as the app's legend (the % is in each class)


# --------------------------------------------------------------------------- furniture


def test_labels_do_not_overlap_each_other_or_the_furniture(town_render) -> None:
    _, _, info = town_render
    boxes = [box for _, box in info.labels.placed]
    assert len(boxes) == 16 and info.labels.dropped == []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
        for name, furniture in info.boxes.items():
            assert not a.overlaps(furniture), name


def test_furniture_corners_are_distinct(town_render) -> None:
    _, _, info = town_render
    assert set(info.corners) == {"legend", "inset", "north_arrow"}
    assert len(set(info.corners.values())) == 3


def test_scale_bar_is_true_to_the_map(town_render) -> None:
    view, _, info = town_render
    x0, _, x1, _ = view.district.bounds
    assert 60_000 < x1 - x0 < 80_000  # the demo district is about 75 km wide
    assert info.scale_m in (5_000.0, 10_000.0, 20_000.0)
    bar_mm = info.scale_m / fu.metres_per_point(info.ax) / 72 * 25.4
    assert 15 <= bar_mm <= fu.SCALE_TARGET_MM


def test_north_arrow_turns_by_the_meridian_convergence() -> None:
    # Gauss-Krüger CM 120°E: east of the central meridian, at 121°E 32°N, true north lies about
    # 1° × sin 32° ≈ 0.53° west of grid north (a negative, anticlockwise angle)
    x, y = fu._transformers("EPSG:4549")[1].transform(121.0, 32.0)
    assert fu.convergence_deg("EPSG:4549", x, y) == pytest.approx(-0.53, abs=0.02)
    assert fu.convergence_deg("EPSG:4549", 500_000.0, 3_540_000.0) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(("room", "length"), [(17_300.0, 10_000.0), (999.0, 500.0), (2_600.0, 2_000.0),
                                               (1.0, 1.0)])
def test_nice_scale_lengths(room: float, length: float) -> None:
    assert fu.nice_length(room) == length


def test_greedy_labels_never_overlap_when_crowded() -> None:
    import shapely

    page = PAGE_SIZES["a4"]
    fig, renderer = new_figure(page, dpi=100)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    requests = [LabelRequest(f"重叠标注{i}", shapely.box(40 + i % 3, 40, 60 + i % 3, 60), priority=i, size=9)
                for i in range(12)]
    placed = place_labels(ax, requests, [], renderer)
    boxes = [b for _, b in placed.placed]
    assert len(boxes) + len(placed.dropped) == 12 and placed.dropped
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize("size", list(PAGE_SIZES))
def test_page_sizes(engine: Engine, size: str) -> None:
    view = map_view(engine, "park")
    fig, info = render(view, size, dpi=40)
    page = PAGE_SIZES[size]
    assert tuple(np.round(fig.get_size_inches() * 25.4, 1)) == (round(page.width_mm, 1), round(page.height_mm, 1))
    assert info.labels.placed


def test_table_text_fits_its_column() -> None:
    assert fit_text("南通高新技术产业开发区", 10.0, 7.0).endswith("…")
    assert fit_text("川姜镇", 30.0, 7.0) == "川姜镇"
    assert wrap_text("有效发明专利（件）", 17.0, 6.8) == "有效发明专利\n（件）"


# --------------------------------------------------------------------------- SVG, HTML


def test_svg_is_valid_and_titled(engine: Engine) -> None:
    data = export_map(engine, "town", fmt="svg", size="16x9")
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    text = data.decode("utf-8")
    assert "通州区各镇街企业数分布图" in text  # <title>
    assert DEMO_BADGE in text


URL_ATTRS = re.compile(r"""(?:\bsrc|\bhref)\s*=\s*["']?([^"'\s>]+)|url\(\s*["']?([^"')\s]+)|@import\s+["']([^"']+)""",
                       re.I)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//|^(?:https?|ftp):", re.I)


def external_urls(html: str) -> list[str]:
    found = [next(g for g in m.groups() if g) for m in URL_ATTRS.finditer(html)]
    return [u for u in found if EXTERNAL.match(u.strip("\\"))]


@pytest.fixture(scope="module")
def town_html_view(engine: Engine):
    view = map_view(engine, "town", metric="invention_patents")
    return view, render_view(view, "html").decode("utf-8")


@pytest.fixture(scope="module")
def town_html(town_html_view) -> str:
    return town_html_view[1]


def test_html_has_no_external_url(town_html: str) -> None:
    assert external_urls(town_html) == []
    assert "<script src" not in town_html and "<link" not in town_html
    assert "L.map(" in town_html and "Leaflet" in town_html  # Leaflet itself is inline


def test_html_carries_title_legend_and_demo_label(town_html_view) -> None:
    view, town_html = town_html_view
    assert "通州区各镇街有效发明专利分布图" in town_html
    assert DEMO_BADGE in town_html and "数据截至 2025-12-31" in town_html
    for label in view.legend:
        assert label in town_html


def test_html_escapes_names(xss_folder: Path, xss_name: str) -> None:
    engine = Engine(load_folder(xss_folder))
    page = html_map(map_view(engine, "town"))
    assert xss_name not in page
    # escaped once for HTML (tooltips are innerHTML), then for JSON by folium
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page


@pytest.mark.browser
def test_html_opens_offline_in_chromium(browser, town_html: str, tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    path.write_text(town_html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        page = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_selector("path.leaflet-interactive", timeout=15_000)
        assert page.locator("path.leaflet-interactive").count() == 16
        assert [u for u in requests if not u.startswith("file://") and not u.startswith("data:")] == []
        assert errors == []
    finally:
        context.close()


# --------------------------------------------------------------------------- demo label


def test_demo_exports_carry_the_demo_label(town_pdf: Path) -> None:
    assert "示例数据" in pdftext(town_pdf)


def test_own_data_has_no_demo_label(xss_folder: Path, tmp_path: Path) -> None:
    engine = Engine(load_folder(xss_folder))
    path = tmp_path / "own.pdf"
    path.write_bytes(export_map(engine, "town", fmt="pdf"))
    text = pdftext(path)
    assert "示例数据" not in text
    assert "安宁镇" in text


# --------------------------------------------------------------------------- atlas


def test_atlas_has_cover_summary_and_one_page_per_town(engine: Engine, town_atlas) -> None:
    path, info = town_atlas
    towns = list(engine.towns["name"])
    assert pdf_pages(path) == len(info.pages) == 1 + 1 + len(towns)
    assert [k for k, _ in info.pages[:2]] == ["cover", "summary"]
    text = pdftext(path).split("\f")
    for number, name in enumerate(towns, start=3):
        page = text[number - 1]
        assert f"通州区 · {name}" in page, name
        assert f"第 {number} 页 / 共 18 页" in page
    assert "各镇街分页（16 个）" in text[0] and "第 3–18 页" in text[0]
    assert all(name in text[1] for name in towns) and "全区合计" in text[1]


def test_atlas_area_page_figures_match_the_engine(engine: Engine, town_atlas) -> None:
    path, _ = town_atlas
    stats = engine.stats("town")
    row = stats[stats["name"] == "川姜镇"].iloc[0]
    pos = list(engine.towns["name"]).index("川姜镇")
    page = pdftext(path, pos + 3)
    assert f"{int(row['enterprises']):,}" in page
    assert METRICS["ip_coverage_rate"].format(row["ip_coverage_rate"]) in page
    assert "高端纺织" in page  # the leading industry line


def test_atlas_pages_share_one_legend(engine: Engine) -> None:
    view = map_view(engine, "town")
    zoomed = view.focused(None)
    assert zoomed.classes is view.classes and zoomed.legend == view.legend


def test_grid_atlas_plans_one_visit_sheet_per_commissioner(engine: Engine) -> None:
    pages, _ = plan_atlas(engine, "grid")
    kinds = [p.kind for p in pages]
    people = engine.commissioners.assignments["commissioner"].dropna().nunique()
    assert kinds.count("visit") == people > 0
    with_firms = int((engine.stats("grid")["enterprises"] > 0).sum())
    assert kinds.count("area") == with_firms == len(engine.cells)  # every demo cell holds firms
    assert kinds[0] == "cover" and kinds[1] == "summary"
    assert all(p.size.key == "a4-landscape" for p in pages if p.kind.startswith("visit"))


def test_visit_sheet_lists_the_firms_to_visit(engine: Engine, tmp_path: Path) -> None:
    pages, _ = plan_atlas(engine, "grid")
    first = next(i for i, p in enumerate(pages) if p.kind == "visit")
    who = pages[first].title.split(" ")[0]
    sheet = [pages[first]] + [p for p in pages[first + 1:first + 2] if p.kind == "visit-table"]
    path = tmp_path / "visit.pdf"
    with PdfPages(path) as pdf:
        for n, spec in enumerate(sheet, start=1):
            fig, renderer = new_figure(spec.size, 100)
            spec.draw(fig, renderer, spec.size, f"第 {n} 页")
            pdf.savefig(fig)
    text = pdftext(path)
    assert f"网格专员走访清单 · {who}" in text
    cells = engine.commissioners.assignments.query("commissioner == @who")["grid_id"]
    firms = engine.firm_table()
    mine = firms[firms["grid_id"].isin(cells)]
    assert f"企业 {len(mine)} 家，其中无知识产权 {int((~mine['has_ip']).sum())} 家" in text
    assert "无（培育）" in text and "最近服务站点" in text
    table = pdftext(path, 2)
    shown = [name for name in mine["name"] if name[:8] in table]
    assert len(shown) >= min(len(mine), 20)
    phones = engine.firms.loc[mine.index, "phone"].dropna().astype(str)
    assert any(p in table for p in phones)


def test_grid_atlas_leaves_out_empty_generated_cells(xss_folder: Path) -> None:
    engine = Engine(load_folder(xss_folder))  # no grid layer: 1 km cells generated over two towns
    pages, _ = plan_atlas(engine, "grid")
    stats = engine.stats("grid")
    assert len(stats) > 100
    with_firms = int((stats["enterprises"] > 0).sum())
    assert [p.kind for p in pages].count("area") == with_firms == len(engine.firms)  # one firm per cell here


def test_atlas_refuses_the_district_level(engine: Engine) -> None:
    with pytest.raises(ExportError, match="图集的层级"):
        plan_atlas(engine, "district")


# --------------------------------------------------------------------------- errors and names


def test_unknown_area_lists_the_names(engine: Engine) -> None:
    with pytest.raises(ExportError, match="找不到名为「桃花岛」的区域.*川姜镇"):
        export_map(engine, "grid", area="桃花岛")


def test_area_by_grid_id_and_folded_name(engine: Engine) -> None:
    cell = str(engine.cells["grid_id"].iat[0])
    view = map_view(engine, "grid", area=cell)
    assert view.n_selected == 1 and view.focus.kind == "grid"
    assert map_view(engine, "town", area=" 川姜镇 ").title == "通州区川姜镇企业数"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"metric": "gi_names"}, "不能制图"),
    ({"fmt": "docx"}, "导出格式"),
    ({"size": "a3"}, "纸张尺寸"),
    ({"scheme": "jenks"}, "分级方法"),
    ({"k": 9}, "分级数"),
])
def test_bad_choices_raise_export_errors(engine: Engine, kwargs: dict, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        export_map(engine, "town", **kwargs)


def test_file_names_and_formats(engine: Engine) -> None:
    view = map_view(engine, "grid", area="南通家纺城")
    assert file_name(view, "png", "a4") == "通州区_南通家纺城_网格_企业数_a4.png"
    assert format_for_path("报告附图.PDF") == "pdf"
    with pytest.raises(ExportError, match="无法从文件名"):
        format_for_path("地图.docx")


# --------------------------------------------------------------------------- CLI


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True,
                          check=False, cwd=Path(__file__).resolve().parents[1])


def test_cli_export_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "镇街.png"
    code = main(["export", str(DEMO_DIR), "--level", "park", "--metric", "trademarks", "--size", "a4",
                 "--out", str(out)])
    assert code == 0
    assert "已导出" in capsys.readouterr().out
    image = Image.open(out)
    assert image.format == "PNG" and tuple(round(d) for d in image.info["dpi"]) == (300, 300)
    assert image.size == (2480, 3507)


def test_cli_export_html_by_suffix(tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    assert main(["export", str(DEMO_DIR), "--level", "district", "--out", str(out)]) == 0
    assert external_urls(out.read_text(encoding="utf-8")) == []


def test_cli_user_error_is_one_chinese_line_without_traceback(tmp_path: Path) -> None:
    result = run_cli("export", str(DEMO_DIR), "--area", "桃花岛", "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert result.stderr.startswith("错误：找不到名为「桃花岛」") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "x.docx"], "无法从文件名"),
    (["--format", "pdf", "--out", "x.png"], "扩展名与格式 pdf 不符"),
    (["--out", "/nonexistent-dir/x.png"], "文件夹 /nonexistent-dir 不存在"),
    (["--scheme", "jenks", "--out", "x.png"], "分级方法"),
], ids=["unknown-suffix", "suffix-mismatch", "unwritable", "bad-scheme"])
def test_cli_export_user_errors_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                         message: str) -> None:
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    assert main(["export", str(DEMO_DIR), *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_export_bad_k_is_refused_by_the_parser(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the range is checked where the option is read, as every numeric option of the CLI
    with pytest.raises(SystemExit) as exc:
        main(["export", str(DEMO_DIR), "--k", "12", "--out", str(tmp_path / "x.png")])
    assert exc.value.code == 2 and "分级数应为 1–7 之间的整数" in capsys.readouterr().err


def test_cli_park_level_without_parks_exits_two(xss_folder: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(xss_folder), "--level", "park", "--out", str(tmp_path / "p.png")]) == 2
    assert "没有园区图层" in capsys.readouterr().err


def test_cli_atlas_errors_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["atlas", str(tmp_path / "nope"), "--out", str(tmp_path / "a.pdf")]) == 2
    assert main(["atlas", str(DEMO_DIR), "--out", str(tmp_path / "a.png")]) == 2
    assert "请用 .pdf 结尾" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["atlas", str(DEMO_DIR), "--level", "district", "--out", str(tmp_path / "a.pdf")])
    assert exc.value.code == 2


def test_cli_atlas_small_folder(xss_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "atlas.pdf"
    assert main(["atlas", str(xss_folder), "--level", "town", "--out", str(out)]) == 0
    assert "共 4 页" in capsys.readouterr().out
    assert pdf_pages(out) == 4


# --------------------------------------------------------------------------- app


def test_app_button_offers_every_format() -> None:
    from streamlit.testing.v1 import AppTest

    script = (
        "from dashboard.engine import Engine\n"
        "from dashboard.exports.app import app_button\n"
        "from geodata import DEMO_DIR\n"
        "from loaders import load_folder\n"
        "app_button(Engine(load_folder(DEMO_DIR)), 'grid', area='南通家纺城', metric='trademarks', key='g')\n"
        "app_button(Engine(load_folder(DEMO_DIR)), 'town', area='桃花岛', key='bad')\n"
    )
    at = AppTest.from_string(script, default_timeout=60).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["下载 PNG", "下载 PDF", "下载 SVG", "下载 HTML"]
    assert at.selectbox(key="g-size").value == "a4-landscape"
    assert any("找不到名为「桃花岛」" in c.value for c in at.caption)


def test_app_cache_renders_once(engine: Engine) -> None:
    calls = []

    def make() -> bytes:
        calls.append(1)
        return b"x"

    assert engine.memo(("k",), make, volatile=True) == engine.memo(("k",), make, volatile=True) == b"x"
    assert calls == [1]


def test_stats_unchanged_by_exports(engine: Engine) -> None:
    before = engine.stats("town").copy()
    export_map(engine, "town", area="川姜镇", fmt="html")
    pd.testing.assert_frame_equal(before, engine.stats("town"))
