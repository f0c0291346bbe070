"""知识产权网格地图 — 大屏: the kiosk view alone, for a meeting-room wall screen.

Run with ``streamlit run kiosk.py`` (or ``ipgrid bigscreen``) and open it full
screen at 1920×1080 or 3840×2160.  Data folder: ``$IPGRID_DATA`` or the demo
district; ``?interval=15`` sets the seconds per frame (see
:mod:`dashboard.bigscreen.settings`).  It sits beside ``streamlit_app.py`` so it
shares ``static/`` and ``.streamlit/config.toml``.
"""

from __future__ import annotations

from dashboard.bigscreen import run_kiosk

run_kiosk()
