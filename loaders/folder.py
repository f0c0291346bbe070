"""Open a data folder: find each layer's file, read it, apply the layer's rules.

Files are found by stem, Chinese or English (``企业.xlsx``, ``towns.gpkg``),
any supported extension, unless ``ipgrid.toml`` names the file.  The towns
are read first: other layers are checked against them.

A file without a CRS is read in the CRS its numbers suggest.  When they fit
two (Web Mercator and a 6-degree Gauss-Kruger zone), the reading that puts
the most enterprises inside the towns wins, and the choice is reported.  When
most of a layer still lies over :data:`CRS_MISMATCH_KM` from the towns, one
``crs_mismatch`` error says the CRS is probably wrong, instead of a 区外
warning for every enterprise.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from loaders import crs as crs_mod
from loaders import layers as rules
from loaders.bundle import DataBundle, Layer
from loaders.config import read_config
from loaders.errors import DataFolderError, MissingLayerError, UnsupportedFileError
from loaders.problems import ProblemLog
from loaders.read import ReadResult, read_layer_file
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
    base = folder.resolve()
    for name, path in found.items():
        if not path.resolve().is_relative_to(base):
            # a layer file that is a link out of the folder: its contents could end up in a problem message
            msg = (f"{path.name}：是指向数据文件夹之外的链接（{LAYERS[name].label}图层）；"
                   "请把文件本身复制到数据文件夹中")
            raise DataFolderError(msg)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            msg = (f"{path.name}：不支持的文件类型「{path.suffix}」（{LAYERS[name].label}图层）；"
                   "矢量文件请用 .gpkg/.shp/.zip/.geojson/.kml，表格请用 .xlsx/.xls/.csv")
            raise UnsupportedFileError(msg)
    return found


def load_folder(folder: Path | str, progress: Callable[[str, int, int], None] | None = None, *,
                analysis: bool = False) -> DataBundle:
    """Load every layer of a data folder into canonical layers plus a problems report.

    Parameters
    ----------
    folder
        The data folder.
    progress
        Called as ``progress(layer_label, done, total)`` before each layer (for a progress bar).
    analysis
        The caller computes figures (``ipgrid stats``, ``coverage``,
        ``targets``, ``export``, ``atlas``): refuse a folder whose towns or
        enterprises are unusable (:meth:`DataBundle.require_usable`).  Reports
        (``ipgrid validate``, the app) leave it ``False`` and show the problems.

    Raises
    ------
    DataFolderError
        The folder does not exist, a required layer (towns, enterprises) is
        missing, a file is empty or of an unsupported type, or ``ipgrid.toml``
        is wrong.  Row-level faults never raise: they are in ``bundle.problems``;
        a layer that could not be read is there too, empty (``Layer.failed``).
    UnusableLayerError
        With ``analysis``: the towns or the enterprises have no usable row, or
        their CRS is probably wrong.
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
    loader = _Loader(bundle, files)
    total = len(files)
    for done, name in enumerate(n for n in LAYERS if n in files):
        schema = LAYERS[name]
        if progress is not None:
            progress(schema.label, done, total)
        bundle.layers[name] = loader.load(schema)
    bundle.problems.sort(list(LAYERS))
    if analysis:
        bundle.require_usable()
    return bundle


CRS_MISMATCH_KM = 100.0
"""A layer most of whose located features lie farther than this from the towns' extent has a wrong CRS.

No district's own enterprise list or service network lies mostly 100 km
outside its towns; a CRS read wrongly puts them hundreds or thousands of
kilometres away."""

CRS_MISMATCH_MIN_POINTS = 3
"""Fewest located features for the CRS-mismatch check (one far service point is just far)."""

_KM_PER_DEGREE_LAT = 110.57
_KM_PER_DEGREE_LON = 111.32


