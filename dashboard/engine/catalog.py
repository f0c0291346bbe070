"""The one catalog of what the product calls things and how it writes them.

Beside the metrics registry (:mod:`dashboard.engine.metrics`, which says what
a figure *is*), this module says how every level, column and value is *named
and written*, so the app, the big screen, the PNG/PDF exports, the Excel files
and the CLI show the same text for the same figure:

* :data:`LEVELS` — the area levels (key, Chinese label, the layer they come from);
* :data:`COLUMNS` — every output column (metrics and fields): label, unit,
  whether it is a share, decimals; :func:`column_label` is its heading
  (``有效发明专利（件）``) and :func:`cell_text` its value under that heading;
* :func:`value_text` — a value with its unit, for labels, cards and tooltips;
* the formatting primitives of :mod:`dashboard.engine.formats`
  (:func:`is_missing`, :func:`format_number`, :func:`format_distance` …);
* defaults: :data:`DEFAULT_METRIC`, :data:`MAPPABLE_METRICS`, :data:`STORAGE_CRS`,
  :data:`COORD_DECIMALS`, :data:`WAN_PER_YI`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from dashboard.engine.formats import (
    MISSING_TEXT,
    as_float,
    change_text,
    format_distance,
    format_number,
    format_percent,
    is_missing,
    json_ready,
    text_of,
    with_unit,
)
from dashboard.engine.metrics import METRICS, STATS_COLUMNS
from loaders.problems import PROBLEM_LABELS
from loaders.schema import STORAGE_CRS

__all__ = [
    "AREA_LEVELS", "COLUMNS", "COORD_DECIMALS", "DEFAULT_METRIC", "FIRM_LABELS", "LEVELS", "LEVEL_LABELS",
    "MAPPABLE_METRICS", "MISSING_TEXT", "STORAGE_CRS", "WAN_PER_YI", "Column", "Level", "as_float", "cell_text",
    "change_text",
    "column_label", "format_distance", "format_number", "format_percent", "is_missing", "is_percent", "json_ready",
    "metric_title", "text_of", "value_text", "with_unit",
]


# --------------------------------------------------------------------------- levels


@dataclass(frozen=True)
class Level:
    """An area level: its key, its Chinese label and the canonical layer its areas come from."""

    key: str
    label: str
    layer: str


LEVELS: Final[Mapping[str, Level]] = {lv.key: lv for lv in (
    Level("district", "全区", "towns"),
    Level("town", "镇街", "towns"),
    Level("park", "园区", "parks"),
    Level("grid", "网格", "grids"),
)}
"""Every level, from the whole district down."""

LEVEL_LABELS: Final[Mapping[str, str]] = {key: lv.label for key, lv in LEVELS.items()}
"""Level key → Chinese label."""

AREA_LEVELS: Final[tuple[str, ...]] = ("town", "park", "grid")
"""Levels made of several areas: what a choropleth colours, a ranking orders and an atlas pages through."""


# --------------------------------------------------------------------------- defaults

DEFAULT_METRIC: Final = "enterprises"
"""Metric of a map or ranking when none is chosen (the app, the exports and the CLI)."""

MAPPABLE_METRICS: Final[tuple[str, ...]] = tuple(k for k in STATS_COLUMNS if METRICS[k].kind != "text")
"""Metrics a map can be coloured by and areas ranked by (every numeric column of the area tables)."""

COORD_DECIMALS: Final = 5
"""Decimals of a degree kept in drawn and exported coordinates (about 1 m)."""

WAN_PER_YI: Final = 10_000.0
"""万元 in one 亿元 (pledge financing is recorded in 万元, its target set in 亿元)."""


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """An output column: its heading and how its values are written.

    Attributes
    ----------
    key
        The canonical column name.
    label
        Chinese label without the unit.
    unit
        Unit shown in the heading (``件``, ``米``); ``%`` for shares, which
        are stored as 0–1 and written as percentages.
    decimals
        Places shown; ``None`` for text and yes/no columns.
    """

    key: str
    label: str
    unit: str = ""
    decimals: int | None = None

    @property
    def percent(self) -> bool:
        """Whether values are shares (0–1) written as percentages."""
        return self.unit == "%"

    @property
    def heading(self) -> str:
        """``有效发明专利（件）``; shares and unitless columns have no unit in the heading."""
        return f"{self.label}（{self.unit}）" if self.unit and not self.percent else self.label


def _fields() -> dict[str, Column]:
    plain = {
        "level": "层级", "id": "编号", "name": "名称", "rank": "排名", "of": "参与排名数",
        "uscc": "统一社会信用代码", "address": "地址", "industry": "主导产业", "tier": "企业类别",
        "town": "镇街", "parks": "园区", "grid_id": "网格编号", "has_ip": "有知识产权", "covered": "服务覆盖",
        "nearest_service": "最近服务站点", "lon": "经度", "lat": "纬度", "source_row": "源表行号", "type": "类型",
        "phone": "联系电话", "contact": "联系人", "commissioner": "网格专员", "parent": "所属园区/镇街",
        "area": "所属园区/镇街", "source": "来源", "category": "保护类型", "towns": "保护范围",
        "holder": "申请人/注册人", "users": "授权使用企业", "year": "年份", "label": "指标", "unit": "单位",
        "target_year": "目标年份",
        "latest_year": "最新年份", "status": "达标情况", "kind": "类型", "definition": "定义",
        "indicator": "指标代码",
        "last_visit": "上次走访", "follow_up": "回访日期", "visit_date": "走访日期", "needs": "需求",
        "outcome": "情况", "note": "备注", "firm_name": "企业名称", "entered_by": "录入人", "entered_at": "录入时间",
        "last_kind": "上次方式", "last_needs": "上次需求", "follow_up_label": "回访", "visit_label": "走访情况",
        "reason": "提醒", "month": "月份", "visit_id": "走访编号", "last_commissioner": "上次走访人",
        "district": "区县", "as_of": "数据截至",
    }
    numbers = {
        "nearest_service_m": ("距最近站点", "米", 0), "radius_m": ("服务半径", "米", 0),
        "gain": ("新增覆盖企业", "家", 0), "cumulative": ("累计新增覆盖", "家", 0),
        "cumulative_share": ("累计覆盖比例", "%", 1), "progress": ("完成进度", "%", 0),
        "target": ("目标值", "", 2), "latest": ("最新值", "", 2), "value": ("数值", "", 2),
        "slope_per_year": ("年均变化", "", 2), "projected": ("按趋势预计", "", 2), "gap": ("差距", "", 2),
        "bottom_up": ("企业数据测算值", "", 2), "bottom_up_progress": ("测算完成进度", "%", 0),
        "days_since": ("距上次走访", "天", 0), "visits": ("走访次数", "次", 0), "firms": ("走访企业", "家", 0),
    }
    out = {k: Column(k, v) for k, v in plain.items()}
    out.update({k: Column(k, label, unit, d) for k, (label, unit, d) in numbers.items()})
    out.update({k: Column(k, v) for k, v in PROBLEM_LABELS.items() if k not in out})
    return out


COLUMNS: Final[Mapping[str, Column]] = {
    **{key: Column(key, m.label, m.unit, None if m.kind == "text" else m.decimals) for key, m in METRICS.items()},
    **{k: c for k, c in _fields().items() if k not in METRICS},
}
"""Every output column by key: the metrics (label and unit from :data:`METRICS`), then the other fields."""

FIRM_LABELS: Final[Mapping[str, str]] = {"name": "企业名称", "town": "所在镇街", "parks": "所在园区"}
"""Headings of tables of enterprises that differ from :data:`COLUMNS` (the app, Excel files and visit sheets)."""

BREAKDOWNS: Final[Mapping[str, str]] = {"tier": "类别", "industry": "产业"}
"""Prefix of a breakdown column (``tier:成长型``) → its Chinese heading prefix (``类别·成长型``)."""


def column_label(key: str) -> str:
    """The heading of column ``key``: label with unit, a breakdown (``产业·高端纺织``), or the key itself.

    Examples
    --------
    >>> column_label("invention_patents"), column_label("ip_coverage_rate"), column_label("industry:纺织")
    ('有效发明专利（件）', '知识产权覆盖率', '产业·纺织')
    """
    if key in COLUMNS:
        return COLUMNS[key].heading
    if ":" in key:
        prefix, value = key.split(":", 1)
        return f"{BREAKDOWNS.get(prefix, prefix)}·{value}"
    return key


def metric_title(key: str) -> str:
    """A metric's title in legends, map headings and rankings (the same as its column heading).

    Examples
    --------
    >>> metric_title("pledge_amount_wan")
    '质押融资金额（万元）'
    """
    return METRICS[key].label if key not in COLUMNS else COLUMNS[key].heading


def is_percent(key: str) -> bool:
    """Whether column ``key`` holds shares (0–1) shown as percentages."""
    return key in COLUMNS and COLUMNS[key].percent


def cell_text(key: str, value: object) -> str:
    """A value as written under its column heading (the unit is in the heading, a share keeps its %).

    Examples
    --------
    >>> cell_text("invention_patents", 1101), cell_text("ip_coverage_rate", 0.4567), cell_text("name", None)
    ('1,101', '45.7%', '')
    """
    column = COLUMNS.get(key)
    if column is None or column.decimals is None:
        if isinstance(value, bool):
            return "是" if value else "否"
        return text_of(value)
    if column.percent:
        return format_percent(value, column.decimals)
    return format_number(value, column.decimals)


def value_text(key: str, value: object) -> str:
    """A value with its unit, for labels, cards, tooltips and sentences (``1,101 件``, ``45.7%``, ``—``).

    Examples
    --------
    >>> value_text("invention_patents", 1101.0), value_text("service_coverage_rate", None)
    ('1,101 件', '—')
    """
    column = COLUMNS.get(key)
    if column is None or column.decimals is None:
        return text_of(value) or MISSING_TEXT
    text = cell_text(key, value)
    return text if column.percent else with_unit(text, column.unit)
