"""One planned page of an atlas, and the footer every atlas page carries.

Shared by the atlas (:mod:`dashboard.exports.atlas`) and the commissioners'
visit sheets (:mod:`dashboard.exports.visits`) it ends with, so neither of
them imports the other's page machinery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure

from dashboard.exports import furniture as fu
from dashboard.exports.pages import PageSize
from dashboard.exports.view import MapView


@dataclass
class AtlasPage:
    """One planned page: what it is, its size, and how to draw it."""

    kind: str
    """``cover``, ``summary``, ``area``, ``visit`` or ``visit-table``."""
    title: str
    size: PageSize
    draw: Callable[[Figure, RendererBase, PageSize, str], None]


def page_footer(fig: Figure, page: PageSize, view: MapView, number: str) -> None:
    """Footer of an atlas page: data date, source, CRS and maker; page number at the right."""
    fu.draw_footer(fig, page, [view.credit, view.maker], right=number)
