"""Preparing an import: read and validate a folder, place its firms, and compare it with the version before.

:func:`prepare_import` reads nothing from the store but the previous
version and writes nothing at all: the CLI prints what it found and the app
shows it, and only :meth:`dashboard.store.Store.commit` writes.  A browser
closed between the two leaves the store untouched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.engine import Engine
from dashboard.engine.changes import VersionDiff, diff_engines
from dashboard.engine.precomputed import Precomputed, precompute
from dashboard.store import codec
from dashboard.store.assignments import cell_assignments
from dashboard.store.store import Store, Version, checked_date
from loaders import load_folder
from loaders.bundle import DataBundle
from loaders.errors import ImportRefusedError
from loaders.schema import LAYERS

CONFIG_FILE = "ipgrid.toml"
SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd")
"""Files a shapefile brings along: checksummed with it."""


def sha256_of(path: Path) -> str:
    """The file's SHA-256 in hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_files(bundle: DataBundle) -> list[dict[str, Any]]:
    """Name, size and SHA-256 of every file the import read (layer files, their sidecars, ``ipgrid.toml``)."""
    folder = bundle.folder
    names = [layer.file for layer in bundle.layers.values() if layer.file]
    paths = []
    for name in names:
        path = folder / name
        paths.append(path)
        if path.suffix.lower() == ".shp":
            paths += [path.with_suffix(s) for s in SIDECARS]
    paths.append(folder / CONFIG_FILE)
    out = []
    for path in dict.fromkeys(paths):
        if path.is_file():
            out.append({"name": os.path.relpath(path, folder), "size": path.stat().st_size, "sha256": sha256_of(path)})
    return out


@dataclass
class PreparedImport:
    """A folder read, validated and placed, with what changed against the version before; nothing written yet."""

    bundle: DataBundle
    engine: Engine
    precomputed: Precomputed
    as_of: str
    note: str
    files: list[dict[str, Any]]
    previous: Version | None
    diff: VersionDiff | None

    @property
    def district(self) -> str:
        """The district this import adds a version to (``--district``, else the name in ``ipgrid.toml``)."""
        return self.bundle.config.district.name

    @property
    def errors(self) -> int:
        """Problems of severity error (rows or layers an import would refuse)."""
        return self.engine.problems.count(severity="error")

    @property
    def warnings(self) -> int:
        """Problems of severity warning."""
        return self.engine.problems.count(severity="warning")

    @property
    def layer_meta(self) -> dict[str, dict[str, Any]]:
        """How each layer was read and typed (:func:`dashboard.store.codec.layer_meta`)."""
        return {name: codec.layer_meta(layer) for name, layer in self.bundle.layers.items()}

    @staticmethod
    def layer_label(name: str) -> str:
        """The layer's Chinese name."""
        return LAYERS[name].label

    def problems_frame(self) -> pd.DataFrame:
        """Every problem in the engine's order, marked ``loaders`` or ``engine`` (unmatched holders …)."""
        own = {id(p) for p in self.bundle.problems}
        merged = self.engine.problems
        frame = codec.problems_frame(merged)
        frame["origin"] = ["loaders" if id(p) in own else "engine" for p in merged]
        return frame

    def assignments(self) -> dict[str, list[str]]:
        """Cell id → commissioners, as this folder's files say."""
        return cell_assignments(self.engine.cells, self.engine.commissioners)

    def version_record(self, version_id: int, user: str, at: str) -> dict[str, object]:
        """The row of ``ipgrid_versions`` this import becomes."""
        rights = self.precomputed.rights
        matching = self.precomputed.load_matching()
        summary = {
            "grid_key": self.precomputed.grid_key, "errors": self.errors, "warnings": self.warnings,
            "has_rights": rights is not None,
            "matched_records": 0 if rights is None else rights.matched_records,
            "unmatched_records": 0 if rights is None else rights.unmatched_records,
            "match_groups": 0 if matching is None else len(matching.size),
            "changes": self.change_counts(),
        }
        return {
            "version_id": version_id, "as_of": self.as_of, "status": "active", "imported_at": at,
            "imported_by": user, "note": self.note, "district": self.district,
            "source_folder": str(self.bundle.folder), "config": codec.config_to_json(self.bundle.config),
            "layers": json.dumps(self.layer_meta, ensure_ascii=False),
            "files": json.dumps(self.files, ensure_ascii=False),
            "summary": json.dumps(summary, ensure_ascii=False),
        }

    def change_counts(self) -> dict[str, int] | None:
        """How many firms were added, removed, got a first IP, lost it, moved town — ``None`` for a first version."""
        if self.diff is None:
            return None
        d = self.diff
        return {"added": len(d.added), "removed": len(d.removed), "first_ip": len(d.first_ip),
                "lost_ip": len(d.lost_ip), "moved": len(d.moved)}


Progress = Callable[[str, float], None]


