"""Put a finished map on a Streamlit page, or render it to standalone HTML."""

from __future__ import annotations

import os

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


def show_map(fmap: folium.Map, *, key: str, height: int = DEFAULT_HEIGHT) -> None:
    """Show ``fmap`` full-width on the current page, with no assets from the internet.

    The map does not send interactions back (``returned_objects=[]``), so
    panning or clicking does not rerun the script.

    Parameters
    ----------
    fmap
        The finished map (localized here).
    key
        Streamlit widget key; keep it stable so the map is not re-mounted.
    height
        Height in pixels.
    """
    localize(fmap)
    st_folium(
        fmap,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=[],
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
