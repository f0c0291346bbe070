"""The demo as a store: four quarters of the synthetic district, built once per machine on first use.

The quarters come from the seeded generator (:func:`geodata.demo_quarters.write_quarters`;
the last is the bundled ``geodata/demo`` folder), so nothing generated is
kept in git.  The store is built into a cache file named by a checksum of
the generator, the bundled files and the store's code; a change to any builds a new one.
Building takes a few seconds; two processes asking at once build it once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import geodata
from dashboard.store.importer import prepare_import
from dashboard.store.store import Store

DEMO_STORE_ENV = "IPGRID_DEMO_STORE"
"""Path of the demo store file (default: the user's cache folder)."""

DEMO_USER = "示例数据"
"""Who the demo's versions are recorded as imported by."""

DEMO_PASSWORDS: dict[str, str] = {
    "admin": "demo-admin-2025",
    "leader": "demo-leader-2025",
    "commissioner": "demo-zhuanyuan-2025",
}
"""Role → password of the demo account of that role (the demo store's login page lists them; no other store
has any account it was not given)."""

DEMO_ACCOUNT_NAMES: dict[str, str] = {"admin": "admin", "leader": "leader", "commissioner": "zhuanyuan",
                                      "kiosk": "dapingmu"}
"""Role → name of the demo account of that role."""

DEMO_KIOSK_TOKEN = "demo-kiosk-token-not-secret"
"""The demo kiosk account's token (only the demo's: real kiosk tokens are random)."""


def _fingerprint() -> str:
    digest = hashlib.sha256()
    sources = [Path(geodata.__file__).with_name(n)
               for n in ("demo_quarters.py", "generate_demo.py", "demo_faults.py", "demo_visits.py")]
    sources += sorted(Path(__file__).parent.glob("*.py"))  # how the store writes a version
    files = sorted(p for p in geodata.DEMO_DIR.iterdir() if p.is_file())
    for path in [*sources, *files]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def demo_store_path() -> Path:
    """Where the demo store is (or will be) built."""
    configured = os.environ.get(DEMO_STORE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    cache = Path(os.environ.get("XDG_CACHE_HOME", "") or Path.home() / ".cache")
    return cache / "ipgrid" / f"demo-{_fingerprint()}.gpkg"


def demo_store(progress: Callable[[str, float], None] | None = None) -> Path:
    """The demo store's path, building it first when it does not exist yet."""
    target = demo_store_path()
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not target.is_file():
                _build(target, progress)
                if not os.environ.get(DEMO_STORE_ENV, "").strip():
                    _forget_older(target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def _forget_older(current: Path) -> None:
    """Remove demo stores of earlier generators from the cache folder (never anything else)."""
    for old in current.parent.glob("demo-*.gpkg"):
        if old != current:
            old.unlink(missing_ok=True)


def _build(target: Path, progress: Callable[[str, float], None] | None) -> None:
    from geodata.demo_quarters import write_quarters

    report = progress or (lambda _t, _f: None)
    with tempfile.TemporaryDirectory(prefix="ipgrid-demo-") as tmp:
        report("生成示例数据的四个季度", 0.0)
        quarters = write_quarters(Path(tmp) / "quarters")
        partial = Path(tmp) / "demo.gpkg"
        store = Store(partial, create=True)
        for i, (as_of, folder) in enumerate(quarters):
            report(f"导入示例数据：数据截至 {as_of}", 0.1 + 0.9 * i / len(quarters))
            prepared = prepare_import(folder, as_of, store=store, note="示例数据（合成，非真实）")
            with _no_backups():
                store.commit(prepared, user=DEMO_USER)
        add_demo_accounts(store)
        add_demo_visits(store)
        store.backend.sql.dispose()
        os.replace(partial, target)
        report("完成", 1.0)


@contextlib.contextmanager
def _no_backups() -> Iterator[None]:
    from dashboard.store.backup import KEEP_ENV

    before = os.environ.get(KEEP_ENV)
    os.environ[KEEP_ENV] = "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(KEEP_ENV, None)
        else:
            os.environ[KEEP_ENV] = before


def demo_commissioner(store: Store) -> str:
    """The commissioner the demo's 网格专员 account is: the one with the most firms in the latest version."""
    from dashboard.engine import Engine

    engine = Engine(store.open_bundle())
    counts = {name: len(engine.firms_of(name)) for name in engine.commissioner_directory()}
    return max(sorted(counts), key=lambda name: counts[name])


def add_demo_accounts(store: Store) -> None:
    """One account per role on the demo store, and the mark that lets its login page list them."""
    from dashboard.store.accounts import Accounts

    accounts = Accounts(store)
    for role, name in DEMO_ACCOUNT_NAMES.items():
        commissioner = demo_commissioner(store) if role == "commissioner" else ""
        accounts.add(name, role, by=DEMO_USER, commissioner=commissioner, password=DEMO_PASSWORDS.get(role))
    accounts.new_token(DEMO_ACCOUNT_NAMES["kiosk"], by=DEMO_USER, token=DEMO_KIOSK_TOKEN)
    accounts.mark_demo()


def add_demo_visits(store: Store) -> None:
    """A seeded year of visits (:mod:`geodata.demo_visits`), and the demo's own day for their figures."""
    from dashboard.engine import Engine
    from dashboard.engine.changes import firm_keys
    from dashboard.store.visits import VisitRecord, Visits
    from geodata.demo_visits import DEMO_TODAY, DemoFirm, demo_visits

    versions = store.active_versions()
    tables = [Engine(store.open_bundle(v)).firm_table() for v in versions]
    held = [dict(zip(firm_keys(t), t["has_ip"].fillna(False).astype(bool), strict=True)) for t in tables]
    latest = Engine(store.open_bundle(versions[-1]))
    firms = []
    for name in latest.commissioner_directory():
        mine = latest.firms_of(name)
        codes = mine["uscc"].fillna("").astype(str).tolist()
        for key, row, uscc in zip(firm_keys(mine), mine.itertuples(), codes, strict=True):
            firms.append(DemoFirm(key=str(key), name=str(row.name), uscc=uscc, commissioner=name,
                                  held=tuple(h.get(key, False) for h in held)))
    records = [VisitRecord(firm_key=str(v["firm_key"]), firm_name=str(v["firm_name"]), uscc=str(v["uscc"]),
                           commissioner=str(v["commissioner"]), visit_date=str(v["visit_date"]), kind=str(v["kind"]),
                           needs=tuple(v["needs"]),  # type: ignore[arg-type]
                           outcome=str(v["outcome"]), follow_up=str(v["follow_up"]), source="示例数据")
               for v in demo_visits(firms, [v.as_of for v in versions])]
    Visits(store).add_many(records, by=DEMO_USER, today=dt.date.fromisoformat(DEMO_TODAY))
    store.set_info("demo_today", DEMO_TODAY)
