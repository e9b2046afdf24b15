"""The SQLite store's connection: busy handling, transactions, errors, and the maintenance role.

:class:`SqliteBase` is what every role's SQLite rows build on (``sqlite_log``, ``sqlite_ledger``);
:class:`~rollminder.store.sqlite.SqliteStore` combines them and adds opening and migrating.

- Every write transaction starts with ``BEGIN IMMEDIATE``, so a check-then-insert inside
  ``with store.transaction():`` is atomic across processes.
- sqlite3 errors never reach a person: they become :class:`StorageError` with one line.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from rollminder.damage import DamagedRow
from rollminder.store.backups import backup_database, storage_error
from rollminder.store.rows import TABLES, Table, instant

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


def retrying(operation: Callable[[], T], timeout: float) -> T:
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


# -- the connection -------------------------------------------------------------------------------


#: The profile id while the profile has no row yet: reads find nothing, and the first write
#: transaction makes the row (issue 18: a failed command with an unknown --profile left an
#: empty profile behind). Row ids start at 1, so this is never a real profile's id.
NO_PROFILE_YET = -1


class SqliteBase:
    """One profile of one SQLite file, over one connection: what the row methods build on."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, profile: str, busy_timeout: float
    ) -> None:
        self._conn = conn
        self.path = path
        self.profile = profile
        self._busy_timeout = busy_timeout
        self._pid = NO_PROFILE_YET
        self._opened_at = dt.datetime.now(dt.UTC)  # SqliteStore.open sets the clock's time
        self._made_profile = False  # made in the open transaction: forgotten if it rolls back
        self._depth = 0  # transaction nesting: 0 = none, 1 = BEGIN IMMEDIATE, >1 = savepoints
        # Rows left out of reads because they do not decode, with the data stamp then (item 6).
        self._skipped: dict[tuple[str, int], tuple[DamagedRow, tuple[int, int]]] = {}

    # -- the profile's row (made on the first write) -------------------------------------------

    @property
    def _profile_id(self) -> int:
        if self._pid == NO_PROFILE_YET:
            if self._depth:
                self._conn.execute(
                    "INSERT OR IGNORE INTO profiles (name, created_at) VALUES (?, ?)",
                    (self.profile, instant(self._opened_at)),
                )
                self._made_profile = True
            self._pid = self._find_profile()  # outside a write: another process may have made it
        return self._pid

    @_profile_id.setter
    def _profile_id(self, value: int) -> None:
        self._pid = value

    def _find_profile(self) -> int:
        select = "SELECT id FROM profiles WHERE name = ?"
        with self._errors():
            row = retrying(
                lambda: self._conn.execute(select, (self.profile,)).fetchone(), self._busy_timeout
            )
        return NO_PROFILE_YET if row is None else int(row[0])

    def _read_one(self, sql: str) -> Any:
        return retrying(lambda: self._conn.execute(sql).fetchone()[0], self._busy_timeout)

    def data_stamp(self) -> tuple[int, int]:
        """A value that differs after any change to the database, whoever made it: SQLite's
        ``PRAGMA data_version`` (moves when another connection, in this process or another one,
        has committed) and this connection's ``total_changes`` (its own writes). Equal stamps from
        the same open store mean nothing was written in between. One cheap query; the web app keys
        its caches of derived figures on it (web/cache.py)."""
        with self._errors():
            version = self._read_one("PRAGMA data_version")
            return int(version), self._conn.total_changes

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
            retrying(lambda: self._conn.execute("BEGIN IMMEDIATE"), self._busy_timeout)
        self._depth = 1
        try:
            yield
            with self._errors():
                retrying(lambda: self._conn.execute("COMMIT"), self._busy_timeout)
        except BaseException:
            if self._conn.in_transaction:
                with suppress(sqlite3.Error):  # SQLite may already have rolled back
                    self._conn.execute("ROLLBACK")
            if self._made_profile:  # its row went with the rollback
                self._pid = NO_PROFILE_YET
            raise
        finally:
            self._depth = 0
            self._made_profile = False

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._errors():
            if self._depth:
                return self._conn.execute(sql, params).fetchall()
            return retrying(lambda: self._conn.execute(sql, params).fetchall(), self._busy_timeout)

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        with self.transaction(), self._errors():
            if params and params[0] == NO_PROFILE_YET:  # evaluated before the profile was made
                params = (self._profile_id, *params[1:])
            return self._conn.execute(sql, params).rowcount

    def _rows(self, table: Table[T], clause: str = "", params: Sequence[Any] = ()) -> list[T]:
        """The rows as records; a row that does not decode is left out and remembered
        (:meth:`skipped_rows`), never an error that breaks the whole read."""
        rows = self._query(f"{table.select_rowid} {clause}", (self._profile_id, *params))
        found: list[T] = []
        for row in rows:
            decoded = table.decode_checked(row[:-1], row[-1])
            if isinstance(decoded, DamagedRow):
                self._skip(decoded)
            else:
                found.append(decoded)
        return found

    def _skip(self, damaged: DamagedRow) -> None:
        self._skipped[(damaged.table, damaged.rowid)] = (damaged, self.data_stamp())

    # -- rows that do not decode (issue 18 item 6) --------------------------------------------

    def skipped_rows(self) -> list[DamagedRow]:
        """The rows reads left out since the data last changed."""
        if not self._skipped:
            return []
        stamp = self.data_stamp()
        return [row for row, seen in self._skipped.values() if seen == stamp]

    def damaged_rows(self) -> list[DamagedRow]:
        """Every row of this profile that does not decode (a full scan)."""
        found: list[DamagedRow] = []
        for table in TABLES:
            rows = self._query(f"{table.select_rowid} ORDER BY rowid", (self._profile_id,))
            for row in rows:
                decoded = table.decode_checked(row[:-1], row[-1])
                if isinstance(decoded, DamagedRow):
                    found.append(decoded)
        return found + self._damaged_settings()

    def _damaged_settings(self) -> list[DamagedRow]:
        return []

    def delete_damaged_row(self, table: str, rowid: int) -> bool:
        """Delete one row of this profile named by :meth:`damaged_rows` (by rowid: its id may be
        the damaged value)."""
        names = {t.name for t in TABLES} | {"settings"}
        if table not in names:
            return False
        deleted = self._write(
            f"DELETE FROM {table} WHERE profile_id = ? AND rowid = ?", (self._profile_id, rowid)
        )
        self._skipped.pop((table, rowid), None)
        return deleted > 0

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
