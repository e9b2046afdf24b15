"""Issue 11, item 7: plan changes keep the person's days, and ``--rest`` has one rule.

- A smaller number of sessions keeps the person's days (``--per-week 1`` on a Mon,Thu plan keeps
  Monday, the first of them), never a default day they did not choose; a larger one keeps them
  and adds days.
- ``--rest`` is in days (DOMAIN.md: rest counts in local calendar days): ``3``, ``3d``,
  ``2 days``, ``1w``; hours only when they make whole days (``48h``); minutes are refused.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rollminder.cli.fmt import parse_rest
from rollminder.errors import InvalidInput
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore
from tests.conftest import Runner

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=ZoneInfo("Europe/Berlin"))


def app_with(**choices: object) -> Rollminder:
    app = Rollminder(MemoryStore(), lambda: NOW)
    app.set_plan(tz="Europe/Berlin", **choices)
    return app


def test_one_session_a_week_keeps_the_first_of_the_persons_days() -> None:
    app = app_with(needle_mm=0.25, weekdays=(0, 3))
    assert app.set_plan(sessions=1).weekdays == (0,)  # Monday, not Sunday


def test_fewer_sessions_keep_a_subset_of_the_persons_days() -> None:
    app = app_with(needle_mm=0.25, weekdays=(1, 3, 5))  # Tue, Thu, Sat
    plan = app.set_plan(sessions=2)
    assert set(plan.weekdays) <= {1, 3, 5} and len(plan.weekdays) == 2


def test_more_sessions_keep_the_persons_days_and_add() -> None:
    app = app_with(needle_mm=0.25, weekdays=(2,))  # Wednesday only
    plan = app.set_plan(sessions=2)
    assert 2 in plan.weekdays and len(plan.weekdays) == 2


def test_a_new_needle_keeps_one_of_the_persons_days() -> None:
    app = app_with(needle_mm=0.25, weekdays=(0, 3))
    plan = app.set_plan(needle_mm=0.5)
    assert plan.sessions == 1 and plan.weekdays == (0,)


def test_days_given_still_win() -> None:
    app = app_with(needle_mm=0.25, weekdays=(0, 3))
    assert app.set_plan(sessions=1, weekdays=(4,)).weekdays == (4,)


def test_the_cli_says_which_day_it_kept(planned: Runner) -> None:
    result = planned("plan", "set", "--per-week", "1")
    assert result.code == 0, result.err
    assert "on Mon at 21:00" in result.out
    assert "Kept Mon of your days (Mon, Thu)" in result.out
    assert planned("plan", "--json").json()["days"] == ["mon"]


@pytest.mark.parametrize(
    ("text", "hours"),
    [("3", 72), ("3d", 72), ("2 days", 48), ("1 day", 24), ("1w", 168), ("48h", 48), (" 7 ", 168)],
)
def test_rest_is_read_in_days(text: str, hours: int) -> None:
    assert parse_rest(text) == hours


def test_a_bare_number_of_rest_is_days_in_the_plan(planned: Runner) -> None:
    result = planned("plan", "set", "--rest", "3")
    assert result.code == 0, result.err
    assert "Rest       at least 3 days between sessions" in result.out
    assert planned("plan", "--json").json()["rest_hours"] == 72


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1439", "at most 12 weeks"),  # read as days, not hours nor minutes
        ("1439 min", "Rest is counted in whole days"),
        ("90m", "Rest is counted in whole days"),
        ("36h", "Rest is counted in whole days"),
        ("0", "Rest must be at least 1 day"),
        ("1.5", "Rest is counted in whole days"),
        ("soon", "Could not read"),
        ("3³", "Could not read"),
        ("99999999999999999999", "at most"),
    ],
)
def test_bad_rest_is_one_line_and_changes_nothing(planned: Runner, text: str, message: str) -> None:
    before = planned("export").out
    result = planned("plan", "set", "--rest", text)
    assert result.code in (1, 2), result.out
    assert message in result.err, result.err
    assert result.err.strip().count("\n") == 0 and "Traceback" not in result.err
    assert planned("export").out == before


def test_rest_help_says_days(rm: Runner) -> None:
    out = rm("plan", "set", "--help").out
    assert "in days" in out and "48h" in out
    with pytest.raises(InvalidInput):
        parse_rest("")


def test_a_first_plan_without_a_needle_is_refused_in_one_line() -> None:
    """A first draft that names no needle (a web step posted alone) is refused, never a crash."""
    import datetime as dt

    from rollminder.errors import InvalidInput
    from rollminder.service import Rollminder
    from rollminder.store.memory import MemoryStore

    app = Rollminder(MemoryStore(), lambda: dt.datetime(2026, 12, 4, tzinfo=dt.UTC))
    with pytest.raises(InvalidInput, match="needle length"):
        app.draft_plan(minutes=3.0)
    assert not app.has_plan()
