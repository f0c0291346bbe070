"""Import an office's visit log into the store: each row checked against the latest version, the good ones recorded.

The file is read by :func:`loaders.visits.read_visit_log`; here every row
is resolved against the version in force (the latest): its firm by the
normalised credit code, else by the name key (the identity
:func:`~dashboard.engine.changes.firm_keys` gives visits), its 走访人 among
the version's commissioners, the firm in that commissioner's cells, 方式 and
需求 from the lists, the visit not after today and its follow-up not
before it, no second row for the same firm, day and commissioner, and no
visit the store already holds.  A row with an error is not recorded; a row
already recorded is a warning and not recorded again, so importing a file
twice adds nothing.  The rest go in one :meth:`Visits.add_many` (all or
none).  No row is dropped silently: each is recorded or has a problem
saying why not.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dashboard.engine import Engine
from dashboard.engine.changes import firm_keys
from dashboard.engine.visits import VISIT_KINDS, VISIT_NEEDS
from dashboard.store.visits import VisitError, VisitRecord, Visits
from loaders.layers import normalize_company_names
from loaders.problems import Problem
from loaders.uscc import normalize_uscc, normalize_uscc_series
from loaders.visits import VisitLog, VisitRow, read_visit_log, visit_problem

if TYPE_CHECKING:
    from dashboard.store.store import Store

__all__ = ["IMPORT_SOURCE", "VisitImport", "import_visit_log", "import_visits", "resolve_visits"]

MAX_LISTED_NAMES = 10
"""Commissioners named in an unknown-commissioner message (the rest as ……)."""

IMPORT_SOURCE = "import"
"""``source`` of a visit recorded from a visit log (the app's form writes ``app``)."""


@dataclass(frozen=True)
class VisitImport:
    """What importing one visit log did: the visits recorded and every problem of its rows."""

    file: str
    rows: int
    """Data rows of the file."""
    visit_ids: tuple[int, ...]
    """Ids of the visits recorded, in file order."""
    problems: tuple[Problem, ...]
    as_of: str = ""
    """Data date of the version the rows were checked against."""

    @property
    def imported(self) -> int:
        """How many visits were recorded."""
        return len(self.visit_ids)

    @property
    def refused_rows(self) -> int:
        """Rows not recorded because of an error."""
        return len({p.row for p in self.problems if p.severity == "error"})

    @property
    def already_recorded(self) -> int:
        """Rows not recorded because the store holds that visit already."""
        return sum(p.code == "visit_already_recorded" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        """``{"imported": N, "problems": [...]}``, each problem with the keys of ``ipgrid validate --json``'s."""
        return {"imported": self.imported, "problems": [asdict(p) for p in self.problems]}


@dataclass
class _Firms:
    """The firms of one version, found by normalised credit code and by name key (first row of each)."""

    keys: list[str]
    names: list[str]
    codes: list[str]
    grids: list[str]
    by_code: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, table: pd.DataFrame) -> _Firms:
        codes = normalize_uscc_series(table["uscc"]).tolist()
        names = normalize_company_names(table["name"]).tolist()
        out = cls(keys=[str(k or "") for k in firm_keys(table)], names=table["name"].astype(str).tolist(),
                  codes=[str(c) if isinstance(c, str) else "" for c in codes],
                  grids=["" if pd.isna(g) else str(g) for g in table["grid_id"]])
        for pos, (code, name) in enumerate(zip(out.codes, names, strict=True)):
            if code:
                out.by_code.setdefault(code, pos)
            if isinstance(name, str) and name:
                out.by_name.setdefault(name, pos)
        return out


def _name_key(name: str) -> str:
    """The name key of one firm name, by the loaders' rule (:func:`loaders.layers.normalize_company_names`)."""
    key = normalize_company_names(pd.Series([name], dtype="str")).iloc[0]
    return key if isinstance(key, str) else ""


def _person(name: str) -> str:
    """A name as compared: half-width, no spaces (张 三 is 张三)."""
    return "".join(unicodedata.normalize("NFKC", name).split())


class _Resolver:
    """Checks the rows of one visit log against one version and the visits already recorded."""

    def __init__(self, log: VisitLog, engine: Engine, existing: pd.DataFrame, today: dt.date, as_of: str) -> None:
        self.file, self.engine, self.today, self.as_of = log.file, engine, today, as_of
        self.firms = _Firms.of(engine.firm_table())
        self.people = {_person(n): n for n in engine.commissioner_directory()}
        self.recorded = {(str(k), str(d), str(c)): int(v) for k, d, c, v in zip(
            existing["firm_key"], existing["visit_date"], existing["commissioner"], existing["visit_id"], strict=True)}
        self.seen: dict[tuple[str, str, str], int] = {}

    def problem(self, code: str, row: VisitRow, field_name: str | None, **params: object) -> Problem:
        return visit_problem(code, file=self.file, row=row.row, field=field_name, **params)

    def firm(self, row: VisitRow) -> tuple[int | None, list[Problem]]:
        """The firm's position in the firm table: by credit code, else by name key."""
        if not row.firm_name and not row.uscc:
            return None, []  # reported by the loader
        code = (normalize_uscc(row.uscc) or "") if row.uscc else ""
        if code and code in self.firms.by_code:
            return self.firms.by_code[code], []
        pos = self.firms.by_name.get(_name_key(row.firm_name)) if row.firm_name else None
        if pos is not None:
            if not code:
                return pos, []
            found = self.firms.codes[pos] or "无"
            return pos, [self.problem("visit_uscc_not_found", row, "uscc", value=row.uscc,
                                      name=self.firms.names[pos], listed=found)]
        shown = row.firm_name or row.uscc
        if row.firm_name and row.uscc:
            shown = f"{row.firm_name}（统一社会信用代码 {row.uscc}）"
        return None, [self.problem("visit_unknown_firm", row, "firm_name" if row.firm_name else "uscc",
                                   value=shown, as_of=self.as_of)]

    def commissioner(self, row: VisitRow) -> tuple[str | None, list[Problem]]:
        """The commissioner as the version names them."""
        if not row.commissioner:
            return None, []  # reported by the loader
        name = self.people.get(_person(row.commissioner))
        if name is not None:
            return name, []
        names = list(self.people.values())
        known = ("专员有：" + "、".join(names[:MAX_LISTED_NAMES]) + ("……" if len(names) > MAX_LISTED_NAMES else "")
                 if names else "该版本没有网格专员")
        return None, [self.problem("visit_unknown_commissioner", row, "commissioner", value=row.commissioner,
                                   as_of=self.as_of, known=known)]

    def cells(self, row: VisitRow, pos: int, name: str) -> list[Problem]:
        """An error when the firm is not in one of the commissioner's cells."""
        mine = self.engine.cells_of(name)
        grid = self.firms.grids[pos]
        if grid and grid in mine:
            return []
        where = f"在网格 {grid}" if grid else "不在任何网格中（未定位或在网格之外）"
        return [self.problem("visit_outside_cells", row, "commissioner", firm=self.firms.names[pos], where=where,
                             commissioner=name, cells="、".join(mine) or "无")]

    def values(self, row: VisitRow) -> list[Problem]:
        """Dates in order and not after today; 方式 and 需求 from the lists."""
        out = []
        if row.visit_date is not None and row.visit_date > self.today:
            out.append(self.problem("visit_future_date", row, "visit_date", value=row.visit_date.isoformat(),
                                    today=self.today.isoformat()))
        if row.visit_date is not None and row.follow_up is not None and row.follow_up < row.visit_date:
            out.append(self.problem("visit_follow_up_before", row, "follow_up", value=row.follow_up.isoformat(),
                                    visit_date=row.visit_date.isoformat()))
        if row.kind not in VISIT_KINDS:
            out.append(self.problem("visit_unknown_kind", row, "kind", value=row.kind, choices="、".join(VISIT_KINDS)))
        unknown = [n for n in row.needs if n not in VISIT_NEEDS]
        if unknown:
            out.append(self.problem("visit_unknown_need", row, "needs", value="、".join(unknown),
                                    choices="、".join(VISIT_NEEDS)))
        return out

    def repeated(self, row: VisitRow, key: tuple[str, str, str], firm_name: str) -> list[Problem]:
        """An error for a second row of one visit in the file; a warning for a visit the store holds."""
        first = self.seen.setdefault(key, row.row)
        if first != row.row:
            return [self.problem("visit_duplicate_row", row, "visit_date", first_row=first)]
        if key in self.recorded:
            return [self.problem("visit_already_recorded", row, "visit_date", firm=firm_name, visit_date=key[1],
                                 commissioner=key[2], visit_id=self.recorded[key])]
        return []

    def resolve(self, row: VisitRow) -> tuple[VisitRecord | None, list[Problem]]:
        """The record to write for ``row`` (``None``: not to be written) and the row's problems."""
        pos, problems = self.firm(row)
        name, found = self.commissioner(row)
        problems += found
        if pos is not None and name is not None:
            problems += self.cells(row, pos, name)
        problems += self.values(row)
        if pos is not None and name is not None and row.visit_date is not None:
            problems += self.repeated(row, (self.firms.keys[pos], row.visit_date.isoformat(), name),
                                      self.firms.names[pos])
        if not row.readable or pos is None or name is None or row.visit_date is None or any(
                p.severity == "error" or p.code == "visit_already_recorded" for p in problems):
            return None, problems
        record = VisitRecord(
            firm_key=self.firms.keys[pos], firm_name=self.firms.names[pos], commissioner=name,
            visit_date=row.visit_date.isoformat(), kind=row.kind, needs=row.needs, outcome=row.outcome, note=row.note,
            follow_up=row.follow_up.isoformat() if row.follow_up else "", uscc=self.firms.codes[pos],
            source=IMPORT_SOURCE)
        try:
            return record.checked(self.today), problems
        except VisitError as exc:  # the store's own checks: anything the rows above did not catch
            return None, [*problems, self.problem("visit_rejected", row, None, detail=str(exc))]


def resolve_visits(log: VisitLog, engine: Engine, existing: pd.DataFrame, today: dt.date, *,
                   as_of: str = "") -> tuple[list[VisitRecord], list[Problem]]:
    """The records to write for the rows of ``log`` and every problem (the file's, then each row's, by row).

    Parameters
    ----------
    log
        The visit log as read.
    engine
        The version the rows are checked against (its firms, commissioners and cells).
    existing
        The visits in force (:meth:`Visits.current`): a row that repeats one is not written again.
    today
        No visit may be dated after it.
    as_of
        The version's data date, for the messages.
    """
    resolver = _Resolver(log, engine, existing, today, as_of)
    records: list[VisitRecord] = []
    problems: list[Problem] = list(log.problems)
    for row in log.rows:
        record, found = resolver.resolve(row)
        problems += found
        if record is not None:
            records.append(record)
    return records, _by_row(problems)


def _by_row(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0))


