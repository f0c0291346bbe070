"""Canonical layers, settings, problems and the engine's stored work, to and from what a store's tables hold.

A store keeps every column as its backend can type it (text, real, integer,
boolean, geometry); what pandas typed it as before is written beside it
(:func:`layer_meta`) and given back on reading (:func:`restored`), so an
opened version is the frame the loaders produced, column for column.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard.engine.placement import Placement
from dashboard.engine.rights import COUNT_COLUMNS, HolderMatching, RightsRollup
from loaders.bundle import Layer
from loaders.config import DistrictInfo, FolderConfig, LayerConfig
from loaders.problems import Problem, ProblemLog, Severity

STORAGE_CRS = "EPSG:4326"
"""Every spatial layer is stored in WGS-84 lon/lat, as the canonical layers are."""


def config_to_json(config: FolderConfig) -> str:
    """The folder's settings as JSON text (every field, defaults included).

    Keys keep their order: the order of ``[service_radius_m]`` and of the
    layers is what every view lists them in.
    """
    return json.dumps(dataclasses.asdict(config), ensure_ascii=False)


def config_from_json(text: str) -> FolderConfig:
    """The settings :func:`config_to_json` wrote.

    >>> c = FolderConfig(district=DistrictInfo(name="某区", data_date="2025-12-31"),
    ...                  layers={"towns": LayerConfig(file="a.gpkg", columns={"name": "镇名"})})
    >>> config_from_json(config_to_json(c)) == c
    True
    """
    data: dict[str, Any] = json.loads(text)
    district = DistrictInfo(**data.pop("district"))
    layers = {name: LayerConfig(**table) for name, table in data.pop("layers").items()}
    return FolderConfig(district=district, layers=layers, **data)


def problems_frame(problems: ProblemLog) -> pd.DataFrame:
    """The problems as a table (``row`` nullable integer), in their order."""
    return problems.to_frame()


def problems_from_frame(frame: pd.DataFrame) -> ProblemLog:
    """A problem log from the table :func:`problems_frame` made."""
    log = ProblemLog()
    items = []
    for record in frame.to_dict("records"):
        row = record["row"]
        severity: Severity = "error" if str(record["severity"]) == "error" else "warning"
        items.append(Problem(layer=str(record["layer"]), file=_text(record["file"]) or "",
                             row=None if _missing(row) else int(str(row)), field=_text(record["field"]),
                             code=str(record["code"]), severity=severity, message=str(record["message"])))
    log._items.extend(items)  # noqa: SLF001 — the log's own list, filled once in order
    return log


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def layer_meta(layer: Layer) -> dict[str, Any]:
    """How a layer was read and how its frame was typed: everything but the rows."""
    frame = layer.frame
    return {
        "file": layer.file, "rows": layer.rows, "accepted": layer.accepted, "crs": layer.crs,
        "crs_guessed": layer.crs_guessed, "failed": layer.failed,
        "columns": [str(c) for c in frame.columns],
        "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
        "spatial": isinstance(frame, gpd.GeoDataFrame),
    }


def storable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a canonical frame every backend can write: plain columns, geometry in :data:`STORAGE_CRS`."""
    out = frame.copy()
    for column, dtype in frame.dtypes.items():
        if column == "geometry" or isinstance(dtype, gpd.array.GeometryDtype):
            continue
        if dtype == np.dtype(object):  # mixed text / numbers / missing: stored as text, typed back on reading
            values = frame[column]
            text = values.astype(str).astype(object)
            out[column] = text.where(values.notna(), None)
        elif str(dtype) == "Int64":
            out[column] = frame[column].astype("float64")
    if isinstance(out, gpd.GeoDataFrame) and out.crs is not None and out.crs != STORAGE_CRS:
        out = out.to_crs(STORAGE_CRS)
    return out.reset_index(drop=True)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def restored(frame: pd.DataFrame, meta: dict[str, Any]) -> pd.DataFrame:
    """The canonical frame :func:`storable` wrote: its columns, in its order, with its dtypes."""
    columns = list(meta["columns"])
    dtypes: dict[str, str] = meta["dtypes"]
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column in columns:
        dtype = dtypes[column]
        if dtype == "geometry":
            continue
        values = frame[column] if column in frame else pd.Series([None] * len(frame))
        out[column] = _typed(values.reset_index(drop=True), dtype)
    if meta["spatial"]:
        geometry = frame.geometry.reset_index(drop=True) if isinstance(frame, gpd.GeoDataFrame) else None
        geoms = gpd.GeoSeries([None] * len(frame)) if geometry is None else geometry
        out = gpd.GeoDataFrame(out, geometry=geoms.values, crs=STORAGE_CRS)
        out = out[columns]
    return out


