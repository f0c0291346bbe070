"""Accounts in the store: argon2id password hashes, kiosk tokens, lockout after failed logins, and their audit.

Passwords are hashed with argon2id (argon2-cffi's defaults: 64 MiB, 3
passes); only the hash is written, and neither a password nor a hash is ever
printed or logged.  A kiosk account has no password but a long random token
(256 bits from :mod:`secrets`), of which only the SHA-256 is kept — the token
is already as strong as a key, so a slow hash would add nothing but time to
each wall-screen start.

A login that fails (wrong password, unknown or disabled account, locked)
gets one answer that does not say which; the audit says which.  After
:attr:`~dashboard.access.settings.AccessSettings.lockout_failures` failures in
a row an account is locked for ``lockout_minutes``.  Account writes take no
store lock and no backup: they are single-row transactions, and an import
holding the store must not keep people from logging in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboard.access.roles import ROLES, role_label
from dashboard.access.settings import access_settings
from dashboard.store import tables as tb
from loaders.errors import StoreError

if TYPE_CHECKING:
    from dashboard.store.store import Store

MIN_PASSWORD = 8
MAX_PASSWORD = 256
"""Longest password accepted (a megabyte 'password' would make every hash a denial of service)."""

NAME_PATTERN = re.compile(r"^[^\s\x00-\x1f\x7f/\\]{1,64}$")
"""An account name: 1–64 characters, no spaces, control characters or slashes (Chinese is fine)."""

WRONG_CREDENTIALS = "用户名或密码不正确"
"""The one answer to a failed login, whatever failed."""

DEMO_FLAG = "demo_accounts"
"""Key in ``ipgrid_store`` marking the bundled demo store, whose demo accounts the login page may list."""

_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY_HASH = _HASHER.hash("ipgrid-no-such-account")  # an unknown name costs as long as a known one

Outcome = Literal["ok", "wrong", "locked"]


class _GhostLocks:
    """Failed logins of names that are no usable account, counted in this process as an account's would be."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, float]] = {}

    def fail(self, name: str, limit: int, minutes: float) -> bool:
        """Count a failure of ``name``; whether it is (now) "locked"."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # a flood of made-up names: forget them rather than grow
                self._seen.clear()
            count, until = self._seen.get(name, (0, 0.0))
            if until > now:
                return True
            count += 1
            if count >= limit:
                self._seen[name] = (0, now + minutes * 60)
                return True
            self._seen[name] = (count, 0.0)
            return False


_GHOSTS = _GhostLocks()


class AccountError(StoreError, ValueError):
    """An account command that cannot be done (unknown name, bad role, weak password …)."""


@dataclass(frozen=True)
class Account:
    """One account as the store keeps it (no secret)."""

    name: str
    role: str
    commissioner: str
    disabled: bool
    failures: int
    locked_until: str
    created_at: str
    created_by: str
    changed_at: str
    last_login_at: str

    @property
    def role_label(self) -> str:
        """The role's Chinese name."""
        return role_label(self.role)

    def locked_at(self, now: dt.datetime) -> bool:
        """Whether the account is locked at ``now``."""
        return bool(self.locked_until) and dt.datetime.fromisoformat(self.locked_until) > now

    def to_json(self) -> dict[str, object]:
        """The account for ``ipgrid user list --json``."""
        return {"name": self.name, "role": self.role, "role_label": self.role_label,
                "commissioner": self.commissioner or None, "disabled": self.disabled, "failures": self.failures,
                "locked_until": self.locked_until or None, "created_at": self.created_at,
                "created_by": self.created_by, "last_login_at": self.last_login_at or None}


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to: the account on success, else the message to show."""

    outcome: Outcome
    account: Account | None = None
    message: str = ""


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(microsecond=0)


def token_digest(token: str) -> str:
    """SHA-256 of a kiosk token, as stored.

    >>> len(token_digest("x"))
    64
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    """``name`` stripped, when it can name an account.

    Raises
    ------
    AccountError
        Empty, too long, or with spaces, control characters or slashes.
    """
    text = name.strip()
    if not NAME_PATTERN.match(text):
        msg = f"账号名「{text}」不可用：应为 1–64 个字符，不含空格、控制字符和斜杠"
        raise AccountError(msg)
    return text


