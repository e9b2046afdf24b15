"""Storage behind role protocols (:class:`UnitOfWork`, :class:`PlanStore`, :class:`LogStore`,
:class:`ReminderLedger`, :class:`SecretStore`) that :class:`Store` combines.

``memory.MemoryStore`` is for tests; ``sqlite.SqliteStore`` is the real one. A store is bound to one
profile: every row it reads or writes belongs to that profile.

All ``put_*`` methods insert or replace by ``id`` (so import can merge losslessly). Each method that
writes runs in its own transaction unless called inside ``with store.transaction():``, in which
case the whole block commits or rolls back as one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

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


class UnitOfWork(Protocol):
    """The store as a whole: its profile, transactions, and what the faces need of the file."""

    profile: str

    def transaction(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...
    # Differs after any committed change, by anyone; equal values from one open store mean
    # nothing was written in between (the web app keys its caches on it).
    def data_stamp(self) -> Hashable: ...
    # A consistent copy of the whole store at ``dest`` (owner-only).
    def backup_now(self, dest: Path) -> None: ...


class PlanStore(Protocol):
    """The plan's versions and the settings."""

    # plan: append-only versions; the newest (by created_at, then insertion) is current
    def plan(self) -> Plan | None: ...
    def plans(self) -> list[Plan]: ...
    def put_plan(self, plan: Plan) -> None: ...
    def settings(self) -> Settings: ...
    def put_settings(self, settings: Settings) -> None: ...


class LogStore(Protocol):
    """What was done and decided: sessions, skips, pauses, rollers, visits, series, holds and the
    clinician answers."""

    # sessions, sorted by start; since/until are aware instants, since inclusive, until exclusive
    def sessions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Session]: ...
    def session(self, id: str) -> Session | None: ...
    def last_session(self, before: dt.datetime | None = None) -> Session | None: ...
    def put_session(self, session: Session) -> None: ...
    def delete_session(self, id: str) -> bool: ...
    def count_sessions(self, roller_id: str | None = None) -> int: ...

    def skips(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Skip]: ...
    def put_skip(self, skip: Skip) -> None: ...
    def delete_skip(self, id: str) -> bool: ...

    def pauses(self) -> list[Pause]: ...  # sorted by first
    def put_pause(self, pause: Pause) -> None: ...
    def delete_pause(self, id: str) -> bool: ...

    def rollers(self) -> list[Roller]: ...  # sorted by added, then created_at
    def put_roller(self, roller: Roller) -> None: ...
    def delete_roller(self, id: str) -> bool: ...

    def visits(self) -> list[Visit]: ...  # sorted by at
    def put_visit(self, visit: Visit) -> None: ...
    def delete_visit(self, id: str) -> bool: ...

    def series(self) -> list[Series]: ...  # sorted by created_at
    def put_series(self, series: Series) -> None: ...
    def delete_series(self, id: str) -> bool: ...

    # -- the pre-session check (issue 4) ---
    def holds(self) -> list[Hold]: ...  # sorted by until, then since
    def put_hold(self, hold: Hold) -> None: ...
    def delete_hold(self, id: str) -> bool: ...
    def clinician_answers(self) -> list[ClinicianAnswer]: ...  # sorted by question
    def put_clinician_answer(self, answer: ClinicianAnswer) -> None: ...


class ReminderLedger(Protocol):
    """Reminders (issue #5): channels, their health, the delivery ledger, snoozes."""

    def channels(self) -> list[ChannelConfig]: ...  # sorted by created_at
    def has_channels(self) -> bool: ...  # cheap: no record is built
    def put_channel(self, channel: ChannelConfig) -> None: ...
    def delete_channel(self, id: str) -> bool: ...  # its status goes with it
    def channel_statuses(self) -> dict[str, ChannelStatus]: ...
    def put_channel_status(self, status: ChannelStatus) -> None: ...
    def deliveries(self, since: dt.datetime | None = None) -> list[Delivery]: ...  # by due_at
    # Insert a claim (False if the key exists), or take over one held by a dead ``replacing``.
    def claim_delivery(self, delivery: Delivery, *, replacing: str | None = None) -> bool: ...
    def put_delivery(self, delivery: Delivery) -> None: ...
    def delete_delivery(self, slot: str, kind: str, channel: str) -> bool: ...
    def snoozes(self) -> list[Snooze]: ...
    def put_snooze(self, snooze: Snooze) -> None: ...
    def reminder_state(self, key: str) -> str | None: ...
    def put_reminder_state(self, key: str, value: str) -> None: ...


class SecretStore(Protocol):
    """The profile's secrets (password hash, session key, feed and action tokens): never part of
    the settings listing or an export."""

    def secret(self, name: str) -> str | None: ...
    def put_secret(self, name: str, value: str) -> None: ...
    def delete_secret(self, name: str) -> bool: ...


class Store(UnitOfWork, PlanStore, LogStore, ReminderLedger, SecretStore, Protocol):
    """Every role: what the use cases are given. Each implementation (``memory.MemoryStore``,
    ``sqlite.SqliteStore``) passes the contract suite in ``tests/store_contract.py``."""


def iter_all(store: Store) -> Iterator[object]:
    """Every row of the profile, for checks in tests and export."""
    yield from store.plans()
    yield from store.sessions()
    yield from store.skips()
    yield from store.pauses()
    yield from store.rollers()
    yield from store.visits()
    yield from store.series()
    yield from store.holds()
    yield from store.clinician_answers()
