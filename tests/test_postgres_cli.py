"""The CLI on PostgreSQL: `rollminder db migrate|status`, every command through
ROLLMINDER_DATABASE_URL, one-line errors for a bad URL or a missing server or schema, and the
SQLite start-up that never loads psycopg."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rollminder.store import postgres_schema as schema
from rollminder.store.postgres import PostgresStore
from tests.conftest import SETUP, Runner
from tests.pg import APP, NOW, OWNER, PASSWORD, Cluster


def one_line(text: str) -> str:
    assert text.count("\n") == 1 and text.endswith("\n"), text
    assert "Traceback" not in text
    return text


def test_db_status_and_migrate(rm: Runner, pg_cluster: Cluster, pg_database: str) -> None:
    url = pg_cluster.url(pg_database, OWNER)
    before = rm("db", "status", "--database", url)
    latest = schema.latest_version()
    assert before.code == 1 and "Schema: 0" in before.out and "pending 1:" in before.out
    assert PASSWORD not in before.out
    migrated = rm("db", "migrate", "--database", url, "--app-role", APP)
    assert migrated.code == 0, migrated.err
    assert "Applied 1:" in migrated.out and f"Role {APP} may read and write rows" in migrated.out
    again = rm("db", "migrate", "--database", url)
    assert again.code == 0 and "Nothing to migrate" in again.out
    status = rm("db", "status", "--database", url, "--json")
    assert status.code == 0
    shape = status.json()
    assert shape["version"] == shape["latest"] == latest and shape["pending"] == []
    assert [a["version"] for a in shape["applied"]] == [m.version for m in schema.MIGRATIONS]
    assert shape["database"] == f"postgresql://{OWNER}@127.0.0.1:{pg_cluster.port}/{pg_database}"


def test_every_command_uses_the_database_of_the_environment(
    rm: Runner, home: Path, pg_migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLMINDER_DATABASE_URL", pg_migrated)
    assert rm(*SETUP).code == 0
    done = rm("done", "--minutes", "3", now="2026-11-26T21:10+01:00")
    assert done.code == 0, done.err
    history = rm("history", "--json", now="2026-11-27T10:00+01:00")
    assert history.code == 0 and "2026-11-26T21:10" in history.out
    assert rm("status", now="2026-11-27T10:00+01:00").code == 0
    assert "2026-11-26T21:10" not in rm("--profile", "bob", "history", "--json").out
    monkeypatch.delenv("ROLLMINDER_DATABASE_URL")
    assert not (home / "rollminder.db").exists()  # nothing went to a SQLite file
    with PostgresStore.open(pg_migrated, profile="default", now=NOW) as store:
        assert len(store.sessions()) == 1 and store.plan() is not None


def test_bad_urls_and_missing_servers_are_one_line(
    rm: Runner, pg_cluster: Cluster, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = {
        "mysql://user@host/db": "must be a postgresql:// URL",
        "postgresql://u:s3cret-pw@127.0.0.1:1/x": "Cannot connect to the database",
        pg_cluster.url(pg_database, OWNER).replace(PASSWORD, "wrong-pw"): "password",
        pg_cluster.url("no_such_db", OWNER): "does not exist",
        pg_cluster.url(pg_database, OWNER): "run 'rollminder db migrate' first",
        "postgresql://127.0.0.1:notaport/x": "invalid integer value",
    }
    for url, expected in cases.items():
        for args in (("db", "status", "--database", url), ("serve", "--database", url)):
            result = rm(*args)
            if args[0] == "db" and expected.startswith("run"):
                assert result.code == 1 and "pending" in result.out
                continue
            assert result.code == 1, (url, result)
            assert expected in one_line(result.err), (url, result.err)
            assert "s3cret-pw" not in result.err and "wrong-pw" not in result.err
        monkeypatch.setenv("ROLLMINDER_DATABASE_URL", url)
        result = rm("next")
        monkeypatch.delenv("ROLLMINDER_DATABASE_URL")
        assert result.code == 1 and expected in one_line(result.err), (url, result.err)


def test_db_without_a_database_says_how_to_give_one(rm: Runner) -> None:
    result = rm("db", "status")
    assert result.code == 1
    assert "--database postgresql://" in one_line(result.err)


def test_a_hosted_database_is_not_restored_from_a_file(
    rm: Runner, pg_migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLMINDER_DATABASE_URL", pg_migrated)
    backup = tmp_path / "some.db"
    backup.write_bytes(b"")
    result = rm("backup", "restore", str(backup), "--yes")
    assert result.code == 1 and "pg_restore" in one_line(result.err)


def test_the_sqlite_start_up_never_imports_psycopg(tmp_path: Path) -> None:
    probe = (
        "import sys, atexit\n"
        "atexit.register(lambda: print(sorted(m for m in sys.modules if 'psycopg' in m)))\n"
        "from rollminder.cli import main\n"
        "sys.exit(main(['next', '--json']))\n"
    )
    env = {**os.environ, "ROLLMINDER_HOME": str(tmp_path / "home")}
    env.pop("ROLLMINDER_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == json.dumps([]), (done.stdout, done.stderr)
