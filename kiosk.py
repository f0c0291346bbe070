"""知识产权网格地图 — 大屏: the kiosk view alone, for a meeting-room wall screen.

Run with ``streamlit run kiosk.py`` (or ``ipgrid bigscreen``) and open it full
screen at 1920×1080 or 3840×2160.  Data folder: ``$IPGRID_DATA`` or the demo
district; ``?interval=15`` sets the seconds per frame (see
:mod:`dashboard.bigscreen.settings`).  It sits beside ``streamlit_app.py`` so it
shares ``static/`` and ``.streamlit/config.toml``.
"""

from __future__ import annotations

import streamlit as st

from dashboard.access.gate import kiosk_gate
from dashboard.access.session import access_mode
from dashboard.bigscreen import run_kiosk
from loaders.errors import IpgridError

# the same door as the app's ?kiosk=1: a store with accounts (or a server beyond this machine) needs a token
try:
    mode = access_mode()
except IpgridError:  # a store that cannot be opened has nothing to protect: the screen says what is wrong
    run_kiosk()
else:
    if kiosk_gate(mode, st.query_params.get("token")):
        run_kiosk()
