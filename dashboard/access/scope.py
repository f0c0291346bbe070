"""Scope: which firms one account may see, applied where data leaves the engine — the one definition of the rule.

An admin sees everything.  A leader sees every firm, without the contact
people and phones unless the office allows it
(:attr:`~dashboard.access.settings.AccessSettings.leader_contacts`).  A
commissioner sees the firms placed in the grid cells assigned to them at the
version's date (with holdings and contacts); of every other area only the
figures.  A kiosk sees figures only.

:class:`ScopedEngine` is an :class:`~dashboard.engine.Engine` as one account
sees it, built over the shared full engine: every figure (areas, ranks,
targets — they count every firm, as they must) comes from the full engine
unchanged; every firm-level answer (the firm table, the firms of an area, of
a commissioner, beyond service reach, using a geographic indication, firm
coordinates, the problems report) is filtered before it is returned.  Any
other member of the engine is refused (:class:`ScopeError`): a new engine
method must be classified here before a page can reach it through a scope.
Pages are given a :class:`ScopedEngine` and never the full one, so hiding a
widget is never what keeps a firm out of sight.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard.engine import Engine
from dashboard.engine.changes import VersionDiff, diff_engines, firm_keys
from loaders.errors import IpgridError
from loaders.problems import ProblemLog

T = TypeVar("T")

CONTACT_COLUMNS = ("contact", "phone")
"""Columns of the enterprises layer that reach a person (联系人, 联系电话)."""

AGGREGATE_MEMBERS = frozenset({
    # what the data is
    "settings", "data_date", "source", "is_demo", "district_name", "district_population", "has_layer",
    # areas and their figures: every firm counted, no firm named
    "towns", "parks", "cells", "grid_key", "stats", "targets", "kpis", "ranking", "rank_of", "rank_at",
    "breakdown", "areas", "choropleth", "cell_table", "unassigned_cells", "suggest_sites",
    "service_xy", "service_radii",
    # commissioners (staff, not firms) and their counts
    "commissioners", "commissioner_directory", "cells_of", "commissioner_summary",
})
"""Engine members every scope gets from the full engine unchanged (aggregates and non-firm layers)."""

INSTANCE_MEMBERS = frozenset({"year", "metric_crs", "grid_cell_m", "grid_shape", "grid_over"})
"""Plain attributes of the full engine a scope may read (settings of the computation, no data)."""

OPEN_LAYERS = frozenset({"towns", "parks", "grids", "service_points", "gi_areas", "indicators", "commissioners"})
"""Layers :meth:`ScopedEngine.layer` hands out whole (areas, service points, GIs, targets, staff)."""

FIRM_LAYERS = frozenset({"enterprises"})
"""Layers handed out filtered to the scope's firms."""


class ScopeError(IpgridError, PermissionError):
    """A scoped engine was asked for something the scope rule has not classified (a programming error)."""


@dataclass(frozen=True)
class Scope:
    """Who is looking: role, and for a commissioner their name as in the grid assignments.

    Attributes
    ----------
    role
        ``admin``, ``leader``, ``commissioner`` or ``kiosk``.
    commissioner
        The 专员姓名 of a commissioner account ("" for the other roles).
    contacts
        Whether the firms seen come with contact people and phones.
    """

    role: str
    commissioner: str = ""
    contacts: bool = True

    @property
    def all_firms(self) -> bool:
        """Whether every firm is seen (admins and leaders)."""
        return self.role in ("admin", "leader")

    @property
    def no_firms(self) -> bool:
        """Whether no firm is seen at all (the kiosk; a commissioner account without a name)."""
        return self.role == "kiosk" or (self.role == "commissioner" and not self.commissioner)

    @property
    def is_everything(self) -> bool:
        """Whether nothing is filtered: an admin (contacts included)."""
        return self.role == "admin"

    @property
    def key(self) -> tuple[str, str, bool]:
        """Memo namespace of this scope."""
        return (self.role, self.commissioner, self.contacts)

    def label(self) -> str:
        """What the scope covers, in Chinese, for exports' 说明 sheet and the audit.

        >>> Scope("commissioner", "张三").label()
        '网格专员 张三 负责的网格'
        """
        if self.all_firms:
            return "全区" if self.contacts else "全区（不含联系方式）"
        if self.role == "commissioner":
            return f"网格专员 {self.commissioner} 负责的网格" if self.commissioner else "无（未关联专员姓名）"
        return "仅汇总数据"


FULL_SCOPE = Scope("admin")
"""Everything (an admin; the person at the machine when no login is needed)."""


