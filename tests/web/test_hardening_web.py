"""Issue 18, in process: sessions revoked by sign-out and a password change (item 1), host names
allowed once a password is set (item 3), HSTS under --cert and the per-account login limit
(item 16)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.cli import main
from rollminder.env import Env
from rollminder.web import security
from rollminder.web.app import create_app
from tests.web.common import BASE, planned_env

PASSWORD = "correct horse"


@pytest.fixture
def env(tmp_path: Path) -> Env:
    env = planned_env(tmp_path)
    with env.open_store() as store:
        store.put_secret(security.PASSWORD, security.hash_password(PASSWORD))
    return env


def login(c: TestClient, password: str = PASSWORD) -> int:
    page = c.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text
    response = c.post(
        "/login", data={"csrf_token": csrf.group(1), "password": password}, follow_redirects=False
    )
    return response.status_code


def csrf_of(c: TestClient, path: str = "/") -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', c.get(path).text)
    assert found
    return found.group(1)


def signed_in(app: object, cookie: str) -> bool:
    """Does a client holding only this session cookie reach the dashboard?"""
    with TestClient(app, base_url=BASE) as other:  # type: ignore[arg-type]
        other.cookies.set("rollminder_session", cookie)
        response = other.get("/", follow_redirects=False)
        return response.status_code == 200


# -- item 1: sessions end with sign-out and with a new password ------------------------------------


def test_a_cookie_captured_before_sign_out_no_longer_works(env: Env) -> None:
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url=BASE) as c:
        assert login(c) == 303
        captured = c.cookies["rollminder_session"]
        assert signed_in(app, captured)
        response = c.post("/logout", headers={"X-CSRF-Token": csrf_of(c)}, follow_redirects=False)
        assert response.status_code == 303
    assert not signed_in(app, captured)


def test_a_new_password_ends_every_earlier_session(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url=BASE) as phone, TestClient(app, base_url=BASE) as laptop:
        assert login(phone) == 303 and login(laptop) == 303
        cookies = [phone.cookies["rollminder_session"], laptop.cookies["rollminder_session"]]
    assert all(signed_in(app, cookie) for cookie in cookies)
    # The CLI changes the password while the server runs.
    monkeypatch.setenv("ROLLMINDER_HOME", str(env.home))
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\nanother password\n"))
    assert main(["password", "set"]) == 0
    assert not any(signed_in(app, cookie) for cookie in cookies)
    with TestClient(app, base_url=BASE) as c:
        assert login(c) == 401  # the old password is gone
        assert login(c, "another password") == 303
        assert signed_in(app, c.cookies["rollminder_session"])


def test_signing_out_on_one_device_keeps_the_other(env: Env) -> None:
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url=BASE) as phone, TestClient(app, base_url=BASE) as laptop:
        assert login(phone) == 303 and login(laptop) == 303
        kept = laptop.cookies["rollminder_session"]
        phone.post("/logout", headers={"X-CSRF-Token": csrf_of(phone)})
    assert signed_in(app, kept)


def test_sessions_are_kept_in_the_store_for_every_server_process(env: Env) -> None:
    first = create_app(env, start_reminders=False)
    second = create_app(env, start_reminders=False)  # another process on the same data
    with TestClient(first, base_url=BASE) as c:
        assert login(c) == 303
        cookie = c.cookies["rollminder_session"]
        assert signed_in(second, cookie)
        c.post("/logout", headers={"X-CSRF-Token": csrf_of(c)})
    assert not signed_in(second, cookie)


def test_password_clear_ends_the_sessions_too(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(env, host="127.0.0.1", start_reminders=False)
    with TestClient(app, base_url=BASE) as c:
        assert login(c) == 303
    monkeypatch.setenv("ROLLMINDER_HOME", str(env.home))
    assert main(["password", "clear"]) == 0
    with env.open_store() as store:
        assert store.secret(security.SESSIONS) is None


# -- item 3: host names once a password is set -----------------------------------------------------


def test_with_a_password_only_known_host_names_are_answered(env: Env) -> None:
    app = create_app(env, host="0.0.0.0", start_reminders=False)
    for base in ("http://rebound.example:8765", "http://evil.test", "http://127.0.0.1.evil.test"):
        with TestClient(app, base_url=base) as c:
            response = c.get("/login")
            assert response.status_code == 421, base
            assert "public-url" in response.text
            assert response.headers["content-security-policy"]
    # Addresses (no DNS name to rebind), loopback names and this machine's name are answered.
    import socket

    for base in (
        BASE,
        "http://localhost:8765",
        "http://[::1]:8765",
        "http://192.168.1.20:8765",
        "http://[fe80::1]:8765",
        f"http://{socket.gethostname()}:8765",
    ):
        with TestClient(app, base_url=base) as c:
            assert c.get("/login").status_code == 200, base


def test_public_url_host_is_answered(env: Env) -> None:
    app = create_app(
        env, host="127.0.0.1", start_reminders=False, public_url="https://roll.example.org/"
    )
    with TestClient(app, base_url="https://roll.example.org") as c:
        assert c.get("/login").status_code == 200
    with TestClient(app, base_url="https://other.example.org") as c:
        assert c.get("/login").status_code == 421


def test_bound_name_is_answered(env: Env) -> None:
    app = create_app(env, host="myhost.lan", start_reminders=False)
    with TestClient(app, base_url="http://myhost.lan:8765") as c:
        assert c.get("/login").status_code == 200


@pytest.mark.parametrize(
    "bad", ["ftp://x.example", "roll.example.org", "https://", "http://a b/", "https://x/\x00"]
)
def test_serve_public_url_must_be_an_http_url(
    env: Env, bad: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ROLLMINDER_HOME", str(env.home))
    assert main(["serve", "--public-url", bad, "--no-reminders"]) != 0
    err = capsys.readouterr().err
    assert "public" in err.lower() and "Traceback" not in err and len(err.splitlines()) <= 3


# -- item 16: HSTS and the per-account limit -------------------------------------------------------


def test_hsts_only_over_https(env: Env) -> None:
    with TestClient(create_app(env, start_reminders=False, https=True), base_url=BASE) as c:
        for path in ("/login", "/nowhere", "/static/app.css"):
            hsts = c.get(path).headers.get("strict-transport-security", "")
            assert hsts.startswith("max-age=") and int(hsts[8:].split(";")[0]) >= 15552000, path
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        assert "strict-transport-security" not in c.get("/login").headers


def test_the_login_limit_counts_per_account_across_addresses(env: Env) -> None:
    app = create_app(env, start_reminders=False)
    evaluated = 0
    for n in range(10):
        with TestClient(app, base_url=BASE, client=(f"10.0.0.{n}", 40000 + n)) as c:
            for _ in range(5):
                status = login(c, "a wrong guess")
                assert status in (401, 429)
                evaluated += status == 401
    assert evaluated == security.ACCOUNT_ATTEMPTS
    # The address limit holds on its own too.
    per_address = security.RateLimit(
        attempts=security.ADDRESS_ATTEMPTS, window=security.ADDRESS_WINDOW
    )
    assert per_address.attempts == 5


def test_the_login_limit_figures_per_hour() -> None:
    """The closing note's figures, from the configured limits: one address gets at most 5
    wrong passwords per 5 minutes (60 an hour); every address together at most 10 per 15
    minutes for the account (40 an hour)."""
    now = [0.0]
    limit = security.LoginLimit(clock=lambda: now[0])
    guesses: dict[str, int] = {}
    # Many addresses try every second for an hour.
    for second in range(3600):
        now[0] = float(second)
        for address in ("a", "b", "c"):
            if limit.blocked_for(address) == 0:
                limit.failed(address)
                guesses[address] = guesses.get(address, 0) + 1
    assert sum(guesses.values()) <= security.ACCOUNT_ATTEMPTS * 3600 / security.ACCOUNT_WINDOW
    assert sum(guesses.values()) == 40
    # One address alone.
    limit = security.LoginLimit(clock=lambda: now[0])
    alone = 0
    for second in range(3600):
        now[0] = float(second)
        if limit.blocked_for("a") == 0:
            limit.failed("a")
            alone += 1
    assert alone == 40 <= security.ADDRESS_ATTEMPTS * 3600 / security.ADDRESS_WINDOW


def test_right_password_still_works_after_others_failed_elsewhere(env: Env) -> None:
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url=BASE, client=("10.0.0.1", 1)) as attacker:
        for _ in range(3):
            assert login(attacker, "wrong guess") == 401
    with TestClient(app, base_url=BASE, client=("10.0.0.2", 1)) as owner:
        assert login(owner) == 303
