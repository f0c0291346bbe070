"""The demo's four quarters: loadable folders, the last one the bundled demo, realistic change between them.

Change is counted here by credit code with plain pandas, independently of the
product's own diff code and of the quarter writer's bookkeeping.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from geodata import demo_faults as faults
from geodata.demo_quarters import QUARTERS, read_sheet, write_quarters
from geodata.generate_demo import DEFAULT_OUT, DEFAULT_SEED, _write_xlsx
from loaders import load_folder

FILES = {"镇街.gpkg", "园区.geojson", "网格.gpkg", "专员.xlsx", "企业.xlsx", "服务站点.csv", "地理标志.geojson",
         "指标.csv", "ipgrid.toml", "README.md"}
DATES = ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
HOLDINGS = ["有效发明专利", "实用新型", "外观设计", "高价值发明专利", "PCT专利", "有效注册商标",
            "作品著作权", "软件著作权"]
PLANTED = sorted(set(faults.NO_COORDINATES + faults.SWAPPED + faults.BAD_CHECK_DIGIT + faults.OUTSIDE
                     + (faults.DUPLICATE_OF,)))
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
PAIRS = list(zip(DATES[:-1], DATES[1:], strict=True))

# Change per pair of consecutive quarters (~3,000 firms), both ends inclusive.
ADDED = (40, 80)
REMOVED = (10, 25)
FIRST_IP = (20, 40)
MOVED = (5, 15)
RENAMED = (1, 10)
FEWER = (5, 20)
"""Firms holding fewer of some right a quarter later (a lapse): 10, 12 and 9 in the three pairs of the default seed."""


def _uscc_valid(code: str) -> bool:
    """Independent GB 32100-2015 check (not the generator's function)."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def _read_sheet(folder: Path) -> pd.DataFrame:
    return pd.read_excel(folder / "企业.xlsx", sheet_name="名录", header=2, engine="calamine",
                         dtype={"统一社会信用代码": str, "联系电话": str})


def _by_code(sheet: pd.DataFrame) -> pd.DataFrame:
    """Firms with a credit code, one row each (the planted duplicate dropped), indexed by the code."""
    coded = sheet.dropna(subset=["统一社会信用代码"])
    return coded.drop_duplicates("统一社会信用代码").set_index("统一社会信用代码")


def _cells(folder: Path) -> dict[str, str]:
    """Cell id → commissioner, as 专员.xlsx lists them."""
    roster = pd.read_excel(folder / "专员.xlsx", engine="calamine")
    return {cell: name for name, cells in zip(roster["姓名"], roster["负责网格"], strict=True)
            if isinstance(cells, str) for cell in cells.split("、")}


def _xlsx_values(path: Path) -> list[list[list[object]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [[list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets]
    finally:
        wb.close()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    return write_quarters(tmp_path_factory.mktemp("quarters"))


@pytest.fixture(scope="module")
def folders(written: list[tuple[str, Path]]) -> dict[str, Path]:
    return dict(written)


@pytest.fixture(scope="module")
def sheets(folders: dict[str, Path]) -> dict[str, pd.DataFrame]:
    return {date: _read_sheet(folder) for date, folder in folders.items()}


@pytest.fixture(scope="module")
def firms(sheets: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {date: _by_code(sheet) for date, sheet in sheets.items()}


def test_four_folders_in_date_order(written: list[tuple[str, Path]], tmp_path_factory: pytest.TempPathFactory
                                    ) -> None:
    assert [date for date, _ in written] == DATES == list(QUARTERS)
    for date, folder in written:
        assert folder.name == date
        assert {p.name for p in folder.iterdir()} == FILES


def test_last_quarter_is_the_bundled_demo(folders: dict[str, Path]) -> None:
    for name in sorted(FILES):
        assert (folders["2025-12-31"] / name).read_bytes() == (DEFAULT_OUT / name).read_bytes(), name


def test_each_quarter_loads_with_its_date_and_only_the_planted_problems(
        folders: dict[str, Path], sheets: dict[str, pd.DataFrame]) -> None:
    for date, folder in folders.items():
        conf = tomllib.loads((folder / "ipgrid.toml").read_text(encoding="utf-8"))
        assert conf["district"]["data_date"] == date
        assert conf["district"]["demo"] is True
        bundle = load_folder(folder)
        assert bundle.config.district.data_date == date
        found: dict[str, list[int]] = {}
        for problem in bundle.problems:
            found.setdefault(problem.code, []).append(problem.row)
        n_rows = len(sheets[date]) - 1  # the planted duplicate is the last row
        assert found == faults.expected_problems(n_rows), date
        assert not bundle.problems.has_errors()
        assert bundle.layers["enterprises"].accepted == n_rows
        readme = (folder / "README.md").read_text(encoding="utf-8")
        assert "示例数据" in readme and f"第 {faults.excel_row(n_rows)} 行与前面某行重复" in readme


def test_sheet_keeps_the_demo_layout_with_its_own_date(folders: dict[str, Path]) -> None:
    for date, folder in folders.items():
        wb = openpyxl.load_workbook(folder / "企业.xlsx")
        ws = wb["名录"]
        assert wb.sheetnames == ["名录"] and "示例数据" in ws["A1"].value
        assert [str(r) for r in ws.merged_cells.ranges] == ["A1:T1"]
        assert ws["A2"].value.startswith("填报单位") and ws["A2"].value.endswith(f"数据截至：{date}")
        assert ws.freeze_panes == "C4"


def test_reading_and_writing_the_sheet_again_gives_the_demo_bytes(tmp_path: Path) -> None:
    # Earlier quarters are written from read_sheet's frame: it must lose nothing the generator wrote.
    _write_xlsx(read_sheet(DEFAULT_OUT / "企业.xlsx"), tmp_path / "企业.xlsx")
    assert (tmp_path / "企业.xlsx").read_bytes() == (DEFAULT_OUT / "企业.xlsx").read_bytes()


def test_planted_fault_rows_are_identical_in_every_quarter(sheets: dict[str, pd.DataFrame]) -> None:
    last = sheets["2025-12-31"]
    for date, sheet in sheets.items():
        pd.testing.assert_frame_equal(sheet.iloc[PLANTED].reset_index(drop=True),
                                      last.iloc[PLANTED].reset_index(drop=True), obj=date)
        duplicate, original = sheet.iloc[-1].drop("序号"), last.iloc[-1].drop("序号")
        pd.testing.assert_series_equal(duplicate, original, check_names=False, obj=date)
        assert sheet["序号"].tolist() == list(range(1, len(sheet) + 1))


def test_every_firm_is_valid_and_in_its_declared_town(folders: dict[str, Path],
                                                      sheets: dict[str, pd.DataFrame]) -> None:
    towns = gpd.read_file(folders["2025-12-31"] / "镇街.gpkg")[["名称", "geometry"]]
    for date, sheet in sheets.items():
        clean = sheet.iloc[:-1].drop(index=PLANTED)
        assert 2800 <= len(clean) <= 3100, date
        assert clean["企业名称"].is_unique, date
        codes = clean["统一社会信用代码"].dropna()
        assert codes.is_unique and codes.map(_uscc_valid).all(), date
        points = gpd.GeoDataFrame(clean[["所属镇街"]], crs=4326,
                                  geometry=gpd.points_from_xy(clean["经度"], clean["纬度"])).to_crs(4549)
        joined = points.sjoin(towns, predicate="within", how="left")
        assert joined.index.is_unique and (joined["名称"] == joined["所属镇街"]).all(), date
        hold = clean[HOLDINGS]
        assert (hold >= 0).all().all() and (clean["高价值发明专利"] <= clean["有效发明专利"]).all()
        assert 0.3 <= (hold.sum(axis=1) == 0).mean() <= 0.5, date


def _in(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_change_between_consecutive_quarters(firms: dict[str, pd.DataFrame], before: str, after: str) -> None:
    early, late = firms[before], firms[after]
    added = late.index.difference(early.index)
    removed = early.index.difference(late.index)
    common = early.index.intersection(late.index)
    e, lt = early.loc[common], late.loc[common]
    e_total, l_total = e[HOLDINGS].sum(axis=1), lt[HOLDINGS].sum(axis=1)
    first_ip = common[(e_total == 0) & (l_total > 0)]
    moved = common[e["所属镇街"] != lt["所属镇街"]]
    renamed = common[e["企业名称"] != lt["企业名称"]]
    counts = {"added": len(added), "removed": len(removed), "first_ip": len(first_ip), "moved": len(moved),
              "renamed": len(renamed)}
    assert _in(len(added), ADDED), counts
    assert _in(len(removed), REMOVED), counts
    assert _in(len(first_ip), FIRST_IP), counts
    assert _in(len(moved), MOVED), counts
    assert _in(len(renamed), RENAMED), counts
    # A moved firm's address and coordinates changed too; a closed firm's code is a valid one.
    assert (e.loc[moved, "注册地址"] != lt.loc[moved, "注册地址"]).all()
    assert (e.loc[moved, "经度"] != lt.loc[moved, "经度"]).all()
    assert all(_uscc_valid(code) for code in removed)
    # Holdings grow: most firms hold no fewer of any right later, a few hold fewer (lapsed), the sum grows.
    grew = (e[HOLDINGS].to_numpy() <= lt[HOLDINGS].to_numpy()).all(axis=1)
    assert grew.mean() >= 0.95
    assert _in(int((~grew).sum()), FEWER), int((~grew).sum())
    assert (l_total > e_total).sum() >= 100
    assert late[HOLDINGS].to_numpy().sum() > early[HOLDINGS].to_numpy().sum()


def test_commissioners_change_and_agree_with_the_grid(folders: dict[str, Path]) -> None:
    assignments = {date: _cells(folder) for date, folder in folders.items()}
    differing = [(a, b) for a, b in PAIRS if assignments[a] != assignments[b]]
    assert differing, "no cell's commissioner differs between two quarters"
    for date, folder in folders.items():
        grid = gpd.read_file(folder / "网格.gpkg")
        own = dict(zip(grid["网格编号"], grid["网格专员"], strict=True))
        assert assignments[date] == {c: p for c, p in own.items() if isinstance(p, str)}, date
        assert 0.05 <= grid["网格专员"].isna().mean() <= 0.15


def _assert_same_folders(one: Path, two: Path) -> None:
    for date in DATES:
        for name in sorted(FILES):
            a, b = one / date / name, two / date / name
            if name.endswith(".xlsx"):
                assert _xlsx_values(a) == _xlsx_values(b), (date, name)
            elif name.endswith(".gpkg"):
                pd.testing.assert_frame_equal(gpd.read_file(a), gpd.read_file(b), obj=f"{date}/{name}")
            else:
                assert a.read_bytes() == b.read_bytes(), (date, name)


def test_deterministic_across_processes(written: list[tuple[str, Path]], tmp_path: Path) -> None:
    # The second run is the CLI in another process with another string hash seed.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-m", "geodata.demo_quarters", str(tmp_path)], env=env,
                          capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.splitlines() == [f"{date}\t{tmp_path / date}" for date in DATES]
    _assert_same_folders(written[0][1].parent, tmp_path)


def test_another_seed_gives_other_quarters(tmp_path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    folders = dict(write_quarters(tmp_path, seed=DEFAULT_SEED + 1))
    other = _read_sheet(folders["2025-03-31"])
    assert not other["企业名称"].equals(sheets["2025-03-31"]["企业名称"])
    assert not load_folder(folders["2025-03-31"]).problems.has_errors()
