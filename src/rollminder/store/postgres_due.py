"""The due index on PostgreSQL (issue 16): the profile's rows (:class:`PostgresDueIndex`, mixed
into :class:`~rollminder.store.postgres.PostgresStore`) and the queue the workers claim from
across every profile (:class:`DueQueue`).

A claim is ``rollminder_claim_due_after()`` (schema 13; schema 6's ``rollminder_claim_due()``
read from the start every time): the due rows, oldest first from where the queue's last claim
ended, ``FOR UPDATE SKIP LOCKED`` (two workers never take the same row, and never wait for each
other), leased to the worker for a while; the worker runs the profile's delivery pass, writes
the profile's new instants (the lease stays on an unchanged row) and releases its leases. A
worker killed holding a lease loses nothing: the row is claimed again when the lease ends, and
the delivery ledger decides what was sent (see rollminder.remind.engine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from rollminder.store.postgres_base import PostgresBase, give_back, pool_for, storage_error, take
from rollminder.store.postgres_rows import instant, utc


class PostgresDueIndex(PostgresBase):
    """The profile's rows of ``due_reminders``."""

    def due_index(self) -> dict[str, dt.datetime]:
        rows = self._query(
            "SELECT routine, due_at FROM due_reminders WHERE profile = %s ORDER BY routine"
        )
        return {str(r[0]): utc(r[1]) for r in rows}

    def put_due_index(self, entries: Mapping[str, dt.datetime]) -> None:
        routines = sorted(entries)
        values = [(r, instant(entries[r])) for r in routines]
        with self.transaction():
            self._write(
                "DELETE FROM due_reminders WHERE profile = %s AND NOT (routine = ANY(%s::text[]))",
                (routines,),
            )
            if values:
                self._write_many(
                    "INSERT INTO due_reminders (profile, routine, due_at) VALUES (%s, %s, %s) "
                    "ON CONFLICT (profile, routine) DO UPDATE SET due_at = excluded.due_at "
                    "WHERE due_reminders.due_at IS DISTINCT FROM excluded.due_at",
                    values,
                )
            # Whatever moved the index may change the next pass: its prepared form is dropped
            # and the version moves (a pass prepared from what was read before is not stored).
            self._write("UPDATE due_reminders SET prepared = false WHERE profile = %s AND prepared")
            self._write(
                "INSERT INTO due_prepared (profile_id, version) VALUES (%s, 1) "
                "ON CONFLICT (profile_id) DO UPDATE SET version = due_prepared.version + 1, "
                "payload = NULL, at = NULL, valid_until = NULL"
            )

    def due_prepared_version(self) -> int:
        """The version of the profile's prepared pass (0: none yet); read before preparing."""
        return self._count("SELECT version FROM due_prepared WHERE profile_id = %s")

    def put_due_prepared(
        self, version: int, payload: str | None, at: dt.datetime | None,
        valid_until: dt.datetime | None,
    ) -> bool:  # fmt: skip
        """Store the profile's prepared pass (None: it cannot be prepared) unless a write moved
        the version since ``version`` was read; whether it was stored."""
        with self.transaction():
            stored = self._write(
                "INSERT INTO due_prepared AS x (profile_id, version, payload, at, valid_until) "
                "VALUES (%s, %s + 1, %s::jsonb, %s, %s) ON CONFLICT (profile_id) DO UPDATE "
                "SET version = excluded.version, payload = excluded.payload, at = excluded.at, "
                "valid_until = excluded.valid_until WHERE x.version = %s",
                (version, payload, at and instant(at),
                 valid_until and instant(valid_until), version),
            )  # fmt: skip
            if stored:
                self._write("UPDATE due_reminders SET prepared = true WHERE profile = %s")
        return bool(stored)


@dataclass(frozen=True)
class DueClaim:
    """A due row a worker holds: whose (the profile's name and account), which routine, when."""

    profile_id: int
    profile: str
    account: int | None
    routine: str
    due_at: dt.datetime


@dataclass(frozen=True)
class Ready:
    """A profile's prepared pass as a worker takes it (rollminder.remind.prepared)."""

    profile_id: int
    version: int
    payload: dict[str, Any]
    channels: list[dict[str, Any]]
    secrets: dict[str, str]


@dataclass(frozen=True)
class Backlog:
    due: int  # rows due now
    leased: int  # of which a worker holds
    oldest: dt.datetime | None  # the oldest due instant


