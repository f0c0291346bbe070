"""A throwaway PostgreSQL + PostGIS cluster for the tests, started and stopped by the test run.

Nothing is assumed running: :class:`PgCluster` runs ``initdb`` into a new temporary directory,
starts ``postgres`` on a free TCP port bound to 127.0.0.1 only (its Unix socket in that
directory too), creates a template database with ``CREATE EXTENSION postgis`` and one database
(``ipgrid``) cloned from it, and :meth:`PgCluster.new_database` clones more.  :meth:`PgCluster.stop`
stops the server (``pg_ctl stop -m fast``) and removes the directory.  A small watchdog process
does the same if the test process dies without stopping it (``kill -9``, a second Ctrl-C).

PostgreSQL refuses to run as root: as root (CI) ``initdb`` and ``pg_ctl`` run as the ``postgres``
system user (created by Debian's ``postgresql`` package) through ``runuser``, and the directory
belongs to that user.

The cluster is for tests only: fsync off, UTF8 encoding, C.UTF-8 (or C) locale, password
authentication over TCP with a random password, trust over its own socket directory (mode 0700).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 60.0
"""Longest wait for ``pg_ctl start`` plus the first connection."""

STOP_TIMEOUT_S = 30
SERVICE_USER = "postgres"
"""System user that runs the server when the tests run as root."""

SUPERUSER = "postgres"
"""Database superuser of the cluster (whatever the system user)."""

TEMPLATE_DB = "ipgrid_postgis_template"
DEFAULT_DB = "ipgrid"
INSTALL_HINT = ("run scripts/test.sh (it apt-installs Debian's postgresql and postgresql-15-postgis-3), "
                "or set PG_BINDIR to a directory holding initdb, pg_ctl and postgres")

_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_PG_ENV = ("PGDATA", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGOPTIONS",
           "PGSERVICE", "PGSERVICEFILE", "PGPASSFILE", "PGSSLMODE", "PGTZ", "PGCLIENTENCODING")

_WATCHDOG = r"""
import os, shutil, subprocess, sys
stop_cmd, base = sys.argv[1:-1], sys.argv[-1]
said = sys.stdin.read()  # returns at EOF: when the test process has stopped the cluster or died
if said != "stopped" and os.path.exists(os.path.join(base, "data", "postmaster.pid")):
    subprocess.run(stop_cmd, cwd=base, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60, check=False)
if said != "stopped":
    shutil.rmtree(base, ignore_errors=True)
"""


class PgUnavailableError(RuntimeError):
    """PostgreSQL (or PostGIS, or the ``postgres`` user needed as root) is not installed."""


class PgStartError(RuntimeError):
    """The cluster did not start; the message ends with the server log's tail."""


