"""What changed between two versions (D1 → D2), on two hand-written data folders; every figure worked by hand.

Towns (metres from ORIGIN): 甲镇 [0,2000]², 乙镇 [2000,4000]×[0,2000], 丙街道
[0,4000]×[2000,4000] in both; D2 adds 丁镇 [4000,6000]×[0,2000].  Parks:
A园 [1500,2500]×[0,1000] in both, B园 [0,2000]×[2000,4000] only in D1,
C园 [2000,4000]×[2000,4000] only in D2.  D1's firms are a CSV (towns GPKG),
D2's an .xlsx (towns GeoJSON in WGS-84).

Firms (code U<n> = ``valid_uscc(n)``; x, y in metres; D1 → D2):

====================  ======================  =====================  ==========================
firm                  D1                      D2                     change
====================  ======================  =====================  ==========================
迁移公司 U1            (500,1500) 甲镇, 1 inv   (3500,1500) 乙镇, 1 inv  moved 甲镇 → 乙镇
培育公司 U2            (1800,500) 甲镇 A园, 0    same place, 2 inv      first_ip
关停公司 U3            (3000,500) 乙镇, 1 tm     —                      removed
新设公司 U4            —                       (2200,500) 乙镇 A园, 0   added
旧名公司 → 新名公司 U5  (1000,3000) 丙 B园, 3 inv  same, code "u5" lower-case with spaces   none (same code)
错码公司 bad check      (3000,3000) 丙, 1 cr      same (C园 in D2)        none
重复公司 U7 ×2          (500,1000) 甲镇, 0        same, two rows         none (loader keeps one)
无坐标公司 (no code)     未定位, 1 inv             未定位, 1 inv           none
失权公司 U9            (3500,500) 乙镇, 2 inv 1 tm  same place, 0         lost_ip
区外公司 U10           (9000,9000) 区外          same                   none
补码公司 no code → U11  (1500,1500) 甲镇, 0        same, code filled in   none (matched by name)
东扩公司 U12           (5000,1000) 区外          same place: 丁镇         moved 区外 → 丁镇
====================  ======================  =====================  ==========================

Town figures (enterprises, with IP, inventions, coverage):
D1 甲镇 {迁移, 培育, 重复, 补码} 4, 1, 1, 1/4;  乙镇 {关停, 失权} 2, 2, 2, 1;  丙街道 {旧名, 错码} 2, 2, 3, 1;
   区外 {区外, 东扩} 2, 0, 0, 0;  未定位 {无坐标} 1, 1, 1, 1.
D2 甲镇 {培育, 重复, 补码} 3, 1, 2, 1/3;  乙镇 {新设, 迁移, 失权} 3, 1, 1, 1/3;  丙街道 2, 2, 3, 1;
   丁镇 {东扩} 1, 0, 0, 0;  区外 {区外} 1, 0, 0, 0;  未定位 1, 1, 1, 1.
Park figures:
D1 A园 {培育} 1, 0, 0, 0;  B园 {旧名} 1, 1, 3, 1.
D2 A园 {培育, 新设} 2, 1, 2, 1/2;  C园 {错码} 1, 1, 0, 1.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from fixture_files import METRIC, square, three_towns, to_lonlat, valid_uscc, write_csv, write_xlsx

from dashboard.engine import Engine
from dashboard.engine.changes import DIFF_METRICS, MovedFirm, VersionDiff, _pair, diff_engines, firm_keys
from dashboard.engine.placement import OUTSIDE, UNLOCATED
from loaders import load_folder
from loaders.errors import ChoiceError

U = valid_uscc
BAD = U(6)[:-1] + ("0" if U(6)[-1] != "0" else "1")
"""错码公司's code: U6 with a wrong check digit (the loaders warn and keep it)."""
U5_SCRAWLED = " ".join([U(5)[:8].lower(), U(5)[8:].lower()])
"""U5 as D2 writes it: lower case, a space inside (the loaders normalize it to U5)."""

