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
    add_towns,
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
    """Towns (tooltip + popup), a marker cluster with popups and tooltips, the demo label."""
    fmap = make_map()
    add_towns(fmap, towns)
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


# --------------------------------------------------------------------------- towns layer


def test_town_name_is_escaped(full_map: folium.Map) -> None:
    html = map_html(full_map)
    assert XSS_NAME not in html
    assert "<img" not in html
    # html.escape'd, then JSON-encoded by folium
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html


def test_towns_tooltip_and_popup_fields(full_map: folium.Map) -> None:
    html = map_html(full_map)
    assert "bindTooltip" in html and "bindPopup" in html
    for label in ("名称", "常住人口", "区划代码"):
        assert json.dumps(label)[1:-1] in html  # folium writes them as \uXXXX escapes
    assert "123,456 \\u4eba" in html  # 123,456 人
    assert "fitBounds" in html


def test_coordinates_rounded_to_five_decimals() -> None:
    towns = gpd.GeoDataFrame(
        {"name": ["甲"], "population": [1.0]},
        geometry=[shapely.box(120.123456789, 32.987654321, 120.2, 33.0)],
        crs="EPSG:4326",
    )
    fmap = make_map()
    add_towns(fmap, towns)
    html = map_html(fmap)
    assert "120.12346" in html and "32.98765" in html
    assert "120.123456789" not in html


def test_towns_in_projected_crs_are_reprojected_on_a_copy(towns: gpd.GeoDataFrame) -> None:
    projected = towns.to_crs("EPSG:4549")
    before = projected.copy()
    fmap = make_map()
    layer = add_towns(fmap, projected)
    (south, west), (north, east) = layer.get_bounds()
    assert 120.7 < west < east < 121.2 and 31.9 < south < north < 32.2
    assert projected.equals(before)


def test_towns_without_crs_raise(towns: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="towns has no CRS"):
        add_towns(make_map(), towns.set_crs(None, allow_override=True))


def test_towns_without_name_raise(towns: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="towns needs a 'name' column"):
        add_towns(make_map(), towns.drop(columns="name"))


def test_demo_label_is_text_not_html() -> None:
    fmap = make_map()
    add_demo_label(fmap, text=XSS_NAME)
    html = map_html(fmap)
    assert "textContent" in html
    assert XSS_NAME not in html
    assert DEMO_LABEL not in html  # only the custom text here
