"""Vector files and layers that fail: never half a layer, a Web Mercator file without .prj, multi-layer files,
GDAL's English errors, zipped shapefiles, null or wrong geometry.  Every test writes its own data.

Towns are :func:`fixture_files.three_towns` (three squares near 120°E, 32°N, EPSG:4549); the
enterprises are WGS-84 points inside them unless a test says otherwise.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fixture_files import METRIC, three_towns, to_lonlat, write_csv, write_shapefile
from streamlit.testing.v1 import AppTest

from dashboard.app_data import DATA_ENV
from dashboard.cli import main
from dashboard.engine import Engine
from loaders import DataBundle, load_folder
from loaders.config import LayerConfig
from loaders.crs import guess_crs, guess_crs_candidates
from loaders.errors import ConfigError, EmptyFileError, UnusableLayerError
from loaders.read import empty_frame
from loaders.schema import ENTERPRISES, LAYERS, TOWNS
from loaders.vectors import read_vector

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
FIRM_XY = [(300, 300), (1500, 700), (3000, 500), (3500, 1500), (1000, 3000)]
"""Five enterprises, metres from ``ORIGIN``: two in 甲镇, two in 乙镇, one in 丙街道."""


def run(*args: str) -> tuple[int, str, str]:
    """``ipgrid`` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def short_towns() -> gpd.GeoDataFrame:
    """The three towns with headers a DBF can hold (10 bytes: 名称 fits, 区划代码 does not in UTF-8)."""
    return three_towns().rename(columns={"区划代码": "code", "常住人口": "pop"})


def write_firms(folder: Path, points: list[tuple[float, float]] | None = None, name: str = "企业.csv") -> None:
    rows = [[f"企业{i}", lon, lat] for i, (lon, lat) in enumerate(points or [to_lonlat(*p) for p in FIRM_XY])]
    write_csv(folder / name, ["企业名称", "经度", "纬度"], rows, "utf-8-sig")


def codes(source: Path | DataBundle, layer: str | None = None) -> list[str]:
    """Problem codes of a folder (loaded here) or a bundle, optionally of one layer."""
    bundle = load_folder(source) if isinstance(source, Path) else source
    return [p.code for p in bundle.problems if layer is None or p.layer == layer]


# --------------------------------------------------------------------------- 1. a failed layer is empty


def _towns_without_name(folder: Path) -> None:
    three_towns().rename(columns={"名称": "别的"}).to_file(folder / "镇街.gpkg")
    write_firms(folder)


def _firms_without_name(folder: Path) -> None:
    three_towns().to_file(folder / "镇街.gpkg")
    rows = [["甲公司", *to_lonlat(500, 500)]]
    write_csv(folder / "企业.csv", ["公司", "经度", "纬度"], rows, "utf-8-sig")


def _shapefile_without_dbf(folder: Path) -> None:
    write_shapefile(short_towns(), folder / "镇街.shp")
    (folder / "镇街.dbf").unlink()
    write_firms(folder)


FAILED_LAYERS = [
    (_towns_without_name, "towns", "镇街.gpkg", "missing_field", "缺少必填字段「名称」（name）；文件中的表头为：别的"),
    (_firms_without_name, "enterprises", "企业.csv", "missing_field", "缺少必填字段「企业名称」（name）"),
    (_shapefile_without_dbf, "towns", "镇街.shp", "shapefile_no_dbf", "Shapefile 缺少属性表文件（.dbf）"),
]
FAILED_IDS = ["towns-no-name", "firms-no-name", "shp-no-dbf"]


@pytest.fixture(params=FAILED_LAYERS, ids=FAILED_IDS)
def failed(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str, str, str, str]:
    make, layer, file, code, message = request.param
    folder = tmp_path / "区"
    folder.mkdir()
    make(folder)
    return folder, layer, file, code, message


