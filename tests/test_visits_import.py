"""``ipgrid visits import`` / ``visits list``: an office's visit log checked row by row against the store.

The store is ``write_grid_folder`` imported at 2025-12-31: firms 甲一 甲二 (G1),
乙一 (G2), 丙一 (G3), 丙二 (G4); 张三 has G1 and G2, 李四 G3, G4 nobody.  The
visit log below has a title row (so data starts on Excel row 3) and one
planted fault per bad row; the good rows are 3, 4 and 13.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from fixture_files import write_csv, write_xlsx
from store_helpers import import_folder, ok, ok_json, refused, run_cli, store_env, write_grid_folder  # noqa: F401

from dashboard.engine.visits import VISIT_KINDS, VISIT_NEEDS
from dashboard.store import Store
from dashboard.store.visits import Visits
from loaders.visits import KIND_VARIANTS, NEED_VARIANTS, VisitLogError, canonical_kind, read_visit_log, split_needs

HEADER = ["企业名称", "统一社会信用代码", "走访日期", "走访人", "方式", "需求", "备注", "回访日期"]

ROWS: list[list[object]] = [
    ["甲一", None, dt.date(2025, 3, 5), "张三", "走访", "专利、商标，融资", "了解专利申请", "2025-04-01"],  # 3 good
    ["乙一", None, "2025/6/1", "张三", "电话", "维权", None, None],  # 4 good
    ["戊九", None, "2025-06-02", "张三", None, None, None, None],  # 5 unknown firm
    ["甲二", None, "下周三", "张三", None, None, None, None],  # 6 not a date
    ["甲二", None, "2099-01-01", "张三", None, None, None, None],  # 7 future
    ["丙一", None, "2025-05-05", "张三", None, None, None, None],  # 8 丙一 is in G3, 张三 has G1 G2
    ["丙二", None, "2025-05-06", "王五", None, None, None, None],  # 9 unknown commissioner
    ["甲二", None, "2025-07-01", "张三", "飞鸽传书", None, None, None],  # 10 bad 方式
    ["丙一", None, "2025-08-01", "李四", None, None, None, "2025-07-01"],  # 11 follow-up before the visit
    ["甲一", None, "2025-03-05", "张三", "电话", None, None, None],  # 12 same firm, day, commissioner as row 3
    ["丙一", None, "2025年9月9日", "李四", None, None, "", None],  # 13 good, 方式 empty → 走访
    ["甲二", None, "2025-10-10", "张三", None, "专利、买房", None, None],  # 14 unknown need
]

GOOD_ROWS = (3, 4, 13)

EXPECTED = [  # (row, field, code, words of the message)
    (5, "firm_name", "visit_unknown_firm", ("戊九", "2025-12-31", "找不到")),
    (6, "visit_date", "visit_bad_date", ("走访日期", "下周三", "不是日期")),
    (7, "visit_date", "visit_future_date", ("2099-01-01", "晚于今天")),
    (8, "commissioner", "visit_outside_cells", ("丙一", "G3", "张三", "G1、G2")),
    (9, "commissioner", "visit_unknown_commissioner", ("王五", "张三、李四")),
    (10, "kind", "visit_unknown_kind", ("飞鸽传书", "走访、电话")),
    (11, "follow_up", "visit_follow_up_before", ("2025-07-01", "早于走访日期 2025-08-01")),
    (12, "visit_date", "visit_duplicate_row", ("第 3 行",)),
    (14, "needs", "visit_unknown_need", ("买房",)),
]


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five-firm store imported at 2025-12-31, built once; each test works on a copy."""
    root = tmp_path_factory.mktemp("visits")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPGRID_STORE_BACKUPS", "0")
        location = root / "ipgrid.gpkg"
        import_folder(str(location), write_grid_folder(root / "folder"), "2025-12-31")
    return location


@pytest.fixture
def store(base_store: Path, tmp_path: Path) -> str:
    target = tmp_path / "store" / "ipgrid.gpkg"
    target.parent.mkdir()
    shutil.copy(base_store, target)
    return str(target)


