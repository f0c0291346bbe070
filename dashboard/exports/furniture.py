"""Map furniture: title band, footer, 示例数据 badge, legend with scale bar, north arrow, locator inset.

Sizes are in millimetres on paper and points for type, so a map reads the
same on every page size.  The legend block (classes with their bounds and
units, the layer symbols, then a graphic scale bar) and the north arrow are
matplotlib offset boxes anchored in a corner of the map frame; the corner is
the one whose box covers the least of the mapped area (:func:`choose_corner`).
The scale bar is measured in the metric CRS the map is drawn in, so its
length is true on the map whatever the page size.  The north arrow points to
true north: in a Gauss-Krüger projection grid north differs from it by the
meridian convergence, computed at the centre of the map.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import cast

import pyproj
import shapely
from geopandas import GeoDataFrame
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnchoredOffsetbox, DrawingArea, HPacker, TextArea, VPacker
from matplotlib.patches import Polygon, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox
from shapely.geometry.base import BaseGeometry

from dashboard.engine.catalog import format_number
from dashboard.exports import geodraw as gd
from dashboard.exports.fonts import font
from dashboard.exports.pages import MM_PER_INCH, PageSize
from dashboard.theme import DEMO_BADGE, LIGHT

CORNERS: dict[str, int] = {"lower left": 3, "lower right": 4, "upper left": 2, "upper right": 1}
"""Corner name → matplotlib ``loc`` code, in order of preference for the legend."""

TEXT = LIGHT["text"]
MUTED = LIGHT["muted"]
BADGE = LIGHT["badge"]

SCALE_STEPS = (1.0, 2.0, 5.0)
"""Mantissas of scale-bar lengths (1, 2, 5 × 10ⁿ metres)."""

TWO_COLUMNS_OVER = 11
"""A legend with more rows than this is set in two columns."""

SCALE_TARGET_MM = 38.0
"""Longest scale bar on paper, in mm (on A4; scaled with the page)."""


@dataclass(frozen=True)
class LegendEntry:
    """One row of the legend.

    ``kind`` is ``patch`` (a filled box), ``line`` (a boundary) or
    ``marker`` (a point symbol, ``marker`` in matplotlib's notation).
    """

    kind: str
    label: str
    face: str = "none"
    edge: str = "none"
    linewidth: float = 0.5
    marker: str = "o"
    size: float = 4.0


def mm_px(fig: Figure, mm: float) -> float:
    """Millimetres on paper → display pixels at the figure's dpi."""
    return mm / MM_PER_INCH * fig.dpi


# --------------------------------------------------------------------------- text bands


def fit_size(fig: Figure, text: str, size: float, max_px: float, renderer: RendererBase,
             min_size: float = 8.0) -> float:
    """Largest size ≤ ``size`` (down to ``min_size``) at which ``text`` is at most ``max_px`` wide."""
    probe = fig.text(0, 0, text, fontproperties=font(size))
    width = probe.get_window_extent(renderer).width
    probe.remove()
    if width <= max_px:
        return size
    return max(min_size, size * max_px / width * 0.98)


def draw_title(fig: Figure, page: PageSize, title: str, subtitle: str, demo: bool,
               renderer: RendererBase) -> None:
    """Title and subtitle in the title band; the 示例数据 badge at its right on demo data."""
    top = 1 - page.margin_mm / page.height_mm
    left = page.margin_mm / page.width_mm
    right = 1 - left
    avail = mm_px(fig, page.width_mm - 2 * page.margin_mm)
    if demo:
        badge = fig.text(right, top, DEMO_BADGE, ha="right", va="top", color="white",
                         fontproperties=font(page.pt(9)), zorder=50,
                         bbox={"boxstyle": "round,pad=0.35", "facecolor": BADGE, "edgecolor": "none"})
        avail -= badge.get_window_extent(renderer).width + mm_px(fig, 6)
    size = fit_size(fig, title, page.pt(16), avail, renderer, min_size=page.pt(10))
    fig.text(left, top, title, ha="left", va="top", color=TEXT, fontproperties=font(size))
    sub_y = top - (size / 72 * MM_PER_INCH * 1.45) / page.height_mm
    fig.text(left, sub_y, subtitle, ha="left", va="top", color=MUTED, fontproperties=font(page.pt(8.5)))


def draw_footer(fig: Figure, page: PageSize, lines: list[str], right: str | None = None) -> None:
    """Footer lines (data date, source, CRS, maker) under the map frame; optional text at the right."""
    left = page.margin_mm / page.width_mm
    y_mm = page.margin_mm + page.footer_mm - 2.0
    for line in lines:
        fig.text(left, y_mm / page.height_mm, line, ha="left", va="top", color=MUTED,
                 fontproperties=font(page.pt(7)))
        y_mm -= page.pt(7) / 72 * MM_PER_INCH * 1.5
    if right:
        fig.text(1 - left, (page.margin_mm + page.footer_mm - 2.0) / page.height_mm, right, ha="right", va="top",
                 color=MUTED, fontproperties=font(page.pt(7.5)))


# --------------------------------------------------------------------------- scale bar


def nice_length(max_m: float) -> float:
    """Longest 1/2/5 × 10ⁿ metres not above ``max_m``.

    Examples
    --------
    >>> nice_length(17_300.0), nice_length(999.0), nice_length(2_600.0)
    (10000.0, 500.0, 2000.0)
    """
    if not math.isfinite(max_m) or max_m <= 0:
        msg = f"scale bar room should be a positive length in metres, got {max_m!r}"
        raise ValueError(msg)
    exp = 10.0 ** math.floor(math.log10(max_m))
    for step in reversed(SCALE_STEPS):
        if step * exp <= max_m * (1 + 1e-9):
            return step * exp
    return exp  # pragma: no cover - 1 × 10ⁿ always fits


def metres_per_point(ax: Axes) -> float:
    """Ground metres per typographic point along x, from the axes' limits and size."""
    x0, x1 = ax.get_xlim()
    fig = cast(Figure, ax.figure)  # typed Figure | SubFigure; map axes live on a plain Figure
    width_pt = ax.get_position().width * fig.get_figwidth() * 72.0
    return (x1 - x0) / width_pt


def _number(v: float) -> str:
    """A scale-bar label: 0, 0.5, 2, 10 (the catalog's number format, trailing zeros dropped)."""
    return format_number(v, 2, trim=True)


def scale_bar(ax: Axes, page: PageSize, renderer: RendererBase) -> tuple[DrawingArea, float]:
    """A graphic scale bar (four alternating segments, labels 0 · half · full, unit) and its length in metres."""
    mpp = metres_per_point(ax)
    target_pt = page.pt(SCALE_TARGET_MM) / MM_PER_INCH * 72.0
    length = nice_length(target_pt * mpp)
    bar_pt = length / mpp
    km = length >= 1000
    unit, div = ("千米", 1000.0) if km else ("米", 1.0)
    size = page.pt(6.5)
    fp = font(size)
    text_h = size * 1.25
    bar_h = page.pt(3.2)
    probe = ax.figure.text(0, 0, f"{_number(length / div)}  {unit}", fontproperties=fp)
    tail = probe.get_window_extent(renderer).width * 72.0 / ax.figure.dpi
    probe.remove()
    lead = size * 0.6
    area = DrawingArea(lead + bar_pt + tail, text_h + bar_h + 1.0, 0, 0)
    seg = bar_pt / 4
    for i in range(4):
        area.add_artist(Rectangle((lead + i * seg, text_h), seg, bar_h, facecolor=TEXT if i % 2 == 0 else "white",
                                  edgecolor=TEXT, linewidth=0.5))
    for frac in (0.0, 0.5, 1.0):
        label = _number(length * frac / div)
        area.add_artist(_da_text(lead + frac * bar_pt, 0.0, label, fp, "center"))
    area.add_artist(_da_text(lead + bar_pt + size * 0.5, text_h + bar_h / 2, unit, fp, "left", va="center"))
    return area, length


def _da_text(x: float, y: float, text: str, fp: FontProperties, ha: str, va: str = "bottom") -> Text:
    return Text(x, y, text, fontproperties=fp, ha=ha, va=va, color=TEXT)


# --------------------------------------------------------------------------- legend block


def _symbol(entry: LegendEntry, width: float, height: float) -> DrawingArea:
    area = DrawingArea(width, height, 0, 0)
    if entry.kind == "patch":
        area.add_artist(Rectangle((0, 0), width, height, facecolor=entry.face, edgecolor=entry.edge,
                                  linewidth=entry.linewidth))
    elif entry.kind == "line":
        area.add_artist(Line2D([0, width], [height / 2, height / 2], color=entry.edge, linewidth=entry.linewidth))
    else:
        area.add_artist(Line2D([width / 2], [height / 2], marker=entry.marker, markersize=entry.size,
                               markerfacecolor=entry.face, markeredgecolor=entry.edge,
                               markeredgewidth=entry.linewidth, linestyle="none"))
    return area


def legend_block(ax: Axes, page: PageSize, title: str, note: str, entries: list[LegendEntry],
                 renderer: RendererBase) -> tuple[AnchoredOffsetbox, float]:
    """The framed legend: title, a note (classification), one row per entry, then the scale bar.

    Returns the box (added to ``ax``, in its lower-left corner) and the scale bar length in metres.
    """
    size = page.pt(7.5)
    sym_w, sym_h = size * 2.0, size * 1.15
    rows: list[Artist] = [TextArea(title, textprops={"fontproperties": font(page.pt(8.5)), "color": TEXT})]
    if note:
        rows.append(TextArea(note, textprops={"fontproperties": font(page.pt(6.5)), "color": MUTED}))
    items: list[Artist] = [HPacker(children=[_symbol(entry, sym_w, sym_h),
                               TextArea(entry.label, textprops={"fontproperties": font(size), "color": TEXT})],
                     align="center", pad=0, sep=size * 0.6) for entry in entries]
    if len(items) > TWO_COLUMNS_OVER:  # a long legend goes in two columns: areas and lines | points
        split = next((i for i, e in enumerate(entries) if e.kind == "marker"), (len(items) + 1) // 2)
        split = split if 0 < split < len(items) else (len(items) + 1) // 2
        columns: list[Artist] = [VPacker(children=part, align="left", pad=0, sep=size * 0.45)
                   for part in (items[:split], items[split:])]
        rows.append(HPacker(children=columns, align="top", pad=0, sep=size * 1.6))
    else:
        rows += items
    bar, length = scale_bar(ax, page, renderer)
    rows.append(bar)
    pack = VPacker(children=rows, align="left", pad=0, sep=size * 0.45)
    box = AnchoredOffsetbox(loc="lower left", child=pack, pad=0.55, borderpad=0.7, frameon=True,
                            prop=FontProperties(size=size), bbox_to_anchor=ax.bbox, bbox_transform=None)
    box.patch.set_facecolor("white")
    box.patch.set_alpha(0.92)
    box.patch.set_edgecolor("#9ca3af")
    box.patch.set_linewidth(0.5)
    box.set_zorder(40)
    ax.add_artist(box)
    return box, length


# --------------------------------------------------------------------------- north arrow


@functools.lru_cache(maxsize=8)
def _transformers(crs: str) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    return (pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True),
            pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True))


