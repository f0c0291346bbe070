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
    max_generated_cells = 200000  # most grid cells generated without an official grid

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

A ``file`` must lie inside the folder (a subfolder is fine) once ``..`` and
links are resolved, and a ``crs`` may not name a file (PROJ ``+init=``,
``+nadgrids=`` …): a manifest cannot make the app read another folder's data
or any file of the server.
"""

from __future__ import annotations

import re
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

DEFAULT_MAX_GENERATED_CELLS = 200_000
"""Most grid cells generated over parks or towns when a folder has no grid layer (``[settings]
max_generated_cells``): a finer cell size is refused, naming the smallest that fits, before any memory is taken."""

MAX_CONFIG_BYTES = 1_000_000
"""Largest ``ipgrid.toml`` read (it is read on every rerun of the app); a bigger file is refused."""

_FILE_PARAMETER = re.compile(r"\+?\b(?:init|nadgrids|geoidgrids|grids|file)\s*=\s*(?P<value>[^\s]+)", re.I)
"""PROJ parameters whose value names a file."""


@dataclass(frozen=True)
class LayerConfig:
    """Per-layer overrides from ``ipgrid.toml``; ``None`` means 'detect'."""

    file: str | None = None
    crs: str | None = None
    sheet: str | int | None = None
    header_row: int | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    layer: str | None = None
    """Layer to read from a file with several (a GeoPackage, a KML with folders, a .zip of shapefiles)."""


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
    max_generated_cells: int = DEFAULT_MAX_GENERATED_CELLS
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


_LAYER_KEYS = {"file", "crs", "sheet", "header_row", "encoding", "columns", "layer"}


def _inside(folder: Path, name: str) -> bool:
    """Whether ``folder / name`` is inside ``folder`` once ``..`` and links are resolved."""
    try:
        base = folder.resolve()
        return (folder / name).resolve().is_relative_to(base)
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte: not a file of the folder
        return False


def _layer_file(name: str, value: object, path: Path) -> str | None:
    """The ``file`` of layer ``name``, refused unless it is a path inside the data folder."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        msg = f"{path}: [{name}] file 应为数据文件夹中的文件名（文字），而不是 {value!r}"
        raise ConfigError(msg)
    if not _inside(path.parent, value):
        msg = (f"{path}: [{name}] file = 「{value}」指向数据文件夹之外；"
               "只能指定本文件夹（或其子文件夹）中的文件，请把文件复制到数据文件夹中")
        raise ConfigError(msg)
    return value


def _crs_text(key: str, value: object, path: Path) -> str | None:
    """A CRS value as written, refused when it names a file (PROJ ``+init=``, ``+nadgrids=`` …) by path."""
    if value is None:
        return None
    text = str(value)
    for found in _FILE_PARAMETER.finditer(text):
        named = found.group("value")
        if re.search(r"[/\\]|^[.~]", named):
            msg = (f"{path}: {key} 引用了文件「{named}」；坐标系请写名称或代码"
                   "（如 EPSG:4549、CGCS2000、GCJ-02），不能引用文件")
            raise ConfigError(msg)
    return text


def _layer_config(name: str, table: dict[str, Any], path: Path) -> LayerConfig:
    unknown = set(table) - _LAYER_KEYS
    if unknown:
        msg = f"{path}: [{name}] 中有未知设置 {sorted(unknown)}；可用的设置为 {sorted(_LAYER_KEYS)}"
        raise ConfigError(msg)
    columns = table.get("columns", {})
    if not isinstance(columns, dict):
        msg = f"{path}: [{name}.columns] 应为一节（每行：规范字段 = \"文件中的表头\"），而不是 {columns!r}"
        raise ConfigError(msg)
    for key in ("sheet", "encoding"):
        if table.get(key) is not None and not isinstance(table[key], str | int):
            msg = f"{path}: [{name}] {key} 应为文字，而不是 {table[key]!r}"
            raise ConfigError(msg)
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
        file=_layer_file(name, table.get("file"), path),
        crs=_crs_text(f"[{name}] crs", table.get("crs"), path),
        sheet=table.get("sheet"),
        header_row=header_row,
        encoding=table.get("encoding"),
        columns={k: str(v) for k, v in columns.items()},
        layer=None if table.get("layer") is None else str(table["layer"]),
    )


