"""Tables drawn on atlas pages: rules above and below, zebra rows, columns sized in millimetres.

Text stays text (real, searchable text in the PDF).  Cells too long for their
column are cut with "…" using the width of each character (CJK characters are
one em, others about half), which is fast and close enough for a table.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from dashboard.exports.fonts import font
from dashboard.exports.pages import MM_PER_INCH, PageSize

RULE = "#374151"
ZEBRA = "#f3f4f6"
HIGHLIGHT = "#fde8e6"
"""Fill of highlighted rows (e.g. firms without IP on a visit sheet)."""

HEAD_SCALE = 0.92
"""Size of column headings relative to the body."""


@dataclass(frozen=True)
class Column:
    """A table column: heading, width in mm, alignment (``left``/``right``/``center``)."""

    label: str
    width_mm: float
    align: str = "left"


def text_width_em(text: str) -> float:
    """Approximate width of ``text`` in ems (wide characters 1, others 0.55).

    Examples
    --------
    >>> text_width_em("川姜镇 12")
    4.65
    """
    return round(sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text), 2)


def fit_text(text: str, width_mm: float, size_pt: float) -> str:
    """``text`` cut with "…" to fit ``width_mm`` at ``size_pt``."""
    em_mm = size_pt / 72.0 * MM_PER_INCH
    limit = width_mm / em_mm
    if text_width_em(text) <= limit:
        return text
    out, used = "", 1.0  # room for the ellipsis
    for c in text:
        w = 1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55
        if used + w > limit:
            break
        out += c
        used += w
    return out + "…"


OPENING = "（(《“"
CLOSING = "）)》”，、。：；"


def wrap_text(text: str, width_mm: float, size_pt: float) -> str:
    r"""``text`` broken into lines that fit ``width_mm`` at ``size_pt``.

    Existing line breaks are kept; a line may break between any two
    characters, as Chinese does, except that an opening bracket never ends a
    line and a closing one never starts one.

    Examples
    --------
    >>> wrap_text("有效注册商标（件）", 12.0, 7.0)
    '有效注册\n商标\n（件）'
    """
    em_mm = size_pt / 72.0 * MM_PER_INCH
    limit = width_mm / em_mm
    lines = []
    for para in text.split("\n"):
        line = ""
        for c in para:
            if text_width_em(line + c) > limit and line:
                carry = ""
                if c in CLOSING and len(line) > 1:
                    carry, line = line[-1], line[:-1]
                while line and line[-1] in OPENING:
                    carry, line = line[-1] + carry, line[:-1]
                lines.append(line)
                line = carry
            line += c
        lines.append(line)
    return "\n".join(lines)


def row_height_mm(size_pt: float) -> float:
    """Height of one table row at ``size_pt``."""
    return size_pt / 72.0 * MM_PER_INCH * 1.85


def rows_that_fit(height_mm: float, size_pt: float, header_lines: int = 1) -> int:
    """How many body rows fit in ``height_mm`` under a header of ``header_lines`` lines."""
    rh = row_height_mm(size_pt)
    return max(1, int((height_mm - rh * (0.4 + 0.75 * header_lines)) // rh))


def draw_table(fig: Figure, page: PageSize, left_mm: float, top_mm: float, columns: list[Column],
               rows: list[list[str]], size_pt: float = 7.0, highlight: set[int] | None = None,
               bold_rows: set[int] | None = None, colors: dict[tuple[int, int], str] | None = None) -> float:
    r"""Draw a table whose top-left corner is ``top_mm`` below the page top and ``left_mm`` from its left.

    Parameters
    ----------
    fig, page
        The page.
    left_mm, top_mm
        Position of the table's top-left corner.
    columns
        Column headings (a ``\\n`` makes a two-line heading), widths, alignment.
    rows
        Cell texts, one list per row.
    size_pt
        Body font size.
    highlight
        Row positions filled with :data:`HIGHLIGHT`.
    bold_rows
        Row positions with a rule above (totals).
    colors
        (row, column) → text colour.

    Returns
    -------
    float
        The table's height in mm.
    """
    highlight = highlight or set()
    bold_rows = bold_rows or set()
    colors = colors or {}
    width = sum(c.width_mm for c in columns)
    rh = row_height_mm(size_pt)
    labels = [wrap_text(c.label, c.width_mm - 1.6, size_pt * HEAD_SCALE) for c in columns]
    header_lines = max(label.count("\n") + 1 for label in labels)
    head_h = rh * (0.4 + 0.75 * header_lines)

    def fx(mm: float) -> float:
        return mm / page.width_mm

    def fy(mm_from_top: float) -> float:
        return 1 - mm_from_top / page.height_mm

    def rule(y_mm: float, lw: float) -> None:
        fig.add_artist(Line2D([fx(left_mm), fx(left_mm + width)], [fy(y_mm), fy(y_mm)], color=RULE, linewidth=lw))

    def cell(x0: float, col: Column, y_mm: float, text: str, fp_size: float, color: str = "#111827") -> None:
        pad = 1.2
        if col.align == "right":
            x, ha = x0 + col.width_mm - pad, "right"
        elif col.align == "center":
            x, ha = x0 + col.width_mm / 2, "center"
        else:
            x, ha = x0 + pad, "left"
        fig.text(fx(x), fy(y_mm), text, ha=ha, va="center", color=color, fontproperties=font(fp_size),
                 linespacing=1.05)

    rule(top_mm, 1.0)
    x = left_mm
    for col, label in zip(columns, labels, strict=True):
        cell(x, col, top_mm + head_h / 2, label, size_pt * HEAD_SCALE, "#374151")
        x += col.width_mm
    rule(top_mm + head_h, 0.6)
    y = top_mm + head_h
    for r, values in enumerate(rows):
        fill = HIGHLIGHT if r in highlight else (ZEBRA if r % 2 else None)
        if fill:
            fig.add_artist(Rectangle((fx(left_mm), fy(y + rh)), fx(width), rh / page.height_mm, facecolor=fill,
                                     edgecolor="none", zorder=0))
        if r in bold_rows:
            rule(y, 0.6)
        x = left_mm
        for c, (col, value) in enumerate(zip(columns, values, strict=True)):
            text = fit_text(str(value), col.width_mm - 2.4, size_pt)
            cell(x, col, y + rh / 2, text, size_pt, colors.get((r, c), "#111827"))
            x += col.width_mm
        y += rh
    rule(y, 1.0)
    return y - top_mm
