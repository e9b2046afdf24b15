"""Three real `rollminder serve` processes on one PostgreSQL database (issue #15, operating it):
nothing one process needs lives only in another. On a PostgreSQL URL people sign in to accounts
(e-mail and argon2id password). Signed in through one process, a person is signed in on all (the
cookie's key and the sign-in records are the database's); a form rendered by one is accepted by
another (the CSRF token sits in the signed cookie); a change made through one is on the next
page of another at once (the caches key on the database's data stamp); signing out on one ends
the session everywhere; and wrong passwords tried on different processes count together against
the one limit per e-mail and per address (the accounts' ``rate_limits`` rows, schema 5)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest

from rollminder.accounts import LIMITS
from tests.pg import Cluster
from tests.serve_many import (
    EMAIL,
    PASSWORD,
    csrf_of,
    free_ports,
    limit_hits,
    new_account,
    serving,
    sign_in_form,
)

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def hosted(pg_migrated: str, tmp_path: Path) -> str:
    """A database with an account (EMAIL, PASSWORD) whose profile has a plan; the app role's
    URL."""
    new_account(pg_migrated, tmp_path / "home")
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
        form = sign_in_form(web.get(f"{a}/login").text, EMAIL, PASSWORD)
        signed = web.post(f"{b}/login", data=form)
        assert signed.status_code == 303 and signed.headers["location"] == "/", signed.text[-500:]
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
    per_email, _ = LIMITS["signin-email"]
    per_address, _ = LIMITS["signin-ip"]
    other = "bo@example.org"
    new_account(hosted, tmp_path / "home", other, PASSWORD)
    ports = free_ports(3)
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    with serving(hosted, tmp_path / "home", ports), httpx.Client(timeout=20) as web:
        page = web.get(f"{bases[0]}/login").text
        tried = 0
        # Wrong passwords for one e-mail, spread over the three processes.
        for attempt in range(per_email):
            wrong = web.post(
                f"{bases[attempt % 3]}/login", data=sign_in_form(page, EMAIL, f"wrong {attempt}!")
            )
            assert wrong.status_code == 401, (attempt, wrong.status_code)
            tried += 1
        # The e-mail's limit is reached for all of them, even with the right password.
        for base in bases:
            blocked = web.post(f"{base}/login", data=sign_in_form(page, EMAIL, PASSWORD))
            assert blocked.status_code == 429 and "Too many tries" in blocked.text, base
            assert int(blocked.headers["retry-after"]) > 0
            tried += 1
        assert limit_hits(pg_cluster, hosted, "signin-email", EMAIL) == tried
        # Another account is not blocked by that e-mail's count: it signs in, on any process.
        with httpx.Client(timeout=20) as bo:
            signed = bo.post(
                f"{bases[1]}/login",
                data=sign_in_form(bo.get(f"{bases[2]}/login").text, other, PASSWORD),
            )
            assert signed.status_code == 303, signed.text[-500:]
            tried += 1
        # Wrong passwords for e-mails without an account, from the same address, until the
        # address's limit: then every process refuses it, even other's right password.
        while tried < per_address:
            wrong = web.post(
                f"{bases[tried % 3]}/login",
                data=sign_in_form(page, f"nobody{tried}@example.org", "not the password"),
            )
            assert wrong.status_code == 401, (tried, wrong.status_code)
            tried += 1
        for base in bases:
            blocked = web.post(f"{base}/login", data=sign_in_form(page, other, PASSWORD))
            assert blocked.status_code == 429 and "Too many tries" in blocked.text, base
            assert int(blocked.headers["retry-after"]) > 0
            tried += 1
    # Counted in the database, once for every try on any process.
    assert limit_hits(pg_cluster, hosted, "signin-ip", "127.0.0.1") == tried
    assert limit_hits(pg_cluster, hosted, "signin-email", other) == 1  # refused by address first
    database = hosted.rsplit("/", 1)[1]
    assert pg_cluster.sql("SELECT count(*) FROM login_failures", database=database) == [(0,)]
