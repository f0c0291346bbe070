"""Read boundary and point files (GeoPackage, GeoJSON, Shapefile, zipped Shapefile, KML) with pyogrio.

Things Chinese GIS files often get wrong are handled here: a shapefile
without ``.cpg`` whose attributes are GBK (ArcGIS and SuperMap exports), a
shapefile without its ``.dbf``, a GeoPackage or KML with several layers (the
one of the right geometry kind is read, and the choice reported), and a file
GDAL cannot open (a Chinese sentence first, GDAL's own words in brackets).
A file with no CRS at all is guessed later, from its coordinates.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from loaders.errors import ConfigError, EmptyFileError, UnsupportedFileError
from loaders.schema import GeometryKind

VECTOR_SUFFIXES = frozenset({".gpkg", ".geojson", ".json", ".shp", ".kml", ".kmz", ".gml", ".zip"})

KIND_LABELS = {"polygon": "面", "point": "点", "line": "线", "none": "无几何", "mixed": "混合"}
"""Geometry kind of a layer → its Chinese word, for messages."""

_SAMPLE_FEATURES = 1000
"""Features read to tell the geometry kind of a layer whose type is not declared (KML, GeoJSON)."""

T = TypeVar("T")

_PYOGRIO_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError)


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a multi-layer file: its name, feature count and geometry kind."""

    name: str
    features: int
    kind: str
    """``polygon``, ``point``, ``line``, ``none`` (attributes only) or ``mixed``."""

    def describe(self) -> str:
        """``「towns」（18 个面要素）`` for messages."""
        if self.features == 0:
            return f"「{self.name}」（空）"
        return f"「{self.name}」（{self.features} 个{KIND_LABELS[self.kind]}要素）"


@dataclass(frozen=True)
class LayerChoice:
    """Which layer of a file with several was read, and why (reported as a warning)."""

    layer: str
    layers: tuple[LayerInfo, ...]
    reason: str
    """Chinese clause, e.g. ``只有该图层有面要素``."""


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
    choice
        Set when the file has several layers and one was picked by its
        geometry kind or name (not named in ``ipgrid.toml``).
    missing_dbf
        A shapefile whose ``.dbf`` (its attribute table) is missing: the
        geometry was read, but no field.
    """

    frame: pd.DataFrame
    geometry: gpd.GeoSeries
    crs: str | None
    source_rows: np.ndarray
    encoding_note: str | None = None
    choice: LayerChoice | None = None
    missing_dbf: bool = False


@dataclass(frozen=True)
class _Source:
    """Something GDAL opens as one layer: a layer of a file, or a shapefile inside a .zip."""

    name: str
    target: str
    layer: str | None
    sidecar: Callable[[str], bytes | None] | None = None
    """For a shapefile: the bytes of its ``.cpg``/``.dbf``/… (``None`` when absent)."""


def read_vector(path: Path, *, encoding: str | None = None, layer: str | None = None,
                geometry: GeometryKind = "none", prefer: Sequence[str] = ()) -> RawVector:
    """Read one layer of a vector file.

    Parameters
    ----------
    path
        A .gpkg, .geojson/.json, .shp, .zip (holding shapefiles), .kml/.kmz or .gml file.
    encoding
        Attribute encoding; detected for a shapefile without ``.cpg`` when ``None``.
    layer
        Name of the layer to read (``layer`` in ``ipgrid.toml``); ``None`` picks one.
    geometry
        The kind the layer needs: with several layers and no ``layer``, the
        non-empty one with features of this kind is read.
    prefer
        Names (normalised stems of the canonical layer) that win among
        several layers of the right kind.

    Raises
    ------
    UnsupportedFileError
        GDAL cannot open the file (a Chinese sentence, then GDAL's detail in brackets).
    EmptyFileError
        The file (every layer of it) has no features.
    ConfigError
        ``layer`` names no layer of the file.
    """
    path = Path(path)
    sources = _sources(path)
    source, choice = _choose(path, sources, layer, geometry, prefer)
    note = None
    if encoding is None and source.sidecar is not None:
        encoding, note = _shapefile_encoding(source.sidecar)
    gdf = _call(path, lambda: pyogrio.read_dataframe(source.target, layer=source.layer,
                                                     encoding=encoding, on_invalid="ignore"),
                encoding)
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
    geoms = gpd.GeoSeries(gdf.geometry.values, crs=None)
    missing_dbf = source.sidecar is not None and source.sidecar(".dbf") is None
    return RawVector(attrs, geoms, crs, np.arange(1, len(gdf) + 1, dtype=np.int64), note, choice,
                     missing_dbf)


# --------------------------------------------------------------------------- opening


def _call(path: Path, read: Callable[[], T], encoding: str | None = None) -> T:
    """Run a pyogrio call; its failures become one Chinese sentence with GDAL's words after it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return read()
        except _PYOGRIO_ERRORS as exc:
            notes = "; ".join(str(w.message) for w in caught)
            detail = "; ".join(t for t in (str(exc), notes) if t)
            msg = f"{path.name}：{unreadable_reason(path, detail)}（GDAL：{_short(detail, path)}）"
            raise UnsupportedFileError(msg) from None
        except UnicodeDecodeError:
            msg = (f"{path.name}：属性或字段名的编码无法识别（按 {encoding or 'UTF-8'} 读取失败）；"
                   "请在 ipgrid.toml 中为该图层设置 encoding，如 \"GBK\"")
            raise UnsupportedFileError(msg) from None


def _short(detail: str, path: Path) -> str:
    """GDAL's message without the folder part of paths (the file name is enough)."""
    text = detail.replace(f"/vsizip/{path}", path.name).replace(str(path.parent) + "/", "")
    return text.replace("; It might help to specify the correct driver explicitly by prefixing "
                        "the file path with '<DRIVER>:', e.g. 'CSV:path'.", "").strip()


_FORMAT_NAMES = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "Shapefile",
                 ".kml": "KML", ".kmz": "KMZ", ".gml": "GML", ".zip": "压缩的 Shapefile"}