class _Loader:
    """Loads the layers of one folder in order; may read one ahead to settle a guessed CRS."""

    def __init__(self, bundle: DataBundle, files: dict[str, Path]) -> None:
        self.bundle = bundle
        self.files = files
        self._ahead: dict[str, tuple[ReadResult, ProblemLog]] = {}
        self._guesses: dict[str, crs_mod.CrsGuess] = {}

    def read(self, name: str, crs: str | None = None) -> tuple[ReadResult, ProblemLog]:
        """Read layer ``name`` into its own problem log (``crs`` forces a CRS the file does not declare)."""
        if crs is None and name in self._ahead:
            return self._ahead.pop(name)
        layer_cfg = self.bundle.config.layer(name)
        if crs is not None:
            layer_cfg = replace(layer_cfg, crs=crs)
        path = self.files[name]
        log = ProblemLog()
        result = read_layer_file(LAYERS[name], path, path.name, layer_cfg, self.bundle.config, log)
        return result, log

    def read_ahead(self, name: str) -> ReadResult | None:
        """Read layer ``name`` now and keep it for its turn; ``None`` when the folder has none."""
        if name not in self.files:
            return None
        if name not in self._ahead:
            self._ahead[name] = self.read(name)
        return self._ahead[name][0]

    def load(self, schema: LayerSchema) -> Layer:
        """Read the layer, settle a guessed CRS, check it against the towns, apply the layer's rules."""
        path = self.files[schema.name]
        if (schema.geometry == "polygon" and schema.name != "gi_areas"
                and path.suffix.lower() in TABLE_SUFFIXES):
            msg = (f"{path.name}：{schema.label}图层需要边界，请提供矢量文件"
                   "（.gpkg/.shp/.zip/.geojson/.kml），而不是表格")
            raise UnsupportedFileError(msg)
        result, log = self.read(schema.name)
        if result.guess is not None and (result.guess.alternatives
                                         or crs_mod.is_gk_without_prefix(result.guess.token)):
            result, log = self._fit_guess(schema.name, result, log)
        if result.guess is not None:
            self._guesses[schema.name] = result.guess
        self.bundle.problems.extend(log)
        towns = self.bundle.frame("towns")
        if schema.name != "towns" and self._crs_mismatch(schema, result) and schema.geometry == "point":
            towns = None  # one crs_mismatch problem, not a 区外 warning per row
        frame = _FINISH[schema.name](result.frame, towns, self.bundle, path.name)
        return Layer(name=schema.name, frame=frame, file=path.name, rows=result.rows,
                     accepted=len(frame), crs=result.crs, crs_guessed=result.guess is not None,
                     failed=result.failed)

    def _fit_guess(self, name: str, result: ReadResult, log: ProblemLog) -> tuple[ReadResult, ProblemLog]:
        """Of the readings a guessed CRS allows, the one that puts most features inside the towns.

        The towns are tried against the enterprises' points (read ahead), any
        other layer against the towns already loaded.  A Gauss-Kruger guess
        without zone prefix (its central meridian is only the folder's
        ``metric_crs``) is also tried in the 3-degree zone of the other
        layer's longitudes.  Ties keep the first reading, and so does a folder
        with nothing to compare against.
        """
        assert result.guess is not None
        if name == "towns":
            firms = self.read_ahead("enterprises")
            other = _located(firms.frame) if firms is not None else _located(pd.DataFrame())

            def score(res: ReadResult) -> int:
                return _inside(other, res.frame)
        else:
            towns = self.bundle.frame("towns")
            other = _located(towns) if towns is not None else _located(pd.DataFrame())

            def score(res: ReadResult) -> int:
                return _inside(_located(res.frame), towns)

        options = [result.guess.token, *result.guess.alternatives]
        if crs_mod.is_gk_without_prefix(options[0]) and len(other):
            zone = crs_mod.gk3_without_prefix_at(float(np.median(shapely.get_x(other))))
            if zone is not None and zone not in options:
                options.append(zone)
        if len(options) == 1:
            return result, log
        tries = [(result, log), *(self.read(name, crs=t) for t in options[1:])]
        scores = [score(r) for r, _ in tries]
        best = int(np.argmax(scores))
        if best == 0:
            return result, log
        chosen, chosen_log = tries[best]
        token = options[best]
        what = "企业" if name == "towns" else ("点" if LAYERS[name].geometry == "point" else "要素")
        chosen_log.add("crs_guessed_fit", layer=name, file=self.files[name].name,
                       options=" 或 ".join(crs_mod.describe_crs(t) for t in options),
                       crs=crs_mod.describe_crs(token), inside=scores[best], what=what,
                       others="、".join(str(n) for i, n in enumerate(scores) if i != best),
                       section=name, token=token)
        return replace(chosen, guess=crs_mod.CrsGuess(token, tuple(t for t in options if t != token))), chosen_log

    def _crs_mismatch(self, schema: LayerSchema, result: ReadResult) -> bool:
        """Report one crs_mismatch error when most of a layer lies far outside the towns; say whether."""
        towns = self.bundle.layers.get("towns")
        if towns is None or not isinstance(towns.frame, gpd.GeoDataFrame) or len(towns.frame) == 0 \
                or schema.geometry == "none":
            return False
        probe = _located(result.frame)
        if len(probe) < CRS_MISMATCH_MIN_POINTS:
            return False
        far = _km_outside(probe, towns.frame.total_bounds) > CRS_MISMATCH_KM
        if far.sum() * 2 <= len(probe):
            return False
        file, point = self.files[schema.name].name, schema.geometry == "point"
        # A guess from projected numbers is suspect; longitude/latitude read as such hardly ever is.
        guessed = result.guess is not None and result.guess.token != crs_mod.WGS84
        metric = self.bundle.config.metric_crs
        if towns.crs_guessed:
            blamed = "towns"
            detail = f"镇街图层（{towns.file}）未声明坐标系，是按坐标范围推断为 {towns.crs} 的"
            fix = "[towns] " + _example_crs(self._guesses.get("towns"), metric)
        elif guessed:
            blamed = schema.name
            detail = f"{schema.label}图层（{file}）未声明坐标系，是按坐标范围推断为 {result.crs} 的"
            fix = f"[{schema.name}] " + _example_crs(result.guess, metric)
        else:
            blamed = schema.name
            detail = (f"镇街图层为 {towns.crs or '未知'}，{schema.label}图层为 {result.crs or '未知'}，"
                      "两者至少有一个与文件实际的坐标系不符")
            fix = f"[towns] 或 [{schema.name}] 中 crs = \"文件实际的坐标系\"（ipgrid.toml 中的 crs 优先于 .prj）"
        self.bundle.problems.add(
            "crs_mismatch", layer=blamed, file=self.files[blamed].name, field="geometry",
            checked=schema.label, located=len(probe), far=int(far.sum()), km=CRS_MISMATCH_KM,
            what="点" if point else "要素", detail=detail, fix=fix,
            note="；这些点未逐条列为「区外」" if point else "",
        )
        return True