class DueQueue:
    """What the workers claim, across every profile of the database at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pool = pool_for(url)
        #: The key (due_at, profile, routine) of the last row this queue claimed: the next claim
        #: reads on from there (schema 13); None: from the beginning.
        self._after: tuple[dt.datetime, int, str] | None = None

    def _run(self, sql: str, params: Sequence[Any]) -> list[Any]:
        def run(conn: Any) -> list[Any]:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

        try:
            conn, rows = take(self.pool, run)
        except Exception as exc:
            import psycopg

            if isinstance(exc, psycopg.Error):
                raise storage_error(exc, self.url) from exc
            raise
        give_back(self.pool, conn)
        return rows

    def claim(
        self, now: dt.datetime, batch: int, owner: str, lease: dt.timedelta
    ) -> list[DueClaim]:
        """Up to ``batch`` due rows, oldest first from where this queue's last claim ended,
        leased to ``owner`` until ``now + lease``. A claim that finds fewer rows than ``batch``
        makes the next one start from the beginning again (rows released or due since behind
        the point reached are found then)."""
        after = self._after or (None, None, None)
        rows = self._run(
            "SELECT profile_id, profile_name, account_id, routine, due_at FROM "
            "rollminder_claim_due_after(%s, %s, %s, %s, %s, %s, %s)",
            (instant(now), batch, owner, lease, *after),
        )
        claims = [DueClaim(int(r[0]), str(r[1]), r[2], str(r[3]), utc(r[4])) for r in rows]
        if len(claims) < batch:
            self._after = None
        else:
            last = rows[-1]
            self._after = (last[4], int(last[0]), str(last[3]))
        return claims

    def release(self, owner: str, claims: Sequence[DueClaim]) -> None:
        """End ``owner``'s leases on the rows of the profiles of ``claims``."""
        if not claims:
            return
        ids = sorted({c.profile_id for c in claims})
        self._run(
            "UPDATE due_reminders SET leased_until = NULL, leased_by = '' "
            "WHERE profile = ANY(%s::bigint[]) AND leased_by = %s",
            (ids, owner),
        )

    def claim_unprepared(
        self, now: dt.datetime, horizon: dt.timedelta, batch: int, owner: str,
        lease: dt.timedelta,
    ) -> list[DueClaim]:  # fmt: skip
        """Up to ``batch`` rows due within ``horizon`` whose profile's pass is not prepared,
        leased to ``owner`` (an idle worker prepares them)."""
        rows = self._run(
            "SELECT profile_id, profile_name, account_id, routine, due_at FROM "
            "rollminder_claim_unprepared(%s, %s, %s, %s, %s)",
            (instant(now), horizon, batch, owner, lease),
        )
        return [DueClaim(int(r[0]), str(r[1]), r[2], str(r[3]), utc(r[4])) for r in rows]

    def take_prepared(self, ids: Sequence[int], now: dt.datetime, owner: str) -> list[Ready]:
        """The prepared passes of the profiles ``ids`` (whose due rows ``owner`` holds) that
        hold at ``now``, with each profile's channels and the secrets their sends need."""
        rows = self._run(
            "SELECT profile_id, version, payload, channels, secrets FROM "
            "rollminder_take_prepared(%s::bigint[], %s, %s)",
            (sorted(ids), instant(now), owner),
        )
        return [Ready(int(r[0]), int(r[1]), r[2], list(r[3] or []), dict(r[4] or {}))
                for r in rows]  # fmt: skip

    def claim_prepared(
        self, now: dt.datetime, owner: str, wanted: Sequence[Mapping[str, Any]]
    ) -> set[tuple[int, str, str, str]]:
        """Claim the ledger rows ``wanted`` (p, slot, kind, channel, due_at, late) in one
        statement; the (profile, slot, kind, channel) claimed (a row already there is not)."""
        if not wanted:
            return set()
        rows = self._run(
            "SELECT profile_id, slot, kind, channel FROM rollminder_claim_prepared(%s, %s, %s)",
            (instant(now), owner, Jsonb(list(wanted))),
        )
        return {(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows}

    def record_prepared(
        self, now: dt.datetime, owner: str, sent: Sequence[Mapping[str, Any]],
        failed: Sequence[Mapping[str, Any]], advance: Sequence[Mapping[str, Any]],
    ) -> int:  # fmt: skip
        """In one transaction: ``sent`` claims recorded (with their channels' health), ``failed``
        ones released, and the profiles of ``advance`` (p, version, next) moved to their next
        instants unless a write came between; the number advanced."""
        rows = self._run(
            "SELECT rollminder_record_prepared(%s, %s, %s, %s, %s)",
            (instant(now), owner, Jsonb(list(sent)), Jsonb(list(failed)), Jsonb(list(advance))),
        )
        return int(rows[0][0]) if rows else 0

    def backlog(self, now: dt.datetime) -> Backlog:
        rows = self._run("SELECT due, leased, oldest FROM rollminder_due_backlog(%s)", (now,))
        due, leased, oldest = rows[0] if rows else (0, 0, None)
        return Backlog(int(due or 0), int(leased or 0), utc(oldest) if oldest else None)

    def profiles(self) -> list[tuple[str, int | None]]:
        """Every profile (name, account) the connection's role can see: for ``--rebuild``,
        which runs as a role that sees them all (the schema's owner)."""
        rows = self._run("SELECT name, account_id FROM profiles ORDER BY id", ())
        return [(str(r[0]), r[1]) for r in rows]
