"""The Web Push routes (web/push.py) in-process: the key, subscribing, the devices' list and its
Remove, unsubscribing, CSRF on each POST; and the action link a notification's button POSTs from the
service worker (no cookie, no CSRF token)."""

from __future__ import annotations

import datetime as dt
import re

from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.web import security
from rollminder.web.app import create_app
from tests.push_receiver import PushReceiver, b64d
from tests.web.common import BASE, Clock

#: A subscription as a browser makes it (the receiver is only a key factory here: nothing listens).
DEVICE = PushReceiver(19199).device()


def csrf(client: TestClient) -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/settings").text)
    assert found
    return found.group(1)


def subscribe(client: TestClient, name: str = "Chrome on Android") -> dict[str, str]:
    response = client.post(
        "/push/subscribe",
        json={"subscription": DEVICE.subscription(), "name": name},
        headers={"X-CSRF-Token": csrf(client), "Origin": "https://roll.example"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_key_is_the_profiles_vapid_public_key(client: TestClient, env: Env) -> None:
    response = client.get("/push/key")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    key = response.json()["key"]
    assert len(b64d(key)) == 65 and client.get("/push/key").json()["key"] == key
    app = env.open_app()
    try:
        assert app.push_key() == key
    finally:
        app.close()


def test_subscribe_list_and_remove_a_device(client: TestClient, env: Env) -> None:
    device = subscribe(client)
    assert device["name"] == "Chrome on Android"
    listed = client.get("/push/devices", headers={"HX-Request": "true"})
    assert "Chrome on Android" in listed.text and "nothing sent yet" in listed.text
    assert DEVICE.endpoint not in listed.text and "<section" not in listed.text
    app = env.open_app()
    try:
        (stored,) = app.store.channels()
        assert stored.kind == "webpush" and '"origin":"https://roll.example"' in stored.url
    finally:
        app.close()
    # Remove, as the list's button does it with htmx: the list comes back, empty.
    gone = client.post(
        "/push/devices/remove",
        data={"id": device["id"], "csrf_token": csrf(client)},
        headers={"HX-Request": "true"},
    )
    assert gone.status_code == 200 and "No device gets notifications" in gone.text
    # Without htmx: back to Settings with a message; an unknown id says so in one line.
    subscribe(client)
    again = client.post(
        "/push/devices/remove",
        data={"id": "nope", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert again.status_code == 303 and again.headers["location"] == "/settings#push"


def test_a_device_turning_itself_off_is_removed(client: TestClient) -> None:
    subscribe(client)
    off = client.post(
        "/push/unsubscribe",
        json={"endpoint": DEVICE.endpoint},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert off.json() == {"removed": True}
    assert "No device gets notifications" in client.get("/push/devices").text


def test_a_bad_subscription_gets_one_line_and_every_post_needs_the_csrf_token(
    client: TestClient,
) -> None:
    bad = client.post(
        "/push/subscribe",
        json={"subscription": {"endpoint": "http://evil.example/x"}, "name": "x"},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert bad.status_code == 400 and "\n" not in bad.json()["error"]
    for path in ("/push/subscribe", "/push/unsubscribe", "/push/devices/remove"):
        refused = client.post(path, json={"subscription": DEVICE.subscription()})
        assert refused.status_code == 403, path
    assert "No device" in client.get("/push/devices").text


def test_the_settings_partial_renders_the_section_and_loads_the_list(client: TestClient) -> None:
    templates = client.app.state.templates  # type: ignore[attr-defined]
    html = templates.get_template("_push_devices.html").render(csrf_field=lambda: "")
    assert 'id="push-on"' in html and 'id="push-devices"' in html
    assert "/static/js/push.js" in html and "Notification.requestPermission" not in html


def test_the_workers_done_post_needs_no_cookie_nor_csrf_token(tmp_path, clock: Clock) -> None:
    from tests.web.common import planned_env

    env = planned_env(tmp_path)
    clock.now = dt.datetime(2026, 11, 26, 20, 0, 30, tzinfo=dt.UTC)  # Thu 21:00:30 in Berlin
    env.clock = clock
    app = env.open_app()
    try:
        token = app.token(security.ACTION_TOKEN)
    finally:
        app.close()
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as fresh:
        answer = fresh.post(
            f"/act/{token}/done", headers={"Accept": "text/plain", "HX-Request": "true"}
        )
        assert answer.status_code == 200 and answer.text.startswith("Logged a session at 21:00")
        twice = fresh.post(
            f"/act/{token}/done", headers={"Accept": "text/plain", "HX-Request": "true"}
        )
        assert twice.status_code == 409 and twice.text.startswith('<p class="msg error"')