def unreadable_reason(path: Path, detail: str) -> str:
    """The Chinese sentence for a file GDAL cannot open, from GDAL's (English) message.

    Examples
    --------
    >>> unreadable_reason(Path("镇街.shp"), "Unable to open 镇街.shx or 镇街.SHX. Set SHAPE_RESTORE_SHX ...")
    'Shapefile 缺少索引文件 镇街.shx：请把与 .shp 同名的 .shx、.dbf、.prj 文件一起放进数据文件夹'
    >>> unreadable_reason(Path("b.kmz"), "'b.kmz' not recognized as being in a supported file format.")
    '不是有效的 KMZ 文件：文件已损坏，或只是把扩展名改成了 .kmz；请重新导出'
    """
    kind = _FORMAT_NAMES.get(path.suffix.lower(), "矢量")
    low = detail.lower()
    if ".shx" in low and "unable to open" in low:
        return (f"Shapefile 缺少索引文件 {path.stem}.shx：请把与 .shp 同名的 .shx、.dbf、.prj 文件"
                "一起放进数据文件夹")
    if "no such file" in low or "does not exist" in low:
        return "文件不存在或无法打开"
    if "permission denied" in low:
        return "没有读取该文件的权限"
    found = re.search(r"at line (\d+), character (\d+)", low)
    if found:
        return (f"不是有效的 {kind} 文件：JSON 语法有误（第 {found[1]} 行第 {found[2]} 个字符附近），"
                "文件可能不完整；请重新导出")
    if "not a database" in low or "not recognized" in low or "failed to read" in low:
        return f"不是有效的 {kind} 文件：文件已损坏，或只是把扩展名改成了 {path.suffix.lower()}；请重新导出"
    return f"无法作为 {kind} 文件读取，文件可能已损坏；请用 GIS 软件重新导出"


def _sources(path: Path) -> list[_Source]:
    """What in ``path`` can be read as a layer: each layer of the file, or each shapefile of a .zip."""
    if not path.exists():
        msg = f"{path.name}：文件不存在或无法打开"
        raise UnsupportedFileError(msg)
    if path.suffix.lower() == ".zip":
        return _zip_sources(path)
    sidecar = _disk_sidecar(path) if path.suffix.lower() == ".shp" else None
    names = _call(path, lambda: pyogrio.list_layers(path))
    return [_Source(str(row[0]), str(path), str(row[0]) if len(names) > 1 else None, sidecar)
            for row in names]


def _disk_sidecar(path: Path) -> Callable[[str], bytes | None]:
    def read(suffix: str) -> bytes | None:
        for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if candidate.exists():
                return candidate.read_bytes()
        return None

    return read


