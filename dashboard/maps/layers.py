"""Compact, safe Leaflet layers: areas, points, reach circles, a legend and a fly-to.

folium's own GeoJson/CircleMarker elements put tooltip text into
``innerHTML`` and write one JavaScript statement per marker; with 100,000
enterprises that is megabytes.  The elements here instead

* carry their data as one JSON value (columns, not objects; coordinates
  rounded), embedded with :func:`script_json`, which escapes ``<``, ``>``,
  ``&`` and the JavaScript line separators, so no data can end the script;
* build every tooltip, popup and legend with DOM calls and ``textContent``,
  so a name such as ``<img src=x onerror=alert(1)>`` is shown as text;
* draw many points on one canvas renderer (a few thousand SVG nodes would
  make the page crawl), while areas stay SVG paths (clickable, testable).

Clicks are reported by streamlit-folium as ``last_active_drawing``: every
area feature carries ``properties.id`` and ``properties.kind``, and every
point gets a ``feature`` with the same two properties.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from branca.element import MacroElement
from folium.template import Template

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

Numbers = Sequence[float] | np.ndarray
"""One number per point or circle: a list or a NumPy column."""

_JS_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_JS_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")


def _plain(value: Any) -> Any:
    """JSON-ready Python value: numpy arrays and scalars unwrapped, NaN/inf as ``None``.

    Lists of plain numbers and strings (the big point arrays) pass through
    untouched; :func:`script_json` refuses any NaN left in them.
    """
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        if value and type(value[0]) in (str, int):  # ids, labels: homogeneous, nothing to convert
            return list(value)
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def script_json(value: Any, *, prepared: bool = False) -> str:
    r"""JSON text that is safe to paste inside a ``<script>`` element.

    Parameters
    ----------
    value
        Data (dicts, lists, numbers, strings, numpy arrays).
    prepared
        ``value`` is already JSON text (e.g. from :func:`shapely.to_geojson`);
        only the escaping is applied.

    Returns
    -------
    str
        Compact JSON in which ``<``, ``>`` and ``&`` are ``\u`` escapes.

    Examples
    --------
    >>> script_json({"name": "</script><img src=x>"})
    '{"name":"\\u003c/script\\u003e\\u003cimg src=x\\u003e"}'
    >>> script_json([1.5, float("nan")])
    '[1.5,null]'
    """
    text = value if prepared else json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"),
                                             allow_nan=False)
    return _JS_UNSAFE_RE.sub(lambda m: _JS_UNSAFE[m.group(0)], text)


def check_color(color: str) -> str:
    """Return ``color`` when it is ``#rrggbb``; raise otherwise (colours go into styles)."""
    if not isinstance(color, str) or not HEX_COLOR.match(color):
        msg = f"colour should be '#rrggbb', got {color!r}"
        raise ValueError(msg)
    return color


# Shared JavaScript: a tooltip/popup body made of text nodes only.
_TIP_JS = """
function ipgridTip(title, labels, values) {
    var box = document.createElement("div");
    if (title !== null && title !== undefined && title !== "") {
        var head = document.createElement("div");
        head.className = "ipgrid-tip-title";
        head.style.fontWeight = "700";
        head.textContent = String(title);
        box.appendChild(head);
    }
    if (labels && labels.length) {
        var table = document.createElement("table");
        for (var i = 0; i < labels.length; i++) {
            var row = table.insertRow();
            var th = document.createElement("th");
            th.textContent = String(labels[i]);
            row.appendChild(th);
            var td = row.insertCell();
            var v = values ? values[i] : null;
            td.textContent = (v === null || v === undefined) ? "—" : String(v);
        }
        box.appendChild(table);
    }
    return box;
}
"""


