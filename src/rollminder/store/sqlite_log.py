"""The SQLite rows of the plan, the log and the secrets (see :mod:`.rows` for the mapping).

Mixed into :class:`~rollminder.store.sqlite.SqliteStore`: :class:`SqlitePlanStore`,
:class:`SqliteLogStore` and :class:`SqliteSecretStore` implement the roles of the same names in
:mod:`rollminder.store.roles`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from rollminder.damage import DamagedRow
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
from rollminder.store.rows import (
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
from rollminder.store.sqlite_base import SqliteBase

_SETTING_UPSERT = (
    'INSERT INTO settings (profile_id, "key", value) VALUES (?, ?, ?) '
    'ON CONFLICT (profile_id, "key") DO UPDATE SET value = excluded.value'
)


class SqlitePlanStore(SqliteBase):
    """Plan versions and settings (one row per setting, its value as JSON)."""

    def plan(self) -> Plan | None:
        # The newest version that decodes (a damaged one is left out and named, issue 18).
        found = self._rows(PLANS, "ORDER BY created_at DESC, rowid DESC")
        return found[0] if found else None

    def plans(self) -> list[Plan]:
        return self._rows(PLANS, "ORDER BY created_at, rowid")

    def put_plan(self, plan: Plan) -> None:
        self._put(PLANS, plan)

    def settings(self) -> Settings:
        values, damaged = self._setting_rows()
        for row in damaged:
            self._skip(row)
        return Settings(**values)

    def _setting_rows(self) -> tuple[dict[str, Any], list[DamagedRow]]:
        """The settings that decode (each of its field's type: whole numbers, or text for the
        travel's) and those that don't (left out: their default applies)."""
        rows = self._query(
            'SELECT "key", value, rowid FROM settings WHERE profile_id = ?', (self._profile_id,)
        )
        kinds = {f.name: type(f.default) for f in dataclasses.fields(Settings)}
        values: dict[str, Any] = {}
        damaged: list[DamagedRow] = []
        for key, text, rowid in rows:
            if key not in kinds:
                continue
            try:
                value = json.loads(text)
                if not isinstance(value, kinds[key]) or isinstance(value, bool):
                    raise TypeError(f"expected {'text' if kinds[key] is str else 'a whole number'}")
            except (TypeError, ValueError) as exc:
                shown = text if isinstance(text, str) else repr(text)
                problem = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
                damaged.append(DamagedRow("settings", key, rowid, "value", shown[:80], problem))
                continue
            values[key] = value
        return values, damaged

    def _damaged_settings(self) -> list[DamagedRow]:
        return self._setting_rows()[1]

    def put_settings(self, settings: Settings) -> None:
        with self.transaction(), self._errors():
            for key, value in dataclasses.asdict(settings).items():
                self._conn.execute(_SETTING_UPSERT, (self._profile_id, key, json.dumps(value)))


class SqliteLogStore(SqliteBase):
    """Sessions, skips, pauses, rollers, visits, series, holds and clinician answers."""

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


class SqliteSecretStore(SqliteBase):
    """The web app's secrets (password hash, session key, feed and action tokens) are rows of the
    settings table under a "web:" prefix: ``settings()`` reads only the Settings fields, so they
    never show in the settings listing or in an export, and they need no migration."""

    def secret(self, name: str) -> str | None:
        rows = self._query(
            'SELECT value FROM settings WHERE profile_id = ? AND "key" = ?',
            (self._profile_id, f"web:{name}"),
        )
        return str(json.loads(rows[0][0])) if rows else None

    def put_secret(self, name: str, value: str) -> None:
        self._write(_SETTING_UPSERT, (self._profile_id, f"web:{name}", json.dumps(value)))

    def delete_secret(self, name: str) -> bool:
        sql = 'DELETE FROM settings WHERE profile_id = ? AND "key" = ?'
        return self._write(sql, (self._profile_id, f"web:{name}")) > 0


class SqliteUndoJournal(SqliteBase):
    """The steps undo can take back (migration 7)."""

    def undo_steps(self) -> list[UndoStep]:
        return self._rows(UNDO_STEPS, "ORDER BY created_at, rowid")

    def put_undo_step(self, step: UndoStep) -> None:
        self._put(UNDO_STEPS, step)

    def delete_undo_step(self, id: str) -> bool:
        return self._delete(UNDO_STEPS, id)


class SqliteRoutines(SqliteBase):
    """The profile's routines (migration 8)."""

    def routines(self) -> list[Routine]:
        return self._rows(ROUTINES, "ORDER BY created_at, rowid")

    def put_routine(self, routine: Routine) -> None:
        self._put(ROUTINES, routine)

    def delete_routine(self, id: str) -> bool:
        return self._delete(ROUTINES, id)
