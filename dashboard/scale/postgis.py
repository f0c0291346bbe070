"""The firm and rights counts per area done by PostGIS itself: ``ST_Covers`` joins on the layers' GiST indexes.

The engine places firms once, at import, and keeps the placement in the
store; this module places them again inside the database, from the stored
points and outlines, and sums the same per-firm values.  It is what the
city/province batch is measured against (``python bench/scale.py``) and
``ipgrid stats … --all-districts --via postgis``.

It follows the engine's rules exactly (:mod:`dashboard.engine.placement`):

- a point belongs to an area that *covers* it (``ST_Covers``: interior or
  boundary), planar in the stored EPSG:4326 coordinates, as shapely does;
- a point on an edge shared by two towns (or cells) belongs to the first in
  the layer's order (``ORDER BY ipgrid_row LIMIT 1``); parks may overlap, and
  each park covering a firm counts it;
- a firm is counted only in its own district's version: a firm on the border
  of two districts is counted once, by the district whose file lists it;
- the holdings are those the engine counts: the rights layer's counts as of
  the data date when the version has one (the stored placement's
  ``rights_*`` columns), else the enterprise table's own columns.

What PostGIS cannot give without the engine (areas' population, service
reach, GI names, ratios other than the coverage rate) is left out: those
come from the engine (``--via engine``, the default).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.engine import metrics as m
from dashboard.engine.catalog import LEVEL_LABELS
from dashboard.scale.batch import BatchError
from dashboard.scale.tasks import DISTRICT_COLUMN
from dashboard.store import Store, Version
from dashboard.store.tables import version_table
from loaders.errors import EngineInputError
from loaders.schema import HOLDING_FIELDS, OUTSIDE_AREA, UNLOCATED_AREA

COUNT_KEYS: tuple[str, ...] = ("enterprises", "enterprises_with_ip", *HOLDING_FIELDS, "pledge_amount_wan")
"""The columns this aggregation sums (``ip_coverage_rate`` is derived from the first two)."""

LEVEL_LAYERS = {"town": "towns", "park": "parks", "grid": "grids"}
"""Level → the stored layer its areas come from."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _firm_values(version: Version) -> tuple[str, str]:
    """The query of the per-firm values of ``version``, and the sums to take of them."""
    vid = version.version_id
    has_rights = bool(version.summary.get("has_rights"))

    def held(key: str) -> str:
        return f"COALESCE(p.rights_{key}, 0)" if has_rights else f"COALESCE(e.{_quoted(key)}, 0)"

    any_held = " + ".join(held(k) for k in HOLDING_FIELDS if k != "high_value_inventions")  # also an invention
    values = [f"{held(k)}::float8 AS {k}" for k in HOLDING_FIELDS]
    values += ["COALESCE(e.pledge_amount_wan, 0)::float8 AS pledge_amount_wan",
               f"CASE WHEN {any_held} > 0 THEN 1 ELSE 0 END AS with_ip"]
    source = f"{_quoted(version_table(vid, 'enterprises'))} e"
    if has_rights:
        source += f" JOIN {_quoted(version_table(vid, 'placement'))} p ON p.firm = e.ipgrid_row"
    firms = f"SELECT e.ipgrid_row AS firm, e.geometry AS g, {', '.join(values)} FROM {source}"
    sums = ", ".join(["count(*)::float8 AS enterprises", "sum(with_ip)::float8 AS enterprises_with_ip",
                      *[f"sum({k}) AS {k}" for k in (*HOLDING_FIELDS, "pledge_amount_wan")]])
    return firms, sums


def _first_area_sql(firms: str, sums: str, areas: str) -> str:
    """Sums by the first area covering each firm; code -1 for 区外, -2 for 未定位."""
    return (f"WITH f AS ({firms}) "
            f"SELECT CASE WHEN f.g IS NULL OR ST_IsEmpty(f.g) THEN -2 ELSE COALESCE(hit.pos, -1) END AS code, {sums} "
            f"FROM f LEFT JOIN LATERAL (SELECT a.ipgrid_row AS pos FROM {areas} a "
            f"WHERE ST_Covers(a.geometry, f.g) ORDER BY a.ipgrid_row LIMIT 1) hit ON true GROUP BY 1")


def _every_area_sql(firms: str, sums: str, areas: str) -> str:
    """Sums by every area covering each firm (parks may overlap)."""
    return (f"WITH f AS ({firms}) SELECT a.ipgrid_row AS code, {sums} "
            f"FROM f JOIN {areas} a ON ST_Covers(a.geometry, f.g) GROUP BY 1")


