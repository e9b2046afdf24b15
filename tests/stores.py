"""The store implementations the contract suite runs against, in one place.

The contract suite is every test that takes the ``store`` or ``make_store`` fixture from here:
tests/test_store.py (the log, plans, settings, transactions, profiles), tests/test_remind_store.py
(the reminder ledger), tests/test_check_store.py (holds and clinician answers) and
tests/test_store_contract.py (the unit of work and the secrets). A new implementation (the
PostgreSQL store) is added by adding its kind to KINDS and a branch to :func:`opener`: every
contract test then runs against it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rollminder.store import Store
from rollminder.store.memory import MemoryDatabase, MemoryStore
from rollminder.store.sqlite import SqliteStore

KINDS = ("memory", "sqlite")
OPENED_AT = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)

MakeStore = Callable[..., Store]


def opener(kind: str, tmp_path: Path) -> MakeStore:
    """Opens a store of ``kind`` on one database (another profile, or the same one again)."""
    database = MemoryDatabase()

    def make(profile: str = "default") -> Store:
        if kind == "memory":
            return MemoryStore(profile, database=database)
        if kind == "sqlite":
            return SqliteStore.open(tmp_path / "rollminder.db", profile=profile, now=OPENED_AT)
        raise ValueError(kind)

    return make


@pytest.fixture(params=KINDS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    opened: list[Store] = []
    make = opener(request.param, tmp_path)

    def tracked(profile: str = "default") -> Store:
        store = make(profile)
        opened.append(store)
        return store

    yield tracked
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: MakeStore) -> Store:
    return make_store()
