"""Who is using this browser session: login, idle timeout, logout, the kiosk token — kept on the server.

The browser holds nothing but Streamlit's own session; this module keeps a
random session key in the session state and the record it names (account,
role, last step) in one process-wide registry (:func:`registry`).  So a
value planted in the session state names no session, and every rerun checks
that the record exists, is not idle for longer than allowed, and that its
account is still enabled with the same role.

When login applies (:func:`login_required`): always on a store that has
accounts, except the bundled demo opened on the local machine (its accounts
are there to be tried, from the sidebar); always when the app listens beyond
the local machine.  Without it, the person at the machine is an admin
(:data:`~dashboard.access.roles.LOCAL_ROLE`), as before accounts existed.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.access.roles import LOCAL_ROLE, role_label
from dashboard.access.scope import FULL_SCOPE, Scope
from dashboard.access.settings import access_settings, is_local_address
from dashboard.store import Store
from dashboard.store.accounts import Account, Accounts
from loaders.errors import IpgridError

SESSION_KEY = "ipgrid.session"
"""Session-state key of this browser session's random key in :func:`registry`."""

WANT_LOGIN = "ipgrid.want_login"
"""Session-state key: the local user asked for the login page (to try the demo's roles)."""

NOTICE_KEY = "ipgrid.login_notice"
"""Session-state key: a message for the next login page (the session timed out, the account was disabled)."""

FORM_KEY = "ipgrid.login_form"
"""Session-state key: how many logins this session has had (the login form's widget keys carry it)."""

LOCAL_NAME = "本机用户"
"""Who the person at the machine is in the audit when no login is needed."""


@dataclass
class SessionRecord:
    """One logged-in browser session."""

    account: str
    role: str
    commissioner: str
    store: str
    started: float
    last_seen: float
    denied: set[str] = field(default_factory=set)
    """Pages already refused to this session (audited once each)."""
    token_digest: str = ""
    """A kiosk session: the digest of the token it opened with (a new token ends it)."""


@dataclass(frozen=True)
class Viewer:
    """Who this run serves and what scope they see.

    Attributes
    ----------
    name
        The account name (:data:`LOCAL_NAME` without login).
    role
        Role key.
    scope
        What of the data they see.
    logged_in
        Whether they logged in (``False``: no login needed here).
    """

    name: str
    role: str
    scope: Scope
    logged_in: bool

    @property
    def label(self) -> str:
        """``黄亚平（网格专员）`` — who, for the sidebar."""
        who = self.scope.commissioner if self.role == "commissioner" and self.scope.commissioner else self.name
        return f"{who}（{role_label(self.role)}）"


LOCAL_VIEWER = Viewer(LOCAL_NAME, LOCAL_ROLE, FULL_SCOPE, logged_in=False)
"""The person at the machine when no login is needed."""


class AccessRefusedError(IpgridError, PermissionError):
    """A run that may not have what it asked for (no login where one is needed, a page outside the role)."""


class _Registry:
    """Session key → :class:`SessionRecord`, shared by every session of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, SessionRecord] = {}

    def add(self, record: SessionRecord, idle_s: float) -> str:
        """Register ``record`` under a new random key; forget records idle for longer than ``idle_s`` (closed tabs)."""
        key = secrets.token_urlsafe(32)
        with self._lock:
            stale = [k for k, r in self._records.items() if record.started - r.last_seen > idle_s]
            for k in stale:
                del self._records[k]
            self._records[key] = record
        return key

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def get(self, key: object) -> SessionRecord | None:
        if not isinstance(key, str):
            return None
        with self._lock:
            return self._records.get(key)

    def drop(self, key: object) -> SessionRecord | None:
        if not isinstance(key, str):
            return None
        with self._lock:
            return self._records.pop(key, None)


@st.cache_resource(show_spinner=False)
def registry() -> _Registry:
    """The process-wide registry of logged-in sessions."""
    return _Registry()


def configured_store() -> Store | None:
    """The store whose accounts this app uses: ``$IPGRID_STORE``, else the demo store unless ``$IPGRID_DATA`` is set.

    A folder chosen on the 数据 page changes what is shown, never who may log in.
    """
    from dashboard.app_data import DATA_ENV, STORE_ENV

    location = os.environ.get(STORE_ENV, "").strip()
    if not location:
        if os.environ.get(DATA_ENV, "").strip():
            return None
        from dashboard.store.demo import demo_store

        location = str(demo_store())
    return _store(location)


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(location: str) -> Store:
    return Store(location)


def bound_address() -> str:
    """The address the server listens on (``server.address``; empty: every interface)."""
    from streamlit import config

    return str(config.get_option("server.address") or "").strip()


@dataclass(frozen=True)
class AccessMode:
    """Whether this app needs login, and whether it may run at all.

    Attributes
    ----------
    store
        The configured store (``None``: a folder).
    accounts
        How many accounts it has.
    demo
        Whether it is the bundled demo store.
    local
        Whether the server listens on this machine only.
    """

    store: Store | None
    accounts: int
    demo: bool
    local: bool

    @property
    def refused(self) -> bool:
        """Listening beyond this machine without any account: the app must not serve anything."""
        return not self.local and self.accounts == 0

    @property
    def login_required(self) -> bool:
        """Whether every page needs a logged-in account."""
        return not self.local or (self.accounts > 0 and not self.demo)

    def refusal(self) -> str:
        """Why the app refuses to serve, and how to create the first admin."""
        where = self.store.location if self.store is not None else "存储.gpkg"
        what = "数据存储" if self.store else "数据文件夹"
        return (f"本应用正在监听 {bound_address() or '所有网络接口'}（不只是本机），但{what}没有任何账号，"
                "为防止任何人查看全部企业信息，应用拒绝提供服务。请先把数据导入存储并创建第一个管理员："
                f"ipgrid user add 管理员 --role admin --store {where}（并设置 IPGRID_STORE），"
                "或只在本机使用（server.address = 127.0.0.1）。")


def access_mode() -> AccessMode:
    """The :class:`AccessMode` of this app now (a query of the accounts table: accounts added take effect at once)."""
    store = configured_store()
    accounts = Accounts(store) if store is not None else None
    return AccessMode(store=store, accounts=accounts.count() if accounts else 0,
                      demo=bool(accounts and accounts.is_demo()), local=is_local_address(bound_address()))


def client_address() -> str:
    """The browser's address as the server sees it (for the audit; "" when unknown)."""
    try:
        value = st.context.ip_address
    except (AttributeError, RuntimeError):
        return ""
    return value if isinstance(value, str) else ""


