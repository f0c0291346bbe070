"""The palette of ipgrid: one set of colours for the app, the big screen and the exports.

Colours are chosen to stay apart for colour-blind readers and to print well
in grey; the dark variant is the big screen's.
"""

from __future__ import annotations

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
