"""Which commissioners look after which cell, as a version says it and as the store's history says it.

A version's own assignment is what its files said (the grid layer's
commissioner column and the commissioners layer's 负责网格, joined by
:func:`dashboard.engine.grids.join_commissioners`).  The store also keeps
every change made since (``ipgrid assign``, the admin's page), each valid
from a date; opening a version applies the ones in force at its date.
"""

from __future__ import annotations

import pandas as pd

from dashboard.engine.catalog import text_of
from dashboard.engine.grids import CommissionerReport
from loaders.bundle import DataBundle


def cell_assignments(cells: pd.DataFrame, report: CommissionerReport) -> dict[str, list[str]]:
    """Cell id → its commissioners (in the order the files name them; empty for nobody), for every cell."""
    out: dict[str, list[str]] = {str(g): [] for g in cells["grid_id"].astype(str)}
    for who, gid in zip(report.assignments["commissioner"], report.assignments["grid_id"], strict=True):
        names = out.setdefault(str(gid), [])
        if text_of(who) and text_of(who) not in names:
            names.append(text_of(who))
    return out


def apply_assignments(bundle: DataBundle, history: dict[str, list[str]]) -> bool:
    """Make the bundle's commissioner layers say ``history`` for the cells it names; whether anything changed.

    Cells the history does not name keep the version's own commissioners.
    The grid layer's commissioner column is cleared and the commissioners
    layer lists every cell of each person, so the engine's join gives
    exactly the assignments in force; phones and areas are kept.
    """
    from dashboard.engine import Engine

    engine = Engine(bundle)
    cells = engine.cells
    report = engine.commissioners
    own = cell_assignments(cells, report)
    merged = dict(own)
    merged.update({gid: names for gid, names in history.items() if gid in own})
    if merged == own:
        return False
    directory = engine.commissioner_directory()
    people = bundle.frame("commissioners")
    areas: dict[str, str] = {}
    if people is not None and "area" in people:
        for name, area in zip(people["name"], people["area"], strict=True):
            areas.setdefault(text_of(name), text_of(area))
    order = list(directory)
    for names in merged.values():
        order += [n for n in names if n not in directory and n not in order]
    rows = []
    for name in dict.fromkeys(order):
        ids = [gid for gid, names in merged.items() if name in names]
        rows.append({"name": name, "phone": directory.get(name, "") or None, "area": areas.get(name) or None,
                     "grid_ids": "、".join(ids) or None, "source_row": 0})
    frame = pd.DataFrame(rows, columns=["name", "phone", "area", "grid_ids", "source_row"])
    layer = bundle.layers.get("commissioners")
    if layer is None:
        from loaders.bundle import Layer

        bundle.layers["commissioners"] = Layer(name="commissioners", frame=frame, file="（存储中的专员分配）",
                                               rows=len(frame), accepted=len(frame))
    else:
        layer.frame = frame
    grids = bundle.layers.get("grids")
    if grids is not None and "commissioner" in grids.frame:
        cleared = grids.frame.copy()
        cleared["commissioner"] = pd.Series([None] * len(cleared), dtype=object, index=cleared.index)
        if "phone" in cleared:
            cleared["phone"] = pd.Series([None] * len(cleared), dtype=object, index=cleared.index)
        grids.frame = cleared
    return True
