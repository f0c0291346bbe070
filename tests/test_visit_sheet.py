"""The weekly visit sheet: a store's visits on the commissioners' firm lists, in the order of a week's work.

One hand-made district (``store_helpers.write_grid_folder`` with six firms and
contacts) imported into a GeoPackage store, with visits recorded for
2026-01-15.  The oracle, worked by hand from the rules of
:mod:`dashboard.engine.visits` (overdue: follow-up before today; due: within
7 days):

=============  ====  ======  ==========  ==================  ===================  ==========
firm           cell  IP      last visit  needs               follow-up            bucket
=============  ====  ======  ==========  ==================  ===================  ==========
甲一           G1    yes     2025-12-01  专利申请、质押融资  2026-01-05 逾期      1 overdue
乙一           G2    yes     2026-01-10  商标注册            2026-01-19 到期      2 due
甲二           G1    no      从未                                                 3 培育, never
利$\\foo{$达   G1    yes     从未                                                 4 never
丙一           G3    yes     2025-09-01  维权                                     4 (older)
丙三           G3    yes     2025-11-20                      2026-03-01 (open)    4 (newer)
丙二           G4    no      2026-01-12  其他                                     李四's only firm
=============  ====  ======  ==========  ==================  ===================  ==========

张三 (G1–G3): 回访逾期 1 家、本周到期 1 家、从未走访 2 家.  The firm named
``利$\\foo{$达`` would stop matplotlib (math text with an unknown command)
were data text interpreted: it must come out letter for letter.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixture_files import to_lonlat, write_csv
from matplotlib.backends.backend_pdf import PdfPages
from PIL import Image
from store_helpers import import_folder, ok, store_env, write_grid_folder  # noqa: F401 - store_env is autouse

from dashboard.engine import Engine
from dashboard.engine.changes import firm_keys
from dashboard.engine.visits import FirmVisits, firm_visits
from dashboard.exports import ExportError
from dashboard.exports.atlas import plan_atlas
from dashboard.exports.pages import PAGE_SIZES
from dashboard.exports.static_map import new_figure
from dashboard.exports.visits import FIRM_COLUMNS, NOTES_LABEL, WEEKLY_COLUMNS, visit_sheet_pdf, work_order
from dashboard.store import Store
from dashboard.store.visits import VisitRecord, Visits
from loaders import load_folder

TODAY = dt.date(2026, 1, 15)
MATH_NAME = r"利$\foo{$达"
"""A firm name matplotlib would read as (broken) math text if data text were interpreted."""

FIRMS = [  # name, x, y (metres from the fixture's origin), inventions, trademarks, contact, phone
    ("甲一", 500, 500, 1, 0, "王甲", "13800000001"),
    ("甲二", 1500, 1500, 0, 0, "李乙", "0513-86000002"),
    (MATH_NAME, 800, 1200, 1, 0, "赵丙", "13800000003"),
    ("乙一", 3000, 500, 2, 0, "钱丁", "13800000004"),
    ("丙一", 1000, 3000, 0, 1, "孙戊", "13800000005"),
    ("丙三", 1500, 3500, 3, 0, "周己", "13800000006"),
    ("丙二", 3000, 3000, 0, 0, "吴庚", "13800000007"),
]

VISITS = [  # firm, commissioner, date, needs, follow-up
    ("甲一", "张三", "2025-12-01", ("专利申请", "质押融资"), "2026-01-05"),
    ("乙一", "张三", "2026-01-10", ("商标注册",), "2026-01-19"),
    ("丙一", "张三", "2025-09-01", ("维权",), ""),
    ("丙三", "张三", "2025-11-20", (), "2026-03-01"),
    ("丙二", "李四", "2026-01-12", ("其他",), ""),
]

ZHANG_ORDER = ["甲一", "乙一", "甲二", MATH_NAME, "丙一", "丙三"]
"""张三's firms in the order of a week's work (see the module docstring)."""


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: apt-get install poppler-utils")  # scripts/test.sh installs it: no skip
    return path


def layout_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    """``pdftotext -layout`` of ``pdf`` (pages ``first``–``last``): a table row stays on one line."""
    cmd = [_need("pdftotext"), "-layout", "-enc", "UTF-8"]
    if first:
        cmd += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*cmd, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def page_count(pdf: Path) -> int:
    out = subprocess.run([_need("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", out, re.M)
    assert match, out
    return int(match.group(1))


def line_of(text: str, name: str) -> str:
    """The one line of ``text`` naming firm ``name`` (a row of the firm list)."""
    lines = [line for line in text.splitlines() if name in line]
    assert len(lines) == 1, (name, lines)
    return lines[0]


def write_folder(root: Path) -> Path:
    """``write_grid_folder`` (张三 G1–G3, 李四 G4) with the firms of :data:`FIRMS`, their contacts and phones."""
    folder = write_grid_folder(root, commissioners=("张三", "张三", "张三", "李四"))
    rows: list[list[object]] = [[name, *to_lonlat(x, y), inv, tm, who, phone]
                                for name, x, y, inv, tm, who, phone in FIRMS]
    write_csv(folder / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利", "有效注册商标", "联系人", "联系电话"],
              rows, "utf-8-sig")
    return folder


@dataclass(frozen=True)
class District:
    """The fixture: its folder, its store, the store's engine and the firms' visits for :data:`TODAY`."""

    folder: Path
    store: str
    engine: Engine
    visits: FirmVisits


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    root = tmp_path_factory.mktemp("visit-sheet")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPGRID_STORE_BACKUPS", "0")
        patch.setenv("IPGRID_BACKUP_DIR", str(root / "backups"))
        folder = write_folder(root / "data")
        location = str(root / "store" / "ipgrid.gpkg")
        import_folder(location, folder, "2025-12-31")
        store = Store(location)
        engine = Engine(store.open_bundle(None))
        table = engine.firm_table()
        keys = dict(zip(table["name"], firm_keys(table), strict=True))
        Visits(store).add_many([VisitRecord(firm_key=keys[firm], firm_name=firm, commissioner=who, visit_date=day,
                                            needs=needs, follow_up=follow)
                                for firm, who, day, needs, follow in VISITS], by="test", today=TODAY)
        seen = firm_visits(engine, Visits(store).current(), TODAY)
        yield District(folder, location, engine, seen)


@pytest.fixture(scope="module")
def zhang_pdf(district: District, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zhang") / "张三_本周走访清单.pdf"
    path.write_bytes(visit_sheet_pdf(district.engine, "张三", district.visits, today=TODAY))
    return path


# --------------------------------------------------------------------------- the weekly sheet


def test_weekly_columns_fill_the_width_of_a4_landscape() -> None:
    page = PAGE_SIZES["a4-landscape"]
    width = page.width_mm - 2 * page.margin_mm
    assert sum(c.width_mm for c in WEEKLY_COLUMNS) == pytest.approx(width) == sum(c.width_mm for c in FIRM_COLUMNS)
    assert WEEKLY_COLUMNS[-1].label == NOTES_LABEL
    assert WEEKLY_COLUMNS[-1].width_mm == max(c.width_mm for c in WEEKLY_COLUMNS)  # the widest: room to write


@pytest.mark.parametrize(("firm", "last", "needs", "follow"), [
    ("甲一", "2025-12-01", "专利申请、质押融资", "2026-01-05 逾期"),
    ("乙一", "2026-01-10", "商标注册", "2026-01-19 到期"),
    ("甲二", "从未", None, None),
    ("丙一", "2025-09-01", "维权", None),
    ("丙三", "2025-11-20", None, "2026-03-01"),
])
def test_sheet_shows_each_firms_last_visit_needs_and_follow_up(zhang_pdf: Path, firm: str, last: str,
                                                               needs: str | None, follow: str | None) -> None:
    row = line_of(layout_text(zhang_pdf, 2), firm)
    assert last in row
    if needs:
        assert needs in row
    if follow:
        assert follow in row
    else:
        assert "2026-" not in row
    if firm != "甲一":
        assert "逾期" not in row


def test_sheet_lists_the_week_s_work_in_order(zhang_pdf: Path) -> None:
    text = layout_text(zhang_pdf, 2)
    rows = text.splitlines()
    at = [next(i for i, line in enumerate(rows) if name in line) for name in ZHANG_ORDER]
    assert at == sorted(at), [rows[i] for i in at]
    numbers = [int(line_of(text, name).split()[0]) for name in ZHANG_ORDER]
    assert numbers == list(range(1, len(ZHANG_ORDER) + 1))


def test_first_page_gives_the_day_and_the_counts(zhang_pdf: Path) -> None:
    first = layout_text(zhang_pdf, 1)
    assert "网格专员本周走访清单 · 张三" in first
    assert "清单日期 2026-01-15（星期四）" in first
    assert re.search(r"回访逾期 1 家\s*本周到期 1 家\s*从未走访 2 家", first), first
    assert "企业 6 家，其中无知识产权 1 家" in first


def test_table_has_the_visit_columns_and_the_blank_notes_column(zhang_pdf: Path) -> None:
    text = layout_text(zhang_pdf, 2)
    header = next(line for line in text.splitlines() if "企业名称" in line)
    for label in ("上次走访", "需求", "回访", NOTES_LABEL, "联系电话"):
        assert label in header
    assert header.rstrip().endswith(NOTES_LABEL)  # the last column, nothing written in it
    assert "0513-86000002" in line_of(text, "甲二")  # a landline fits uncut
    assert "最近服务站点" not in header and "距离" not in header


def test_data_text_is_drawn_not_interpreted(zhang_pdf: Path) -> None:
    assert MATH_NAME in layout_text(zhang_pdf, 2)


def test_visit_sheet_pdf_lists_only_that_commissioner_s_firms(district: District, zhang_pdf: Path,
                                                             tmp_path: Path) -> None:
    li = tmp_path / "li.pdf"
    li.write_bytes(visit_sheet_pdf(district.engine, "李四", district.visits, today=TODAY))
    li_text, zhang_text = layout_text(li), layout_text(zhang_pdf)
    assert "丙二" in li_text and "2026-01-12" in line_of(li_text, "丙二")
    assert not [name for name in ZHANG_ORDER if name in li_text]
    assert all(name in zhang_text for name in ZHANG_ORDER) and "丙二" not in zhang_text
    assert page_count(li) == page_count(zhang_pdf) == 2  # the map page and one page of firms
    assert re.search(r"回访逾期 0 家\s*本周到期 0 家\s*从未走访 0 家", li_text), li_text


def test_visit_sheet_pdf_refuses_an_unknown_commissioner_and_another_day(district: District) -> None:
    with pytest.raises(ExportError, match="没有网格专员「王五」负责的网格"):
        visit_sheet_pdf(district.engine, "王五", district.visits, today=TODAY)
    with pytest.raises(ExportError, match="走访统计日 2026-01-15 与清单日期 2026-01-16 不一致"):
        visit_sheet_pdf(district.engine, "张三", district.visits, today=TODAY + dt.timedelta(days=1))


def test_first_table_page_has_a_blank_ruled_notes_column(zhang_pdf: Path) -> None:
    """The PNG of the first table page (kept beside the PDF, to look at): no text in 记录, only writing lines."""
    png = zhang_pdf.with_name("张三_企业名单_1")
    subprocess.run([_need("pdftoppm"), "-png", "-r", "110", "-f", "2", "-l", "2", "-singlefile", str(zhang_pdf),
                    str(png)], check=True)
    image = np.asarray(Image.open(png.with_suffix(".png")).convert("L"))
    page = PAGE_SIZES["a4-landscape"]
    assert image.shape[1] > image.shape[0]  # landscape
    px = image.shape[1] / page.width_mm
    notes_left = page.width_mm - page.margin_mm - WEEKLY_COLUMNS[-1].width_mm
    notes = image[int(40 * px):int(60 * px), int((notes_left + 3) * px):int((page.width_mm - page.margin_mm - 3) * px)]
    dark = (notes < 100).sum(axis=1)
    assert dark.max() == 0  # no text in the notes column: only light rules and fills
    assert (notes.min(axis=1) < 200).sum() >= 3  # the writing lines


def test_work_order_without_follow_ups_puts_cultivation_targets_first() -> None:
    firms = pd.DataFrame({
        "name": ["a", "b", "c", "d", "e"], "has_ip": [True, False, True, False, True], "_cell": [0, 1, 0, 0, 1],
        "last_visit": ["2025-06-01", "", "", "2025-12-01", "2025-03-01"], "last_needs": [""] * 5,
        "follow_up": [""] * 5, "follow_up_status": [""] * 5})
    assert work_order(firms)["name"].tolist() == ["b", "c", "e", "a", "d"]


# --------------------------------------------------------------------------- the atlas


def test_store_atlas_ends_with_the_weekly_sheets(district: District, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPGRID_TODAY", TODAY.isoformat())  # the store records no day of its own
    out = tmp_path / "grid-atlas.pdf"
    printed = ok("atlas", district.store, "--as-of", "2025-12-31", "--level", "grid", "--out", out)
    assert "专员本周走访清单（2026-01-15） 2 人（4 页）" in printed
    text = layout_text(out)
    assert "网格专员本周走访清单（2026-01-15）（2 人）" in text  # the contents on the cover
    assert "2026-01-05 逾期" in line_of(text, "甲一")


def test_folder_atlas_keeps_the_sheets_without_visits(district: District, tmp_path: Path) -> None:
    engine = Engine(load_folder(district.folder))
    pages, _ = plan_atlas(engine, "grid")
    sheet = [p for p in pages if p.kind.startswith("visit") and p.title.startswith("张三")]
    assert [p.title for p in sheet] == ["张三 走访清单", "张三 企业名单 1/1"]
    path = tmp_path / "folder-sheet.pdf"
    with PdfPages(path) as pdf:
        for n, spec in enumerate(sheet, start=1):
            fig, renderer = new_figure(spec.size, 100)
            spec.draw(fig, renderer, spec.size, f"第 {n} 页")
            pdf.savefig(fig)
    first, table = layout_text(path, 1), layout_text(path, 2)
    assert "网格专员走访清单 · 张三" in first and "清单日期" not in first and "回访逾期" not in first
    header = next(line for line in table.splitlines() if "企业名称" in line)
    assert "最近服务站点" in header and "距离" in header and "上次走访" not in header and NOTES_LABEL not in header
    names = [line.split()[2] for line in table.splitlines() if re.match(r"\s*\d+\s+G\d", line)]
    assert names == ["甲二", MATH_NAME, "甲一", "乙一", "丙一", "丙三"]  # by cell, no IP first, then name (利 < 甲)
    assert "无（培育）" in line_of(table, "甲二")
