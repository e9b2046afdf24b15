"""The SQLite store's connection, transactions and opening (:class:`SqliteBase`): one file
shared by the CLI, the web app and the reminder daemon.

- WAL mode, so readers never wait for the writer; a 15 s busy timeout for writers.
- ``synchronous=NORMAL``: in WAL mode a commit is written to the WAL (in the OS page cache) before
  COMMIT returns, and only checkpoints are fsynced. A process that is killed (even SIGKILL) loses
  nothing it acknowledged; only a power loss or OS crash can lose the last few commits, and never
  corrupts the file. FULL would add an fsync to every command for that case alone.
- Every write transaction starts with ``BEGIN IMMEDIATE``, so a check-then-insert inside
  ``with store.transaction():`` is atomic across processes.
- sqlite3 errors never reach a person: they become :class:`StorageError` with one line.
- At open: check that the file is ours and usable, migrate, then take the daily backup
  (see :mod:`rollminder.store.backups`).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from rollminder.errors import StorageError
from rollminder.store import migrations
from rollminder.store.backups import (
    backup_database,
    backup_hint,
    daily_backup_path,
    damaged_message,
    prune_backups,
    storage_error,
)
from rollminder.store.rows import Table, instant

T = TypeVar("T")

#: Seconds a writer waits for another process's write transaction before giving up.
BUSY_TIMEOUT = 15.0
_FIRST_BACKOFF, _MAX_BACKOFF = 0.005, 0.2


# -- busy handling --------------------------------------------------------------------------------


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _retrying(operation: Callable[[], T], timeout: float) -> T:
    """Run ``operation``, again after a growing, jittered pause while SQLite answers "busy".

    The busy timeout already makes SQLite wait for most locks; this covers the cases where it
    answers "busy" at once (switching a new file to WAL while another process migrates it, WAL
    recovery, a changed snapshot). It gives up once ``timeout`` seconds have passed in total, so a
    lock SQLite already waited the full timeout for is not waited for again.
    """
    started = time.monotonic()
    delay = _FIRST_BACKOFF
    while True:
        try:
            return operation()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() - started + delay >= timeout:
                raise
            time.sleep(delay * (0.5 + (time.monotonic_ns() % 1000) / 1000.0))
            delay = min(delay * 2, _MAX_BACKOFF)


# -- the store ------------------------------------------------------------------------------------


class SqliteBase:
    """The :class:`~rollminder.store.Store` for one profile of one SQLite file.

    Open it with :meth:`open`. Use it from one thread (sqlite3's default check).
    """

    def __init__(
        self, conn: sqlite3.Connection, path: Path, profile: str, busy_timeout: float
    ) -> None:
        self._conn = conn
        self.path = path
        self.profile = profile
        self._busy_timeout = busy_timeout
        self._profile_id = 0
        self._depth = 0  # transaction nesting: 0 = none, 1 = BEGIN IMMEDIATE, >1 = savepoints

    # -- opening ----------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        profile: str,
        now: dt.datetime,
        busy_timeout: float = BUSY_TIMEOUT,
        migration_list: list[migrations.Migration] | None = None,
    ) -> Self:
        """Open (creating if needed) the database at ``path`` for ``profile``.

        Raises :class:`StorageError` (one line, naming the file and the latest backup) if the file
        is damaged, not a rollminder database, or from a newer rollminder; nothing on disk changes
        then. ``migration_list`` is for tests; it defaults to :data:`migrations.MIGRATIONS`.
        """
        if now.tzinfo is None:
            raise ValueError("open() needs an aware 'now'")
        chosen = migrations.MIGRATIONS if migration_list is None else migration_list
        path = Path(path)
        _prepare_location(path)
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise storage_error(exc, path) from exc
        store = cls(conn, path, profile, busy_timeout)
        try:
            with store._errors():
                backup = daily_backup_path(path, now)
                latest = migrations.latest_version(chosen)
                version = store._check_usable(latest)
                if version > 0 and (version < latest or not backup.exists()):
                    store._check_integrity()  # never migrate or back up a damaged file
                store._use_wal()  # only once the file is known to be ours
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                if version < latest:
                    store._migrate(chosen, now)
                store._profile_id = store._ensure_profile(now)
                if not backup.exists():
                    backup_database(conn, backup)
                    prune_backups(backup.parent)
        except BaseException:
            conn.close()
            raise
        return store

    def _check_usable(self, latest: int) -> int:
        """Return the schema version of a usable file, else raise StorageError (changing nothing).

        The fast path is one statement (so one consistent snapshot, even while another process
        is creating the schema): two header fields and the size of the schema.
        """
        query = (
            "SELECT a.application_id, v.user_version, (SELECT count(*) FROM sqlite_master) "
            "FROM pragma_application_id AS a, pragma_user_version AS v"
        )
        app_id, version, tables = _retrying(
            lambda: self._conn.execute(query).fetchone(), self._busy_timeout
        )
        if app_id == migrations.APPLICATION_ID:
            if version > latest:
                raise StorageError(
                    f"The database {self.path} was written by a newer rollminder "
                    f"(schema {version}; this one knows up to {latest}): upgrade rollminder to "
                    f"use it.{backup_hint(self.path)}"
                )
            return int(version)
        if app_id == 0 and version == 0 and tables == 0:
            return 0  # a new, empty file
        raise StorageError(
            f"The file {self.path} is not a rollminder database (it holds other data), so "
            f"rollminder leaves it alone.{backup_hint(self.path)}"
        )

    def _use_wal(self) -> None:
        """WAL is a property of the file: set once, then only read back."""
        mode = self._read_one("PRAGMA journal_mode")
        if str(mode).lower() != "wal":
            self._read_one("PRAGMA journal_mode = WAL")

    def _read_one(self, sql: str) -> Any:
        return _retrying(lambda: self._conn.execute(sql).fetchone()[0], self._busy_timeout)

    def data_stamp(self) -> tuple[int, int]:
        """A value that differs after any change to the database, whoever made it: SQLite's
        ``PRAGMA data_version`` (moves when another connection, in this process or another one,
        has committed) and this connection's ``total_changes`` (its own writes). Equal stamps from
        the same open store mean nothing was written in between. One cheap query; the web app keys
        its caches of derived figures on it (web/cache.py)."""
        version = self._read_one("PRAGMA data_version")
        return int(version), self._conn.total_changes

    def _check_integrity(self) -> None:
        rows = _retrying(
            lambda: self._conn.execute("PRAGMA integrity_check(3)").fetchall(), self._busy_timeout
        )
        problems = [str(row[0]) for row in rows]
        if problems != ["ok"]:
            raise StorageError(damaged_message(self.path, "; ".join(problems)[:200]))

    def _migrate(self, chosen: list[migrations.Migration], now: dt.datetime) -> None:
        for migration in chosen:
            with self.transaction():
                # Re-read under the write lock: another process may have migrated meanwhile.
                current = self._conn.execute("PRAGMA user_version").fetchone()[0]
                if current >= migration.version:
                    continue
                migrations.apply(self._conn, migration, applied_at=instant(now))

    def _ensure_profile(self, now: dt.datetime) -> int:
        select = "SELECT id FROM profiles WHERE name = ?"
        row = _retrying(
            lambda: self._conn.execute(select, (self.profile,)).fetchone(), self._busy_timeout
        )
        if row is None:
            with self.transaction():
                self._conn.execute(
                    "INSERT OR IGNORE INTO profiles (name, created_at) VALUES (?, ?)",
                    (self.profile, instant(now)),
                )
                row = self._conn.execute(select, (self.profile,)).fetchone()
        return int(row[0])

    # -- transactions and errors ------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path) from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write transaction; a nested call joins it (as a savepoint, so an exception
        caught inside the outer block undoes only the inner block's writes)."""
        if self._depth:
            name = f"rollminder_{self._depth}"
            with self._errors():
                self._conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                with self._errors():
                    self._conn.execute(f"ROLLBACK TO {name}")
                    self._conn.execute(f"RELEASE {name}")
                raise
            else:
                with self._errors():
                    self._conn.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return

        with self._errors():
            _retrying(lambda: self._conn.execute("BEGIN IMMEDIATE"), self._busy_timeout)
        self._depth = 1
        try:
            yield
            with self._errors():
                _retrying(lambda: self._conn.execute("COMMIT"), self._busy_timeout)
        except BaseException:
            if self._conn.in_transaction:
                with suppress(sqlite3.Error):  # SQLite may already have rolled back
                    self._conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._errors():
            if self._depth:
                return self._conn.execute(sql, params).fetchall()
            return _retrying(lambda: self._conn.execute(sql, params).fetchall(), self._busy_timeout)

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        with self.transaction(), self._errors():
            return self._conn.execute(sql, params).rowcount

    def _rows(self, table: Table[T], clause: str = "", params: Sequence[Any] = ()) -> list[T]:
        rows = self._query(f"{table.select} {clause}", (self._profile_id, *params))
        return [table.decode(row) for row in rows]

    def _put(self, table: Table[T], obj: T) -> None:
        self._write(table.upsert, (self._profile_id, *table.encode(obj)))

    def _delete(self, table: Table[Any], id: str) -> bool:
        return self._write(table.delete, (self._profile_id, id)) > 0

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection, for diagnostics and tests (not for writing rows)."""
        return self._conn

    def backup_now(self, dest: Path) -> None:
        """Write a consistent copy of the whole database (every profile) to ``dest`` (0o600)."""
        with self._errors():
            backup_database(self._conn, Path(dest))


def _prepare_location(path: Path) -> None:
    """Create the data directory (0o700) and an empty database file (0o600) if missing.

    SQLite gives its -wal and -shm files the database file's permissions.
    """
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(path.parent, 0o700)
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return  # another process just created it
            os.close(fd)
            os.chmod(path, 0o600)
    except OSError as exc:
        raise StorageError(f"Cannot create the database {path}: {exc.strerror or exc}.") from exc