def scope_for(role: str, commissioner: str = "") -> Scope:
    """The scope of an account of ``role`` (a commissioner's: their 专员姓名) under the settings in force."""
    if role == "leader":
        return Scope("leader", contacts=access_settings().leader_contacts)
    if role == "commissioner":
        return Scope("commissioner", commissioner=commissioner)
    return Scope(role)


def _viewer(record: SessionRecord) -> Viewer:
    return Viewer(record.account, record.role, scope_for(record.role, record.commissioner), logged_in=True)


def start_session(account: Account, store: Store) -> None:
    """Log this browser session in as ``account``."""
    now = time.time()
    record = SessionRecord(account=account.name, role=account.role, commissioner=account.commissioner,
                           store=store.location, started=now, last_seen=now)
    st.session_state[SESSION_KEY] = registry().add(record, access_settings().idle_minutes * 60)
    st.session_state[FORM_KEY] = int(st.session_state.get(FORM_KEY, 0)) + 1
    st.session_state.pop(WANT_LOGIN, None)


def end_session(action: str = "logout", notice: str | None = None) -> None:
    """Log this browser session out (``logout`` by the user, ``timeout``, ``disabled``), audited."""
    record = registry().drop(st.session_state.pop(SESSION_KEY, None))
    if record is not None:
        mode_store = configured_store()
        if mode_store is not None and mode_store.location == record.store:
            minutes = round((time.time() - record.started) / 60, 1)
            Accounts(mode_store).record(action, record.account, {"role": record.role, "source": client_address(),
                                                                 "minutes": minutes})
    if notice:
        st.session_state[NOTICE_KEY] = notice


def check_session(mode: AccessMode) -> Viewer | None:
    """The viewer of this run, checking the session on the server; ``None`` when login is needed first.

    Ends (and audits) a session idle for too long, one whose account was
    disabled or changed role, and one of another store.
    """
    record = registry().get(st.session_state.get(SESSION_KEY))
    if record is None:
        st.session_state.pop(SESSION_KEY, None)
        return None if mode.login_required or st.session_state.get(WANT_LOGIN) else LOCAL_VIEWER
    settings = access_settings()
    now = time.time()
    if mode.store is None or mode.store.location != record.store:
        end_session("logout")
        return None if mode.login_required else LOCAL_VIEWER
    if now - record.last_seen > settings.idle_minutes * 60:
        end_session("timeout", f"已超过 {settings.idle_minutes:g} 分钟没有操作，请重新登录。")
        return None
    account = Accounts(mode.store).get(record.account)
    if account is None or account.disabled or account.role != record.role \
            or account.commissioner != record.commissioner:
        end_session("logout", "账号已被管理员停用或更改，请重新登录。")
        return None
    record.last_seen = now
    return _viewer(record)


_RUN = threading.local()
"""The viewer of the script run on this thread (set by :func:`serving` around the pages)."""


@contextmanager
def serving(viewer: Viewer) -> Iterator[None]:
    """Let :func:`current_viewer` answer ``viewer`` for the rest of this run, without asking the store again."""
    _RUN.viewer = viewer
    try:
        yield
    finally:
        _RUN.viewer = None


def current_viewer() -> Viewer:
    """Who this run serves, for code below the page gate (data, downloads, audit).

    Inside :func:`serving` (every page run of ``streamlit_app.py``): the viewer the gate checked.
    Outside a Streamlit run (tests, the CLI): the local admin.

    Raises
    ------
    AccessRefusedError
        Login is needed and this session has none (the gate in ``streamlit_app.py`` shows the login
        page before any page runs; this is the second lock on the same door).
    """
    served = getattr(_RUN, "viewer", None)
    if isinstance(served, Viewer):
        return served
    if get_script_run_ctx() is None:
        return LOCAL_VIEWER
    record = registry().get(st.session_state.get(SESSION_KEY))
    if record is not None:
        return _viewer(record)
    if st.session_state.get(WANT_LOGIN):
        raise AccessRefusedError("请先登录")
    mode = access_mode()
    if mode.login_required or mode.refused:
        raise AccessRefusedError("请先登录")
    return LOCAL_VIEWER


def record_denied(page: str) -> None:
    """Audit, once per session and page, that this session was refused ``page``."""
    record = registry().get(st.session_state.get(SESSION_KEY))
    if record is None or page in record.denied:
        return
    record.denied.add(page)
    store = configured_store()
    if store is not None:
        Accounts(store).record("denied", record.account, {"page": page, "role": record.role,
                                                          "source": client_address()})
