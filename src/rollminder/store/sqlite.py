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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from rollminder.errors import StorageError
from rollminder.model import (
    ClinicianAnswer,
    Hold,
    Pause,
    Plan,
    Roller,
    Series,
    Session,
    Settings,
    Skip,
    Visit,
)

if TYPE_CHECKING:
    from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery, Snooze
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
from rollminder.store.rows import (
    CLINICIAN,
    HOLDS,
    PAUSES,
    PLANS,
    ROLLERS,
    SERIES,
    SESSIONS,
    SKIPS,
    TABLES,
    VISITS,
    Table,
    channels_table,
    instant,
    time_range,
)

__all__ = [
    "BACKUP_KEEP",
    "BUSY_TIMEOUT",
    "TABLES",
    "SqliteStore",
    "latest_backup",
    "list_backups",
    "restore_backup",
]

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


class SqliteStore:
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

    def __enter__(self) -> SqliteStore:
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

    # -- plans ------------------------------------------------------------------------------------

    def plan(self) -> Plan | None:
        found = self._rows(PLANS, "ORDER BY created_at DESC, rowid DESC LIMIT 1")
        return found[0] if found else None

    def plans(self) -> list[Plan]:
        return self._rows(PLANS, "ORDER BY created_at, rowid")

    def put_plan(self, plan: Plan) -> None:
        self._put(PLANS, plan)

    # -- sessions ---------------------------------------------------------------------------------

    def sessions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Session]:
        clause, params = time_range('"start"', since, until)
        return self._rows(SESSIONS, f'{clause} ORDER BY "start", rowid', params)

    def session(self, id: str) -> Session | None:
        found = self._rows(SESSIONS, "AND id = ?", (id,))
        return found[0] if found else None

    def last_session(self, before: dt.datetime | None = None) -> Session | None:
        clause, params = time_range('"start"', None, before)
        found = self._rows(SESSIONS, f'{clause} ORDER BY "start" DESC, rowid DESC LIMIT 1', params)
        return found[0] if found else None

    def put_session(self, session: Session) -> None:
        self._put(SESSIONS, session)

    def delete_session(self, id: str) -> bool:
        return self._delete(SESSIONS, id)

    def count_sessions(self, roller_id: str | None = None) -> int:
        sql = "SELECT count(*) FROM sessions WHERE profile_id = ?"
        if roller_id is None:
            return int(self._query(sql, (self._profile_id,))[0][0])
        return int(self._query(f"{sql} AND roller_id = ?", (self._profile_id, roller_id))[0][0])

    # -- skips, pauses, rollers, visits, series ---------------------------------------------------

    def skips(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Skip]:
        clause, params = time_range("slot", since, until)
        return self._rows(SKIPS, f"{clause} ORDER BY slot, rowid", params)

    def put_skip(self, skip: Skip) -> None:
        self._put(SKIPS, skip)

    def delete_skip(self, id: str) -> bool:
        return self._delete(SKIPS, id)

    def pauses(self) -> list[Pause]:
        return self._rows(PAUSES, 'ORDER BY "first", rowid')

    def put_pause(self, pause: Pause) -> None:
        self._put(PAUSES, pause)

    def delete_pause(self, id: str) -> bool:
        return self._delete(PAUSES, id)

    def rollers(self) -> list[Roller]:
        return self._rows(ROLLERS, "ORDER BY added, created_at, rowid")

    def put_roller(self, roller: Roller) -> None:
        self._put(ROLLERS, roller)

    def delete_roller(self, id: str) -> bool:
        return self._delete(ROLLERS, id)

    def visits(self) -> list[Visit]:
        return self._rows(VISITS, 'ORDER BY "at", rowid')

    def put_visit(self, visit: Visit) -> None:
        self._put(VISITS, visit)

    def delete_visit(self, id: str) -> bool:
        return self._delete(VISITS, id)

    def series(self) -> list[Series]:
        return self._rows(SERIES, "ORDER BY created_at, rowid")

    def put_series(self, series: Series) -> None:
        self._put(SERIES, series)

    def delete_series(self, id: str) -> bool:
        return self._delete(SERIES, id)

    # -- settings ---------------------------------------------------------------------------------

    def settings(self) -> Settings:
        rows = self._query(
            'SELECT "key", value FROM settings WHERE profile_id = ?', (self._profile_id,)
        )
        known = {f.name for f in dataclasses.fields(Settings)}
        return Settings(**{key: json.loads(value) for key, value in rows if key in known})

    def put_settings(self, settings: Settings) -> None:
        sql = (
            'INSERT INTO settings (profile_id, "key", value) VALUES (?, ?, ?) '
            'ON CONFLICT (profile_id, "key") DO UPDATE SET value = excluded.value'
        )
        with self.transaction(), self._errors():
            for key, value in dataclasses.asdict(settings).items():
                self._conn.execute(sql, (self._profile_id, key, json.dumps(value)))

    # -- reminders (issue #5) ---------------------------------------------------------------------

    def channels(self) -> list[ChannelConfig]:
        return self._rows(channels_table(), "ORDER BY created_at, rowid")

    def put_channel(self, channel: ChannelConfig) -> None:
        self._put(channels_table(), channel)

    def delete_channel(self, id: str) -> bool:
        with self.transaction(), self._errors():
            self._conn.execute(
                "DELETE FROM channel_status WHERE profile_id = ? AND channel = ?",
                (self._profile_id, id),
            )
            return self._delete(channels_table(), id)

    def has_channels(self) -> bool:
        """Whether any channel is set up: one cheap query for `rollminder next`."""
        return bool(
            self._query("SELECT 1 FROM channels WHERE profile_id = ? LIMIT 1", (self._profile_id,))
        )

    def channel_statuses(self) -> dict[str, ChannelStatus]:
        from rollminder.remind.records import ChannelStatus

        rows = self._query(
            "SELECT channel, failures, last_error, last_error_at, last_sent_at, retry_at "
            "FROM channel_status WHERE profile_id = ?",
            (self._profile_id,),
        )
        return {
            r[0]: ChannelStatus(r[0], r[1], r[2], _opt_instant(r[3]), _opt_instant(r[4]),
                                _opt_instant(r[5]))
            for r in rows
        }  # fmt: skip

    def put_channel_status(self, status: ChannelStatus) -> None:
        self._write(
            "INSERT INTO channel_status (profile_id, channel, failures, last_error, "
            "last_error_at, last_sent_at, retry_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (profile_id, channel) DO UPDATE SET failures = excluded.failures, "
            "last_error = excluded.last_error, last_error_at = excluded.last_error_at, "
            "last_sent_at = excluded.last_sent_at, retry_at = excluded.retry_at",
            (
                self._profile_id,
                status.channel,
                status.failures,
                status.last_error,
                _opt(status.last_error_at),
                _opt(status.last_sent_at),
                _opt(status.retry_at),
            ),
        )

    def deliveries(self, since: dt.datetime | None = None) -> list[Delivery]:
        """Ledger rows whose reminder was due at or after ``since``, by due time."""
        clause, params = time_range("due_at", since, None)
        rows = self._query(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE profile_id = ? {clause} "
            "ORDER BY due_at, rowid",
            (self._profile_id, *params),
        )
        return [_delivery(r) for r in rows]

    def claim_delivery(self, delivery: Delivery, *, replacing: str | None = None) -> bool:
        """Insert the claim; False when the key is already in the ledger. With ``replacing``,
        take over a claim still held by that (dead) owner instead."""
        values = _delivery_values(delivery)
        if replacing is None:
            sql = (
                f"INSERT INTO deliveries (profile_id, {_DELIVERY_COLUMNS}) VALUES "
                f"(?, {', '.join('?' * len(values))}) ON CONFLICT DO NOTHING"
            )
            return self._write(sql, (self._profile_id, *values)) > 0
        sql = (
            "UPDATE deliveries SET owner = ?, claimed_at = ?, due_at = ?, late = ?, "
            "attempts = attempts + 1 WHERE profile_id = ? AND slot = ? AND kind = ? "
            "AND channel = ? AND state = 'claimed' AND owner = ?"
        )
        params = (
            delivery.owner,
            instant(delivery.claimed_at),
            instant(delivery.due_at),
            int(delivery.late),
            self._profile_id,
            delivery.slot,
            delivery.kind,
            delivery.channel,
            replacing,
        )
        return self._write(sql, params) > 0

    def put_delivery(self, delivery: Delivery) -> None:
        values = _delivery_values(delivery)
        sql = (
            f"INSERT INTO deliveries (profile_id, {_DELIVERY_COLUMNS}) VALUES "
            f"(?, {', '.join('?' * len(values))}) ON CONFLICT (profile_id, slot, kind, channel) "
            "DO UPDATE SET state = excluded.state, sent_at = excluded.sent_at, "
            "recorded_at = excluded.recorded_at, owner = excluded.owner"
        )
        self._write(sql, (self._profile_id, *values))

    def delete_delivery(self, slot: str, kind: str, channel: str) -> bool:
        sql = (
            "DELETE FROM deliveries WHERE profile_id = ? AND slot = ? AND kind = ? AND channel = ?"
        )
        return self._write(sql, (self._profile_id, slot, kind, channel)) > 0

    def snoozes(self) -> list[Snooze]:
        from rollminder.remind.records import Snooze

        rows = self._query(
            'SELECT slot, n, "until", created_at FROM snoozes WHERE profile_id = ? '
            "ORDER BY slot, n",
            (self._profile_id,),
        )
        return [Snooze(r[0], r[1], _parse(r[2]), created_at=_parse(r[3])) for r in rows]

    def put_snooze(self, snooze: Snooze) -> None:
        self._write(
            'INSERT INTO snoozes (profile_id, slot, n, "until", created_at) VALUES (?, ?, ?, ?, ?) '
            'ON CONFLICT (profile_id, slot, n) DO UPDATE SET "until" = excluded."until"',
            (
                self._profile_id,
                snooze.slot,
                snooze.n,
                instant(snooze.until),
                instant(snooze.created_at),
            ),
        )

    def reminder_state(self, key: str) -> str | None:
        rows = self._query(
            'SELECT value FROM reminder_state WHERE profile_id = ? AND "key" = ?',
            (self._profile_id, key),
        )
        return str(rows[0][0]) if rows else None

    def put_reminder_state(self, key: str, value: str) -> None:
        self._write(
            'INSERT INTO reminder_state (profile_id, "key", value) VALUES (?, ?, ?) '
            'ON CONFLICT (profile_id, "key") DO UPDATE SET value = excluded.value',
            (self._profile_id, key, value),
        )

    # -- the pre-session check (issue 4) ---------------------------------------------------------

    def holds(self) -> list[Hold]:
        return self._rows(HOLDS, 'ORDER BY "until", since, rowid')

    def put_hold(self, hold: Hold) -> None:
        self._put(HOLDS, hold)

    def delete_hold(self, id: str) -> bool:
        return self._delete(HOLDS, id)

    def clinician_answers(self) -> list[ClinicianAnswer]:
        return self._rows(CLINICIAN, "ORDER BY question, rowid")

    def put_clinician_answer(self, answer: ClinicianAnswer) -> None:
        self._put(CLINICIAN, answer)

    # -- web (issue 7) ----------------------------------------------------------------------------
    # The web app's secrets (password hash, session key, feed and action tokens) are rows of the
    # settings table under a "web:" prefix: ``settings()`` reads only the Settings fields, so they
    # never show in the settings listing or in an export, and they need no migration.

    def secret(self, name: str) -> str | None:
        rows = self._query(
            'SELECT value FROM settings WHERE profile_id = ? AND "key" = ?',
            (self._profile_id, f"web:{name}"),
        )
        return str(json.loads(rows[0][0])) if rows else None

    def put_secret(self, name: str, value: str) -> None:
        sql = (
            'INSERT INTO settings (profile_id, "key", value) VALUES (?, ?, ?) '
            'ON CONFLICT (profile_id, "key") DO UPDATE SET value = excluded.value'
        )
        self._write(sql, (self._profile_id, f"web:{name}", json.dumps(value)))

    def delete_secret(self, name: str) -> bool:
        sql = 'DELETE FROM settings WHERE profile_id = ? AND "key" = ?'
        return self._write(sql, (self._profile_id, f"web:{name}")) > 0


