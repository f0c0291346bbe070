"""Audit of what leaves the app: every download and export names who took what, of which scope, and when.

A download's file is made only when its button is clicked, on a thread of
its own without the session (Streamlit's deferred download data); so who is
asking is taken when the button is drawn, and the entry written when the
file is made — a button drawn but never clicked leaves no entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from dashboard.access.session import AccessRefusedError, configured_store, current_viewer
from dashboard.store.accounts import Accounts

T = TypeVar("T")


def audited(action: str, what: str, make: Callable[[], T]) -> Callable[[], T]:
    """``make``, recording ``action`` (``download`` or ``export``) of ``what`` by this session's viewer when called.

    Raises
    ------
    AccessRefusedError
        When drawn by a session that has no viewer (never past the gate).
    """
    viewer = current_viewer()
    store = configured_store()
    detail = {"what": what, "role": viewer.role, "scope": viewer.scope.label()}

    def run() -> T:
        data = make()
        if store is not None:
            size = len(data) if isinstance(data, bytes) else None
            Accounts(store).record(action, viewer.name, {**detail, "bytes": size})
        return data

    return run


__all__ = ["AccessRefusedError", "audited"]
