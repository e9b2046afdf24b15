"""Adherence, streaks and the strength score (docs/progress.md)."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from rollminder.model import Log, Pause, Plan, Session, Skip
from rollminder.progress import compute, strength_alpha
from rollminder.rules import make_plan
from rollminder.schedule import local_slot, tally
from tests.test_schedule import FAST, plans, scenarios

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

TZ = ZoneInfo("Europe/Berlin")
PLAN = replace(
    make_plan(
        needle_mm=0.25,
        sessions=2,
        weekdays=(0, 3),
        time=dt.time(21),
        tz="Europe/Berlin",
        start=dt.date(2026, 1, 5),
        created_at=T0,  # a Monday
    ),
    created_at=dt.datetime(2026, 1, 5, 8, tzinfo=TZ),  # made that morning
)


def at(day: dt.date) -> dt.datetime:
    return local_slot(day, dt.time(21), TZ)


def slots(weeks: int, start: dt.date = PLAN.start) -> list[dt.date]:
    return [start + dt.timedelta(weeks=w, days=d) for w in range(weeks) for d in (0, 3)]


def log_of(days: list[dt.date], **extra: object) -> Log:
    return Log(
        sessions=tuple(
            Session(start=at(d), minutes=3, zones=("chin",), created_at=T0) for d in days
        ),
        **extra,
    )  # type: ignore[arg-type]


def now_after(weeks: int) -> dt.datetime:
    return at(PLAN.start + dt.timedelta(weeks=weeks)) - dt.timedelta(hours=20)  # Monday 01:00


def test_perfect_adherence() -> None:
    p = compute(PLAN, log_of(slots(8)), now_after(8))
    assert p.adherence_4w == 1 and p.adherence_12w == 1
    assert p.current_streak == 8 and p.best_streak == 8
    assert p.kept == 16 and p.missed == 0
    assert round(p.strength) == 75  # 8 weeks from zero: 1 - 0.5**2


def test_four_weeks_reach_half_strength() -> None:
    assert round(compute(PLAN, log_of(slots(4)), now_after(4)).strength) == 50
    assert abs(strength_alpha(PLAN) - (1 - 0.5 ** (1 / 8))) < 1e-12


def test_missing_breaks_the_streak_and_lowers_adherence() -> None:
    days = slots(8)
    del days[10]  # week 6, Monday
    p = compute(PLAN, log_of(days), now_after(8))
    assert p.missed == 1 and p.kept == 15
    assert p.current_streak == 2 and p.best_streak == 5
    assert p.adherence_4w == 5 / 6  # weeks 5-7 and the current week 8 (nothing due yet)
    perfect = compute(PLAN, log_of(slots(8)), now_after(8)).strength
    assert p.strength < perfect


def test_missing_everything_halves_strength_in_four_weeks() -> None:
    base = compute(PLAN, log_of(slots(8)), now_after(8)).strength
    later = compute(PLAN, log_of(slots(8)), now_after(12)).strength
    assert abs(later - base / 2) < 0.5


def test_skips_and_pauses_are_neutral() -> None:
    days = slots(6)
    skipped = days.pop(4)
    pause = Pause(
        first=PLAN.start + dt.timedelta(weeks=3),
        last=PLAN.start + dt.timedelta(weeks=3, days=6),
        created_at=T0,
    )
    days = [d for d in days if not pause.covers(d)]
    log = log_of(
        days, skips=(Skip(slot=at(skipped), reason="flare", created_at=T0),), pauses=(pause,)
    )
    p = compute(PLAN, log, now_after(6))
    assert p.missed == 0 and p.skipped == 1
    assert p.adherence_12w == 1
    assert p.current_streak == 5  # the paused week neither breaks nor counts


def test_current_week_counts_once_its_quota_is_kept() -> None:
    days = slots(3)
    now = at(days[-1]) + dt.timedelta(hours=1)  # Thursday of week 3, after the session
    assert compute(PLAN, log_of(days), now).current_streak == 3
    assert compute(PLAN, log_of(days[:-1]), now).current_streak == 2


def test_nothing_due_yet() -> None:
    p = compute(PLAN, Log(), at(PLAN.start) - dt.timedelta(hours=5))
    assert p.adherence_4w is None and p.strength == 0 and p.current_streak == 0


def test_a_new_plan_made_after_its_first_slot_shows_no_miss() -> None:
    # Set up on Monday 21:30 (the 21:00 slot had passed): the next morning nothing is missed
    # and adherence is "-", not 0%.
    made = at(PLAN.start) + dt.timedelta(minutes=30)
    plan = replace(PLAN, created_at=made.astimezone(dt.UTC))
    p = compute(plan, Log(), made + dt.timedelta(hours=12))
    assert (p.missed, p.adherence_4w, p.adherence_12w, p.strength) == (0, None, None, 0)


def test_raising_the_target_does_not_rewrite_the_past() -> None:
    # Eight perfect weeks once a week (0.5 mm, Sundays), then twice a week from week 9.
    once = replace(
        make_plan(needle_mm=0.5, tz="Europe/Berlin", start=PLAN.start, created_at=T0),
        created_at=at(PLAN.start).astimezone(dt.UTC) - dt.timedelta(hours=12),
    )
    sundays = [PLAN.start + dt.timedelta(weeks=w, days=6) for w in range(8)]
    twice = replace(PLAN, created_at=at(sundays[-1]).astimezone(dt.UTC) + dt.timedelta(hours=2))
    log = log_of(sundays)
    now = now_after(8)
    p = compute(twice, log, now, versions=[once, twice])
    assert (p.kept, p.missed, p.adherence_12w, p.current_streak) == (8, 0, 1, 8)
    # Strength moves at the pace of the plan in force: 8 weeks at once a week reach 75.
    assert round(p.strength) == 75
    # Judged by today's plan alone, those weeks would each have missed a slot.
    assert compute(twice, log, now).missed == 8


@FAST
@given(scenarios(), plans(), st.integers(0, 150 * 24))
def test_figures_stay_in_range(
    scenario: tuple[Plan, Log, dt.datetime], other: Plan, hours: int
) -> None:
    """Over random logs, with or without a plan change: adherence in 0..1 (or "-"), strength in
    0..100, streaks within the periods, nothing negative."""
    plan, log, now = scenario
    made = dt.datetime.combine(plan.start, dt.time(0), dt.UTC) + dt.timedelta(hours=hours)
    changed = replace(other, start=plan.start, id="f" * 32, created_at=min(made, now))
    for current, versions in ((plan, ()), (changed, (plan, changed))):
        p = compute(current, log, now, versions=versions)
        periods = tally(current, log, now, versions=versions)
        for a in (p.adherence_4w, p.adherence_12w):
            assert a is None or 0 <= a <= 1
        assert 0 <= p.strength <= 100
        assert 0 <= p.current_streak <= p.best_streak <= len(periods)
        assert min(p.kept, p.missed, p.skipped) >= 0
        assert p.sessions == len(log.sessions)
        if p.kept + p.missed == 0:
            assert p.adherence_12w is None
