"""Layer-specific rules applied after a file is read into canonical columns.

Each ``finish_*`` function takes the accepted rows of one layer and returns
the canonical frame, reporting what it set aside: duplicate enterprises and
bad credit codes, points outside every town, GI town lists that name unknown
towns, indicator names and units.
"""

from __future__ import annotations

import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from loaders.config import FolderConfig
from loaders.geometry import report_town_tiling
from loaders.indicator_catalog import find_indicator
from loaders.problems import ProblemLog
from loaders.uscc import normalize_uscc_series, uscc_faults


def _first_row_of_duplicates(keys: pd.Series, rows: pd.Series) -> pd.Series:
    """For each row whose key repeats an earlier one, the earlier row's number; else NA."""
    present = keys.notna()
    first = rows[present].groupby(keys[present]).transform("first")
    out = pd.Series(pd.NA, index=keys.index, dtype="Int64")
    dup = present & keys.duplicated(keep="first")
    out[dup] = first[dup[present]].astype("int64")
    return out


def _report_duplicate_areas(frame: pd.DataFrame, key: str, log: ProblemLog, layer: str,
                            file: str) -> None:
    first = _first_row_of_duplicates(frame[key], frame["source_row"])
    rows = frame["source_row"].to_numpy()
    for i in np.flatnonzero(first.notna().to_numpy()).tolist():
        log.add("duplicate_area", layer=layer, file=file, row=rows[i],
                field=key, value=frame[key].iat[i], first_row=first.iat[i])


def finish_towns(frame: gpd.GeoDataFrame, cfg: FolderConfig, log: ProblemLog,
                 file: str) -> gpd.GeoDataFrame:
    """Report duplicate town names and the overlaps/gaps of the tiling."""
    _report_duplicate_areas(frame, "name", log, "towns", file)
    if len(frame):
        report_town_tiling(frame, cfg.metric_crs, cfg.overlap_tolerance_m2, log, file)
    return frame


def finish_parks(frame: gpd.GeoDataFrame, cfg: FolderConfig, log: ProblemLog,
                 file: str) -> gpd.GeoDataFrame:
    """Report duplicate park names (parks may overlap towns and each other)."""
    _report_duplicate_areas(frame, "name", log, "parks", file)
    return frame


def finish_grids(frame: gpd.GeoDataFrame, cfg: FolderConfig, log: ProblemLog,
                 file: str) -> gpd.GeoDataFrame:
    """Report duplicate cell ids."""
    _report_duplicate_areas(frame, "grid_id", log, "grids", file)
    return frame


_NAME_NOISE = re.compile(r"[\s()（）\[\]【】]")


def normalize_company_name(name: object) -> str | None:
    """Name key for matching: half-width, no spaces or brackets, 有限责任公司 → 有限公司.

    Examples
    --------
    >>> normalize_company_name("南通 甲乙（集团）有限责任公司")
    '南通甲乙集团有限公司'
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return None
    s = unicodedata.normalize("NFKC", str(name))
    s = _NAME_NOISE.sub("", s).replace("有限责任公司", "有限公司")
    return s or None


_NOISE_CHARS = (" ", "\t", "\n", "\r", "(", ")", "[", "]", "【", "】")


def normalize_company_names(names: pd.Series) -> pd.Series:
    """:func:`normalize_company_name` over a column, with Arrow compute kernels (no Python loop).

    Missing or empty names give a missing key.  After NFKC, full-width
    brackets and spaces are ASCII, so a few plain substring removals do what
    the regular expression does one name at a time.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = names if names.dtype == "str" else names.astype("str")
    arr = pc.utf8_normalize(pa.array(text.array), "NFKC")  # Arrow-backed: no copy
    for ch in _NOISE_CHARS:
        arr = pc.replace_substring(arr, ch, "")
    arr = pc.replace_substring(arr, "有限责任公司", "有限公司")
    out = pd.Series(pd.array(arr, dtype=text.dtype), index=names.index)
    return out.where(out.str.len() > 0)


