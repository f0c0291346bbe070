"""The district's yearly indicators (年度监测指标) by key: names, units and how offices write them.

Only names and units live here; values and targets (e.g. the outline's 2025
targets) are data in the indicators layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loaders.schema import normalize_header


@dataclass(frozen=True)
class IndicatorDef:
    """A known yearly indicator."""

    key: str
    label: str
    unit: str
    aliases: tuple[str, ...] = ()
    unit_factors: dict[str, float] = field(default_factory=dict)
    """Unit as written → factor to :attr:`unit`."""


CATALOG: tuple[IndicatorDef, ...] = (
    IndicatorDef(
        "patent_intensive_share",
        "专利密集型产业增加值占GDP比重",
        "%",
        ("专利密集型产业增加值占GDP比重", "专利密集型产业增加值占比", "专利密集型产业增加值占gdp比重"),
        {"%": 1.0},
    ),
    IndicatorDef(
        "copyright_industry_share",
        "版权产业增加值占GDP比重",
        "%",
        ("版权产业增加值占GDP比重", "版权产业增加值占比"),
        {"%": 1.0},
    ),
    IndicatorDef(
        "pledge_financing_yi",
        "知识产权质押融资金额",
        "亿元",
        ("知识产权质押融资金额", "质押融资金额", "知识产权质押融资额"),
        {"亿元": 1.0, "万元": 0.0001, "元": 1e-8},
    ),
    IndicatorDef(
        "high_value_per_10k_pop",
        "每万人口高价值发明专利拥有量",
        "件",
        ("每万人口高价值发明专利拥有量", "每万人高价值发明专利拥有量", "万人高价值发明专利拥有量"),
        {"件": 1.0, "件/万人": 1.0},
    ),
)

BY_KEY = {d.key: d for d in CATALOG}
_BY_ALIAS = {normalize_header(a): d for d in CATALOG for a in (d.key, d.label, *d.aliases)}


def find_indicator(name: str) -> IndicatorDef | None:
    """The known indicator an office's wording means, or ``None``."""
    norm = normalize_header(name)
    found = _BY_ALIAS.get(norm)
    if found is None and norm.endswith(")"):
        found = _BY_ALIAS.get(norm.rsplit("(", 1)[0])
    return found
