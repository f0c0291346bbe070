"""Indicators against targets: progress, trend and on-track worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.engine.targets import target_progress


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