def _example_crs(guess: crs_mod.CrsGuess | None, metric_crs: str) -> str:
    """A ``crs = "…"`` example for a layer whose guessed CRS (every reading of it) puts it far away.

    Gauss-Kruger without prefix gets a note on choosing the zone (every
    other reading was tried already); anything else the folder's metric CRS,
    or Web Mercator when the metric CRS was the guess.
    """
    metric = crs_mod.parse_crs(metric_crs)
    if guess is not None and crs_mod.is_gk_without_prefix(guess.token):
        return ('crs = "EPSG:4545"（无带号的高斯-克吕格坐标按中央经线在 EPSG:4534–4554 中选；'
                "城市独立坐标系须先转换为 CGCS2000）")
    if guess is not None and guess.token == metric:
        return f'crs = "{crs_mod.WEB_MERCATOR}"'
    return f'crs = "{metric}"'


def _located(frame: pd.DataFrame) -> np.ndarray:
    """A point per located feature of a spatial frame (a polygon's representative point)."""
    if not isinstance(frame, gpd.GeoDataFrame) or len(frame) == 0:
        return np.zeros(0, dtype=object)
    values = np.asarray(frame.geometry.values, dtype=object)
    values = values[~(shapely.is_missing(values) | shapely.is_empty(values))]
    if not (shapely.get_type_id(values) == 0).all():  # polygons: a point inside each
        values = np.asarray(shapely.point_on_surface(values), dtype=object)
    return values


def _inside(points: np.ndarray, areas: pd.DataFrame | None) -> int:
    """How many of ``points`` some area of ``areas`` covers."""
    if len(points) == 0 or not isinstance(areas, gpd.GeoDataFrame) or len(areas) == 0:
        return 0
    union = shapely.union_all(areas.geometry.values)
    shapely.prepare(union)
    return int(shapely.covers(union, points).sum())


def _km_outside(points: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Approximate distance in km from each lon/lat point to the box ``bounds`` (0 inside)."""
    x, y = shapely.get_x(points), shapely.get_y(points)
    west, south, east, north = (float(b) for b in bounds)
    dx = np.maximum(np.maximum(west - x, x - east), 0.0)
    dy = np.maximum(np.maximum(south - y, y - north), 0.0)
    cos_lat = np.cos(np.radians(np.clip(y, -89.0, 89.0)))
    km: np.ndarray = np.hypot(dx * _KM_PER_DEGREE_LON * cos_lat, dy * _KM_PER_DEGREE_LAT)
    return km


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
