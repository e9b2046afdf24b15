"""Journeys from Today and the Log in the real browser (issue #13): a day done from Today, a skip
from Today, a snooze, a delete that asks first. The server's clock stands at an open slot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollminder.env import Env
from rollminder.service import Rollminder
from tests.web.common import Clock
from tests.web.conftest import LiveServer, check_axe, make_plan, page_problems, serve, shoot

BERLIN = dt.timezone(dt.timedelta(hours=1))
DUE = dt.datetime(2026, 11, 26, 21, 5, tzinfo=BERLIN)  # Thursday: the Mon+Thu 21:00 slot is open


@pytest.fixture
def due(tmp_path: Path) -> Iterator[LiveServer]:
    clock = Clock(DUE - dt.timedelta(days=2))  # the plan began on Tuesday
    env = Env(home=tmp_path / "home", clock=clock)
    make_plan(env, weekdays=(0, 3), sessions=2)
    clock.now = DUE
    yield from serve(env)


def test_a_day_done_from_today(open_page: Any, due: LiveServer) -> None:
    page = open_page(due)
    page.goto("/")
    assert page.locator("h2.state").inner_text().lower() == "due now"
    assert "Your session is open" in page.locator("#today-sentence").inner_text()
    # Nothing is set up to reach the person on this machine: Today says so.
    assert page.locator("#unreachable").is_visible()
    check_axe(page, "today-due")
    shoot(page, "today-1-due")
    page.get_by_role("button", name="Done").click()
    page.wait_for_url(due.url + "/")
    assert "Done: logged a session at 21:05." in page.locator(".flash").inner_text()
    assert page.locator("h2.state").inner_text().lower() == "resting"
    # Resting: no Done / Skip / Snooze, and no Start session.
    assert page.get_by_role("button", name="Done").count() == 0
    assert page.get_by_role("link", name="Start session").count() == 0
    shoot(page, "today-2-done")
    assert page_problems(page) == []
    (session,) = due.read(lambda app: app.history())
    assert session.start == DUE.astimezone(dt.UTC)


def test_a_skip_and_a_snooze_from_today(open_page: Any, due: LiveServer) -> None:
    page = open_page(due)
    page.goto("/")
    page.get_by_role("button", name="Snooze").click()
    assert "Snoozed: reminded again at 21:35." in page.locator(".flash").inner_text()
    page.get_by_role("button", name="Skip").click()
    assert "Skipped the session of Thu 26 Nov." in page.locator(".flash").inner_text()
    assert page.locator("h2.state").inner_text().lower() != "due now"
    (skip,) = due.read(lambda app: app.skips())
    assert skip.catch_up is False and skip.slot.astimezone(BERLIN).date() == DUE.date()
    assert due.read(lambda app: app.history()) == []
    assert page_problems(page) == []


def test_a_delete_asks_first(open_page: Any, due: LiveServer) -> None:
    with due.env.open_store() as store:
        Rollminder(store, due.env.now).log_session(at=DUE - dt.timedelta(days=3), note="by mistake")
    page = open_page(due)
    page.goto("/log")
    entry = page.locator(".entry", has_text="by mistake")
    edit = entry.get_by_role("link", name="Edit")
    delete = entry.locator("summary", has_text="Delete")
    # Delete is well apart from Edit, and pressing it only asks.
    e, d = edit.bounding_box(), delete.bounding_box()
    assert e and d and d["x"] - (e["x"] + e["width"]) >= 24, (e, d)
    confirm = entry.get_by_role("button", name="Yes, delete it")
    assert not confirm.is_visible()
    delete.click()
    assert confirm.is_visible()
    assert "Undo on the next page brings it back." in entry.inner_text()
    check_axe(page, "log-confirm")
    shoot(page, "log-delete-confirm")
    assert len(due.read(lambda app: app.history())) == 1  # nothing deleted yet
    confirm.click()
    page.wait_for_url("**/log")
    assert "Deleted the session." in page.locator(".flash").inner_text()
    assert page.locator(".entry", has_text="by mistake").count() == 0
    assert due.read(lambda app: app.history()) == []
    assert page_problems(page) == []


def test_a_mistake_deleted_and_undone(open_page: Any, due: LiveServer) -> None:
    """A session deleted by mistake comes back with the Undo toast, from the keyboard."""
    with due.env.open_store() as store:
        Rollminder(store, due.env.now).log_session(at=DUE - dt.timedelta(days=3), note="real one")
    (kept,) = due.read(lambda app: app.history())
    page = open_page(due)
    page.goto("/log")
    entry = page.locator(".entry", has_text="real one")
    entry.locator("summary", has_text="Delete").click()
    entry.get_by_role("button", name="Yes, delete it").click()
    page.wait_for_url("**/log")
    assert due.read(lambda app: app.history()) == []
    toast = page.locator("#undo-toast")
    assert toast.is_visible()
    assert "Deleted the session." in toast.inner_text()
    assert page.locator(".flash[role=status]").count() == 1  # announced
    undo = toast.get_by_role("button", name="Undo")
    box = undo.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 44, box
    check_axe(page, "log-undo-toast")
    shoot(page, "log-undo-toast")
    # Keyboard: Tab reaches the Undo button, Enter presses it.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent") == "Undo":
            break
    else:
        raise AssertionError("Tab never reached the Undo button")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.locator(".flash", has_text="Undone").wait_for()
    assert "is back as it was" in page.locator(".flash").inner_text()
    assert page.locator("#undo-toast").count() == 0
    assert page.locator(".entry", has_text="real one").count() == 1
    assert due.read(lambda app: app.history()) == [kept]
    assert page_problems(page) == []


def test_done_twice_asks_before_logging_another(open_page: Any, due: LiveServer) -> None:
    """Today open on one device while the session was logged on another: Done asks first."""
    page = open_page(due)
    page.goto("/")
    assert page.locator("h2.state").inner_text().lower() == "due now"
    with due.env.open_store() as store:  # logged meanwhile (a reminder's Done link, the CLI)
        Rollminder(store, due.env.now).log_session(at=DUE - dt.timedelta(minutes=1))
    page.get_by_role("button", name="Done").click()
    page.get_by_text("You already rolled today at 21:04 — log another? It counts once.").wait_for()
    check_axe(page, "today-again")
    shoot(page, "today-again")
    assert len(due.read(lambda app: app.history())) == 1
    page.get_by_role("link", name="No, keep the one I logged").click()
    page.wait_for_url("**/")
    assert len(due.read(lambda app: app.history())) == 1
    assert page_problems(page) == []
