"""The web app's hooks into the other branches' modules (#4 check, #5 reminders, #6 calendar):
each is used when it is there, and its absence is handled with a clear message."""

from __future__ import annotations

import datetime as dt
import re
import sys
import threading
import types
from collections.abc import Mapping
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app

BASE = "http://127.0.0.1:8765"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(home=tmp_path / "home", clock=lambda: NOW)


def fake_module(monkeypatch: pytest.MonkeyPatch, name: str, **attrs: object) -> None:
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)
    parent = name.rpartition(".")[0]
    if parent != "rollminder" and parent not in sys.modules:
        monkeypatch.setitem(sys.modules, parent, types.ModuleType(parent))


def csrf(client: TestClient, path: str = "/") -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_the_reminder_loop_runs_in_the_app_and_stops_with_it(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}
    running = threading.Event()

    def run(given_env: Env, stop: threading.Event) -> None:
        seen["env"] = given_env
        running.set()
        stop.wait(10)
        seen["stopped"] = stop.is_set()

    fake_module(monkeypatch, "rollminder.remind.daemon", run=run)
    app = create_app(env)
    with TestClient(app, base_url=BASE):
        assert running.wait(5)
        assert seen["env"] is env
        assert not seen.get("stopped")
    assert seen["stopped"] is True
    assert not any(t.name == "rollminder-reminders" for t in threading.enumerate())


def test_no_reminder_loop_when_asked_not_to(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    fake_module(monkeypatch, "rollminder.remind.daemon", run=lambda e, s: calls.append(e))
    with TestClient(create_app(env, start_reminders=False), base_url=BASE):
        pass
    assert calls == []


def test_clinician_answers_are_saved_and_shown_when_the_check_exists(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: dict[str, bool] = {}

    def set_clinician_answers(app: Rollminder, answers: Mapping[str, bool]) -> None:
        saved.update(answers)

    def clinician_notes(app: Rollminder) -> list[str]:
        return (
            ["Pregnant or breastfeeding: ask a clinician <b>before</b> rolling."]
            if any(saved.values())
            else []
        )

    fake_module(
        monkeypatch,
        "rollminder.check",
        set_clinician_answers=set_clinician_answers,
        clinician_notes=clinician_notes,
    )
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        response = c.post(
            "/welcome",
            data={
                "csrf_token": csrf(c, "/welcome"),
                "needle_mm": "0.25",
                "tz": "Europe/Berlin",
                "clinician_pregnancy": "yes",
                "clinician_keloid": "no",
                "understood": "yes",
            },
        )
        assert response.status_code == 200
        assert saved["pregnancy"] is True and saved["keloid"] is False
        assert set(saved) == {"isotretinoin", "pregnancy", "bleeding", "diabetes", "keloid"}
        assert "Standing notes" in response.text
        assert "ask a clinician &lt;b&gt;before&lt;/b&gt; rolling." in response.text


def test_channels_listed_added_tested_when_reminders_exist(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels: dict[str, str] = {}

    def list_channels(app: Rollminder) -> list[types.SimpleNamespace]:
        return [
            types.SimpleNamespace(name=n, url=u, kind="ntfy", last_error="", last_sent=None)
            for n, u in channels.items()
        ]

    def add_channel(app: Rollminder, url: str, name: str | None = None) -> None:
        channels[name or "phone"] = url

    fake_module(
        monkeypatch,
        "rollminder.remind.channels",
        list_channels=list_channels,
        add_channel=add_channel,
        remove_channel=lambda app, name: channels.pop(name),
        test_channel=lambda app, name: f"Sent a test to {name}.",
    )
    with env.open_store() as store:
        Rollminder(store, env.now).set_plan(needle_mm=0.25, tz="Europe/Berlin")
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        token = csrf(c)
        c.post("/settings/channels/add", data={"csrf_token": token, "url": "ntfy://t/x"})
        page = c.get("/settings").text
        assert "ntfy://t/x" in page and "Send a test" in page
        tested = c.post("/settings/channels/test", data={"csrf_token": token, "name": "phone"})
        assert "Sent a test to phone." in tested.text
        c.post("/settings/channels/remove", data={"csrf_token": token, "name": "phone"})
        assert channels == {}


def test_without_the_other_branches_the_pages_say_so(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("app", "auth", "settings", "pages"):
        monkeypatch.setattr(f"rollminder.web.{module}._module_available", lambda name: False)
    with env.open_store() as store:
        Rollminder(store, env.now).set_plan(needle_mm=0.25, tz="Europe/Berlin")
    with TestClient(create_app(env), base_url=BASE) as c:  # no reminder loop to start
        page = c.get("/settings").text
        assert (
            "Reminder channels (ntfy, email, desktop) are not part of this rollminder yet" in page
        )
        assert "The calendar feed itself is not part of this rollminder yet" in page
        token = csrf(c)
        refused = c.post("/settings/channels/add", data={"csrf_token": token, "url": "ntfy://x"})
        assert refused.status_code == 400 and "not in this rollminder yet" in refused.text
        feed = re.search(r'id="feed-url" value="http://127.0.0.1:8765(/feed/[^"]+)"', page)
        assert feed
        missing = c.get(feed.group(1))
        assert missing.status_code == 404 and "comes with issue #6" in missing.text
        welcome = c.get("/welcome", follow_redirects=False)
        assert welcome.status_code == 303  # a plan exists
