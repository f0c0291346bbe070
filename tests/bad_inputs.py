"""A generated corpus of bad input folders, each with the answer ipgrid must give.

Every case starts from one small valid folder (:func:`write_base`: three towns as a GeoPackage, five firms in an
.xlsx) and spoils one thing, the way offices' files really arrive.  :data:`CASES` lists them with the exit code of
``ipgrid validate`` and a fragment of the Chinese message that must explain it; ``tests/test_bad_input_corpus.py``
runs each through ``validate``, the engine, the CLI commands and every app page.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon

from tests.fixture_files import METRIC, square, three_towns, to_lonlat, valid_uscc, write_shapefile, write_xlsx

FIRM_HEADER = ["企业名称", "统一社会信用代码", "经度", "纬度", "主导产业", "有效发明专利（件）"]
FIRM_POINTS = ((500, 500), (1500, 1200), (3000, 1000), (1000, 3000), (3500, 3500))
"""Metre offsets of the five firms: two in 甲镇, one in 乙镇, two in 丙街道."""


def firm_rows() -> list[list[object]]:
    """The five firms of the base folder."""
    rows = []
    for i, (x, y) in enumerate(FIRM_POINTS):
        lon, lat = to_lonlat(x, y)
        rows.append([f"测试企业{i + 1}有限公司", valid_uscc(i + 1), round(lon, 6), round(lat, 6), "纺织", i % 3])
    return rows


def write_towns(folder: Path, towns: gpd.GeoDataFrame | None = None, name: str = "镇街.gpkg") -> Path:
    """The towns layer as a GeoPackage (EPSG:4549)."""
    path = folder / name
    (three_towns() if towns is None else towns).to_file(path, engine="pyogrio")
    return path


def write_base(folder: Path) -> Path:
    """A small valid folder: 3 towns, 5 firms."""
    folder.mkdir(parents=True, exist_ok=True)
    write_towns(folder)
    write_xlsx(folder / "企业.xlsx", FIRM_HEADER, firm_rows())
    return folder


# --------------------------------------------------------------------------- spoilers


def truncated_xlsx(folder: Path) -> None:
    """The enterprise workbook cut in half (a copy that stopped)."""
    path = folder / "企业.xlsx"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def xlsx_really_csv(folder: Path) -> None:
    """A CSV saved with an .xlsx name."""
    text = ",".join(FIRM_HEADER) + "\n" + "\n".join(",".join(str(v) for v in r) for r in firm_rows())
    (folder / "企业.xlsx").write_text(text, encoding="utf-8")


def encrypted_zip(folder: Path) -> None:
    """The towns only as a password-protected .zip of a shapefile (the encryption flag set)."""
    (folder / "镇街.gpkg").unlink()
    shp = folder / "_tmp" / "镇街.shp"
    shp.parent.mkdir()
    write_shapefile(three_towns(), shp)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, part.name)
    data = bytearray(buffer.getvalue())
    # set bit 0 (encrypted) of the general purpose flags in every local and central header
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            flags = struct.unpack_from("<H", data, start + offset)[0]
            struct.pack_into("<H", data, start + offset, flags | 1)
            start += 4
    (folder / "镇街.zip").write_bytes(bytes(data))
    for part in shp.parent.iterdir():
        part.unlink()
    shp.parent.rmdir()


def missing_shx(folder: Path) -> None:
    """The towns as a shapefile whose .shx was not copied."""
    (folder / "镇街.gpkg").unlink()
    shp = write_shapefile(three_towns(), folder / "镇街.shp")
    shp.with_suffix(".shx").unlink()


def empty_gpkg(folder: Path) -> None:
    """A towns GeoPackage with the right columns and no features."""
    (folder / "镇街.gpkg").unlink()
    write_towns(folder, three_towns().iloc[0:0])


def zero_rows(folder: Path) -> None:
    """The enterprise workbook with its header and no rows."""
    write_xlsx(folder / "企业.xlsx", FIRM_HEADER, [])


def two_candidates(folder: Path) -> None:
    """Both 企业.xlsx and enterprises.csv: which one is the layer?"""
    pd.DataFrame(firm_rows(), columns=FIRM_HEADER).to_csv(folder / "enterprises.csv", index=False)


def utf16_csv(folder: Path) -> None:
    """The enterprises as a UTF-16 CSV (what Excel's "Unicode text" gives)."""
    (folder / "企业.xlsx").unlink()
    pd.DataFrame(firm_rows(), columns=FIRM_HEADER).to_csv(folder / "企业.csv", index=False, encoding="utf-16")


def z_coordinates(folder: Path) -> None:
    """Towns with a Z value on every vertex (a CAD export)."""
    towns = three_towns()
    towns["geometry"] = shapely.force_3d(towns.geometry.values, 12.5)
    write_towns(folder, towns)


def empty_geometries(folder: Path) -> None:
    """A fourth town row without geometry and a fifth with an empty polygon."""
    towns = three_towns()
    extra = gpd.GeoDataFrame({"名称": ["丁镇", "戊镇"], "区划代码": ["320612102000", "320612103000"],
                              "常住人口": [1, 2]}, geometry=[None, shapely.Polygon()], crs=METRIC)
    write_towns(folder, pd.concat([towns, extra], ignore_index=True))


def multipolygon_towns(folder: Path) -> None:
    """乙镇 as a MultiPolygon of two parts (an exclave)."""
    towns = three_towns()
    towns.loc[1, "geometry"] = MultiPolygon([square(2000, 0, 4000, 2000), square(5000, 0, 5500, 500)])
    write_towns(folder, towns)


def mixed_crs(folder: Path) -> None:
    """A 坐标系 column saying one row is GCJ-02 (高德), the others WGS-84."""
    rows = firm_rows()
    header = [*FIRM_HEADER, "坐标系"]
    write_xlsx(folder / "企业.xlsx", header, [[*r, "GCJ-02" if i == 1 else "WGS-84"] for i, r in enumerate(rows)])


def names_with_spaces(folder: Path) -> None:
    """Firm names with leading, trailing, full-width and repeated spaces."""
    rows = firm_rows()
    names = ("  甲 有限公司", "乙有限公司  ", "丙\u3000有限公司", "丁  有限  公司", " 戊 ")
    for row, name in zip(rows, names, strict=True):
        row[0] = name
    write_xlsx(folder / "企业.xlsx", FIRM_HEADER, rows)


def no_towns(folder: Path) -> None:
    """No towns file at all."""
    (folder / "镇街.gpkg").unlink()


def formula_in_name(folder: Path) -> None:
    """A firm whose name is a formula text (it must stay text everywhere ipgrid writes it)."""
    rows = firm_rows()
    rows[0][0] = '=HYPERLINK("http://evil","点我")'
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(FIRM_HEADER)
    for row in rows:
        ws.append(row)
    ws["A2"].data_type = "s"  # stored as text, as an office's export would
    wb.save(folder / "企业.xlsx")


def corrupt_xlsx(folder: Path) -> None:
    """A workbook whose sheet's deflate stream is damaged while the zip directory is intact."""
    path = folder / "企业.xlsx"
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + min(info.compress_size, 60)):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def duplicate_header(folder: Path) -> None:
    """A second 经度 column (the first one empty)."""
    rows = [[*r[:2], None, *r[3:], r[2]] for r in firm_rows()]
    write_xlsx(folder / "企业.xlsx", [*FIRM_HEADER, "经度"], rows)


