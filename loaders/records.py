"""Turn raw cells into a layer's canonical attribute frame (fields typed, required values checked)."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd

from loaders import coerce
from loaders.headers import HeaderMap
from loaders.problems import ProblemLog
from loaders.schema import SOURCE_ROW, LayerSchema


class _Context(TypedDict):
    """Keyword arguments every :mod:`loaders.coerce` parser takes."""

    rows: np.ndarray
    log: ProblemLog
    layer: str
    file: str


def canonical_attributes(
    schema: LayerSchema,
    raw: pd.DataFrame,
    rows: np.ndarray,
    header_map: HeaderMap,
    log: ProblemLog,
    file: str,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Type every field of ``schema`` from ``raw`` and find rows missing a required value.

    Returns
    -------
    frame
        One column per schema field (absent headers give all-null columns)
        plus ``source_row``; same length and order as ``raw``.
    accepted
        Boolean mask of rows that have every required value; the others were
        reported as ``missing_value`` errors.
    """
    out: dict[str, pd.Series] = {}
    index = pd.RangeIndex(len(raw))
    ctx: _Context = {"rows": rows, "log": log, "layer": schema.name, "file": file}
    for spec in schema.fields:
        header = header_map.columns.get(spec.name)
        if header is None:
            out[spec.name] = _empty(spec.dtype, index)
            continue
        values = raw[header].reset_index(drop=True)
        if spec.dtype in ("float", "int"):
            number = coerce.to_number(
                values, spec, factor=header_map.factors.get(spec.name, 1.0),
                allow_negative=spec.name in ("lon", "lat"), **ctx,
            )
            out[spec.name] = number if spec.dtype == "float" else _to_int(number)
        elif spec.dtype == "date":
            out[spec.name] = coerce.to_date(values, spec, **ctx)
        elif spec.dtype == "bool":
            out[spec.name] = coerce.to_bool(values, spec, **ctx)
        else:
            out[spec.name] = coerce.clean_text(values, spec, **ctx)
    frame = pd.DataFrame(out, index=index)
    frame[SOURCE_ROW] = np.asarray(rows, dtype=np.int64)

    accepted = np.ones(len(frame), dtype=bool)
    for name in schema.required_fields:
        if name not in header_map.columns:
            continue
        empty = frame[name].isna().to_numpy()
        raw_blank = raw[header_map.columns[name]].map(coerce.is_blank).to_numpy()
        for i in np.flatnonzero(empty & raw_blank & accepted):
            log.add("missing_value", layer=schema.name, file=file, row=rows[i], field=name,
                    label=schema.field(name).label)
        accepted &= ~empty
    return frame, accepted


def _empty(dtype: str, index: pd.Index) -> pd.Series:
    if dtype == "float":
        return pd.Series(np.nan, index=index, dtype="float64")
    if dtype == "int":
        return pd.Series(pd.NA, index=index, dtype="Int64")
    if dtype == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if dtype == "bool":
        return pd.Series(pd.NA, index=index, dtype="boolean")
    return pd.Series(None, index=index, dtype=object)


def _to_int(values: pd.Series) -> pd.Series:
    whole = values.where(np.isclose(values, np.round(values)) | values.isna())
    return whole.round().astype("Int64")
