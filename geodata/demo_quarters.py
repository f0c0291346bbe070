"""Four quarters of the demo (2025-03-31 … 2025-12-31), so a new user sees history and change.

Run as ``python -m geodata.demo_quarters OUT_DIR [--seed N]``: writes
``OUT_DIR/2025-03-31/`` … ``OUT_DIR/2025-12-31/``, each a complete data folder
with the same files as ``geodata/demo``.

The last quarter *is* the bundled demo (its files are copied byte for byte; with
a seed other than the demo's it is :func:`geodata.generate_demo.generate_demo`
of that seed).  Each earlier quarter is derived backwards from the one after it
with a seeded :class:`numpy.random.Generator`, as a district office's sheet of
three months before would look:

- firms *new* in the later quarter have no row yet (about 45–75 per quarter);
- firms *closed* before the later quarter still have a row (12–22 invented
  firms, with valid credit codes made by the generator's own function);
- firms holding their *first* right in the later quarter hold none yet (22–36);
- holdings are a little smaller (a few percent fewer rights; a handful of
  firms held more, their rights have lapsed since, and 1–3 held a trademark
  they no longer hold);
- some firms were in *another town* (6–13), a few had *another name* under the
  same credit code (2–5), a few had another contact person;
- the grid's commissioners: in 2025-09-30 one cell still belonged to a
  neighbouring commissioner (handed over by 2025-12-31); in 2025-03-31 one more
  cell had no commissioner yet.

Changes are only drawn among firms with a credit code (so they can be followed
from quarter to quarter).  The rows of the planted faults
(:mod:`geodata.demo_faults`) keep their positions and values in every quarter, so
they never show as change and the README's row numbers stay right.  A file whose
content does not change from the later quarter is a byte copy of it (towns,
parks, service points, GIs and indicators are the same in all four).
"""

from __future__ import annotations

import argparse
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import shapely

from geodata import demo_faults as faults
from geodata.generate_demo import (
    _MISSING_POPULATION_TOWN,
    _NAME_SUFFIXES,
    _ROADS,
    _TRADE_CHARS,
    DATA_DATE,
    DEFAULT_OUT,
    DEFAULT_SEED,
    ENTERPRISE_HEADERS,
    ENTERPRISE_SHEET,
    ENTERPRISE_SUBTITLE,
    _adjacency,
    _landline,
    _make_uscc,
    _mobile,
    _person,
    _readme,
    _to_lonlat,
    _to_metric,
    _write_gpkg,
    _write_plain_xlsx,
    _write_xlsx,
    build_commissioner_roster,
    generate_demo,
)

QUARTERS = ("2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31")
"""The as-of dates of the demo's quarters, oldest first; the last is the bundled demo's."""

FILES = ("镇街.gpkg", "园区.geojson", "网格.gpkg", "专员.xlsx", "企业.xlsx", "服务站点.csv",
         "地理标志.geojson", "指标.csv", "ipgrid.toml", "README.md")
"""The files of every quarter's folder (those of ``geodata/demo``)."""

HOLDINGS = ("有效发明专利", "实用新型", "外观设计", "高价值发明专利", "PCT专利", "有效注册商标",
            "作品著作权", "软件著作权")
"""The enterprise sheet's columns of rights held (counts)."""

PLEDGE = "质押融资金额（万元）"

PINNED = tuple(sorted(set(faults.NO_COORDINATES + faults.SWAPPED + faults.BAD_CHECK_DIGIT
                          + faults.OUTSIDE + (faults.DUPLICATE_OF,))))
"""Data positions that keep their row in every quarter: the planted faults and the duplicate's original."""

# Sizes of one quarter's change, drawn uniformly in [low, high] (both inclusive).
_NEW = (45, 75)
_CLOSED = (12, 22)
_FIRST_IP = (22, 36)
_MOVED = (6, 13)
_RENAMED = (2, 5)
_LAPSED = (6, 12)
_LOST_ALL = (1, 3)
_CONTACTS = (3, 8)
_CLOSED_MAX_RIGHTS = 8
"""A closed firm holds at most this many rights (closures are small firms)."""
_GROWTH = (0.005, 0.045)
"""Range of a firm's share of rights granted during a quarter (drawn per firm)."""