def _zip_sources(path: Path) -> list[_Source]:
    """Each shapefile inside a .zip (in any folder of it), read through GDAL's /vsizip/."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        msg = f"{path.name}：不是有效的 ZIP 压缩包，文件可能已损坏；请重新压缩（{exc}）"
        raise UnsupportedFileError(msg) from None
    if any(info.flag_bits & 0x1 for info in infos):  # bit 0: the member is encrypted (a password was set)
        msg = f"{path.name}：压缩包设有密码，无法读取；请解压后把文件放入数据文件夹，或重新压缩时不设密码"
        raise UnsupportedFileError(msg)
    members = [info.filename for info in infos]
    shapes = sorted(m for m in members if m.lower().endswith(".shp") and not m.startswith("__MACOSX"))
    if not shapes:
        msg = (f"{path.name}：压缩包中没有 Shapefile（.shp）；压缩包中只能放一套或几套 "
               ".shp/.shx/.dbf/.prj 文件")
        raise UnsupportedFileError(msg)
    lower = {m.lower(): m for m in members}

    def sidecar_of(member: str) -> Callable[[str], bytes | None]:
        def read(suffix: str) -> bytes | None:
            found = lower.get(member[:-4].lower() + suffix)
            if found is None:
                return None
            with zipfile.ZipFile(path) as archive:
                return archive.read(found)

        return read

    return [_Source(Path(m).stem, f"/vsizip/{path}/{m}", None, sidecar_of(m)) for m in shapes]


# --------------------------------------------------------------------------- choosing a layer


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _choose(path: Path, sources: list[_Source], layer: str | None, geometry: GeometryKind,
            prefer: Sequence[str]) -> tuple[_Source, LayerChoice | None]:
    if layer is not None:
        named = [s for s in sources if _norm(s.name) == _norm(layer)]
        if not named:
            msg = (f"{path.name}：ipgrid.toml 中指定的图层「{layer}」不在文件中；"
                   f"文件中的图层为：{'、'.join(s.name for s in sources)}")
            raise ConfigError(msg)
        return named[0], None
    if len(sources) == 1:
        return sources[0], None
    infos = [_layer_info(path, s) for s in sources]
    full = [i for i in infos if i.features != 0]
    if not full:
        msg = f"{path.name}：文件中没有任何要素（{len(infos)} 个图层都是空的）"
        raise EmptyFileError(msg)
    pick, reason = _pick(full, geometry, {_norm(p) for p in prefer})
    chosen = next(s for s, i in zip(sources, infos, strict=True) if i is pick)
    return chosen, LayerChoice(pick.name, tuple(infos), reason)


def _pick(full: list[LayerInfo], geometry: GeometryKind, prefer: set[str]) -> tuple[LayerInfo, str]:
    """The layer to read among the non-empty ones, and why (a Chinese clause)."""
    wanted = KIND_LABELS.get(geometry, "")
    fit = [i for i in full if geometry == "none" or i.kind == geometry]
    named = [i for i in fit if _norm(i.name) in prefer]
    if named:
        return named[0], "按图层名"
    if len(fit) == 1:
        return fit[0], f"只有该图层有{wanted}要素" if geometry != "none" else "只有该图层有要素"
    if fit:
        return fit[0], f"有 {len(fit)} 个{wanted}图层，取第一个"
    return full[0], f"没有{wanted}图层，取第一个有要素的图层"


_DECLARED_KINDS = (("polygon", "polygon"), ("surface", "polygon"), ("point", "point"),
                   ("line", "line"), ("curve", "line"))


def _layer_info(path: Path, source: _Source) -> LayerInfo:
    info = _call(path, lambda: pyogrio.read_info(source.target, layer=source.layer))
    features = int(info["features"])
    declared = str(info["geometry_type"] or "").lower()
    if not declared or declared == "none":
        return LayerInfo(source.name, features, "none")
    kind = next((k for word, k in _DECLARED_KINDS if word in declared), None)
    if kind is None and features != 0:  # "Unknown" (KML, GeoJSON): look at the features
        sample = _call(path, lambda: pyogrio.read_dataframe(
            source.target, layer=source.layer, columns=[], max_features=_SAMPLE_FEATURES))
        features = len(sample) if features < 0 else features
        kind = geometry_kind(sample.geometry.values)
    return LayerInfo(source.name, features, kind or "none")


def geometry_kind(values: np.ndarray) -> str:
    """``polygon``/``point``/``line`` when every present geometry is of that kind, else ``mixed``/``none``.

    Examples
    --------
    >>> geometry_kind(np.array([shapely.Point(0, 0), None, shapely.MultiPoint([(1, 1)])]))
    'point'
    """
    kinds = {_kind_of(t) for t in shapely.get_type_id(values).tolist() if t >= 0}
    if not kinds:
        return "none"
    return kinds.pop() if len(kinds) == 1 else "mixed"


_TYPE_KINDS = {0: "point", 4: "point", 1: "line", 2: "line", 5: "line", 3: "polygon", 6: "polygon"}


def _kind_of(type_id: int) -> str:
    return _TYPE_KINDS.get(type_id, "mixed")


# --------------------------------------------------------------------------- encoding


def _shapefile_encoding(sidecar: Callable[[str], bytes | None]) -> tuple[str | None, str | None]:
    """Pick the DBF encoding of a shapefile that has no ``.cpg``.

    GDAL then falls back to the DBF's language byte or ISO-8859-1, which turns
    GBK Chinese into mojibake.  The DBF's records are tried as UTF-8, then as
    GB18030 (a superset of GBK).
    """
    if sidecar(".cpg") is not None:
        return None, None
    data = sidecar(".dbf")
    if data is None or len(data) < 32:
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