Firm = tuple[str, str | None, float | None, float | None, int, int, int]
"""name, credit code, x, y, inventions, trademarks, copyrights."""

D1_FIRMS: list[Firm] = [
    ("迁移公司", U(1), 500, 1500, 1, 0, 0),
    ("培育公司", U(2), 1800, 500, 0, 0, 0),
    ("关停公司", U(3), 3000, 500, 0, 1, 0),
    ("旧名公司", U(5), 1000, 3000, 3, 0, 0),
    ("错码公司", BAD, 3000, 3000, 0, 0, 1),
    ("重复公司", U(7), 500, 1000, 0, 0, 0),
    ("重复公司", U(7), 500, 1000, 0, 0, 0),
    ("无坐标公司", None, None, None, 1, 0, 0),
    ("失权公司", U(9), 3500, 500, 2, 1, 0),
    ("区外公司", U(10), 9000, 9000, 0, 0, 0),
    ("补码公司", None, 1500, 1500, 0, 0, 0),
    ("东扩公司", U(12), 5000, 1000, 0, 0, 0),
]
D2_FIRMS: list[Firm] = [
    ("新设公司", U(4), 2200, 500, 0, 0, 0),
    ("迁移公司", U(1), 3500, 1500, 1, 0, 0),
    ("培育公司", U(2), 1800, 500, 2, 0, 0),
    ("新名公司", U5_SCRAWLED, 1000, 3000, 3, 0, 0),
    ("错码公司", BAD, 3000, 3000, 0, 0, 1),
    ("重复公司", U(7), 500, 1000, 0, 0, 0),
    ("重复公司", U(7), 500, 1000, 0, 0, 0),
    ("无坐标公司", None, None, None, 1, 0, 0),
    ("失权公司", U(9), 3500, 500, 0, 0, 0),
    ("区外公司", U(10), 9000, 9000, 0, 0, 0),
    ("补码公司", U(11), 1500, 1500, 0, 0, 0),
    ("东扩公司", U(12), 5000, 1000, 0, 0, 0),
]
HEADER = ["企业名称", "统一社会信用代码", "经度", "纬度", "有效发明专利", "有效注册商标", "作品著作权"]
TOML = '[district]\nname = "测试区"\n[enterprises]\ncrs = "WGS-84"\n'


def _rows(firms: list[Firm]) -> list[list[object]]:
    out = []
    for name, code, x, y, inv, tm, cr in firms:
        lon, lat = to_lonlat(x, y) if x is not None and y is not None else (None, None)
        out.append([name, code, lon, lat, inv, tm, cr])
    return out


def write_d1(root: Path) -> Path:
    root.mkdir(parents=True)
    three_towns().to_file(root / "镇街.gpkg")
    gpd.GeoDataFrame({"园区名称": ["A园", "B园"]}, geometry=[square(1500, 0, 2500, 1000), square(0, 2000, 2000, 4000)],
                     crs=METRIC).to_file(root / "园区.gpkg")
    write_csv(root / "企业.csv", HEADER, _rows(D1_FIRMS), "utf-8-sig")
    (root / "ipgrid.toml").write_text(TOML, encoding="utf-8")
    return root


def write_d2(root: Path) -> Path:
    root.mkdir(parents=True)
    towns = three_towns()
    ding = gpd.GeoDataFrame({"名称": ["丁镇"], "区划代码": ["320612102000"], "常住人口": [3000]},
                            geometry=[square(4000, 0, 6000, 2000)], crs=METRIC)
    pd.concat([towns, ding], ignore_index=True).to_crs(4326).to_file(root / "镇街.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"园区名称": ["A园", "C园"]},
                     geometry=[square(1500, 0, 2500, 1000), square(2000, 2000, 4000, 4000)],
                     crs=METRIC).to_file(root / "园区.gpkg")
    write_xlsx(root / "企业.xlsx", HEADER, _rows(D2_FIRMS))
    (root / "ipgrid.toml").write_text(TOML, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Engine]:
    base = tmp_path_factory.mktemp("versions")
    return Engine(load_folder(write_d1(base / "D1"))), Engine(load_folder(write_d2(base / "D2")))


