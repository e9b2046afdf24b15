"""Runs the photo store contract (tests/photo_contract.py) against every store implementation of
tests/test_store_contract.py's ``BACKENDS``: memory, SQLite, PostgreSQL as the tables' owner and
as the app's role under row-level security (those two skip without PostgreSQL, fail under
CI=true)."""

from __future__ import annotations

from tests.photo_contract import *  # noqa: F403 - the contract's tests
from tests.store_contract import make_store, store  # noqa: F401 - the contract's fixtures
from tests.test_store_contract import backend  # noqa: F401 - one per BACKENDS entry