class AreaLayer(MacroElement):
    """Polygons from :func:`dashboard.maps.shapes.encode_polygons`, styled and labelled per feature.

    Each feature's properties hold ``id`` (reported on click, with the
    layer's ``kind``), optionally ``c`` (fill colour) and ``t`` (tooltip
    values: ``t[0]`` is the title, then one value per label of ``labels[1:]``).
    More than :attr:`CANVAS_FROM` features are drawn on a canvas (thousands of
    SVG paths make a browser crawl); fewer stay SVG paths.

    Parameters
    ----------
    shapes
        Encoded polygons, one JSON text per feature.
    props
        Properties of each feature (same length as ``shapes``), or ``None``
        for an unlabelled, unclickable outline layer.
    decimals
        Decimals of the encoding.
    kind
        ``properties.kind`` of every feature (the level: town, park, grid, gi).
    style
        Leaflet path options of every feature (``color``, ``weight``,
        ``fillColor``, ``fillOpacity``, ``dashArray``, ``fill``).
    labels
        Tooltip row labels (the first is the title's, not shown); empty for no tooltip.
    hover
        Path options applied while the pointer is over a feature.
    selected
        Id of a feature to emphasise with ``selected_style``.
    interactive
        Whether the features take pointer events (outline-only overlays do not).
    name
        Layer name (CSS class ``ipgrid-<name>`` on every SVG path).
    """

    CANVAS_FROM = 1500

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            {{ this.tip_js }}
            var d = {{ this.data_json }};
            var renderer = d.canvas ? L.canvas({padding: 0.5}) : L.svg();
            var group = L.featureGroup();
            function ring(a) {
                var out = [], x = 0, y = 0;
                for (var i = 0; i < a.length; i += 2) {
                    x += a[i]; y += a[i + 1];
                    out.push([y / d.s, x / d.s]);
                }
                return out;
            }
            var chosen = null;
            for (var i = 0; i < d.shapes.length; i++) {
                var polys = d.shapes[i];
                if (!polys.length) { continue; }
                var latlngs = polys.map(function (poly) { return poly.map(ring); });
                var p = (d.props && d.props[i]) || {};
                var style = Object.assign({}, d.style);
                if (p.c) { style.fillColor = p.c; }
                if (d.selected !== null && p.id === d.selected) { Object.assign(style, d.selStyle); }
                var layer = L.polygon(latlngs.length === 1 ? latlngs[0] : latlngs,
                                      Object.assign({renderer: renderer, interactive: d.interactive}, style));
                layer.feature = {type: "Feature", properties: {id: p.id === undefined ? i : p.id, kind: d.kind}};
                if (d.labels.length && p.t) {
                    (function (t) {
                        layer.bindTooltip(function () {
                            return ipgridTip(t[0], d.labels.slice(1), t.slice(1));
                        }, {sticky: true, className: "ipgrid-tooltip"});
                    })(p.t);
                }
                if (d.hover && d.interactive) {
                    (function (l, s) {
                        l.on("mouseover", function () { l.setStyle(d.hover); });
                        l.on("mouseout", function () { l.setStyle(s); });
                    })(layer, style);
                }
                if (d.selected !== null && p.id === d.selected) { chosen = layer; }
                group.addLayer(layer);
            }
            group.addTo({{ this._parent.get_name() }});
            if (chosen !== null) { chosen.bringToFront(); }
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, shapes: Sequence[str], props: Sequence[dict] | None = None, *, decimals: int,
                 kind: str, style: dict[str, Any], labels: Sequence[str] = (),
                 hover: dict[str, Any] | None = None, selected: str | None = None,
                 selected_style: dict[str, Any] | None = None, interactive: bool = True,
                 name: str = "areas") -> None:
        super().__init__()
        self._name = "AreaLayer"
        if props is not None and len(props) != len(shapes):
            msg = f"{len(shapes)} shapes but {len(props)} property rows"
            raise ValueError(msg)
        if not re.fullmatch(r"[a-z0-9_-]+", name):
            msg = f"layer name should be lower-case letters, digits, '-' or '_', got {name!r}"
            raise ValueError(msg)
        self.layer_name = name
        self.count = len(shapes)
        self.tip_js = _TIP_JS
        options = {
            "s": 10**decimals, "kind": kind, "canvas": len(shapes) > self.CANVAS_FROM,
            "style": {"className": f"ipgrid-{name}", **style}, "hover": hover, "labels": list(labels),
            "selected": selected, "selStyle": selected_style or {"weight": 4, "color": "#ffd23f"},
            "interactive": bool(interactive), "props": list(props) if props is not None else None,
        }
        head = script_json(options)
        body = "[" + ",".join(shapes) + "]"
        if not re.fullmatch(r"[\[\]0-9,\-]*", body):
            msg = "shapes must be encoded by dashboard.maps.shapes.encode_polygons"
            raise ValueError(msg)
        self.data_json = head[:-1] + ',"shapes":' + body + "}"


def text_columns(rows: Sequence[Sequence[object]]) -> list[dict[str, list[Any]]]:
    """Rows of texts as columns; a column with repeats as its distinct texts and one code per row.

    Tooltips of many points repeat most of their texts (``0 件``, an
    industry, the nearest service point): sent this way, a layer of 8,000
    firms is about a third of its row-by-row size.

    Examples
    --------
    >>> text_columns([["甲", "0 件"], ["乙", "0 件"], ["丙", None], ["丁", "0 件"]])
    [{'v': ['甲', '乙', '丙', '丁']}, {'k': ['0 件', None], 'v': [0, 0, 1, 0]}]
    """
    out: list[dict[str, list[Any]]] = []
    for column in zip(*rows, strict=True):
        texts = [None if v is None else str(v) for v in column]
        distinct = list(dict.fromkeys(texts))
        if 2 * len(distinct) <= len(texts):
            code = {text: i for i, text in enumerate(distinct)}
            out.append({"k": distinct, "v": [code[t] for t in texts]})
        else:
            out.append({"v": texts})
    return out


