"""Database backends for the tests: SQLite files and a real PostgreSQL.

A pytest plugin (register it with ``pytest_plugins = ["tests.backends"]`` in
``tests/conftest.py``). It provides

- ``pg_server``: the base URL of a PostgreSQL server, session-scoped. ``$OVERSIGHT_TEST_PG_URL``
  if set (a URL to a database the tests may ``CREATE DATABASE`` from); otherwise a throw-away
  cluster started from the PostgreSQL binaries found on this machine (``pg_config --bindir``,
  then ``/usr/lib/postgresql/*/bin``) in a temporary folder, on a free loopback port, stopped
  and deleted at the end. Without PostgreSQL the PostgreSQL tests are skipped, **except when
  ``$CI`` is set**: then they fail, so that CI never passes by skipping.
- ``pg_url``: a new, empty PostgreSQL database for one test.
- ``engine_url``: parametrised over both backends: a SQLite file that does not exist yet in
  ``tmp_path``, and a new, empty PostgreSQL database.

``initdb`` refuses to run as root: when the tests run as root the cluster belongs to the
``postgres`` user (created by the distribution's package), else to ``oversight-ci`` (created
with ``useradd`` when missing).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PgCluster", "find_pg_bindir", "start_cluster", "pg_server", "pg_url", "engine_url"]

PG_ENV = "OVERSIGHT_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")


def find_pg_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cluster_owner() -> pwd.struct_passwd | None:
    """Who runs the server: ourselves, or an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "oversight-ci"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "oversight-ci"],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam("oversight-ci")


@dataclass
class PgCluster:
    """A throw-away PostgreSQL cluster (``initdb`` in a temporary folder)."""

    bindir: Path
    folder: Path
    port: int
    owner: pwd.struct_passwd | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://oversight@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(a) for a in args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=False,
            user=None if self.owner is None else self.owner.pw_uid,
            group=None if self.owner is None else self.owner.pw_gid,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")
        return result

    def stop(self) -> None:
        try:
            self._run(self.bindir / "pg_ctl", "stop", "-D", self.folder / "data", "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster(bindir: Path) -> PgCluster:
    """initdb + pg_ctl start on a free loopback port, trusting local connections.

    Durability is switched off (``fsync=off`` …): the cluster lives for one test session.
    """
    owner = _cluster_owner()
    folder = Path(tempfile.mkdtemp(prefix="oversight-pg-"))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    cluster = PgCluster(bindir, folder, _free_port(), owner)
    try:
        cluster._run(
            bindir / "initdb", "-D", folder / "data", "-U", "oversight", "-A", "trust", "-E", "UTF8", "--no-sync"
        )
        options = (
            f"-k {folder} -p {cluster.port} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        cluster._run(bindir / "pg_ctl", "start", "-D", folder / "data", "-l", folder / "log", "-o", options, "-w")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return cluster


def _missing(reason: str) -> None:
    """Skip, or fail under CI: a CI run must exercise PostgreSQL."""
    if os.environ.get("CI"):
        pytest.fail(f"$CI is set and {reason}; install PostgreSQL or set ${PG_ENV}", pytrace=False)
    pytest.skip(f"{reason}; install PostgreSQL or set ${PG_ENV} to run the PostgreSQL tests")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL URL (of a database to run ``CREATE DATABASE`` from) for the whole session."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("the PostgreSQL driver psycopg is not installed (pip install 'psycopg[binary]')")
    given = os.environ.get(PG_ENV)
    if given:
        yield given
        return
    bindir = find_pg_bindir()
    if bindir is None:
        _missing("no PostgreSQL binaries were found (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    assert bindir is not None
    cluster = start_cluster(bindir)
    try:
        yield cluster.url
    finally:
        cluster.stop()


_numbers = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"oversight_test_{os.getpid()}_{next(_numbers)}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(pg_server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database that does not exist yet (SQLite) or is empty (PostgreSQL)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'oversight.sqlite'}"
    return str(request.getfixturevalue("pg_url"))
