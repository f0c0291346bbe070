"""Download buttons for the app's map pages: the same files as ``ipgrid export``.

Call :func:`app_button` under a map; it draws one button per format (and a
page-size choice).  A file is rendered only when its button is clicked
(Streamlit runs the ``data`` callable on a separate thread, which the
exports allow: they use no pyplot state), and kept in the engine's memo
(:meth:`Engine.memo`, bounded) so a second click is instant.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboard.access.audit import audited
from dashboard.engine import Engine
from dashboard.engine.catalog import DEFAULT_METRIC
from dashboard.exports.options import FORMAT_KEYS
from dashboard.exports.pages import DEFAULT_SIZE, PAGE_SIZES
from dashboard.exports.snapshot import FORMATS, file_name, render_view
from dashboard.exports.view import ExportError, map_view


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
        cache_key = ("export-file", level, area, metric, fmt, size if fmt != "html" else "", scheme, k)

        def make(fmt: str = fmt, cache_key: tuple = cache_key) -> bytes:
            return engine.memo(cache_key, lambda: render_view(view, fmt, size), volatile=True)

        with column:
            name = file_name(view, fmt, size)
            st.download_button(f"下载 {fmt.upper()}", data=audited("export", name, make), file_name=name,
                               mime=spec.mime, key=f"{key}-{fmt}", help=spec.label, on_click="ignore",
                               icon=":material/download:", width="stretch")
