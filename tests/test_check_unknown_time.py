"""Issue 11, item 6: a "yes" to a dated stop question without a date means "just now" (DOMAIN.md,
"Don't roll today if"): the hold runs the full interval from the check, so no catch-up is offered
inside it (a retinoid answered yes without a date used to give a catch-up about 24 h later)."""

# ruff: noqa: F811  (pytest fixtures imported from tests/test_check.py are named as arguments)
from __future__ import annotations

import datetime as dt

import pytest

from rollminder.rules import STOP_QUESTIONS
from rollminder.service import Rollminder
from tests.conftest import Runner
from tests.test_check import TZ, Clock, app, at, clock  # noqa: F401  (the same world)

DATED = [q for q in STOP_QUESTIONS if q.asks_date and q.hold_hours is not None]


def test_every_dated_question_has_a_hold() -> None:
    assert {q.key for q in DATED} == {"retinoid", "peel", "botox", "fillers"}


@pytest.mark.parametrize("question", DATED, ids=lambda q: q.key)
def test_yes_without_a_date_holds_the_full_interval_from_now(
    app: Rollminder, clock: Clock, question: object
) -> None:
    clock.now = at(30, 20)  # Monday, an hour before the slot
    key = question.key  # type: ignore[attr-defined]
    hours = question.hold_hours  # type: ignore[attr-defined]
    outcome = app.run_check({key: True})
    assert not outcome.ok and outcome.stopped_by == key
    assert outcome.skip is not None and outcome.skip.slot == at(30, 21)
    assert outcome.hold_until == at(30, 20) + dt.timedelta(hours=hours)
    [hold] = app.store.holds()
    assert hold.since == at(30, 20) and hold.question == key
    # No slot, planned or catch-up, falls inside the hold.
    assert outcome.next_slot is not None
    assert outcome.next_slot.start >= outcome.hold_until
    assert all(s.start >= outcome.hold_until for s in app.next(4)[1])


def test_the_retinoid_without_a_date_gives_no_catch_up_the_next_day(
    app: Rollminder, clock: Clock
) -> None:
    clock.now = at(30, 20)
    outcome = app.run_check({"retinoid": True})
    assert outcome.hold_until == at(2, 20, month=12)
    assert outcome.next_slot is not None and outcome.next_slot.start >= at(2, 20, month=12)
    assert outcome.next_slot.start != at(1, 21, month=12)  # the old catch-up, 25 h later


def test_the_cli_says_how_long_the_hold_lasts_without_a_date(planned: Runner) -> None:
    monday = "2026-11-30T20:00+01:00"
    result = planned("check", stdin="n\nn\ny\n", now=monday)
    assert result.code == 1
    assert "Don't roll today: retinoid in the last 48 hours." in result.out
    assert "No rolling until Wed 2 Dec 20:00." in result.out
    assert "Tue 1 Dec" not in result.out
    status = planned("status", now="2026-12-01T21:30+01:00")
    assert "No rolling until Wed 2 Dec 20:00" in status.out
