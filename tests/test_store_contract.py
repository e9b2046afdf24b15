"""Runs the store contract (tests/store_contract.py) against every store implementation.

Adding an implementation is one line: write a function ``name(tmp_path, request) -> Backend`` (how
to open a store of a profile on one database, and how to open a ``backup_now`` copy) and add it to
``BACKENDS``. A backend that needs a server (PostgreSQL) skips without one through
``tests/need.py``, and fails under CI=true.

PostgreSQL runs twice: as the tables' owner (``postgres``), and as the app's role under
row-level security (``postgres_rls``), where a store's ``backup_now`` can only copy its own
profile's rows: the backup test then proves that no other profile's row is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from rollminder.store import (
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
from rollminder.store.memory import MemoryDatabase, MemoryStore
from rollminder.store.sqlite import SqliteStore
from tests.store_contract import *  # noqa: F403 - the contract's tests and fixtures
from tests.store_contract import Backend

NOW = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)


def memory(tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    database = MemoryDatabase()  # one database: every store of the test shares it
    return Backend(
        open=lambda profile: MemoryStore(profile, database=database),
        from_backup=lambda path, profile: MemoryStore(profile, database=MemoryDatabase.load(path)),
    )


def sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    def open_file(path: Path, profile: str) -> Store:
        return SqliteStore.open(path, profile=profile, now=NOW)

    return Backend(
        open=lambda profile: open_file(tmp_path / "rollminder.db", profile),
        from_backup=open_file,
    )


def _postgres(request: pytest.FixtureRequest, *, rls: bool) -> Backend:
    from rollminder.store.postgres import PostgresStore
    from tests.pg import ContractDatabases

    databases: ContractDatabases = request.getfixturevalue("contract_databases")
    databases.empty_shared()
    request.addfinalizer(databases.drop_restored)
    url = databases.url(databases.shared, rls)
    return Backend(
        open=lambda profile: PostgresStore.open(url, profile=profile, now=NOW),
        from_backup=lambda path, profile: PostgresStore.open(
            databases.restore(path, rls), profile=profile, now=NOW
        ),
        whole_database_backup=not rls,
    )


def postgres(tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    return _postgres(request, rls=False)


def postgres_rls(tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    return _postgres(request, rls=True)


BACKENDS: list[Callable[[Path, pytest.FixtureRequest], Backend]] = [
    memory, sqlite, postgres, postgres_rls,
]  # fmt: skip


@pytest.fixture(params=BACKENDS, ids=lambda make: make.__name__)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    make: Callable[[Path, pytest.FixtureRequest], Backend] = request.param
    return make(tmp_path, request)


def test_every_store_member_is_in_exactly_one_role() -> None:
    roles = (
        PlanStore,
        LogStore,
        ReminderLedger,
        SecretStore,
        UndoJournal,
        RoutineRoles,
        DueIndex,
        Maintenance,
    )
    members = [name for role in roles for name in vars(role) if not name.startswith("_")]
    assert len(members) == len(set(members))
    assert set(members) == {name for name in dir(Store) if not name.startswith("_")}
