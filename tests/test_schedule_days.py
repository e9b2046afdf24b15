"""Issue #11: rest in local calendar days, due through the fold, skips as decisions, what counts."""

from __future__ import annotations

import datetime as dt
import functools
import random
import zoneinfo
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollminder.model import Log, Plan, Session, Skip
from rollminder.progress import compute
from rollminder.rules import make_plan
from rollminder.schedule import (
    CATCH_UP,
    KEPT,
    MISSED,
    PARTIAL,
    PLANNED,
    SKIPPED,
    local_slot,
    period_first,
    slot_history,
    status,
    tally,
    upcoming,
)
from rollminder.state import Due, Resting

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
BERLIN = ZoneInfo("Europe/Berlin")
DST_ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, tz: ZoneInfo = BERLIN) -> dt.datetime:
    return local_slot(dt.date(y, m, d), dt.time(hh, mm), tz)


def session(when: dt.datetime, minutes: float = 3) -> Session:
    return Session(
        start=when.astimezone(dt.UTC), minutes=minutes, zones=("forehead",), created_at=T0
    )


def plan_of(needle: float, **kw: object) -> Plan:
    kw.setdefault("tz", "Europe/Berlin")
    kw.setdefault("start", dt.date(2026, 11, 23))
    p = make_plan(needle_mm=needle, created_at=T0, **kw)  # type: ignore[arg-type]
    begins = dt.datetime.combine(p.start, dt.time(0), ZoneInfo(p.tz))
    return replace(p, created_at=begins.astimezone(dt.UTC))


# ------------------------------------------------------------- 1. rolling a little late


def test_rolling_five_minutes_late_keeps_next_sunday() -> None:
    plan = plan_of(0.5, weekdays=(6,), time=dt.time(21, 0))
    log = Log(sessions=(session(at(2026, 11, 29, 21, 5)),))
    now = at(2026, 11, 29, 21, 6)
    assert upcoming(plan, log, now, 1)[0].start == at(2026, 12, 6, 21)
    # and a week later nothing was missed
    later = at(2026, 12, 7, 10)
    log = Log(sessions=(*log.sessions, session(at(2026, 12, 6, 21, 30))))
    assert sum(p.missed for p in tally(plan, log, later)) == 0


def test_every_three_weeks_rolled_late_keeps_the_period() -> None:
    plan = plan_of(0.75, weekdays=(5,), time=dt.time(21, 0))
    first = upcoming(plan, Log(), at(2026, 11, 23, 9), 1)[0].start
    log = Log(sessions=(session(first + dt.timedelta(hours=2)),))
    nxt = upcoming(plan, log, first + dt.timedelta(hours=3), 1)[0].start
    assert (nxt.date() - first.date()).days == 21


def test_a_2359_plan_rolled_ten_minutes_late_keeps_its_days() -> None:
    plan = plan_of(0.25, weekdays=(0, 3), time=dt.time(23, 59))
    log = Log(sessions=(session(at(2026, 11, 24, 0, 9)),))  # Tuesday 00:09, for Monday's slot
    nxt = upcoming(plan, log, at(2026, 11, 24, 0, 10), 2)
    # Tuesday was the session's day: Thursday (2 days on) is allowed, then Monday.
    assert [s.start for s in nxt] == [at(2026, 11, 26, 23, 59), at(2026, 11, 30, 23, 59)]


def test_resting_ends_at_local_midnight() -> None:
    plan = plan_of(0.25, weekdays=(0, 3), time=dt.time(21, 0))
    log = Log(sessions=(session(at(2026, 11, 23, 21, 40)),))
    state = status(plan, log, at(2026, 11, 24, 9))
    assert isinstance(state, Resting) and state.until == at(2026, 11, 25, 0)


