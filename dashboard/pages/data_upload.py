"""The 数据 page's import: upload a quarter's files, see the check and what changed, then 「确认导入」.

Nothing is written to the store until 「确认导入」: the uploaded files go
into a private temporary folder, :func:`dashboard.store.prepare_import`
reads and compares them in memory, and 「取消」 (or a browser that never
comes back) leaves the store as it was.  Uploaded names are reduced to a
bare file name, so no upload can write outside its folder.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
import unicodedata
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.access.session import current_viewer
from dashboard.app_data import NEXT_ASOF, LoadedData
from dashboard.engine.catalog import format_number, format_percent
from dashboard.engine.changes import FIRM_LISTS
from dashboard.store import PreparedImport, Store, prepare_import
from loaders import IpgridError
from loaders.problems import SEVERITY_LABELS, ProblemLog
from loaders.schema import LAYERS

PAGE = "data"
PENDING = "ipgrid.pending_import"
"""Session key of the checked, not yet committed import: (PreparedImport, its temporary folder)."""

UPLOAD_TYPES = ["xlsx", "xls", "csv", "zip", "gpkg", "geojson", "json", "kml", "toml"]
"""What can be uploaded: spreadsheets, a shapefile as a .zip, GeoPackage, GeoJSON, KML, and ipgrid.toml."""

STALE_S = 24 * 3600
"""Temporary upload folders older than this (a browser closed before 确认导入) are removed."""

UPLOAD_ROOT = Path(tempfile.gettempdir()) / "ipgrid-uploads"

CHANGE_LABELS = {key: name for key, (name, _) in FIRM_LISTS.items()}
"""The change counts shown before 确认导入, named as on the 变化 page."""


def safe_name(name: str) -> str:
    r"""An uploaded file's name as a bare file name: no folders, no ``..``, no control characters.

    >>> safe_name("../../etc/passwd"), safe_name("C:\\数据\\企业.xlsx"), safe_name("..")
    ('passwd', '企业.xlsx', '_')
    """
    bare = name.replace("\\", "/").rsplit("/", 1)[-1]
    bare = "".join(c for c in bare if unicodedata.category(c)[0] != "C").strip()
    return bare if bare not in ("", ".", "..") else "_"


def _clean_stale() -> None:
    if not UPLOAD_ROOT.is_dir():
        return
    limit = time.time() - STALE_S
    for folder in UPLOAD_ROOT.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def save_uploads(files: list[object]) -> Path:
    """Write the uploaded files into a new private folder; returns it."""
    UPLOAD_ROOT.mkdir(parents=True, exist_ok=True)
    _clean_stale()
    folder = Path(tempfile.mkdtemp(prefix="import-", dir=UPLOAD_ROOT))
    for upload in files:
        name = safe_name(str(getattr(upload, "name", "_")))
        (folder / name).write_bytes(upload.getvalue())  # type: ignore[attr-defined]  # streamlit UploadedFile
    return folder


def _drop_pending() -> None:
    pending = st.session_state.pop(PENDING, None)
    if pending is not None:
        shutil.rmtree(pending[1], ignore_errors=True)


def default_as_of(today: dt.date | None = None) -> dt.date:
    """The end of the last finished quarter (what a clerk loads at the start of a quarter).

    >>> default_as_of(dt.date(2026, 1, 15)), default_as_of(dt.date(2026, 12, 1))
    (datetime.date(2025, 12, 31), datetime.date(2026, 9, 30))
    """
    day = today or dt.date.today()
    quarter_start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return quarter_start - dt.timedelta(days=1)


def preview_layers(prepared: PreparedImport) -> pd.DataFrame:
    """One row per layer found in the upload: file, rows, imported, errors, warnings."""
    problems = prepared.engine.problems
    rows = []
    for name, layer in prepared.bundle.layers.items():
        rows.append({"图层": LAYERS[name].label, "文件": layer.file, "行数": layer.rows, "导入": layer.accepted,
                     "错误": problems.count(layer=name, severity="error"),
                     "警告": problems.count(layer=name, severity="warning")})
    return pd.DataFrame(rows)


def problems_table(problems: ProblemLog) -> pd.DataFrame:
    """A problems report with layer and severity in Chinese (``row`` is the Excel row number)."""
    frame = problems.to_frame()
    frame["layer"] = frame["layer"].map(lambda n: LAYERS[n].label if n in LAYERS else n)
    frame["severity"] = frame["severity"].map(SEVERITY_LABELS).fillna(frame["severity"])
    return frame


def _check_form(store: Store) -> None:
    with st.form(f"{PAGE}.upload.form", clear_on_submit=True):
        files = st.file_uploader("上传本季度的数据文件（可多选）", type=UPLOAD_TYPES, accept_multiple_files=True,
                                 key=f"{PAGE}.upload.files",
                                 help="企业表、知识产权明细、专员表（xlsx/xls/csv），镇街/园区/网格边界（gpkg、geojson、kml，"
                                      "或把 shapefile 的全部文件打包为 .zip），以及可选的 ipgrid.toml")
        c1, c2 = st.columns(2)
        as_of = c1.date_input("数据截至", value=default_as_of(), key=f"{PAGE}.upload.asof", format="YYYY-MM-DD")
        note = c2.text_input("备注", key=f"{PAGE}.upload.note", placeholder="如：2025 年第四季度")
        checked = st.form_submit_button("检查数据（不会写入）", icon=":material/fact_check:")
    if not checked:
        return
    if not files:
        st.warning("请先选择要上传的文件。", icon=":material/warning:")
        return
    _drop_pending()
    folder = save_uploads(list(files))
    bar = st.progress(0.0, text="开始检查")

    def progress(text: str, fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=text)

    try:
        prepared = prepare_import(folder, str(as_of), store=store, note=note.strip(), progress=progress,
                                  district=store.district)  # a store of several districts: the one shown
    except IpgridError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        bar.empty()
        st.error(f"无法导入：{ui.md_text(exc)}", icon=":material/error:")
        return
    bar.empty()
    st.session_state[PENDING] = (prepared, folder)


def _preview(store: Store, prepared: PreparedImport, user: str) -> None:
    st.markdown(f"**待导入：数据截至 {prepared.as_of}**（尚未写入存储）")
    district = prepared.engine.stats("district").iloc[0]
    cols = st.columns(3)
    ui.kpi(cols[0], "企业", f"{format_number(district['enterprises'])} 家")
    ui.kpi(cols[1], "有知识产权企业", f"{format_number(district['enterprises_with_ip'])} 家")
    ui.kpi(cols[2], "知识产权覆盖率", format_percent(district["ip_coverage_rate"]))
    st.dataframe(preview_layers(prepared), hide_index=True, width="stretch", key=f"{PAGE}.upload.layers")
    if prepared.diff is None:
        st.caption("存储中没有更早的版本，本次导入后将是第一个版本。")
    else:
        assert prepared.previous is not None
        counts = prepared.change_counts() or {}
        st.markdown(f"与上一版本（数据截至 {prepared.previous.as_of}）相比：")
        change_cols = st.columns(len(CHANGE_LABELS))
        for col, (key, label) in zip(change_cols, CHANGE_LABELS.items(), strict=True):
            ui.kpi(col, label, f"{counts.get(key, 0):,} 家")
    errors, warnings = prepared.errors, prepared.warnings
    if errors or warnings:
        with st.expander(f"问题清单（{errors} 个错误，{warnings} 条警告）", expanded=bool(errors)):
            ui.show_table(problems_table(prepared.engine.problems), key=f"{PAGE}.upload.problems",
                          file_name="导入问题清单",
                          columns=("layer", "file", "row", "field", "code", "severity", "message"))
    if store.versions() and any(v.as_of == prepared.as_of for v in store.active_versions()):
        st.info(f"存储中已有数据截至 {prepared.as_of} 的版本；确认导入后，新版本将取代它（旧版本仍保留在列表中）。",
                icon=":material/info:")
    allow = True
    if errors:
        st.error(f"数据有 {errors} 个错误：有错误的行不会导入。请修正后重新上传，或确认后仍然导入。",
                 icon=":material/error:")
        allow = st.checkbox("我已查看问题清单，有错误的行不导入，仍然导入", key=f"{PAGE}.upload.allow")
    c1, c2 = st.columns(2)
    if c1.button("确认导入", type="primary", icon=":material/cloud_upload:", disabled=not allow,
                 key=f"{PAGE}.upload.commit"):
        with st.spinner("正在写入存储（先自动备份）…"):
            version = store.commit(prepared, user=user)
        _drop_pending()
        st.session_state[NEXT_ASOF] = version.as_of
        st.session_state[f"{PAGE}.upload.done"] = f"已导入：版本 {version.version_id}（数据截至 {version.as_of}）。"
        st.rerun()
    if c2.button("取消", icon=":material/close:", key=f"{PAGE}.upload.cancel"):
        _drop_pending()
        st.rerun()


def import_section(data: LoadedData) -> None:
    """The upload → check → 确认导入 section, for an app that shows a store."""
    st.subheader("导入本季度数据", anchor=False)
    if data.store is None:
        st.caption("当前显示的是数据文件夹；设置环境变量 IPGRID_STORE 指向存储（.gpkg 或 postgresql://）后，"
                   "可在此上传每季度的文件并导入为新版本。")
        return
    done = st.session_state.pop(f"{PAGE}.upload.done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    into = f"，区县：{ui.md_text(data.store.district)}" if data.store.district else ""
    st.caption(f"存储：{ui.md_text(data.store.location)}{into}。上传的文件先检查并与上一版本对比，确认后才写入。")
    pending = st.session_state.get(PENDING)
    if pending is None:
        _check_form(data.store)
        pending = st.session_state.get(PENDING)
    if pending is not None:
        _preview(data.store, pending[0], user=current_viewer().name)
