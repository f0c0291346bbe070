"""Map snapshots for reports: PNG/PDF/SVG pages, atlases with visit sheets, offline HTML.

The package root is the API; modules behind it may move.  Names are loaded
on first use, so ``ipgrid validate`` does not pay for matplotlib.

- :func:`export_map` — one map of a level (optionally zoomed on an area) as PNG 300 dpi,
  vector PDF with embedded Chinese text, SVG, or self-contained HTML.
- :func:`map_view` / :func:`render_view` — the same in two steps (build once, render in several formats).
- :func:`write_atlas` — cover, summary table, one page per area, commissioners' visit sheets.
- :data:`FORMATS`, :data:`PAGE_SIZES` — the registries the CLI and the app offer.
- :func:`dashboard.exports.app.app_button` — download buttons for a Streamlit page
  (import it from its module: it needs Streamlit).
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES: dict[str, str] = {
    "ATLAS_LEVELS": "options", "DEFAULT_METRIC": "options", "MAPPABLE_METRICS": "options",
    "DEFAULT_SIZE": "pages", "PAGE_SIZES": "pages", "PageSize": "pages",
    "FORMATS": "snapshot", "ExportFormat": "snapshot", "export_map": "snapshot", "file_name": "snapshot",
    "format_for_path": "snapshot", "render_view": "snapshot",
    "AreaNotFoundError": "view", "ExportError": "view", "MapView": "view", "map_view": "view",
    "AtlasInfo": "atlas", "write_atlas": "atlas",
}
"""Public name → module of this package that defines it."""

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    try:
        module = _NAMES[name]
    except KeyError:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg) from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAMES])
