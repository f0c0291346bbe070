"""Basemaps a user can choose: none (the default), Tianditu with a key, or an intranet XYZ mirror.

No basemap is the default: the boundaries are drawn on a plain background and
nothing leaves the machine.  A basemap is an explicit choice of the user, so
its tile URL is the one external address :func:`dashboard.maps.assets.localize`
lets through (the layer is marked :data:`USER_BASEMAP`).

A basemap declares the coordinate system of its tiles: Tianditu is CGCS2000
(the same as WGS-84 at map scale); Amap-style mirrors are GCJ-02, and then
every vector layer is shifted the same way (:class:`dashboard.maps.shapes.Shift`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium

from dashboard.maps.assets import USER_BASEMAP
from dashboard.maps.shapes import Shift

BASEMAP_KINDS: dict[str, str] = {
    "none": "无底图（仅边界，默认）",
    "tianditu": "天地图（需密钥）",
    "custom": "自定义瓦片地址（内网镜像）",
}
"""Basemap kind → Chinese label."""

TILE_SYSTEMS: dict[str, str] = {
    "WGS-84": "WGS-84 / CGCS2000（天地图、OSM 类）",
    "GCJ-02": "GCJ-02（高德类，矢量图层随之偏移）",
}
"""Coordinate system of a custom tile source → Chinese label."""

TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
"""Tianditu WMTS in Web Mercator; ``layer`` is ``vec`` (roads) or ``cva`` (labels)."""

_KEY = re.compile(r"^[0-9A-Za-z]{8,64}$")
_XYZ = re.compile(r"^(https?://|/)[^\s\"'<>]*\{z\}[^\s\"'<>]*$")


class BasemapError(ValueError):
    """A basemap setting cannot be used (missing key, URL without {z}/{x}/{y})."""


@dataclass(frozen=True)
class Basemap:
    """A chosen basemap.

    Attributes
    ----------
    kind
        Key of :data:`BASEMAP_KINDS`.
    key
        Tianditu key (``tk``).
    url
        XYZ template of a custom source, e.g. ``http://10.1.2.3/tiles/{z}/{x}/{y}.png``.
    system
        Key of :data:`TILE_SYSTEMS`: the coordinate system of the tiles.
    """

    kind: str = "none"
    key: str = ""
    url: str = ""
    system: str = "WGS-84"

    def check(self) -> Basemap:
        """Return ``self`` when usable; raise :class:`BasemapError` with what to fix."""
        if self.kind not in BASEMAP_KINDS:
            msg = f"底图类型应为 {sorted(BASEMAP_KINDS)} 之一，而不是 {self.kind!r}"
            raise BasemapError(msg)
        if self.kind == "tianditu" and not _KEY.match(self.key.strip()):
            msg = "天地图需要密钥（tk，8–64 位字母或数字）；请在「底图」中填写"
            raise BasemapError(msg)
        if self.kind == "custom":
            if not _XYZ.match(self.url.strip()) or "{x}" not in self.url or "{y}" not in self.url:
                msg = "自定义瓦片地址应以 http(s):// 或 / 开头，并包含 {z}、{x}、{y}，例如 http://10.0.0.8/tiles/{z}/{x}/{y}.png"
                raise BasemapError(msg)
            if self.system not in TILE_SYSTEMS:
                msg = f"瓦片坐标系应为 {sorted(TILE_SYSTEMS)} 之一，而不是 {self.system!r}"
                raise BasemapError(msg)
        return self

    @property
    def shift(self) -> Shift:
        """How vector layers must move to sit on these tiles."""
        return Shift("GCJ-02" if self.kind == "custom" and self.system == "GCJ-02" else "WGS-84")


NO_BASEMAP = Basemap()


def _tile_layer(url: str, name: str, attr: str, **kwargs: Any) -> folium.TileLayer:
    layer = folium.TileLayer(tiles=url, attr=attr, name=name, overlay=False, control=False, **kwargs)
    setattr(layer, USER_BASEMAP, True)
    return layer


def add_basemap(fmap: folium.Map, basemap: Basemap) -> Shift:
    """Add the tiles of ``basemap`` to ``fmap`` (nothing for ``none``); return the vector shift.

    Raises
    ------
    BasemapError
        The basemap is not usable (see :meth:`Basemap.check`).
    """
    basemap.check()
    if basemap.kind == "tianditu":
        key = basemap.key.strip()
        for layer in ("vec", "cva"):
            _tile_layer(TIANDITU_URL.format(s="{s}", layer=layer, key=key), f"天地图{layer}", "天地图",
                        subdomains="01234567", max_zoom=18).add_to(fmap)
    elif basemap.kind == "custom":
        _tile_layer(basemap.url.strip(), "自定义底图", "自定义底图", max_zoom=19).add_to(fmap)
    return basemap.shift
