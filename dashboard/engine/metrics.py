"""One definition of every metric: label, unit, definition, source fields, and how it is computed.

Every page, export and CLI table takes its labels and units from
:data:`METRICS`; nothing else computes a metric.  Area tables are built in two
steps: additive *sums* per area (:func:`sum_by_code`), then the *ratios* from
those sums (:func:`derive_ratios`).  A ratio whose denominator is missing or
zero is null — never 0, never a division error.  See ``docs/metrics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from dashboard.engine.formats import format_number, format_percent, with_unit
from loaders.schema import HOLDING_FIELDS

Kind = Literal["count", "sum", "ratio", "measure", "text"]


@dataclass(frozen=True)
class Metric:
    """A figure shown for an area."""

    key: str
    label: str
    unit: str
    kind: Kind
    definition: str
    sources: tuple[str, ...] = ()
    decimals: int = 0

    def format(self, value: object) -> str:
        """The value with its unit, as every label, card and tooltip writes it ("—" when null).

        Examples
        --------
        >>> METRICS["ip_coverage_rate"].format(0.25), METRICS["trademarks"].format(None)
        ('25.0%', '—')
        """
        if self.unit == "%":
            return format_percent(value, self.decimals)
        return with_unit(format_number(value, self.decimals), self.unit)


_M = Metric
METRICS: dict[str, Metric] = {m.key: m for m in (
    _M("enterprises", "企业数", "家", "count", "区域内的企业数（按坐标落点；未定位企业只计入全区和「未定位」行）",
       ("enterprises",)),
    _M("enterprises_with_ip", "有知识产权企业数", "家", "count",
       "至少拥有一件有效发明、实用新型、外观设计、PCT、商标、作品或软件著作权的企业数",
       HOLDING_FIELDS),
    _M("ip_coverage_rate", "知识产权覆盖率", "%", "ratio", "有知识产权企业数 ÷ 企业数",
       ("enterprises_with_ip", "enterprises"), 1),
    _M("invention_patents", "有效发明专利", "件", "sum", "有效发明专利之和（合有的专利对每个权利人各计一次）",
       ("invention_patents",)),
    _M("utility_models", "实用新型", "件", "sum", "有效实用新型专利之和", ("utility_models",)),
    _M("designs", "外观设计", "件", "sum", "有效外观设计专利之和", ("designs",)),
    _M("high_value_inventions", "高价值发明专利", "件", "sum", "高价值发明专利之和（国家知识产权局口径）",
       ("high_value_inventions",)),
    _M("pct_patents", "PCT/海外专利", "件", "sum", "PCT 及海外专利之和", ("pct_patents",)),
    _M("trademarks", "有效注册商标", "件", "sum", "有效注册商标之和", ("trademarks",)),
    _M("copyrights", "作品著作权", "件", "sum", "作品著作权登记之和", ("copyrights",)),
    _M("software_copyrights", "软件著作权", "件", "sum", "软件著作权登记之和", ("software_copyrights",)),
    _M("pledge_amount_wan", "质押融资金额", "万元", "sum", "知识产权质押融资金额之和", ("pledge_amount_wan",),
       1),
    _M("area_km2", "面积", "平方千米", "measure", "区域面积，在公制坐标系（默认 EPSG:4549）中量算",
       ("geometry",), 2),
    _M("population", "常住人口", "人", "measure", "镇街/园区图层的常住人口；全区取 ipgrid.toml 的 population，"
       "或各镇街人口之和（任一镇街缺失则为空）", ("population",)),
    _M("high_value_per_10k_pop", "每万人口高价值发明专利拥有量", "件", "ratio",
       "高价值发明专利 ÷ 常住人口 × 10000", ("high_value_inventions", "population"), 2),
    _M("inventions_per_km2", "每平方千米有效发明专利", "件", "ratio", "有效发明专利 ÷ 面积",
       ("invention_patents", "area_km2"), 2),
    _M("located", "已定位企业数", "家", "count", "有可用坐标的企业数", ("lon", "lat")),
    _M("covered", "服务覆盖企业数", "家", "count",
       "在任一服务站点服务半径内的已定位企业数（半径按站点类型，见 ipgrid.toml [service_radius_m]）",
       ("service_points",)),
    _M("service_coverage_rate", "服务覆盖率", "%", "ratio", "服务覆盖企业数 ÷ 已定位企业数",
       ("covered", "located"), 1),
    _M("gi_count", "地理标志数", "个", "count", "与区域相交的地理标志产区数", ("gi_areas",)),
    _M("gi_names", "地理标志", "", "text", "与区域相交的地理标志名称", ("gi_areas",)),
    # commissioners' visits (dashboard/engine/visits.py): counted on the day shown, firms placed as above
    _M("visited_90d", "近 90 天走访企业数", "家", "count",
       "最近一次走访在今天之前 90 天内（含今天）的企业数", ("visit_date", "firm_key")),
    _M("visited_rate_90d", "近 90 天走访率", "%", "ratio", "近 90 天走访企业数 ÷ 企业数",
       ("visited_90d", "enterprises"), 1),
    _M("cultivation_targets", "培育对象数", "家", "count", "没有任何有效知识产权的企业数（培育对象）",
       ("enterprises_with_ip",)),
    _M("cultivation_visited_90d", "近 90 天走访培育对象数", "家", "count", "近 90 天走访过的培育对象数",
       ("visited_90d", "cultivation_targets")),
    _M("cultivation_visited_rate_90d", "培育对象走访率", "%", "ratio", "近 90 天走访培育对象数 ÷ 培育对象数",
       ("cultivation_visited_90d", "cultivation_targets"), 1),
    _M("overdue_followups", "回访逾期企业数", "家", "count",
       "最近一次走访定了回访日期、回访日期已过、此后没有再走访的企业数", ("follow_up", "visit_date")),
    _M("visited_without_ip", "走访时无知识产权企业数", "家", "count",
       "至少一次在走访当日有效的版本中没有任何知识产权时被走访的企业数（早于第一个版本的走访不计）",
       ("visit_date", "enterprises_with_ip")),
    _M("first_ip_after_visit", "走访后一年内首次拥有知识产权企业数", "家", "count",
       "走访时无知识产权、且走访后 365 天内某个版本中拥有知识产权的企业数（网格化管理的成效）",
       ("visited_without_ip", "enterprises_with_ip")),
    _M("first_ip_after_visit_rate", "走访后培育成功率", "%", "ratio",
       "走访后一年内首次拥有知识产权企业数 ÷ 走访时无知识产权企业数",
       ("first_ip_after_visit", "visited_without_ip"), 1),
)}
"""Every metric by key, in display order."""

SUM_KEYS: tuple[str, ...] = (
    "enterprises", "enterprises_with_ip", *HOLDING_FIELDS, "pledge_amount_wan", "located", "covered",
)
"""Additive per-firm figures, summed per area."""

RATIOS: dict[str, tuple[str, str, float]] = {
    "ip_coverage_rate": ("enterprises_with_ip", "enterprises", 1.0),
    "high_value_per_10k_pop": ("high_value_inventions", "population", 10000.0),
    "inventions_per_km2": ("invention_patents", "area_km2", 1.0),
    "service_coverage_rate": ("covered", "located", 1.0),
}
"""Ratio key → (numerator, denominator, factor)."""

STATS_COLUMNS: tuple[str, ...] = (
    "enterprises", "enterprises_with_ip", "ip_coverage_rate", "invention_patents", "utility_models",
    "designs", "high_value_inventions", "pct_patents", "trademarks", "copyrights", "software_copyrights",
    "pledge_amount_wan", "area_km2", "population", "high_value_per_10k_pop", "inventions_per_km2",
    "located", "covered", "service_coverage_rate", "gi_count", "gi_names",
)
"""Metric columns of every area table, in order (after ``level, id, name``)."""


def firm_values(firms: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-firm additive values (float arrays, 0 for unknown counts) for :data:`SUM_KEYS`.

    Unknown (empty) counts add nothing to a sum: an empty cell says the office
    does not know of any right, the same as 0 for totals.
    """
    values = {"enterprises": np.ones(len(firms))}
    held = np.zeros(len(firms), dtype=bool)
    for key in HOLDING_FIELDS:
        v = firms[key].to_numpy(dtype="float64", na_value=np.nan)
        v = np.where(np.isnan(v), 0.0, v)
        values[key] = v
        if key != "high_value_inventions":  # a high-value invention is also an invention
            held |= v > 0
    values["enterprises_with_ip"] = held.astype("float64")
    pledge = firms["pledge_amount_wan"].to_numpy(dtype="float64", na_value=np.nan)
    values["pledge_amount_wan"] = np.where(np.isnan(pledge), 0.0, pledge)
    return values