def _debian_key(path: str) -> tuple[bool, tuple[int, ...]]:
    """Sort key of ``/usr/lib/postgresql/<version>/bin``: versions with PostGIS first, then the newest."""
    version = Path(path).parent.name
    has_postgis = Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists()
    return has_postgis, tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def _is_bindir(path: Path) -> bool:
    return all(os.access(path / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres"))


def find_bindir() -> Path:
    """Directory of ``initdb``/``pg_ctl``/``postgres``: ``$PG_BINDIR``, Debian's, ``pg_config``'s or PATH's.

    Among Debian's ``/usr/lib/postgresql/<version>/bin`` the newest with PostGIS wins.

    Raises
    ------
    PgUnavailableError
        When none is found.
    """
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_debian_key, reverse=True)]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for path in candidates:
        if _is_bindir(path):
            return path
    tried = ", ".join(str(p) for p in candidates) or "/usr/lib/postgresql/*/bin, pg_config --bindir, PATH"
    raise PgUnavailableError(f"PostgreSQL server binaries (initdb, pg_ctl, postgres) not found (looked in: "
                             f"{tried}): {INSTALL_HINT}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _utf8_locale() -> str:
    """``C.UTF-8`` when the C library has it (Debian always does), else ``C`` (still UTF8-encoded)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10, check=True).stdout
        if any(name.lower() in ("c.utf8", "c.utf-8") for name in out.split()):
            return "C.UTF-8"
    return "C"


def _conf_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class PgCluster:
    """One temporary PostgreSQL cluster with PostGIS; ``start()`` it, ``stop()`` it.

    Attributes after :meth:`start`: ``port``, ``password``, ``url`` (``postgresql+psycopg://…``,
    for SQLAlchemy), ``plain_url`` (``postgresql://…``, for libpq/psycopg and as users write it),
    ``bindir``, ``base`` (the temporary directory), ``timings`` (seconds per start-up step) and
    ``startup_s`` (their sum).
    """

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir
        self.base: Path | None = None
        self.port = 0
        self.password = secrets.token_hex(16)
        self.locale = "C"
        self.version = 0  # server_version_num, e.g. 150018
        self.timings: dict[str, float] = {}
        self._runas: list[str] = []
        self._env: dict[str, str] = {}
        self._watchdog: subprocess.Popen[str] | None = None
        self._running = False

    # ------------------------------------------------------------------ URLs

    def url_for(self, dbname: str, *, driver: str | None = "psycopg") -> str:
        """SQLAlchemy URL of database ``dbname`` (``driver=None``: the plain ``postgresql://`` form)."""
        scheme = "postgresql" if driver is None else f"postgresql+{driver}"
        return f"{scheme}://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        """``postgresql+psycopg://postgres:…@127.0.0.1:PORT/ipgrid`` (a database with PostGIS)."""
        return self.url_for(DEFAULT_DB)

    @property
    def plain_url(self) -> str:
        """``postgresql://postgres:…@127.0.0.1:PORT/ipgrid``: the form users type, libpq's own."""
        return self.url_for(DEFAULT_DB, driver=None)

    @property
    def startup_s(self) -> float:
        """Seconds :meth:`start` took."""
        return sum(self.timings.values())

    # ------------------------------------------------------------------ start

    def start(self) -> PgCluster:
        """initdb, start on a free port, create the PostGIS template and ``ipgrid``; return ``self``.

        Raises
        ------
        PgUnavailableError
            PostgreSQL, PostGIS or (as root) the ``postgres`` user is missing.
        PgStartError
            The server did not start or answer within :data:`START_TIMEOUT_S`.
        """
        if self.base is not None:
            raise RuntimeError("PgCluster.start() called twice")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        t0 = time.monotonic()
        self.bindir = self.bindir or find_bindir()
        self._prepare_user_and_dir()
        self._check_postgis()
        self.timings["prepare"] = time.monotonic() - t0

        t0 = time.monotonic()
        self._initdb()
        self.timings["initdb"] = time.monotonic() - t0

        t0 = time.monotonic()
        self._start_watchdog()
        self._start_server()
        self.timings["start"] = time.monotonic() - t0

        t0 = time.monotonic()
        self._create_template()
        self.new_database(DEFAULT_DB)
        self.timings["postgis"] = time.monotonic() - t0

    def _prepare_user_and_dir(self) -> None:
        self.locale = _utf8_locale()
        self._env = {k: v for k, v in os.environ.items() if k not in _PG_ENV}
        self._env.update(LC_ALL=self.locale, LANG=self.locale, LC_MESSAGES="C", TZ="UTC")
        if os.geteuid() != 0:
            self.base = Path(tempfile.mkdtemp(prefix="ipgrid-pg-"))
            return
        import pwd

        try:
            user = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise PgUnavailableError(f"running as root, but there is no '{SERVICE_USER}' system user to run "
                                     f"PostgreSQL as (it refuses to run as root): {INSTALL_HINT}") from None
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        if not os.access(runuser, os.X_OK):
            raise PgUnavailableError("running as root, but runuser (util-linux) is missing: "
                                     "cannot run PostgreSQL as the postgres user")
        self._runas = [runuser, "-u", SERVICE_USER, "--"]
        # $TMPDIR may be a folder the postgres user cannot enter (e.g. under /root): then /tmp.
        for parent in dict.fromkeys([tempfile.gettempdir(), "/tmp"]):
            base = Path(tempfile.mkdtemp(prefix="ipgrid-pg-", dir=parent))
            os.chown(base, user.pw_uid, user.pw_gid)
            probe = subprocess.run([*self._runas, "test", "-w", str(base)], cwd="/", stdin=subprocess.DEVNULL,
                                   capture_output=True, timeout=30, check=False)
            if probe.returncode == 0:
                self.base = base
                return
            shutil.rmtree(base, ignore_errors=True)
        raise PgStartError(f"the {SERVICE_USER} user cannot write to a temporary directory under "
                           f"{tempfile.gettempdir()} or /tmp")

    def _check_postgis(self) -> None:
        assert self.bindir is not None
        pg_config = self.bindir / "pg_config"
        if not os.access(pg_config, os.X_OK):
            return  # no way to ask where extensions live: CREATE EXTENSION will say it
        out = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True, timeout=10,
                             check=False)
        control = Path(out.stdout.strip()) / "extension" / "postgis.control"
        if out.returncode == 0 and not control.exists():
            raise PgUnavailableError(f"PostGIS is not installed for the PostgreSQL in {self.bindir} "
                                     f"({control} is missing): {INSTALL_HINT}")

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        assert self.bindir is not None and self.base is not None
        cmd = [*self._runas, str(self.bindir / args[0]), *args[1:]]
        return subprocess.run(cmd, cwd=self.base, env=self._env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, check=False)

    @property
    def _data(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    @property
    def _log(self) -> Path:
        assert self.base is not None
        return self.base / "server.log"

    def _initdb(self) -> None:
        assert self.base is not None
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n", encoding="ascii")
        if self._runas:
            shutil.chown(pwfile, SERVICE_USER)
        out = self._run("initdb", "-D", str(self._data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                        "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
                        f"--locale={self.locale}", "--no-sync")
        pwfile.unlink()
        if out.returncode != 0:
            raise PgStartError(f"initdb failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        settings = {
            "listen_addresses": _conf_str("127.0.0.1"),
            "unix_socket_directories": _conf_str(str(self.base)),
            "unix_socket_permissions": "0700",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "wal_level": "minimal",
            "max_wal_senders": "0",
            "shared_buffers": "32MB",
            "max_connections": "100",
            "jit": "off",
            "logging_collector": "off",
            "log_min_messages": "warning",
            "lc_messages": _conf_str("C"),
            "timezone": _conf_str("UTC"),
        }
        with (self._data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# ipgrid tests (tests/pg_cluster.py)\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _stop_cmd(self, mode: str) -> list[str]:
        assert self.bindir is not None
        return [*self._runas, str(self.bindir / "pg_ctl"), "stop", "-D", str(self._data), "-m", mode, "-w",
                "-t", str(STOP_TIMEOUT_S)]

    def _start_watchdog(self) -> None:
        """A detached process that stops the server and removes the folder if the tests die first."""
        assert self.base is not None
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, *self._stop_cmd("immediate"), str(self.base)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True,  # no Ctrl-C from the terminal: it must outlive a killed pytest
        )

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server log (for error messages)."""
        try:
            return self._log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError as exc:
            return f"(no server log: {exc})"

    def _start_server(self) -> None:
        for _attempt in range(5):
            self.port = _free_port()
            out = self._run("pg_ctl", "start", "-D", str(self._data), "-l", str(self._log), "-w",
                            "-t", str(int(START_TIMEOUT_S)), "-o", f"-p {self.port}", timeout=START_TIMEOUT_S + 30)
            if out.returncode == 0:
                self._running = True
                self._wait_connectable()
                return
            if "could not bind" not in self.log_tail() and "already in use" not in self.log_tail():
                break
            # another process took the port between _free_port() and the bind: try another one
        raise PgStartError(f"pg_ctl start failed ({out.returncode}): {out.stdout.strip()} {out.stderr.strip()}\n"
                           f"--- server log ({self._log}) ---\n{self.log_tail()}")

    def connect(self, dbname: str = "postgres", **kwargs: Any) -> Any:
        """A psycopg connection (autocommit) to ``dbname`` over TCP."""
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, password=self.password,
                               dbname=dbname, autocommit=True, connect_timeout=5, **kwargs)

    def _wait_connectable(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with self.connect() as conn:
                    self.version = int(conn.execute("SHOW server_version_num").fetchone()[0])
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PgStartError(f"PostgreSQL on 127.0.0.1:{self.port} did not accept connections within "
                                       f"{START_TIMEOUT_S:.0f} s: {exc}\n--- server log ---\n{self.log_tail()}"
                                       ) from exc
                time.sleep(0.1)

    def _create_template(self) -> None:
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
        try:
            with self.connect(TEMPLATE_DB) as conn:
                conn.execute("CREATE EXTENSION postgis")
        except Exception as exc:
            raise PgUnavailableError(f"CREATE EXTENSION postgis failed ({exc}): {INSTALL_HINT}") from exc
        with self.connect() as conn:  # nobody may connect to it, so cloning never waits for a session
            conn.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                sql.Identifier(TEMPLATE_DB)))

    # ------------------------------------------------------------------ databases

    def new_database(self, name: str) -> str:
        """Create an empty database ``name`` with PostGIS (a clone of the template); return its URL.

        ``name``: lower-case letters, digits and ``_``, at most 63 characters, not starting with a digit.
        """
        from psycopg import sql

        if not _DB_NAME.fullmatch(name):
            raise ValueError(f"database name {name!r}: use [a-z_][a-z0-9_]*, at most 63 characters")
        # FILE_COPY: about 20 ms for the PostGIS template with fsync off, WAL_LOG (15's default) about 60.
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}" + (" STRATEGY FILE_COPY" if self.version >= 150000 else ""))
        with self.connect() as conn:
            conn.execute(create.format(sql.Identifier(name), sql.Identifier(TEMPLATE_DB)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, ending any session still connected to it."""
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    # ------------------------------------------------------------------ stop

    def postmaster_pid(self) -> int | None:
        """PID of the running server, or ``None``."""
        try:
            return int(self._data.joinpath("postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError, AssertionError):
            return None

    def stop(self) -> None:
        """Stop the server (fast, then immediate, then SIGKILL) and remove the folder. Safe to call again."""
        if self.base is None:
            return
        try:
            pid = self.postmaster_pid()
            if self._running or pid is not None:
                stopped = False
                for mode in ("fast", "immediate"):
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        done = subprocess.run(self._stop_cmd(mode), cwd=self.base, env=self._env,
                                              stdin=subprocess.DEVNULL, capture_output=True,
                                              timeout=STOP_TIMEOUT_S + 15, check=False)
                        stopped = done.returncode == 0 or self.postmaster_pid() is None
                    if stopped:
                        break
                if not stopped and pid is not None and _alive(pid):
                    os.kill(pid, signal.SIGKILL)  # backends exit on their own once the postmaster is gone
            self._running = False
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
            if self._watchdog is not None:
                with contextlib.suppress(OSError, ValueError):
                    assert self._watchdog.stdin is not None
                    self._watchdog.stdin.write("stopped")
                    self._watchdog.stdin.close()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._watchdog.wait(timeout=10)
                self._watchdog = None

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
