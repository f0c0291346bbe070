"""Offline maps: vendored Leaflet files, no external URL in a rendered map, escaped text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import branca.colormap
import folium
import folium.plugins
import geopandas as gpd
import pytest
import shapely

from dashboard.maps import (
    DEMO_LABEL,
    ExternalAssetError,
    add_demo_label,
    asset_url,
    ensure_vendor_assets,
    localize,
    make_map,
    map_html,
)
from dashboard.maps.assets import VENDOR_PACKAGES

XSS_NAME = "<img src=x onerror=alert(1)>"

# URLs in src/href attributes, CSS @import and url(...)
URL_PATTERNS = [
    re.compile(r"""<[a-z][^<>]*?\b(?:src|href)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE),
    re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", re.IGNORECASE),
    re.compile(r"""url\(\s*["']?([^"')\s]+)""", re.IGNORECASE),
]
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def referenced_urls(html: str) -> list[str]:
    return [m.group(1) for pattern in URL_PATTERNS for m in pattern.finditer(html)]


def external_urls(html: str) -> list[str]:
    return [u for u in referenced_urls(html) if EXTERNAL.match(u)]


@pytest.fixture
def towns() -> gpd.GeoDataFrame:
    squares = [shapely.box(120.8 + 0.1 * i, 32.0, 120.9 + 0.1 * i, 32.1) for i in range(3)]
    return gpd.GeoDataFrame(
        {
            "name": ["金沙街道", XSS_NAME, "二甲镇"],
            "code": ["320612001000", None, "320612101000"],
            "kind": ["街道", "镇", "镇"],
            "population": [123456.0, float("nan"), 45678.0],
            "source_row": [1, 2, 3],
        },
        geometry=squares,
        crs="EPSG:4326",
    )


@pytest.fixture
def full_map(towns: gpd.GeoDataFrame) -> folium.Map:
    """Towns (GeoJSON with tooltip + popup), a marker cluster with popups and tooltips, the demo label."""
    fmap = make_map()
    folium.GeoJson(towns[["code", "geometry"]].to_json(), tooltip=folium.GeoJsonTooltip(["code"]),
                   popup=folium.GeoJsonPopup(["code"])).add_to(fmap)
    cluster = folium.plugins.MarkerCluster(name="企业").add_to(fmap)
    for i in range(5):
        folium.CircleMarker(
            [32.05, 120.85 + 0.05 * i],
            radius=5,
            tooltip=f"企业 {i}",
            popup=folium.Popup(f"第 {i} 家", max_width=200),
        ).add_to(cluster)
    add_demo_label(fmap)
    return fmap


# --------------------------------------------------------------------------- vendored files


def test_ensure_vendor_assets_copies_once(tmp_path: Path) -> None:
    written = ensure_vendor_assets(tmp_path)
    vendor = tmp_path / "vendor"
    for rel in (
        "leaflet/leaflet.js",
        "leaflet/leaflet.css",
        "leaflet/images/layers.png",
        "leaflet.markercluster/leaflet.markercluster.js",
        "leaflet.markercluster/MarkerCluster.css",
        "leaflet.markercluster/MarkerCluster.Default.css",
        "jquery/jquery.min.js",
    ):
        assert (vendor / rel).is_file(), rel
        assert vendor / rel in written
    assert ensure_vendor_assets(tmp_path) == []


def test_ensure_vendor_assets_replaces_outdated_and_missing(tmp_path: Path) -> None:
    ensure_vendor_assets(tmp_path)
    stale = tmp_path / "vendor" / "leaflet" / "leaflet.js"
    stale.write_text("// an older Leaflet")
    gone = tmp_path / "vendor" / "jquery" / "jquery.min.js"
    gone.unlink()
    assert sorted(ensure_vendor_assets(tmp_path)) == sorted([stale, gone])
    source = VENDOR_PACKAGES["leaflet"].source / "leaflet.js"
    assert stale.read_bytes() == source.read_bytes()
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("package", "file", "expected"),
    [
        ("leaflet", "leaflet.js", "/app/static/vendor/leaflet/leaflet.js?v="),
        ("jquery", "jquery.min.js", "/app/static/vendor/jquery/jquery.min.js?v="),
        ("markercluster", "MarkerCluster.css",
         "/app/static/vendor/leaflet.markercluster/MarkerCluster.css?v="),
    ],
)
def test_asset_url(package: str, file: str, expected: str) -> None:
    assert asset_url(package, file).startswith(expected)


