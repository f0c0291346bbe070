"""Rolling one-row-per-right tables up to enterprises (dashboard.engine.rights).

Every expected count below is worked out by hand from the small frames built
in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.engine.rights import (
    COUNT_COLUMNS,
    RightsRollup,
    _number_kind_codes,
    _number_kind_one,
    _split_distinct,
    right_kind_from_number,
    rollup_rights,
    split_holders,
    status_class,
)
from loaders.layers import normalize_company_name
from loaders.problems import ProblemLog
from loaders.schema import HOLDING_FIELDS, IP_RECORDS
from loaders.uscc import check_digit

FIRM_A = "南通甲纺织有限公司"
FIRM_B = "南通乙（集团）有限责任公司"
FIRM_C = "南通丙科技有限公司"


def uscc(body: str) -> str:
    """A credit code with a correct check digit."""
    return body + check_digit(body)


USCC_A = uscc("91320612MA1AAAAA0")
USCC_C = uscc("91320612MA1CCCCC0")


def firms(index: list[int] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "name": pd.Series([FIRM_A, FIRM_B, FIRM_C], dtype=object),
        "uscc": pd.Series([USCC_A, None, USCC_C], dtype=object),
    })
    if index is not None:
        frame.index = index
    return frame


def records(rows: list[dict], dtype: str = "object") -> pd.DataFrame:
    """A canonical ip_records frame: every schema field, typed as the loader types them."""
    frame = pd.DataFrame(rows)
    out: dict[str, pd.Series] = {}
    for spec in IP_RECORDS.fields:
        values = frame[spec.name] if spec.name in frame else pd.Series([None] * len(frame), dtype=object)
        if spec.dtype == "date":
            out[spec.name] = pd.to_datetime(values).astype("datetime64[ns]")
        elif spec.dtype == "bool":
            out[spec.name] = values.astype("boolean")
        else:
            out[spec.name] = values.astype(object).where(values.notna(), None)
            if dtype == "str":
                out[spec.name] = out[spec.name].astype("str")
    default_rows = pd.Series(np.arange(len(frame)) + 2)
    out["source_row"] = frame.get("source_row", default_rows).fillna(default_rows).astype(np.int64)
    return pd.DataFrame(out)


def counts(result: RightsRollup, column: str) -> list[int]:
    return result.counts[column].tolist()


# --- application numbers ---------------------------------------------------------------------

NUMBERS = [
    # 12-digit form (since 2003): the type is the 5th digit
    ("CN202310123456.7", "invention", False),
    ("202320123456.1", "utility_model", False),
    ("ZL202330123456.X", "design", False),
    ("CN202380012345.6", "invention", True),
    ("202190012345.6", "utility_model", True),
    ("202310123456", "invention", False),
    ("cn 2023 1 0123456.7", "invention", False),
    ("ＣＮ２０２３３０１２３４５６．７", "design", False),
    ("ZL 2019 2 0123456.x", "utility_model", False),
    # 8-digit form (before 2003): the type is the 3rd digit
    ("99123456.X", "invention", False),
    ("ZL99223456.1", "utility_model", False),
    ("02312345.6", "design", False),
    ("98812345.6", "invention", True),
    ("00912345.1", "utility_model", True),
    ("85100001", "invention", False),
    # no readable type
    ("202350123456.7", None, False),  # type digit 5 does not exist
    ("CN115123456A", None, False),  # a publication number
    ("12345678", None, False),  # a trademark registration number: year 12 is not a patent year
    ("20231012345X6", None, False),
    ("2023101234567 8", None, False),
    ("199810123456.1", None, False),  # no 12-digit numbers before 2003
    ("123", None, False),
    ("", None, False),
    (None, None, False),
]


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_kind_from_number(dtype: str) -> None:
    numbers = pd.Series([n for n, _, _ in NUMBERS], dtype=object)
    if dtype == "str":
        numbers = numbers.astype("str")
    out = right_kind_from_number(numbers)
    assert list(out.columns) == ["kind", "pct"]
    assert out["kind"].tolist() == [k for _, k, _ in NUMBERS]
    assert out["pct"].tolist() == [p for _, _, p in NUMBERS]


def test_kind_from_number_keeps_the_index_and_reads_a_slice() -> None:
    numbers = pd.Series(["x", "CN202310123456.7", "202320123456.1"], index=[10, 20, 30]).iloc[1:]
    out = right_kind_from_number(numbers)
    assert out.index.tolist() == [20, 30]
    assert out["kind"].tolist() == ["invention", "utility_model"]


NUMBER_TOKENS = ["CN", "ZL", "cn", "zl", ".", " ", "X", "x", "0", "1", "2", "3", "8", "9", "5", "19", "20", "85",
                 "2023", "1234567", "12345", "A", "１", "．", "\x1f", "\x00", "中", "-", ","]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), st.lists(st.sampled_from(NUMBER_TOKENS), max_size=10).map("".join)),
                min_size=1, max_size=30),
       st.sampled_from(["object", "str"]))
def test_vector_number_reading_equals_the_scalar_reference(texts: list[str | None], dtype: str) -> None:
    values = pd.Series(texts, dtype=object)
    if dtype == "str":
        values = values.astype("str")
    kind, pct = _number_kind_codes(values)
    expected = [(0, False) if t is None else _number_kind_one(t) for t in texts]
    assert list(zip(kind.tolist(), pct.tolist(), strict=True)) == expected


# --- legal status ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("有效", "valid"), ("授权", "valid"), ("专利权维持", "valid"), ("有权", "valid"), ("已注册", "valid"),
    ("注册", "valid"), ("商标已注册", "valid"), ("有效专利", "valid"),
    ("失效", "lapsed"), ("驳回", "lapsed"), ("撤回", "lapsed"), ("终止", "lapsed"), ("无效", "lapsed"),
    ("视为撤回", "lapsed"), ("未缴年费", "lapsed"), ("放弃", "lapsed"), ("期限届满", "lapsed"),
    ("注销", "lapsed"), ("撤销", "lapsed"), ("无权", "lapsed"), ("未缴年费专利权终止", "lapsed"),
    ("审中", "pending"), ("实质审查", "pending"), ("公开", "pending"), ("申请中", "pending"),
    ("初审公告", "pending"), ("受理", "pending"), ("实质审查的生效", "pending"), (" 审 中 ", "pending"),
    ("待定", None), ("", None), (None, None),
])
def test_status_class(text: str | None, expected: str | None) -> None:
    assert status_class(pd.Series([text], dtype=object)).tolist() == [expected]


# --- holders ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "expected"), [
    ("南通甲有限公司", ["南通甲有限公司"]),
    ("南通甲有限公司;南通乙有限公司", ["南通甲有限公司", "南通乙有限公司"]),
    ("南通甲有限公司；南通大学；", ["南通甲有限公司", "南通大学"]),
    ("南通甲有限公司、张三", ["南通甲有限公司", "张三"]),
    ("南通甲有限公司，张三,李四", ["南通甲有限公司", "张三", "李四"]),
    ("Acme Co., Ltd.,南通乙有限公司", ["Acme Co., Ltd.", "南通乙有限公司"]),
    (" 南通甲有限公司 ; ", ["南通甲有限公司"]),
    (None, []),
])
def test_split_holders(cell: str | None, expected: list[str]) -> None:
    assert split_holders(cell) == expected


HOLDER_TOKENS = ["南通甲有限公司", "Acme", "Co.", " Ltd.", "Inc.", ";", "；", "、", "，", ",", " ", "\n", "\t",
                 "张三", "a", ".", "\x00", "\x01"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(HOLDER_TOKENS), max_size=8).map("".join), max_size=12))
def test_splitting_many_cells_at_once_equals_one_by_one(cells: list[str]) -> None:
    pieces, owner = _split_distinct(cells)
    together: list[list[str]] = [[] for _ in cells]
    for piece, cell in zip(pieces, owner.tolist(), strict=True):
        if piece.strip():
            together[cell].append(piece.strip())
    assert together == [split_holders(c) for c in cells]


# --- the roll-up: kinds ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["object", "str"])
def test_kinds_from_type_text_and_from_numbers(dtype: str) -> None:
    rows = [
        # by type text (the number is not a patent number, so the text decides)
        {"number": "X1", "holder": FIRM_A, "right_type": "发明专利", "legal_status": "有效"},
        {"number": "X2", "holder": FIRM_A, "right_type": "发明授权", "legal_status": "有效"},
        {"number": "X3", "holder": FIRM_A, "right_type": "实用新型", "legal_status": "有效"},
        {"number": "X4", "holder": FIRM_A, "right_type": "外观设计", "legal_status": "有效"},
        {"number": "X5", "holder": FIRM_A, "right_type": "注册商标", "legal_status": "已注册"},
        {"number": "X6", "holder": FIRM_A, "right_type": "作品著作权", "legal_status": "有效"},
        {"number": "X7", "holder": FIRM_A, "right_type": "软件著作权", "legal_status": "有效"},
        {"number": "X8", "holder": FIRM_A, "right_type": "软著", "legal_status": "有效"},
        # no type: from the number
        {"number": "CN202310123456.7", "holder": FIRM_B, "legal_status": "有效"},  # 5th digit 1
        {"number": "ZL202120123456.1", "holder": FIRM_B, "legal_status": "有效"},  # 5th digit 2
        {"number": "202230123456.X", "holder": FIRM_B, "legal_status": "有效"},  # 5th digit 3
        {"number": "99123456.X", "holder": FIRM_B, "legal_status": "有效"},  # 3rd digit 1
        {"number": "ZL 01 2 12345.6", "holder": FIRM_B, "legal_status": "有效"},  # 3rd digit 2
        {"number": "CN202380012345.6", "holder": FIRM_C, "legal_status": "有效"},  # PCT invention
        {"number": "202190012345.6", "holder": FIRM_C, "legal_status": "有效"},  # PCT utility model
        {"number": "00812345.1", "holder": FIRM_C, "legal_status": "有效"},  # old-form PCT invention
        # the type text wins over the number, and the number still tells PCT
        {"number": "CN202380054321.0", "holder": FIRM_C, "right_type": "发明", "legal_status": "有效"},
    ]
    out = rollup_rights(records(rows, dtype), firms())
    assert counts(out, "invention_patents") == [2, 2, 3]
    assert counts(out, "utility_models") == [1, 2, 1]
    assert counts(out, "designs") == [1, 1, 0]
    assert counts(out, "trademarks") == [1, 0, 0]
    assert counts(out, "copyrights") == [1, 0, 0]
    assert counts(out, "software_copyrights") == [2, 0, 0]
    assert counts(out, "pct_patents") == [0, 0, 4]
    assert counts(out, "pending_patents") == [0, 0, 0]


def test_unknown_kind_is_reported_per_row_and_left_out() -> None:
    rows = [
        {"number": "202350123456.7", "holder": FIRM_A, "legal_status": "有效", "source_row": 5},
        {"number": "ABC", "holder": FIRM_A, "right_type": "其他", "legal_status": "有效", "source_row": 6},
        {"number": "CN202310123456.7", "holder": FIRM_A, "right_type": "其他", "legal_status": "有效",
         "source_row": 7},  # an unrecognised type falls back to the number
    ]
    log = ProblemLog()
    out = rollup_rights(records(rows), firms(), log=log, file="专利.xlsx")
    assert counts(out, "invention_patents") == [1, 0, 0]
    problems = log.to_frame()
    assert problems["code"].tolist() == ["unknown_right_type", "unknown_right_type"]
    assert problems["row"].tolist() == [5, 6]
    assert problems["file"].tolist() == ["专利.xlsx"] * 2
    assert "申请号「202350123456.7」" in problems["message"].iat[0]
    assert out.matched_records == 3  # matching is about holders, whatever the kind


# --- the roll-up: holders --------------------------------------------------------------------

@pytest.mark.parametrize("separator", [";", "；", "、", "，"])
def test_joint_right_counts_once_for_each_firm(separator: str) -> None:
    rows = [
        {"number": "CN202310123456.7", "holder": f"{FIRM_A}{separator}{FIRM_C}", "legal_status": "有效"},
        # the same firm twice in one cell (once with 有限责任公司) still counts once
        {"number": "CN202310123457.5", "holder": f"{FIRM_C}{separator}南通丙科技有限责任公司",
         "legal_status": "有效"},
    ]
    out = rollup_rights(records(rows), firms())
    assert counts(out, "invention_patents") == [1, 0, 2]
    assert (out.matched_records, out.unmatched_records) == (2, 0)


def test_credit_code_beats_a_different_name() -> None:
    rows = [
        # an empty entry keeps its place: the first holder has no code, the second has C's
        {"number": "CN202310123455.9", "holder": f"{FIRM_B}；南通大学", "holder_uscc": f"；{USCC_C}",
         "legal_status": "有效"},
        # the name says B, the code says A: A holds it
        {"number": "CN202310123456.7", "holder": FIRM_B, "holder_uscc": USCC_A.lower(), "legal_status": "有效"},
        # a code no firm has: the name decides
        {"number": "CN202310123457.5", "holder": FIRM_B, "holder_uscc": uscc("91320612MA1QQQQQ0"),
         "legal_status": "有效"},
        # codes pair with holders by position; the second holder has none and matches by name
        {"number": "CN202310123458.3", "holder": f"南通某某有限公司；{FIRM_B}", "holder_uscc": USCC_C,
         "legal_status": "有效"},
        # no code at all
        {"number": "CN202310123459.1", "holder": FIRM_A, "legal_status": "有效"},
    ]
    log = ProblemLog()
    out = rollup_rights(records(rows), firms(), log=log)
    assert counts(out, "invention_patents") == [2, 3, 2]
    # 南通某某有限公司 carries C's code, so it is C; 南通大学 carries C's code too
    assert out.unmatched_holders.empty
    assert len(log) == 0


def test_unmatched_holders_with_credit_codes() -> None:
    rows = [
        {"number": "CN202310123456.7", "holder": f"{FIRM_A}；张三", "holder_uscc": USCC_A, "legal_status": "有效",
         "source_row": 8},
        {"number": "CN202310123457.5", "holder": "张三", "legal_status": "有效", "source_row": 12},
        # a code with no name and no firm
        {"number": "CN202310123458.3", "holder": FIRM_C, "holder_uscc": f"{USCC_C}, 91320612MA1QQQQQ0X",
         "legal_status": "有效", "source_row": 15},
    ]
    out = rollup_rights(records(rows), firms())
    assert counts(out, "invention_patents") == [1, 0, 1]
    assert out.unmatched_holders.to_dict("records") == [
        {"holder": "张三", "rights": 2, "first_row": 8},
        {"holder": "91320612MA1QQQQQ0X", "rights": 1, "first_row": 15},
    ]
    assert (out.matched_records, out.unmatched_records) == (2, 1)


@pytest.mark.parametrize("written", [
    "南通乙(集团)有限公司",
    "南通乙（集团）有限公司",
    "南通乙(集团)有限责任公司",
    " 南通乙 （集团） 有限责任公司 ",
    "南通乙集团有限公司",
])
def test_name_matching_across_brackets_and_company_form(written: str) -> None:
    rows = [{"number": "CN202320123456.1", "holder": written, "legal_status": "有效"}]
    out = rollup_rights(records(rows), firms())
    assert counts(out, "utility_models") == [0, 1, 0]


def test_unmatched_holders_are_reported_once_with_count_and_first_row() -> None:
    rows = [
        {"number": "CN202310000001.1", "holder": "南通大学", "legal_status": "有效", "source_row": 4},
        {"number": "CN202310000002.1", "holder": f"{FIRM_A}；南通大学", "legal_status": "失效", "source_row": 3},
        {"number": "CN202310000003.1", "holder": "张三", "legal_status": "有效", "source_row": 9},
        {"number": "CN202310000004.1", "holder": "南通 大学", "legal_status": "审中", "source_row": 10},
        {"number": "CN202310000005.1", "holder": "张三、南通大学", "legal_status": "有效", "source_row": 11},
    ]
    log = ProblemLog()
    out = rollup_rights(records(rows), firms(), log=log, file="专利.xlsx")
    holders = out.unmatched_holders
    assert holders.to_dict("records") == [
        # 南通大学 is in rows 4, 3, 10 (as 南通 大学) and 11: four rights, the first row is 3
        {"holder": "南通大学", "rights": 4, "first_row": 3},
        {"holder": "张三", "rights": 2, "first_row": 9},
    ]
    assert (out.matched_records, out.unmatched_records) == (1, 4)
    problems = log.to_frame()
    assert problems["code"].tolist() == ["unmatched_holder", "unmatched_holder"]
    assert problems["row"].tolist() == [3, 9]
    assert problems["field"].tolist() == ["holder", "holder"]
    assert problems["message"].iat[0] == "权利人「南通大学」与企业名录中任何企业都不匹配（4 件权利未计入）"
    assert "「张三」" in problems["message"].iat[1] and "2 件" in problems["message"].iat[1]


def test_counts_are_by_enterprise_position_whatever_the_index() -> None:
    rows = [{"number": "CN202310123456.7", "holder": FIRM_C, "legal_status": "有效"}]
    out = rollup_rights(records(rows), firms(index=[30, 10, 20]))
    assert out.counts.index.tolist() == [0, 1, 2]
    assert list(out.counts.columns) == [*HOLDING_FIELDS, "pending_patents"] == list(COUNT_COLUMNS)
    assert (out.counts.dtypes == "int64").all()
    assert counts(out, "invention_patents") == [0, 0, 1]


def test_duplicate_enterprise_names_match_the_first_row() -> None:
    enterprises = pd.DataFrame({"name": [FIRM_A, FIRM_A], "uscc": [None, None]})
    rows = [{"number": "CN202310123456.7", "holder": FIRM_A, "legal_status": "有效"}]
    assert counts(rollup_rights(records(rows), enterprises), "invention_patents") == [1, 0]


# --- the roll-up: status ---------------------------------------------------------------------

def test_status_classes_and_unknown_status() -> None:
    rows = [
        {"number": "CN202310000001.1", "holder": FIRM_A, "legal_status": "有效"},
        {"number": "CN202310000002.1", "holder": FIRM_A, "legal_status": "专利权维持"},
        {"number": "CN202310000003.1", "holder": FIRM_A, "legal_status": "未缴年费专利权终止"},
        {"number": "CN202310000004.1", "holder": FIRM_A, "legal_status": "视为撤回"},
        {"number": "CN202310000005.1", "holder": FIRM_A, "legal_status": "实质审查的生效"},
        {"number": "CN202320000006.1", "holder": FIRM_A, "legal_status": "公开"},
        # unreadable text: valid with a grant date, pending without; one problem per text and treatment
        {"number": "CN202310000007.1", "holder": FIRM_B, "legal_status": "待定", "grant_date": "2023-05-01",
         "source_row": 20},
        {"number": "CN202310000008.1", "holder": FIRM_B, "legal_status": "待定", "grant_date": "2023-06-01",
         "source_row": 21},
        {"number": "CN202310000009.1", "holder": FIRM_B, "legal_status": "待定", "source_row": 22},
        # empty status: valid with a grant date, else pending (not reported)
        {"number": "CN202310000010.1", "holder": FIRM_C, "grant_date": "2023-05-01"},
        {"number": "CN202310000011.1", "holder": FIRM_C},
        # copyright registrations with an empty status are registered rights
        {"number": "2023-A-001", "holder": FIRM_C, "right_type": "作品"},
        {"number": "2023SR000001", "holder": FIRM_C, "right_type": "软件著作权"},
        # lapsed rights count nowhere
        {"number": "99123456.X", "holder": FIRM_C, "legal_status": "期限届满"},
    ]
    log = ProblemLog()
    out = rollup_rights(records(rows), firms(), log=log)
    assert counts(out, "invention_patents") == [2, 2, 1]
    assert counts(out, "pending_patents") == [2, 1, 1]
    assert counts(out, "copyrights") == [0, 0, 1]
    assert counts(out, "software_copyrights") == [0, 0, 1]
    problems = log.to_frame()
    assert problems["code"].tolist() == ["unknown_status", "unknown_status_pending"]
    assert problems["row"].tolist() == [20, 22]
    assert problems["severity"].tolist() == ["warning", "warning"]
    assert problems["message"].tolist() == [
        "法律状态「待定」无法识别，按有效处理",
        "法律状态「待定」无法识别，且没有授权日，按审中处理",
    ]


def test_high_value_counts_only_valid_inventions() -> None:
    rows = [
        {"number": "CN202310000001.1", "holder": FIRM_A, "legal_status": "有效", "high_value": True},
        {"number": "CN202310000002.1", "holder": FIRM_A, "legal_status": "有效", "high_value": False},
        {"number": "CN202310000003.1", "holder": FIRM_A, "legal_status": "失效", "high_value": True},
        {"number": "CN202320000004.1", "holder": FIRM_A, "legal_status": "有效", "high_value": True},
        {"number": "CN202310000005.1", "holder": FIRM_A, "legal_status": "有效", "high_value": None},
        {"number": "CN202380000006.1", "holder": FIRM_B, "legal_status": "有效", "high_value": True},
        {"number": "CN202380000007.1", "holder": FIRM_B, "legal_status": "审中"},
    ]
    out = rollup_rights(records(rows), firms())
    assert counts(out, "high_value_inventions") == [1, 1, 0]
    assert counts(out, "invention_patents") == [3, 1, 0]
    assert counts(out, "pct_patents") == [0, 1, 0]  # a pending PCT application is not a PCT patent yet


# --- the roll-up: year -----------------------------------------------------------------------

YEAR_ROWS = [
    # applied 2021, granted 2022, lapsed 2024-03-01
    {"number": "CN202110000001.1", "holder": FIRM_A, "legal_status": "未缴年费专利权终止",
     "app_date": "2021-04-01", "grant_date": "2022-06-01", "lapse_date": "2024-03-01"},
    # applied 2021, granted 2022, still valid
    {"number": "CN202120000002.1", "holder": FIRM_B, "legal_status": "有效",
     "app_date": "2021-09-01", "grant_date": "2022-12-31"},
    # lapsed, no lapse date: cannot be placed in time, never counted in a year
    {"number": "CN202130000003.1", "holder": FIRM_C, "legal_status": "失效",
     "app_date": "2021-01-01", "grant_date": "2021-07-01"},
    # applied 2022, rejected 2023-05-01, never granted
    {"number": "CN202210000004.1", "holder": FIRM_C, "legal_status": "驳回",
     "app_date": "2022-02-01", "lapse_date": "2023-05-01"},
    # applied 2023, still in examination
    {"number": "CN202310000005.1", "holder": FIRM_C, "legal_status": "实质审查",
     "app_date": "2023-03-01"},
]


@pytest.mark.parametrize(("year", "inventions", "utility", "designs", "pending"), [
    (2020, [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]),
    (2021, [0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 1, 0]),
    (2022, [1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1]),
    (2023, [1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1]),
    (2024, [0, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1]),
    (None, [0, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1]),
])
def test_year(year: int | None, inventions: list[int], utility: list[int], designs: list[int],
              pending: list[int]) -> None:
    out = rollup_rights(records(YEAR_ROWS), firms(), year=year)
    assert counts(out, "invention_patents") == inventions
    assert counts(out, "utility_models") == utility
    assert counts(out, "designs") == designs
    assert counts(out, "pending_patents") == pending


def test_trademarks_in_a_year_use_the_registration_date() -> None:
    rows = [
        {"number": "12345678", "holder": FIRM_A, "right_type": "商标", "legal_status": "已注册",
         "app_date": "2019-01-01", "grant_date": "2020-03-14"},
        {"number": "23456789", "holder": FIRM_A, "right_type": "商标", "legal_status": "注销",
         "app_date": "2015-01-01", "grant_date": "2016-03-14", "lapse_date": "2021-02-01"},
    ]
    assert counts(rollup_rights(records(rows), firms(), year=2015), "trademarks") == [0, 0, 0]
    assert counts(rollup_rights(records(rows), firms(), year=2019), "trademarks") == [1, 0, 0]
    assert counts(rollup_rights(records(rows), firms(), year=2020), "trademarks") == [2, 0, 0]
    assert counts(rollup_rights(records(rows), firms(), year=2021), "trademarks") == [1, 0, 0]
    assert counts(rollup_rights(records(rows), firms()), "trademarks") == [1, 0, 0]


# --- the roll-up: a trademark list -----------------------------------------------------------

def test_trademark_list_with_registration_numbers_and_status() -> None:
    # A trademark office list: 注册号 (no type digit), 商标名称, 注册人, 商标状态, 注册日期.
    rows = [
        {"number": "12345678", "holder": FIRM_A, "right_type": "商标", "legal_status": "已注册",
         "title": "甲纺", "grant_date": "2018-05-07", "source_row": 2},
        {"number": "02312345", "holder": FIRM_A, "right_type": "商标", "legal_status": "注册",
         "title": "甲纺图形", "grant_date": "2019-05-07", "source_row": 3},  # reads like an old patent number
        {"number": "34567890", "holder": f"{FIRM_A}，{FIRM_B}", "right_type": "商标", "legal_status": "已注册",
         "title": "联名", "grant_date": "2020-05-07", "source_row": 4},
        {"number": "45678901", "holder": FIRM_B, "right_type": "商标", "legal_status": "初审公告",
         "title": "乙品", "source_row": 5},
        {"number": "56789012", "holder": FIRM_C, "right_type": "商标", "legal_status": "注销",
         "title": "丙", "grant_date": "2010-05-07", "source_row": 6},
        # a blank type in a list whose every type is 商标: a trademark too
        {"number": "67890123", "holder": FIRM_C, "legal_status": "已注册", "grant_date": "2021-05-07",
         "source_row": 7},
    ]
    log = ProblemLog()
    out = rollup_rights(records(rows), firms(), log=log)
    assert counts(out, "trademarks") == [3, 1, 1]
    assert counts(out, "pending_patents") == [0, 0, 0]
    assert counts(out, "invention_patents") == [0, 0, 0]
    assert counts(out, "designs") == [0, 0, 0]
    assert len(log) == 0


# --- inputs ----------------------------------------------------------------------------------

def test_frames_are_not_modified() -> None:
    recs, enterprises = records(YEAR_ROWS), firms()
    before = recs.copy(deep=True), enterprises.copy(deep=True)
    rollup_rights(recs, enterprises, year=2022, log=ProblemLog())
    pd.testing.assert_frame_equal(recs, before[0])
    pd.testing.assert_frame_equal(enterprises, before[1])


def test_minimal_frames_and_empty_records() -> None:
    recs = pd.DataFrame({"number": ["CN202310123456.7"], "holder": [FIRM_A], "grant_date": ["2023-08-01"],
                         "source_row": [2]})
    out = rollup_rights(recs, pd.DataFrame({"name": [FIRM_A]}))
    assert counts(out, "invention_patents") == [1]  # empty status with a grant date: valid
    empty = rollup_rights(records(YEAR_ROWS).iloc[:0], firms())
    assert empty.counts.shape == (3, len(COUNT_COLUMNS))
    assert (empty.matched_records, empty.unmatched_records, len(empty.unmatched_holders)) == (0, 0, 0)


def test_bad_inputs_are_named() -> None:
    recs = records(YEAR_ROWS)
    with pytest.raises(ValueError, match=r"'records' lacks columns \['holder'\]"):
        rollup_rights(recs.drop(columns="holder"), firms())
    with pytest.raises(ValueError, match=r"'enterprises' lacks columns \['name'\]"):
        rollup_rights(recs, firms().drop(columns="name"))
    with pytest.raises(TypeError, match="`year` should be an int or None, got '2023'"):
        rollup_rights(recs, firms(), year="2023")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'records' should be a DataFrame"):
        rollup_rights([], firms())  # type: ignore[arg-type]


# --- property: every valid right is counted once per distinct holding firm -------------------

PROPERTY_FIRMS = ["南通甲纺织有限公司", "南通乙（集团）有限责任公司", "南通丙科技有限公司", "南通丁有限公司"]
PROPERTY_CODES = [uscc(f"91320612MA1{c * 5}0") for c in "ABCD"]
HOLDER_WRITINGS = [
    *PROPERTY_FIRMS,
    "南通乙(集团)有限公司",  # firm 1 written another way
    "南通丁有限责任公司",  # firm 3 written another way
    "南通大学",
    "张三",
]
STATUSES = {"有效": True, "授权": True, "失效": False, "驳回": False, "实质审查": False, "已注册": True}
TYPES = ["发明专利", "实用新型", "外观设计", "商标", "作品", "软件著作权"]


@st.composite
def right_rows(draw: st.DrawFn) -> list[dict]:
    """Records whose holders are firms (written several ways), a university or a person.

    Each holder may come with a credit code (of any firm, or none); ``expected``
    is the set of firm positions by an independent reading of the rules: the
    code when there is one, else the normalized name.
    """
    keys = {normalize_company_name(f): i for i, f in enumerate(PROPERTY_FIRMS)}
    rows = []
    for i in range(draw(st.integers(0, 25))):
        names = draw(st.lists(st.sampled_from(HOLDER_WRITINGS), min_size=1, max_size=4))
        codes = draw(st.lists(st.one_of(st.none(), st.integers(0, len(PROPERTY_FIRMS) - 1)),
                              min_size=len(names), max_size=len(names)))
        if not draw(st.booleans()):
            codes = [None] * len(names)
        separators = draw(st.lists(st.sampled_from([";", "；", "、"]), min_size=len(names), max_size=len(names)))
        expected = {c if c is not None else keys.get(normalize_company_name(n)) for n, c in zip(names, codes,
                                                                                               strict=True)}
        rows.append({
            "number": f"N{i}",
            "holder": "".join(n + s for n, s in zip(names, separators, strict=True))[:-1],
            "holder_uscc": None if all(c is None for c in codes) else ";".join(
                "" if c is None else PROPERTY_CODES[c] for c in codes),
            "right_type": draw(st.sampled_from(TYPES)),
            "legal_status": draw(st.sampled_from(sorted(STATUSES))),
            "source_row": i + 2,
            "expected": expected - {None},
        })
    return rows


@settings(max_examples=150, deadline=None)
@given(right_rows(), st.sampled_from(["object", "str"]))
def test_valid_total_equals_distinct_matched_firms_per_valid_record(rows: list[dict], dtype: str) -> None:
    enterprises = pd.DataFrame({"name": PROPERTY_FIRMS, "uscc": PROPERTY_CODES})
    frame = records([{k: v for k, v in r.items() if k != "expected"} for r in rows], dtype) if rows else (
        records(YEAR_ROWS).iloc[:0])
    out = rollup_rights(frame, enterprises)
    kinds = ["invention_patents", "utility_models", "designs", "trademarks", "copyrights", "software_copyrights"]
    expected = sum(len(r["expected"]) for r in rows if STATUSES[r["legal_status"]])
    assert int(out.counts[kinds].to_numpy().sum()) == expected
    assert out.matched_records == sum(1 for r in rows if r["expected"])
    assert out.matched_records + out.unmatched_records == len(rows)
