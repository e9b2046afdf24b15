"""The PostgreSQL rows of the plan, the log and the secrets (see :mod:`.postgres_rows`).

Mixed into :class:`~rollminder.store.postgres.PostgresStore`: :class:`PostgresPlanStore`,
:class:`PostgresLogStore` and :class:`PostgresSecretStore` implement the roles of the same names
in :mod:`rollminder.store.roles`. Every statement names the profile (``profile_id = %s``, its id
prepended by :class:`~.postgres_base.PostgresBase`); row-level security is the second wall.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from rollminder.model import (
    ClinicianAnswer,
    Hold,
    Pause,
    Plan,
    Roller,
    Routine,
    Series,
    Session,
    Settings,
    Skip,
    UndoStep,
    Visit,
)
from rollminder.store.postgres_base import PostgresBase
from rollminder.store.postgres_rows import (
    CLINICIAN,
    HOLDS,
    PAUSES,
    PLANS,
    ROLLERS,
    ROUTINES,
    SERIES,
    SESSIONS,
    SKIPS,
    UNDO_STEPS,
    VISITS,
    time_range,
)

_SETTING_UPSERT = (
    'INSERT INTO settings (profile_id, "key", value) VALUES (%s, %s, %s) '
    'ON CONFLICT (profile_id, "key") DO UPDATE SET value = excluded.value'
)


class PostgresPlanStore(PostgresBase):
    """Plan versions and settings (one row per setting, its value as JSON)."""

    def plan(self) -> Plan | None:
        found = self._rows(PLANS, "ORDER BY created_at DESC, seq DESC LIMIT 1")
        return found[0] if found else None

    def plans(self) -> list[Plan]:
        return self._rows(PLANS, "ORDER BY created_at, seq")

    def put_plan(self, plan: Plan) -> None:
        self._put(PLANS, plan)

    def settings(self) -> Settings:
        rows = self._query('SELECT "key", value FROM settings WHERE profile_id = %s')
        known = {f.name for f in dataclasses.fields(Settings)}
        return Settings(**{key: json.loads(value) for key, value in rows if key in known})

    def put_settings(self, settings: Settings) -> None:
        values = dataclasses.asdict(settings).items()
        self._write_many(_SETTING_UPSERT, [(key, json.dumps(value)) for key, value in values])


class PostgresLogStore(PostgresBase):
    """Sessions, skips, pauses, rollers, visits, series, holds and clinician answers."""

    def sessions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Session]:
        clause, params = time_range('"start"', since, until)
        return self._rows(SESSIONS, f'{clause} ORDER BY "start", seq', params)

    def session(self, id: str) -> Session | None:
        found = self._rows(SESSIONS, "AND id = %s", (id,))
        return found[0] if found else None

    def last_session(self, before: dt.datetime | None = None) -> Session | None:
        clause, params = time_range('"start"', None, before)
        found = self._rows(SESSIONS, f'{clause} ORDER BY "start" DESC, seq DESC LIMIT 1', params)
        return found[0] if found else None

    def put_session(self, session: Session) -> None:
        self._put(SESSIONS, session)

    def delete_session(self, id: str) -> bool:
        return self._delete(SESSIONS, id)

    def count_sessions(self, roller_id: str | None = None) -> int:
        sql = "SELECT count(*) FROM sessions WHERE profile_id = %s"
        if roller_id is None:
            return self._count(sql)
        return self._count(f"{sql} AND roller_id = %s", (roller_id,))

    # -- skips, pauses, rollers, visits, series ---------------------------------------------------

    def skips(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Skip]:
        clause, params = time_range("slot", since, until)
        return self._rows(SKIPS, f"{clause} ORDER BY slot, seq", params)

    def put_skip(self, skip: Skip) -> None:
        self._put(SKIPS, skip)

    def delete_skip(self, id: str) -> bool:
        return self._delete(SKIPS, id)

    def pauses(self) -> list[Pause]:
        return self._rows(PAUSES, 'ORDER BY "first", seq')

    def put_pause(self, pause: Pause) -> None:
        self._put(PAUSES, pause)

    def delete_pause(self, id: str) -> bool:
        return self._delete(PAUSES, id)

    def rollers(self) -> list[Roller]:
        return self._rows(ROLLERS, "ORDER BY added, created_at, seq")

    def put_roller(self, roller: Roller) -> None:
        self._put(ROLLERS, roller)

    def delete_roller(self, id: str) -> bool:
        return self._delete(ROLLERS, id)

    def visits(self) -> list[Visit]:
        return self._rows(VISITS, 'ORDER BY "at", seq')

    def put_visit(self, visit: Visit) -> None:
        self._put(VISITS, visit)

    def delete_visit(self, id: str) -> bool:
        return self._delete(VISITS, id)

    def series(self) -> list[Series]:
        return self._rows(SERIES, "ORDER BY created_at, seq")

    def put_series(self, series: Series) -> None:
        self._put(SERIES, series)

    def delete_series(self, id: str) -> bool:
        return self._delete(SERIES, id)

    def holds(self) -> list[Hold]:
        return self._rows(HOLDS, 'ORDER BY "until", since, seq')

    def put_hold(self, hold: Hold) -> None:
        self._put(HOLDS, hold)

    def delete_hold(self, id: str) -> bool:
        return self._delete(HOLDS, id)

    def clinician_answers(self) -> list[ClinicianAnswer]:
        return self._rows(CLINICIAN, 'ORDER BY question COLLATE "C", seq')

    def put_clinician_answer(self, answer: ClinicianAnswer) -> None:
        self._put(CLINICIAN, answer)


class PostgresSecretStore(PostgresBase):
    """The web app's secrets (password hash, session key, feed and action tokens): a table of
    their own, so ``settings()`` and an export never read them.

    Read inside a write transaction, a secret is first locked (a transaction-level advisory lock
    on the profile and the name): "read it, make it if missing" (``Rollminder.token``: the
    session key, the feed's token) then runs one process at a time, so several serve processes
    starting together agree on one value instead of each keeping its own."""

    def secret(self, name: str) -> str | None:
        sql = "SELECT value FROM secrets WHERE profile_id = %s AND name = %s"
        if self._conn is not None:  # a write transaction: "read, then make if missing"
            self._conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (f"rollminder secret {len(self.profile)}:{self.profile}:{name}",),
            )
        rows = self._query(sql, (name,))
        return str(rows[0][0]) if rows else None

    def put_secret(self, name: str, value: str) -> None:
        self._write(
            "INSERT INTO secrets (profile_id, name, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (profile_id, name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def delete_secret(self, name: str) -> bool:
        sql = "DELETE FROM secrets WHERE profile_id = %s AND name = %s"
        return self._write(sql, (name,)) > 0


class PostgresUndoJournal(PostgresBase):
    """The steps undo can take back (schema version 2)."""

    def undo_steps(self) -> list[UndoStep]:
        return self._rows(UNDO_STEPS, "ORDER BY created_at, seq")

    def put_undo_step(self, step: UndoStep) -> None:
        self._put(UNDO_STEPS, step)

    def delete_undo_step(self, id: str) -> bool:
        return self._delete(UNDO_STEPS, id)


class PostgresRoutines(PostgresBase):
    """The profile's routines (schema version 3)."""

    def routines(self) -> list[Routine]:
        return self._rows(ROUTINES, "ORDER BY created_at, seq")

    def put_routine(self, routine: Routine) -> None:
        self._put(ROUTINES, routine)

    def delete_routine(self, id: str) -> bool:
        return self._delete(ROUTINES, id)
