"""Isolation between accounts in hosted mode, proved from the outside: signed in as account A,
every route of the app (walked from ``app.routes``), every feed and action link, fed B's ids,
B's used or rotated-away tokens, guessed tokens and B's profile names, answers 404 where the URL
names something (or 403 without A's own CSRF token) and changes nothing of B's: B's export of
every profile and B's row counts are the same before and after. And the second wall: connected
as the app's role with A's keys, no query, even one without any WHERE, reaches a row of B."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from rollminder.accounts import Accounts
from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.store import postgres_schema as schema
from rollminder.store.postgres import PostgresStore
from rollminder.web import security
from rollminder.web.app import create_app
from tests.accounts_kit import csrf, sign_up, use_session_token
from tests.pg import NOW, Cluster
from tests.store_contract import a_session, fill, typical
from tests.test_photos import gps_jpeg
from tests.web.common import BASE

B_PROFILES = ("default", "kid")


def b_store(url: str, account: int, profile: str) -> PostgresStore:
    return PostgresStore.open(url, profile=profile, now=NOW, account=account)


def snapshot(cluster: Cluster, url: str, account: int) -> dict[str, Any]:
    """Everything of B's: each profile's JSON export, and B's rows per table (as the owner)."""
    found: dict[str, Any] = {}
    for profile in B_PROFILES:
        with b_store(url, account, profile) as store:
            app = Rollminder(store, lambda: NOW)
            found[profile] = app.export_json()
            found[f"{profile} photos"] = [  # the photos (not in the JSON export), every byte
                (p, hashlib.sha256(app.photo_image(p.id) + app.photo_image(p.id, "thumb")).digest())
                for p in app.photos()
            ]
    database = url.rsplit("/", 1)[1]
    for table in schema.PROFILE_TABLES:
        found[table] = cluster.sql(
            f"SELECT count(*) FROM {table} t JOIN profiles p ON p.id = t.profile_id "
            f"WHERE p.account_id = {account}",
            database=database,
        )
    for table in schema.ACCOUNT_TABLES:
        column = "id" if table == "accounts" else "account_id"
        found[table] = cluster.sql(
            f"SELECT count(*) FROM {table} WHERE {column} = {account}", database=database
        )
    found["profiles"] = cluster.sql(
        f"SELECT name FROM profiles WHERE account_id = {account} ORDER BY name", database=database
    )
    return found


@pytest.fixture
def two(tmp_path: Path, pg_migrated: str) -> Iterator[tuple[TestClient, TestClient, Any, Env]]:
    env = Env(home=tmp_path / "home", clock=lambda: NOW, database_url=pg_migrated)
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url=BASE) as a, TestClient(app, base_url=BASE) as b:
        sign_up(b, "b@example.org")
        sign_up(a, "a@example.org")
        yield a, b, app, env


def b_setup(env: Env, b: TestClient) -> dict[str, str]:
    """B with one row of every kind in two profiles, a plan, feed and action tokens (the first
    ones rotated away); B's ids, tokens and names to feed A's requests."""
    url = str(env.database_url)
    accounts = Accounts(url, env.now)
    found = accounts.find("b@example.org")
    assert found is not None
    account = found[0]
    accounts.add_profile(account, "kid")
    photos: list[str] = []
    for profile in B_PROFILES:
        with b_store(url, account, profile) as store:
            fill(store)
            store.put_session(a_session(3, id=f"b-{profile}-only"))
            app = Rollminder(store, lambda: NOW)
            app.put_secret(security.FEED_TOKEN, f"old-feed-token-of-b-{profile}-0123456789")
            app.put_secret(security.ACTION_TOKEN, f"old-action-token-of-b-{profile}-01234567")
            app.rotate_token(security.FEED_TOKEN)
            app.rotate_token(security.ACTION_TOKEN)
            photos.append(app.add_photo(gps_jpeg(), angle="front").id)
    verify = accounts.new_token(account, "verify")
    accounts.verify(verify)  # used: a stale link A may have seen
    reset = accounts.new_token(account, "reset")  # live, but A only guesses at it
    return {
        "account": str(account),
        "session": "b-default-only",
        "verify": verify,
        "reset": reset[:-4] + "AAAA",
        "feed": "old-feed-token-of-b-default-0123456789",
        "action": "old-action-token-of-b-default-01234567",
        "guess": "x" * 43,
        "photo": photos[0],
        "kid photo": photos[1],
    }