def finish_enterprises(
    frame: gpd.GeoDataFrame,
    towns: gpd.GeoDataFrame | None,
    log: ProblemLog,
    file: str,
) -> gpd.GeoDataFrame:
    """Check credit codes, drop repeated enterprises (reported), report points outside the towns.

    The first row of a duplicate is kept; later ones are reported with the
    first row's number and left out so no firm is counted twice.
    """
    rows = frame["source_row"]
    row_numbers = rows.to_numpy()
    frame = frame.copy()
    frame["uscc"] = normalize_uscc_series(frame["uscc"])
    faults = uscc_faults(frame["uscc"])
    for i in np.flatnonzero(faults.notna().to_numpy()).tolist():
        log.add("bad_uscc", layer="enterprises", file=file, row=row_numbers[i], field="uscc",
                value=frame["uscc"].iat[i], detail=faults.iat[i])

    dup_code = _first_row_of_duplicates(frame["uscc"], rows)
    # name_key: the name as matched against rights holders and duplicates (one definition).
    frame["name_key"] = normalize_company_names(frame["name"])
    name_key = frame["name_key"].where(frame["uscc"].isna())
    dup_name = _first_row_of_duplicates(name_key, rows)
    for i in np.flatnonzero(dup_code.notna().to_numpy()).tolist():
        log.add("duplicate_uscc", layer="enterprises", file=file, row=row_numbers[i], field="uscc",
                value=frame["uscc"].iat[i], first_row=dup_code.iat[i])
    for i in np.flatnonzero(dup_name.notna().to_numpy()).tolist():
        log.add("duplicate_name", layer="enterprises", file=file, row=row_numbers[i], field="name",
                value=frame["name"].iat[i], first_row=dup_name.iat[i])
    keep = (dup_code.isna() & dup_name.isna()).to_numpy()
    frame = frame[keep].reset_index(drop=True)
    report_outside_towns(frame, towns, log, "enterprises", file)
    return frame


def report_outside_towns(
    frame: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None, log: ProblemLog, layer: str, file: str
) -> None:
    """Report located points that fall in no town (the engine places them in 区外)."""
    if towns is None or len(towns) == 0 or len(frame) == 0:
        return
    located = ~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    if not located.any():
        return
    district = shapely.union_all(towns.geometry.values)
    shapely.prepare(district)
    pts = frame.geometry.values[located]
    inside = shapely.covers(district, pts)
    rows = frame["source_row"].to_numpy()
    for i in np.flatnonzero(located)[~inside].tolist():
        log.add("outside_towns", layer=layer, file=file, row=rows[i], field="geometry")


def finish_service_points(
    frame: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None, cfg: FolderConfig, log: ProblemLog,
    file: str,
) -> gpd.GeoDataFrame:
    """Report service types without a configured reach radius and points outside the towns."""
    radii = frame["radius_m"].to_numpy()
    rows = frame["source_row"].to_numpy()
    for i, kind in enumerate(frame["type"]):
        if kind not in cfg.service_radius_m and pd.isna(radii[i]):
            log.add("unknown_service_type", layer="service_points", file=file,
                    row=rows[i], field="type", value=kind)
    report_outside_towns(frame, towns, log, "service_points", file)
    return frame


_TOWN_SPLIT = re.compile(r"[、，,;；/|\s]+|和|及")
_SCOPE_NOISE = re.compile(r"^(保护范围|产地范围)(为|是|:|：)?|(现辖)?行政区域.*$|等$")
_SUFFIXES = ("镇", "街道", "乡", "办事处")


def split_town_list(text: str) -> list[str]:
    """Town names in a protection-area text.

    Examples
    --------
    >>> split_town_list("保护范围为西亭镇、兴仁镇现辖行政区域")
    ['西亭镇', '兴仁镇']
    """
    s = _SCOPE_NOISE.sub("", unicodedata.normalize("NFKC", str(text)).strip())
    return [p for p in _TOWN_SPLIT.split(s) if p]


def _town_lookup(towns: gpd.GeoDataFrame) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for i, name in enumerate(towns["name"]):
        n = unicodedata.normalize("NFKC", str(name)).strip()
        lookup[n] = i
        for suffix in _SUFFIXES:
            if n.endswith(suffix) and len(n) > len(suffix) + 1:
                lookup.setdefault(n[: -len(suffix)], i)
    return lookup


