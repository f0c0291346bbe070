"""Static maps (PNG 300 dpi, vector PDF with embedded CJK text, SVG) of a :class:`~dashboard.exports.view.MapView`.

The map is drawn in the folder's metric CRS (EPSG:4549 by default, a
conformal Gauss-Krüger projection), so shapes, the scale bar and distances are
true.  :func:`draw_map` draws one map frame with its furniture and labels
into any rectangle of a figure (the atlas reuses it); :func:`render` makes a
whole page (title band, map frame, footer); :func:`to_bytes` saves it.

No basemap is drawn: exports work offline, and a report map reads better on
white.  Figures are plain :class:`matplotlib.figure.Figure` objects (no
pyplot state), so rendering is safe on a Streamlit download thread.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from dashboard.engine import LEVEL_LABELS
from dashboard.exports import furniture as fu
from dashboard.exports import geodraw as gd
from dashboard.exports.labels import Backdrop, LabelRequest, Placement, place_labels
from dashboard.exports.pages import DEFAULT_SIZE, PageSize, page_size
from dashboard.exports.view import APP_NAME, MapView
from dashboard.theme import DEMO_BADGE, LAYER_COLORS, NO_DATA, blend, service_color

DPI = 300
"""Resolution of PNG exports (and of the layout pass of every format)."""

CONTEXT_FILL = "#f7f7f8"
"""Fill of areas drawn only for context (outside the focus)."""

TOWN_LINE = (0, (5, 1.6, 1.2, 1.6))
"""Dash-dot pattern of town boundaries (乡镇界) over other levels."""

PADS = (0.04, 0.09, 0.15, 0.22, 0.30, 0.40, 0.52)
"""Margins tried around the mapped area (share of its larger side) until the legend clears it."""

LEGEND_OVERLAP_OK = 0.003
INSET_OVERLAP_OK = 0.03

AREA_EDGES: dict[str, tuple[str, float]] = {
    "district": ("#374151", 0.6), "town": ("#4b5563", 0.45), "park": ("#4b5563", 0.5), "grid": ("#8b95a3", 0.25),
}
"""Outline colour and width (pt) of the choropleth areas of each level."""

DISTRICT_ALPHA = 0.22
"""Opacity of the district's one-class fill: a single class says nothing, so it stays a tint under the towns."""

CELL_LABEL_LIMIT = 40
"""Grid cells are labelled only when at most this many are shown."""

XML_ILLEGAL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Bytes XML 1.0 forbids even escaped (in UTF-8 they are these characters and nothing else)."""


@dataclass(frozen=True)
class Overlays:
    """What is drawn over the choropleth.

    Attributes
    ----------
    firms
        Firms inside the focus (or district), coloured by whether they hold IP.
    service_points
        Service points in view, coloured by type.
    parks, cells
        Outlines of parks / grid cells.
    labels
        Names of the areas (and of towns around, for context).
    values
        A second label line with the area's value.
    """

    firms: bool = False
    service_points: bool = False
    parks: bool = False
    cells: bool = False
    labels: bool = True
    values: bool = True


def default_overlays(view: MapView) -> Overlays:
    """The overlays of a plain export of ``view``'s level."""
    if view.level == "district":
        return Overlays(service_points=True, parks=view.parks is not None, values=False)
    return Overlays()


@dataclass
class MapInfo:
    """What :func:`draw_map` drew, for callers and tests.

    Attributes
    ----------
    ax
        The map axes.
    legend
        Texts of the legend rows, classes first.
    class_labels
        The class texts only (equal to :func:`dashboard.classify.legend_labels`).
    labels
        Placed and dropped area labels.
    corners
        Furniture item → corner of the frame.
    boxes
        Furniture item → display box.
    scale_m
        Length of the scale bar in metres.
    extent
        (xmin, ymin, xmax, ymax) of the map in the metric CRS.
    """

    ax: Axes
    legend: list[str]
    class_labels: list[str]
    labels: Placement
    corners: dict[str, str] = field(default_factory=dict)
    boxes: dict[str, Bbox] = field(default_factory=dict)
    scale_m: float = float("nan")
    extent: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