def sum_by_code(codes: np.ndarray, n_areas: int, values: dict[str, np.ndarray],
                keys: tuple[str, ...] = SUM_KEYS) -> pd.DataFrame:
    """Sum each value per area code (0..n_areas-1); negative codes are left out."""
    ok = codes >= 0
    c = codes[ok]
    return pd.DataFrame({k: np.bincount(c, weights=values[k][ok], minlength=n_areas)[:n_areas]
                         for k in keys if k in values})


def derive_ratios(table: pd.DataFrame) -> pd.DataFrame:
    """Add every ratio of :data:`RATIOS` to ``table`` (a copy); null where the denominator is null or 0."""
    out = table.copy()
    for key, (num, den, factor) in RATIOS.items():
        if num not in out or den not in out:
            out[key] = np.nan
            continue
        n = pd.to_numeric(out[num], errors="coerce").astype("float64")
        d = pd.to_numeric(out[den], errors="coerce").astype("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            out[key] = np.where((d > 0) & d.notna(), n / d * factor, np.nan)
    return out


def tidy_types(table: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers; sums of rights as integers when whole (a copy).

    Sums are computed in floating point (np.bincount weights); firms and
    rights are whole numbers, so they are shown and exported as such.
    """
    out = table.copy()
    for key, metric in METRICS.items():
        if key not in out or metric.kind not in ("count", "sum") or metric.unit not in ("家", "件", "个"):
            continue
        values = pd.to_numeric(out[key], errors="coerce")
        if np.all(np.isclose(values.dropna(), np.round(values.dropna()))):
            out[key] = values.round().astype("Int64")
    return out


def breakdown_counts(codes: np.ndarray, n_areas: int, categories: pd.Series, prefix: str) -> pd.DataFrame:
    """Firm counts per area and category (``tier:成长型``, ``industry:高端纺织`` …), null categories skipped."""
    cat = categories.astype(object).where(categories.notna(), None)
    ok = (codes >= 0) & cat.notna().to_numpy()
    if not ok.any():
        return pd.DataFrame(index=range(n_areas))
    labels, uniques = pd.factorize(cat[ok], sort=True)
    flat = codes[ok] * len(uniques) + labels
    counts = np.bincount(flat, minlength=n_areas * len(uniques))[: n_areas * len(uniques)]
    counts = counts.reshape(n_areas, len(uniques))
    return pd.DataFrame(counts, columns=[f"{prefix}:{u}" for u in uniques])


def metrics_markdown() -> str:
    """The metrics table of ``docs/metrics.md``, generated from :data:`METRICS` (a test keeps them equal)."""
    lines = ["| key | 名称 | 单位 | 定义 | 来源字段 |", "|---|---|---|---|---|"]
    for metric in METRICS.values():
        sources = ", ".join(f"`{s}`" for s in metric.sources)
        lines.append(f"| `{metric.key}` | {metric.label} | {metric.unit or '—'} | {metric.definition} | {sources} |")
    return "\n".join(lines)
