"""The PostgreSQL rows of the reminders (issue #5): channels and their health, the delivery
ledger with its claims, snoozes and the engine's state values.

:class:`PostgresReminderLedger` implements :class:`rollminder.store.roles.ReminderLedger` and is
mixed into :class:`~rollminder.store.postgres.PostgresStore`. The records are built from
:mod:`rollminder.remind.records`, imported on first use so that commands which never touch
reminders don't load them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rollminder.store.postgres_base import PostgresBase
from rollminder.store.postgres_rows import (
    channels_table,
    instant,
    opt_instant,
    opt_utc,
    time_range,
    utc,
)

if TYPE_CHECKING:
    from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery, Snooze


class PostgresReminderLedger(PostgresBase):
    """Channels, channel statuses, deliveries (claimed -> sent -> recorded), snoozes, state."""

    def channels(self) -> list[ChannelConfig]:
        return self._rows(channels_table(), "ORDER BY created_at, seq")

    def put_channel(self, channel: ChannelConfig) -> None:
        self._put(channels_table(), channel)

    def delete_channel(self, id: str) -> bool:
        with self.transaction():
            self._write("DELETE FROM channel_status WHERE profile_id = %s AND channel = %s", (id,))
            return self._delete(channels_table(), id)

    def has_channels(self) -> bool:
        """Whether any channel is set up: one cheap query for `rollminder next`."""
        return bool(self._query("SELECT 1 FROM channels WHERE profile_id = %s LIMIT 1"))

    def channel_statuses(self) -> dict[str, ChannelStatus]:
        from rollminder.remind.records import ChannelStatus

        rows = self._query(
            "SELECT channel, failures, last_error, last_error_at, last_sent_at, retry_at "
            "FROM channel_status WHERE profile_id = %s"
        )
        return {
            r[0]: ChannelStatus(r[0], r[1], r[2], opt_utc(r[3]), opt_utc(r[4]), opt_utc(r[5]))
            for r in rows
        }

    def put_channel_status(self, status: ChannelStatus) -> None:
        self._write(
            "INSERT INTO channel_status (profile_id, channel, failures, last_error, "
            "last_error_at, last_sent_at, retry_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (profile_id, channel) DO UPDATE SET failures = excluded.failures, "
            "last_error = excluded.last_error, last_error_at = excluded.last_error_at, "
            "last_sent_at = excluded.last_sent_at, retry_at = excluded.retry_at",
            (
                status.channel,
                status.failures,
                status.last_error,
                opt_instant(status.last_error_at),
                opt_instant(status.last_sent_at),
                opt_instant(status.retry_at),
            ),
        )

    def deliveries(self, since: dt.datetime | None = None) -> list[Delivery]:
        """Ledger rows whose reminder was due at or after ``since``, by due time."""
        clause, params = time_range("due_at", since, None)
        rows = self._query(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE profile_id = %s {clause} "
            "ORDER BY due_at, seq",
            params,
        )
        return [_delivery(r) for r in rows]

    def claim_delivery(self, delivery: Delivery, *, replacing: str | None = None) -> bool:
        """Insert the claim; False when the key is already in the ledger. With ``replacing``,
        take over a claim still held by that (dead) owner instead."""
        values = _delivery_values(delivery)
        if replacing is None:
            sql = (
                f"INSERT INTO deliveries (profile_id, {_DELIVERY_COLUMNS}) VALUES "
                f"(%s, {', '.join(['%s'] * len(values))}) "
                "ON CONFLICT (profile_id, key_digest) DO NOTHING"
            )
            return self._write(sql, values) > 0
        sql = (  # the profile's id comes first: the CTE takes it
            "WITH me AS (SELECT %s::bigint AS id) UPDATE deliveries SET owner = %s, "
            "claimed_at = %s, due_at = %s, late = %s, attempts = attempts + 1 "
            f"WHERE {_KEY.replace('profile_id = %s', 'profile_id = (SELECT id FROM me)')} "
            "AND state = 'claimed' AND owner = %s"
        )
        key = _key(delivery.slot, delivery.kind, delivery.channel)
        params = (
            delivery.owner,
            instant(delivery.claimed_at),
            instant(delivery.due_at),
            delivery.late,
            *key,
            replacing,
        )
        return self._write(sql, params) > 0

    def put_delivery(self, delivery: Delivery) -> None:
        values = _delivery_values(delivery)
        sql = (
            f"INSERT INTO deliveries (profile_id, {_DELIVERY_COLUMNS}) VALUES "
            f"(%s, {', '.join(['%s'] * len(values))}) ON CONFLICT (profile_id, key_digest) "
            "DO UPDATE SET state = excluded.state, sent_at = excluded.sent_at, "
            "recorded_at = excluded.recorded_at, owner = excluded.owner"
        )
        self._write(sql, values)

    def delete_delivery(self, slot: str, kind: str, channel: str) -> bool:
        sql = f"DELETE FROM deliveries WHERE {_KEY}"
        return self._write(sql, _key(slot, kind, channel)) > 0

    def snoozes(self) -> list[Snooze]:
        from rollminder.remind.records import Snooze

        rows = self._query(
            'SELECT slot, n, "until", created_at FROM snoozes WHERE profile_id = %s '
            'ORDER BY slot COLLATE "C", n'
        )
        return [Snooze(r[0], r[1], utc(r[2]), created_at=utc(r[3])) for r in rows]

    def put_snooze(self, snooze: Snooze) -> None:
        self._write(
            'INSERT INTO snoozes (profile_id, slot, n, "until", created_at) '
            "VALUES (%s, %s, %s, %s, %s) "
            'ON CONFLICT (profile_id, slot, n) DO UPDATE SET "until" = excluded."until"',
            (snooze.slot, snooze.n, instant(snooze.until), instant(snooze.created_at)),
        )

    def reminder_state(self, key: str) -> str | None:
        rows = self._query(
            'SELECT value FROM reminder_state WHERE profile_id = %s AND "key" = %s', (key,)
        )
        return str(rows[0][0]) if rows else None

    def put_reminder_state(self, key: str, value: str) -> None:
        self._write(
            'INSERT INTO reminder_state (profile_id, "key", value) VALUES (%s, %s, %s) '
            'ON CONFLICT (profile_id, "key") DO UPDATE SET value = excluded.value',
            (key, value),
        )


_DELIVERY_COLUMNS = (
    "slot, kind, channel, state, due_at, claimed_at, owner, sent_at, recorded_at, late, attempts"
)
#: A delivery by its key: the digest (the schema's expression) finds it through the index, the
#: texts make sure.
_KEY = (
    "profile_id = %s AND key_digest = md5(length(%s::text)::text || ':' || %s::text "
    "|| length(%s::text)::text || ':' || %s::text || %s::text) "
    "AND slot = %s AND kind = %s AND channel = %s"
)


def _key(slot: str, kind: str, channel: str) -> tuple[str, ...]:
    """The parameters of :data:`_KEY` after the profile's id."""
    return slot, slot, kind, kind, channel, slot, kind, channel


def _delivery_values(d: Delivery) -> tuple[Any, ...]:
    return (
        d.slot,
        d.kind,
        d.channel,
        d.state,
        instant(d.due_at),
        instant(d.claimed_at),
        d.owner,
        opt_instant(d.sent_at),
        opt_instant(d.recorded_at),
        d.late,
        d.attempts,
    )


def _delivery(r: Sequence[Any]) -> Delivery:
    from rollminder.remind.records import Delivery

    return Delivery(
        slot=r[0],
        kind=r[1],
        channel=r[2],
        state=r[3],
        due_at=utc(r[4]),
        claimed_at=utc(r[5]),
        owner=r[6],
        sent_at=opt_utc(r[7]),
        recorded_at=opt_utc(r[8]),
        late=bool(r[9]),
        attempts=int(r[10]),
    )