@pytest.fixture
def visit_log(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "走访台账.xlsx", HEADER, ROWS, titles=("2025 年网格专员走访台账",))


def _problems_by_row(problems: list[dict[str, object]]) -> dict[object, list[dict[str, object]]]:
    out: dict[object, list[dict[str, object]]] = {}
    for p in problems:
        out.setdefault(p["row"], []).append(p)
    return out


# --------------------------------------------------------------------------- the loader


@pytest.mark.parametrize(("text", "needs"), [
    ("专利、商标，融资", ("专利申请", "商标注册", "质押融资")),
    ("质押;融资 维权", ("质押融资", "维权")),
    ("商标注册,,专利申请", ("商标注册", "专利申请")),
    ("无", ()),
    ("", ()),
    ("专利/买房", ("专利申请", "买房")),
])
def test_split_needs(text: str, needs: tuple[str, ...]) -> None:
    assert split_needs(text) == needs


def test_variants_map_to_the_lists() -> None:
    assert set(NEED_VARIANTS.values()) <= set(VISIT_NEEDS)
    assert set(KIND_VARIANTS.values()) <= set(VISIT_KINDS)
    assert canonical_kind("") == "走访"


def test_loader_reads_title_row_and_types(visit_log: Path) -> None:
    log = read_visit_log(visit_log)
    assert log.header_row == 2 and log.file == "走访台账.xlsx"
    assert [r.row for r in log.rows] == list(range(3, 3 + len(ROWS)))
    first = log.rows[0]
    assert (first.firm_name, first.visit_date, first.commissioner, first.kind) == ("甲一", dt.date(2025, 3, 5), "张三",
                                                                                   "走访")
    assert first.needs == ("专利申请", "商标注册", "质押融资") and first.follow_up == dt.date(2025, 4, 1)
    assert log.rows[10].visit_date == dt.date(2025, 9, 9) and log.rows[10].kind == "走访"
    assert [p.row for p in log.problems] == [6] and not log.rows[3].readable


def test_loader_reports_rows_without_firm_date_or_commissioner(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "v.csv", ["名称", "日期", "专员"],
                     [[None, "2025-01-02", "张三"], ["甲一", "无", "张三"], ["甲一", "2025-01-03", None]], "utf-8-sig")
    log = read_visit_log(path)
    found = [(p.row, p.field, p.code) for p in log.problems]
    assert found == [(2, "firm_name", "missing_value"), (3, "visit_date", "missing_value"),
                     (4, "commissioner", "missing_value")]
    assert "企业名称或统一社会信用代码" in log.problems[0].message
    assert not any(r.readable for r in log.rows)


@pytest.mark.parametrize(("header", "missing"), [
    (["企业名称", "走访日期", "备注"], "走访人"),
    (["走访日期", "走访人", "备注"], "企业名称或统一社会信用代码"),
])
def test_loader_refuses_a_log_without_a_required_column(tmp_path: Path, header: list[str], missing: str) -> None:
    path = write_xlsx(tmp_path / "v.xlsx", header, [["甲一", "2025-01-02", "x"]])
    with pytest.raises(VisitLogError, match=f"v.xlsx：缺少「{missing}」列"):
        read_visit_log(path)


# --------------------------------------------------------------------------- import


def test_import_checks_every_row(store: str, visit_log: Path) -> None:
    code, out, err = run_cli("visits", "import", visit_log, "--store", store, "--json", "--user", "王科长")
    assert code == 1, err
    doc = json.loads(out)
    assert set(doc) == {"imported", "problems"}
    assert doc["imported"] == len(GOOD_ROWS)
    by_row = _problems_by_row(doc["problems"])
    assert sorted(by_row) == [row for row, *_ in EXPECTED]  # one problem on each bad row, none on a good one
    for row, field, problem_code, words in EXPECTED:
        (problem,) = by_row[row]
        assert set(problem) == {"layer", "file", "row", "field", "code", "severity", "message"}
        assert (problem["file"], problem["field"], problem["code"], problem["severity"]) == (
            "走访台账.xlsx", field, problem_code, "error"), problem
        for word in words:
            assert word in str(problem["message"]), problem
    # nothing silently dropped: each row recorded or with a problem
    assert set(GOOD_ROWS) | set(by_row) == set(range(3, 3 + len(ROWS)))


