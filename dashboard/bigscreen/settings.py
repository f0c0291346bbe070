"""Settings of the big screen, in one typed place: defaults, environment, query parameters.

Each setting has a default here, may be set for the server by an environment
variable (the ``ipgrid bigscreen`` command does that from its options) and for
one screen by a query parameter (``?interval=20``), which wins.  A bad value
falls back to the default and the screen says so in its footer: a wall screen
shows no error box.

=============  ======================  ==========================  ===============
setting        query parameter         environment                 default
=============  ======================  ==========================  ===============
interval       ``interval`` (s)        ``IPGRID_KIOSK_INTERVAL``   15
poll           ``poll`` (s)            ``IPGRID_KIOSK_POLL``       15
town metric    ``metric`` (key)        ``IPGRID_KIOSK_METRIC``     high_value_per_10k_pop
=============  ======================  ==========================  ===============
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dashboard.engine.metrics import METRICS
from loaders.errors import ChoiceError

DEFAULT_INTERVAL_S = 15.0
"""Seconds each frame of the rotation stays on screen."""

INTERVAL_RANGE_S = (1.0, 600.0)
"""Allowed rotation interval (1 s is for tests and the soak benchmark)."""

DEFAULT_POLL_S = 15.0
"""Seconds between two looks at the data (a folder's files, a store's versions).  A change is loaded once two
looks agree (a copy in progress is not loaded half-way), so new data shows
within about twice this plus the loading time: well under a minute."""

POLL_RANGE_S = (1.0, 300.0)
"""Allowed polling interval."""

DEFAULT_TOWN_METRIC = "high_value_per_10k_pop"
"""Metric of the town choropleth and ranking: the one behind a 2025 target."""

PARK_METRIC = "invention_patents"
"""Metric of the park ranking (parks seldom have a population, so no per-capita figure)."""

SERVICE_METRIC = "service_coverage_rate"
"""Metric of the service-network view's town ranking."""

DISTRICT_ENV = "IPGRID_KIOSK_DISTRICT"
"""The district a kiosk shows of a store of several (``ipgrid bigscreen STORE --district NAME``)."""

ASOF_ENV = "IPGRID_KIOSK_ASOF"
"""The as-of date of the store version the kiosk shows (``ipgrid bigscreen STORE --as-of D``); default the latest."""

ENV = {"interval": "IPGRID_KIOSK_INTERVAL", "poll": "IPGRID_KIOSK_POLL", "metric": "IPGRID_KIOSK_METRIC"}
"""Setting → environment variable."""

RANKABLE_KINDS = ("count", "sum", "ratio")
"""Metric kinds a town ranking can use."""


@dataclass(frozen=True)
class KioskSettings:
    """What one big screen shows and how fast it turns.

    Attributes
    ----------
    interval_s
        Seconds per frame of the rotation.
    poll_s
        Seconds between checks of the data (folder or store).
    town_metric
        Key of :data:`dashboard.engine.metrics.METRICS` for the town choropleth.
    notes
        Chinese notes on values that were refused (shown in the footer).
    """

    interval_s: float = DEFAULT_INTERVAL_S
    poll_s: float = DEFAULT_POLL_S
    town_metric: str = DEFAULT_TOWN_METRIC
    notes: tuple[str, ...] = field(default=())


def rankable_metrics() -> list[str]:
    """Keys of the metrics a town ranking can show (numbers, not text or measures)."""
    return [key for key, metric in METRICS.items() if metric.kind in RANKABLE_KINDS]


def parse_seconds(value: str, bounds: tuple[float, float], what: str) -> float:
    """A number of seconds within ``bounds``.

    Raises
    ------
    ValueError
        ``value`` is not a number or lies outside ``bounds``; the message
        names the setting and the allowed range.

    Examples
    --------
    >>> parse_seconds("20", (1.0, 600.0), "interval")
    20.0
    """
    try:
        seconds = float(str(value).strip())
    except ValueError:
        seconds = math.nan
    low, high = bounds
    if not (low <= seconds <= high):
        msg = f"{what} 应为 {low:g}–{high:g} 秒之间的数，而不是 {value!r}"
        raise ChoiceError(msg)
    return seconds


def parse_metric(value: str) -> str:
    """A metric key a town ranking can show.

    Raises
    ------
    ValueError
        ``value`` is not such a key; the message lists the valid ones.
    """
    key = str(value).strip()
    if key not in rankable_metrics():
        msg = f"metric 应为 {rankable_metrics()} 之一，而不是 {value!r}"
        raise ChoiceError(msg)
    return key


def resolve(query: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None) -> KioskSettings:
    """Settings from query parameters over environment variables over defaults.

    Parameters
    ----------
    query
        The page's query parameters (``st.query_params``), or ``None``.
    environ
        Environment (default ``os.environ``).

    Returns
    -------
    KioskSettings
        Refused values are replaced by their default and described in ``notes``.
    """
    query = query or {}
    environ = os.environ if environ is None else environ
    notes: list[str] = []
    parsers: dict[str, tuple[Callable[[str], float | str], float | str]] = {
        "interval": (lambda v: parse_seconds(v, INTERVAL_RANGE_S, "interval"), DEFAULT_INTERVAL_S),
        "poll": (lambda v: parse_seconds(v, POLL_RANGE_S, "poll"), DEFAULT_POLL_S),
        "metric": (parse_metric, DEFAULT_TOWN_METRIC),
    }
    values: dict[str, float | str] = {}
    for name, (parse, default) in parsers.items():
        values[name] = default
        for source, raw in (("环境变量 " + ENV[name], environ.get(ENV[name])), ("网址参数", query.get(name))):
            if raw is None or not str(raw).strip():
                continue
            try:
                values[name] = parse(str(raw))
            except ValueError as exc:
                notes.append(f"{source}：{exc}，已使用 {values[name]}")
    return KioskSettings(interval_s=float(values["interval"]), poll_s=float(values["poll"]),
                         town_metric=str(values["metric"]), notes=tuple(notes))