def path_values(path: str, b: dict[str, str]) -> Iterator[str]:
    """URLs of ``path`` with its parameters filled with B's values (every combination)."""
    rows = typical()
    choices = {
        "id": [
            b["session"],
            *(str(getattr(r, "id", "")) for r in rows.values() if getattr(r, "id", "")),
        ],
        "kind": ["session", "skip"],
        "photo_id": [b["photo"], b["kid photo"]],
        "token": {
            "/feed/": [b["feed"], b["guess"]],
            "/act/": [b["action"], b["guess"]],
            "/account/verify/": [b["verify"], b["guess"]],
            "/account/reset/": [b["reset"], b["guess"]],
        },
        "action": ["done", "snooze"],
        "step": ["areas", "when", "zone", "remind", "needle"],
        "which": ["feed", "actions"],
        "form": ["json", "csv"],
    }
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    lists = []
    for name in names:
        values = choices[name]
        if isinstance(values, dict):
            values = next(v for prefix, v in values.items() if path.startswith(prefix))
        lists.append(sorted(set(values)))
    for combo in itertools.product(*lists):
        url = path
        for name, value in zip(names, combo, strict=True):
            url = re.sub(r"{" + name + r"(?::\w+)?}", value, url, count=1)
        yield url


def b_form(b: dict[str, str]) -> dict[str, str]:
    """A form naming B's things in every field a route might read."""
    rows = typical()
    ids = {k: str(getattr(r, "id", "")) for k, r in rows.items()}
    return {
        "id": b["session"], "session_id": b["session"], "name": "ntfy", "channel": "ntfy",
        "profile": "kid", "email": "b@example.org", "current": "correct horse 1",
        "password": "taken over pw 1", "slot": "2026-11-23T20:00:00+00:00", "confirm": "yes",
        "series_id": ids.get("series", ""), "visit": ids.get("visit", ""),
        "roller": ids.get("roller", ""),
        "at": "2026-11-16T21:05", "minutes": "2", "zones": "neck", "note": "A was here",
    }  # fmt: skip


def test_a_reaches_nothing_of_b_by_any_route(
    two: tuple[TestClient, TestClient, Any, Env], pg_cluster: Cluster
) -> None:
    a, b, app, env = two
    values = b_setup(env, b)
    account = int(values["account"])
    url = str(env.database_url)
    a_account = (Accounts(url, env.now).find("a@example.org") or (0,))[0]
    with b_store(url, a_account, "default") as store:  # A has a plan too (see the report)
        Rollminder(store, lambda: NOW).set_plan(
            needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin"
        )
    before = snapshot(pg_cluster, url, account)
    use_session_token(a)
    seen: list[tuple[str, str, int]] = []
    for route in app.routes:
        if isinstance(route, Mount) or not isinstance(route, Route):
            continue
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            if route.path in ("/logout",):
                continue
            for target in path_values(route.path, values):
                if method == "GET":
                    response = a.get(target, follow_redirects=False)
                elif target.endswith("/register") or target.endswith("/signin"):
                    response = a.post(target, json={"credential": {"rawId": "AAAA"}})
                else:
                    response = a.post(target, data=b_form(values), follow_redirects=False)
                seen.append((method, target, response.status_code))
                assert response.status_code < 500, (method, target, response.text[-300:])
                assert method == "POST" or "b@example.org" not in response.text  # (a form echoes)
                if "b-default-only" in response.text:  # only as an echo of what A sent
                    assert method == "POST" or "b-default-only" in target, (method, target)
                if re.search(r"{(id|token|photo_id)(:\w+)?}", route.path):  # a thing of B's
                    assert response.status_code == 404, (method, target, response.status_code)
            if a.get("/account", follow_redirects=False).status_code != 200:  # signed out?
                pytest.fail(f"{method} {route.path} ended A's sign-in")
            use_session_token(a)  # (A's own password change renews A's session)
    assert len(seen) > 60
    after = snapshot(pg_cluster, url, account)
    # The one thing A may cause: "forgot my password" for B's e-mail mails B (not A) a reset
    # link (rate-limited); nothing else of B's changes.
    tokens = pg_cluster.sql(
        f"SELECT purpose, used_at IS NULL FROM account_tokens WHERE account_id = {account} "
        "ORDER BY created_at",
        database=url.rsplit("/", 1)[1],
    )
    assert tokens[-1] == ("reset", True) and len(tokens) == before["account_tokens"][0][0] + 1
    assert {**after, "account_tokens": None} == {**before, "account_tokens": None}
    assert Accounts(url, env.now).check_password("b@example.org", "correct horse 1") == account
    # B is still signed in: nothing A did ended B's sign-in.
    assert b.get("/account").status_code == 200 and "b@example.org" in b.get("/account").text


