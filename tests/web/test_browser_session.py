"""The guided session in a real browser: the player's timing under Playwright's fake clock, the
spoken cues in order, pause/resume/skip, the keyboard, the log form, and the pre-session check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollminder.env import Env
from rollminder.guide import build_guide
from tests.web.conftest import LiveServer, check_axe, make_plan, page_problems, serve

T0 = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)


def _guide(server: LiveServer) -> dict[str, Any]:
    return server.read(lambda app: build_guide(app.plan()).to_json())  # type: ignore[no-any-return]


def _open_player(open_page: Any, server: LiveServer, **options: Any) -> Any:
    """The player with a frozen fake clock: time moves only by run_for/fast_forward."""
    page = open_page(server, **options)
    page.clock.install(time=T0)
    page.goto("/session/go")
    page.clock.pause_at(T0 + dt.timedelta(minutes=1))
    return page


def _sessions(server: LiveServer) -> list[Any]:
    return server.read(lambda app: app.history())  # type: ignore[no-any-return]


def test_player_runs_every_step_on_time_and_speaks_the_cues_in_order(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    server = live_server_with_plan
    guide = _guide(server)
    rolls = [s for s in guide["steps"] if s["kind"] == "roll"]
    assert sum(s["seconds"] for s in rolls) == 180
    page = _open_player(open_page, server)
    assert page.locator("#step-title").inner_text() == "Get ready"
    page.get_by_label("Speak the step").check()
    page.get_by_role("button", name="Start rolling").click()

    for n, step in enumerate(rolls, 1):
        assert page.locator("#step-title").inner_text() == step["title"]
        assert page.locator("#step-count").inner_text() == f"Step {n} of {len(rolls)}"
        assert step["cue"] in page.locator("#announce").inner_text()
        # The area is lit on the diagram, with the arrow shown.
        lit = page.locator("svg.session-diagram .lit")
        assert lit.count() == 1 and lit.get_attribute("data-area") == step["area"]
        assert page.locator("#dir-arrow").get_attribute("display") == "inline"
        # Half-way through the step, its progress bar is about half full.
        page.clock.run_for(step["seconds"] * 500)
        assert 0.4 <= float(page.locator("#step-progress").evaluate("e => e.value")) <= 0.6
        page.clock.run_for(step["seconds"] * 500)

    assert page.locator("#step-title").inner_text() == "Aftercare"
    assert page.locator("#overall-progress").evaluate("e => e.value") == 1
    assert page.locator("#overall-text").inner_text() == "3:00 of 3:00"
    spoken = page.evaluate("window.__spoken")
    assert spoken == [s["cue"] for s in rolls] + ["Done. Aftercare."]
    assert page.evaluate("window.__beeps") >= len(rolls) + 1

    page.get_by_role("button", name="Continue to the log").click()
    assert page.locator("#log-summary").inner_text() == "You rolled 3:00 of the planned 3:00."
    page.get_by_label("Mild").check()
    page.get_by_label("Note (optional)").fill("Felt fine <script>alert(1)</script>")
    page.get_by_role("button", name="Log session").click()
    page.wait_for_url("**/session/logged")
    assert "Session logged." in page.locator("main").inner_text()
    assert "<script>alert(1)</script>" in page.locator("#logged .note").inner_text()
    (session,) = _sessions(server)
    assert session.minutes == 3.0
    assert session.zones == ("forehead", "cheeks", "chin")
    assert session.reaction == "mild"
    assert page_problems(page) == []


def test_fast_forward_catches_up_without_drift(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    """A tab that sleeps through several steps (one late timer) lands on the right step: the
    deadlines are chained, never accumulated delays."""
    server = live_server_with_plan
    rolls = [s for s in _guide(server)["steps"] if s["kind"] == "roll"]
    page = _open_player(open_page, server)
    page.get_by_role("button", name="Start rolling").click()
    # Jump to 1 s into the fourth step in one go.
    page.clock.fast_forward(sum(s["seconds"] for s in rolls[:3]) * 1000 + 1000)
    page.clock.run_for(300)  # let the (single) late tick run
    assert page.locator("#step-title").inner_text() == rolls[3]["title"]
    left = rolls[3]["seconds"] - 1
    timer = page.locator("#step-timer").inner_text()
    assert timer in (f"0:{left:02d}", f"0:{left - 1:02d}"), timer
    page.clock.fast_forward(180_000)
    page.clock.run_for(300)
    assert page.locator("#step-title").inner_text() == "Aftercare"


def test_pause_resume_and_skip_count_only_what_was_rolled(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    server = live_server_with_plan
    rolls = [s for s in _guide(server)["steps"] if s["kind"] == "roll"]
    page = _open_player(open_page, server)
    page.get_by_role("button", name="Start rolling").click()
    page.clock.run_for(5000)
    before = page.locator("#step-timer").inner_text()
    page.get_by_role("button", name="Pause the session").click()
    assert page.locator("#player").get_attribute("data-phase") == "paused"
    assert "Paused" in page.locator("#announce").inner_text()
    page.clock.run_for(60_000)  # a minute's pause does not count
    assert page.locator("#step-timer").inner_text() == before
    assert page.locator("#step-title").inner_text() == rolls[0]["title"]

    # Space resumes when no control has the focus; N skips to the next step.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Space")
    assert page.locator("#player").get_attribute("data-phase") == "running"
    page.clock.run_for(2000)
    page.keyboard.press("n")
    assert page.locator("#step-title").inner_text() == rolls[1]["title"]
    page.clock.run_for(1000)
    # Skip every step left (the skip button, then N) up to aftercare.
    page.get_by_role("button", name="Skip step").click()
    for _ in rolls[2:]:
        page.keyboard.press("n")
    assert page.locator("#step-title").inner_text() == "Aftercare"
    page.get_by_role("button", name="Continue to the log").click()
    assert page.locator("#log-summary").inner_text() == "You rolled 0:08 of the planned 3:00."
    page.get_by_role("button", name="Log session").click()
    page.wait_for_url("**/session/logged")
    (session,) = _sessions(server)
    assert session.minutes == round(8 / 60, 2)
    assert session.zones == ("forehead",)
    assert page_problems(page) == []


def test_nothing_rolled_offers_nothing_to_log(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    page = _open_player(open_page, live_server_with_plan)
    page.get_by_role("button", name="Start rolling").click()
    while page.locator("#step-title").inner_text() != "Aftercare":
        page.keyboard.press("n")
    page.get_by_role("button", name="Continue to the log").click()
    assert page.locator("#nothing-rolled").is_visible()
    assert not page.locator("#log-form").is_visible()


def test_keyboard_only_walk_through_the_session(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    server = live_server_with_plan
    page = _open_player(open_page, server, size="desktop")

    def focused() -> str:
        return page.evaluate(  # type: ignore[no-any-return]
            "(() => { const e = document.activeElement;"
            " return e.id || e.getAttribute('href') || e.tagName; })()"
        )

    # Tab from the top of the page reaches the start button (the skip link and nav come first).
    for _ in range(30):
        page.keyboard.press("Tab")
        if focused() == "btn-start":
            break
    else:
        pytest.fail("Tab never reached the Start button")
    page.keyboard.press("Enter")
    assert focused() == "btn-pause"
    page.clock.run_for(3000)
    page.keyboard.press("Enter")  # pause
    assert page.locator("#player").get_attribute("data-phase") == "paused"
    page.keyboard.press("Space")  # Space on the focused button: resume
    assert page.locator("#player").get_attribute("data-phase") == "running"
    page.keyboard.press("Tab")
    assert focused() == "btn-skip"
    page.keyboard.press("Enter")
    assert page.locator("#step-count").inner_text().startswith("Step 2 of")
    page.keyboard.press("Tab")
    assert focused() == "opt-beep"
    page.keyboard.press("Tab")
    assert focused() == "opt-speak"
    page.keyboard.press("Space")
    assert page.get_by_label("Speak the step").is_checked()
    page.clock.run_for(180_000)
    assert focused() == "btn-finish"
    page.keyboard.press("Enter")
    assert focused() == "log-heading"
    page.keyboard.press("Tab")  # the reaction radios: arrows move the choice
    page.keyboard.press("ArrowRight")
    assert page.get_by_label("Mild").is_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("typed n and space without skipping")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/session/logged")
    (session,) = _sessions(server)
    assert session.note == "typed n and space without skipping"
    assert session.reaction == "mild"


def test_player_controls_are_labelled(open_page: Any, live_server_with_plan: LiveServer) -> None:
    # Real time here: axe-core waits on timers, which a paused fake clock would never fire.
    page = open_page(live_server_with_plan)
    page.goto("/session/go")
    check_axe(page, "player before start")
    page.get_by_role("button", name="Start rolling").click()
    for name in ("Pause the session", "Skip step"):
        assert page.get_by_role("button", name=name).is_visible()
    assert page.get_by_role("progressbar", name="This step").count() == 1
    assert page.get_by_role("progressbar", name="Whole session").count() == 1
    assert page.locator("#announce").get_attribute("aria-live") == "polite"
    check_axe(page, "player running")


def test_check_all_clear_leads_to_the_player(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    page = open_page(live_server_with_plan)
    page.goto("/session")
    assert page.locator("h1").inner_text() == "Before you roll"
    check_axe(page, "check")
    for fieldset in page.locator("fieldset.question").all():
        fieldset.get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/session/go")
    assert page.locator("#step-title").inner_text() == "Get ready"
    assert live_server_with_plan.read(lambda app: app.skips()) == []


#: Thursday 21:05 in Berlin: the Mon+Thu 21:00 slot is open (the check skips the open slot).
SLOT_OPEN = dt.datetime(2026, 11, 26, 20, 5, tzinfo=dt.UTC)


@pytest.fixture
def slot_open_server(tmp_path: Path) -> Iterator[LiveServer]:
    days_before = Env(home=tmp_path / "home", clock=lambda: SLOT_OPEN - dt.timedelta(days=3))
    make_plan(days_before, sessions=2, weekdays=(0, 3), time=dt.time(21))
    yield from serve(Env(home=tmp_path / "home", clock=lambda: SLOT_OPEN))


def test_check_stop_answer_records_the_skip(open_page: Any, slot_open_server: LiveServer) -> None:
    server = slot_open_server
    page = open_page(server)
    page.goto("/session")
    retinoid = page.locator("fieldset.question").filter(has_text="retinoid")
    assert not retinoid.locator(".when").is_visible()  # the date shows only after a yes
    for fieldset in page.locator("fieldset.question").all():
        fieldset.get_by_label("No").check()
    retinoid.get_by_label("Yes").check()
    assert retinoid.locator(".when").is_visible()
    retinoid.get_by_label("Date (optional)").fill("2026-11-25")  # the server's yesterday
    retinoid.get_by_label("Time (optional)").fill("21:30")
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "No rolling today"
    assert "retinoid in the last 48 hours" in page.locator("#skip-recorded").inner_text()
    assert "Rolling waits until" in page.locator("#hold-until").inner_text()
    assert page.locator("#next-slot").is_visible()
    check_axe(page, "check stopped")
    (skip,) = server.read(lambda app: app.skips())
    assert skip.reason == "retinoid in the last 48 hours"
    assert skip.slot == dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)
    (hold,) = server.read(lambda app: app.store.holds())
    assert hold.until == dt.datetime(2026, 11, 27, 20, 30, tzinfo=dt.UTC)  # 48 h after 21:30
    assert _sessions(server) == []
    # The hold is real: the session page now says "not now" until it ends.
    page.goto("/session")
    caution = page.locator("#caution").inner_text()
    assert "not now" in caution and "Fri 27 Nov, 21:30" in caution
    assert page_problems(page) == []
