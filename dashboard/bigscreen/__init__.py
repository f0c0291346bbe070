"""The big screen (大屏): a dark, rotating, scroll-free kiosk view for leadership meetings.

The package root is the API; modules behind it may move.

- :func:`run_kiosk` — render the kiosk on the current Streamlit page
  (``kiosk.py`` does only that; ``streamlit_app.py`` may call it for ``?kiosk=1``).
- :func:`add_bigscreen_parser` / :func:`run_bigscreen` — the ``ipgrid bigscreen`` command.
- :func:`resolve_settings` — interval, polling and metric from query/environment/defaults.
- :func:`build_payload` — everything the screen shows, from an engine.

Modules: :mod:`~dashboard.bigscreen.settings` (typed settings),
:mod:`~dashboard.bigscreen.payload` (engine → JSON; the 网格走访 frame in :mod:`~dashboard.bigscreen.visits`),
:mod:`~dashboard.bigscreen.page` (HTML document and page CSS; ``kiosk.html/.css/.js``),
:mod:`~dashboard.bigscreen.data` (snapshots per version of a data folder or store, with its visits),
:mod:`~dashboard.bigscreen.app` (the Streamlit page),
:mod:`~dashboard.bigscreen.cli` (the command).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from dashboard.bigscreen.cli import add_bigscreen_parser, run_bigscreen
from dashboard.bigscreen.settings import KioskSettings
from dashboard.bigscreen.settings import resolve as resolve_settings

if TYPE_CHECKING:
    from dashboard.engine import Engine

__all__ = ["KioskSettings", "add_bigscreen_parser", "build_payload", "resolve_settings", "run_bigscreen",
           "run_kiosk"]


def run_kiosk(*, folder: str | os.PathLike[str] | None = None, configure_page: bool = True,
              static_dir: str | os.PathLike[str] | None = None) -> None:
    """Render the big screen on the current Streamlit page (see :func:`dashboard.bigscreen.app.run_kiosk`).

    Imported lazily, so the CLI can import this package without Streamlit's start-up cost.
    """
    from dashboard.bigscreen.app import run_kiosk as _run_kiosk

    _run_kiosk(folder=folder, configure_page=configure_page, static_dir=static_dir)


def build_payload(engine: Engine, town_metric: str | None = None) -> dict[str, Any]:
    """Everything the screen shows for ``engine`` (see :func:`dashboard.bigscreen.payload.build_payload`)."""
    from dashboard.bigscreen import payload, settings

    return payload.build_payload(engine, town_metric or settings.DEFAULT_TOWN_METRIC, settings.PARK_METRIC,
                                 settings.SERVICE_METRIC)
