"""Hosted mode on the web (PostgreSQL, as the app's role): sign-up with the verification mail
received on a loopback SMTP server and its link followed, sign-in and sign-out with a password
and with a passkey (real WebAuthn ceremonies from a software authenticator), password reset,
rate limits kept in the database, profiles and their switcher, export, import of a local export,
deletion of the account with every row of every profile, and bad input."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.accounts_mail import mailer_from_url
from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.store import postgres_schema as schema
from rollminder.web.app import create_app
from tests.accounts_kit import (
    Mailbox,
    SoftAuthenticator,
    csrf,
    mailbox,
    sign_in,
    sign_up,
    use_session_token,
)
from tests.pg import Cluster
from tests.web.common import BASE, NOW


@pytest.fixture
def box() -> Iterator[Mailbox]:
    with mailbox() as found:
        yield found


@pytest.fixture
def env(tmp_path: Path, pg_migrated: str) -> Env:
    return Env(home=tmp_path / "home", clock=lambda: NOW, database_url=pg_migrated)


@pytest.fixture
def web(env: Env, box: Mailbox) -> Iterator[TestClient]:
    app = create_app(env, start_reminders=False, mailer=mailer_from_url(box.url))
    with TestClient(app, base_url=BASE) as client:
        yield client


def counts(cluster: Cluster, url: str) -> dict[str, int]:
    """Rows per table, as the tables' owner (who sees every account)."""
    found = {}
    database = url.rsplit("/", 1)[1]
    for table in ("profiles", *schema.PROFILE_TABLES, *schema.ACCOUNT_TABLES):
        [(n,)] = cluster.sql(f"SELECT count(*) FROM {table}", database=database)
        found[table] = int(str(n))
    return found


def test_sign_up_verify_sign_out_and_in(web: TestClient, box: Mailbox, env: Env) -> None:
    sign_up(web, "Ada@Example.org")
    [mail] = box.wait(1)
    assert mail["To"] == "Ada@Example.org" and mail["From"] == "rm@example.org"
    page = web.get("/account")
    assert "not confirmed yet" in page.text
    # Every page's header names the Account page in hosted mode.
    assert 'class="quiet account" href="/account"' in web.get("/settings").text
    link = box.link("Ada@Example.org", "/account/verify/")
    assert "Confirm my e-mail" in web.get(link).text
    assert "e-mail address is confirmed" in web.post(link).text
    assert "E-mail confirmed." in web.get("/account").text
    assert web.post(link).status_code == 404  # single use
    web.post("/logout")
    assert web.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert sign_in(web, "ada@EXAMPLE.org", "wrong password!") == 401  # e-mail: any case
    assert sign_in(web, "ada@example.org") == 200
    assert "Welcome" in web.get("/welcome").text or web.get("/").status_code == 200


def test_a_copied_cookie_is_void_after_sign_out(web: TestClient, env: Env, box: Mailbox) -> None:
    sign_up(web, "bo@example.org")
    cookie = web.cookies.get("rollminder_session")
    web.post("/logout")
    with TestClient(web.app, base_url=BASE, cookies={"rollminder_session": str(cookie)}) as copy:
        assert copy.get("/account", follow_redirects=False).status_code == 303


def test_password_reset_through_the_mailed_link(web: TestClient, box: Mailbox) -> None:
    sign_up(web, "cy@example.org")
    web.post("/logout")
    token = csrf(web, "/account/reset")
    asked = web.post("/account/reset", data={"email": "cy@example.org", "csrf_token": token})
    assert "If cy@example.org has an account" in asked.text
    none = web.post("/account/reset", data={"email": "nobody@example.org", "csrf_token": token})
    assert none.text.count("If nobody@example.org has an account") == 1  # the same answer
    box.wait(2)
    link = box.link("cy@example.org", "/account/reset/")
    short = web.post(link, data={"password": "short", "csrf_token": csrf(web, link)})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    done = web.post(link, data={"password": "a new password 2", "csrf_token": csrf(web, link)})
    assert done.status_code == 200 and "new password is set" in done.text
    assert (
        web.post(
            link, data={"password": "again again 3", "csrf_token": csrf(web, "/login")}
        ).status_code
        == 404
    )
    assert sign_in(web, "cy@example.org") == 401
    assert sign_in(web, "cy@example.org", "a new password 2") == 200


def test_an_expired_reset_link_does_nothing(env: Env, box: Mailbox, pg_migrated: str) -> None:
    clock = [NOW]
    env.clock = lambda: clock[0]
    app = create_app(env, start_reminders=False, mailer=mailer_from_url(box.url))
    with TestClient(app, base_url=BASE) as web:
        sign_up(web, "di@example.org")
        web.post("/logout")
        web.post(
            "/account/reset",
            data={"email": "di@example.org", "csrf_token": csrf(web, "/account/reset")},
        )
        link = box.link("di@example.org", "/account/reset/")
        clock[0] = NOW + dt.timedelta(hours=2)
        late = web.post(
            link, data={"password": "too late password", "csrf_token": csrf(web, "/login")}
        )
        assert late.status_code == 404 and "expired" in late.text
        assert sign_in(web, "di@example.org") == 200


