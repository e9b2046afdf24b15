"""Web Push in Chromium (issue 16): a reminder's payload (made by remind/webpush.payload, as the
channel sends it) is delivered to the service worker through the DevTools protocol
(``ServiceWorker.deliverPushMessage``); the notification shows with Done and Snooze, and its Done
POSTs the action link from the worker, with no page open on it and no cookie: the session is
logged and a short notification says so."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollminder.env import Env
from rollminder.remind import webpush
from rollminder.web import security
from tests.web.common import Clock, planned_env
from tests.web.conftest import LiveServer, page_problems, serve

#: Thu 26 Nov 2026, 21:00:30 in Berlin: the plan's slot is open.
OPEN = dt.datetime(2026, 11, 26, 20, 0, 30, tzinfo=dt.UTC)

NOTES = """async () => {
  const reg = await navigator.serviceWorker.ready;
  return (await reg.getNotifications()).map(n => ({
    title: n.title, body: n.body, tag: n.tag, actions: n.actions.map(a => [a.action, a.title])
  }));
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    env: Env = planned_env(tmp_path)
    env.clock = Clock(OPEN)
    yield from serve(env)


def _wait(page: Any, fn: Any, timeout: float = 10.0) -> Any:
    """``fn()`` once it is truthy; Playwright's events (the CDP session's) arrive meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fn()
        if found:
            return found
        page.wait_for_timeout(100)
    return fn()


def test_a_pushed_reminder_shows_with_done_and_snooze_and_done_logs_the_session(
    open_page: Any, server: LiveServer
) -> None:
    token = server.read(lambda app: app.token(security.ACTION_TOKEN))
    page = open_page(server)
    page.context.grant_permissions(["notifications"], origin=server.url)
    page.goto("/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)") == server.url + "/"
    assert page.evaluate("Notification.permission") == "granted"

    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    found = _wait(page, lambda: [r for r in registrations if r["scopeURL"] == server.url + "/"])
    assert found, registrations
    body = "Forehead, cheeks, chin: about 3 min.\n\nDone: https://x/act/T/done"  # links leave
    data = webpush.payload("Time to roll", body, "2026-11-26T20:00:00+00:00", token)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.url, "registrationId": found[0]["registrationId"], "data": data.decode()},
    )
    shown = _wait(page, lambda: page.evaluate(NOTES))
    assert shown == [
        {
            "title": "Time to roll",
            "body": "Forehead, cheeks, chin: about 3 min.",
            "tag": "rollminder-2026-11-26T20:00:00+00:00",
            "actions": [["done", "Done"], ["snooze", "Snooze 30 min"]],
        }
    ]

    # Done, pressed in the notification: the worker's notificationclick handler (the browser
    # cannot press a system notification's button headless: the same event, made in the worker).
    page.goto("about:blank")  # no page of the app open: the worker acts alone
    (worker,) = page.context.service_workers
    worker.evaluate(
        """async () => {
          const [n] = await self.registration.getNotifications();
          self.dispatchEvent(
            new NotificationEvent("notificationclick", {notification: n, action: "done"}));
        }"""
    )
    logged = _wait(page, lambda: server.read(lambda app: app.store.last_session()))
    assert (
        logged is not None and logged.created_at == OPEN and logged.start == OPEN.replace(second=0)
    )
    answer = _wait(
        page,
        lambda: worker.evaluate(
            "self.registration.getNotifications().then(ns => ns.map(n => [n.title, n.body]))"
        ),
        timeout=30.0,  # the worker shows the server's answer once its POST returns (a busy run)
    )
    assert answer == [["Session logged", "Logged a session at 21:00."]]
    assert page_problems(page) == []

    # The same Done again (a second device): refused in words, nothing added.
    page.goto("/")
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.url, "registrationId": found[0]["registrationId"], "data": data.decode()},
    )
    _wait(page, lambda: any(n["actions"] for n in page.evaluate(NOTES)))
    worker.evaluate(
        """async () => {
          const ns = await self.registration.getNotifications();
          const n = ns.find(x => x.actions.length);
          self.dispatchEvent(
            new NotificationEvent("notificationclick", {notification: n, action: "done"}));
        }"""
    )
    again = _wait(
        page, lambda: [n for n in page.evaluate(NOTES) if n["title"] == "Nothing changed"]
    )
    assert again and again[0]["body"].startswith("Already logged: a session at 21:00")
    assert server.read(lambda app: len(app.store.sessions())) == 1

    # Nothing of it was cached: only /static/ files are.
    cached = page.evaluate(
        """async () => {
          const urls = [];
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const r of await cache.keys()) urls.push(new URL(r.url).pathname);
          }
          return urls;
        }"""
    )
    assert cached and all(u.startswith("/static/") for u in cached), cached
    assert json.loads(data)["actions"][0]["url"] == f"/act/{token}/done"


def test_a_payload_without_actions_shows_no_buttons_and_its_tap_opens_the_app(
    open_page: Any, server: LiveServer
) -> None:
    page = open_page(server)
    page.context.grant_permissions(["notifications"], origin=server.url)
    page.goto("/")
    page.evaluate("navigator.serviceWorker.ready")
    assert _wait(page, lambda: page.context.service_workers)
    data = webpush.payload("In 15 min: start soaking your roller", "Soak it in alcohol.", "", "")
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    found = _wait(page, lambda: [r for r in registrations if r["scopeURL"] == server.url + "/"])
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.url, "registrationId": found[0]["registrationId"], "data": data.decode()},
    )
    shown = _wait(page, lambda: page.evaluate(NOTES))
    assert shown[0]["actions"] == [] and shown[0]["tag"] == "rollminder"
    assert server.read(lambda app: app.store.last_session()) is None


#: Stands in for the browser's push service (headless Chromium reaches none offline): subscribe()
#: gives the subscription the test made; and counts the permission prompts.
FAKE_PUSH = """
(() => {
  window.__asked = 0;
  const real = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = () => { window.__asked += 1; return real(); };
  let current = null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    window.__key = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)));
    const data = JSON.parse(window.__subscription);
    current = { endpoint: data.endpoint, toJSON: () => data,
                unsubscribe: async () => { current = null; return true; } };
    return current;
  };
})();
"""


def test_the_permission_is_asked_after_a_tap_and_the_device_is_listed_and_removed(
    open_page: Any, server: LiveServer
) -> None:
    import base64

    from tests.push_receiver import PushReceiver

    device = PushReceiver(19198).device()
    page = open_page(server)
    page.context.grant_permissions(["notifications"], origin=server.url)
    page.context.add_init_script(FAKE_PUSH)
    page.goto("/settings")  # Settings holds the device section (_push_devices.html) itself
    page.evaluate("sub => { window.__subscription = sub; }", json.dumps(device.subscription()))
    page.wait_for_selector("#push-on:not([hidden])")
    page.wait_for_selector("#push-devices li")
    assert page.evaluate("window.__asked") == 0  # never on load
    assert "No device gets notifications" in page.inner_text("#push-devices")
    page.click("#push-on")
    page.wait_for_selector("#push-off:not([hidden])")
    assert page.evaluate("window.__asked") == 1
    status = page.inner_text("#push-status")
    assert status.startswith("Notifications are on for Chrome on Linux"), status
    page.wait_for_selector("#push-devices li:has-text('Chrome on Linux')")
    key = server.read(lambda app: app.push_key())
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert page.evaluate("window.__key") == base64.b64encode(raw).decode()
    devices = server.read(lambda app: app.push_devices())
    assert [d.name for d in devices] == ["Chrome on Linux"]
    # Remove from the list (htmx), then the list is empty.
    page.click("#push-devices button:has-text('Remove')")
    page.wait_for_selector("#push-devices li:has-text('No device')")
    assert server.read(lambda app: app.push_devices()) == []
    assert page_problems(page) == []