def _with_date(bundle: DataBundle, as_of: str) -> None:
    """Name the folder's data date ``as_of`` (refusing a folder whose ``ipgrid.toml`` says another date)."""
    district = bundle.config.district
    given = (district.data_date or "").strip()
    if given and given != as_of:
        msg = (f"数据截至日不一致：ipgrid.toml 中 [district] data_date 为 {given}，导入时指定的是 {as_of}；"
               "请改正其中之一后再导入")
        raise ImportRefusedError(msg)
    if not given:
        bundle.config = dataclasses.replace(bundle.config, district=dataclasses.replace(district, data_date=as_of))


def _with_district(bundle: DataBundle, district: str | None) -> None:
    """Name the folder's district ``district`` (refusing a folder whose ``ipgrid.toml`` names another)."""
    if district is None:
        return
    wanted = district.strip()
    if not wanted or any(ch in wanted for ch in "/\\\n\r\t"):
        msg = f"区县名称不能为空，也不能含斜杠或换行，而不是「{district}」"
        raise ImportRefusedError(msg)
    given = (bundle.config.district.name or "").strip()
    if given and given != wanted:
        msg = (f"区县不一致：ipgrid.toml 中 [district] name 为「{given}」，导入时 --district 指定的是「{wanted}」；"
               "请确认这是哪个区县的数据，改正其中之一后再导入")
        raise ImportRefusedError(msg)
    config = bundle.config
    bundle.config = dataclasses.replace(config, district=dataclasses.replace(config.district, name=wanted))


def district_store(store: Store, district: str, *, named: bool) -> Store | None:
    """The view of ``store`` an import of ``district`` adds to; ``None`` when it is the district's first version.

    Raises
    ------
    loaders.errors.ImportRefusedError
        The store holds other districts and the import did not name its own
        with ``--district`` (``named``): a folder of another district, or a
        renamed one, is never added to a city's store by accident.
    """
    known = store.districts()
    if district in known:
        return store.for_district(district)
    if known and not named:
        listed = "、".join(d or "（未命名）" for d in known)
        msg = (f"存储 {store.location} 已有区县：{listed}；本次导入的文件夹是「{district or '未命名区县'}」。"
               f"向存储添加另一个区县时请用 --district {district or '区县名'} 明确指定")
        raise ImportRefusedError(msg)
    return None


def prepare_import(folder: Path | str, as_of: str, *, store: Store | None = None, note: str = "",
                   progress: Progress | None = None, district: str | None = None) -> PreparedImport:
    """Read, validate and place a folder for import as version ``as_of`` of ``district``; write nothing.

    ``district`` (``--district``) names the district in a store of several;
    ``None`` takes the name in ``ipgrid.toml``.

    Raises
    ------
    loaders.errors.ImportRefusedError
        ``as_of`` is not a date, ``ipgrid.toml`` names another data date or
        district, or the store holds other districts and ``district`` is not given.
    loaders.errors.UnusableLayerError
        The towns or enterprises cannot be used at all (their problems say why).
    loaders.IpgridError
        The folder cannot be read (see :func:`loaders.load_folder`).
    """
    day = checked_date(as_of)

    def step(text: str, fraction: float) -> None:
        if progress is not None:
            progress(text, fraction)

    step("读取并检查数据文件", 0.0)
    bundle = load_folder(Path(folder), lambda text, i, n: step(text, 0.6 * i / max(n, 1)))
    files = source_files(bundle)
    return prepare_bundle(bundle, day, store=store, note=note, district=district, files=files, progress=step)


def prepare_bundle(bundle: DataBundle, as_of: str, *, store: Store | None = None, note: str = "",
                   district: str | None = None, files: list[dict[str, Any]] | None = None,
                   progress: Progress | None = None) -> PreparedImport:
    """:func:`prepare_import` of layers already read (a folder's, or a generated district's); write nothing.

    Raises
    ------
    loaders.errors.ImportRefusedError, loaders.errors.UnusableLayerError
        As :func:`prepare_import`.
    """
    day = checked_date(as_of)

    def step(text: str, fraction: float) -> None:
        if progress is not None:
            progress(text, fraction)

    _with_date(bundle, day)
    _with_district(bundle, district)
    own = (district_store(store, bundle.config.district.name, named=district is not None)
           if store is not None else None)
    bundle.require_usable()
    step("企业定位到镇街、园区、网格，知识产权匹配到企业", 0.6)
    engine = Engine(bundle)
    pre = precompute(engine)
    previous = own.previous(day) if own is not None else None
    diff = None
    if own is not None and previous is not None:
        step(f"与上一版本（{previous.as_of}）对比", 0.85)
        diff = diff_engines(Engine(own.open_bundle(previous)), engine, "town")
    step("完成", 1.0)
    return PreparedImport(bundle=bundle, engine=engine, precomputed=pre, as_of=day, note=note, files=files or [],
                          previous=previous, diff=diff)
