"""The real store: one SQLite file shared by the CLI, the web app and the reminder daemon.

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

The code is split by concern: :mod:`.sqlite_base` (the connection, busy handling, transactions,
errors, backups of an open store), :mod:`.sqlite_log` (plan, settings, log rows, secrets),
:mod:`.sqlite_ledger` (the reminders' records); this module opens and migrates.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from rollminder.errors import StorageError
from rollminder.store import migrations
from rollminder.store.backups import (
    BACKUP_KEEP,
    backup_database,
    backup_hint,
    daily_backup_path,
    damaged_message,
    latest_backup,
    list_backups,
    prune_backups,
    restore_backup,
    storage_error,
)
from rollminder.store.due_state import DueInState
from rollminder.store.photo_store import SqlitePhotos
from rollminder.store.rows import TABLES, instant
from rollminder.store.sqlite_base import BUSY_TIMEOUT, retrying
from rollminder.store.sqlite_ledger import SqliteReminderLedger
from rollminder.store.sqlite_log import (
    SqliteLogStore,
    SqlitePlanStore,
    SqliteRoutines,
    SqliteSecretStore,
    SqliteUndoJournal,
)

if TYPE_CHECKING:
    from rollminder.store.roles import Store

__all__ = [
    "BACKUP_KEEP",
    "BUSY_TIMEOUT",
    "TABLES",
    "SqliteStore",
    "latest_backup",
    "list_backups",
    "restore_backup",
]


class SqliteStore(
    SqlitePhotos,  # first: its transaction() wraps SqliteBase's (files follow the commit)
    SqlitePlanStore,
    SqliteLogStore,
    SqliteReminderLedger,
    SqliteSecretStore,
    SqliteUndoJournal,
    SqliteRoutines,
    DueInState,
):
    """The :class:`~rollminder.store.Store` for one profile of one SQLite file.

    Open it with :meth:`open`. Use it from one thread (sqlite3's default check).
    """

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
    ) -> SqliteStore:
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
                # The profile's row is made by its first write (sqlite_base._profile_id), so a
                # command that fails or only reads leaves no empty profile behind (issue 18).
                store._opened_at = now
                store._profile_id = store._find_profile()
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
        app_id, version, tables = retrying(
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

    def _check_integrity(self) -> None:
        rows = retrying(
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


if TYPE_CHECKING:
    _implements_every_role: type[Store] = SqliteStore  # mypy fails here if a role drifts
