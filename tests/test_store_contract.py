"""Runs the store contract (tests/store_contract.py) against every store implementation.

Adding an implementation is one line: write a function ``name(tmp_path) -> Backend`` (how to open
a store of a profile on one database, and how to open a ``backup_now`` copy) and add it to
``BACKENDS``. A backend that needs a server (PostgreSQL) skips without one through
``tests/need.py``, and fails under CI=true.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from rollminder.store import (
    LogStore,
    Maintenance,
    PlanStore,
    ReminderLedger,
    RoutineRoles,
    SecretStore,
    Store,
    UndoJournal,
)
from rollminder.store.memory import MemoryDatabase, MemoryStore
from rollminder.store.sqlite import SqliteStore
from tests.store_contract import *  # noqa: F403 - the contract's tests and fixtures
from tests.store_contract import Backend

NOW = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)


def memory(tmp_path: Path) -> Backend:
    database = MemoryDatabase()  # one database: every store of the test shares it
    return Backend(
        open=lambda profile: MemoryStore(profile, database=database),
        from_backup=lambda path, profile: MemoryStore(profile, database=MemoryDatabase.load(path)),
    )


def sqlite(tmp_path: Path) -> Backend:
    def open_file(path: Path, profile: str) -> Store:
        return SqliteStore.open(path, profile=profile, now=NOW)

    return Backend(
        open=lambda profile: open_file(tmp_path / "rollminder.db", profile),
        from_backup=open_file,
    )


BACKENDS: list[Callable[[Path], Backend]] = [memory, sqlite]


@pytest.fixture(params=BACKENDS, ids=lambda make: make.__name__)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    make: Callable[[Path], Backend] = request.param
    return make(tmp_path)


def test_every_store_member_is_in_exactly_one_role() -> None:
    roles = (
        PlanStore,
        LogStore,
        ReminderLedger,
        SecretStore,
        UndoJournal,
        RoutineRoles,
        Maintenance,
    )
    members = [name for role in roles for name in vars(role) if not name.startswith("_")]
    assert len(members) == len(set(members))
    assert set(members) == {name for name in dir(Store) if not name.startswith("_")}
