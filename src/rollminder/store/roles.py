"""The store's roles: one :class:`typing.Protocol` per concern, and :class:`Store` combining them.

A caller that needs one concern can ask for its role (``LogStore``, ``ReminderLedger``...);
:class:`Store` is what :class:`~rollminder.service.Rollminder` holds. Every implementation
(``memory.MemoryStore``, ``sqlite.SqliteStore``) implements every role, mypy checks that at the end
of each implementation's module, and ``tests/store_contract.py`` is the behaviour they must share.

Rules for every role:

- A store is bound to one profile: every row it reads or writes belongs to ``profile``; two stores
  of two profiles on the same database never see each other's rows, of any kind.
- ``put_*`` inserts or replaces by ``id`` (or the key named below); a replaced row keeps its
  place among rows with equal sort keys. ``delete_*`` returns whether a row was deleted.
- Instants must be aware (a naive one raises ``ValueError``) and come back in UTC; sequences come
  back as tuples. Lists are sorted as documented; ties keep insertion order.
- ``since`` is inclusive and ``until`` exclusive.
- Storage failures raise :class:`~rollminder.errors.StorageError` (one line), including a
  uniqueness rule broken (a second channel with a name, a second answer to a question).
- A write runs in its own transaction unless it is inside ``with store.transaction():``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

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

if TYPE_CHECKING:
    from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery, Snooze

__all__ = [
    "DueIndex",
    "LogStore",
    "Maintenance",
    "PlanStore",
    "ReminderLedger",
    "RoutineRoles",
    "SecretStore",
    "Store",
    "UndoJournal",
]


class PlanStore(Protocol):
    """The plan, as append-only versions, and the profile's settings."""

    def plan(self) -> Plan | None:
        """The current version: the newest by ``created_at``, then by insertion."""
        ...

    def plans(self) -> list[Plan]:
        """Every version, oldest first (by ``created_at``, then insertion)."""
        ...

    def put_plan(self, plan: Plan) -> None: ...

    def settings(self) -> Settings:
        """The stored settings; ``Settings()`` (the defaults) when none were stored."""
        ...

    def put_settings(self, settings: Settings) -> None: ...


class LogStore(Protocol):
    """What happened: sessions, skips, pauses, rollers, visits and series, holds, and the
    answers to the "ask a clinician first" questions."""

    def sessions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Session]:
        """Sorted by ``start``; ``since <= start < until``."""
        ...

    def session(self, id: str) -> Session | None: ...

    def last_session(self, before: dt.datetime | None = None) -> Session | None:
        """The last of ``sessions(until=before)``."""
        ...

    def put_session(self, session: Session) -> None: ...
    def delete_session(self, id: str) -> bool: ...

    def count_sessions(self, roller_id: str | None = None) -> int:
        """All sessions, or those rolled with ``roller_id``."""
        ...

    def skips(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Skip]:
        """Sorted by ``slot``; ``since <= slot < until``."""
        ...

    def put_skip(self, skip: Skip) -> None: ...
    def delete_skip(self, id: str) -> bool: ...

    def pauses(self) -> list[Pause]:
        """Sorted by ``first``."""
        ...

    def put_pause(self, pause: Pause) -> None: ...
    def delete_pause(self, id: str) -> bool: ...

    def rollers(self) -> list[Roller]:
        """Sorted by ``added``, then ``created_at``."""
        ...

    def put_roller(self, roller: Roller) -> None: ...
    def delete_roller(self, id: str) -> bool: ...

    def visits(self) -> list[Visit]:
        """Sorted by ``at``."""
        ...

    def put_visit(self, visit: Visit) -> None: ...
    def delete_visit(self, id: str) -> bool: ...

    def series(self) -> list[Series]:
        """Sorted by ``created_at``."""
        ...

    def put_series(self, series: Series) -> None: ...
    def delete_series(self, id: str) -> bool: ...

    def holds(self) -> list[Hold]:
        """Sorted by ``until``, then ``since``."""
        ...

    def put_hold(self, hold: Hold) -> None: ...
    def delete_hold(self, id: str) -> bool: ...

    def clinician_answers(self) -> list[ClinicianAnswer]:
        """Sorted by ``question``; at most one per question."""
        ...

    def put_clinician_answer(self, answer: ClinicianAnswer) -> None:
        """Insert or replace by ``id``; another row answering the same question is a
        :class:`~rollminder.errors.StorageError` (replace that row, by its id, instead)."""
        ...


