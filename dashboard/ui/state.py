"""Page state in the URL: widgets whose values live in ``st.query_params`` so a view can be bookmarked.

A page calls :func:`bind` before drawing a widget with the returned key, and
the app calls :func:`publish` after the page has run (a fragment calls it at
its end too).  The rules:

* a value in the URL that the app did not write itself (a bookmark, a link
  from another page, the browser's back button) wins over the widget;
* otherwise the widget's value stands, and the last value is remembered for
  the session, so leaving a page and coming back keeps its settings;
* values equal to the default are left out of the URL, to keep links short.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import streamlit as st

REGISTRY = "_ipgrid.url.registry"
"""Session-state key of the bindings made during the current run."""


@dataclass(frozen=True)
class Bound:
    """A widget value bound to a URL parameter.

    Attributes
    ----------
    key
        The widget's key (``<page>.<param>``).
    param
        Query parameter name; ``""`` for session-only values (not in the URL).
    default
        Value when neither the URL nor the session has one.
    dump
        Value → URL text.
    """

    key: str
    param: str
    default: Any
    dump: Callable[[Any], str]

    @property
    def value(self) -> Any:
        """The current value (after the widget ran, the user's choice)."""
        return st.session_state.get(self.key, self.default)

    @property
    def _seen(self) -> str:
        return f"_ipgrid.url.seen.{self.key}"

    @property
    def _keep(self) -> str:
        return f"_ipgrid.url.keep.{self.key}"


def _dump_default(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def start_run() -> None:
    """Forget the previous run's bindings (called once at the top of every full run)."""
    st.session_state[REGISTRY] = {}


def bind(page: str, param: str, default: Any, *, options: Sequence[Any] | None = None, multi: bool = False,
         parse: Callable[[str], Any] | None = None, url: bool = True, key: str | None = None) -> Bound:
    """Prepare the session value of a widget from the URL or the session, before the widget is drawn.

    Parameters
    ----------
    page
        Page key (``overview``, ``town`` …); the widget key is ``<page>.<param>``.
    param
        Query parameter name.
    default
        Value used when there is none (also: not written to the URL).
    options
        Valid values; anything else from the URL or the session falls back to ``default``
        (for ``multi``, invalid items are dropped).
    multi
        The value is a list (a multiselect); the URL holds it comma-separated.
    parse
        URL text → value (default: the text; for ``multi``, each item).
    url
        ``False`` keeps the value in the session only (e.g. a basemap key).
    key
        Widget key, if not ``<page>.<param>``.

    Returns
    -------
    Bound
        Pass ``bound.key`` as the widget's ``key`` and draw the widget without a default.
    """
    parse = parse or (lambda text: text)
    bound = Bound(key or f"{page}.{param}", param if url else "", default, _dump_default)

    def valid(value: Any) -> Any:
        if multi:
            items = list(value) if isinstance(value, list | tuple) else []
            return [v for v in items if options is None or v in options]
        if options is not None and value not in options:
            return default
        return value

    def from_text(text: str) -> Any:
        try:
            if multi:
                return [parse(t) for t in text.split(",") if t.strip()]
            return parse(text)
        except (TypeError, ValueError):
            return default

    raw = st.query_params.get(param) if url else None
    state = st.session_state
    if raw is not None and raw != state.get(bound._seen):
        state[bound.key] = valid(from_text(raw))
        state[bound._seen] = raw
    elif bound.key not in state:
        state[bound.key] = valid(state.get(bound._keep, default))
    else:
        state[bound.key] = valid(state[bound.key])
    registry = state.setdefault(REGISTRY, {})
    registry[bound.key] = bound
    return bound


def set_value(bound: Bound, value: Any) -> None:
    """Change a bound value from code (before its widget is drawn), e.g. after a map click."""
    st.session_state[bound.key] = value


def publish() -> None:
    """Write every bound value of this run to the URL (only what differs from its default)."""
    state = st.session_state
    params: dict[str, str] = {}
    for bound in state.get(REGISTRY, {}).values():
        value = state.get(bound.key, bound.default)
        state[bound._keep] = value
        if not bound.param:
            continue
        text = bound.dump(value)
        if text != bound.dump(bound.default) and text != "":
            params[bound.param] = text
            state[bound._seen] = text
        else:
            state[bound._seen] = None
    current = {k: st.query_params.get(k) for k in st.query_params}
    if current != params:
        st.query_params.from_dict(params)


def label_of(labels: Mapping[Any, str]) -> Callable[[Any], str]:
    """The ``format_func`` of a widget whose options are keys of ``labels``: ``labels.get`` itself.

    Typed as giving ``str``, which it does for every option; a stale session
    value that is no key gives ``None``, so streamlit's check of the current
    value finds it among no option's labels and resets the widget.
    """
    return cast(Callable[[Any], str], labels.get)
