"""The web app on PostgreSQL (hosted mode: signed in to an account; as the app's role,
row-level security on): the dashboard, logging a session, history; and a database that goes
away mid-run: a one-line 503 page (and a one-line CLI error), then the same process recovers
once the server is back."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app
from tests.accounts_kit import sign_up
from tests.conftest import Runner
from tests.pg import Cluster, wait_until_up
from tests.web.common import BASE, NOW

BERLIN = dt.timezone(dt.timedelta(hours=1))


def plan(env: Env) -> None:
    with env.open_store() as store:
        Rollminder(store, env.now).set_plan(
            needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin"
        )


@pytest.fixture
def env(tmp_path: Path, pg_migrated: str) -> Env:
    env = Env(home=tmp_path / "home", clock=lambda: NOW, database_url=pg_migrated)
    plan(env)  # the CLI's profile (of no account)
    return env


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    """Hosted mode: signed up to an account whose profile has a plan (``env`` then opens it)."""
    from rollminder.accounts import Accounts

    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        sign_up(c, "pg@example.org")
        found = Accounts(str(env.database_url), env.now).find("pg@example.org")
        assert found is not None
        env.account = found[0]
        plan(env)
        yield c


def test_dashboard_log_and_history(client: TestClient, env: Env, tmp_path: Path) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "Next session" in page.text
    added = client.post(
        "/log/session",
        data={"at": "2026-11-16T21:05", "minutes": "2.5", "zones": ["neck"], "note": "pg ✓"},
    )
    assert added.status_code == 200
    assert "Logged a session: Mon 16 Nov, 21:05." in added.text
    with env.open_store() as store:
        [session] = store.sessions()
        assert session.start == dt.datetime(2026, 11, 16, 20, 5, tzinfo=dt.UTC)
        assert session.note == "pg ✓"
    history = client.get("/history")
    assert history.status_code == 200 and 'data-sessions="1" data-days="1"' in history.text
    assert "pg ✓" in client.get("/log").text
    assert not (tmp_path / "home" / "rollminder.db").exists()


def one_line_error(text: str) -> str:
    found = re.search(r'<p class="msg error" role="alert">([^<]*)</p>', text)
    assert found, text[-800:]
    assert "\n" not in found.group(1)
    return html.unescape(found.group(1))


def test_a_database_that_goes_away_gives_503_then_recovers(
    client: TestClient, env: Env, pg_cluster: Cluster, rm: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/").status_code == 200
    monkeypatch.setenv("ROLLMINDER_DATABASE_URL", str(env.database_url))
    pg_cluster.stop()
    try:
        for path in ("/", "/history"):
            down = client.get(path)
            assert down.status_code == 503, down.text[-500:]
            assert "cannot be reached right now" in one_line_error(down.text)
            assert "Traceback" not in down.text
        posted = client.post("/log/session", data={"at": "2026-11-16T21:05", "minutes": "2"})
        assert posted.status_code == 503
        cli = rm("next")
        assert cli.code == 1 and "cannot be reached right now" in cli.err
        assert cli.err.count("\n") == 1 and "Traceback" not in cli.err
    finally:
        pg_cluster.start()
        wait_until_up(pg_cluster)
    assert client.get("/").status_code == 200  # the same process, without a restart
    assert client.get("/history").status_code == 200
    assert rm("next").code == 0
    with env.open_store() as store:
        assert store.sessions() == []  # the refused write left nothing half-done


def test_a_cached_page_costs_two_round_trips_and_sees_a_new_routine(
    client: TestClient, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed-in page whose figures are cached makes two round trips to the database: the
    sign-in, and the profile's routines (read once, though the switch, the page and its menu all
    use them) with, in the same round trip, the profile's data stamp and a check of its id
    (known to the process). A routine added by another process (the CLI) is on the next page all
    the same, and so is a session logged there (the stamp moved: the figures are made again)."""
    import contextlib

    import psycopg

    client.get("/")  # the figures cached
    said: list[str] = []
    trips: list[str] = []
    execute, pipeline = psycopg.Cursor.execute, psycopg.Connection.pipeline

    def counting(self: psycopg.Cursor, query: object, *args: object, **kwargs: object) -> object:
        said.append(" ".join(str(query).split()))
        if self.connection._pipeline is None:  # a statement of its own: a round trip
            trips.append(said[-1])
        return execute(self, query, *args, **kwargs)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def piped(self: psycopg.Connection) -> Iterator[object]:
        trips.append("pipeline")  # its statements go together: one round trip
        with pipeline(self) as p:
            yield p

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    monkeypatch.setattr(psycopg.Connection, "pipeline", piped)
    assert client.get("/").status_code == 200
    assert len(trips) == 2, trips
    assert sum("FROM routines" in q for q in said) == 1
    with env.open_store() as store:
        Rollminder(store, env.now).add_routine(
            "Thighs", needle_mm=0.5, weekdays=(5,), time=dt.time(21), zones=("thighs",)
        )
    assert "Thighs" in client.get("/").text  # the switch lists it
    seen = []
    for days in (2, 1):
        with env.open_store() as store:
            Rollminder(store, env.now).log_session(at=NOW - dt.timedelta(days=days))
        seen.append(re.search(r'data-sessions="(\d+)"', client.get("/history").text))
    assert [m.group(1) if m else None for m in seen] == ["1", "2"]
