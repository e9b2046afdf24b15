"""The web app keeps derived figures between requests (web/cache.py): never stale.

A write from another process (the CLI), a write through another connection, a new day, the clock
moving past a slot and a plan change all show on the very next request.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.cache import Memo
from tests.web.common import NOW, Clock

BERLIN = dt.timezone(dt.timedelta(hours=1))


def memo(client: TestClient) -> Memo:
    kept = client.app.state.memo  # type: ignore[attr-defined]
    assert isinstance(kept, Memo)
    return kept


def heat(html: str) -> tuple[int, str]:
    """Sessions in the heatmap and its last day (an empty history: 0 and the day it is for)."""
    empty = re.search(r'id="history-empty" data-today="([0-9-]+)"', html)
    if empty:
        assert 'class="chart heat"' not in html
        return 0, empty.group(1)
    found = re.search(r'class="chart heat"[^>]*data-sessions="(\d+)"', html)
    assert found, html[:500]
    days = re.findall(r'data-day="([0-9-]+)"', html)
    return int(found.group(1)), days[-1]


def cli(env: Env, *args: str) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    environ.update(ROLLMINDER_HOME=str(env.home), ROLLMINDER_NOW=env.now().isoformat())
    done = subprocess.run(
        [sys.executable, "-m", "rollminder", *args],
        env=environ,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_repeated_requests_reuse_the_figures(client: TestClient) -> None:
    first = client.get("/history").text
    misses = memo(client).misses
    for _ in range(3):
        assert client.get("/history").text == first
        client.get("/")
    # The dashboard's day data was computed once; the history and the plan were not recomputed.
    assert memo(client).misses == misses + 1


def test_a_session_logged_by_the_cli_shows_on_the_next_request(
    client: TestClient, env: Env
) -> None:
    assert heat(client.get("/history").text)[0] == 0
    assert "Next session" in client.get("/").text
    cli(env, "done", "--at", "2026-11-25T09:30")
    assert heat(client.get("/history").text)[0] == 1
    page = client.get("/").text
    assert "Resting until" in page
    cli(env, "roller", "add", "--label", "Face roller", "--uses", "9")
    assert "Face roller: 9 uses" in client.get("/").text


def test_writes_through_another_connection_and_this_one_show(client: TestClient, env: Env) -> None:
    client.get("/history")
    with env.open_store() as store:
        Rollminder(store, env.now).log_session(at=dt.datetime(2026, 11, 24, 21, 0, tzinfo=BERLIN))
    assert heat(client.get("/history").text)[0] == 1
    # A write by the web app itself (its own connection): the pause shows at once.
    page = client.get("/").text
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', page)
    assert token
    response = client.post(
        "/log/pause",
        data={
            "first": "2026-11-25",
            "last": "2026-11-30",
            "reason": "travel",
            "csrf_token": token.group(1),
        },
    )
    assert response.status_code == 200, response.text
    assert "Paused: travel" in client.get("/").text


def countdown(html: str) -> str:
    found = re.search(r'class="countdown"[^>]*>([^<]+)<', html)
    return found.group(1) if found else ""


def test_the_clock_moves_the_state_and_a_new_day_moves_the_calendar(
    client: TestClient, clock: Clock, env: Env
) -> None:
    with env.open_store() as store:
        Rollminder(store, env.now).add_roller(label="Face roller", first_use=dt.date(2026, 11, 20))
    assert heat(client.get("/history").text)[1] == "2026-11-25"
    page = client.get("/").text
    assert "Next session" in page and "Due now" not in page
    before = countdown(page)
    # Later the same day, with no write in between: the countdown follows the clock.
    clock.now = NOW + dt.timedelta(hours=2, minutes=7)
    assert countdown(client.get("/").text) not in ("", before)
    # Midnight in Berlin is 23:00 UTC: a new local day while the store (reopened per UTC day)
    # stays the same; the calendar moves on with no write in between.
    clock.now = dt.datetime(2026, 11, 25, 22, 30, tzinfo=dt.UTC)
    assert heat(client.get("/history").text)[1] == "2026-11-25"
    assert "5 days since first use" in client.get("/").text
    clock.now = dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC)
    assert heat(client.get("/history").text)[1] == "2026-11-26"
    assert "6 days since first use" in client.get("/").text
    # Thursday 21:05 in Berlin: the slot is open.
    clock.now = dt.datetime(2026, 11, 26, 21, 5, tzinfo=BERLIN)
    assert "Due now" in client.get("/").text


def test_a_plan_change_elsewhere_shows_on_the_next_request(client: TestClient, env: Env) -> None:
    page = client.get("/").text
    assert "2 sessions a week at 21:00" in page
    client.get("/history")
    with env.open_store() as store:
        Rollminder(store, env.now).set_plan(sessions=1, weekdays=(4,), every_weeks=2)
    page = client.get("/").text
    assert "1 session every 2 weeks at 21:00" in page
    assert "Kept per 2-week period" in client.get("/history").text


def test_the_data_stamp_moves_with_every_write_and_only_then(env: Env) -> None:
    with env.open_store() as store, env.open_store() as other:
        stamp = store.data_stamp()
        store.plan()
        assert store.data_stamp() == stamp  # reading changes nothing
        Rollminder(store, env.now).log_session(at=NOW)
        assert store.data_stamp() != stamp  # its own write
        stamp = store.data_stamp()
        Rollminder(other, env.now).pause(dt.date(2026, 12, 1), dt.date(2026, 12, 2), "")
        assert store.data_stamp() != stamp  # another connection's commit
