"""Row-level security, the second wall: connected as the app's role (not the tables' owner), a
query that forgets its profile still reads and writes only the profile of the transaction's
``rollminder.profile`` setting, and nothing at all without it. (The first wall, every query
scoped by the store, is the store contract's profile tests, run on this role too.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from rollminder.store import postgres_schema as schema
from rollminder.store.postgres import PostgresStore
from tests.pg import NOW, Cluster
from tests.photo_contract import a_photo
from tests.store_contract import a_session, fill


@pytest.fixture
def filled(pg_migrated: str) -> Iterator[str]:
    """alice and bob each with one row of every kind, a photo too (through the store, as the
    app's role)."""
    for name in ("alice", "bob"):
        with PostgresStore.open(pg_migrated, profile=name, now=NOW) as store:
            fill(store)
            store.put_session(a_session(5, id=f"{name}-only"))
            store.put_photo(a_photo(), f"{name}'s image".encode(), b"thumb")  # (migration 7)
            store.put_due_index({"": NOW})  # with its prepared pass's row (migration 9)
    yield pg_migrated


def as_profile(conn: psycopg.Connection[Any], name: str | None) -> None:
    if name is not None:
        conn.execute("SELECT set_config('rollminder.profile', %s, true)", (name,))


def counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    found = {}
    for table in ("profiles", *schema.PROFILE_TABLES):
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # no WHERE at all
        assert row is not None
        found[table] = int(row[0])
    return found


def test_without_the_setting_the_app_role_sees_no_row(filled: str) -> None:
    with psycopg.connect(filled) as conn:
        assert set(counts(conn).values()) == {0}
        assert conn.execute("DELETE FROM sessions").rowcount == 0
        assert conn.execute("UPDATE secrets SET value = 'stolen'").rowcount == 0


def test_a_query_without_a_profile_reads_only_the_transactions_profile(
    filled: str, pg_cluster: Cluster
) -> None:
    with psycopg.connect(filled) as conn:
        as_profile(conn, "alice")
        seen = counts(conn)
        assert seen["profiles"] == 1 and seen["sessions"] == 2
        assert all(n >= 1 for n in seen.values())  # every kind of row, alice's only
        ids = [r[0] for r in conn.execute("SELECT id FROM sessions ORDER BY id").fetchall()]
        assert ids == ["alice-only", "session-1"]
        names = conn.execute("SELECT name FROM profiles").fetchall()
        assert names == [("alice",)]
    # The owner (not subject to the policies) sees both profiles' rows.
    owner = pg_cluster.sql("SELECT count(*) FROM sessions", database=filled.rsplit("/", 1)[1])
    assert owner == [(4,)]


def test_a_write_without_a_profile_changes_only_the_transactions_profile(filled: str) -> None:
    with psycopg.connect(filled) as conn:
        as_profile(conn, "alice")
        assert conn.execute("UPDATE sessions SET note = 'changed'").rowcount == 2
        assert conn.execute("DELETE FROM secrets").rowcount == 1
        conn.commit()
    with PostgresStore.open(filled, profile="bob", now=NOW) as bob:
        assert "changed" not in {s.note for s in bob.sessions()}
        assert len(bob.sessions()) == 2
        assert bob.secret("password") == "hash ✓"
    with PostgresStore.open(filled, profile="alice", now=NOW) as alice:
        assert {s.note for s in alice.sessions()} == {"changed"}
        assert alice.secret("password") is None


def test_a_row_for_another_profile_is_refused(filled: str) -> None:
    with psycopg.connect(filled) as conn:
        as_profile(conn, "bob")
        (bob_id,) = conn.execute("SELECT id FROM profiles").fetchone() or (None,)
        conn.rollback()
        as_profile(conn, "alice")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO secrets (profile_id, name, value) VALUES (%s, 'x', 'y')", (bob_id,)
            )
        conn.rollback()
        as_profile(conn, "alice")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("UPDATE sessions SET profile_id = %s", (bob_id,))
        conn.rollback()
        as_profile(conn, "alice")  # nor can it make or rename profiles other than its own
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO profiles (name, created_at) VALUES ('mallory', now())")


def test_the_setting_ends_with_the_transaction(filled: str) -> None:
    with psycopg.connect(filled) as conn:
        as_profile(conn, "alice")
        assert counts(conn)["sessions"] == 2
        conn.commit()  # SET LOCAL: a pooled connection carries nothing to the next user
        assert counts(conn)["sessions"] == 0


def test_the_app_role_cannot_change_the_schema_or_its_history(filled: str) -> None:
    with psycopg.connect(filled) as conn:
        for statement in (
            "ALTER TABLE sessions DISABLE ROW LEVEL SECURITY",
            "DROP POLICY sessions_of_the_profile ON sessions",
            "DELETE FROM schema_migrations",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
            conn.rollback()