_GRID_CHANGES = ("handover", None, "release")
"""What differs in the grid's commissioners going back from Q4→Q3, Q3→Q2, Q2→Q1."""

_JITTER_M = 400.0
_SALT = 0x4A1E
_ADDRESS_HEADS = ("江苏省南通市通州区", "南通市通州区", "通州区")
_PREFIXES = ("南通市通州区", "南通", "江苏")  # longest first: a name starts with one of them
_HIGH_TECH = "南通高新技术产业开发区"
_TEXTILE_CITY = "南通家纺城"
_TOML_DATE = re.compile(r'^data_date = "[^"]*"$', re.MULTILINE)

Stamp = tuple[int, int, int, int, int, int]


# --------------------------------------------------------------------------- the base


@dataclass
class _Base:
    """What every quarter shares: the map, the roads of each town, the names and codes ever used."""

    towns: gpd.GeoDataFrame  # 名称, geometry (EPSG:4549)
    interiors: dict[str, shapely.Geometry]
    neighbours: dict[str, list[str]]
    parks: gpd.GeoDataFrame  # 园区名称, geometry (EPSG:4549)
    roads: dict[str, list[str]]
    gi_users: frozenset[str]
    commissioners: list[tuple[str, str]]
    names: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)


def _read_base(folder: Path, sheet: pd.DataFrame, roster: pd.DataFrame) -> _Base:
    towns = gpd.read_file(folder / "镇街.gpkg", engine="pyogrio")[["名称", "geometry"]]
    geoms = dict(zip(towns["名称"], towns.geometry, strict=True))
    interiors = {n: g.buffer(-30) for n, g in geoms.items()}  # as the generator keeps clear of borders
    for g in interiors.values():
        shapely.prepare(g)
    neighbours = {n: [m for m, h in geoms.items() if m != n and g.boundary.intersection(h.boundary).length > 1.0]
                  for n, g in geoms.items()}
    parks = gpd.read_file(folder / "园区.geojson", engine="pyogrio")[["园区名称", "geometry"]].to_crs(
        towns.crs)
    road = re.compile("(" + "|".join(map(re.escape, _ROADS)) + r")\d+号$")
    roads: dict[str, set[str]] = {n: set() for n in geoms}
    for town, address in zip(sheet["所属镇街"], sheet["注册地址"], strict=True):
        found = road.search(str(address))
        if found and town in roads:
            roads[town].add(found.group(1))
    gis = gpd.read_file(folder / "地理标志.geojson", engine="pyogrio")
    users = frozenset(u for cell in gis["授权使用企业"].dropna() for u in str(cell).split("、"))
    return _Base(
        towns=towns, interiors=interiors, neighbours=neighbours, parks=parks,
        roads={n: sorted(r) or sorted(_ROADS) for n, r in roads.items()}, gi_users=users,
        commissioners=[(str(n), str(p)) for n, p in zip(roster["姓名"], roster["联系电话"], strict=True)],
        names=set(sheet["企业名称"]), codes=set(sheet["统一社会信用代码"].dropna()),
    )


# --------------------------------------------------------------------------- reading and writing


def read_sheet(path: Path) -> pd.DataFrame:
    """The enterprise sheet ``企业.xlsx`` as written: one row per data row, the planted faults included.

    Values keep the types the generator wrote (counts are integers, empty cells
    ``None``/NaN), so :func:`geodata.generate_demo._write_xlsx` writes the same
    sheet again.
    """
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb[ENTERPRISE_SHEET].iter_rows(min_row=faults.HEADER_ROW, values_only=True))
    finally:
        wb.close()
    if list(rows[0]) != list(ENTERPRISE_HEADERS):
        msg = f"{path}: the header row is not the demo's"
        raise ValueError(msg)
    sheet = pd.DataFrame([list(r) for r in rows[1:]], columns=list(ENTERPRISE_HEADERS), dtype=object)
    for column in ("序号", *HOLDINGS, PLEDGE):
        sheet[column] = sheet[column].astype("int64")
    for column in ("经度", "纬度"):
        sheet[column] = sheet[column].astype("float64")
    return sheet


