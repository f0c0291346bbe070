"""数据: which folder is loaded, its layers, the validate report (problems with row numbers), reload.

This page also works when the folder cannot be loaded: the error is shown
above it, and another folder can be chosen here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import ui
from dashboard.app_data import (
    LOAD_ERROR,
    SESSION_FOLDER,
    LoadedData,
    active_folder,
    allowed_roots,
    check_folder_choice,
    current_data,
    data_folder,
    reload_data,
    scan_folder,
)
from dashboard.engine.metrics import METRICS
from dashboard.pages.data_upload import import_section, problems_table
from loaders.errors import FolderChoiceError
from loaders.problems import SEVERITY_LABELS
from loaders.schema import LAYERS

PAGE = "data"
SEVERITY_FILTER = {"all": "全部", "error": "只看错误", "warning": "只看警告"}


def layers_table(data: LoadedData) -> pd.DataFrame:
    """One row per layer: file, rows in the file, rows imported, CRS, problems."""
    problems = data.engine.problems
    rows = []
    for name, schema in LAYERS.items():
        layer = data.bundle.layers.get(name)
        rows.append({
            "图层": schema.label, "文件": layer.file if layer else "（无）",
            "行数": layer.rows if layer else None, "导入": layer.accepted if layer else None,
            "坐标系": layer.crs if layer else "", "错误": problems.count(layer=name, severity="error"),
            "警告": problems.count(layer=name, severity="warning"),
        })
    return pd.DataFrame(rows)


def problems_frame(data: LoadedData) -> pd.DataFrame:
    """The problems report with layer and severity in Chinese (``row`` is the Excel row number)."""
    return problems_table(data.engine.problems)


def metrics_table() -> pd.DataFrame:
    """Every metric the app shows: name, unit, definition."""
    return pd.DataFrame([{"label": m.label, "unit": m.unit or "—", "definition": m.definition}
                         for m in METRICS.values()])


def choose_folder() -> None:
    """Pick another folder for this session, go back to the default, or read the files again."""
    st.subheader("数据文件夹", anchor=False)
    st.code(str(active_folder()), language=None)
    default = data_folder()
    chosen = st.session_state.get(SESSION_FOLDER)
    st.caption(f"默认文件夹（环境变量 IPGRID_DATA 或示例数据）：{ui.md_text(default)}")
    roots = "、".join(str(r) for r in allowed_roots()) or "（无）"
    with st.form(f"{PAGE}.folder.form", border=False):
        path = st.text_input("读取其他文件夹（服务器上的路径）", key=f"{PAGE}.folder.path",
                             placeholder="/data/通州区/2025Q4",
                             help=f"只能读取以下目录之内的文件夹：{ui.md_text(roots)}")
        submitted = st.form_submit_button("读取此文件夹", icon=":material/folder_open:")
    if submitted and path.strip():
        # Any allowed folder, for anyone: once the app has accounts (a separate issue), choosing a
        # folder is for administrators only.  check_folder_choice lists and reads nothing.
        try:
            folder = check_folder_choice(path)
        except FolderChoiceError as exc:
            st.error(ui.md_text(exc), icon=":material/error:")
        else:
            st.session_state[SESSION_FOLDER] = str(folder)
            st.rerun()
    cols = st.columns(2)
    if cols[0].button("重新读取", icon=":material/refresh:", key=f"{PAGE}.reload",
                      help="文件已更新时，重新读取全部文件（也会在文件变化后自动重新读取）"):
        reload_data()
        st.rerun()
    if chosen and cols[1].button("恢复默认文件夹", icon=":material/undo:", key=f"{PAGE}.default"):
        st.session_state.pop(SESSION_FOLDER, None)
        st.rerun()


def versions_table(data: LoadedData) -> pd.DataFrame:
    """Every version of the store, withdrawn ones too: as-of date, status, when and by whom, rows, problems, note."""
    assert data.store is not None
    rows = []
    for v in data.store.versions():
        rows.append({"版本": v.version_id, "数据截至": v.as_of, "状态": v.status_label,
                     "导入时间": v.imported_at.replace("T", " ")[:19], "导入人": v.imported_by,
                     "企业": v.rows.get("enterprises", 0), "错误": v.errors, "警告": v.warnings, "备注": v.note})
    return pd.DataFrame(rows)


def versions_section(data: LoadedData) -> None:
    """The store's versions (the one shown is chosen in the sidebar)."""
    assert data.store is not None and data.version is not None
    st.subheader("数据版本", anchor=False)
    st.caption(f"当前显示：数据截至 {data.version.as_of}（侧栏可切换）。版本导入后不再修改；导入错误的版本可撤回"
               "（ipgrid versions 存储 --withdraw 日期），撤回的版本仍保留在列表中。")
    st.dataframe(versions_table(data), hide_index=True, width="stretch", key=f"{PAGE}.versions")


