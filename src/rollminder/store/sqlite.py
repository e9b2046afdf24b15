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
from typing import TYPE_CHECKING

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
from rollminder.store.backups import BACKUP_KEEP, latest_backup, list_backups, restore_backup
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
    time_range,
)
from rollminder.store.sqlite_base import BUSY_TIMEOUT
from rollminder.store.sqlite_ledger import LedgerRows

__all__ = [
    "BACKUP_KEEP",
    "BUSY_TIMEOUT",
    "TABLES",
    "SqliteStore",
    "latest_backup",
    "list_backups",
    "restore_backup",
]


class SqliteStore(LedgerRows):
    """The :class:`~rollminder.store.Store` for one profile of one SQLite file: the connection
    and transactions (:class:`~rollminder.store.sqlite_base.SqliteBase`), the reminder ledger and
    secrets (:class:`~rollminder.store.sqlite_ledger.LedgerRows`) and, here, the plan and the log.

    Open it with :meth:`open`. Use it from one thread (sqlite3's default check).
    """

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


if TYPE_CHECKING:
    from rollminder.store import Store

    def _conforms(store: SqliteStore) -> Store:
        return store  # mypy checks that SqliteStore has every role of Store
