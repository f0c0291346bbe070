"""What changed between two versions of a data folder: which firms, and each area's figures.

:func:`diff_engines` compares two :class:`~dashboard.engine.core.Engine`
objects (the older version D1, the newer D2) and knows nothing of where the
versions are stored.  It answers the questions a district office asks of a
new delivery of its data: which firms are new, which closed, which got their
first right (培育成功), which lost every right, which moved to another town,
and how each town's (park's, cell's) figures went.

Identity rules
--------------
A firm is the same firm in both versions by its credit code when both give
one (normalized as the loaders do: :func:`loaders.uscc.normalize_uscc_series`),
else by its name key (:func:`loaders.layers.normalize_company_names`, the key
the rights matcher and the duplicate check use).  So a renamed firm with the
same code is not a change, and a firm whose code was filled in, or whose
mistyped code (a bad check digit: the loaders keep the value and warn) was
corrected, is matched by name; two different valid codes are two firms.  A
key seen k times in one version pairs its k-th occurrence with the k-th of
the other, so repeated rows that did not change produce nothing (the loaders
already keep only the first of a duplicate).

A firm *moved* when both versions locate it and the towns differ, 区外 counting
as a town; a town is the same town in both versions by id (code, else name),
else by name.  A firm 未定位 in either version did not move: without
coordinates nobody knows where it is.  Holding IP is the metric's own rule
(:func:`dashboard.engine.metrics.firm_values`, ``enterprises_with_ip``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from dashboard.engine import metrics as m
from dashboard.engine import placement as pl
from dashboard.engine.catalog import AREA_LEVELS, LEVEL_LABELS, json_ready
from dashboard.engine.core import Engine
from loaders.errors import ChoiceError
from loaders.layers import normalize_company_names
from loaders.uscc import normalize_uscc_series, uscc_faults

__all__ = ["DIFF_METRICS", "FIRM_COLUMNS", "MOVED_COLUMNS", "MovedFirm", "VersionDiff", "diff_engines", "firm_keys"]

DIFF_METRICS: Final[tuple[str, ...]] = ("enterprises", "enterprises_with_ip", "invention_patents", "ip_coverage_rate")
"""Metrics of :meth:`Engine.stats` compared area by area (``{key}_from``, ``{key}_to``, ``{key}_change``)."""

FIRM_COLUMNS: Final[tuple[str, ...]] = ("uscc", "name", "town")
"""Columns of the firm lists of a :class:`VersionDiff` (added, removed, first_ip, lost_ip)."""

MOVED_COLUMNS: Final[tuple[str, ...]] = ("uscc", "name", "from", "to")
"""Columns of :attr:`VersionDiff.moved`."""

FIRM_LISTS: Final[dict[str, tuple[str, str]]] = {
    "added": ("新增企业", "本期名录中新出现的企业"),
    "removed": ("减少企业", "上期在名录中、本期不在（注销、迁出或漏报）"),
    "first_ip": ("培育成功", "上期没有任何有效专利、商标、著作权，本期有"),
    "lost_ip": ("不再拥有知识产权", "上期有有效知识产权，本期没有"),
    "moved": ("迁移企业", "所在镇街发生变化"),
}
"""Firm list of a :class:`VersionDiff` → (Chinese name, what it holds): one wording for the pages and the big screen."""

_NO_TOWN: Final = -3
"""Town code of an old town the new version does not have: equal to no code of the new version."""


@dataclass(frozen=True)
class MovedFirm:
    """A firm located in another town (or 区外) in the new version than in the old."""

    uscc: str
    """Normalized credit code, "" when the firm has none."""
    name: str
    """The firm's name in the new version."""
    from_town: str
    to_town: str


