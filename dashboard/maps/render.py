"""Put a finished map on a Streamlit page, or render it to standalone HTML.

A folium map is rendered (Jinja templates, element ids, the Leaflet script)
into what streamlit-folium sends to the browser: a :class:`MapPayload`.
Rendering is most of a map page's server time, and a map depends only on
its inputs (level, metric, classification, layers, basemap, area, filters),
so pages ask :func:`map_payload` for it: built once per data version and
inputs, kept in :meth:`Engine.memo` (volatile, bounded) and shared by every
session.  An identical payload also lets Streamlit send the browser a
reference to the message it already has instead of the map again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import folium
import folium.elements
import streamlit as st
import streamlit_folium as sf

from dashboard.maps.assets import ensure_vendor_assets, localize

T = TypeVar("T")

DEFAULT_HEIGHT = 560
"""Map height in pixels on a page."""


@dataclass(frozen=True)
class MapPayload:
    """A map rendered once into the arguments streamlit-folium's component takes (shared: never change it).

    Attributes
    ----------
    script
        The Leaflet script with folium's random ids standardised.
    header, html
        The map's ``<head>`` additions (styles, inline scripts) and body HTML.
    map_id
        folium's id of the map element.
    css_links, js_links
        The (local) style sheets and scripts the map needs, in order.
    bounds
        ``[[south, west], [north, east]]`` of the map's located elements (``None`` entries when none).
    zoom
        The map's initial zoom option.
    """

    script: str
    header: str
    html: str
    map_id: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    bounds: list[list[float | None]]
    zoom: Any
    _keys: dict[tuple[str, bool], str] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def component_key(self, key: str, return_on_hover: bool = False) -> str:
        """streamlit-folium's component key for widget ``key`` (a hash of the script, computed once per key)."""
        with self._lock:
            found = self._keys.get((key, return_on_hover))
        if found is None:
            found = sf.generate_js_hash(self.script, key, return_on_hover)
            with self._lock:
                self._keys[(key, return_on_hover)] = found
        return found

    def defaults(self) -> dict[str, Any]:
        """The component's value before the user has interacted with the map (as streamlit-folium's)."""
        (south, west), (north, east) = self.bounds
        return {
            "last_clicked": None, "last_object_clicked": None, "last_object_clicked_count": None,
            "last_object_clicked_tooltip": None, "last_object_clicked_popup": None, "all_drawings": None,
            "last_active_drawing": None,
            "bounds": {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}},
            "zoom": self.zoom, "last_circle_radius": None, "last_circle_polygon": None, "selected_layers": None,
            "selected_tags": None, "last_geocoder_result": None,
        }


def _links(fmap: folium.Map) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every element's style sheets and scripts, deduplicated in order (as streamlit-folium collects them)."""
    css: list[str] = []
    js: list[str] = []

    def walk(element: Any) -> None:
        if isinstance(element, folium.elements.JSCSSMixin):
            css.extend(href for _, href in element.default_css)
            js.extend(src for _, src in element.default_js)
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(fmap)
    return tuple(dict.fromkeys(css)), tuple(dict.fromkeys(js))


def prepare_map(fmap: folium.Map) -> MapPayload:
    """Render ``fmap`` (localized here) into a :class:`MapPayload`, exactly as ``st_folium`` would send it.

    The map is changed by rendering (folium's ids are standardised): do not
    show it again.

    Parameters
    ----------
    fmap
        The finished map.

    Returns
    -------
    MapPayload
        What :func:`show_map` sends.
    """
    localize(fmap)  # refuses branca colormaps, so streamlit-folium's d3 links never apply
    fmap.get_root().render()
    fmap.render()
    html = sf._get_html(fmap)  # the order of st_folium: html and header before the script renames ids
    header = sf._get_header(fmap)
    script = sf._get_map_string(fmap)
    css, js = _links(fmap)
    try:
        bounds = fmap.get_bounds()
    except AttributeError:
        bounds = [[None, None], [None, None]]
    return MapPayload(script=script, header=header, html=html, map_id=sf.get_full_id(fmap), css_links=css,
                      js_links=js, bounds=bounds, zoom=fmap.options.get("zoom"))


