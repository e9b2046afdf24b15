"""Three real `rollminder serve` processes on one PostgreSQL database (issue #15, operating it):
nothing one process needs lives only in another. Signed in through one, a person is signed in
on all (the cookie's key and the sign-in records are the store's); a form rendered by one is
accepted by another (the CSRF token sits in the signed cookie); a change made through one is on
the next page of another at once (the caches key on the database's data stamp); signing out on
one ends the session everywhere; and wrong passwords tried on different processes count
together against the one limit (the counters are in the database, schema 4)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest

from rollminder.env import Env
from rollminder.web import security, signins
from tests.pg import Cluster
from tests.serve_many import PASSWORD, csrf_of, free_ports, serving

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def hosted(pg_migrated: str, tmp_path: Path) -> str:
    """A database with a plan and a password; the app role's URL."""
    env = Env(home=tmp_path / "home", database_url=pg_migrated)
    app = env.open_app()
    try:
        app.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
        signins.set_password(app, PASSWORD)
    finally:
        app.close()
    return pg_migrated


def sessions_shown(page: str) -> int:
    """The sessions History counts; 0 when it shows its empty card (nothing to show yet)."""
    if 'id="history-empty"' in page:
        return 0
    found = re.search(r'data-sessions="(\d+)"', page)
    assert found, page[-800:]
    return int(found.group(1))


def test_three_processes_share_sign_in_csrf_caches_and_sign_out(
    hosted: str, tmp_path: Path
) -> None:
    ports = free_ports(3)
    a, b, c = (f"http://127.0.0.1:{port}" for port in ports)
    with serving(hosted, tmp_path / "home", ports), httpx.Client(timeout=20) as web:
        assert web.get(f"{a}/").headers["location"].startswith("/login")
        # The sign-in form comes from A and is posted to B.
        token = csrf_of(web.get(f"{a}/login").text)
        signed = web.post(
            f"{b}/login", data={"password": PASSWORD, "next": "/", "csrf_token": token}
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        for base in (a, b, c):  # signed in everywhere
            page = web.get(f"{base}/")
            assert page.status_code == 200 and "Next session" in page.text, base

        # B's history, computed and kept; a session logged through A (a form C rendered) is
        # on B's next page at once.
        before = sessions_shown(web.get(f"{b}/history").text)
        token = csrf_of(web.get(f"{c}/log").text)
        when = (dt.datetime.now(BERLIN) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        logged = web.post(
            f"{a}/log/session", data={"at": when, "minutes": "2", "csrf_token": token}
        )
        assert logged.status_code in (200, 303), logged.text[-500:]
        assert sessions_shown(web.get(f"{b}/history").text) == before + 1
        assert sessions_shown(web.get(f"{c}/history").text) == before + 1

        # Without the token, every process refuses a change.
        for base in (a, b, c):
            refused = web.post(f"{base}/log/session", data={"at": when, "minutes": "2"})
            assert refused.status_code == 403, base
        assert sessions_shown(web.get(f"{a}/history").text) == before + 1

        # Signing out on C ends the session on A and B too, even for a copy of the cookie.
        copied = dict(web.cookies.items())
        out = web.post(f"{c}/logout", data={"csrf_token": token})
        assert out.status_code == 303
        with httpx.Client(timeout=20, cookies=copied) as thief:
            for base in (a, b):
                assert thief.get(f"{base}/").headers.get("location", "").startswith("/login")


def test_wrong_passwords_on_different_processes_count_together(
    hosted: str, tmp_path: Path, pg_cluster: Cluster
) -> None:
    ports = free_ports(3)
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    with serving(hosted, tmp_path / "home", ports), httpx.Client(timeout=20) as web:
        token = csrf_of(web.get(f"{bases[0]}/login").text)
        form = {"next": "/", "csrf_token": token}
        for attempt in range(security.ADDRESS_ATTEMPTS):  # spread over the three processes
            wrong = web.post(
                f"{bases[attempt % 3]}/login", data={**form, "password": f"wrong {attempt}"}
            )
            assert wrong.status_code == 401, (attempt, wrong.status_code)
        for base in bases:  # the limit is reached for all of them, even with the right password
            blocked = web.post(f"{base}/login", data={**form, "password": PASSWORD})
            assert blocked.status_code == 429, base
            assert int(blocked.headers["retry-after"]) > 0
    database = hosted.rsplit("/", 1)[1]
    rows = pg_cluster.sql(
        "SELECT scope, client, count(*) FROM login_failures GROUP BY scope, client ORDER BY 1",
        database=database,
    )
    assert rows == [
        ("account", "\\0account", security.ADDRESS_ATTEMPTS),
        ("address", "127.0.0.1", security.ADDRESS_ATTEMPTS),
    ]


def test_the_database_limit_slides_and_a_success_clears_the_address(
    hosted: str, tmp_path: Path
) -> None:
    """The same limit as in memory (tests/web/test_app_security.py), on the database's log."""
    env = Env(home=tmp_path / "home", database_url=hosted)
    now = [1_800_000_000.0]
    limit = security.LoginLimit(lambda: now[0], env.failure_log)
    other = security.LoginLimit(lambda: now[0], env.failure_log)  # another process
    for _ in range(security.ADDRESS_ATTEMPTS - 1):
        limit.failed("192.0.2.1")
    assert other.blocked_for("192.0.2.1") == 0
    other.failed("192.0.2.1")
    assert limit.blocked_for("192.0.2.1") == pytest.approx(security.ADDRESS_WINDOW)
    assert limit.blocked_for("192.0.2.2") == 0  # another address
    now[0] += security.ADDRESS_WINDOW + 1
    assert limit.blocked_for("192.0.2.1") == 0  # the window slid past
    limit.failed("192.0.2.3")
    other.succeeded("192.0.2.3")
    assert limit.by_address.log.recent("192.0.2.3", 0) == []
