"""知识产权网格地图 — entry page: the district's towns on an offline map.

Run with ``streamlit run streamlit_app.py``; the data folder is
``$IPGRID_DATA`` or the bundled demo district.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

import loaders
from dashboard.app_data import current_bundle, data_folder
from dashboard.maps import (
    DEMO_LABEL,
    TOWN_FIELDS,
    add_demo_label,
    add_towns,
    make_map,
    prepare_assets,
    show_map,
)
from loaders.bundle import DataBundle
from loaders.problems import PROBLEM_LABELS, SEVERITY_LABELS

APP_TITLE = "知识产权网格地图"
STATIC_DIR = Path(__file__).resolve().parent / "static"

DEMO_BADGE = (
    '<span style="display:inline-block;background:#b42318;color:#fff;font-weight:700;'
    'font-size:1.1rem;padding:0.2rem 0.8rem;border-radius:0.3rem;">'
    f"{DEMO_LABEL}</span>"
)

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|<>~$:])")


def md_text(value: object) -> str:
    """Escape ``value`` so Streamlit markdown shows it literally, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def show_header(bundle: DataBundle) -> None:
    """Title, demo badge, data date and source."""
    district = bundle.config.district
    title = f"{district.name} · {APP_TITLE}" if district.name else APP_TITLE
    st.title(md_text(title), anchor=False)
    if bundle.is_demo:
        st.markdown(DEMO_BADGE, unsafe_allow_html=True)
    date = district.data_date or "未注明"
    source = district.source or "未注明"
    st.caption(f"数据截至 {md_text(date)}　·　来源 {md_text(source)}")


def show_problems(bundle: DataBundle, folder: Path) -> None:
    """Warn when rows were rejected, and list the problems."""
    errors = bundle.problems.count(severity="error")
    if not errors:
        return
    st.warning(
        f"数据中有 {errors} 个错误，相关记录未导入，地图和统计可能不完整。"
        f"请运行 `ipgrid validate {folder}` 查看并修正问题清单。",
        icon=":material/warning:",
    )
    with st.expander(f"问题清单（共 {len(bundle.problems)} 条）"):
        problems = bundle.problems.to_frame()
        problems["severity"] = problems["severity"].map(SEVERITY_LABELS)
        st.dataframe(problems.rename(columns=PROBLEM_LABELS), hide_index=True)


def towns_table(towns: pd.DataFrame) -> pd.DataFrame:
    """名称 / 区划代码 / 常住人口 of each town, as display text (st.table renders markdown)."""
    def text(value: object) -> str:
        return "—" if pd.isna(value) or not str(value).strip() else md_text(value)

    def count(value: object) -> str:
        return "—" if pd.isna(value) else f"{round(float(value)):,}"

    formats = {"name": text, "code": text, "population": count}
    return pd.DataFrame(
        {
            label: [formats[col](v) for v in towns[col]] if col in towns else "—"
            for col, label in TOWN_FIELDS.items()
        }
    ).reset_index(drop=True)


def main() -> None:
    """Render the page."""
    st.set_page_config(page_title=APP_TITLE, page_icon="🗺️", layout="wide")
    prepare_assets(STATIC_DIR)
    folder = data_folder()
    try:
        bundle = current_bundle()
    except loaders.IpgridError as exc:
        st.title(APP_TITLE, anchor=False)
        st.error(f"无法读取数据文件夹 {md_text(folder)}：{md_text(exc)}", icon=":material/error:")
        st.stop()

    show_header(bundle)
    show_problems(bundle, folder)

    towns = bundle.frame("towns")
    if towns is None or towns.empty:
        st.info("数据中没有可显示的镇街。", icon=":material/info:")
        return

    map_col, table_col = st.columns([3, 1], gap="medium")
    with map_col:
        fmap = make_map()
        add_towns(fmap, towns)
        if bundle.is_demo:
            add_demo_label(fmap)
        show_map(fmap, key="overview")
    with table_col:
        st.subheader("镇街", anchor=False)
        st.table(towns_table(towns))


main()
