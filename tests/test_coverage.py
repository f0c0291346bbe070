"""Nearest service point, reach with per-type radii, coverage by area and greedy site suggestions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.engine import coverage
from dashboard.engine.coverage import (
    SITE_COLUMNS,
    nearest_service,
    reach,
    service_radii,
    suggest_sites,
)
from loaders.config import DEFAULT_SERVICE_RADIUS_M, FALLBACK_SERVICE_RADIUS_M, FolderConfig

NAN = float("nan")

# two service points; firms placed on 3-4-5 and 6-8-10 triangles around them
POINTS = np.array([[0.0, 0.0], [100.0, 0.0]])


# --------------------------------------------------------------------------- nearest


def test_nearest_service_by_hand():
    firms = np.array([[3.0, 4.0], [97.0, -4.0], [6.0, 8.0], [NAN, NAN], [160.0, 0.0], [106.0, 8.0]])
    index, distance = nearest_service(firms, POINTS)
    assert index.tolist() == [0, 1, 0, -1, 1, 1]
    assert distance[[0, 1, 2, 4, 5]].tolist() == [5.0, 5.0, 10.0, 60.0, 10.0]
    assert math.isnan(distance[3])


def test_nearest_ignores_unlocated_points_and_keeps_their_rows():
    index, distance = nearest_service([[3.0, 4.0]], [[NAN, NAN], [0.0, 0.0]])
    assert index.tolist() == [1] and distance.tolist() == [5.0]


def test_nearest_without_points():
    index, distance = nearest_service([[1.0, 1.0], [2.0, 2.0]], np.zeros((0, 2)))
    assert index.tolist() == [-1, -1] and np.isnan(distance).all()


def test_nearest_rejects_bad_shape():
    with pytest.raises(ValueError, match="firm_xy"):
        nearest_service(np.zeros((3, 3)), POINTS)


# --------------------------------------------------------------------------- reach


def test_reach_two_radii():
    radii = np.array([5.0, 10.0])
    firms = np.array([
        [3.0, 4.0],      # 5 m from point 0, radius 5: on the circle → covered
        [0.0, 6.0],      # 6 m from point 0 (radius 5), 94+ m from point 1 → not
        [6.0, 8.0],      # 10 m from point 0, but point 0 only reaches 5 m → not
        [106.0, 8.0],    # 10 m from point 1, radius 10 → covered
        [100.0, 10.01],  # just beyond point 1 → not
        [NAN, NAN],      # unlocated → never
    ])
    assert reach(firms, POINTS, radii).tolist() == [True, False, False, True, False, False]
    # swap the radii: now point 0 reaches 10 m and point 1 only 5 m
    assert reach(firms, POINTS, radii[::-1]).tolist() == [True, True, True, False, False, False]


def test_reach_matches_brute_force():
    rng = np.random.default_rng(7)
    firms = rng.uniform(0, 20_000, size=(3000, 2))
    points = rng.uniform(0, 20_000, size=(40, 2))
    radii = rng.choice([1000.0, 1500.0, 3000.0], size=40)
    d = np.hypot(firms[:, None, 0] - points[None, :, 0], firms[:, None, 1] - points[None, :, 1])
    expected = (d <= radii[None, :]).any(axis=1)
    assert (reach(firms, points, radii) == expected).all()


def test_reach_without_points():
    assert reach([[0.0, 0.0]], np.zeros((0, 2)), np.zeros(0)).tolist() == [False]


@pytest.mark.parametrize(("radii", "match"), [([5.0], "radii_m"), ([5.0, -1.0], "服务半径"), ([5.0, NAN], "服务半径")])
def test_reach_rejects_bad_radii(radii, match):
    with pytest.raises(ValueError, match=match):
        reach([[0.0, 0.0]], POINTS, np.array(radii))


def test_service_radii_from_config_not_copied():
    points = pd.DataFrame({"type": ["快速维权中心", "未知类型", "基层知识产权工作站", None],
                           "radius_m": [NAN, NAN, 1500.0, 0.0]})
    assert service_radii(points).tolist() == [DEFAULT_SERVICE_RADIUS_M["快速维权中心"], FALLBACK_SERVICE_RADIUS_M,
                                              1500.0, FALLBACK_SERVICE_RADIUS_M]
    cfg = FolderConfig(service_radius_m={"快速维权中心": 8000.0})
    assert service_radii(points.drop(columns="radius_m"), cfg)[0] == 8000.0


# --------------------------------------------------------------------------- site suggestions

FIRMS = np.array([
    [0.0, 0.0], [3.0, 4.0], [-3.0, -4.0],  # cluster A: 3 firms within 5 m of (0, 0)
    [100.0, 0.0], [106.0, 8.0],            # cluster B: 2 firms within 10 m of (100, 0)
    [300.0, 0.0],                          # a lone firm
])
CANDIDATES = np.array([
    [0.0, 0.0],    # 0: reaches A (3)
    [100.0, 0.0],  # 1: reaches B (2; (106, 8) exactly on the circle)
    [50.0, 0.0],   # 2: reaches nobody
    [3.0, 0.0],    # 3: also reaches all of A (3) — ties with 0, loses on index
    [300.0, 0.0],  # 4: reaches the lone firm
])


def test_suggest_sites_obvious_greedy():
    out = suggest_sites(FIRMS, CANDIDATES, 10.0, 5)
    assert list(out.columns) == SITE_COLUMNS
    assert out["rank"].tolist() == [1, 2, 3]  # then nothing is left to reach: stop early
    assert out["candidate"].tolist() == [0, 1, 4]
    assert out["gain"].tolist() == [3, 2, 1]
    assert out["cumulative"].tolist() == [3, 5, 6]
    assert np.allclose(out["cumulative_share"], [0.5, 5 / 6, 1.0])
    assert out[["x", "y"]].to_numpy().tolist() == [[0.0, 0.0], [100.0, 0.0], [300.0, 0.0]]


def test_suggest_sites_weighted():
    weights = np.array([1.0, 1.0, 1.0, 10.0, 0.0, 2.0])
    out = suggest_sites(FIRMS, CANDIDATES, 10.0, 2, weights=weights)
    assert out["candidate"].tolist() == [1, 0]
    assert out["gain"].tolist() == [10.0, 3.0]
    assert out["cumulative"].tolist() == [10.0, 13.0]
    assert math.isclose(out["cumulative_share"].iloc[-1], 13 / 15)


def test_suggest_sites_skips_unlocated_rows_but_keeps_indices():
    firms = np.vstack([FIRMS, [[NAN, NAN]]])
    cands = np.vstack([[[NAN, NAN]], CANDIDATES])
    out = suggest_sites(firms, cands, 10.0, 1)
    assert out["candidate"].tolist() == [1] and out["gain"].tolist() == [3]


@pytest.mark.parametrize(("k", "firms"), [(0, FIRMS), (3, np.zeros((0, 2)))])
def test_suggest_sites_empty(k, firms):
    out = suggest_sites(firms, CANDIDATES, 10.0, k)
    assert out.empty and list(out.columns) == SITE_COLUMNS


def _brute_greedy(firms, cands, radius, k, w):
    reach_m = np.hypot(cands[:, None, 0] - firms[None, :, 0], cands[:, None, 1] - firms[None, :, 1]) <= radius
    left = np.ones(len(firms), dtype=bool)
    picks = []
    for _ in range(k):
        gains = (reach_m & left[None, :]) @ w
        c = int(np.argmax(gains))
        if gains[c] <= 0:
            break
        picks.append((c, gains[c]))
        left &= ~reach_m[c]
    return picks


@pytest.mark.parametrize("budget", [coverage.PAIR_BUDGET, 50])
def test_suggest_sites_matches_brute_force(budget, monkeypatch):
    monkeypatch.setattr(coverage, "PAIR_BUDGET", budget)  # 50: many small chunks
    rng = np.random.default_rng(11)
    firms = rng.uniform(0, 5000, size=(600, 2))
    cands = rng.uniform(0, 5000, size=(150, 2))
    w = rng.integers(1, 5, size=600).astype(float)
    out = suggest_sites(firms, cands, 600.0, 8, weights=w)
    expected = _brute_greedy(firms, cands, 600.0, 8, w)
    assert out["candidate"].tolist() == [c for c, _ in expected]
    assert np.allclose(out["gain"], [g for _, g in expected])


def test_suggest_sites_one_pair_at_a_time_same_answer(monkeypatch):
    monkeypatch.setattr(coverage, "PAIR_BUDGET", 1)
    out = suggest_sites(FIRMS, CANDIDATES, 10.0, 5)
    assert out["candidate"].tolist() == [0, 1, 4] and out["gain"].tolist() == [3, 2, 1]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"radius_m": 0.0}, "radius_m"),
    ({"k": -1}, "k"),
    ({"k": 2.5}, "k"),
    ({"weights": np.ones(2)}, "weights"),
    ({"weights": -np.ones(6)}, "weights"),
])
def test_suggest_sites_rejects(kwargs, match):
    args = {"radius_m": 10.0, "k": 2, "weights": None} | kwargs
    with pytest.raises(ValueError, match=match):
        suggest_sites(FIRMS, CANDIDATES, args["radius_m"], args["k"], weights=args["weights"])
