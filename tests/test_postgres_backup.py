"""Backups of a hosted database as docs/hosting.md says to take them (issue #15): `pg_dump
--format=custom` of a populated database, `pg_restore` into a fresh one, and every row is back:
each profile's export is the same, every table holds as many rows, the app's role still sees
only its profile (the policies and grants came back too), and the restored database is at the
same schema version."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

from bench import data

from rollminder.env import Env
from rollminder.store.postgres import schema_state
from rollminder.store.postgres_base import close_pool
from rollminder.store.postgres_dump import TABLES
from tests.need import missing
from tests.pg import APP, OWNER, Cluster, bin_dir

PROFILES = ("default", "ana", "bo")


def populate(url: str, home: Path) -> dict[str, str]:
    """A year of history for each profile (different seeds), a setting and a token; exports."""
    exports: dict[str, str] = {}
    for n, profile in enumerate(PROFILES):
        env = Env(home=home, profile=profile, clock=lambda: data.NOW, database_url=url)
        with env.open_store() as store:
            data.put_all(store, data.generate(data.NOW, years=1, seed=20 + n))
        app = env.open_app()
        try:
            app.token("feed_token")
            exports[profile] = app.export_json()
        finally:
            app.close()
    return exports


def exports_of(url: str, home: Path) -> dict[str, str]:
    found = {}
    for profile in PROFILES:
        app = Env(home=home, profile=profile, clock=lambda: data.NOW, database_url=url).open_app()
        try:
            found[profile] = app.export_json()
        finally:
            app.close()
    return found


def counts(cluster: Cluster, database: str) -> dict[str, int]:
    return {
        table: int(cluster.sql(f"SELECT count(*) FROM {table}", database=database)[0][0])  # type: ignore[arg-type]
        for table in (*TABLES, "login_failures", "schema_migrations")
    }


def test_pg_dump_and_pg_restore_bring_back_every_row(
    pg_cluster: Cluster, pg_migrated: str, pg_database: str, tmp_path: Path
) -> None:
    tools = bin_dir()
    if tools is None:
        missing("PostgreSQL is not installed (Makefile APT_PACKAGES)")
    assert tools is not None
    home = tmp_path / "home"
    before = populate(pg_migrated, home)
    assert all(len(json.loads(text)["sessions"]) > 50 for text in before.values())
    pg_cluster.sql(
        "INSERT INTO login_failures VALUES ('address', '192.0.2.1', now())", database=pg_database
    )
    dump = tmp_path / f"rollminder-{dt.date.today()}.dump"
    owner = pg_cluster.url(pg_database, OWNER)
    subprocess.run(
        [str(tools / "pg_dump"), "--format=custom", f"--file={dump}", owner],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip

    fresh = pg_cluster.new_database(prefix="rm_restored")  # empty, owned by the owner role
    try:
        restored = pg_cluster.url(fresh, OWNER)
        done = subprocess.run(
            [str(tools / "pg_restore"), "--exit-on-error", f"--dbname={restored}", str(dump)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        app_url = pg_cluster.url(fresh, APP)
        assert exports_of(app_url, home) == before  # as the app's role, under the policies
        assert counts(pg_cluster, fresh) == counts(pg_cluster, pg_database)
        assert schema_state(restored).version == schema_state(owner).version
        # The policies came back: with one profile's setting, the app's role sees its rows only.
        sessions = pg_cluster.sql(
            "SELECT p.name, count(*) FROM sessions s JOIN profiles p ON p.id = s.profile_id "
            "GROUP BY p.name ORDER BY p.name",
            database=fresh,
        )
        assert {name for name, _ in sessions} == set(PROFILES)
        import psycopg

        with psycopg.connect(app_url) as conn:
            conn.execute("SELECT set_config('rollminder.profile', 'ana', false)")
            seen = conn.execute(
                "SELECT count(*), count(DISTINCT profile_id) FROM sessions"
            ).fetchone()
        assert seen is not None and seen[1] == 1
        assert seen[0] == len(json.loads(before["ana"])["sessions"])
    finally:
        for user in (OWNER, APP):
            close_pool(pg_cluster.url(fresh, user))
        pg_cluster.drop_database(fresh)