@dataclass(frozen=True)
class VersionDiff:
    """What changed between two versions, for one level of areas (see :func:`diff_engines`).

    Attributes
    ----------
    level
        ``town``, ``park`` or ``grid``: the level of :attr:`areas`.
    added, removed
        Firms only in the new / only in the old version: ``uscc``, ``name``,
        ``town`` (in the version the firm is in).
    first_ip, lost_ip
        Firms in both versions that held no right in the old and some in the
        new (培育成功) / some in the old and none in the new; ``town`` in the new.
    moved
        Firms in both versions located in different towns (区外 included):
        ``uscc``, ``name``, ``from``, ``to``.
    areas
        One row per area: ``id``, ``name`` and, per metric of
        :data:`DIFF_METRICS`, ``{key}_from``, ``{key}_to``, ``{key}_change``
        (null when either side is).  New areas in the new version's order,
        then the areas only the old version had; at the town level the 区外
        and 未定位 rows come last, so the rows add up to the district.
    """

    level: str
    added: pd.DataFrame
    removed: pd.DataFrame
    first_ip: pd.DataFrame
    lost_ip: pd.DataFrame
    moved: pd.DataFrame
    areas: pd.DataFrame

    def to_json(self) -> dict[str, object]:
        """The diff as JSON-ready data (no NaN, whole counts as ``int``) for storage, the CLI and the big screen.

        Firms are listed by credit code; a firm without one by its name, so
        every entry still says which firm it is.  Each area row carries every
        column of :attr:`areas`.

        Examples
        --------
        The shape (every list is empty when nothing changed)::

            {"level": "town",
             "enterprises": {"added": ["9132…"], "removed": [], "first_ip": [], "lost_ip": [],
                             "moved": [{"uscc": "9132…", "from": "甲镇", "to": "乙镇"}]},
             "areas": [{"id": "320612100000", "name": "甲镇", "enterprises_from": 3, "enterprises_to": 2,
                        "enterprises_change": -1, …}]}
        """
        moved = [{"uscc": who, "from": str(src), "to": str(dst)}
                 for who, src, dst in zip(_identities(self.moved), self.moved["from"], self.moved["to"], strict=True)]
        enterprises = {"added": _identities(self.added), "removed": _identities(self.removed),
                       "first_ip": _identities(self.first_ip), "lost_ip": _identities(self.lost_ip),
                       "moved": moved}
        return {"level": self.level, "enterprises": json_ready(enterprises),
                "areas": json_ready(self.areas.to_dict("records"))}


def _identities(firms: pd.DataFrame) -> list[str]:
    """Each firm's credit code, or its name when it has none."""
    return [str(code) if code else str(name) for code, name in zip(firms["uscc"], firms["name"], strict=True)]


# --------------------------------------------------------------------------- firms


def _codes(firms: pd.DataFrame) -> pd.Series:
    """Normalized credit codes (``None`` when blank), as the loaders normalize them."""
    if "uscc" not in firms:
        return pd.Series(None, index=firms.index, dtype=object)
    return normalize_uscc_series(firms["uscc"])


def _name_keys(firms: pd.DataFrame) -> pd.Series:
    """Name keys: the loaders' ``name_key`` column when present, else computed the same way."""
    keys = firms["name_key"] if "name_key" in firms else normalize_company_names(firms["name"])
    return keys.astype(object).where(keys.notna(), None)


def firm_keys(firms: pd.DataFrame) -> pd.Series:
    """The identity of each firm across versions: ``uscc:<code>``, else ``name:<name key>``.

    Two rows of different versions with the same key are the same firm.
    :func:`diff_engines` also pairs a firm left over with a missing or faulty
    code with a left-over firm of the same name key (the code was filled in
    or corrected), which a key alone cannot say.

    Parameters
    ----------
    firms
        Enterprises with ``name`` (and ``uscc``, ``name_key`` when known), such as :attr:`Engine.firms`.

    Returns
    -------
    Series
        One key per row (same index), ``None`` for a row with neither code nor name.

    Examples
    --------
    >>> firm_keys(pd.DataFrame({"name": ["甲 公司", "乙（集团）公司"], "uscc": [" 91ａb", None]})).tolist()
    ['uscc:91AB', 'name:乙集团公司']
    """
    codes = _codes(firms)
    names = _name_keys(firms)
    keys = pd.Series(None, index=firms.index, dtype=object)
    named = names.notna()
    keys[named] = "name:" + names[named].astype(str)
    coded = codes.notna()
    keys[coded] = "uscc:" + codes[coded].astype(str)
    return keys