def test_passkey_register_sign_out_and_sign_in(web: TestClient, env: Env) -> None:
    sign_up(web, "eve@example.org")
    authenticator = SoftAuthenticator(BASE)
    options = web.post("/account/passkey/register-options").json()
    assert options["rp"]["id"] == "127.0.0.1"
    added = web.post(
        "/account/passkey/register",
        json={"name": "Test key", "credential": authenticator.create(options)},
    )
    assert added.status_code == 200, added.text
    assert "Test key" in web.get("/account").text
    web.post("/logout")
    token = csrf(web, "/login")
    web.headers["X-CSRF-Token"] = token
    options = web.post("/account/passkey/signin-options").json()
    assertion = authenticator.get(options)
    signed = web.post("/account/passkey/signin", json={"credential": assertion})
    assert signed.status_code == 200 and signed.json()["ok"], signed.text
    assert "eve@example.org" in web.get("/account").text
    use_session_token(web)
    assert web.post("/logout").status_code == 200
    assert web.get("/account", follow_redirects=False).status_code == 303
    # The same assertion again (its challenge spent): refused, no sign-in.
    web.headers["X-CSRF-Token"] = csrf(web, "/login")
    replay = web.post("/account/passkey/signin", json={"credential": assertion})
    assert replay.status_code == 401
    # A forged signature: refused.
    options = web.post("/account/passkey/signin-options").json()
    forged = authenticator.get(options)
    forged["response"]["signature"] = forged["response"]["signature"][:-4] + "AAAA"
    assert web.post("/account/passkey/signin", json={"credential": forged}).status_code == 401
    assert web.get("/account", follow_redirects=False).status_code == 303


def test_rate_limits_are_kept_in_the_database(env: Env, box: Mailbox) -> None:
    """Two apps (two serve processes) share the count: the ninth wrong password for one e-mail
    is refused with 429 whichever process gets it."""
    mailer = mailer_from_url(box.url)
    with (
        TestClient(create_app(env, start_reminders=False, mailer=mailer), base_url=BASE) as one,
        TestClient(create_app(env, start_reminders=False, mailer=mailer), base_url=BASE) as two,
    ):
        sign_up(one, "fay@example.org")
        one.post("/logout")
        statuses = [
            sign_in(one if i % 2 else two, "fay@example.org", "wrong password!") for i in range(8)
        ]
        assert statuses == [401] * 8
        refused = two.post(
            "/login",
            data={
                "email": "fay@example.org",
                "password": "correct horse 1",
                "csrf_token": csrf(two),
            },
        )
        assert refused.status_code == 429 and "Too many tries" in refused.text
        assert int(refused.headers["retry-after"]) > 0


def test_profiles_switcher_export_import_and_delete(
    web: TestClient, env: Env, pg_cluster: Cluster, pg_migrated: str, tmp_path: Path
) -> None:
    # A person's local data (embedded mode, SQLite), exported as JSON...
    local = Env(home=tmp_path / "local", clock=lambda: NOW)
    with local.open_store() as store:
        app = Rollminder(store, local.now)
        app.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
        app.log_session(at=NOW - dt.timedelta(days=2), minutes=3.0, zones=("chin",), note="local ✓")
        exported = app.export_json()
    before = counts(pg_cluster, pg_migrated)
    sign_up(web, "gus@example.org")
    # ... imported into the account's profile: the move from embedded to hosted mode.
    imported = web.post(
        "/settings/import",
        files={"file": ("rollminder.json", exported.encode(), "application/json")},
    )
    assert imported.status_code == 200, imported.text[-500:]
    assert "local ✓" in web.get("/log").text
    # A second profile, and the switcher.
    made = web.post("/account/profiles", data={"name": "sam"})
    assert made.status_code == 200
    assert "local ✓" not in web.get("/log").text  # sam's log is empty
    taken = web.post("/account/profiles", data={"name": "sam"})
    assert taken.status_code == 400 and "already" in taken.text
    web.post("/account/profile", data={"profile": "default"})
    assert "local ✓" in web.get("/log").text
    assert web.post("/account/profile", data={"profile": "nobody"}).status_code == 404
    # Export: per profile, its export with photos (the zip Settings' import reads back).
    download = web.get("/account/export.zip")
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert sorted(archive.namelist()) == ["rollminder-default.zip", "rollminder-sam.zip"]
    inner = zipfile.ZipFile(io.BytesIO(archive.read("rollminder-default.zip")))
    assert "local ✓" in inner.read("rollminder.json").decode()
    assert (
        "local ✓"
        not in zipfile.ZipFile(io.BytesIO(archive.read("rollminder-sam.zip")))
        .read("rollminder.json")
        .decode()
    )
    # Deletion: a wrong confirmation changes nothing; the right one removes every row.
    during = counts(pg_cluster, pg_migrated)
    assert during["sessions"] == 1 and during["profiles"] == 2 and during["accounts"] == 1
    wrong = web.post("/account/delete", data={"email": "someone@example.org"})
    assert wrong.status_code == 400 and counts(pg_cluster, pg_migrated) == during
    gone = web.post("/account/delete", data={"email": "GUS@example.org"})
    assert gone.status_code == 200 and "deleted" in gone.text
    after = counts(pg_cluster, pg_migrated)
    assert {k: v for k, v in after.items() if k != "rate_limits"} == before
    assert not list((tmp_path / "home").glob("**/*.json"))
    assert sign_in(web, "gus@example.org") == 401


