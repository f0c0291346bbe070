"""Download buttons for the app's map pages: the same files as ``ipgrid export``.

Call :func:`app_button` under a map; it draws one button per format (and a
page-size choice).  A file is rendered only when its button is clicked
(Streamlit runs the ``data`` callable on a separate thread, which the
exports allow: they use no pyplot state), and kept per engine so a second
click is instant.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence

import streamlit as st

from dashboard.engine import Engine
from dashboard.exports.options import DEFAULT_METRIC, FORMAT_KEYS
from dashboard.exports.pages import DEFAULT_SIZE, PAGE_SIZES
from dashboard.exports.snapshot import FORMATS, file_name, render_view
from dashboard.exports.view import ExportError, map_view

KEPT_FILES = 12
"""Rendered files kept per engine (oldest dropped first)."""

_files: weakref.WeakKeyDictionary[Engine, OrderedDict[tuple, bytes]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _cached(engine: Engine, key: tuple, make: Callable[[], bytes]) -> bytes:
    with _lock:
        kept = _files.setdefault(engine, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    data = make()
    with _lock:
        kept[key] = data
        while len(kept) > KEPT_FILES:
            kept.popitem(last=False)
    return data


def app_button(engine: Engine, level: str, area: str | None = None, metric: str = DEFAULT_METRIC, *,
               key: str = "export", size: str | None = None, formats: Sequence[str] = FORMAT_KEYS,
               scheme: str | None = None, k: int | None = None) -> None:
    """Download buttons (PNG, PDF, SVG, HTML) for the map of ``level`` / ``area`` / ``metric``.

    Parameters
    ----------
    engine
        The page's engine.
    level, area, metric
        What the page's map shows (as :func:`dashboard.exports.export_map`).
    key
        Prefix of the widget keys; unique per page.
    size
        Page size of PNG/PDF/SVG; ``None`` shows a choice (default A4 landscape).
    formats
        Format keys to offer, in order.
    scheme, k
        Classification, as the page's map (``None``: the app's default).
    """
    try:
        view = map_view(engine, level, area, metric, scheme, k)
    except ExportError as exc:
        st.caption(f"无法导出地图：{exc}")
        return
    columns = st.columns(len(formats) + (1 if size is None else 0), vertical_alignment="bottom")
    if size is None:
        with columns[0]:
            sizes = list(PAGE_SIZES)
            size = st.selectbox("导出尺寸", sizes, index=sizes.index(DEFAULT_SIZE),
                                format_func=lambda s: PAGE_SIZES[s].label, key=f"{key}-size")
        columns = columns[1:]
    for column, fmt in zip(columns, formats, strict=True):
        spec = FORMATS[fmt]
        cache_key = (level, area, metric, fmt, size if fmt != "html" else "", scheme, k, engine.year)

        def make(fmt: str = fmt, cache_key: tuple = cache_key) -> bytes:
            return _cached(engine, cache_key, lambda: render_view(view, fmt, size))

        with column:
            st.download_button(f"下载 {fmt.upper()}", data=make, file_name=file_name(view, fmt, size),
                               mime=spec.mime, key=f"{key}-{fmt}", help=spec.label, on_click="ignore",
                               icon=":material/download:", width="stretch")