class Memoising(Protocol):
    """What keeps a rendered map as long as its data: an :class:`~dashboard.engine.Engine`, a region's data."""

    def memo(self, key: Hashable, compute: Callable[[], T], *, volatile: bool = False) -> T:
        """``compute()`` once per ``key`` for this data."""
        ...


def map_payload(src: Memoising, inputs: Hashable, build: Callable[[], folium.Map]) -> MapPayload:
    """The map ``build()`` makes, rendered once per data version and ``inputs`` and shared by every session.

    Parameters
    ----------
    src
        The engine of the loaded folder (the payload lives in its volatile memo), or
        the :class:`~dashboard.app_data.RegionData` of a city's districts.
    inputs
        Everything the map depends on besides the data, e.g.
        ``("overview", level, metric, scheme, k, layers, basemap, demo)``; two
        calls with equal inputs must build the same map.
    build
        Makes the map (called only when no payload is kept for ``inputs``).

    Returns
    -------
    MapPayload
        Pass it to :func:`show_map`.
    """
    return src.memo(("map-payload", inputs), lambda: prepare_map(build()), volatile=True)


@st.cache_resource(show_spinner=False)
def prepare_assets(static_dir: str | os.PathLike[str]) -> None:
    """Copy the vendored map files into ``static_dir`` once per server process.

    Parameters
    ----------
    static_dir
        The ``static/`` folder beside ``streamlit_app.py``.

    See Also
    --------
    dashboard.maps.assets.ensure_vendor_assets : the copy itself.
    """
    ensure_vendor_assets(static_dir)


def show_map(fmap: folium.Map | MapPayload, *, key: str, height: int = DEFAULT_HEIGHT,
             returned_objects: Sequence[str] = (), on_change: Callable[[], None] | None = None) -> Any:
    """Show ``fmap`` full-width on the current page, with no assets from the internet.

    What is sent is what ``streamlit_folium.st_folium`` sends (the same
    component, arguments and key), from a payload rendered once when ``fmap``
    comes from :func:`map_payload`.

    By default the map sends nothing back (``returned_objects=[]``), so
    panning, zooming or clicking never reruns the script.  A page that reacts
    to clicks asks only for what it uses, e.g. ``["last_active_drawing"]``
    (the clicked feature with its ``properties.id``): panning and zooming
    still cause no rerun.

    Parameters
    ----------
    fmap
        The finished map (localized and rendered here), or its :func:`map_payload`.
    key
        Streamlit widget key; keep it stable so the map is not re-mounted.
    height
        Height in pixels.
    returned_objects
        streamlit-folium objects to return.
    on_change
        Called (as a widget callback, before the rerun) when a returned object changes;
        the value is then in ``st.session_state[key]``.

    Returns
    -------
    dict or None
        The returned objects.
    """
    payload = fmap if isinstance(fmap, MapPayload) else prepare_map(fmap)
    returned = list(returned_objects)
    component_key = payload.component_key(key)

    def changed() -> None:  # st_folium's own callback: the value is kept under the page's key
        st.session_state[key] = st.session_state.get(component_key, {})
        if on_change is not None:
            on_change()

    return sf._component_func(
        script=payload.script, header=payload.header, html=payload.html, id=payload.map_id, key=component_key,
        height=height, width=None, returned_objects=returned,
        default={k: v for k, v in payload.defaults().items() if k in returned}, zoom=None, center=None,
        feature_group=None, return_on_hover=False, layer_control=None, pixelated=False,
        css_links=list(payload.css_links), js_links=list(payload.js_links), on_change=changed,
        wrap_longitude=False,
    )


def map_html(fmap: folium.Map) -> str:
    """Render the map as one standalone HTML page, with every link pointing at the app.

    Parameters
    ----------
    fmap
        The finished map (localized here).

    Returns
    -------
    str
        HTML document; its scripts and styles load from ``/app/static/vendor/``.
    """
    localize(fmap)
    return fmap.get_root().render()
