"""Settings of a data folder: ``ipgrid.toml`` parsed into typed values, defaults documented here.

A folder needs no ``ipgrid.toml`` at all: files are then found by stem and
everything takes the defaults below.  The file may hold::

    [district]
    name = "通州区"          # shown in titles
    data_date = "2025-12-31" # 数据截至; defaults to the newest file's date
    source = "区市场监管局"   # 来源
    demo = false             # true labels every view 示例数据
    population = 1260000     # district residents, when the towns' sum is incomplete

    [settings]
    metric_crs = "EPSG:4549"      # projected CRS for areas, distances, grids
    overlap_tolerance_m2 = 100    # town overlaps/gaps smaller than this are ignored

    [service_radius_m]            # reach of each service-point type, metres
    "基层知识产权工作站" = 3000

    [enterprises]                 # one table per layer
    file = "2025Q3企业名录.xlsx"
    sheet = "名录"
    header_row = 3                # Excel row number of the header
    encoding = "gbk"
    crs = "GCJ-02"
    [enterprises.columns]         # canonical field → header in the file
    name = "企业（单位）全称"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loaders.errors import ConfigError
from loaders.schema import DEFAULT_METRIC_CRS, LAYERS

CONFIG_FILE = "ipgrid.toml"

DEFAULT_SERVICE_RADIUS_M: dict[str, float] = {
    "基层知识产权工作站": 3000.0,
    "商标品牌指导站": 3000.0,
    "信息公共服务网点": 5000.0,
    "快速维权中心": 10000.0,
    "巡回审判点": 10000.0,
    "知识产权保护中心": 20000.0,
}
"""Default reach of each service-point type in metres (overridable per folder)."""

FALLBACK_SERVICE_RADIUS_M = 3000.0
"""Reach of a service point whose type is not in the table above."""

DEFAULT_OVERLAP_TOLERANCE_M2 = 100.0
"""Overlaps and gaps between towns below this area are digitising noise, not reported."""


@dataclass(frozen=True)
class LayerConfig:
    """Per-layer overrides from ``ipgrid.toml``; ``None`` means 'detect'."""

    file: str | None = None
    crs: str | None = None
    sheet: str | int | None = None
    header_row: int | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DistrictInfo:
    """What every view says about the data: whose it is, as of when, from where."""

    name: str = ""
    data_date: str | None = None
    source: str = ""
    demo: bool = False
    population: float | None = None
    """Official resident population of the whole district (常住人口), when known."""


@dataclass(frozen=True)
class FolderConfig:
    """Everything ``ipgrid.toml`` can set, with defaults."""

    district: DistrictInfo = field(default_factory=DistrictInfo)
    metric_crs: str = DEFAULT_METRIC_CRS
    overlap_tolerance_m2: float = DEFAULT_OVERLAP_TOLERANCE_M2
    service_radius_m: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_SERVICE_RADIUS_M)
    )
    layers: dict[str, LayerConfig] = field(default_factory=dict)

    def layer(self, name: str) -> LayerConfig:
        """Overrides of layer ``name`` (empty when none were given)."""
        return self.layers.get(name, LayerConfig())

    def radius_for(self, service_type: str) -> float:
        """Reach in metres of a service point of ``service_type``."""
        return self.service_radius_m.get(service_type, FALLBACK_SERVICE_RADIUS_M)


_LAYER_KEYS = {"file", "crs", "sheet", "header_row", "encoding", "columns"}


def _layer_config(name: str, table: dict[str, Any], path: Path) -> LayerConfig:
    unknown = set(table) - _LAYER_KEYS
    if unknown:
        msg = f"{path}: [{name}] 中有未知设置 {sorted(unknown)}；可用的设置为 {sorted(_LAYER_KEYS)}"
        raise ConfigError(msg)
    columns = table.get("columns", {})
    schema = LAYERS[name]
    bad = [k for k in columns if k not in schema.field_names]
    if bad:
        msg = f"{path}: [{name}.columns] 中的字段 {bad} 不存在；{name} 的字段为 {schema.field_names}"
        raise ConfigError(msg)
    header_row = table.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        msg = f"{path}: [{name}] header_row 应为从 1 开始的行号，而不是 {header_row!r}"
        raise ConfigError(msg)
    return LayerConfig(
        file=table.get("file"),
        crs=table.get("crs"),
        sheet=table.get("sheet"),
        header_row=header_row,
        encoding=table.get("encoding"),
        columns={k: str(v) for k, v in columns.items()},
    )


def read_config(folder: Path) -> FolderConfig:
    """Read ``folder/ipgrid.toml``; defaults when it does not exist.

    Raises
    ------
    ConfigError
        The file is not valid TOML, or names an unknown layer, setting or field.
    """
    path = Path(folder) / CONFIG_FILE
    if not path.exists():
        return FolderConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path} 不是有效的 TOML 文件：{exc}"
        raise ConfigError(msg) from None

    known_sections = {"district", "settings", "service_radius_m"} | set(LAYERS)
    unknown = set(data) - known_sections
    if unknown:
        msg = f"{path}: 未知的节 {sorted(unknown)}；可用的节为 {sorted(known_sections)}"
        raise ConfigError(msg)

    d = data.get("district", {})
    date = d.get("data_date")
    district = DistrictInfo(
        name=str(d.get("name", "")),
        data_date=None if date is None else str(date),
        source=str(d.get("source", "")),
        demo=bool(d.get("demo", False)),
        population=None if d.get("population") is None else float(d["population"]),
    )
    s = data.get("settings", {})
    radii = dict(DEFAULT_SERVICE_RADIUS_M)
    for key, value in data.get("service_radius_m", {}).items():
        if not isinstance(value, int | float) or value <= 0:
            msg = f"{path}: [service_radius_m] 「{key}」应为正数（米），而不是 {value!r}"
            raise ConfigError(msg)
        radii[str(key)] = float(value)
    layers = {name: _layer_config(name, data[name], path) for name in LAYERS if name in data}
    return FolderConfig(
        district=district,
        metric_crs=str(s.get("metric_crs", DEFAULT_METRIC_CRS)),
        overlap_tolerance_m2=float(s.get("overlap_tolerance_m2", DEFAULT_OVERLAP_TOLERANCE_M2)),
        service_radius_m=radii,
        layers=layers,
    )
