"""Adherence, streaks and the strength score (docs/progress.md)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from rollminder.model import Log, Pause, Session, Skip
from rollminder.progress import compute, strength_alpha
from rollminder.rules import make_plan
from rollminder.schedule import local_slot

TZ = ZoneInfo("Europe/Berlin")
PLAN = make_plan(
    needle_mm=0.25,
    sessions=2,
    weekdays=(0, 3),
    time=dt.time(21),
    tz="Europe/Berlin",
    start=dt.date(2026, 1, 5),
)  # a Monday


def at(day: dt.date) -> dt.datetime:
    return local_slot(day, dt.time(21), TZ)


def slots(weeks: int, start: dt.date = PLAN.start) -> list[dt.date]:
    return [start + dt.timedelta(weeks=w, days=d) for w in range(weeks) for d in (0, 3)]


def log_of(days: list[dt.date], **extra: object) -> Log:
    return Log(
        sessions=tuple(Session(start=at(d), minutes=3, zones=("chin",)) for d in days), **extra
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
        first=PLAN.start + dt.timedelta(weeks=3), last=PLAN.start + dt.timedelta(weeks=3, days=6)
    )
    days = [d for d in days if not pause.covers(d)]
    log = log_of(days, skips=(Skip(slot=at(skipped), reason="flare"),), pauses=(pause,))
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
