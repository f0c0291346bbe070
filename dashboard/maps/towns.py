"""The towns layer: 镇街 polygons with their name and resident population."""

from __future__ import annotations

import functools

import folium
import geopandas as gpd

from dashboard.maps.geojson import display_frame, escape_text, format_count

TOWN_FIELDS: dict[str, str] = {"name": "名称", "code": "区划代码", "population": "常住人口"}
"""Canonical column → label shown in tooltips, popups and tables."""

TOOLTIP_FIELDS = ("name", "population")
"""Columns the hover tooltip shows."""

POPUP_FIELDS = ("name", "code", "population")
"""Columns the click popup shows."""

TOWN_STYLE = {
    "color": "#1d4e89",
    "weight": 1.5,
    "fillColor": "#7fb3d5",
    "fillOpacity": 0.35,
}
"""Leaflet path style of a town."""

TOWN_HIGHLIGHT = {"weight": 3, "fillOpacity": 0.55}
"""Style added while the pointer is over a town."""

_FORMATTERS = {
    "name": escape_text,
    "code": escape_text,
    "population": functools.partial(format_count, unit="人"),
}


def _style(_feature: dict) -> dict:
    return dict(TOWN_STYLE)


def _highlight(_feature: dict) -> dict:
    return dict(TOWN_HIGHLIGHT)


def towns_layer(towns: gpd.GeoDataFrame, *, name: str = "镇街") -> folium.GeoJson:
    """Build a GeoJson layer of towns with a 名称/常住人口 tooltip and a popup.

    Every text is HTML-escaped first: a town called
    ``<img src=x onerror=alert(1)>`` shows as that text.

    Parameters
    ----------
    towns
        Canonical towns layer: columns ``name`` (required), ``code`` and
        ``population`` (optional) and polygon geometry, in any CRS
        (reprojected on a copy to EPSG:4326).
    name
        Layer name (as a layer control would list it).

    Returns
    -------
    folium.GeoJson
        The layer, not yet added to a map.

    Raises
    ------
    ValueError
        ``towns`` has no ``name`` column or no CRS.
    """
    if "name" not in towns.columns:
        msg = f"towns needs a 'name' column; it has {list(towns.columns)}"
        raise ValueError(msg)
    shown = display_frame(towns, _FORMATTERS, what="towns")
    return folium.GeoJson(
        shown.to_geo_dict(show_bbox=False),
        name=name,
        style_function=_style,
        highlight_function=_highlight,
        tooltip=folium.GeoJsonTooltip(
            fields=list(TOOLTIP_FIELDS),
            aliases=[TOWN_FIELDS[f] for f in TOOLTIP_FIELDS],
            sticky=True,
        ),
        popup=folium.GeoJsonPopup(
            fields=list(POPUP_FIELDS),
            aliases=[TOWN_FIELDS[f] for f in POPUP_FIELDS],
        ),
        zoom_on_click=False,
    )


def add_towns(
    fmap: folium.Map, towns: gpd.GeoDataFrame, *, fit: bool = True, name: str = "镇街"
) -> folium.GeoJson:
    """Draw ``towns`` on ``fmap`` and, by default, zoom the map to them.

    Parameters
    ----------
    fmap
        The map, changed in place.
    towns
        Canonical towns layer (see :func:`towns_layer`).
    fit
        Fit the map's view to the towns' extent.
    name
        Layer name.

    Returns
    -------
    folium.GeoJson
        The layer added.
    """
    layer = towns_layer(towns, name=name)
    layer.add_to(fmap)
    if fit:
        bounds = layer.get_bounds()
        if None not in bounds[0] + bounds[1]:
            fmap.fit_bounds(bounds, padding=(12, 12))
    return layer
