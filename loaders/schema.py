"""The canonical layers: one definition of every layer's fields, imported everywhere.

A loader turns whatever a district office has (a GBK shapefile, an Excel sheet
with title rows, a patent-database export) into one of the layers below.  The
engine, the maps, the pages and the exports only ever see these names.

Every canonical frame also carries ``source_row``: the row number the user sees
in Excel (or the 1-based feature number of a vector file), so any figure can be
traced back to the line it came from.

Geometry is stored in :data:`STORAGE_CRS` (EPSG:4326); metric work (areas,
distances, grids) is done in the configured metric CRS (see
:mod:`loaders.config`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

STORAGE_CRS = "EPSG:4326"
"""CRS of every canonical layer's geometry."""

DEFAULT_METRIC_CRS = "EPSG:4549"
"""CGCS2000 3-degree Gauss-Kruger, central meridian 120°E, no zone prefix."""

OUTSIDE_AREA = "区外"
"""Synthetic area for points that fall outside every town."""

UNLOCATED_AREA = "未定位"
"""Row label for enterprises without usable coordinates."""

SOURCE_ROW = "source_row"
"""Column holding the spreadsheet row number / feature number of each record."""

Dtype = Literal["str", "float", "int", "date", "bool"]
GeometryKind = Literal["polygon", "point", "none"]


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field of a layer.

    Parameters
    ----------
    name
        Canonical (English) column name.
    label
        Chinese label shown to users and used in messages.
    dtype
        Target type after coercion.
    required
        A required field must have a header in the file; a row whose required
        value is empty is rejected (and reported).
    aliases
        Headers (Chinese and English) that mean this field.  Matched after
        :func:`normalize_header`, so full-width brackets and spaces do not matter.
    units
        For numeric fields: unit written in a header's brackets → factor to the
        canonical unit, e.g. ``{"亿元": 10000}`` for a field in 万元.
    """

    name: str
    label: str
    dtype: Dtype = "str"
    required: bool = False
    aliases: tuple[str, ...] = ()
    units: dict[str, float] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class LayerSchema:
    """A canonical layer: its names, fields and geometry."""

    name: str
    label: str
    stems: tuple[str, ...]
    geometry: GeometryKind
    fields: tuple[FieldSpec, ...]
    required_layer: bool = False
    description: str = ""

    @property
    def field_names(self) -> list[str]:
        """Canonical column names in schema order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        """Return the spec of field ``name``."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        msg = f"layer {self.name!r} has no field {name!r}; fields are {self.field_names}"
        raise KeyError(msg)

    @property
    def required_fields(self) -> list[str]:
        """Names of the fields whose header must be present."""
        return [f.name for f in self.fields if f.required]


_COUNT_UNITS = {"件": 1.0, "个": 1.0, "项": 1.0}
_WAN_UNITS = {"万元": 1.0, "万": 1.0, "亿元": 10000.0, "元": 0.0001}
_PERSON_UNITS = {"人": 1.0, "万人": 10000.0}


def _code(aliases: tuple[str, ...] = ()) -> FieldSpec:
    return FieldSpec(
        "code",
        "区划代码",
        aliases=("区划代码", "统计用区划代码", "行政区划代码", "代码", "编码", "code", "adcode")
        + aliases,
    )


LON = FieldSpec("lon", "经度", "float", aliases=("经度", "lon", "lng", "long", "longitude", "x"))
LAT = FieldSpec("lat", "纬度", "float", aliases=("纬度", "lat", "latitude", "y"))
COORD_SYSTEM = FieldSpec(
    "coord_system",
    "坐标系",
    aliases=("坐标系", "坐标系统", "coord_system", "crs"),
    description="Per-row CRS of lon/lat: WGS-84, CGCS2000, GCJ-02 or BD-09.",
)

TOWNS = LayerSchema(
    name="towns",
    label="镇街",
    stems=("镇街", "towns", "乡镇", "镇街道", "乡镇街道"),
    geometry="polygon",
    required_layer=True,
    description="Towns and sub-districts (镇/街道) tiling the district.",
    fields=(
        FieldSpec(
            "name", "名称", required=True,
            aliases=("名称", "镇街名称", "镇街", "镇街道", "乡镇", "乡镇名称", "镇名", "街道",
                     "name", "town", "town_name", "xzqmc"),
        ),
        _code(("xzqdm",)),
        FieldSpec("kind", "类型", aliases=("类型", "镇街类型", "kind", "type")),
        FieldSpec(
            "population", "常住人口", "float",
            aliases=("常住人口", "人口", "户籍人口", "population", "pop"),
            units=_PERSON_UNITS,
        ),
    ),
)

PARKS = LayerSchema(
    name="parks",
    label="园区",
    stems=("园区", "parks", "开发区", "产业园区"),
    geometry="polygon",
    description="Industrial parks; may straddle towns.",
    fields=(
        FieldSpec("name", "园区名称", required=True,
                  aliases=("园区名称", "园区", "名称", "name", "park", "park_name")),
        _code(),
        FieldSpec("level", "级别", aliases=("级别", "园区级别", "level")),
        FieldSpec("town", "所在镇街", aliases=("所在镇街", "所属镇街", "镇街", "town")),
        FieldSpec("population", "常住人口", "float", aliases=("常住人口", "人口", "population"),
                  units=_PERSON_UNITS),
    ),
)

GRIDS = LayerSchema(
    name="grids",
    label="网格",
    stems=("网格", "grids", "grid", "网格划分"),
    geometry="polygon",
    description="Official management grid cells with their commissioners.",
    fields=(
        FieldSpec("grid_id", "网格编号", required=True,
                  aliases=("网格编号", "网格编码", "网格代码", "编号", "grid_id", "cell_id", "id")),
        FieldSpec("name", "网格名称", aliases=("网格名称", "名称", "name")),
        FieldSpec("parent", "所属园区/镇街",
                  aliases=("所属园区", "所属镇街", "所属园区镇街", "所属区域", "上级", "parent")),
        FieldSpec("commissioner", "网格专员",
                  aliases=("网格专员", "知识产权专员", "专员", "网格员", "负责人", "commissioner")),
        FieldSpec("phone", "联系电话", aliases=("联系电话", "电话", "手机", "phone", "tel")),
    ),
)

COMMISSIONERS = LayerSchema(
    name="commissioners",
    label="专员",
    stems=("专员", "commissioners", "网格专员", "知识产权专员"),
    geometry="none",
    description=(
        "Park/town IP commissioners and the cells they look after; joined with the "
        "grids layer's own commissioner column. A commissioner may have no cell yet."
    ),
    fields=(
        FieldSpec("name", "姓名", required=True,
                  aliases=("姓名", "专员", "专员姓名", "网格专员", "name", "commissioner")),
        FieldSpec("phone", "联系电话", aliases=("联系电话", "电话", "手机", "phone", "tel")),
        FieldSpec("area", "所属园区/镇街", aliases=("所属园区", "所属镇街", "所属区域", "单位", "area")),
        FieldSpec("grid_ids", "负责网格",
                  aliases=("负责网格", "网格编号", "网格", "grid_ids", "cells"),
                  description="Cell ids separated by 、，,;； or spaces."),
    ),
)

ENTERPRISES = LayerSchema(
    name="enterprises",
    label="企业",
    stems=("企业", "enterprises", "企业名录", "企业名单", "companies", "firms"),
    geometry="point",
    required_layer=True,
    description="One row per enterprise with its IP holdings as counts.",
    fields=(
        FieldSpec("name", "企业名称", required=True,
                  aliases=("企业名称", "单位名称", "企业全称", "名称", "企业", "name",
                           "company", "enterprise")),
        FieldSpec("uscc", "统一社会信用代码",
                  aliases=("统一社会信用代码", "信用代码", "社会信用代码", "uscc", "credit_code")),
        FieldSpec("address", "地址", aliases=("地址", "注册地址", "经营地址", "详细地址", "address")),
        LON,
        LAT,
        COORD_SYSTEM,
        FieldSpec("town", "所属镇街(填报)", aliases=("所属镇街", "镇街", "所在镇街", "乡镇", "town"),
                  description="Town as declared in the file; placement uses coordinates."),
        FieldSpec("industry", "主导产业",
                  aliases=("主导产业", "所属行业", "行业", "产业", "行业类别", "industry")),
        FieldSpec("tier", "企业类别",
                  aliases=("企业类别", "企业类型", "培育层级", "层级", "强企类别", "tier")),
        FieldSpec("invention_patents", "有效发明专利", "float",
                  aliases=("有效发明专利", "发明专利", "发明专利拥有量", "有效发明专利数",
                           "invention_patents", "inventions"), units=_COUNT_UNITS),
        FieldSpec("utility_models", "实用新型", "float",
                  aliases=("实用新型", "实用新型专利", "有效实用新型", "utility_models"),
                  units=_COUNT_UNITS),
        FieldSpec("designs", "外观设计", "float",
                  aliases=("外观设计", "外观设计专利", "有效外观设计", "designs"),
                  units=_COUNT_UNITS),
        FieldSpec("high_value_inventions", "高价值发明专利", "float",
                  aliases=("高价值发明专利", "高价值发明", "高价值专利", "high_value_inventions"),
                  units=_COUNT_UNITS),
        FieldSpec("pct_patents", "PCT/海外专利", "float",
                  aliases=("PCT专利", "PCT/海外专利", "海外专利", "PCT", "pct_patents"),
                  units=_COUNT_UNITS),
        FieldSpec("trademarks", "有效注册商标", "float",
                  aliases=("有效注册商标", "注册商标", "商标", "商标数", "trademarks"),
                  units=_COUNT_UNITS),
        FieldSpec("copyrights", "作品著作权", "float",
                  aliases=("作品著作权", "著作权", "版权登记", "作品登记", "copyrights"),
                  units=_COUNT_UNITS),
        FieldSpec("software_copyrights", "软件著作权", "float",
                  aliases=("软件著作权", "软著", "software_copyrights"), units=_COUNT_UNITS),
        FieldSpec("pledge_amount_wan", "质押融资金额", "float",
                  aliases=("质押融资金额", "知识产权质押融资金额", "质押融资", "质押金额",
                           "pledge_amount_wan", "pledge_amount"), units=_WAN_UNITS,
                  description="IP pledge financing in 万元."),
        FieldSpec("contact", "联系人", aliases=("联系人", "contact")),
        FieldSpec("phone", "联系电话", aliases=("联系电话", "电话", "phone", "tel")),
    ),
)

HOLDING_FIELDS: tuple[str, ...] = (
    "invention_patents",
    "utility_models",
    "designs",
    "high_value_inventions",
    "pct_patents",
    "trademarks",
    "copyrights",
    "software_copyrights",
)
"""Enterprise count fields that make up 'holding IP' (pledge is money, not a right)."""

IP_RECORDS = LayerSchema(
    name="ip_records",
    label="知识产权",
    stems=("知识产权", "ip_records", "专利", "专利清单", "patents", "商标", "trademarks"),
    geometry="none",
    description="One row per right (patent, trademark, copyright), rolled up by the engine.",
    fields=(
        FieldSpec("number", "申请号/注册号", required=True,
                  aliases=("申请号", "专利号", "注册号", "登记号", "number", "application_number",
                           "app_no")),
        FieldSpec("holder", "权利人", required=True,
                  aliases=("申请(专利权)人", "申请（专利权）人", "专利权人", "申请人", "权利人",
                           "著作权人", "holder", "applicant")),
        FieldSpec("holder_uscc", "权利人信用代码",
                  aliases=("权利人统一社会信用代码", "统一社会信用代码", "信用代码", "holder_uscc")),
        FieldSpec("right_type", "类型",
                  aliases=("专利类型", "类型", "权利类型", "right_type", "type")),
        FieldSpec("legal_status", "法律状态",
                  aliases=("法律状态", "当前法律状态", "状态", "商标状态", "legal_status", "status")),
        FieldSpec("app_date", "申请日", "date", aliases=("申请日", "申请日期", "app_date")),
        FieldSpec("grant_date", "授权公告日", "date",
                  aliases=("授权公告日", "授权日", "公告日", "注册日期", "注册公告日期",
                           "grant_date")),
        FieldSpec("lapse_date", "失效日", "date", aliases=("失效日", "失效日期", "lapse_date")),
        FieldSpec("high_value", "高价值", "bool",
                  aliases=("是否高价值", "高价值", "high_value")),
        FieldSpec("title", "名称", aliases=("发明名称", "专利名称", "商标名称", "作品名称", "名称",
                                          "title")),
    ),
)

SERVICE_POINTS = LayerSchema(
    name="service_points",
    label="服务站点",
    stems=("服务站点", "service_points", "服务网点", "工作站", "stations"),
    geometry="point",
    description="IP service points; reach radius depends on type (see loaders.config).",
    fields=(
        FieldSpec("name", "站点名称", required=True,
                  aliases=("站点名称", "名称", "服务站点", "网点名称", "name")),
        FieldSpec("type", "站点类型", required=True,
                  aliases=("站点类型", "类型", "类别", "type", "kind")),
        FieldSpec("address", "地址", aliases=("地址", "address")),
        LON,
        LAT,
        COORD_SYSTEM,
        FieldSpec("contact", "联系人", aliases=("联系人", "contact")),
        FieldSpec("phone", "联系电话", aliases=("联系电话", "电话", "phone", "tel")),
        FieldSpec("radius_m", "服务半径", "float",
                  aliases=("服务半径", "服务半径(米)", "半径", "radius_m", "radius"),
                  units={"米": 1.0, "m": 1.0, "公里": 1000.0, "千米": 1000.0, "km": 1000.0}),
    ),
)

GI_AREAS = LayerSchema(
    name="gi_areas",
    label="地理标志",
    stems=("地理标志", "gi_areas", "地理标志产品", "gi"),
    geometry="polygon",
    description=(
        "Geographic-indication production areas: drawn polygons, or a table whose "
        "protection-area column lists towns (resolved against the towns layer)."
    ),
    fields=(
        FieldSpec("name", "地理标志名称", required=True,
                  aliases=("地理标志名称", "产品名称", "名称", "地理标志", "name", "product")),
        FieldSpec("category", "保护类型",
                  aliases=("保护类型", "类别", "类型", "登记类型", "category")),
        FieldSpec("towns", "保护范围",
                  aliases=("保护范围", "产地范围", "保护区域", "涉及镇街", "towns", "scope")),
        FieldSpec("holder", "申请人/注册人",
                  aliases=("申请人", "注册人", "持有人", "申请单位", "holder")),
        FieldSpec("users", "授权使用企业",
                  aliases=("授权使用企业", "授权用标企业", "使用企业", "users")),
        FieldSpec("year", "登记年份", "int", aliases=("登记年份", "批准年份", "年份", "year")),
    ),
)

INDICATORS = LayerSchema(
    name="indicators",
    label="指标",
    stems=("指标", "indicators", "年度指标", "监测指标"),
    geometry="none",
    description="District yearly indicators, actual values and targets.",
    fields=(
        FieldSpec("year", "年份", "int", required=True, aliases=("年份", "年度", "year")),
        FieldSpec("indicator", "指标", required=True,
                  aliases=("指标", "指标名称", "indicator", "name")),
        FieldSpec("value", "数值", "float", required=True,
                  aliases=("数值", "值", "指标值", "value")),
        FieldSpec("unit", "单位", aliases=("单位", "unit")),
        FieldSpec("kind", "类型", aliases=("类型", "值类型", "kind"),
                  description="实际 (actual, default) or 目标 (target)."),
    ),
)

LAYERS: dict[str, LayerSchema] = {
    s.name: s
    for s in (TOWNS, PARKS, GRIDS, COMMISSIONERS, ENTERPRISES, IP_RECORDS, SERVICE_POINTS, GI_AREAS,
              INDICATORS)
}
"""Every canonical layer by name, in load order (towns first: others are checked against it)."""


_SPACE_RE = re.compile(r"[\s\u3000_\-·•*:：]+")
_UNIT_RE = re.compile(r"\(([^()]*)\)$")


def normalize_header(text: object) -> str:
    """Normalize a header for alias matching.

    NFKC folds full-width letters and brackets to half-width; spaces,
    underscores, hyphens, asterisks (often marking required columns) and colons
    are removed; Latin letters are lower-cased.

    Examples
    --------
    >>> normalize_header(" 质押融资金额（万元） ")
    '质押融资金额(万元)'
    >>> normalize_header("Invention_Patents")
    'inventionpatents'
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    return _SPACE_RE.sub("", s).lower()


def split_unit(header: str) -> tuple[str, str | None]:
    """Split a trailing bracketed unit off a normalized header.

    Examples
    --------
    >>> split_unit("质押融资金额(亿元)")
    ('质押融资金额', '亿元')
    >>> split_unit("名称")
    ('名称', None)
    """
    m = _UNIT_RE.search(header)
    if not m:
        return header, None
    return header[: m.start()], m.group(1)
