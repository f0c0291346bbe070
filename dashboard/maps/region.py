"""The map of a city's or province's districts, each coloured by a metric (the 全部区县 page).

It is the overview's choropleth one level up: the same classification and
colours (:func:`~dashboard.maps.views.fills_of`), legend, tooltips and layer
(:func:`~dashboard.maps.views.choropleth_props`,
:func:`~dashboard.maps.views.choropleth_layer`), drawn from the rows of
:func:`dashboard.app_data.region_data` instead of one engine's areas.  The
outlines come already simplified (:data:`dashboard.scale.tasks.OUTLINE_TOLERANCE_DEG`);
here they are only rounded, shifted to the basemap and encoded.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.classify import DEFAULT_K, DEFAULT_SCHEME
from dashboard.engine.catalog import DEFAULT_METRIC, STORAGE_CRS
from dashboard.maps.basemaps import NO_BASEMAP, Basemap
from dashboard.maps.shapes import NO_SHIFT, Shift, bounds_of, decimals_for, encode_polygons
from dashboard.maps.views import (
    check_mappable,
    choropleth_layer,
    choropleth_props,
    fills_of,
    fit,
    legend_for,
    new_map,
)
from loaders.errors import EngineInputError

DISTRICT_KIND = "district"
"""``properties.kind`` of a district's feature (``properties.id`` is its name in the store)."""


def district_shapes(districts: gpd.GeoDataFrame, shift: Shift = NO_SHIFT) -> tuple[np.ndarray, int]:
    """The districts' outlines in lon/lat, rounded (and shifted to the basemap), and the decimals kept.

    Raises
    ------
    loaders.errors.EngineInputError
        ``districts`` has no CRS (it is never assumed).
    """
    if districts.crs is None:
        msg = "区县边界没有坐标系（CRS）；先用 set_crs() 声明坐标系再制图"
        raise EngineInputError(msg)
    decimals = decimals_for(len(districts))
    lonlat = districts.geometry.to_crs(STORAGE_CRS).to_numpy()
    rounded = shapely.transform(lonlat, lambda xy: np.round(xy, decimals))
    return shift.geoms(rounded, decimals), decimals


def district_rows(districts: pd.DataFrame, metric: str) -> pd.DataFrame:
    """What a district's tooltip and click need: ``id`` and ``name`` (its name in the store), the value, the firms.

    Raises
    ------
    loaders.errors.EngineInputError
        A column the map needs is missing.
    """
    missing = [c for c in dict.fromkeys(("district", metric, "enterprises")) if c not in districts.columns]
    if missing:
        msg = f"区县表缺少列 {missing}；应为 region_data() 的 districts（district 列在前，然后是区县统计列）"
        raise EngineInputError(msg)
    names = districts["district"].astype(str).to_numpy()
    return pd.DataFrame({"id": names, "name": names, metric: districts[metric].to_numpy(),
                         "enterprises": districts["enterprises"].to_numpy()})


def region_map(districts: gpd.GeoDataFrame, metric: str = DEFAULT_METRIC, scheme: str = DEFAULT_SCHEME,
               k: int = DEFAULT_K, *, basemap: Basemap = NO_BASEMAP, demo: bool = False,
               selected: str | None = None) -> folium.Map:
    """The districts' outlines coloured by ``metric``, with its legend, fitted to the districts.

    Parameters
    ----------
    districts
        :attr:`dashboard.app_data.RegionData.districts`: one row per district,
        ``district`` and the district-level statistics, outlines in a declared CRS.
    metric
        Key of :data:`~dashboard.engine.catalog.MAPPABLE_METRICS`.
    scheme, k
        Classification (:data:`dashboard.classify.SCHEMES`) and number of classes.
    basemap
        Tiles under the map (default: none, so nothing is loaded from the network).
    demo
        Put the 示例数据 label on the map.
    selected
        Name of a district to outline.

    Returns
    -------
    folium.Map
        Not yet localized (:func:`dashboard.maps.show_map` / :func:`map_html` do it).
        A click reports ``properties.id`` = the district's name and ``properties.kind`` = ``"district"``.

    Raises
    ------
    loaders.errors.EngineInputError
        ``metric`` is not mappable, a column is missing or the outlines have no CRS.
    """
    check_mappable(metric)
    rows = district_rows(districts, metric)
    fmap, shift = new_map(basemap=basemap, demo=demo)
    geoms, decimals = district_shapes(districts, shift)
    classes, fills = fills_of(rows[metric], scheme, k)
    layer = choropleth_layer(encode_polygons(geoms, decimals), choropleth_props(rows, metric, fills), metric,
                             decimals=decimals, kind=DISTRICT_KIND, selected=selected)
    layer.add_to(fmap)
    legend_for(classes, metric, scheme, bool((classes.yb < 0).any())).add_to(fmap)
    fit(fmap, bounds_of(geoms))
    return fmap
