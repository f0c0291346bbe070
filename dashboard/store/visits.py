"""Commissioners' visits in the store: recorded, edited with their history, imported from the offices' spreadsheets.

A visit is one row of ``ipgrid_visits`` per revision: recording it writes
revision 1, each edit writes the next revision with the same ``visit_id``,
deleting writes a revision with status ``deleted``.  What is in force is the
latest revision of each visit (:meth:`Visits.current`); nothing is ever
overwritten, so who changed what and when stays readable
(:meth:`Visits.history`).  Whether a visit may be recorded for a firm (the
firm in the commissioner's cells) is the caller's scope
(:mod:`dashboard.access.scope`); this module checks the record itself: a
known kind, needs from the list, dates that are dates and not in the future,
a follow-up not before the visit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from dashboard.engine.memo import Memo
from dashboard.engine.visits import VISIT_COLUMNS, VISIT_KINDS, VISIT_NEEDS, empty_visits
from dashboard.store import tables as tb
from loaders.errors import StoreError

if TYPE_CHECKING:
    from dashboard.store.store import Store


_CURRENT = Memo(entries=8)
"""(store location, stamp) → the visits in force: the last few states of the logs read."""


class VisitError(StoreError, ValueError):
    """A visit that cannot be recorded as given (the message says which field and why)."""


@dataclass(frozen=True)
class VisitRecord:
    """One visit as entered: the firm (key, code, name), who, when, how, what was needed, and the follow-up."""

    firm_key: str
    firm_name: str
    commissioner: str
    visit_date: str
    kind: str = VISIT_KINDS[0]
    needs: tuple[str, ...] = ()
    outcome: str = ""
    note: str = ""
    follow_up: str = ""
    uscc: str = ""
    source: str = "app"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def checked(self, today: dt.date) -> VisitRecord:
        """The record with its texts stripped, when every field is usable.

        Raises
        ------
        VisitError
            No firm or commissioner, a date that is not YYYY-MM-DD or lies after ``today``, an unknown
            kind or need, a follow-up before the visit.
        """
        if not self.firm_key or not self.firm_name.strip():
            raise VisitError("走访记录需要企业")
        if not self.commissioner.strip():
            raise VisitError("走访记录需要走访人（网格专员）")
        day = parse_day(self.visit_date, "走访日期")
        if day > today:
            msg = f"走访日期 {day.isoformat()} 晚于今天（{today.isoformat()}）；未来的走访请填在回访日期中"
            raise VisitError(msg)
        if self.kind not in VISIT_KINDS:
            msg = f"走访方式「{self.kind}」不在可选项中：{'、'.join(VISIT_KINDS)}"
            raise VisitError(msg)
        unknown = [n for n in self.needs if n not in VISIT_NEEDS]
        if unknown:
            msg = f"需求「{'、'.join(unknown)}」不在可选项中：{'、'.join(VISIT_NEEDS)}"
            raise VisitError(msg)
        follow = parse_day(self.follow_up, "回访日期").isoformat() if self.follow_up.strip() else ""
        if follow and follow < day.isoformat():
            msg = f"回访日期 {follow} 早于走访日期 {day.isoformat()}"
            raise VisitError(msg)
        needs = tuple(n for n in VISIT_NEEDS if n in self.needs)  # the list's order, each once
        return replace(self, firm_name=self.firm_name.strip(), commissioner=self.commissioner.strip(),
                       visit_date=day.isoformat(), needs=needs, outcome=self.outcome.strip()[:500],
                       note=self.note.strip()[:2000], follow_up=follow)


def parse_day(text: object, what: str) -> dt.date:
    """``text`` as a date: YYYY-MM-DD, also YYYY/MM/DD, YYYY.MM.DD and 2025年3月5日.

    >>> parse_day("2025/3/5", "走访日期"), parse_day("2025年12月31日", "走访日期")
    (datetime.date(2025, 3, 5), datetime.date(2025, 12, 31))

    Raises
    ------
    VisitError
        Naming ``what`` and the text.
    """
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    raw = str(text).strip()
    cleaned = raw.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    parts = cleaned.split(" ")[0].split("-")
    try:
        if len(parts) != 3:
            raise ValueError(raw)
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        msg = f"{what}「{raw}」不是日期；请写成 2025-03-05 这样的格式"
        raise VisitError(msg) from None


def _values(record: VisitRecord, *, visit_id: int, revision: int, status: str, by: str, at: str) -> dict[str, Any]:
    return {"visit_id": visit_id, "revision": revision, "status": status, "firm_key": record.firm_key,
            "uscc": record.uscc, "firm_name": record.firm_name, "commissioner": record.commissioner,
            "visit_date": record.visit_date, "kind": record.kind, "needs": "、".join(record.needs),
            "outcome": record.outcome, "note": record.note, "follow_up": record.follow_up, "entered_by": by,
            "entered_at": at, "source": record.source}


class Visits:
    """The visit log of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sql = store.backend.sql

    def stamp(self) -> int:
        """The id of the latest revision written (0: none): it changes with every record, edit or deletion."""
        try:
            with self.sql.connect() as conn:
                return int(conn.execute(sa.select(sa.func.max(tb.visits.c.id))).scalar() or 0)
        except sa.exc.DBAPIError:  # a read-only store of an earlier release: no visits table, no visits
            return 0

    def add_many(self, records: Iterable[VisitRecord], *, by: str, today: dt.date | None = None,
                 source_file: str = "") -> list[int]:
        """Record visits in one transaction (all or none); their new visit ids.

        Raises
        ------
        VisitError
            A record that does not pass :meth:`VisitRecord.checked` (nothing is written).
        """
        day = today or dt.date.today()
        checked = [r.checked(day) for r in records]
        if not checked:
            return []
        from dashboard.store.store import now_text

        stamp = now_text()
        ids = []
        with self.sql.begin() as conn:
            for record in checked:
                row_id = conn.execute(sa.insert(tb.visits).values(
                    _values(record, visit_id=0, revision=1, status="active", by=by, at=stamp))).inserted_primary_key
                new_id = int(row_id[0]) if row_id else 0
                conn.execute(sa.update(tb.visits).where(tb.visits.c.id == new_id).values(visit_id=new_id))
                ids.append(new_id)
            self.store._audit(conn, "visit_import" if source_file else "visit_add", by,  # noqa: SLF001
                              rows=len(checked), files=[{"name": source_file}] if source_file else None,
                              detail={"visits": ids[:20], "firms": sorted({r.firm_name for r in checked})[:20]})
        return ids

    def add(self, record: VisitRecord, *, by: str, today: dt.date | None = None) -> int:
        """Record one visit; its visit id."""
        return self.add_many([record], by=by, today=today)[0]

    def edit(self, visit_id: int, record: VisitRecord, *, by: str, today: dt.date | None = None,
             delete: bool = False) -> None:
        """Write a new revision of visit ``visit_id`` (``delete``: one that withdraws it).

        Raises
        ------
        VisitError
            No such visit, or the new record does not pass its checks.
        """
        checked = record.checked(today or dt.date.today())
        from dashboard.store.store import now_text

        with self.sql.begin() as conn:
            latest = conn.execute(sa.select(sa.func.max(tb.visits.c.revision))
                                  .where(tb.visits.c.visit_id == visit_id)).scalar()
            if latest is None:
                msg = f"没有编号为 {visit_id} 的走访记录"
                raise VisitError(msg)
            conn.execute(sa.insert(tb.visits).values(_values(
                checked, visit_id=visit_id, revision=int(latest) + 1, status="deleted" if delete else "active",
                by=by, at=now_text())))
            self.store._audit(conn, "visit_delete" if delete else "visit_edit", by,  # noqa: SLF001
                              detail={"visit": visit_id, "firm": checked.firm_name})

    def _frame(self, where: Any = None) -> pd.DataFrame:
        query = sa.select(tb.visits).order_by(tb.visits.c.id)
        if where is not None:
            query = query.where(where)
        try:
            with self.sql.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except sa.exc.DBAPIError:  # a read-only store of an earlier release: no visits table, no visits
            rows = []
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in tb.visits.columns])

    def current(self) -> pd.DataFrame:
        """Every visit in force (its latest revision, not deleted), by visit date: :data:`VISIT_COLUMNS`.

        Read once per state of the log (:meth:`stamp`, one small query) and shared: every page run
        asks, and the log changes only when a visit is written.  Never change the frame in place.
        """
        key = (self.store.location, self.stamp())
        found: pd.DataFrame = _CURRENT.get(key, self._read_current)
        return found

    def _read_current(self) -> pd.DataFrame:
        frame = self._frame()
        if not len(frame):
            return empty_visits()
        latest = frame.sort_values(["visit_id", "revision"]).drop_duplicates("visit_id", keep="last")
        live = latest[latest["status"] == "active"].sort_values(["visit_date", "visit_id"], kind="stable")
        return live[list(VISIT_COLUMNS)].astype({"visit_id": "int64"}).reset_index(drop=True)

    def history(self, visit_id: int) -> pd.DataFrame:
        """Every revision of one visit, oldest first (who entered each and when)."""
        return self._frame(tb.visits.c.visit_id == visit_id)
