"""The door of the app: the login page, the kiosk's token, 无权查看 pages and the account box of the sidebar.

``streamlit_app.py`` (and ``kiosk.py``) run :func:`gate` before anything else
is drawn; it answers who this run serves or draws the login page, the
refusal, or the kiosk-token message and stops.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.access.roles import DENIED_TEXT, may
from dashboard.access.session import (
    FORM_KEY,
    LOCAL_VIEWER,
    NOTICE_KEY,
    WANT_LOGIN,
    AccessMode,
    SessionRecord,
    Viewer,
    check_session,
    client_address,
    end_session,
    record_denied,
    registry,
    start_session,
)
from dashboard.store.accounts import Accounts

LOGIN_TITLE = "知识产权网格地图 · 登录"



_REFUSAL_PRINTED: set[str] = set()


def refuse(mode: AccessMode) -> None:
    """The whole answer of an app that listens beyond this machine without accounts (said once on the console too)."""
    message = mode.refusal()
    if message not in _REFUSAL_PRINTED:
        _REFUSAL_PRINTED.add(message)
        print(f"ipgrid：{message}", file=sys.stderr)
    st.error(message, icon=":material/block:")


def _demo_accounts(accounts: Accounts) -> None:
    """The demo's accounts with their passwords, so a new user can try each role."""
    from dashboard.store.demo import DEMO_ACCOUNT_NAMES, DEMO_KIOSK_TOKEN, DEMO_PASSWORDS

    rows = []
    for role, name in DEMO_ACCOUNT_NAMES.items():
        account = accounts.get(name)
        if account is None:
            continue
        secret = DEMO_PASSWORDS.get(role) or f"大屏地址：?kiosk=1&token={DEMO_KIOSK_TOKEN}"
        extra = f"（专员 {account.commissioner}）" if account.commissioner else ""
        rows.append({"角色": account.role_label + extra, "用户名": name, "密码": secret})
    if rows:
        st.caption("示例数据的演示账号（只存在于随附的示例存储中）：")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def login_page(mode: AccessMode) -> None:
    """The login form: 用户名, 密码, 登录; one message for any wrong credentials; the lockout said when it happens."""
    st.title(LOGIN_TITLE, anchor=False)
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(str(notice), icon=":material/schedule:")
    store = mode.store
    if store is None:  # login is needed only with a store (a folder beyond this machine is refused)
        st.error("没有配置数据存储，无法登录。", icon=":material/error:")
        return
    accounts = Accounts(store)
    # The form after a login is a new one (its widgets' keys carry a counter, moved by start_session):
    # nothing typed into the earlier one — kept by the browser when a logout cut the first run after
    # login short — can come back filled in.  A failed attempt keeps the form (its fields cleared).
    form = int(st.session_state.get(FORM_KEY, 0))
    with st.form(f"login.{form}", clear_on_submit=True, enter_to_submit=True):
        name = st.text_input("用户名", key=f"login.name.{form}", max_chars=64, autocomplete="username")
        password = st.text_input("密码", type="password", key=f"login.password.{form}", max_chars=256,
                                 autocomplete="current-password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        result = accounts.login(name, password, source=client_address())
        if result.outcome == "ok" and result.account is not None:
            start_session(result.account, store)  # and the next login form is a new one (start_session)
            st.rerun()
        st.error(result.message, icon=":material/lock:")
    if mode.demo:
        _demo_accounts(accounts)
        if mode.local and st.button("不登录，返回本机使用", key="login.back"):
            st.session_state.pop(WANT_LOGIN, None)
            st.rerun()


def _kiosk_session(mode: AccessMode, token: str) -> bool:
    """Log this session in as the kiosk account of ``token`` (once per session); whether it is one."""
    store = mode.store
    if store is None or not token:
        return False
    accounts = Accounts(store)
    account = accounts.kiosk_login(token, source=client_address())
    if account is None:
        return False
    start_session(account, store)
    record = registry().get(st.session_state.get("ipgrid.session"))
    if isinstance(record, SessionRecord):
        record.token_digest = accounts.token_digest_of(account.name)
    return True


def kiosk_gate(mode: AccessMode, token: str | None) -> bool:
    """Whether this run may show the big screen; draws the refusal when not.

    Without login (the demo or a folder on this machine) anyone may; else a
    session of an account that may see the big screen, or a valid kiosk
    ``token`` (``?kiosk=1&token=…``) — checked once per session, and again on
    every rerun against the account (a new token ends the old one's screens).
    """
    if mode.refused:
        refuse(mode)
        return False
    viewer = check_session(mode)
    if viewer is not None and (not viewer.logged_in or may(viewer.role, "bigscreen")):
        if viewer.role == "kiosk" and token and not _token_still_valid(mode):
            end_session("logout")
        else:
            return True
    if mode.store is not None and token and (viewer is None or viewer.role == "kiosk") \
            and _kiosk_session(mode, token):
        return True
    st.set_page_config(page_title="大屏 · 无权查看", layout="wide")
    st.error(DENIED_TEXT, icon=":material/block:")
    st.caption("大屏需要有效的令牌（?kiosk=1&token=…，由管理员用 ipgrid user token 生成），或先登录。")
    return False


def _token_still_valid(mode: AccessMode) -> bool:
    record = registry().get(st.session_state.get("ipgrid.session"))
    if record is None or mode.store is None:
        return False
    return bool(record.token_digest) and Accounts(mode.store).token_digest_of(record.account) == record.token_digest


def denied_page(key: str, title: str) -> Callable[[], None]:
    """A page that answers 无权查看 and nothing else (audited once per session)."""
    def page() -> None:
        record_denied(key)
        st.error(DENIED_TEXT, icon=":material/block:")

    page.__name__ = f"denied_{key}"
    page.__qualname__ = page.__name__
    page.__doc__ = f"{title}: {DENIED_TEXT}"
    return page


def account_box(viewer: Viewer, mode: AccessMode) -> None:
    """Who is logged in and 退出登录, at the top of the sidebar (on the local demo: try a role)."""
    with st.sidebar:
        if viewer.logged_in:
            st.caption(f"当前用户：{viewer.label}　·　可见范围：{viewer.scope.label()}")
            if st.button("退出登录", key="account.logout", icon=":material/logout:"):
                end_session("logout", "已退出登录。")
                st.rerun()
        elif viewer is LOCAL_VIEWER and mode.demo:
            st.caption("本机使用，无需登录。")
            if st.button("用演示账号登录（试用各角色）", key="account.try", icon=":material/login:"):
                st.session_state[WANT_LOGIN] = True
                st.rerun()


def gate(mode: AccessMode) -> Viewer | None:
    """Who this run serves, or ``None`` after drawing the refusal or the login page (the run then stops).

    The login page answers at every page's address (a navigation of hidden pages that all draw it): the
    menu of a session that just ended goes away, and the address asked for — ``/my-grid?commissioner=…`` —
    is still the one shown after logging in.
    """
    if mode.refused:
        refuse(mode)
        return None
    viewer = check_session(mode)
    if viewer is None:
        from dashboard.pages import PAGES

        def draw() -> None:
            login_page(mode)

        pages = [st.Page(_named(draw, spec.key), title=spec.title, url_path=spec.url_path, default=i == 0,
                         visibility="hidden") for i, spec in enumerate(PAGES)]
        st.navigation(pages, position="hidden").run()
    return viewer


def _named(draw: Callable[[], None], key: str) -> Callable[[], None]:
    """``draw`` under a name of its own (Streamlit tells callable pages apart by it)."""
    def page() -> None:
        draw()

    page.__name__ = page.__qualname__ = f"login_{key}"
    return page
