"""Read one layer file, vector or table, into canonical typed columns and geometry.

Layer-specific rules (USCC, duplicates, town lists, indicator names) come
after this step, in :mod:`loaders.layers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from loaders import crs as crs_mod
from loaders import geometry, points
from loaders.config import FolderConfig, LayerConfig
from loaders.headers import known_headers, map_headers
from loaders.problems import ProblemLog
from loaders.records import canonical_attributes
from loaders.schema import STORAGE_CRS, LayerSchema
from loaders.tables import TABLE_SUFFIXES, read_table
from loaders.vectors import VECTOR_SUFFIXES, read_vector


@dataclass
class ReadResult:
    """A layer file read into canonical columns, before layer-specific rules."""

    frame: pd.DataFrame
    """Accepted rows: schema fields + ``source_row`` (+ ``geometry`` in EPSG:4326)."""
    rows: int
    crs: str
    missing_fields: list[str]


def read_layer_file(
    schema: LayerSchema,
    path: Path,
    file_label: str,
    layer_cfg: LayerConfig,
    folder_cfg: FolderConfig,
    log: ProblemLog,
) -> ReadResult:
    """Read ``path`` as layer ``schema``; every rejected or doubtful row goes to ``log``."""
    suffix = path.suffix.lower()
    declared = crs_mod.parse_crs(layer_cfg.crs) if layer_cfg.crs else None
    if suffix in VECTOR_SUFFIXES:
        raw = read_vector(path, encoding=layer_cfg.encoding)
        if raw.encoding_note:
            log.add("encoding_guessed", layer=schema.name, file=file_label, detail=raw.encoding_note)
        attrs, source_rows, geoms, file_crs = raw.frame, raw.source_rows, raw.geometry, raw.crs
    else:
        table = read_table(
            path,
            known_headers=known_headers(schema, layer_cfg.columns),
            sheet=layer_cfg.sheet,
            header_row=layer_cfg.header_row,
            encoding=layer_cfg.encoding,
        )
        attrs, source_rows, geoms, file_crs = table.frame, table.source_rows, None, None
    assert suffix in VECTOR_SUFFIXES | TABLE_SUFFIXES

    headers = [str(c) for c in attrs.columns]
    hmap = map_headers(schema, headers, layer_cfg.columns)
    rows = len(attrs)
    if hmap.missing:
        for name in hmap.missing:
            log.add("missing_field", layer=schema.name, file=file_label, field=name,
                    key=name, label=schema.field(name).label, seen="、".join(headers) or "（无）")
        empty = pd.DataFrame(columns=[*schema.field_names, "source_row"])
        return ReadResult(empty, rows, "", hmap.missing)

    frame, accepted = canonical_attributes(schema, attrs, source_rows, hmap, log, file_label)
    crs_label = ""
    if schema.geometry == "polygon" and geoms is not None:
        geoms, crs_label = _to_storage(geoms, declared or file_crs, folder_cfg, log, schema, file_label)
        # A GI row may give its area as a list of towns instead of a polygon.
        by_towns = None
        if "towns" in frame:
            by_towns = (geoms.isna() | geoms.is_empty).to_numpy() & frame["towns"].notna().to_numpy()
        repaired, ok = geometry.polygons_only(geoms, source_rows, log, schema.name, file_label,
                                              by_towns)
        if by_towns is not None:
            ok |= by_towns
        frame = gpd.GeoDataFrame(frame, geometry=repaired.values, crs=STORAGE_CRS)
        accepted &= ok
    elif schema.geometry == "polygon":
        frame = gpd.GeoDataFrame(frame, geometry=np.full(len(frame), None), crs=STORAGE_CRS)
    elif schema.geometry == "point":
        if geoms is not None and not geoms.isna().all():
            pts, crs_label = _to_storage(geoms, declared or file_crs, folder_cfg, log, schema,
                                         file_label)
            xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
            frame["lon"], frame["lat"] = xy[:, 0], xy[:, 1]
            for i in np.flatnonzero(pts.isna().to_numpy() | pts.is_empty.to_numpy()):
                log.add("no_coordinates", layer=schema.name, file=file_label,
                        row=source_rows[i], field="geometry")
            frame = gpd.GeoDataFrame(frame, geometry=pts.values, crs=STORAGE_CRS)
        else:
            pts, crs_label = points.points_from_columns(
                frame, declared, folder_cfg.metric_crs, log, schema.name, file_label
            )
            frame = gpd.GeoDataFrame(frame, geometry=pts.values, crs=STORAGE_CRS)
            # lon/lat now say where the point is drawn (WGS-84), not what was typed.
            frame["lon"], frame["lat"] = pts.x.to_numpy(), pts.y.to_numpy()
    frame = frame[accepted].reset_index(drop=True)
    return ReadResult(frame, rows, crs_label, [])


def _to_storage(
    geoms: gpd.GeoSeries,
    token: str | None,
    folder_cfg: FolderConfig,
    log: ProblemLog,
    schema: LayerSchema,
    file_label: str,
) -> tuple[gpd.GeoSeries, str]:
    if token is None:
        present = geoms[~(geoms.isna() | geoms.is_empty)]
        if len(present) == 0:
            return gpd.GeoSeries(geoms.values, crs=STORAGE_CRS), ""
        bounds = present.total_bounds
        token, _reason = crs_mod.guess_crs(
            np.array([bounds[0], bounds[2]]), np.array([bounds[1], bounds[3]]),
            folder_cfg.metric_crs,
        )
        log.add("crs_guessed", layer=schema.name, file=file_label, crs=crs_mod.describe_crs(token))
    label = token if token in ("GCJ-02", "BD-09") else crs_mod.describe_crs(token)
    return geometry.reproject(geoms, token), label
