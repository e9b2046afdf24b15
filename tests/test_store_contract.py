"""The store contract for the roles the other contract files leave out: the unit of work (data
stamp, backup) and the secrets. Runs against every store kind (tests/stores.py)."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from rollminder.model import Session
from rollminder.store import Store
from tests.stores import MakeStore

T0 = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)


def a_session(n: int = 0) -> Session:
    return Session(
        start=T0 + dt.timedelta(days=n), minutes=3.0, zones=("chin",), id=f"s{n}", created_at=T0
    )


def test_the_data_stamp_moves_after_a_write_and_not_after_a_read(store: Store) -> None:
    before = store.data_stamp()
    store.sessions()
    store.plan()
    store.secret("nothing")
    assert store.data_stamp() == before
    store.put_session(a_session())
    after = store.data_stamp()
    assert after != before
    store.delete_session("s0")
    assert store.data_stamp() != after


def test_the_data_stamp_sees_another_stores_write(make_store: MakeStore) -> None:
    """The web app's cache must see a write made by the CLI or the daemon."""
    mine, other = make_store(), make_store()
    before = mine.data_stamp()
    other.put_session(a_session())
    assert mine.data_stamp() != before
    assert [s.id for s in mine.sessions()] == ["s0"]


def test_a_rolled_back_write_leaves_the_data_as_it_was(store: Store) -> None:
    store.put_session(a_session())
    with pytest.raises(RuntimeError), store.transaction():
        store.put_session(a_session(1))
        raise RuntimeError("undo")
    assert [s.id for s in store.sessions()] == ["s0"]


def test_secrets_round_trip_and_delete(store: Store) -> None:
    assert store.secret("feed") is None
    store.put_secret("feed", "t0ken")
    store.put_secret("feed", "t0ken-2")  # replaced, not added
    assert store.secret("feed") == "t0ken-2"
    assert store.delete_secret("feed") is True
    assert store.delete_secret("feed") is False
    assert store.secret("feed") is None


def test_secrets_belong_to_their_profile_and_stay_out_of_the_settings(
    make_store: MakeStore,
) -> None:
    alice, bob = make_store("alice"), make_store("bob")
    alice.put_secret("password", "hash-a")
    assert bob.secret("password") is None
    assert "hash-a" not in repr(alice.settings())


def test_a_secret_written_in_a_failed_transaction_is_not_kept(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.put_secret("session-key", "k")
        raise RuntimeError("undo")
    assert store.secret("session-key") is None


def test_backup_now_writes_an_owner_only_copy(store: Store, tmp_path: Path) -> None:
    store.put_session(a_session())
    dest = tmp_path / "manual" / "copy"
    dest.parent.mkdir()
    store.backup_now(dest)
    assert dest.stat().st_size > 0
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
