"""A self-contained HTML map for e-mail: Leaflet inlined, nothing loaded from anywhere.

The page holds Leaflet's JavaScript and CSS (read from the installed
``xstatic-leaflet`` package, its images as ``data:`` URIs), the areas as
GeoJSON, and the same title, legend classes, colours, data date, source and
示例数据 label as the static exports.  It opens from a file on a machine with
no network.  Leaflet's own attribution link (the only web address in its
source) is pointed at ``#`` and Leaflet is credited in the footer instead, so
the file names no external address at all.

Text from the data reaches the page only HTML-escaped: names go into
tooltips (which Leaflet sets as ``innerHTML``) and into the boxes drawn here.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import branca.element
import folium
import folium.elements
import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry
import xstatic.pkg.leaflet as xs_leaflet
from branca.element import MacroElement
from folium.template import Template

from dashboard.engine.catalog import COORD_DECIMALS
from dashboard.exports.view import APP_NAME, MapView
from dashboard.theme import DEMO_BADGE, NO_DATA

CONTEXT_STYLE = {"color": "#9ca3af", "weight": 0.8, "fillColor": "#f7f7f8", "fillOpacity": 1.0}
"""Areas outside the focus."""

PAGE_CSS = """
html, body {margin:0; padding:0; height:100%;
  font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;}
