"""Greedy placement of area labels that never overlap each other or the map furniture.

A deliberately simple, deterministic placer (no iterative solver such as
adjustText, which moves labels until overlaps are *small*, not *gone*, and
may push a label out of its area): labels are taken by priority (largest area
first); for each, candidate positions inside its polygon are tried in order —
the pole of inaccessibility, the representative point, then eight positions
around them — and the first whose box is inside the map frame and clear of
every box already placed (labels, legend, inset, north arrow, scale bar) is
kept.  A label that does not fit is tried once more at a smaller size, then
left out and reported in :attr:`Placement.dropped`.

Each name takes its colours from what lies under it where it lands
(:func:`dashboard.theme.label_ink`): dark text with a white halo on light
fills, white text with a dark halo on the darkest classes.

Boxes are measured in display units with the figure's renderer, so the check
is exact for the size the figure is saved at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.ops
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.geometry.base import BaseGeometry

from dashboard.exports.fonts import font
from dashboard.theme import DARK_INK, label_ink

HALO_WIDTH = 2.6
"""Width (pt) of the outline drawn under each label (a separate artist: the label itself stays real text in PDFs)."""

Backdrop = Callable[[float, float], str]
"""The colour seen at a point (data coordinates) of the map, before labels: what a label is read against."""

SHRINK = 0.85
"""Size factor of the second try of a label that does not fit."""

PAD_PX = 2.0
"""Clearance around each label box, in display pixels (at the figure's dpi)."""

_OFFSETS = ((0.0, 0.0), (0.0, 0.75), (0.0, -0.75), (0.6, 0.0), (-0.6, 0.0),
            (0.6, 0.75), (-0.6, 0.75), (0.6, -0.75), (-0.6, -0.75))
"""Candidate shifts in label widths (x) and heights (y) around each anchor."""


@dataclass(frozen=True)
class LabelRequest:
    """One label to place.

    Attributes
    ----------
    text
        Text (may hold a line break).
    geometry
        Polygon(s) in data coordinates the label belongs to; points are
        accepted too (the label is centred on them).
    priority
        Higher is placed first.
    size
        Font size in points.
    color
        Text colour on light backgrounds; on a dark one the label is
        :data:`~dashboard.theme.LIGHT_INK` (:func:`~dashboard.theme.label_ink`).
    """

    text: str
    geometry: BaseGeometry
    priority: float
    size: float
    color: str = DARK_INK
    avoid: BaseGeometry | None = None
    """Data-unit geometry the label box must not touch (e.g. the coloured areas, for a grey context label)."""


@dataclass
class Placement:
    """Result of :func:`place_labels`: the labels drawn (with their boxes) and those left out."""

    placed: list[tuple[str, Bbox]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    artists: list[Text] = field(default_factory=list)


def _largest_part(geom: BaseGeometry) -> BaseGeometry:
    parts = shapely.get_parts(geom)
    if len(parts) <= 1:
        return geom
    return parts[int(np.argmax(shapely.area(parts)))]


def anchors(geom: BaseGeometry) -> list[tuple[float, float]]:
    """Anchor points of a label in its polygon: pole of inaccessibility, then representative point."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, shapely.Point):
        return [(geom.x, geom.y)]
    part = _largest_part(geom)
    points = []
    if isinstance(part, shapely.Polygon):
        size = max(part.bounds[2] - part.bounds[0], part.bounds[3] - part.bounds[1])
        pole = shapely.ops.polylabel(part, tolerance=max(size / 200.0, 1e-9))
        points.append((pole.x, pole.y))
    rep = part.representative_point()
    points.append((rep.x, rep.y))
    return points


def _overlaps(box: Bbox, boxes: list[Bbox]) -> bool:
    return any(box.x0 < b.x1 and b.x0 < box.x1 and box.y0 < b.y1 and b.y0 < box.y1 for b in boxes)


def _measure(ax: Axes, text: str, size: float, renderer: RendererBase) -> tuple[float, float]:
    probe = Text(0, 0, text, fontproperties=font(size), ha="center", va="center", linespacing=1.1)
    probe.set_figure(ax.figure)
    box = probe.get_window_extent(renderer)
    return box.width + 2 * PAD_PX, box.height + 2 * PAD_PX


Candidate = tuple[float, float, bool, tuple[float, float] | None]
"""Display centre x, y; whether the centre must fall inside the polygon; the point a leader line starts from."""


def _candidates(ax: Axes, req: LabelRequest, width: float, height: float) -> list[Candidate]:
    """Display-unit centres to try.

    A polygon smaller than its label gets positions just outside its box
    first (right, left, above, below, then the corners), with a leader line
    to the polygon, so the label does not hide the colour it names.
    """
    to_display = ax.transData.transform
    geom = req.geometry
    starts = [tuple(to_display(p)) for p in anchors(geom)]
    inside: list[Candidate] = [(x + fx * width, y + fy * height, bool(fx or fy), None)
                               for x, y in starts for fx, fy in _OFFSETS]
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return inside
    (x0, y0), (x1, y1) = to_display([geom.bounds[:2], geom.bounds[2:]])
    if width < 0.85 * (x1 - x0) and height < 0.85 * (y1 - y0):
        return inside
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    gap = PAD_PX
    dx, dy = (x1 - x0) / 2 + width / 2 + gap, (y1 - y0) / 2 + height / 2 + gap
    outside = [(cx + dx, cy), (cx - dx, cy), (cx, cy + dy), (cx, cy - dy),
               (cx + dx, cy + dy), (cx - dx, cy + dy), (cx + dx, cy - dy), (cx - dx, cy - dy)]
    return [(x, y, False, starts[0]) for x, y in outside] + inside


def _leader(ax: Axes, start: tuple[float, float], box: Bbox) -> None:
    """A hairline from ``start`` (display) to the nearest point of the label ``box``."""
    end = (min(max(start[0], box.x0), box.x1), min(max(start[1], box.y0), box.y1))
    if np.hypot(end[0] - start[0], end[1] - start[1]) < 2 * PAD_PX:
        return
    inv = ax.transData.inverted()
    (x0, y0), (x1, y1) = inv.transform([start, end])
    ax.plot([x0, x1], [y0, y1], color="#4b5563", linewidth=0.4, zorder=28, solid_capstyle="butt")


def _touches(ax: Axes, box: Bbox, geom: BaseGeometry) -> bool:
    inv = ax.transData.inverted()
    (x0, y0), (x1, y1) = inv.transform([(box.x0, box.y0), (box.x1, box.y1)])
    return bool(shapely.intersects(shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), geom))


def place_labels(ax: Axes, requests: list[LabelRequest], obstacles: list[Bbox],
                 renderer: RendererBase, backdrop: Backdrop | None = None) -> Placement:
    """Draw the labels of ``requests`` on ``ax`` where they fit, greedily by priority.

    Parameters
    ----------
    ax
        Map axes with final limits (data → display must not change afterwards).
    requests
        Labels to place.
    obstacles
        Display-unit boxes labels must stay clear of (legend, inset, point symbols …).
    renderer
        The figure canvas's renderer (for text extents).

    Returns
    -------
    Placement
        Placed labels with their display boxes (padded), and the texts left out.
    """
    frame = ax.get_window_extent(renderer)
    taken = list(obstacles)
    result = Placement()
    to_data = ax.transData.inverted().transform
    for req in sorted(requests, key=lambda r: -r.priority):
        spot = None
        for size in (req.size, req.size * SHRINK):
            width, height = _measure(ax, req.text, size, renderer)
            for x, y, check, lead in _candidates(ax, req, width, height):
                if check and not req.geometry.contains(shapely.Point(*to_data((x, y)))):
                    continue
                box = Bbox.from_bounds(x - width / 2, y - height / 2, width, height)
                inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
                if not inside or _overlaps(box, taken):
                    continue
                if req.avoid is not None and _touches(ax, box, req.avoid):
                    continue
                spot = (x, y, size, box, lead)
                break
            if spot:
                break
        if spot is None:
            result.dropped.append(req.text)
            continue
        x, y, size, box, lead = spot
        taken.append(box)
        if lead is not None:
            _leader(ax, lead, box)
        result.placed.append((req.text, box))
        dx, dy = to_data((x, y))
        ink = label_ink(backdrop(dx, dy) if backdrop else "#ffffff", dark=req.color)
        common: dict[str, Any] = {"fontproperties": font(size), "ha": "center", "va": "center", "linespacing": 1.1,
                                  "clip_on": True}
        ax.text(dx, dy, req.text, color=ink.halo, zorder=29,
                path_effects=[patheffects.Stroke(linewidth=HALO_WIDTH, foreground=ink.halo)], **common)
        result.artists.append(ax.text(dx, dy, req.text, color=ink.text, zorder=30, **common))
    return result
