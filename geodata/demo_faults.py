"""Faults planted on purpose in the demo's enterprise sheet, as a real quarter's sheet has them.

A demo without a single fault would hide half of what the product does for a
data clerk: the 数据 page, the problems report, the 未定位 and 区外 rows.  The
rows are fixed (not random), so tests can check that exactly these are found.
Every fault is a warning: ``ipgrid validate geodata/demo`` still exits 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders.uscc import ALPHABET

HEADER_ROW = 3
"""Excel row of the enterprise sheet's header (two title rows above it)."""

NO_COORDINATES = (21, 734, 1890)
"""Positions (0-based data rows) whose coordinates are left empty: 未定位."""
SWAPPED = (58,)
"""Positions whose longitude and latitude are written the wrong way round."""
BAD_CHECK_DIGIT = (412, 1533)
"""Positions whose credit code gets a wrong check digit (both have a code)."""
OUTSIDE = (2718,)
"""Positions moved a few kilometres outside the district: 区外."""
DUPLICATE_OF = 100
"""Position copied again at the end of the sheet (same credit code): a duplicate."""

OUTSIDE_LONLAT = (120.80, 31.93)
"""A point south-west of the district's edge (in 崇川区 territory, outside every demo town)."""



def excel_row(position: int) -> int:
    """Excel row number of a 0-based data position."""
    return position + HEADER_ROW + 1


def plant_faults(table: pd.DataFrame) -> pd.DataFrame:
    """The enterprise table with the faults above (a copy; the duplicate appended last)."""
    out = table.copy()
    lon, lat = _position(out, "经度"), _position(out, "纬度")
    for pos in NO_COORDINATES:
        out.iat[pos, lon] = np.nan
        out.iat[pos, lat] = np.nan
    for pos in SWAPPED:
        # pandas-stubs: what .iat returns (any scalar) is wider than what it accepts.
        out.iat[pos, lon], out.iat[pos, lat] = out.iat[pos, lat], out.iat[pos, lon]  # type: ignore[assignment]
    code = _position(out, "统一社会信用代码")
    for pos in BAD_CHECK_DIGIT:
        given = out.iat[pos, code]
        if not isinstance(given, str):
            msg = f"demo row {pos} has no credit code to spoil; pick another position"
            raise ValueError(msg)
        wrong = ALPHABET[(ALPHABET.index(given[-1]) + 1) % len(ALPHABET)]
        out.iat[pos, code] = given[:-1] + wrong
    for pos in OUTSIDE:
        out.iat[pos, lon], out.iat[pos, lat] = OUTSIDE_LONLAT
    duplicate = out.iloc[[DUPLICATE_OF]].copy()
    if "序号" in duplicate:
        duplicate["序号"] = len(out) + 1
    return pd.concat([out, duplicate], ignore_index=True)


def _position(table: pd.DataFrame, column: str) -> int:
    """0-based position of a column the demo sheet has once."""
    loc = table.columns.get_loc(column)
    if not isinstance(loc, int):
        msg = f"demo sheet has column {column!r} more than once"
        raise ValueError(msg)
    return loc


def expected_problems(n_rows: int) -> dict[str, list[int]]:
    """Problem code → Excel rows the loaders must report for the planted faults.

    ``n_rows`` is the number of data rows before the duplicate was appended.
    """
    return {
        "no_coordinates": sorted(excel_row(p) for p in NO_COORDINATES),
        "swapped_lonlat": [excel_row(p) for p in SWAPPED],
        "bad_uscc": sorted(excel_row(p) for p in BAD_CHECK_DIGIT),
        "outside_towns": [excel_row(p) for p in OUTSIDE],
        "duplicate_uscc": [excel_row(n_rows)],
    }
