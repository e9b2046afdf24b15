"""A new user's whole journey in a real browser, and every page checked at phone and desktop size:
axe-core (no serious or critical issue), screenshots, dark mode, no CSP violation.

Screenshots go to test-artifacts/screenshots/ (kept after the run, gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollminder.env import Env
from rollminder.guide import build_guide
from tests.web.conftest import (
    SIZES,
    LiveServer,
    check_axe,
    make_plan,
    page_problems,
    serve,
    shoot,
)


def _look(page: Any, name: str) -> None:
    """axe, a screenshot and the CSP/console check for the page as it is now."""
    check_axe(page, name)
    shoot(page, name)
    assert page_problems(page) == [], name


def test_new_user_journey(open_page: Any, live_server: LiveServer) -> None:
    server = live_server
    page = open_page(server)
    page.clock.install()  # time flows until the session; then run_for makes 3 minutes pass

    # First run: the wizard.
    page.goto("/")
    page.wait_for_url("**/welcome")
    _look(page, "journey-1-welcome")
    page.get_by_label("I have read this.").check()
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/welcome/when")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/welcome/zone")
    assert page.get_by_label("Where are you?").input_value() == "Europe/Berlin"  # the browser's
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/welcome/areas")
    page.get_by_role("button", name="Save my plan").click()
    page.wait_for_url("**/welcome/remind")
    page.get_by_role("link", name="Skip for now").click()

    # Dashboard.
    page.wait_for_url(server.url + "/")
    assert page.locator("h1").inner_text() == "Today"
    _look(page, "journey-2-dashboard")
    page.get_by_role("link", name="Start session").click()

    # The pre-session check.
    page.wait_for_url("**/session")
    assert page.locator("h1").inner_text() == "Before you roll"
    _look(page, "journey-3-check")
    for fieldset in page.locator("fieldset.question").all():
        fieldset.get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()

    # The guided session: 3 minutes in moments.
    page.wait_for_url("**/session/go")
    guide = server.read(lambda app: build_guide(app.plan()).to_json())
    rolls = [s for s in guide["steps"] if s["kind"] == "roll"]
    page.get_by_label("Speak the step").check()
    # Freeze the page's clock: from here only run_for moves it (a loaded machine cannot add time).
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    page.get_by_role("button", name="Start rolling").click()
    page.clock.run_for(rolls[0]["seconds"] * 1000 // 2)
    shoot(page, "journey-4-player")  # (axe waits on timers: it runs on the player elsewhere)
    for _ in range(40):
        if page.locator("#step-title").inner_text() == "Aftercare":
            break
        page.clock.run_for(5000)
    assert page.locator("#step-title").inner_text() == "Aftercare"
    assert page.evaluate("window.__spoken") == [s["cue"] for s in rolls] + ["Done. Aftercare."]
    page.clock.resume()
    _look(page, "journey-5-aftercare")

    # The log form.
    page.get_by_role("button", name="Continue to the log").click()
    page.get_by_label("None").check()
    page.get_by_label("Note (optional)").fill("First session")
    _look(page, "journey-6-log-form")
    page.get_by_role("button", name="Log session").click()
    page.wait_for_url("**/session/logged")
    _look(page, "journey-7-logged")

    # History shows it.
    page.get_by_role("link", name="See your history").click()
    page.wait_for_url("**/history")
    assert page.locator("h1").inner_text() == "History"
    assert (
        page.locator(".chart.heat i.session, .chart.heat i.kept, .chart.heat i.partial").count()
        >= 1
    )
    _look(page, "journey-8-history")

    # The settings pages.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_url("**/settings")
    _look(page, "journey-9-settings")

    (session,) = server.read(lambda app: app.history())
    assert session.minutes == 3.0
    assert list(session.zones) == guide["zones"]
    assert session.note == "First session"


# -- every page at both sizes, light and dark ------------------------------------------------------

PAGES = (
    "/",
    "/session",
    "/session/go",
    "/session/logged",
    "/log",
    "/log/pauses",
    "/log/rollers",
    "/log/visits",
    "/history",
    "/settings",
)


@pytest.fixture
def planned(tmp_path: Path) -> Iterator[LiveServer]:
    env = Env(home=tmp_path / "home")
    make_plan(env)
    with env.open_store() as store:
        from rollminder.service import Rollminder

        app = Rollminder(store, env.now)
        app.add_roller(label="Test roller")
        app.log_session(minutes=3, note="<b>not bold</b>")
    yield from serve(env)


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "dashboard"


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_passes_axe_at_both_sizes(
    open_page: Any, planned: LiveServer, size: str
) -> None:
    page = open_page(planned, size=size)
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        _look(page, f"page-{_slug(path)}-{size}")
        if path == "/session/go":  # a session was just logged: the plan asks for rest
            assert "It asks for rest until" in page.locator("#caution").inner_text()
        # Nothing runs off the side of a phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], f"{path} is {width}px wide at {size}"


def test_welcome_page_at_both_sizes(open_page: Any, live_server: LiveServer) -> None:
    for size in SIZES:
        page = open_page(live_server, size=size)
        page.goto("/welcome")
        _look(page, f"page-welcome-{size}")


def _background_luminance(page: Any) -> float:
    rgb = page.evaluate(
        "getComputedStyle(document.body).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)"
    )
    return float(sum(rgb)) / (3 * 255)


def test_dark_mode_follows_the_system(open_page: Any, planned: LiveServer) -> None:
    light = open_page(planned)
    light.goto("/")
    assert _background_luminance(light) > 0.8
    dark = open_page(planned, dark=True)
    for path in PAGES:
        dark.goto(path)
        assert _background_luminance(dark) < 0.2, path
        _look(dark, f"page-{_slug(path)}-phone-dark")