@dataclass(frozen=True)
class _Firms:
    """What the diff needs of one version's firms, as arrays in the order of :attr:`Engine.firms`."""

    labels: list[str]
    """The normalized credit code of each firm as shown, "" when it has none."""
    strong: np.ndarray
    """Whether the firm has a valid credit code (then only that code identifies it)."""
    keys: pd.Series
    name_keys: pd.Series
    names: np.ndarray
    towns: np.ndarray
    """Town name, 区外 or 未定位 (:meth:`Engine.firm_table`)."""
    town_codes: np.ndarray
    """Town position, :data:`~dashboard.engine.placement.OUTSIDE` or ``UNLOCATED``."""
    has_ip: np.ndarray

    def label(self, pos: int) -> str:
        """The credit code shown for the firm at ``pos`` ("" when it has none)."""
        return self.labels[pos]


def _firms_of(engine: Engine) -> _Firms:
    firms = engine.firms
    codes = _codes(firms).reset_index(drop=True)
    faults = uscc_faults(codes)
    strong = (codes.notna() & faults.isna()).to_numpy(dtype=bool)
    held = m.firm_values(firms)["enterprises_with_ip"] > 0
    labels = codes.where(codes.notna(), "").astype(str).tolist()
    return _Firms(labels=labels, strong=strong, keys=firm_keys(firms).reset_index(drop=True),
                  name_keys=_name_keys(firms).reset_index(drop=True),
                  names=firms["name"].astype(str).to_numpy(dtype=object),
                  towns=engine.firm_table()["town"].astype(str).to_numpy(dtype=object),
                  town_codes=np.asarray(engine.placement.town, dtype=np.int64), has_ip=held)


