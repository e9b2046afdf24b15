"""Web Push (issue 16) through the real reminder pass: a loopback push service (the suite's own,
tests/push_receiver.py) checks each message's VAPID signature, decrypts it with http_ece
(RFC 8291, aes128gcm) and counts: exactly one per reminder. A 404 or 410 removes the device."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rollminder.env import Env
from rollminder.errors import InvalidInput, NotFound
from rollminder.remind import engine, webpush
from rollminder.remind.channels import build
from rollminder.service import Rollminder
from rollminder.web import security
from tests.push_receiver import PushReceiver, b64d

TZ = ZoneInfo("Europe/Berlin")
#: Thu 26 Nov 2026: the plan's slot at 21:00, its prep at 20:45.
PREP = dt.datetime(2026, 11, 26, 20, 45, 5, tzinfo=TZ)
SLOT = dt.datetime(2026, 11, 26, 21, 0, 5, tzinfo=TZ)
#: This helper's loopback ports (19150-19199).
PORTS = range(19150, 19170)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 19150-19169")


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    r = PushReceiver(_port()).start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Env, Clock, Rollminder]]:
    clock = Clock(dt.datetime(2026, 11, 25, 10, tzinfo=TZ))
    env = Env(home=tmp_path / "home", clock=clock)
    app = env.open_app(live=True)
    app.set_plan(needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin")
    try:
        yield env, clock, app
    finally:
        app.close()


def _pass(app: Rollminder) -> engine.PassResult:
    return engine.run_pass(app, app.active_channels(lambda: False), wait=10)


def test_the_vapid_key_pair_is_made_once_and_kept_as_a_secret(world: tuple) -> None:
    env, _, app = world
    key = app.push_key()
    assert len(b64d(key)) == 65 and b64d(key)[0] == 4  # an uncompressed P-256 point
    assert app.push_key() == key
    again = env.open_app()
    try:
        assert again.push_key() == key  # the same after reopening the store
        private = again.secret(webpush.VAPID_SECRET)
        assert private is not None and webpush.public_key(private) == key
    finally:
        again.close()
    assert webpush.ACTION_TOKEN == security.ACTION_TOKEN


def test_a_device_is_a_channel_named_after_it_and_shown_without_its_secrets(
    world: tuple, receiver: PushReceiver
) -> None:
    _, _, app = world
    device = receiver.device()
    found = app.add_push_device(device.subscription(), "Chrome on Android")
    assert (found.name, found.kind, found.url) == (
        "Chrome on Android",
        "webpush",
        "webpush://127.0.0.1",
    )
    # The same endpoint again (the browser re-subscribed): one device, its name kept.
    again = app.add_push_device(device.subscription(), "Something else")
    assert again.id == found.id and again.name == "Chrome on Android"
    other = app.add_push_device(receiver.device().subscription(), "Chrome on Android")
    assert other.name == "Chrome on Android 2"
    listed = app.list_channels()
    assert [c.name for c in listed] == ["Chrome on Android", "Chrome on Android 2"]
    shown = json.dumps([c.to_json() for c in listed])
    assert device.endpoint not in shown and device.subscription()["keys"]["auth"] not in shown
    assert [d.name for d in app.push_devices()] == ["Chrome on Android", "Chrome on Android 2"]
    app.remove_push_device(other.id)
    assert app.remove_push_endpoint({"endpoint": device.endpoint})
    assert app.push_devices() == []
    with pytest.raises(NotFound):
        app.remove_push_device(found.id)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {"endpoint": "http://push.example.com/x", "keys": {}},  # http off loopback
        {"endpoint": "javascript:alert(1)", "keys": {}},
        {"endpoint": "https://push.example.com/x"},
        {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "abc", "auth": "abc"}},
        {"endpoint": "https://push.example.com/x", "keys": {"p256dh": 5, "auth": None}},
    ],
)
def test_a_subscription_that_cannot_work_is_refused_in_one_line(world: tuple, bad: object) -> None:
    _, _, app = world
    with pytest.raises(InvalidInput) as caught:
        app.add_push_device(bad, "x")
    assert "\n" not in str(caught.value) and app.push_devices() == []


def test_one_encrypted_signed_message_per_reminder_through_the_reminder_pass(
    world: tuple, receiver: PushReceiver
) -> None:
    _, clock, app = world
    device = receiver.device()
    app.add_push_device(device.subscription(), "Firefox on Linux")
    key = app.push_key()
    token = app.token(security.ACTION_TOKEN)

    clock.now = PREP
    result = _pass(app)
    assert [s.channel for s in result.sent] == ["Firefox on Linux"], result.failed
    clock.now = PREP + dt.timedelta(seconds=30)
    _pass(app)  # nothing new: the prep went out once
    clock.now = SLOT
    _pass(app)
    clock.now = SLOT + dt.timedelta(minutes=1)
    _pass(app)

    got = receiver.wait(2)
    assert receiver.refused == []
    assert len(got) == 2 and len(receiver.for_device(device.sub_id)) == 2
    prep, session = (r.data for r in got)
    assert "soak" in prep["title"] + prep["body"] and prep["actions"] == []
    assert "roll" in session["title"].lower()
    assert session["actions"] == [
        {"action": "done", "title": "Done", "url": f"/act/{token}/done"},
        {"action": "snooze", "title": "Snooze 30 min", "url": f"/act/{token}/snooze"},
    ]
    assert "/act/" not in session["body"]  # the buttons carry the links, not the text
    for r in got:
        assert r.vapid_key == key and r.claims["aud"] == receiver.origin
        assert r.headers["urgency"] == "high" and int(r.headers["ttl"]) > 0
    # The ledger holds one recorded row per reminder on this channel.
    rows = [d for d in app.store.deliveries(since=None) if d.state == "recorded"]
    assert sorted(d.kind for d in rows) == ["prep", "session"]


def test_links_from_the_web_apps_loop_leave_the_text_and_become_the_buttons(
    world: tuple, receiver: PushReceiver
) -> None:
    _, clock, app = world
    device = receiver.device()
    app.add_push_device(device.subscription(), "Safari on iPhone", "https://roll.example:8443")
    token = app.token(security.ACTION_TOKEN)

    def links(a: Rollminder) -> dict[str, str]:
        return {
            "Done": f"https://roll.example/act/{token}/done",
            "Snooze 30 min": f"https://roll.example/act/{token}/snooze",
        }

    clock.now = SLOT
    engine.run_pass(app, app.active_channels(lambda: False), links=links, wait=10)
    (got,) = receiver.wait(1)
    assert "example" not in got.data["body"] and len(got.data["actions"]) == 2
    assert got.claims["sub"] == "https://roll.example"  # the app's https address, without port


@pytest.mark.parametrize("status", [404, 410])
def test_a_dropped_subscription_is_removed(
    world: tuple, receiver: PushReceiver, status: int
) -> None:
    _, clock, app = world
    gone, kept = receiver.device(), receiver.device()
    app.add_push_device(gone.subscription(), "Old phone")
    app.add_push_device(kept.subscription(), "New phone")
    receiver.answer[gone.sub_id] = status
    clock.now = SLOT
    result = _pass(app)
    assert [s.channel for s in result.sent] == ["New phone"]
    assert result.failed and str(status) in result.failed[0][1]
    assert "\n" not in result.failed[0][1] and gone.endpoint not in result.failed[0][1]
    # The next pass (and Settings, and `channel list`) no longer has it.
    assert [d.name for d in app.push_devices()] == ["New phone"]
    assert [c.name for c in app.active_channels(lambda: False)] == ["New phone"]
    assert len(receiver.for_device(kept.sub_id)) == 1


def test_an_unreachable_push_service_is_a_failure_with_backoff_not_a_removal(
    world: tuple,
) -> None:
    _, clock, app = world
    port = _port()  # nothing listens there
    sub = {
        "endpoint": f"http://127.0.0.1:{port}/push/x",
        "keys": PushReceiver(port).device().subscription()["keys"],
    }
    app.add_push_device(sub, "Laptop")
    clock.now = SLOT
    result = _pass(app)
    assert result.failed and "could not be reached" in result.failed[0][1]
    assert [d.name for d in app.push_devices()] == ["Laptop"]
    assert app.list_channels()[0].retry_at is not None


def test_the_payload_stays_small_and_a_channel_without_its_key_says_so() -> None:
    data = json.loads(webpush.payload("Time to roll", "x" * 10_000, "slot", "tok"))
    assert len(json.dumps(data).encode()) <= webpush.MAX_PAYLOAD
    from rollminder.remind.records import ChannelConfig

    sub = {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "a", "auth": "b"}}
    config = ChannelConfig(
        name="p", url=json.dumps(sub), masked="webpush://push.example.com", kind="webpush",
        created_at=SLOT,
    )  # fmt: skip
    channel = build(config)
    assert channel.kind == "webpush"
    with pytest.raises(Exception, match="no Web Push key"):
        channel.send("t", "b")


@pytest.mark.parametrize(
    ("endpoint", "audience"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc:def", "https://fcm.googleapis.com"),
        ("https://push.example.org:8443/wpush/v2/x?y=1#z", "https://push.example.org:8443"),
        ("https://updates.push.services.mozilla.com", "https://updates.push.services.mozilla.com"),
        ("http://127.0.0.1:9000/push/7", "http://127.0.0.1:9000"),
    ],
)
def test_the_signature_names_the_push_service_s_origin(endpoint: str, audience: str) -> None:
    key = webpush.new_private_key()
    signed = webpush.vapid_headers(key, "mailto:me@example.org", endpoint)
    token = signed["Authorization"].split("t=", 1)[1].split(",", 1)[0]
    assert json.loads(b64d(token.split(".")[1]))["aud"] == audience
