"""Figures of one area over a store's versions: the trend of each key metric, and the change since the last one.

Each version has its own engine (its own layers, placement and figures);
this module only lines their tables up by as-of date and by area id, so a
town renamed between quarters stays one line while its code is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.engine.catalog import LEVELS
from dashboard.engine.changes import VersionDiff, firm_keys
from dashboard.engine.core import Engine
from loaders.errors import ChoiceError


def area_history(engines: Sequence[tuple[str, Engine]], level: str, area_id: str | None,
                 metrics: Sequence[str]) -> pd.DataFrame:
    """One row per version (``as_of``, oldest first), one column per metric, for one area (``None``: the district).

    An area missing from a version (not yet drawn, or renamed with a new code)
    has NaN there.

    Raises
    ------
    loaders.errors.ChoiceError
        An unknown level.
    """
    if level not in LEVELS:
        msg = f"层级应为 {'、'.join(LEVELS)} 之一，而不是 {level!r}"
        raise ChoiceError(msg)
    rows = []
    for as_of, engine in engines:
        table = engine.stats(level)
        if area_id is not None:
            table = table[table["id"].astype(str) == str(area_id)] if "id" in table else table.iloc[0:0]
        values = {m: (float(table[m].iloc[0]) if len(table) and m in table and pd.notna(table[m].iloc[0]) else np.nan)
                  for m in metrics}
        rows.append({"as_of": as_of, **values})
    return pd.DataFrame(rows, columns=["as_of", *metrics])


def change_since_previous(history: pd.DataFrame) -> dict[str, float]:
    """Each metric's last value minus the one before it (NaN with fewer than two versions or a gap).

    >>> h = pd.DataFrame({"as_of": ["2025-09-30", "2025-12-31"], "enterprises": [10.0, 13.0]})
    >>> change_since_previous(h)
    {'enterprises': 3.0}
    """
    metrics = [c for c in history.columns if c != "as_of"]
    if len(history) < 2:
        return dict.fromkeys(metrics, float("nan"))
    last, before = history.iloc[-1], history.iloc[-2]
    return {m: float(last[m]) - float(before[m]) for m in metrics}


@dataclass(frozen=True)
class CellsChange:
    """What changed in a set of grid cells (a commissioner's) from one version to the next."""

    enterprises: int
    """Firms in the cells now minus then."""
    with_ip: int
    """Firms with IP in the cells now minus then."""
    added: pd.DataFrame
    """Firms new to the district that lie in the cells now (the diff's ``added`` rows)."""
    first_ip: pd.DataFrame
    """培育成功: firms in the cells now that held no IP then and hold some now."""


def _in_cells(engine: Engine, ids: set[str]) -> pd.DataFrame:
    table = engine.firm_table()
    return table[table["grid_id"].astype(str).isin(ids).to_numpy()]


def cells_change(old: Engine, new: Engine, ids: Sequence[str], diff: VersionDiff) -> CellsChange:
    """Change in cells ``ids`` (the same ids in both versions: cell ids derive from position) from ``old`` to ``new``.

    ``diff`` is :func:`dashboard.engine.changes.diff_engines` of the two engines
    (any level: its firm lists do not depend on it).
    """
    wanted = {str(i) for i in ids}
    now, then = _in_cells(new, wanted), _in_cells(old, wanted)
    mine = set(firm_keys(now).tolist())

    def here(frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) == 0:
            return frame
        return frame[firm_keys(frame).isin(mine).to_numpy()].reset_index(drop=True)

    def with_ip(frame: pd.DataFrame) -> int:
        return int(frame["has_ip"].fillna(False).to_numpy(dtype=bool).sum())

    return CellsChange(enterprises=len(now) - len(then), with_ip=with_ip(now) - with_ip(then),
                       added=here(diff.added), first_ip=here(diff.first_ip))
