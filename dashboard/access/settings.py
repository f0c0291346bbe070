"""The operator's settings of login and sessions, read from the environment (one place, with their defaults).

Each is a number of minutes or a count; a value that is not one is refused
with a Chinese message naming the variable, never silently replaced.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import os
from dataclasses import dataclass

from loaders.errors import IpgridError

LOCKOUT_FAILURES_ENV = "IPGRID_LOCKOUT_FAILURES"
LOCKOUT_MINUTES_ENV = "IPGRID_LOCKOUT_MINUTES"
IDLE_MINUTES_ENV = "IPGRID_IDLE_MINUTES"
LEADER_CONTACTS_ENV = "IPGRID_LEADER_CONTACTS"


class AccessSettingsError(IpgridError, ValueError):
    """An access setting in the environment that is not a usable number."""


@dataclass(frozen=True)
class AccessSettings:
    """How strict login is.

    Attributes
    ----------
    lockout_failures
        Failed logins in a row that lock an account (default 5).
    lockout_minutes
        How long a locked account stays locked (default 15).
    idle_minutes
        A session without any action for this long ends (default 30).
    leader_contacts
        Whether leaders see firms' contact people and phones (default no: only commissioners and admins do).
    """

    lockout_failures: int = 5
    lockout_minutes: float = 15.0
    idle_minutes: float = 30.0
    leader_contacts: bool = False


def _minutes(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        msg = f"环境变量 {name} 应为大于 0 的分钟数，而不是「{text}」"
        raise AccessSettingsError(msg)
    return value


def _count(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 100:
        msg = f"环境变量 {name} 应为 1 到 100 之间的整数，而不是「{text}」"
        raise AccessSettingsError(msg)
    return int(text)


def access_settings() -> AccessSettings:
    """The settings in force (read on every call: tests and operators change the environment).

    Raises
    ------
    AccessSettingsError
        A variable that is set but not a number in range.
    """
    contacts = os.environ.get(LEADER_CONTACTS_ENV, "").strip().lower() in {"1", "true", "yes", "on", "是"}
    return AccessSettings(lockout_failures=_count(LOCKOUT_FAILURES_ENV, 5),
                          lockout_minutes=_minutes(LOCKOUT_MINUTES_ENV, 15.0),
                          idle_minutes=_minutes(IDLE_MINUTES_ENV, 30.0), leader_contacts=contacts)


def is_local_address(address: str) -> bool:
    """Whether ``address`` is this machine only.

    >>> is_local_address("127.0.0.1"), is_local_address("localhost"), is_local_address("0.0.0.0"), is_local_address("")
    (True, True, False, False)
    """
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


REMINDER_MONTHS_ENV = "IPGRID_VISIT_REMINDER_MONTHS"
"""A firm not visited for this many months is listed as a reminder (default 6)."""

TODAY_ENV = "IPGRID_TODAY"
"""The day visit figures are for (YYYY-MM-DD), for a demonstration or a test; default: today."""


def reminder_months() -> int:
    """Months without a visit after which a firm is a reminder (``IPGRID_VISIT_REMINDER_MONTHS``, default 6).

    Raises
    ------
    AccessSettingsError
        A value that is not a whole number of months from 1 to 100.
    """
    return _count(REMINDER_MONTHS_ENV, 6)


def visit_today(store_day: str | None = None) -> dt.date:
    """The day visit figures are for: ``IPGRID_TODAY``, else the store's own (the demo's), else today.

    Raises
    ------
    AccessSettingsError
        ``IPGRID_TODAY`` set to something that is not a date.
    """
    text = os.environ.get(TODAY_ENV, "").strip() or (store_day or "")
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"环境变量 {TODAY_ENV} 应为 YYYY-MM-DD 格式的日期，而不是「{text}」"
        raise AccessSettingsError(msg) from None
