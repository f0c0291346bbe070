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
from dashboard.app_data import LOAD_ERROR, active_folder, add_warm_up, current_data
from dashboard.bigscreen import run_kiosk
from dashboard.maps import prepare_assets
from dashboard.maps.views import firm_tips
from dashboard.pages import PAGES

STATIC_DIR = Path(__file__).resolve().parent / "static"


def main() -> None:
    """Set the page up, load the data (with progress the first time), run the chosen page.

    ``?kiosk=1`` shows the big screen instead (the same view as ``kiosk.py``).
    """
    if st.query_params.get("kiosk") == "1":
        run_kiosk(static_dir=STATIC_DIR)
        return
    st.set_page_config(page_title=ui.APP_TITLE, page_icon="🗺️", layout="wide")
    prepare_assets(STATIC_DIR)
    add_warm_up(("地图上的企业信息", firm_tips))
    ui.start_run()
    pages = {spec.key: st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                               default=i == 0) for i, spec in enumerate(PAGES)}
    try:
        data = current_data()
    except loaders.IpgridError as exc:
        st.error(f"无法读取数据文件夹 {ui.md_text(active_folder())}：{ui.md_text(exc)}", icon=":material/error:")
        st.session_state[LOAD_ERROR] = str(exc)
        st.navigation([pages["data"]]).run()
        ui.publish()
        return
    st.session_state.pop(LOAD_ERROR, None)
    page = st.navigation(list(pages.values()))
    if page.url_path != pages["data"].url_path:
        ui.problems_banner(data)
    page.run()
    ui.publish()


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
