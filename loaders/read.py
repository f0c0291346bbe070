"""Read one layer file, vector or table, into canonical typed columns and geometry.

Layer-specific rules (USCC, duplicates, town lists, indicator names) come
after this step, in :mod:`loaders.layers`.

A layer that cannot be read as a whole — a required header missing, a
shapefile without its ``.dbf``, a boundary file without a single polygon —
comes back *failed*: an empty canonical frame (the schema's columns,
``source_row`` and, for spatial layers, a geometry column in EPSG:4326) with
the reason in the problems report, never a half-built frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from loaders import coerce, geometry, points
from loaders import crs as crs_mod
from loaders.config import FolderConfig, LayerConfig
from loaders.errors import DuplicateHeaderError, HeaderNotFoundError
from loaders.headers import HeaderMap, known_headers, map_headers
from loaders.problems import ProblemLog
from loaders.records import canonical_attributes
from loaders.schema import STORAGE_CRS, LayerSchema
from loaders.tables import TABLE_SUFFIXES, read_table
from loaders.vectors import KIND_LABELS, VECTOR_SUFFIXES, RawVector, read_vector


@dataclass
class ReadResult:
    """A layer file read into canonical columns, before layer-specific rules."""

    frame: pd.DataFrame
    """Accepted rows: schema fields + ``source_row`` (+ ``geometry`` in EPSG:4326)."""
    rows: int
    crs: str
    missing_fields: list[str]
    """Required fields without a header (every required field for a shapefile without .dbf)."""
    no_geometry: bool = False
    """The file has no feature of the geometry kind the layer needs."""
    guess: crs_mod.CrsGuess | None = None
    """Set when the file declares no CRS and it was guessed from the coordinates."""

    @property
    def failed(self) -> bool:
        """The layer could not be read at all (``frame`` is empty; the problems say why)."""
        return bool(self.missing_fields) or self.no_geometry


def empty_frame(schema: LayerSchema) -> pd.DataFrame:
    """The canonical frame of ``schema`` with no rows: typed columns, ``source_row``, geometry.

    Spatial layers get a GeoDataFrame in EPSG:4326, so every caller can use
    ``.geometry`` and ``.crs`` on a layer that failed.

    Examples
    --------
    >>> from loaders.schema import TOWNS
    >>> frame = empty_frame(TOWNS)
    >>> len(frame), str(frame.crs), frame.columns[-2:].tolist()
    (0, 'EPSG:4326', ['source_row', 'geometry'])
    """
    frame, _ = canonical_attributes(schema, pd.DataFrame(), np.zeros(0, dtype=np.int64), HeaderMap(),
                                    ProblemLog(), "")
    for spec in schema.fields:  # text as a read file gives it (an absent header gives all-null objects)
        if spec.dtype == "str":
            frame[spec.name] = coerce.clean_text(frame[spec.name])
    if schema.geometry == "none":
        return frame
    spatial: pd.DataFrame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=STORAGE_CRS).values,
                                             crs=STORAGE_CRS)
    return spatial


def _failed(schema: LayerSchema, rows: int, missing: list[str] | None = None) -> ReadResult:
    """A layer that could not be read: missing required headers, else no geometry of its kind."""
    return ReadResult(empty_frame(schema), rows, "", missing or [], no_geometry=not missing)


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
        raw = read_vector(path, encoding=layer_cfg.encoding, layer=_configured_layer(layer_cfg),
                          geometry=schema.geometry, prefer=schema.stems)
        _report_vector_notes(raw, schema, file_label, log)
        if raw.missing_dbf:
            log.add("shapefile_no_dbf", layer=schema.name, file=file_label, label=schema.label)
            return _failed(schema, len(raw.frame), schema.required_fields)
        attrs, source_rows, geoms, file_crs = raw.frame, raw.source_rows, raw.geometry, raw.crs
    else:
        assert suffix in TABLE_SUFFIXES
        try:
            table = read_table(
                path,
                known_headers=known_headers(schema, layer_cfg.columns),
                sheet=layer_cfg.sheet,
                header_row=layer_cfg.header_row,
                encoding=layer_cfg.encoding,
                layer=schema.name,
            )
        except (HeaderNotFoundError, DuplicateHeaderError) as exc:
            # the file was read but its header cannot be used: the layer fails with one problem, as a missing
            # required header does (validate exits 1, the analyses refuse the layer, nothing half there)
            code = "header_not_found" if isinstance(exc, HeaderNotFoundError) else "duplicate_header"
            log.add(code, layer=schema.name, file=file_label, detail=str(exc))
            return _failed(schema, 0, schema.required_fields)
        attrs, source_rows, geoms, file_crs = table.frame, table.source_rows, None, None

    headers = [str(c) for c in attrs.columns]
    hmap = map_headers(schema, headers, layer_cfg.columns)
    rows = len(attrs)
    if hmap.missing:
        for name in hmap.missing:
            log.add("missing_field", layer=schema.name, file=file_label, field=name,
                    key=name, label=schema.field(name).label, seen="、".join(headers) or "（无）")
        return _failed(schema, rows, hmap.missing)

    frame, accepted = canonical_attributes(schema, attrs, source_rows, hmap, log, file_label)
    ctx = _Context(schema, file_label, folder_cfg, log, source_rows)
    if schema.geometry == "polygon":
        return _with_polygons(ctx, frame, accepted, geoms, declared or file_crs, rows)
    if schema.geometry == "point":
        return _with_points(ctx, frame, accepted, geoms, declared or file_crs, declared, rows)
    return ReadResult(frame[accepted].reset_index(drop=True), rows, "", [])


def _configured_layer(layer_cfg: LayerConfig) -> str | None:
    """The layer of a multi-layer file named in ``ipgrid.toml`` (``layer = "…"``), if any."""
    return layer_cfg.layer


def _report_vector_notes(raw: RawVector, schema: LayerSchema, file_label: str, log: ProblemLog) -> None:
    if raw.encoding_note:
        log.add("encoding_guessed", layer=schema.name, file=file_label, detail=raw.encoding_note)
    if raw.choice is not None:
        log.add("vector_layer_chosen", layer=schema.name, file=file_label, count=len(raw.choice.layers),
                layers="、".join(i.describe() for i in raw.choice.layers), reason=raw.choice.reason,
                chosen=raw.choice.layer, section=schema.name)


@dataclass(frozen=True)
class _Context:
    schema: LayerSchema
    file: str
    folder_cfg: FolderConfig
    log: ProblemLog
    rows: np.ndarray


_POLYGON_TYPES = (3, 6, 7)  # Polygon, MultiPolygon, GeometryCollection (may hold polygons)
_POINT_TYPES = (0, 4)  # Point, MultiPoint
_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def _summary(type_ids: np.ndarray) -> str:
    """``3 个 Point、1 个没有几何图形`` for a message."""
    parts = []
    for type_id in sorted(set(type_ids.tolist())):
        n = int((type_ids == type_id).sum())
        parts.append(f"{n} 个没有几何图形" if type_id < 0 else f"{n} 个 {_TYPE_NAMES.get(type_id, '?')}")
    return "、".join(parts)


def _type_ids(geoms: gpd.GeoSeries) -> np.ndarray:
    values = geoms.values
    ids: np.ndarray = shapely.get_type_id(values)
    return np.where(shapely.is_empty(values), -1, ids)


def _with_polygons(ctx: _Context, frame: pd.DataFrame, accepted: np.ndarray, geoms: gpd.GeoSeries | None,
                   token: str | None, rows: int) -> ReadResult:
    schema = ctx.schema
    if geoms is None:  # a GI table: areas come from town lists
        frame = gpd.GeoDataFrame(frame, geometry=np.full(len(frame), None), crs=STORAGE_CRS)
        return ReadResult(frame[accepted].reset_index(drop=True), rows, "", [])
    # A GI row may give its area as a list of towns instead of a polygon.
    by_towns = None
    if "towns" in frame:
        by_towns = (geoms.isna() | geoms.is_empty).to_numpy() & frame["towns"].notna().to_numpy()
    types = _type_ids(geoms)
    if not np.isin(types, _POLYGON_TYPES).any() and (by_towns is None or not by_towns.any()):
        ctx.log.add("no_geometry_of_kind", layer=schema.name, file=ctx.file, field="geometry",
                    label=schema.label, kind=KIND_LABELS["polygon"], expected="Polygon/MultiPolygon",
                    summary=_summary(types))
        return _failed(schema, rows)
    stored, crs_label, guess = _to_storage(ctx, geoms, token)
    repaired, ok = geometry.polygons_only(stored, ctx.rows, ctx.log, schema.name, ctx.file, by_towns)
    if by_towns is not None:
        ok |= by_towns
    frame = gpd.GeoDataFrame(frame, geometry=repaired.values, crs=STORAGE_CRS)
    frame = frame[accepted & ok].reset_index(drop=True)
    return ReadResult(frame, rows, crs_label, [], guess=guess)


def _with_points(ctx: _Context, frame: pd.DataFrame, accepted: np.ndarray, geoms: gpd.GeoSeries | None,
                 token: str | None, declared: str | None, rows: int) -> ReadResult:
    schema, log = ctx.schema, ctx.log
    if geoms is None or (geoms.isna() | geoms.is_empty).all():
        pts, crs_label, guess = points.points_from_columns(
            frame, declared, ctx.folder_cfg.metric_crs, log, schema.name, ctx.file
        )
        frame = gpd.GeoDataFrame(frame, geometry=pts.values, crs=STORAGE_CRS)
        # lon/lat now say where the point is drawn (WGS-84), not what was typed.
        frame["lon"], frame["lat"] = pts.x.to_numpy(), pts.y.to_numpy()
        return ReadResult(frame[accepted].reset_index(drop=True), rows, crs_label, [], guess=guess)
    types = _type_ids(geoms)
    if not np.isin(types, _POINT_TYPES).any():
        log.add("no_geometry_of_kind", layer=schema.name, file=ctx.file, field="geometry",
                label=schema.label, kind=KIND_LABELS["point"], expected="Point", summary=_summary(types))
        return _failed(schema, rows)
    single = _single_points(geoms, types)
    wrong = ((types >= 0) & ~np.isin(types, _POINT_TYPES)) | ((types == 4) & single.isna().to_numpy())
    for i in np.flatnonzero(wrong).tolist():
        log.add("wrong_geometry", layer=schema.name, file=ctx.file, row=ctx.rows[i], field="geometry",
                value=_TYPE_NAMES.get(int(types[i]), "?"), expected="点（Point）")
    pts, crs_label, guess = _to_storage(ctx, single, token)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    frame["lon"], frame["lat"] = xy[:, 0], xy[:, 1]
    for i in np.flatnonzero((pts.isna().to_numpy() | pts.is_empty.to_numpy()) & ~wrong).tolist():
        log.add("no_coordinates", layer=schema.name, file=ctx.file, row=ctx.rows[i], field="geometry")
    frame = gpd.GeoDataFrame(frame, geometry=pts.values, crs=STORAGE_CRS)
    return ReadResult(frame[accepted & ~wrong].reset_index(drop=True), rows, crs_label, [], guess=guess)


def _single_points(geoms: gpd.GeoSeries, types: np.ndarray) -> gpd.GeoSeries:
    """2-D points: a MultiPoint of one point becomes that point; anything else not a point is None."""
    values = shapely.force_2d(geoms.values)
    out = np.full(len(values), None, dtype=object)
    is_point = types == 0
    out[is_point] = values[is_point]
    multi = np.flatnonzero(types == 4)
    if multi.size:
        ones = multi[shapely.get_num_geometries(values[multi]) == 1]
        out[ones] = shapely.get_geometry(values[ones], 0)
    return gpd.GeoSeries(out)


def _to_storage(ctx: _Context, geoms: gpd.GeoSeries, token: str | None
                ) -> tuple[gpd.GeoSeries, str, crs_mod.CrsGuess | None]:
    guess = None
    if token is None:
        present = geoms[~(geoms.isna() | geoms.is_empty)]
        if len(present) == 0:
            return gpd.GeoSeries(geoms.values, crs=STORAGE_CRS), "", None
        bounds = present.total_bounds
        guess = crs_mod.CrsGuess.from_candidates(crs_mod.guess_crs_candidates(
            np.array([bounds[0], bounds[2]]), np.array([bounds[1], bounds[3]]),
            ctx.folder_cfg.metric_crs,
        ))
        token = guess.token
        ctx.log.add("crs_guessed", layer=ctx.schema.name, file=ctx.file, crs=guess.describe())
    label = token if token in ("GCJ-02", "BD-09") else crs_mod.describe_crs(token)
    return geometry.reproject(geoms, token), label, guess
