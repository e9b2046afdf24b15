"""Links a phone can open (issue 13): the public address set in Settings (or ``serve
--public-url``, which wins) starts the Done/Snooze links, the feed link and its QR code; the
app says plainly when it only listens on this computer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app
from rollminder.web.reminders import action_links
from tests.web.common import BASE, planned_env

PUBLIC = "https://roll.example.org"


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return planned_env(tmp_path)


def _client(env: Env, **options: object) -> TestClient:
    return TestClient(create_app(env, start_reminders=False, **options), base_url=BASE)  # type: ignore[arg-type]


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with _client(env) as c:
        c.headers["X-CSRF-Token"] = re.findall(r'"X-CSRF-Token": "([^"]+)"', c.get("/").text)[0]
        yield c


def field(text: str, id_: str) -> str:
    found = re.search(rf'id="{id_}"[^>]*? value="([^"]*)"', text)
    assert found, text[-1000:]
    return found.group(1)


def test_on_loopback_without_a_public_address_the_app_says_so(client: TestClient) -> None:
    text = client.get("/settings").text
    assert text.count("This app only listens on this computer (127.0.0.1)") == 2
    assert field(text, "feed-url").startswith(BASE + "/feed/")


def test_the_address_set_in_settings_starts_every_link(client: TestClient, env: Env) -> None:
    r = client.post("/settings/public-url", data={"public_url": PUBLIC + "/"})
    assert r.status_code == 200 and f"Links now start with {PUBLIC}." in r.text
    text = client.get("/settings").text
    assert "only listens on this computer" not in text
    assert field(text, "feed-url").startswith(PUBLIC + "/feed/")
    assert field(text, "done-url").startswith(PUBLIC + "/act/")
    assert field(text, "snooze-url").startswith(PUBLIC + "/act/")
    assert field(text, "public-url-input") == PUBLIC
    # The reminder loop reads it on each pass.
    with env.open_store() as store:
        links = action_links("http://127.0.0.1:8765")(Rollminder(store, env.now))
    assert links["Done"].startswith(PUBLIC + "/act/")
    # Empty removes it.
    client.post("/settings/public-url", data={"public_url": ""})
    assert field(client.get("/settings").text, "feed-url").startswith(BASE)


def test_the_command_lines_address_wins(env: Env) -> None:
    with env.open_store() as store:
        Rollminder(store, env.now).put_secret("public_url", PUBLIC)
    with _client(env, public_url="https://cli.example.net") as c:
        text = c.get("/settings").text
        assert field(text, "feed-url").startswith("https://cli.example.net/feed/")
        assert "given with <code>serve --public-url</code>" in text
    with env.open_store() as store:
        links = action_links("https://cli.example.net", fixed=True)(Rollminder(store, env.now))
    assert links["Done"].startswith("https://cli.example.net/act/")


def test_the_stored_address_is_answered_once_a_password_is_set(env: Env) -> None:
    from rollminder.web import security

    with env.open_store() as store:
        app = Rollminder(store, env.now)
        app.put_secret("public_url", PUBLIC)
        app.put_secret(security.PASSWORD, security.hash_password("a long password here"))
    with TestClient(
        create_app(env, start_reminders=False), base_url="https://roll.example.org"
    ) as c:
        assert c.get("/login").status_code == 200
    with TestClient(create_app(env, start_reminders=False), base_url="https://other.example") as c:
        assert c.get("/login").status_code == 421


@pytest.mark.parametrize("bad", ["roll.example.org", "ftp://x.example", "https://", "http://a b"])
def test_a_bad_address_is_told_next_to_the_field(client: TestClient, env: Env, bad: str) -> None:
    r = client.post("/settings/public-url", data={"public_url": bad})
    assert r.status_code == 400
    message = re.search(r'<p class="field-error" id="e-public_url">([^<]*)</p>', r.text)
    assert message and "The public URL must be an http:// or https:// address" in message.group(1)
    assert "That did not work" not in r.text
    with env.open_store() as store:
        assert Rollminder(store, env.now).secret("public_url") is None
