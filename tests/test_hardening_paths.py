"""What a user can point the app at: the 数据 page's folder field, the folder fingerprint, paths in
``ipgrid.toml``, the generated-grid cap and ``--year`` — each refused with one Chinese message, never a walk
of the server's files, a traceback or another folder's data."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from conftest import write_xss_folder
from fixture_files import three_towns, to_lonlat, write_csv, write_xlsx
from streamlit.testing.v1 import AppTest

import loaders
from dashboard import app_data
from dashboard.app_data import (
    DATA_ENV,
    MAX_SCANNED_ENTRIES,
    ROOTS_ENV,
    allowed_roots,
    check_folder_choice,
    folder_signature,
    scan_folder,
)
from dashboard.cli import main
from dashboard.engine import Engine
from dashboard.engine import grids as grid_mod
from dashboard.engine.grids import check_generated_cells, generated_cell_count, official_or_generated
from geodata import DEMO_DIR
from loaders.errors import (
    ConfigError,
    EngineInputError,
    FolderChoiceError,
    GeneratedGridTooLargeError,
    GridSizeError,
)

APP_SCRIPT = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT_S = 120
OUTSIDE_ROOTS = "只能读取允许的数据目录"
SECRET = "SECRET-LINE-42 口令：hunter2"
"""A line of a file outside the data folder that no message may echo."""


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return int(code or 0), out.getvalue(), err.getvalue()


def plain_folder(root: Path, toml: str = "") -> Path:
    """Three towns and one firm (no grid layer, no parks, no rights), with ``toml`` added to ipgrid.toml."""
    root.mkdir(parents=True, exist_ok=True)
    three_towns().to_file(root / "镇街.gpkg")
    lon, lat = to_lonlat(500, 500)
    write_csv(root / "企业.csv", ["企业名称", "经度", "纬度", "有效发明专利"], [["甲", lon, lat, 2]], "utf-8-sig")
    (root / "ipgrid.toml").write_text('[enterprises]\ncrs = "WGS-84"\n' + toml, encoding="utf-8")
    return root


# --------------------------------------------------------------------------- 1a. the folder field


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """``roots/shown`` (the app's folder), ``roots/other`` (allowed), and outside the roots: ``outside`` (a
    valid data folder), ``secret.txt``; inside, ``roots/link`` → ``outside``.  ``IPGRID_DATA_ROOTS`` = ``roots``."""
    root = tmp_path / "roots"
    shown = write_xss_folder(root / "shown")
    other = write_xss_folder(root / "other")
    outside = write_xss_folder(tmp_path / "outside")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (root / "link").symlink_to(outside, target_is_directory=True)
    monkeypatch.setenv(ROOTS_ENV, str(root))
    monkeypatch.setenv(DATA_ENV, str(shown))
    return {"root": root, "shown": shown, "other": other, "outside": outside, "tmp": tmp_path}


def open_data_page() -> AppTest:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page("dashboard/pages/data.py")
    return at.run()


def type_folder(at: AppTest, text: str) -> AppTest:
    at.text_input(key="data.folder.path").input(text)
    next(b for b in at.button if b.label == "读取此文件夹").click()
    return at.run()


def shown_folder(at: AppTest) -> str:
    return at.code[0].value


REFUSED = [
    ("/", OUTSIDE_ROOTS),
    ("/root", OUTSIDE_ROOTS),
    ("/usr", OUTSIDE_ROOTS),
    ("{tmp}/outside", OUTSIDE_ROOTS),
    ("{root}/link", OUTSIDE_ROOTS),  # a link inside the roots to a folder outside them
    ("{root}/shown/../../outside", OUTSIDE_ROOTS),
    ("{root}/..", OUTSIDE_ROOTS),
    ("{root}/shown/../../../../../../..", OUTSIDE_ROOTS),
    ("~", OUTSIDE_ROOTS),
    ("{tmp}/secret.txt", OUTSIDE_ROOTS),  # outside: not even said to be a file
    ("{root}/shown/企业.csv", "是文件，不是文件夹"),
    ("{root}/missing", "不存在"),
    ("{root}/shown/\x00", OUTSIDE_ROOTS),
]


@pytest.mark.parametrize(("typed", "message"), REFUSED, ids=[t for t, _ in REFUSED])
def test_folder_field_refuses_with_one_message(roots: dict[str, Path], typed: str, message: str) -> None:
    at = open_data_page()
    before = shown_folder(at)
    at = type_folder(at, typed.format(root=roots["root"], tmp=roots["tmp"]))
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and message in at.error[0].value
    assert shown_folder(at) == before == str(roots["shown"].resolve())  # nothing else was opened
    assert SECRET.split()[0] not in at.error[0].value


def test_folder_field_opens_an_allowed_folder(roots: dict[str, Path]) -> None:
    at = type_folder(open_data_page(), str(roots["root"] / "shown" / ".." / "other"))
    assert not at.exception and not at.error
    assert shown_folder(at) == str(roots["other"].resolve())


def test_checking_a_choice_lists_nothing(roots: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_listing(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("listed a folder")

    monkeypatch.setattr(os, "scandir", no_listing)
    monkeypatch.setattr(Path, "iterdir", no_listing)
    monkeypatch.setattr(Path, "rglob", no_listing)
    for text in ("/", "/root", "/usr", str(roots["root"] / "link")):
        with pytest.raises(FolderChoiceError, match=OUTSIDE_ROOTS):
            check_folder_choice(text)
    assert check_folder_choice(str(roots["other"])) == roots["other"].resolve()


def test_default_roots(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ROOTS_ENV, raising=False)
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert allowed_roots() == (DEMO_DIR,)
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "通州区" / "2025Q4"))
    assert allowed_roots() == ((tmp_path / "通州区").resolve(), DEMO_DIR)
    monkeypatch.setenv(DATA_ENV, "/data")  # its parent is /: that would allow every folder
    assert allowed_roots() == (Path("/data"), DEMO_DIR)
    monkeypatch.setenv(ROOTS_ENV, f" {tmp_path / 'a'} {os.pathsep}{os.pathsep}{tmp_path / 'b'}")
    assert allowed_roots() == ((tmp_path / "a").resolve(), (tmp_path / "b").resolve())  # replaces the default


def test_the_demo_is_allowed_and_its_parent_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ROOTS_ENV, raising=False)
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert check_folder_choice(str(DEMO_DIR)) == DEMO_DIR
    with pytest.raises(FolderChoiceError, match=OUTSIDE_ROOTS):
        check_folder_choice(str(DEMO_DIR / ".."))


def test_a_stored_choice_outside_the_roots_is_not_shown(roots: dict[str, Path]) -> None:
    at = open_data_page()
    at.session_state[app_data.SESSION_FOLDER] = str(roots["outside"])  # e.g. chosen before the roots changed
    at.run()
    assert not at.exception
    assert shown_folder(at) == str(roots["shown"].resolve())


# --------------------------------------------------------------------------- 1b. the fingerprint


def test_signature_reads_only_the_folders_own_files(tmp_path: Path) -> None:
    folder = write_xss_folder(tmp_path / "data")
    deep = folder / "归档" / "2019" / "旧"
    deep.mkdir(parents=True)
    (deep / "企业.csv").write_text("x", encoding="utf-8")
    (folder / "归档" / "说明.txt").write_text("x", encoding="utf-8")
    assert [name for name, _, _ in folder_signature(folder)] == ["企业.csv", "镇街.geojson"]


def test_signature_includes_the_subfolder_files_the_manifest_names(tmp_path: Path) -> None:
    folder = write_xss_folder(tmp_path / "data")
    (folder / "表格").mkdir()
    (folder / "企业.csv").rename(folder / "表格" / "名录.csv")
    for name in ("名录.prj", "其他.csv"):
        (folder / "表格" / name).write_text("x", encoding="utf-8")
    (folder / "ipgrid.toml").write_text('[enterprises]\nfile = "表格/名录.csv"\n', encoding="utf-8")
    names = [name for name, _, _ in folder_signature(folder)]
    assert names == ["ipgrid.toml", "表格/名录.csv", "表格/名录.prj", "镇街.geojson"]
    assert len(loaders.load_folder(folder).frame("enterprises")) == 3  # and the loaders read it there


def test_too_many_files_stops_the_scan(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(MAX_SCANNED_ENTRIES + 1):
        (folder / f"{i:05d}.csv").touch()
    scan = scan_folder(folder)
    assert scan.problem is not None and "文件夹中文件过多（超过 2,000 个）" in scan.problem
    assert len(scan.signature) <= MAX_SCANNED_ENTRIES


@pytest.mark.parametrize("folder", ["/", "/root", "/usr", "/proc", "/nonexistent", "/etc/passwd"])
def test_scanning_any_path_never_raises(folder: str) -> None:
    scan = scan_folder(folder)
    assert isinstance(scan.signature, tuple)
    assert all("/" not in name for name, _, _ in scan.signature)  # the top level only


def test_unreadable_entries_are_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_xss_folder(tmp_path / "data")
    (folder / "园区.geojson").symlink_to(tmp_path / "gone.geojson")
    scan = scan_folder(folder)
    assert scan.problem is None and scan.skipped == ("园区.geojson",)
    assert [name for name, _, _ in scan.signature] == ["企业.csv", "镇街.geojson"]

    def denied(_path: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(app_data.os, "scandir", denied)
    scan = scan_folder(folder)
    assert scan.signature == () and scan.problem == "无法读取文件夹：没有读取权限"


def test_app_says_too_many_files_and_reads_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = write_xss_folder(tmp_path / "many")
    for i in range(MAX_SCANNED_ENTRIES):
        (folder / f"{i:05d}.txt").touch()
    monkeypatch.setenv(DATA_ENV, str(folder))
    monkeypatch.setattr(loaders, "load_folder", lambda *a, **k: pytest.fail("loaded a folder it could not list"))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "文件夹中文件过多" in at.error[0].value
    assert any(b.label == "读取此文件夹" for b in at.button)  # another folder can be chosen


def test_app_says_which_file_it_may_not_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = write_xss_folder(tmp_path / "locked")
    monkeypatch.setenv(DATA_ENV, str(folder))

    def denied(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(folder / "企业.csv"))

    monkeypatch.setattr(loaders, "load_folder", denied)
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "无法读取「企业.csv」：没有读取权限" in at.error[0].value
    assert "Permission denied" not in at.error[0].value


def test_data_page_lists_a_broken_link(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = write_xss_folder(tmp_path / "data")
    (folder / "园区.geojson").symlink_to(tmp_path / "gone.geojson")
    monkeypatch.setenv(DATA_ENV, str(folder))
    at = open_data_page()
    assert not at.exception and not at.error
    assert any("园区.geojson" in w.value and "已跳过" in w.value for w in at.warning)


# --------------------------------------------------------------------------- 2. paths in ipgrid.toml


@pytest.fixture
def neighbours(tmp_path: Path) -> tuple[Path, Path]:
    """``data`` (towns, no enterprises file of its own) and ``other`` (a full folder) side by side."""
    data = write_xss_folder(tmp_path / "data")
    (data / "企业.csv").unlink()
    other = write_xss_folder(tmp_path / "other")
    (tmp_path / "secret.csv").write_text(f"{SECRET}\n", encoding="utf-8")
    return data, other


ESCAPES = [
    ("../other/企业.csv", "[enterprises] file = 「../other/企业.csv」指向数据文件夹之外"),
    ("sub/../../other/企业.csv", "指向数据文件夹之外"),
    ("{tmp}/secret.csv", "指向数据文件夹之外"),
    ("/etc/passwd", "[enterprises] file = 「/etc/passwd」指向数据文件夹之外"),
    ("link.csv", "[enterprises] file = 「link.csv」指向数据文件夹之外"),  # a link in the folder to a file outside
]


@pytest.mark.parametrize(("file", "message"), ESCAPES, ids=[f for f, _ in ESCAPES])
def test_manifest_files_must_be_inside_the_folder(neighbours: tuple[Path, Path], file: str, message: str) -> None:
    data, other = neighbours
    (data / "link.csv").symlink_to(data.parent / "secret.csv")
    file = file.format(tmp=data.parent)
    (data / "ipgrid.toml").write_text(f'[enterprises]\nfile = "{file}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[enterprises\] file") as caught:
        loaders.load_folder(data)
    assert message in str(caught.value) and "SECRET" not in str(caught.value)
    code, out, err = run_main(["validate", str(data)])
    assert code == 2 and err.startswith("错误：") and message in err
    assert "SECRET" not in out + err and "root:" not in out + err


def test_manifest_files_inside_the_folder_still_load(neighbours: tuple[Path, Path]) -> None:
    data, other = neighbours
    (data / "表格").mkdir()
    (other / "企业.csv").rename(data / "表格" / "名录.csv")
    (data / "ipgrid.toml").write_text('[enterprises]\nfile = "表格/../表格/名录.csv"\n', encoding="utf-8")
    assert len(loaders.load_folder(data).frame("enterprises")) == 3


@pytest.mark.parametrize(("toml", "message"), [
    ('[enterprises]\ncrs = "+proj=longlat +init=/etc/passwd:root"\n',
     "[enterprises] crs 引用了文件「/etc/passwd:root」"),
    ('[settings]\nmetric_crs = "+proj=tmerc +nadgrids=../other/grid.gsb"\n', "[settings] metric_crs 引用了文件"),
    ("[enterprises]\nfile = 3\n", "[enterprises] file 应为数据文件夹中的文件名"),
    ("[settings]\nmax_generated_cells = 0\n", "max_generated_cells 应为正整数"),
    ('[settings]\nmax_generated_cells = "many"\n', "max_generated_cells 应为正整数"),
    ("[settings]\nmax_generated_cells = true\n", "max_generated_cells 应为正整数"),
], ids=["init-file", "nadgrids-file", "file-not-text", "max-zero", "max-text", "max-bool"])
def test_other_manifest_values_are_checked(neighbours: tuple[Path, Path], toml: str, message: str) -> None:
    data, _ = neighbours
    (data / "ipgrid.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        loaders.read_config(data)
    assert message in str(caught.value)


def test_a_crs_naming_no_file_is_kept(tmp_path: Path) -> None:
    (tmp_path / "ipgrid.toml").write_text('[enterprises]\ncrs = "+proj=longlat +nadgrids=@null"\n', encoding="utf-8")
    assert loaders.read_config(tmp_path).layer("enterprises").crs == "+proj=longlat +nadgrids=@null"


def test_a_manifest_linked_from_outside_is_refused(neighbours: tuple[Path, Path]) -> None:
    data, _ = neighbours
    (data.parent / "elsewhere.toml").write_text('[district]\nname = "别处"\n', encoding="utf-8")
    (data / "ipgrid.toml").symlink_to(data.parent / "elsewhere.toml")
    with pytest.raises(ConfigError, match="ipgrid.toml 是指向数据文件夹之外的链接"):
        loaders.read_config(data)


# --------------------------------------------------------------------------- 3. the generated-grid cap


@pytest.mark.parametrize("cell_m", [float("nan"), float("inf"), float("-inf"), 0, -5, "米", None, True])
def test_engine_checks_the_cell_size_up_front(tmp_path: Path, cell_m: object) -> None:
    bundle = loaders.load_folder(plain_folder(tmp_path))
    with pytest.raises(EngineInputError, match="网格边长 grid_cell_m 应为大于 0 的数"):
        Engine(bundle, grid_cell_m=cell_m)  # type: ignore[arg-type]


def test_engine_refuses_too_many_cells_before_allocating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = loaders.load_folder(plain_folder(tmp_path))
    monkeypatch.setattr(grid_mod.RegularGrid, "polygons", lambda *a, **k: pytest.fail("allocated cells"))
    engine = Engine(bundle, grid_cell_m=0.5)
    too_fine = r"按 0.5 米的边长在镇街上生成网格需要 [0-9,]+ 个网格，超过上限 200,000 个；请把网格边长设为 9 米或更大"
    with pytest.raises(GeneratedGridTooLargeError, match=too_fine) as caught:
        _ = engine.cells
    assert "请把网格边长设为" in str(caught.value) and "max_generated_cells" in str(caught.value)
    assert isinstance(caught.value, GridSizeError)


def test_the_named_size_is_the_smallest_that_fits(tmp_path: Path) -> None:
    towns = three_towns().rename(columns={"名称": "name"})
    with pytest.raises(GeneratedGridTooLargeError) as caught:
        official_or_generated(None, towns, 7.0, "hex", max_cells=5_000, areas_label="镇街")
    fit, extents = caught.value.fit_m, [g.bounds for g in towns.to_crs("EPSG:4549").geometry.values]
    assert caught.value.cells == generated_cell_count(extents, 7.0, "hex") > 5_000
    assert generated_cell_count(extents, fit, "hex") <= 5_000 < generated_cell_count(extents, fit - 1, "hex")
    assert len(official_or_generated(None, towns, fit, "hex", max_cells=5_000)) > 0


def test_absurd_cell_sizes_are_counted_without_overflow() -> None:
    extents = [(500_000.0, 3_500_000.0, 560_000.0, 3_560_000.0)]  # 60 km × 60 km
    with pytest.raises(GeneratedGridTooLargeError, match="需要超过 4,503,599,627,370,496 个网格") as caught:
        check_generated_cells(extents, 1e-300)
    fit = caught.value.fit_m
    assert generated_cell_count(extents, fit) <= 200_000 < generated_cell_count(extents, fit - 1)


def test_the_maximum_is_a_folder_setting(tmp_path: Path) -> None:
    folder = plain_folder(tmp_path / "capped", "[settings]\nmax_generated_cells = 20\n")  # 1000 m cells: 33
    engine = Engine(loaders.load_folder(folder))
    with pytest.raises(GridSizeError, match="超过上限 20 个"):
        _ = engine.cells
    code, out, err = run_main(["stats", str(folder), "--level", "grid"])
    assert code == 2 and not out
    assert err.startswith("错误：按 --cell-m 1000 米在镇街上生成网格需要")
    assert "需要 33 个网格，超过上限 20 个；请把 --cell-m 设为" in err
    roomy_folder = plain_folder(tmp_path / "roomy", "[settings]\nmax_generated_cells = 1000000\n")
    roomy = Engine(loaders.load_folder(roomy_folder), grid_cell_m=5)
    assert roomy.settings.max_generated_cells == 1_000_000
    extents = [g.bounds for g in roomy.towns.to_crs(roomy.metric_crs).geometry.values]
    assert 200_000 < check_generated_cells(extents, 5, max_cells=roomy.settings.max_generated_cells) <= 1_000_000


def test_app_shows_the_cap_as_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = write_xss_folder(tmp_path / "capped")
    (folder / "ipgrid.toml").write_text("[settings]\nmax_generated_cells = 5\n", encoding="utf-8")
    monkeypatch.setenv(DATA_ENV, str(folder))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "超过上限 5 个" in at.error[0].value


# --------------------------------------------------------------------------- 4. --year


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rights applied for from 2020 and granted up to 2023; data as of 2024-12-31."""
    root = plain_folder(tmp_path_factory.mktemp("dated"), '[district]\ndata_date = "2024-12-31"\n')
    write_xlsx(root / "知识产权.xlsx", ["申请号", "申请(专利权)人", "法律状态", "申请日", "授权公告日"], [
        ["202010123456.7", "甲", "有效", "2020-01-02", "2022-05-01"],
        ["202320654321.X", "甲", "有效", "2023-01-02", "2023-08-01"],
    ])
    return root