class ScopedEngine(Engine):
    """The engine as one :class:`Scope` sees it (see the module docstring).

    Built per version and scope once (:func:`scoped`), over the full engine it
    never changes.  It is an :class:`Engine` to every caller, but it has no
    bundle and no data of its own: members listed in :data:`AGGREGATE_MEMBERS`
    are the full engine's; the firm-level ones below are filtered; every other
    member raises :class:`ScopeError`.
    """

    def __init__(self, full: Engine, scope: Scope) -> None:  # noqa: D107 - no Engine.__init__: nothing of its own
        self._full = full
        self._scope = scope

    def __getattr__(self, name: str) -> Any:
        if name in INSTANCE_MEMBERS:
            return getattr(self._full, name)
        if name.startswith("__"):
            raise AttributeError(name)
        msg = f"范围受限的视图不提供 {name!r}：请在 dashboard/access/scope.py 中把它归类"
        raise ScopeError(msg)

    @property
    def scope(self) -> Scope:
        """Whose view this is."""
        return self._scope

    @property
    def full(self) -> Engine:
        """The full engine behind this view — for the trusted code of this module and the audit only."""
        return self._full

    def memo(self, key: Hashable, compute: Callable[[], T], *, volatile: bool = False) -> T:
        """The full engine's memo, in this scope's own namespace (what a map prepares from scoped firms stays apart)."""
        return self._full.memo(("scope", self._scope.key, key), compute, volatile=volatile)

    # -- which firms --------------------------------------------------------------------------

    @cached_property
    def firm_mask(self) -> np.ndarray:
        """One boolean per firm of the full engine (its order): seen by this scope."""
        full = self._full
        n = len(full.firm_table())
        if self._scope.all_firms:
            return np.ones(n, dtype=bool)
        if self._scope.no_firms:
            return np.zeros(n, dtype=bool)
        cells = set(full.cells_of(self._scope.commissioner))
        return full.firm_table()["grid_id"].astype(str).isin(cells).to_numpy(dtype=bool)

    @cached_property
    def _seen_index(self) -> pd.Index:
        return self._full.firm_table().index[self.firm_mask]

    def _rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (rows of the full firm table, by its index) reduced to the firms seen, without contacts if so."""
        if not self._scope.all_firms:
            frame = frame[frame.index.isin(self._seen_index)]
        return self._without_contacts(frame)

    def _without_contacts(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self._scope.contacts:
            return frame
        return frame.drop(columns=[c for c in CONTACT_COLUMNS if c in frame.columns])

    def sees_firm_keys(self) -> set[str]:
        """Keys (:func:`~dashboard.engine.changes.firm_keys`) of the firms seen in this version (once per scope)."""
        return self.memo(("seen-firm-keys",), lambda: set(firm_keys(self._full.firm_table()[self.firm_mask]).tolist()))

    # -- firm-level answers, filtered ---------------------------------------------------------

    @property
    def enterprises(self) -> gpd.GeoDataFrame:
        """The enterprises layer, the firms seen only."""
        return self.memo(("enterprises",), lambda: self._without_contacts(self._full.enterprises[self.firm_mask]))

    @property
    def firms(self) -> gpd.GeoDataFrame:
        """:attr:`Engine.firms`, the firms seen only."""
        return self.memo(("firms",), lambda: self._without_contacts(self._full.firms[self.firm_mask]))

    @property
    def firm_xy(self) -> np.ndarray:
        """Projected coordinates of the firms seen (aligned with :attr:`firms` and :meth:`firm_table`)."""
        return self._full.firm_xy[self.firm_mask]

    @property
    def covered(self) -> np.ndarray:
        """Whether each firm seen is within a service point's reach (aligned with :meth:`firm_table`)."""
        return self._full.covered[self.firm_mask]

    def firm_table(self) -> pd.DataFrame:
        """:meth:`Engine.firm_table`, the firms seen only (the full table's index kept)."""
        return self.memo(("firm_table",), lambda: self._rows(self._full.firm_table()))

    def firms_in(self, level: str, area_id: str) -> pd.DataFrame:
        """The firms seen in one area (a commissioner: none outside their cells)."""
        return self._rows(self._full.firms_in(level, area_id))

    def firms_of(self, commissioner: str) -> pd.DataFrame:
        """The firms seen among those of ``commissioner`` (another commissioner's: none)."""
        return self._rows(self._full.firms_of(commissioner))

    def uncovered_firms(self) -> pd.DataFrame:
        """The firms seen that lie beyond every service point's reach."""
        def build() -> pd.DataFrame:
            full = self._full
            keep = full.placement.located & ~full.covered & self.firm_mask
            return self._without_contacts(pd.DataFrame(full.firm_table()[keep]).reset_index(drop=True))

        return self.memo(("uncovered",), build)

    def gi_table(self) -> pd.DataFrame:
        """Every geographic indication; its authorised users only as far as they are firms seen."""
        table = self._full.gi_table()
        if self._scope.all_firms or not len(table):
            return table
        table = table.copy()
        table["users"] = ["、".join(self.gi_users(str(n))["name"].astype(str)) or None for n in table["name"]]
        return table

    def gi_users(self, name: str) -> pd.DataFrame:
        """The authorised users of GI ``name`` that are firms seen (all listed users for leaders and admins)."""
        users = self._full.gi_users(name)
        if self._scope.all_firms:
            return users
        seen = set(self.firm_table()["name"].astype(str))
        return users[users["name"].astype(str).isin(seen)].reset_index(drop=True)

    @property
    def problems(self) -> ProblemLog:
        """The problems report — an admin's (it quotes rows of every file); an empty one for everybody else."""
        return self._full.problems if self._scope.is_everything else ProblemLog()

    def layer(self, name: str) -> gpd.GeoDataFrame | pd.DataFrame | None:
        """Layers of areas, points of service, GIs, targets and staff whole; firms filtered; rights refused."""
        if name in OPEN_LAYERS:
            return self._full.layer(name)
        if name in FIRM_LAYERS:
            return self.enterprises if self._full.has_layer(name) else None
        msg = f"范围受限的视图不提供图层 {name!r}"
        raise ScopeError(msg)

    def diff(self, old: Engine, level: str, key: Hashable) -> VersionDiff:
        """What changed from ``old`` to this version at ``level``: every area's figures, the firms seen only.

        The diff is worked out on the two full engines (once per pair, kept on
        the newer one) and its firm lists reduced to firms seen in either
        version — a firm that left the commissioner's cells still shows as leaving.
        """
        old_full = old.full if isinstance(old, ScopedEngine) else old
        diff = full_diff(old_full, self._full, level, key)
        if self._scope.all_firms:
            return diff
        before = scoped(old_full, self._scope)
        keys = self.sees_firm_keys() | (before.sees_firm_keys() if isinstance(before, ScopedEngine) else set())

        def seen(frame: pd.DataFrame) -> pd.DataFrame:
            if not len(frame):
                return frame
            return frame[firm_keys(frame).isin(keys).to_numpy()].reset_index(drop=True)

        return VersionDiff(level=diff.level, added=seen(diff.added), removed=seen(diff.removed),
                           first_ip=seen(diff.first_ip), lost_ip=seen(diff.lost_ip), moved=seen(diff.moved),
                           areas=diff.areas)