def test_failed_layer_is_an_empty_canonical_frame_with_its_problem(failed: tuple[Path, str, str, str, str]) -> None:
    folder, name, file, code, message = failed
    bundle = load_folder(folder)
    layer = bundle.layers[name]
    assert layer.failed and layer.accepted == 0 and layer.file == file
    frame = layer.frame
    assert isinstance(frame, gpd.GeoDataFrame) and len(frame) == 0
    assert str(frame.crs) == "EPSG:4326" and frame.geometry.name == "geometry"
    assert set(LAYERS[name].field_names) | {"source_row"} <= set(frame.columns)
    (problem,) = [p for p in bundle.problems if p.layer == name and p.severity == "error"]
    assert problem.code == code and problem.file == file and message in problem.message
    # the engine can treat it as geometry: no AttributeError on .geometry / .crs
    engine = Engine(bundle)
    assert len(engine.stats("district")) == 1


def test_empty_frame_has_the_columns_of_a_successful_read(tmp_path: Path) -> None:
    three_towns().to_file(tmp_path / "镇街.gpkg")
    write_firms(tmp_path)
    good = load_folder(tmp_path)
    for schema in (TOWNS, ENTERPRISES):
        read = good.frame(schema.name)
        assert read is not None
        empty = empty_frame(schema)
        assert [c for c in read.columns if c != "name_key"] == list(empty.columns)
        for column in empty.columns:  # text is "str", or object where the file had no such header
            a, b = read[column].dtype, empty[column].dtype
            assert a == b or {str(a), str(b)} <= {"str", "object"}, (column, a, b)


def test_validate_lists_the_failed_layer_and_exits_one(failed: tuple[Path, str, str, str, str]) -> None:
    folder, name, file, code, message = failed
    exit_code, out, err = run("validate", str(folder), "--json")
    assert exit_code == 1 and "Traceback" not in err
    report = json.loads(out)
    assert report["layers"][name]["accepted"] == 0 and report["layers"][name]["file"] == file
    assert any(p["code"] == code and message in p["message"] for p in report["problems"])


def test_bundle_refuses_an_analysis_with_an_unusable_required_layer(
        failed: tuple[Path, str, str, str, str]) -> None:
    folder, name, file, _code, message = failed
    bundle = load_folder(folder)
    assert bundle.unusable_layers() == [name]
    label = LAYERS[name].label
    with pytest.raises(UnusableLayerError, match=f"{label}图层（{file}）无法使用：.*请运行 ipgrid validate"):
        bundle.require_usable()
    with pytest.raises(UnusableLayerError, match=f"{label}图层（{file}）无法使用：{re.escape(message[:8])}"):
        load_folder(folder, analysis=True)


def test_an_optional_failed_layer_does_not_block(tmp_path: Path) -> None:
    three_towns().to_file(tmp_path / "镇街.gpkg")
    write_firms(tmp_path)
    write_csv(tmp_path / "服务站点.csv", ["地址", "联系人"], [["甲镇大街 1 号", "张三"]] * 2, "utf-8-sig")
    bundle = load_folder(tmp_path)
    assert bundle.layers["service_points"].failed and bundle.unusable_layers() == []
    bundle.require_usable()
    assert isinstance(bundle.frame("service_points"), gpd.GeoDataFrame)


@pytest.mark.parametrize("command", [["stats"], ["stats", "--level", "grid"], ["coverage"], ["targets"],
                                     ["export", "--out", "{out}/图.png"]], ids=["stats", "stats-grid",
                                                                                "coverage", "targets", "export"])
def test_analysis_commands_exit_two_with_one_chinese_line(failed: tuple[Path, str, str, str, str],
                                                          tmp_path: Path, command: list[str]) -> None:
    folder, name, file, _code, message = failed
    args = [c.replace("{out}", str(tmp_path)) for c in command]
    exit_code, out, err = run(args[0], str(folder), *args[1:])
    assert exit_code == 2 and out == ""
    assert err.startswith(f"错误：{LAYERS[name].label}图层（{file}）无法使用：") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def open_page(monkeypatch: pytest.MonkeyPatch, folder: Path, page: str) -> AppTest:
    monkeypatch.setenv(DATA_ENV, str(folder))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=120)
    at.run()
    if page != "overview":
        at.switch_page(f"dashboard/pages/{page}.py")
        at.run()
    return at