def _read_roster(path: Path) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    return pd.DataFrame([list(r) for r in rows[1:]], columns=list(rows[0]), dtype=object)


def _stamp(date: str) -> Stamp:
    y, m, d = (int(p) for p in date.split("-"))
    return (y, m, d, 0, 0, 0)


def _toml(q4_text: str, date: str) -> str:
    text, n = _TOML_DATE.subn(f'data_date = "{date}"', q4_text)
    if n != 1:
        msg = "the demo's ipgrid.toml has no single data_date line"
        raise ValueError(msg)
    return text.replace("python -m geodata.generate_demo", "python -m geodata.demo_quarters", 1)


def _quarter_readme(seed: int, spare: tuple[str, str], n_rows: int, date: str) -> str:
    text = _readme(seed, spare, _MISSING_POPULATION_TOWN, n_rows)
    old = (f"如需重新生成，请在项目根目录运行 `python -m geodata.generate_demo --out geodata/demo --seed {seed}`"
           "（相同的随机种子生成相同的数据）。")
    new = (f"本文件夹是示例数据截至 {date} 的季度版本，由 {QUARTERS[-1]} 的示例数据逐季倒推生成；"
           f"如需重新生成，请在项目根目录运行 `python -m geodata.demo_quarters 输出文件夹 --seed {seed}`"
           "（相同的随机种子生成相同的数据）。")
    if old not in text:
        msg = "the demo README's regeneration sentence has changed; update geodata/demo_quarters.py"
        raise RuntimeError(msg)
    text = text.replace(old, new).replace("# 通州区示例数据\n", f"# 通州区示例数据（截至 {date}）\n", 1)
    note = ("- 各季度之间有企业新增、注销、迁址、更名、首次拥有知识产权和知识产权数量的增减，"
            "以及网格专员的调整，均为合成数据。\n")
    return text.replace("说明：\n\n", "说明：\n\n" + note, 1)


# --------------------------------------------------------------------------- the sheet's layout