def test_year_needs_dated_rights(tmp_path: Path) -> None:
    folder = plain_folder(tmp_path)
    code, out, err = run_main(["stats", str(folder), "--year", "1900"])
    assert code == 2 and not out and "年末）" not in out
    assert err.startswith("错误：无法按 1900 年末统计：数据文件夹中没有知识产权明细")
    with pytest.raises(EngineInputError, match="没有知识产权明细"):
        Engine(loaders.load_folder(folder), year=2024)


def test_year_needs_dates_in_the_rights(tmp_path: Path) -> None:
    folder = plain_folder(tmp_path)
    write_csv(folder / "知识产权.csv", ["申请号", "权利人", "法律状态"], [["202010123456.7", "甲", "有效"]], "utf-8")
    code, out, err = run_main(["stats", str(folder), "--year", "2023"])
    assert code == 2 and not out and "知识产权明细 知识产权.csv 中没有申请日或授权公告日" in err


@pytest.mark.parametrize("year", [1900, 2019, 2025, 2100])
def test_year_outside_the_data_is_refused(dated: Path, year: int) -> None:
    code, out, err = run_main(["stats", str(dated), "--level", "district", "--year", str(year)])
    assert code == 2 and not out
    assert err.strip() == (f"错误：年份 {year} 超出数据范围：知识产权明细中最早的申请/授权年份为 2020 年，"
                           "数据截至 2024-12-31；请选择 2020–2024 年之间的年份")


@pytest.mark.parametrize("year", [2020, 2024])
def test_years_within_the_data_are_counted(dated: Path, year: int) -> None:
    code, out, err = run_main(["stats", str(dated), "--level", "district", "--year", str(year)])
    assert code == 0, err
    assert f"（{year} 年末）" in out


@pytest.mark.parametrize("year", ["2023", 2023.0, True])
def test_engine_year_must_be_a_whole_number(dated: Path, year: object) -> None:
    with pytest.raises(EngineInputError, match="年份 year 应为整数"):
        Engine(loaders.load_folder(dated), year=year)  # type: ignore[arg-type]


def test_a_layer_file_linking_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    from tests.bad_inputs import write_base

    folder = write_base(tmp_path / "数据")
    secret = tmp_path / "外部" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("企业名称,经度,纬度\n机密,1,2\n", encoding="utf-8")
    (folder / "企业.xlsx").unlink()
    (folder / "企业.csv").symlink_to(secret)
    with pytest.raises(loaders.DataFolderError, match="指向数据文件夹之外的链接"):
        loaders.load_folder(folder)
    assert main(["validate", str(folder)]) == 2
