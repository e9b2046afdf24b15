"""The first run in steps (web/onboarding.py): every step, every error path keeps every answer
and puts its message next to the field; the clinic-only way; the reminders step."""

from __future__ import annotations

import datetime as dt
import html as html_module
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app
from rollminder.web.remindsetup import ntfy_urls
from tests.remind_receivers import http_receiver
from tests.web.common import BASE, NOW


def token(client: TestClient, path: str = "/welcome") -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(home=tmp_path / "home", clock=lambda: NOW)


@pytest.fixture(autouse=True)
def no_desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    """No desktop session: only a channel set up here can reach the person."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        yield c


def post(client: TestClient, path: str, data: dict[str, object]) -> object:
    return client.post(path, data={**data, "csrf_token": token(client)}, follow_redirects=False)


def read(env: Env) -> Rollminder:
    return Rollminder(env.open_store(), env.now)


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="e-{name}">([^<]*)</p>', html)
    return html_module.unescape(found.group(1)) if found else ""


def value_of(html: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}" [^>]*value="([^"]*)"', html)
    assert found, field_id
    return found.group(1)


def main_text(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def walk_to(client: TestClient, step: str) -> None:
    """Answer the steps before ``step`` with good answers."""
    answers = {
        "needle": {"needle_mm": "0.25", "understood": "yes", "browser_tz": "Europe/Berlin"},
        "when": {"days": ["mon", "thu"], "time": "21:00", "minutes": "3"},
        "zone": {"tz": "Europe/Berlin"},
    }
    for name, data in answers.items():
        if name == step:
            return
        r = post(client, f"/welcome/{name}", data)
        assert r.status_code == 303, r.text  # type: ignore[attr-defined]


def test_the_steps_make_a_plan_then_ask_how_to_remind(client: TestClient, env: Env) -> None:
    first = client.get("/welcome")
    assert first.status_code == 200
    assert "Step 1 of 5" in first.text and "How long are its needles?" in first.text
    r = post(client, "/welcome/needle", {"needle_mm": "0.25", "understood": "yes"})
    assert r.headers["location"] == "/welcome/when"  # type: ignore[attr-defined]
    page = client.get("/welcome/when").text
    assert "Step 2 of 5" in page and 'name="days"' in page
    r = post(client, "/welcome/when", {"days": ["mon", "thu"], "time": "20:30", "minutes": "3"})
    assert r.headers["location"] == "/welcome/zone"  # type: ignore[attr-defined]
    r = post(client, "/welcome/zone", {"tz": "Berlin"})  # a city name is a zone
    assert r.headers["location"] == "/welcome/areas"  # type: ignore[attr-defined]
    areas = client.get("/welcome/areas").text
    assert 'class="face"' in areas and "Isotretinoin (Accutane)" in areas
    r = post(
        client,
        "/welcome/areas",
        {"zones_given": "1", "zones": ["forehead", "cheeks"], "clinician_pregnancy": "yes"},
    )
    assert r.headers["location"] == "/welcome/remind"  # type: ignore[attr-defined]
    remind = client.get("/welcome/remind").text
    assert "How should we remind you?" in remind
    assert "Your plan is set: 2 sessions a week at 20:30." in remind
    assert "No reminder can reach you yet" in remind
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        plan = app.plan()
        assert app.clinician_answers()["pregnancy"] is True
    assert plan.weekdays == (0, 3) and plan.time == dt.time(20, 30)
    assert plan.tz == "Europe/Berlin" and plan.zones == ("forehead", "cheeks")
    # Set up: the steps lead to Today.
    assert client.get("/welcome", follow_redirects=False).headers["location"] == "/"
    assert client.get("/welcome/when", follow_redirects=False).headers["location"] == "/"


def test_each_page_is_short_text_without_sources(client: TestClient) -> None:
    walk_to(client, "areas")
    for path in ("/welcome", "/welcome/when", "/welcome/zone", "/welcome/areas"):
        text = main_text(client.get(path).text)
        assert not re.search(r"\b[\w-]+\.(com|co\.uk|info)\b", text), path
        assert "seed" not in text.lower() and "unsourced" not in text.lower()
    assert 'href="/why#needles"' in client.get("/welcome").text


def test_a_refused_needle_step_keeps_the_answers(client: TestClient) -> None:
    r = post(client, "/welcome/needle", {"needle_mm": "0.5"})  # the note not ticked
    assert r.status_code == 400  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert "That did not work" not in html and "Go back" not in html
    assert "Tick that you have read" in field_error(html, "understood")
    assert re.search(r'value="0.5" checked', html)
    assert 'aria-describedby="e-understood"' in html
    r = post(client, "/welcome/needle", {"needle_mm": "abc", "understood": "yes"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    assert "must be a number" in field_error(r.text, "needle_mm")  # type: ignore[attr-defined]


def test_a_refused_time_keeps_days_and_minutes(client: TestClient) -> None:
    walk_to(client, "when")
    r = post(client, "/welcome/when", {"days": ["tue", "fri"], "time": "25:99", "minutes": "4"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert "time such as 21:00" in field_error(html, "time")
    assert value_of(html, "time") == "25:99" and value_of(html, "minutes") == "4"
    assert re.search(r'value="tue" checked', html) and re.search(r'value="fri" checked', html)
    assert not re.search(r'value="mon" checked', html)


def test_a_refusal_of_the_plan_is_told_next_to_its_field(client: TestClient) -> None:
    walk_to(client, "when")
    r = post(client, "/welcome/when", {"days": [], "time": "21:00", "minutes": "999"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    assert field_error(r.text, "minutes")  # type: ignore[attr-defined]
    assert not field_error(r.text, "time")  # type: ignore[attr-defined]


def test_an_unknown_zone_keeps_what_was_typed(client: TestClient) -> None:
    walk_to(client, "zone")
    r = post(client, "/welcome/zone", {"tz": "Atlantis"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert "Unknown time zone 'Atlantis'" in field_error(html, "tz")
    assert value_of(html, "tz") == "Atlantis"
    # Fixed: on to the next step, and the earlier answers are all still there.
    r = post(client, "/welcome/zone", {"tz": "New York"})
    assert r.headers["location"] == "/welcome/areas"  # type: ignore[attr-defined]
    assert value_of(client.get("/welcome/zone").text, "tz") == "America/New_York"
    when = client.get("/welcome/when").text
    assert value_of(when, "time") == "21:00" and re.search(r'value="thu" checked', when)


def test_no_area_chosen_is_told_and_nothing_saved(client: TestClient, env: Env) -> None:
    walk_to(client, "areas")
    r = post(client, "/welcome/areas", {"zones_given": "1", "clinician_keloid": "yes"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert "Choose at least one area" in field_error(html, "zones")
    assert re.search(r'name="clinician_keloid" value="yes" checked', html)
    with env.open_store() as store:
        assert store.plan() is None


def test_the_zone_is_the_browsers_when_it_sent_one(client: TestClient) -> None:
    post(client, "/welcome/needle", {"needle_mm": "0.25", "understood": "yes"})
    html = client.get("/welcome/zone").text
    assert "data-guess" in html  # no zone from the browser yet: the script fills it in
    post(
        client,
        "/welcome/needle",
        {"needle_mm": "0.25", "understood": "yes", "browser_tz": "America/New_York"},
    )
    html = client.get("/welcome/zone").text
    assert value_of(html, "tz") == "America/New_York" and "data-guess" not in html
    assert '<option value="America/New_York">New York (America)</option>' in html


def test_everything_at_once_still_saves(client: TestClient, env: Env) -> None:
    form = {
        "needle_mm": "0.25",
        "days": ["mon", "thu"],
        "time": "21:00",
        "tz": "Europe/Berlin",
        "zones_given": "1",
        "zones": ["forehead"],
        "understood": "yes",
    }
    r = post(client, "/welcome", form)
    assert r.headers["location"] == "/welcome/remind"  # type: ignore[attr-defined]
    with env.open_store() as store:
        assert store.plan() is not None


def test_everything_at_once_with_an_error_shows_that_step(client: TestClient) -> None:
    r = post(client, "/welcome", {"needle_mm": "0.25", "understood": "yes", "tz": "Nowhere"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    assert "Time zone" in r.text and field_error(r.text, "tz")  # type: ignore[attr-defined]


# -- clinic only ----------------------------------------------------------------------------------


def test_clinic_only_is_a_working_app_not_a_redirect_loop(client: TestClient, env: Env) -> None:
    r = post(client, "/welcome/needle", {"needle_mm": "1.0", "understood": "yes"})
    assert r.headers["location"] == "/welcome/zone"  # type: ignore[attr-defined]
    zone = client.get("/welcome/zone").text
    assert "Step 2 of 3" in zone and "Visit times are shown in it" in zone
    r = post(client, "/welcome/zone", {"tz": "Berlin"})
    assert r.headers["location"] == "/welcome/remind"  # type: ignore[attr-defined]
    assert "rollminder visit add" not in client.get("/welcome/remind").text
    today = client.get("/", follow_redirects=False)
    assert today.status_code == 200, today.headers.get("location")
    assert "Start your series" in today.text and "No reminder can reach you" in today.text
    for path in ("/log", "/settings", "/welcome"):
        r2 = client.get(path)
        assert r2.status_code == 200 and "Start your series" in r2.text, path
    r = post(
        client, "/clinic/series", {"name": "Microneedling", "count": "4", "spacing_weeks": "6"}
    )
    assert r.headers["location"] == "/#add-visit"  # type: ignore[attr-defined]
    series = read(env).series_status()[0].series
    r = post(
        client,
        "/clinic/visit",
        {"at": "2026-12-01T10:00", "clinic": "Skin clinic", "series": series.id},
    )
    assert r.status_code == 303  # type: ignore[attr-defined]
    visit = read(env).visits()[0]
    assert visit.at == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin
    today = client.get("/").text
    assert "Next visit: " in today and "Tuesday 01 December, 10:00" in today


def test_clinic_forms_keep_what_was_typed(client: TestClient, env: Env) -> None:
    read(env).track_clinic_only("Europe/Berlin")
    r = post(client, "/clinic/series", {"name": "Mine", "count": "99", "spacing_weeks": "6"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert field_error(html, "se_count") and value_of(html, "se-count") == "99"
    assert value_of(html, "se-name") == "Mine"
    r = post(client, "/clinic/visit", {"at": "not a date", "clinic": "Derm"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert "date and time" in field_error(html, "v_at") and value_of(html, "v-clinic") == "Derm"


def test_clinic_only_gets_visit_and_booking_reminders(env: Env) -> None:
    from rollminder.remind import engine

    app = read(env)
    app.track_clinic_only("Europe/Berlin")
    s = app.add_series(name="Series", count=4, spacing_weeks=6)
    app.add_visit(at=dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC), series_ref=s.id)
    found = engine.compute(app, NOW)
    kinds = {r.kind for r in found}
    assert "visit" in kinds
    visit = next(r for r in found if r.kind == "visit")
    assert visit.at == dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)  # 09:00 in Berlin


# -- the reminders step ---------------------------------------------------------------------------


def test_ntfy_urls() -> None:
    assert ntfy_urls("https://ntfy.sh", "abc") == ("ntfys://ntfy.sh/abc", "ntfy://ntfy.sh/abc")
    assert ntfy_urls("http://127.0.0.1:9", "a-b") == (
        "ntfy://127.0.0.1:9/a-b",
        "ntfy://127.0.0.1:9/a-b?secure=false",
    )
    with pytest.raises(Exception, match="topic"):
        ntfy_urls("https://ntfy.sh", "no spaces")


def test_the_reminders_step_sends_a_test_through_ntfy(client: TestClient, env: Env) -> None:
    walk_to(client, "areas")
    post(client, "/welcome/areas", {"zones_given": "1", "zones": ["forehead"]})
    page = client.get("/welcome/remind").text
    topic = value_of(page, "topic")
    assert topic.startswith("rollminder-") and "<svg" in page  # the QR code
    with http_receiver() as rx:
        r = post(
            client,
            "/welcome/remind",
            {"how": "ntfy", "server": f"http://{rx.base}", "topic": topic},
        )
        assert r.status_code == 200  # type: ignore[attr-defined]
        got = rx.wait(1)
    assert got and got[0].json()["topic"] == topic
    html = r.text  # type: ignore[attr-defined]
    assert "Test sent to phone" in html and "last sent" in html
    assert "No reminder can reach you" not in html
    assert read(env).reachable()


def test_a_failing_test_is_told_and_the_answers_stay(client: TestClient) -> None:
    walk_to(client, "areas")
    post(client, "/welcome/areas", {"zones_given": "1", "zones": ["forehead"]})
    r = post(
        client,
        "/welcome/remind",
        {"how": "ntfy", "server": "https://ntfy.sh", "topic": "bad topic!"},
    )
    assert r.status_code == 400  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert field_error(html, "topic") and value_of(html, "topic") == "bad topic!"
    with http_receiver(fail_first=100) as rx:
        r = post(
            client, "/welcome/remind", {"how": "ntfy", "server": f"http://{rx.base}", "topic": "t1"}
        )
    html = r.text  # type: ignore[attr-defined]
    assert "The test to phone failed" in html and "failing" in html
    r = post(client, "/welcome/remind", {"how": "email", "email": "me@example.com"})
    assert r.status_code == 400  # type: ignore[attr-defined]
    assert "mailto://" in field_error(r.text, "email")  # type: ignore[attr-defined]
    assert value_of(r.text, "email") == "me@example.com"  # type: ignore[attr-defined]


def test_the_why_page_lists_the_sources(client: TestClient) -> None:
    page = client.get("/why")
    assert page.status_code == 200
    assert "necolebitchie.com" in page.text and "LifeZette" in page.text
    assert 'id="needles"' in page.text and 'id="clinic"' in page.text