def header_below_row_30(folder: Path) -> None:
    """Forty lines of notes above the header."""
    write_xlsx(folder / "企业.xlsx", FIRM_HEADER, firm_rows(), titles=tuple(f"说明第 {i} 行" for i in range(1, 40)))


def formula_without_value(folder: Path) -> None:
    """A holding written by a script as a formula with no computed value."""
    rows = firm_rows()
    rows[0][5] = "=1+1"
    write_xlsx(folder / "企业.xlsx", FIRM_HEADER, rows)


def missing_required_header(folder: Path) -> None:
    """The enterprise table without its 企业名称 column."""
    write_xlsx(folder / "企业.xlsx", FIRM_HEADER[1:], [r[1:] for r in firm_rows()])


def shapefile_without_dbf(folder: Path) -> None:
    """The towns as a shapefile whose .dbf was not copied."""
    (folder / "镇街.gpkg").unlink()
    shp = write_shapefile(three_towns(), folder / "镇街.shp")
    shp.with_suffix(".dbf").unlink()


def web_mercator_without_prj(folder: Path) -> None:
    """The towns in Web Mercator (EPSG:3857) as a shapefile without .prj."""
    (folder / "镇街.gpkg").unlink()
    towns = three_towns().rename(columns={"名称": "name", "区划代码": "code", "常住人口": "pop"}).to_crs(3857)
    write_shapefile(towns, folder / "镇街.shp", prj=False)  # ASCII field names: DBF keeps only 10 bytes