def test_import_records_the_good_rows(store: str, visit_log: Path) -> None:
    run_cli("visits", "import", visit_log, "--store", store, "--user", "王科长")
    visits = Visits(Store(store)).current()
    got = {(r.firm_name, r.visit_date, r.commissioner): r for r in visits.itertuples()}
    assert set(got) == {("甲一", "2025-03-05", "张三"), ("乙一", "2025-06-01", "张三"), ("丙一", "2025-09-09", "李四")}
    first = got["甲一", "2025-03-05", "张三"]
    assert (first.firm_key, first.kind, first.needs, first.note, first.follow_up) == (
        "name:甲一", "走访", "专利申请、商标注册、质押融资", "了解专利申请", "2025-04-01")
    assert (first.entered_by, first.source, first.uscc) == ("王科长", "import", "")
    assert got["乙一", "2025-06-01", "张三"].kind == "电话" and got["乙一", "2025-06-01", "张三"].needs == "维权"
    assert got["丙一", "2025-09-09", "李四"].kind == "走访" and got["丙一", "2025-09-09", "李四"].follow_up == ""
    audit = Store(store).audit_log()
    assert "visit_import" in set(audit["action"]) and "走访台账.xlsx" in str(audit["files"].iloc[-1])


def test_second_import_adds_nothing(store: str, visit_log: Path) -> None:
    run_cli("visits", "import", visit_log, "--store", store)
    before = Visits(Store(store)).stamp()
    code, out, _ = run_cli("visits", "import", visit_log, "--store", store, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["imported"] == 0
    again = [p for p in doc["problems"] if p["code"] == "visit_already_recorded"]
    assert sorted(p["row"] for p in again) == list(GOOD_ROWS)
    assert all(p["severity"] == "warning" and "未重复导入" in p["message"] for p in again)
    assert Visits(Store(store)).stamp() == before and len(Visits(Store(store)).current()) == len(GOOD_ROWS)


def test_gbk_csv_with_other_headers_exits_0(store: str, tmp_path: Path) -> None:
    header = ["企业", "信用代码", "日期", "网格专员", "形式", "企业需求", "情况", "跟进日期"]
    path = write_csv(tmp_path / "走访.csv", header,
                     [["甲二", None, "2025.11.11", "张 三", "帮办", "质押；专利", "协助办理", "2025-12-20"],
                      ["乙一", None, "20251112", "张三", "上门走访", "无", None, None]], "gbk")
    code, out, err = run_cli("visits", "import", path, "--store", store)
    assert code == 0, err
    assert "已导入 2 条走访记录" in out
    visits = Visits(Store(store)).current()
    first = visits.iloc[0]
    assert (first.firm_name, first.visit_date, first.commissioner, first.kind, first.needs, first.note,
            first.follow_up) == ("甲二", "2025-11-11", "张三", "帮办", "专利申请、质押融资", "协助办理", "2025-12-20")
    assert visits.iloc[1].kind == "走访" and visits.iloc[1].needs == ""


def test_text_output_lists_the_problems(store: str, visit_log: Path) -> None:
    code, out, _ = run_cli("visits", "import", visit_log, "--store", store)
    assert code == 1
    assert "共 12 行，已导入 3 条走访记录；9 行有错误未导入" in out
    assert "行号" in out and "说明" in out and "飞鸽传书" in out and "走访人" in out


def test_firm_found_by_credit_code_first(tmp_path: Path) -> None:
    from fixture_files import valid_uscc

    folder = write_grid_folder(tmp_path / "folder")
    firms = (folder / "企业.csv").read_text(encoding="utf-8-sig").splitlines()
    lines = [firms[0] + ",统一社会信用代码"] + [f"{line},{valid_uscc(i)}" for i, line in enumerate(firms[1:])]
    (folder / "企业.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    location = str(tmp_path / "s.gpkg")
    import_folder(location, folder, "2025-12-31")
    path = write_xlsx(tmp_path / "v.xlsx", ["企业名称", "统一社会信用代码", "走访日期", "走访人"], [
        ["甲一旧名", valid_uscc(1).lower(), "2025-01-02", "张三"],  # code of 甲二
        ["甲一", "91320612MA0000000X", "2025-01-03", "张三"],  # an unknown code: found by name, warned
    ])
    doc = ok_json("visits", "import", path, "--store", location)
    assert doc["imported"] == 2
    assert [(p["row"], p["code"], p["severity"]) for p in doc["problems"]] == [(3, "visit_uscc_not_found", "warning")]
    visits = Visits(Store(location)).current()
    assert visits["firm_name"].tolist() == ["甲二", "甲一"]
    assert visits["firm_key"].tolist() == [f"uscc:{valid_uscc(1)}", f"uscc:{valid_uscc(0)}"]


# --------------------------------------------------------------------------- cannot run


def test_cannot_run_writes_nothing(store: str, visit_log: Path, tmp_path: Path) -> None:
    before = Visits(Store(store)).stamp()
    assert "不存在" in refused(2, "visits", "import", tmp_path / "没有.xlsx", "--store", store)
    missing_store = tmp_path / "none" / "s.gpkg"
    assert "不存在" in refused(2, "visits", "import", visit_log, "--store", missing_store)
    assert not missing_store.exists()
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"not a workbook at all")
    assert "坏.xlsx" in refused(2, "visits", "import", broken, "--store", store)
    no_header = write_xlsx(tmp_path / "v.xlsx", ["企业名称", "走访日期"], [["甲一", "2025-01-02"]])
    assert "走访人" in refused(2, "visits", "import", no_header, "--store", store)
    not_store = tmp_path / "x.gpkg"
    not_store.write_bytes(b"")
    refused(2, "visits", "import", visit_log, "--store", not_store)
    assert Visits(Store(store)).stamp() == before


def test_store_without_version(tmp_path: Path, visit_log: Path) -> None:
    location = tmp_path / "empty.gpkg"
    Store(location, create=True)
    assert "还没有有效的数据版本" in refused(2, "visits", "import", visit_log, "--store", location)
    assert not len(Visits(Store(location)).current())


# --------------------------------------------------------------------------- list


def test_list_filters_and_json_keys(store: str, visit_log: Path) -> None:
    run_cli("visits", "import", visit_log, "--store", store, "--user", "王科长")
    every = ok_json("visits", "list", "--store", store)
    assert [v["visit_date"] for v in every] == ["2025-03-05", "2025-06-01", "2025-09-09"]
    assert set(every[0]) == {"visit_id", "firm_name", "uscc", "commissioner", "visit_date", "kind", "needs", "outcome",
                             "note", "follow_up", "entered_by", "entered_at", "source"}
    assert every[0]["needs"] == ["专利申请", "商标注册", "质押融资"] and isinstance(every[0]["visit_id"], int)
    assert every[1]["needs"] == ["维权"] and every[2]["needs"] == []
    mine = ok_json("visits", "list", "--store", store, "--commissioner", "李四")
    assert [v["firm_name"] for v in mine] == ["丙一"]
    recent = ok_json("visits", "list", "--store", store, "--since", "2025-06-01")
    assert [v["firm_name"] for v in recent] == ["乙一", "丙一"]
    both = ok_json("visits", "list", "--store", store, "--since", "2025-06-02", "--commissioner", "张三")
    assert both == []
    text = ok("visits", "list", "--store", store, "--commissioner", "张三")
    assert "走访记录 2 条" in text and "甲一" in text and "丙一" not in text
    assert "--since" in refused(2, "visits", "list", "--store", store, "--since", "2025/6/1")