class ReminderLedger(Protocol):
    """The reminders' records (issue #5): channels and their health, the delivery ledger with
    its claims, snoozes, and the reminder engine's small state values."""

    def channels(self) -> list[ChannelConfig]:
        """Sorted by ``created_at``."""
        ...

    def has_channels(self) -> bool:
        """Whether any channel is set up, cheaply (no record is built)."""
        ...

    def put_channel(self, channel: ChannelConfig) -> None:
        """Insert or replace by ``id``; a second channel with the same name is a StorageError."""
        ...

    def delete_channel(self, id: str) -> bool:
        """Delete the channel and its status."""
        ...

    def channel_statuses(self) -> dict[str, ChannelStatus]:
        """Every status, by channel id."""
        ...

    def put_channel_status(self, status: ChannelStatus) -> None:
        """Insert or replace by ``channel``."""
        ...

    def deliveries(self, since: dt.datetime | None = None) -> list[Delivery]:
        """Ledger rows with ``due_at >= since``, sorted by ``due_at``."""
        ...

    def claim_delivery(self, delivery: Delivery, *, replacing: str | None = None) -> bool:
        """Insert the claim; False if the key ``(slot, kind, channel)`` is in the ledger already.
        (A delivery's state is 'claimed', 'sent' or 'recorded'; any other is a StorageError.)

        With ``replacing``: take over the row of that key only if it is still ``claimed`` by the
        owner ``replacing`` (a dead process): its owner, claimed_at, due_at and late become the
        new claim's, attempts grows by one; False (nothing changes) otherwise.
        """
        ...

    def put_delivery(self, delivery: Delivery) -> None:
        """Insert by key, or update an existing row's state, sent_at, recorded_at and owner
        (due_at, claimed_at, late and attempts are the claim's and stay)."""
        ...

    def delete_delivery(self, slot: str, kind: str, channel: str) -> bool: ...

    def snoozes(self) -> list[Snooze]:
        """Sorted by ``slot``, then ``n``."""
        ...

    def put_snooze(self, snooze: Snooze) -> None:
        """Insert by ``(slot, n)``, or move an existing snooze's ``until`` (created_at stays)."""
        ...

    def reminder_state(self, key: str) -> str | None: ...
    def put_reminder_state(self, key: str, value: str) -> None: ...


class DueIndex(Protocol):
    """The due index (issue 16): each routine's next reminder instant, by routine id ("" is the
    profile's first routine and what belongs to the whole profile: visits, bookings). Kept by
    :mod:`rollminder.remind.due` after every write that can move it and after every delivery pass;
    the workers claim its due rows (PostgreSQL: :mod:`rollminder.store.postgres_due`)."""

    def due_index(self) -> dict[str, dt.datetime]:
        """Every routine's next instant (UTC), sorted by routine id; none: nothing to remind."""
        ...

    def put_due_index(self, entries: Mapping[str, dt.datetime]) -> None:
        """Replace the profile's index by ``entries`` (a routine not named has nothing due). A
        routine whose instant did not change keeps its row (and a worker's lease on it)."""
        ...


class SecretStore(Protocol):
    """The web app's secrets (password hash, session key, feed and action tokens), by name.

    Never part of ``settings()`` nor of an export; they are in ``backup_now``'s copy."""

    def secret(self, name: str) -> str | None: ...
    def put_secret(self, name: str, value: str) -> None: ...
    def delete_secret(self, name: str) -> bool: ...


class UndoJournal(Protocol):
    """The steps ``undo`` can take back (edits and deletions), oldest first. The use cases
    write a step in the same transaction as the change it records, and keep the newest few."""

    def undo_steps(self) -> list[UndoStep]:
        """Sorted by ``created_at``, then insertion."""
        ...

    def put_undo_step(self, step: UndoStep) -> None: ...
    def delete_undo_step(self, id: str) -> bool: ...


class RoutineRoles(Protocol):
    """The profile's routines (issue 12): each one's plan versions, sessions, skips and rollers
    carry its id in ``routine`` ("" for the first routine); see :mod:`.routines` for the view of
    one routine that the use cases work on."""

    def routines(self) -> list[Routine]:
        """Sorted by ``created_at``, then insertion; the first is the profile's first routine."""
        ...

    def put_routine(self, routine: Routine) -> None:
        """Insert or replace by ``id``; a second routine with the same name is a StorageError."""
        ...

    def delete_routine(self, id: str) -> bool:
        """Delete the routine's row only (its rows are the use case's to move or delete)."""
        ...


class Maintenance(Protocol):
    """The unit of work and the store's life: transactions, change stamps, backups, closing."""

    @property
    def profile(self) -> str:
        """The profile every row of this store belongs to."""
        ...

    @property
    def path(self) -> Path | None:
        """The database file, if the data live in one (the owner-only files to protect)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """One atomic unit: the block's writes all commit, or (on an exception) none do. A nested
        block joins the outer one as a savepoint: if it raises, only its own writes are undone,
        and the outer block goes on (or rolls back everything, if the exception leaves it)."""
        ...

    def data_stamp(self) -> tuple[int, int]:
        """A value that changes after any committed write to the database, by this store or
        another one (of any profile), and not after reads: equal stamps from the same open store
        mean the data did not change. Compare for equality only (the web app's caches)."""
        ...

    def backup_now(self, dest: Path) -> None:
        """Write a consistent copy of the whole database (every profile, secrets included) to
        ``dest`` (mode 0o600, created atomically; its directory is created 0o700 if missing)."""
        ...

    def close(self) -> None:
        """Release the store; closing twice is harmless. A closed store raises StorageError."""
        ...


class Store(
    PlanStore,
    LogStore,
    ReminderLedger,
    SecretStore,
    UndoJournal,
    RoutineRoles,
    DueIndex,
    Maintenance,
    Protocol,
):
    """Every role: what the service, the faces and the reminder daemon hold."""


@runtime_checkable
class RowDoctor(Protocol):
    """Optional (issue 18 item 6): a store whose rows can hold values the code cannot read (SQL
    stores; the memory store holds records, never such rows). Reads leave those rows out."""

    def skipped_rows(self) -> list[DamagedRow]: ...
    def damaged_rows(self) -> list[DamagedRow]: ...
    def delete_damaged_row(self, table: str, rowid: int) -> bool: ...
