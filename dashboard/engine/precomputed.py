"""What an engine computed once and a store keeps with a version, so opening it does not compute it again.

Placement (each firm's town, parks and cell) and the matching of rights to
their holders depend only on the version's layers; the holdings counted as
of the data date depend on nothing else either.  :func:`precompute` takes
them from an engine; a store writes them beside the canonical layers and
hands them back on :attr:`loaders.DataBundle.precomputed`, where
:class:`~dashboard.engine.Engine` finds them.  Anything the engine is asked
for with other settings (another year, a generated grid of another size) it
computes as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dashboard.engine.placement import Placement
from dashboard.engine.rights import HolderMatching, RightsRollup
from loaders.problems import ProblemLog

if TYPE_CHECKING:
    from dashboard.engine.core import Engine


@dataclass(frozen=True)
class Precomputed:
    """An engine's year-independent work on one version's layers.

    Attributes
    ----------
    grid_key
        The grid the placement refers to (:func:`grid_key`): the official
        grid, or the size, shape and cover of the generated one.
    placement
        Town, park pairs, cell and metric coordinates of every firm.
    rights
        Rights rolled up to firms as of the data date, ``None`` without an
        ip_records layer.
    problems
        The loaders' problems and the engine's own (unmatched holders …).
    load_matching
        Gives each right's holders matched to firms (``None`` without an
        ip_records layer); read only when a year is asked for.
    """

    grid_key: str
    placement: Placement
    rights: RightsRollup | None
    problems: ProblemLog
    load_matching: Callable[[], HolderMatching | None]


def grid_key(official: bool, cell_m: float, shape: str, over: str) -> str:
    """Name of the grid a placement was computed on.

    >>> grid_key(True, 1000.0, "square", "parks"), grid_key(False, 500.0, "hex", "towns")
    ('official', 'generated:500|hex|towns')
    """
    return "official" if official else f"generated:{cell_m:g}|{shape}|{over}"


def precompute(engine: Engine) -> Precomputed:
    """Everything :class:`Precomputed` holds, computed by ``engine`` (which must count as of the data date)."""
    if engine.year is not None:
        msg = f"a version keeps the figures as of its data date, not of year {engine.year}"
        raise ValueError(msg)
    matching = engine.matching
    return Precomputed(grid_key=engine.grid_key, placement=engine.placement, rights=engine.rights,
                       problems=engine.problems, load_matching=lambda: matching)