def _expected_days(plan: Plan, first: dt.date, count: int) -> list[dt.date]:
    """The first ``plan.sessions`` preferred days of each period, from ``first`` on."""
    out: list[dt.date] = []
    p_first = period_first(plan, first)
    while len(out) < count:
        days = [
            p_first + dt.timedelta(days=i)
            for i in range(7 * plan.every_weeks)
            if (p_first + dt.timedelta(days=i)).weekday() in plan.weekdays
        ]
        out.extend(d for d in days[: plan.sessions] if d >= first)
        p_first += dt.timedelta(weeks=plan.every_weeks)
    return out[:count]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(DST_ZONES),
    needle=st.sampled_from([0.25, 0.5, 0.75]),
    plan_minute=st.integers(0, 24 * 60 - 1),
    rng=st.randoms(use_true_random=False),
)
def test_rolling_any_minute_of_each_slot_day_keeps_the_preferred_days_for_a_year(
    zone: str, needle: float, plan_minute: int, rng: random.Random
) -> None:
    tz = ZoneInfo(zone)
    plan = plan_of(
        needle,
        tz=zone,
        time=dt.time(plan_minute // 60, plan_minute % 60),
        start=dt.date(2026, 1, 5),
    )
    now = dt.datetime.combine(plan.start, dt.time(0), tz)
    sessions: list[Session] = []
    got: list[dt.date] = []
    while now.date() < dt.date(2027, 1, 4):
        slot = upcoming(plan, Log(sessions=tuple(sessions)), now, 1)[0]
        assert slot.kind == PLANNED
        got.append(slot.day)
        minute = rng.randrange(24 * 60)
        rolled = local_slot(slot.day, dt.time(minute // 60, minute % 60), tz)
        if rolled.date() != slot.day:  # a wall time in a gap at the day's end
            rolled = local_slot(slot.day, dt.time(23, 59), tz) - dt.timedelta(hours=1)
        sessions.append(session(rolled))
        now = max(now, rolled) + dt.timedelta(minutes=1)
    assert got == _expected_days(plan, plan.start, len(got))
    assert all(d.weekday() in plan.weekdays for d in got)
    periods = tally(plan, Log(sessions=tuple(sessions)), now)
    assert sum(p.missed for p in periods) == 0


# ------------------------------------------------------------- 2. due through the fold


@functools.cache
def _folds() -> list[tuple[str, dt.datetime, dt.timedelta]]:
    """(zone, transition instant in UTC, fold length) for every zone with a fold in 2026-27."""
    out = []
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for name in sorted(zoneinfo.available_timezones()):
        try:
            tz = ZoneInfo(name)
        except (ValueError, OSError):
            continue
        prev = start.astimezone(tz).utcoffset()
        for day in range(1, 731):
            t = start + dt.timedelta(days=day)
            off = t.astimezone(tz).utcoffset()
            if off is not None and prev is not None and off < prev:
                lo, hi = t - dt.timedelta(days=1), t
                while hi - lo > dt.timedelta(minutes=1):
                    mid = lo + (hi - lo) / 2
                    if mid.astimezone(tz).utcoffset() == prev:
                        lo = mid
                    else:
                        hi = mid
                out.append((name, hi.replace(second=0, microsecond=0), prev - off))
            prev = off
    return out


def test_there_are_folds_to_check() -> None:
    zones = {z for z, _, _ in _folds()}
    assert {"Europe/Berlin", "America/New_York", "America/Santiago", "Pacific/Chatham"} <= zones


@pytest.mark.parametrize("zone, change, length", _folds(), ids=lambda v: str(v))
def test_a_slot_in_the_repeated_hour_stays_due(
    zone: str, change: dt.datetime, length: dt.timedelta
) -> None:
    tz = ZoneInfo(zone)
    # A plan time in the middle of the repeated wall times.
    second_pass = change.astimezone(tz)  # the first instant of the repeated wall times
    wall = (second_pass.replace(tzinfo=None) + length / 2).replace(second=0, microsecond=0)
    day = wall.date()
    plan = plan_of(
        0.5,
        tz=zone,
        weekdays=(day.weekday(),),
        time=wall.time(),
        start=day - dt.timedelta(days=14),
    )
    first = local_slot(day, wall.time(), tz)
    assert first.astimezone(dt.UTC) < change  # the first occurrence
    moments = [
        first,
        first + dt.timedelta(minutes=1),
        change,  # the wall clock reads earlier than the slot, a second time
        change + length / 2,  # the second occurrence of the slot's wall time
        change + length - dt.timedelta(minutes=1),
    ]
    for now in moments:
        nxt = upcoming(plan, Log(), now, 1)[0]
        assert nxt.start == first and nxt.due, (zone, now)
        assert isinstance(status(plan, Log(), now), Due)
    assert not upcoming(plan, Log(), first - dt.timedelta(minutes=1), 1)[0].due


# ------------------------------------------------------------- 3. skips are decisions


def skip_of(when: dt.datetime, catch_up: bool = False) -> Skip:
    return Skip(slot=when.astimezone(dt.UTC), reason="", catch_up=catch_up, created_at=T0)


def test_a_skip_gets_no_catch_up_unless_asked() -> None:
    plan = plan_of(0.25, weekdays=(0, 3))
    log = Log(sessions=(session(at(2026, 11, 23, 21)),), skips=(skip_of(at(2026, 11, 26, 21)),))
    slots = upcoming(plan, log, at(2026, 11, 26, 22), 2)
    assert [s.start for s in slots] == [at(2026, 11, 30, 21), at(2026, 12, 3, 21)]
    assert all(s.kind == PLANNED for s in slots)
    # the skipped slot counts as skipped, not missed
    periods = tally(plan, log, at(2026, 11, 30, 9))
    assert (periods[0].kept, periods[0].skipped, periods[0].missed) == (1, 1, 0)


def test_a_catch_up_never_lands_before_the_skipped_slot() -> None:
    plan = plan_of(0.25, weekdays=(0, 3))
    # Monday rolled; on Monday night Thursday's slot is skipped, asking for a catch-up.
    log = Log(
        sessions=(session(at(2026, 11, 23, 21)),),
        skips=(skip_of(at(2026, 11, 26, 21), catch_up=True),),
    )
    slots = upcoming(plan, log, at(2026, 11, 23, 22), 2)
    assert slots[0].kind == CATCH_UP and slots[0].start == at(2026, 11, 27, 21)
    assert slots[1].start == at(2026, 11, 30, 21)


@settings(max_examples=40, deadline=None)
@given(
    skipped=st.sampled_from([0, 3]),
    now_day=st.integers(0, 3),  # before Thursday's slot could be missed
    catch_up=st.booleans(),
)
def test_skips_property(skipped: int, now_day: int, catch_up: bool) -> None:
    """Monday rolled (or itself skipped): a catch-up only when asked, and after the skipped day."""
    plan = plan_of(0.25, weekdays=(0, 3))
    monday = dt.date(2026, 11, 30)
    skip_day = monday + dt.timedelta(days=skipped)
    sessions = (session(at(2026, 11, 30, 21)),) if skipped else ()
    log = Log(
        sessions=sessions, skips=(skip_of(local_slot(skip_day, plan.time, BERLIN), catch_up),)
    )
    now = at(2026, 11, 30, 8) + dt.timedelta(days=now_day)
    for s in upcoming(plan, log, now, 4):
        if s.kind == CATCH_UP:
            assert catch_up and s.day > skip_day
    if not catch_up:
        assert all(s.kind == PLANNED for s in upcoming(plan, log, now, 4))


# ------------------------------------------------------------- 4. what counts


def test_short_session_is_partial_neither_kept_nor_missed() -> None:
    plan = plan_of(0.25, weekdays=(0, 3), minutes=3)
    log = Log(sessions=(session(at(2026, 11, 23, 21), minutes=0.73), session(at(2026, 11, 26, 21))))
    week = tally(plan, log, at(2026, 11, 30, 9))[0]
    assert (week.kept, week.partial, week.missed) == (1, 1, 0)
    assert compute(plan, log, at(2026, 11, 30, 9)).missed == 0
    history = slot_history(plan, log, at(2026, 11, 30, 9))
    assert [h.outcome for h in history] == [PARTIAL, KEPT]


def test_two_thirds_of_the_minutes_keep_the_slot() -> None:
    plan = plan_of(0.25, weekdays=(0, 3), minutes=3)
    log = Log(sessions=(session(at(2026, 11, 23, 21), minutes=2),))
    assert tally(plan, log, at(2026, 11, 25, 9))[0].kept == 1


def test_sessions_on_a_non_preferred_day_count_once_per_day() -> None:
    plan = plan_of(0.5, weekdays=(6,))
    fri = [session(at(2026, 11, 27, h)) for h in (10, 11, 12)]
    week = tally(plan, Log(sessions=tuple(fri)), at(2026, 11, 30, 9))[0]
    assert (week.kept, week.missed) == (1, 0)
    # Mon and Thu plan, three on one Friday: one kept, one missed
    plan2 = plan_of(0.25, weekdays=(0, 3))
    week = tally(plan2, Log(sessions=tuple(fri)), at(2026, 11, 30, 9))[0]
    assert (week.kept, week.missed) == (1, 1)


def test_slot_history_lists_missed_and_skipped() -> None:
    plan = plan_of(0.25, weekdays=(0, 3))
    log = Log(
        sessions=(session(at(2026, 11, 23, 21)),),
        skips=(skip_of(at(2026, 12, 3, 21)),),
    )
    history = slot_history(plan, log, at(2026, 12, 8, 9))
    assert [(h.day.isoformat(), h.outcome) for h in history] == [
        ("2026-11-23", KEPT),
        ("2026-11-26", MISSED),
        ("2026-11-30", MISSED),
        ("2026-12-03", SKIPPED),
        ("2026-12-07", MISSED),
    ]
    assert slot_history(plan, log, at(2026, 12, 8, 9), since=dt.date(2026, 12, 1))[0].outcome == (
        SKIPPED
    )