def finish_gi_areas(
    frame: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None, log: ProblemLog, file: str
) -> gpd.GeoDataFrame:
    """Resolve GIs given as town lists into polygons (union of the towns named).

    Unknown town names are reported; a GI none of whose towns is known is
    rejected.  ``towns_resolved`` lists the towns used, ``from_towns`` tells
    whether the polygon came from the list.
    """
    frame = frame.copy()
    lookup = _town_lookup(towns) if towns is not None else {}
    geoms = list(frame.geometry.values)
    resolved_names: list[str | None] = []
    from_towns = np.zeros(len(frame), dtype=bool)
    keep = np.ones(len(frame), dtype=bool)
    rows = frame["source_row"].to_numpy()
    for i in range(len(frame)):
        text = frame["towns"].iat[i]
        if geoms[i] is not None and not shapely.is_empty(geoms[i]):
            resolved_names.append(None)
            continue
        row = rows[i]
        found: list[int] = []
        unknown: list[str] = []
        for part in split_town_list(text):
            idx = lookup.get(part)
            if idx is None:
                unknown.append(part)
            elif idx not in found:
                found.append(idx)
        if not found or towns is None:  # (without towns nothing is found)
            log.add("no_towns_resolved", layer="gi_areas", file=file, row=row, field="towns",
                    value=text)
            keep[i] = False
            resolved_names.append(None)
            continue
        for part in unknown:
            log.add("unknown_town", layer="gi_areas", file=file, row=row, field="towns",
                    value=part)
        geoms[i] = shapely.union_all(towns.geometry.values[found])
        resolved_names.append("、".join(str(towns["name"].iat[j]) for j in found))
        from_towns[i] = True
    frame = frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs).values)
    frame["towns_resolved"] = resolved_names
    frame["from_towns"] = from_towns
    return frame[keep].reset_index(drop=True)


_KINDS = {"实际": "actual", "实际值": "actual", "actual": "actual", "完成": "actual",
          "完成值": "actual", "目标": "target", "目标值": "target", "target": "target"}


def finish_indicators(frame: pd.DataFrame, log: ProblemLog, file: str) -> pd.DataFrame:
    """Normalize indicator names to catalog keys, convert units, read actual/target.

    Adds ``key`` (catalog key, or the name as written for unknown indicators),
    ``label`` and ``kind`` (``actual``/``target``); ``value`` and ``unit``
    are converted to the catalog unit.
    """
    frame = frame.copy()
    rows = frame["source_row"].to_numpy()
    bad_year = frame["year"].isna() | (frame["year"] < 1900) | (frame["year"] > 2100)
    for i in np.flatnonzero(bad_year.to_numpy()).tolist():
        log.add("bad_year", layer="indicators", file=file, row=rows[i], field="year",
                value=frame["year"].iat[i])
    in_units, in_values, in_kinds = (frame[c].to_numpy() for c in ("unit", "value", "kind"))
    keys: list[str] = []
    labels: list[str] = []
    units: list[str | float | None] = []  # text as written, or missing
    values: list[float] = []
    kinds: list[str] = []
    for i in range(len(frame)):
        name = str(frame["indicator"].iat[i])
        unit = in_units[i]
        value = in_values[i]
        known = find_indicator(name)
        if known is None:
            log.add("unknown_indicator", layer="indicators", file=file, row=rows[i],
                    field="indicator", value=name)
            keys.append(name)
            labels.append(name)
            units.append(unit)
        else:
            written = unicodedata.normalize("NFKC", str(unit)).strip() if not pd.isna(unit) else known.unit
            factor = known.unit_factors.get(written, 1.0)
            value = value * factor
            keys.append(known.key)
            labels.append(known.label)
            units.append(known.unit)
        values.append(value)
        kind_text = in_kinds[i]
        kind = "actual"
        if not pd.isna(kind_text):
            named = _KINDS.get(unicodedata.normalize("NFKC", str(kind_text)).strip().lower())
            if named is None:
                log.add("unknown_kind", layer="indicators", file=file, row=rows[i],
                        field="kind", value=kind_text)
            else:
                kind = named
        kinds.append(kind)
    frame["key"], frame["label"], frame["unit"] = keys, labels, units
    frame["value"], frame["kind"] = values, kinds
    return frame[~bad_year.to_numpy()].reset_index(drop=True)