def import_visits(store: Store, path: Path, *, by: str, today: dt.date | None = None) -> VisitImport:
    """Read a visit log, check it against the store's latest version and record its good rows in one transaction.

    Parameters
    ----------
    store
        The :class:`~dashboard.store.store.Store`.
    path
        The visit log (.xlsx, .xls, .csv …).
    by
        Who imports (the visits' ``entered_by``).
    today
        The day of the checks (default: today).

    Raises
    ------
    loaders.visits.VisitLogError
        The file is missing or lacks a required column.
    loaders.errors.DataFolderError
        The file cannot be read as a table.
    loaders.errors.VersionNotFoundError
        The store has no version in force.

    Nothing is written when any of these is raised.
    """
    return import_visit_log(store, read_visit_log(path), by=by, today=today)


def import_visit_log(store: Store, log: VisitLog, *, by: str, today: dt.date | None = None) -> VisitImport:
    """:func:`import_visits` of a log already read (the CLI reads it before it opens the store)."""
    day = today or dt.date.today()
    version = store.version()
    engine = Engine(store.open_bundle(version))
    visits = Visits(store)
    records, problems = resolve_visits(log, engine, visits.current(), day, as_of=version.as_of)
    ids = visits.add_many(records, by=by, today=day, source_file=log.file) if records else []
    return VisitImport(file=log.file, rows=len(log.rows), visit_ids=tuple(ids), problems=tuple(problems),
                       as_of=version.as_of)
