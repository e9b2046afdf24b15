"""Storage behind role protocols (:mod:`rollminder.store.roles`), combined as :class:`Store`.

``memory.MemoryStore`` is for tests; ``sqlite.SqliteStore`` is the real one. Both implement every
role (mypy checks it at the end of each module) and pass the same contract suite
(``tests/store_contract.py``). A store is bound to one profile: every row it reads or writes
belongs to that profile.

All ``put_*`` methods insert or replace by ``id`` (so import can merge losslessly). Each method that
writes runs in its own transaction unless called inside ``with store.transaction():``, in which
case the whole block commits or rolls back as one.
"""

from __future__ import annotations

from collections.abc import Iterator

from rollminder.store.roles import (
    DueIndex,
    LogStore,
    Maintenance,
    PlanStore,
    ReminderLedger,
    RoutineRoles,
    SecretStore,
    Store,
    UndoJournal,
)

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
    "iter_all",
]


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
    yield from store.routines()