@pytest.fixture(scope="module")
def town_diff(engines: tuple[Engine, Engine]) -> VersionDiff:
    return diff_engines(*engines)


def records(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_the_fixture_is_what_the_docstring_says(engines: tuple[Engine, Engine]) -> None:
    old, new = engines
    old_firms = old.firm_table().set_index("name")
    assert len(old_firms) == 11 and len(new.firm_table()) == 11  # the second 重复公司 row left out
    assert old_firms.loc["错码公司", "uscc"] == BAD  # kept, with a warning
    assert {"bad_uscc", "duplicate_uscc"} <= {p.code for p in old.problems}
    assert new.firm_table().set_index("name").loc["新名公司", "uscc"] == U(5)
    assert old_firms.loc["东扩公司", "town"] == "区外" and old_firms.loc["无坐标公司", "town"] == "未定位"
    codes = dict(zip(old.firm_table()["name"], old.placement.town, strict=True))
    assert codes["区外公司"] == OUTSIDE and codes["无坐标公司"] == UNLOCATED


def test_firm_lists(town_diff: VersionDiff) -> None:
    assert records(town_diff.added) == [(U(4), "新设公司", "乙镇")]
    assert records(town_diff.removed) == [(U(3), "关停公司", "乙镇")]
    assert records(town_diff.first_ip) == [(U(2), "培育公司", "甲镇")]
    assert records(town_diff.lost_ip) == [(U(9), "失权公司", "乙镇")]
    # in D2's order: 迁移公司 is its row 2, 东扩公司 its last
    assert records(town_diff.moved) == [(U(1), "迁移公司", "甲镇", "乙镇"), (U(12), "东扩公司", "区外", "丁镇")]
    for frame in (town_diff.added, town_diff.removed, town_diff.first_ip, town_diff.lost_ip):
        assert list(frame.columns) == ["uscc", "name", "town"]
    assert list(town_diff.moved.columns) == ["uscc", "name", "from", "to"]


def test_unchanged_fault_rows_are_no_change(town_diff: VersionDiff) -> None:
    """Renamed with the same code, a bad check digit, duplicates, 未定位, 区外 and a code filled in: nothing."""
    listed = set()
    for frame in (town_diff.added, town_diff.removed, town_diff.first_ip, town_diff.lost_ip, town_diff.moved):
        listed |= set(frame["name"])
    assert listed == {"新设公司", "关停公司", "培育公司", "失权公司", "迁移公司", "东扩公司"}


NAN = math.nan
TOWN_AREAS = [
    # name, (from, to, change) for enterprises, enterprises_with_ip, invention_patents, ip_coverage_rate
    ("甲镇", (4, 3, -1), (1, 1, 0), (1, 2, 1), (1 / 4, 1 / 3, 1 / 3 - 1 / 4)),
    ("乙镇", (2, 3, 1), (2, 1, -1), (2, 1, -1), (1.0, 1 / 3, 1 / 3 - 1)),
    ("丙街道", (2, 2, 0), (2, 2, 0), (3, 3, 0), (1.0, 1.0, 0.0)),
    ("丁镇", (NAN, 1, NAN), (NAN, 0, NAN), (NAN, 0, NAN), (NAN, 0.0, NAN)),  # only in D2
    ("区外", (2, 1, -1), (0, 0, 0), (0, 0, 0), (0.0, 0.0, 0.0)),
    ("未定位", (1, 1, 0), (1, 1, 0), (1, 1, 0), (1.0, 1.0, 0.0)),
]
PARK_AREAS = [
    ("A园", (1, 2, 1), (0, 1, 1), (0, 2, 2), (0.0, 0.5, 0.5)),
    ("C园", (NAN, 1, NAN), (NAN, 1, NAN), (NAN, 0, NAN), (NAN, 1.0, NAN)),  # only in D2
    ("B园", (1, NAN, NAN), (1, NAN, NAN), (3, NAN, NAN), (1.0, NAN, NAN)),  # only in D1: after D2's parks
]


def _expected_columns() -> list[str]:
    return ["id", "name", *(f"{m}_{s}" for m in DIFF_METRICS for s in ("from", "to", "change"))]


def _check_areas(table: pd.DataFrame, expected: list[tuple]) -> None:
    assert list(table.columns) == _expected_columns()
    assert table["name"].tolist() == [e[0] for e in expected]
    for (name, *figures), (_, row) in zip(expected, table.iterrows(), strict=True):
        for metric, triple in zip(DIFF_METRICS, figures, strict=True):
            got = [row[f"{metric}_{s}"] for s in ("from", "to", "change")]
            for want, value in zip(triple, got, strict=True):
                if math.isnan(want):
                    assert pd.isna(value), (name, metric)
                else:
                    assert value == pytest.approx(want), (name, metric)


def test_town_areas(town_diff: VersionDiff) -> None:
    _check_areas(town_diff.areas, TOWN_AREAS)
    ids = town_diff.areas["id"].tolist()
    assert ids == ["320612100000", "320612101000", "320612001000", "320612102000", "outside", "unlocated"]
    assert town_diff.areas["enterprises_to"].dtype == "Int64"  # counts stay whole numbers


def test_park_areas(engines: tuple[Engine, Engine]) -> None:
    diff = diff_engines(*engines, level="park")
    assert diff.level == "park"
    _check_areas(diff.areas, PARK_AREAS)
    assert diff.areas["id"].tolist() == ["A园", "C园", "B园"]  # parks without codes: id = name
    assert records(diff.added) == [(U(4), "新设公司", "乙镇")]  # firm lists do not depend on the level


def test_to_json_shape(town_diff: VersionDiff) -> None:
    data = town_diff.to_json()
    json.dumps(data, allow_nan=False, ensure_ascii=False)  # no NaN anywhere
    assert list(data) == ["level", "enterprises", "areas"]
    assert data["level"] == "town"
    assert data["enterprises"] == {
        "added": [U(4)], "removed": [U(3)], "first_ip": [U(2)], "lost_ip": [U(9)],
        "moved": [{"uscc": U(1), "from": "甲镇", "to": "乙镇"}, {"uscc": U(12), "from": "区外", "to": "丁镇"}],
    }
    areas = data["areas"]
    assert isinstance(areas, list) and len(areas) == 6
    assert all(list(a) == _expected_columns() for a in areas)
    assert areas[2] == {"id": "320612001000", "name": "丙街道",
                        "enterprises_from": 2, "enterprises_to": 2, "enterprises_change": 0,
                        "enterprises_with_ip_from": 2, "enterprises_with_ip_to": 2, "enterprises_with_ip_change": 0,
                        "invention_patents_from": 3, "invention_patents_to": 3, "invention_patents_change": 0,
                        "ip_coverage_rate_from": 1.0, "ip_coverage_rate_to": 1.0, "ip_coverage_rate_change": 0.0}
    assert type(areas[2]["enterprises_from"]) is int
    ding = areas[3]
    assert ding["name"] == "丁镇" and ding["enterprises_from"] is None and ding["enterprises_change"] is None
    assert ding["enterprises_to"] == 1 and ding["ip_coverage_rate_from"] is None


def test_no_change_between_equal_versions(engines: tuple[Engine, Engine]) -> None:
    old, _ = engines
    diff = diff_engines(old, old, level="park")
    assert all(len(f) == 0 for f in (diff.added, diff.removed, diff.first_ip, diff.lost_ip, diff.moved))
    assert (diff.areas["enterprises_change"] == 0).all()
    assert diff.to_json()["enterprises"] == {"added": [], "removed": [], "first_ip": [], "lost_ip": [], "moved": []}


@pytest.mark.parametrize("level", ["district", "镇街", ""])
def test_unknown_level_is_refused(engines: tuple[Engine, Engine], level: str) -> None:
    with pytest.raises(ChoiceError, match=f"对比的层级应为 .*而不是 '{level}'"):
        diff_engines(*engines, level=level)


# --------------------------------------------------------------------------- identity


def test_firm_keys() -> None:
    firms = pd.DataFrame({"name": ["甲 公司", "乙（集团）有限责任公司", "丙公司"], "uscc": ["９１ab ", None, ""]})
    assert firm_keys(firms).tolist() == ["uscc:91AB", "name:乙集团有限公司", "name:丙公司"]


def test_pairing_takes_the_kth_occurrence() -> None:
    """Old [A, A, B], new [A, B, A, A, None]: the two A pair in turn, the third new A and None stay alone."""
    old_pos, new_pos = _pair(pd.Series(["A", "A", "B"]), pd.Series(["A", "B", "A", "A", None]))
    assert list(zip(old_pos.tolist(), new_pos.tolist(), strict=True)) == [(0, 0), (2, 1), (1, 2)]


def test_codes_filled_in_or_corrected_match_by_name_different_codes_do_not(tmp_path: Path) -> None:
    """D1: 甲 (bad check digit), 乙 U20, 无码 (no code).  D2: 甲 with the code corrected, 乙 with another
    valid code U21, 无码新 (no code); 失联 U40 located in D1, 未定位 in D2.  甲 is the same firm (and moved);
    乙 is two firms (one closed, one new); 失联 did not move; firms without a code are listed by name in JSON."""
    def folder(root: Path, firms: list[Firm]) -> Engine:
        root.mkdir()
        three_towns().to_file(root / "镇街.gpkg")
        write_csv(root / "企业.csv", HEADER, _rows(firms), "utf-8-sig")
        (root / "ipgrid.toml").write_text(TOML, encoding="utf-8")
        return Engine(load_folder(root))

    bad20 = U(30)[:-1] + ("0" if U(30)[-1] != "0" else "1")
    old = folder(tmp_path / "D1", [("甲公司", bad20, 500, 500, 0, 0, 0), ("乙公司", U(20), 2500, 500, 0, 0, 0),
                                   ("无码公司", None, 500, 2500, 0, 0, 0), ("失联公司", U(40), 500, 500, 0, 0, 0)])
    new = folder(tmp_path / "D2", [("甲公司", U(30), 2500, 1500, 1, 0, 0), ("乙公司", U(21), 2500, 500, 0, 0, 0),
                                   ("无码新公司", None, 500, 2500, 0, 0, 0), ("失联公司", U(40), None, None, 0, 0, 0)])
    diff = diff_engines(old, new)
    assert records(diff.added) == [(U(21), "乙公司", "乙镇"), ("", "无码新公司", "丙街道")]
    assert records(diff.removed) == [(U(20), "乙公司", "乙镇"), ("", "无码公司", "丙街道")]
    assert records(diff.first_ip) == [(U(30), "甲公司", "乙镇")]
    assert records(diff.moved) == [(U(30), "甲公司", "甲镇", "乙镇")]
    enterprises = diff.to_json()["enterprises"]
    assert isinstance(enterprises, dict)
    assert enterprises["added"] == [U(21), "无码新公司"] and enterprises["removed"] == [U(20), "无码公司"]


def test_moved_firm_is_a_plain_record() -> None:
    firm = MovedFirm(uscc=U(1), name="迁移公司", from_town="甲镇", to_town="乙镇")
    assert (firm.from_town, firm.to_town) == ("甲镇", "乙镇")
    with pytest.raises(dataclasses.FrozenInstanceError):
        firm.name = "x"  # type: ignore[misc]