def test_bad_input_is_one_clear_line_and_writes_nothing(
    web: TestClient, pg_cluster: Cluster, pg_migrated: str
) -> None:
    token = csrf(web, "/signup")
    cases = {
        "not-an-email": "Enter your e-mail address",
        "a@b": "Enter your e-mail address",
        "x" * 300 + "@example.org": "Enter your e-mail address",
    }
    before = counts(pg_cluster, pg_migrated)
    for mail, message in cases.items():
        page = web.post(
            "/signup", data={"email": mail, "password": "long enough pw", "csrf_token": token}
        )
        assert page.status_code == 400 and message in page.text
    short = web.post(
        "/signup", data={"email": "ok@example.org", "password": "short", "csrf_token": token}
    )
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert counts(pg_cluster, pg_migrated) == before
    sign_up(web, "hal@example.org")
    broken = web.post(
        "/settings/import", files={"file": ("x.json", b'{"format": "nope"', "application/json")}
    )
    assert broken.status_code == 400 and "Nothing was changed" in broken.text
    bad_profile = web.post("/account/profiles", data={"name": "../etc"})
    assert bad_profile.status_code == 400 and "Profile names" in bad_profile.text
    garbage = web.post("/account/passkey/register", content=b"not json")
    assert garbage.status_code == 400


def test_sign_up_with_a_taken_e_mail_tells_its_owner(web: TestClient, box: Mailbox) -> None:
    sign_up(web, "ida@example.org")
    web.post("/logout")
    again = web.post(
        "/signup",
        data={
            "email": "IDA@example.org",
            "password": "another password",
            "csrf_token": csrf(web, "/signup"),
        },
    )
    assert again.status_code == 200 and "If IDA@example.org can be used" in again.text
    mails = box.wait(2)
    assert "has an account already" in str(mails[-1].get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_the_smtp_url_is_checked_and_its_password_never_shown() -> None:
    from rollminder.errors import InvalidInput

    mailer = mailer_from_url("smtps://me:s3cret@mail.example.org")
    assert mailer.port == 465 and mailer.tls and "s3cret" not in mailer.shown
    with pytest.raises(InvalidInput, match="smtp://"):
        mailer_from_url("http://mail.example.org")


def test_a_mail_server_that_is_down_is_one_line(env: Env) -> None:
    from tests.accounts_kit import _free_port

    mailer = mailer_from_url(f"smtp://127.0.0.1:{_free_port()}")
    with TestClient(create_app(env, start_reminders=False, mailer=mailer), base_url=BASE) as web:
        sign_up(web, "jo@example.org")
        page = web.get("/account")
        assert "not confirmed yet" in page.text
        sent = web.post("/account/verification", follow_redirects=True)
        assert re.search(r"could not be sent through smtp://127\.0\.0\.1:\d+", sent.text)


def test_sign_up_with_a_passkey_and_no_password(web: TestClient, box: Mailbox) -> None:
    authenticator = SoftAuthenticator(BASE)
    web.headers["X-CSRF-Token"] = csrf(web, "/signup")
    bad = web.post("/signup/passkey-options", json={"email": "not an e-mail"})
    assert bad.status_code == 400 and "Enter your e-mail" in bad.json()["error"]
    options = web.post("/signup/passkey-options", json={"email": "kim@example.org"}).json()
    made = web.post("/signup/passkey", json={"credential": authenticator.create(options)})
    assert made.status_code == 200 and made.json()["next"] == "/welcome", made.text
    page = web.get("/account")
    assert "kim@example.org" in page.text and "Set the password" in page.text
    assert box.link("kim@example.org", "/account/verify/")
    use_session_token(web)
    web.post("/logout")
    assert sign_in(web, "kim@example.org", "") == 401  # no password to guess
    web.headers["X-CSRF-Token"] = csrf(web, "/login")
    options = web.post("/account/passkey/signin-options").json()
    signed = web.post("/account/passkey/signin", json={"credential": authenticator.get(options)})
    assert signed.status_code == 200
    # Its only way in cannot be removed.
    use_session_token(web)
    key_id = re.findall(r'name="id" value="([^"]+)"', web.get("/account").text)[0]
    refused = web.post("/account/passkey/remove", data={"id": key_id})
    assert refused.status_code == 400 and "only way to sign in" in refused.text
    # A second sign-up with the same address makes nothing.
    other = TestClient(web.app, base_url=BASE)
    other.headers["X-CSRF-Token"] = csrf(other, "/signup")
    options = other.post("/signup/passkey-options", json={"email": "KIM@example.org"}).json()
    again = other.post(
        "/signup/passkey", json={"credential": SoftAuthenticator(BASE).create(options)}
    )
    assert again.status_code == 400 and "If KIM@example.org can be used" in again.json()["error"]
