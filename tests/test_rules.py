"""The needle table and plan validation (DOMAIN.md)."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
from dataclasses import replace

import pytest

from rollminder.errors import InvalidInput, NoHomePlan, PlanRefused
from rollminder.rules import make_plan, needle_rule, replan, validate_plan

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

START = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("needle", "sessions", "every", "rest", "floor"),
    [
        (0.1, 2, 1, 48, 24),
        (0.25, 2, 1, 48, 24),
        (0.3, 2, 1, 48, 24),
        (0.5, 1, 1, 168, 120),
        (0.4, 1, 1, 168, 120),
        (0.75, 1, 3, 504, 336),
        (0.6, 1, 3, 504, 336),
    ],
)
def test_defaults_by_needle(
    needle: float, sessions: int, every: int, rest: int, floor: int
) -> None:
    plan = make_plan(needle_mm=needle, start=START, created_at=T0)
    assert (plan.sessions, plan.every_weeks, plan.rest_hours) == (sessions, every, rest)
    assert needle_rule(needle).floor_hours == floor
    assert plan.minutes == 3 and plan.passes == 5 and len(plan.directions) == 4


@pytest.mark.parametrize("needle", [1.0, 1.5, 2.5])
def test_professional_needles_get_no_home_plan(needle: float) -> None:
    with pytest.raises(NoHomePlan, match="visit"):
        make_plan(needle_mm=needle, start=START, created_at=T0)


@pytest.mark.parametrize("needle", [0, -0.5, 3.5, float("nan"), float("inf")])
def test_nonsense_needles(needle: float) -> None:
    with pytest.raises(InvalidInput):
        make_plan(needle_mm=needle, start=START, created_at=T0)


def test_rest_can_grow_but_not_below_the_floor() -> None:
    assert make_plan(needle_mm=0.25, rest_hours=72, start=START, created_at=T0).rest_hours == 72
    assert (
        make_plan(needle_mm=0.25, rest_hours=24, sessions=3, start=START, created_at=T0).rest_hours
        == 24
    )
    with pytest.raises(PlanRefused, match="at least 1 day"):
        make_plan(needle_mm=0.25, rest_hours=12, start=START, created_at=T0)
    with pytest.raises(PlanRefused, match="at least 5 days"):
        make_plan(needle_mm=0.5, rest_hours=96, start=START, created_at=T0)


def test_target_must_fit_the_rest() -> None:
    with pytest.raises(PlanRefused, match="at most 3 sessions fit a week"):
        make_plan(needle_mm=0.25, sessions=4, start=START, created_at=T0)
    with pytest.raises(PlanRefused, match="every 3 weeks"):
        make_plan(needle_mm=0.75, sessions=1, every_weeks=1, start=START, created_at=T0)


def test_days_must_match_the_count_and_keep_the_rest() -> None:
    with pytest.raises(InvalidInput, match="Choose 2 days"):
        make_plan(needle_mm=0.25, sessions=2, weekdays=(0,), start=START, created_at=T0)
    with pytest.raises(PlanRefused, match="Sat and Mon are only 2 days apart"):
        make_plan(
            needle_mm=0.25, sessions=2, weekdays=(0, 5), rest_hours=72, start=START, created_at=T0
        )
    assert make_plan(
        needle_mm=0.25, sessions=2, weekdays=(0, 3), start=START, created_at=T0
    ).weekdays == (0, 3)


def test_zone_and_ranges() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        make_plan(needle_mm=0.25, tz="Nowhere/Land", start=START, created_at=T0)
    with pytest.raises(InvalidInput, match="time zone"):
        make_plan(needle_mm=0.25, tz="../../etc/passwd", start=START, created_at=T0)
    with pytest.raises(InvalidInput, match="Minutes"):
        make_plan(needle_mm=0.25, minutes=0, start=START, created_at=T0)
    with pytest.raises(InvalidInput, match="zone"):
        make_plan(needle_mm=0.25, zones=("eyelids",), start=START, created_at=T0)


@pytest.mark.parametrize(
    "choices",
    [
        {"sessions": "2"},
        {"sessions": True},
        {"every_weeks": 1.5},
        {"weekdays": "mon"},
        {"weekdays": (0, "thu")},
        {"time": "21:00"},
        {"tz": 1},
        {"minutes": "3"},
        {"zones": "cheeks"},
        {"directions": (1,)},
        {"passes": 5.0},
        {"rest_hours": "48"},
        {"blackout_before_days": "7"},
        {"needle_mm": "0.25"},
        {"start": dt.datetime(2026, 11, 25, 10)},
        {"start": dt.date(1, 1, 1)},
        {"start": dt.date(9999, 1, 4)},
    ],
)
def test_wrong_types_and_far_dates_give_one_line_errors(choices: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as err:
        make_plan(**{"needle_mm": 0.25, "start": START, "created_at": T0, **choices})  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


def test_validate_plan_checks_types_of_a_stored_plan() -> None:
    plan = make_plan(needle_mm=0.25, start=START, created_at=T0)
    with pytest.raises(InvalidInput, match="whole number"):
        validate_plan(replace(plan, sessions=True))
    with pytest.raises(InvalidInput, match="start"):
        validate_plan(replace(plan, start=dt.date(1, 1, 1)))
    with pytest.raises(InvalidInput, match="no setting"):
        replan(plan, colour="blue")
    assert replan(plan, minutes=4).minutes == 4