def test_b_csrf_token_in_a_session_is_403_and_changes_nothing(
    two: tuple[TestClient, TestClient, Any, Env], pg_cluster: Cluster
) -> None:
    a, b, _, env = two
    values = b_setup(env, b)
    before = snapshot(pg_cluster, str(env.database_url), int(values["account"]))
    b_token = csrf(b, "/account")
    a.headers.pop("X-CSRF-Token", None)
    for path in ("/account/delete", "/account/profile", "/log/session", "/settings/rotate/feed"):
        response = a.post(path, data={**b_form(values), "csrf_token": b_token})
        assert response.status_code == 403, path
    assert snapshot(pg_cluster, str(env.database_url), int(values["account"])) == before


def test_token_links_reach_only_their_own_profile(
    two: tuple[TestClient, TestClient, Any, Env],
) -> None:
    """A's own feed link shows A's sessions, never B's; B's current link shows B's profile only
    (a link is its own credential, as a secret calendar address is), whoever opens it."""
    a, b, _, env = two
    values = b_setup(env, b)
    url, account = str(env.database_url), int(values["account"])
    with b_store(url, account, "default") as store:
        feed = Rollminder(store, lambda: NOW).secret(security.FEED_TOKEN)
    anonymous = TestClient(a.app, base_url=BASE)
    assert anonymous.get(f"/feed/{feed}.ics").status_code in (200, 409)
    assert anonymous.get(f"/feed/{values['feed']}.ics").status_code == 404
    assert anonymous.get(f"/act/{values['action']}/done").status_code == 404


def test_rls_with_a_keys_sees_no_row_of_b(two: tuple[TestClient, TestClient, Any, Env]) -> None:
    """The second wall, with the first one taken away: raw SQL with no WHERE, as the app's role
    under A's account and each profile name B uses, finds no row of B in any table."""
    _, b, _, env = two
    b_setup(env, b)
    url = str(env.database_url)
    accounts = Accounts(url, env.now)
    a_account = (accounts.find("a@example.org") or (0,))[0]
    b_account = (accounts.find("b@example.org") or (0,))[0]
    with b_store(url, a_account, "default") as store:
        fill(store)
    with psycopg.connect(url) as conn:
        for profile in (*B_PROFILES, ""):
            conn.execute(
                "SELECT set_config('rollminder.profile', %s, true), "
                "set_config('rollminder.account', %s, true)",
                (profile, str(a_account)),
            )
            for table in ("profiles", *schema.PROFILE_TABLES, *schema.ACCOUNT_TABLES):
                rows = conn.execute(f"SELECT * FROM {table}").fetchall()  # no WHERE at all
                text = json.dumps([list(map(str, r)) for r in rows])
                assert "b@example.org" not in text, table
                if table in schema.PROFILE_TABLES:
                    owners = conn.execute(
                        f"SELECT DISTINCT p.account_id FROM {table} t "
                        "JOIN profiles p ON p.id = t.profile_id"
                    ).fetchall()
                    assert owners in ([], [(a_account,)]), (table, owners)
            changed = conn.execute("UPDATE sessions SET note = 'A was here'").rowcount
            assert changed <= 2  # A's own default profile's rows only
            conn.rollback()
        # Writing a row for B's profile is refused by the policy.
        conn.execute(
            "SELECT set_config('rollminder.profile', 'kid', true), "
            "set_config('rollminder.account', %s, true)",
            (str(a_account),),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO profiles (name, account_id, created_at) VALUES ('x', %s, now())",
                (b_account,),
            )
        conn.rollback()
    # The sign-in lookups answer for one e-mail or token, never a listing.
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
        assert conn.execute("SELECT * FROM rollminder_account_by_email('%')").fetchall() == []
        assert (
            conn.execute(
                "SELECT * FROM rollminder_profile_by_token('password', 'hash ✓')"
            ).fetchall()
            == []
        )
