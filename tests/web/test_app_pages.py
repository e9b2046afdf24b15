"""The web app's pages render, the wizard makes a plan, charts count right, text is escaped."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web import charts
from rollminder.web.app import create_app
from tests.web.common import BASE, NOW

#: The app answers only loopback host names while no password is set (DNS rebinding).
BERLIN = dt.timezone(dt.timedelta(hours=1))
PLAN_FORM = {
    "needle_mm": "0.25",
    "days": ["mon", "thu"],
    "time": "21:00",
    "tz": "Europe/Berlin",
    "minutes": "3",
    "zones_given": "1",
    "zones": ["forehead", "cheeks"],
    "understood": "yes",
}


def token(client: TestClient, path: str = "/welcome") -> str:
    page = client.get(path)
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(home=tmp_path / "home", clock=lambda: NOW)


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        yield c


@pytest.fixture
def planned(client: TestClient) -> TestClient:
    response = client.post("/welcome", data={**PLAN_FORM, "csrf_token": token(client)})
    assert response.status_code == 200, response.text
    assert "Your plan is set: 2 sessions a week at 21:00." in response.text
    return client


def main_text(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_without_a_plan_every_page_leads_to_the_wizard(client: TestClient) -> None:
    for path in ("/", "/log", "/history", "/settings"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/welcome"
    page = client.get("/welcome")
    assert page.status_code == 200
    # The needle table's texts, the clinic-only reason, the clinician questions, the note.
    assert "up to 0.3 mm" not in page.text  # the wizard shows its own labels...
    assert "0.2-0.3 mm" in page.text and "1.0 mm or longer" in page.text
    assert "professionals" in page.text  # ...and why 1.0 mm+ is clinic only
    assert "not medical advice" in page.text
    # The areas and the clinician questions are a later step of the same set-up.
    for step, answers in (
        ("needle", {"needle_mm": "0.25", "understood": "yes"}),
        ("when", {"time": "21:00"}),
        ("zone", {"tz": "Europe/Berlin"}),
    ):
        answers = {**answers, "csrf_token": token(client)}
        assert (
            client.post(f"/welcome/{step}", data=answers, follow_redirects=False).status_code == 303
        )
    areas = client.get("/welcome/areas")
    assert "Isotretinoin (Accutane)" in areas.text
    assert 'class="face"' in areas.text and 'id="z-forehead"' in areas.text


def test_wizard_preview_shows_the_next_four_slots(client: TestClient) -> None:
    response = client.post("/welcome/preview", data={**PLAN_FORM, "csrf_token": token(client)})
    assert response.status_code == 200
    slots = re.findall(r'<time datetime="([^"]+)"', response.text)
    assert slots == [
        "2026-11-26T21:00:00+01:00",
        "2026-11-30T21:00:00+01:00",
        "2026-12-03T21:00:00+01:00",
        "2026-12-07T21:00:00+01:00",
    ]
    assert "2 sessions a week" in response.text


def test_wizard_preview_explains_a_refused_choice(client: TestClient) -> None:
    response = client.post(
        "/welcome/preview", data={**PLAN_FORM, "needle_mm": "1.0", "csrf_token": token(client)}
    )
    assert "for professionals" in response.text
    assert "<time" not in response.text


def test_wizard_saves_the_plan_and_shows_the_dashboard(planned: TestClient, env: Env) -> None:
    page = planned.get("/")
    assert page.status_code == 200
    assert "Next session" in page.text
    assert 'data-countdown="2026-11-26T21:00:00+01:00"' in page.text
    assert 'href="/session"' in page.text and "Start session" in page.text
    with env.open_store() as store:
        plan = Rollminder(store, env.now).plan()
    assert plan.weekdays == (0, 3) and plan.zones == ("forehead", "cheeks")
    assert plan.tz == "Europe/Berlin" and plan.time == dt.time(21, 0)


def test_wizard_refuses_clinic_needles_and_saves_nothing(client: TestClient, env: Env) -> None:
    response = client.post(
        "/welcome", data={**PLAN_FORM, "needle_mm": "1.5", "csrf_token": token(client)}
    )
    assert response.status_code == 400
    assert "for professionals" in response.text
    with env.open_store() as store:
        assert store.plan() is None


def test_wizard_needs_the_note_read(client: TestClient, env: Env) -> None:
    form = {k: v for k, v in PLAN_FORM.items() if k != "understood"}
    response = client.post("/welcome", data={**form, "csrf_token": token(client)})
    assert response.status_code == 400 and "not medical advice" in response.text
    with env.open_store() as store:
        assert store.plan() is None


def test_every_page_renders_with_a_plan(planned: TestClient) -> None:
    for path in (
        "/",
        "/log",
        "/history",
        "/settings",
        "/log?all=1",
        "/log/pauses",
        "/log/rollers",
        "/log/visits",
    ):
        response = planned.get(path)
        assert response.status_code == 200, path
        assert "Traceback" not in response.text
    assert planned.get("/welcome", follow_redirects=False).headers["location"] == "/"


def test_dashboard_states(planned: TestClient, env: Env) -> None:
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        app.pause(dt.date(2026, 11, 24), dt.date(2026, 11, 30), "travel")
    page = planned.get("/")
    assert "Paused" in page.text and "Paused: travel" in page.text
    assert "Resume now" in page.text
    page = planned.post("/log/resume", data={"csrf_token": token(planned, "/")})
    assert "Resumed" in page.text and "Next session" in page.text


def test_dashboard_shows_a_visit_blackout_and_resting(planned: TestClient, env: Env) -> None:
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        visit = app.add_visit(at=NOW + dt.timedelta(days=3), clinic="Dr. <B>")
    page = planned.get("/").text
    assert "Clinic visit: no home rolling" in page
    assert "around your clinic visit at Dr. &lt;B&gt; on Sat 28 Nov, until" in page
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        app.delete_visit(visit.id)
        app.log_session(at=NOW - dt.timedelta(hours=1))
    page = planned.get("/").text
    assert "Resting" in page and "Resting until" in page


def test_dashboard_shows_roller_wear(planned: TestClient, env: Env) -> None:
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        app.add_roller(label="Face roller", initial_uses=9)
    page = planned.get("/")
    assert "Face roller: 9 uses" in page.text
    assert "1 use or 90 days left." in page.text


def test_user_text_is_escaped_everywhere(planned: TestClient, env: Env) -> None:
    evil = "<script>alert(1)</script>"
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        app.log_session(at=NOW - dt.timedelta(days=2), note=evil)
        app.skip(slot=NOW - dt.timedelta(days=6), reason=evil)
        app.pause(dt.date(2027, 1, 1), dt.date(2027, 1, 5), evil)
        app.add_roller(label=evil)
        app.add_series(name=evil, count=4, spacing_weeks=5)
        app.add_visit(at=NOW + dt.timedelta(days=40), clinic=evil, note=evil)
    log_pages = ("/log", "/log/pauses", "/log/rollers", "/log/visits")
    for path in ("/", "/history", "/settings", *log_pages):
        html = planned.get(path).text
        assert evil not in html, path
    log = "".join(planned.get(path).text for path in log_pages)
    assert log.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6


def test_errors_are_pages_without_tracebacks(planned: TestClient) -> None:
    missing = planned.get("/no/such/page")
    assert missing.status_code == 404 and "There is no such page here." in missing.text
    wrong = planned.put("/history", headers={"X-CSRF-Token": token(planned, "/")})
    assert wrong.status_code == 405 and "does not take this kind of request" in wrong.text
    for response in (missing, wrong):
        assert "Traceback" not in response.text


def test_unexpected_errors_give_a_500_page_and_a_log(
    planned: TestClient, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Rollminder) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(Rollminder, "stats", broken)
    monkeypatch.setattr("rollminder.progress.compute", lambda *a, **k: broken(None))  # type: ignore[arg-type]
    with TestClient(planned.app, base_url=BASE, raise_server_exceptions=False) as c:
        response = c.get("/history")
    assert response.status_code == 500
    assert "unexpected problem" in response.text and "boom" not in response.text
    assert "RuntimeError: boom" in (env.home / "error.log").read_text()


def test_heatmap_counts_sessions_and_days() -> None:
    today = dt.date(2026, 11, 25)
    days = [today, today, today - dt.timedelta(days=3), today - dt.timedelta(days=500)]
    html = charts.heatmap(days, [today - dt.timedelta(days=1)], today)
    assert 'data-sessions="3"' in html and 'data-days="2"' in html  # the 500-day-old one is out
    assert html.count('class="session') == 2 and html.count('class="skipped"') == 1
    assert html.count("data-day=") == 52 * 7 + 3  # 53 weeks through a Wednesday
    assert html.count('class="session today"') == 1
    # Judged slots show their outcome; the summary counts them.
    judged = charts.heatmap(
        days,
        [],
        today,
        outcomes={today - dt.timedelta(days=3): "kept", today - dt.timedelta(days=7): "missed"},
    )
    assert judged.count('class="kept"') == 1 and judged.count('class="missed"') == 1
    assert 'data-kept="1"' in judged and 'data-missed="1"' in judged
    assert "slots: 1 kept, 0 partial, 1 missed, 0 skipped" in judged


def test_heatmap_month_labels_never_crowd() -> None:
    for today in (dt.date(2026, 11, 25), dt.date(2027, 1, 3), dt.date(2026, 3, 2)):
        html = charts.heatmap([], [], today)
        columns = re.findall(r'<div class="wk[^"]*"><span class="mo">([^<]*)</span>', html)
        assert len(columns) == 53
        labelled = [i for i, text in enumerate(columns) if text]
        assert len(labelled) >= 12
        assert all(b - a >= 3 for a, b in itertools.pairwise(labelled)), labelled


def test_history_charts_match_the_log(planned: TestClient, env: Env) -> None:
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        # The plan began today; log two earlier sessions (they count for the calendar).
        app.log_session(at=dt.datetime(2026, 11, 16, 21, 0, tzinfo=BERLIN))
        app.log_session(at=dt.datetime(2026, 11, 19, 21, 0, tzinfo=BERLIN))
        app.log_session(at=dt.datetime(2026, 11, 25, 9, 30, tzinfo=BERLIN))
    html = planned.get("/history").text
    assert 'data-sessions="3" data-days="3"' in html
    bars = re.findall(r'data-kept="(\d+)" data-quota="(\d+)"', html)
    assert bars, html
    # The plan began today at 10:00: this week asks only for Thursday, and the 09:30 session came
    # before the plan (it counts for the calendar, not for the quota).
    assert bars[-1] == ("0", "1")
    assert "strength" in html and "in a row" in html