def _pair(old_keys: pd.Series, new_keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Positions (old, new) of equal keys, the k-th occurrence in old with the k-th in new; ``None`` never pairs.

    Pairs come in the order of ``new_keys``.
    """
    def occurrences(keys: pd.Series) -> pd.DataFrame:
        table = pd.DataFrame({"key": keys.to_numpy(dtype=object), "pos": np.arange(len(keys), dtype=np.int64)})
        table = table[table["key"].notna()]
        return table.assign(occ=table.groupby("key").cumcount())

    both = occurrences(new_keys).merge(occurrences(old_keys), on=["key", "occ"], suffixes=("_new", "_old"))
    return both["pos_old"].to_numpy(dtype=np.int64), both["pos_new"].to_numpy(dtype=np.int64)


def _match_firms(old: _Firms, new: _Firms) -> tuple[np.ndarray, np.ndarray]:
    """Positions (old, new) of the firms in both versions, in the new version's order.

    First by :func:`firm_keys`; then a left-over firm without a valid code is
    paired by name key with a left-over firm of the other version (a code
    filled in or corrected).  Firms with two different valid codes stay apart.
    """
    old_free = np.ones(len(old.keys), dtype=bool)
    new_free = np.ones(len(new.keys), dtype=bool)
    found_old: list[np.ndarray] = []
    found_new: list[np.ndarray] = []

    def pair_free(old_keys: pd.Series, new_keys: pd.Series) -> None:
        o, n = _pair(old_keys.where(old_free, None), new_keys.where(new_free, None))
        old_free[o] = False
        new_free[n] = False
        found_old.append(o)
        found_new.append(n)

    pair_free(old.keys, new.keys)
    pair_free(old.name_keys.where(~old.strong, None), new.name_keys)  # old without a valid code
    pair_free(old.name_keys, new.name_keys.where(~new.strong, None))  # new without a valid code
    o_all, n_all = np.concatenate(found_old), np.concatenate(found_new)
    order = np.argsort(n_all, kind="stable")
    return o_all[order], n_all[order]


def _firm_list(side: _Firms, positions: np.ndarray, codes_from: _Firms | None = None,
               other: np.ndarray | None = None) -> pd.DataFrame:
    """``uscc, name, town`` of ``side``'s firms at ``positions``; a missing code from ``codes_from`` at ``other``."""
    uscc = []
    for i, pos in enumerate(positions.tolist()):
        code = side.label(pos)
        if not code and codes_from is not None and other is not None:
            code = codes_from.label(int(other[i]))
        uscc.append(code)
    return pd.DataFrame({"uscc": pd.Series(uscc, dtype=object),
                         "name": pd.Series(side.names[positions], dtype=object),
                         "town": pd.Series(side.towns[positions], dtype=object)}, columns=list(FIRM_COLUMNS))


def _moved(old: _Firms, new: _Firms, o: np.ndarray, n: np.ndarray, town_map: np.ndarray) -> list[MovedFirm]:
    """The paired firms (``o``, ``n``) whose town differs, both located; ``town_map``: old town → new town."""
    old_code, new_code = old.town_codes[o], new.town_codes[n]
    mapped = np.where(old_code >= 0, town_map[np.clip(old_code, 0, None)] if len(town_map) else _NO_TOWN, old_code)
    located = (old_code != pl.UNLOCATED) & (new_code != pl.UNLOCATED)
    out = []
    for i in np.flatnonzero(located & (mapped != new_code)).tolist():
        po, pn = int(o[i]), int(n[i])
        out.append(MovedFirm(uscc=new.label(pn) or old.label(po), name=str(new.names[pn]),
                             from_town=str(old.towns[po]), to_town=str(new.towns[pn])))
    return out


# --------------------------------------------------------------------------- areas


def _area_pairs(old: pd.DataFrame, new: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (old, new) of one table of areas each, -1 for the side an area is missing from.

    Matched by ``id``, then the rest by ``name``; new rows in their order,
    then the old-only ones.
    """
    old_free = np.ones(len(old), dtype=bool)
    new_free = np.ones(len(new), dtype=bool)
    old_of_new = np.full(len(new), -1, dtype=np.int64)
    for column in ("id", "name"):
        old_keys = old[column].astype(str).where(old[column].notna().to_numpy() & old_free, None)
        new_keys = new[column].astype(str).where(new[column].notna().to_numpy() & new_free, None)
        o, n = _pair(old_keys, new_keys)
        old_of_new[n] = o
        old_free[o] = False
        new_free[n] = False
    only_old = np.flatnonzero(old_free)
    old_pos = np.concatenate([old_of_new, only_old])
    new_pos = np.concatenate([np.arange(len(new), dtype=np.int64), np.full(len(only_old), -1, dtype=np.int64)])
    return old_pos, new_pos


def _split(engine: Engine, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:meth:`Engine.stats` of ``level`` as (the areas, the 区外/未定位 rows after them)."""
    stats = engine.stats(level).reset_index(drop=True)
    n = len(engine.areas(level))
    return stats.iloc[:n].reset_index(drop=True), stats.iloc[n:].reset_index(drop=True)


def _take(values: pd.Series, positions: np.ndarray) -> np.ndarray:
    """``values`` at ``positions`` as floats, NaN at position -1."""
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if len(array) == 0:
        return np.full(len(positions), np.nan)
    taken: np.ndarray = np.where(positions >= 0, array[np.clip(positions, 0, None)], np.nan)
    return taken


def _text(old: pd.Series, new: pd.Series, old_pos: np.ndarray, new_pos: np.ndarray) -> list[str]:
    """The new version's text of each row, else the old one's."""
    old_values, new_values = old.astype(object).to_numpy(), new.astype(object).to_numpy()
    return [str(new_values[n]) if n >= 0 else str(old_values[o])
            for o, n in zip(old_pos.tolist(), new_pos.tolist(), strict=True)]


def _area_table(old: pd.DataFrame, new: pd.DataFrame, old_pos: np.ndarray, new_pos: np.ndarray) -> pd.DataFrame:
    """``id``, ``name`` and from/to/change of every :data:`DIFF_METRICS` metric, whole counts as integers."""
    before = pd.DataFrame({k: _take(old[k], old_pos) for k in DIFF_METRICS})
    after = pd.DataFrame({k: _take(new[k], new_pos) for k in DIFF_METRICS})
    change = after - before  # NaN when either side is
    parts = {suffix: m.tidy_types(frame) for suffix, frame in
             (("from", before), ("to", after), ("change", change))}
    table = pd.DataFrame({"id": pd.Series(_text(old["id"], new["id"], old_pos, new_pos), dtype=object),
                          "name": pd.Series(_text(old["name"], new["name"], old_pos, new_pos), dtype=object)})
    for key in DIFF_METRICS:
        for suffix, frame in parts.items():
            table[f"{key}_{suffix}"] = frame[key].array  # keeps Int64 (to_numpy would not)
    return table


def _areas(old: Engine, new: Engine, level: str) -> pd.DataFrame:
    old_areas, old_extra = _split(old, level)
    new_areas, new_extra = _split(new, level)
    tables = [_area_table(old_areas, new_areas, *_area_pairs(old_areas, new_areas))]
    if len(old_extra) or len(new_extra):
        tables.append(_area_table(old_extra, new_extra, *_area_pairs(old_extra, new_extra)))
    return pd.concat(tables, ignore_index=True)


def _town_map(old: Engine, new: Engine) -> np.ndarray:
    """For each old town position, the position of the same town in the new version, else ``_NO_TOWN``."""
    old_towns, _ = _split(old, "town")
    new_towns, _ = _split(new, "town")
    old_pos, new_pos = _area_pairs(old_towns, new_towns)
    town_map = np.full(len(old_towns), _NO_TOWN, dtype=np.int64)
    both = (old_pos >= 0) & (new_pos >= 0)
    town_map[old_pos[both]] = new_pos[both]
    return town_map


# --------------------------------------------------------------------------- the diff


def _checked_level(level: str) -> str:
    if level not in AREA_LEVELS:
        choices = "、".join(f"{key}（{LEVEL_LABELS[key]}）" for key in AREA_LEVELS)
        msg = f"对比的层级应为 {choices} 之一，而不是 {level!r}"
        raise ChoiceError(msg)
    return level


def diff_engines(old: Engine, new: Engine, level: str = "town") -> VersionDiff:
    """What changed from version ``old`` (D1) to version ``new`` (D2): firms, and areas of ``level``.

    Pure: reads the two engines (their firms, placement and area tables),
    changes neither, stores nothing.  The rules (which firm is which, when a
    firm moved, what holding IP means) are in the module docstring.

    Parameters
    ----------
    old, new
        Engines of the older and the newer version of the district's data.
    level
        ``town``, ``park`` or ``grid``: the areas compared in :attr:`VersionDiff.areas`.
        Firm moves are always between towns.

    Returns
    -------
    VersionDiff
        The firm lists and the area table.

    Raises
    ------
    loaders.errors.ChoiceError
        ``level`` is not one of :data:`~dashboard.engine.catalog.AREA_LEVELS`.
    """
    level = _checked_level(level)
    before, after = _firms_of(old), _firms_of(new)
    o, n = _match_firms(before, after)
    only_new = np.setdiff1d(np.arange(len(after.keys)), n)
    only_old = np.setdiff1d(np.arange(len(before.keys)), o)
    gained = ~before.has_ip[o] & after.has_ip[n]
    lost = before.has_ip[o] & ~after.has_ip[n]
    moved = _moved(before, after, o, n, _town_map(old, new))
    return VersionDiff(
        level=level,
        added=_firm_list(after, only_new),
        removed=_firm_list(before, only_old),
        first_ip=_firm_list(after, n[gained], before, o[gained]),
        lost_ip=_firm_list(after, n[lost], before, o[lost]),
        moved=pd.DataFrame({"uscc": pd.Series([f.uscc for f in moved], dtype=object),
                            "name": pd.Series([f.name for f in moved], dtype=object),
                            "from": pd.Series([f.from_town for f in moved], dtype=object),
                            "to": pd.Series([f.to_town for f in moved], dtype=object)}, columns=list(MOVED_COLUMNS)),
        areas=_areas(old, new, level),
    )
