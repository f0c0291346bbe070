"""Fuzzing the table and vector readers: whatever a clerk's file holds, ipgrid answers and loses no row.

The property, for any generated file: ``load_folder`` either returns the layer with its problems — and every data
row is either imported or named (by its spreadsheet row or feature number) in an error — or raises exactly one
``IpgridError``.  Never another exception, never a row that vanished without a word.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import hypothesis.strategies as st
import openpyxl
import pandas as pd
import shapely
from hypothesis import HealthCheck, given, settings

import loaders
from tests.bad_inputs import FIRM_HEADER, FIRM_POINTS, firm_rows, write_towns
from tests.fixture_files import METRIC, to_lonlat, write_xlsx

HEADERS = {
    "name": ["企业名称", "单位名称", "名称", "企业名称 "],
    "uscc": ["统一社会信用代码", "信用代码", "社会信用代码"],
    "lon": ["经度", "lng", "经度（°）"],
    "lat": ["纬度", "lat", "纬度（°）"],
    "invention_patents": ["有效发明专利（件）", "发明专利", "有效发明专利"],
    "industry": ["主导产业", "行业"],
}
INSIDE = [to_lonlat(x, y) for x, y in FIRM_POINTS]
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
"""Text a spreadsheet can hold (no control characters: openpyxl refuses to write them)."""

cell = st.one_of(
    st.none(), TEXT, st.integers(-10, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.sampled_from(["=1+1", "#N/A", "—", "  ", "120.9", "32,1", "北纬32度"]),
)
coordinate = st.one_of(st.sampled_from(INSIDE), st.tuples(cell, cell),
                       st.tuples(st.floats(100, 140), st.floats(20, 45)))


@st.composite
def firm_sheets(draw: st.DrawFn) -> tuple[list[list[object]], list[list[object]], int]:
    """(title rows, header + data rows, number of data rows)."""
    title = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20)
    titles = [[draw(title)] for _ in range(draw(st.integers(0, 3)))]
    keys = draw(st.permutations(list(HEADERS)))
    keep = keys[: draw(st.integers(1, len(keys)))]
    header: list[object] = [draw(st.sampled_from(HEADERS[k])) for k in keep]
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        lon, lat = draw(coordinate)
        values = {"lon": lon, "lat": lat}
        rows.append([values.get(k, draw(cell)) for k in keep])
    return titles, [header, *rows], len(rows)


def write_table(path: Path, titles: list[list[object]], body: list[list[object]]) -> None:
    if path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        for row in [*titles, *body]:
            ws.append([v if not (isinstance(v, float) and not math.isfinite(v)) else str(v) for v in row])
        wb.save(path)
    else:
        frame = pd.DataFrame([*titles, *body])
        frame.to_csv(path, index=False, header=False, encoding=path.suffix.split("-")[-1] if "-" in path.suffix
                     else "utf-8")


def assert_answered(folder: Path, layer: str, data_rows: int) -> None:
    """The property: one IpgridError, or the layer with every row imported or reported."""
    try:
        bundle = loaders.load_folder(folder)
    except loaders.IpgridError as exc:
        assert str(exc).strip(), "an IpgridError must carry a message"
        return
    loaded = bundle.layers.get(layer)
    assert loaded is not None or bundle.problems.count(layer=layer, severity="error") > 0
    if loaded is None:
        return
    imported = set(pd.to_numeric(loaded.frame["source_row"]).astype(int)) if len(loaded.frame) else set()
    reported = {p.row for p in bundle.problems if p.layer == layer and p.row is not None}
    file_level = [p for p in bundle.problems if p.layer == layer and p.row is None and p.severity == "error"]
    assert loaded.rows >= len(imported)
    if file_level:  # the whole layer was refused, and said so
        return
    missing = loaded.rows - len(imported)
    assert missing <= len(reported), (loaded.rows, imported, reported)
    assert loaded.rows == data_rows or data_rows == 0 or loaded.rows <= data_rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet=firm_sheets(), suffix=st.sampled_from([".xlsx", ".csv", ".csv-gbk"]))
def test_any_enterprise_table_is_answered_without_losing_a_row(sheet: tuple, suffix: str) -> None:
    titles, body, n = sheet
    folder = Path(tempfile.mkdtemp(prefix="ipgrid-fuzz-"))
    try:
        write_towns(folder)
        name = "企业.xlsx" if suffix == ".xlsx" else "企业.csv"
        path = folder / name
        if suffix == ".csv-gbk":
            frame = pd.DataFrame([*titles, *body])
            try:
                frame.to_csv(path, index=False, header=False, encoding="gbk")
            except UnicodeEncodeError:
                frame.to_csv(path, index=False, header=False, encoding="utf-8")
        else:
            write_table(path, titles, body)
        assert_answered(folder, "enterprises", n)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


geometry = st.one_of(
    st.none(),
    st.just(shapely.Polygon()),
    st.builds(lambda x, y, w: shapely.box(498_000 + x, 3_549_000 + y, 498_000 + x + w, 3_549_000 + y + w),
              st.floats(-5000, 5000), st.floats(-5000, 5000), st.floats(1, 3000)),
    st.builds(lambda x, y: shapely.Point(498_000 + x, 3_549_000 + y), st.floats(-5000, 5000), st.floats(-5000, 5000)),
    st.builds(lambda x: shapely.LineString([(498_000, 3_549_000), (498_000 + x, 3_549_000 + x)]),
              st.floats(1, 100)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(geoms=st.lists(geometry, min_size=0, max_size=6), names=st.lists(st.one_of(st.none(), TEXT),
                                                                       min_size=6, max_size=6),
       suffix=st.sampled_from([".gpkg", ".geojson"]))
def test_any_towns_file_is_answered_without_losing_a_feature(geoms: list, names: list, suffix: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ipgrid-fuzz-"))
    try:
        towns = gpd.GeoDataFrame({"名称": names[: len(geoms)]}, geometry=list(geoms), crs=METRIC)
        if len(towns):
            try:
                towns.to_file(folder / f"镇街{suffix}", engine="pyogrio")
            except Exception:  # noqa: BLE001 - the writer refused the fuzzed frame: nothing to read
                return
        else:
            (folder / f"镇街{suffix}").write_bytes(b"")
        write_xlsx(folder / "企业.xlsx", FIRM_HEADER, firm_rows())
        assert_answered(folder, "towns", len(geoms))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
