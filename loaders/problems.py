"""The problems report: every rejected or doubtful record, as data.

A row-level fault is never an exception and never a log line: it is one
:class:`Problem` with the layer, the file, the row number the user sees in
Excel (or the feature number), the field, a code, a severity and a Chinese
message.  Messages come from one registry, :data:`MESSAGES`, so the same fault
reads the same everywhere (CLI, app, exports).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning"]

MESSAGES: dict[str, tuple[Severity, str]] = {
    # file and header level
    "missing_field": ("error", "缺少必填字段「{label}」（{key}）；文件中的表头为：{seen}"),
    "crs_guessed": ("warning", "文件未声明坐标系，按坐标范围推断为 {crs}，请核对"),
    "crs_unknown": ("error", "无法确定坐标系：{detail}；请在 ipgrid.toml 中设置 crs"),
    "encoding_guessed": ("warning", "{detail}"),
    "swapped_columns": ("warning", "经度与纬度两列整列互换（{count} 行），已按正确顺序读取"),
    # vector files (loaders/vectors.py, loaders/read.py, loaders/folder.py)
    "shapefile_no_dbf": ("error", "Shapefile 缺少属性表文件（.dbf），读不到任何字段，{label}图层未导入；"
                                  "请把与 .shp 同名的 .dbf 文件一起放进数据文件夹"),
    "vector_layer_chosen": ("warning", "文件中有 {count} 个图层：{layers}；{reason}，读取了图层「{chosen}」。"
                                       "如需读取其他图层，请在 ipgrid.toml 的 [{section}] 中设置 layer = \"图层名\""),
    "no_geometry_of_kind": ("error", "文件中没有{kind}要素（{summary}），{label}图层需要 {expected}，未导入"),
    "crs_guessed_fit": ("warning", "文件未声明坐标系，按坐标范围可能是 {options}；按 {crs} 时有 {inside} 个{what}"
                                   "落在镇街范围内（其他读法 {others} 个），已按 {crs} 处理；请核对，"
                                   "并在 ipgrid.toml 的 [{section}] 中设置 crs = \"{token}\""),
    "crs_mismatch": ("error", "坐标系很可能不对：{checked}图层 {located} 个已定位的{what}中有 {far} 个距镇街范围"
                              "超过 {km:.0f} 千米，{detail}。请核对后在 ipgrid.toml 中设置：{fix}{note}"),
    # row level
    "missing_value": ("error", "「{label}」为空，该行未导入"),
    "bad_required_number": ("error", "「{label}」的值「{value}」不是数字，该行未导入"),
    "bad_number": ("warning", "「{label}」的值「{value}」不是数字，按空值处理"),
    "negative_number": ("warning", "「{label}」为负数（{value}），按空值处理"),
    "bad_date": ("warning", "「{label}」的值「{value}」不是可识别的日期，按空值处理"),
    "bad_bool": ("warning", "「{label}」的值「{value}」无法识别为是/否，按空值处理"),
    "header_not_found": ("error", "{detail}"),
    "duplicate_header": ("error", "{detail}"),
    "formula_no_value": ("warning", "「{label}」的公式{formula}没有计算结果（文件可能由程序生成），按空值处理；"
                                    "请在 Excel 中打开并保存后再导入"),
    "formula_error": ("warning", "「{label}」的公式{formula}结果为错误值「{value}」，按空值处理；"
                                 "请在 Excel 中修正该公式"),
    "bad_year": ("error", "年份「{value}」无效，该行未导入"),
    "bad_uscc": ("warning", "统一社会信用代码「{value}」{detail}，该行仍导入"),
    "duplicate_uscc": ("warning", "统一社会信用代码「{value}」与第 {first_row} 行重复，地图上只保留第一条"),
    "duplicate_name": ("warning", "企业名称「{value}」与第 {first_row} 行重复（均无信用代码），地图上只保留第一条"),
    "duplicate_area": ("warning", "名称/编号「{value}」与第 {first_row} 行重复"),
    "no_coordinates": ("warning", "没有坐标，计入统计表但不上图（未定位）"),
    "bad_coordinates": ("warning", "坐标（{lon}, {lat}）无法识别或超出范围，按未定位处理"),
    "swapped_lonlat": ("warning", "经纬度填反（{lon}, {lat}），已交换后使用"),
    "unknown_coord_system": ("warning", "坐标系「{value}」无法识别，按 {crs} 处理"),
    "outside_towns": ("warning", "位置不在任何镇街范围内，归入「区外」"),
    "outside_district": ("warning", "位置不在任何镇街范围内（距区界约 {distance:.0f} 米）"),
    "empty_geometry": ("error", "要素没有几何图形，未导入"),
    "wrong_geometry": ("error", "几何类型为 {value}，本图层需要 {expected}，未导入"),
    "invalid_geometry": ("warning", "几何图形无效（{detail}），已自动修复"),
    "town_overlap": ("warning", "与「{other}」（第 {other_row} 行）重叠 {area:.0f} 平方米"),
    "town_gap": ("warning", "镇街之间有空隙，面积 {area:.0f} 平方米，位于约（{lon:.5f}, {lat:.5f}）"),
    "unknown_town": ("warning", "保护范围中的镇街「{value}」在镇街图层中找不到"),
    "no_towns_resolved": ("error", "保护范围「{value}」中没有可识别的镇街，未导入"),
    "unknown_indicator": ("warning", "指标「{value}」不在已知指标中，按原名保留"),
    "unknown_kind": ("warning", "类型「{value}」无法识别，按实际值处理"),
    "unknown_service_type": ("warning", "站点类型「{value}」不在已知类型中，服务半径取默认值"),
    "unmatched_holder": ("warning", "权利人「{value}」与企业名录中任何企业都不匹配（{count} 件权利未计入）"),
    "unknown_right_type": ("warning", "无法判断权利类型（申请号「{value}」），未计入"),
    "unknown_status": ("warning", "法律状态「{value}」无法识别，按有效处理"),
    "unknown_status_pending": ("warning", "法律状态「{value}」无法识别，且没有授权日，按审中处理"),
}
"""Problem code → (severity, Chinese message template)."""


@dataclass(frozen=True)
class Problem:
    """One rejected or doubtful record.

    ``row`` is the spreadsheet row number as the user sees it in Excel, or the
    1-based feature number of a vector file; ``None`` for a file- or
    layer-level problem.
    """

    layer: str
    file: str
    row: int | None
    field: str | None
    code: str
    severity: Severity
    message: str


PROBLEM_COLUMNS = ["layer", "file", "row", "field", "code", "severity", "message"]
PROBLEM_LABELS = {
    "layer": "图层",
    "file": "文件",
    "row": "行号",
    "field": "字段",
    "code": "代码",
    "severity": "级别",
    "message": "说明",
}
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}


class ProblemLog:
    """Collects problems in the order they were found."""

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(
        self,
        code: str,
        *,
        layer: str,
        file: str,
        row: int | None = None,
        field: str | None = None,
        **params: object,
    ) -> Problem:
        """Record a problem; the message is built from :data:`MESSAGES` and ``params``."""
        try:
            severity, template = MESSAGES[code]
        except KeyError:
            msg = f"unknown problem code {code!r}; add it to loaders.problems.MESSAGES"
            raise KeyError(msg) from None
        problem = Problem(
            layer=layer,
            file=file,
            row=None if row is None else int(row),
            field=field,
            code=code,
            severity=severity,
            message=template.format(**params),
        )
        self._items.append(problem)
        return problem

    def extend(self, other: ProblemLog) -> None:
        """Append every problem of ``other``."""
        self._items.extend(other)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def sort(self, layer_order: list[str]) -> None:
        """Order problems by layer (in ``layer_order``), then row; file-level problems first."""
        rank = {name: i for i, name in enumerate(layer_order)}
        self._items.sort(
            key=lambda p: (rank.get(p.layer, len(rank)), p.row is not None, p.row or 0)
        )

    def count(self, layer: str | None = None, severity: Severity | None = None) -> int:
        """Number of problems, optionally of one layer and/or severity."""
        return sum(
            1
            for p in self._items
            if (layer is None or p.layer == layer) and (severity is None or p.severity == severity)
        )

    def has_errors(self) -> bool:
        """Whether any problem is an error."""
        return any(p.severity == "error" for p in self._items)

    def to_records(self) -> list[dict[str, object]]:
        """Problems as plain dicts with the keys of :data:`PROBLEM_COLUMNS`."""
        return [asdict(p) for p in self._items]

    def to_frame(self) -> pd.DataFrame:
        """Problems as a DataFrame (``row`` as nullable integer)."""
        df = pd.DataFrame(self.to_records(), columns=PROBLEM_COLUMNS)
        df["row"] = df["row"].astype("Int64")
        return df
