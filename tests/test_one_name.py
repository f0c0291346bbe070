"""One name, one rank, one status: the app, the big screen, the exports, the Excel files and the CLI agree.

Each surface is asked for what it really shows (the map layer's JSON, the kiosk document, the export view and
its rendered legend, the workbook's header row, the CLI's output) and compared with the catalog and the engine.
"""

from __future__ import annotations

import io
import json

import folium
import numpy as np
import openpyxl
import pandas as pd
import pytest

from dashboard.bigscreen.payload import build_payload, target_cards
from dashboard.bigscreen.settings import PARK_METRIC, SERVICE_METRIC
from dashboard.classify import DEFAULT_K, DEFAULT_SCHEME, legend_labels
from dashboard.cli import main
from dashboard.engine import Engine
from dashboard.engine.catalog import MAPPABLE_METRICS, column_label, metric_title, value_text
from dashboard.engine.targets import TargetStatus
from dashboard.exports.atlas import rank_text
from dashboard.exports.static_map import render
from dashboard.exports.view import map_view
from dashboard.maps.views import add_choropleth, classes_for
from dashboard.ui.tables import present, to_xlsx
from geodata import DEMO_DIR
from loaders import load_folder


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_folder(DEMO_DIR))


@pytest.fixture(scope="module")
def kiosk(engine: Engine) -> dict[str, dict]:
    """The kiosk document for every metric (built once per metric)."""
    return {m: build_payload(engine, m, PARK_METRIC, SERVICE_METRIC) for m in MAPPABLE_METRICS}


def app_layer(engine: Engine, metric: str) -> tuple[dict, dict]:
    """What the app's choropleth sends to the browser: (area layer data, legend data)."""
    fmap = folium.Map(tiles=None)
    add_choropleth(fmap, engine, "town", metric, DEFAULT_SCHEME, DEFAULT_K)
    layers = [child for child in fmap._children.values() if hasattr(child, "data_json")]
    area = next(json.loads(c.data_json) for c in layers if type(c).__name__ == "AreaLayer")
    legend = next(json.loads(c.data_json) for c in layers if type(c).__name__ == "Legend")
    return area, legend


@pytest.mark.parametrize("metric", MAPPABLE_METRICS)
def test_every_surface_names_and_writes_a_metric_alike(engine: Engine, kiosk: dict[str, dict], metric: str) -> None:
    title = metric_title(metric)
    towns = engine.choropleth("town")
    # the app: map legend, tooltip values, table heading
    area, legend = app_layer(engine, metric)
    assert legend["title"] == title
    app_values = [p["t"][1] for p in area["props"]]
    assert app_values == [value_text(metric, v) for v in towns[metric]]
    table, _ = present(engine.stats("town"), ["name", metric])
    assert list(table.columns) == ["名称", title]
    # the Excel file: the header row as written
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx({"镇街": table}))).worksheets[0]
    assert [c.value for c in sheet[1]] == ["名称", title]
    # the big screen: legend title and each town's value
    doc = kiosk[metric]["towns"]
    assert doc["legend_title"] == title
    assert [f["value"] for f in doc["features"]] == app_values
    # the PNG/PDF/SVG export: legend title, class labels and value labels
    view = map_view(engine, "town", metric=metric)
    assert view.legend_title == title
    assert [view.value_text(v) for v in towns[metric]] == app_values
    classes, _ = classes_for(engine, "town", metric, DEFAULT_SCHEME, DEFAULT_K)
    app_classes = [entry[1] for entry in legend["entries"]][: classes.k]
    assert view.legend == app_classes == [e["label"] for e in doc["legend"]][: classes.k]
    assert app_classes == legend_labels(view.classes, view.metric.unit, percent=view.metric.unit == "%",
                                        decimals=view.metric.decimals if view.metric.unit == "%" else None)


@pytest.mark.parametrize("metric", ["enterprises", "ip_coverage_rate", "pledge_amount_wan"])
def test_the_rendered_export_legend_is_the_apps(engine: Engine, metric: str) -> None:
    view = map_view(engine, "town", metric=metric)
    _, info = render(view, "a4")
    _, legend = app_layer(engine, metric)
    assert info.class_labels == [entry[1] for entry in legend["entries"]][: view.classes.k]


def test_cli_table_headings_are_the_catalogs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(DEMO_DIR), "--level", "town"]) == 0
    header = capsys.readouterr().out.splitlines()[1]
    for key in ("enterprises", "ip_coverage_rate", "pledge_amount_wan", "high_value_per_10k_pop"):
        assert column_label(key) in header


# --------------------------------------------------------------------------- one rank


def test_ties_share_a_place_everywhere(engine: Engine, kiosk: dict[str, dict]) -> None:
    """gi_count has many equal values among the demo towns: every surface gives equal values one place."""
    metric = "gi_count"
    towns = engine.choropleth("town")
    values = pd.to_numeric(towns[metric]).to_numpy(dtype=float)
    assert len(set(values)) < len(values), "the demo should have tied towns for this test"
    # worked out from the values: 1 + how many towns have more
    expected = [int((values > v).sum()) + 1 for v in values]
    ranking = engine.ranking("town", metric).sort_values("pos")
    assert ranking["rank"].tolist() == expected
    # overview / area page
    assert [engine.rank_of("town", metric, i)[0] for i in towns["id"]] == expected
    # kiosk
    assert [f["rank"] for f in kiosk[metric]["towns"]["features"]] == expected
    # atlas
    assert [rank_text(engine, "town", metric, pos) for pos in range(len(towns))] == \
        [f"{r} / {len(towns)}" for r in expected]


def test_areas_without_a_value_are_not_ranked_anywhere(engine: Engine, kiosk: dict[str, dict]) -> None:
    """Per-resident figures of towns without population are null: no rank, and not counted in "of"."""
    metric = "high_value_per_10k_pop"
    towns = engine.choropleth("town")
    values = pd.to_numeric(towns[metric]).to_numpy(dtype=float)
    missing = ~np.isfinite(values)
    assert missing.any() and (~missing).sum() >= 2, "the demo should have towns with and without the figure"
    ranking = engine.ranking("town", metric)
    assert ranking["of"].iloc[0] == (~missing).sum()
    assert ranking["rank"].isna().tolist()[-int(missing.sum()):] == [True] * int(missing.sum())  # listed last
    for pos in np.flatnonzero(missing):
        assert engine.rank_at("town", metric, int(pos)) == (None, int((~missing).sum()))
        assert rank_text(engine, "town", metric, int(pos)) == "—"
        assert kiosk[metric]["towns"]["features"][pos]["rank"] is None
        assert kiosk[metric]["towns"]["features"][pos]["place"] == "无排名"


# --------------------------------------------------------------------------- one status


def test_one_target_status_for_the_page_the_kiosk_and_the_cli(engine: Engine,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    targets = engine.targets()
    statuses = dict(zip(targets["key"], targets["status"], strict=True))
    assert set(statuses.values()) <= {s.value for s in TargetStatus}
    for card in target_cards(targets):
        if card["key"] in statuses:
            assert card["status"] == statuses[card["key"]]
    assert main(["targets", str(DEMO_DIR), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["indicator"]: r["status"] for r in records} == statuses