def convergence_deg(crs: str, x: float, y: float) -> float:
    """Angle (degrees, clockwise) from grid north to true north at metric point (x, y).

    Examples
    --------
    >>> round(convergence_deg("EPSG:4549", 500000.0, 3540000.0), 3)  # on the central meridian
    0.0
    """
    to_geo, to_map = _transformers(crs)
    lon, lat = to_geo.transform(x, y)
    x2, y2 = to_map.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x2 - x, y2 - y))


def north_arrow(ax: Axes, page: PageSize, angle_deg: float) -> AnchoredOffsetbox:
    """A half-filled arrow with 北 above it, rotated to true north, added to ``ax``."""
    w, h = page.pt(11.0), page.pt(22.0)
    size = page.pt(9)
    area = DrawingArea(w, h + size * 1.3, 0, 0)
    cx, tip, base, notch = w / 2, h, 0.0, h * 0.32
    rot = Affine2D().rotate_deg_around(cx, h / 2, -angle_deg)
    left = Polygon([(cx, tip), (0, base), (cx, notch)], closed=True, facecolor=TEXT, edgecolor=TEXT, linewidth=0.6)
    right = Polygon([(cx, tip), (cx, notch), (w, base)], closed=True, facecolor="white", edgecolor=TEXT,
                    linewidth=0.6)
    for patch in (left, right):
        patch.set_transform(rot + area.get_transform())
        area.add_artist(patch)
    area.add_artist(_da_text(cx, h + size * 0.15, "北", font(size), "center"))
    box = AnchoredOffsetbox(loc="upper right", child=area, pad=0.2, borderpad=0.9, frameon=False,
                            prop=FontProperties(size=size), bbox_to_anchor=ax.bbox, bbox_transform=None)
    box.set_zorder(40)
    ax.add_artist(box)
    return box