def test_asset_url_unknown_package() -> None:
    with pytest.raises(KeyError, match="unknown vendored package 'leafletjs'"):
        asset_url("leafletjs", "leaflet.js")


# --------------------------------------------------------------------------- no external URL


def test_make_map_has_no_tiles_and_only_local_links() -> None:
    fmap = make_map()
    assert not any(isinstance(c, folium.TileLayer) for c in fmap._children.values())
    links = [url for _, url in [*fmap.default_js, *fmap.default_css]]
    assert links and all(url.startswith("/app/static/vendor/") for url in links)
    names = {name for name, _ in [*fmap.default_js, *fmap.default_css]}
    assert names == {"leaflet", "jquery", "leaflet_css"}


def test_rendered_map_has_zero_external_urls(full_map: folium.Map) -> None:
    html = map_html(full_map)
    urls = referenced_urls(html)
    assert any("leaflet.markercluster.js" in u for u in urls)
    assert any("jquery.min.js" in u for u in urls)
    assert external_urls(html) == []
    assert re.findall(r"https?://\S+", html) == []
    for url in urls:
        assert url.startswith("/app/static/vendor/"), url


def test_streamlit_folium_links_are_local(full_map: folium.Map) -> None:
    """streamlit-folium sends every element's default_js/default_css to its iframe."""
    localize(full_map)

    def walk(element):
        yield element
        for child in element._children.values():
            yield from walk(child)

    links = [
        url
        for element in walk(full_map)
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]
    ]
    assert links
    assert [u for u in links if not u.startswith("/app/static/vendor/")] == []


def test_localize_leaves_folium_class_defaults_alone(full_map: folium.Map) -> None:
    map_html(full_map)
    assert folium.Map.default_js[0][1].startswith("https://")
    assert folium.plugins.MarkerCluster.default_js[0][1].startswith("https://")


def test_localize_rejects_branca_colormap() -> None:
    fmap = make_map()
    branca.colormap.LinearColormap(["white", "red"], vmin=0, vmax=1).add_to(fmap)
    with pytest.raises(ExternalAssetError, match="d3 from the internet"):
        localize(fmap)


def test_localize_rejects_internet_tiles() -> None:
    fmap = make_map()
    folium.TileLayer("OpenStreetMap").add_to(fmap)
    with pytest.raises(ExternalAssetError, match="tiles=None"):
        localize(fmap)


def test_localize_rejects_plugin_without_vendored_files() -> None:
    fmap = make_map()
    folium.plugins.Fullscreen().add_to(fmap)
    with pytest.raises(ExternalAssetError, match="Fullscreen loads"):
        localize(fmap)


def test_demo_label_is_text_not_html() -> None:
    fmap = make_map()
    add_demo_label(fmap, text=XSS_NAME)
    html = map_html(fmap)
    assert "textContent" in html
    assert XSS_NAME not in html
    assert DEMO_LABEL not in html  # only the custom text here


# --------------------------------------------------------------------------- compact, text-safe layers

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from dashboard.engine import Engine  # noqa: E402
from dashboard.maps.basemaps import Basemap, BasemapError, add_basemap  # noqa: E402
from dashboard.maps.layers import AreaLayer, CircleLayer, FlyTo, Legend, PointLayer, script_json  # noqa: E402
from dashboard.maps.shapes import Shift, encode_polygons, simplify_areas  # noqa: E402
from dashboard.maps.views import LAYERS, add_firms, level_map  # noqa: E402
from geodata import DEMO_DIR  # noqa: E402
from loaders import load_folder  # noqa: E402


@pytest.fixture(scope="module")
def demo() -> Engine:
    return Engine(load_folder(DEMO_DIR))


def decode(text: str, decimals: int) -> list[list[np.ndarray]]:
    """Python twin of AreaLayer's decoder: polygons → rings → (lon, lat) arrays."""
    out = []
    for poly in json.loads(text):
        rings = []
        for ring in poly:
            xy = np.cumsum(np.asarray(ring, dtype=float).reshape(-1, 2), axis=0) / 10**decimals
            rings.append(xy)
        out.append(rings)
    return out