_DELIVERY_COLUMNS = (
    "slot, kind, channel, state, due_at, claimed_at, owner, sent_at, recorded_at, late, attempts"
)


def _parse(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is dt.UTC else parsed.astimezone(dt.UTC)


def _opt_instant(text: str | None) -> dt.datetime | None:
    return None if text is None else _parse(text)


def _opt(value: dt.datetime | None) -> str | None:
    return None if value is None else instant(value)


def _delivery_values(d: Delivery) -> tuple[Any, ...]:
    return (
        d.slot,
        d.kind,
        d.channel,
        d.state,
        instant(d.due_at),
        instant(d.claimed_at),
        d.owner,
        _opt(d.sent_at),
        _opt(d.recorded_at),
        int(d.late),
        d.attempts,
    )


def _delivery(r: Sequence[Any]) -> Delivery:
    from rollminder.remind.records import Delivery

    return Delivery(
        slot=r[0],
        kind=r[1],
        channel=r[2],
        state=r[3],
        due_at=_parse(r[4]),
        claimed_at=_parse(r[5]),
        owner=r[6],
        sent_at=_opt_instant(r[7]),
        recorded_at=_opt_instant(r[8]),
        late=bool(r[9]),
        attempts=int(r[10]),
    )


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
    from rollminder.store import Store

    def _conforms(store: SqliteStore) -> Store:
        return store  # mypy checks that SqliteStore has every role of Store