# --------------------------------------------------------------------------- layers


def _firms(view: MapView) -> tuple[np.ndarray, np.ndarray]:
    """Metric x/y of the firms inside the focus (or the district) and whether each holds IP."""
    engine = view.engine
    xy = engine.firm_xy
    has_ip = engine.firm_table()["has_ip"].to_numpy(dtype=bool)
    ok = np.isfinite(xy).all(axis=1)
    area = view.focus_metric if view.focus_metric is not None else view.district
    ok[ok] = shapely.contains_xy(area, xy[ok, 0], xy[ok, 1])
    return xy[ok], has_ip[ok]


def _service_points(view: MapView) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metric x/y, names and types of the service points inside the mapped area (focus or district)."""
    points = view.engine.layer("service_points")
    xy = view.engine.service_xy
    if points is None or len(xy) == 0:
        return np.zeros((0, 2)), np.array([], dtype=object), np.array([], dtype=object)
    ok = np.isfinite(xy).all(axis=1)
    area = shapely.buffer(view.extent_geometry, 200.0)
    ok[ok] = shapely.contains_xy(area, xy[ok, 0], xy[ok, 1])
    types = points["type"].astype(object).where(points["type"].notna(), "其他").to_numpy()
    return xy[ok], points["name"].astype(str).to_numpy()[ok], types[ok]


def _draw_layers(ax: Axes, view: MapView, overlays: Overlays) -> list[fu.LegendEntry]:
    """Draw every layer; return the legend rows of the symbols drawn (classes excluded)."""
    entries: list[fu.LegendEntry] = []
    geoms = view.metric_geoms
    selected = view.frame["selected"].to_numpy()
    context = view.level != "town" or view.focus is not None
    if context:
        gd.polygons(ax, view.towns.geometry.values, facecolor=CONTEXT_FILL, zorder=1)
    edge, width = AREA_EDGES[view.level]
    gd.polygons(ax, geoms[~selected], facecolor=CONTEXT_FILL, edgecolor=edge, linewidth=width * 0.8, zorder=2)
    gd.polygons(ax, geoms[selected], facecolor=list(view.frame["color"][selected]), edgecolor=edge, linewidth=width,
                zorder=3, alpha=DISTRICT_ALPHA if view.level == "district" else None)
    shown = view.extent_geometry
    if overlays.cells and view.level != "grid":
        cells = view.cells.geometry.values[shapely.intersects(view.cells.geometry.values, shown)]
        if len(cells):
            gd.polygons(ax, cells, edgecolor=LAYER_COLORS["grids"], linewidth=0.3, zorder=4)
            entries.append(fu.LegendEntry("line", "网格", edge=LAYER_COLORS["grids"], linewidth=0.6))
    if overlays.parks and view.parks is not None and view.level != "park":
        parks = view.parks.geometry.values[shapely.intersects(view.parks.geometry.values, shown)]
        if len(parks):
            gd.polygons(ax, parks, edgecolor=LAYER_COLORS["parks"], linewidth=0.9, zorder=5)
            entries.append(fu.LegendEntry("line", "园区边界", edge=LAYER_COLORS["parks"], linewidth=1.2))
    if view.level != "town":
        gd.lines(ax, [view.town_lines], color="#6b7280", linewidth=0.5, linestyle=TOWN_LINE, zorder=6)
        entries.append(fu.LegendEntry("line", "镇街界", edge="#6b7280", linewidth=0.8))
    gd.lines(ax, [view.district], color="#1f2933", linewidth=1.1, zorder=7)
    entries.append(fu.LegendEntry("line", "区界", edge="#1f2933", linewidth=1.4))
    if view.focus_metric is not None and view.focus is not None:
        gd.lines(ax, [view.focus_metric], color=fu.BADGE, linewidth=1.5, zorder=8)
        entries.append(fu.LegendEntry("line", f"{view.focus.name}", edge=fu.BADGE, linewidth=1.6))
    if overlays.firms:
        xy, has_ip = _firms(view)
        s = 9.0 if len(xy) < 400 else 5.0
        ax.scatter(xy[has_ip, 0], xy[has_ip, 1], s=s, marker="o", color=LAYER_COLORS["firm_with_ip"],
                   edgecolors="white", linewidths=0.5, zorder=9)
        ax.scatter(xy[~has_ip, 0], xy[~has_ip, 1], s=s * 1.4, marker="^", color=LAYER_COLORS["firm_without_ip"],
                   edgecolors="white", linewidths=0.5, zorder=10)
        entries.append(fu.LegendEntry("marker", f"有知识产权企业（{int(has_ip.sum())}）",
                                      face=LAYER_COLORS["firm_with_ip"], edge="white", marker="o", size=4.0,
                                      linewidth=0.3))
        entries.append(fu.LegendEntry("marker", f"无知识产权企业（{int((~has_ip).sum())}，培育对象）",
                                      face=LAYER_COLORS["firm_without_ip"], edge="white", marker="^", size=4.5,
                                      linewidth=0.3))
    return entries


SERVICE_MARKER_PT2 = 16.0
"""Area of a service-point marker in points² (matplotlib ``s``)."""


def _service_layer(ax: Axes, view: MapView) -> tuple[list[fu.LegendEntry], np.ndarray]:
    """Draw the service points by type; return their legend rows and their metric x/y."""
    xy, _, types = _service_points(view)
    entries = []
    for kind in dict.fromkeys(types):
        mask = types == kind
        color = service_color(str(kind))
        ax.scatter(xy[mask, 0], xy[mask, 1], s=SERVICE_MARKER_PT2, marker="D", color=color, edgecolors="white",
                   linewidths=0.5, zorder=11)
        entries.append(fu.LegendEntry("marker", f"{kind}（{int(mask.sum())}）", face=color, edge="white",
                                      marker="D", size=4.0, linewidth=0.4))
    return entries, xy


def _point_boxes(ax: Axes, xy: np.ndarray, size_pt2: float) -> list[Bbox]:
    """Display boxes of point markers of area ``size_pt2`` (so labels keep off them)."""
    if len(xy) == 0:
        return []
    half = np.sqrt(size_pt2) / 2 / 72.0 * ax.figure.dpi + 1.0
    centres = ax.transData.transform(xy)
    return [Bbox.from_extents(x - half, y - half, x + half, y + half) for x, y in centres]


def _class_entries(view: MapView) -> list[fu.LegendEntry]:
    edge, _ = AREA_EDGES[view.level]
    if view.level == "district":
        color = to_hex(to_rgba(view.colors[0], DISTRICT_ALPHA) if view.colors else NO_DATA, keep_alpha=True)
        return [fu.LegendEntry("patch", f"{view.district_name} {text}", face=color, edge=edge, linewidth=0.4)
                for text in view.legend]
    rows = [fu.LegendEntry("patch", text, face=color, edge=edge, linewidth=0.4)
            for text, color in zip(view.legend, view.colors, strict=True)]
    if (view.frame["cls"].to_numpy() < 0).any():
        rows.append(fu.LegendEntry("patch", "无数据", face=NO_DATA, edge=edge, linewidth=0.4))
    return rows


# --------------------------------------------------------------------------- labels


def _label_requests(view: MapView, overlays: Overlays, extent: tuple[float, float, float, float],
                    page: PageSize) -> list[LabelRequest]:
    if not overlays.labels:
        return []
    visible = shapely.box(*extent)
    requests: list[LabelRequest] = []
    areas = view.metric_frame
    selected = view.frame["selected"].to_numpy()
    if view.level == "district":
        for name, geom in zip(view.towns["name"], view.towns.geometry.values, strict=True):
            part = shapely.intersection(geom, visible)
            requests.append(LabelRequest(str(name), part, 1000 + part.area / 1e6, page.pt(7.5)))
        return requests
    if view.level != "town" or view.focus is not None:
        # context: the towns around, in grey, placed after the areas of the level
        own = set(areas["name"][selected]) if view.level == "town" else set()
        coloured = shapely.union_all(areas.geometry.values[selected]) if selected.any() else None
        for name, geom in zip(view.towns["name"], view.towns.geometry.values, strict=True):
            part = shapely.intersection(geom, visible)
            if name in own or part.is_empty or part.area < visible.area / 800:
                continue
            requests.append(LabelRequest(str(name), part, part.area / 1e9, page.pt(7), color=fu.MUTED,
                                         avoid=coloured))
    shown = np.flatnonzero(selected)
    if view.level == "grid" and len(shown) > CELL_LABEL_LIMIT:
        return requests
    for pos in shown:
        geom = shapely.intersection(areas.geometry.values[pos], visible)
        if geom.is_empty:
            continue
        name, value = areas["name"].iat[pos], areas["value"].iat[pos]
        text = f"{name}\n{view.value_text(value)}" if overlays.values else str(name)
        size = page.pt(6.5 if view.level == "grid" else 7.5)
        requests.append(LabelRequest(text, geom, 1000 + geom.area / 1e6, size))
    return requests


def area_fills(view: MapView) -> list[str]:
    """The colour each area of ``view`` is seen in (``#rrggbb``), in the order of ``view.frame``.

    Areas of the level are their class colour (the district's tint blended over
    the context fill), others the context fill: what :func:`_draw_layers` paints.
    """
    colors = view.frame["color"].astype(str).tolist()
    selected = view.frame["selected"].to_numpy()
    if view.level == "district":
        colors = [blend(to_hex(c), CONTEXT_FILL, DISTRICT_ALPHA) for c in colors]
    return [to_hex(c) if chosen else CONTEXT_FILL for c, chosen in zip(colors, selected, strict=True)]


def backdrop(view: MapView) -> Backdrop:
    """The colour under a point of the map: the area containing it, the context fill of towns, else white."""
    geoms = np.array(view.metric_geoms, dtype=object)
    fills = area_fills(view)
    selected = view.frame["selected"].to_numpy()
    towns = np.array(view.towns.geometry.values, dtype=object)
    shapely.prepare(geoms)
    shapely.prepare(towns)
    context = view.level != "town" or view.focus is not None

    def colour(x: float, y: float) -> str:
        inside = np.flatnonzero(shapely.contains_xy(geoms, x, y))
        if len(inside):
            on_top = inside[selected[inside]]  # areas of the level are drawn over the others
            return fills[int((on_top if len(on_top) else inside)[0])]
        return CONTEXT_FILL if context and shapely.contains_xy(towns, x, y).any() else "#ffffff"

    return colour


# --------------------------------------------------------------------------- one map frame


def _set_extent(ax: Axes, bounds: tuple[float, float, float, float], pad: float, renderer: RendererBase
                ) -> tuple[float, float, float, float]:
    frame = ax.get_window_extent(renderer)
    extent = fu.extent_with_aspect(bounds, frame.height / frame.width, pad)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    return extent


@dataclass(frozen=True)
class _Layout:
    """One try at placing the legend and the locator inset around the map at a given margin."""

    extent: tuple[float, float, float, float]
    scale_m: float
    legend_corner: str
    legend_box: Bbox
    legend_share: float
    """Share of the mapped area the legend covers in its corner."""
    inset_corner: str
    inset_box: Bbox
    inset_share: float


def draw_map(fig: Figure, rect: tuple[float, float, float, float], view: MapView, page: PageSize,
             overlays: Overlays | None = None, *, inset: bool = True, renderer: RendererBase | None = None
             ) -> MapInfo:
    """Draw one map frame of ``view`` into ``rect`` (figure fractions) of ``fig``.

    Layers, then the legend block (classes, symbols, scale bar), the locator
    inset and the north arrow in the corners that cover least of the mapped
    area (widening the margin around it until the legend is clear), then the
    labels around them.

    Parameters
    ----------
    fig
        Figure with an Agg canvas.
    rect
        (left, bottom, width, height) of the map frame in figure fractions.
    view
        What to draw.
    page
        Page size (font and symbol sizes).
    overlays
        What to draw over the choropleth (default :func:`default_overlays`).
    inset
        Draw the locator inset.
    renderer
        The canvas renderer (created when ``None``).

    Returns
    -------
    MapInfo
        Axes, legend texts, label placement, furniture corners and boxes.
    """
    overlays = overlays or default_overlays(view)
    renderer = renderer or cast(FigureCanvasAgg, fig.canvas).get_renderer()  # figures here are drawn by Agg
    ax = fig.add_axes(rect)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("white")
    for spine in ax.spines.values():
        spine.set_linewidth(0.9)
        spine.set_edgecolor(fu.TEXT)
    ax.set_aspect("auto")
    symbol_rows = _draw_layers(ax, view, overlays)
    footprint = view.extent_geometry
    bounds = footprint.bounds
    class_rows = _class_entries(view)
    note = "" if view.level == "district" else view.classification
    frame_px = ax.get_window_extent(renderer)
    inset_w, inset_h = fu.inset_size_px(fig, frame_px, view.district, page)
    margin = fu.mm_px(fig, 2.5)
    corners: dict[str, str] = {}
    boxes: dict[str, Bbox] = {}
    legend_box = None
    service_rows: list[fu.LegendEntry] = []
    service_xy = np.zeros((0, 2))
    if overlays.service_points:
        service_rows, service_xy = _service_layer(ax, view)
    def layout(pad: float) -> _Layout:
        nonlocal legend_box
        extent = _set_extent(ax, bounds, pad, renderer)
        if legend_box is not None:
            legend_box.remove()
        legend_box, scale_m = fu.legend_block(ax, page, view.legend_title, note,
                                              [*class_rows, *symbol_rows, *service_rows], renderer)
        width, height, lmargin = fu.anchored_size(legend_box, renderer)
        corner, box, share = fu.choose_corner(ax, width, height, lmargin, footprint, list(fu.CORNERS), renderer)
        free = [c for c in fu.CORNERS if c != corner]
        icorner, ibox, ishare = fu.choose_corner(ax, inset_w, inset_h, margin, footprint, free, renderer)
        return _Layout(extent, scale_m, corner, box, share, icorner, ibox, ishare if inset else 0.0)

    # widen the margin until the legend and the inset keep off the mapped area; else take the best try
    tries = []
    for pad in PADS:
        result = layout(pad)
        tries.append((result.legend_share > LEGEND_OVERLAP_OK or result.inset_share > INSET_OVERLAP_OK,
                      result.legend_share + result.inset_share, pad))
        if not tries[-1][0]:
            break
    best = min(tries)[2]
    if best != tries[-1][2]:
        result = layout(best)
    extent, scale_m, corner, box = result.extent, result.scale_m, result.legend_corner, result.legend_box
    icorner, ibox = result.inset_corner, result.inset_box
    assert legend_box is not None  # set by layout()
    legend_box.loc = fu.CORNERS[corner]
    corners["legend"], boxes["legend"] = corner, box
    free = [c for c in fu.CORNERS if c != corner]
    if inset:
        corners["inset"], boxes["inset"] = icorner, ibox
        fu.locator_inset(fig, fu.inset_rect(fig, ibox), view.towns, view.district, extent, view.focus_metric, page)
        free = [c for c in free if c != icorner]
    cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
    arrow = fu.north_arrow(ax, page, fu.convergence_deg(view.crs, cx, cy))
    aw, ah, amargin = fu.anchored_size(arrow, renderer)
    tops: list[str] = [c for c in ("upper right", "upper left") if c in free] or free
    acorner, abox, _ = fu.choose_corner(ax, aw, ah, amargin, footprint, tops, renderer)
    arrow.loc = fu.CORNERS[acorner]
    corners["north_arrow"], boxes["north_arrow"] = acorner, abox
    requests = _label_requests(view, overlays, extent, page)
    obstacles = [*boxes.values(), *_point_boxes(ax, service_xy, SERVICE_MARKER_PT2)]
    labels = place_labels(ax, requests, obstacles, renderer, backdrop(view))
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_xlabel("")
    ax.set_ylabel("")
    legend_texts = [r.label for r in (*class_rows, *symbol_rows, *service_rows)]
    return MapInfo(ax=ax, legend=legend_texts, class_labels=list(view.legend), labels=labels, corners=corners,
                   boxes=boxes, scale_m=scale_m, extent=extent)


# --------------------------------------------------------------------------- whole page


def new_figure(page: PageSize, dpi: int = DPI) -> tuple[Figure, RendererBase]:
    """A blank page-sized figure with an Agg canvas, and its renderer."""
    fig = Figure(figsize=page.inches, dpi=dpi, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    return fig, canvas.get_renderer()


def render(view: MapView, size: str | PageSize = DEFAULT_SIZE, overlays: Overlays | None = None,
           dpi: int = DPI) -> tuple[Figure, MapInfo]:
    """One page: title band (with 示例数据 on demo data), the map frame, the footer.

    Parameters
    ----------
    view
        What to draw (:func:`dashboard.exports.view.map_view`).
    size
        Key of :data:`dashboard.exports.pages.PAGE_SIZES` or a :class:`PageSize`.
    overlays
        What to draw over the choropleth (default :func:`default_overlays`).
    dpi
        Resolution of the layout pass and of PNG output.

    Returns
    -------
    (Figure, MapInfo)
    """
    page = size if isinstance(size, PageSize) else page_size(size)
    fig, renderer = new_figure(page, dpi)
    fu.draw_title(fig, page, view.title, view.subtitle, view.is_demo, renderer)
    info = draw_map(fig, page.map_frame(), view, page, overlays, renderer=renderer)
    fu.draw_footer(fig, page, [view.credit, view.maker])
    return fig, info


def metadata(view: MapView, fmt: str) -> dict[str, str]:
    """Document metadata of an export (title, subject, creator; 示例数据 on demo data)."""
    subject = f"{LEVEL_LABELS[view.level]} · {view.legend_title} · {view.credit}"
    if view.is_demo and DEMO_BADGE not in subject:
        subject += f" · {DEMO_BADGE}"
    if fmt == "pdf":
        return {"Title": view.title, "Subject": subject, "Creator": APP_NAME, "Keywords": "知识产权 地图"}
    if fmt == "svg":
        return {"Title": view.title, "Description": subject, "Creator": APP_NAME}
    return {"Title": view.title, "Description": subject, "Software": APP_NAME}


def to_bytes(fig: Figure, fmt: str, meta: dict[str, str] | None = None, dpi: int = DPI) -> bytes:
    """Save ``fig`` as ``png``, ``pdf`` or ``svg`` bytes."""
    if fmt not in ("png", "pdf", "svg"):
        msg = f"静态地图格式应为 png、pdf 或 svg，而不是 {fmt!r}"
        raise ValueError(msg)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta or {}, facecolor="white")
    if fmt == "svg":  # a control character in a name (kept in matplotlib's text comments) is not XML
        return XML_ILLEGAL.sub(b"", buf.getvalue())
    return buf.getvalue()


def static_map(view: MapView, fmt: str = "png", size: str | PageSize = DEFAULT_SIZE,
               overlays: Overlays | None = None) -> bytes:
    """The map of ``view`` as PNG (300 dpi), PDF or SVG bytes."""
    fig, _ = render(view, size, overlays)
    return to_bytes(fig, fmt, metadata(view, fmt))
