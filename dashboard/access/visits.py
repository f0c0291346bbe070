"""Visits as one account may see them: the records of its firms, every area's visit figures, and who may record one.

The figures (:mod:`dashboard.engine.visits`) are worked out once per version,
visit log and day on the full engine and every visit (an area's share of
visited firms counts every firm, as its other figures do); what a scoped view
gets of the per-firm table and of the records is reduced to the firms it sees,
like everything else of firm level (:mod:`dashboard.access.scope`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from dashboard.access.roles import may
from dashboard.access.scope import Scope, ScopedEngine
from dashboard.engine import Engine
from dashboard.engine.changes import firm_keys
from dashboard.engine.visits import (
    FirmVisits,
    area_visit_table,
    commissioner_visit_table,
    firm_visits,
    reminders,
)


def _full(engine: Engine) -> Engine:
    return engine.full if isinstance(engine, ScopedEngine) else engine


def _key(visits: pd.DataFrame, today: dt.date, history: Sequence[tuple[str, Engine]]) -> tuple[object, ...]:
    stamp = int(visits["visit_id"].max()) if len(visits) else 0
    return ("visits", stamp, len(visits), today.isoformat(), tuple(as_of for as_of, _ in history))


def seen_visits(engine: Engine, visits: pd.DataFrame) -> pd.DataFrame:
    """The visit records ``engine``'s viewer may see: those of firms it sees (every one for admins and leaders)."""
    if not isinstance(engine, ScopedEngine) or engine.scope.all_firms:
        return visits
    if engine.scope.no_firms:
        return visits.iloc[0:0]
    return visits[visits["firm_key"].isin(engine.sees_firm_keys())].reset_index(drop=True)


def all_firm_visits(engine: Engine, visits: pd.DataFrame, today: dt.date,
                    history: Sequence[tuple[str, Engine]] = ()) -> FirmVisits:
    """:func:`~dashboard.engine.visits.firm_visits` of the full engine (once per version, log and day)."""
    full = _full(engine)
    plain = [(as_of, _full(e)) for as_of, e in history]
    return full.memo(_key(visits, today, plain), lambda: firm_visits(full, visits, today, plain), volatile=True)


def firm_visit_table(engine: Engine, visits: pd.DataFrame, today: dt.date,
                     history: Sequence[tuple[str, Engine]] = ()) -> FirmVisits:
    """Each firm ``engine`` shows with its visits (same index as ``engine.firm_table()``)."""
    every = all_firm_visits(engine, visits, today, history)
    table = every.table.loc[engine.firm_table().index]
    return FirmVisits(table=table, today=today)


def area_visits(engine: Engine, visits: pd.DataFrame, today: dt.date, level: str,
                history: Sequence[tuple[str, Engine]] = ()) -> pd.DataFrame:
    """The visit figures of every area of ``level`` (aggregates: the same for every viewer)."""
    full = _full(engine)
    every = all_firm_visits(engine, visits, today, history)
    key = ("visit-areas", *_key(visits, today, [(a, e) for a, e in history]), level)
    return full.memo(key, lambda: area_visit_table(full, every, level), volatile=True)


def commissioner_visits(engine: Engine, visits: pd.DataFrame, today: dt.date,
                        history: Sequence[tuple[str, Engine]] = ()) -> pd.DataFrame:
    """The visit figures of each commissioner's cells (counts only)."""
    full = _full(engine)
    every = all_firm_visits(engine, visits, today, history)
    key = ("visit-commissioners", *_key(visits, today, [(a, e) for a, e in history]))
    return full.memo(key, lambda: commissioner_visit_table(full, every), volatile=True)


def commissioner_reminders(engine: Engine, visits: pd.DataFrame, today: dt.date, months: int) -> pd.DataFrame:
    """Per commissioner, how many of their firms are reminders: 回访逾期, 超过 N 个月未走访, 从未走访 (counts only)."""
    full = _full(engine)
    every = all_firm_visits(engine, visits, today)
    rows = []
    for name in full.commissioner_directory():
        firms = full.firms_of(name)
        if not len(firms):
            continue
        reasons = reminders(every, firms, months)["reason"]
        rows.append({"name": name, "enterprises": len(firms), "overdue": int((reasons == "回访逾期").sum()),
                     "stale": int(reasons.str.startswith("超过").sum()), "never": int((reasons == "从未走访").sum())})
    return pd.DataFrame(rows, columns=["name", "enterprises", "overdue", "stale", "never"])


def may_record(scope: Scope, engine: Engine, firm_index: int, commissioner: str) -> str | None:
    """Why ``scope`` may not record a visit by ``commissioner`` to the firm at ``firm_index`` (``None``: it may).

    An admin may record for anyone; a commissioner only their own visits to firms in their cells;
    nobody else records visits.
    """
    if not may(scope.role, "record_visits"):
        return "只有网格专员和管理员可以记录走访"
    table = engine.firm_table()
    if firm_index not in table.index:
        return "这家企业不在您负责的网格内，不能记录走访"
    if scope.role == "commissioner" and commissioner != scope.commissioner:
        return "网格专员只能记录本人的走访"
    if scope.role == "commissioner":
        cells = set(_full(engine).cells_of(scope.commissioner))
        if str(table.loc[firm_index, "grid_id"]) not in cells:
            return "这家企业不在您负责的网格内，不能记录走访"
    return None


def firm_key_of(engine: Engine, firm_index: int) -> tuple[str, str, str]:
    """(key, name, credit code) of the firm at ``firm_index`` of ``engine``'s firm table."""
    row = engine.firm_table().loc[[firm_index]]
    key = firm_keys(row).iloc[0]
    uscc = row["uscc"].iloc[0]
    return str(key), str(row["name"].iloc[0]), "" if pd.isna(uscc) else str(uscc)
