"""The SQLite rows of the reminders (issue #5, migration 2): channels and their health, the
delivery ledger with its claims, snoozes and the engine's state values.

:class:`SqliteReminderLedger` implements :class:`rollminder.store.roles.ReminderLedger` and is
mixed into :class:`~rollminder.store.sqlite.SqliteStore`. The records are built from
:mod:`rollminder.remind.records`, imported on first use so that commands which never touch
reminders don't load them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rollminder.store.rows import channels_table, instant, time_range
from rollminder.store.sqlite_base import SqliteBase

if TYPE_CHECKING:
    from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery, Snooze


class SqliteReminderLedger(SqliteBase):
    """Channels, channel statuses, deliveries (claimed -> sent -> recorded), snoozes, state."""

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
