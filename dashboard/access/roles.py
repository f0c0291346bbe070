"""The four roles and what each may open and do: the one definition the store, the app and the CLI import.

A role answers two questions: which pages an account may open
(:data:`PAGE_ROLES`, by page key of :data:`dashboard.pages.PAGES`) and what it
may do beyond looking (:data:`CAPABILITIES`).  What data it sees on a page it
may open is the scope's business (:mod:`dashboard.access.scope`).
"""

from __future__ import annotations

from typing import Final

ROLES: Final[dict[str, str]] = {
    "admin": "管理员",
    "leader": "领导",
    "commissioner": "网格专员",
    "kiosk": "大屏",
}
"""Role key → Chinese name, in the order the CLI and the 账号 list show them."""

LOCAL_ROLE: Final = "admin"
"""What the person at the machine is when the app needs no login (a folder or the demo on 127.0.0.1)."""

VIEW_PAGES: Final = ("overview", "region", "town", "park", "my_grid", "service", "gi", "indicators", "changes",
                     "visits")
"""Pages that only show data (each role sees its own scope of it)."""

PAGE_ROLES: Final[dict[str, frozenset[str]]] = {
    **{page: frozenset({"admin", "leader", "commissioner"}) for page in VIEW_PAGES},
    "assignments": frozenset({"admin"}),
    "data": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
}
"""Page key → roles that may open it; every other role gets 无权查看 (the kiosk opens no page, only the big screen)."""

CAPABILITIES: Final[dict[str, frozenset[str]]] = {
    "import": frozenset({"admin"}),
    "edit_assignments": frozenset({"admin"}),
    "edit_accounts": frozenset({"admin"}),
    "choose_folder": frozenset({"admin"}),
    "read_audit": frozenset({"admin"}),
    "see_problems": frozenset({"admin"}),
    "export": frozenset({"admin", "leader", "commissioner"}),
    "choose_commissioner": frozenset({"admin", "leader"}),
    "bigscreen": frozenset({"admin", "leader", "kiosk"}),
    "record_visits": frozenset({"admin", "commissioner"}),
}
"""What an account may do → roles allowed."""

DENIED_TEXT: Final = "无权查看"
"""The whole answer to a page or action outside the role."""


def role_label(role: str) -> str:
    """Chinese name of ``role`` (the key itself when unknown).

    >>> role_label("commissioner")
    '网格专员'
    """
    return ROLES.get(role, role)


def may_open(role: str, page: str) -> bool:
    """Whether ``role`` may open page ``page`` (an unknown page or role: no).

    >>> may_open("leader", "overview"), may_open("leader", "data"), may_open("kiosk", "overview")
    (True, False, False)
    """
    return role in PAGE_ROLES.get(page, frozenset())


def may(role: str, capability: str) -> bool:
    """Whether ``role`` has ``capability`` (an unknown capability: nobody).

    >>> may("commissioner", "export"), may("commissioner", "import")
    (True, False)
    """
    return role in CAPABILITIES.get(capability, frozenset())