def _max_cells(value: object, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{path}: [settings] max_generated_cells 应为正整数（网格个数），而不是 {value!r}"
        raise ConfigError(msg)
    return value


def _read_text(path: Path) -> str:
    """The text of ``ipgrid.toml``: a file of the folder (not a link out of it), of a sensible size."""
    if not _inside(path.parent, path.name):
        msg = f"{path} 是指向数据文件夹之外的链接；请把设置文件复制到数据文件夹中"
        raise ConfigError(msg)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            msg = f"{path} 过大（超过 {MAX_CONFIG_BYTES:,} 字节），不像是设置文件"
            raise ConfigError(msg)
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        msg = f"无法读取 {path}：{exc.strerror or type(exc).__name__}"
        raise ConfigError(msg) from None


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    """Section ``[name]`` of the file as a table (empty when absent); a plain value is refused."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        msg = f"{path}: {name} 应为一节（[{name}]，下面写设置），而不是 {value!r}"
        raise ConfigError(msg)
    return value


def _known_keys(table: dict[str, Any], section: str, known: set[str], path: Path) -> None:
    unknown = set(table) - known
    if unknown:
        msg = f"{path}: [{section}] 中有未知设置 {sorted(unknown)}；可用的设置为 {sorted(known)}"
        raise ConfigError(msg)


def _number(table: dict[str, Any], key: str, section: str, path: Path, *, positive: bool = False) -> float | None:
    """A numeric setting, ``None`` when absent; text, booleans and (when ``positive``) values ≤ 0 are refused."""
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (positive and value <= 0):
        kind = "正数" if positive else "数"
        msg = f"{path}: [{section}] {key} 应为{kind}，而不是 {value!r}"
        raise ConfigError(msg)
    return float(value)


_DISTRICT_KEYS = {"name", "data_date", "source", "demo", "population"}
_SETTINGS_KEYS = {"metric_crs", "overlap_tolerance_m2", "max_generated_cells"}


def read_config(folder: Path) -> FolderConfig:
    """Read ``folder/ipgrid.toml``; defaults when it does not exist.

    Raises
    ------
    ConfigError
        The file is not valid TOML, names an unknown layer, setting or field,
        names a file outside the folder, or cannot be read.
    """
    path = Path(folder) / CONFIG_FILE
    if not (path.exists() or path.is_symlink()):
        return FolderConfig()
    try:
        data = tomllib.loads(_read_text(path))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path} 不是有效的 TOML 文件：{exc}"
        raise ConfigError(msg) from None

    known_sections = {"district", "settings", "service_radius_m"} | set(LAYERS)
    unknown = set(data) - known_sections
    if unknown:
        msg = f"{path}: 未知的节 {sorted(unknown)}；可用的节为 {sorted(known_sections)}"
        raise ConfigError(msg)

    d = _section(data, "district", path)
    _known_keys(d, "district", _DISTRICT_KEYS, path)
    date = d.get("data_date")
    district = DistrictInfo(
        name=str(d.get("name", "")),
        data_date=None if date is None else str(date),
        source=str(d.get("source", "")),
        demo=bool(d.get("demo", False)),
        population=_number(d, "population", "district", path, positive=True),
    )
    s = _section(data, "settings", path)
    _known_keys(s, "settings", _SETTINGS_KEYS, path)
    tolerance = _number(s, "overlap_tolerance_m2", "settings", path)
    radii = dict(DEFAULT_SERVICE_RADIUS_M)
    for key, value in _section(data, "service_radius_m", path).items():
        if not isinstance(value, int | float) or value <= 0:
            msg = f"{path}: [service_radius_m] 「{key}」应为正数（米），而不是 {value!r}"
            raise ConfigError(msg)
        radii[str(key)] = float(value)
    layers = {name: _layer_config(name, _section(data, name, path), path) for name in LAYERS if name in data}
    return FolderConfig(
        district=district,
        metric_crs=_crs_text("[settings] metric_crs", s.get("metric_crs"), path) or DEFAULT_METRIC_CRS,
        overlap_tolerance_m2=DEFAULT_OVERLAP_TOLERANCE_M2 if tolerance is None else tolerance,
        max_generated_cells=_max_cells(s.get("max_generated_cells", DEFAULT_MAX_GENERATED_CELLS), path),
        service_radius_m=radii,
        layers=layers,
    )
