"""Settings (web/settings.py): everything the CLI can set, refusals told next to their field with
what was typed, and the truth about reminders."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app
from tests.remind_receivers import http_receiver
from tests.web.common import BASE


@pytest.fixture(autouse=True)
def no_desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    """No desktop session: only a channel set up here can reach the person."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        yield c


def token(client: TestClient) -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/settings").text)
    assert found
    return found.group(1)


def read(env: Env) -> Rollminder:
    return Rollminder(env.open_store(), env.now)


def field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="e-{name}">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


PLAN = {
    "needle_mm": "0.25",
    "days": ["mon", "thu"],
    "time": "21:00",
    "tz": "Europe/Berlin",
    "minutes": "3",
    "rest_days": "3",
    "passes": "6",
    "blackout_before_days": "5",
    "blackout_after_days": "10",
    "directions_given": "1",
    "directions": ["vertical", "horizontal"],
    "zones_given": "1",
    "zones": ["forehead"],
}


def test_every_plan_setting_is_saved(client: TestClient, env: Env) -> None:
    form = {**PLAN, "tz": "New York", "csrf_token": token(client)}
    r = client.post("/settings/plan", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    plan = read(env).plan()
    assert plan.tz == "America/New_York" and plan.rest_hours == 72 and plan.passes == 6
    assert plan.blackout_before_days == 5 and plan.blackout_after_days == 10
    assert plan.directions == ("vertical", "horizontal") and plan.zones == ("forehead",)
    page = client.get("/settings").text
    assert 'name="rest_days" value="3"' in page  # rest shown in days


def test_a_refused_plan_keeps_every_answer(client: TestClient, env: Env) -> None:
    before = read(env).plan()
    form = {
        **PLAN,
        "rest_days": "0",
        "time": "20:15",
        "tz": "Atlantis",
        "csrf_token": token(client),
    }
    r = client.post("/settings/plan", data=form)
    assert r.status_code == 400
    assert "That did not work" not in r.text
    assert "Rest is 1 to 84 days" in field_error(r.text, "rest_days")
    assert "Atlantis" in field_error(r.text, "tz")
    assert 'value="20:15"' in r.text and 'value="Atlantis"' in r.text
    assert 'name="passes" value="6"' in r.text
    assert re.search(r'value="horizontal" checked', r.text)
    assert not re.search(r'value="diagonal-up-left" checked', r.text)
    assert read(env).plan() == before


def test_rest_under_the_floor_is_told_next_to_rest(client: TestClient) -> None:
    form = {**PLAN, "needle_mm": "0.5", "rest_days": "2", "csrf_token": token(client)}
    r = client.post("/settings/plan", data=form)
    assert r.status_code == 400
    assert field_error(r.text, "rest_days") and not field_error(r.text, "needle_mm")


def test_prep_lead_session_check_and_roller_limits(client: TestClient, env: Env) -> None:
    data = {
        "roller_max_uses": "12",
        "roller_max_days": "60",
        "prep_minutes": "30",
        "session_check_given": "1",
        "csrf_token": token(client),
    }
    r = client.post("/settings/limits", data=data, follow_redirects=False)
    assert r.status_code == 303
    s = read(env).settings()
    assert (s.roller_max_uses, s.roller_max_days, s.prep_minutes, s.session_check) == (
        12,
        60,
        30,
        0,
    )
    r = client.post("/settings/limits", data={**data, "prep_minutes": "999"})
    assert r.status_code == 400 and "240" in field_error(r.text, "prep_minutes")
    assert 'name="prep_minutes" value="999"' in r.text


def test_reminders_tell_the_truth(client: TestClient) -> None:
    page = client.get("/settings").text
    assert "desktop notifications" not in page
    assert "No reminder can reach you now" in page
    with http_receiver(fail_first=100) as rx:
        t = token(client)
        client.post(
            "/settings/channels/add",
            data={"csrf_token": t, "url": f"json://{rx.base}/h", "name": "hook"},
        )
        client.post("/settings/channels/test", data={"csrf_token": t, "name": "hook"})
    page = client.get("/settings").text
    assert "No reminder can reach you now" not in page
    assert re.search(r"failing[^<]*:", page)
    with http_receiver() as rx:
        t = token(client)
        client.post(
            "/settings/channels/add",
            data={"csrf_token": t, "url": f"json://{rx.base}/ok", "name": "ok"},
        )
        client.post("/settings/channels/test", data={"csrf_token": t, "name": "ok"})
    assert "last sent" in client.get("/settings").text
