"""Read boundary and point files (GeoPackage, GeoJSON, Shapefile, KML) with pyogrio.

Two things Chinese GIS files often get wrong are handled here: a shapefile
without ``.cpg`` whose attributes are GBK (ArcGIS and SuperMap exports), and
a file with no CRS at all (guessed from the coordinate ranges and reported).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from loaders.errors import EmptyFileError, UnsupportedFileError

VECTOR_SUFFIXES = frozenset({".gpkg", ".geojson", ".json", ".shp", ".kml", ".kmz", ".gml"})


@dataclass
class RawVector:
    """Attributes and geometry of a vector file, untyped.

    Attributes
    ----------
    frame
        Attribute columns as written in the file.
    geometry
        Geometry of each feature in the file's own CRS (``None`` where missing).
    crs
        The file's declared CRS as ``EPSG:NNNN`` or WKT, ``None`` when undeclared.
    source_rows
        1-based feature number of each row.
    encoding_note
        Set when the attribute encoding had to be detected (GBK shapefile
        without ``.cpg``).
    """

    frame: pd.DataFrame
    geometry: gpd.GeoSeries
    crs: str | None
    source_rows: np.ndarray
    encoding_note: str | None = None


def read_vector(path: Path, *, encoding: str | None = None) -> RawVector:
    """Read the first layer of a vector file.

    Raises
    ------
    UnsupportedFileError
        GDAL cannot open the file.
    EmptyFileError
        The file has no features.
    """
    path = Path(path)
    note = None
    if encoding is None and path.suffix.lower() == ".shp":
        encoding, note = _shapefile_encoding(path)
    try:
        gdf = pyogrio.read_dataframe(path, encoding=encoding, on_invalid="ignore")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        msg = f"{path.name}：无法作为矢量文件读取（{exc}）"
        raise UnsupportedFileError(msg) from None
    except UnicodeDecodeError:
        msg = (f"{path.name}：属性或字段名的编码无法识别（按 {encoding or 'UTF-8'} 读取失败）；"
               "请在 ipgrid.toml 中为该图层设置 encoding，如 \"GBK\"")
        raise UnsupportedFileError(msg) from None
    if len(gdf) == 0:
        msg = f"{path.name}：文件中没有任何要素"
        raise EmptyFileError(msg)
    crs = None
    if gdf.crs is None and path.suffix.lower() in (".kml", ".kmz"):
        crs = "EPSG:4326"  # KML coordinates are WGS-84 by definition (OGC KML 2.2)
    elif gdf.crs is not None:
        epsg = gdf.crs.to_epsg(min_confidence=70)
        crs = f"EPSG:{epsg}" if epsg else gdf.crs.to_wkt()
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geometry = gpd.GeoSeries(gdf.geometry.values, crs=None)
    return RawVector(attrs, geometry, crs, np.arange(1, len(gdf) + 1, dtype=np.int64), note)


def _shapefile_encoding(path: Path) -> tuple[str | None, str | None]:
    """Pick the DBF encoding of a shapefile that has no ``.cpg``.

    GDAL then falls back to the DBF's language byte or ISO-8859-1, which turns
    GBK Chinese into mojibake.  The DBF's records are tried as UTF-8, then as
    GB18030 (a superset of GBK).
    """
    if path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
        return None, None
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None, None
    data = dbf.read_bytes()
    if len(data) < 32:
        return None, None
    header_len = struct.unpack("<H", data[8:10])[0]
    records = data[header_len:]
    if records.isascii():
        return None, None
    try:
        records.decode("utf-8")
        return "UTF-8", None
    except UnicodeDecodeError:
        pass
    try:
        records.decode("gb18030")
    except UnicodeDecodeError:
        return None, None
    return "GB18030", "Shapefile 缺少 .cpg 编码文件，属性已按 GBK 解码；请核对中文是否正确"
