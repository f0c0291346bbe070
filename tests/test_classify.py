"""Choropleth classes: one module for the app, the big screen and the exports."""

from __future__ import annotations

import mapclassify
import numpy as np
import pytest

from dashboard.classify import classify, jenks_breaks, legend_labels


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_jenks_equals_mapclassify_fisher_jenks(seed: int) -> None:
    values = np.random.default_rng(seed).lognormal(3, 1, 120)
    expected = mapclassify.FisherJenks(values, k=5).bins
    assert np.allclose(jenks_breaks(values, 5), expected)


def test_natural_breaks_are_deterministic_and_cover_the_maximum() -> None:
    values = np.random.default_rng(7).lognormal(3, 1, 5000)
    first, second = classify(values, "natural_breaks", 5), classify(values, "natural_breaks", 5)
    assert first.bins == second.bins and first.bins[-1] == values.max()
    assert (first.yb >= 0).all() and (first.yb <= 4).all()


def test_nulls_and_few_values() -> None:
    c = classify(np.array([5, 5, 7, np.nan]), "quantiles", 5)
    assert c.bins == (5.0, 7.0) and c.yb.tolist() == [0, 0, 1, -1]
    assert legend_labels(c, "件") == ["5 件", "7 件"]


def test_hand_worked_classes_and_labels() -> None:
    c = classify(np.array([1, 2, 3, 10, 11, 12, 50, 51]), "natural_breaks", 3)
    assert c.bins == (3.0, 12.0, 51.0) and c.yb.tolist() == [0, 0, 0, 1, 1, 1, 2, 2]
    assert legend_labels(c, "家") == ["1 – 3 家", "3 – 12 家", "12 – 51 家"]
    assert legend_labels(classify(np.array([0.1, 0.2, 0.5, 0.7, 0.9]), "equal_interval", 2),
                         percent=True) == ["10.0% – 50.0%", "50.0% – 90.0%"]


def test_unknown_scheme() -> None:
    with pytest.raises(ValueError, match="分级方法应为"):
        classify(np.array([1.0]), "jenks")