def check_password(password: str, name: str) -> str:
    """``password`` when it is long enough and not the account's name.

    Raises
    ------
    AccountError
        Shorter than :data:`MIN_PASSWORD`, longer than :data:`MAX_PASSWORD`, or the account name.
    """
    if len(password) < MIN_PASSWORD:
        msg = f"密码太短：至少 {MIN_PASSWORD} 个字符（现为 {len(password)} 个）"
        raise AccountError(msg)
    if len(password) > MAX_PASSWORD:
        msg = f"密码太长：最多 {MAX_PASSWORD} 个字符"
        raise AccountError(msg)
    if password.strip().lower() == name.strip().lower():
        msg = "密码不能与账号名相同"
        raise AccountError(msg)
    return password


def is_argon2id(stored: str) -> bool:
    """Whether a stored hash is an argon2id one (what every password hash must be).

    >>> is_argon2id(_HASHER.hash("abcdefgh")), is_argon2id("abcdefgh")
    (True, False)
    """
    return stored.startswith("$argon2id$")


class Accounts:
    """The accounts of one store, and the audit of what is done with them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sql = store.backend.sql

    # -- reading ------------------------------------------------------------------------------

    def _rows(self, where: Any = None) -> list[Any]:
        query = sa.select(tb.users).order_by(tb.users.c.name)
        if where is not None:
            query = query.where(where)
        try:
            with self.sql.connect() as conn:
                return list(conn.execute(query).all())
        except sa.exc.DBAPIError:  # a read-only store of an earlier release: no accounts table, no accounts
            return []

    @staticmethod
    def _account(row: Any) -> Account:
        return Account(name=row.name, role=row.role, commissioner=row.commissioner, disabled=bool(row.disabled),
                       failures=int(row.failures), locked_until=row.locked_until, created_at=row.created_at,
                       created_by=row.created_by, changed_at=row.changed_at, last_login_at=row.last_login_at)

    def all(self) -> list[Account]:
        """Every account, by name."""
        return [self._account(r) for r in self._rows()]

    def count(self) -> int:
        """How many accounts there are (0: the store needs no login on this machine)."""
        try:
            with self.sql.connect() as conn:
                return int(conn.execute(sa.select(sa.func.count()).select_from(tb.users)).scalar() or 0)
        except sa.exc.DBAPIError:
            return 0

    def get(self, name: str) -> Account | None:
        """The account ``name``, ``None`` when there is none."""
        rows = self._rows(tb.users.c.name == name.strip())
        return self._account(rows[0]) if rows else None

    def _require(self, name: str) -> Account:
        account = self.get(name)
        if account is None:
            msg = f"没有账号「{name}」；ipgrid user list 列出全部账号"
            raise AccountError(msg)
        return account

    # -- changing -----------------------------------------------------------------------------

    def add(self, name: str, role: str, *, by: str, commissioner: str = "", password: str | None = None) -> str | None:
        """Create an account; returns the kiosk token (shown once) for a kiosk, else ``None``.

        Raises
        ------
        AccountError
            A taken or unusable name, an unknown role, a commissioner without 专员姓名,
            a password missing or too weak (every role but kiosk needs one).
        """
        name = check_name(name)
        if role not in ROLES:
            msg = f"角色「{role}」不存在；可选：{'、'.join(f'{k}（{v}）' for k, v in ROLES.items())}"
            raise AccountError(msg)
        commissioner = commissioner.strip()
        if role == "commissioner" and not commissioner:
            msg = "网格专员账号需要 --commissioner 专员姓名（与网格分配中的姓名一致）"
            raise AccountError(msg)
        if role != "commissioner" and commissioner:
            msg = f"只有网格专员账号有专员姓名；{role_label(role)}账号不需要 --commissioner"
            raise AccountError(msg)
        if self.get(name) is not None:
            msg = f"账号「{name}」已存在；改密码用 ipgrid user passwd {name}"
            raise AccountError(msg)
        token = secrets.token_urlsafe(32) if role == "kiosk" else None
        if token is None:
            if password is None:
                msg = f"{role_label(role)}账号需要密码"
                raise AccountError(msg)
            hashed = _HASHER.hash(check_password(password, name))
        else:
            hashed = ""
        stamp = _now().isoformat()
        try:
            with self.sql.begin() as conn:
                conn.execute(sa.insert(tb.users).values(
                    name=name, role=role, commissioner=commissioner, password_hash=hashed,
                    token_hash=token_digest(token) if token else "", disabled=0, failures=0, locked_until="",
                    created_at=stamp, created_by=by, changed_at=stamp, last_login_at=""))
                self._audit(conn, "user_add", by, {"account": name, "role": role, "commissioner": commissioner})
        except sa.exc.IntegrityError:  # another admin added the same name at the same moment
            msg = f"账号「{name}」已存在"
            raise AccountError(msg) from None
        return token

    def set_password(self, name: str, password: str, *, by: str) -> None:
        """Give ``name`` a new password (and clear a lock).

        Raises
        ------
        AccountError
            No such account, a kiosk account (it has a token), a weak password.
        """
        account = self._require(name)
        if account.role == "kiosk":
            msg = f"大屏账号没有密码；用 ipgrid user token {account.name} 换一个新令牌"
            raise AccountError(msg)
        hashed = _HASHER.hash(check_password(password, account.name))
        self._update(account.name, by, "user_passwd", {}, password_hash=hashed, failures=0, locked_until="")

    def set_disabled(self, name: str, disabled: bool, *, by: str) -> None:
        """Disable ``name`` (no login, its sessions end at their next step) or enable it again (and clear a lock)."""
        account = self._require(name)
        values: dict[str, Any] = {"disabled": int(disabled)}
        if not disabled:
            values.update(failures=0, locked_until="")
        self._update(account.name, by, "user_disable" if disabled else "user_enable", {}, **values)

    def new_token(self, name: str, *, by: str, token: str | None = None) -> str:
        """A new token for kiosk ``name``; the old one stops working at once.  Returns it (shown once).

        ``token`` is for the bundled demo only (its kiosk link is printed on its login page); every
        other token is 256 random bits.
        """
        account = self._require(name)
        if account.role != "kiosk":
            msg = f"只有大屏账号有令牌；「{account.name}」是{account.role_label}账号"
            raise AccountError(msg)
        token = token or secrets.token_urlsafe(32)
        self._update(account.name, by, "user_token", {}, token_hash=token_digest(token))
        return token

    def _update(self, name: str, by: str, action: str, detail: dict[str, Any], **values: Any) -> None:
        with self.sql.begin() as conn:
            conn.execute(sa.update(tb.users).where(tb.users.c.name == name)
                         .values(changed_at=_now().isoformat(), **values))
            self._audit(conn, action, by, {"account": name, **detail})

    # -- logging in ---------------------------------------------------------------------------

    def login(self, name: str, password: str, *, source: str = "") -> LoginResult:
        """Check ``name`` / ``password``; count a failure and lock after too many; audit either way.

        Parameters
        ----------
        name, password
            What was typed.
        source
            Where from (the browser's address), for the audit.
        """
        settings = access_settings()
        name = name.strip()[:64]
        password = password[:MAX_PASSWORD]
        now = _now()
        account = self.get(name) if name else None
        usable = account is not None and account.role != "kiosk" and not account.disabled
        stored = self._password_hash(name) if usable else ""
        try:  # a hash of any other kind (edited into the table by hand) never matches
            matched = _HASHER.verify(stored or _DUMMY_HASH, password) and is_argon2id(stored)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            matched = False
        who = name or "（空）"
        if account is not None and account.locked_at(now):
            self.record("login_failed", who, {"reason": "locked", "source": source})
            return LoginResult("locked", message=self.locked_message(settings.lockout_failures,
                                                                     settings.lockout_minutes))
        if account is None or not usable or not matched:
            reason = ("unknown" if account is None else "kiosk" if account.role == "kiosk"
                      else "disabled" if account.disabled else "wrong_password")
            if account is not None and usable:
                return self._failed(account, settings.lockout_failures, settings.lockout_minutes, source)
            self.record("login_failed", who, {"reason": reason, "source": source})
            if _GHOSTS.fail(name, settings.lockout_failures, settings.lockout_minutes):
                # a name that is no account answers as one would: the lock message tells nobody which names exist
                return LoginResult("locked", message=self.locked_message(settings.lockout_failures,
                                                                         settings.lockout_minutes))
            return LoginResult("wrong", message=WRONG_CREDENTIALS)
        if _HASHER.check_needs_rehash(stored):
            self._update(account.name, account.name, "user_rehash", {}, password_hash=_HASHER.hash(password))
        with self.sql.begin() as conn:
            conn.execute(sa.update(tb.users).where(tb.users.c.name == account.name)
                         .values(failures=0, locked_until="", last_login_at=now.isoformat()))
            self._audit(conn, "login", account.name, {"role": account.role, "source": source})
        return LoginResult("ok", account=self.get(account.name))

    @staticmethod
    def locked_message(failures: int, minutes: float) -> str:
        """What a locked account is told."""
        return (f"该账号因连续 {failures} 次登录失败已被锁定 {minutes:g} 分钟；"
                "请稍后再试，或请管理员用 ipgrid user enable 解锁")

    def _failed(self, account: Account, limit: int, minutes: float, source: str) -> LoginResult:
        """Count one more failure of ``account`` in one statement; lock it when the count reaches ``limit``."""
        with self.sql.begin() as conn:
            conn.execute(sa.update(tb.users).where(tb.users.c.name == account.name)
                         .values(failures=tb.users.c.failures + 1))
            count = int(conn.execute(sa.select(tb.users.c.failures).where(tb.users.c.name == account.name))
                        .scalar() or 0)
            self._audit(conn, "login_failed", account.name, {"reason": "wrong_password", "failures": count,
                                                             "source": source})
            if count >= limit:
                until = (_now() + dt.timedelta(minutes=minutes)).isoformat()
                conn.execute(sa.update(tb.users).where(tb.users.c.name == account.name)
                             .values(locked_until=until, failures=0))
                self._audit(conn, "lockout", account.name, {"until": until, "failures": count})
                return LoginResult("locked", message=self.locked_message(limit, minutes))
        return LoginResult("wrong", message=WRONG_CREDENTIALS)

    def _password_hash(self, name: str) -> str:
        with self.sql.connect() as conn:
            return str(conn.execute(sa.select(tb.users.c.password_hash).where(tb.users.c.name == name)).scalar()
                       or "")

    def kiosk_login(self, token: str, *, source: str = "") -> Account | None:
        """The enabled kiosk account whose token is ``token``, ``None`` for any other token (audited either way)."""
        digest = token_digest(token[:MAX_PASSWORD])
        found = None
        for row in self._rows(tb.users.c.role == "kiosk"):
            if row.token_hash and hmac.compare_digest(row.token_hash, digest) and not row.disabled:
                found = self._account(row)
        if found is None:
            self.record("login_failed", "（大屏令牌）", {"reason": "bad_token", "source": source})
        else:
            self.record("login", found.name, {"role": "kiosk", "method": "token", "source": source})
        return found

    def token_digest_of(self, name: str) -> str:
        """The stored digest of kiosk ``name``'s token ("" when none) — to end screens opened with an old token."""
        rows = self._rows((tb.users.c.name == name) & (tb.users.c.role == "kiosk") & (tb.users.c.disabled == 0))
        return str(rows[0].token_hash) if rows else ""

    # -- demo ----------------------------------------------------------------------------------

    def is_demo(self) -> bool:
        """Whether the store is the bundled demo's (its demo accounts may be listed on the login page)."""
        return self.store.info(DEMO_FLAG) == "1"

    def mark_demo(self) -> None:
        """Mark the store as the bundled demo's (only :mod:`dashboard.store.demo` does)."""
        self.store.set_info(DEMO_FLAG, "1")

    # -- audit --------------------------------------------------------------------------------

    def record(self, action: str, user: str, detail: dict[str, Any] | None = None) -> None:
        """Write one audit entry (a login, a logout, an export, a refused page …) on its own."""
        with self.sql.begin() as conn:
            self._audit(conn, action, user, detail or {})

    def _audit(self, conn: sa.Connection, action: str, user: str, detail: dict[str, Any]) -> None:
        conn.execute(sa.insert(tb.audit).values(
            at=_now().isoformat(), user=user, action=action, version_id=None, as_of=None, files="[]", rows=0,
            detail=json.dumps(detail, ensure_ascii=False)))
