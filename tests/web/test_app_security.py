"""Security: CSRF, headers, the password off loopback, login and its rate limit, secret tokens,
import limits."""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.cli import main
from rollminder.env import Env
from rollminder.errors import InvalidInput
from rollminder.web import security
from rollminder.web.app import create_app
from tests.web.common import BASE, planned_env


def token(client: TestClient, path: str = "/") -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return planned_env(tmp_path)


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        yield c


def sessions(env: Env) -> int:
    with env.open_store() as store:
        return store.count_sessions()


def set_password(env: Env, password: str = "correct horse") -> None:
    with env.open_store() as store:
        store.put_secret(security.PASSWORD, security.hash_password(password))


# -- CSRF and headers ------------------------------------------------------------------------------


def test_unsafe_requests_without_the_token_are_refused(client: TestClient, env: Env) -> None:
    form = {"at": "2026-11-23T21:00"}
    for extra in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
        response = client.post("/log/session", data={**form, **extra})
        assert response.status_code == 403
        assert "Nothing was changed" in response.text
    assert client.post("/log/session", headers={"X-CSRF-Token": "nope"}).status_code == 403
    assert sessions(env) == 0
    # A token from another browser's session is refused too.
    with TestClient(client.app, base_url=BASE) as other:
        theirs = token(other)
    assert client.post("/log/session", data={**form, "csrf_token": theirs}).status_code == 403
    assert sessions(env) == 0
    ok = client.post("/log/session", data={**form, "csrf_token": token(client)})
    assert ok.status_code == 200 and sessions(env) == 1
    ok = client.post(
        "/log/session", data={"at": "2026-11-19T21:00"}, headers={"X-CSRF-Token": token(client)}
    )
    assert ok.status_code == 200 and sessions(env) == 2


def test_multipart_posts_need_the_token_too(client: TestClient) -> None:
    files = {"file": ("x.json", b"{}", "application/json")}
    assert client.post("/settings/import", files=files).status_code == 403
    response = client.post("/settings/import", files=files, data={"csrf_token": token(client)})
    assert response.status_code == 400  # past CSRF: the file itself is refused


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/static/css/app.css", "/no/such/page"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    for path in ("/", "/log", "/history", "/settings"):
        html = client.get(path).text
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, path
        assert " style=" not in html and "<style" not in html, path
        assert re.search(r"\son[a-z]+=", html) is None, path


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    response = client.get("/")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


# -- binding off loopback --------------------------------------------------------------------------


def test_off_loopback_needs_a_password(env: Env) -> None:
    with pytest.raises(InvalidInput, match="set a password first"):
        create_app(env, host="0.0.0.0", start_reminders=False)
    create_app(env, host="::1", start_reminders=False)  # loopback is fine
    set_password(env)
    create_app(env, host="0.0.0.0", start_reminders=False)


def test_serve_refuses_to_start_off_loopback_without_a_password(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ROLLMINDER_HOME", str(env.home))
    started = []
    fake = types.ModuleType("uvicorn")
    fake.Config = lambda *a, **k: started.append(k)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "uvicorn", fake)
    assert main(["serve", "--host", "0.0.0.0", "--no-reminders"]) == 1
    err = capsys.readouterr().err
    assert "set a password first" in err and "rollminder password set" in err
    assert started == []


