"""Storage behind one protocol: :class:`Store`.

``memory.MemoryStore`` is for tests; ``sqlite.SqliteStore`` is the real one. A store is bound to one
profile: every row it reads or writes belongs to that profile.

All ``put_*`` methods insert or replace by ``id`` (so import can merge losslessly). Each method that
writes runs in its own transaction unless called inside ``with store.transaction():``, in which
case the whole block commits or rolls back as one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol

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


class Store(Protocol):
    profile: str

    def transaction(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...

    # plan: append-only versions; the newest (by created_at, then insertion) is current
    def plan(self) -> Plan | None: ...
    def plans(self) -> list[Plan]: ...
    def put_plan(self, plan: Plan) -> None: ...

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

    def settings(self) -> Settings: ...
    def put_settings(self, settings: Settings) -> None: ...

    # -- the pre-session check (issue 4) ---
    def holds(self) -> list[Hold]: ...  # sorted by until, then since
    def put_hold(self, hold: Hold) -> None: ...
    def delete_hold(self, id: str) -> bool: ...
    def clinician_answers(self) -> list[ClinicianAnswer]: ...  # sorted by question
    def put_clinician_answer(self, answer: ClinicianAnswer) -> None: ...


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