@pytest.mark.parametrize("make", [pytest.param(_towns_without_name, id="towns"),
                                  pytest.param(_firms_without_name, id="firms")])
def test_app_overview_and_data_pages_run_and_list_the_problem(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              make: Callable[[Path], None]) -> None:
    make(tmp_path)
    at = open_page(monkeypatch, tmp_path, "overview")
    assert not at.exception, [e.value for e in at.exception]
    assert any("错误" in w.value for w in at.warning)  # the banner pointing to 数据
    at = open_page(monkeypatch, tmp_path, "data")
    assert not at.exception, [e.value for e in at.exception]
    problems = next(d.value for d in at.dataframe if "说明" in d.value.columns)
    assert "missing_field" in set(problems["代码"])
    assert problems["说明"].str.contains("缺少必填字段").any()


# --------------------------------------------------------------------------- 2. Web Mercator without .prj


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(120.9, 32.0), (75.99, 39.47), (126.6, 45.75), (109.5, 18.25), (116.4, 39.9)],
    ids=["nantong", "kashgar", "harbin", "sanya", "beijing"],
)
def test_web_mercator_of_china_is_guessed_first(lon: float, lat: float) -> None:
    pts = gpd.GeoSeries.from_xy([lon, lon + 0.2], [lat, lat + 0.2], crs=4326).to_crs(3857)
    token, reason = guess_crs(pts.x.to_numpy(), pts.y.to_numpy())
    assert token == "EPSG:3857" and "Web 墨卡托" in reason


@pytest.mark.parametrize(
    ("epsg", "lon", "lat", "expected"),
    [
        (4549, 120.9, 32.0, ["EPSG:4549"]),  # no zone prefix: X < 1e6
        (4528, 120.9, 32.0, ["EPSG:4528"]),  # 3-degree zone 40: X ≥ 2.5e7
        (4498, 117.0, 32.0, ["EPSG:4498"]),  # 6-degree zone 20: X 2.05e7, above Web Mercator's 1.51e7
        (4491, 75.99, 39.47, ["EPSG:3857", "EPSG:4491"]),  # 6-degree zone 13 overlaps: both readings
        (4492, 81.3, 43.9, ["EPSG:3857", "EPSG:4492"]),  # 6-degree zone 14 (Ili) overlaps too
    ],
    ids=["gk-no-prefix", "gk3-zone40", "gk6-zone20", "gk6-zone13", "gk6-zone14"],
)
def test_gauss_kruger_ranges_do_not_collide_with_web_mercator(epsg: int, lon: float, lat: float,
                                                              expected: list[str]) -> None:
    pts = gpd.GeoSeries.from_xy([lon, lon + 0.1], [lat, lat + 0.1], crs=4326).to_crs(epsg)
    got = [t for t, _ in guess_crs_candidates(pts.x.to_numpy(), pts.y.to_numpy())]
    assert got == expected


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([13_400_000.0, 13_500_000.0], [6_000_000.0, 6_100_000.0]),  # north of 53.6°N as a GK northing
        ([13_050_000.0, 13_100_000.0], [3_700_000.0, 3_800_000.0]),  # 50 km from a GK zone edge
        ([13_900_000.0, 14_100_000.0], [5_000_000.0, 5_050_000.0]),  # two GK zones
    ],
    ids=["too-far-north", "easting-off-zone", "two-zones"],
)
def test_values_that_cannot_be_gauss_kruger_are_only_web_mercator(x: list[float], y: list[float]) -> None:
    assert [t for t, _ in guess_crs_candidates(np.array(x), np.array(y))] == ["EPSG:3857"]