def test_password_set_and_clear(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setenv("ROLLMINDER_HOME", str(env.home))
    monkeypatch.setattr("sys.stdin", io.StringIO("short\nshort\n"))
    assert main(["password", "set"]) == 1  # too short
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\nanother one\n"))
    assert main(["password", "set"]) == 1  # the two differ
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\na long password\n"))
    assert main(["password", "set"]) == 0
    with env.open_store() as store:
        stored = store.secret(security.PASSWORD)
    assert stored is not None and stored.startswith("scrypt$") and "a long password" not in stored
    assert security.verify_password("a long password", stored)
    assert not security.verify_password("a long passwort", stored)
    assert main(["password", "clear"]) == 0
    with env.open_store() as store:
        assert store.secret(security.PASSWORD) is None
    # Secrets never reach the settings listing or an export.
    with env.open_store() as store:
        store.put_secret(security.PASSWORD, "scrypt$x")
        from rollminder import transfer

        assert "scrypt" not in transfer.export_json(store)


# -- login -----------------------------------------------------------------------------------------


def test_login_guards_every_page(env: Env) -> None:
    set_password(env)
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        first = c.get("/log", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/login?next=/log"
        assert c.post("/log/session", data={}).status_code in (401, 403)
        page = c.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        wrong = c.post("/login", data={"csrf_token": csrf.group(1), "password": "nope"})
        assert wrong.status_code == 401 and "Wrong password." in wrong.text
        ok = c.post(
            "/login",
            data={"csrf_token": csrf.group(1), "password": "correct horse", "next": "/log"},
        )
        assert ok.status_code == 200 and ok.url.path == "/log"
        # An open redirect through ?next is not possible.
        c.post("/logout", headers={"X-CSRF-Token": token(c, "/log")})
        assert c.get("/log", follow_redirects=False).status_code == 303
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert csrf
        evil = c.post(
            "/login",
            data={"csrf_token": csrf.group(1), "password": "correct horse", "next": "//evil.test"},
            follow_redirects=False,
        )
        assert evil.headers["location"] == "/"


def test_login_rate_limit(env: Env) -> None:
    set_password(env)
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert csrf
        data = {"csrf_token": csrf.group(1), "password": "guess"}
        codes = [c.post("/login", data=data).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        # Even the right password waits now.
        right = c.post("/login", data={**data, "password": "correct horse"})
        assert right.status_code == 429 and "try again in" in right.text
        assert int(right.headers["retry-after"]) > 0


def test_rate_limit_window_slides() -> None:
    now = [0.0]
    limit = security.RateLimit(attempts=2, window=60, clock=lambda: now[0])
    limit.failed("a")
    limit.failed("a")
    assert limit.blocked_for("a") == 60 and limit.blocked_for("b") == 0
    now[0] = 61
    assert limit.blocked_for("a") == 0


# -- the feed and action links ---------------------------------------------------------------------


def links(client: TestClient) -> tuple[str, str]:
    html = client.get("/settings").text
    feed = re.search(r'id="feed-url" value="http://127.0.0.1:8765(/feed/[^"]+\.ics)"', html)
    done = re.search(r'id="done-url" value="http://127.0.0.1:8765(/act/[^"]+/done)"', html)
    assert feed and done
    return feed.group(1), done.group(1)


def test_feed_needs_its_token(client: TestClient) -> None:
    feed, _ = links(client)
    assert client.get("/feed/wrong.ics").status_code == 404
    assert client.get("/feed/.ics").status_code == 404
    response = client.get(feed)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.content.startswith(b"BEGIN:VCALENDAR")
    assert response.headers["cache-control"] == "private, max-age=300"
    assert client.get("/feed/wrong.ics").status_code == 404


def test_rotating_the_tokens_retires_the_old_links(client: TestClient) -> None:
    old_feed, old_done = links(client)
    assert client.get(old_feed).status_code == 200
    rotated = client.post("/settings/rotate/feed", data={"csrf_token": token(client)})
    assert "New calendar link made" in rotated.text
    new_feed, same_done = links(client)
    assert new_feed != old_feed and same_done == old_done
    assert client.get(old_feed).status_code == 404
    assert client.get(new_feed).status_code == 200
    client.post("/settings/rotate/actions", data={"csrf_token": token(client)})
    _, new_done = links(client)
    assert new_done != old_done
    assert client.get(old_done).status_code == 404
    assert client.get(new_done).status_code == 200


def test_done_link_logs_a_session_with_its_token_only(client: TestClient, env: Env) -> None:
    _, done = links(client)
    bad = done.replace("/act/", "/act/x")
    assert client.post(bad).status_code == 404
    assert client.get(bad).status_code == 404
    assert sessions(env) == 0
    page = client.get(done)
    assert page.status_code == 200 and "Yes, I rolled" in page.text
    # A notification's button posts without a cookie or CSRF token: the link's token suffices.
    with TestClient(client.app, base_url=BASE) as phone:
        response = phone.post(done, headers={"Accept": "text/plain"})
    assert response.status_code == 200 and response.text.startswith("Logged a session at 10:00")
    assert sessions(env) == 1
    with TestClient(client.app, base_url=BASE) as phone:
        again = phone.post(done, headers={"Accept": "text/plain"})
    assert again.status_code == 409 and "Already logged" in again.text
    assert sessions(env) == 1


def test_snooze_link_with_no_open_slot_says_so_and_changes_nothing(
    client: TestClient, env: Env
) -> None:
    _, done = links(client)
    response = client.post(done.replace("/done", "/snooze"), headers={"Accept": "text/plain"})
    assert response.status_code == 404
    assert "No session is open now: there is nothing to snooze." in response.text
    with env.open_store() as store:
        assert store.snoozes() == []


# -- import limits ---------------------------------------------------------------------------------


def test_import_size_limit_and_bad_files_change_nothing(env: Env) -> None:
    with TestClient(
        create_app(env, start_reminders=False, max_import_bytes=4096), base_url=BASE
    ) as c:
        export = c.get("/settings/export.json")
        assert export.status_code == 200
        assert "attachment" in export.headers["content-disposition"]
        document = json.loads(export.text)
        before = export.text
        csrf = token(c)
        big = b"{" + b" " * 5000 + b"}"
        response = c.post(
            "/settings/import",
            files={"file": ("big.json", big, "application/json")},
            data={"csrf_token": csrf},
        )
        assert response.status_code == 413
        assert "too large: at most 4 KB. Nothing was changed." in response.text
        for name, body in (
            ("bad.json", b"{not json"),
            ("bin.json", b"\xff\xfe\x00"),
            ("other.json", b'{"format": "something-else"}'),
        ):
            response = c.post(
                "/settings/import",
                files={"file": (name, body, "application/json")},
                data={"csrf_token": csrf},
            )
            assert response.status_code == 400, name
            message = re.search(r'<p class="msg error" role="alert">([^<]*)</p>', response.text)
            assert message and "Nothing was changed." in message.group(1), name
            assert "\n" not in message.group(1)
        assert c.get("/settings/export.json").text == before
        # A good file imports (merging by id: nothing new here).
        document["sessions"] = []
        ok = c.post(
            "/settings/import",
            files={"file": ("mine.json", json.dumps(document).encode(), "application/json")},
            data={"csrf_token": csrf},
        )
        assert ok.status_code == 200 and "mine.json" in ok.text


def test_forms_bodies_are_limited_too(client: TestClient) -> None:
    response = client.post(
        "/log/session", data={"csrf_token": token(client), "note": "x" * 300_000}
    )
    assert response.status_code == 413


def test_without_a_password_only_loopback_host_names_are_answered(env: Env) -> None:
    app = create_app(env, start_reminders=False)
    for base in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        with TestClient(app, base_url=base) as c:
            assert c.get("/").status_code == 200, base
    with TestClient(app, base_url="http://rebound.example:8765") as c:
        response = c.get("/")
        assert response.status_code == 421 and "only on this computer" in response.text
    set_password(env)
    app = create_app(env, start_reminders=False)
    with TestClient(app, base_url="http://192.168.1.20:8765") as c:
        assert c.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    # A name is answered only when it is known (tests/web/test_hardening_web.py).
    with TestClient(app, base_url="http://phone.lan") as c:
        assert c.get("/", follow_redirects=False).status_code == 421
