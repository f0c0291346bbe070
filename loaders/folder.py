"""Open a data folder: find each layer's file, read it, apply the layer's rules.

Files are found by stem, Chinese or English (``企业.xlsx``, ``towns.gpkg``),
any supported extension, unless ``ipgrid.toml`` names the file.  The towns
are read first: other layers are checked against them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from loaders import layers as rules
from loaders.bundle import DataBundle, Layer
from loaders.config import read_config
from loaders.errors import DataFolderError, MissingLayerError, UnsupportedFileError
from loaders.problems import ProblemLog
from loaders.read import read_layer_file
from loaders.schema import LAYERS, LayerSchema
from loaders.tables import TABLE_SUFFIXES
from loaders.vectors import VECTOR_SUFFIXES

SUPPORTED_SUFFIXES = VECTOR_SUFFIXES | TABLE_SUFFIXES
_SIDECARS = frozenset({".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd", ".xml",
                       ".lock", ".md", ".toml"})


def _norm_stem(path: Path) -> str:
    return unicodedata.normalize("NFKC", path.stem).strip().lower()


def find_layer_files(folder: Path, configured: dict[str, str | None]) -> dict[str, Path]:
    """The file of each layer present in ``folder``.

    Raises
    ------
    DataFolderError
        Two files could both be the same layer, or a configured file is missing.
    UnsupportedFileError
        A file named like a layer has an extension no loader reads.
    """
    found: dict[str, Path] = {}
    entries = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
    for name, schema in LAYERS.items():
        file = configured.get(name)
        if file:
            path = folder / file
            if not path.exists():
                msg = f"ipgrid.toml 中 [{name}] file = 「{file}」，但文件夹中没有这个文件"
                raise DataFolderError(msg)
            found[name] = path
            continue
        stems = {unicodedata.normalize("NFKC", s).lower() for s in schema.stems}
        matches = [p for p in entries if _norm_stem(p) in stems and p.suffix.lower() not in _SIDECARS]
        if len(matches) > 1:
            names = "、".join(p.name for p in matches)
            msg = (f"有多个文件都可作为{schema.label}图层：{names}；"
                   f"请只保留一个，或在 ipgrid.toml 的 [{name}] 中用 file 指定")
            raise DataFolderError(msg)
        if matches:
            found[name] = matches[0]
    for name, path in found.items():
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            msg = (f"{path.name}：不支持的文件类型「{path.suffix}」（{LAYERS[name].label}图层）；"
                   "矢量文件请用 .gpkg/.shp/.geojson/.kml，表格请用 .xlsx/.xls/.csv")
            raise UnsupportedFileError(msg)
    return found


def load_folder(folder: Path | str, progress: Callable[[str, int, int], None] | None = None
                ) -> DataBundle:
    """Load every layer of a data folder into canonical layers plus a problems report.

    Parameters
    ----------
    folder
        The data folder.
    progress
        Called as ``progress(layer_label, done, total)`` before each layer (for a progress bar).

    Raises
    ------
    DataFolderError
        The folder does not exist, a required layer (towns, enterprises) is
        missing, a file is empty or of an unsupported type, or ``ipgrid.toml``
        is wrong.  Row-level faults never raise: they are in ``bundle.problems``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        msg = f"数据文件夹「{folder}」不存在或不是文件夹"
        raise DataFolderError(msg)
    config = read_config(folder)
    files = find_layer_files(folder, {n: c.file for n, c in config.layers.items()})
    for name, schema in LAYERS.items():
        if schema.required_layer and name not in files:
            stems = "、".join(schema.stems[:2])
            msg = (f"缺少必需的{schema.label}图层：文件夹「{folder}」中没有名为 {stems} 的文件"
                   f"（如 {schema.stems[0]}.{'gpkg' if schema.geometry == 'polygon' else 'xlsx'}）")
            raise MissingLayerError(msg)

    bundle = DataBundle(folder=folder, config=config, problems=ProblemLog())
    total = len(files)
    for done, (name, path) in enumerate((n, files[n]) for n in LAYERS if n in files):
        schema = LAYERS[name]
        if progress is not None:
            progress(schema.label, done, total)
        bundle.layers[name] = _load_layer(schema, path, bundle)
    bundle.problems.sort(list(LAYERS))
    return bundle


def _load_layer(schema: LayerSchema, path: Path, bundle: DataBundle) -> Layer:
    if schema.geometry == "polygon" and schema.name != "gi_areas" and path.suffix.lower() in TABLE_SUFFIXES:
        msg = (f"{path.name}：{schema.label}图层需要边界，请提供矢量文件"
               "（.gpkg/.shp/.geojson/.kml），而不是表格")
        raise UnsupportedFileError(msg)
    log = bundle.problems
    config = bundle.config
    label = path.name
    result = read_layer_file(schema, path, label, config.layer(schema.name), config, log)
    frame = result.frame
    towns = bundle.frame("towns")
    if not result.missing_fields and len(frame):
        frame = _FINISH[schema.name](frame, towns, bundle, label)
    return Layer(name=schema.name, frame=frame, file=label, rows=result.rows,
                 accepted=len(frame), crs=result.crs)


_FINISH: dict[str, Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame | None, DataBundle, str],
                            pd.DataFrame]] = {
    "towns": lambda f, t, b, lab: rules.finish_towns(f, b.config, b.problems, lab),
    "parks": lambda f, t, b, lab: rules.finish_parks(f, b.config, b.problems, lab),
    "grids": lambda f, t, b, lab: rules.finish_grids(f, b.config, b.problems, lab),
    "commissioners": lambda f, t, b, lab: f,
    "enterprises": lambda f, t, b, lab: rules.finish_enterprises(f, t, b.problems, lab),
    "ip_records": lambda f, t, b, lab: f,
    "service_points": lambda f, t, b, lab: rules.finish_service_points(f, t, b.config,
                                                                        b.problems, lab),
    "gi_areas": lambda f, t, b, lab: rules.finish_gi_areas(f, t, b.problems, lab),
    "indicators": lambda f, t, b, lab: rules.finish_indicators(f, b.problems, lab),
}
"""Layer name → its rules, called as ``finish(frame, towns, bundle, file_label)``."""
