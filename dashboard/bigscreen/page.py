"""The big screen's HTML document and the CSS that turns the Streamlit page around it into a bare frame.

The kiosk is one self-contained document (``kiosk.html`` + ``kiosk.css`` +
``kiosk.js``, package files) shown in one ``st.iframe`` pinned over the whole
viewport.  Leaflet comes from the app's own ``/app/static/vendor/`` (see
:mod:`dashboard.maps.assets`); nothing is requested from another host.
"""

from __future__ import annotations

import functools
from importlib import resources
from string import Template

from dashboard.bigscreen.payload import to_script_json
from dashboard.bigscreen.settings import KioskSettings
from dashboard.maps.assets import asset_url
from dashboard.theme import DARK

IFRAME_TITLE = "知识产权大屏"
"""Accessible name (``title``) of the kiosk's iframe; the page CSS and the tests find it by this."""

STORAGE_KEY = "ipgrid.kiosk.position"
"""sessionStorage key where the rotation keeps its place across a data reload."""

NOTE_CLASS = "ipgrid-kiosk-note"
"""CSS class of the small status line (data update failed …) drawn over the footer."""

MESSAGE_CLASS = "ipgrid-kiosk-message"
"""CSS class of the full-screen message shown while no data can be shown."""


@functools.cache
def _resource(name: str) -> str:
    return resources.files("dashboard.bigscreen").joinpath(name).read_text(encoding="utf-8")


def interval_text(seconds: float) -> str:
    """``15 秒`` / ``1.5 秒`` / ``2 分钟``: the rotation interval as the footer says it.

    Examples
    --------
    >>> interval_text(15), interval_text(1.5), interval_text(120)
    ('15 秒', '1.5 秒', '2 分钟')
    """
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} 分钟"
    return f"{seconds:g} 秒"


def kiosk_html(payload_json: str, settings: KioskSettings) -> str:
    """The kiosk document for one loaded folder and one screen's settings.

    Parameters
    ----------
    payload_json
        :func:`dashboard.bigscreen.payload.to_script_json` of the folder's payload.
    settings
        Rotation interval and the notes about refused settings.

    Returns
    -------
    str
        A complete HTML document; the same inputs give the same text, so a
        rerun does not reload the iframe.
    """
    config = to_script_json({"interval_s": settings.interval_s, "interval_text": interval_text(settings.interval_s),
                             "notes": list(settings.notes), "storage_key": STORAGE_KEY})
    return Template(_resource("kiosk.html")).substitute(
        leaflet_css=asset_url("leaflet", "leaflet.css"),
        leaflet_js=asset_url("leaflet", "leaflet.js"),
        css=_resource("kiosk.css"),
        js=_resource("kiosk.js"),
        data=payload_json,
        config=config,
    )


def page_css() -> str:
    """``<style>`` for the Streamlit page: no chrome, no padding, no scrolling, the iframe over everything."""
    bg, text = DARK["background"], DARK["text"]
    return f"""<style>
#MainMenu, header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stAppDeployButton"], [data-testid="stBottom"], footer
{{ display: none !important; }}
html, body, .stApp, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"],
[data-testid="stMainBlockContainer"] {{ background: {bg} !important; overflow: hidden !important; }}
[data-testid="stMainBlockContainer"] {{ padding: 0 !important; max-width: none !important; }}
[data-testid="stElementContainer"][data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}
iframe[title="{IFRAME_TITLE}"] {{
  position: fixed !important; top: 0 !important; left: 0 !important; width: 100vw !important;
  height: 100vh !important; border: 0 !important; margin: 0 !important; z-index: 999990;
  background: {bg}; display: block;
}}
.{NOTE_CLASS} {{
  position: fixed; right: 1.5vh; bottom: 4.2vh; z-index: 999991; pointer-events: none;
  background: rgba(180, 83, 9, 0.92); color: #fff; font-size: 1.6vh; padding: 0.4vh 1vh; border-radius: 0.5vh;
}}
.{MESSAGE_CLASS} {{
  position: fixed; inset: 0; z-index: 999989; display: flex; flex-direction: column; gap: 2vh;
  align-items: center; justify-content: center; background: {bg}; color: {text}; font-size: 3vh;
  text-align: center; padding: 0 10vw;
}}
.{MESSAGE_CLASS} small {{ font-size: 2vh; color: {DARK['muted']}; }}
</style>"""