class PointLayer(MacroElement):
    """Many points as canvas circle markers, from column arrays.

    Parameters
    ----------
    lat, lon
        Coordinates (rounded by the caller to what the zoom needs).
    colors
        Fill colour of each point, as an index into ``palette`` (one int per
        point) or ``None`` for ``palette[0]`` everywhere.
    palette
        ``#rrggbb`` colours.
    radius
        Pixel radius: one number, or one per point.
    labels
        Tooltip row labels (the first value of each row is the title); empty for none.
    values
        One list of texts per point (same length as ``labels``); sent by
        column (:func:`text_columns`), so repeated texts travel once.
    kind
        ``properties.kind`` reported when a point is clicked.
    ids
        ``properties.id`` of each point (default: its position).
    stroke
        Outline colour.
    name
        Layer name (for tests and CSS).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            {{ this.tip_js }}
            var d = {{ this.data_json }};
            var renderer = L.canvas({padding: 0.5});
            var group = L.featureGroup();
            var n = d.lat.length;
            for (var i = 0; i < n; i++) {
                var m = L.circleMarker([d.lat[i], d.lon[i]], {
                    renderer: renderer,
                    radius: (typeof d.r === "number") ? d.r : d.r[i],
                    color: d.stroke, weight: 1, opacity: 0.9,
                    fillColor: d.palette[d.c ? d.c[i] : 0], fillOpacity: 0.85
                });
                m.feature = {type: "Feature", properties: {kind: d.kind, id: d.ids ? d.ids[i] : i}};
                if (d.labels.length) {
                    (function (k) {
                        m.bindTooltip(function () {
                            var row = d.t.map(function (col) { return col.k ? col.k[col.v[k]] : col.v[k]; });
                            return ipgridTip(row[0], d.labels.slice(1), row.slice(1));
                        }, {className: "ipgrid-tooltip"});
                    })(i);
                }
                group.addLayer(m);
            }
            group.addTo({{ this._parent.get_name() }});
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, lat: Numbers, lon: Numbers, *, palette: Sequence[str],
                 colors: Sequence[int] | np.ndarray | None = None, radius: float | Sequence[float] = 4.0,
                 labels: Sequence[str] = (), values: Sequence[Sequence[object]] | None = None,
                 kind: str = "point", ids: Sequence[object] | None = None, stroke: str = "#ffffff",
                 name: str = "points") -> None:
        super().__init__()
        self._name = "PointLayer"
        self.layer_name = name
        self.tip_js = _TIP_JS
        lat, lon = list(lat), list(lon)
        if len(lat) != len(lon):
            msg = f"lat and lon differ in length ({len(lat)} != {len(lon)})"
            raise ValueError(msg)
        if labels and (values is None or len(values) != len(lat)):
            msg = "values must give one row of tooltip texts per point"
            raise ValueError(msg)
        data: dict[str, Any] = {
            "lat": lat, "lon": lon, "palette": [check_color(c) for c in palette],
            "stroke": check_color(stroke), "kind": kind, "labels": list(labels),
            "r": radius if isinstance(radius, int | float) else [round(float(r), 1) for r in radius],
        }
        if colors is not None:
            data["c"] = [int(c) for c in colors]
        if labels:
            data["t"] = text_columns(values or [])
        if ids is not None:
            data["ids"] = list(ids)
        self.count = len(lat)
        self.data_json = script_json(data)


class CircleLayer(MacroElement):
    """Circles of a given radius in metres (service reach), not clickable.

    Parameters
    ----------
    lat, lon, radius_m
        Centre and radius of each circle.
    colors
        ``#rrggbb`` outline/fill colour of each circle.
    name
        Layer name.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var d = {{ this.data_json }};
            var group = L.featureGroup();
            for (var i = 0; i < d.lat.length; i++) {
                L.circle([d.lat[i], d.lon[i]], {
                    radius: d.r[i], color: d.c[i], weight: 1, opacity: 0.6,
                    fillColor: d.c[i], fillOpacity: 0.07, interactive: false,
                    className: "ipgrid-{{ this.layer_name }}"
                }).addTo(group);
            }
            group.addTo({{ this._parent.get_name() }});
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, lat: Numbers, lon: Numbers, radius_m: Numbers,
                 colors: Sequence[str], *, name: str = "reach") -> None:
        super().__init__()
        self._name = "CircleLayer"
        if not re.fullmatch(r"[a-z0-9_-]+", name):
            msg = f"layer name should be lower-case letters, digits, '-' or '_', got {name!r}"
            raise ValueError(msg)
        self.layer_name = name
        self.data_json = script_json({
            "lat": list(lat), "lon": list(lon), "r": [float(r) for r in radius_m],
            "c": [check_color(c) for c in colors],
        })