def gpkg_first_layer_empty(folder: Path) -> None:
    """A GeoPackage whose first layer is empty and whose second holds the towns."""
    path = folder / "镇街.gpkg"
    path.unlink()
    three_towns().iloc[0:0].to_file(path, layer="草稿", engine="pyogrio")
    three_towns().to_file(path, layer="边界", engine="pyogrio", append=False)


def manifest_outside_folder(folder: Path) -> None:
    """ipgrid.toml naming a file outside the folder."""
    (folder / "ipgrid.toml").write_text('[enterprises]\nfile = "../../etc/passwd"\n', encoding="utf-8")


def corrupt_kmz(folder: Path) -> None:
    """The towns as a .kmz that is not a zip at all."""
    (folder / "镇街.gpkg").unlink()
    (folder / "镇街.kmz").write_bytes(b"PK\x03\x04 not really a kmz")


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    """One bad folder and the answer it must get."""

    name: str
    spoil: Callable[[Path], None]
    exit_code: int
    """Exit code of ``ipgrid validate``: 0 warnings only, 1 a layer has errors, 2 cannot run."""
    message: str
    """A fragment of the Chinese text that explains it (in the problems, or the one error line)."""
    usable: bool = True
    """Whether the analyses can run on it (``False``: ``stats`` & co. exit 2 with one Chinese line)."""
    opens: bool | None = None
    """Whether ``load_folder`` returns the folder, with its problems (default: when validate exits 0 or 1)."""

    @property
    def loads(self) -> bool:
        """Whether ``load_folder`` returns a bundle (a failed layer comes back empty, with its problems)."""
        return self.exit_code < 2 if self.opens is None else self.opens


CASES: tuple[Case, ...] = (
    Case("truncated_xlsx", truncated_xlsx, 2, "企业.xlsx", usable=False),
    Case("xlsx_really_csv", xlsx_really_csv, 2, "企业.xlsx", usable=False),
    Case("encrypted_zip", encrypted_zip, 2, "压缩包设有密码", usable=False),
    Case("missing_shx", missing_shx, 2, "Shapefile 缺少索引文件 镇街.shx", usable=False),
    Case("empty_gpkg", empty_gpkg, 2, "镇街", usable=False),
    Case("zero_rows", zero_rows, 2, "企业", usable=False),
    Case("two_candidates", two_candidates, 2, "有多个文件都可作为", usable=False),
    Case("utf16_csv", utf16_csv, 0, ""),
    Case("z_coordinates", z_coordinates, 0, ""),
    Case("empty_geometries", empty_geometries, 1, "没有几何图形"),
    Case("multipolygon_towns", multipolygon_towns, 0, ""),
    Case("mixed_crs", mixed_crs, 0, ""),
    Case("names_with_spaces", names_with_spaces, 0, ""),
    Case("no_towns", no_towns, 2, "镇街", usable=False),
    Case("formula_in_name", formula_in_name, 0, ""),
    Case("corrupt_xlsx", corrupt_xlsx, 2, "文件已损坏或不是有效的 Excel 文件", usable=False),
    Case("duplicate_header", duplicate_header, 1, "都是「经度」", usable=False),
    Case("header_below_row_30", header_below_row_30, 1, "header_row = 40", usable=False),
    Case("formula_without_value", formula_without_value, 0, "没有计算结果"),
    Case("missing_required_header", missing_required_header, 1, "缺少必填字段「企业名称」", usable=False),
    Case("shapefile_without_dbf", shapefile_without_dbf, 1, "缺少属性表文件（.dbf）", usable=False),
    Case("web_mercator_without_prj", web_mercator_without_prj, 0, "EPSG:3857"),
    Case("gpkg_first_layer_empty", gpkg_first_layer_empty, 0, "读取了图层「边界」"),
    Case("manifest_outside_folder", manifest_outside_folder, 2, "指向数据文件夹之外", usable=False),
    Case("corrupt_kmz", corrupt_kmz, 2, "不是有效的 KMZ 文件", usable=False),
)
"""Every case, in a stable order (test ids)."""


def build(case: Case, root: Path) -> Path:
    """Write the folder of ``case`` under ``root`` (a folder name with a space, as offices' paths have)."""
    folder = write_base(root / f"数据 {case.name}")
    case.spoil(folder)
    return folder