def _area_names(conn: sa.Connection, table: str, level: str) -> pd.DataFrame:
    """Position, id and name of every area of a stored layer (ids and names as the engine gives them)."""
    if level == "grid":
        frame = pd.read_sql(sa.text(f"SELECT ipgrid_row AS code, grid_id, name FROM {table} ORDER BY ipgrid_row"),
                            conn)
        ids = [str(i) for i in frame["grid_id"]]
        names = [str(n) if isinstance(n, str) and n else i for n, i in zip(frame["name"], ids, strict=True)]
        return pd.DataFrame({"code": frame["code"], "id": ids, "name": names})
    frame = pd.read_sql(sa.text(f"SELECT ipgrid_row AS code, code AS area_code, name FROM {table} "
                                "ORDER BY ipgrid_row"), conn)
    ids = [str(c).strip() if pd.notna(c) and str(c).strip() else str(nm)
           for c, nm in zip(frame["area_code"], frame["name"], strict=True)]
    return pd.DataFrame({"code": frame["code"], "id": ids, "name": [str(n) for n in frame["name"]]})


def district_counts(store: Store, version: Version, level: str) -> pd.DataFrame:
    """One district version's sums at ``level`` (``district``, ``town``, ``park`` or ``grid``), the engine's rows.

    Raises
    ------
    BatchError
        ``level`` is ``grid`` and the version has no grid layer (generated cells are not stored).
    """
    firms, sums = _firm_values(version)
    columns = [DISTRICT_COLUMN, "level", "id", "name", "enterprises", "enterprises_with_ip", "ip_coverage_rate",
               *HOLDING_FIELDS, "pledge_amount_wan"]
    with store.backend.sql.connect() as conn:
        if level == "district":
            row = conn.execute(sa.text(f"WITH f AS ({firms}) SELECT {sums} FROM f")).mappings().one()
            table = pd.DataFrame([{"code": 0, "id": "district", "name": version.district or LEVEL_LABELS["district"],
                                   **dict(row)}])
        else:
            layer = LEVEL_LAYERS[level]
            if layer not in version.layers:
                if level == "park":  # a district without parks has no park rows, as in the engine
                    return pd.DataFrame(columns=columns)
                msg = (f"区县「{version.district}」没有网格图层（网格为自动生成，不在数据库中），"
                       "--via postgis 不能按网格汇总；请用 --via engine")
                raise BatchError(msg)
            areas = _quoted(version_table(version.version_id, layer))
            query = (_every_area_sql if level == "park" else _first_area_sql)(firms, sums, areas)
            counts = pd.read_sql(sa.text(query), conn)
            names = _area_names(conn, areas, level)
            if level == "town":
                extra = pd.DataFrame({"code": [-1, -2], "id": ["outside", "unlocated"],
                                      "name": [OUTSIDE_AREA, UNLOCATED_AREA]})
                names = pd.concat([names, extra], ignore_index=True)
            table = names.merge(counts, on="code", how="left")
    for key in COUNT_KEYS:
        table[key] = pd.to_numeric(table[key], errors="coerce").fillna(0.0).astype("float64")
    table.insert(0, "level", level)
    table.insert(0, DISTRICT_COLUMN, version.district)
    return m.tidy_types(m.derive_ratios(table))[columns]


def postgis_counts(location: str, level: str) -> pd.DataFrame:
    """:func:`district_counts` of every district's latest version in force, end to end in the store's order.

    Raises
    ------
    BatchError
        The store is not a PostGIS one, has no version in force, or a grid count was asked of generated cells.
    loaders.errors.EngineInputError
        ``level`` is not a level.
    """
    if level not in ("district", *LEVEL_LAYERS):
        msg = f"层级应为 {['district', *LEVEL_LAYERS]} 之一，而不是 {level!r}"
        raise EngineInputError(msg)
    store = Store(location)
    if store.backend.kind != "postgis":
        msg = f"--via postgis 只用于 PostGIS 存储（postgresql:// 地址），而「{store.location}」是 GeoPackage 文件"
        raise BatchError(msg)
    frames = [district_counts(store, latest, level) for latest in store.latest_by_district().values()
              if latest is not None]
    if not frames:
        msg = f"存储 {store.location} 中没有有效的区县版本"
        raise BatchError(msg)
    return pd.concat(frames, ignore_index=True)
