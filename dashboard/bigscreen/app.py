"""The kiosk page: the Streamlit side of the big screen.

The page is tiny on purpose.  The main script run puts one iframe (the whole
screen, see :mod:`dashboard.bigscreen.page`) on the page; the rotation runs in
the browser.  A fragment re-runs every ``poll`` seconds on its own to look at
the source's signature (a data folder's files, or a store's latest version in
force: :class:`~dashboard.bigscreen.data.KioskSource`): when it changed and
stayed the same for one more look, the new version is loaded (into the shared
store) and the app reruns once, which swaps the iframe's document.  A failed
reload keeps the old data on screen with a small note; nothing on a wall
screen shows an exception box.

The source is the one given, else ``$IPGRID_STORE``, else the folder
``$IPGRID_DATA``, else the four-quarter demo store, as in the app.

Session state holds one key (:data:`PENDING_KEY`), so hours of polling do not
grow it.
"""

from __future__ import annotations

import contextlib
import html
import os
from pathlib import Path

import streamlit as st

from dashboard.app_data import Signature
from dashboard.bigscreen import page
from dashboard.bigscreen.data import KioskSource, Snapshot, kiosk_source, kiosk_store
from dashboard.bigscreen.settings import KioskSettings, resolve
from dashboard.maps.render import prepare_assets

APP_TITLE = "知识产权网格地图 · 大屏"

ROOT = Path(__file__).resolve().parents[2]
"""Repository root: ``kiosk.py`` and ``streamlit_app.py`` live here, their ``static/`` folder too."""

PENDING_KEY = "ipgrid.kiosk.pending"
"""Session-state key: the source's signature seen at the previous look, not yet loaded."""


def run_kiosk(*, folder: str | os.PathLike[str] | None = None, configure_page: bool = True,
              static_dir: str | os.PathLike[str] | None = None) -> None:
    """Render the big screen on the current Streamlit page.

    Parameters
    ----------
    folder
        A data folder, or a store (a ``.gpkg`` path, a ``postgresql://`` URL) shown at its latest
        version in force; default ``$IPGRID_STORE``, else the folder ``$IPGRID_DATA``, else the
        demo store (:func:`dashboard.bigscreen.data.kiosk_source`).
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
    source = kiosk_source(folder)
    snapshot = _first_snapshot(source, settings)
    if snapshot is not None:
        st.iframe(page.kiosk_html(snapshot.payload_json, settings), height=720, alt=page.IFRAME_TITLE)
    shown: Signature = snapshot.signature if snapshot is not None else ()
    st.fragment(_watch, run_every=settings.poll_s)(source, shown, settings.town_metric)


def _message(title: str, detail: str = "") -> None:
    """A full-screen dark message (no Streamlit alert box on a wall screen)."""
    small = f"<small>{html.escape(detail)}</small>" if detail else ""
    st.html(f'<div class="{page.MESSAGE_CLASS}"><div>{html.escape(title)}</div>{small}</div>')


def _first_snapshot(source: KioskSource, settings: KioskSettings) -> Snapshot | None:
    """The snapshot to show now: the last good one, else read the source while saying so."""
    store = kiosk_store()
    snapshot = store.current(source, settings.town_metric)
    if snapshot is not None:
        return snapshot
    placeholder = st.empty()
    with placeholder.container():
        _message(f"正在{'打开' if source.is_store else '读取'}{source.kind} {source.short} …")
    with contextlib.suppress(Exception):  # loading below tries again and remembers why it failed
        source.prepare()  # the demo store, built once per machine
    signature = source.signature()
    if not store.failed(source, signature):
        snapshot = store.try_load(source, signature, settings.town_metric)
    placeholder.empty()
    if snapshot is not None:
        return snapshot
    failure = store.failure(source)
    verb = "打开" if source.is_store else "读取"
    _message(f"无法{verb}{source.kind} {source.shown}", f"{failure.message if failure else ''}　修正后大屏会自动刷新。")
    return None


def _watch(source: KioskSource, shown: Signature, metric: str) -> None:
    """Fragment body: reload the data once the source changed and stayed unchanged for one look."""
    store = kiosk_store()
    signature = source.signature()
    if signature != shown and not store.failed(source, signature):
        if st.session_state.get(PENDING_KEY) == signature:
            if store.try_load(source, signature, metric) is not None:
                st.session_state.pop(PENDING_KEY, None)
                st.rerun(scope="app")
        else:
            st.session_state[PENDING_KEY] = signature
    failure = store.failure(source)
    if failure is not None and shown and failure.signature == signature:
        st.html(f'<div class="{page.NOTE_CLASS}">数据更新失败：{html.escape(failure.message)}；'
                f"仍显示上次读取的数据</div>")