def _typed(values: pd.Series, dtype: str) -> pd.Series:
    if dtype == "object":
        plain = values.astype(object)
        return plain.where(plain.notna(), np.nan)
    if dtype.startswith("datetime64"):
        return pd.to_datetime(values).astype(pd.api.types.pandas_dtype(dtype))
    if dtype == "bool":
        return values.fillna(False).astype(bool)
    return values.astype(pd.api.types.pandas_dtype(dtype))


# -- the engine's stored work ---------------------------------------------------------------


def placement_frame(placement: Placement, rights: RightsRollup | None, n_firms: int) -> pd.DataFrame:
    """One row per firm (enterprises' order): town, cell, metric x/y, rights counted as of the data date."""
    out = pd.DataFrame({"firm": np.arange(n_firms, dtype=np.int64), "town": placement.town.astype(np.int64),
                        "grid": placement.grid.astype(np.int64), "x": placement.x, "y": placement.y})
    if rights is not None:
        for column in COUNT_COLUMNS:
            out[f"rights_{column}"] = rights.counts[column].to_numpy(dtype=np.int64)
    return out


def park_pairs_frame(placement: Placement) -> pd.DataFrame:
    """(firm, park) pairs: each park a firm lies in."""
    return pd.DataFrame({"firm": placement.park_firm.astype(np.int64), "park": placement.park_index.astype(np.int64)})


def placement_from(frame: pd.DataFrame, parks: pd.DataFrame) -> Placement:
    """The placement :func:`placement_frame` and :func:`park_pairs_frame` wrote."""
    frame = frame.sort_values("firm", kind="stable")
    parks = parks.sort_values(["firm", "park"], kind="stable") if len(parks) else parks
    return Placement(town=frame["town"].to_numpy(np.int64), grid=frame["grid"].to_numpy(np.int64),
                     park_firm=parks["firm"].to_numpy(np.int64) if len(parks) else np.zeros(0, np.int64),
                     park_index=parks["park"].to_numpy(np.int64) if len(parks) else np.zeros(0, np.int64),
                     x=frame["x"].to_numpy("float64"), y=frame["y"].to_numpy("float64"))


def rights_from(frame: pd.DataFrame, summary: dict[str, Any], holders: pd.DataFrame) -> RightsRollup | None:
    """The as-of roll-up kept in the placement table, the version's summary and its unmatched holders."""
    if not summary.get("has_rights"):
        return None
    frame = frame.sort_values("firm", kind="stable")
    counts = pd.DataFrame({c: frame[f"rights_{c}"].to_numpy(np.int64) for c in COUNT_COLUMNS})
    holders = holders.reset_index(drop=True)
    unmatched = pd.DataFrame({"holder": holders["holder"].astype(object), "rights": holders["rights"].astype(np.int64),
                              "first_row": holders["first_row"].astype(np.int64)})
    return RightsRollup(counts=counts, matched_records=int(summary["matched_records"]),
                        unmatched_records=int(summary["unmatched_records"]), unmatched_holders=unmatched)


def matching_frames(matching: HolderMatching) -> dict[str, pd.DataFrame]:
    """The matching as three tables: each record's group, (group, firm) pairs, (group, unmatched holder) pairs."""
    return {
        "match_records": pd.DataFrame({"record": np.arange(len(matching.codes), dtype=np.int64),
                                       "grp": matching.codes.astype(np.int64)}),
        "match_firms": pd.DataFrame({"grp": matching.firm_group, "firm": matching.firm}),
        "match_holders": pd.DataFrame({"grp": matching.miss_group, "key": matching.miss_key,
                                       "holder": [matching.key_names[k] for k in matching.miss_key.tolist()]}),
    }


def matching_from(frames: dict[str, pd.DataFrame], n_groups: int) -> HolderMatching:
    """The matching :func:`matching_frames` wrote (``n_groups``: ``len(matching.size)``, a group may be empty)."""
    records = frames["match_records"].sort_values("record", kind="stable")
    codes = records["grp"].to_numpy(np.int64)
    firms, holders = frames["match_firms"], frames["match_holders"]
    n_keys = int(holders["key"].max()) + 1 if len(holders) else 0
    names = [""] * n_keys
    for key, name in zip(holders["key"].tolist(), holders["holder"].tolist(), strict=True):
        names[int(key)] = str(name)
    return HolderMatching(codes=codes, size=np.bincount(codes, minlength=n_groups),
                          firm_group=firms["grp"].to_numpy(np.int64), firm=firms["firm"].to_numpy(np.int64),
                          miss_group=holders["grp"].to_numpy(np.int64), miss_key=holders["key"].to_numpy(np.int64),
                          key_names=names)
