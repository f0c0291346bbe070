"""The kiosk page: the Streamlit side of the big screen.

The page is tiny on purpose.  The main script run puts one iframe (the whole
screen, see :mod:`dashboard.bigscreen.page`) on the page; the rotation runs in
the browser.  A fragment re-runs every ``poll`` seconds on its own to look at
the data folder's signature: when it changed and stayed the same for one more
look, the new version is loaded (into the shared store) and the app reruns
once, which swaps the iframe's document.  A failed reload keeps the old data
on screen with a small note; nothing on a wall screen shows an exception box.

Session state holds one key (:data:`PENDING_KEY`), so hours of polling do not
grow it.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import streamlit as st

from dashboard.app_data import Signature, data_folder, folder_signature
from dashboard.bigscreen import page
from dashboard.bigscreen.data import Snapshot, kiosk_store
from dashboard.bigscreen.settings import KioskSettings, resolve
from dashboard.maps.render import prepare_assets

APP_TITLE = "知识产权网格地图 · 大屏"

ROOT = Path(__file__).resolve().parents[2]
"""Repository root: ``kiosk.py`` and ``streamlit_app.py`` live here, their ``static/`` folder too."""

PENDING_KEY = "ipgrid.kiosk.pending"
"""Session-state key: the folder signature seen at the previous look, not yet loaded."""


def run_kiosk(*, folder: str | os.PathLike[str] | None = None, configure_page: bool = True,
              static_dir: str | os.PathLike[str] | None = None) -> None:
    """Render the big screen on the current Streamlit page.

    Parameters
    ----------
    folder
        Data folder; default ``$IPGRID_DATA`` or the demo district
        (:func:`dashboard.app_data.data_folder`).
    configure_page
        Call ``st.set_page_config`` (wide, collapsed sidebar, kiosk title).
    static_dir
        The ``static/`` folder Streamlit serves beside the entry script
        (default: the repository's); Leaflet is copied there once.

    Notes
    -----
    Settings come from the query (``?interval=15&poll=15&metric=…``) over
    the environment (see :mod:`dashboard.bigscreen.settings`).
    """
    if configure_page:
        st.set_page_config(page_title=APP_TITLE, page_icon="🗺️", layout="wide",
                           initial_sidebar_state="collapsed")
    st.html(page.page_css())
    prepare_assets(str(Path(static_dir) if static_dir is not None else ROOT / "static"))
    settings = resolve(dict(st.query_params.to_dict()))
    where = Path(folder).expanduser().resolve() if folder is not None else data_folder()
    snapshot = _first_snapshot(where, settings)
    if snapshot is not None:
        st.iframe(page.kiosk_html(snapshot.payload_json, settings), height=720, alt=page.IFRAME_TITLE)
    shown: Signature = snapshot.signature if snapshot is not None else ()
    st.fragment(_watch, run_every=settings.poll_s)(str(where), shown, settings.town_metric)


def _message(title: str, detail: str = "") -> None:
    """A full-screen dark message (no Streamlit alert box on a wall screen)."""
    small = f"<small>{html.escape(detail)}</small>" if detail else ""
    st.html(f'<div class="{page.MESSAGE_CLASS}"><div>{html.escape(title)}</div>{small}</div>')


def _first_snapshot(folder: Path, settings: KioskSettings) -> Snapshot | None:
    """The snapshot to show now: the last good one, else read the folder while saying so."""
    store = kiosk_store()
    snapshot = store.current(folder, settings.town_metric)
    if snapshot is not None:
        return snapshot
    signature = folder_signature(folder)
    if not store.failed(folder, signature):
        placeholder = st.empty()
        with placeholder.container():
            _message(f"正在读取数据文件夹 {folder.name or folder} …")
        snapshot = store.try_load(folder, signature, settings.town_metric)
        placeholder.empty()
        if snapshot is not None:
            return snapshot
    failure = store.failure(folder)
    _message(f"无法读取数据文件夹 {folder}", f"{failure.message if failure else ''}　修正后大屏会自动刷新。")
    return None


def _watch(folder: str, shown: Signature, metric: str) -> None:
    """Fragment body: reload the data once the folder changed and stayed unchanged for one look."""
    where = Path(folder)
    store = kiosk_store()
    signature = folder_signature(where)
    if signature != shown and not store.failed(where, signature):
        if st.session_state.get(PENDING_KEY) == signature:
            if store.try_load(where, signature, metric) is not None:
                st.session_state.pop(PENDING_KEY, None)
                st.rerun(scope="app")
        else:
            st.session_state[PENDING_KEY] = signature
    failure = store.failure(where)
    if failure is not None and shown and failure.signature == signature:
        st.html(f'<div class="{page.NOTE_CLASS}">数据更新失败：{html.escape(failure.message)}；'
                f"仍显示上次读取的数据</div>")
