from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    describe_crs,
    detect_swapped,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    guess_crs,
    parse_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from loaders.errors import ConfigError

GEOD = pyproj.Geod(ellps="WGS84")
MAX_ROUND_TRIP_M = 0.5


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    _, _, dist = GEOD.inv(np.ravel(lon1), np.ravel(lat1), np.ravel(lon2), np.ravel(lat2))
    return np.asarray(dist)


def textbook_wgs2gcj(lon: float, lat: float) -> tuple[float, float]:
    """Scalar GCJ-02 forward as printed in the usual references (transformLat/transformLon)."""
    a, ee = 6378245.0, 0.00669342162296594323
    if not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271):
        return lon, lat
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lon += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    d_lon += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * pi
    magic = 1 - ee * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((a * (1 - ee)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (a / sqrt_magic * math.cos(rad_lat) * pi)
    return lon + d_lon, lat + d_lat


@pytest.fixture(scope="module")
def nantong_grid() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.linspace(120.6, 121.5, 46), np.linspace(31.8, 32.3, 26))
    return lon, lat


# --- GCJ-02 / BD-09 ----------------------------------------------------------------------------

REFERENCE_POINTS = [
    (120.8640, 32.0100),  # Nantong, Jinsha
    (121.4737, 31.2304),  # Shanghai
    (116.3975, 39.9087),  # Beijing
    (87.6168, 43.8256),  # Urumqi
    (126.5350, 45.8038),  # Harbin
    (109.5119, 18.2528),  # Sanya
    (72.5, 39.0),  # far west, near the box edge
]


@pytest.mark.parametrize(("lon", "lat"), REFERENCE_POINTS)
def test_forward_gcj_matches_textbook_scalar(lon, lat):
    ref_lon, ref_lat = textbook_wgs2gcj(lon, lat)
    got_lon, got_lat = wgs84_to_gcj02(lon, lat)
    assert abs(got_lon - ref_lon) < 1e-9
    assert abs(got_lat - ref_lat) < 1e-9


def test_forward_gcj_matches_textbook_on_grid(nantong_grid):
    lon, lat = nantong_grid
    got_lon, got_lat = wgs84_to_gcj02(lon, lat)
    ref = np.array([textbook_wgs2gcj(a, b) for a, b in zip(lon.ravel(), lat.ravel(), strict=True)])
    assert np.max(np.abs(got_lon.ravel() - ref[:, 0])) < 1e-9
    assert np.max(np.abs(got_lat.ravel() - ref[:, 1])) < 1e-9


# Published pairs from the eviltransform project's test suite: (wgs lon, lat, gcj lon, lat).
@pytest.mark.parametrize(
    ("wlon", "wlat", "glon", "glat"),
    [
        (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
        (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
        (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    ],
)
def test_published_gcj_pairs(wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-6)
    assert lat == pytest.approx(glat, abs=1e-6)
    back = gcj02_to_wgs84(glon, glat)
    assert metres(*back, wlon, wlat).max() < MAX_ROUND_TRIP_M


def test_gcj_to_bd_published_value():
    # gcoord's test: GCJ-02 (123, 45) -> BD-09 (123.00636499, 45.00636899)
    lon, lat = gcj02_to_bd09(123.0, 45.0)
    assert lon == pytest.approx(123.00636499, abs=1e-7)
    assert lat == pytest.approx(45.00636899, abs=1e-7)


def test_offset_near_nantong_is_a_few_hundred_metres(nantong_grid):
    lon, lat = nantong_grid
    shift = metres(lon, lat, *wgs84_to_gcj02(lon, lat))
    assert shift.min() > 100 and shift.max() < 700
    bd_shift = metres(lon, lat, *wgs84_to_bd09(lon, lat))
    assert bd_shift.min() > 100 and bd_shift.max() < 2000


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [(wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84),
     (gcj02_to_bd09, bd09_to_gcj02)],
)
def test_round_trip_near_nantong(nantong_grid, forward, inverse):
    lon, lat = nantong_grid
    back_lon, back_lat = inverse(*forward(lon, lat))
    assert back_lon.shape == lon.shape
    assert metres(back_lon, back_lat, lon, lat).max() < MAX_ROUND_TRIP_M


# China's box shrunk by 0.05 deg: near the edge the box test may disagree between
# the two sides of a shift of up to ~1 km.
china_points = st.lists(
    st.tuples(st.floats(72.06, 137.78), st.floats(0.88, 55.77)), min_size=1, max_size=50
)


@settings(max_examples=200, deadline=None)
@given(china_points)
def test_round_trip_property_over_china(points):
    lon, lat = np.array(points).T
    for forward, inverse in [(wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)]:
        fwd = forward(lon, lat)
        assert np.all((fwd[0] != lon) | (fwd[1] != lat))  # shifted everywhere inside the box
        assert metres(*inverse(*fwd), lon, lat).max() < MAX_ROUND_TRIP_M


@pytest.mark.parametrize(
    "func",
    [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84],
)
def test_outside_china_unchanged_and_nan_passes(func):
    lon = np.array([2.35, -74.0, 139.69, 100.0, np.nan, 121.0, np.nan])
    lat = np.array([48.85, 40.7, 35.69, -5.0, 32.0, np.nan, np.nan])
    out_lon, out_lat = func(lon, lat)
    np.testing.assert_array_equal(out_lon[:4], lon[:4])
    np.testing.assert_array_equal(out_lat[:4], lat[:4])
    assert np.isnan(out_lon[4]) and np.isnan(out_lat[5]) and np.isnan(out_lon[6])
    assert out_lat[4] == 32.0 and out_lon[5] == 121.0
    assert not np.shares_memory(out_lon, lon)


# --- parse_crs / describe_crs ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("WGS-84", "EPSG:4326"), ("WGS84", "EPSG:4326"), ("wgs 84", "EPSG:4326"),
        ("4326", "EPSG:4326"), ("GPS", "EPSG:4326"), ("ＷＧＳ－８４", "EPSG:4326"),
        ("epsg:4326", "EPSG:4326"), ("+proj=longlat +datum=WGS84 +no_defs", "EPSG:4326"),
        ("CGCS2000", "EPSG:4490"), ("国家2000", "EPSG:4490"), ("2000坐标系", "EPSG:4490"),
        ("4490", "EPSG:4490"),
        ("gcj02", "GCJ-02"), ("GCJ-02", "GCJ-02"), (" gcj_02 ", "GCJ-02"), ("火星坐标", "GCJ-02"),
        ("高德", "GCJ-02"), ("腾讯", "GCJ-02"), ("AMap", "GCJ-02"), ("Tencent", "GCJ-02"),
        ("bd09", "BD-09"), ("BD-09", "BD-09"), ("百度", "BD-09"), ("Baidu", "BD-09"),
        ("EPSG:4549", "EPSG:4549"), ("epsg : 4528", "EPSG:4528"), ("4549", "EPSG:4549"),
        ("ＥＰＳＧ：４５４９", "EPSG:4549"),
    ],
)
def test_parse_crs_aliases(text, token):
    assert parse_crs(text) == token
    assert parse_crs(token) == token  # canonical tokens are fixed points


def test_parse_crs_keeps_unmatched_proj_string():
    text = "+proj=tmerc +lat_0=0 +lon_0=120.5 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m"
    assert parse_crs(f"  {text} ") == text
    assert to_wgs84(500000.0, 3_500_000.0, text)[0] == pytest.approx(120.5)


@pytest.mark.parametrize("junk", ["火星文", "", "EPSG:99999999", "wgs85"])
def test_parse_crs_rejects_junk(junk):
    with pytest.raises(ConfigError, match=f"无法识别的坐标系「{junk}」.*EPSG:4549"):
        parse_crs(junk)


@pytest.mark.parametrize(
    ("token", "label"),
    [
        ("EPSG:4549", "EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)"),
        ("EPSG:4528", "EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40)"),
        ("EPSG:4326", "EPSG:4326 (WGS 84)"),
        ("GCJ-02", "GCJ-02"),
        ("BD-09", "BD-09"),
    ],
)
def test_describe_crs(token, label):
    assert describe_crs(token) == label


# --- guess_crs ---------------------------------------------------------------------------------

def test_guess_geographic():
    token, reason = guess_crs(np.array([120.7, 121.4, np.nan]), np.array([31.9, 32.2, 5.0]))
    assert token == "EPSG:4326"
    assert "经纬度" in reason


@pytest.mark.parametrize(
    ("x", "token"),
    [(40_500_000.0, "EPSG:4528"), (25_400_000.0, "EPSG:4513"), (45_600_000.0, "EPSG:4533"),
     (20_500_000.0, "EPSG:4498")],
)
def test_guess_zone_prefix(x, token):
    got, reason = guess_crs(np.array([x, x + 1000]), np.array([3_550_000.0, 3_560_000.0]))
    assert got == token
    assert "带号" in reason


def test_zone_prefix_codes_agree_with_pyproj():
    assert "zone 40" in pyproj.CRS.from_epsg(4528).name
    assert "CM 120E" in pyproj.CRS.from_epsg(4549).name
    for zone in range(25, 46):
        assert pyproj.CRS.from_epsg(4513 + zone - 25).name.endswith(f"zone {zone}")


def test_guess_without_prefix_takes_metric_crs():
    x, y = np.array([480_000.0, 560_000.0]), np.array([3_530_000.0, 3_580_000.0])
    token, reason = guess_crs(x, y)
    assert token == "EPSG:4549"
    assert "中央经线" in reason
    assert guess_crs(x, y, metric_crs="EPSG:4548")[0] == "EPSG:4548"
    with pytest.raises(ConfigError, match="无带号.*EPSG:4534–4554"):
        guess_crs(x, y, metric_crs="EPSG:32651")


@pytest.mark.parametrize(
    ("x", "y", "pattern"),
    [
        ([5_000_000.0, 6_000_000.0], [3_500_000.0, 3_600_000.0], r"X 5e\+06–6e\+06"),
        ([40_500_000.0, 41_200_000.0], [3_500_000.0, 3_500_000.0], "带号 40, 41"),
        ([500_000.0], [-20.0], "无法从坐标范围推断坐标系"),
        ([np.nan], [np.inf], "没有有效的坐标值"),
    ],
)
def test_guess_junk_raises(x, y, pattern):
    with pytest.raises(ConfigError, match=pattern):
        guess_crs(np.array(x), np.array(y))


# --- to_wgs84 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("epsg", ["EPSG:4549", "EPSG:4528"])
def test_to_wgs84_from_projected(epsg):
    lon = np.array([120.70, 120.95, 121.40])
    lat = np.array([31.87, 32.05, 32.25])
    fwd = pyproj.Transformer.from_crs("EPSG:4326", epsg, always_xy=True)
    x, y = fwd.transform(lon, lat)
    back_lon, back_lat = to_wgs84(x, y, epsg)
    np.testing.assert_allclose(back_lon, lon, atol=1e-6, rtol=0)
    np.testing.assert_allclose(back_lat, lat, atol=1e-6, rtol=0)


def test_to_wgs84_shifted_and_identity(nantong_grid):
    lon, lat = nantong_grid
    for token, forward in [("GCJ-02", wgs84_to_gcj02), ("百度", wgs84_to_bd09)]:
        assert metres(*to_wgs84(*forward(lon, lat), token), lon, lat).max() < MAX_ROUND_TRIP_M
    for token in ["EPSG:4326", "EPSG:4490"]:
        out_lon, out_lat = to_wgs84(lon, lat, token)
        np.testing.assert_array_equal(out_lon, lon)
        assert not np.shares_memory(out_lon, lon)
    out_lon, _ = to_wgs84(np.array([np.nan]), np.array([3_550_000.0]), "EPSG:4549")
    assert np.isnan(out_lon[0])


# --- detect_swapped ----------------------------------------------------------------------------

def test_detect_swapped():
    lon = np.array([32.0, 120.9, 32.0, 50.0, np.nan, 2.0])
    lat = np.array([120.9, 32.0, 60.0, 100.0, 120.0, 120.0])
    np.testing.assert_array_equal(
        detect_swapped(lon, lat), [True, False, False, True, False, False]
    )
