"""Coordinate systems: parse what users write, guess undeclared ones, convert to WGS-84.

Everything a layer's coordinates go through before they become EPSG:4326 lives
here.  CRS values are carried around as canonical *tokens* (strings):

- ``"EPSG:NNNN"`` for anything pyproj knows by an EPSG code (WGS-84 is
  ``"EPSG:4326"``, CGCS2000 ``"EPSG:4490"``);
- ``"GCJ-02"`` for the obfuscated system of Amap (高德) and Tencent (腾讯) maps;
- ``"BD-09"`` for Baidu's (百度) system, GCJ-02 shifted once more;
- a WKT or PROJ string, kept as written, for a CRS pyproj reads but cannot
  match to an EPSG code.

GCJ-02 and BD-09 are not in PROJ, so their conversions are implemented here,
vectorized over numpy arrays.  The forward GCJ-02 formula is the public
"eviltransform" one; its inverse, and the inverse of BD-09, are solved by a
fixed-point iteration to well under a millimetre.  WGS-84 and CGCS2000 are
treated as the same datum (they agree to well under a metre in China).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray
from pyproj.exceptions import CRSError

from loaders.errors import ConfigError

__all__ = [
    "CrsGuess",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "describe_crs",
    "detect_swapped",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "guess_crs",
    "gk3_without_prefix_at",
    "guess_crs_candidates",
    "is_gk_without_prefix",
    "parse_crs",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]

GCJ02 = "GCJ-02"
BD09 = "BD-09"
WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"

# GCJ-02 constants: Krasovsky 1940 semi-major axis and eccentricity squared.
_A = 6378245.0
_EE = 0.00669342162296594323
# China's rough box, outside which GCJ-02 and BD-09 leave points unchanged.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
_X_PI = np.pi * 3000.0 / 180.0
# Inverse iteration: stop when every point reproduces its target to this (degrees).
_INVERSE_TOL_DEG = 1e-9
_INVERSE_MAX_ROUNDS = 20


def _as_pair(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Float64 arrays of ``lon`` and ``lat`` broadcast to one shape (copies)."""
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64),
                               np.asarray(lat, dtype=np.float64))
    return x.copy(), y.copy()


def _in_china(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    """Mask of points inside China's rough box; NaN is outside."""
    return ((lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1])
            & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1]))


