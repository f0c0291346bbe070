"""The throwaway PostgreSQL + PostGIS cluster of the tests (``pg_cluster``, ``pg_url`` fixtures) works.

What the PostGIS store will rely on: geopandas ``to_postgis`` inside one SQLAlchemy transaction,
``read_postgis`` giving back exactly what was written (Chinese text included), a rolled back
transaction leaving nothing, and advisory locks keeping a second session out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
import sqlalchemy as sa
from pg_cluster import PgCluster
from shapely.geometry import Point

NAMES = ["甲纺织公司", "乙汽车公司", '=HYPERLINK("http://example.invalid","点我")公司', "𠀀丙, 丁\n第二行"]
"""Chinese names, one with quotes and commas (CSV quoting of ``COPY``), one with a 4-byte character
(U+20000) and a newline."""


def _firms() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"序号": [1, 2, 3, 4], "企业名称": NAMES},
        geometry=[Point(120.95, 32.04), Point(121.02, 32.03), Point(120.930000000000007, 32.0199999999),
                  Point(-0.1, 1e-9)],
        crs="EPSG:4326",
    )


@pytest.fixture
def engine(pg_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(pg_url)
    try:
        yield eng
    finally:
        eng.dispose()


def test_cluster_is_local_utf8_with_postgis(pg_cluster: PgCluster, engine: sa.Engine) -> None:
    with engine.connect() as conn:
        settings = {name: conn.scalar(sa.text(f"SHOW {name}")) for name in
                    ("server_encoding", "lc_ctype", "listen_addresses", "fsync")}
        postgis = conn.scalar(sa.text("SELECT postgis_lib_version()"))
    assert settings == {"server_encoding": "UTF8", "lc_ctype": pg_cluster.locale, "listen_addresses": "127.0.0.1",
                        "fsync": "off"}
    assert postgis.startswith("3.")
    # the plain URL (as users type it) is libpq's own form; SQLAlchemy needs the +psycopg driver
    assert sa.make_url(pg_cluster.plain_url).set(drivername="postgresql+psycopg") == sa.make_url(pg_cluster.url)
    with psycopg.connect(pg_cluster.plain_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("ipgrid",)


def test_to_postgis_in_one_transaction_reads_back_exactly(engine: sa.Engine) -> None:
    firms = _firms()
    with engine.begin() as conn:
        firms.to_postgis("企业", con=conn)
        assert conn.scalar(sa.text('SELECT count(*) FROM "企业"')) == 4  # visible inside the transaction

    back = gpd.read_postgis('SELECT * FROM "企业" ORDER BY "序号"', con=engine, geom_col="geometry")
    assert back.crs == firms.crs
    assert back["企业名称"].tolist() == NAMES
    assert back["序号"].tolist() == [1, 2, 3, 4]
    assert shapely.equals_exact(back.geometry.values, firms.geometry.values, tolerance=0).all()
    assert back.geometry.to_wkb().tolist() == firms.geometry.to_wkb().tolist()  # bit for bit
    with engine.connect() as conn:
        lengths = conn.execute(sa.text('SELECT char_length("企业名称") FROM "企业" ORDER BY "序号"')).scalars()
        assert list(lengths) == [len(name) for name in NAMES]  # characters, not bytes: no mojibake
        assert conn.scalar(sa.text("SELECT Find_SRID('public', '企业', 'geometry')")) == 4326


def test_rolled_back_transaction_leaves_no_table(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError, match="import aborted"), engine.begin() as conn:
        _firms().to_postgis("半途", con=conn)
        assert sa.inspect(conn).has_table("半途")
        raise RuntimeError("import aborted")
    assert not sa.inspect(engine).has_table("半途")
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM geometry_columns WHERE f_table_name = '半途'")) == 0


IMPORT_LOCK = 0x1B6_0001
"""Any 64-bit key; the store will pick its own."""


def test_advisory_lock_keeps_a_second_session_out_until_released(engine: sa.Engine) -> None:
    take = sa.text("SELECT pg_try_advisory_lock(:key)").bindparams(key=IMPORT_LOCK)
    release = sa.text("SELECT pg_advisory_unlock(:key)").bindparams(key=IMPORT_LOCK)
    with engine.connect() as first, engine.connect() as second:
        pid = sa.text("SELECT pg_backend_pid()")
        assert first.scalar(pid) != second.scalar(pid)  # two server sessions at the same time
        assert first.scalar(take) is True
        assert second.scalar(take) is False
        first.commit()  # a session lock outlives transactions: still held
        assert second.scalar(take) is False
        assert first.scalar(release) is True
        assert second.scalar(take) is True
        assert first.scalar(take) is False
        assert second.scalar(release) is True


def test_transaction_advisory_lock_ends_with_the_transaction(engine: sa.Engine) -> None:
    """``pg_try_advisory_xact_lock`` goes with commit or rollback, whatever a connection pool does."""
    take = sa.text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(key=IMPORT_LOCK)
    with engine.connect() as first, engine.connect() as second:
        assert first.scalar(take) is True
        assert second.scalar(take) is False
        second.rollback()
        first.rollback()
        assert second.scalar(take) is True
        second.commit()


def test_a_killed_test_process_leaves_no_server_behind(tmp_path: Path) -> None:
    """The watchdog stops the cluster and removes its folder when its owner dies by SIGKILL."""
    tests = Path(__file__).parent
    script = tmp_path / "owner.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(tests)!r})
        from pg_cluster import PgCluster
        cluster = PgCluster().start()
        print(cluster.postmaster_pid(), cluster.base, flush=True)
        time.sleep(600)
    """), encoding="utf-8")
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        pid_text, base = owner.stdout.readline().split()
        pid = int(pid_text)
        os.kill(pid, 0)  # running
    finally:
        owner.kill()
        owner.wait(timeout=30)
    deadline = time.monotonic() + 30
    while (_running(pid) or Path(base).exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(pid), f"postgres {pid} still running after its owner was killed"
    assert not Path(base).exists()


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for PID 1 to reap it does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
