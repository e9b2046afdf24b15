"""The PostgreSQL schema's migrations: recorded, each in its own transaction, idempotent, never
dropping data; a store refuses a schema that is missing, behind or newer, in one line."""

from __future__ import annotations

import datetime as dt

import pytest

from rollminder.errors import StorageError
from rollminder.model import Session
from rollminder.store import postgres_schema as schema
from rollminder.store.postgres import PostgresStore, migrate, schema_state
from tests.pg import APP, NOW, OWNER, Cluster

LATER = NOW + dt.timedelta(days=1)


def test_a_new_database_is_migrated_and_recorded(pg_cluster: Cluster, pg_database: str) -> None:
    url = pg_cluster.url(pg_database, OWNER)
    before = schema_state(url)
    assert (before.version, before.applied) == (0, ())
    assert [v for v, _ in before.pending] == [m.version for m in schema.MIGRATIONS]
    applied = migrate(url, now=NOW)
    assert applied == schema.MIGRATIONS
    state = schema_state(url)
    assert state.version == state.latest == schema.latest_version()
    assert state.pending == ()
    assert [(v, n, at) for v, n, at in state.applied] == [
        (m.version, m.name, NOW) for m in schema.MIGRATIONS
    ]
    assert migrate(url, now=LATER) == []  # again: nothing, and nothing re-recorded
    assert schema_state(url).applied == state.applied


def test_timestamps_are_timestamptz(pg_cluster: Cluster, pg_database: str) -> None:
    migrate(pg_cluster.url(pg_database, OWNER), now=NOW)
    rows = pg_cluster.sql(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public'",
        database=pg_database,
    )
    kinds = {(str(t), str(c)): str(d) for t, c, d in rows}
    instants = {key for key in kinds if key[1].endswith("_at")} | {
        ("sessions", "start"), ("skips", "slot"), ("visits", "at"), ("holds", "since"),
        ("holds", "until"), ("snoozes", "until"),
    }  # fmt: skip
    assert len(instants) > 20
    assert {kinds[key] for key in instants} == {"timestamp with time zone"}
    assert "timestamp without time zone" not in kinds.values()


def test_every_profile_table_has_its_policy_and_profile_column(
    pg_cluster: Cluster, pg_database: str
) -> None:
    migrate(pg_cluster.url(pg_database, OWNER), now=NOW)
    tables = {
        str(r[0])
        for r in pg_cluster.sql(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'profile_id'",
            database=pg_database,
        )
    }
    assert tables == set(schema.PROFILE_TABLES)
    secured = {
        str(r[0])
        for r in pg_cluster.sql(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'",
            database=pg_database,
        )
    }
    derived = {"profile_versions"}  # a counter per profile (migration 12), read under RLS too
    assert secured == {*schema.PROFILE_TABLES, "profiles", *schema.ACCOUNT_TABLES, *derived}
    policies = {str(r[0]) for r in pg_cluster.sql("SELECT tablename FROM pg_policies", pg_database)}
    assert policies == secured


def test_a_failing_migration_changes_nothing_and_the_next_run_resumes(
    pg_cluster: Cluster, pg_database: str
) -> None:
    url = pg_cluster.url(pg_database, OWNER)
    migrate(url, now=NOW)
    with PostgresStore.open(url, profile="default", now=NOW) as store:
        store.put_session(
            Session(start=NOW, minutes=3.0, zones=("chin",), id="kept", created_at=NOW)
        )
    latest = schema.latest_version()
    broken = [
        *schema.MIGRATIONS,
        schema.Migration(latest + 1, "adds a column", "ALTER TABLE sessions ADD COLUMN mood text"),
        schema.Migration(latest + 2, "fails halfway", "CREATE TABLE half (x int); SELECT 1/0"),
    ]
    with pytest.raises(StorageError) as failed:
        migrate(url, now=LATER, migration_list=broken)
    assert "\n" not in str(failed.value) and "division by zero" in str(failed.value)
    state = schema_state(url, broken)
    assert state.version == latest + 1  # the good one is kept, the broken one left nothing
    assert [v for v, _ in state.pending] == [latest + 2]
    assert pg_cluster.sql("SELECT to_regclass('half') IS NULL", pg_database) == [(True,)]
    fixed = [*broken[:-1], schema.Migration(latest + 2, "fixed", "CREATE TABLE half (x int)")]
    assert [m.version for m in migrate(url, now=LATER, migration_list=fixed)] == [latest + 2]
    with PostgresStore.open(url, profile="default", now=NOW, migration_list=fixed) as store:
        assert [s.id for s in store.sessions()] == ["kept"]  # the data went through it all


def test_a_store_refuses_a_schema_that_is_missing_behind_or_newer(
    pg_cluster: Cluster, pg_database: str
) -> None:
    url = pg_cluster.url(pg_database, OWNER)
    with pytest.raises(StorageError, match="run 'rollminder db migrate' first"):
        PostgresStore.open(url, profile="default", now=NOW)
    migrate(url, now=NOW)
    latest = schema.latest_version()
    newer = [*schema.MIGRATIONS, schema.Migration(latest + 1, "later", "SELECT 1")]
    with pytest.raises(StorageError, match=f"at schema {latest}, this rollminder needs"):
        PostgresStore.open(url, profile="default", now=NOW, migration_list=newer)
    migrate(url, now=NOW, migration_list=newer)
    with pytest.raises(StorageError, match="newer rollminder"):
        PostgresStore.open(url, profile="default", now=NOW)


def test_the_app_role_cannot_migrate(pg_cluster: Cluster, pg_database: str) -> None:
    with pytest.raises(StorageError, match="permission denied") as refused:
        migrate(pg_cluster.url(pg_database, APP), now=NOW)
    assert "\n" not in str(refused.value)
    assert schema_state(pg_cluster.url(pg_database, OWNER)).version == 0


def test_an_unknown_app_role_is_one_line(pg_cluster: Cluster, pg_database: str) -> None:
    with pytest.raises(StorageError, match="There is no role 'nobody'"):
        migrate(pg_cluster.url(pg_database, OWNER), now=NOW, app_role="nobody")