def _mercator_towns(folder: Path) -> Path:
    write_shapefile(short_towns().to_crs(3857), folder / "镇街.shp", prj=False)
    write_firms(folder)
    return folder


def test_web_mercator_towns_without_prj(tmp_path: Path) -> None:
    bundle = load_folder(_mercator_towns(tmp_path))
    assert bundle.layers["towns"].crs.startswith("EPSG:3857")
    assert "outside_towns" not in codes(bundle)
    (guessed,) = [p for p in bundle.problems if p.layer == "towns"]
    assert guessed.code == "crs_guessed" and "EPSG:3857" in guessed.message and "EPSG:4491" in guessed.message
    got = bundle.frame("towns").to_crs(METRIC)
    shift = [a.hausdorff_distance(b) for a, b in zip(got.geometry, three_towns().geometry, strict=True)]
    assert max(shift) < 0.01
    stats = Engine(bundle).stats("town").set_index("name")["enterprises"]
    assert stats.to_dict() == {"甲镇": 2, "乙镇": 2, "丙街道": 1, "区外": 0, "未定位": 0}
    assert run("validate", str(tmp_path))[0] == 0


def test_web_mercator_enterprise_columns(tmp_path: Path) -> None:
    three_towns().to_file(tmp_path / "镇街.gpkg")
    lonlat = [to_lonlat(*p) for p in FIRM_XY]
    xy = gpd.GeoSeries.from_xy([p[0] for p in lonlat], [p[1] for p in lonlat], crs=4326).to_crs(3857)
    write_csv(tmp_path / "企业.csv", ["企业名称", "X", "Y"],
              [[f"企业{i}", p.x, p.y] for i, p in enumerate(xy)], "utf-8-sig")
    bundle = load_folder(tmp_path)
    assert bundle.layers["enterprises"].crs.startswith("EPSG:3857")
    assert "outside_towns" not in codes(bundle)


def test_six_degree_zone_wins_when_the_enterprises_say_so(tmp_path: Path) -> None:
    """Kashgar in 6-degree zone 13 (EPSG:4491) reads as Web Mercator too; the firms inside decide."""
    towns = three_towns().to_crs(4326)
    towns["geometry"] = towns.geometry.translate(-44.0, 7.4)  # to about 76°E, 39.5°N
    write_shapefile(towns.rename(columns={"区划代码": "code", "常住人口": "pop"}).to_crs("EPSG:4491"),
                    tmp_path / "镇街.shp", prj=False)
    inside = towns.geometry.representative_point()
    write_firms(tmp_path, [(p.x, p.y) for p in inside])
    bundle = load_folder(tmp_path)
    assert bundle.layers["towns"].crs.startswith("EPSG:4491")
    (fit,) = [p for p in bundle.problems if p.layer == "towns"]
    assert fit.code == "crs_guessed_fit" and fit.severity == "warning"
    assert "EPSG:3857" in fit.message and "有 3 个企业落在镇街范围内（其他读法 0 个）" in fit.message
    assert 'crs = "EPSG:4491"' in fit.message
    assert "outside_towns" not in codes(bundle)


def _wrong_meridian(folder: Path) -> Path:
    """A district near 123°E in Gauss-Kruger CM 123°E without prefix or .prj: read in the folder's metric CRS
    (CM 120°E) it would land about 280 km west of its enterprises."""
    towns = short_towns().to_crs(4326)
    towns["geometry"] = towns.geometry.translate(3.0, 0.0)
    write_shapefile(towns.to_crs("EPSG:4550"), folder / "镇街.shp", prj=False)
    write_firms(folder, [(lon + 3.0, lat) for lon, lat in (to_lonlat(*p) for p in FIRM_XY)])
    return folder


def test_gauss_kruger_without_prefix_takes_the_zone_of_the_enterprises(tmp_path: Path) -> None:
    bundle = load_folder(_wrong_meridian(tmp_path))
    assert bundle.layers["towns"].crs.startswith("EPSG:4550")
    (fit,) = [p for p in bundle.problems if p.layer == "towns"]
    assert fit.code == "crs_guessed_fit" and "CM 120E) 或 EPSG:4550" in fit.message
    assert 'ipgrid.toml 的 [towns] 中设置 crs = "EPSG:4550"' in fit.message
    assert "outside_towns" not in codes(bundle) and bundle.unusable_layers() == []


