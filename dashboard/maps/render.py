"""Put a finished map on a Streamlit page, or render it to standalone HTML."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from dashboard.maps.assets import ensure_vendor_assets, localize

DEFAULT_HEIGHT = 560
"""Map height in pixels on a page."""


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


def show_map(fmap: folium.Map, *, key: str, height: int = DEFAULT_HEIGHT,
             returned_objects: Sequence[str] = (), on_change: Callable[[], None] | None = None) -> Any:
    """Show ``fmap`` full-width on the current page, with no assets from the internet.

    By default the map sends nothing back (``returned_objects=[]``), so
    panning, zooming or clicking never reruns the script.  A page that reacts
    to clicks asks only for what it uses, e.g. ``["last_active_drawing"]``
    (the clicked feature with its ``properties.id``): panning and zooming
    still cause no rerun.

    Parameters
    ----------
    fmap
        The finished map (localized here).
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
    localize(fmap)
    return st_folium(
        fmap,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=list(returned_objects),
        on_change=on_change,
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
