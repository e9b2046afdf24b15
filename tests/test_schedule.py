"""The schedule engine: the worked examples of issue #3, DST cases and hypothesis invariants."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rollminder.errors import PlanRefused
from rollminder.model import Log, Pause, Plan, Session, Skip, Visit
from rollminder.rules import make_plan
from rollminder.schedule import (
    CATCH_UP,
    PLANNED,
    local_slot,
    period_first,
    rest_anchor,
    status,
    tally,
    upcoming,
    wall,
)

BERLIN = ZoneInfo("Europe/Berlin")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, tz: ZoneInfo = BERLIN) -> dt.datetime:
    return local_slot(dt.date(y, m, d), dt.time(hh, mm), tz)


def session(when: dt.datetime) -> Session:
    return Session(start=when.astimezone(dt.UTC), minutes=3, zones=("forehead",))


@pytest.fixture
def plan() -> Plan:
    """The plan of the worked examples: 0.25 mm, 2 a week, Mon and Thu, 21:00, Berlin, 48 h."""
    return make_plan(
        needle_mm=0.25,
        sessions=2,
        weekdays=(0, 3),
        time=dt.time(21, 0),
        tz="Europe/Berlin",
        start=dt.date(2026, 11, 25),
    )


def starts(slots: list) -> list[str]:  # type: ignore[type-arg]
    return [s.start.isoformat() for s in slots]


# ------------------------------------------------------------------ worked examples (issue #3)


def test_a_nothing_logged(plan: Plan) -> None:
    slots = upcoming(plan, Log(), at(2026, 11, 25, 10), 3)
    assert starts(slots) == [
        "2026-11-26T21:00:00+01:00",
        "2026-11-30T21:00:00+01:00",
        "2026-12-03T21:00:00+01:00",
    ]
    assert [s.kind for s in slots] == [PLANNED] * 3
    assert not any(s.due for s in slots)


def test_b_session_logged_thursday(plan: Plan) -> None:
    log = Log(sessions=(session(at(2026, 11, 26, 21, 5)),))
    slots = upcoming(plan, log, at(2026, 11, 26, 21, 10), 1)
    assert starts(slots) == ["2026-11-30T21:00:00+01:00"]


def test_c_missed_monday_is_caught_up_on_tuesday(plan: Plan) -> None:
    log = Log(sessions=(session(at(2026, 11, 26, 21, 0)),))
    slots = upcoming(plan, log, at(2026, 12, 1, 8), 2)
    assert starts(slots) == ["2026-12-01T21:00:00+01:00", "2026-12-03T21:00:00+01:00"]
    assert [s.kind for s in slots] == [CATCH_UP, PLANNED]


def test_catch_up_moves_past_the_next_slot_when_rest_demands(plan: Plan) -> None:
    # On Wednesday a catch-up would be 24 h before Thursday's slot: it goes to Saturday instead,
    # which keeps 48 h to Thursday and to next Monday.
    log = Log(sessions=(session(at(2026, 11, 26, 21, 0)),))
    slots = upcoming(plan, log, at(2026, 12, 2, 8), 3)
    assert starts(slots) == [
        "2026-12-03T21:00:00+01:00",
        "2026-12-05T21:00:00+01:00",
        "2026-12-07T21:00:00+01:00",
    ]
    assert [s.kind for s in slots] == [PLANNED, CATCH_UP, PLANNED]


def test_missed_slot_stays_missed_when_no_day_fits(plan: Plan) -> None:
    # Thursday and Monday both missed; now Saturday evening: Sunday is only 24 h before Monday.
    log = Log(sessions=(session(at(2026, 11, 26, 21, 0)),))
    slots = upcoming(plan, log, at(2026, 12, 5, 22), 2)
    assert starts(slots) == ["2026-12-05T21:00:00+01:00", "2026-12-07T21:00:00+01:00"]
    assert slots[0].due and slots[0].kind == CATCH_UP  # Saturday's catch-up is still open
    slots = upcoming(plan, log, at(2026, 12, 6, 9), 1)
    assert starts(slots) == ["2026-12-07T21:00:00+01:00"]


def test_d_visit_blackout(plan: Plan) -> None:
    log = Log(visits=(Visit(at=at(2026, 12, 16, 10).astimezone(dt.UTC), clinic="Derm"),))
    slots = upcoming(plan, log, at(2026, 11, 25, 10), 8)
    days = [s.start.date() for s in slots]
    assert not [d for d in days if dt.date(2026, 12, 9) <= d <= dt.date(2026, 12, 30)]
    after = [s for s in slots if s.start.date() > dt.date(2026, 12, 16)]
    assert after[0].start.isoformat() == "2026-12-31T21:00:00+01:00"
    assert status(plan, log, at(2026, 12, 20, 12)).state == "blackout"


def test_e_half_millimetre_twice_a_week_is_refused() -> None:
    with pytest.raises(PlanRefused) as err:
        make_plan(needle_mm=0.5, sessions=2, start=dt.date(2026, 11, 25))
    assert "\n" not in str(err.value)
    assert "at most 1 session" in str(err.value)


# ------------------------------------------------------------------ states and details


def test_slot_is_due_until_the_end_of_its_day(plan: Plan) -> None:
    slots = upcoming(plan, Log(), at(2026, 11, 26, 23, 59), 1)
    assert slots[0].due and slots[0].start == at(2026, 11, 26, 21)
    assert status(plan, Log(), at(2026, 11, 26, 23, 59)).state == "due"
    # The next morning it is missed and a catch-up is offered on Friday 21:00 (48 h before Sun
    # would not matter; Monday 21:00 is 72 h later).
    nxt = upcoming(plan, Log(), at(2026, 11, 27, 8), 1)[0]
    assert nxt.kind == CATCH_UP and nxt.start == at(2026, 11, 27, 21)


def test_session_done_early_on_the_day_fulfils_the_slot(plan: Plan) -> None:
    log = Log(sessions=(session(at(2026, 11, 26, 8)),))
    assert upcoming(plan, log, at(2026, 11, 26, 9), 1)[0].start == at(2026, 11, 30, 21)
    st_ = status(plan, log, at(2026, 11, 26, 9))
    assert st_.state == "resting" and st_.until == at(2026, 11, 28, 8)


def test_skip_gets_a_retry_the_next_day(plan: Plan) -> None:
    log = Log(
        sessions=(session(at(2026, 11, 30, 21)),),
        skips=(Skip(slot=at(2026, 12, 3, 21).astimezone(dt.UTC), reason="irritated"),),
    )
    slots = upcoming(plan, log, at(2026, 12, 3, 10), 2)
    assert starts(slots) == ["2026-12-04T21:00:00+01:00", "2026-12-07T21:00:00+01:00"]
    assert slots[0].kind == CATCH_UP


def test_pause_blocks_slots_without_catch_up(plan: Plan) -> None:
    log = Log(
        sessions=(session(at(2026, 11, 26, 21)),),
        pauses=(Pause(first=dt.date(2026, 11, 30), last=dt.date(2026, 12, 1)),),
    )
    slots = upcoming(plan, log, at(2026, 11, 27, 10), 2)
    assert starts(slots) == ["2026-12-03T21:00:00+01:00", "2026-12-07T21:00:00+01:00"]
    assert status(plan, log, at(2026, 11, 30, 10)).state == "paused"


def test_off_plan_session_pushes_the_next_slot(plan: Plan) -> None:
    # Rolled on Wednesday (off plan): Thursday is too soon, a catch-up goes on Friday.
    log = Log(sessions=(session(at(2026, 12, 2, 21)),))
    slots = upcoming(plan, log, at(2026, 12, 2, 22), 2)
    assert starts(slots) == ["2026-12-04T21:00:00+01:00", "2026-12-07T21:00:00+01:00"]


def test_weekly_target_met_early_means_no_more_slots_that_week(plan: Plan) -> None:
    log = Log(sessions=(session(at(2026, 11, 30, 8)), session(at(2026, 12, 2, 9))))
    slots = upcoming(plan, log, at(2026, 12, 2, 10), 1)
    assert slots[0].start == at(2026, 12, 7, 21)


def test_spring_forward_gap_moves_the_slot_forward() -> None:
    p = make_plan(
        needle_mm=0.25,
        sessions=2,
        weekdays=(3, 6),
        time=dt.time(2, 30),
        tz="Europe/Berlin",
        start=dt.date(2026, 3, 20),
    )
    log = Log(sessions=(session(at(2026, 3, 26, 2, 30)),))
    slots = upcoming(p, log, at(2026, 3, 27, 12), 2)
    assert starts(slots) == ["2026-03-29T03:30:00+02:00", "2026-04-02T02:30:00+02:00"]


def test_fall_back_ambiguous_time_is_the_first_occurrence() -> None:
    p = make_plan(
        needle_mm=0.25,
        sessions=2,
        weekdays=(3, 6),
        time=dt.time(2, 30),
        tz="Europe/Berlin",
        start=dt.date(2026, 10, 20),
    )
    log = Log(sessions=(session(at(2026, 10, 22, 2, 30)),))
    slot = upcoming(p, log, at(2026, 10, 23, 12), 1)[0]
    assert slot.start.isoformat() == "2026-10-25T02:30:00+02:00"  # CEST, before the clocks go back


def test_rest_is_counted_on_the_wall_clock_across_dst() -> None:
    # Mon 21:00 CET to Wed 21:00 CEST is 47 h of elapsed time but 48 h on the wall: kept.
    p = make_plan(
        needle_mm=0.25,
        sessions=2,
        weekdays=(0, 2),
        time=dt.time(21),
        tz="Europe/Berlin",
        start=dt.date(2027, 3, 1),
    )
    log = Log(sessions=(session(at(2027, 3, 22, 21)),))
    slots = upcoming(p, log, at(2027, 3, 23, 12), 1)
    assert slots[0].start == at(2027, 3, 24, 21)


def test_rest_anchor_only_shifts_times_after_a_spring_forward_jump() -> None:
    t = dt.time(2, 30)  # a plan time inside Berlin's spring-forward gap
    assert rest_anchor(at(2026, 3, 29, 3, 30), BERLIN, t) == dt.datetime(2026, 3, 29, 2, 30)
    assert rest_anchor(at(2026, 3, 29, 21), BERLIN, t) == dt.datetime(2026, 3, 29, 20, 0)
    assert rest_anchor(at(2026, 3, 29, 1, 30), BERLIN, t) == dt.datetime(2026, 3, 29, 1, 30)
    assert rest_anchor(at(2026, 10, 25, 21), BERLIN, t) == dt.datetime(2026, 10, 25, 21, 0)
    # A plan time outside the gap: plain wall-clock time, even on the spring-forward day.
    t = dt.time(21, 0)
    assert rest_anchor(at(2026, 3, 29, 3, 30), BERLIN, t) == dt.datetime(2026, 3, 29, 3, 30)
    assert rest_anchor(at(2026, 11, 25, 21), BERLIN, t) == wall(at(2026, 11, 25, 21), BERLIN)


def test_gap_shifted_session_keeps_the_next_days_slot() -> None:
    p = make_plan(
        needle_mm=0.1,
        sessions=2,
        weekdays=(0, 6),
        time=dt.time(2, 0),
        tz="Europe/Berlin",
        rest_hours=24,
        start=dt.date(2026, 3, 17),
    )
    log = Log(sessions=(session(at(2026, 3, 29, 3, 0)),))  # Sunday's slot, moved by the gap
    slot = upcoming(p, log, at(2026, 3, 29, 3, 5), 1)[0]
    assert slot.start.isoformat() == "2026-03-30T02:00:00+02:00" and slot.kind == PLANNED


def test_three_week_plan_for_075() -> None:
    p = make_plan(needle_mm=0.75, start=dt.date(2026, 11, 25), tz="Europe/Berlin")
    assert (p.sessions, p.every_weeks, p.rest_hours) == (1, 3, 21 * 24)
    slots = upcoming(p, Log(), at(2026, 11, 25, 10), 3)
    gaps = {(b.start - a.start).days for a, b in itertools.pairwise(slots)}
    assert gaps == {21}


def test_tally_counts_missed_and_skipped(plan: Plan) -> None:
    log = Log(
        sessions=(session(at(2026, 11, 26, 21)),),
        skips=(Skip(slot=at(2026, 12, 3, 21).astimezone(dt.UTC), reason="acne"),),
    )
    periods = tally(plan, log, at(2026, 12, 8, 9))
    assert [(p.quota, p.done, p.skipped, p.missed, p.complete) for p in periods] == [
        (1, 1, 0, 0, True),  # plan started on Wednesday: only Thursday counts
        (2, 0, 1, 1, True),
        (2, 0, 0, 1, False),  # Monday missed, Thursday still ahead
    ]


# ------------------------------------------------------------------ invariants (hypothesis)

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Santiago",
    "Pacific/Chatham",
    "UTC",
    "America/Havana",
    "Europe/London",
]


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    needle = draw(st.sampled_from([0.1, 0.2, 0.25, 0.3, 0.5, 0.75]))
    tz = draw(st.sampled_from(ZONES))
    start = draw(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
    time = dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
    if needle <= 0.3:
        rest = draw(st.sampled_from([24, 36, 48, 72]))
        sessions = draw(st.integers(1, 168 // rest))
        days = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=sessions, max_size=sessions))))
        every = 1
    elif needle <= 0.5:
        rest, sessions, every = draw(st.sampled_from([120, 168])), 1, 1
        days = (draw(st.integers(0, 6)),)
    else:
        rest, sessions, every = draw(st.sampled_from([336, 504])), 1, draw(st.integers(3, 4))
        days = (draw(st.integers(0, 6)),)
    try:
        return make_plan(
            needle_mm=needle,
            sessions=sessions,
            every_weeks=every,
            weekdays=days,
            time=time,
            tz=tz,
            rest_hours=rest,
            start=start,
        )
    except PlanRefused:
        assume(False)
        raise  # pragma: no cover


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Plan, Log, dt.datetime]:
    plan = draw(plans())
    tz = ZoneInfo(plan.tz)
    begin = dt.datetime.combine(plan.start, dt.time(0), tz) - dt.timedelta(days=20)
    now = begin + dt.timedelta(minutes=draw(st.integers(0, 150 * 24 * 60)))
    span = int((now - begin).total_seconds() // 60)
    instants = st.integers(0, span).map(lambda m: begin + dt.timedelta(minutes=m))
    sessions = tuple(session(w) for w in sorted(draw(st.lists(instants, max_size=25))))
    skips = tuple(
        Skip(slot=w.astimezone(dt.UTC), reason="r") for w in draw(st.lists(instants, max_size=4))
    )
    days = st.dates(plan.start - dt.timedelta(days=10), plan.start + dt.timedelta(days=200))
    pauses = []
    for first in draw(st.lists(days, max_size=2)):
        pauses.append(Pause(first=first, last=first + dt.timedelta(days=draw(st.integers(0, 20)))))
    visits = tuple(
        Visit(at=dt.datetime.combine(d, dt.time(10), tz).astimezone(dt.UTC))
        for d in draw(st.lists(days, max_size=2))
    )
    log = Log(sessions=sessions, skips=skips, pauses=tuple(pauses), visits=visits)
    return plan, log, now


def blocked(plan: Plan, log: Log, day: dt.date) -> bool:
    for p in log.pauses:
        if p.first <= day <= p.last:
            return True
    tz = ZoneInfo(plan.tz)
    for v in log.visits:
        vd = v.at.astimezone(tz).date()
        if (
            vd - dt.timedelta(days=plan.blackout_before_days)
            <= day
            <= vd + dt.timedelta(days=plan.blackout_after_days)
        ):
            return True
    return False


FAST = settings(
    max_examples=int(__import__("os").environ.get("HYPO_N", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@FAST
@given(scenarios())
def test_invariants(scenario: tuple[Plan, Log, dt.datetime]) -> None:
    plan, log, now = scenario
    tz = ZoneInfo(plan.tz)
    rest = dt.timedelta(hours=plan.rest_hours)
    slots = upcoming(plan, log, now, 8)
    # 4. strictly increasing; none in the past but an open slot of today
    for a, b in itertools.pairwise(slots):
        assert a.start < b.start
    for s in slots:
        if s.start <= now:
            assert s.due and s.start.astimezone(tz).date() == now.astimezone(tz).date()
        else:
            assert not s.due
    for i, s in enumerate(slots):
        w = rest_anchor(s.start, tz, plan.time)
        # 1. at least the rest interval after the latest session before it (wall clock)
        before = [x.start for x in log.sessions if x.start <= s.start]
        if before:
            assert w - rest_anchor(max(before), tz, plan.time) >= rest
        # ... and from the slot before it
        if i:
            assert w - rest_anchor(slots[i - 1].start, tz, plan.time) >= rest
        # 2. never in a pause or a visit blackout, never before the plan
        assert not blocked(plan, log, s.start.date())
        assert s.start.date() >= plan.start
        # slots are at the plan's time (gap-shifted where the wall time does not exist)
        assert s.start == local_slot(s.start.date(), plan.time, tz)
    # 3. never more than the target in any period, counting done and proposed sessions
    by_period: dict[dt.date, list[dt.datetime]] = {}
    for s in slots:
        by_period.setdefault(period_first(plan, s.start.date()), []).append(s.start)
    for first, proposed in by_period.items():
        last = first + dt.timedelta(weeks=plan.every_weeks, days=-1)
        done = [x for x in log.sessions if first <= x.start.astimezone(tz).date() <= last]
        assert len(done) + len(proposed) <= plan.sessions


@FAST
@given(plans(), st.integers(4, 12))
def test_keeping_to_the_plan_gives_the_preferred_days_and_time(plan: Plan, rounds: int) -> None:
    tz = ZoneInfo(plan.tz)
    now = dt.datetime.combine(plan.start, dt.time(0), tz)
    log = Log()
    for _ in range(rounds):
        slot = upcoming(plan, log, now, 1)[0]
        assert slot.kind == PLANNED
        assert slot.start.weekday() in plan.weekdays
        assert slot.start == local_slot(slot.start.date(), plan.time, tz)
        log = Log(sessions=(*log.sessions, session(slot.start)))
        now = slot.start + dt.timedelta(minutes=5)
    assert all(p.missed == 0 for p in tally(plan, log, now))