def full_diff(old: Engine, new: Engine, level: str, key: Hashable) -> VersionDiff:
    """:func:`~dashboard.engine.changes.diff_engines` of two full engines, once per ``key`` (kept by ``new``)."""
    return new.memo(("version-diff", key, level), lambda: diff_engines(old, new, level))


def version_diff(old: Engine, new: Engine, level: str, key: Hashable) -> VersionDiff:
    """What changed from ``old`` to ``new`` as ``new``'s viewer may see it (pages call this, never diff_engines).

    ``key`` names ``old`` for the memo (its version id): the diff is worked out once per pair.
    """
    if isinstance(new, ScopedEngine):
        return new.diff(old, level, key)
    return full_diff(old.full if isinstance(old, ScopedEngine) else old, new, level, key)


def scoped(engine: Engine, scope: Scope) -> Engine:
    """``engine`` as ``scope`` sees it: itself for an admin, else its :class:`ScopedEngine` (one per scope)."""
    if isinstance(engine, ScopedEngine):
        engine = engine.full
    if scope.is_everything:
        return engine
    return engine.memo(("scoped-engine", scope.key), lambda: ScopedEngine(engine, scope))


def _refuse(name: str) -> Any:
    def refused(self: ScopedEngine, *_args: Any, **_kwargs: Any) -> Any:
        msg = f"范围受限的视图不提供 {name!r}：请在 dashboard/access/scope.py 中把它归类"
        raise ScopeError(msg)

    return property(refused) if isinstance(inspect.getattr_static(Engine, name), property | cached_property) \
        else refused


def _delegate(name: str) -> Any:
    member = inspect.getattr_static(Engine, name)
    if isinstance(member, property | cached_property):
        return property(lambda self: getattr(self._full, name), doc=f"The full engine's ``{name}``.")

    def method(self: ScopedEngine, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._full, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"The full engine's ``{name}``."
    return method


def _classify() -> None:
    """Make every member of :class:`Engine` either the full engine's (aggregates), this module's, or refused."""
    own = set(vars(ScopedEngine))
    for name in dir(Engine):
        if name.startswith("__"):
            continue
        if name in AGGREGATE_MEMBERS:
            setattr(ScopedEngine, name, _delegate(name))
        elif name not in own:
            setattr(ScopedEngine, name, _refuse(name))


_classify()