# --------------------------------------------------------------------------- placement in corners


def corner_box(ax: Axes, corner: str, width: float, height: float, margin: float, renderer: RendererBase) -> Bbox:
    """Display box of ``width`` × ``height`` px in ``corner`` of the axes, ``margin`` px from its edges."""
    frame = ax.get_window_extent(renderer)
    x0 = frame.x0 + margin if "left" in corner else frame.x1 - margin - width
    y0 = frame.y0 + margin if "lower" in corner else frame.y1 - margin - height
    return Bbox.from_bounds(x0, y0, width, height)


def overlap_share(ax: Axes, box: Bbox, footprint: BaseGeometry) -> float:
    """Share of ``box`` (display units) that covers ``footprint`` (data units)."""
    inv = ax.transData.inverted()
    (x0, y0), (x1, y1) = inv.transform([(box.x0, box.y0), (box.x1, box.y1)])
    rect = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return float(shapely.area(shapely.intersection(rect, footprint)) / max(rect.area, 1e-12))


def choose_corner(ax: Axes, width: float, height: float, margin: float, footprint: BaseGeometry,
                  free: list[str], renderer: RendererBase) -> tuple[str, Bbox, float]:
    """The free corner where a box of that size covers the least of ``footprint`` (first in ``free`` on ties)."""
    best: tuple[str, Bbox, float] | None = None
    for corner in free:
        box = corner_box(ax, corner, width, height, margin, renderer)
        share = overlap_share(ax, box, footprint)
        if best is None or share < best[2] - 1e-6:
            best = (corner, box, share)
    assert best is not None
    return best


