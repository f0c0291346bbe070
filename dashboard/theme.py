"""The palette of ipgrid: one set of colours for the app, the big screen and the exports.

Colours are chosen to stay apart for colour-blind readers and to print well
in grey; the dark variant is the big screen's.

Names written over a coloured area take their colour from :func:`label_ink`
(light text with a dark halo on dark fills, dark text with a light halo on
light ones, by WCAG relative luminance), in the static exports and on the big
screen alike.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

SEQUENTIAL: dict[int, tuple[str, ...]] = {
    1: ("#2b8cbe",),
    2: ("#a6bddb", "#2b8cbe"),
    3: ("#ece7f2", "#a6bddb", "#2b8cbe"),
    4: ("#f1eef6", "#bdc9e1", "#74a9cf", "#0570b0"),
    5: ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"),
    6: ("#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d"),
    7: ("#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#034e7b"),
}
"""ColorBrewer PuBu ramps by number of classes (light = low)."""

DIVERGING: tuple[str, ...] = ("#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac")
"""ColorBrewer RdBu, 7 classes: three of decrease (red), no change (light grey), three of increase (blue)."""

NO_DATA = "#d9d9d9"
"""Fill of areas whose value is null (shown as — in tables)."""

LAYER_COLORS: dict[str, str] = {
    "towns": "#3b5b7a",
    "parks": "#e6842a",
    "grids": "#6a51a3",
    "service_points": "#1a9850",
    "gi_areas": "#b2182b",
    "firm_with_ip": "#2166ac",
    "firm_without_ip": "#d6604d",
    "uncovered": "#d73027",
    "suggested": "#7b3294",
    "highlight": "#ffd23f",
}
"""Outline/marker colour of each layer."""

SERVICE_TYPE_COLORS: dict[str, str] = {
    "基层知识产权工作站": "#1a9850",
    "商标品牌指导站": "#66bd63",
    "信息公共服务网点": "#4575b4",
    "快速维权中心": "#d73027",
    "巡回审判点": "#f46d43",
    "知识产权保护中心": "#762a83",
}
"""Marker colour per service-point type (others: ``LAYER_COLORS['service_points']``)."""

VISIT_COLORS: dict[str, str] = {
    "this_quarter": "#1a9850",
    "earlier": "#f2a93b",
    "never": "#9ca3af",
    "follow_up": "#d73027",
}
"""Firm markers by last visit (本季度 / 更早 / 从未), and the ring of a follow-up that is due or overdue."""

DEMO_BADGE = "示例数据（合成，非真实）"
"""Label every view of the demo data carries."""

LIGHT = {"background": "#ffffff", "text": "#1f2933", "muted": "#6b7280", "accent": "#2b8cbe",
         "good": "#1a9850", "bad": "#d73027", "badge": "#b91c1c"}
DARK = {"background": "#0b1220", "text": "#e5e7eb", "muted": "#94a3b8", "accent": "#38bdf8",
        "good": "#4ade80", "bad": "#f87171", "badge": "#ef4444"}
"""Page colours of the app (light) and the big screen (dark)."""


def ramp(k: int) -> tuple[str, ...]:
    """The sequential ramp for ``k`` classes (1 ≤ k ≤ 7; more classes reuse the 7-class ramp)."""
    if k <= 0:
        return ()
    return SEQUENTIAL[min(k, 7)] if k <= 7 else SEQUENTIAL[7]


def service_color(service_type: str) -> str:
    """Marker colour of a service-point type."""
    return SERVICE_TYPE_COLORS.get(service_type, LAYER_COLORS["service_points"])


# --------------------------------------------------------------------------- label ink

DARK_INK = "#111827"
"""Text colour of names on light fills (and the halo of light text)."""

LIGHT_INK = "#ffffff"
"""Text colour of names on dark fills (and the halo of dark text)."""

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def _rgb(color: str) -> tuple[float, float, float]:
    """``#rgb`` / ``#rrggbb`` as sRGB channels in [0, 1]."""
    if not isinstance(color, str) or not _HEX.fullmatch(color):
        msg = f"colour should be #rgb or #rrggbb, got {color!r}"
        raise ValueError(msg)
    digits = color[1:] if len(color) == 7 else "".join(2 * c for c in color[1:])
    r, g, b = (int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of ``color`` (0 black … 1 white).

    Examples
    --------
    >>> relative_luminance("#ffffff"), relative_luminance("#000000")
    (1.0, 0.0)
    >>> round(relative_luminance("#034e7b"), 3)
    0.069
    """
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(color)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


@functools.cache
def ink_threshold(light: str = LIGHT_INK, dark: str = DARK_INK) -> float:
    """The fill luminance at which ``light`` and ``dark`` text have the same WCAG contrast with it.

    On a darker fill the light ink reads better, on a lighter one the dark ink.
    For the default inks (white and ``#111827``) it is 0.199, where both
    contrast 4.2 : 1; for pure white and black, 0.179.

    Examples
    --------
    >>> round(ink_threshold(), 3), round(ink_threshold("#ffffff", "#000000"), 3)
    (0.199, 0.179)
    """
    return math.sqrt((relative_luminance(light) + 0.05) * (relative_luminance(dark) + 0.05)) - 0.05


@dataclass(frozen=True)
class LabelInk:
    """Colours of a name drawn over a fill: the text and the halo (outline) around it."""

    text: str
    halo: str


def label_ink(fill: str, light: str = LIGHT_INK, dark: str = DARK_INK) -> LabelInk:
    """Text and halo colour of a name on ``fill``: whichever of the two inks contrasts more.

    Parameters
    ----------
    fill
        The colour under the name as seen (blend a translucent fill first: :func:`blend`).
    light, dark
        The inks to choose from (e.g. the big screen's highlight yellow as ``light``);
        the halo is the other one.

    Examples
    --------
    >>> label_ink("#034e7b")  # the darkest class of the ramp
    LabelInk(text='#ffffff', halo='#111827')
    >>> label_ink("#f1eef6")
    LabelInk(text='#111827', halo='#ffffff')
    """
    if relative_luminance(fill) < ink_threshold(light, dark):
        return LabelInk(text=light, halo=dark)
    return LabelInk(text=dark, halo=light)


def blend(color: str, under: str, opacity: float) -> str:
    """``color`` drawn with ``opacity`` over ``under``, as the ``#rrggbb`` one sees.

    Examples
    --------
    >>> blend("#ffffff", "#000000", 0.5)
    '#808080'
    """
    top, bottom = _rgb(color), _rgb(under)
    mixed = (opacity * t + (1 - opacity) * b for t, b in zip(top, bottom, strict=True))
    return "#" + "".join(f"{round(c * 255):02x}" for c in mixed)