.leaflet-container {background:#ffffff;}
.ipgrid-box {position:absolute; z-index:1000; background:rgba(255,255,255,.94); border:1px solid #9ca3af;
  border-radius:3px; padding:6px 10px; color:#1f2933; font-size:12px; line-height:1.45;}
.ipgrid-title {top:10px; left:56px; max-width:60%;}
.ipgrid-title h1 {font-size:18px; margin:0 0 2px 0; font-weight:600;}
.ipgrid-title div {color:#6b7280;}
.ipgrid-legend {bottom:10px; right:10px;}
.ipgrid-legend .swatch {display:inline-block; width:22px; height:12px; margin-right:6px; vertical-align:-2px;
  border:1px solid #6b7280;}
.ipgrid-legend .note {color:#6b7280; font-size:11px;}
.ipgrid-footer {bottom:40px; left:10px; color:#6b7280; font-size:11px;}
.ipgrid-north {top:10px; right:10px; text-align:center; font-weight:600; padding:4px 8px;}
.ipgrid-demo {top:64px; right:10px; background:#b42318; color:#fff; font-weight:700; font-size:14px; border:none;}
"""

_CSS_URL = re.compile(r"url\(\s*['\"]?(images/[^'\")]+)['\"]?\s*\)")


def _leaflet_dir() -> Path:
    return Path(xs_leaflet.BASE_DIR)


def inline_css() -> str:
    """leaflet.css with its images turned into ``data:`` URIs."""
    folder = _leaflet_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        path = folder / match.group(1)
        if not path.is_file():
            return "url(data:,)"
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return _CSS_URL.sub(data_uri, css)


def inline_js() -> str:
    """leaflet.js, its attribution link pointed at ``#`` (the only web address in it outside comments)."""
    js = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    return js.replace('href="https://leafletjs.com"', 'href="#"')


def _features(frame: gpd.GeoDataFrame, columns: dict[str, list[str]]) -> dict:
    """GeoJSON of ``frame``'s geometry with the given (already escaped) text properties, coordinates rounded."""
    geoms = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    features = []
    for pos, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                         "properties": {k: v[pos] for k, v in columns.items()}})
    return {"type": "FeatureCollection", "features": features}


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _walk(element: branca.element.Element) -> Iterator[branca.element.Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


class _Scale(MacroElement):
    """Leaflet's metric scale bar (folium's ``control_scale`` adds an imperial one too)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


def _box(css_class: str, inner_html: str) -> branca.element.Element:
    return branca.element.Element(f'<div class="ipgrid-box {css_class}">{inner_html}</div>')


def _legend_html(view: MapView) -> str:
    e = html.escape
    rows = [f"<div><b>{e(view.legend_title)}</b></div>"]
    if view.level != "district":
        rows.append(f'<div class="note">{e(view.classification)}</div>')
    for text, color in zip(view.legend, view.colors, strict=True):
        rows.append(f'<div><span class="swatch" style="background:{e(color)}"></span>{e(text)}</div>')
    if (view.frame["cls"].to_numpy() < 0).any():
        rows.append(f'<div><span class="swatch" style="background:{NO_DATA}"></span>无数据</div>')
    return "".join(rows)


def _layer(view: MapView) -> folium.GeoJson:
    frame = view.frame
    shown = _features(frame, {"name": [_esc(v) for v in frame["name"]],
                              "value_text": [_esc(view.value_text(v)) for v in frame["value"]],
                              "fill": [_esc(c) for c in frame["color"]],
                              "inside": [str(bool(v)) for v in frame["selected"]]})
    selected_edge = {"district": "#374151", "town": "#4b5563", "park": "#4b5563", "grid": "#8b95a3"}[view.level]

    def style(feature: dict) -> dict:
        props = feature["properties"]
        if props["inside"] != "True":
            return dict(CONTEXT_STYLE)
        return {"color": selected_edge, "weight": 1.0, "fillColor": props["fill"], "fillOpacity": 1.0}

    return folium.GeoJson(
        shown, name=view.metric.label, style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#111827"},
        tooltip=folium.GeoJsonTooltip(fields=["name", "value_text"], aliases=["名称", view.metric.label],
                                      sticky=True),
        zoom_on_click=False,
    )


def html_map(view: MapView) -> str:
    """The map of ``view`` as one HTML document that opens offline.

    Parameters
    ----------
    view
        What to draw (:func:`dashboard.exports.view.map_view`).

    Returns
    -------
    str
        The HTML, Leaflet included; no ``src``, ``href`` or CSS ``url()`` points outside the file.
    """
    fmap = folium.Map(tiles=None, control_scale=False, zoom_snap=0.25, attribution_control=False,
                      prefer_canvas=False)
    root = cast(branca.element.Figure, fmap.get_root())  # typed Element; a folium.Map's root is its Figure
    root.title = html.escape(view.title)
    if view.level != "town":
        towns = _features(view.engine.towns, {"name": [_esc(v) for v in view.engine.towns["name"]]})
        folium.GeoJson(towns, name="镇街",
                       style_function=lambda _f: {"color": "#6b7280", "weight": 0.8, "dashArray": "6 3 2 3",
                                                  "fillColor": "#f7f7f8", "fillOpacity": 1.0},
                       tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["镇街"])).add_to(fmap)
    _layer(view).add_to(fmap)
    if view.focus is not None:
        focus = gpd.GeoDataFrame(geometry=[view.focus.geometry_lonlat], crs="EPSG:4326")
        folium.GeoJson(_features(focus, {}),
                       style_function=lambda _f: {"color": "#b91c1c", "weight": 2.5, "fill": False},
                       interactive=False).add_to(fmap)
    _Scale().add_to(fmap)
    e = html.escape
    root.header.add_child(branca.element.Element(f"<style>{PAGE_CSS}</style>"), name="ipgrid_css")
    root.html.add_child(_box("ipgrid-title", f"<h1>{e(view.title)}</h1><div>{e(view.subtitle)}</div>"))
    root.html.add_child(_box("ipgrid-legend", _legend_html(view)))
    maker = f"坐标：WGS-84 经纬度（网页墨卡托显示）　制图：{APP_NAME}　地图引擎 Leaflet {xs_leaflet.VERSION}（BSD-2）"
    footer = f"{e(view.credit)}<br>{e(maker)}"
    root.html.add_child(_box("ipgrid-footer", footer))
    root.html.add_child(_box("ipgrid-north", "北<br>▲"))
    if view.is_demo:
        root.html.add_child(_box("ipgrid-demo", e(DEMO_BADGE)))
    lon0, lat0, lon1, lat1 = _lonlat_bounds(view)
    fmap.fit_bounds([[lat0, lon0], [lat1, lon1]], padding=(20, 20))
    for element in _walk(fmap):
        if isinstance(element, folium.elements.JSCSSMixin):  # the only elements whose links are rendered
            element.default_js = []
            element.default_css = []
    page = root.render()
    assets = f"<style>{inline_css()}</style>\n<script>{inline_js()}</script>\n"
    return page.replace("<head>", "<head>\n<meta charset=\"utf-8\">\n" + assets, 1)


def _lonlat_bounds(view: MapView) -> tuple[float, float, float, float]:
    selected = view.frame[view.frame["selected"]]
    if view.focus is not None and len(selected):
        return tuple(selected.total_bounds)
    return tuple(view.engine.towns.total_bounds)
