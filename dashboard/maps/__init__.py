"""Offline folium maps: Leaflet from the app's own static folder, layers drawn safely.

The package root is the API; modules behind it may move.

- :func:`make_map` — an empty map that loads nothing from the internet.
- :func:`ensure_vendor_assets` — copy Leaflet & co. into ``static/vendor/``.
- :func:`add_demo_label` — the 示例数据 label on the map.
- :func:`prepare_assets` — :func:`ensure_vendor_assets` once per app process.
- :func:`show_map` / :func:`map_html` — put a map on a page / render it.
- :func:`map_payload` — a map rendered once per data version and inputs, shared by every session.
- :mod:`dashboard.maps.views` — whole maps from the engine (:func:`level_map`) and one
  function per layer; :mod:`dashboard.maps.layers` — the compact, text-safe Leaflet
  elements they use; :mod:`dashboard.maps.basemaps` — basemap choices.
"""

from __future__ import annotations

from dashboard.maps.assets import (
    ExternalAssetError,
    asset_url,
    ensure_vendor_assets,
    localize,
    make_map,
)
from dashboard.maps.labels import DEMO_LABEL, MapLabel, add_demo_label
from dashboard.maps.render import MapPayload, map_html, map_payload, prepare_assets, show_map
from dashboard.maps.views import LAYERS, level_map, new_map

__all__ = [
    "DEMO_LABEL",
    "LAYERS",
    "MapPayload",
    "ExternalAssetError",
    "MapLabel",
    "add_demo_label",
    "asset_url",
    "ensure_vendor_assets",
    "localize",
    "level_map",
    "make_map",
    "map_html",
    "map_payload",
    "new_map",
    "prepare_assets",
    "show_map",
]
