"""Commissioners' visits as figures: each firm's last visit and follow-up, and the visit metrics of every area.

The rules, one definition each (``docs/metrics.md`` words them for users):

- A visit belongs to a firm by its key (:func:`~dashboard.engine.changes.firm_keys`:
  the normalised credit code, else the name key), so it stays with the firm
  from one version to the next.  Visits dated after ``today`` are ignored.
- A firm's **last visit** is its latest visit date (the highest visit id among
  visits on that day).  Its **follow-up** is the follow-up date of that last
  visit: a later visit replaces an earlier follow-up, whether it set one or not.
  A follow-up is **overdue** when its date is before ``today``, **due** when
  it is within :data:`DUE_DAYS` days from ``today``.
- **Visited in the last 90 days**: a last visit in ``(today - 90 days, today]``.
- **This quarter / earlier / never** (the map's colours): the last visit in
  the calendar quarter of ``today``, before it, or none.
- **Visited, then a first IP within 12 months**: a firm visited on a day *d*
  while the version in force at *d* (the latest with as-of ≤ *d*) shows it
  without any IP, and a later version with as-of in ``(d, d + 365 days]``
  shows it with IP.  Visits before the first version say nothing and count not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from dashboard.engine.changes import firm_keys
from dashboard.engine.core import Engine
from dashboard.engine.metrics import sum_by_code

VISIT_KINDS: Final = ("走访", "电话", "培训", "帮办", "其他")
"""How a commissioner met a firm (the first is the form's default)."""

VISIT_NEEDS: Final = ("专利申请", "商标注册", "质押融资", "维权", "其他")
"""What a firm may need, several per visit."""

DUE_DAYS: Final = 7
"""A follow-up within this many days from today is due (shown before the overdue ones are)."""

RECENT_DAYS: Final = 90
"""Window of "visited in the last quarter" (visited_rate_90d)."""

EFFECT_DAYS: Final = 365
"""Window of "visited, then a first IP" (first_ip_after_visit)."""

VISIT_COLUMNS: Final = ("visit_id", "firm_key", "uscc", "firm_name", "commissioner", "visit_date", "kind", "needs",
                        "outcome", "note", "follow_up", "entered_by", "entered_at", "source")
"""Columns of a visit log (one row per visit in force; :class:`dashboard.store.visits.Visits`)."""

STATUS_LABELS: Final = {"this_quarter": "本季度已走访", "earlier": "本季度未走访", "never": "从未走访"}
"""Visit status of a firm → its Chinese name (the map's legend)."""

FOLLOW_UP_LABELS: Final = {"overdue": "回访逾期", "due": "回访将到期", "open": "待回访", "": ""}
"""Follow-up status of a firm → its Chinese name."""

AREA_VISIT_COLUMNS: Final = ("visited_90d", "visited_rate_90d", "cultivation_targets", "cultivation_visited_90d",
                             "cultivation_visited_rate_90d", "overdue_followups", "visited_without_ip",
                             "first_ip_after_visit", "first_ip_after_visit_rate")
"""Visit metrics of an area (all in :data:`dashboard.engine.metrics.METRICS`)."""


def empty_visits() -> pd.DataFrame:
    """A visit log without any visit (the columns of :data:`VISIT_COLUMNS`)."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "visit_id" else object) for c in VISIT_COLUMNS})


def quarter_start(day: dt.date) -> dt.date:
    """First day of ``day``'s calendar quarter.

    >>> quarter_start(dt.date(2026, 5, 17))
    datetime.date(2026, 4, 1)
    """
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back ``months`` calendar months (to the month's last day when shorter).

    >>> months_before(dt.date(2026, 8, 31), 6)
    datetime.date(2026, 2, 28)
    """
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return min(day.replace(year=year, month=month, day=1) + dt.timedelta(days=day.day - 1),
               following - dt.timedelta(days=1))


@dataclass(frozen=True)
class FirmVisits:
    """Each firm of one engine with its visits, aligned with :meth:`Engine.firm_table` (same index).

    Attributes
    ----------
    table
        ``firm_key``, ``visits`` (count up to today), ``last_visit`` (date text or ""), ``last_kind``,
        ``last_needs``, ``last_commissioner``, ``follow_up`` (date text or ""), ``follow_up_status``
        (``overdue``/``due``/``open``/""), ``visit_status`` (``this_quarter``/``earlier``/``never``),
        ``visited_90d``, ``days_since`` (NaN when never), ``first_ip_after_visit``, ``visited_without_ip``.
    today
        The day the figures are for.
    """

    table: pd.DataFrame
    today: dt.date


def _usable(visits: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    dated = visits[visits["visit_date"].astype(str) <= today.isoformat()]
    return dated.sort_values(["visit_date", "visit_id"], kind="stable")


def firm_visits(engine: Engine, visits: pd.DataFrame, today: dt.date,
                history: Sequence[tuple[str, Engine]] = ()) -> FirmVisits:
    """Every firm of ``engine`` with its last visit, follow-up and effect (see the module docstring).

    Parameters
    ----------
    engine
        The version shown (its firm table gives the firms and their order).
    visits
        The visit log (:data:`VISIT_COLUMNS`).
    today
        The day of the figures.
    history
        (as-of date, engine) of every version in force, oldest first, for the effect metric
        (empty: the effect is not computed, all ``False``).
    """
    firms = engine.firm_table()
    keys = firm_keys(firms)
    used = _usable(visits, today)
    last = used.drop_duplicates("firm_key", keep="last").set_index("firm_key")
    counts = used.groupby("firm_key").size()
    out = pd.DataFrame(index=firms.index)
    out["firm_key"] = keys.to_numpy()
    hit = keys.map(lambda k: k in last.index).to_numpy(dtype=bool)

    def pick(column: str) -> np.ndarray:
        values = np.full(len(firms), "", dtype=object)
        values[hit] = last.loc[keys[hit], column].fillna("").astype(str).to_numpy()
        return values

    out["visits"] = keys.map(counts).fillna(0).astype("int64").to_numpy()
    out["last_visit"] = pick("visit_date")
    out["last_kind"] = pick("kind")
    out["last_needs"] = pick("needs")
    out["last_commissioner"] = pick("commissioner")
    out["follow_up"] = pick("follow_up")
    days = np.full(len(firms), np.nan)
    days[hit] = [(today - dt.date.fromisoformat(d)).days for d in out["last_visit"].to_numpy()[hit]]
    out["days_since"] = days
    out["visited_90d"] = hit & (days < RECENT_DAYS)
    start = quarter_start(today).isoformat()
    out["visit_status"] = np.where(~hit, "never", np.where(out["last_visit"].to_numpy() >= start,
                                                           "this_quarter", "earlier"))
    out["follow_up_status"] = [_follow_up_status(f, today) for f in out["follow_up"]]
    without, effect = _effect(keys, used, history)
    out["visited_without_ip"] = without
    out["first_ip_after_visit"] = effect
    return FirmVisits(table=out, today=today)


def _follow_up_status(follow_up: str, today: dt.date) -> str:
    if not follow_up:
        return ""
    day = dt.date.fromisoformat(follow_up)
    if day < today:
        return "overdue"
    return "due" if (day - today).days <= DUE_DAYS else "open"


def _effect(keys: pd.Series, used: pd.DataFrame, history: Sequence[tuple[str, Engine]]) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """Per firm: visited while without IP; and then holding IP in a version within :data:`EFFECT_DAYS` days."""
    n = len(keys)
    without, effect = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if not history or not len(used):
        return without, effect
    holding = []
    for as_of, version in history:
        table = version.firm_table()
        holding.append((as_of, dict(zip(firm_keys(table), table["has_ip"].fillna(False).astype(bool),
                                        strict=True))))
    dates = [as_of for as_of, _ in holding]
    plain_without: set[str] = set()
    succeeded: set[str] = set()
    for key, day in zip(used["firm_key"].astype(str), used["visit_date"].astype(str), strict=True):
        at = int(np.searchsorted(dates, day, side="right")) - 1  # the version in force on the visit's day
        if at < 0 or holding[at][1].get(key, True):
            continue
        plain_without.add(key)
        limit = (dt.date.fromisoformat(day) + dt.timedelta(days=EFFECT_DAYS)).isoformat()
        if any(day < as_of <= limit and held.get(key, False) for as_of, held in holding[at + 1:]):
            succeeded.add(key)
    key_list = keys.astype(str).to_numpy()
    without[:] = [k in plain_without for k in key_list]
    effect[:] = [k in succeeded for k in key_list]
    return without, effect


def area_visit_table(engine: Engine, seen: FirmVisits, level: str) -> pd.DataFrame:
    """The visit metrics (:data:`AREA_VISIT_COLUMNS`) of every area of ``level``, with ``id`` and ``name``.

    Firms are placed as in :meth:`Engine.stats`; a ratio whose denominator is 0 is null.
    """
    place = engine.placement
    table = seen.table
    has_ip = engine.firm_table()["has_ip"].fillna(False).to_numpy(dtype=bool)
    values = {
        "enterprises": np.ones(len(table)),
        "visited_90d": table["visited_90d"].to_numpy(dtype="float64"),
        "cultivation_targets": (~has_ip).astype("float64"),
        "cultivation_visited_90d": (table["visited_90d"].to_numpy(dtype=bool) & ~has_ip).astype("float64"),
        "overdue_followups": (table["follow_up_status"].to_numpy() == "overdue").astype("float64"),
        "visited_without_ip": table["visited_without_ip"].to_numpy(dtype="float64"),
        "first_ip_after_visit": table["first_ip_after_visit"].to_numpy(dtype="float64"),
    }
    areas = engine.areas(level)
    n = len(areas)
    if level == "district":
        codes = np.zeros(len(table), dtype=np.int64)
    elif level == "town":
        codes = np.asarray(place.town, dtype=np.int64)
    elif level == "grid":
        codes = np.asarray(place.grid, dtype=np.int64)
    else:
        codes = np.asarray(place.park_index, dtype=np.int64)
        values = {k: v[np.asarray(place.park_firm, dtype=np.int64)] for k, v in values.items()}
    sums = sum_by_code(codes, n, values, tuple(values))
    out = pd.DataFrame({"id": areas["id"].astype(str).to_numpy(), "name": areas["name"].astype(str).to_numpy()})
    for key in values:
        out[key] = sums[key].astype("int64").to_numpy()
    out["visited_rate_90d"] = _ratio(out["visited_90d"], out["enterprises"])
    out["cultivation_visited_rate_90d"] = _ratio(out["cultivation_visited_90d"], out["cultivation_targets"])
    out["first_ip_after_visit_rate"] = _ratio(out["first_ip_after_visit"], out["visited_without_ip"])
    return out[["id", "name", "enterprises", *AREA_VISIT_COLUMNS]]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    n, d = num.astype("float64"), den.astype("float64")
    return (n / d).where(d > 0)


def commissioner_visit_table(engine: Engine, seen: FirmVisits) -> pd.DataFrame:
    """The visit metrics of each commissioner's firms (their cells), by commissioner name."""
    rows = []
    has_ip = engine.firm_table()["has_ip"].fillna(False).to_numpy(dtype=bool)
    grid = engine.firm_table()["grid_id"].astype(str).to_numpy()
    table = seen.table
    for name in engine.commissioner_directory():
        mine = np.isin(grid, engine.cells_of(name))
        if not mine.any() and not engine.cells_of(name):
            continue
        recent = table["visited_90d"].to_numpy(dtype=bool)
        row = {"name": name, "enterprises": int(mine.sum()), "visited_90d": int((mine & recent).sum()),
               "cultivation_targets": int((mine & ~has_ip).sum()),
               "cultivation_visited_90d": int((mine & ~has_ip & recent).sum()),
               "overdue_followups": int((mine & (table["follow_up_status"].to_numpy() == "overdue")).sum()),
               "visited_without_ip": int((mine & table["visited_without_ip"].to_numpy(dtype=bool)).sum()),
               "first_ip_after_visit": int((mine & table["first_ip_after_visit"].to_numpy(dtype=bool)).sum())}
        rows.append(row)
    out = pd.DataFrame(rows, columns=["name", "enterprises", "visited_90d", "cultivation_targets",
                                      "cultivation_visited_90d", "overdue_followups", "visited_without_ip",
                                      "first_ip_after_visit"])
    out["visited_rate_90d"] = _ratio(out["visited_90d"], out["enterprises"])
    out["cultivation_visited_rate_90d"] = _ratio(out["cultivation_visited_90d"], out["cultivation_targets"])
    out["first_ip_after_visit_rate"] = _ratio(out["first_ip_after_visit"], out["visited_without_ip"])
    return out[["name", "enterprises", *AREA_VISIT_COLUMNS]]


def reminders(seen: FirmVisits, firms: pd.DataFrame, months: int) -> pd.DataFrame:
    """Firms of ``firms`` (rows of the firm table) with an overdue follow-up or no visit in ``months`` months.

    Columns: the firm's ``name``, ``uscc``, ``grid_id``, ``last_visit``, ``follow_up``, ``reason``
    (回访逾期 / 超过 N 个月未走访 / 从未走访); overdue follow-ups first, then the longest unvisited.
    """
    table = seen.table.loc[firms.index]
    limit = months_before(seen.today, months).isoformat()
    overdue = table["follow_up_status"].to_numpy() == "overdue"
    never = table["last_visit"].to_numpy() == ""
    stale = ~never & (table["last_visit"].to_numpy() < limit)
    keep = overdue | never | stale
    reason = np.where(overdue, "回访逾期", np.where(never, "从未走访", f"超过 {months} 个月未走访"))
    out = pd.DataFrame({"name": firms["name"].to_numpy(), "uscc": firms["uscc"].to_numpy(),
                        "grid_id": firms["grid_id"].to_numpy(), "last_visit": table["last_visit"].to_numpy(),
                        "follow_up": table["follow_up"].to_numpy(), "reason": reason}, index=firms.index)[keep]
    order = np.lexsort((out["last_visit"].to_numpy(), ~(out["reason"].to_numpy() == "回访逾期")))
    ranked: pd.DataFrame = out.iloc[order]
    return ranked


def visits_by_month(visits: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Visits per calendar month up to ``today``: ``month`` (YYYY-MM), ``visits``, ``firms`` (distinct)."""
    used = _usable(visits, today)
    if not len(used):
        return pd.DataFrame({"month": pd.Series(dtype=object), "visits": pd.Series(dtype="int64"),
                             "firms": pd.Series(dtype="int64")})
    month = used["visit_date"].astype(str).str.slice(0, 7)
    grouped = used.assign(month=month).groupby("month")
    out: pd.DataFrame = pd.DataFrame({"visits": grouped.size(), "firms": grouped["firm_key"].nunique()})
    flat: pd.DataFrame = out.reset_index()
    return flat