def _split(sheet: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(rows that change, the pinned rows, the duplicate row) of a written sheet."""
    body, duplicate = sheet.iloc[:-1], sheet.iloc[[-1]]
    pinned = body.iloc[list(PINNED)]
    return body.drop(index=pinned.index).reset_index(drop=True), pinned, duplicate


def _assemble(flow: pd.DataFrame, pinned: pd.DataFrame, duplicate: pd.DataFrame) -> pd.DataFrame:
    """The sheet: pinned rows at their positions, the others in order around them, the duplicate last."""
    n = len(flow) + len(pinned)
    if max(PINNED) >= n:
        msg = f"a quarter of {n} rows cannot keep the planted fault at row position {max(PINNED)}"
        raise RuntimeError(msg)
    free = np.setdiff1d(np.arange(n), np.array(PINNED))
    rows = pd.concat([flow.assign(_pos=free), pinned.assign(_pos=list(PINNED))], ignore_index=True)
    rows = rows.sort_values("_pos", kind="stable").drop(columns="_pos").reset_index(drop=True)
    rows["序号"] = np.arange(1, n + 1)
    last = duplicate.copy()
    last["序号"] = n + 1
    return pd.concat([rows, last], ignore_index=True)


# --------------------------------------------------------------------------- one quarter back


def _draw(rng: np.random.Generator, size: tuple[int, int]) -> int:
    return int(rng.integers(size[0], size[1] + 1))


class _Picker:
    """Draws disjoint sets of rows (each firm gets at most one kind of change per quarter)."""

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.taken = np.zeros(n, dtype=bool)
        self.rng = rng

    def pick(self, mask: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
        pool = np.flatnonzero(mask & ~self.taken)
        if len(pool) < k:
            msg = f"only {len(pool)} firms can take a change drawn {k} times"
            raise RuntimeError(msg)
        p = None if weights is None else weights[pool] / weights[pool].sum()
        chosen = np.sort(self.rng.choice(pool, size=k, replace=False, p=p))
        self.taken[chosen] = True
        return chosen


def _grow_back(later: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Holdings a quarter earlier: each count less the rights granted since (binomial thinning)."""
    counts = later[list(HOLDINGS)].to_numpy(dtype=np.int64)
    rate = rng.uniform(*_GROWTH, size=(len(later), 1))
    earlier = counts - rng.binomial(counts, np.broadcast_to(rate, counts.shape))
    inv = HOLDINGS.index("有效发明专利")
    for column in ("高价值发明专利", "PCT专利"):
        k = HOLDINGS.index(column)
        earlier[:, k] = np.minimum(earlier[:, k], earlier[:, inv])
    # A holder stays a holder: first rights are drawn on purpose, not by thinning.
    vanished = (counts.sum(axis=1) > 0) & (earlier.sum(axis=1) == 0)
    earlier[vanished] = counts[vanished]
    return pd.DataFrame(earlier, columns=list(HOLDINGS), index=later.index)


def _place(base: _Base, town: str, templates: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """A point in ``town`` near one of its firms (``templates``: their metric x, y)."""
    region = base.interiors[town]
    for _ in range(200):
        x, y = templates[rng.integers(len(templates))] + rng.normal(0.0, _JITTER_M, size=2)
        if shapely.contains_xy(region, x, y):
            lon, lat = _to_lonlat(np.array([x]), np.array([y]))
            return round(float(lon[0]), 6), round(float(lat[0]), 6)
    msg = f"could not place a firm in {town}"
    raise RuntimeError(msg)


def _address(base: _Base, town: str, lonlat: tuple[float, float], rng: np.random.Generator) -> str:
    x, y = _to_metric(np.array([lonlat[0]]), np.array([lonlat[1]]))
    park = next((p for p, g in zip(base.parks["园区名称"], base.parks.geometry, strict=True)
                 if shapely.contains_xy(g, float(x[0]), float(y[0]))), None)
    head = str(rng.choice(_ADDRESS_HEADS, p=[0.5, 0.4, 0.1]))
    place = {_HIGH_TECH: "高新技术产业开发区", _TEXTILE_CITY: f"{town}家纺城"}.get(str(park), town)
    return f"{head}{place}{rng.choice(base.roads[town])}{rng.integers(1, 999)}号"


def _new_name(base: _Base, industry: str, rng: np.random.Generator) -> str:
    while True:
        prefix = str(rng.choice(["南通", "江苏", "南通市通州区"], p=[0.7, 0.12, 0.18]))
        trade = "".join(rng.choice(list(_TRADE_CHARS), size=2, replace=False))
        name = prefix + trade + str(rng.choice(_NAME_SUFFIXES.get(industry, _NAME_SUFFIXES["其他"])))
        if name not in base.names:
            base.names.add(name)
            return name


def _former_name(base: _Base, name: str, rng: np.random.Generator) -> str:
    """The name a firm had before it was renamed to ``name`` (same credit code)."""
    prefix = next(p for p in (*_PREFIXES, "") if name.startswith(p))
    candidates = []
    if "股份有限公司" in name:  # restructured into a joint-stock company
        candidates.append(name.replace("股份有限公司", "有限公司"))
    if prefix == "江苏":  # allowed to use the province's name since
        candidates.append("南通" + name[2:])
    for _ in range(50):  # a new trade name
        trade = "".join(rng.choice(list(_TRADE_CHARS), size=2, replace=False))
        candidates.append(prefix + trade + name[len(prefix) + 2:])
    former = next(c for c in candidates if c not in base.names and c != name)
    base.names.add(former)
    return former


def _closed_firms(base: _Base, later: pd.DataFrame, k: int, rng: np.random.Generator) -> pd.DataFrame:
    """``k`` invented firms that had a row in the earlier quarter and are gone in the later one."""
    town_counts = later["所属镇街"].value_counts().reindex(list(base.interiors), fill_value=0)
    p = town_counts.to_numpy(dtype=float) / town_counts.sum()
    total = later[list(HOLDINGS)].sum(axis=1)
    small = later[later["企业类别"].isna() & (later[PLEDGE] == 0) & (total <= _CLOSED_MAX_RIGHTS)]
    rows = []
    for town in rng.choice(list(base.interiors), size=k, p=p):
        here = later[(later["所属镇街"] == town) & later["经度"].notna()]
        x, y = _to_metric(here["经度"].to_numpy(), here["纬度"].to_numpy())
        lonlat = _place(base, str(town), np.column_stack([x, y]), rng)
        template = here.iloc[int(rng.integers(len(here)))]
        industry = str(template["主导产业"])
        like = small[small["主导产业"] == industry]
        hold = like.iloc[int(rng.integers(len(like)))]
        code = _make_uscc(rng)
        while code in base.codes:
            code = _make_uscc(rng)
        base.codes.add(code)
        contact = _person(rng)
        rows.append({
            "序号": 0, "企业名称": _new_name(base, industry, rng), "统一社会信用代码": code,
            "注册地址": _address(base, str(town), lonlat, rng), "经度": lonlat[0], "纬度": lonlat[1],
            "所属镇街": str(town), "主导产业": industry, "企业类别": None,
            **{c: int(hold[c]) for c in HOLDINGS}, PLEDGE: 0,
            "联系人": contact, "联系电话": _mobile(rng) if rng.random() < 0.7 else _landline(rng),
        })
    return pd.DataFrame(rows, columns=list(ENTERPRISE_HEADERS))


def _insert_in_town_blocks(flow: pd.DataFrame, extra: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``flow`` with the rows of ``extra`` inserted among the rows of their town (the sheet is by town)."""
    keys = np.arange(len(flow), dtype=float)
    extra_keys = []
    for j, town in enumerate(extra["所属镇街"]):
        block = np.flatnonzero((flow["所属镇街"] == town).to_numpy())
        at = int(rng.integers(block.min(), block.max() + 2)) if len(block) else len(flow)
        extra_keys.append(at - 0.5 + j * 1e-4)
    rows = pd.concat([flow.assign(_key=keys), extra.assign(_key=extra_keys)], ignore_index=True)
    return rows.sort_values("_key", kind="stable").drop(columns="_key").reset_index(drop=True)


def earlier_flow(later: pd.DataFrame, base: _Base, rng: np.random.Generator) -> pd.DataFrame:
    """The changing rows of the sheet a quarter before ``later`` (pinned rows excluded).

    Parameters
    ----------
    later : pandas.DataFrame
        The later quarter's rows without the pinned ones (see :func:`_split`).
    base : _Base
        Shared map, roads, and the names and codes used in any quarter (updated).
    rng : numpy.random.Generator
        Source of every choice.

    Returns
    -------
    pandas.DataFrame
        The earlier quarter's rows, in sheet order, ``序号`` not yet renumbered.
    """
    later = later.reset_index(drop=True)
    total = later[list(HOLDINGS)].sum(axis=1).to_numpy()
    code = later["统一社会信用代码"]
    traceable = (code.notna() & ~later["企业名称"].isin(base.gi_users)).to_numpy()
    untiered = later["企业类别"].isna().to_numpy()
    holder = total > 0
    picker = _Picker(len(later), rng)
    recent = np.where(code.fillna("").str[8:10] == "MA", 3.0, 1.0)  # new firms mostly have post-2015 codes
    new = picker.pick(traceable & untiered, _draw(rng, _NEW), recent)
    first = picker.pick(traceable & untiered & holder & (total <= 6) & (later[PLEDGE] == 0).to_numpy(),
                        _draw(rng, _FIRST_IP))
    moved = picker.pick(traceable & later["经度"].notna().to_numpy(), _draw(rng, _MOVED))
    renamed = picker.pick(traceable, _draw(rng, _RENAMED))
    lapsed = picker.pick(traceable & holder, _draw(rng, _LAPSED))
    lost_all = picker.pick(traceable & untiered & ~holder, _draw(rng, _LOST_ALL))
    contacts = picker.pick(traceable & later["联系人"].notna().to_numpy(), _draw(rng, _CONTACTS))

    earlier = later.copy()
    earlier[list(HOLDINGS)] = _grow_back(later, rng)
    earlier.loc[first, [*HOLDINGS, PLEDGE]] = 0
    counts = later[list(HOLDINGS)].to_numpy(dtype=np.int64)
    for i in lapsed:  # rights lapsed (not renewed, fees unpaid) since the earlier quarter
        k = HOLDINGS.index("实用新型" if counts[i, HOLDINGS.index("实用新型")] > 0 else "有效注册商标")
        held = counts[i].copy()
        held[k] += int(rng.integers(1, 4))
        earlier.loc[i, list(HOLDINGS)] = held
    earlier.loc[lost_all, "有效注册商标"] = rng.integers(1, 3, size=len(lost_all))
    located = later[later["经度"].notna()]
    templates = {t: np.column_stack(_to_metric(g["经度"].to_numpy(), g["纬度"].to_numpy()))
                 for t, g in located.groupby("所属镇街", sort=True)}
    for i in moved:
        town = str(rng.choice(base.neighbours[str(later.at[i, "所属镇街"])]))
        lonlat = _place(base, town, templates[town], rng)
        earlier.at[i, "所属镇街"] = town
        earlier.at[i, "经度"], earlier.at[i, "纬度"] = lonlat
        earlier.at[i, "注册地址"] = _address(base, town, lonlat, rng)
    for i in renamed:
        earlier.at[i, "企业名称"] = _former_name(base, str(later.at[i, "企业名称"]), rng)
    for i in contacts:
        earlier.at[i, "联系人"] = _person(rng)
        earlier.at[i, "联系电话"] = _mobile(rng)
    earlier = earlier.drop(index=later.index[new]).reset_index(drop=True)
    closed = _closed_firms(base, later.drop(index=later.index[new]), _draw(rng, _CLOSED), rng)
    return _insert_in_town_blocks(earlier, closed, rng)


# --------------------------------------------------------------------------- commissioners


def _cells_of(grid: gpd.GeoDataFrame, person: object) -> list[int]:
    return [i for i, p in enumerate(grid["网格专员"]) if p == person]


def _contiguous(grid: gpd.GeoDataFrame, cells: Sequence[int]) -> bool:
    return bool(cells) and shapely.union_all(grid.geometry.iloc[list(cells)].values).geom_type == "Polygon"


def earlier_grid(grid: gpd.GeoDataFrame, change: str | None, phones: dict[str, str],
                 rng: np.random.Generator) -> gpd.GeoDataFrame:
    """The grid cells a quarter earlier: one cell's commissioner differs (``change``), or none.

    ``"handover"``: a border cell still belonged to the neighbouring commissioner
    of the same park; ``"release"``: a cell had no commissioner yet.  Every
    commissioner's cells stay one connected region.
    """
    earlier = grid.copy()
    if change is None:
        return earlier
    adj = _adjacency(list(grid.geometry))
    owner = list(grid["网格专员"])
    options: list[tuple[int, object]] = []
    for c, person in enumerate(owner):
        if not isinstance(person, str):
            continue
        rest = [i for i in _cells_of(grid, person) if i != c]
        if len(rest) < 2 or not _contiguous(grid, rest):
            continue
        if change == "release":
            options.append((c, None))
            continue
        for n in sorted(adj[c]):
            other = owner[n]
            if (isinstance(other, str) and other != person
                    and grid["所属园区"].iat[n] == grid["所属园区"].iat[c]
                    and _contiguous(grid, [*_cells_of(grid, other), c])
                    and (c, other) not in options):
                options.append((c, other))
    if not options:
        msg = f"no cell can take the commissioner change {change!r}"
        raise RuntimeError(msg)
    cell, person = options[int(rng.integers(len(options)))]
    earlier.iloc[cell, earlier.columns.get_loc("网格专员")] = person
    earlier.iloc[cell, earlier.columns.get_loc("联系电话")] = phones[person] if isinstance(person, str) else None
    return earlier


# --------------------------------------------------------------------------- the folders


def _copy(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)


def _q4_folder(out: Path, seed: int) -> None:
    """Write the last quarter: the bundled demo's files, or the generator's for another seed."""
    out.mkdir(parents=True, exist_ok=True)
    if seed == DEFAULT_SEED and all((DEFAULT_OUT / name).is_file() for name in FILES):
        for name in FILES:
            _copy(DEFAULT_OUT / name, out / name)
    else:
        generate_demo(out, seed)


def write_quarters(out_dir: Path | str, *, seed: int = DEFAULT_SEED) -> list[tuple[str, Path]]:
    """Write the demo's four quarters, each a complete data folder, under ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Parent folder; ``out_dir/<as-of date>/`` is written for each quarter of
        :data:`QUARTERS` (created when missing, its files overwritten).
    seed : int, default 20251231
        Seed of the last quarter (:func:`geodata.generate_demo.generate_demo`; the
        default's is the bundled demo, copied) and of the changes between quarters.

    Returns
    -------
    list of (str, pathlib.Path)
        The as-of date (``YYYY-MM-DD``) and folder of each quarter, oldest first.

    Examples
    --------
    >>> folders = write_quarters("/tmp/quarters")  # doctest: +SKIP
    >>> [date for date, _ in folders]  # doctest: +SKIP
    ['2025-03-31', '2025-06-30', '2025-09-30', '2025-12-31']
    """
    out_dir = Path(out_dir)
    folders = {date: out_dir / date for date in QUARTERS}
    last = folders[QUARTERS[-1]]
    _q4_folder(last, seed)

    sheet = read_sheet(last / "企业.xlsx")
    roster = _read_roster(last / "专员.xlsx")
    base = _read_base(last, sheet, roster)
    grid = gpd.read_file(last / "网格.gpkg", layer="网格", engine="pyogrio")
    phones = dict(base.commissioners)
    spare = next((n, p) for (n, p), cells in zip(base.commissioners, roster["负责网格"], strict=True)
                 if not isinstance(cells, str))
    q4_toml = (last / "ipgrid.toml").read_text(encoding="utf-8")
    flow, pinned, duplicate = _split(sheet)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, _SALT]).spawn(len(QUARTERS) - 1)]

    later_folder = last
    for step, date in enumerate(reversed(QUARTERS[:-1])):
        rng, folder = streams[step], folders[date]
        folder.mkdir(parents=True, exist_ok=True)
        flow = earlier_flow(flow, base, rng)
        quarter = _assemble(flow, pinned, duplicate)
        _write_xlsx(quarter, folder / "企业.xlsx", stamp=_stamp(date),
                    subtitle=ENTERPRISE_SUBTITLE.replace(DATA_DATE, date))
        earlier = earlier_grid(grid, _GRID_CHANGES[step], phones, rng)
        if earlier.drop(columns="geometry").equals(grid.drop(columns="geometry")):
            _copy(later_folder / "网格.gpkg", folder / "网格.gpkg")
            _copy(later_folder / "专员.xlsx", folder / "专员.xlsx")
        else:
            _write_gpkg(earlier, folder / "网格.gpkg", "网格", data_date=date)
            _write_plain_xlsx(build_commissioner_roster(earlier, base.commissioners), folder / "专员.xlsx", "专员",
                              stamp=_stamp(date))
        grid = earlier
        for name in ("镇街.gpkg", "园区.geojson", "服务站点.csv", "地理标志.geojson", "指标.csv"):
            _copy(later_folder / name, folder / name)
        (folder / "ipgrid.toml").write_text(_toml(q4_toml, date), encoding="utf-8")
        (folder / "README.md").write_text(_quarter_readme(seed, spare, len(quarter) - 1, date), encoding="utf-8")
        later_folder = folder
    return [(date, folders[date]) for date in QUARTERS]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m geodata.demo_quarters OUT_DIR [--seed N]``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        Exit code (0).
    """
    parser = argparse.ArgumentParser(
        prog="python -m geodata.demo_quarters",
        description="生成通州区合成示例数据的四个季度（2025-03-31 至 2025-12-31，示例数据，非真实）。",
    )
    parser.add_argument("out_dir", type=Path, help="输出文件夹（每个季度一个子文件夹）")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认 {DEFAULT_SEED}）")
    args = parser.parse_args(argv)
    for date, folder in write_quarters(args.out_dir, seed=args.seed):
        print(f"{date}\t{folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
