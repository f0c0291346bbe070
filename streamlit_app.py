"""知识产权网格地图 — the app: loads the data folder once, then runs the chosen page.

Run with ``streamlit run streamlit_app.py``; the data folder is the one
chosen on the 数据 page, else ``$IPGRID_DATA``, else the bundled demo
district.  Pages live in ``dashboard/pages/`` (one small module each).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st

import loaders
from dashboard import ui
from dashboard.access.gate import account_box, denied_page, gate, kiosk_gate
from dashboard.access.roles import may, may_open
from dashboard.access.session import AccessMode, Viewer, access_mode, serving
from dashboard.app_data import LOAD_ERROR, active_folder, add_warm_up, current_data
from dashboard.bigscreen import run_kiosk
from dashboard.maps import prepare_assets
from dashboard.maps.views import firm_tips
from dashboard.pages import BY_KEY, PAGES

STATIC_DIR = Path(__file__).resolve().parent / "static"


def main() -> None:
    """Check who is asking, set the page up, load the data (with progress the first time), run the chosen page.

    ``?kiosk=1`` shows the big screen instead (the same view as ``kiosk.py``), to a
    session that may see it or with a valid kiosk ``token``.  Pages outside the
    viewer's role answer 无权查看; the data each page is given is already scoped
    (:mod:`dashboard.access`).
    """
    try:
        mode = access_mode()
    except loaders.IpgridError as exc:
        st.error(f"无法打开数据存储：{ui.md_text(exc)}", icon=":material/error:")
        return
    if st.query_params.get("kiosk") == "1":
        if kiosk_gate(mode, st.query_params.get("token")):
            run_kiosk(static_dir=STATIC_DIR)
        return
    st.set_page_config(page_title=ui.APP_TITLE, page_icon="🗺️", layout="wide")
    viewer = gate(mode)
    if viewer is None:
        return
    with serving(viewer):  # one check of the session per run: data, downloads and audit ask no further
        serve(mode, viewer)


def serve(mode: AccessMode, viewer: Viewer) -> None:
    """The pages of ``viewer``'s role (无权查看 for the others), on the data they may see."""
    prepare_assets(STATIC_DIR)
    add_warm_up(("地图上的企业信息", firm_tips))
    ui.start_run()
    pages = {spec.key: (st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                                default=spec.key == first_page(viewer.role))
                        if may_open(viewer.role, spec.key) else
                        st.Page(denied_page(spec.key, spec.title), title=spec.title, icon=spec.icon,
                                url_path=spec.url_path, visibility="hidden",
                                default=spec.key == first_page(viewer.role)))
             for spec in PAGES}
    account_box(viewer, mode)
    try:
        data = current_data()
    except loaders.IpgridError as exc:
        if not may(viewer.role, "choose_folder"):
            st.error(f"暂时无法读取数据：{ui.md_text(exc)}；请联系管理员。", icon=":material/error:")
            return
        st.error(f"无法读取数据文件夹 {ui.md_text(active_folder())}：{ui.md_text(exc)}", icon=":material/error:")
        st.session_state[LOAD_ERROR] = str(exc)
        st.navigation([pages["data"]]).run()
        ui.publish()
        return
    st.session_state.pop(LOAD_ERROR, None)
    region = BY_KEY["region"]
    if len(data.districts) < 2 and may_open(viewer.role, region.key):  # one district: not in the menu
        pages[region.key] = st.Page(region.file, title=region.title, icon=region.icon, url_path=region.url_path,
                                    visibility="hidden")
    page = st.navigation(list(pages.values()))
    several = len(data.districts) > 1  # 全部区县 of several districts shows none's problems
    if page.url_path != pages["data"].url_path and not (several and page.url_path == region.url_path):
        ui.problems_banner(data)
    page.run()
    ui.publish()


def first_page(role: str) -> str:
    """The page a role lands on: the first of the menu it may open (无权查看 for a kiosk account)."""
    return next((spec.key for spec in PAGES if may_open(role, spec.key)), PAGES[0].key)


RUN_LOG_ENV = "IPGRID_RUN_LOG"
"""When set, the path of a file each script run appends its end time and seconds to (``bench/users.py``)."""


def timed_main() -> None:
    """:func:`main`, timed on the server when :data:`RUN_LOG_ENV` names a log (page switches end a run too)."""
    log = os.environ.get(RUN_LOG_ENV)
    if not log:
        main()
        return
    start = time.perf_counter()
    try:
        main()
    finally:
        elapsed = time.perf_counter() - start
        with open(log, "a", encoding="utf-8") as out:  # one short line per run: appends don't interleave
            out.write(f"{time.time():.3f}\t{elapsed:.4f}\n")


timed_main()
