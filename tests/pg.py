"""A private PostgreSQL cluster for the tests: Debian's postgresql (Makefile APT_PACKAGES), started
once per test session and removed at the end.

PostgreSQL refuses to run as root, so as root the cluster is made and run as the ``postgres``
user (``runuser``); as anyone else, as that user. The data directory and the socket directory are
under /tmp (``/tmp/pg-cluster-*``), the server listens only on 127.0.0.1, on a free port of
55400-55499 (else one the kernel picks). Durability is off (``fsync=off``): a test cluster.

Without PostgreSQL the tests that need it skip, except under CI=true, where they fail
(tests/need.py). Roles made here (docs/hosting.md describes the same set-up):

- ``postgres``: the superuser (creates databases and roles);
- ``rollminder_owner``: owns the schema and runs ``rollminder db migrate``;
- ``rollminder_app``: what the app connects as in the row-level-security runs: no owner, no
  superuser, no BYPASSRLS, so PostgreSQL's policies apply to it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.need import missing

PORTS = range(55400, 55500)
PASSWORD = "pg-test-pw"  # loopback only, a throwaway cluster
OWNER, APP = "rollminder_owner", "rollminder_app"
NOW = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> float:
    try:
        return float(path.split("/")[4])
    except (IndexError, ValueError):
        return 0.0


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster: URLs for its roles, and databases made on demand."""

    bin: Path
    root: Path
    port: int
    as_user: list[str]
    _count: int = field(default=0)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_user, *args], check=check, capture_output=True, text=True, timeout=120
        )

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        quoted = urllib.parse.quote(PASSWORD, safe="")
        return f"postgresql://{user}:{quoted}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> object:
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True)

    def sql(self, statement: str, database: str = "postgres") -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(statement)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def new_database(self, template: str | None = None, prefix: str = "rm") -> str:
        """A new, empty database owned by the owner role (or a copy of ``template``)."""
        self._count += 1
        name = f"{prefix}_{os.getpid()}_{self._count}"
        copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self.sql(f"CREATE DATABASE {name} OWNER {OWNER}{copy}")
        return name

    def drop_database(self, name: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=32MB"
        )
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


def start_cluster() -> Cluster:
    """Make and start a cluster (the caller stops it with :func:`remove`)."""
    found = bin_dir()
    if found is None:
        missing("PostgreSQL is not installed (Debian's postgresql: Makefile APT_PACKAGES)")
    assert found is not None
    root = Path(tempfile.mkdtemp(prefix="pg-cluster-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            missing("the postgres user is missing (Debian's postgresql package makes it)")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster = Cluster(found, root, _free_port(), as_user)
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_user:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    cluster.run(
        str(found / "initdb"), "-D", str(cluster.data), "-U", "postgres", "-E", "UTF8",
        "--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256",
        f"--pwfile={pwfile}", "--no-sync",
    )  # fmt: skip
    for attempt in range(5):
        try:
            cluster.start()
            break
        except subprocess.CalledProcessError:
            if attempt == 4:
                raise
            cluster.port = _free_port() if attempt < 3 else cluster.port + 1
    cluster.sql(f"CREATE ROLE {OWNER} LOGIN PASSWORD '{PASSWORD}'")
    cluster.sql(f"CREATE ROLE {APP} LOGIN PASSWORD '{PASSWORD}' NOSUPERUSER NOBYPASSRLS")
    return cluster


def remove(cluster: Cluster) -> None:
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        cluster.stop("immediate")
    shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg is not installed (pyproject's dev extra)")
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        remove(cluster)


def wait_until_up(cluster: Cluster, seconds: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(cluster.url(), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# -- the store contract on PostgreSQL (tests/test_store_contract.py) ------------------------------


@dataclass
class ContractDatabases:
    """One migrated template; one database per row-level-security mode, emptied before each
    test; restored backups in databases of their own, dropped after their test."""

    cluster: Cluster
    template: str
    shared: str
    restored: list[str] = field(default_factory=list)

    def url(self, database: str, rls: bool) -> str:
        return self.cluster.url(database, APP if rls else OWNER)

    def empty_shared(self) -> None:
        from rollminder.store.postgres_dump import TABLES

        self.cluster.sql(
            f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE", database=self.shared
        )

    def restore(self, path: Path, rls: bool) -> str:
        """A new database holding the backup at ``path``; its URL."""
        import psycopg

        from rollminder.store.postgres_dump import load

        name = self.cluster.new_database(self.template)
        self.restored.append(name)
        with psycopg.connect(self.url(name, rls=False)) as conn:
            load(conn, path)
        return self.url(name, rls)

    def drop_restored(self) -> None:
        from rollminder.store.postgres_base import close_pool

        for name in self.restored:
            for rls in (False, True):
                close_pool(self.url(name, rls))
            self.cluster.drop_database(name)
        self.restored.clear()


def migrated_template(cluster: Cluster) -> str:
    """A database with the current schema, granted to the app's role, to copy from."""
    from rollminder.store.postgres import migrate
    from rollminder.store.postgres_base import close_pool

    name = cluster.new_database(prefix="rm_template")
    url = cluster.url(name, OWNER)
    migrate(url, now=NOW, app_role=APP)
    close_pool(url)  # a template must have no connection when it is copied
    return name


@pytest.fixture(scope="session")
def contract_databases(pg_cluster: Cluster) -> ContractDatabases:
    template = migrated_template(pg_cluster)
    return ContractDatabases(pg_cluster, template, pg_cluster.new_database(template))


@pytest.fixture
def pg_database(pg_cluster: Cluster) -> Iterator[str]:
    """A new, empty database (no schema) owned by the owner role; its name. Dropped after."""
    from rollminder.store.postgres_base import close_pool

    name = pg_cluster.new_database()
    yield name
    for user in (OWNER, APP, "postgres"):
        close_pool(pg_cluster.url(name, user))
    pg_cluster.drop_database(name)


@pytest.fixture
def pg_migrated(pg_cluster: Cluster, pg_database: str) -> str:
    """A database with the current schema, the app role granted; the app role's URL."""
    from rollminder.store.postgres import migrate

    migrate(pg_cluster.url(pg_database, OWNER), now=NOW, app_role=APP)
    return pg_cluster.url(pg_database, APP)