def anchored_size(box: AnchoredOffsetbox, renderer: RendererBase) -> tuple[float, float, float]:
    """(width, height, margin from the frame) in px of an anchored box, measured in the lower-left corner."""
    box.loc = CORNERS["lower left"]
    ext = box.get_window_extent(renderer)
    assert box.axes is not None, "the box is added to its map axes first"
    frame = box.axes.get_window_extent(renderer)
    return ext.width, ext.height, ext.x0 - frame.x0


# --------------------------------------------------------------------------- locator inset


def inset_rect(fig: Figure, box: Bbox) -> tuple[float, float, float, float]:
    """Figure-fraction rectangle of a display box."""
    w, h = fig.bbox.width, fig.bbox.height
    return box.x0 / w, box.y0 / h, box.width / w, box.height / h


def locator_inset(fig: Figure, rect: tuple[float, float, float, float], towns: GeoDataFrame, district: BaseGeometry,
                  extent: tuple[float, float, float, float], focus: BaseGeometry | None,
                  page: PageSize) -> Axes:
    """Small map of the whole district, the focus area (or the map's extent) in red."""
    ax = fig.add_axes(rect, zorder=45)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.5)
        spine.set_edgecolor("#6b7280")
    ax.set_facecolor("white")
    gd.polygons(ax, towns.geometry.values, facecolor="#e5e7eb", edgecolor="#9ca3af", linewidth=0.25)
    gd.lines(ax, [district], color="#374151", linewidth=0.5, zorder=2)
    if focus is not None:
        gd.polygons(ax, [focus], facecolor=BADGE, edgecolor=BADGE, linewidth=0.6, alpha=0.85, zorder=3)
    x0, y0, x1, y1 = extent
    bounds = district.bounds
    if not shapely.box(*extent).contains(district):  # the map shows part of the district: say which
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="none", edgecolor=BADGE, linewidth=0.9))
        bounds = (min(bounds[0], x0), min(bounds[1], y0), max(bounds[2], x1), max(bounds[3], y1))
    ix0, iy0, ix1, iy1 = extent_with_aspect(bounds, rect[3] * fig.get_figheight() / (rect[2] * fig.get_figwidth()),
                                            0.05)
    ax.set_xlim(ix0, ix1)
    ax.set_ylim(iy0, iy1)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.text(0.03, 0.97, "位置示意", transform=ax.transAxes, ha="left", va="top", color=MUTED,
            fontproperties=font(page.pt(6)), path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])
    return ax


def inset_size_px(fig: Figure, frame_px: Bbox, district: BaseGeometry, page: PageSize) -> tuple[float, float]:
    """Inset width and height in px: about a quarter of the frame wide, the district's aspect."""
    x0, y0, x1, y1 = district.bounds
    aspect = (y1 - y0) / max(x1 - x0, 1e-9)
    width = min(frame_px.width * 0.24, mm_px(fig, page.pt(48)))
    height = width * aspect
    limit = frame_px.height * 0.30
    if height > limit:
        width, height = width * limit / height, limit
    return width, height


def extent_with_aspect(bounds: tuple[float, float, float, float], aspect: float, pad: float
                       ) -> tuple[float, float, float, float]:
    """``bounds`` padded by ``pad`` (share of the larger side) and widened to ``aspect`` (height / width)."""
    x0, y0, x1, y1 = bounds
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    m = pad * max(w, h)
    w, h = w + 2 * m, h + 2 * m
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if h / w < aspect:
        h = w * aspect
    else:
        w = h / aspect
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
