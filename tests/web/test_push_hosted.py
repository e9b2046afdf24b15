"""Web Push in hosted mode (PostgreSQL, accounts): a signed-in account subscribes a device; the
reminder pass on that account's profile (as a worker runs it) pushes one message to the loopback
push service; its Done path, POSTed with no cookie as the service worker does, logs the session in
that account's profile and no other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.accounts import Accounts
from rollminder.env import Env
from rollminder.remind import engine
from rollminder.service import Rollminder
from rollminder.store.postgres import PostgresStore
from rollminder.web.app import create_app
from tests.accounts_kit import sign_up
from tests.pg import NOW
from tests.push_receiver import PushReceiver
from tests.web.common import BASE


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    r = PushReceiver(19171).start()
    try:
        yield r
    finally:
        r.stop()


def test_a_hosted_account_gets_its_reminder_by_push_and_done_logs_it(
    tmp_path: Path, pg_migrated: str, receiver: PushReceiver
) -> None:
    env = Env(home=tmp_path / "home", clock=lambda: NOW, database_url=pg_migrated)
    web = create_app(env, start_reminders=False)
    device = receiver.device()
    with TestClient(web, base_url=BASE) as a, TestClient(web, base_url=BASE) as b:
        sign_up(b, "b@example.org")
        sign_up(a, "a@example.org")
        added = a.post(
            "/push/subscribe", json={"subscription": device.subscription(), "name": "Phone"}
        )
        assert added.status_code == 200, added.text
        assert "Phone" in a.get("/push/devices").text
        assert "Phone" not in b.get("/push/devices").text
        key = a.get("/push/key").json()["key"]
        assert b.get("/push/key").json()["key"] != key  # one key pair per profile

        accounts = Accounts(pg_migrated, env.now)
        found = accounts.find("a@example.org")
        assert found is not None
        store = PostgresStore.open(pg_migrated, profile="default", now=NOW, account=found[0])
        app = Rollminder(store, lambda: NOW)
        try:
            app.set_plan(
                needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin"
            )
            result = engine.run_pass(app, app.active_channels(lambda: False), wait=10)
            assert [s.channel for s in result.sent] == ["Phone"], result.failed
            engine.run_pass(app, app.active_channels(lambda: False), wait=10)
            (got,) = receiver.wait(1)
            assert receiver.refused == [] and len(receiver.received) == 1
            assert got.vapid_key == key
            done = got.data["actions"][0]["url"]
        finally:
            app.close()

    with TestClient(web, base_url=BASE) as worker:  # no cookie, no CSRF token
        answer = worker.post(done, headers={"Accept": "text/plain"})
        assert answer.status_code == 200 and answer.text.startswith("Logged a session at 21:00")
    with PostgresStore.open(pg_migrated, profile="default", now=NOW, account=found[0]) as mine:
        assert mine.last_session() is not None