class Legend(MacroElement):
    """A legend box in a map corner: a title, then one swatch and label per entry.

    Parameters
    ----------
    title
        First line (e.g. ``企业数（家）``).
    entries
        ``(colour, label)`` pairs; ``shape`` ``"square"`` for areas or ``"circle"`` for points.
    note
        Small text under the entries (e.g. the classification scheme).
    position
        Leaflet corner.
    dark
        Light text on a dark box (the big screen).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var d = {{ this.data_json }};
            var control = L.control({position: d.position});
            control.onAdd = function () {
                var box = L.DomUtil.create("div", "ipgrid-legend");
                box.style.cssText = d.css;
                var title = document.createElement("div");
                title.style.fontWeight = "700";
                title.style.marginBottom = "4px";
                title.textContent = d.title;
                box.appendChild(title);
                for (var i = 0; i < d.entries.length; i++) {
                    var row = document.createElement("div");
                    row.style.whiteSpace = "nowrap";
                    var sw = document.createElement("span");
                    sw.style.cssText = "display:inline-block;width:14px;height:14px;margin-right:6px;"
                        + "vertical-align:middle;border:1px solid rgba(0,0,0,.35);";
                    if (d.entries[i][2] === "circle") { sw.style.borderRadius = "50%"; }
                    sw.style.background = d.entries[i][0];
                    row.appendChild(sw);
                    var label = document.createElement("span");
                    label.textContent = d.entries[i][1];
                    row.appendChild(label);
                    box.appendChild(row);
                }
                if (d.note) {
                    var note = document.createElement("div");
                    note.style.cssText = "margin-top:4px;font-size:11px;opacity:.75;";
                    note.textContent = d.note;
                    box.appendChild(note);
                }
                L.DomEvent.disableClickPropagation(box);
                return box;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    LIGHT_CSS = ("background:rgba(255,255,255,.92);color:#1f2933;padding:6px 9px;border-radius:4px;"
                 "box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:12px;line-height:18px;max-width:240px;")
    DARK_CSS = ("background:rgba(11,18,32,.88);color:#e5e7eb;padding:8px 12px;border-radius:4px;"
                "font-size:16px;line-height:24px;max-width:320px;")

    def __init__(self, title: str, entries: Sequence[tuple[str, str] | tuple[str, str, str]], *,
                 note: str = "", position: str = "bottomright", dark: bool = False) -> None:
        super().__init__()
        self._name = "Legend"
        rows = []
        for entry in entries:
            color, label = entry[0], entry[1]
            shape = entry[2] if len(entry) > 2 else "square"
            rows.append([check_color(color), str(label), shape])
        self.data_json = script_json({
            "title": str(title), "entries": rows, "note": str(note), "position": position,
            "css": self.DARK_CSS if dark else self.LIGHT_CSS,
        })


class FlyTo(MacroElement):
    """After the map has drawn, fly to a point and mark it with a labelled ring.

    Parameters
    ----------
    lat, lon
        Target.
    label
        Text of the permanent label (plain text).
    zoom
        Zoom level to fly to.
    color
        Ring colour.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var d = {{ this.data_json }};
            var map = {{ this._parent.get_name() }};
            var ring = L.circleMarker([d.lat, d.lon], {
                radius: 13, color: d.color, weight: 4, fill: false, interactive: false,
                className: "ipgrid-focus"
            }).addTo(map);
            var label = document.createElement("span");
            label.textContent = d.label;
            ring.bindTooltip(label, {permanent: true, direction: "top", offset: [0, -12],
                                     className: "ipgrid-focus-label"});
            map.whenReady(function () {
                setTimeout(function () { map.flyTo([d.lat, d.lon], d.zoom, {duration: 0.8}); }, 250);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, lat: float, lon: float, label: str, *, zoom: int = 15, color: str = "#ffd23f") -> None:
        super().__init__()
        self._name = "FlyTo"
        self.data_json = script_json({"lat": float(lat), "lon": float(lon), "label": str(label),
                                      "zoom": int(zoom), "color": check_color(color)})
