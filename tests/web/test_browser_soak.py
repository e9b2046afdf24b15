"""Issue 11, item 10: the player's prep step offers the 10-minute roller soak as an optional
countdown (a real browser, Playwright's fake clock)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.conftest import LiveServer

T0 = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)


def test_the_soak_timer_counts_down_and_says_when_it_is_done(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    page = open_page(live_server_with_plan)
    page.clock.install(time=T0)
    page.goto("/session/go")
    page.clock.pause_at(T0 + dt.timedelta(minutes=1))
    page.get_by_label("Speak the step").check()
    button = page.get_by_role("button", name="Start a 10-minute soak timer")
    assert button.is_visible()
    button.click()
    assert page.locator("#soak-status").inner_text() == "Soaking: 10:00 left."
    page.clock.run_for(61_000)
    assert page.locator("#soak-status").inner_text() == "Soaking: 8:59 left."
    assert page.get_by_role("button", name="Stop the soak timer").is_visible()
    page.clock.run_for(540_000)
    assert page.locator("#soak-status").inner_text().startswith("Soak done")
    assert "Soak done." in page.evaluate("window.__spoken")
    # Optional: rolling starts without it, and the button goes with the prep step.
    page.get_by_role("button", name="Start rolling").click()
    assert not page.get_by_role("button", name="Start a 10-minute soak timer").is_visible()
