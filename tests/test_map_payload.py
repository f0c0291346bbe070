"""Maps rendered once (:func:`dashboard.maps.render.map_payload`) send what ``st_folium`` sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
import pytest
import streamlit_folium as sf

from dashboard.engine import Engine
from dashboard.maps import show_map
from dashboard.maps.render import map_payload, prepare_map
from dashboard.maps.views import LAYERS, add_firms, add_outline, add_service_points, level_map, new_map
from geodata import DEMO_DIR
from loaders import load_folder


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_folder(DEMO_DIR))


def _captured(monkeypatch: pytest.MonkeyPatch, call: Callable[[], object]) -> dict[str, Any]:
    """The keyword arguments streamlit-folium's component receives during ``call()``."""
    seen: dict[str, Any] = {}

    def fake(**kwargs: Any) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(sf, "_component_func", fake)
    call()
    return seen


def _grid_map(engine: Engine) -> folium.Map:
    fmap, shift = new_map(demo=True)
    ids = [str(i) for i in engine.areas("grid")["id"].head(3)]
    add_outline(fmap, engine, "grid", shift=shift, ids=ids, interactive=True)
    add_service_points(fmap, engine, shift=shift)
    add_firms(fmap, engine.firm_table().head(300), shift=shift, emphasise_without_ip=True, src=engine)
    return fmap


MAPS: dict[str, Callable[[Engine], folium.Map]] = {
    "overview": lambda e: level_map(e, "town", "ip_coverage_rate", "quantiles", 4, tuple(LAYERS), demo=True),
    "grid": _grid_map,
}


@pytest.mark.parametrize("name", list(MAPS))
@pytest.mark.parametrize("returned", [(), ("last_active_drawing",)])
def test_payload_sends_what_st_folium_sends(monkeypatch: pytest.MonkeyPatch, engine: Engine, name: str,
                                            returned: tuple[str, ...]) -> None:
    build = MAPS[name]
    theirs = _captured(monkeypatch, lambda: sf.st_folium(build(engine), key="k", height=400,
                                                       use_container_width=True, returned_objects=list(returned)))
    ours = _captured(monkeypatch, lambda: show_map(prepare_map(build(engine)), key="k", height=400,
                                                   returned_objects=returned))
    assert set(ours) == set(theirs)
    for arg in sorted(set(theirs) - {"on_change", "id"}):  # the map's element id is random per build
        assert ours[arg] == theirs[arg], arg
    assert ours["id"].startswith("map_")


def test_equal_inputs_build_once(engine: Engine) -> None:
    calls = []

    def build() -> folium.Map:
        calls.append(1)
        return MAPS["overview"](engine)

    first = map_payload(engine, ("test", 1), build)
    assert map_payload(engine, ("test", 1), build) is first
    assert len(calls) == 1
    assert map_payload(engine, ("test", 2), build) is not first
    assert first.component_key("a") == sf.generate_js_hash(first.script, "a", False) != first.component_key("b")