def _city_coordinates(folder: Path) -> Path:
    """Towns in a city's own grid (城市独立坐标系: origin moved to the district), without .prj."""
    towns = short_towns()
    towns["geometry"] = towns.geometry.translate(-490_000.0, -3_540_000.0)
    write_shapefile(towns, folder / "镇街.shp", prj=False)
    write_firms(folder)
    return folder


def test_no_reading_puts_the_firms_inside_one_crs_error_not_many_outside_rows(tmp_path: Path) -> None:
    bundle = load_folder(_city_coordinates(tmp_path))
    assert "outside_towns" not in codes(bundle)
    (error,) = [p for p in bundle.problems if p.severity == "error"]
    assert error.code == "crs_mismatch" and error.layer == "towns" and error.file == "镇街.shp"
    assert error.message.startswith("坐标系很可能不对：企业图层 5 个已定位的点中有 5 个距镇街范围超过 100 千米")
    assert "镇街图层（镇街.shp）未声明坐标系，是按坐标范围推断为 EPSG:4549" in error.message
    assert '请核对后在 ipgrid.toml 中设置：[towns] crs = "EPSG:4545"（无带号的高斯-克吕格坐标' in error.message
    assert "城市独立坐标系须先转换为 CGCS2000" in error.message
    assert error.message.endswith("；这些点未逐条列为「区外」")
    assert bundle.unusable_layers() == ["towns"]
    exit_code, out, _ = run("validate", str(tmp_path))
    assert exit_code == 1 and "坐标系很可能不对" in out and "位置不在任何镇街范围内" not in out


def test_a_wrong_prj_is_blamed_on_both_layers(tmp_path: Path) -> None:
    """A .prj copied from another file (CM 120°E) over towns drawn in CM 123°E: nothing was guessed."""
    _wrong_meridian(tmp_path)
    short_towns().iloc[[0]].to_file(tmp_path / "other.shp", engine="pyogrio")
    shutil.copy(tmp_path / "other.prj", tmp_path / "镇街.prj")
    for part in tmp_path.glob("other.*"):
        part.unlink()
    bundle = load_folder(tmp_path)
    (error,) = [p for p in bundle.problems if p.severity == "error"]
    assert error.code == "crs_mismatch" and error.layer == "enterprises" and error.file == "企业.csv"
    assert "镇街图层为 EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)，企业图层为 EPSG:4326" in error.message
    assert '[towns] 或 [enterprises] 中 crs = "文件实际的坐标系"（ipgrid.toml 中的 crs 优先于 .prj）' in error.message
    assert bundle.unusable_layers() == ["enterprises"]


def test_declared_crs_fixes_it(tmp_path: Path) -> None:
    _city_coordinates(tmp_path)
    (tmp_path / "镇街.shp").unlink()
    _wrong_meridian(tmp_path)
    (tmp_path / "ipgrid.toml").write_text('[towns]\ncrs = "EPSG:4550"\n', encoding="utf-8")
    bundle = load_folder(tmp_path)
    assert codes(bundle, "towns") == [] and bundle.unusable_layers() == []


def test_swapped_survey_axes_are_named(tmp_path: Path) -> None:
    towns = short_towns()
    towns["geometry"] = shapely.transform(towns.geometry.values, lambda xy: xy[:, ::-1] + [0.0, 40_000_000.0])
    write_shapefile(towns, tmp_path / "镇街.shp", prj=False)  # X northing, Y easting with zone 40
    write_firms(tmp_path)
    with pytest.raises(ConfigError, match="X 与 Y 似乎互换了——测量坐标习惯 X 为北坐标"):
        load_folder(tmp_path)