def test_script_json_cannot_end_the_script() -> None:
    text = script_json({"name": "</script><img src=x onerror=alert(1)>", "amp": "a&b", "ls": "\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["name"] == "</script><img src=x onerror=alert(1)>"
    assert script_json({"x": np.float64("nan"), "y": np.int64(3)}) == '{"x":null,"y":3}'


def test_encode_polygons_round_trips_with_holes_and_parts() -> None:
    outer = shapely.box(120.0, 32.0, 120.01, 32.01)
    holed = outer.difference(shapely.box(120.002, 32.002, 120.004, 32.004))
    multi = shapely.MultiPolygon([shapely.box(121.0, 31.9, 121.001, 31.901), outer])
    codes = encode_polygons(np.array([holed, multi, None, shapely.Polygon()], dtype=object), 5)
    assert codes[2] == "[]" and codes[3] == "[]"
    first = decode(codes[0], 5)
    assert len(first) == 1 and len(first[0]) == 2  # one polygon with one hole
    assert shapely.Polygon(first[0][0], [first[0][1]]).equals_exact(holed.normalize(), 1e-5) or \
        shapely.Polygon(first[0][0], [first[0][1]]).symmetric_difference(holed).area < 1e-12
    assert len(decode(codes[1], 5)) == 2


def test_simplified_towns_still_tile(demo: Engine) -> None:
    towns = demo.choropleth("town")
    simple = simplify_areas(towns, demo.metric_crs)
    assert sum(shapely.get_num_coordinates(simple)) < sum(shapely.get_num_coordinates(towns.geometry.values))
    metric = gpd.GeoSeries(simple, crs=4326).to_crs(demo.metric_crs)
    original = towns.to_crs(demo.metric_crs).geometry
    assert abs(metric.area.sum() - original.area.sum()) / original.area.sum() < 1e-3
    assert shapely.union_all(metric.values).area == pytest.approx(metric.area.sum(), rel=1e-3)  # no overlaps


def test_area_and_point_layers_keep_names_as_text() -> None:
    fmap = make_map()
    codes = encode_polygons(np.array([shapely.box(120.8, 32.0, 120.9, 32.1)]), 5)
    AreaLayer(codes, [{"id": XSS_NAME, "t": [XSS_NAME, "1 家"]}], decimals=5, kind="town",
              style={"color": "#123456"}, labels=["名称", "企业数"]).add_to(fmap)
    PointLayer([32.05], [120.85], palette=["#2166ac"], labels=["企业", "产业"], values=[[XSS_NAME, "<b>"]],
               ids=[XSS_NAME]).add_to(fmap)
    FlyTo(32.05, 120.85, XSS_NAME).add_to(fmap)
    Legend(XSS_NAME, [("#2166ac", XSS_NAME)]).add_to(fmap)
    html = map_html(fmap)
    assert "<img" not in html and "<b>" not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert "textContent" in html
    # none of these layers ever hands data to innerHTML
    scripts = html[html.index("ipgridTip"):]
    assert "innerHTML" not in scripts
    assert external_urls(html) == []


@pytest.mark.parametrize("bad", ["red", "#12345", "#1234567", "url(x)"])
def test_layer_colours_are_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="colour should be"):
        Legend("图例", [(bad, "x")])
    with pytest.raises(ValueError, match="colour should be"):
        CircleLayer([32.0], [120.0], [100.0], [bad])


def test_area_layer_refuses_unencoded_shapes() -> None:
    with pytest.raises(ValueError, match="encode_polygons"):
        AreaLayer(['[[[1,2]]]}];alert(1);//'], decimals=5, kind="town", style={})


def test_level_map_is_offline_labelled_and_small(demo: Engine) -> None:
    html = map_html(level_map(demo, "town", "ip_coverage_rate", "quantiles", 5, tuple(LAYERS), demo=True))
    assert external_urls(html) == []
    assert re.findall(r"https?://\S+", html) == []
    assert json.dumps(DEMO_LABEL)[1:-1] in html  # the label on the map itself (\\u escapes in the script)
    assert "知识产权覆盖率" in html and "分级：分位数，5 级" in html
    assert len(html.encode()) < 1_000_000  # 3,000 firms, 62 cells, every layer
    for name in ("choropleth-town", "outline-park", "outline-grid", "gi"):
        assert f"ipgrid-{name}" in html


def test_level_map_classes_use_the_shared_classifier(demo: Engine) -> None:
    from dashboard.classify import classify, legend_labels
    from dashboard.theme import ramp

    values = demo.choropleth("town")["enterprises"].to_numpy(dtype=float)
    classes = classify(values, "equal_interval", 4)
    html = map_html(level_map(demo, "town", "enterprises", "equal_interval", 4, ()))
    for color, label in zip(ramp(classes.k), legend_labels(classes, "家"), strict=True):
        assert f'["{color}","{label}","square"]' in html


def test_many_firms_become_bubbles(demo: Engine) -> None:
    firms = demo.firm_table()
    fmap = make_map()
    layer = add_firms(fmap, firms, limit=100)
    assert layer.layer_name == "firm-bins" and layer.count < len(firms)
    layer = add_firms(make_map(), firms, limit=10_000, src=demo)
    assert layer.layer_name == "firms" and layer.count == int(firms["lon"].notna().sum())


def test_user_basemap_is_the_only_external_url_allowed() -> None:
    fmap = make_map()
    shift = add_basemap(fmap, Basemap("custom", url="http://10.0.0.8/tiles/{z}/{x}/{y}.png", system="GCJ-02"))
    assert shift.active
    html = map_html(fmap)
    assert "http://10.0.0.8/tiles/{z}/{x}/{y}.png" in html
    fmap = make_map()
    assert not add_basemap(fmap, Basemap("tianditu", key="0123456789abcdef")).active
    assert "tianditu.gov.cn/vec_w" in map_html(fmap)
    with pytest.raises(ExternalAssetError, match="tiles=None"):
        localize(folium.Map(tiles="OpenStreetMap"))


@pytest.mark.parametrize(("basemap", "match"), [
    (Basemap("tianditu", key=""), "天地图需要密钥"),
    (Basemap("custom", url="javascript:alert(1)//{z}/{x}/{y}"), "自定义瓦片地址"),
    (Basemap("custom", url="http://x/{z}/{x}.png"), "自定义瓦片地址"),
    (Basemap("osm"), "底图类型"),
])
def test_bad_basemaps_are_refused(basemap: Basemap, match: str) -> None:
    with pytest.raises(BasemapError, match=match):
        basemap.check()


def test_gcj02_basemap_shifts_vector_layers() -> None:
    from loaders.crs import wgs84_to_gcj02

    lon, lat = Shift("GCJ-02").lonlat(np.array([120.95]), np.array([32.05]))
    expected = wgs84_to_gcj02(np.array([120.95]), np.array([32.05]))
    assert (lon[0], lat[0]) == (expected[0][0], expected[1][0])
    moved = Shift("GCJ-02").geoms(np.array([shapely.box(120.9, 32.0, 121.0, 32.1)]))
    dx = shapely.get_coordinates(moved)[0] - np.array([121.0, 32.0])
    assert 0.001 < abs(dx[0]) < 0.01  # a few hundred metres, as Amap tiles are
    assert Shift().geoms(np.array([shapely.box(0, 0, 1, 1)]))[0].equals(shapely.box(0, 0, 1, 1))


def test_service_frame_and_firm_tips_are_cached(demo: Engine) -> None:
    from dashboard.maps.views import firm_tips, service_frame

    assert service_frame(demo) is service_frame(demo)
    tips = firm_tips(demo)
    assert len(tips) == len(demo.firm_table())
    first = tips.iloc[0]
    assert first[0] == demo.firm_table()["name"].iloc[0]
    assert isinstance(pd.Series(first).iloc[1], str)


def test_a_metric_without_any_value_maps_as_no_data(demo: Engine) -> None:
    # parks have no population in the demo: their per-resident figure is null everywhere
    assert demo.choropleth("park")["high_value_per_10k_pop"].isna().all()
    html = map_html(level_map(demo, "park", "high_value_per_10k_pop", "quantiles", 5, ()))
    assert '"无数据","square"' in html
