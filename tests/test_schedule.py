"""The schedule engine: the worked examples of issue #3, DST cases and hypothesis invariants."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
import itertools
from dataclasses import replace
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
    blackouts,
    local_slot,
    period_first,
    rest_anchor,
    rest_days,
    status,
    tally,
    upcoming,
    wall,
)
from rollminder.state import Paused

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

BERLIN = ZoneInfo("Europe/Berlin")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, tz: ZoneInfo = BERLIN) -> dt.datetime:
    return local_slot(dt.date(y, m, d), dt.time(hh, mm), tz)


def session(when: dt.datetime) -> Session:
    return Session(start=when.astimezone(dt.UTC), minutes=3, zones=("forehead",), created_at=T0)


def made_at_start(p: Plan) -> Plan:
    """The plan as if made at the first moment of its start day (not on the test's real clock:
    a plan made on its start day after that day's slot time does not count that slot)."""
    begins = dt.datetime.combine(p.start, dt.time(0), ZoneInfo(p.tz))
    return replace(p, created_at=begins.astimezone(dt.UTC))


@pytest.fixture
def plan() -> Plan:
    """The plan of the worked examples: 0.25 mm, 2 a week, Mon and Thu, 21:00, Berlin, 48 h."""
    return made_at_start(
        make_plan(
            needle_mm=0.25,
            sessions=2,
            weekdays=(0, 3),
            time=dt.time(21, 0),
            tz="Europe/Berlin",
            start=dt.date(2026, 11, 25),
            created_at=T0,
        )
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
    log = Log(
        visits=(Visit(at=at(2026, 12, 16, 10).astimezone(dt.UTC), clinic="Derm", created_at=T0),)
    )
    slots = upcoming(plan, log, at(2026, 11, 25, 10), 8)
    days = [s.start.date() for s in slots]
    assert not [d for d in days if dt.date(2026, 12, 9) <= d <= dt.date(2026, 12, 30)]
    after = [s for s in slots if s.start.date() > dt.date(2026, 12, 16)]
    assert after[0].start.isoformat() == "2026-12-31T21:00:00+01:00"
    assert status(plan, log, at(2026, 12, 20, 12)).name == "blackout"


def test_e_half_millimetre_twice_a_week_is_refused() -> None:
    with pytest.raises(PlanRefused) as err:
        make_plan(needle_mm=0.5, sessions=2, start=dt.date(2026, 11, 25), created_at=T0)
    assert "\n" not in str(err.value)
    assert "at most 1 session" in str(err.value)


# ------------------------------------------------------------------ states and details


def test_slot_is_due_until_the_end_of_its_day(plan: Plan) -> None:
    slots = upcoming(plan, Log(), at(2026, 11, 26, 23, 59), 1)
    assert slots[0].due and slots[0].start == at(2026, 11, 26, 21)
    assert status(plan, Log(), at(2026, 11, 26, 23, 59)).name == "due"
    # The next morning it is missed and a catch-up is offered on Friday 21:00 (48 h before Sun
    # would not matter; Monday 21:00 is 72 h later).
    nxt = upcoming(plan, Log(), at(2026, 11, 27, 8), 1)[0]
    assert nxt.kind == CATCH_UP and nxt.start == at(2026, 11, 27, 21)


def test_session_done_early_on_the_day_fulfils_the_slot(plan: Plan) -> None:
    log = Log(sessions=(session(at(2026, 11, 26, 8)),))
    assert upcoming(plan, log, at(2026, 11, 26, 9), 1)[0].start == at(2026, 11, 30, 21)
    st_ = status(plan, log, at(2026, 11, 26, 9))
    assert st_.name == "resting" and st_.until == at(2026, 11, 28, 0)  # rest in days


def test_skip_asking_for_a_catch_up_gets_a_retry_the_next_day(plan: Plan) -> None:
    # Issue #11: a skip is a decision; a retry comes only when the skip asks for one.
    skip = Skip(slot=at(2026, 12, 3, 21).astimezone(dt.UTC), reason="irritated", created_at=T0)
    log = Log(sessions=(session(at(2026, 11, 30, 21)),), skips=(skip,))
    assert starts(upcoming(plan, log, at(2026, 12, 3, 10), 1)) == ["2026-12-07T21:00:00+01:00"]
    log = replace(log, skips=(replace(skip, catch_up=True),))
    slots = upcoming(plan, log, at(2026, 12, 3, 10), 2)
    assert starts(slots) == ["2026-12-04T21:00:00+01:00", "2026-12-07T21:00:00+01:00"]
    assert slots[0].kind == CATCH_UP


def test_pause_blocks_slots_without_catch_up(plan: Plan) -> None:
    log = Log(
        sessions=(session(at(2026, 11, 26, 21)),),
        pauses=(Pause(first=dt.date(2026, 11, 30), last=dt.date(2026, 12, 1), created_at=T0),),
    )
    slots = upcoming(plan, log, at(2026, 11, 27, 10), 2)
    assert starts(slots) == ["2026-12-03T21:00:00+01:00", "2026-12-07T21:00:00+01:00"]
    assert status(plan, log, at(2026, 11, 30, 10)).name == "paused"


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
        created_at=T0,
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
        created_at=T0,
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
        created_at=T0,
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
        created_at=T0,
    )
    log = Log(sessions=(session(at(2026, 3, 29, 3, 0)),))  # Sunday's slot, moved by the gap
    slot = upcoming(p, log, at(2026, 3, 29, 3, 5), 1)[0]
    assert slot.start.isoformat() == "2026-03-30T02:00:00+02:00" and slot.kind == PLANNED


def test_three_week_plan_for_075() -> None:
    p = make_plan(needle_mm=0.75, start=dt.date(2026, 11, 25), tz="Europe/Berlin", created_at=T0)
    assert (p.sessions, p.every_weeks, p.rest_hours) == (1, 3, 21 * 24)
    slots = upcoming(p, Log(), at(2026, 11, 25, 10), 3)
    gaps = {(b.start - a.start).days for a, b in itertools.pairwise(slots)}
    assert gaps == {21}


def test_tally_counts_missed_and_skipped(plan: Plan) -> None:
    log = Log(
        sessions=(session(at(2026, 11, 26, 21)),),
        skips=(Skip(slot=at(2026, 12, 3, 21).astimezone(dt.UTC), reason="acne", created_at=T0),),
    )
    periods = tally(plan, log, at(2026, 12, 8, 9))
    assert [(p.quota, p.done, p.skipped, p.missed, p.complete) for p in periods] == [
        (1, 1, 0, 0, True),  # plan started on Wednesday: only Thursday counts
        (2, 0, 1, 1, True),
        (2, 0, 0, 1, False),  # Monday missed, Thursday still ahead
    ]


def test_status_until_spans_overlapping_blackouts(plan: Plan) -> None:
    # Two visits whose blackouts overlap: no home rolling until the end of the second one.
    log = Log(
        visits=(
            Visit(at=at(2026, 12, 16, 10).astimezone(dt.UTC), clinic="Derm", created_at=T0),
            Visit(at=at(2027, 1, 3, 10).astimezone(dt.UTC), clinic="Derm", created_at=T0),
        )
    )
    st_ = status(plan, log, at(2026, 12, 20, 12))
    assert st_.name == "blackout" and st_.until == at(2027, 1, 18)
    assert st_.next is not None and st_.next.start == at(2027, 1, 18, 21)


def test_status_until_spans_back_to_back_pauses(plan: Plan) -> None:
    # Pauses that touch or overlap (an import can bring overlapping ones) read as one.
    log = Log(
        pauses=(
            Pause(
                first=dt.date(2026, 11, 30),
                last=dt.date(2026, 12, 2),
                reason="travel",
                created_at=T0,
            ),
            Pause(first=dt.date(2026, 12, 3), last=dt.date(2026, 12, 6), created_at=T0),
            Pause(first=dt.date(2026, 12, 5), last=dt.date(2026, 12, 9), created_at=T0),
        )
    )
    st_ = status(plan, log, at(2026, 12, 1, 9))
    assert isinstance(st_, Paused) and st_.until == at(2026, 12, 10)
    assert st_.pause.reason == "travel"  # the pause that holds today, as a record


def test_session_before_the_plan_does_not_use_up_its_first_week(plan: Plan) -> None:
    # Rolled on Tuesday, set the plan up on Wednesday: Thursday (48 h later, 2 that week) stays.
    log = Log(sessions=(session(at(2026, 11, 24, 21)),))
    slots = upcoming(plan, log, at(2026, 11, 25, 10), 2)
    assert starts(slots) == ["2026-11-26T21:00:00+01:00", "2026-11-30T21:00:00+01:00"]
    # ... and if Thursday then passes, it is missed: Tuesday was not part of the plan.
    first = tally(plan, log, at(2026, 11, 30, 9))[0]
    assert (first.quota, first.done, first.missed) == (1, 0, 1)
    # Two sessions before the start already make the week's two: nothing more that week.
    log = Log(sessions=(session(at(2026, 11, 23, 8)), session(at(2026, 11, 24, 21))))
    assert upcoming(plan, log, at(2026, 11, 25, 10), 1)[0].start == at(2026, 11, 30, 21)


def test_a_slot_already_past_when_the_plan_is_made_is_not_due_nor_missed() -> None:
    # Set up on Monday 21:30 for Mon/Thu 21:00: Monday's slot was before the plan existed.
    made = at(2026, 11, 30, 21, 30)
    p = replace(
        make_plan(
            needle_mm=0.25,
            sessions=2,
            weekdays=(0, 3),
            time=dt.time(21),
            tz="Europe/Berlin",
            start=made.date(),
            created_at=T0,
        ),
        created_at=made.astimezone(dt.UTC),
    )
    slots = upcoming(p, Log(), made, 1)
    assert slots[0].start == at(2026, 12, 3, 21) and slots[0].kind == PLANNED
    assert status(p, Log(), made).name == "waiting"
    [week] = tally(p, Log(), at(2026, 12, 1, 9))
    assert (week.quota, week.due, week.missed) == (1, 0, 0)
    # The session done at 21:05 and logged after setting up still keeps its 48 h, and Thursday
    # stays (two that week), but it does not count as a kept slot of the plan.
    log = Log(sessions=(session(at(2026, 11, 30, 21, 5)),))
    assert upcoming(p, log, made, 1)[0].start == at(2026, 12, 3, 21)
    # Made on Monday morning instead: Monday's slot is the plan's.
    early = replace(p, created_at=at(2026, 11, 30, 9).astimezone(dt.UTC))
    assert upcoming(early, Log(), at(2026, 11, 30, 9), 1)[0].start == at(2026, 11, 30, 21)


def test_void_skips_do_not_hide_a_missed_slot(plan: Plan) -> None:
    # Skips on a paused day, on a day already rolled, and before the plan stand for no slot.
    log = Log(
        sessions=(session(at(2026, 12, 7, 21)),),
        skips=(
            Skip(
                slot=at(2026, 11, 24, 21).astimezone(dt.UTC),
                reason="before the plan",
                created_at=T0,
            ),
            Skip(
                slot=at(2026, 11, 30, 21).astimezone(dt.UTC), reason="paused anyway", created_at=T0
            ),
            Skip(
                slot=at(2026, 12, 7, 21).astimezone(dt.UTC), reason="rolled anyway", created_at=T0
            ),
        ),
        pauses=(Pause(first=dt.date(2026, 11, 30), last=dt.date(2026, 11, 30), created_at=T0),),
    )
    periods = tally(plan, log, at(2026, 12, 14, 9))
    assert [(p.quota, p.done, p.skipped, p.missed) for p in periods] == [
        (1, 0, 0, 1),  # Thursday 26 Nov missed
        (1, 0, 0, 1),  # Thursday 3 Dec missed (Monday paused)
        (2, 1, 0, 1),  # Monday 7 Dec rolled, Thursday 10 Dec missed
        (2, 0, 0, 0),  # this week: nothing due yet
    ]


def test_skip_on_a_catch_up_day_counts(plan: Plan) -> None:
    # Monday missed, its catch-up (Tuesday) skipped on purpose: skipped, not missed.
    log = Log(
        sessions=(session(at(2026, 11, 26, 21)),),
        skips=(Skip(slot=at(2026, 12, 1, 21).astimezone(dt.UTC), reason="flare", created_at=T0),),
    )
    week = tally(plan, log, at(2026, 12, 2, 9))[1]
    assert (week.due, week.skipped, week.missed) == (1, 1, 0)


def test_tally_does_not_count_sessions_after_now(plan: Plan) -> None:
    # A session stamped in the future (a clock that was wrong) counts only once its day comes.
    log = Log(sessions=(session(at(2026, 12, 3, 21)),))
    week = tally(plan, log, at(2026, 12, 1, 9))[1]
    assert (week.done, week.kept, week.missed) == (0, 0, 1)
    assert tally(plan, log, at(2026, 12, 3, 22))[1].done == 1


def test_tally_judges_each_period_by_the_plan_in_force() -> None:
    # Once a week (0.5 mm, Sundays) for 4 weeks, then twice a week: the past weeks stay kept.
    once = replace(
        make_plan(needle_mm=0.5, tz="Europe/Berlin", start=dt.date(2026, 11, 2), created_at=T0),
        created_at=at(2026, 11, 2, 9).astimezone(dt.UTC),
    )
    twice = replace(
        once,
        needle_mm=0.25,
        sessions=2,
        weekdays=(0, 3),
        rest_hours=48,
        id="2" * 32,
        created_at=at(2026, 12, 2, 9).astimezone(dt.UTC),  # a Wednesday
    )
    log = Log(sessions=tuple(session(at(2026, 11, 8 + 7 * w, 21)) for w in range(4)))
    now = at(2026, 12, 8, 9)
    periods = tally(twice, log, now, versions=[once, twice])
    assert [(p.first.day, p.quota, p.done, p.missed) for p in periods] == [
        (2, 1, 1, 0),
        (9, 1, 1, 0),
        (16, 1, 1, 0),
        (23, 1, 1, 0),
        # The week of the change: the new plan would find Mon and Thu missed, the old one
        # only Sunday: the kinder judgement stands.
        (30, 1, 0, 1),
        (7, 2, 0, 1),
    ]
    # Without the versions, every past week is judged by today's plan.
    assert sum(p.missed for p in tally(twice, log, now)) == 4 + 2 + 1
    # Down from twice to once a week on Wednesday, after Monday's session: Thursday is no
    # longer asked for and Sunday is not either (Monday made the week's one).
    twice_first = replace(twice, created_at=at(2026, 11, 2, 9).astimezone(dt.UTC))
    once_later = replace(once, id="3" * 32, created_at=at(2026, 11, 11, 9).astimezone(dt.UTC))
    log = Log(sessions=(session(at(2026, 11, 2, 21)), session(at(2026, 11, 9, 21))))
    periods = tally(once_later, log, at(2026, 11, 17, 9), versions=[twice_first])
    assert [(p.first.day, p.quota, p.done, p.missed) for p in periods] == [
        (2, 2, 1, 1),  # twice a week then: Thursday 5 Nov missed
        (9, 1, 1, 0),  # the week of the change, judged by the new plan
        (16, 1, 0, 0),
    ]
    # A version made later than the plan asked about is ignored; so is the plan itself.
    assert tally(once, log, now, versions=[twice, once]) == tally(once, log, now)


def test_a_change_of_period_length_cuts_the_old_plan_short() -> None:
    # Weekly (0.5 mm, Saturdays) then every 3 weeks (0.75 mm): the 3-week period in which the
    # change was made is the new plan's; the weeks before it stay weekly.
    weekly = replace(
        make_plan(
            needle_mm=0.5,
            weekdays=(5,),
            tz="Europe/Berlin",
            start=dt.date(2026, 11, 2),
            created_at=T0,
        ),
        created_at=at(2026, 11, 2, 9).astimezone(dt.UTC),
    )
    three = replace(
        make_plan(
            needle_mm=0.75,
            weekdays=(5,),
            tz="Europe/Berlin",
            start=dt.date(2026, 11, 2),
            created_at=T0,
        ),
        created_at=at(2026, 11, 25, 9).astimezone(dt.UTC),
    )
    log = Log(sessions=(session(at(2026, 11, 7, 21)),))
    periods = tally(three, log, at(2026, 11, 26, 9), versions=[weekly])
    assert [(p.first, p.last, p.quota, p.done, p.missed, p.complete) for p in periods] == [
        (dt.date(2026, 11, 2), dt.date(2026, 11, 8), 1, 1, 0, True),
        (dt.date(2026, 11, 9), dt.date(2026, 11, 15), 1, 0, 1, True),
        (dt.date(2026, 11, 16), dt.date(2026, 11, 22), 1, 0, 1, True),
        (dt.date(2026, 11, 23), dt.date(2026, 12, 13), 1, 0, 0, False),
    ]
    # The reverse: every 3 weeks, changed to weekly in the third week of a period.
    periods = tally(
        replace(weekly, created_at=at(2026, 11, 18, 9).astimezone(dt.UTC)),
        log,
        at(2026, 11, 26, 9),
        versions=[replace(three, created_at=at(2026, 11, 2, 9).astimezone(dt.UTC))],
    )
    assert [(p.first, p.last, p.quota, p.done, p.missed) for p in periods] == [
        (dt.date(2026, 11, 2), dt.date(2026, 11, 15), 1, 1, 0),  # cut short: 2 weeks
        (dt.date(2026, 11, 16), dt.date(2026, 11, 22), 1, 0, 1),
        (dt.date(2026, 11, 23), dt.date(2026, 11, 29), 1, 0, 0),
    ]


def test_visit_blackout_of_zero_days_blocks_only_the_visit_day(plan: Plan) -> None:
    p = replace(plan, blackout_before_days=0, blackout_after_days=0)
    log = Log(visits=(Visit(at=at(2026, 11, 30, 10).astimezone(dt.UTC), created_at=T0),))
    slots = upcoming(p, log, at(2026, 11, 25, 10), 3)
    assert starts(slots) == [
        "2026-11-26T21:00:00+01:00",
        "2026-12-03T21:00:00+01:00",
        "2026-12-07T21:00:00+01:00",
    ]
    assert status(p, log, at(2026, 11, 30, 8)).until == at(2026, 12, 1)
    assert [t.quota for t in tally(p, log, at(2026, 12, 7, 9))] == [1, 1, 2]


def test_three_week_plan_missed_slot_and_later_saturday() -> None:
    # 0.75 mm, Saturdays, every 3 weeks. The first Saturday passes: it is missed for now, and
    # the next Saturday of the same period is offered; done then, the period is kept.
    p = make_plan(needle_mm=0.75, tz="Europe/Berlin", start=dt.date(2026, 11, 23), created_at=T0)
    assert p.weekdays == (5,)
    assert upcoming(p, Log(), at(2026, 11, 30, 9), 1)[0].start == at(2026, 12, 5, 21)
    assert tally(p, Log(), at(2026, 11, 30, 9))[0].missed == 1
    log = Log(sessions=(session(at(2026, 12, 5, 21)),))
    assert tally(p, log, at(2026, 12, 14, 9))[0].missed == 0
    # The next one keeps 21 days: Saturday 26 Dec, the second Saturday of the next period.
    assert upcoming(p, log, at(2026, 12, 6, 9), 1)[0].start == at(2026, 12, 26, 21)


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
        return made_at_start(
            make_plan(
                needle_mm=needle,
                sessions=sessions,
                every_weeks=every,
                weekdays=days,
                time=time,
                tz=tz,
                rest_hours=rest,
                start=start,
                created_at=T0,
            )
        )
    except PlanRefused:
        assume(False)
        raise  # pragma: no cover


@st.composite
def scenarios(draw: st.DrawFn, future: bool = False) -> tuple[Plan, Log, dt.datetime]:
    """A plan, a log and "now". With ``future``, some sessions lie up to 3 days after "now"
    (they should not happen, but the engine must stay sound)."""
    plan = draw(plans())
    tz = ZoneInfo(plan.tz)
    plan = replace(
        plan,
        blackout_before_days=draw(st.sampled_from([0, 1, 7])),
        blackout_after_days=draw(st.sampled_from([0, 3, 14])),
        # made some time on its start day (a slot already past then is not the plan's)
        created_at=plan.created_at + dt.timedelta(minutes=draw(st.integers(0, 24 * 60 - 1))),
    )
    begin = dt.datetime.combine(plan.start, dt.time(0), tz) - dt.timedelta(days=20)
    now = begin + dt.timedelta(minutes=draw(st.integers(0, 150 * 24 * 60)))
    span = int((now - begin).total_seconds() // 60)
    if future:
        span += draw(st.sampled_from([0, 3 * 24 * 60]))
    instants = st.integers(0, span).map(lambda m: begin + dt.timedelta(minutes=m))
    sessions = tuple(session(w) for w in sorted(draw(st.lists(instants, max_size=25))))
    skips = tuple(
        Skip(slot=w.astimezone(dt.UTC), reason="r", created_at=T0)
        for w in draw(st.lists(instants, max_size=6))
    )
    days = st.dates(plan.start - dt.timedelta(days=10), plan.start + dt.timedelta(days=200))
    pauses = []
    for first in draw(st.lists(days, max_size=3)):
        pauses.append(
            Pause(
                first=first, last=first + dt.timedelta(days=draw(st.integers(0, 20))), created_at=T0
            )
        )
    visits = tuple(
        Visit(at=dt.datetime.combine(d, dt.time(10), tz).astimezone(dt.UTC), created_at=T0)
        for d in draw(st.lists(days, max_size=3))
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
@given(st.one_of(scenarios(), scenarios(future=True)))
def test_invariants(scenario: tuple[Plan, Log, dt.datetime]) -> None:
    plan, log, now = scenario
    tz = ZoneInfo(plan.tz)
    rest = rest_days(plan)
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
        w = s.start.astimezone(tz).date()
        # 1. at least the rest in local days from every session, before it and (never logged in
        # the future, but if so) after it
        for x in log.sessions:
            assert abs((w - x.start.astimezone(tz).date()).days) >= rest
        # ... and from the slot before it
        if i:
            assert (w - slots[i - 1].start.astimezone(tz).date()).days >= rest
        # 2. never in a pause or a visit blackout, never before the plan
        assert not blocked(plan, log, s.start.date())
        assert s.start.date() >= plan.start and s.start >= plan.created_at
        # slots are at the plan's time (gap-shifted where the wall time does not exist)
        assert s.start == local_slot(s.start.date(), plan.time, tz)
        # a day with a session logged (at any time) has no slot
        assert all(x.start.astimezone(tz).date() != s.start.date() for x in log.sessions)
    # 3. never more than the target in any period, counting done and proposed sessions
    by_period: dict[dt.date, list[dt.datetime]] = {}
    for s in slots:
        by_period.setdefault(period_first(plan, s.start.date()), []).append(s.start)
    for first, proposed in by_period.items():
        last = first + dt.timedelta(weeks=plan.every_weeks, days=-1)
        done = [x for x in log.sessions if first <= x.start.astimezone(tz).date() <= last]
        assert len(done) + len(proposed) <= plan.sessions


@FAST
@given(st.one_of(scenarios(), scenarios(future=True)))
def test_status_agrees_with_upcoming(scenario: tuple[Plan, Log, dt.datetime]) -> None:
    plan, log, now = scenario
    state = status(plan, log, now)
    slots = upcoming(plan, log, now, 1)
    assert state.next == (slots[0] if slots else None)
    assert (state.name == "due") == bool(slots and slots[0].due)
    if state.name in ("paused", "blackout", "resting"):
        assert state.until is not None and state.until > now
        # nothing is offered before the state ends
        assert state.next is None or state.next.start >= state.until
    free = state.until.date() if state.until else None
    if state.name == "paused":
        assert free is not None and not any(p.covers(free) for p in log.pauses)
    if state.name == "blackout":
        assert free is not None
        assert not any(b.first <= free <= b.last for b in blackouts(plan, log.visits))
    if state.name in ("waiting", "none"):
        assert state.until is None


@FAST
@given(st.one_of(scenarios(), scenarios(future=True)))
def test_tally_adds_up(scenario: tuple[Plan, Log, dt.datetime]) -> None:
    plan, log, now = scenario
    today = now.astimezone(ZoneInfo(plan.tz)).date()
    periods = tally(plan, log, now)
    assert periods == tally(plan, log, now, versions=[plan])
    for a, b in itertools.pairwise(periods):
        assert b.first == a.last + dt.timedelta(days=1)
    for p in periods:
        assert min(p.quota, p.due, p.done, p.skipped, p.missed) >= 0
        assert p.due <= p.quota <= plan.sessions
        assert p.missed + min(p.done, p.due) + p.skipped == p.due
        assert p.complete == (p.last < today)
        if p.complete:
            assert p.missed + p.kept + p.skipped == p.due == p.quota
    if periods:
        assert periods[-1].first <= today <= periods[-1].last


@FAST
@given(scenarios(), plans(), st.integers(0, 150 * 24))
def test_tally_across_a_plan_change(
    scenario: tuple[Plan, Log, dt.datetime], other: Plan, hours: int
) -> None:
    """A plan changed (any new needle, days, period length, zone) some time before "now": the
    periods still tile the days from the start through today and add up."""
    old, log, now = scenario
    made = dt.datetime.combine(old.start, dt.time(0), dt.UTC) + dt.timedelta(hours=hours)
    assume(made <= now)
    old = replace(old, created_at=dt.datetime.combine(old.start, dt.time(0), dt.UTC))
    new = replace(other, start=old.start, id="f" * 32, created_at=made)
    periods = tally(new, log, now, versions=[old, new])
    today = now.astimezone(ZoneInfo(new.tz)).date()
    for a, b in itertools.pairwise(periods):
        assert b.first == a.last + dt.timedelta(days=1)
    for p in periods:
        assert min(p.quota, p.due, p.done, p.skipped, p.missed) >= 0
        assert p.due <= p.quota <= max(old.sessions, new.sessions)
        assert p.missed + min(p.done, p.due) + p.skipped == p.due
    if periods:
        assert periods[-1].last >= today
        # the current period is the new plan's, exactly as upcoming() sees it
        assert (periods[-1].first, periods[-1].last) == (
            period_first(new, today),
            period_first(new, today) + dt.timedelta(weeks=new.every_weeks, days=-1),
        )


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


def test_a_pause_over_the_plans_start(plan: Plan) -> None:
    # Paused from before the plan began into its second week: nothing due, nothing missed.
    log = Log(
        pauses=(Pause(first=dt.date(2026, 11, 20), last=dt.date(2026, 11, 30), created_at=T0),)
    )
    st_ = status(plan, log, at(2026, 11, 25, 10))
    assert (st_.name, st_.until) == ("paused", at(2026, 12, 1))
    assert st_.next is not None and st_.next.start == at(2026, 12, 3, 21)
    periods = tally(plan, log, at(2026, 12, 7, 9))
    assert [(p.quota, p.missed) for p in periods] == [(0, 0), (1, 1), (2, 0)]


def test_a_plan_changed_on_its_first_evening_keeps_that_session() -> None:
    # Made Monday 09:00; rolled at 21:05; the minutes changed at 22:00 (a new version made on
    # the start day, after the slot): that Monday still counts as kept.
    first = replace(
        make_plan(
            needle_mm=0.25,
            weekdays=(0, 3),
            time=dt.time(21),
            tz="Europe/Berlin",
            start=dt.date(2026, 11, 30),
            created_at=T0,
        ),
        created_at=at(2026, 11, 30, 9).astimezone(dt.UTC),
    )
    second = replace(first, minutes=4, id="e" * 32, created_at=at(2026, 11, 30, 22))
    log = Log(sessions=(session(at(2026, 11, 30, 21, 5)),))
    assert upcoming(second, log, at(2026, 11, 30, 22), 1)[0].start == at(2026, 12, 3, 21)
    log = Log(sessions=(*log.sessions, session(at(2026, 12, 3, 21))))
    week = tally(second, log, at(2026, 12, 7, 9), versions=[first, second])[0]
    assert (week.quota, week.kept, week.missed, week.complete) == (2, 2, 0, True)
