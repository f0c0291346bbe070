"""One map in one file: the export formats a user can choose, and :func:`export_map` that makes them.

A registry keyed by the name on the command line (``--format``); the app's
download buttons and the CLI both go through :func:`export_map`, so they
give the same file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dashboard.engine import LEVEL_LABELS, Engine
from dashboard.engine.catalog import DEFAULT_METRIC
from dashboard.exports.pages import DEFAULT_SIZE, page_size
from dashboard.exports.view import ExportError, MapView, map_view


@dataclass(frozen=True)
class ExportFormat:
    """A file format: key, Chinese label, MIME type, file suffix."""

    key: str
    label: str
    mime: str
    suffix: str


FORMATS: dict[str, ExportFormat] = {
    "png": ExportFormat("png", "PNG 图片（300 dpi，可贴入报告）", "image/png", ".png"),
    "pdf": ExportFormat("pdf", "PDF（矢量，中文为可检索文字）", "application/pdf", ".pdf"),
    "svg": ExportFormat("svg", "SVG（矢量，可在 PPT/Word 中编辑）", "image/svg+xml", ".svg"),
    "html": ExportFormat("html", "HTML（离线交互地图，可邮件发送）", "text/html", ".html"),
}
"""Every export format by key."""

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def check_format(fmt: str) -> ExportFormat:
    """The :class:`ExportFormat` of ``fmt``.

    Raises
    ------
    ExportError
        Unknown format; the message lists the valid ones.
    """
    try:
        return FORMATS[fmt]
    except KeyError:
        msg = f"导出格式应为 {list(FORMATS)} 之一，而不是 {fmt!r}"
        raise ExportError(msg) from None


def format_for_path(name: str) -> str:
    """The format key a file name's suffix asks for (``地图.PDF`` → ``pdf``).

    Raises
    ------
    ExportError
        The suffix is not one of the formats' suffixes.
    """
    lower = name.lower()
    for key, spec in FORMATS.items():
        if lower.endswith(spec.suffix):
            return key
    suffixes = "、".join(spec.suffix for spec in FORMATS.values())
    msg = f"无法从文件名「{name}」判断导出格式：请用 {suffixes} 结尾，或给出 --format"
    raise ExportError(msg)


def file_name(view: MapView, fmt: str, size: str = DEFAULT_SIZE) -> str:
    """A file name for the export, e.g. ``通州区_镇街_有效发明专利_a4-landscape.png``."""
    parts = [view.district_name, view.focus.name if view.focus else "", LEVEL_LABELS[view.level], view.metric.label]
    if fmt != "html":
        parts.append(size)
    stem = "_".join(_UNSAFE.sub("-", p) for p in parts if p)
    return stem + check_format(fmt).suffix


def render_view(view: MapView, fmt: str = "png", size: str = DEFAULT_SIZE) -> bytes:
    """The file bytes of ``view`` in ``fmt`` (``size`` applies to png/pdf/svg)."""
    check_format(fmt)
    if fmt == "html":
        from dashboard.exports.html_map import html_map

        return html_map(view).encode("utf-8")
    from dashboard.exports.static_map import static_map

    try:
        page = page_size(size)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    return static_map(view, fmt, page)


def export_map(engine: Engine, level: str, area: str | None = None, metric: str = DEFAULT_METRIC,
               fmt: str = "png", size: str = DEFAULT_SIZE, scheme: str | None = None, k: int | None = None) -> bytes:
    """Render one map of a data folder to the bytes of a PNG/PDF/SVG/HTML file.

    Parameters
    ----------
    engine
        The analysis engine of a data folder.
    level
        ``district``, ``town``, ``park`` or ``grid``.
    area
        A town, park or grid cell to zoom on; ``None`` for the whole district.
    metric
        Key of :data:`dashboard.exports.view.MAPPABLE_METRICS`.
    fmt
        Key of :data:`FORMATS`.
    size
        Key of :data:`dashboard.exports.pages.PAGE_SIZES` (png/pdf/svg).
    scheme, k
        Classification; ``None`` takes the app's default.

    Returns
    -------
    bytes
        The file.

    Raises
    ------
    ExportError
        Unknown level, area, metric, format or size, or a level the folder has no areas of.
    """
    check_format(fmt)
    return render_view(map_view(engine, level, area, metric, scheme, k), fmt, size)
