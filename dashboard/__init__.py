"""Dashboard: the Streamlit pages, the maps and the exports of ipgrid.

The package root holds no code; import from its modules (``dashboard.maps``,
``dashboard.app_data``).
"""

from __future__ import annotations