def render() -> None:
    """Draw the page."""
    data = None if st.session_state.get(LOAD_ERROR) is not None else current_data()
    ui.sidebar(PAGE, data)
    if data is None:
        st.title("数据", anchor=False)
        choose_folder()
        return
    ui.header(data, "数据")
    if data.store is not None:
        versions_section(data)
        import_section(data)
    choose_folder()
    loaded = dt.datetime.fromtimestamp(data.loaded_at).strftime("%Y-%m-%d %H:%M:%S")
    if data.version is None:
        st.caption(f"读取于 {loaded}，用时 {data.seconds:.1f} 秒；{len(data.signature)} 个文件。"
                   "文件变化后会自动重新读取。")
    skipped = scan_folder(data.folder).skipped if data.version is None else ()
    if skipped:
        st.warning(f"以下文件无法读取（链接失效或没有权限），已跳过：{ui.md_text('、'.join(skipped))}",
                   icon=":material/warning:")

    st.subheader("图层", anchor=False)
    layers = layers_table(data)
    st.dataframe(layers, hide_index=True, width="stretch", key=f"{PAGE}.layers")
    ui.download_xlsx("下载 Excel", lambda: {"图层": layers}, "图层", key=f"{PAGE}.layers.xlsx",
                     meta=ui.meta_rows(data))

    problems = problems_frame(data)
    errors = data.engine.problems.count(severity="error")
    warnings = data.engine.problems.count(severity="warning")
    st.subheader(f"问题清单（{errors} 个错误，{warnings} 条警告）", anchor=False)
    if len(problems) == 0:
        st.success("没有发现问题。", icon=":material/check_circle:")
    else:
        sev = ui.bind(PAGE, "severity", "all", options=list(SEVERITY_FILTER))
        layer_opts = sorted(problems["layer"].dropna().unique().tolist())
        lay = ui.bind(PAGE, "layer", [], options=layer_opts, multi=True)
        c1, c2 = st.columns(2)
        c1.selectbox("级别", list(SEVERITY_FILTER), key=sev.key, format_func=ui.label_of(SEVERITY_FILTER))
        c2.multiselect("图层", layer_opts, key=lay.key, placeholder="全部图层")
        shown = problems
        if sev.value != "all":
            shown = shown[shown["severity"] == SEVERITY_LABELS[str(sev.value)]]
        if lay.value:
            shown = shown[shown["layer"].isin(list(lay.value))]
        ui.show_table(shown, key=f"{PAGE}.problems", file_name="问题清单",
                      columns=("layer", "file", "row", "field", "code", "severity", "message"),
                      meta=ui.meta_rows(data), caption="「行号」为 Excel 中看到的行号（矢量文件为第几个要素）")

    with st.expander("指标定义"):
        ui.show_table(metrics_table(), key=f"{PAGE}.metrics", file_name="指标定义", meta=ui.meta_rows(data))
    ui.page_actions(PAGE, data, {"图层": lambda: layers, "问题清单": lambda: problems}, file_name="数据检查")


if __name__ == "__main__":
    render()
