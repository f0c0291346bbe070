"""What the visit figures cost: each firm's last visit and follow-up, every area's visit metrics, the effect.

Run ``python bench/visits.py [--firms N] [--visits N] [--repeat N]``; the last line is JSON.

A synthetic district (bench/engine.py, ``--firms`` firms) as two versions of
the same data — the effect's lookups are all done, though no firm succeeds —
and ``--visits`` seeded visits over a year.  Timed (medians):

- ``firm_visits``: the per-firm table (last visit, follow-up status, 90 days,
  and the effect over the two versions);
- ``area_visit_table`` at the town and grid levels;
- the plain way of the per-firm part, for the ratio: a pandas ``groupby`` on
  the firm key with ``apply`` picking each firm's latest row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import timed  # noqa: E402
from engine import make_bundle  # noqa: E402

from dashboard.engine import Engine  # noqa: E402
from dashboard.engine.changes import firm_keys  # noqa: E402
from dashboard.engine.visits import VISIT_COLUMNS, area_visit_table, firm_visits  # noqa: E402

TODAY = dt.date(2026, 1, 15)


def synthetic_visits(engine: Engine, n: int, seed: int) -> pd.DataFrame:
    """``n`` visits to random firms of ``engine`` over the year before :data:`TODAY`, a third with a follow-up."""
    rng = np.random.default_rng(seed)
    keys = firm_keys(engine.firm_table()).to_numpy()
    pick = rng.integers(0, len(keys), n)
    days = np.array([(TODAY - dt.timedelta(days=int(d))).isoformat() for d in rng.integers(1, 365, n)])
    follow = np.where(rng.random(n) < 0.33, [(dt.date.fromisoformat(d) + dt.timedelta(days=30)).isoformat()
                                              for d in days], "")
    frame = pd.DataFrame({c: "" for c in VISIT_COLUMNS}, index=range(n))
    frame["visit_id"] = np.arange(1, n + 1)
    frame["firm_key"] = keys[pick]
    frame["visit_date"] = days
    frame["follow_up"] = follow
    frame["kind"] = "走访"
    return frame


def plain_last_visits(visits: pd.DataFrame) -> pd.DataFrame:
    """The plain way: group by firm and take each group's latest visit with ``apply``."""
    return visits.groupby("firm_key").apply(lambda g: g.sort_values(["visit_date", "visit_id"]).iloc[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    old = Engine(make_bundle(args.firms, 10, 7))
    old.firm_table()
    new = Engine(make_bundle(args.firms, 10, 7))
    visits = synthetic_visits(new, args.visits, 11)
    history = [("2025-06-30", old), ("2025-12-31", new)]
    out: dict[str, object] = {"firms": args.firms, "visits": args.visits, "repeat": args.repeat}
    per_firm = timed(lambda: firm_visits(new, visits, TODAY, history), args.repeat)
    out["firm_visits_s"] = round(statistics.median(per_firm), 3)
    out["firm_visits_no_effect_s"] = round(statistics.median(timed(lambda: firm_visits(new, visits, TODAY),
                                                                   args.repeat)), 3)
    seen = firm_visits(new, visits, TODAY, history)
    for level in ("town", "grid"):
        out[f"area_{level}_s"] = round(statistics.median(timed(lambda lv=level: area_visit_table(new, seen, lv),
                                                               args.repeat)), 3)
    plain = timed(lambda: plain_last_visits(visits), max(1, args.repeat // 2))
    out["plain_last_visits_s"] = round(statistics.median(plain), 3)
    out["ratio_plain_vs_firm_visits_no_effect"] = round(out["plain_last_visits_s"]  # type: ignore[operator]
                                                         / max(float(out["firm_visits_no_effect_s"]), 1e-9), 1)
    out["visited_90d"] = int(seen.table["visited_90d"].sum())
    out["overdue"] = int((seen.table["follow_up_status"] == "overdue").sum())
    for key, value in out.items():
        print(f"{key:40s} {value}", flush=True)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
