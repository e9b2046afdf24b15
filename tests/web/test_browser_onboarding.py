"""The first run in a real browser (Chromium): from nothing to the first reminder received on a
loopback ntfy-like receiver; an error fixed without retyping; the browser's zone preselected; a
clinic-only person booking a series. Each step passes axe, stays well under 4,100 px on a phone
and never scrolls sideways."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rollminder.remind import engine
from tests.remind_receivers import http_receiver
from tests.web.conftest import SIZES, LiveServer, check_axe, page_problems, shoot

#: A step of the set-up on a phone is at most this tall (the one-page wizard was ~4,100 px).
MAX_STEP_PX = 2400


#: A refused form comes back with status 400 (and the answers): Chromium logs that status.
REFUSED = "console: Failed to load resource: the server responded with a status of 400"


def _look(page: Any, name: str) -> None:
    check_axe(page, name)
    shoot(page, name)
    assert [p for p in page_problems(page) if not p.startswith(REFUSED)] == [], name
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert height <= MAX_STEP_PX, f"{name} is {height}px tall"
    assert width <= page.viewport_size["width"], f"{name} is {width}px wide"


def _next(page: Any, url: str, button: str = "Next") -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"**{url}")


def test_first_run_to_the_first_reminder_received(open_page: Any, live_server: LiveServer) -> None:
    page = open_page(live_server)
    page.goto("/")
    page.wait_for_url("**/welcome")
    _look(page, "onboarding-1-needle")
    page.get_by_label("0.5 mm").check()
    page.get_by_label("I have read this.").check()
    _next(page, "/welcome/when")
    _look(page, "onboarding-2-when")
    page.get_by_label("Tuesday").check()
    page.get_by_label("Time of day").fill("20:30")
    _next(page, "/welcome/zone")
    _look(page, "onboarding-3-zone")
    _next(page, "/welcome/areas")
    _look(page, "onboarding-4-areas")
    _next(page, "/welcome/remind", "Save my plan")
    _look(page, "onboarding-5-remind")
    assert page.locator(".qr svg").first.is_visible()
    with http_receiver() as rx:
        page.get_by_label("ntfy server").fill(f"http://{rx.base}")
        page.get_by_role("button", name="Send a test to my phone").click()
        page.get_by_text("Test sent to phone").wait_for()
        (test,) = rx.wait(1)
        assert test.json()["title"] == "rollminder test"
        _look(page, "onboarding-6-tested")
        # The first real reminder: the reminder pass at the plan's first slot reaches the phone.
        plan = live_server.read(lambda app: app.plan())
        assert plan.needle_mm == 0.5 and plan.weekdays == (1,) and plan.time == dt.time(20, 30)
        assert plan.tz == "Europe/Berlin"
        slot = live_server.read(lambda app: app.outlook(1).slots[0].start)
        with live_server.env.open_store() as store:
            from rollminder.service import Rollminder

            app = Rollminder(store, lambda: slot + dt.timedelta(minutes=1))
            engine.run_pass(app, app.active_channels(lambda: False))
        got = rx.wait(2)
        assert len(got) >= 2 and got[-1].json()["title"].startswith("Time to roll")
    page.get_by_role("link", name="Done: show me Today").click()
    page.wait_for_url(live_server.url + "/")


def test_an_error_is_fixed_without_retyping(open_page: Any, live_server: LiveServer) -> None:
    page = open_page(live_server)
    page.goto("/welcome")
    page.get_by_label("I have read this.").check()
    _next(page, "/welcome/when")
    page.get_by_label("Friday").check()
    page.get_by_label("Time of day").fill("07:15")
    page.get_by_label("Minutes per session").fill("4")
    _next(page, "/welcome/zone")
    zone = page.get_by_label("Where are you?")
    zone.fill("Atlantis")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Unknown time zone").first.wait_for()
    _look(page, "onboarding-error-zone")
    assert zone.input_value() == "Atlantis"
    assert zone.get_attribute("aria-invalid") == "true"
    zone.fill("Lisbon")
    _next(page, "/welcome/areas")
    # Back through the steps: every earlier answer is still there.
    page.get_by_role("link", name="Back").click()
    page.wait_for_url("**/welcome/zone")
    assert page.get_by_label("Where are you?").input_value() == "Europe/Lisbon"
    page.get_by_role("link", name="Back").click()
    page.wait_for_url("**/welcome/when")
    assert page.get_by_label("Friday").is_checked()
    assert page.get_by_label("Time of day").input_value() == "07:15"
    assert page.get_by_label("Minutes per session").input_value() == "4"


def test_new_york_browser_gets_new_york(open_page: Any, live_server: LiveServer) -> None:
    page = open_page(live_server, timezone_id="America/New_York")
    page.goto("/welcome")
    page.get_by_label("I have read this.").check()
    _next(page, "/welcome/when")
    _next(page, "/welcome/zone")
    assert page.get_by_label("Where are you?").input_value() == "America/New_York"
    _next(page, "/welcome/areas")
    _next(page, "/welcome/remind", "Save my plan")
    assert live_server.read(lambda app: app.plan().tz) == "America/New_York"


def test_a_clinic_only_person_books_a_series(open_page: Any, live_server: LiveServer) -> None:
    day = dt.date.today() + dt.timedelta(days=10)
    for size in SIZES:
        page = open_page(live_server, size=size)
        page.goto("/welcome")
        if page.url.endswith("/welcome"):
            page.get_by_label("1.0 mm or longer").check()
            page.get_by_label("I have read this.").check()
            _next(page, "/welcome/zone")
            assert "Step 2 of 3" in page.inner_text("main")
            _next(page, "/welcome/remind")
            page.get_by_role("link", name="Skip for now").click()
            page.wait_for_url(live_server.url + "/")
            _look(page, f"clinic-1-today-{size}")
            page.get_by_label("Visits", exact=True).fill("4")
            page.get_by_label("Weeks between visits").fill("6")
            page.get_by_role("button", name="Start the series").click()
            page.get_by_label("Date and time").fill(f"{day.isoformat()}T10:00")
            page.get_by_label("Clinic (optional)").fill("Skin clinic")
            page.get_by_role("button", name="Add the visit").click()
            page.get_by_text("Next visit:").wait_for()
        else:
            page.goto("/")
        _look(page, f"clinic-2-booked-{size}")
        assert f"{day:%A %d %B}, 10:00" in page.inner_text("main")
        assert page.url == live_server.url + "/"
    (status,) = live_server.read(lambda app: app.series_status())
    assert status.series.count == 4 and status.next_visit is not None


def test_the_why_page_and_settings_pass_axe(open_page: Any, live_server: LiveServer) -> None:
    from tests.web.conftest import make_plan

    make_plan(live_server.env)
    for size in SIZES:
        page = open_page(live_server, size=size)
        for path in ("/why", "/settings", "/clinic"):
            page.goto(path)
            check_axe(page, f"{path}-{size}")
            shoot(page, f"page{path.replace('/', '-')}-{size}")
            assert page_problems(page) == [], path
            assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
