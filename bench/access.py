"""What accounts and scope cost: a password check, a login against the store, and a scoped view of the data.

Run ``python bench/access.py [--repeat N] [--firms N]``; the last line is JSON.

- **argon2id**: hashing and verifying one password with argon2-cffi's
  defaults (64 MiB, 3 passes), against SHA-256 of the same text — the plain
  way, which is what makes a stolen hash cheap to attack; the ratio is the point.
- **login**: :meth:`Accounts.login` on a GeoPackage store (verify, reset the
  failure count, write the audit entry), right and wrong password.
- **scope**: a commissioner's view of the four-quarter demo (3,000 firms) and a
  leader's view (every firm, contacts dropped) of a synthetic district of
  ``--firms`` firms (bench/engine.py), and a commissioner's view of it (it has no
  commissioners: one is given its first 100 cells): building the view (its
  firm mask) and asking it for the firm table once warm, against the full engine's warm call.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher  # noqa: E402
from common import timed  # noqa: E402

from dashboard.access.scope import Scope, ScopedEngine  # noqa: E402
from dashboard.engine import Engine  # noqa: E402
from dashboard.store import Store  # noqa: E402
from dashboard.store.accounts import Accounts  # noqa: E402
from dashboard.store.demo import demo_commissioner, demo_store  # noqa: E402

PASSWORD = "correct-horse-battery-9"


def ms(times: list[float]) -> float:
    """Median in milliseconds (to the microsecond)."""
    return round(statistics.median(times) * 1000, 3)


def bench_hashing(repeat: int) -> dict[str, float]:
    hasher = PasswordHasher()
    stored = hasher.hash(PASSWORD)
    return {
        "argon2id_hash_ms": ms(timed(lambda: hasher.hash(PASSWORD), repeat)),
        "argon2id_verify_ms": ms(timed(lambda: hasher.verify(stored, PASSWORD), repeat)),
        "sha256_us": round(statistics.median(timed(lambda: hashlib.sha256(PASSWORD.encode()).hexdigest(),
                                                     repeat * 100)) * 1e6, 2),
    }


def bench_login(repeat: int, folder: Path) -> dict[str, float]:
    store_path = folder / "login.gpkg"
    shutil.copyfile(demo_store(), store_path)
    accounts = Accounts(Store(store_path))
    accounts.add("bench", "leader", by="bench", password=PASSWORD)

    def wrong() -> None:
        accounts.login("bench", "wrong-password-1")
        accounts.set_disabled("bench", False, by="bench")  # clears the count: never locked during the run

    return {"login_ok_ms": ms(timed(lambda: accounts.login("bench", PASSWORD), repeat)),
            "login_wrong_ms": ms(timed(lambda: accounts.login("nobody", PASSWORD), repeat)),
            "login_wrong_then_unlock_ms": ms(timed(wrong, repeat))}


def bench_scope(engine: Engine, scope: Scope, repeat: int, prefix: str) -> dict[str, float]:
    engine.firm_table()  # the full engine warm, as in the app

    def build() -> None:
        view = ScopedEngine(engine, scope)
        view.firm_mask  # noqa: B018 - the work of a new view

    view = ScopedEngine(engine, scope)
    view.firm_table()
    return {f"{prefix}_build_ms": ms(timed(build, repeat)),
            f"{prefix}_firm_table_warm_ms": ms(timed(view.firm_table, repeat)),
            f"{prefix}_full_firm_table_warm_ms": ms(timed(engine.firm_table, repeat)),
            f"{prefix}_firms_seen": len(view.firm_table()),
            f"{prefix}_firms_all": len(engine.firm_table())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--firms", type=int, default=100_000)
    args = parser.parse_args()
    out: dict[str, object] = {"repeat": args.repeat}
    out.update(bench_hashing(args.repeat))
    out["argon2id_vs_sha256"] = round(float(out["argon2id_verify_ms"]) * 1000 / max(float(out["sha256_us"]), 1e-3))
    with tempfile.TemporaryDirectory(prefix="ipgrid-bench-access-") as tmp:
        out.update(bench_login(args.repeat, Path(tmp)))
    store = Store(demo_store())
    demo = Engine(store.open_bundle())
    out.update(bench_scope(demo, Scope("commissioner", demo_commissioner(store)), args.repeat, "demo_commissioner"))
    from engine import make_bundle  # bench/engine.py: the synthetic district

    start = time.perf_counter()
    big = Engine(make_bundle(args.firms, 10, 7))
    big.firm_table()
    out["synthetic_engine_s"] = round(time.perf_counter() - start, 2)
    out.update(bench_scope(big, Scope("leader", contacts=False), args.repeat, "synthetic_leader"))
    # the synthetic district has no commissioners: give one the first 100 cells (every firm's cell is tested)
    cells = big.cells["grid_id"].astype(str).head(100).tolist()
    big.cells_of = lambda name: cells if name == "甲" else []  # type: ignore[method-assign]
    out.update(bench_scope(big, Scope("commissioner", "甲"), args.repeat, "synthetic_commissioner"))
    for key, value in out.items():
        print(f"{key:40s} {value}", flush=True)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
