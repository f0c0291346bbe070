"""The demo's visit log: a seeded year of commissioners' visits to the synthetic district's firms.

Made for the demo store (:mod:`dashboard.store.demo`), never for real data.
Commissioners visit firms without IP more often than others; most firms
that got their first IP between two quarters were visited in the months
before, so the 走访 page's "visited, then a first IP" has something to show;
about a third of the visits set a follow-up, some of which are overdue at
:data:`DEMO_TODAY`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

DEMO_TODAY = "2026-01-15"
"""The day the demo's visit figures are for (the store keeps it as ``demo_today``)."""

FIRST_DAY = dt.date(2025, 1, 6)
SEED = 20250106

KINDS = (("走访", 0.62), ("电话", 0.2), ("帮办", 0.1), ("培训", 0.05), ("其他", 0.03))
NEEDS = (("专利申请", 0.42), ("商标注册", 0.3), ("质押融资", 0.14), ("维权", 0.05), ("其他", 0.04))
OUTCOMES = ("讲解了发明专利申请流程", "企业有意向申请商标", "介绍了知识产权质押融资政策", "填写了需求登记表",
            "约定下次带代理机构上门", "企业负责人不在，留了资料", "协助准备专利申请材料", "转介到服务站点")


@dataclass(frozen=True)
class DemoFirm:
    """What the generator needs of one firm: who looks after it, and whether it held IP at each quarter."""

    key: str
    name: str
    uscc: str
    commissioner: str
    held: tuple[bool, ...]
    """Held any IP at each of the quarters (oldest first)."""


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _visit(rng: random.Random, firm: DemoFirm, day: dt.date, today: dt.date) -> dict[str, object]:
    needs = [n for n, p in NEEDS if rng.random() < p]
    follow = ""
    if rng.random() < 0.35:
        follow = (day + dt.timedelta(days=rng.randint(14, 60))).isoformat()
    return {"firm_key": firm.key, "firm_name": firm.name, "uscc": firm.uscc, "commissioner": firm.commissioner,
            "visit_date": min(day, today).isoformat(), "kind": _pick(rng, KINDS), "needs": tuple(needs),
            "outcome": rng.choice(OUTCOMES), "follow_up": follow}


def demo_visits(firms: Sequence[DemoFirm], quarter_ends: Sequence[str], today: str = DEMO_TODAY
                ) -> list[dict[str, object]]:
    """The visits of the demo's commissioners to ``firms`` up to ``today``, oldest first.

    Parameters
    ----------
    firms
        Every firm with a commissioner, with its IP at each of ``quarter_ends``.
    quarter_ends
        The as-of dates of the demo's versions, oldest first.
    """
    rng = random.Random(SEED)
    end = dt.date.fromisoformat(today)
    span = (end - FIRST_DAY).days
    ends = [dt.date.fromisoformat(d) for d in quarter_ends]
    out = []
    for firm in firms:
        first_ip = next((i for i in range(1, len(firm.held)) if firm.held[i] and not firm.held[i - 1]), None)
        if first_ip is not None and rng.random() < 0.75:  # visited in the four months before the first IP showed
            day = ends[first_ip] - dt.timedelta(days=rng.randint(20, 120))
            out.append(_visit(rng, firm, day, end))
        if rng.random() < (0.35 if not firm.held[-1] else 0.15):  # this quarter's round
            out.append(_visit(rng, firm, end - dt.timedelta(days=rng.randint(1, 85)), end))
        chance = 0.5 if not firm.held[-1] else 0.22
        if rng.random() < chance:
            for _ in range(rng.choice((1, 1, 2, 3))):
                out.append(_visit(rng, firm, FIRST_DAY + dt.timedelta(days=rng.randint(0, span)), end))
    out.sort(key=lambda v: (str(v["visit_date"]), str(v["firm_key"])))
    return out
