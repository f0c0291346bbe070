"""Indicators against targets: progress, trend and the one status (达标 … 无数据) worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.engine.targets import STATUS_TONES, TARGET_COLUMNS, TargetStatus, status_text, target_progress


def indicators(rows: list[tuple[int, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"year": y, "key": k, "label": k, "unit": "件", "value": v, "kind": kind}
                         for y, k, v, kind in rows])


def test_progress_trend_and_on_track() -> None:
    table = target_progress(indicators([
        (2021, "a", 10, "actual"), (2022, "a", 12, "actual"), (2023, "a", 14, "actual"),
        (2025, "a", 18, "target"),
        (2022, "b", 5, "actual"), (2023, "b", 5.5, "actual"), (2025, "b", 8, "target"),
    ]), bottom_up={"a": 13.5}).set_index("key")
    a, b = table.loc["a"], table.loc["b"]
    assert a["progress"] == pytest.approx(14 / 18)
    assert a["slope_per_year"] == pytest.approx(2.0)
    assert a["projected"] == pytest.approx(18.0)  # 14 + 2 × 2 years reaches the target
    assert a["on_track"] is True or a["on_track"] == True  # noqa: E712
    assert a["trend"] == [(2021, 10.0), (2022, 12.0), (2023, 14.0)]
    assert a["bottom_up"] == 13.5
    assert b["projected"] == pytest.approx(6.5)  # 5.5 + 0.5 × 2 falls short of 8
    assert not b["on_track"]
    assert math.isnan(b["bottom_up"])


def test_one_year_has_no_trend_and_no_flag() -> None:
    table = target_progress(indicators([(2024, "c", 3, "actual"), (2025, "c", 6, "target")]))
    row = table.iloc[0]
    assert row["progress"] == pytest.approx(0.5)
    assert math.isnan(row["slope_per_year"]) and row["on_track"] is None


def test_target_year_reached_uses_the_actual_value() -> None:
    table = target_progress(indicators([(2024, "d", 19, "actual"), (2025, "d", 21, "actual"),
                                        (2025, "d", 20, "target")]))
    assert bool(table.iloc[0]["on_track"]) and table.iloc[0]["progress"] == pytest.approx(21 / 20)


def test_no_indicators() -> None:
    assert len(target_progress(None)) == 0


# --------------------------------------------------------------------------- one status


@pytest.mark.parametrize(("rows", "status", "gap"), [
    # the target year has come: the latest value decides, whatever the trend
    ([(2024, 19, "actual"), (2025, 21, "actual"), (2025, 20, "target")], "达标", math.nan),
    ([(2023, 10, "actual"), (2024, 13, "actual"), (2025, 15.2, "actual"), (2025, 16, "target")], "未达标", 0.8),
    ([(2026, 12, "actual"), (2025, 18, "target")], "未达标", 6.0),  # one year, after the target year
    ([(2024, 30, "actual"), (2025, 20, "actual"), (2025, 20, "target")], "达标", math.nan),  # falling, still 20
    # before the target year: the trend decides (14 + 2 × 2 = 18 reaches 18; 5.5 + 0.5 × 2 = 6.5 < 8)
    ([(2021, 10, "actual"), (2022, 12, "actual"), (2023, 14, "actual"), (2025, 18, "target")], "按趋势可达标",
     math.nan),
    ([(2022, 5, "actual"), (2023, 5.5, "actual"), (2025, 8, "target")], "按趋势难以达标", math.nan),
    # above the target early but falling below it by the target year: not 达标 yet
    ([(2022, 30, "actual"), (2023, 22, "actual"), (2025, 20, "target")], "按趋势难以达标", math.nan),
    # 无数据: one year before the target year, no target, no actual value
    ([(2024, 3, "actual"), (2025, 6, "target")], "无数据", math.nan),
    ([(2023, 3, "actual"), (2024, 4, "actual")], "无数据", math.nan),
    ([(2025, 6, "target")], "无数据", math.nan),
], ids=["reached", "missed-by-0.8", "missed-one-year", "reached-falling", "on-track", "off-track",
        "early-above-falling", "one-year", "no-target", "no-actual"])
def test_status_and_gap(rows: list[tuple[int, float, str]], status: str, gap: float) -> None:
    row = target_progress(indicators([(y, "x", v, kind) for y, v, kind in rows])).iloc[0]
    assert row["status"] == status
    assert (math.isnan(row["gap"]) and math.isnan(gap)) or row["gap"] == gap  # 16 − 15.2 is written 0.8


def test_missed_target_year_is_not_a_trend() -> None:
    """2025 is the target year and 15.2 < 16: 未达标, not 按趋势难以达标 (the bug of the 指标 page)."""
    table = target_progress(indicators([(2023, "s", 13.5, "actual"), (2024, "s", 14.4, "actual"),
                                        (2025, "s", 15.2, "actual"), (2025, "s", 16, "target")]))
    row = table.iloc[0]
    assert (row["status"], row["gap"], row["tone"], row["on_track"]) == ("未达标", 0.8, "bad", False)


def test_a_rounding_error_below_the_target_reaches_it() -> None:
    # 200,000 万元 → 亿元 can land a hair under 20; that is 20
    table = target_progress(indicators([(2025, "p", 20 - 4e-15, "actual"), (2025, "p", 20, "target")]))
    assert table.iloc[0]["status"] == TargetStatus.REACHED


def test_tone_and_on_track_follow_the_status() -> None:
    table = target_progress(indicators([
        (2025, "a", 21, "actual"), (2025, "a", 20, "target"),
        (2025, "b", 19, "actual"), (2025, "b", 20, "target"),
        (2023, "c", 1, "actual"), (2024, "c", 2, "actual"), (2025, "c", 3, "target"),
        (2023, "d", 1, "actual"), (2024, "d", 1, "actual"), (2025, "d", 3, "target"),
        (2024, "e", 1, "actual"), (2025, "e", 3, "target"),
    ]))
    assert list(table["status"]) == ["达标", "未达标", "按趋势可达标", "按趋势难以达标", "无数据"]
    assert list(table["tone"]) == [STATUS_TONES[TargetStatus(s)] for s in table["status"]]
    assert list(table["tone"]) == ["good", "bad", "good", "bad", "none"]
    assert list(table["on_track"]) == [True, False, True, False, None]
    assert set(TARGET_COLUMNS) <= set(table.columns)


def test_status_labels_are_the_five() -> None:
    assert [s.value for s in TargetStatus] == ["达标", "未达标", "按趋势可达标", "按趋势难以达标", "无数据"]
    assert set(STATUS_TONES) == set(TargetStatus)
    assert status_text(TargetStatus.MISSED, 0.8, "%") == "未达标（差 0.8 个百分点）"
    assert status_text("未达标", 3.3, "件") == "未达标（差 3.3 件）"
    assert status_text("达标", math.nan, "件") == "达标"