def test_a_few_far_service_points_are_still_listed_one_by_one(tmp_path: Path) -> None:
    three_towns().to_file(tmp_path / "镇街.gpkg")
    write_firms(tmp_path)
    write_csv(tmp_path / "服务站点.csv", ["站点名称", "站点类型", "经度", "纬度"],
              [["省保护中心", "知识产权保护中心", 118.78, 32.04], ["甲站", "基层知识产权工作站", *to_lonlat(500, 500)]],
              "utf-8-sig")
    (tmp_path / "ipgrid.toml").write_text('[enterprises]\ncrs = "WGS-84"\n[service_points]\ncrs = "WGS-84"\n',
                                          encoding="utf-8")
    assert codes(tmp_path) == ["outside_towns"]  # Nanjing, 200 km away: one row, not a CRS error


# --------------------------------------------------------------------------- 3. layers of a GeoPackage


def _gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    for name, frame in layers.items():
        frame.to_file(path, layer=name, engine="pyogrio")
    return path


def _empty_layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"名称": pd.Series([], dtype=object)}, geometry=[], crs=METRIC)


def _points(towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return towns.assign(geometry=towns.geometry.representative_point())


def test_gpkg_whose_first_layer_is_empty(tmp_path: Path) -> None:
    _gpkg(tmp_path / "镇街.gpkg", {"草稿": _empty_layer(), "边界": three_towns()})
    write_firms(tmp_path)
    bundle = load_folder(tmp_path)
    assert bundle.frame("towns")["name"].tolist() == ["甲镇", "乙镇", "丙街道"]
    (chosen,) = [p for p in bundle.problems if p.code == "vector_layer_chosen"]
    assert chosen.layer == "towns" and chosen.severity == "warning"
    assert chosen.message == ("文件中有 2 个图层：「草稿」（空）、「边界」（3 个面要素）；只有该图层有面要素，"
                              "读取了图层「边界」。如需读取其他图层，请在 ipgrid.toml 的 [towns] 中设置 "
                              "layer = \"图层名\"")
    assert run("validate", str(tmp_path))[0] == 0


def test_gpkg_with_several_layers_is_read_by_geometry_kind_and_name(tmp_path: Path) -> None:
    towns = three_towns()
    _gpkg(tmp_path / "镇街.gpkg", {"站点": _points(towns), "图斑": towns.iloc[[0]], "towns": towns})
    _gpkg(tmp_path / "企业.gpkg", {"范围": towns, "企业点": _points(towns).rename(columns={"名称": "企业名称"})})
    bundle = load_folder(tmp_path)
    assert len(bundle.frame("towns")) == 3 and len(bundle.frame("enterprises")) == 3
    chosen = {p.layer: p.message for p in bundle.problems if p.code == "vector_layer_chosen"}
    assert "按图层名，读取了图层「towns」" in chosen["towns"]
    assert "「站点」（3 个点要素）" in chosen["towns"]
    assert "只有该图层有点要素，读取了图层「企业点」" in chosen["enterprises"]


def test_gpkg_without_any_feature_exits_two(tmp_path: Path) -> None:
    _gpkg(tmp_path / "镇街.gpkg", {"a": _empty_layer(), "b": _empty_layer()})
    write_firms(tmp_path)
    with pytest.raises(EmptyFileError, match=r"镇街\.gpkg：文件中没有任何要素（2 个图层都是空的）"):
        load_folder(tmp_path)
    exit_code, _, err = run("validate", str(tmp_path))
    assert exit_code == 2 and err.startswith("错误：镇街.gpkg：文件中没有任何要素")


def test_a_layer_can_be_named(tmp_path: Path) -> None:
    path = _gpkg(tmp_path / "镇街.gpkg", {"边界": three_towns(), "旧边界": three_towns().iloc[[0]]})
    raw = read_vector(path, layer="旧边界", geometry="polygon")
    assert len(raw.frame) == 1 and raw.choice is None
    with pytest.raises(ConfigError, match="指定的图层「新边界」不在文件中；文件中的图层为：边界、旧边界"):
        read_vector(path, layer="新边界")


@pytest.mark.skipif("layer" not in LayerConfig.__dataclass_fields__,
                    reason="loaders/config.py has no [layer] layer = … setting yet (see the hardening report)")
def test_a_layer_named_in_ipgrid_toml(tmp_path: Path) -> None:
    _gpkg(tmp_path / "镇街.gpkg", {"边界": three_towns(), "旧边界": three_towns().iloc[[0]]})
    write_firms(tmp_path)
    (tmp_path / "ipgrid.toml").write_text('[towns]\nlayer = "旧边界"\n', encoding="utf-8")
    bundle = load_folder(tmp_path)
    assert bundle.frame("towns")["name"].tolist() == ["甲镇"]
    assert "vector_layer_chosen" not in codes(bundle)


# --------------------------------------------------------------------------- 4. GDAL's words come second


def _no_shx(folder: Path) -> None:
    write_shapefile(short_towns(), folder / "镇街.shp")
    (folder / "镇街.shx").unlink()


def _bad_kmz(folder: Path) -> None:
    (folder / "镇街.kmz").write_bytes(b"PK\x03\x04 not really a kmz")


def _cut_geojson(folder: Path) -> None:
    text = three_towns().to_crs(4326).to_json()
    (folder / "镇街.geojson").write_text(text[: len(text) // 2], encoding="utf-8")


def _bad_gpkg(folder: Path) -> None:
    (folder / "镇街.gpkg").write_bytes(b"SQLite format 3\x00" + bytes(100))


@pytest.mark.parametrize(
    ("damage", "sentence"),
    [
        (_no_shx, "镇街.shp：Shapefile 缺少索引文件 镇街.shx：请把与 .shp 同名的 .shx、.dbf、.prj 文件"
                  "一起放进数据文件夹"),
        (_bad_kmz, "镇街.kmz：不是有效的 KMZ 文件：文件已损坏，或只是把扩展名改成了 .kmz；请重新导出"),
        (_cut_geojson, "镇街.geojson：不是有效的 GeoJSON 文件：JSON 语法有误（第 1 行第"),
        (_bad_gpkg, "镇街.gpkg：不是有效的 GeoPackage 文件：文件已损坏"),
    ],
    ids=["no-shx", "bad-kmz", "cut-geojson", "bad-gpkg"],
)
def test_unreadable_vector_file_has_a_chinese_sentence_first(tmp_path: Path, damage: Callable[[Path], None],
                                                            sentence: str) -> None:
    damage(tmp_path)
    write_firms(tmp_path)
    exit_code, out, err = run("validate", str(tmp_path))
    assert exit_code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"错误：{sentence}")
    head, _, detail = err.partition("（GDAL：")
    assert detail, "GDAL's own message follows in brackets"
    english = set(re.findall(r"[A-Za-z]{4,}", head)) - {"Shapefile", "GeoJSON", "JSON", "GeoPackage"}
    assert english <= {"geojson", "gpkg"}, f"English before GDAL's part: {english}"  # file suffixes only


# --------------------------------------------------------------------------- relatives


def _zip_shapefile(folder: Path, towns: gpd.GeoDataFrame, *, prj: bool, encoding: str = "UTF-8",
                   inner: str = "数据/towns") -> Path:
    work = folder / "_work"
    work.mkdir()
    write_shapefile(towns, work / "t.shp", encoding=encoding, cpg=False, prj=prj)
    with zipfile.ZipFile(folder / "镇街.zip", "w") as archive:
        for part in work.iterdir():
            archive.write(part, f"{inner}{part.suffix}")
    shutil.rmtree(work)
    return folder / "镇街.zip"


def test_zipped_shapefile_without_prj_or_cpg(tmp_path: Path) -> None:
    """A .zip holding a GBK shapefile in a subfolder, without .prj or .cpg: read, decoded, CRS guessed."""
    _zip_shapefile(tmp_path, three_towns()[["名称", "geometry"]], prj=False, encoding="GBK")
    write_firms(tmp_path)
    bundle = load_folder(tmp_path)
    assert bundle.frame("towns")["name"].tolist() == ["甲镇", "乙镇", "丙街道"]
    assert bundle.layers["towns"].crs.startswith("EPSG:4549")
    assert sorted(codes(bundle, "towns")) == ["crs_guessed", "encoding_guessed"]
    assert "outside_towns" not in codes(bundle)


def test_zip_without_a_shapefile(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "镇街.zip", "w") as archive:
        archive.writestr("说明.txt", "边界见附件")
    write_firms(tmp_path)
    exit_code, _, err = run("validate", str(tmp_path))
    assert exit_code == 2 and err.startswith("错误：镇街.zip：压缩包中没有 Shapefile（.shp）")


def test_geojson_of_null_geometries_is_one_problem(tmp_path: Path) -> None:
    features = [{"type": "Feature", "properties": {"名称": n}, "geometry": None} for n in ("甲镇", "乙镇")]
    (tmp_path / "镇街.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                                           encoding="utf-8")
    write_firms(tmp_path)
    bundle = load_folder(tmp_path)
    (problem,) = [p for p in bundle.problems if p.layer == "towns"]
    assert problem.code == "no_geometry_of_kind" and problem.row is None
    assert problem.message == "文件中没有面要素（2 个没有几何图形），镇街图层需要 Polygon/MultiPolygon，未导入"
    assert bundle.layers["towns"].failed and bundle.unusable_layers() == ["towns"]


def test_geojson_with_some_null_geometries_reports_those_rows(tmp_path: Path) -> None:
    towns = three_towns().to_crs(4326)
    towns.loc[1, "geometry"] = None
    towns.to_file(tmp_path / "镇街.geojson")
    write_firms(tmp_path)
    bundle = load_folder(tmp_path)
    assert [(p.code, p.row) for p in bundle.problems if p.layer == "towns"] == [("empty_geometry", 2)]
    assert bundle.frame("towns")["name"].tolist() == ["甲镇", "丙街道"]


def test_kml_of_points_for_towns(tmp_path: Path) -> None:
    _points(three_towns()).to_crs(4326).to_file(tmp_path / "镇街.kml", driver="KML")
    write_firms(tmp_path)
    bundle = load_folder(tmp_path)
    (problem,) = [p for p in bundle.problems if p.layer == "towns"]
    assert problem.message == "文件中没有面要素（3 个 Point），镇街图层需要 Polygon/MultiPolygon，未导入"
    assert run("validate", str(tmp_path))[0] == 1


def test_enterprise_layer_of_polygons_and_of_mixed_geometry(tmp_path: Path) -> None:
    towns = three_towns()
    towns.to_file(tmp_path / "镇街.gpkg")
    firms = towns.rename(columns={"名称": "企业名称"})
    firms.to_file(tmp_path / "企业.gpkg")
    bundle = load_folder(tmp_path)
    (problem,) = [p for p in bundle.problems if p.layer == "enterprises"]
    assert problem.message == "文件中没有点要素（3 个 Polygon），企业图层需要 Point，未导入"
    (tmp_path / "企业.gpkg").unlink()
    mixed = firms.copy()
    mixed.loc[[0, 2], "geometry"] = [shapely.Point(p) for p in (towns.geometry.iloc[0].centroid,
                                                                 towns.geometry.iloc[2].centroid)]
    mixed.to_file(tmp_path / "企业.gpkg")
    bundle = load_folder(tmp_path)
    assert [(p.code, p.row) for p in bundle.problems if p.layer == "enterprises"] == [("wrong_geometry", 2)]
    assert bundle.frame("enterprises")["name"].tolist() == ["甲镇", "丙街道"]
    assert bundle.frame("enterprises").geometry.geom_type.unique().tolist() == ["Point"]