def _gcj_shift(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 obfuscation offset in degrees (dlon, dlat), without the China box."""
    x = lon - 105.0
    y = lat - 35.0
    x_pi = x * np.pi
    y_pi = y * np.pi
    common = 20.0 * np.sin(6.0 * x_pi) + 20.0 * np.sin(2.0 * x_pi)
    d_lat = (common + 20.0 * np.sin(y_pi) + 40.0 * np.sin(y_pi / 3.0)
             + 160.0 * np.sin(y_pi / 12.0) + 320.0 * np.sin(y_pi / 30.0)) * 2.0 / 3.0
    d_lon = (common + 20.0 * np.sin(x_pi) + 40.0 * np.sin(x_pi / 3.0)
             + 150.0 * np.sin(x_pi / 12.0) + 300.0 * np.sin(x_pi / 30.0)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat += -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    d_lon += 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = d_lat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = d_lon * 180.0 / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS-84 → GCJ-02 without the China box."""
    d_lon, d_lat = _gcj_shift(lon, lat)
    return lon + d_lon, lat + d_lat


def _bd_forward(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → BD-09 without the China box."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_inverse_closed(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """BD-09 → GCJ-02 by the usual closed form (good to a few centimetres)."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


_Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def _invert(forward: _Forward, lon: FloatArray, lat: FloatArray,
            start: tuple[FloatArray, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(p) == (lon, lat)`` by fixed-point iteration from ``start``.

    The shifts are nearly constant over a few hundred metres (their Jacobian
    is ~1e-4 away from the identity), so ``p -= forward(p) - target`` gains
    about four digits per round; a handful of rounds reach ``_INVERSE_TOL_DEG``.
    """
    p_lon, p_lat = start
    for _ in range(_INVERSE_MAX_ROUNDS):
        f_lon, f_lat = forward(p_lon, p_lat)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        p_lon = p_lon - e_lon
        p_lat = p_lat - e_lat
        err = np.fmax(np.abs(e_lon), np.abs(e_lat))
        if not np.any(err >= _INVERSE_TOL_DEG):  # NaN compares False: ignored
            break
    return p_lon, p_lat


def _apply_in_china(func: _Forward, lon: ArrayLike,
                    lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Apply ``func`` to the points inside China's box; others pass unchanged."""
    x, y = _as_pair(lon, lat)
    inside = _in_china(x, y)
    if np.any(inside):
        new_x, new_y = func(x[inside], y[inside])
        x[inside] = new_x
        y[inside] = new_y
    return x, y


def _gcj_inverse(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    d_lon, d_lat = _gcj_shift(lon, lat)
    return _invert(_gcj_forward, lon, lat, (lon - d_lon, lat - d_lat))


def _bd_inverse(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _invert(_bd_forward, lon, lat, _bd_inverse_closed(lon, lat))


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift WGS-84 longitude/latitude to GCJ-02 (Amap, Tencent).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 degrees, float64.  Points outside China's rough box
        (lon 72.004–137.8347, lat 0.8293–55.8271) and NaN come back unchanged.

    See Also
    --------
    gcj02_to_wgs84 : The inverse.
    """
    return _apply_in_china(_gcj_forward, lon, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift GCJ-02 longitude/latitude back to WGS-84, to under a millimetre.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 degrees; points outside China's box and NaN come back unchanged.

    Notes
    -----
    Iterates ``p -= wgs84_to_gcj02(p) - target`` until every point reproduces
    its target to 1e-9 degrees.  Within a kilometre of the box edge a round
    trip may not hold, because the box is tested on different coordinates.
    """
    return _apply_in_china(_gcj_inverse, lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift GCJ-02 longitude/latitude to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 degrees; points outside China's box and NaN come back unchanged.
    """
    return _apply_in_china(_bd_forward, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift BD-09 longitude/latitude back to GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees; broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 degrees; points outside China's box and NaN come back unchanged.

    Notes
    -----
    Starts from the usual closed-form inverse and refines it by iteration
    until :func:`gcj02_to_bd09` reproduces the input to 1e-9 degrees.
    """
    return _apply_in_china(_bd_inverse, lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift WGS-84 longitude/latitude to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 degrees.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 degrees; points outside China's box and NaN come back unchanged.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift BD-09 longitude/latitude back to WGS-84 (via GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 degrees; points outside China's box and NaN come back unchanged.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# Aliases keyed by the normalised spelling (see ``_normalise``).
_ALIASES: dict[str, str] = {
    **dict.fromkeys(("wgs84", "wgs1984", "4326", "epsg:4326", "gps"), WGS84),
    **dict.fromkeys(("cgcs2000", "国家2000", "2000坐标系", "2000国家大地坐标系", "4490",
                     "epsg:4490"), CGCS2000),
    **dict.fromkeys(("gcj02", "gcj", "火星坐标", "火星坐标系", "国测局坐标", "高德", "高德坐标",
                     "腾讯", "腾讯坐标", "amap", "gaode", "tencent"), GCJ02),
    **dict.fromkeys(("bd09", "bd09ll", "百度", "百度坐标", "百度坐标系", "baidu"), BD09),
}
_EXAMPLES = "EPSG:4326、WGS-84、CGCS2000、EPSG:4549、GCJ-02（高德/腾讯）、BD-09（百度）"


def _normalise(text: str) -> str:
    """NFKC, case-fold and drop spaces, hyphens, underscores and dots."""
    return re.sub(r"[\s\-_.]+", "", unicodedata.normalize("NFKC", text)).casefold()


@lru_cache(maxsize=256)
def parse_crs(text: str) -> str:
    """Turn a CRS as users write it into a canonical token.

    Parameters
    ----------
    text : str
        A value from ``ipgrid.toml`` or a per-row 坐标系 column, e.g.
        ``"WGS 84"``, ``"国家2000"``, ``"高德"``, ``"epsg:4549"``, ``"4528"``,
        or a WKT / PROJ string.  Case, spaces, hyphens and full-width forms
        do not matter.

    Returns
    -------
    str
        ``"EPSG:4326"``, ``"EPSG:4490"``, ``"GCJ-02"``, ``"BD-09"``, another
        ``"EPSG:NNNN"``, or the stripped text itself for a CRS pyproj reads
        but cannot match to an EPSG code.

    Raises
    ------
    ConfigError
        When the value is none of the above; the message names it and lists
        accepted examples.

    Examples
    --------
    >>> parse_crs("wgs 84"), parse_crs("高德"), parse_crs("epsg : 4549")
    ('EPSG:4326', 'GCJ-02', 'EPSG:4549')
    """
    stripped = unicodedata.normalize("NFKC", str(text)).strip()
    key = _normalise(stripped)
    if key in _ALIASES:
        return _ALIASES[key]
    if re.fullmatch(r"\d{4,6}", key):
        candidate = f"EPSG:{key}"
    elif re.fullmatch(r"[a-z]+:\d+", key):
        candidate = key.upper()
    else:
        candidate = stripped
    if candidate:
        try:
            crs = pyproj.CRS.from_user_input(candidate)
        except CRSError:
            pass
        else:
            code = crs.to_epsg()
            return f"EPSG:{code}" if code is not None else candidate
    msg = f"无法识别的坐标系「{text}」；可填写例如 {_EXAMPLES}，或 pyproj 能识别的 WKT/PROJ 字符串"
    raise ConfigError(msg)


@lru_cache(maxsize=64)
def _pyproj_crs(token: str) -> pyproj.CRS:
    return pyproj.CRS.from_user_input(token)


def describe_crs(token: str) -> str:
    """Short human label of a CRS token.

    Parameters
    ----------
    token : str
        A token from :func:`parse_crs` (other spellings are parsed first).

    Returns
    -------
    str
        ``"EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)"`` for EPSG
        codes, the pyproj name for WKT/PROJ strings, ``"GCJ-02"`` / ``"BD-09"``
        as is.
    """
    token = parse_crs(token)
    if token in (GCJ02, BD09):
        return token
    name = _pyproj_crs(token).name
    return f"{token} ({name})" if token.startswith("EPSG:") else name


# CGCS2000 Gauss-Kruger, checked against pyproj: 3-degree zone prefix 25..45 is
# EPSG:4513..4533 (4528 = zone 40), 6-degree zone prefix 13..23 is
# EPSG:4491..4501, 3-degree without prefix CM 75E..135E is EPSG:4534..4554.
_GK3_ZONES = range(25, 46)
_GK6_ZONES = range(13, 24)
_GK3_NO_PREFIX = range(4534, 4555)

WEB_MERCATOR = "EPSG:3857"
# China (73.5-135.1E, 18-53.6N) in Web Mercator metres: x = R * lon, y = R * ln tan(45 + lat/2)
# with R = 6378137 (checked against pyproj): 73.5E -> 8.18e6, 135.1E -> 1.504e7; 18N -> 2.04e6,
# 53.6N -> 7.09e6.  The box below has a small margin.
_MERCATOR_X = (8_100_000.0, 15_100_000.0)
_MERCATOR_Y = (2_000_000.0, 7_100_000.0)
# Gauss-Kruger northings in China stop at 53.6N: 5.94e6 m of meridian arc (pyproj: EPSG:4491).
_GK_MAX_NORTHING = 5_950_000.0
# A Gauss-Kruger easting lies within 3 degrees of longitude of its zone's central meridian:
# at most 334 km from the false easting of 500 km, at the equator.
_GK6_EASTING = (166_000.0, 834_000.0)

Guess = tuple[str, str]
"""A CRS token and the Chinese sentence saying why it was guessed."""


def guess_crs(x: ArrayLike, y: ArrayLike,
              metric_crs: str = "EPSG:4549") -> tuple[str, str]:
    """Guess the CRS of coordinates from a file that declares none.

    The most likely reading of :func:`guess_crs_candidates`.

    Parameters
    ----------
    x, y : array_like
        First and second coordinate of each point (longitude/easting,
        latitude/northing); non-finite values are ignored.
    metric_crs : str, default "EPSG:4549"
        The folder's projected CRS, taken for eastings without a zone prefix
        when it is a CGCS2000 3-degree Gauss-Kruger CM (EPSG:4534–4554).

    Returns
    -------
    token : str
        ``"EPSG:4326"`` for longitude/latitude, ``"EPSG:3857"`` for Web
        Mercator metres, a CGCS2000 Gauss-Kruger code for other projected values.
    reason : str
        Chinese sentence saying why, for the problems report.

    Raises
    ------
    ConfigError
        When the values fit no rule, or their zone cannot be seen; the
        message gives the coordinate ranges seen.

    Notes
    -----
    GCJ-02 and BD-09 look like WGS-84 and are never guessed: they must be
    declared.

    Examples
    --------
    >>> guess_crs([13_430_000.0, 13_480_000.0], [3_740_000.0, 3_800_000.0])[0]  # Nantong, Web Mercator
    'EPSG:3857'
    >>> guess_crs([40_480_000.0, 40_520_000.0], [3_540_000.0, 3_560_000.0])[0]  # 3-degree zone 40
    'EPSG:4528'
    """
    return guess_crs_candidates(x, y, metric_crs)[0]


def guess_crs_candidates(x: ArrayLike, y: ArrayLike,
                         metric_crs: str = "EPSG:4549") -> list[Guess]:
    """Every CRS that coordinates from a file without one can be in, most likely first.

    Parameters
    ----------
    x, y : array_like
        First and second coordinate of each point; non-finite values are ignored.
    metric_crs : str, default "EPSG:4549"
        See :func:`guess_crs`.

    Returns
    -------
    list of (token, reason)
        One reading, or two when the numbers fit both Web Mercator and a
        6-degree Gauss-Kruger zone (see Notes); a caller that has other
        data (enterprises inside the towns) picks between them.

    Raises
    ------
    ConfigError
        When the values fit no rule; see :func:`guess_crs`.  X that looks like
        a northing and Y like an easting (the survey convention, X north) is
        named as swapped axes.

    Notes
    -----
    The ranges, for China (73.5–135.1°E, 18–53.6°N), in metres (checked with pyproj):

    - longitude/latitude: X −180…180, Y −90…90;
    - Gauss-Kruger without zone prefix: X 0…1,000,000 (500 km false easting ± 334 km),
      Y up to 5,950,000 (53.6°N); the code accepts Y 0…10,000,000;
    - Web Mercator (EPSG:3857): X 8,100,000…15,100,000 (73.5°E → 8.18e6, 135.1°E → 1.504e7),
      Y 2,000,000…7,100,000 (18°N → 2.04e6, 53.6°N → 7.09e6);
    - Gauss-Kruger 6-degree with zone prefix 13–23: X 13,000,000…23,999,999;
    - Gauss-Kruger 3-degree with zone prefix 25–45: X 25,000,000…45,999,999.

    Web Mercator cannot be taken for Gauss-Kruger without a prefix (X below
    1e6) or a 3-degree prefix (X from 2.5e7): those ranges are disjoint.  It
    overlaps 6-degree zones 13–15 for X 13,000,000–15,100,000 (longitudes
    116.8–135.1°E in Web Mercator).  There the values are Gauss-Kruger only
    if they could be: one zone, eastings within 334 km (3° at the equator)
    of the zone's 500 km false easting, and Y at most 5,950,000 (53.6°N).
    When they could be both, Web Mercator comes first (web-map exports are
    far more common than 6-degree zone data at district scale) and the
    zone second.
    """
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size == 0:
        msg = "无法推断坐标系：没有有效的坐标值；请在 ipgrid.toml 中为该图层设置 crs"
        raise ConfigError(msg)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    seen = f"X {x0:.6g}–{x1:.6g}，Y {y0:.6g}–{y1:.6g}"
    if x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90:
        return [(WGS84, f"坐标值（{seen}）在经纬度范围内，按 WGS-84 经纬度处理；"
                        "高德/腾讯/百度坐标须另行声明")]
    found: list[Guess] = []
    mercator = (_MERCATOR_X[0] <= x0 and x1 <= _MERCATOR_X[1]
                and _MERCATOR_Y[0] <= y0 and y1 <= _MERCATOR_Y[1])
    if mercator:
        found.append((WEB_MERCATOR, f"坐标值（{seen}）在 Web 墨卡托（EPSG:3857）的中国范围内"
                                    "（X 8.1e6–1.51e7，Y 2.0e6–7.1e6 米），按 EPSG:3857 处理"))
    northing_ok = y0 >= 0 and y1 <= 10_000_000
    if northing_ok and x0 >= 13_000_000 and x1 < 46_000_000:
        try:
            zone = _zone_prefixed(xs, seen)
        except ConfigError:
            if not found:
                raise
        else:
            if not mercator or _could_be_gk6(xs, y1):
                found.append(zone)
    elif northing_ok and x0 >= 0 and x1 <= 1_000_000:
        found.append(_no_prefix(metric_crs, seen))
    if found:
        return found
    if _looks_swapped(x0, x1, y0, y1):
        msg = (f"无法从坐标范围推断坐标系（{seen}）：X 与 Y 似乎互换了——测量坐标习惯 X 为北坐标、"
               "Y 为东坐标，而 GIS 文件的 X 须为东坐标；请在 GIS 软件中交换坐标轴后重新导出")
        raise ConfigError(msg)
    msg = (f"无法从坐标范围推断坐标系（{seen}）；"
           "请在 ipgrid.toml 中为该图层设置 crs，例如 crs = \"EPSG:4549\"")
    raise ConfigError(msg)


def _looks_swapped(x0: float, x1: float, y0: float, y1: float) -> bool:
    """Whether X looks like a Gauss-Kruger northing in China and Y like an easting (with or without zone).

    Examples
    --------
    >>> _looks_swapped(3_540_000.0, 3_560_000.0, 40_480_000.0, 40_520_000.0)
    True
    """
    northing = x0 >= 1_900_000 and x1 <= _GK_MAX_NORTHING
    easting = (y0 >= 0 and y1 <= 1_000_000) or (
        y0 >= 13_000_000 and y1 < 46_000_000 and int(y0 // 1_000_000) == int(y1 // 1_000_000))
    return bool(northing and easting)


@dataclass(frozen=True)
class CrsGuess:
    """The CRS a layer was read in when its file declares none: guessed from the coordinates.

    Attributes
    ----------
    token
        The reading used (first of :func:`guess_crs_candidates`).
    alternatives
        Other readings the numbers fit (Web Mercator vs a 6-degree zone), for
        the loader to try against the other layers.
    """

    token: str
    alternatives: tuple[str, ...] = ()

    @classmethod
    def from_candidates(cls, candidates: list[Guess]) -> CrsGuess:
        """The guess of :func:`guess_crs_candidates`' readings: the first, the others as alternatives."""
        return cls(candidates[0][0], tuple(t for t, _ in candidates[1:]))

    def describe(self) -> str:
        """``EPSG:3857 (WGS 84 / Pseudo-Mercator)``, with the alternatives when there are any."""
        text = describe_crs(self.token)
        if self.alternatives:
            text += f"（按数值也可能是 {'、'.join(describe_crs(t) for t in self.alternatives)}）"
        return text


def is_gk_without_prefix(token: str) -> bool:
    """Whether ``token`` is a CGCS2000 3-degree Gauss-Kruger CM without zone prefix (EPSG:4534–4554).

    Examples
    --------
    >>> is_gk_without_prefix("EPSG:4549"), is_gk_without_prefix("EPSG:4528")
    (True, False)
    """
    found = re.fullmatch(r"EPSG:(\d+)", token)
    return found is not None and int(found[1]) in _GK3_NO_PREFIX


def gk3_without_prefix_at(lon: float) -> str | None:
    """The CGCS2000 3-degree Gauss-Kruger CRS without prefix whose central meridian is nearest ``lon``.

    Examples
    --------
    >>> gk3_without_prefix_at(120.9), gk3_without_prefix_at(122.6), gk3_without_prefix_at(10.0)
    ('EPSG:4549', 'EPSG:4550', None)
    """
    cm = 3 * round(lon / 3)
    code = 4534 + (cm - 75) // 3
    return f"EPSG:{code}" if code in _GK3_NO_PREFIX else None


def _could_be_gk6(xs: FloatArray, y_max: float) -> bool:
    """Whether Web Mercator-like values could also be one 6-degree Gauss-Kruger zone in China."""
    within = np.mod(xs, 1_000_000)
    return bool(y_max <= _GK_MAX_NORTHING and within.min() >= _GK6_EASTING[0]
                and within.max() <= _GK6_EASTING[1])


def _zone_prefixed(xs: FloatArray, seen: str) -> Guess:
    """A Gauss-Kruger zone from the eastings' prefix (one 3- or 6-degree zone)."""
    zones = np.unique(np.floor(xs / 1_000_000).astype(int))
    zone = int(zones[0])
    if zones.size == 1 and (zone in _GK3_ZONES or zone in _GK6_ZONES):
        code = 4513 + zone - 25 if zone in _GK3_ZONES else 4491 + zone - 13
        token = f"EPSG:{code}"
        return token, f"东坐标带号 {zone}（{seen}），按 {describe_crs(token)} 处理"
    msg = (f"无法推断坐标系：东坐标带号 {', '.join(map(str, zones))} 不是单一的 CGCS2000 "
           f"高斯-克吕格投影带（{seen}）；请在 ipgrid.toml 中为该图层设置 crs")
    raise ConfigError(msg)


def _no_prefix(metric_crs: str, seen: str) -> Guess:
    """Eastings without a zone prefix: the folder's metric CRS when it is a 3-degree CM."""
    metric = parse_crs(metric_crs)
    code = int(metric.removeprefix("EPSG:")) if re.fullmatch(r"EPSG:\d+", metric) else 0
    if code in _GK3_NO_PREFIX:
        return metric, (f"东坐标无带号（{seen}），中央经线无法从数值判断，"
                        f"按 metric_crs 设置 {describe_crs(metric)} 处理")
    msg = (f"无法推断坐标系：东坐标无带号（{seen}），中央经线无法从数值判断，"
           f"metric_crs「{metric_crs}」也不是 CGCS2000 3 度带（EPSG:4534–4554）；"
           "请在 ipgrid.toml 中为该图层设置 crs，例如 crs = \"EPSG:4549\"")
    raise ConfigError(msg)


@lru_cache(maxsize=64)
def _transformer(token: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(_pyproj_crs(token), WGS84, always_xy=True)


def to_wgs84(x: ArrayLike, y: ArrayLike, token: str) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates in any CRS token to WGS-84 longitude/latitude.

    Parameters
    ----------
    x, y : array_like
        Coordinates in ``token``, x first (longitude or easting).
    token : str
        A token from :func:`parse_crs` (other spellings are parsed first).

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 degrees, float64 (new arrays).  EPSG:4490 is taken as identical
        to EPSG:4326; NaN stays NaN.

    Raises
    ------
    ConfigError
        When ``token`` is not a CRS.
    """
    token = parse_crs(token)
    if token in (WGS84, CGCS2000):
        return _as_pair(x, y)
    if token == GCJ02:
        return gcj02_to_wgs84(x, y)
    if token == BD09:
        return bd09_to_wgs84(x, y)
    xs, ys = _as_pair(x, y)
    lon, lat = _transformer(token).transform(xs, ys)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def detect_swapped(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Flag points whose longitude and latitude only make sense swapped.

    Parameters
    ----------
    lon, lat : array_like
        Degrees as given; broadcast against each other.

    Returns
    -------
    numpy.ndarray of bool
        True where ``lon`` lies in China's latitude range (3–54) and ``lat``
        in its longitude range (73–136); False elsewhere and for NaN.

    Notes
    -----
    The two ranges do not overlap, so a point flagged here cannot also be a
    valid point in China as given: swapping it is unambiguous.
    """
    x, y = _as_pair(lon, lat)
    return (x >= 3) & (x <= 54) & (y >= 73) & (y <= 136)
